//! Shared by the integration tests: temporary directories, keys made with the openssl CLI
//! (never committed), the Python signers, and a URL → [`SignedRequest`] helper.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use brink_signed::{KeyOptions, KeyRing, SignedRequest, TrustedKeys};

/// The pip packages the Python-driven tests need (scripts/requirements-test.txt).
pub const PIP_PINS: &str = "-r scripts/requirements-test.txt (scripts/test.sh does it)";

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "brink-signed-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (is it installed?)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A key pair made by the openssl CLI for this test run.
pub struct TestKey {
    pub id: &'static str,
    /// Private key file (PKCS#1 for RSA, SEC1 for EC, as openssl writes them).
    pub private: PathBuf,
    /// The same private key as PKCS#8.
    pub private_pkcs8: PathBuf,
    /// PEM SubjectPublicKeyInfo.
    pub public_pem: String,
    _dir: Arc<TempDir>,
}

fn make_key(id: &'static str, ec: bool) -> TestKey {
    let dir = Arc::new(TempDir::new(if ec { "ec" } else { "rsa" }));
    let private = dir.path().join("private.pem");
    let private_pkcs8 = dir.path().join("private-pkcs8.pem");
    if ec {
        run(Command::new("openssl")
            .args(["ecparam", "-name", "prime256v1", "-genkey", "-out"])
            .arg(&private));
    } else {
        run(Command::new("openssl")
            .args(["genrsa", "-traditional", "-out"])
            .arg(&private)
            .arg("2048"));
    }
    run(Command::new("openssl")
        .args(["pkcs8", "-topk8", "-nocrypt", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&private_pkcs8));
    let public_pem = run(Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private));
    TestKey {
        id,
        private,
        private_pkcs8,
        public_pem,
        _dir: dir,
    }
}

/// RSA-2048, generated once per test binary.
pub fn rsa_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| make_key("K2RSATESTKEY01", false))
}

/// ECDSA P-256, generated once per test binary.
pub fn ec_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| make_key("K2ECTESTKEY001", true))
}

/// Trusted keys holding both test keys, with a memo of verified signatures (so tests that
/// verify one signature twice exercise both paths).
pub fn trusted() -> TrustedKeys {
    let (r, e) = (rsa_key(), ec_key());
    let ring = KeyRing::compile(
        [(r.id, r.public_pem.as_str()), (e.id, e.public_pem.as_str())],
        &KeyOptions::default(),
    )
    .expect("test keys parse");
    TrustedKeys::new([r.id, e.id].map(|id| (id.to_string(), ring.get(id).expect("key").clone())))
        .with_verified_cache(64)
}

/// Fails (never skips) with the exact pins when the Python packages are missing.
pub fn python_ready() {
    let ok = Command::new(pytool("python3"))
        .args(["-c", "import botocore, rsa, cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 with botocore, rsa and cryptography is required by this test; \
         install with: pip install {PIP_PINS} (scripts/requirements-test.txt)"
    );
}

pub fn aws_ready() {
    let ok = Command::new(pytool("aws"))
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the aws CLI (v1, `aws cloudfront sign`) is required by this test; \
         install with: pip install {PIP_PINS} (scripts/requirements-test.txt)"
    );
}

/// Runs tests/fixtures/cf_sign.py with `args` (`--name value` pairs) and returns stdout.
pub fn py_sign(args: &[(&str, &str)]) -> String {
    python_ready();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cf_sign.py");
    let mut cmd = Command::new(pytool("python3"));
    cmd.arg(script);
    for (k, v) in args {
        cmd.arg(format!("--{k}")).arg(v);
    }
    run(&mut cmd).trim_end().to_string()
}

/// Runs `aws cloudfront sign` and returns the URL.
pub fn aws_sign(args: &[(&str, &str)]) -> String {
    aws_ready();
    let mut cmd = Command::new(pytool("aws"));
    cmd.args(["cloudfront", "sign"]);
    for (k, v) in args {
        cmd.arg(format!("--{k}")).arg(v);
    }
    // No credentials or region are needed to sign; keep the user's config out of it.
    cmd.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_DEFAULT_REGION", "us-east-1");
    run(&mut cmd).trim_end().to_string()
}

/// The parts of an absolute URL, as the edge would see them.
pub struct Parts {
    pub scheme: String,
    pub host: String,
    pub path: String,
    pub query: Option<String>,
}

pub fn split_url(url: &str) -> Parts {
    let (scheme, rest) = url.split_once("://").expect("absolute URL");
    let (hp, query) = match rest.split_once('?') {
        Some((a, b)) => (a, Some(b.to_string())),
        None => (rest, None),
    };
    let i = hp.find('/').unwrap_or(hp.len());
    Parts {
        scheme: scheme.into(),
        host: hp[..i].into(),
        path: if i == hp.len() {
            "/".into()
        } else {
            hp[i..].into()
        },
        query,
    }
}

impl Parts {
    pub fn request<'a>(
        &'a self,
        cookies: &'a [&'a [u8]],
        peer: &str,
        now: u64,
    ) -> SignedRequest<'a> {
        SignedRequest {
            scheme: &self.scheme,
            host: &self.host,
            path: &self.path,
            query: self.query.as_deref(),
            cookies,
            peer: peer.parse::<IpAddr>().expect("ip"),
            now,
        }
    }
}

/// Moves the signing parameters of a signed URL into a `Cookie` header value
/// (`CloudFront-Name=value; …`), returning (URL without them, cookie header).
pub fn url_to_cookies(url: &str) -> (String, String) {
    let (base, q) = url.split_once('?').expect("signed URL has a query");
    let mut kept = Vec::new();
    let mut cookies = Vec::new();
    for seg in q.split('&') {
        let name = seg.split('=').next().unwrap_or("");
        if brink_signed::is_signing_param(name) {
            cookies.push(format!("CloudFront-{seg}"));
        } else {
            kept.push(seg);
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, cookies.join("; "))
}

/// A tool of the test virtualenv (`scripts/ensure-pyenv.sh`: target/pyenv, or
/// `BRINK_TEST_PYENV`), falling back to `PATH`.
fn pytool(name: &str) -> std::path::PathBuf {
    let dir = std::env::var_os("BRINK_TEST_PYENV").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv"),
        std::path::PathBuf::from,
    );
    let p = dir.join("bin").join(name);
    if p.exists() {
        p
    } else {
        std::path::PathBuf::from(name)
    }
}

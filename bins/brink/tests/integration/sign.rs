//! `brink sign`: the real binary's output against botocore's `CloudFrontSigner`
//! (crates/brink-signed/tests/fixtures/cf_sign.py) and `aws cloudfront sign` for the same
//! inputs (RSA signatures are deterministic, so the URLs must be equal byte for byte), ECDSA
//! output checked by `openssl dgst -verify`, and the cookie set verified by brink-signed.
//! Keys are made by openssl for the run. Needs python3 with
//! `botocore==1.43.11 awscli==1.45.11 rsa==4.7.2 cryptography==48.0.0`.

use std::path::{Path, PathBuf};
use std::process::Command;

use brink_signed::{KeyOptions, KeyRing, SignedRequest, Source, TrustedKeys};

const PINS: &str = "-r scripts/requirements-test.txt (scripts/test.sh does it)";
const URL: &str = "https://d111111abcdef8.cloudfront.net/private/report.pdf?v=3";

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir(tag: &str) -> Dir {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let p = std::env::temp_dir().join(format!(
        "brink-it-sign-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&p).expect("temp dir");
    Dir(p)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim_end()
        .to_string()
}

fn openssl(args: &[&str], out: &Path) {
    run(Command::new("openssl").args(args).arg("-out").arg(out));
}

fn brink_sign(args: &[&str]) -> String {
    run(Command::new(env!("CARGO_BIN_EXE_brink"))
        .arg("sign")
        .args(args))
}

fn botocore(args: &[&str]) -> String {
    let ok = Command::new(pytool("python3"))
        .args(["-c", "import botocore, rsa, cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 with botocore, rsa and cryptography is required: pip install {PINS}"
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/brink-signed/tests/fixtures/cf_sign.py");
    run(Command::new(pytool("python3")).arg(script).args(args))
}

fn aws(args: &[&str]) -> String {
    let ok = Command::new(pytool("aws"))
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "the aws CLI v1 is required: pip install {PINS}");
    run(Command::new(pytool("aws"))
        .args(["cloudfront", "sign"])
        .args(args)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_DEFAULT_REGION", "us-east-1"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn rsa_urls_equal_botocore_and_aws_cli() {
    let d = dir("rsa");
    let key = d.0.join("rsa.pem");
    run(Command::new("openssl").args(["genrsa", "-traditional", "-out", s(&key), "2048"]));
    let pkcs8 = d.0.join("rsa8.pem");
    run(Command::new("openssl").args([
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        s(&key),
        "-out",
        s(&pkcs8),
    ]));
    let id = "K3BRINKSIGNTST";
    let k = s(&key);
    let file_k = format!("file://{k}");

    // Canned: epoch and ISO dates, SHA-1 (aws) and SHA-256 (botocore + callable).
    let ours = brink_sign(&[
        "--url",
        URL,
        "--key-pair-id",
        id,
        "--private-key",
        k,
        "--date-less-than",
        "2030-01-01",
    ]);
    let ours8 = brink_sign(&[
        "--url",
        URL,
        "--key-pair-id",
        id,
        "--private-key",
        s(&pkcs8),
        "--date-less-than",
        "1893456000",
    ]);
    let boto = botocore(&[
        "--key-file",
        k,
        "--key-id",
        id,
        "--url",
        URL,
        "--date-less-than",
        "1893456000",
        "--with-rsa-package",
        "1",
    ]);
    let cli = aws(&[
        "--url",
        URL,
        "--key-pair-id",
        id,
        "--private-key",
        &file_k,
        "--date-less-than",
        "2030-01-01",
    ]);
    assert_eq!(ours, boto);
    assert_eq!(ours8, boto);
    assert_eq!(ours, cli);
    assert!(
        ours.starts_with(&format!("{URL}&Expires=1893456000&Signature=")),
        "{ours}"
    );

    let ours = brink_sign(&[
        "--url",
        URL,
        "--key-pair-id",
        id,
        "--private-key",
        k,
        "--date-less-than",
        "1893456000",
        "--hash-algorithm",
        "SHA256",
    ]);
    let boto = botocore(&[
        "--key-file",
        k,
        "--key-id",
        id,
        "--url",
        URL,
        "--date-less-than",
        "1893456000",
        "--hash",
        "SHA256",
    ]);
    assert_eq!(ours, boto);
    assert!(ours.ends_with("&Hash-Algorithm=SHA256"));

    // Custom: each condition the aws CLI has, then the resource wildcard (botocore).
    for extra in [
        &["--date-greater-than", "1735689600"][..],
        &["--ip-address", "192.0.2.0/24"],
        &["--ip-address", "192.0.2.9"],
        &[
            "--date-greater-than",
            "2025-01-01T00:00:00Z",
            "--ip-address",
            "192.0.2.0/24",
        ],
    ] {
        let mut a = vec![
            "--url",
            URL,
            "--key-pair-id",
            id,
            "--private-key",
            k,
            "--date-less-than",
            "1893456000",
        ];
        a.extend_from_slice(extra);
        let ours = brink_sign(&a);
        let mut c = vec![
            "--url",
            URL,
            "--key-pair-id",
            id,
            "--private-key",
            &file_k,
            "--date-less-than",
            "1893456000",
        ];
        c.extend_from_slice(extra);
        assert_eq!(ours, aws(&c), "{extra:?}");
        assert!(ours.contains("&Policy="), "{ours}");
    }
    let res = "https://d111111abcdef8.cloudfront.net/private/*";
    let ours = brink_sign(&[
        "--url",
        URL,
        "--key-pair-id",
        id,
        "--private-key",
        k,
        "--date-less-than",
        "1893456000",
        "--policy-resource",
        res,
        "--hash-algorithm",
        "SHA256",
    ]);
    let boto = botocore(&[
        "--key-file",
        k,
        "--key-id",
        id,
        "--url",
        URL,
        "--date-less-than",
        "1893456000",
        "--resource",
        res,
        "--hash",
        "SHA256",
    ]);
    assert_eq!(ours, boto);
}

#[test]
fn ecdsa_url_verifies_with_openssl_and_cookies_with_brink_signed() {
    let d = dir("ec");
    let key = d.0.join("ec.pem");
    openssl(&["ecparam", "-name", "prime256v1", "-genkey"], &key);
    let public = d.0.join("ec.pub");
    run(Command::new("openssl").args(["pkey", "-pubout", "-in", s(&key), "-out", s(&public)]));
    let id = "K3BRINKECDSA01";
    let url = brink_sign(&[
        "--url",
        URL,
        "--key-pair-id",
        id,
        "--private-key",
        s(&key),
        "--date-less-than",
        "1893456000",
    ]);

    // openssl checks the DER signature over the canned policy (SHA-1 prehash).
    let sig_text = url
        .split('&')
        .find_map(|p| p.strip_prefix("Signature="))
        .expect("Signature");
    let sig = brink_signed::decode_base64(sig_text.as_bytes()).expect("base64");
    let sig_file = d.0.join("sig.der");
    std::fs::write(&sig_file, &sig).expect("write");
    let policy_file = d.0.join("policy.json");
    std::fs::write(
        &policy_file,
        brink_signed::policy::canned_policy(URL, "1893456000"),
    )
    .expect("write");
    let out = run(Command::new("openssl").args([
        "dgst",
        "-sha1",
        "-verify",
        s(&public),
        "-signature",
        s(&sig_file),
        s(&policy_file),
    ]));
    assert_eq!(out, "Verified OK");

    // The cookie set (custom policy, SHA-256) is accepted by the verifier for a URL under it.
    let cookies = brink_sign(&[
        "--url",
        URL,
        "--key-pair-id",
        id,
        "--private-key",
        s(&key),
        "--date-less-than",
        "1893456000",
        "--policy-resource",
        "https://d111111abcdef8.cloudfront.net/private/*",
        "--hash-algorithm",
        "SHA256",
        "--cookies",
    ]);
    let lines: Vec<&str> = cookies.lines().collect();
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.split('=').next().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [
            "CloudFront-Policy",
            "CloudFront-Signature",
            "CloudFront-Key-Pair-Id",
            "CloudFront-Hash-Algorithm"
        ]
    );
    for l in &lines {
        assert!(
            l.ends_with("; Domain=d111111abcdef8.cloudfront.net; Path=/; Secure; HttpOnly"),
            "{l}"
        );
    }
    let header: String = lines
        .iter()
        .map(|l| l.split(';').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("; ");
    let pem = std::fs::read_to_string(&public).expect("read");
    let ring = KeyRing::compile([(id, pem.as_str())], &KeyOptions::default()).expect("key");
    let trusted = TrustedKeys::new([(id.to_string(), ring.get(id).expect("key").clone())]);
    let hdrs = [header.as_bytes()];
    let ok = trusted
        .verify(&SignedRequest {
            scheme: "https",
            host: "d111111abcdef8.cloudfront.net",
            path: "/private/other.pdf",
            query: None,
            cookies: &hdrs,
            peer: "203.0.113.5".parse().expect("ip"),
            now: 1_800_000_000,
        })
        .expect("cookies accepted");
    assert_eq!(ok.source, Source::Cookies);
}

#[test]
fn bad_arguments_name_the_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "sign",
            "--url",
            URL,
            "--key-pair-id",
            "K",
            "--private-key",
            "/nonexistent.pem",
            "--date-less-than",
            "2030-01-01",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.pem"));
    let d = dir("bad");
    let key = d.0.join("k.pem");
    openssl(&["ecparam", "-name", "prime256v1", "-genkey"], &key);
    for (flag, value, want) in [
        ("--date-less-than", "tomorrow", "--date-less-than"),
        ("--hash-algorithm", "MD5", "--hash-algorithm"),
        ("--ip-address", "2001:db8::/32", "--ip-address"),
    ] {
        let mut args = vec![
            "sign",
            "--url",
            URL,
            "--key-pair-id",
            "K",
            "--private-key",
            s(&key),
        ];
        if flag != "--date-less-than" {
            args.extend(["--date-less-than", "2030-01-01"]);
        }
        args.extend([flag, value]);
        let out = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(&args)
            .output()
            .expect("run");
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
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

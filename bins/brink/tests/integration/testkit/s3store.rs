//! `S3Store`: the real `brink origin` binary (the embedded S3-compatible origin store) as a
//! child process on port 0, with an owner key pair and a CDN service credential of its own,
//! and the real aws CLI and boto3 pointed at it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use super::control::{pyenv_bin, run_bounded, temp_dir};

/// The account of the CDN's service credential (and of distribution ARNs).
pub(crate) const ACCOUNT: &str = "123456789012";

/// A running `brink origin`.
pub(crate) struct S3Store {
    child: Child,
    /// Its address.
    pub(crate) addr: SocketAddr,
    /// The directory holding the credential files and `data/` (the store's `--data-dir`).
    pub(crate) dir: PathBuf,
    /// The owner's access key id and secret.
    pub(crate) owner: (String, String),
    /// The CDN service credential's access key id and secret.
    pub(crate) cdn: (String, String),
}

/// Signs a request with botocore's S3 SigV4 signer (`S3SigV4Auth`, a `SigV4Auth` that does not
/// re-encode the path, as S3 wants) and `UNSIGNED-PAYLOAD`, as the edge does for origin access
/// control, then sends it to `CONNECT` (host:port) with the URL's host as `Host`. Arguments
/// (environment): `URL`, `CONNECT`, `METHOD`, `KEY_ID`, `SECRET`, optional `SOURCE_ARN`
/// (signed), `LATE_SOURCE_ARN` (added after signing, so not signed), `BODY`. Prints the
/// status, a newline and the body.
const SIGNED_REQUEST_PY: &str = r#"
import os, sys, http.client, urllib.parse
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

class EdgeSigner(S3SigV4Auth):
    def payload(self, request):
        return "UNSIGNED-PAYLOAD"

e = os.environ
headers = {}
if e.get("SOURCE_ARN"):
    headers["x-amz-source-arn"] = e["SOURCE_ARN"]
body = e.get("BODY", "").encode() if e.get("METHOD") == "PUT" else None
req = AWSRequest(method=e["METHOD"], url=e["URL"], headers=headers, data=body)
EdgeSigner(Credentials(e["KEY_ID"], e["SECRET"]), "s3", "us-east-1").add_auth(req)
out = dict(req.headers.items())
if e.get("LATE_SOURCE_ARN"):
    out["x-amz-source-arn"] = e["LATE_SOURCE_ARN"]
u = urllib.parse.urlsplit(e["URL"])
conn = http.client.HTTPConnection(e["CONNECT"], timeout=30)
conn.putrequest(e["METHOD"], u.path + ("?" + u.query if u.query else ""), skip_host=True, skip_accept_encoding=True)
conn.putheader("Host", u.netloc)
for k, v in out.items():
    if k.lower() != "host":
        conn.putheader(k, v)
if body is not None:
    conn.putheader("Content-Length", str(len(body)))
conn.endheaders(body)
resp = conn.getresponse()
data = resp.read()
sys.stdout.write(f"{resp.status}\n")
sys.stdout.flush()
sys.stdout.buffer.write(data)
"#;

impl S3Store {
    /// Starts `brink origin` on port 0 over a new directory.
    pub(crate) fn start() -> S3Store {
        let dir = temp_dir("s3store");
        let owner = (
            "AKIAOWNEREXAMPLE0001".to_owned(),
            "owner/secret+key".to_owned(),
        );
        let cdn = (
            "AKIACDNEXAMPLE000002".to_owned(),
            "cdn/secret+key".to_owned(),
        );
        // The owner's file in the control plane's format, the CDN's in the contract's JSON.
        std::fs::write(
            dir.join("credentials"),
            format!(
                "[default]\naws_access_key_id={}\naws_secret_access_key={}\n",
                owner.0, owner.1
            ),
        )
        .expect("owner credentials");
        std::fs::write(
            dir.join("cdn.json"),
            format!(
                r#"{{"AccessKeyId": "{}", "SecretAccessKey": "{}", "AccountId": "{ACCOUNT}"}}"#,
                cdn.0, cdn.1
            ),
        )
        .expect("cdn credentials");
        let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(["origin", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .arg("--credentials")
            .arg(dir.join("credentials"))
            .arg("--cdn-credentials")
            .arg(dir.join("cdn.json"))
            .args(["--vhost-domain", "s3-accelerate.cdn.test"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.join("stderr.log")).expect("log"))
            .spawn()
            .expect("spawn brink origin");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("ready line");
        let addr = line
            .trim()
            .strip_prefix("brink ready listen=")
            .unwrap_or_else(|| panic!("unexpected ready line {line:?}"))
            .parse()
            .expect("address");
        S3Store {
            child,
            addr,
            dir,
            owner,
            cdn,
        }
    }

    /// `http://addr`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The store's data directory.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Environment for the aws CLI / boto3: this endpoint, the owner's key.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.owner.0.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.owner.1.clone()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
            ("AWS_ENDPOINT_URL_S3", self.url()),
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
            ("AWS_MAX_ATTEMPTS", "1".to_owned()),
        ]
    }

    /// Runs `aws <args>` with extra environment.
    pub(crate) fn aws_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(pyenv_bin().join("aws"));
        cmd.args(args);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_bounded(cmd, "aws")
    }

    /// `aws <args>` that must succeed; its stdout.
    pub(crate) fn aws_ok(&self, args: &[&str]) -> String {
        let out = self.aws_with(args, &[]);
        assert!(
            out.status.success(),
            "aws {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `aws <args> --output json` that must succeed; its JSON.
    pub(crate) fn aws_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let text = self.aws_ok(&all);
        if text.trim().is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_str(&text).expect("aws JSON output")
    }

    /// `aws …` (with extra environment) that must fail with `code`; returns stderr.
    pub(crate) fn aws_err(&self, args: &[&str], env: &[(&str, &str)], code: &str) -> String {
        let out = self.aws_with(args, env);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "aws {args:?} succeeded, expected {code}"
        );
        assert!(
            err.contains(code),
            "aws {args:?}: expected {code}, got: {err}"
        );
        err
    }

    /// Runs a Python script with boto3 against it (owner's key); the script's stdout.
    pub(crate) fn boto3(&self, script: &str) -> String {
        let mut cmd = Command::new(pyenv_bin().join("python"));
        cmd.arg("-c").arg(script);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        let out = run_bounded(cmd, "python");
        assert!(
            out.status.success(),
            "boto3 script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends `method path` (path already percent-encoded, starting with `/`) signed with the
    /// CDN's service credential, as the edge signs for origin access control, with
    /// `x-amz-source-arn: source_arn` signed (or, with `sign_arn` false, added after signing).
    /// Returns (status, body).
    pub(crate) fn cdn_request(
        &self,
        method: &str,
        path: &str,
        source_arn: Option<&str>,
        sign_arn: bool,
        body: &str,
    ) -> (u16, Vec<u8>) {
        let key = self.cdn.clone();
        self.signed_request(&key, method, path, source_arn, sign_arn, body)
    }

    /// The same signed with any key pair.
    pub(crate) fn signed_request(
        &self,
        key: &(String, String),
        method: &str,
        path: &str,
        source_arn: Option<&str>,
        sign_arn: bool,
        body: &str,
    ) -> (u16, Vec<u8>) {
        let authority = self.addr.to_string();
        self.signed_request_to(key, &authority, method, path, source_arn, sign_arn, body)
    }

    /// The same with `Host: authority` (signed as such), still sent to this store: what the
    /// edge forwards for transfer acceleration (`<bucket>.s3-accelerate.<domain>`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn signed_request_to(
        &self,
        key: &(String, String),
        authority: &str,
        method: &str,
        path: &str,
        source_arn: Option<&str>,
        sign_arn: bool,
        body: &str,
    ) -> (u16, Vec<u8>) {
        let mut cmd = Command::new(pyenv_bin().join("python"));
        cmd.arg("-c").arg(SIGNED_REQUEST_PY);
        cmd.env("URL", format!("http://{authority}{path}"))
            .env("CONNECT", self.addr.to_string())
            .env("METHOD", method)
            .env("KEY_ID", &key.0)
            .env("SECRET", &key.1)
            .env("BODY", body);
        if let Some(arn) = source_arn {
            cmd.env(
                if sign_arn {
                    "SOURCE_ARN"
                } else {
                    "LATE_SOURCE_ARN"
                },
                arn,
            );
        }
        let out = run_bounded(cmd, "python");
        assert!(
            out.status.success(),
            "signed request failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pos = out
            .stdout
            .iter()
            .position(|b| *b == b'\n')
            .expect("status line");
        let status = String::from_utf8_lossy(&out.stdout[..pos])
            .trim()
            .parse()
            .expect("status");
        (status, out.stdout[pos + 1..].to_vec())
    }

    /// Whether the process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then waits; whether it exited successfully.
    pub(crate) fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().map(|s| s.success()).unwrap_or(false)
    }

    /// What it wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }
}

impl Drop for S3Store {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

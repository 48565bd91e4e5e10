//! `Control`: the real `brink control` binary as a child process, and the real aws CLI and
//! boto3 (from the virtualenv `scripts/test.sh` fills from `scripts/requirements-test.txt`)
//! pointed at it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The virtualenv's `bin/` (aws, python).
pub(crate) fn pyenv_bin() -> PathBuf {
    let dir = std::env::var_os("BRINK_TEST_PYENV").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv"),
        PathBuf::from,
    );
    let bin = dir.join("bin");
    assert!(
        bin.join("aws").exists(),
        "{}: no aws CLI; run scripts/test.sh (it installs scripts/requirements-test.txt there)",
        bin.display()
    );
    bin
}

/// A fresh directory under the system temp dir.
pub(crate) fn temp_dir(what: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "brink-{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A running `brink control`.
pub(crate) struct Control {
    child: Child,
    /// Its address.
    pub(crate) addr: SocketAddr,
    /// Its data directory (kept across restarts).
    pub(crate) dir: PathBuf,
    /// The API's access key id and secret.
    pub(crate) key: (String, String),
    /// The edges' feed token.
    pub(crate) token: String,
}

impl Control {
    /// Starts `brink control` on port 0 over a new data directory.
    pub(crate) fn start() -> Control {
        Control::start_in(&temp_dir("control"), "127.0.0.1:0")
    }

    /// Starts it over `dir` (an existing one keeps its state) listening on `listen`.
    pub(crate) fn start_in(dir: &Path, listen: &str) -> Control {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args([
                "control",
                "--listen",
                listen,
                "--cdn-domain",
                "cdn.test",
                "--data-dir",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn brink control");
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
        let creds = std::fs::read_to_string(dir.join("credentials")).expect("credentials");
        let field = |name: &str| {
            creds
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .expect("credential field")
                .to_owned()
        };
        let key = (field("aws_access_key_id"), field("aws_secret_access_key"));
        let token = std::fs::read_to_string(dir.join("edge-token")).expect("token");
        Control {
            child,
            addr,
            dir: dir.to_owned(),
            key,
            token: token.trim().to_owned(),
        }
    }

    /// `http://addr`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Kills it (SIGKILL) and waits.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Environment for the aws CLI / boto3: this endpoint and key, a region other than
    /// us-east-1 (botocore signs with it, cloudfront.md §11.1).
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.key.0.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.key.1.clone()),
            ("AWS_DEFAULT_REGION", "eu-west-1".to_owned()),
            ("AWS_ENDPOINT_URL_CLOUDFRONT", self.url()),
            ("AWS_ENDPOINT_URL_ACM", self.url()),
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
            ("AWS_MAX_ATTEMPTS", "1".to_owned()),
        ]
    }

    /// Runs `aws <args>` against it (JSON output).
    pub(crate) fn aws(&self, args: &[&str]) -> Output {
        self.aws_with(args, &[])
    }

    /// Same with extra environment (e.g. a wrong secret).
    pub(crate) fn aws_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(pyenv_bin().join("aws"));
        cmd.args(args).args(["--output", "json"]);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_bounded(cmd, "aws")
    }

    /// `aws …` that must succeed; its JSON output.
    pub(crate) fn aws_ok(&self, args: &[&str]) -> serde_json::Value {
        let out = self.aws(args);
        assert!(
            out.status.success(),
            "aws {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            return serde_json::Value::Null;
        }
        serde_json::from_slice(&out.stdout).expect("aws JSON output")
    }

    /// `aws …` that must fail with `code`; returns stderr.
    pub(crate) fn aws_err(&self, args: &[&str], code: &str) -> String {
        let out = self.aws(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "aws {args:?} succeeded, expected {code}"
        );
        assert!(
            err.contains(&format!("({code})")),
            "aws {args:?}: expected {code}, got: {err}"
        );
        err
    }

    /// Runs a Python script with boto3 against it; the script's stdout.
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
}

/// Runs a client command with a time limit so a hung server fails the test.
pub(crate) fn run_bounded(mut cmd: Command, what: &str) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    let (tx, rx) = std::sync::mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => out.expect("client output"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("{what} did not finish within 120 s");
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        self.kill();
    }
}

//! Helpers shared by the tests that run real third-party binaries.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Makes sure `bin` is on the PATH, installing Debian `package` with apt-get when it is missing
/// and we are root (as on CI). Returns `false`, after printing why, when the test must be
/// skipped: the tool is missing and we cannot install it.
///
/// # Panics
/// When running as root and apt-get fails: on CI a silent skip would hide the missing check.
pub(crate) fn require_tool(bin: &str, version_arg: &str, package: &str) -> bool {
    let present = || {
        Command::new(bin)
            .arg(version_arg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if present() {
        return true;
    }
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    // Not installable from here: fail rather than skip, so a passing run always means the
    // tool really checked our output (`scripts/test.sh` installs it).
    assert!(
        uid == "0",
        "`{bin}` is not installed and we are not root: run scripts/test.sh, or `sudo apt-get install -y {package}`"
    );
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    eprintln!("`{bin}` missing: installing Debian package `{package}`");
    // The package lists may be absent or stale on a fresh machine: update once and retry.
    let ok = apt(&["install", "-y", "-q", package])
        || (apt(&["update", "-q"]) && apt(&["install", "-y", "-q", package]));
    assert!(ok && present(), "apt-get could not install {package}");
    true
}

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "brink-telemetry-{tag}-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

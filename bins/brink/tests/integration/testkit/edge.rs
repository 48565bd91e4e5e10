//! `Edge`: the real `brink serve` binary as a child process.
//!
//! Spawned with `--listen 127.0.0.1:0 --admin 127.0.0.1:0 --origin <url> --manual-clock`
//! plus the test's extra arguments; the addresses come from the single stdout line
//! `brink ready listen=ADDR admin=ADDR`. stderr goes to a temp file whose tail is printed
//! when a test panics while the edge is alive. The child is killed on drop.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{Req, Resp, TestOrigin};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// How long the binary may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `brink serve`.
pub(crate) struct Edge {
    child: Child,
    listen: SocketAddr,
    admin: SocketAddr,
    /// The TLS-only listener (`--tls-listen`), if any.
    tls: Option<SocketAddr>,
    /// The RTMP listener (`--rtmp-listen`), if any.
    rtmp: Option<SocketAddr>,
    /// The S3 Transfer Acceleration listener, when `--accelerate-listen` was given.
    accelerate: Option<SocketAddr>,
    stderr_path: PathBuf,
    /// Origin clocks that move with this edge's manual clock.
    linked_clocks: Vec<Arc<AtomicU64>>,
}

impl Edge {
    /// Starts `brink serve` in front of `origin_url` with the manual clock enabled.
    pub(crate) async fn start(origin_url: &str, extra_args: &[&str]) -> Edge {
        Edge::spawn(origin_url, extra_args, true, &[]).await
    }

    /// Same as [`Edge::start`] but without `--manual-clock`.
    pub(crate) async fn start_without_manual_clock(origin_url: &str, extra_args: &[&str]) -> Edge {
        Edge::spawn(origin_url, extra_args, false, &[]).await
    }

    /// Same as [`Edge::start`], with extra environment variables (e.g. `RUST_LOG=info` to
    /// see lifecycle events in [`Edge::stderr`]).
    pub(crate) async fn start_with_env(
        origin_url: &str,
        extra_args: &[&str],
        env: &[(&str, &str)],
    ) -> Edge {
        Edge::spawn(origin_url, extra_args, true, env).await
    }

    /// Starts `brink edge --config <config>` (the distributions' origins come from the file).
    /// `brink edge` on a configuration given as text (written to a file the edge reads at
    /// start, then removed).
    pub(crate) async fn start_config(config: &str, extra_args: &[&str]) -> Edge {
        let path = super::write_config(config);
        let edge = Edge::start_distributions(&path, extra_args).await;
        let _ = std::fs::remove_file(&path);
        edge
    }

    pub(crate) async fn start_distributions(config: &std::path::Path, extra_args: &[&str]) -> Edge {
        let config = config.to_str().expect("utf-8 config path");
        Edge::spawn_command(&["edge", "--config", config], extra_args, true, &[]).await
    }

    async fn spawn(
        origin_url: &str,
        extra_args: &[&str],
        manual_clock: bool,
        env: &[(&str, &str)],
    ) -> Edge {
        Edge::spawn_command(
            &["serve", "--origin", origin_url],
            extra_args,
            manual_clock,
            env,
        )
        .await
    }

    async fn spawn_command(
        command: &[&str],
        extra_args: &[&str],
        manual_clock: bool,
        env: &[(&str, &str)],
    ) -> Edge {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let stderr_path =
            std::env::temp_dir().join(format!("brink-it-edge-{}-{n}.stderr", std::process::id()));
        let stderr = std::fs::File::create(&stderr_path).expect("create edge stderr file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_brink"));
        cmd.args(command);
        cmd.args(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"]);
        if manual_clock {
            cmd.arg("--manual-clock");
        }
        cmd.envs(env.iter().copied());
        cmd.args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = cmd.spawn().expect("spawn the brink binary");
        let stdout = child.stdout.take().expect("piped stdout");

        // A plain thread reads the ready line, then keeps draining stdout so the child never
        // blocks on a full pipe.
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|_| line);
            let _ = tx.send(first);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match tokio::time::timeout(READY_TIMEOUT, rx).await {
            Ok(Ok(Ok(line))) if !line.is_empty() => line,
            outcome => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "brink did not print its ready line within {READY_TIMEOUT:?} ({outcome:?}, exit {status:?}); \
                     args {extra_args:?}; stderr ({}):\n{}",
                    stderr_path.display(),
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
        };
        let Ready {
            listen,
            admin,
            tls,
            rtmp,
            accelerate,
        } = parse_ready_line(&line);
        Edge {
            child,
            listen,
            admin,
            tls,
            rtmp,
            accelerate,
            stderr_path,
            linked_clocks: Vec::new(),
        }
    }

    /// The viewer listener's address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.listen
    }

    /// The admin listener's address.
    pub(crate) fn admin_addr(&self) -> SocketAddr {
        self.admin
    }

    /// The S3 Transfer Acceleration listener's address (`--accelerate-listen`).
    pub(crate) fn accelerate_addr(&self) -> SocketAddr {
        self.accelerate
            .expect("started without --accelerate-listen (no accelerate= in its ready line)")
    }

    /// The RTMP listener's address (`--rtmp-listen`).
    pub(crate) fn rtmp_addr(&self) -> SocketAddr {
        self.rtmp.expect("the edge was started with --rtmp-listen")
    }

    /// The TLS-only listener's address (`--tls-listen`).
    pub(crate) fn tls_addr(&self) -> SocketAddr {
        self.tls.expect("the edge was started with --tls-listen")
    }

    /// `http://<listen addr><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.listen)
    }

    /// `http://<admin addr><path>`.
    pub(crate) fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin)
    }

    /// A request builder for `method` on `path` of the viewer listener.
    pub(crate) fn req(&self, method: &str, path: &str) -> Req {
        Req::new(method, &self.url(path))
    }

    /// `GET path` on the viewer listener.
    pub(crate) async fn get(&self, path: &str) -> Resp {
        Req::get(&self.url(path)).send().await
    }

    /// `GET path` with extra request headers.
    pub(crate) async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = Req::get(&self.url(path));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send().await
    }

    /// Moves the edge's manual clock forward by `secs` seconds (and the `Date` clocks of
    /// linked origins, so simulated time passes for them too).
    pub(crate) async fn advance_clock(&self, secs: u64) {
        let path = format!("/debug/clock/advance?seconds={secs}");
        let resp = Req::new("POST", &self.admin_url(&path)).send().await;
        assert_eq!(
            resp.status, 200,
            "POST {path} on the admin listener: {resp:?}"
        );
        for clock in &self.linked_clocks {
            clock.fetch_add(secs, Ordering::SeqCst);
        }
    }

    /// Makes [`Edge::advance_clock`] also move `origin`'s `Date` clock.
    pub(crate) fn link_origin_clock(&mut self, origin: &TestOrigin) {
        self.linked_clocks.push(origin.clock_offset());
    }

    /// Purges `pattern` (exact target or `prefix*`) and returns the `purged` count.
    pub(crate) async fn purge(&self, pattern: &str) -> u64 {
        let path = format!("/purge?path={}", percent_encode(pattern));
        let resp = Req::new("POST", &self.admin_url(&path)).send().await;
        assert_eq!(
            resp.status, 200,
            "POST {path} on the admin listener: {resp:?}"
        );
        let json: serde_json::Value = serde_json::from_slice(&resp.body)
            .unwrap_or_else(|e| panic!("purge answer is not JSON ({e}): {:?}", resp.text()));
        json.get("purged")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or_else(|| panic!("purge answer lacks an integer `purged`: {json}"))
    }

    /// The edge's stderr so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Whether the child process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The child's resident memory (`VmRSS`), in bytes.
    pub(crate) fn rss_bytes(&self) -> u64 {
        self.status_kib("VmRSS:") * 1024
    }

    /// The part of the child's resident memory that is its mapped files (`RssFile`: the
    /// binary's code, which a debug build has twice as much of), in bytes.
    pub(crate) fn rss_file_bytes(&self) -> u64 {
        self.status_kib("RssFile:") * 1024
    }

    /// The value of one sample line (`name{labels} value`) of the edge's metrics page.
    pub(crate) async fn metric(&self, sample: &str) -> f64 {
        let resp = Req::get(&self.admin_url("/metrics")).send().await;
        assert_eq!(resp.status, 200, "GET /metrics");
        let text = resp.text();
        text.lines()
            .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no sample {sample} in the metrics page:\n{text}"))
    }

    /// How many file descriptors the child has open.
    pub(crate) fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// A `/proc/<pid>/status` figure in KiB (0 if unreadable).
    fn status_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(field))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
            .unwrap_or(0)
    }

    /// Sends signal `name` (`TERM`, `INT`, `HUP`) to the child with the `kill` command.
    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(
            status.success(),
            "kill -{name} {} failed: {status}",
            self.child.id()
        );
    }

    /// Polls (every 10 ms, at most `limit`) for the child to exit; its status, or `None` if
    /// it is still running.
    pub(crate) async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        let exited = self.child.try_wait().ok().flatten();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.stderr();
            let tail_start = log.len().saturating_sub(8 * 1024);
            let tail_start = (tail_start..log.len())
                .find(|i| log.is_char_boundary(*i))
                .unwrap_or(0);
            eprintln!(
                "---- brink edge (listen {}, exited on its own: {exited:?}) stderr tail, full log at {} ----\n{}",
                self.listen,
                self.stderr_path.display(),
                &log[tail_start..]
            );
        } else {
            let _ = std::fs::remove_file(&self.stderr_path);
        }
    }
}

/// What `brink ready …` reported.
struct Ready {
    listen: SocketAddr,
    admin: SocketAddr,
    tls: Option<SocketAddr>,
    rtmp: Option<SocketAddr>,
    accelerate: Option<SocketAddr>,
}

/// Parses `brink ready listen=ADDR admin=ADDR [tls=ADDR] [rtmp=ADDR] [accelerate=ADDR]`.
fn parse_ready_line(line: &str) -> Ready {
    let line = line.trim_end();
    let mut words = line.split(' ');
    assert!(
        words.next() == Some("brink") && words.next() == Some("ready"),
        "the first stdout line must be `brink ready listen=... admin=...`, got {line:?}"
    );
    let (mut listen, mut admin) = (None, None);
    let (mut tls, mut rtmp, mut accelerate) = (None, None, None);
    for word in words {
        let addr = |v: &str| -> SocketAddr {
            v.parse()
                .unwrap_or_else(|e| panic!("bad address {v:?} in ready line {line:?}: {e}"))
        };
        let (key, value) = word
            .split_once('=')
            .unwrap_or_else(|| panic!("unexpected word {word:?} in ready line {line:?}"));
        let slot = match key {
            "listen" => &mut listen,
            "admin" => &mut admin,
            "tls" => &mut tls,
            "rtmp" => &mut rtmp,
            "accelerate" => &mut accelerate,
            _ => panic!("unexpected word {word:?} in ready line {line:?}"),
        };
        *slot = Some(addr(value));
    }
    let listen = listen.unwrap_or_else(|| panic!("no listen= in ready line {line:?}"));
    let admin = admin.unwrap_or_else(|| panic!("no admin= in ready line {line:?}"));
    for a in [listen, admin] {
        assert!(
            a.ip().is_loopback() && a.port() != 0,
            "ready line must report bound loopback addresses: {line:?}"
        );
    }
    Ready {
        listen,
        admin,
        tls,
        rtmp,
        accelerate,
    }
}

/// Percent-encodes everything but unreserved characters and `/` (so `*`, `?`, `=` and `&`
/// travel encoded inside the `path` query parameter).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn ready_line_is_parsed() {
    let r = parse_ready_line("brink ready listen=127.0.0.1:4000 admin=127.0.0.1:4001\n");
    assert_eq!((r.listen.port(), r.admin.port(), r.tls), (4000, 4001, None));
    let r = parse_ready_line(
        "brink ready listen=127.0.0.1:4000 admin=127.0.0.1:4001 tls=127.0.0.1:4443 \
         rtmp=127.0.0.1:1935 accelerate=127.0.0.1:4002",
    );
    assert_eq!(r.tls.map(|t| t.port()), Some(4443));
    assert_eq!(r.rtmp.map(|r| r.port()), Some(1935));
    assert_eq!(r.accelerate.map(|a| a.port()), Some(4002));
    assert_eq!(percent_encode("/img/*?x=1"), "/img/%2A%3Fx%3D1");
}

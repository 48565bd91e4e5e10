//! Test kit for the `brink serve` integration tests.
//!
//! - [`origin::TestOrigin`]: an in-process, programmable HTTP/1.1 origin that records every
//!   request it receives (the ground truth for "was this a hit?").
//! - [`edge::Edge`]: the real `brink` binary, spawned on port 0 with a manual clock, killed
//!   on drop.
//! - [`client`]: a small hyper client returning fully buffered [`client::Resp`]onses, plus
//!   streaming access for the coalescing tests.
//! - [`curl`]: the same through the `curl` command line, for user-facing checks.
//! - [`raw`]: raw TCP exchanges for malformed-input tests.
//! - [`s3store::S3Store`]: the real `brink origin` (the embedded S3 store) on port 0, with
//!   the aws CLI, boto3 and a botocore-signed request helper pointed at it.
//! - [`tls`]: a test CA and certificates, PEM files, and a rustls client for TLS tests.
//!
//! The helpers below are the assertions shared by the test modules.

#![allow(dead_code)]

pub(crate) mod client;
pub(crate) mod control;
pub(crate) mod curl;
pub(crate) mod edge;
pub(crate) mod origin;
pub(crate) mod raw;
pub(crate) mod s3store;
pub(crate) mod tls;

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) use client::{Req, Resp};
pub(crate) use edge::Edge;
pub(crate) use origin::{Gate, Reply, TestOrigin};

/// `X-Cache` value of a fresh hit.
pub(crate) const HIT: &str = "Hit from cloudfront";
/// `X-Cache` value of a miss.
pub(crate) const MISS: &str = "Miss from cloudfront";
/// `X-Cache` value of a stale entry revalidated by a 304.
pub(crate) const REFRESH_HIT: &str = "RefreshHit from cloudfront";
/// `X-Cache` value of any 4xx/5xx response.
pub(crate) const ERROR: &str = "Error from cloudfront";

/// Upper bound for any single HTTP exchange in the tests, so a hung edge fails a test
/// instead of hanging the suite.
pub(crate) const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts a fresh origin and an edge in front of it with `extra_args`; advancing the edge's
/// clock also advances the origin's `Date` clock (time passes for both).
pub(crate) async fn start(extra_args: &[&str]) -> (TestOrigin, Edge) {
    let origin = TestOrigin::start().await;
    let mut edge = Edge::start(&origin.url(), extra_args).await;
    edge.link_origin_clock(&origin);
    (origin, edge)
}

/// Routes `target` to `reply`, GETs it once through the edge and asserts a miss that reached
/// the origin exactly once more.
pub(crate) async fn prime(origin: &TestOrigin, edge: &Edge, target: &str, reply: Reply) -> Resp {
    origin.route(target, reply);
    expect_miss(origin, edge, target, &format!("priming GET {target}")).await
}

/// GETs `target` and asserts a miss: `X-Cache: Miss`, and one more origin request.
pub(crate) async fn expect_miss(origin: &TestOrigin, edge: &Edge, target: &str, ctx: &str) -> Resp {
    let before = origin.hits(target);
    let resp = edge.get(target).await;
    assert_miss(&resp, ctx);
    assert_origin_hits(origin, target, before + 1, ctx);
    resp
}

/// GETs `target` and asserts a hit with body `body`: `X-Cache: Hit`, an `Age`, and no
/// origin request.
pub(crate) async fn expect_hit(
    origin: &TestOrigin,
    edge: &Edge,
    target: &str,
    body: &[u8],
    ctx: &str,
) -> Resp {
    let before = origin.hits(target);
    let resp = edge.get(target).await;
    assert_hit(&resp, ctx);
    assert_body(&resp, body, ctx);
    assert_origin_hits(origin, target, before, ctx);
    resp
}

/// Asserts the response's `X-Cache` is exactly `expected`.
#[track_caller]
pub(crate) fn assert_x_cache(resp: &Resp, expected: &str, ctx: &str) {
    assert_eq!(
        resp.header("x-cache").as_deref(),
        Some(expected),
        "{ctx}: unexpected X-Cache (status {}, headers {:?})",
        resp.status,
        resp.headers
    );
}

/// Asserts a 200 fresh hit: `X-Cache: Hit`, an integer `Age`, `Cache-Status` saying hit.
#[track_caller]
pub(crate) fn assert_hit(resp: &Resp, ctx: &str) {
    assert_eq!(
        resp.status, 200,
        "{ctx}: expected 200 on a hit, headers {:?}",
        resp.headers
    );
    assert_x_cache(resp, HIT, ctx);
    assert!(
        resp.age().is_some(),
        "{ctx}: a hit must carry an integer Age header, got {:?}",
        resp.header("age")
    );
    let cs = resp.header("cache-status").unwrap_or_default();
    assert!(
        cs.starts_with("Brink;") && cs.contains("hit"),
        "{ctx}: Cache-Status of a hit must start with `Brink;` and contain `hit`, got {cs:?}"
    );
}

/// Asserts a 200 miss: `X-Cache: Miss`, `Cache-Status` containing `fwd=miss`.
#[track_caller]
pub(crate) fn assert_miss(resp: &Resp, ctx: &str) {
    assert_eq!(
        resp.status, 200,
        "{ctx}: expected 200 on a miss, headers {:?}",
        resp.headers
    );
    assert_x_cache(resp, MISS, ctx);
    // RFC 9211 §2.2: `uri-miss` and `vary-miss` are the precise kinds of `miss`.
    let cs = resp.header("cache-status").unwrap_or_default();
    let fwd_miss = cs
        .split(';')
        .map(str::trim)
        .any(|p| matches!(p, "fwd=miss" | "fwd=uri-miss" | "fwd=vary-miss"));
    assert!(
        cs.starts_with("Brink;") && fwd_miss,
        "{ctx}: Cache-Status of a miss must start with `Brink;` and contain `fwd=miss` (or uri-miss/vary-miss), got {cs:?}"
    );
}

/// Asserts the exact body bytes (printing a readable prefix on mismatch).
#[track_caller]
pub(crate) fn assert_body(resp: &Resp, expected: &[u8], ctx: &str) {
    if resp.body.as_ref() != expected {
        panic!(
            "{ctx}: body mismatch: got {} bytes {:?}..., expected {} bytes {:?}...",
            resp.body.len(),
            String::from_utf8_lossy(&resp.body[..resp.body.len().min(120)]),
            expected.len(),
            String::from_utf8_lossy(&expected[..expected.len().min(120)])
        );
    }
}

/// Asserts the origin has seen exactly `n` requests for `target`.
#[track_caller]
pub(crate) fn assert_origin_hits(origin: &TestOrigin, target: &str, n: usize, ctx: &str) {
    assert_eq!(
        origin.hits(target),
        n,
        "{ctx}: origin request count for {target}; all origin requests: {:?}",
        origin.request_lines()
    );
}

/// Awaits `fut` for at most `limit`, panicking with `what` on timeout.
pub(crate) async fn within<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// Polls `cond` every 10 ms for up to `limit`; returns whether it became true.
pub(crate) async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Deterministic pseudo-random bytes (xorshift), for large bodies and garbage input.
pub(crate) fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Formats `t` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn http_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // 1970-01-01 was a Thursday.
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekday = WEEKDAYS[(days % 7) as usize];
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{weekday}, {day:02} {} {year} {h:02}:{m:02}:{s:02} GMT",
        MONTHS[(month - 1) as usize]
    )
}

/// `http_date` of now shifted by `offset_secs` (negative = past).
pub(crate) fn http_date_from_now(offset_secs: i64) -> String {
    let now = SystemTime::now();
    let t = if offset_secs >= 0 {
        now + Duration::from_secs(offset_secs.unsigned_abs())
    } else {
        now - Duration::from_secs(offset_secs.unsigned_abs())
    };
    http_date(t)
}

#[test]
fn http_date_formats_known_instants() {
    assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(
        http_date(UNIX_EPOCH + Duration::from_secs(784_111_777)),
        "Sun, 06 Nov 1994 08:49:37 GMT"
    );
    assert_eq!(
        http_date(UNIX_EPOCH + Duration::from_secs(951_782_400)),
        "Tue, 29 Feb 2000 00:00:00 GMT"
    );
}

/// Writes a `brink edge` configuration file with a name no other test uses, and returns its
/// path (the caller removes it once the edge has read it).
pub(crate) fn write_config(text: &str) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let p = std::env::temp_dir().join(format!(
        "brink-it-config-{}-{}.json",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&p, text).expect("write config");
    p
}

/// Feeds `text` to `promtool check metrics` (Prometheus's own parser and lint rules) and
/// requires it to pass silently: exit 0 and nothing printed.
pub(crate) fn promtool_clean(text: &str) {
    use std::io::Write as _;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run promtool (scripts/test.sh installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("feed promtool");
    let out = child.wait_with_output().expect("promtool output");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool: {}\n{}\n{}\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An origin route answering ranges of `body` (single `bytes=a-b` / `bytes=a-`) with 206 and
/// `Content-Range`, everything else with 200; the ETag is `"v<version>"`.
pub(crate) fn serve_ranges(
    origin: &TestOrigin,
    path: &str,
    body: std::sync::Arc<Vec<u8>>,
    version: std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    origin.route_fn(path, move |req| {
        let etag = format!("\"v{}\"", version.load(std::sync::atomic::Ordering::SeqCst));
        let total = body.len() as u64;
        let spec = req.header("range").and_then(|r| {
            let r = r.strip_prefix("bytes=")?.to_owned();
            let (a, b) = r.split_once('-')?;
            let a: u64 = a.parse().ok()?;
            let b: u64 = if b.is_empty() {
                total - 1
            } else {
                b.parse().ok()?
            };
            (a < total).then_some((a, b.min(total - 1)))
        });
        match spec {
            Some((a, b)) => Reply::status(206, body[a as usize..=b as usize].to_vec())
                .header("content-range", &format!("bytes {a}-{b}/{total}"))
                .header("etag", &etag)
                .header("cache-control", "max-age=3600"),
            None => Reply::with_etag(&etag, body.as_ref().clone())
                .header("cache-control", "max-age=3600"),
        }
    });
}

/// A cache directory (`--cache-dir`) removed at the end of the test (unmounted first, for
/// tests that mount a small tmpfs on it).
pub(crate) struct CacheDir(pub(crate) std::path::PathBuf);

impl CacheDir {
    pub(crate) fn new(tag: &str) -> CacheDir {
        let p = std::env::temp_dir().join(format!(
            "brink-it-disk-{tag}-{}-{:x}",
            std::process::id(),
            rand_u64()
        ));
        std::fs::create_dir_all(&p).expect("create cache dir");
        CacheDir(p)
    }
    /// The path, as a command-line argument.
    pub(crate) fn arg(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for CacheDir {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).output();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    h.finish()
}

//! Access logs and metrics of the real binary under a real load: the log files are in
//! CloudFront's standard format as GoAccess reads it (`--log-format=CLOUDFRONT`, no invalid
//! line), each response's `X-Amz-Cf-Id` is its log line's request id, and `/metrics` passes
//! `promtool check metrics`. The tools come from Debian (`scripts/test.sh` installs them).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::testkit::*;

struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let p = std::env::temp_dir().join(format!("brink-it-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn require(bin: &str) {
    let ok = Command::new(bin)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        ok,
        "`{bin}` is missing: run scripts/test.sh (it installs goaccess and prometheus)"
    );
}

fn log_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Requests of every kind the log must describe: hits, misses, errors, ranges, HEAD, odd
/// characters in the path, query, user agent and referer.
async fn load(origin: &TestOrigin, edge: &Edge) -> (usize, Vec<String>) {
    origin.route(
        "/hit",
        Reply::cacheable(pseudo_random_bytes(3000, 1), "max-age=3600"),
    );
    origin.route(
        "/video.mp4",
        Reply::cacheable(pseudo_random_bytes(50_000, 2), "max-age=3600"),
    );
    origin.route("/missing", Reply::status(404, "not here"));
    origin.route("/boom", Reply::status(500, "broken"));
    origin.route_prefix("/odd/", Reply::cacheable("odd", "max-age=60"));
    let mut ids = Vec::new();
    let mut n = 0;
    let mut record = |resp: &Resp| {
        n += 1;
        if let Some(id) = resp.header("x-amz-cf-id") {
            ids.push(id);
        }
    };
    for _ in 0..5 {
        record(&edge.get("/hit").await);
    }
    for i in 0..10 {
        record(&edge.get(&format!("/miss/{i}?n={i}")).await);
    }
    record(&edge.get("/missing").await);
    record(&edge.get("/boom").await);
    record(
        &edge
            .get_with("/video.mp4", &[("range", "bytes=100-1099")])
            .await,
    );
    record(
        &edge
            .get_with("/video.mp4", &[("range", "bytes=0-9,20-29")])
            .await,
    );
    record(
        &edge
            .get_with("/video.mp4", &[("range", "bytes=999999-")])
            .await,
    );
    record(&edge.req("HEAD", "/hit").send().await);
    record(&edge.req("POST", "/hit").body("payload").send().await);
    record(
        &edge
            .get_with(
                "/odd/a%20b%22c%7Bd%7D%5E~%60%C3%A9?q=%3Cscript%3E&x=%25&y=%22",
                &[
                    (
                        "user-agent",
                        "Mozilla/5.0 (X11; \"quoted\" {braces} |pipe| ~tilde `tick` é)",
                    ),
                    ("referer", "https://example.com/a page?x=<1>"),
                    ("x-forwarded-for", "203.0.113.7"),
                ],
            )
            .await,
    );
    (n, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_of_a_real_load_is_read_by_goaccess_without_an_invalid_line() {
    require("goaccess");
    let logs = TempDir::new("logs");
    let origin = TestOrigin::start().await;
    let mut edge = Edge::start(
        &origin.url(),
        &[
            "--log-dir",
            logs.0.to_str().expect("utf-8"),
            "--pop",
            "TST1-C1",
        ],
    )
    .await;
    let (requests, ids) = load(&origin, &edge).await;
    // SIGTERM drains and flushes the log.
    edge.signal("TERM");
    assert!(
        edge.wait_exit(Duration::from_secs(15))
            .await
            .is_some_and(|s| s.success()),
        "clean exit"
    );

    let files = log_files(&logs.0);
    assert_eq!(
        files.len(),
        1,
        "one hour, one POP prefix: one file ({files:?})"
    );
    let name = files[0]
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        name.starts_with("TST1-C1.") && name.len() > "TST1-C1.YYYY-MM-DD-HH.".len(),
        "CloudFront-style name: {name}"
    );
    let text = std::fs::read_to_string(&files[0]).expect("read log");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(text.starts_with("#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip"));
    assert_eq!(lines.len(), requests, "one line per request");
    for l in &lines {
        assert_eq!(l.split('\t').count(), 33, "33 fields: {l}");
        assert!(!l.contains(' '), "spaces are encoded: {l}");
    }
    // The same id in the response, the origin request and the log.
    for id in &ids {
        assert!(
            lines
                .iter()
                .any(|l| l.split('\t').nth(14) == Some(id.as_str())),
            "{id} not logged"
        );
    }
    let odd = lines
        .iter()
        .find(|l| l.contains("/odd/"))
        .expect("odd line");
    let f: Vec<&str> = odd.split('\t').collect();
    assert_eq!(f[2], "TST1-C1");
    assert!(
        f[10].contains("%22quoted%22")
            && f[10].contains("%7Bbraces%7D")
            && f[10].contains("%60tick%60"),
        "UA encoded: {}",
        f[10]
    );
    assert_eq!(f[19], "203.0.113.7");
    let range = lines
        .iter()
        .find(|l| l.split('\t').nth(8) == Some("206"))
        .expect("a 206 line");
    let r: Vec<&str> = range.split('\t').collect();
    assert_eq!((r[31], r[32]), ("100", "1099"), "range start/end");
    assert!(lines.iter().any(|l| l.split('\t').nth(13) == Some("Hit")));
    assert!(lines.iter().any(|l| l.split('\t').nth(13) == Some("Miss")));
    assert!(lines.iter().any(|l| l.split('\t').nth(13) == Some("Error")));

    let invalid = logs.0.join("invalid.txt");
    let out = Command::new("goaccess")
        .arg(&files[0])
        .args([
            "--no-global-config",
            "--log-format=CLOUDFRONT",
            "-o",
            "json",
        ])
        .arg(format!("--invalid-requests={}", invalid.display()))
        .stdin(Stdio::null())
        .output()
        .expect("run goaccess");
    assert!(
        out.status.success(),
        "goaccess: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("goaccess JSON");
    let g = &report["general"];
    assert_eq!(
        g["failed_requests"].as_u64(),
        Some(0),
        "invalid lines: {:?}",
        std::fs::read_to_string(&invalid)
    );
    assert_eq!(g["total_requests"].as_u64(), Some(requests as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_a_load_pass_promtool() {
    require("promtool");
    let origin = TestOrigin::start().await;
    let edge = Edge::start(&origin.url(), &[]).await;
    let (requests, _) = load(&origin, &edge).await;
    let resp = Req::get(&edge.admin_url("/metrics")).send().await;
    assert_eq!(resp.status, 200);
    assert!(resp
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")));
    let text = String::from_utf8(resp.body.to_vec()).expect("utf-8 metrics");
    // Requests by result type and status: the 5 hits of /hit, HEAD and the cached range
    // answers among them.
    let hit_200: f64 = text
        .lines()
        .find(|l| {
            l.starts_with("brink_requests_total{")
                && l.contains("result=\"Hit\"")
                && l.contains("status=\"200\"")
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .expect("hit counter");
    assert!(hit_200 >= 4.0, "hits counted: {hit_200}");
    let total: f64 = text
        .lines()
        .filter(|l| l.starts_with("brink_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum();
    assert_eq!(total as usize, requests, "every request counted once");
    assert!(text.contains("brink_origin_duration_seconds_bucket"));
    assert!(text.contains("brink_cache_objects{tier=\"memory\"}"));

    promtool_clean(&text);
}

//! The `/metrics` text must be accepted by Prometheus's own checker: this test feeds
//! [`EdgeMetrics::encode`] to the real `promtool check metrics` (Debian package `prometheus`),
//! which parses the text format 0.0.4 and runs the same lint rules as `promlint` (counters end
//! in `_total`, base units, HELP text, no reserved suffixes…). It prints one line per problem
//! and exits non-zero on any, so the test requires exit status 0 *and* empty output.

mod support;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use brink_telemetry::access_log::{AccessLog, AccessLogConfig, AccessRecord, ResultType};
use brink_telemetry::metrics::{EdgeMetrics, OriginOutcome, Tier};
use support::{require_tool, TempDir};

/// Runs `promtool check metrics` on `text` via stdin; returns (success, stdout + stderr).
fn promtool_check(text: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn promtool");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("wait for promtool");
    let mut said = String::from_utf8_lossy(&out.stdout).into_owned();
    said.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), said)
}

fn assert_clean(text: &str) {
    let (ok, said) = promtool_check(text);
    assert!(
        ok && said.trim().is_empty(),
        "promtool: {said}\n--- input:\n{text}"
    );
}

#[test]
fn promtool_accepts_the_exposition() {
    if !require_tool("promtool", "--version", "prometheus") {
        return;
    }
    // The checker itself must catch a bad family, or a clean result would prove nothing.
    let (ok, said) = promtool_check(
        "# HELP brink_bad_requests Counter without _total.\n\
         # TYPE brink_bad_requests counter\nbrink_bad_requests 1\n",
    );
    assert!(
        !ok && said.contains("_total"),
        "promtool did not lint: {said}"
    );

    // Nothing recorded yet: every family with HELP/TYPE, labelled request counters absent.
    let m = EdgeMetrics::new();
    assert_clean(&m.encode());

    // Everything recorded, including the odd labels (status 000 and "other").
    for (result, status) in [
        (ResultType::Hit, 200),
        (ResultType::RefreshHit, 304),
        (ResultType::Miss, 206),
        (ResultType::Error, 0),
        (ResultType::Error, 502),
        (ResultType::Redirect, 301),
        (ResultType::LimitExceeded, 503),
        (ResultType::CapacityExceeded, 503),
        (ResultType::Error, 1000),
    ] {
        m.observe_request(result, status, 120, 4096);
    }
    // Per-distribution sets beside the unlabelled one, in the same families.
    for id in ["EDFDVBD6EXAMPLE", "E2EXAMPLEOFF"] {
        let d = m.distribution(id);
        m.observe_request_in(Some(&d), ResultType::Hit, 200, 100, 1000);
        m.observe_request_in(Some(&d), ResultType::Error, 0, 100, 0);
    }
    for (i, o) in OriginOutcome::ALL.into_iter().enumerate() {
        m.observe_origin(o, Duration::from_millis(3 * i as u64 + 1));
    }
    m.observe_origin(OriginOutcome::Ok, Duration::from_secs(45));
    m.set_cache(Tier::Memory, 123_456_789, 4321);
    m.set_cache(Tier::Disk, 9_876_543_210, 98_765);
    m.add_evictions(Tier::Disk, 17);
    m.inc_coalesced_waits();
    m.inc_disk_errors();

    // A live access log whose directory vanished: its write errors show up in the metrics.
    let tmp = TempDir::new("promtool");
    let dir = tmp.0.join("logs");
    let log = AccessLog::start(AccessLogConfig::new(&dir, "TST1")).unwrap();
    std::fs::remove_dir(&dir).unwrap();
    std::fs::write(&dir, b"not a directory").unwrap();
    assert!(m.attach_access_log(log.stats()));
    assert!(!m.attach_access_log(log.stats()), "attach only once");
    for _ in 0..3 {
        log.log(AccessRecord::default());
    }
    log.shutdown();

    let text = m.encode();
    assert!(text.contains("brink_requests_total{result=\"Error\",status=\"000\"} 1\n"));
    assert!(text.contains(
        "brink_requests_total{distribution=\"E2EXAMPLEOFF\",result=\"Hit\",status=\"200\"} 1\n"
    ));
    assert!(text.contains("brink_response_bytes_total{distribution=\"EDFDVBD6EXAMPLE\"} 1000\n"));
    assert!(
        text.contains("brink_access_log_write_errors_total 3\n"),
        "{text}"
    );
    assert!(
        text.contains("brink_origin_duration_seconds_count 2\n"),
        "{text}"
    );
    assert_clean(&text);
}

//! Brink's access logs must be readable by existing CloudFront log tooling. This test writes
//! ~200 varied records through [`AccessLog`] and has the real GoAccess (Debian package
//! `goaccess`) parse them with its built-in `CLOUDFRONT` format.
//!
//! How the assertions map to GoAccess: with `-o json` it prints a report whose `general` object
//! holds `total_requests` (data lines read; `#` header lines are not counted), `valid_requests`
//! and `failed_requests` (lines its parser rejected — the "invalid requests" of the terminal
//! UI). `--invalid-requests=FILE` writes each rejected line to FILE, which lets the test say
//! *which* lines failed. Panels (`status_codes`, `cache_status`, `hosts`, `mime_type`…) hold
//! per-value `hits` counts, used to check that columns line up with what GoAccess expects.

mod support;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use brink_telemetry::access_log::{AccessLog, AccessLogConfig, AccessRecord, ResultType};
use serde_json::Value;
use support::{require_tool, TempDir};

/// 2024-05-06 10:58:30 UTC: 200 records one second apart cross into 11:00, so two files.
const T0: u64 = 1_714_993_110;
const N: usize = 200;

fn records() -> Vec<AccessRecord> {
    let clients: [SocketAddr; 4] = [
        SocketAddr::from(([192, 0, 2, 10], 40001)),
        SocketAddr::from((Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7), 51000)),
        SocketAddr::from((Ipv4Addr::new(198, 51, 100, 23).to_ipv6_mapped(), 443)),
        SocketAddr::from(([203, 0, 113, 200], 1)),
    ];
    let paths = [
        "/index.html",
        "/caf\u{e9}/men\u{fc}.html",
        "/a b/c d.jpg",
        "/q\"uote\"/x.css",
        "/~user/tilde.js",
        "/back`tick/<angle>.png",
        "/already%20encoded/%7E.txt",
        "/[brackets]/{braces}|pipe^.json",
        "/video/big.mp4",
    ];
    let agents = [
        Some("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"),
        Some("curl/8.4.0"),
        Some("Bot\t\"quoted\" <x> #frag"),
        Some("\u{dc}n\u{ef}c\u{f6}d\u{e9}/1.0 (caf\u{e9})"),
        None,
    ];
    let queries = [
        None,
        Some("a=1&b=two words"),
        Some("x=%22y%22&z=~"),
        Some("q=caf\u{e9}"),
    ];
    let methods = [
        http::Method::GET,
        http::Method::GET,
        http::Method::HEAD,
        http::Method::POST,
        http::Method::GET,
        http::Method::OPTIONS,
        http::Method::PUT,
        http::Method::DELETE,
        http::Method::PATCH,
    ];
    // (status, result type, detailed result type)
    let outcomes = [
        (200, ResultType::Hit, "Hit"),
        (200, ResultType::Miss, "Miss"),
        (304, ResultType::RefreshHit, "RefreshHit"),
        (206, ResultType::Hit, "Hit"),
        (404, ResultType::Error, "Error"),
        (502, ResultType::Error, "OriginConnectError"),
        (0, ResultType::Error, "ClientCommError"),
        (301, ResultType::Redirect, "Redirect"),
        (403, ResultType::Error, "ClientGeoBlocked"),
        (503, ResultType::LimitExceeded, "LimitExceeded"),
        (503, ResultType::CapacityExceeded, "CapacityExceeded"),
        (504, ResultType::Error, "OriginCommError"),
    ];
    let pop: Arc<str> = Arc::from("IAD89-C1");
    (0..N)
        .map(|i| {
            let (status, result, detailed) = outcomes[i % outcomes.len()];
            let https = i % 3 != 0;
            let mut rec = AccessRecord {
                end: UNIX_EPOCH + Duration::from_secs(T0 + i as u64),
                edge_location: Arc::clone(&pop),
                sc_bytes: 300 + (i as u64) * 17,
                client: clients[i % clients.len()],
                method: methods[i % methods.len()].clone(),
                host: "d111111abcdef8.cloudfront.net".into(),
                uri_stem: paths[i % paths.len()].into(),
                status,
                referer: (i % 4 == 1).then(|| "https://example.com/a page?x=1".to_owned()),
                user_agent: agents[i % agents.len()].map(str::to_owned),
                uri_query: queries[i % queries.len()].map(str::to_owned),
                cookie: (i % 7 == 0).then(|| "session=abc; theme=\"dark\"".to_owned()),
                result_type: result,
                request_id: format!("req{i:05}-XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ=="),
                host_header: if i % 2 == 0 {
                    "www.example.com".into()
                } else {
                    "d111111abcdef8.cloudfront.net".into()
                },
                protocol: if https { "https" } else { "http" },
                cs_bytes: 80 + i as u64,
                time_taken: Duration::from_micros(500 + (i as u64) * 1_337),
                forwarded_for: (i % 5 == 0).then(|| "198.51.100.1, 203.0.113.9".to_owned()),
                ssl_protocol: https.then_some("TLSv1.3"),
                ssl_cipher: https.then_some("TLS_AES_128_GCM_SHA256"),
                response_result_type: result,
                protocol_version: ["HTTP/1.1", "HTTP/2.0", "HTTP/3.0"][i % 3],
                time_to_first_byte: Duration::from_micros(200 + i as u64),
                detailed_result_type: detailed.into(),
                content_type: (status != 0).then(|| "text/html; charset=utf-8".to_owned()),
                content_len: (status != 0).then_some(1000 + i as u64),
                ..AccessRecord::default()
            };
            if status == 206 {
                rec.content_type = Some("video/mp4".into());
                rec.range_start = Some(1024);
                rec.range_end = Some(2047);
                rec.content_len = Some(1024);
            }
            rec
        })
        .collect()
}

/// Runs goaccess on `files` with `args` and returns (parsed JSON report, rejected lines).
fn goaccess(files: &[PathBuf], tmp: &Path, args: &[&str]) -> (Value, Vec<String>) {
    let invalid = tmp.join(format!("invalid-{:08x}.txt", fastrand::u32(..)));
    let out = Command::new("goaccess")
        .args(files)
        // The global config may set its own log format; stdin is closed so goaccess does not
        // also wait for a piped log.
        .args(["--no-global-config", "-o", "json"])
        .arg(format!("--invalid-requests={}", invalid.display()))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run goaccess");
    assert!(
        out.status.success(),
        "goaccess failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "goaccess printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let rejected = std::fs::read_to_string(&invalid)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    (report, rejected)
}

fn general(report: &Value, key: &str) -> u64 {
    report["general"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("general.{key} missing in {}", report["general"]))
}

/// `panel.data[].data -> hits.count`, for one GoAccess panel.
fn panel(report: &Value, name: &str) -> BTreeMap<String, u64> {
    report[name]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("panel {name} missing"))
        .iter()
        .map(|item| {
            (
                item["data"].as_str().unwrap_or_default().to_owned(),
                item["hits"]["count"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn goaccess_parses_every_line_in_cloudfront_format() {
    if !require_tool("goaccess", "--version", "goaccess") {
        return;
    }
    let tmp = TempDir::new("goaccess");
    let recs = records();
    let viewer_left = recs.iter().filter(|r| r.status == 0).count();
    let sc_bytes: u64 = recs.iter().map(|r| r.sc_bytes).sum();
    let ranges = recs.iter().filter(|r| r.status == 206).count();
    let hits = recs
        .iter()
        .filter(|r| r.result_type == ResultType::Hit)
        .count();

    let log = AccessLog::start(AccessLogConfig {
        gzip: false,
        ..AccessLogConfig::new(&tmp.0, "IAD89-C1")
    })
    .unwrap();
    for r in recs.iter().cloned() {
        log.log(r);
    }
    let stats = log.stats();
    log.shutdown();
    assert_eq!(stats.written(), N as u64);
    assert_eq!(stats.dropped() + stats.write_errors(), 0);

    let mut files: Vec<PathBuf> = std::fs::read_dir(&tmp.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "records span two UTC hours: {files:?}");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert_eq!(line.split('\t').count(), 33, "{line}");
        }
    }

    // 1. The built-in CLOUDFRONT format, status validation relaxed. GoAccess checks statuses
    //    against 100-599 unless told otherwise, but `000` is how CloudFront (and Brink) record a
    //    viewer that left before the response (cloudfront.md §9), so it is a valid line here.
    //    Every line must parse: failed_requests == 0 and valid_requests == all of them.
    let (report, rejected) = goaccess(
        &files,
        &tmp.0,
        &["--log-format=CLOUDFRONT", "--no-strict-status"],
    );
    assert_eq!(rejected, Vec::<String>::new(), "lines goaccess rejected");
    assert_eq!(general(&report, "failed_requests"), 0);
    assert_eq!(general(&report, "total_requests"), N as u64);
    assert_eq!(general(&report, "valid_requests"), N as u64);
    // sc-bytes (field 4) summed by GoAccess: the byte column is where it expects it.
    assert_eq!(general(&report, "bandwidth"), sc_bytes);
    // The viewer addresses (field 5), IPv6 included, and the 206 responses (field 9).
    let hosts = panel(&report, "hosts");
    assert_eq!(hosts.get("2001:db8::7"), Some(&(N as u64 / 4)), "{hosts:?}");
    assert_eq!(
        hosts.get("198.51.100.23"),
        Some(&(N as u64 / 4)),
        "{hosts:?}"
    );
    let codes: u64 = report["status_codes"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|group| group["items"].as_array().cloned().unwrap_or_default())
        .filter(|item| item["data"].as_str().is_some_and(|s| s.starts_with("206")))
        .map(|item| item["hits"]["count"].as_u64().unwrap_or_default())
        .sum();
    assert_eq!(codes, ranges as u64);
    // x-edge-result-type (field 14) is GoAccess's cache-status column.
    let cache = panel(&report, "cache_status");
    assert_eq!(
        cache
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("hit"))
            .map(|(_, v)| *v)
            .sum::<u64>(),
        hits as u64,
        "{cache:?}"
    );

    // 2. Strict status validation: the `000` lines, and only those, are rejected. This shows
    //    the relaxation above hides nothing else.
    let (report, rejected) = goaccess(&files, &tmp.0, &["--log-format=CLOUDFRONT"]);
    assert_eq!(general(&report, "failed_requests"), viewer_left as u64);
    assert_eq!(rejected.len(), viewer_left);
    assert!(rejected.iter().all(|l| l.split('\t').nth(8) == Some("000")));

    // 3. GoAccess's CLOUDFRONT format stops reading after field 24; a format spelled out to
    //    field 33 checks the later columns too: sc-content-type (field 30) must land in the
    //    MIME-type panel.
    let full = [
        "%d", "%t", "%^", "%b", "%h", "%m", "%v", "%U", "%s", "%R", "%u", "%q", "%^", "%C", "%^",
        "%^", "%^", "%^", "%T", "%^", "%K", "%k", "%^", "%H", "%^", "%^", "%^", "%^", "%^", "%M",
        "%^", "%^", "%^",
    ]
    .join("\t");
    let (report, rejected) = goaccess(
        &files,
        &tmp.0,
        &[
            &format!("--log-format={full}"),
            "--date-format=%Y-%m-%d",
            "--time-format=%H:%M:%S",
            "--no-strict-status",
        ],
    );
    assert_eq!(rejected, Vec::<String>::new());
    assert_eq!(general(&report, "failed_requests"), 0);
    assert_eq!(general(&report, "valid_requests"), N as u64);
    let mime = panel(&report, "mime_type");
    assert_eq!(
        mime.values().sum::<u64>(),
        recs.iter().filter(|r| r.content_type.is_some()).count() as u64,
        "{mime:?}"
    );
}

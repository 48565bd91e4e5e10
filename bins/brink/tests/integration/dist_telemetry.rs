//! Telemetry per distribution (`brink edge`): a real load through two distributions is
//! counted apart in `/metrics` (label `distribution`, `promtool check metrics` clean) and
//! logged apart, one file set per distribution id, with `cs(Host)` the distribution's own
//! domain name and `x-host-header` the Host the viewer sent (cloudfront.md §9). The default
//! 33-field format still reads in GoAccess; `--log-fields` chooses CloudFront v2 fields
//! (`DistributionId`, `cache-behavior-path-pattern`) with a matching `#Fields:` header.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::testkit::*;

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ONE: &str = "E1ONEEXAMPLE";
const ONE_DOMAIN: &str = "d111111abcdef8.cloudfront.net";
const TWO: &str = "E2TWOEXAMPLE";
const TWO_DOMAIN: &str = "d222222abcdef8.cloudfront.net";

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

/// Two distributions on one origin. ONE (alias `www.one.test`): default behavior cached,
/// `/api/*` not cached, `/secure/*` redirect-to-https. TWO (alias `two.test`): default only.
fn config(origin_port: u16) -> String {
    let origin = format!(
        r#"{{"Quantity": 1, "Items": [{{"Id": "o", "DomainName": "127.0.0.1",
            "CustomOriginConfig": {{"HTTPPort": {origin_port}, "HTTPSPort": 443,
            "OriginProtocolPolicy": "http-only"}}}}]}}"#
    );
    let behavior = |pattern: &str, policy: &str, viewer: &str| {
        format!(
            r#"{{"PathPattern": "{pattern}", "TargetOriginId": "o",
                "ViewerProtocolPolicy": "{viewer}", "CachePolicyId": "{policy}"}}"#
        )
    };
    format!(
        r#"{{"Distributions": [
        {{"Id": "{ONE}", "DomainName": "{ONE_DOMAIN}", "DistributionConfig": {{
            "CallerReference": "one", "Comment": "", "Enabled": true,
            "Aliases": {{"Quantity": 1, "Items": ["www.one.test"]}},
            "Origins": {origin},
            "DefaultCacheBehavior": {{"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "{CACHING_OPTIMIZED}"}},
            "CacheBehaviors": {{"Quantity": 2, "Items": [{}, {}]}}
        }}}},
        {{"Id": "{TWO}", "DomainName": "{TWO_DOMAIN}", "DistributionConfig": {{
            "CallerReference": "two", "Comment": "", "Enabled": true,
            "Aliases": {{"Quantity": 1, "Items": ["two.test"]}},
            "Origins": {origin},
            "DefaultCacheBehavior": {{"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "{CACHING_OPTIMIZED}"}}
        }}}}
    ]}}"#,
        behavior("/api/*", CACHING_DISABLED, "allow-all"),
        behavior("/secure/*", CACHING_OPTIMIZED, "redirect-to-https"),
    )
}

async fn start(origin: &TestOrigin, logs: &Path, extra: &[&str]) -> Edge {
    let dir = TempDir::new("dist-telemetry-config");
    let path = dir.0.join("edge.json");
    std::fs::write(&path, config(origin.port())).expect("write config");
    let mut args = vec![
        "--log-dir",
        logs.to_str().expect("utf-8"),
        "--pop",
        "TST2-C1",
    ];
    args.extend_from_slice(extra);
    Edge::start_distributions(&path, &args).await
}

async fn get(edge: &Edge, host: &str, path: &str) -> Resp {
    edge.get_with(path, &[("host", host)]).await
}

/// Stops the edge (SIGTERM flushes the log) and returns (file name, text) of each log file.
async fn stop_and_read_logs(mut edge: Edge, logs: &Path) -> Vec<(String, String)> {
    edge.signal("TERM");
    assert!(
        edge.wait_exit(Duration::from_secs(15))
            .await
            .is_some_and(|s| s.success()),
        "clean exit"
    );
    let mut files: Vec<(String, String)> = std::fs::read_dir(logs)
        .expect("log dir")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("read log"),
            )
        })
        .collect();
    files.sort();
    files
}

/// The one log file whose name starts with `prefix.`.
fn file_of<'a>(files: &'a [(String, String)], prefix: &str) -> &'a str {
    let of: Vec<&(String, String)> = files
        .iter()
        .filter(|(n, _)| n.starts_with(&format!("{prefix}.")))
        .collect();
    assert_eq!(of.len(), 1, "one file for {prefix}: {files:?}");
    &of[0].1
}

fn data_lines(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect()
}

/// The value of one sample line of the metrics text.
fn sample(text: &str, name_and_labels: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.rsplit_once(' ')?;
        (k == name_and_labels).then(|| v.parse().expect("integer sample"))
    })
}

/// The sum of `brink_requests_total` samples with exactly this distribution label (`None`:
/// without one).
fn requests_of(text: &str, distribution: Option<&str>) -> u64 {
    text.lines()
        .filter(|l| l.starts_with("brink_requests_total{"))
        .filter(|l| match distribution {
            Some(d) => l.contains(&format!("{{distribution=\"{d}\",")),
            None => !l.contains("distribution="),
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_distributions_are_counted_and_logged_apart() {
    let origin = TestOrigin::start().await;
    origin.route("/page", Reply::cacheable("page-one", "max-age=3600"));
    origin.route("/other", Reply::cacheable("page-two", "max-age=3600"));
    origin.route("/api/x", Reply::ok("api"));
    let logs = TempDir::new("dist-telemetry-logs");
    let edge = start(&origin, &logs.0, &[]).await;

    // ONE: 5 × /page by its domain name (1 miss, 4 hits), 3 × /api/x by its alias (misses,
    // not cached), 1 redirect. TWO: 4 × /other by its alias (1 miss, 3 hits). Two requests for
    // an unknown host belong to no distribution.
    for i in 0..5 {
        let r = get(&edge, ONE_DOMAIN, "/page").await;
        assert_body(&r, b"page-one", "ONE /page");
        if i > 0 {
            assert_hit(&r, "ONE /page again");
        }
    }
    for _ in 0..3 {
        assert_body(
            &get(&edge, "www.one.test", "/api/x").await,
            b"api",
            "ONE /api/x",
        );
    }
    assert_eq!(get(&edge, "www.one.test", "/secure/s").await.status, 301);
    for i in 0..4 {
        let r = get(&edge, "two.test", "/other").await;
        assert_body(&r, b"page-two", "TWO /other");
        if i > 0 {
            assert_hit(&r, "TWO /other again");
        }
    }
    for _ in 0..2 {
        assert_eq!(get(&edge, "nobody.test", "/page").await.status, 403);
    }
    assert_origin_hits(&origin, "/page", 1, "ONE cached /page");
    assert_origin_hits(&origin, "/other", 1, "TWO cached /other");
    assert_origin_hits(&origin, "/api/x", 3, "/api/* is not cached");

    let metrics = Req::get(&edge.admin_url("/metrics")).send().await;
    assert_eq!(metrics.status, 200);
    let text = String::from_utf8(metrics.body.to_vec()).expect("utf-8 metrics");
    assert_eq!(requests_of(&text, Some(ONE)), 9, "{text}");
    assert_eq!(requests_of(&text, Some(TWO)), 4, "{text}");
    assert_eq!(requests_of(&text, None), 2, "unknown hosts: {text}");
    let at = |labels: &str| sample(&text, &format!("brink_requests_total{{{labels}}}"));
    let one = format!("distribution=\"{ONE}\"");
    let two = format!("distribution=\"{TWO}\"");
    assert_eq!(at(&format!("{one},result=\"Hit\",status=\"200\"")), Some(4));
    assert_eq!(
        at(&format!("{one},result=\"Miss\",status=\"200\"")),
        Some(4)
    );
    assert_eq!(
        at(&format!("{one},result=\"Redirect\",status=\"301\"")),
        Some(1)
    );
    assert_eq!(at(&format!("{two},result=\"Hit\",status=\"200\"")), Some(3));
    assert_eq!(
        at(&format!("{two},result=\"Miss\",status=\"200\"")),
        Some(1)
    );
    assert_eq!(at("result=\"Error\",status=\"403\""), Some(2));
    for family in ["brink_request_bytes_total", "brink_response_bytes_total"] {
        let one_bytes = sample(&text, &format!("{family}{{{one}}}")).unwrap_or(0);
        let two_bytes = sample(&text, &format!("{family}{{{two}}}")).unwrap_or(0);
        assert!(one_bytes > two_bytes && two_bytes > 0, "{family}: {text}");
    }
    promtool_clean(&text);

    let files = stop_and_read_logs(edge, &logs.0).await;
    assert_eq!(files.len(), 3, "ONE, TWO and the POP's own file: {files:?}");
    let one_text = file_of(&files, ONE);
    assert!(one_text.starts_with(
        "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
    ));
    let one_lines = data_lines(one_text);
    assert_eq!(one_lines.len(), 9, "{one_text}");
    for f in &one_lines {
        assert_eq!(f.len(), 33, "{f:?}");
        assert_eq!(f[6], ONE_DOMAIN, "cs(Host) is the distribution's name");
    }
    let hosts = |lines: &[Vec<&str>], host: &str| lines.iter().filter(|f| f[15] == host).count();
    assert_eq!(hosts(&one_lines, ONE_DOMAIN), 5, "x-host-header as sent");
    assert_eq!(
        hosts(&one_lines, "www.one.test"),
        4,
        "x-host-header as sent"
    );
    assert!(one_lines
        .iter()
        .any(|f| f[7] == "/secure/s" && f[8] == "301" && f[13] == "Redirect"));
    let two_lines = data_lines(file_of(&files, TWO));
    assert_eq!(two_lines.len(), 4);
    assert!(two_lines
        .iter()
        .all(|f| f[6] == TWO_DOMAIN && f[15] == "two.test"));
    let pop_lines = data_lines(file_of(&files, "TST2-C1"));
    assert_eq!(pop_lines.len(), 2);
    assert!(
        pop_lines
            .iter()
            .all(|f| f[6] == "nobody.test" && f[8] == "403"),
        "no distribution: the Host stands in for cs(Host): {pop_lines:?}"
    );

    // GoAccess still reads the default format of a distribution's file.
    let path = logs.0.join("one.log");
    std::fs::write(&path, one_text).expect("copy log");
    let out = Command::new("goaccess")
        .arg(&path)
        .args([
            "--no-global-config",
            "--log-format=CLOUDFRONT",
            "-o",
            "json",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run goaccess (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "goaccess: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("goaccess JSON");
    assert_eq!(report["general"]["failed_requests"].as_u64(), Some(0));
    assert_eq!(report["general"]["total_requests"].as_u64(), Some(9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_fields_add_the_distribution_and_the_behavior() {
    let origin = TestOrigin::start().await;
    origin.route("/page", Reply::cacheable("page-one", "max-age=3600"));
    origin.route("/api/x", Reply::ok("api"));
    let logs = TempDir::new("dist-telemetry-fields");
    let fields = "date,time,DistributionId,cs(Host),x-host-header,cs-uri-stem,sc-status,\
                  x-edge-result-type,cache-behavior-path-pattern";
    let edge = start(&origin, &logs.0, &["--log-fields", fields]).await;
    assert_eq!(get(&edge, "www.one.test", "/page").await.status, 200);
    assert_eq!(get(&edge, "www.one.test", "/api/x").await.status, 200);
    // Refused by the behavior's allowed methods: still the distribution's, with its pattern.
    assert_eq!(
        edge.req("DELETE", "/api/y")
            .header("host", ONE_DOMAIN)
            .send()
            .await
            .status,
        403
    );
    assert_eq!(get(&edge, "two.test", "/page").await.status, 200);

    let files = stop_and_read_logs(edge, &logs.0).await;
    let header = format!("#Version: 1.0\n#Fields: {}\n", fields.replace(',', " "));
    let one = file_of(&files, ONE);
    assert!(one.starts_with(&header), "{one}");
    let rows: Vec<String> = data_lines(one)
        .iter()
        .map(|f| {
            assert_eq!(f.len(), 9, "{f:?}");
            f[2..].join(" ")
        })
        .collect();
    assert_eq!(
        rows,
        [
            format!("{ONE} {ONE_DOMAIN} www.one.test /page 200 Miss *"),
            format!("{ONE} {ONE_DOMAIN} www.one.test /api/x 200 Miss /api/*"),
            format!("{ONE} {ONE_DOMAIN} {ONE_DOMAIN} /api/y 403 Error /api/*"),
        ]
    );
    let two = file_of(&files, TWO);
    assert!(two.starts_with(&header), "{two}");
    assert_eq!(
        data_lines(two)
            .iter()
            .map(|f| f[2..].join(" "))
            .collect::<Vec<_>>(),
        [format!("{TWO} {TWO_DOMAIN} two.test /page 200 Miss *")]
    );
}

#[test]
fn an_unknown_log_field_is_a_configuration_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "serve",
            "--origin",
            "http://127.0.0.1:9",
            "--listen",
            "127.0.0.1:0",
            "--log-dir",
            "/tmp",
            "--log-fields",
            "date,time,distribution-id",
        ])
        .output()
        .expect("run brink");
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--log-fields")
            && err.contains("\"distribution-id\"")
            && err.contains("DistributionId"),
        "{err}"
    );
}

//! `brink serve --forward-headers none|all|NAME,NAME…`: which viewer headers reach the origin
//! on cacheable requests, and (with `all`) the origin's `Vary` selecting variants as a plain
//! RFC 9111 cache does (§4.1).

use std::process::Command;

use crate::testkit::*;

/// Headers a viewer sends in these tests: the default allow-list's, a custom one, cookies.
const VIEWER: [(&str, &str); 6] = [
    ("x-foo", "one"),
    ("x-tenant", "acme"),
    ("accept", "text/plain"),
    ("accept-language", "fr"),
    ("cookie", "sid=1"),
    ("user-agent", "curl-ish/1"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_forwards_every_end_to_end_header_and_vary_selects_variants() {
    let (origin, edge) = start(&["--forward-headers", "all"]).await;
    origin.route_fn("/v", |req| {
        let foo = req.header("x-foo").unwrap_or_else(|| "none".to_owned());
        Reply::cacheable(format!("foo={foo}"), "max-age=60").header("vary", "X-Foo")
    });
    let mut headers = VIEWER.to_vec();
    headers.push(("connection", "keep-alive, x-hop"));
    headers.push(("x-hop", "must not pass"));
    headers.push(("range", "bytes=0-1"));
    let resp = edge.get_with("/v", &headers).await;
    assert_x_cache(&resp, "Miss from cloudfront", "first x-foo=one");
    assert_eq!(
        resp.status, 206,
        "the edge cuts the range from the whole object"
    );
    assert_body(&resp, b"fo", "bytes 0-1 of foo=one");
    let seen = origin.expect_last("/v");
    for (name, value) in VIEWER {
        assert_eq!(
            seen.header(name).as_deref(),
            Some(value),
            "{name} forwarded"
        );
    }
    assert!(!seen.has("x-hop"), "a field Connection names is hop-by-hop");
    assert_eq!(
        seen.header("range").as_deref(),
        Some("bytes=0-1048575"),
        "the fill asks the aligned slice, not the viewer's range"
    );
    assert_eq!(
        seen.header("host"),
        Some(origin.authority()),
        "Host is the origin's"
    );
    assert!(
        seen.has("x-amz-cf-id"),
        "the edge's own headers are still added"
    );

    let two = edge.get_with("/v", &[("x-foo", "two")]).await;
    assert_miss(&two, "x-foo=two is another variant");
    assert_body(&two, b"foo=two", "second variant");
    assert_origin_hits(&origin, "/v", 2, "two variants, two fetches");
    for foo in ["one", "two", "one"] {
        let resp = edge.get_with("/v", &[("x-foo", foo)]).await;
        assert_hit(&resp, &format!("repeated x-foo={foo}"));
        assert_body(&resp, format!("foo={foo}").as_bytes(), foo);
    }
    assert_origin_hits(&origin, "/v", 2, "each variant is a hit afterwards");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn none_forwards_no_viewer_header() {
    let (origin, edge) = start(&["--forward-headers", "none"]).await;
    origin.route("/n", Reply::cacheable("n", "max-age=60"));
    let mut headers = VIEWER.to_vec();
    headers.push(("authorization", "Bearer x"));
    headers.push(("accept-encoding", "gzip"));
    let resp = edge.get_with("/n", &headers).await;
    assert_miss(&resp, "first");
    let seen = origin.expect_last("/n");
    for name in [
        "x-foo",
        "x-tenant",
        "accept",
        "accept-language",
        "cookie",
        "authorization",
        "accept-encoding",
    ] {
        assert!(!seen.has(name), "{name} must not be forwarded with none");
    }
    assert_eq!(
        seen.header("user-agent").as_deref(),
        Some("Amazon CloudFront"),
        "the viewer's User-Agent is replaced"
    );
    assert_hit(&edge.get_with("/n", &headers).await, "second");
    assert_origin_hits(&origin, "/n", 1, "one fetch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_forwards_exactly_those_headers() {
    let (origin, edge) = start(&["--forward-headers", "X-Foo,User-Agent"]).await;
    origin.route("/l", Reply::cacheable("l", "max-age=60"));
    let resp = edge.get_with("/l", &VIEWER).await;
    assert_miss(&resp, "first");
    let seen = origin.expect_last("/l");
    assert_eq!(seen.header("x-foo").as_deref(), Some("one"), "listed");
    assert_eq!(
        seen.header("user-agent").as_deref(),
        Some("curl-ish/1"),
        "listed User-Agent is the viewer's"
    );
    for name in ["x-tenant", "accept", "accept-language", "cookie"] {
        assert!(!seen.has(name), "{name} is not listed");
    }
}

#[test]
fn invalid_values_are_config_errors_naming_the_flag() {
    for bad in ["", "x foo", "host", "range", "x-foo,,accept"] {
        let out = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--origin",
                "http://127.0.0.1:1",
                "--forward-headers",
                bad,
            ])
            .output()
            .expect("run brink serve");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {stderr}");
        assert!(stderr.contains("--forward-headers"), "{bad:?}: {stderr}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("brink ready"),
            "never started"
        );
    }
}

/// Under `brink edge` the behaviors' origin request policies choose the headers.
#[test]
fn brink_edge_refuses_forward_headers() {
    let config = serde_json::json!({
        "Distributions": [{
            "Id": "EFWDHDR1",
            "DomainName": "dfwdhdr1example.cloudfront.net",
            "DistributionConfig": {
                "CallerReference": "forward-headers",
                "Comment": "",
                "Enabled": true,
                "Origins": { "Quantity": 1, "Items": [{
                    "Id": "web",
                    "DomainName": "127.0.0.1",
                    "CustomOriginConfig": {
                        "HTTPPort": 8080,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "http-only"
                    }
                }]},
                "DefaultCacheBehavior": {
                    "TargetOriginId": "web",
                    "ViewerProtocolPolicy": "allow-all",
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"
                }
            }
        }]
    });
    let path = write_config(&config.to_string());
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(["edge", "--check", "--config"])
            .arg(&path)
            .args(extra)
            .output()
            .expect("run brink edge")
    };
    let ok = run(&[]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "the file itself is valid: {ok:?}"
    );
    let out = run(&["--forward-headers", "all"]);
    let _ = std::fs::remove_file(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("--forward-headers"), "{stderr}");
}

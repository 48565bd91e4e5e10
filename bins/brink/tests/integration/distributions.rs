//! `brink edge --config FILE`: distributions chosen by `Host` (domain name or alias),
//! behaviors by path pattern, each with its own origin, `OriginPath`, custom headers, cache
//! policy (TTLs, query strings in the key) and viewer rules (protocol policy, allowed
//! methods, default root object); unknown hosts and disabled distributions get 403; a broken
//! file is refused with CloudFront's error codes and field paths.

use crate::testkit::*;

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

/// The example file (`examples/edge/two-distributions.json`, origins on ports 8080 and 8081),
/// pointed at the test origins.
fn config(web_port: u16, api_port: u16) -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/edge/two-distributions.json"
    ))
    .expect("example config")
    .replace("\"HTTPPort\": 8080", &format!("\"HTTPPort\": {web_port}"))
    .replace("\"HTTPPort\": 8081", &format!("\"HTTPPort\": {api_port}"))
}

async fn start() -> (TestOrigin, TestOrigin, Edge) {
    let web = TestOrigin::start().await;
    let api = TestOrigin::start().await;
    let edge = Edge::start_config(&config(web.port(), api.port()), &[]).await;
    (web, api, edge)
}

async fn get(edge: &Edge, host: &str, path: &str) -> Resp {
    edge.get_with(path, &[("host", host)]).await
}

#[tokio::test]
async fn the_example_file_is_valid() {
    let text = config(8080, 8081);
    let file = brink_model::EdgeFile::from_json(&text).expect("parse");
    let model = brink_model::validate(&file).expect("valid");
    assert_eq!(model.distributions().len(), 2);
}

#[tokio::test]
async fn default_behavior_uses_root_object_origin_path_custom_headers_and_caches() {
    let (web, _api, edge) = start().await;
    web.route("/site/index.html", Reply::ok("home"));
    let r = get(&edge, "a.test", "/").await;
    assert_eq!(r.status, 200, "{:?}", r.headers);
    assert_body(&r, b"home", "root object");
    assert_miss(&r, "first");
    let seen = web
        .last_request("/site/index.html")
        .expect("origin got the root object");
    assert_eq!(
        seen.headers.get("x-origin-secret").map(|v| v.as_bytes()),
        Some(&b"s3cr3t"[..])
    );
    assert_eq!(
        seen.headers.get("host").map(|v| v.as_bytes()),
        Some(web.authority().as_bytes())
    );
    let r = get(&edge, "www.a.test", "/").await;
    assert_hit(
        &r,
        "the alias reaches the same distribution and the same object",
    );
    assert_origin_hits(&web, "/site/index.html", 1, "one fill");
}

#[tokio::test]
async fn the_cache_policy_decides_the_key_and_what_is_forwarded() {
    let (web, _api, edge) = start().await;
    web.route("/site/page", Reply::ok("page"));
    let r = get(&edge, "a.test", "/page?a=1").await;
    assert_miss(&r, "first");
    // CachingOptimized keys and forwards no query string: another query is a hit, and the
    // origin saw the path alone.
    let r = get(&edge, "a.test", "/page?a=2").await;
    assert_hit(&r, "other query");
    assert_origin_hits(&web, "/site/page", 1, "query not in the key");
}

#[tokio::test]
async fn behaviors_route_by_path_pattern_to_their_origin_and_ttls() {
    let (web, api, edge) = start().await;
    api.route("/api/users", Reply::cacheable("users", "max-age=3600"));
    for _ in 0..2 {
        let r = get(&edge, "a.test", "/api/users").await;
        assert_body(&r, b"users", "api");
        // CachingDisabled: the request goes straight through (RFC 9211 `fwd=request`).
        assert_x_cache(&r, "Miss from cloudfront", "CachingDisabled");
    }
    assert_origin_hits(&api, "/api/users", 2, "CachingDisabled never stores");
    assert_eq!(web.total(), 0, "the web origin saw nothing");
    // Writes are allowed on /api/*: they pass through with their body.
    api.route("/api/users", Reply::ok("created"));
    let r = edge
        .req("POST", "/api/users")
        .header("host", "a.test")
        .body("new")
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        api.last_request("/api/users").map(|q| q.body.to_vec()),
        Some(b"new".to_vec())
    );
}

#[tokio::test]
async fn viewer_rules_refuse_or_redirect() {
    let (web, _api, edge) = start().await;
    // GET/HEAD only on the default behavior.
    let r = edge
        .req("POST", "/form")
        .header("host", "a.test")
        .body("x")
        .send()
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-cache").as_deref(),
        Some("Error from cloudfront")
    );
    // redirect-to-https on /secure/*.
    let r = get(&edge, "a.test", "/secure/login?next=%2F").await;
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location").as_deref(),
        Some("https://a.test/secure/login?next=%2F")
    );
    assert_eq!(
        r.header("x-cache").as_deref(),
        Some("Redirect from cloudfront")
    );
    // Unknown host, disabled distribution.
    for host in ["nobody.test", "b.test"] {
        let r = get(&edge, host, "/").await;
        assert_eq!(r.status, 403, "{host}");
        assert!(String::from_utf8_lossy(&r.body).contains("The request could not be satisfied"));
    }
    assert_eq!(web.total(), 0, "none of these reached an origin");
}

#[tokio::test]
async fn a_broken_file_is_refused_with_codes_and_paths() {
    let text = config(8080, 8081)
        .replace(
            "\"TargetOriginId\": \"api\"",
            "\"TargetOriginId\": \"nowhere\"",
        )
        .replace(
            "\"DefaultRootObject\": \"index.html\"",
            "\"DefaultRootObject\": \"/index.html\"",
        );
    let path = write_config(&text);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "edge",
            "--config",
            path.to_str().expect("utf-8"),
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .expect("run brink edge");
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(64), "config errors exit 64");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("NoSuchOrigin") && err.contains("CacheBehaviors.Items[0].TargetOriginId"),
        "{err}"
    );
    assert!(
        err.contains("InvalidDefaultRootObject"),
        "both problems reported at once: {err}"
    );
}

#[test]
fn managed_policy_ids_are_the_real_ones() {
    assert!(config(1, 2).contains(CACHING_OPTIMIZED) && config(1, 2).contains(CACHING_DISABLED));
}

#[tokio::test]
async fn access_logs_are_filed_per_distribution() {
    let web = TestOrigin::start().await;
    let api = TestOrigin::start().await;
    web.route("/site/index.html", Reply::ok("home"));
    let path = write_config(&config(web.port(), api.port()));
    let logs = std::env::temp_dir().join(format!("brink-it-dist-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&logs);
    let mut edge =
        Edge::start_distributions(&path, &["--log-dir", logs.to_str().expect("utf-8")]).await;
    let _ = std::fs::remove_file(&path);
    assert_eq!(get(&edge, "a.test", "/").await.status, 200);
    edge.signal("TERM");
    assert!(edge
        .wait_exit(std::time::Duration::from_secs(15))
        .await
        .is_some_and(|s| s.success()));
    let names: Vec<String> = std::fs::read_dir(&logs)
        .expect("log dir")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    let _ = std::fs::remove_dir_all(&logs);
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("EDFDVBD6EXAMPLE.") && !n.ends_with(".gz")),
        "a file named after the distribution id: {names:?}"
    );
}

/// One distribution whose default behavior targets a group of `primary` then `secondary`.
fn group_config(primary_port: u16, secondary_port: u16) -> String {
    let origin = |id: &str, port: u16| {
        format!(
            r#"{{"Id": "{id}", "DomainName": "127.0.0.1", "CustomOriginConfig": {{"HTTPPort": {port}, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}, "ConnectionAttempts": 1, "ConnectionTimeout": 1}}"#
        )
    };
    format!(
        r#"{{"Distributions": [{{"Id": "EGROUPEXAMPLE", "DomainName": "g.test", "DistributionConfig": {{
            "CallerReference": "group", "Comment": "", "Enabled": true,
            "Origins": {{"Quantity": 2, "Items": [{}, {}]}},
            "OriginGroups": {{"Quantity": 1, "Items": [{{"Id": "pair",
                "FailoverCriteria": {{"StatusCodes": {{"Quantity": 2, "Items": [500, 503]}}}},
                "Members": {{"Quantity": 2, "Items": [{{"OriginId": "one"}}, {{"OriginId": "two"}}]}}}}]}},
            "DefaultCacheBehavior": {{"TargetOriginId": "pair", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "{CACHING_OPTIMIZED}"}}}}}}]}}"#,
        origin("one", primary_port),
        origin("two", secondary_port)
    )
}

#[tokio::test]
async fn origin_groups_fail_over_on_listed_statuses_and_refused_connections() {
    let primary = TestOrigin::start().await;
    let secondary = TestOrigin::start().await;
    primary.route("/ok", Reply::cacheable("from primary", "max-age=60"));
    primary.route("/broken", Reply::status(503, "down"));
    primary.route("/missing", Reply::status(404, "no"));
    secondary.route("/broken", Reply::cacheable("from secondary", "max-age=60"));
    secondary.route(
        "/missing",
        Reply::cacheable("secondary 404 path", "max-age=60"),
    );
    secondary.route(
        "/gone",
        Reply::cacheable("secondary after refusal", "max-age=60"),
    );
    let edge = Edge::start_config(&group_config(primary.port(), secondary.port()), &[]).await;

    let r = get(&edge, "g.test", "/ok").await;
    assert_body(&r, b"from primary", "the primary answers first");
    assert_eq!(secondary.total(), 0);
    let r = get(&edge, "g.test", "/broken").await;
    assert_body(&r, b"from secondary", "503 is a failover status");
    assert_origin_hits(&primary, "/broken", 1, "tried the primary first");
    let r = get(&edge, "g.test", "/missing").await;
    assert_eq!(
        r.status, 404,
        "404 is not listed: the primary's answer stands"
    );
    assert_eq!(secondary.hits("/missing"), 0);
    // The primary goes away: connections are refused, the secondary answers.
    primary.shutdown();
    let r = get(&edge, "g.test", "/gone").await;
    assert_body(&r, b"secondary after refusal", "connect failure fails over");
}

#[tokio::test]
async fn custom_error_responses_serve_the_spa_shell_and_cache_the_error_for_its_ttl() {
    let (web, _api, edge) = start().await;
    web.route(
        "/site/index.html",
        Reply::cacheable("spa shell", "max-age=60"),
    );
    web.route("/site/app/deep/link", Reply::status(404, "not a file"));
    let r = get(&edge, "a.test", "/app/deep/link").await;
    assert_eq!(r.status, 200, "404 → /index.html with 200");
    assert_body(&r, b"spa shell", "the SPA shell");
    assert_origin_hits(&web, "/site/app/deep/link", 1, "the path was tried first");
    // ErrorCachingMinTTL 300 for 404: still cached 100 s later (the default is 10 s).
    edge.advance_clock(100).await;
    let r = get(&edge, "a.test", "/app/deep/link").await;
    assert_body(&r, b"spa shell", "again");
    assert_origin_hits(
        &web,
        "/site/app/deep/link",
        1,
        "the 404 was cached for its own TTL",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_reloads_on_sighup_and_on_change_and_refuses_a_broken_one() {
    let web1 = TestOrigin::start().await;
    let web2 = TestOrigin::start().await;
    let api = TestOrigin::start().await;
    for (o, body) in [(&web1, "one"), (&web2, "two")] {
        o.route_prefix("/site/", Reply::cacheable(body, "max-age=60"));
    }
    let path = write_config(&config(web1.port(), api.port()));
    let edge = Edge::start_distributions(&path, &[]).await;
    assert_body(
        &get(&edge, "a.test", "/r1").await,
        b"one",
        "before any reload",
    );

    // SIGHUP after pointing the web origin elsewhere: new requests go there.
    std::fs::write(&path, config(web2.port(), api.port())).expect("rewrite config");
    edge.signal("HUP");
    let mut i = 0;
    let mut switched = false;
    for _ in 0..200 {
        i += 1;
        if get(&edge, "a.test", &format!("/r2-{i}")).await.body == b"two"[..] {
            switched = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(switched, "SIGHUP reload took effect");
    // The cache survived: /r1 is still a hit with the old origin's bytes.
    let r = get(&edge, "a.test", "/r1").await;
    assert_hit(&r, "cached before the reload");
    assert_body(&r, b"one", "same object");

    // A broken file is refused, the running configuration stays.
    std::fs::write(&path, "{\"Distributions\": [{\"Id\": \"X\"}]}").expect("break config");
    edge.signal("HUP");
    assert!(
        eventually(std::time::Duration::from_secs(5), || edge
            .stderr()
            .contains("configuration reload refused"))
        .await,
        "the refusal is logged"
    );
    assert_body(
        &get(&edge, "a.test", "/r3").await,
        b"two",
        "still served by the running configuration",
    );

    // A change to the file alone (no signal) is picked up too.
    std::fs::write(&path, config(web1.port(), api.port())).expect("rewrite config");
    let mut switched = false;
    for _ in 0..200 {
        i += 1;
        if get(&edge, "a.test", &format!("/r4-{i}")).await.body == b"one"[..] {
            switched = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = std::fs::remove_file(&path);
    assert!(switched, "the file change was picked up");
}

#[tokio::test]
async fn a_response_headers_policy_adds_cors_and_security_headers_and_answers_preflights() {
    let (web, _api, edge) = start().await;
    web.route(
        "/site/cors/data.json",
        Reply::cacheable("{}", "max-age=60")
            .header("x-frame-options", "DENY")
            .header("x-content-type-options", "sniff-please"),
    );
    let r = edge
        .get_with(
            "/cors/data.json",
            &[("host", "a.test"), ("origin", "https://app.example")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    // The managed SecurityHeadersPolicy overrides only X-Content-Type-Options; the others are
    // added when the origin sent none and left alone otherwise.
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "override"
    );
    assert_eq!(
        r.header("x-frame-options").as_deref(),
        Some("DENY"),
        "the origin's kept"
    );
    assert!(
        r.header("strict-transport-security")
            .is_some_and(|v| v.contains("max-age=31536000")),
        "added"
    );
    // Applied after the cache: a hit for another origin gets its own CORS answer.
    let r = edge
        .get_with(
            "/cors/data.json",
            &[("host", "a.test"), ("origin", "https://other.example")],
        )
        .await;
    assert_hit(&r, "second origin");
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    // A request without Origin gets no CORS headers.
    let r = get(&edge, "a.test", "/cors/data.json").await;
    assert!(r.header("access-control-allow-origin").is_none());
    // A preflight is answered at the edge.
    let before = web.total();
    let r = edge
        .req("OPTIONS", "/cors/data.json")
        .header("host", "a.test")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "PUT")
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("access-control-allow-methods")
        .is_some_and(|m| m.contains("GET")));
    assert_eq!(
        web.total(),
        before,
        "the preflight did not reach the origin"
    );
}

/// A distribution without `DomainName` answers on `d<13>.<--cdn-domain>` (cloudfront.md §1.1),
/// and only there; a `--cdn-domain` that is not a domain name is refused before starting.
#[tokio::test]
async fn a_distribution_without_domain_name_gets_one_under_the_cdn_domain() {
    let web = TestOrigin::start().await;
    let api = TestOrigin::start().await;
    web.route("/site/page", Reply::cacheable("page", "max-age=60"));
    let mut file: serde_json::Value =
        serde_json::from_str(&config(web.port(), api.port())).expect("example JSON");
    let first = &mut file["Distributions"][0];
    let id = first["Id"].as_str().expect("Id").to_owned();
    first
        .as_object_mut()
        .expect("distribution object")
        .remove("DomainName");
    let edge = Edge::start_config(&file.to_string(), &["--cdn-domain", "cdn.example.net"]).await;
    let name = brink_model::generated_domain_name(&id, "cdn.example.net");
    let label = name.split('.').next().unwrap_or_default().to_owned();
    assert!(
        label.len() == 14 && label.starts_with('d'),
        "generated label {label:?}"
    );
    let r = get(&edge, &name, "/page").await;
    assert_eq!(r.status, 200, "{name}: {r:?}");
    assert_body(&r, b"page", "generated name");
    let r = get(&edge, &format!("{label}.cloudfront.net"), "/page").await;
    assert_eq!(r.status, 403, "only under --cdn-domain");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "edge",
            "--check",
            "--cdn-domain",
            "not a domain",
            "--config",
        ])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/edge/two-distributions.json"
        ))
        .output()
        .expect("run brink edge --check");
    assert_eq!(out.status.code(), Some(64), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--cdn-domain"),
        "{out:?}"
    );
}

/// The error page stands for the whole response: a viewer's `Range` or `If-None-Match` on the
/// failing URL must not cut or validate the page (cloudfront.md §8.2).
#[tokio::test]
async fn a_custom_error_page_ignores_the_viewers_range_and_preconditions() {
    let (web, _api, edge) = start().await;
    web.route(
        "/site/index.html",
        Reply::cacheable("spa shell", "max-age=60").header("etag", "\"shell\""),
    );
    web.route("/site/app/other", Reply::status(404, "not a file"));
    for (name, value) in [("range", "bytes=0-3"), ("if-none-match", "\"shell\"")] {
        let r = edge
            .get_with("/app/other", &[("host", "a.test"), (name, value)])
            .await;
        assert_eq!(r.status, 200, "{name}: {r:?}");
        assert_body(&r, b"spa shell", name);
    }
}

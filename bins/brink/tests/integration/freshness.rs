//! Freshness and TTLs (CloudFront rules, RFC 9111 underneath): `max-age`, `s-maxage` and
//! `Expires` bound how long a hit is served; `--min-ttl`, `--default-ttl` and `--max-ttl`
//! clamp and default those lifetimes; `--default-ttl 0` gives a plain RFC 9111 cache with
//! heuristic freshness; origin error statuses are cached for `--error-caching-min-ttl`,
//! 416 never, and 302/403 only with explicit freshness. Time moves only through the manual
//! clock, and every hit/miss verdict is checked against the origin's request counter.

use crate::testkit::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_until_max_age_then_refetched() {
    let (origin, edge) = start(&[]).await;
    prime(
        &origin,
        &edge,
        "/ten",
        Reply::cacheable("ten seconds", "max-age=10"),
    )
    .await;
    // 8 s, not 9: the origin's `Date` has one-second granularity, so the apparent age at
    // storage can already be up to 1 s (RFC 9111 §4.2.3) and 9 + 1 would reach the lifetime.
    edge.advance_clock(8).await;
    let hit = expect_hit(
        &origin,
        &edge,
        "/ten",
        b"ten seconds",
        "8 s into a 10 s lifetime",
    )
    .await;
    assert!(
        hit.age().unwrap_or_default() >= 8,
        "Age after 8 s: {:?}",
        hit.header("age")
    );
    edge.advance_clock(3).await;
    expect_miss(
        &origin,
        &edge,
        "/ten",
        "11 s into a 10 s lifetime (no validator)",
    )
    .await;
    expect_hit(
        &origin,
        &edge,
        "/ten",
        b"ten seconds",
        "right after the refetch",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_maxage_overrides_max_age() {
    let (origin, edge) = start(&[]).await;
    prime(
        &origin,
        &edge,
        "/short-shared",
        Reply::cacheable("a", "max-age=1000, s-maxage=10"),
    )
    .await;
    prime(
        &origin,
        &edge,
        "/long-shared",
        Reply::cacheable("b", "max-age=5, s-maxage=1000"),
    )
    .await;
    edge.advance_clock(50).await;
    expect_miss(&origin, &edge, "/short-shared", "s-maxage=10 after 50 s").await;
    expect_hit(
        &origin,
        &edge,
        "/long-shared",
        b"b",
        "s-maxage=1000 after 50 s",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_is_used_without_max_age() {
    let (origin, edge) = start(&[]).await;
    let reply = Reply::ok("expiring").header("expires", &http_date_from_now(30));
    prime(&origin, &edge, "/expires", reply).await;
    edge.advance_clock(20).await;
    expect_hit(
        &origin,
        &edge,
        "/expires",
        b"expiring",
        "20 s before an Expires 30 s ahead",
    )
    .await;
    edge.advance_clock(20).await;
    expect_miss(&origin, &edge, "/expires", "10 s after Expires").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_ttl_of_one_day_applies_without_cache_control() {
    let (origin, edge) = start(&[]).await;
    prime(&origin, &edge, "/plain", Reply::ok("no freshness info")).await;
    edge.advance_clock(86_000).await;
    expect_hit(
        &origin,
        &edge,
        "/plain",
        b"no freshness info",
        "just under the default TTL of 86400 s",
    )
    .await;
    edge.advance_clock(500).await;
    expect_miss(&origin, &edge, "/plain", "past the default TTL of 86400 s").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_default_ttl_applies_without_cache_control() {
    let (origin, edge) = start(&["--default-ttl", "60"]).await;
    prime(&origin, &edge, "/plain", Reply::ok("no freshness info")).await;
    // 58 s, not 59: the apparent age from the origin's one-second `Date` can add up to 1 s.
    edge.advance_clock(58).await;
    expect_hit(
        &origin,
        &edge,
        "/plain",
        b"no freshness info",
        "58 s with --default-ttl 60",
    )
    .await;
    edge.advance_clock(3).await;
    expect_miss(&origin, &edge, "/plain", "61 s with --default-ttl 60").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_ttl_caps_long_lifetimes() {
    // CloudFront requires MinTTL <= DefaultTTL <= MaxTTL, so the default must come down too.
    let (origin, edge) = start(&["--default-ttl", "10", "--max-ttl", "30"]).await;
    prime(
        &origin,
        &edge,
        "/long",
        Reply::cacheable("long", "max-age=3600"),
    )
    .await;
    prime(
        &origin,
        &edge,
        "/expires-far",
        Reply::ok("far").header("expires", &http_date_from_now(3600)),
    )
    .await;
    edge.advance_clock(31).await;
    expect_miss(
        &origin,
        &edge,
        "/long",
        "max-age=3600 capped by --max-ttl 30, after 31 s",
    )
    .await;
    expect_miss(
        &origin,
        &edge,
        "/expires-far",
        "Expires in 1 h capped by --max-ttl 30, after 31 s",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_ttl_extends_short_lifetimes() {
    let (origin, edge) = start(&["--min-ttl", "100"]).await;
    prime(
        &origin,
        &edge,
        "/short",
        Reply::cacheable("short", "max-age=10"),
    )
    .await;
    edge.advance_clock(50).await;
    expect_hit(
        &origin,
        &edge,
        "/short",
        b"short",
        "max-age=10 raised by --min-ttl 100, after 50 s",
    )
    .await;
    edge.advance_clock(51).await;
    expect_miss(&origin, &edge, "/short", "after 101 s with --min-ttl 100").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_ttl_applies_to_no_store_responses() {
    // CloudFront: with no-cache/no-store/private the TTL is the minimum TTL, so a positive
    // --min-ttl stores even a no-store response.
    let (origin, edge) = start(&["--min-ttl", "100"]).await;
    prime(
        &origin,
        &edge,
        "/ns",
        Reply::cacheable("stored anyway", "no-store"),
    )
    .await;
    expect_hit(
        &origin,
        &edge,
        "/ns",
        b"stored anyway",
        "no-store with --min-ttl 100",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc_mode_uses_heuristic_freshness_from_last_modified() {
    let (origin, edge) = start(&["--default-ttl", "0", "--min-ttl", "0"]).await;
    // Last-Modified 1000 s before Date: heuristic lifetime 10% = 100 s.
    let reply = Reply::ok("heuristic").last_modified(&http_date_from_now(-1000));
    prime(&origin, &edge, "/heuristic", reply).await;
    edge.advance_clock(50).await;
    expect_hit(
        &origin,
        &edge,
        "/heuristic",
        b"heuristic",
        "50 s into a 100 s heuristic lifetime",
    )
    .await;
    edge.advance_clock(100).await;
    let resp = edge.get("/heuristic").await;
    assert_eq!(resp.status, 200, "after the heuristic lifetime");
    assert_body(&resp, b"heuristic", "after the heuristic lifetime");
    assert_origin_hits(
        &origin,
        "/heuristic",
        2,
        "150 s exceeds the 100 s heuristic lifetime",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc_mode_does_not_reuse_responses_without_freshness_information() {
    let (origin, edge) = start(&["--default-ttl", "0", "--min-ttl", "0"]).await;
    origin.route("/nothing", Reply::ok("no validators, no lifetime"));
    for round in 1..=2 {
        let resp = edge.get("/nothing").await;
        assert_miss(&resp, &format!("round {round}"));
    }
    assert_origin_hits(
        &origin,
        "/nothing",
        2,
        "no freshness information with --default-ttl 0",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_errors_are_cached_for_the_error_caching_min_ttl() {
    let (origin, edge) = start(&[]).await;
    let statuses = [404u16, 414, 500, 501, 502, 503, 504];
    for status in statuses {
        let target = format!("/err/{status}");
        origin.route(
            &target,
            Reply::status(status, format!("origin says {status}")),
        );
        for round in 1..=2 {
            let resp = edge.get(&target).await;
            assert_eq!(resp.status, status, "{target} round {round}");
            assert_body(&resp, format!("origin says {status}").as_bytes(), &target);
            assert_x_cache(&resp, ERROR, &format!("{target} round {round}"));
        }
        assert_origin_hits(
            &origin,
            &target,
            1,
            &format!("a {status} is cached for 10 s"),
        );
    }
    edge.advance_clock(11).await;
    for status in statuses {
        let target = format!("/err/{status}");
        let resp = edge.get(&target).await;
        assert_eq!(resp.status, status, "{target} after 11 s");
        assert_origin_hits(
            &origin,
            &target,
            2,
            &format!("a cached {status} expires after 10 s"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_caching_min_ttl_is_configurable() {
    let (origin, edge) = start(&["--error-caching-min-ttl", "60"]).await;
    origin.route("/gone", Reply::status(404, "not here"));
    assert_eq!(edge.get("/gone").await.status, 404, "first 404");
    edge.advance_clock(30).await;
    assert_eq!(edge.get("/gone").await.status, 404, "404 after 30 s");
    assert_origin_hits(
        &origin,
        "/gone",
        1,
        "404 cached for --error-caching-min-ttl 60",
    );
    edge.advance_clock(31).await;
    assert_eq!(edge.get("/gone").await.status, 404, "404 after 61 s");
    assert_origin_hits(&origin, "/gone", 2, "404 expires after 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_416_is_never_cached() {
    let (origin, edge) = start(&[]).await;
    origin.route(
        "/r416",
        Reply::status(416, "").header("content-range", "bytes */0"),
    );
    for round in 1..=2 {
        let resp = edge.get("/r416").await;
        assert_eq!(resp.status, 416, "round {round}");
        assert_x_cache(&resp, ERROR, "416");
    }
    assert_origin_hits(&origin, "/r416", 2, "416 must never be cached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_and_forbidden_need_explicit_freshness() {
    let (origin, edge) = start(&[]).await;
    origin.route(
        "/302",
        Reply::status(302, "moved").header("location", "/elsewhere"),
    );
    origin.route("/403", Reply::status(403, "forbidden"));
    origin.route(
        "/302-cacheable",
        Reply::status(302, "moved")
            .header("location", "/x")
            .header("cache-control", "max-age=60"),
    );
    for target in ["/302", "/403", "/302-cacheable"] {
        for _ in 0..2 {
            edge.get(target).await;
        }
    }
    assert_origin_hits(
        &origin,
        "/302",
        2,
        "302 without Cache-Control is not cached",
    );
    assert_origin_hits(
        &origin,
        "/403",
        2,
        "403 without Cache-Control is not cached",
    );
    assert_origin_hits(
        &origin,
        "/302-cacheable",
        1,
        "302 with max-age=60 is cached",
    );
    let hit = edge.get("/302-cacheable").await;
    assert_eq!(hit.status, 302, "cached redirect status");
    assert_eq!(
        hit.header("location").as_deref(),
        Some("/x"),
        "cached redirect Location"
    );
    assert_x_cache(&hit, HIT, "cached 302");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cache_response_with_validator_is_revalidated_every_time() {
    let (origin, edge) = start(&[]).await;
    let reply = Reply::with_etag("\"nc1\"", "no-cache body").header("cache-control", "no-cache");
    prime(&origin, &edge, "/no-cache", reply).await;
    let again = edge.get("/no-cache").await;
    assert_eq!(again.status, 200, "second GET of a no-cache response");
    assert_body(
        &again,
        b"no-cache body",
        "second GET of a no-cache response",
    );
    assert_origin_hits(
        &origin,
        "/no-cache",
        2,
        "no-cache must reach the origin on every request",
    );
    if origin.expect_last("/no-cache").has("if-none-match") {
        assert_x_cache(&again, REFRESH_HIT, "no-cache entry revalidated by a 304");
    }
}

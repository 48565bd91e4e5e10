//! Basic caching: a first GET is a miss that reaches the origin, a repeat is a hit served
//! without an origin request (origin counter, `X-Cache`, `Cache-Status`, `Age`, exact
//! bytes); the key is path + query and ignores `Host`; HEAD is answered from a stored GET;
//! `no-store` / `private` responses and unauthorised `Authorization` requests are not stored;
//! `CDN-Cache-Control` wins over `Cache-Control` and is not passed to the viewer.

use crate::testkit::curl::curl;
use crate::testkit::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn miss_then_hit_over_curl() {
    let (origin, edge) = start(&[]).await;
    origin.route(
        "/hello.txt",
        Reply::cacheable("hello, brink\n", "max-age=60").header("content-type", "text/plain"),
    );

    let first = curl(&edge.url("/hello.txt"), &[]).await;
    assert_miss(&first, "first curl");
    assert_body(&first, b"hello, brink\n", "first curl");
    assert_eq!(
        first.header("content-type").as_deref(),
        Some("text/plain"),
        "content-type is relayed"
    );
    assert_origin_hits(&origin, "/hello.txt", 1, "after the first curl");

    let second = curl(&edge.url("/hello.txt"), &[]).await;
    assert_hit(&second, "second curl");
    assert_body(&second, b"hello, brink\n", "second curl");
    assert_origin_hits(&origin, "/hello.txt", 1, "a hit must not reach the origin");
    assert!(
        second.age().is_some_and(|a| a <= 2),
        "Age right after the fill should be ~0, got {:?}",
        second.header("age")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hit_age_follows_the_clock() {
    let (origin, edge) = start(&[]).await;
    prime(
        &origin,
        &edge,
        "/aging",
        Reply::cacheable("aging", "max-age=600"),
    )
    .await;
    edge.advance_clock(5).await;
    let hit = expect_hit(&origin, &edge, "/aging", b"aging", "after advancing 5 s").await;
    let age = hit.age().unwrap_or_default();
    assert!(
        (5..=7).contains(&age),
        "Age after advancing 5 s should be 5 (±2), got {age}"
    );
    edge.advance_clock(100).await;
    let hit = expect_hit(&origin, &edge, "/aging", b"aging", "after advancing 105 s").await;
    let age = hit.age().unwrap_or_default();
    assert!(
        (105..=107).contains(&age),
        "Age after advancing 105 s should be 105 (±2), got {age}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn age_includes_the_origin_age() {
    let (origin, edge) = start(&[]).await;
    prime(
        &origin,
        &edge,
        "/aged",
        Reply::cacheable("aged", "max-age=600").header("age", "100"),
    )
    .await;
    let hit = expect_hit(
        &origin,
        &edge,
        "/aged",
        b"aged",
        "hit on a response that arrived with Age: 100",
    )
    .await;
    let age = hit.age().unwrap_or_default();
    assert!(
        (100..=102).contains(&age),
        "Age must add the origin's Age (100), got {age}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_is_path_and_query_and_ignores_host() {
    let (origin, edge) = start(&[]).await;
    origin.route_fn("/q", |req| {
        Reply::cacheable(format!("query {}", req.target), "max-age=60")
    });

    for target in ["/q?x=1", "/q?x=2", "/q"] {
        let resp = edge.get(target).await;
        assert_miss(&resp, &format!("first GET {target}"));
        assert_body(&resp, format!("query {target}").as_bytes(), target);
    }
    assert_eq!(
        origin.total(),
        3,
        "three distinct targets are three origin fetches: {:?}",
        origin.request_lines()
    );

    let hit = edge
        .get_with("/q?x=1", &[("host", "another-host.example")])
        .await;
    assert_hit(&hit, "same target with a different Host");
    assert_body(
        &hit,
        b"query /q?x=1",
        "the Host header must not select another object",
    );
    expect_hit(
        &origin,
        &edge,
        "/q?x=2",
        b"query /q?x=2",
        "second GET /q?x=2",
    )
    .await;
    assert_eq!(
        origin.total(),
        3,
        "no further origin fetches: {:?}",
        origin.request_lines()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_is_answered_from_a_stored_get() {
    let (origin, edge) = start(&[]).await;
    prime(
        &origin,
        &edge,
        "/doc",
        Reply::cacheable("0123456789", "max-age=60"),
    )
    .await;

    let head = Req::head(&edge.url("/doc")).send().await;
    assert_hit(&head, "HEAD after a GET");
    assert!(
        head.body.is_empty(),
        "HEAD must have no body, got {:?}",
        head.text()
    );
    assert_eq!(
        head.header("content-length").as_deref(),
        Some("10"),
        "HEAD reports the stored length"
    );
    assert_origin_hits(
        &origin,
        "/doc",
        1,
        "HEAD must be answered from the stored GET",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_miss_fetches_get_and_stores_it() {
    let (origin, edge) = start(&[]).await;
    origin.route("/doc", Reply::cacheable("full body", "max-age=60"));

    let head = Req::head(&edge.url("/doc")).send().await;
    assert_eq!(head.status, 200, "HEAD miss status");
    assert_x_cache(&head, MISS, "HEAD miss");
    assert!(head.body.is_empty(), "HEAD must have no body");
    let seen = origin.expect_last("/doc");
    assert_eq!(
        seen.method, "GET",
        "a HEAD miss must fetch the object with GET"
    );

    expect_hit(
        &origin,
        &edge,
        "/doc",
        b"full body",
        "GET after a HEAD miss",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_body_is_served_byte_exact_from_cache() {
    let (origin, edge) = start(&[]).await;
    let body = pseudo_random_bytes(3 * 1024 * 1024 + 17, 7);
    let miss = prime(
        &origin,
        &edge,
        "/big.bin",
        Reply::cacheable(body.clone(), "max-age=60"),
    )
    .await;
    assert_body(&miss, &body, "3 MiB miss");
    expect_hit(&origin, &edge, "/big.bin", &body, "3 MiB hit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_store_and_private_responses_are_not_stored() {
    let (origin, edge) = start(&[]).await;
    for (target, cc) in [
        ("/no-store", "no-store"),
        ("/private", "private, max-age=60"),
        ("/nostore-maxage", "no-store, max-age=60"),
    ] {
        origin.route(target, Reply::cacheable(format!("body of {target}"), cc));
        for round in 1..=2 {
            let resp = edge.get(target).await;
            assert_eq!(resp.status, 200, "{target} round {round}");
            assert_body(&resp, format!("body of {target}").as_bytes(), target);
            assert_x_cache(
                &resp,
                MISS,
                &format!("{target} (Cache-Control: {cc}) round {round}"),
            );
        }
        assert_origin_hits(
            &origin,
            target,
            2,
            &format!("Cache-Control: {cc} must never be stored"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_requests_are_stored_only_when_the_response_allows_it() {
    let (origin, edge) = start(&[]).await;
    let cases = [
        ("/auth/max-age", "max-age=60", false),
        ("/auth/public", "public, max-age=60", true),
        ("/auth/s-maxage", "s-maxage=60", true),
        ("/auth/must-revalidate", "must-revalidate, max-age=60", true),
    ];
    for (target, cc, storable) in cases {
        origin.route(target, Reply::cacheable("secret", cc));
        for _ in 0..2 {
            let resp = edge
                .get_with(target, &[("authorization", "Bearer abc")])
                .await;
            assert_eq!(resp.status, 200, "{target}");
            assert_body(&resp, b"secret", target);
        }
        let expected = if storable { 1 } else { 2 };
        assert_origin_hits(
            &origin,
            target,
            expected,
            &format!("Authorization request, response Cache-Control: {cc}"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdn_cache_control_takes_precedence_and_is_not_passed_on() {
    let (origin, edge) = start(&[]).await;
    let longer =
        Reply::cacheable("cdn longer", "max-age=5").header("cdn-cache-control", "max-age=100");
    let shorter =
        Reply::cacheable("cdn shorter", "max-age=100").header("cdn-cache-control", "max-age=5");
    for (target, reply) in [("/cdn-longer", longer), ("/cdn-shorter", shorter)] {
        let miss = prime(&origin, &edge, target, reply).await;
        assert!(
            miss.header("cdn-cache-control").is_none(),
            "CDN-Cache-Control must not reach the viewer: {:?}",
            miss.headers
        );
    }
    edge.advance_clock(50).await;

    let hit = expect_hit(
        &origin,
        &edge,
        "/cdn-longer",
        b"cdn longer",
        "CDN-Cache-Control max-age=100 after 50 s",
    )
    .await;
    assert_eq!(
        hit.header("cache-control").as_deref(),
        Some("max-age=5"),
        "Cache-Control is passed unchanged"
    );
    assert!(
        hit.header("cdn-cache-control").is_none(),
        "CDN-Cache-Control must not reach the viewer on a hit"
    );

    let refetch = edge.get("/cdn-shorter").await;
    assert_eq!(refetch.status, 200, "/cdn-shorter after 50 s");
    assert_ne!(
        refetch.x_cache(),
        HIT,
        "CDN-Cache-Control max-age=5 must make it stale after 50 s"
    );
    assert_origin_hits(
        &origin,
        "/cdn-shorter",
        2,
        "CDN-Cache-Control max-age=5 outranks Cache-Control max-age=100",
    );
}

//! Revalidation: a stale entry with an `ETag` / `Last-Modified` is revalidated with
//! `If-None-Match` / `If-Modified-Since`; a 304 yields a `RefreshHit` with the stored body and
//! makes the entry fresh again, a 200 replaces it. Viewer conditionals are answered from the
//! cache (304 on a matching `If-None-Match`) and are never forwarded on a miss.

use crate::testkit::*;

const V1: &str = "\"v1\"";

/// Fills `/doc` with ETag v1 and max-age=10, then lets it go stale.
async fn stale_etag_entry(origin: &TestOrigin, edge: &Edge) {
    prime(
        origin,
        edge,
        "/doc",
        Reply::with_etag(V1, "version one").header("cache-control", "max-age=10"),
    )
    .await;
    edge.advance_clock(11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_entry_revalidated_by_304_is_a_refresh_hit() {
    let (origin, edge) = start(&[]).await;
    stale_etag_entry(&origin, &edge).await;

    let resp = edge.get("/doc").await;
    assert_eq!(
        resp.status, 200,
        "the viewer gets a 200 even though the origin said 304"
    );
    assert_body(&resp, b"version one", "RefreshHit body is the stored body");
    assert_x_cache(&resp, REFRESH_HIT, "stale entry revalidated by a 304");
    assert_origin_hits(&origin, "/doc", 2, "one revalidation request");
    let reval = origin.expect_last("/doc");
    assert_eq!(
        reval.header("if-none-match").as_deref(),
        Some(V1),
        "revalidation carries the stored ETag"
    );

    expect_hit(
        &origin,
        &edge,
        "/doc",
        b"version one",
        "the entry is fresh again after the 304",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_entry_with_last_modified_is_revalidated_with_if_modified_since() {
    let (origin, edge) = start(&[]).await;
    let last_modified = http_date_from_now(-3600);
    let reply = Reply::cacheable("dated", "max-age=10").last_modified(&last_modified);
    prime(&origin, &edge, "/dated", reply).await;
    edge.advance_clock(11).await;

    let resp = edge.get("/dated").await;
    assert_eq!(resp.status, 200, "revalidated response status");
    assert_body(&resp, b"dated", "revalidated body");
    let reval = origin.expect_last("/dated");
    assert_eq!(
        reval.header("if-modified-since").as_deref(),
        Some(last_modified.as_str()),
        "revalidation carries the stored Last-Modified"
    );
    assert_x_cache(
        &resp,
        REFRESH_HIT,
        "Last-Modified revalidation answered 304",
    );
    expect_hit(
        &origin,
        &edge,
        "/dated",
        b"dated",
        "fresh again after the 304",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revalidation_answered_with_200_replaces_the_entry() {
    let (origin, edge) = start(&[]).await;
    stale_etag_entry(&origin, &edge).await;
    origin.route(
        "/doc",
        Reply::with_etag("\"v2\"", "version two").header("cache-control", "max-age=10"),
    );

    let resp = edge.get("/doc").await;
    assert_miss(&resp, "revalidation answered with a new 200");
    assert_body(&resp, b"version two", "the new representation is served");
    assert_eq!(resp.header("etag").as_deref(), Some("\"v2\""), "new ETag");
    assert_origin_hits(&origin, "/doc", 2, "one refetch");
    expect_hit(
        &origin,
        &edge,
        "/doc",
        b"version two",
        "the replaced entry is served",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_if_none_match_is_answered_from_cache() {
    let (origin, edge) = start(&[]).await;
    prime(
        &origin,
        &edge,
        "/doc",
        Reply::with_etag(V1, "version one").header("cache-control", "max-age=60"),
    )
    .await;

    let not_modified = edge.get_with("/doc", &[("if-none-match", V1)]).await;
    assert_eq!(
        not_modified.status, 304,
        "matching If-None-Match: {not_modified:?}"
    );
    assert!(not_modified.body.is_empty(), "a 304 has no body");
    assert_x_cache(&not_modified, HIT, "304 answered from cache");
    assert_eq!(
        not_modified.header("etag").as_deref(),
        Some(V1),
        "304 carries the ETag"
    );

    let full = edge
        .get_with("/doc", &[("if-none-match", "\"other\"")])
        .await;
    assert_hit(&full, "non-matching If-None-Match");
    assert_body(
        &full,
        b"version one",
        "non-matching If-None-Match gets the full body",
    );
    assert_origin_hits(
        &origin,
        "/doc",
        1,
        "viewer conditionals are answered without the origin",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_conditionals_are_not_forwarded_on_a_miss() {
    let (origin, edge) = start(&[]).await;
    let reply = Reply::with_etag(V1, "version one")
        .header("cache-control", "max-age=60")
        .last_modified(&http_date_from_now(-60));
    origin.route("/doc", reply);

    let resp = edge
        .get_with(
            "/doc",
            &[
                ("if-none-match", "\"stale-client-copy\""),
                ("if-modified-since", &http_date_from_now(-7200)),
            ],
        )
        .await;
    assert_miss(&resp, "miss carrying viewer conditionals");
    assert_body(
        &resp,
        b"version one",
        "non-matching viewer conditionals get the full body",
    );
    let seen = origin.expect_last("/doc");
    assert!(
        !seen.has("if-none-match"),
        "viewer If-None-Match must not be forwarded: {:?}",
        seen.headers
    );
    assert!(
        !seen.has("if-modified-since"),
        "viewer If-Modified-Since must not be forwarded: {:?}",
        seen.headers
    );

    // A viewer whose If-None-Match matches what the origin returns must still cause a full
    // fetch (no conditional toward the origin) and the entry must be stored with its body.
    origin.route(
        "/doc2",
        Reply::with_etag(V1, "doc two").header("cache-control", "max-age=60"),
    );
    let resp = edge.get_with("/doc2", &[("if-none-match", V1)]).await;
    assert!(
        matches!(resp.status, 200 | 304),
        "miss with a matching If-None-Match: {resp:?}"
    );
    assert!(
        !origin.expect_last("/doc2").has("if-none-match"),
        "viewer If-None-Match must not be forwarded"
    );
    expect_hit(
        &origin,
        &edge,
        "/doc2",
        b"doc two",
        "the full body was stored",
    )
    .await;
}

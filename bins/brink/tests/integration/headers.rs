//! Headers on both sides. Toward the viewer: `X-Cache`, `X-Amz-Cf-Pop` (`--pop`),
//! `X-Amz-Cf-Id` (56 URL-safe base64 chars, the same id the origin received), `Via`,
//! `Cache-Status`, the origin's `Date` kept, `Set-Cookie` stripped on GET. Toward the origin:
//! `Host` is the origin's authority, `X-Forwarded-For` gets the peer appended, `Via` and
//! `X-Amz-Cf-Id` are added, `User-Agent` is `Amazon CloudFront`, cookies, conditionals,
//! `Range`, `X-Forwarded-Host` and hop-by-hop headers are dropped — so an unkeyed
//! `X-Forwarded-Host` cannot poison the cache.

use std::time::Duration;

use crate::testkit::raw::exchange;
use crate::testkit::*;

/// Checks the shape of an `X-Amz-Cf-Id`: 56 URL-safe base64 characters ending in `==`.
#[track_caller]
fn assert_cf_id_shape(id: &str, ctx: &str) {
    let url_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    assert!(
        id.len() == 56 && id.ends_with("==") && id[..54].chars().all(url_safe),
        "{ctx}: X-Amz-Cf-Id must be 56 URL-safe base64 chars ending in ==, got {id:?}"
    );
}

#[track_caller]
fn assert_cloudfront_viewer_headers(resp: &Resp, pop: &str, ctx: &str) {
    assert_eq!(
        resp.header("x-amz-cf-pop").as_deref(),
        Some(pop),
        "{ctx}: X-Amz-Cf-Pop"
    );
    assert_cf_id_shape(&resp.header("x-amz-cf-id").unwrap_or_default(), ctx);
    let via = resp.header("via").unwrap_or_default();
    assert!(
        via.contains(".cloudfront.net (CloudFront)"),
        "{ctx}: Via must name cloudfront.net, got {via:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_responses_carry_cloudfront_headers() {
    let (origin, edge) = start(&[]).await;
    let miss = prime(&origin, &edge, "/h", Reply::cacheable("h", "max-age=60")).await;
    assert_cloudfront_viewer_headers(&miss, "BRK50-C1", "miss");
    let sent_id = origin
        .expect_last("/h")
        .header("x-amz-cf-id")
        .unwrap_or_default();
    assert_cf_id_shape(&sent_id, "X-Amz-Cf-Id sent to the origin");
    assert_eq!(
        miss.header("x-amz-cf-id"),
        Some(sent_id),
        "the viewer's X-Amz-Cf-Id is the one the origin received"
    );

    let hit = expect_hit(&origin, &edge, "/h", b"h", "hit").await;
    assert_cloudfront_viewer_headers(&hit, "BRK50-C1", "hit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pop_name_is_configurable() {
    let (origin, edge) = start(&["--pop", "TST1-P2"]).await;
    let miss = prime(&origin, &edge, "/p", Reply::cacheable("p", "max-age=60")).await;
    assert_eq!(
        miss.header("x-amz-cf-pop").as_deref(),
        Some("TST1-P2"),
        "X-Amz-Cf-Pop follows --pop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_date_is_kept_on_miss_and_hit() {
    let (origin, edge) = start(&[]).await;
    let date = http_date_from_now(-2);
    let miss = prime(
        &origin,
        &edge,
        "/dated",
        Reply::cacheable("d", "max-age=60").header("date", &date),
    )
    .await;
    assert_eq!(
        miss.header("date"),
        Some(date.clone()),
        "the origin's Date is kept on a miss"
    );
    let hit = expect_hit(&origin, &edge, "/dated", b"d", "hit").await;
    assert_eq!(
        hit.header("date"),
        Some(date),
        "the origin's Date is kept on a hit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_toward_the_origin_is_rewritten() {
    let (origin, edge) = start(&[]).await;
    origin.route("/fwd", Reply::cacheable("forwarded", "max-age=60"));
    let request = format!(
        "GET /fwd HTTP/1.1\r\n\
         Host: viewer.example\r\n\
         X-Forwarded-For: 203.0.113.7\r\n\
         Cookie: session=secret\r\n\
         X-Forwarded-Host: viewer.example\r\n\
         User-Agent: curl/8.0\r\n\
         Connection: close, X-Hop\r\n\
         X-Hop: connection-listed\r\n\
         Keep-Alive: timeout=5\r\n\
         TE: trailers\r\n\
         Upgrade: foo/1\r\n\
         Proxy-Authorization: Basic Zm9vOmJhcg==\r\n\
         If-None-Match: \"client-copy\"\r\n\
         If-Modified-Since: {}\r\n\
         Range: bytes=0-3\r\n\
         \r\n",
        http_date_from_now(-3600)
    );
    let reply = exchange(edge.addr(), request.as_bytes(), Duration::from_secs(10)).await;
    assert!(
        matches!(reply.status(), Some(200 | 206)),
        "viewer answer; {}",
        reply.describe()
    );

    let seen = origin.expect_last("/fwd");
    let ctx = format!("headers the origin received: {:?}", seen.headers);
    assert_eq!(
        seen.header("host"),
        Some(origin.authority()),
        "Host must be the origin's authority; {ctx}"
    );
    assert_eq!(
        seen.header("x-forwarded-for").as_deref(),
        Some("203.0.113.7, 127.0.0.1"),
        "XFF gets the peer appended; {ctx}"
    );
    assert!(
        seen.header("via")
            .unwrap_or_default()
            .contains("cloudfront.net (CloudFront)"),
        "Via added toward the origin; {ctx}"
    );
    assert_cf_id_shape(
        &seen.header("x-amz-cf-id").unwrap_or_default(),
        "X-Amz-Cf-Id toward the origin",
    );
    assert_eq!(
        seen.header("user-agent").as_deref(),
        Some("Amazon CloudFront"),
        "User-Agent; {ctx}"
    );
    for dropped in [
        "cookie",
        "x-forwarded-host",
        "range",
        "if-none-match",
        "if-modified-since",
        "keep-alive",
        "te",
        "upgrade",
        "proxy-authorization",
        "x-hop",
    ] {
        assert!(
            !seen.has(dropped),
            "{dropped} must not be forwarded on GET; {ctx}"
        );
    }
    let connection = seen
        .header("connection")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        !connection.contains("x-hop") && !connection.contains("close"),
        "the viewer's Connection must not be forwarded; {ctx}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_for_is_the_peer_when_the_viewer_sent_none() {
    let (origin, edge) = start(&[]).await;
    prime(&origin, &edge, "/xff", Reply::cacheable("x", "max-age=60")).await;
    let seen = origin.expect_last("/xff");
    assert_eq!(
        seen.header("x-forwarded-for").as_deref(),
        Some("127.0.0.1"),
        "XFF: {:?}",
        seen.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_cookie_is_removed_from_get_responses() {
    let (origin, edge) = start(&[]).await;
    let reply =
        Reply::cacheable("cookie jar", "max-age=60").header("set-cookie", "session=abc; Path=/");
    let miss = prime(&origin, &edge, "/cookie", reply).await;
    assert!(
        miss.header("set-cookie").is_none(),
        "Set-Cookie stripped on a miss: {:?}",
        miss.headers
    );
    let hit = expect_hit(&origin, &edge, "/cookie", b"cookie jar", "hit").await;
    assert!(
        hit.header("set-cookie").is_none(),
        "Set-Cookie stripped on a hit: {:?}",
        hit.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_host_cannot_poison_the_cache() {
    let (origin, edge) = start(&[]).await;
    origin.route_fn("/page", |req| {
        let host = req
            .header("x-forwarded-host")
            .unwrap_or_else(|| "the-real-site".to_owned());
        Reply::cacheable(
            format!("<script src=\"https://{host}/app.js\"></script>"),
            "max-age=600",
        )
    });
    let attacker = edge
        .get_with("/page", &[("x-forwarded-host", "evil.example")])
        .await;
    assert!(
        !attacker.text().contains("evil"),
        "X-Forwarded-Host must not reach the origin: {:?}",
        attacker.text()
    );
    let clean = edge.get("/page").await;
    assert_eq!(clean.status, 200, "clean request");
    assert!(
        !clean.text().contains("evil"),
        "the clean viewer got a poisoned page: {:?}",
        clean.text()
    );
    assert!(
        origin.requests().iter().all(|r| !r.has("x-forwarded-host")),
        "no X-Forwarded-Host toward the origin"
    );
}

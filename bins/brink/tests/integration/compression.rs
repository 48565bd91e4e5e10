//! `brink edge`: compression at the edge (cloudfront.md §8.3) and what the cache key holds
//! besides the path (§2.4): the normalised `Accept-Encoding` and the policy's cookies.
//!
//! One distribution (`c.test`) with a cache policy enabling gzip and brotli:
//! - the default behavior compresses (`Compress=true`);
//! - `/plain/*` does not (`Compress=false`, same policy);
//! - `/cookie/*` compresses and keys the cookie `session`;
//! - `/rw/*` is the default's policy;
//! - the last two allow every method: an unsafe request invalidates every variant of its
//!   target.

use std::io::Read;
use std::time::Duration;

use serde_json::json;

use crate::testkit::*;

const HOST: &str = "c.test";

fn cache_policy(id: &str, name: &str, cookies: serde_json::Value) -> serde_json::Value {
    json!({
        "Id": id,
        "CachePolicyConfig": {
            "Name": name,
            "MinTTL": 0,
            "DefaultTTL": 86400,
            "MaxTTL": 31536000,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": true,
                "EnableAcceptEncodingBrotli": true,
                "HeadersConfig": { "HeaderBehavior": "none" },
                "CookiesConfig": cookies,
                "QueryStringsConfig": { "QueryStringBehavior": "none" }
            }
        }
    })
}

fn config(origin_port: u16) -> String {
    let behavior = |pattern: Option<&str>, policy: &str, compress: bool| {
        let mut b = json!({
            "TargetOriginId": "web",
            "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": policy,
            "Compress": compress
        });
        if let Some(p) = pattern {
            b["PathPattern"] = json!(p);
        }
        b
    };
    let all_methods = json!({
        "Quantity": 7,
        "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
        "CachedMethods": { "Quantity": 2, "Items": ["GET", "HEAD"] }
    });
    let mut cookie_behavior = behavior(Some("/cookie/*"), "cp-cookie", true);
    cookie_behavior["AllowedMethods"] = all_methods.clone();
    let mut rw_behavior = behavior(Some("/rw/*"), "cp-gzip-br", true);
    rw_behavior["AllowedMethods"] = all_methods;
    json!({
        "Distributions": [{
            "Id": "ECOMPRESS1",
            "DomainName": HOST,
            "DistributionConfig": {
                "CallerReference": "compression",
                "Comment": "compression tests",
                "Enabled": true,
                "Origins": { "Quantity": 1, "Items": [{
                    "Id": "web",
                    "DomainName": "127.0.0.1",
                    "CustomOriginConfig": {
                        "HTTPPort": origin_port,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "http-only"
                    }
                }]},
                "DefaultCacheBehavior": behavior(None, "cp-gzip-br", true),
                "CacheBehaviors": { "Quantity": 3, "Items": [
                    behavior(Some("/plain/*"), "cp-gzip-br", false),
                    cookie_behavior,
                    rw_behavior
                ]}
            }
        }],
        "CachePolicies": [
            cache_policy("cp-gzip-br", "gzip-br", json!({ "CookieBehavior": "none" })),
            cache_policy("cp-cookie", "gzip-br-session", json!({
                "CookieBehavior": "whitelist",
                "Cookies": { "Quantity": 1, "Items": ["session"] }
            }))
        ]
    })
    .to_string()
}

async fn start() -> (TestOrigin, Edge) {
    let origin = TestOrigin::start().await;
    let mut edge = Edge::start_config(&config(origin.port()), &[]).await;
    edge.link_origin_clock(&origin);
    (origin, edge)
}

/// GET `path` on `c.test` with `Accept-Encoding: ae` (none when `None`) and extra headers.
async fn get(edge: &Edge, path: &str, ae: Option<&str>, extra: &[(&str, &str)]) -> Resp {
    let mut headers = vec![("host", HOST)];
    if let Some(ae) = ae {
        headers.push(("accept-encoding", ae));
    }
    headers.extend_from_slice(extra);
    edge.get_with(path, &headers).await
}

/// A compressible text body of `len` bytes.
fn text(len: usize) -> Vec<u8> {
    let line = b"Brink compresses text at the edge, like CloudFront does. 0123456789\n";
    line.iter().copied().cycle().take(len).collect()
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn unbrotli(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(b, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

/// Asserts `r` is the `coding` encoding of `original`, framed and labelled as §8.3 says.
#[track_caller]
fn assert_encoded(r: &Resp, coding: &str, original: &[u8], ctx: &str) {
    assert_eq!(r.status, 200, "{ctx}: {:?}", r.headers);
    assert_eq!(
        r.header("content-encoding").as_deref(),
        Some(coding),
        "{ctx}: {:?}",
        r.headers
    );
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string()),
        "{ctx}: Content-Length is the encoded length"
    );
    assert!(
        r.body.len() < original.len() / 4,
        "{ctx}: {} encoded bytes for {} of text",
        r.body.len(),
        original.len()
    );
    let decoded = match coding {
        "gzip" => gunzip(&r.body),
        "br" => unbrotli(&r.body),
        other => panic!("unexpected coding {other}"),
    };
    assert!(decoded == original, "{ctx}: decoded bytes differ");
    let vary = r.header_all("vary").join(",").to_ascii_lowercase();
    assert!(
        vary.split(',').any(|t| t.trim() == "accept-encoding"),
        "{ctx}: Vary {vary:?}"
    );
}

/// Asserts `r` carries exactly the origin's bytes, without a `Content-Encoding` of ours.
#[track_caller]
fn assert_identity(r: &Resp, original: &[u8], ctx: &str) {
    assert_eq!(r.header("content-encoding"), None, "{ctx}: {:?}", r.headers);
    assert!(
        r.body.as_ref() == original,
        "{ctx}: body differs ({} bytes, expected {})",
        r.body.len(),
        original.len()
    );
}

/// The `Accept-Encoding` the origin received on its last request for `target`.
fn origin_ae(origin: &TestOrigin, target: &str) -> Option<String> {
    origin.expect_last(target).header("accept-encoding")
}

#[tokio::test]
async fn brotli_and_gzip_variants_decode_to_the_origin_bytes_one_fill_each() {
    let (origin, edge) = start().await;
    let body = text(20_000);
    origin.route(
        "/app.js",
        Reply::ok(body.clone())
            .header("content-type", "application/javascript; charset=utf-8")
            .header("etag", "\"v1\"")
            .header("cache-control", "max-age=600"),
    );

    let r = get(&edge, "/app.js", Some("gzip, deflate, br"), &[]).await;
    assert_encoded(&r, "br", &body, "br preferred");
    assert_x_cache(&r, MISS, "first br");
    assert_eq!(r.header("etag").as_deref(), Some("W/\"v1\""), "weak ETag");
    assert_eq!(origin_ae(&origin, "/app.js").as_deref(), Some("br,gzip"));
    assert_origin_hits(&origin, "/app.js", 1, "one fill for br");
    let r = get(&edge, "/app.js", Some("br, gzip"), &[]).await;
    assert_x_cache(&r, HIT, "same normalised value");
    assert_encoded(&r, "br", &body, "br hit");

    let r = get(&edge, "/app.js", Some("gzip"), &[]).await;
    assert_x_cache(&r, MISS, "gzip is another variant");
    assert_encoded(&r, "gzip", &body, "gzip");
    assert_eq!(r.header("etag").as_deref(), Some("W/\"v1\""));
    assert_eq!(origin_ae(&origin, "/app.js").as_deref(), Some("gzip"));
    assert_origin_hits(&origin, "/app.js", 2, "one fill for gzip");
    // q=0 refuses brotli: the gzip object.
    let r = get(&edge, "/app.js", Some("br;q=0, gzip"), &[]).await;
    assert_x_cache(&r, HIT, "br refused");
    assert_encoded(&r, "gzip", &body, "br;q=0, gzip");

    let r = get(&edge, "/app.js", None, &[]).await;
    assert_x_cache(&r, MISS, "identity is a third variant");
    assert_identity(&r, &body, "no Accept-Encoding");
    assert_eq!(
        r.header("etag").as_deref(),
        Some("\"v1\""),
        "strong ETag kept"
    );
    assert!(
        !origin.expect_last("/app.js").has("accept-encoding"),
        "nothing to forward"
    );
    let r = get(&edge, "/app.js", Some("identity, deflate"), &[]).await;
    assert_x_cache(&r, HIT, "no enabled coding accepted: the identity object");
    assert_identity(&r, &body, "identity");
    assert_origin_hits(&origin, "/app.js", 3, "three variants, three fills");

    // A range of a compressed object is cut from the compressed bytes.
    let full = get(&edge, "/app.js", Some("gzip"), &[]).await;
    let r = get(&edge, "/app.js", Some("gzip"), &[("range", "bytes=0-99")]).await;
    assert_eq!(r.status, 206, "{:?}", r.headers);
    assert_eq!(r.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(&r.body[..], &full.body[..100]);
    assert_origin_hits(&origin, "/app.js", 3, "ranges are hits");
}

#[tokio::test]
async fn equivalent_accept_encodings_share_one_object() {
    let (origin, edge) = start().await;
    let body = text(5_000);
    origin.route(
        "/style.css",
        Reply::ok(body.clone()).header("content-type", "text/css"),
    );
    let r = get(&edge, "/style.css", Some("gzip, deflate"), &[]).await;
    assert_x_cache(&r, MISS, "first");
    assert_encoded(&r, "gzip", &body, "gzip, deflate");
    assert_eq!(origin_ae(&origin, "/style.css").as_deref(), Some("gzip"));
    let r = get(&edge, "/style.css", Some("deflate, gzip;q=1.0"), &[]).await;
    assert_x_cache(&r, HIT, "same normalised Accept-Encoding");
    assert_encoded(&r, "gzip", &body, "deflate, gzip;q=1.0");
    assert_origin_hits(&origin, "/style.css", 1, "one object");
}

#[tokio::test]
async fn ineligible_responses_are_stored_as_the_origin_sent_them() {
    let (origin, edge) = start().await;
    let small = text(999);
    let large = text(10_000_001);
    let png = text(5_000);
    let html = text(5_000);
    let pre_encoded = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&text(5_000)).expect("gzip");
        e.finish().expect("gzip")
    };
    origin.route(
        "/small.js",
        Reply::ok(small.clone()).header("content-type", "text/javascript"),
    );
    origin.route(
        "/large.txt",
        Reply::ok(large.clone()).header("content-type", "text/plain"),
    );
    origin.route(
        "/image.png",
        Reply::ok(png.clone()).header("content-type", "image/png"),
    );
    origin.route(
        "/encoded.js",
        Reply::ok(pre_encoded.clone())
            .header("content-type", "application/javascript")
            .header("content-encoding", "gzip"),
    );
    origin.route(
        "/broken.html",
        Reply::status(500, html.clone()).header("content-type", "text/html"),
    );
    origin.route(
        "/missing.html",
        Reply::status(404, html.clone()).header("content-type", "text/html"),
    );
    origin.route(
        "/chunked.html",
        Reply::ok(html.clone())
            .header("content-type", "text/html")
            .chunked(),
    );
    let ae = Some("gzip, br");

    let r = get(&edge, "/small.js", ae, &[]).await;
    assert_identity(&r, &small, "999 bytes");
    let r = get(&edge, "/large.txt", ae, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length").as_deref(), Some("10000001"));
    assert_identity(&r, &large, "over 10,000,000 bytes");
    let r = get(&edge, "/image.png", ae, &[]).await;
    assert_identity(&r, &png, "image/png");
    let r = get(&edge, "/encoded.js", ae, &[]).await;
    assert_eq!(r.header("content-encoding").as_deref(), Some("gzip"));
    assert!(
        r.body.as_ref() == pre_encoded.as_slice(),
        "origin's encoding passed as is"
    );
    let r = get(&edge, "/broken.html", ae, &[]).await;
    assert_eq!(r.status, 500);
    assert_identity(&r, &html, "status 500");
    let r = get(&edge, "/chunked.html", ae, &[]).await;
    assert_identity(&r, &html, "no Content-Length");

    // 404 is one of the compressed statuses.
    let r = get(&edge, "/missing.html", ae, &[]).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-encoding").as_deref(), Some("br"));
    assert!(unbrotli(&r.body) == html, "404 page decodes");

    // Each was stored as sent: the second request is a hit with the same bytes.
    let r = get(&edge, "/small.js", ae, &[]).await;
    assert_x_cache(&r, HIT, "small stored");
    assert_identity(&r, &small, "small hit");
    let r = get(&edge, "/image.png", ae, &[]).await;
    assert_x_cache(&r, HIT, "png stored");
    assert_identity(&r, &png, "png hit");
    for target in ["/small.js", "/image.png"] {
        assert_origin_hits(&origin, target, 1, target);
    }
}

#[tokio::test]
async fn http_1_0_viewers_and_compress_false_get_identity() {
    let (origin, edge) = start().await;
    let body = text(5_000);
    origin.route(
        "/plain/app.js",
        Reply::ok(body.clone()).header("content-type", "application/javascript"),
    );
    let r = get(&edge, "/plain/app.js", Some("gzip, br"), &[]).await;
    assert_identity(&r, &body, "Compress=false");
    // The key and the origin still see the normalised Accept-Encoding (cache policy).
    assert_eq!(
        origin_ae(&origin, "/plain/app.js").as_deref(),
        Some("br,gzip")
    );

    origin.route(
        "/old.js",
        Reply::ok(body.clone()).header("content-type", "application/javascript"),
    );
    let req = "GET /old.js HTTP/1.0\r\nHost: c.test\r\nAccept-Encoding: gzip\r\n\r\n";
    let reply = raw::exchange(edge.addr(), req.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(reply.status(), Some(200), "{}", reply.describe());
    let text = String::from_utf8_lossy(&reply.bytes).to_ascii_lowercase();
    assert!(
        !text.contains("content-encoding"),
        "HTTP/1.0 gets identity: {}",
        reply.describe()
    );
    assert!(reply.bytes.ends_with(&body), "identity body");
}

#[tokio::test]
async fn listed_cookies_split_the_key_and_reach_the_origin_others_do_not() {
    let (origin, edge) = start().await;
    let body = text(3_000);
    origin.route(
        "/cookie/page",
        Reply::ok(body.clone())
            .header("content-type", "text/html")
            .header("cache-control", "max-age=600")
            .header("set-cookie", "seen=1; Path=/"),
    );
    let path = "/cookie/page";
    let ae = Some("gzip");

    let r = get(&edge, path, ae, &[("cookie", "session=a; tracker=1")]).await;
    assert_x_cache(&r, MISS, "session=a");
    assert_encoded(&r, "gzip", &body, "session=a");
    // A behavior that forwards cookies keeps the origin's Set-Cookie (cloudfront.md §3.1).
    assert_eq!(r.header("set-cookie").as_deref(), Some("seen=1; Path=/"));
    let seen = origin.expect_last(path);
    assert_eq!(seen.header("cookie").as_deref(), Some("session=a"));
    assert_eq!(seen.header("accept-encoding").as_deref(), Some("gzip"));

    let r = get(&edge, path, ae, &[("cookie", "session=b")]).await;
    assert_x_cache(&r, MISS, "session=b is another object");
    assert_eq!(
        origin.expect_last(path).header("cookie").as_deref(),
        Some("session=b")
    );
    assert_origin_hits(&origin, path, 2, "two cookie values, two fills");

    let r = get(&edge, path, ae, &[("cookie", "tracker=2; session=a")]).await;
    assert_x_cache(&r, HIT, "an unlisted cookie does not split the key");
    assert_encoded(&r, "gzip", &body, "hit");
    let r = get(&edge, path, ae, &[("cookie", "Session=a")]).await;
    assert_x_cache(&r, MISS, "cookie names are case-sensitive");
    assert!(
        !origin.expect_last(path).has("cookie"),
        "an unlisted cookie is not forwarded"
    );
    assert_origin_hits(&origin, path, 3, "three fills");

    // A successful unsafe request invalidates every variant of its target.
    let r = edge
        .req("POST", path)
        .header("host", HOST)
        .body("x")
        .send()
        .await;
    assert_eq!(r.status, 200);
    let r = get(&edge, path, ae, &[("cookie", "session=a")]).await;
    assert_x_cache(&r, MISS, "session=a invalidated");
    let r = get(&edge, path, Some("br"), &[("cookie", "session=b")]).await;
    assert_x_cache(&r, MISS, "session=b / br was never stored");
    let r = get(&edge, path, ae, &[("cookie", "session=b")]).await;
    assert_x_cache(&r, MISS, "session=b invalidated");
}

#[tokio::test]
async fn an_unsafe_request_invalidates_every_encoding_variant() {
    let (origin, edge) = start().await;
    let body = text(3_000);
    origin.route(
        "/rw/doc",
        Reply::ok(body.clone()).header("content-type", "text/plain"),
    );
    let path = "/rw/doc";
    for ae in [Some("br"), Some("gzip"), Some("gzip, br"), None] {
        let r = get(&edge, path, ae, &[]).await;
        assert_x_cache(&r, MISS, &format!("{ae:?}"));
    }
    let r = edge.req("DELETE", path).header("host", HOST).send().await;
    assert_eq!(r.status, 200);
    for ae in [Some("br"), Some("gzip"), Some("gzip, br"), None] {
        let r = get(&edge, path, ae, &[]).await;
        assert_x_cache(&r, MISS, &format!("after DELETE {ae:?}"));
    }
}

#[tokio::test]
async fn curl_compressed_decodes_what_the_edge_sends() {
    let (origin, edge) = start().await;
    let body = text(50_000);
    origin.route(
        "/index.html",
        Reply::ok(body.clone()).header("content-type", "text/html; charset=UTF-8"),
    );
    let host = format!("Host: {HOST}");
    let r = curl::curl(
        &edge.url("/index.html"),
        &["--compressed", "-H", host.as_str()],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.headers);
    let coding = r.header("content-encoding").unwrap_or_default();
    assert!(
        coding == "br" || coding == "gzip",
        "curl --compressed got Content-Encoding {coding:?}"
    );
    assert!(
        r.body.as_ref() == body.as_slice(),
        "curl decoded the origin's bytes"
    );
    let ae = origin_ae(&origin, "/index.html").unwrap_or_default();
    assert!(ae == "br,gzip" || ae == "gzip", "origin got {ae:?}");
    let r = curl::curl(
        &edge.url("/index.html"),
        &["--compressed", "-H", host.as_str()],
    )
    .await;
    assert_x_cache(&r, HIT, "second curl");
    assert!(r.body.as_ref() == body.as_slice());
}

#[tokio::test]
async fn a_compressed_object_revalidates_with_its_weak_etag() {
    let (origin, edge) = start().await;
    let body = text(4_000);
    origin.route(
        "/data.json",
        Reply::with_etag("\"v7\"", body.clone())
            .header("content-type", "application/json")
            .header("cache-control", "max-age=10"),
    );
    let r = get(&edge, "/data.json", Some("gzip"), &[]).await;
    assert_encoded(&r, "gzip", &body, "first");
    assert_eq!(r.header("etag").as_deref(), Some("W/\"v7\""));
    edge.advance_clock(20).await;
    let r = get(&edge, "/data.json", Some("gzip"), &[]).await;
    assert_x_cache(&r, REFRESH_HIT, "304 from the origin");
    assert_eq!(
        origin
            .expect_last("/data.json")
            .header("if-none-match")
            .as_deref(),
        Some("W/\"v7\"")
    );
    assert_encoded(&r, "gzip", &body, "refreshed");
    assert_eq!(
        r.header("etag").as_deref(),
        Some("W/\"v7\""),
        "the origin's strong ETag in the 304 is weakened again"
    );
    assert_origin_hits(&origin, "/data.json", 2, "one fill, one revalidation");
}

#[tokio::test]
async fn an_origin_body_that_fails_before_compression_stores_nothing() {
    let (origin, edge) = start().await;
    origin.route(
        "/cut.html",
        Reply::ok(text(2_000))
            .header("content-type", "text/html")
            .header("content-length", "5000")
            .abort_after_body(),
    );
    let r = edge
        .req("GET", "/cut.html")
        .header("host", HOST)
        .header("accept-encoding", "gzip")
        .try_send()
        .await;
    match r {
        Ok(r) => assert!(r.status >= 500, "a cut body is an error: {:?}", r.headers),
        Err(e) => panic!("the edge should answer with an error page, got {e}"),
    }
    let body = text(5_000);
    origin.route(
        "/cut.html",
        Reply::ok(body.clone()).header("content-type", "text/html"),
    );
    let r = get(&edge, "/cut.html", Some("gzip"), &[]).await;
    assert_x_cache(&r, MISS, "nothing was stored from the cut body");
    assert_encoded(&r, "gzip", &body, "second fill");
    assert_origin_hits(&origin, "/cut.html", 2, "two fills");
}

#[tokio::test]
async fn an_admin_purge_of_a_path_takes_every_variant_of_its_distribution() {
    let (origin, edge) = start().await;
    let body = text(3_000);
    origin.route(
        "/purged/doc",
        Reply::ok(body.clone())
            .header("content-type", "text/plain")
            .header("cache-control", "max-age=600"),
    );
    let path = "/purged/doc";
    let codings = [Some("br"), Some("gzip"), None];
    for ae in codings {
        let r = get(&edge, path, ae, &[]).await;
        assert_x_cache(&r, MISS, &format!("{ae:?}"));
    }
    let purge = |query: &str| Req::new("POST", &edge.admin_url(&format!("/purge?{query}"))).send();
    let r = purge("path=/purged/doc").await;
    assert_eq!(
        r.status,
        400,
        "brink edge needs a distribution: {:?}",
        r.text()
    );
    let r = purge("path=/purged/doc&distribution=ENOSUCH").await;
    assert_eq!(r.status, 404, "{:?}", r.text());
    assert!(r.text().contains("NoSuchDistribution"), "{:?}", r.text());
    for ae in codings {
        let r = get(&edge, path, ae, &[]).await;
        assert_x_cache(&r, HIT, &format!("refused purges removed nothing: {ae:?}"));
    }
    let r = purge("path=/purged/doc&distribution=ECOMPRESS1").await;
    assert_eq!(r.status, 200, "{:?}", r.text());
    // The unencoded variant's key is the path itself: removed at once. The two encoded ones
    // (`\n` keys) are banned, not counted.
    let json: serde_json::Value = serde_json::from_slice(&r.body).expect("purge answers JSON");
    assert_eq!(json["purged"], 1, "the identity variant: {json}");
    assert!(json["ban"].is_u64(), "a ban covers the variants: {json}");
    for ae in codings {
        let r = get(&edge, path, ae, &[]).await;
        assert_x_cache(&r, MISS, &format!("after the purge: {ae:?}"));
    }
    assert_origin_hits(&origin, path, 6, "each variant fetched twice");
}

/// Issue 9 part 5: a large compressible body is encoded as it streams, so the viewer gets
/// compressed bytes while the origin still holds the rest (no 10 MB buffer first); the
/// whole decodes to the origin's bytes, and the hit that follows carries the encoded length.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_body_is_compressed_as_it_streams() {
    use http_body_util::BodyExt as _;
    let (origin, edge) = start().await;
    // Text a deflate block cannot swallow whole (a repeated line would compress into one
    // block of megabytes, emitted only at the end): 16 letters drawn at random.
    let letters = |len: usize, seed: u64| -> Vec<u8> {
        pseudo_random_bytes(len, seed)
            .into_iter()
            .map(|b| b"etaoin shrdlucmf"[usize::from(b & 15)])
            .collect()
    };
    let first = letters(2_000_000, 1);
    let rest = letters(3_000_000, 2);
    let full: Vec<u8> = [first.as_slice(), rest.as_slice()].concat();
    let gate = Gate::new();
    origin.route(
        "/big.html",
        Reply::cacheable(first.clone(), "max-age=600")
            .header("content-type", "text/html")
            .then_wait(&gate)
            .then_chunk(rest.clone()),
    );
    let resp = Req::get(&edge.url("/big.html"))
        .header("host", HOST)
        .header("accept-encoding", "gzip")
        .send_streaming()
        .await
        .expect("response head while the origin holds the rest");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    assert!(
        resp.headers().get("content-length").is_none(),
        "length unknown while encoding"
    );
    let mut body = resp.into_body();
    let mut got = Vec::new();
    // Compressed bytes of the first part arrive before the gate opens.
    while got.len() < 1000 {
        let frame = tokio::time::timeout(Duration::from_secs(20), body.frame())
            .await
            .expect("compressed bytes before the origin sends the rest")
            .expect("a frame")
            .expect("no error");
        if let Ok(d) = frame.into_data() {
            got.extend_from_slice(&d);
        }
    }
    gate.open();
    let tail = body.collect().await.expect("the rest").to_bytes();
    got.extend_from_slice(&tail);
    assert!(gunzip(&got) == full, "decodes to the origin's bytes");
    assert!(
        got.len() < full.len() * 3 / 4,
        "{} of {}",
        got.len(),
        full.len()
    );
    let hit = get(&edge, "/big.html", Some("gzip"), &[]).await;
    assert_x_cache(&hit, HIT, "second request");
    assert_eq!(
        hit.header("content-length"),
        Some(got.len().to_string()),
        "a hit carries the encoded length"
    );
    assert!(hit.body == got, "the stored bytes are the ones streamed");
    assert_eq!(origin.hits("/big.html"), 1);
}

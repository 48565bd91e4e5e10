//! `brink edge`: what reaches the origin and what splits the cache under the two ways
//! CloudFront describes it (cloudfront.md §2.4, §3.2):
//! - legacy `ForwardedValues` on `/legacy/*`: every query string forwarded but only `a` keyed,
//!   the cookie `sid` and the header `X-Tenant` keyed and forwarded, unknown headers passed,
//!   TTLs from the behavior's own `DefaultTTL`;
//! - a cache policy plus an origin request policy on `/orp/*` (CachingOptimized +
//!   AllViewerExceptHostHeader): everything the viewer sent is forwarded, nothing of it keyed.

use serde_json::json;

use crate::testkit::*;

const HOST: &str = "f.test";
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

fn config(origin_port: u16) -> String {
    json!({
        "Distributions": [{
            "Id": "EFORWARD1",
            "DomainName": "dforward1example.cloudfront.net",
            "DistributionConfig": {
                "CallerReference": "forwarding",
                "Comment": "forwarding tests",
                "Enabled": true,
                "Aliases": { "Quantity": 1, "Items": [HOST] },
                "Origins": { "Quantity": 1, "Items": [{
                    "Id": "web",
                    "DomainName": "127.0.0.1",
                    "CustomOriginConfig": {
                        "HTTPPort": origin_port,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "http-only"
                    }
                }]},
                "DefaultCacheBehavior": {
                    "TargetOriginId": "web",
                    "ViewerProtocolPolicy": "allow-all",
                    "CachePolicyId": CACHING_OPTIMIZED
                },
                "CacheBehaviors": { "Quantity": 2, "Items": [
                    {
                        "PathPattern": "/legacy/*",
                        "TargetOriginId": "web",
                        "ViewerProtocolPolicy": "allow-all",
                        "ForwardedValues": {
                            "QueryString": true,
                            "QueryStringCacheKeys": { "Quantity": 1, "Items": ["a"] },
                            "Cookies": {
                                "Forward": "whitelist",
                                "WhitelistedNames": { "Quantity": 1, "Items": ["sid"] }
                            },
                            "Headers": { "Quantity": 1, "Items": ["X-Tenant"] }
                        },
                        "MinTTL": 0,
                        "DefaultTTL": 300,
                        "MaxTTL": 3600
                    },
                    {
                        "PathPattern": "/orp/*",
                        "TargetOriginId": "web",
                        "ViewerProtocolPolicy": "allow-all",
                        "CachePolicyId": CACHING_OPTIMIZED,
                        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER
                    }
                ]}
            }
        }]
    })
    .to_string()
}

async fn start() -> (TestOrigin, Edge) {
    let origin = TestOrigin::start().await;
    let mut edge = Edge::start_config(&config(origin.port()), &[]).await;
    edge.link_origin_clock(&origin);
    (origin, edge)
}

async fn get(edge: &Edge, target: &str, headers: &[(&str, &str)]) -> Resp {
    let mut all = vec![("host", HOST)];
    all.extend_from_slice(headers);
    edge.get_with(target, &all).await
}

#[tokio::test]
async fn legacy_forwarded_values_key_the_listed_values_and_pass_the_rest() {
    let (origin, edge) = start().await;
    // No Cache-Control: the behavior's DefaultTTL (300 s) applies.
    origin.route_prefix("/legacy/", Reply::ok("legacy"));
    let viewer = [
        ("x-tenant", "t1"),
        ("cookie", "sid=s1; other=o1"),
        ("x-custom", "passes"),
        ("authorization", "Bearer secret"),
        ("referer", "https://ref.example/"),
    ];
    let r = get(&edge, "/legacy/item?a=1&b=1", &viewer).await;
    assert_miss(&r, "first");
    assert_body(&r, b"legacy", "first");
    let seen = origin.expect_last("/legacy/item?a=1&b=1");
    assert_eq!(
        seen.header("x-tenant").as_deref(),
        Some("t1"),
        "keyed header"
    );
    assert_eq!(seen.header("cookie").as_deref(), Some("sid=s1"), "only sid");
    assert_eq!(
        seen.header("x-custom").as_deref(),
        Some("passes"),
        "legacy mode passes headers it has no rule for"
    );
    for stripped in ["authorization", "referer"] {
        assert!(!seen.has(stripped), "{stripped} reached the origin");
    }
    assert_eq!(
        seen.header("user-agent").as_deref(),
        Some("Amazon CloudFront")
    );

    // `b` is forwarded but not keyed: another value is a hit.
    let r = get(&edge, "/legacy/item?a=1&b=2", &viewer).await;
    assert_hit(&r, "b is not in the key");
    assert_body(&r, b"legacy", "hit");
    assert_eq!(origin.total(), 1, "{:?}", origin.request_lines());

    // `a`, the header and the cookie each split the key.
    let r = get(&edge, "/legacy/item?a=2&b=1", &viewer).await;
    assert_miss(&r, "a=2");
    let other_tenant = [("x-tenant", "t2"), ("cookie", "sid=s1")];
    let r = get(&edge, "/legacy/item?a=1", &other_tenant).await;
    assert_miss(&r, "X-Tenant t2");
    let other_session = [("x-tenant", "t1"), ("cookie", "sid=s2; other=o9")];
    let r = get(&edge, "/legacy/item?a=1", &other_session).await;
    assert_miss(&r, "sid=s2");
    assert_eq!(origin.total(), 4, "{:?}", origin.request_lines());
    // ...and the unlisted cookie does not.
    let same_session = [("x-tenant", "t1"), ("cookie", "other=o2; sid=s2")];
    let r = get(&edge, "/legacy/item?a=1", &same_session).await;
    assert_hit(&r, "other cookie values share sid=s2's object");

    // DefaultTTL 300 s: a hit at 290 s, a miss past 300 s.
    edge.advance_clock(290).await;
    let r = get(&edge, "/legacy/item?a=1&b=9", &viewer).await;
    assert_hit(&r, "290 s into DefaultTTL 300");
    edge.advance_clock(20).await;
    let r = get(&edge, "/legacy/item?a=1&b=9", &viewer).await;
    assert_miss(&r, "310 s into DefaultTTL 300");
    assert_eq!(
        origin.expect_last("/legacy/item?a=1&b=9").target,
        "/legacy/item?a=1&b=9",
        "every query string is forwarded"
    );
}

#[tokio::test]
async fn an_origin_request_policy_forwards_without_keying() {
    let (origin, edge) = start().await;
    origin.route_prefix("/orp/", Reply::cacheable("orp", "max-age=600"));
    let r = get(
        &edge,
        "/orp/page?q=1",
        &[
            ("x-foo", "one"),
            ("cookie", "c=1"),
            ("referer", "https://r/"),
        ],
    )
    .await;
    assert_miss(&r, "first");
    let seen = origin.expect_last("/orp/page?q=1");
    assert_eq!(seen.header("x-foo").as_deref(), Some("one"));
    assert_eq!(seen.header("cookie").as_deref(), Some("c=1"));
    assert_eq!(seen.header("referer").as_deref(), Some("https://r/"));
    assert_eq!(
        seen.header("host").as_deref(),
        Some(origin.authority().as_str()),
        "AllViewerExceptHostHeader: Host is the origin's"
    );
    // None of it is in CachingOptimized's key.
    let r = get(
        &edge,
        "/orp/page?q=2",
        &[("x-foo", "two"), ("cookie", "c=2")],
    )
    .await;
    assert_hit(&r, "query, header and cookie are forwarded, not keyed");
    assert_body(&r, b"orp", "hit");
    assert_eq!(origin.total(), 1, "{:?}", origin.request_lines());

    // The default behavior has no origin request policy: nothing of that reaches the origin.
    origin.route("/plain", Reply::cacheable("plain", "max-age=600"));
    let r = get(&edge, "/plain?q=1", &[("x-foo", "one"), ("cookie", "c=1")]).await;
    assert_miss(&r, "plain");
    let seen = origin.expect_last("/plain");
    for stripped in ["x-foo", "cookie"] {
        assert!(!seen.has(stripped), "{stripped} reached the origin");
    }
}

#[tokio::test]
async fn the_origins_vary_does_not_split_the_cache_and_keeps_only_keyed_tokens() {
    let (origin, edge) = start().await;
    // cloudfront.md §2.8: only the policy makes variants.
    origin.route(
        "/legacy/varied",
        Reply::ok("varied").header("vary", "User-Agent, X-Tenant, Accept-Language"),
    );
    let r = get(
        &edge,
        "/legacy/varied",
        &[
            ("x-tenant", "t1"),
            ("user-agent", "curl/1"),
            ("accept-language", "fr"),
        ],
    )
    .await;
    assert_miss(&r, "first");
    assert_eq!(
        r.header("vary").as_deref(),
        Some("X-Tenant"),
        "tokens the key does not explain are removed"
    );
    let r = get(
        &edge,
        "/legacy/varied",
        &[
            ("x-tenant", "t1"),
            ("user-agent", "wget/2"),
            ("accept-language", "de"),
        ],
    )
    .await;
    assert_hit(&r, "another User-Agent and Accept-Language: same object");
    assert_eq!(r.header("vary").as_deref(), Some("X-Tenant"), "on the hit");
    let r = get(&edge, "/legacy/varied", &[("x-tenant", "t2")]).await;
    assert_miss(&r, "the keyed header still splits");
    assert_eq!(origin.hits("/legacy/varied"), 2);
}

/// Whatever the policy forwards, a fill fetches the whole object unconditionally: a viewer's
/// `Range` or `If-None-Match` is answered from the stored object, not sent to the origin
/// (where it would turn the fill into an unstorable 206 or 304).
#[tokio::test]
async fn fills_never_carry_the_viewers_range_or_preconditions() {
    let (origin, edge) = start().await;
    let body = pseudo_random_bytes(4096, 9);
    origin.route_prefix(
        "/",
        Reply::cacheable(body.clone(), "max-age=600").header("etag", "\"v1\""),
    );
    // Legacy mode (passes unknown and If-*/Range headers in §3.2's list) and AllViewer.
    for path in ["/legacy/ranged", "/orp/ranged"] {
        let r = get(&edge, path, &[("range", "bytes=0-9")]).await;
        assert_eq!(r.status, 206, "{path}: {r:?}");
        assert_eq!(&r.body[..], &body[..10], "{path}: the range");
        let seen = origin.expect_last(path);
        assert!(!seen.has("range"), "{path}: Range reached the origin");
        let r = get(&edge, path, &[("if-none-match", "\"v1\"")]).await;
        assert_eq!(r.status, 304, "{path}: answered from the stored object");
        assert_x_cache(&r, "Hit from cloudfront", path);
        let r = get(&edge, path, &[]).await;
        assert_hit(&r, path);
        assert_eq!(
            &r.body[..],
            &body[..],
            "{path}: the whole object was stored"
        );
        assert_eq!(origin.hits(path), 1, "{path}: one fill");
    }
}

/// Brink departs from §2.8 where it would serve one viewer's answer to another: a header the
/// origin received without it being keyed (here through AllViewerExceptHostHeader) still
/// selects variants when the origin names it in `Vary`.
#[tokio::test]
async fn vary_on_a_forwarded_but_unkeyed_header_still_selects_variants() {
    let (origin, edge) = start().await;
    origin.route_fn("/orp/lang", |req| {
        let lang = req.header("x-lang").unwrap_or_default();
        Reply::cacheable(format!("page in {lang}"), "max-age=600").header("vary", "X-Lang")
    });
    let r = get(&edge, "/orp/lang", &[("x-lang", "fr")]).await;
    assert_miss(&r, "fr");
    assert_body(&r, b"page in fr", "fr");
    let r = get(&edge, "/orp/lang", &[("x-lang", "de")]).await;
    assert_miss(&r, "de is another variant");
    assert_body(&r, b"page in de", "de");
    let r = get(&edge, "/orp/lang", &[("x-lang", "fr")]).await;
    assert_hit(&r, "fr again");
    assert_body(&r, b"page in fr", "fr from the cache");
    assert_eq!(r.header("vary").as_deref(), Some("X-Lang"));
    assert_eq!(origin.hits("/orp/lang"), 2);
}

//! The `CloudFront-*` viewer headers (cloudfront.md §3.2) through the real edge: written from
//! the geo database (`--geo-db`, here MaxMind's GeoIP2-City test file), the User-Agent and the
//! connection when a policy names them; keyed when the cache policy names them (variants by
//! country and device, counted at the origin); never taken from the viewer; and `--geo-db`
//! re-read when its file changes. The viewer's address comes through a trusted proxy's
//! `X-Forwarded-For`, since every test connection comes from 127.0.0.1.

use std::path::Path;

use crate::testkit::control::temp_dir;
use crate::testkit::*;

const HOST: &str = "d222222abcdef8.cloudfront.net";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
const DESKTOP: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

fn config(origin_port: u16) -> String {
    serde_json::json!({
        "CachePolicies": [{"Id": "aaaaaaaa-0000-4000-8000-000000000001", "CachePolicyConfig": {
            "Name": "by-country-and-device", "MinTTL": 0, "DefaultTTL": 3600, "MaxTTL": 86400,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": false,
                "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 2,
                    "Items": ["CloudFront-Viewer-Country", "CloudFront-Is-Mobile-Viewer"]}},
                "CookiesConfig": {"CookieBehavior": "none"},
                "QueryStringsConfig": {"QueryStringBehavior": "none"}}}}],
        "OriginRequestPolicies": [{"Id": "bbbbbbbb-0000-4000-8000-000000000002", "OriginRequestPolicyConfig": {
            "Name": "viewer-facts",
            "HeadersConfig": {"HeaderBehavior": "allViewerAndWhitelistCloudFront", "Headers": {"Quantity": 6,
                "Items": ["CloudFront-Viewer-City", "CloudFront-Viewer-Country-Name",
                          "CloudFront-Viewer-Address", "CloudFront-Forwarded-Proto",
                          "CloudFront-Viewer-Http-Version", "CloudFront-Viewer-Time-Zone"]}},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"}}}],
        "Distributions": [{"Id": "EVIEWER", "DomainName": HOST, "DistributionConfig": {
            "CallerReference": "c", "Comment": "", "Enabled": true,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "127.0.0.1",
                "CustomOriginConfig": {"HTTPPort": origin_port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "aaaaaaaa-0000-4000-8000-000000000001",
                "OriginRequestPolicyId": "bbbbbbbb-0000-4000-8000-000000000002"}
        }}]
    })
    .to_string()
}

fn geo_data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/geo")
        .join(name)
}

#[tokio::test]
async fn viewer_headers_are_written_keyed_and_never_taken_from_the_viewer() {
    let dir = temp_dir("viewer-headers");
    let geo = dir.join("geo.mmdb");
    std::fs::copy(geo_data("test/GeoIP2-City-Test.mmdb"), &geo).expect("copy geo db");
    let origin = TestOrigin::start().await;
    origin.route("/v.txt", Reply::cacheable("v", "max-age=3600"));
    let edge = Edge::start_config(
        &config(origin.port()),
        &[
            "--trusted-proxy",
            "127.0.0.0/8",
            "--geo-db",
            geo.to_str().expect("utf-8 path"),
        ],
    )
    .await;
    let get = |ip: &'static str, ua: &'static str| {
        let edge = &edge;
        async move {
            edge.get_with(
                "/v.txt",
                &[
                    ("host", HOST),
                    ("x-forwarded-for", ip),
                    ("user-agent", ua),
                    // Forged by the viewer: replaced (country) or dropped (city).
                    ("cloudfront-viewer-country", "ZZ"),
                    ("cloudfront-viewer-city", "Nowhere"),
                ],
            )
            .await
        }
    };

    // 216.160.83.56 is Milton, WA, US in the test database.
    let r = get("216.160.83.56", IPHONE).await;
    assert_miss(&r, "first US phone");
    assert_body(&r, b"v", "first US phone");
    let seen = origin.expect_last("/v.txt");
    for (name, want) in [
        ("cloudfront-viewer-country", "US"),
        ("cloudfront-is-mobile-viewer", "true"),
        ("cloudfront-viewer-city", "Milton"),
        ("cloudfront-viewer-country-name", "United States"),
        ("cloudfront-viewer-address", "216.160.83.56:0"),
        ("cloudfront-forwarded-proto", "http"),
        ("cloudfront-viewer-http-version", "1.1"),
        ("cloudfront-viewer-time-zone", "America/Los_Angeles"),
    ] {
        assert_eq!(seen.header(name).as_deref(), Some(want), "{name}");
        assert_eq!(seen.headers.get_all(name).iter().count(), 1, "{name} once");
    }
    assert_eq!(origin.hits("/v.txt"), 1);

    // Same country and device: the same cached variant.
    let r = get("216.160.83.56", IPHONE).await;
    assert_hit(&r, "second US phone");
    assert_eq!(origin.hits("/v.txt"), 1);

    // Another device type, then another country: a variant each.
    let r = get("216.160.83.56", DESKTOP).await;
    assert_miss(&r, "US desktop");
    assert_eq!(
        origin
            .expect_last("/v.txt")
            .header("cloudfront-is-mobile-viewer")
            .as_deref(),
        Some("false")
    );
    let r = get("89.160.20.128", IPHONE).await;
    assert_miss(&r, "SE phone");
    let seen = origin.expect_last("/v.txt");
    assert_eq!(
        seen.header("cloudfront-viewer-country").as_deref(),
        Some("SE")
    );
    // Non-ASCII city names are percent-encoded.
    assert_eq!(
        seen.header("cloudfront-viewer-city").as_deref(),
        Some("Link%C3%B6ping")
    );
    assert_eq!(origin.hits("/v.txt"), 3);

    // An address the database does not know: no country, and the forged one is gone.
    let r = get("10.9.8.7", IPHONE).await;
    assert_miss(&r, "unknown country");
    let seen = origin.expect_last("/v.txt");
    assert!(!seen.has("cloudfront-viewer-country"), "{:?}", seen.headers);
    assert!(!seen.has("cloudfront-viewer-city"), "{:?}", seen.headers);
    assert_eq!(origin.hits("/v.txt"), 4);

    // --geo-db is re-read when the file changes: the shipped database (country only) in
    // place of the City file, renamed in so no half-written file is ever read.
    let next = dir.join("geo.mmdb.new");
    std::fs::copy(geo_data("iptoasn-country.mmdb"), &next).expect("copy shipped db");
    std::fs::rename(&next, &geo).expect("rename");
    let mut reloaded = false;
    for i in 0..100 {
        // A fresh object each round: the answer comes from the origin request.
        let path = format!("/probe-{i}");
        origin.route(&path, Reply::cacheable("p", "max-age=3600"));
        let r = edge
            .get_with(&path, &[("host", HOST), ("x-forwarded-for", "81.2.69.160")])
            .await;
        assert_eq!(r.status, 200);
        let seen = origin.expect_last(&path);
        assert_eq!(
            seen.header("cloudfront-viewer-country").as_deref(),
            Some("GB")
        );
        if !seen.has("cloudfront-viewer-city") {
            reloaded = true;
            break;
        }
        assert_eq!(
            seen.header("cloudfront-viewer-city").as_deref(),
            Some("London")
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the edge never picked up the new --geo-db file");
    std::fs::remove_dir_all(&dir).ok();
}

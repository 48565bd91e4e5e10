//! Behaviors are chosen on the normalized path (issue 9, part 6): with a `/private/*`
//! behavior set to `https-only` and an allow-all default, plain-HTTP requests that spell
//! `/private/...` another way (dot segments, encoded unreserved characters, repeated
//! slashes) get the https-only 403 and never reach the origin; `%2F` stays data; the
//! origin still receives the raw path for requests it does get. Requests are written as raw
//! request lines over TCP, since curl and hyper would normalize some of these paths
//! themselves.

use std::time::Duration;

use crate::testkit::raw::exchange;
use crate::testkit::*;

const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

fn config(port: u16) -> String {
    format!(
        r#"{{"Distributions": [{{
  "Id": "EPATHSEC", "DomainName": "a.test",
  "DistributionConfig": {{
    "CallerReference": "path-security", "Enabled": true,
    "Origins": {{ "Quantity": 1, "Items": [{{
      "Id": "web", "DomainName": "127.0.0.1",
      "CustomOriginConfig": {{ "HTTPPort": {port}, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only" }}
    }}]}},
    "DefaultCacheBehavior": {{
      "TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all",
      "CachePolicyId": "{CACHING_DISABLED}"
    }},
    "CacheBehaviors": {{ "Quantity": 1, "Items": [{{
      "PathPattern": "/private/*", "TargetOriginId": "web",
      "ViewerProtocolPolicy": "https-only", "CachePolicyId": "{CACHING_DISABLED}"
    }}]}}
  }}
}}]}}"#
    )
}

/// One plain-HTTP request with `target` written verbatim in the request line.
async fn raw_get(edge: &Edge, target: &str) -> crate::testkit::raw::RawReply {
    let request = format!("GET {target} HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    exchange(edge.addr(), request.as_bytes(), Duration::from_secs(10)).await
}

#[tokio::test]
async fn other_spellings_of_a_private_path_get_the_https_only_refusal() {
    let origin = TestOrigin::start().await;
    origin.route_prefix("/", Reply::ok("origin"));
    let edge = Edge::start_config(&config(origin.port()), &[]).await;

    // The plain path itself: refused (the baseline the other spellings must match).
    let r = raw_get(&edge, "/private/x").await;
    assert_eq!(r.status(), Some(403), "{}", r.describe());

    for target in [
        "/public/../private/x",
        "/public/%2e%2e/private/x",
        "/public/%2E%2e/private/x",
        "/public/./../private/x",
        "/%70rivate/x",
        "/%70%72%69%76%61%74%65/x",
        "//private/x",
        "/private//x",
        "/public//../private/x",
        "/../private/x",
        "/private/./x",
    ] {
        let r = raw_get(&edge, target).await;
        assert_eq!(r.status(), Some(403), "{target}: {}", r.describe());
        let text = String::from_utf8_lossy(&r.bytes);
        assert!(
            text.contains("only accepts HTTPS"),
            "{target}: the https-only refusal, not another 403: {}",
            r.describe()
        );
    }
    assert_eq!(
        origin.total(),
        0,
        "no spelling of /private/ reached the origin: {:?}",
        origin.request_lines()
    );

    // An encoded slash is data, not a separator: `/private%2Fx` is not under /private/.
    let r = raw_get(&edge, "/private%2Fx").await;
    assert_eq!(r.status(), Some(200), "{}", r.describe());
    assert_eq!(
        origin.hits("/private%2Fx"),
        1,
        "{:?}",
        origin.request_lines()
    );

    // Paths normalized to a public one go through the default behavior, and the origin
    // receives the raw path, not the normalized one.
    for target in ["/%70ublic/y", "/private/../public/y", "//public/y"] {
        let r = raw_get(&edge, target).await;
        assert_eq!(r.status(), Some(200), "{target}: {}", r.describe());
        assert_eq!(
            origin.hits(target),
            1,
            "{target} reached the origin raw: {:?}",
            origin.request_lines()
        );
    }
    assert_eq!(origin.total(), 4, "{:?}", origin.request_lines());
}

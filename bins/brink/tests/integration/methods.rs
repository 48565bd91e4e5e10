//! Methods other than GET/HEAD: POST, PUT, DELETE and PATCH reach the origin with their body
//! byte for byte (including a 5 MiB streamed body), are never answered from cache even when
//! the response is cacheable, and a 2xx answer invalidates the stored GET of the same URL.
//! OPTIONS and unknown methods pass through uncached too.

use bytes::Bytes;

use crate::testkit::*;

/// Routes `target` to an echo of the method and body length, with a cacheable header.
fn echo_route(origin: &TestOrigin, target: &str) {
    origin.route_fn(target, |req| {
        Reply::cacheable(
            format!("{} got {} bytes", req.method, req.body.len()),
            "max-age=600",
        )
    });
}

/// Sends `method` with `body` to `target` twice and checks both reached the origin intact.
async fn assert_passes_through_uncached(
    origin: &TestOrigin,
    edge: &Edge,
    method: &str,
    target: &str,
    body: &[u8],
) {
    let before = origin.hits(target);
    for round in 1..=2 {
        let resp = edge.req(method, target).body(body.to_vec()).send().await;
        let ctx = format!("{method} {target} round {round}");
        assert_eq!(resp.status, 200, "{ctx}: {resp:?}");
        assert_body(
            &resp,
            format!("{method} got {} bytes", body.len()).as_bytes(),
            &ctx,
        );
        assert_ne!(resp.x_cache(), HIT, "{ctx} must never be a hit");
        let seen = origin.expect_last(target);
        assert_eq!(seen.method.as_str(), method, "{ctx}: method at the origin");
        assert!(
            seen.body.as_ref() == body,
            "{ctx}: body at the origin differs ({} vs {} bytes)",
            seen.body.len(),
            body.len()
        );
    }
    assert_origin_hits(
        origin,
        target,
        before + 2,
        &format!("{method} is never cached"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_methods_pass_through_with_their_body_uncached() {
    let (origin, edge) = start(&[]).await;
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let target = format!("/m/{}", method.to_ascii_lowercase());
        echo_route(&origin, &target);
        let body = format!("payload for {method}: \u{e9}\u{0}\r\n binary-safe");
        assert_passes_through_uncached(&origin, &edge, method, &target, body.as_bytes()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_and_unknown_methods_pass_through_uncached() {
    let (origin, edge) = start(&[]).await;
    for method in ["OPTIONS", "REPORT"] {
        let target = format!("/m/{}", method.to_ascii_lowercase());
        echo_route(&origin, &target);
        assert_passes_through_uncached(&origin, &edge, method, &target, b"").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_streamed_post_body_arrives_intact() {
    let (origin, edge) = start(&[]).await;
    echo_route(&origin, "/upload");
    let data = Bytes::from(pseudo_random_bytes(5 * 1024 * 1024, 5));
    let resp = edge
        .req("POST", "/upload")
        .streamed_body(data.clone(), 64 * 1024)
        .send()
        .await;
    assert_eq!(resp.status, 200, "5 MiB chunked POST: {resp:?}");
    assert_body(
        &resp,
        format!("POST got {} bytes", data.len()).as_bytes(),
        "origin's echo",
    );
    let seen = origin.expect_last("/upload");
    assert!(
        seen.body == data,
        "the origin received {} bytes, not the exact 5 MiB sent",
        seen.body.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn successful_unsafe_request_invalidates_the_cached_get() {
    let (origin, edge) = start(&[]).await;
    for method in ["POST", "PUT", "DELETE"] {
        let target = format!("/res/{}", method.to_ascii_lowercase());
        prime(
            &origin,
            &edge,
            &target,
            Reply::cacheable("stored", "max-age=600"),
        )
        .await;
        expect_hit(
            &origin,
            &edge,
            &target,
            b"stored",
            "before the unsafe request",
        )
        .await;
        let resp = edge.req(method, &target).body("change").send().await;
        assert_eq!(resp.status, 200, "{method} {target}");
        expect_miss(
            &origin,
            &edge,
            &target,
            &format!("GET after a 2xx {method} must go to the origin"),
        )
        .await;
    }
}

/// RFC 9111 §4.4: a method not known to be safe — an extension method like `M-SEARCH` too —
/// invalidates the target URI on a 2xx or 3xx, and the same-origin `Location` and
/// `Content-Location` targets with it; an error status, a safe method, or a URI on another
/// origin invalidates nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_method_not_known_to_be_safe_invalidates_on_2xx_and_3xx() {
    let (origin, edge) = start(&[]).await;
    let stored = || Reply::cacheable("stored", "max-age=600");
    let prime_all = |targets: &'static [&'static str]| {
        let origin = &origin;
        let edge = &edge;
        async move {
            for t in targets {
                if origin.hits(t) == 0 {
                    prime(origin, edge, t, stored()).await;
                } else {
                    let _ = edge.get(t).await;
                }
                expect_hit(origin, edge, t, b"stored", &format!("{t} stored")).await;
            }
        }
    };
    const ALL: &[&str] = &["/x", "/loc", "/cloc", "/elsewhere"];
    prime_all(ALL).await;

    // A safe method, an extension method with an error status: nothing is invalidated.
    for (method, status) in [
        ("OPTIONS", 200),
        ("TRACE", 200),
        ("M-SEARCH", 404),
        ("M-SEARCH", 500),
    ] {
        origin.route("/x", Reply::status(status, "answer"));
        let r = edge.req(method, "/x").send().await;
        assert_eq!(r.status, status, "{method} → {status}");
        origin.route("/x", stored());
        expect_hit(
            &origin,
            &edge,
            "/x",
            b"stored",
            &format!("after {method} → {status}"),
        )
        .await;
    }

    // M-SEARCH → 200 with same-origin Location and Content-Location (one absolute URL on
    // the origin's authority), and a Location on another origin in a second round.
    let absolute = format!("http://{}/cloc", origin.authority());
    origin.route(
        "/x",
        Reply::status(200, "searched")
            .header("location", "/loc")
            .header("content-location", &absolute),
    );
    let r = edge.req("M-SEARCH", "/x").send().await;
    assert_eq!(r.status, 200);
    for t in ["/x", "/loc", "/cloc"] {
        origin.route(t, stored());
        expect_miss(&origin, &edge, t, &format!("{t} after M-SEARCH → 200")).await;
    }
    expect_hit(
        &origin,
        &edge,
        "/elsewhere",
        b"stored",
        "not named by the response",
    )
    .await;

    // 3xx: the target again, but not a Location on another origin.
    origin.route(
        "/x",
        Reply::status(303, "").header("location", "http://other.example/elsewhere"),
    );
    let r = edge.req("PROPPATCH", "/x").send().await;
    assert_eq!(r.status, 303);
    origin.route("/x", stored());
    expect_miss(&origin, &edge, "/x", "after PROPPATCH → 303").await;
    expect_hit(
        &origin,
        &edge,
        "/elsewhere",
        b"stored",
        "Location on another origin",
    )
    .await;
}

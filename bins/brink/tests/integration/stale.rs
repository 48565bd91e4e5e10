//! Serving stale content (RFC 5861): within `stale-while-revalidate` a stale entry is served
//! at once (while the origin is still holding the refresh) and exactly one background
//! refresh reaches the origin, after which the entry is fresh again; within `stale-if-error`
//! a stale entry replaces an origin 500, a refused connection or a read timeout;
//! `must-revalidate` forbids that, so the viewer sees the error.

use std::time::Duration;

use crate::testkit::*;

const SWR: &str = "max-age=10, stale-while-revalidate=60";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stale_while_revalidate_serves_stale_and_refreshes_once() {
    let (origin, edge) = start(&[]).await;
    prime(&origin, &edge, "/swr", Reply::cacheable("old", SWR)).await;
    let refresh = Gate::new();
    origin.route(
        "/swr",
        Reply::cacheable("new", SWR).gate_before_headers(&refresh),
    );
    edge.advance_clock(15).await;

    // Five viewers arrive in the stale window while the origin holds the refresh: each is
    // answered from the stale copy without waiting for it.
    let viewers: Vec<_> = (0..5)
        .map(|_| tokio::spawn(Req::get(&edge.url("/swr")).send()))
        .collect();
    let answers = within(
        Duration::from_secs(10),
        "stale answers while the refresh is held",
        async {
            let mut out = Vec::new();
            for v in viewers {
                out.push(v.await.expect("viewer task"));
            }
            out
        },
    )
    .await;
    for (i, resp) in answers.iter().enumerate() {
        assert_hit(resp, &format!("stale-while-revalidate viewer {i}"));
        assert_body(resp, b"old", "stale copy");
        assert!(
            resp.age().unwrap_or_default() >= 15,
            "viewer {i}: Age of the stale copy ≥ 15, got {:?}",
            resp.header("age")
        );
    }
    let refreshes = origin
        .wait_for_hits("/swr", 2, Duration::from_secs(5))
        .await;
    assert_eq!(
        refreshes,
        2,
        "one background refresh must reach the origin: {:?}",
        origin.request_lines()
    );

    refresh.open();
    // Bounded poll: each request during the refresh must still be a stale hit.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut latest = edge.get("/swr").await;
    while latest.body.as_ref() != b"new" && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        latest = edge.get("/swr").await;
    }
    let refreshed = latest.body.as_ref() == b"new";
    assert!(
        refreshed,
        "the background refresh must replace the entry; last answer {latest:?}"
    );
    assert_hit(&latest, "after the refresh");
    assert!(
        latest.age().unwrap_or(99) < 10,
        "the refreshed entry is fresh: Age {:?}",
        latest.header("age")
    );
    assert_origin_hits(&origin, "/swr", 2, "exactly one refresh in total");
}

/// Fills `/s` with `cache_control` (max-age=10 plus a stale directive) and advances 20 s.
async fn stale_entry(cache_control: &str, extra_args: &[&str]) -> (TestOrigin, Edge) {
    let (origin, edge) = start(extra_args).await;
    prime(
        &origin,
        &edge,
        "/s",
        Reply::cacheable("stale but good", cache_control),
    )
    .await;
    edge.advance_clock(20).await;
    (origin, edge)
}

#[track_caller]
fn assert_stale_served(resp: &Resp, ctx: &str) {
    assert_eq!(
        resp.status, 200,
        "{ctx}: stale-if-error must hide the origin failure: {resp:?}"
    );
    assert_body(resp, b"stale but good", ctx);
}

const SIE: &str = "max-age=10, stale-if-error=600";
const MUST_REVALIDATE: &str = "max-age=10, must-revalidate";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_if_error_hides_an_origin_500() {
    let (origin, edge) = stale_entry(SIE, &[]).await;
    origin.route("/s", Reply::status(500, "origin broke"));
    assert_stale_served(&edge.get("/s").await, "origin 500");
    assert_origin_hits(&origin, "/s", 2, "the edge did try the origin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_if_error_hides_a_refused_connection() {
    let (origin, edge) = stale_entry(SIE, &[]).await;
    origin.shutdown();
    assert_stale_served(&edge.get("/s").await, "origin down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_if_error_hides_an_origin_timeout() {
    let (origin, edge) = stale_entry(SIE, &["--origin-read-timeout", "1"]).await;
    origin.route(
        "/s",
        Reply::ok("too late").delay_before_headers(Duration::from_secs(10)),
    );
    let resp = within(
        Duration::from_secs(8),
        "stale answer after a 1 s origin read timeout",
        edge.get("/s"),
    )
    .await;
    assert_stale_served(&resp, "origin timing out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn must_revalidate_passes_the_origin_500_through() {
    let (origin, edge) = stale_entry(MUST_REVALIDATE, &[]).await;
    origin.route("/s", Reply::status(500, "origin broke"));
    let resp = edge.get("/s").await;
    assert_eq!(
        resp.status, 500,
        "must-revalidate: the origin's 500 reaches the viewer: {resp:?}"
    );
    assert_x_cache(&resp, ERROR, "must-revalidate with origin 500");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn must_revalidate_gives_502_when_the_origin_is_down() {
    let (origin, edge) = stale_entry(MUST_REVALIDATE, &[]).await;
    origin.shutdown();
    let resp = edge.get("/s").await;
    assert_eq!(
        resp.status, 502,
        "must-revalidate with the origin down: {resp:?}"
    );
    assert_x_cache(&resp, ERROR, "must-revalidate with the origin down");
}

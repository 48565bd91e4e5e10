//! Self-tests of the test kit, without the edge: the origin streams a first chunk and holds
//! the rest behind a gate, answers 304 to a matching `If-None-Match`, records requests, and
//! refuses connections after `shutdown`. If these fail, the other failures are meaningless.

use std::time::Duration;

use http_body_util::BodyExt;

use crate::testkit::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_streams_the_first_chunk_before_the_gate_opens() {
    let origin = TestOrigin::start().await;
    let gate = Gate::new();
    origin.route(
        "/s",
        Reply::ok("first").then_wait(&gate).then_chunk("-second"),
    );
    let resp = Req::get(&format!("{}/s", origin.url()))
        .send_streaming()
        .await
        .expect("request");
    assert_eq!(
        resp.headers().get("content-length").map(|v| v.as_bytes()),
        Some(&b"12"[..]),
        "declared length"
    );
    let mut body = resp.into_body();
    let first = within(Duration::from_secs(5), "the first chunk", body.frame()).await;
    let first = first
        .expect("a frame")
        .expect("no error")
        .into_data()
        .expect("data frame");
    assert_eq!(first.as_ref(), b"first", "first chunk before the gate");
    gate.open();
    let rest = within(Duration::from_secs(5), "the rest", body.collect())
        .await
        .expect("rest of the body");
    assert_eq!(rest.to_bytes().as_ref(), b"-second", "rest after the gate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_honours_conditionals_and_records_requests() {
    let origin = TestOrigin::start().await;
    let lm = http_date_from_now(-100);
    origin.route("/e", Reply::with_etag("\"x\"", "body").last_modified(&lm));
    let url = format!("{}/e?q=1", origin.url());
    let full = Req::get(&url).header("if-none-match", "\"y\"").send().await;
    assert_eq!(
        (full.status, full.text().as_str()),
        (200, "body"),
        "non-matching ETag"
    );
    let not_modified = Req::get(&url)
        .header("if-none-match", "W/\"x\"")
        .send()
        .await;
    assert_eq!(not_modified.status, 304, "matching ETag");
    let by_date = Req::get(&url).header("if-modified-since", &lm).send().await;
    assert_eq!(
        by_date.status, 304,
        "If-Modified-Since equal to Last-Modified"
    );
    let post = Req::new("POST", &url).body("payload").send().await;
    assert_eq!(post.status, 200, "POST to a with_etag route");
    assert_eq!(origin.hits("/e?q=1"), 4, "hits count path + query");
    assert_eq!(origin.hits("/e"), 0, "hits are per exact target");
    assert_eq!(
        origin.expect_last("/e?q=1").body.as_ref(),
        b"payload",
        "recorded body"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_refuses_connections_after_shutdown() {
    let origin = TestOrigin::start().await;
    origin.route_prefix("/", Reply::ok("up"));
    let url = format!("{}/x", origin.url());
    assert_eq!(Req::get(&url).send().await.text(), "up", "before shutdown");
    origin.shutdown();
    let err = Req::get(&url)
        .try_send()
        .await
        .expect_err("connection must be refused after shutdown");
    assert!(
        err.contains("onnect"),
        "expected a connect error, got {err}"
    );
}

//! Hostile or broken input, sent as raw bytes over TCP: oversized header blocks (413) and
//! URLs (414), request-smuggling framings (CL + TE, duplicate CL, bad chunk sizes), obs-fold
//! and bare CR are rejected with 400 and never reach the origin; a stalled request head is
//! cut off by `--header-read-timeout`; garbage does not crash the edge. Also the edge's own
//! error pages: an origin refusing connections gives 502 and one that does not answer
//! within `--origin-read-timeout` gives 504, both CloudFront-style.

use std::time::Duration;

use crate::testkit::raw::{exchange, read_until_close, RawReply};
use crate::testkit::*;

/// Sends `request` raw and reads the reply (at most 5 s).
async fn send_raw(edge: &Edge, request: &[u8]) -> RawReply {
    exchange(edge.addr(), request, Duration::from_secs(5)).await
}

/// Asserts the edge answered `status` and then closed the connection, and that nothing
/// reached the origin.
#[track_caller]
fn assert_rejected_and_closed(reply: &RawReply, status: u16, origin: &TestOrigin, ctx: &str) {
    assert_eq!(
        reply.status(),
        Some(status),
        "{ctx}: expected a {status}; {}",
        reply.describe()
    );
    assert!(
        reply.closed,
        "{ctx}: the connection must be closed after the {status}; {}",
        reply.describe()
    );
    assert_eq!(
        origin.total(),
        0,
        "{ctx}: nothing may reach the origin, got {:?}",
        origin.request_lines()
    );
}

/// A catch-all origin so that any forwarded request would be visible.
async fn start_with_catch_all(extra_args: &[&str]) -> (TestOrigin, Edge) {
    let (origin, edge) = start(extra_args).await;
    origin.route_prefix("/", Reply::cacheable("origin body", "max-age=60"));
    (origin, edge)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_header_block_is_413_and_closed() {
    let (origin, edge) = start_with_catch_all(&[]).await;
    let big = "a".repeat(21_000);
    let request = format!("GET /big-headers HTTP/1.1\r\nHost: test\r\nX-Big: {big}\r\n\r\n");
    let reply = send_raw(&edge, request.as_bytes()).await;
    assert_rejected_and_closed(&reply, 413, &origin, "21,000-byte header");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_url_is_414_and_closed() {
    let (origin, edge) = start_with_catch_all(&[]).await;
    let path = format!("/{}", "u".repeat(9_000));
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    let reply = send_raw(&edge, request.as_bytes()).await;
    assert_rejected_and_closed(&reply, 414, &origin, "9,001-byte URL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_with_chunked_is_400_and_closed() {
    let (origin, edge) = start_with_catch_all(&[]).await;
    let request = b"POST /smuggle HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n";
    let reply = send_raw(&edge, request).await;
    assert_rejected_and_closed(
        &reply,
        400,
        &origin,
        "Content-Length + Transfer-Encoding: chunked",
    );
    assert_eq!(
        reply.response_count(),
        1,
        "the smuggled request must not be answered: {}",
        reply.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_content_lengths_are_400() {
    let (origin, edge) = start_with_catch_all(&[]).await;
    let request =
        b"POST /cl HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
    let reply = send_raw(&edge, request).await;
    assert_rejected_and_closed(&reply, 400, &origin, "two different Content-Length values");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_chunk_size_is_400_and_never_forwarded() {
    let (origin, edge) = start_with_catch_all(&[]).await;
    let request = b"POST /chunks HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";
    let reply = send_raw(&edge, request).await;
    assert_rejected_and_closed(&reply, 400, &origin, "chunk size `zz`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obs_fold_is_400() {
    let (origin, edge) = start_with_catch_all(&[]).await;
    let request = b"GET /fold HTTP/1.1\r\nHost: test\r\nX-Folded: first\r\n second\r\n\r\n";
    let reply = send_raw(&edge, request).await;
    assert_rejected_and_closed(&reply, 400, &origin, "obs-fold header line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_cr_in_a_header_value_is_400() {
    let (origin, edge) = start_with_catch_all(&[]).await;
    let request = b"GET /cr HTTP/1.1\r\nHost: test\r\nX-Bad: a\rb\r\n\r\n";
    let reply = send_raw(&edge, request).await;
    assert_rejected_and_closed(&reply, 400, &origin, "bare CR inside a header value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_request_head_is_cut_off_by_the_header_read_timeout() {
    let (origin, edge) = start_with_catch_all(&["--header-read-timeout", "1"]).await;
    let mut stream = tokio::net::TcpStream::connect(edge.addr())
        .await
        .expect("connect");
    tokio::io::AsyncWriteExt::write_all(&mut stream, b"GET /slow HT")
        .await
        .expect("write half a request line");
    // The only real wait in the suite: the edge's 1 s header timeout must fire.
    let reply = read_until_close(&mut stream, Duration::from_secs(5)).await;
    assert!(
        reply.closed,
        "the edge must close a stalled connection; {}",
        reply.describe()
    );
    assert!(
        reply.elapsed <= Duration::from_millis(3_500),
        "closed after {:?}, expected ~1-3 s",
        reply.elapsed
    );
    assert!(
        matches!(reply.status(), None | Some(408)),
        "only a 408 (or nothing) may be sent; {}",
        reply.describe()
    );
    assert_eq!(origin.total(), 0, "nothing reaches the origin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_are_rejected_and_the_edge_keeps_serving() {
    let (origin, mut edge) = start_with_catch_all(&[]).await;
    let mut garbage = pseudo_random_bytes(4096, 99);
    garbage[0] = 0x16; // starts like a TLS handshake, to be nasty
    let reply = send_raw(&edge, &garbage).await;
    assert!(
        reply.status() == Some(400) || (reply.closed && reply.bytes.is_empty()),
        "garbage must get a 400 or a closed connection; {}",
        reply.describe()
    );
    assert_eq!(origin.total(), 0, "garbage never reaches the origin");
    assert!(edge.is_running(), "the edge must survive garbage input");
    let resp = edge.get("/after-garbage").await;
    assert_miss(&resp, "normal request after garbage");
    assert_body(&resp, b"origin body", "normal request after garbage");
}

#[track_caller]
fn assert_cloudfront_error_page(resp: &Resp, status: u16, ctx: &str) {
    assert_eq!(resp.status, status, "{ctx}: {resp:?}");
    assert_x_cache(resp, ERROR, ctx);
    assert_eq!(
        resp.header("server").as_deref(),
        Some("CloudFront"),
        "{ctx}: Server header"
    );
    let ct = resp.header("content-type").unwrap_or_default();
    assert!(
        ct.starts_with("text/html"),
        "{ctx}: HTML error page, Content-Type {ct:?}"
    );
    assert!(
        resp.text()
            .contains("ERROR: The request could not be satisfied"),
        "{ctx}: CloudFront error text missing from {:?}",
        resp.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_origin_connection_is_a_502_error_page() {
    let (origin, edge) = start(&[]).await;
    origin.shutdown();
    let resp = edge.get("/unreachable").await;
    assert_cloudfront_error_page(&resp, 502, "origin refusing connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_origin_is_a_504_error_page() {
    let (origin, edge) = start(&["--origin-read-timeout", "1"]).await;
    origin.route(
        "/slow",
        Reply::ok("too late").delay_before_headers(Duration::from_secs(10)),
    );
    let resp = within(
        Duration::from_secs(8),
        "the 504 after a 1 s origin read timeout",
        edge.get("/slow"),
    )
    .await;
    assert_cloudfront_error_page(
        &resp,
        504,
        "origin not answering within --origin-read-timeout 1",
    );
    assert_origin_hits(&origin, "/slow", 1, "the edge did send the request");
}

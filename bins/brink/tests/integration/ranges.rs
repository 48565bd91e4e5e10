//! Range requests (RFC 9110 §14): single ranges on a cached object give a 206 with the exact
//! bytes and `Content-Range`; several ascending ranges give `multipart/byteranges`;
//! unsatisfiable ranges give 416 `bytes */LEN`; overlapping or descending ranges and a
//! non-matching `If-Range` give the full 200. A range request on a miss asks the origin for
//! the aligned slice around it; an origin answering 200 has its whole object stored, and
//! later ranges are hits. (Slices of large objects: `slices.rs`.)

use crate::testkit::curl::curl;
use crate::testkit::*;

const LEN: usize = 100;
const ETAG: &str = "\"r1\"";

/// 100 bytes of text whose every 62-byte window is distinct.
fn object() -> Vec<u8> {
    let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..LEN).map(|i| alphabet[i % alphabet.len()]).collect()
}

/// Starts an origin + edge and fills `/obj` (100 bytes, ETag r1, max-age=600).
async fn cached_object() -> (TestOrigin, Edge) {
    let (origin, edge) = start(&[]).await;
    prime(
        &origin,
        &edge,
        "/obj",
        Reply::with_etag(ETAG, object()).header("cache-control", "max-age=600"),
    )
    .await;
    (origin, edge)
}

async fn get_range(edge: &Edge, range: &str, extra: &[(&str, &str)]) -> Resp {
    let mut headers = vec![("range", range)];
    headers.extend_from_slice(extra);
    edge.get_with("/obj", &headers).await
}

#[track_caller]
fn assert_partial(resp: &Resp, first: usize, last: usize, ctx: &str) {
    assert_eq!(
        resp.status, 206,
        "{ctx}: expected 206, headers {:?}",
        resp.headers
    );
    assert_eq!(
        resp.header("content-range"),
        Some(format!("bytes {first}-{last}/{LEN}")),
        "{ctx}: Content-Range"
    );
    assert_body(resp, &object()[first..=last], ctx);
}

#[track_caller]
fn assert_full(resp: &Resp, ctx: &str) {
    assert_eq!(
        resp.status, 200,
        "{ctx}: expected the full 200, headers {:?}",
        resp.headers
    );
    assert!(
        resp.header("content-range").is_none(),
        "{ctx}: a 200 has no Content-Range"
    );
    assert_body(resp, &object(), ctx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_on_cached_object_over_curl() {
    let (origin, edge) = cached_object().await;
    let resp = curl(&edge.url("/obj"), &["-H", "Range: bytes=0-9"]).await;
    assert_partial(&resp, 0, 9, "curl Range: bytes=0-9");
    assert_x_cache(&resp, HIT, "range served from cache");
    assert_eq!(
        resp.header("content-length").as_deref(),
        Some("10"),
        "Content-Length of the part"
    );
    assert_origin_hits(&origin, "/obj", 1, "range on a cached object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middle_open_ended_and_suffix_ranges() {
    let (origin, edge) = cached_object().await;
    assert_partial(
        &get_range(&edge, "bytes=10-19", &[]).await,
        10,
        19,
        "bytes=10-19",
    );
    assert_partial(
        &get_range(&edge, "bytes=90-", &[]).await,
        90,
        99,
        "bytes=90-",
    );
    assert_partial(
        &get_range(&edge, "bytes=-10", &[]).await,
        90,
        99,
        "bytes=-10",
    );
    assert_partial(
        &get_range(&edge, "bytes=95-500", &[]).await,
        95,
        99,
        "bytes=95-500 (end clamped)",
    );
    assert_origin_hits(&origin, "/obj", 1, "ranges on a cached object");
}

/// Parses a `multipart/byteranges` body into (Content-Range, bytes) pairs.
fn multipart_parts(resp: &Resp) -> Vec<(String, Vec<u8>)> {
    let content_type = resp.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("multipart/byteranges"),
        "multipart Content-Type, got {content_type:?}"
    );
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .unwrap_or_else(|| panic!("no boundary in {content_type:?}"))
        .trim_matches('"')
        .to_owned();
    let body = resp.text();
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    for segment in body.split(delimiter.as_str()).skip(1) {
        if segment.starts_with("--") {
            break;
        }
        let segment = segment
            .strip_prefix("\r\n")
            .unwrap_or_else(|| panic!("part must start with CRLF: {segment:?}"));
        let (head, data) = segment
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("part without header end: {segment:?}"));
        let data = data
            .strip_suffix("\r\n")
            .unwrap_or_else(|| panic!("part data must end with CRLF: {data:?}"));
        let range = head
            .split("\r\n")
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("content-range"))
            })
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| panic!("part without Content-Range: {head:?}"));
        parts.push((range, data.as_bytes().to_vec()));
    }
    parts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiple_ranges_give_multipart_byteranges() {
    let (origin, edge) = cached_object().await;
    let resp = get_range(&edge, "bytes=0-4,10-14,90-", &[]).await;
    assert_eq!(resp.status, 206, "multiple ranges: {resp:?}");
    let parts = multipart_parts(&resp);
    let o = object();
    let expected = vec![
        (format!("bytes 0-4/{LEN}"), o[0..5].to_vec()),
        (format!("bytes 10-14/{LEN}"), o[10..15].to_vec()),
        (format!("bytes 90-99/{LEN}"), o[90..100].to_vec()),
    ];
    assert_eq!(parts, expected, "multipart parts (Content-Range, bytes)");
    assert_origin_hits(&origin, "/obj", 1, "multipart ranges on a cached object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsatisfiable_range_is_416() {
    let (origin, edge) = cached_object().await;
    for range in ["bytes=100-200", "bytes=1000-"] {
        let resp = get_range(&edge, range, &[]).await;
        assert_eq!(resp.status, 416, "{range}: {resp:?}");
        assert_eq!(
            resp.header("content-range"),
            Some(format!("bytes */{LEN}")),
            "{range}: Content-Range of a 416"
        );
        assert_x_cache(&resp, ERROR, range);
    }
    assert_origin_hits(&origin, "/obj", 1, "416 is decided by the cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_or_descending_ranges_give_the_full_object() {
    let (_origin, edge) = cached_object().await;
    assert_full(
        &get_range(&edge, "bytes=0-50,40-60", &[]).await,
        "overlapping ranges",
    );
    assert_full(
        &get_range(&edge, "bytes=50-60,0-10", &[]).await,
        "descending ranges",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_range_decides_between_partial_and_full() {
    let (_origin, edge) = cached_object().await;
    assert_full(
        &get_range(&edge, "bytes=0-9", &[("if-range", "\"other\"")]).await,
        "If-Range not matching",
    );
    assert_partial(
        &get_range(&edge, "bytes=0-9", &[("if-range", ETAG)]).await,
        0,
        9,
        "If-Range matching the ETag",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_miss_asks_a_widened_range_and_keeps_a_whole_answer() {
    let (origin, edge) = start(&[]).await;
    origin.route(
        "/obj",
        Reply::with_etag(ETAG, object()).header("cache-control", "max-age=600"),
    );

    let first = get_range(&edge, "bytes=20-29", &[]).await;
    assert_partial(&first, 20, 29, "range request on a miss");
    assert_x_cache(&first, MISS, "range request on a miss");
    // As CloudFront widens a range miss (cloudfront.md §2.7), the edge asks for the aligned
    // slice around the viewer's range (lifecycle/slice.rs); this origin ignores ranges and
    // answers 200, which is stored as the whole object.
    let seen = origin.expect_last("/obj");
    assert_eq!(
        seen.header("range").as_deref(),
        Some("bytes=0-1048575"),
        "the origin gets the aligned 1 MiB slice, not the viewer's range: {:?}",
        seen.headers
    );

    let second = get_range(&edge, "bytes=50-59", &[]).await;
    assert_partial(&second, 50, 59, "second range request");
    assert_x_cache(&second, HIT, "second range request");
    expect_hit(
        &origin,
        &edge,
        "/obj",
        &object(),
        "full GET after range requests",
    )
    .await;
    assert_origin_hits(&origin, "/obj", 1, "the whole object was fetched once");
}

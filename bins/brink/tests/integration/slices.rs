//! Slice fills (`lifecycle/slice.rs`, issue 9 part 3): a single range of an object larger
//! than `--range-fill-above` is filled by aligned `--range-slice` slices fetched with Range
//! requests and stored one by one; the origin's request log shows which slices were asked,
//! so every test checks the origin sees ranges and never the whole file, the exact bytes,
//! hits versus misses, and what an invalidation or a changed object does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::testkit::*;

const MIB: u64 = 1024 * 1024;

/// The Range headers the origin received for `path`, in order.
fn ranges_seen(origin: &TestOrigin, path: &str) -> Vec<Option<String>> {
    origin
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| r.header("range"))
        .collect()
}

fn slice(i: u64) -> Option<String> {
    Some(format!("bytes={}-{}", i * MIB, (i + 1) * MIB - 1))
}

async fn range(edge: &Edge, path: &str, a: u64, b: Option<u64>) -> Resp {
    let spec = match b {
        Some(b) => format!("bytes={a}-{b}"),
        None => format!("bytes={a}-"),
    };
    edge.get_with(path, &[("range", &spec)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_objects_are_filled_by_the_slices_a_range_needs() {
    slices_a_range_needs(&[]).await;
}

/// The same with 1 MiB slices kept in in-memory files and hits sent from them with sendfile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slices_in_memory_files_sent_with_sendfile() {
    slices_a_range_needs(&["--sendfile", "on"]).await;
}

async fn slices_a_range_needs(extra: &[&str]) {
    let mut args = vec!["--range-fill-above", "8MiB", "--range-slice", "1MiB"];
    args.extend_from_slice(extra);
    let (origin, edge) = start(&args).await;
    let body = Arc::new(pseudo_random_bytes((20 * MIB + 12_345) as usize, 7));
    let total = body.len() as u64;
    let version = Arc::new(AtomicU64::new(1));
    serve_ranges(&origin, "/video.mp4", body.clone(), version.clone());

    // A seek to 10 MiB: one slice from the origin, the exact 100 bytes to the viewer.
    let r = range(&edge, "/video.mp4", 10 * MIB, Some(10 * MIB + 99)).await;
    assert_eq!(r.status, 206);
    assert_x_cache(&r, MISS, "first seek");
    assert_eq!(
        r.header("content-range").as_deref(),
        Some(format!("bytes {}-{}/{total}", 10 * MIB, 10 * MIB + 99).as_str())
    );
    assert_body(
        &r,
        &body[(10 * MIB) as usize..(10 * MIB + 100) as usize],
        "first seek",
    );
    assert_eq!(ranges_seen(&origin, "/video.mp4"), vec![slice(10)]);

    // The same slice again: a hit, nothing new at the origin.
    let r = range(&edge, "/video.mp4", 10 * MIB + 500, Some(10 * MIB + 999)).await;
    assert_x_cache(&r, HIT, "same slice");
    assert!(r.age().is_some(), "a hit has an Age");
    assert_body(
        &r,
        &body[(10 * MIB + 500) as usize..(10 * MIB + 1000) as usize],
        "same slice",
    );
    assert_eq!(origin.hits("/video.mp4"), 1);

    // A range across three slices: only the two not yet stored are fetched.
    let (a, b) = (10 * MIB + 10, 12 * MIB + 20);
    let r = range(&edge, "/video.mp4", a, Some(b)).await;
    assert_eq!(r.status, 206);
    assert_body(&r, &body[a as usize..=b as usize], "three slices");
    assert_eq!(
        ranges_seen(&origin, "/video.mp4"),
        vec![slice(10), slice(11), slice(12)]
    );

    // An open range to the end (the last, short slice included).
    let a = 19 * MIB + 7;
    let r = range(&edge, "/video.mp4", a, None).await;
    assert_body(&r, &body[a as usize..], "to the end");
    assert_eq!(
        r.header("content-range").as_deref(),
        Some(format!("bytes {a}-{}/{total}", total - 1).as_str())
    );
    let seen = ranges_seen(&origin, "/video.mp4");
    assert_eq!(&seen[3..], &[slice(19), slice(20)]);
    // Past the end: 416 with the length, as a whole object would answer.
    let r = range(&edge, "/video.mp4", total + 5, None).await;
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range").as_deref(),
        Some(format!("bytes */{total}").as_str())
    );
    // Never the whole file.
    let seen = ranges_seen(&origin, "/video.mp4");
    assert!(seen.iter().all(Option::is_some), "{seen:?}");

    // An invalidation takes the slices with the object.
    let purge = Req::new("POST", &edge.admin_url("/purge?path=/video.mp4"))
        .send()
        .await;
    assert_eq!(purge.status, 200, "{}", purge.text());
    let r = range(&edge, "/video.mp4", 10 * MIB, Some(10 * MIB + 99)).await;
    assert_x_cache(&r, MISS, "after the purge");
    assert_eq!(origin.hits("/video.mp4"), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_object_cuts_the_response_and_drops_its_slices() {
    let (origin, edge) = start(&["--range-fill-above", "2MiB", "--range-slice", "1MiB"]).await;
    let body = Arc::new(pseudo_random_bytes((4 * MIB) as usize, 8));
    let version = Arc::new(AtomicU64::new(1));
    serve_ranges(&origin, "/f.bin", body.clone(), version.clone());
    let r = range(&edge, "/f.bin", 0, Some(99)).await;
    assert_body(&r, &body[..100], "slice 0 of v1");

    // The origin's object changes: slice 1 comes with another ETag.
    version.store(2, Ordering::SeqCst);
    let r = Req::get(&edge.url("/f.bin"))
        .header("range", &format!("bytes=0-{}", MIB + 99))
        .try_send()
        .await;
    assert!(
        r.is_err(),
        "a response mixing two versions must not complete: {:?}",
        r.map(|r| r.body.len())
    );
    // Every slice of the key went: the next request starts over, all from version 2.
    let before = origin.hits("/f.bin");
    let r = range(&edge, "/f.bin", 0, Some(99)).await;
    assert_x_cache(&r, MISS, "slice 0 after the change");
    assert_eq!(origin.hits("/f.bin"), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_objects_and_origins_without_ranges_are_stored_whole() {
    let (origin, edge) = start(&["--range-fill-above", "8MiB", "--range-slice", "1MiB"]).await;
    // Smaller than one slice: the 206 covers it all and is kept as the whole object.
    let small = Arc::new(pseudo_random_bytes(300_000, 9));
    serve_ranges(
        &origin,
        "/small",
        small.clone(),
        Arc::new(AtomicU64::new(1)),
    );
    let r = range(&edge, "/small", 10, Some(19)).await;
    assert_body(&r, &small[10..20], "small range");
    let r = edge.get("/small").await;
    assert_eq!(r.status, 200);
    assert_x_cache(&r, HIT, "the whole small object");
    assert_body(&r, &small, "whole small object");
    assert_eq!(origin.hits("/small"), 1);

    // Between one slice and the threshold: the slice answer is dropped for a whole fill.
    let mid = Arc::new(pseudo_random_bytes((3 * MIB) as usize, 10));
    serve_ranges(&origin, "/mid", mid.clone(), Arc::new(AtomicU64::new(1)));
    let r = range(&edge, "/mid", 5, Some(9)).await;
    assert_body(&r, &mid[5..10], "mid range");
    assert_eq!(ranges_seen(&origin, "/mid"), vec![slice(0), None]);
    let r = range(&edge, "/mid", 2 * MIB, Some(2 * MIB + 9)).await;
    assert_x_cache(&r, HIT, "mid object stored whole");
    assert_eq!(origin.hits("/mid"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_to_the_object_drops_its_slices() {
    let (origin, edge) = start(&["--range-fill-above", "1MiB", "--range-slice", "1MiB"]).await;
    let body = Arc::new(pseudo_random_bytes((3 * MIB) as usize, 11));
    serve_ranges(
        &origin,
        "/up.bin",
        body.clone(),
        Arc::new(AtomicU64::new(1)),
    );
    let r = range(&edge, "/up.bin", 2 * MIB, Some(2 * MIB + 9)).await;
    assert_x_cache(&r, MISS, "first");
    let r = range(&edge, "/up.bin", 2 * MIB, Some(2 * MIB + 9)).await;
    assert_x_cache(&r, HIT, "stored slice");
    // RFC 9111 §4.4: a successful PUT invalidates the target, slices included.
    let put = Req::new("PUT", &edge.url("/up.bin"))
        .body("new")
        .send()
        .await;
    assert_eq!(put.status, 200);
    let r = range(&edge, "/up.bin", 2 * MIB, Some(2 * MIB + 9)).await;
    assert_x_cache(&r, MISS, "after the PUT");
    assert_body(
        &r,
        &body[(2 * MIB) as usize..(2 * MIB + 10) as usize],
        "after the PUT",
    );
}

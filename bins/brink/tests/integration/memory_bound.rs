//! The memory budget is a bound on memory (issue 9, part 7): `brink serve --memory-cache
//! 8MiB` filled with tens of thousands of tiny objects keeps its resident memory within the
//! budget plus a fixed allowance, and its `brink_cache_bytes{tier="memory"}` within the
//! budget. Before each object was charged its real overhead, 100-byte objects were charged
//! about 400 bytes while holding about 2 KB, and the edge sat at 6.7× its budget.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::testkit::{Edge, Reply, Req, TestOrigin};

const MIB: u64 = 1 << 20;

/// Reads one sample of a metric with the given labels from the Prometheus text.
fn metric(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
}

/// The target of request `i` of a load: its prefix picks the object's size.
type Plan = fn(usize) -> String;

/// Requests `count` targets from `plan` over `concurrency` keep-alive connections, sampling the
/// edge's resident memory; returns the peak. Every response must be a 200 with a body.
async fn load(edge: &Edge, count: usize, plan: Plan) -> u64 {
    const CONCURRENCY: usize = 16;
    let client: Client<_, Empty<bytes::Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(CONCURRENCY)
        .build_http();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, next, base) = (client.clone(), next.clone(), edge.url(""));
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return;
                }
                let target = plan(i);
                let uri: http::Uri = format!("{base}{target}").parse().expect("uri");
                let resp = tokio::time::timeout(Duration::from_secs(30), client.get(uri))
                    .await
                    .expect("a response within 30 s")
                    .expect("GET");
                assert_eq!(resp.status(), 200, "{target}");
                let body = resp.into_body().collect().await.expect("body").to_bytes();
                assert!(!body.is_empty(), "{target}");
            }
        }));
    }
    // Sample the edge's resident memory while the load runs (bounded in time: 4 minutes).
    let mut peak = 0u64;
    while !tasks.iter().all(|t| t.is_finished()) {
        peak = peak.max(edge.rss_bytes());
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the load did not finish within 4 minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for t in tasks {
        t.await.expect("load task");
    }
    println!(
        "{count} requests in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    peak.max(edge.rss_bytes())
}

/// The memory tier's gauges: (bytes, objects).
async fn memory_gauges(edge: &Edge) -> (f64, f64) {
    let text = Req::get(&edge.admin_url("/metrics")).send().await.text();
    let bytes = metric(&text, "brink_cache_bytes{tier=\"memory\"}").expect("memory bytes gauge");
    let objects =
        metric(&text, "brink_cache_objects{tier=\"memory\"}").expect("memory objects gauge");
    (bytes, objects)
}

fn check_bound(peak: u64, bytes: f64, objects: f64, requested: usize, budget: u64) {
    println!(
        "peak RSS {:.1} MiB, memory tier {:.2} MiB in {objects} objects",
        peak as f64 / MIB as f64,
        bytes / MIB as f64
    );
    assert!(
        bytes <= budget as f64,
        "memory tier reports {bytes} bytes over its budget {budget}"
    );
    // The budget was filled and eviction ran (the test would prove nothing otherwise).
    assert!(
        bytes > (budget / 2) as f64,
        "memory tier holds only {bytes} bytes"
    );
    assert!(
        objects < requested as f64,
        "all {requested} objects are still held: nothing was evicted"
    );
    assert!(
        peak <= budget + 48 * MIB,
        "peak RSS {} MiB over the budget of {} MiB + 48 MiB",
        peak / MIB,
        budget / MIB
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tens_of_thousands_of_tiny_objects_keep_rss_within_the_memory_budget() {
    const BUDGET: u64 = 8 * MIB;
    const OBJECTS: usize = 40_000;
    let origin = TestOrigin::start().await;
    origin.route_prefix(
        "/tiny/",
        Reply::cacheable(vec![b'x'; 100], "max-age=3600")
            .header("etag", "\"0123456789abcdef\"")
            .header("last-modified", "Wed, 02 Dec 2026 07:00:00 GMT"),
    );
    let edge = Edge::start(&origin.url(), &["--memory-cache", "8MiB"]).await;
    let peak = load(&edge, OBJECTS, |i| format!("/tiny/{i:06}")).await;
    assert_eq!(
        origin.total(),
        OBJECTS,
        "every object was a miss reaching the origin once"
    );
    let (bytes, objects) = memory_gauges(&edge).await;
    check_bound(peak, bytes, objects, OBJECTS, BUDGET);

    // The newest objects are hits: the tier still works after all that eviction.
    let last = format!("/tiny/{:06}", OBJECTS - 1);
    let resp = Req::get(&edge.url(&last)).send().await;
    assert_eq!(resp.x_cache(), crate::testkit::HIT, "{last} after the load");
    assert_eq!(origin.hits(&last), 1, "{last} fetched once");
}

/// A mix of sizes: the request path itself (16 fills in flight with bodies up to 256 KiB, their
/// buffers, the allocator's retained pages) costs far more than an 8 MiB budget, with or
/// without a cache (measured 2026-12-03, debug build: a peak of 74 MiB with a 1 KiB memory
/// tier that holds nothing, 74 to 83 MiB with 8 MiB). So this compares the same load against an
/// edge whose tier holds nothing: what the tier adds must stay within its budget plus a
/// 16 MiB allowance (allocator rounding and noise between runs).
// Not met yet (issue 9 part 7): under this mix the 8 MiB tier has been seen adding 9 to 26 MiB
// of RSS over the same load without a cache (fill buffers and allocator retention outside the
// tier, docs/decisions/0003-memory-accounting.md). Kept runnable with `--ignored` as the
// measurement for that work; the tiny-object bound above is enforced.
#[ignore = "goal not met yet: RSS under mixed sizes (issue 9 part 7)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mix_of_tiny_medium_and_large_objects_adds_at_most_the_budget_to_rss() {
    const BUDGET: u64 = 8 * MIB;
    const REQUESTS: usize = 12_000;
    // Per 60 requests: 1 large (256 KiB), 9 medium (16 KiB), 50 tiny; all unique.
    fn plan(i: usize) -> String {
        match i % 60 {
            0 => format!("/l/{i:06}"),
            1..=9 => format!("/m/{i:06}"),
            _ => format!("/s/{i:06}"),
        }
    }
    let mut peaks = Vec::new();
    for budget in ["1KiB", "8MiB"] {
        let origin = TestOrigin::start().await;
        origin.route_prefix("/s/", Reply::cacheable(vec![b's'; 100], "max-age=3600"));
        origin.route_prefix(
            "/m/",
            Reply::cacheable(vec![b'm'; 16 << 10], "max-age=3600"),
        );
        origin.route_prefix(
            "/l/",
            Reply::cacheable(vec![b'l'; 256 << 10], "max-age=3600"),
        );
        let edge = Edge::start(&origin.url(), &["--memory-cache", budget]).await;
        let peak = load(&edge, REQUESTS, plan).await;
        assert_eq!(
            origin.total(),
            REQUESTS,
            "every object was a miss reaching the origin once"
        );
        let (bytes, objects) = memory_gauges(&edge).await;
        println!(
            "--memory-cache {budget}: peak RSS {:.1} MiB, memory tier {:.2} MiB in {objects} objects",
            peak as f64 / MIB as f64,
            bytes / MIB as f64
        );
        peaks.push((peak, bytes, objects));
    }
    let (without, _, _) = peaks[0];
    let (with, bytes, objects) = peaks[1];
    assert!(
        bytes <= BUDGET as f64,
        "memory tier reports {bytes} bytes over its budget"
    );
    assert!(
        bytes > (BUDGET / 2) as f64,
        "memory tier holds only {bytes} bytes"
    );
    assert!(objects < REQUESTS as f64, "nothing was evicted");
    assert!(
        with <= without + BUDGET + 16 * MIB,
        "the 8 MiB tier added {} MiB of RSS to the same load (peak {} MiB against {} MiB)",
        with.saturating_sub(without) / MIB,
        with / MIB,
        without / MIB
    );
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tens_of_thousands_of_tiny_objects_keep_rss_within_the_memory_budget() {
    const BUDGET: u64 = 8 * MIB;
    const OBJECTS: usize = 40_000;
    const CONCURRENCY: usize = 16;
    let origin = TestOrigin::start().await;
    origin.route_prefix(
        "/tiny/",
        Reply::cacheable(vec![b'x'; 100], "max-age=3600")
            .header("etag", "\"0123456789abcdef\"")
            .header("last-modified", "Wed, 02 Dec 2026 07:00:00 GMT"),
    );
    let edge = Edge::start(&origin.url(), &["--memory-cache", "8MiB"]).await;

    let client: Client<_, Empty<bytes::Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(CONCURRENCY)
        .build_http();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut peak = 0u64;
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, next, base) = (client.clone(), next.clone(), edge.url("/tiny/"));
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= OBJECTS {
                    return;
                }
                let uri: http::Uri = format!("{base}{i:06}").parse().expect("uri");
                let resp = tokio::time::timeout(Duration::from_secs(30), client.get(uri))
                    .await
                    .expect("a response within 30 s")
                    .expect("GET");
                assert_eq!(resp.status(), 200, "object {i}");
                let body = resp.into_body().collect().await.expect("body").to_bytes();
                assert_eq!(body.len(), 100, "object {i}");
            }
        }));
    }
    // Sample the edge's resident memory while the load runs (bounded in time: 4 minutes).
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
    peak = peak.max(edge.rss_bytes());
    assert_eq!(
        origin.total(),
        OBJECTS,
        "every object was a miss reaching the origin once"
    );

    let text = Req::get(&edge.admin_url("/metrics")).send().await.text();
    let bytes = metric(&text, "brink_cache_bytes{tier=\"memory\"}").expect("memory bytes gauge");
    let objects =
        metric(&text, "brink_cache_objects{tier=\"memory\"}").expect("memory objects gauge");
    println!(
        "{OBJECTS} objects in {:.1} s: peak RSS {:.1} MiB, memory tier {:.2} MiB in {objects} objects",
        started.elapsed().as_secs_f64(),
        peak as f64 / MIB as f64,
        bytes / MIB as f64
    );
    assert!(
        bytes <= BUDGET as f64,
        "memory tier reports {bytes} bytes over its budget {BUDGET}"
    );
    // The budget was filled and eviction ran (the test would prove nothing otherwise).
    assert!(
        bytes > (BUDGET / 2) as f64,
        "memory tier holds only {bytes} bytes"
    );
    assert!(
        objects < OBJECTS as f64,
        "all {OBJECTS} objects are still held: nothing was evicted"
    );
    assert!(
        peak <= BUDGET + 48 * MIB,
        "peak RSS {} MiB over the budget of {} MiB + 48 MiB",
        peak / MIB,
        BUDGET / MIB
    );

    // The newest objects are hits: the tier still works after all that eviction.
    let last = format!("/tiny/{:06}", OBJECTS - 1);
    let resp = Req::get(&edge.url(&last)).send().await;
    assert_eq!(resp.x_cache(), crate::testkit::HIT, "{last} after the load");
    assert_eq!(origin.hits(&last), 1, "{last} fetched once");
}

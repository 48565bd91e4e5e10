//! How long the disk tier takes to index 100,000 objects again after a restart.
//! A measurement, not a pass/fail gate: run it by hand and read the printed figure.
//!
//! ```sh
//! cargo test --release -p brink-cache --test recovery_time -- --ignored --nocapture
//! ```

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, UNIX_EPOCH};

use brink_cache::{Body, Cache, CacheConfig, DiskConfig, DiskStore, Lookup, Meta};
use brink_http::freshness::{AgeBase, Lifetimes};
use brink_http::key::CacheKey;
use brink_http::vary::VaryNames;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};

#[test]
#[ignore = "measurement; run by hand"]
fn recovery_of_100k_objects() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("brink-recovery-{:x}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = DiskConfig {
        dir: dir.clone(),
        capacity: 10 << 30,
    };
    let n = 100_000u64;
    rt.block_on(async {
        let cache = Cache::with_disk(
            CacheConfig::with_capacity(1 << 30),
            DiskStore::open(&cfg).unwrap(),
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert("cache-control", HeaderValue::from_static("max-age=3600"));
        let body = Bytes::from(vec![7u8; 1024]);
        for i in 0..n {
            let key = CacheKey::new("", &format!("/obj/{i}"));
            let Lookup::Fetch(guard, _) =
                cache.lookup(&key, &HeaderMap::new(), std::time::SystemTime::now(), true)
            else {
                panic!()
            };
            let meta = Meta::new(
                StatusCode::OK,
                headers.clone().into(),
                Lifetimes {
                    fresh: Duration::from_secs(3600),
                    stale_while_revalidate: Duration::ZERO,
                    stale_if_error: Duration::ZERO,
                    must_revalidate: false,
                },
                AgeBase {
                    response_time: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
                    initial_age: Duration::ZERO,
                },
                VaryNames::default(),
                VaryNames::default().select(&HeaderMap::new()),
            );
            let obj = guard.store(meta, Body::writing(Some(1024)));
            let mut w = cache.writer(&key, &obj);
            w.push(body.clone());
            w.finish();
            // Let the writer thread keep up (its queue is bounded).
            while cache.disk().unwrap().stats.writes.load(Ordering::Relaxed) + 1_000 < i {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        while cache.disk().unwrap().stats.writes.load(Ordering::Relaxed)
            + cache.disk().unwrap().stats.skipped.load(Ordering::Relaxed)
            < n
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    // Drop the page cache's advantage as far as an unprivileged test can: nothing to do
    // here; the figure is with warm metadata, as after a process restart (kill -9).
    let started = Instant::now();
    let cache = Cache::with_disk(
        CacheConfig::with_capacity(1 << 30),
        DiskStore::open(&cfg).unwrap(),
    );
    let elapsed = started.elapsed();
    let objects = cache.disk().unwrap().file_count();
    println!(
        "recovered {objects} objects in {:.2} s",
        elapsed.as_secs_f64()
    );
    assert!(objects as u64 >= n * 99 / 100);
    let _ = std::fs::remove_dir_all(&dir);
}

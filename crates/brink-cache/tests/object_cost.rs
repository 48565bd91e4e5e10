//! What one stored object really costs in memory, counted by a global allocator that sums
//! the bytes live, against what the memory tier charges to its budget for it.
//!
//! The memory budget is only a bound on memory if every object is charged at least what it
//! holds: its body, its headers, and everything around them (key, index entry, metadata,
//! `Arc`/`Vec` headers, the eviction queue's slot). This test stores many small objects the
//! way the edge does (owned header copies, a body written in one copied chunk) and checks
//! that charge, printing the measured figures:
//!
//! ```sh
//! cargo test -p brink-cache --test object_cost -- --nocapture
//! ```

use std::alloc::System;
use std::time::{Duration, UNIX_EPOCH};

use brink_cache::{Body, Cache, CacheConfig, Lookup, Meta};
use brink_http::freshness::{AgeBase, Lifetimes};
use brink_http::key::CacheKey;
use brink_http::vary::VaryNames;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn live(region: &Region<'_, System>) -> i64 {
    let s = region.change();
    // `bytes_allocated`/`bytes_deallocated` already include reallocations' growth/shrinkage.
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// The headers a typical origin response keeps once stored (as the edge copies them).
fn stored_headers(i: usize) -> HeaderMap {
    let mut origin = HeaderMap::new();
    origin.insert("content-type", HeaderValue::from_static("text/plain"));
    origin.insert("content-length", HeaderValue::from_static("100"));
    origin.insert(
        "date",
        HeaderValue::from_static("Thu, 03 Dec 2026 07:00:00 GMT"),
    );
    origin.insert(
        "last-modified",
        HeaderValue::from_static("Wed, 02 Dec 2026 07:00:00 GMT"),
    );
    origin.insert(
        "etag",
        HeaderValue::from_str(&format!("\"{i:08x}\"")).expect("etag"),
    );
    origin.insert("cache-control", HeaderValue::from_static("max-age=3600"));
    // Copied value by value, as the edge does (`headers::owned`).
    let mut out = HeaderMap::with_capacity(origin.len());
    for (name, value) in &origin {
        out.append(
            name.clone(),
            HeaderValue::from_bytes(value.as_bytes()).expect("a valid value"),
        );
    }
    out
}

fn meta(headers: HeaderMap) -> Meta {
    Meta {
        status: StatusCode::OK,
        headers: headers.into(),
        lifetimes: Lifetimes {
            fresh: Duration::from_secs(3600),
            stale_while_revalidate: Duration::ZERO,
            stale_if_error: Duration::ZERO,
            must_revalidate: false,
        },
        age: AgeBase {
            response_time: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            initial_age: Duration::ZERO,
        },
        vary: VaryNames::default(),
        vary_values: Default::default(),
    }
}

fn raw_header_bytes(h: &HeaderMap) -> u64 {
    h.iter()
        .map(|(k, v)| (k.as_str().len() + v.len()) as u64)
        .sum()
}

#[test]
fn each_object_is_charged_at_least_what_it_holds() {
    const N: usize = 20_000;
    const BODY: usize = 100;
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let cache = Cache::new(CacheConfig::with_capacity(1 << 34));
    let payload = vec![b'x'; BODY];
    let mut raw_headers = 0;
    let mut key_bytes = 0;
    let region = Region::new(GLOBAL);
    for i in 0..N {
        // Key and headers are built here, as the edge builds them per miss: they are part of
        // what the object costs.
        let key = CacheKey::new("E2ABCDEF123456", &format!("/objects/{i:08}.txt"));
        let h = stored_headers(i);
        raw_headers += raw_header_bytes(&h);
        key_bytes += key.encoded().len() as u64;
        let Lookup::Fetch(guard, _) = cache.lookup(&key, &HeaderMap::new(), now, true) else {
            panic!("expected a miss")
        };
        let obj = guard.store(meta(h), Body::writing(Some(BODY as u64)));
        let mut w = cache.writer(&key, &obj);
        w.push(Bytes::copy_from_slice(&payload));
        w.finish();
        drop(obj);
        // One hit, as a viewer's would: the edge builds the response's header map from the
        // stored headers (cloning a value can allocate, once, what its later clones share).
        let Lookup::Fresh(hit) = cache.lookup(&key, &HeaderMap::new(), now, true) else {
            panic!("expected a hit")
        };
        drop(hit.meta.headers.to_map(10));
    }
    let per_object = live(&region) as f64 / N as f64;
    let charged = cache.used_bytes() as f64 / N as f64;
    let body_and_headers = BODY as f64 + raw_header_bytes_avg(raw_headers, N);
    let overhead = per_object - body_and_headers;
    println!(
        "per object: {per_object:.0} bytes live (body {BODY}, stored headers {:.0}, key text {:.0}), overhead beyond body and headers {overhead:.0} bytes; \
         charged to the budget {charged:.0} bytes",
        raw_header_bytes_avg(raw_headers, N),
        key_bytes as f64 / N as f64,
    );
    // Where it goes: the inline sizes of the records, and one stored header list's heap.
    let region = Region::new(GLOBAL);
    let one = brink_cache::StoredHeaders::from(stored_headers(0));
    let header_heap = live(&region);
    drop(one);
    println!(
        "inline sizes: Object {} + Meta {} (StoredHeaders {}, VaryNames {}, VaryValues {}) + Body {}; \
         one stored header list's heap: {header_heap} bytes for {:.0} bytes of headers",
        std::mem::size_of::<brink_cache::Object>(),
        std::mem::size_of::<Meta>(),
        std::mem::size_of::<brink_cache::StoredHeaders>(),
        std::mem::size_of::<VaryNames>(),
        std::mem::size_of::<brink_http::vary::VaryValues>(),
        std::mem::size_of::<Body>(),
        raw_header_bytes(&stored_headers(0)) as f64,
    );
    assert_eq!(cache.object_count(), N);
    assert!(
        charged >= per_object,
        "the budget is charged {charged:.0} bytes per object but each holds {per_object:.0}"
    );
    // Issue 9 sets a goal of 400 bytes. Left (docs/decisions/0003): the records' inline sizes
    // and `Arc`s (Object, Meta, Body), the index entry and CLOCK slot, and the header list's
    // 72 bytes per field. This bound catches regressions from the measured figure (1,131 on
    // 2026-12-04: headers an exact list, values slices of one block, one hit building the
    // response map; 1,251 with one allocation per value, 1,411 with a `HeaderMap`).
    assert!(
        overhead <= 1_150.0,
        "overhead {overhead:.0} bytes per object beyond body and headers (measured 1,131 on 2026-12-04)"
    );
}

fn raw_header_bytes_avg(total: u64, n: usize) -> f64 {
    total as f64 / n as f64
}

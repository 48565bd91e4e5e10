//! The index's contract: collapsing, variants, purge, budget.

use super::*;
use brink_http::freshness::{AgeBase, Lifetimes};
use brink_http::vary::VaryNames;
use http::{HeaderValue, StatusCode};
use std::time::{Duration, UNIX_EPOCH};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn meta(fresh: u64, vary: &[(&'static str, &'static str)], request: &HeaderMap) -> Meta {
    let mut headers = HeaderMap::new();
    for (k, v) in vary {
        headers.append(*k, HeaderValue::from_static(v));
    }
    let names = VaryNames::from_response(&headers);
    Meta {
        status: StatusCode::OK,
        vary_values: names.select(request),
        vary: names,
        headers,
        lifetimes: Lifetimes {
            fresh: Duration::from_secs(fresh),
            stale_while_revalidate: Duration::from_secs(10),
            stale_if_error: Duration::ZERO,
            must_revalidate: false,
        },
        age: AgeBase {
            response_time: now(),
            initial_age: Duration::ZERO,
        },
    }
}

fn cache() -> Arc<Cache> {
    Cache::new(CacheConfig::with_capacity(1 << 20))
}

fn fetch_guard(l: Lookup) -> FillGuard {
    match l {
        Lookup::Fetch(g, _) => g,
        other => panic!("expected Fetch, got {other:?}"),
    }
}

fn store(c: &Arc<Cache>, key: &CacheKey, body: &'static [u8], fresh: u64) -> Arc<Object> {
    let g = fetch_guard(c.lookup(key, &HeaderMap::new(), now(), true));
    g.store(
        meta(fresh, &[], &HeaderMap::new()),
        Body::complete(Bytes::from_static(body)),
    )
}

#[tokio::test]
async fn concurrent_misses_collapse_and_waiters_get_the_object() {
    let c = cache();
    let key = CacheKey::new("", "/a");
    let guard = fetch_guard(c.lookup(&key, &HeaderMap::new(), now(), true));
    let Lookup::Wait(fill) = c.lookup(&key, &HeaderMap::new(), now(), true) else {
        panic!()
    };
    let waiter = tokio::spawn(async move { fill.wait().await });
    let body = Body::writing(None);
    let obj = guard.store(meta(60, &[], &HeaderMap::new()), body.clone());
    let FillState::Ready(got) = waiter.await.unwrap() else {
        panic!()
    };
    assert!(Arc::ptr_eq(&got, &obj));
    // While the body is still being written a new request is a hit on the same object.
    let Lookup::Fresh(hit) = c.lookup(&key, &HeaderMap::new(), now(), true) else {
        panic!()
    };
    assert!(Arc::ptr_eq(&hit, &obj));
    assert_eq!(c.stats.collapsed.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn dropped_guard_fails_waiters() {
    let c = cache();
    let key = CacheKey::new("", "/a");
    let guard = fetch_guard(c.lookup(&key, &HeaderMap::new(), now(), true));
    let Lookup::Wait(fill) = c.lookup(&key, &HeaderMap::new(), now(), true) else {
        panic!()
    };
    drop(guard);
    assert!(matches!(
        fill.wait().await,
        FillState::Failed(FetchFailure::Aborted)
    ));
    // The key is free again.
    assert!(matches!(
        c.lookup(&key, &HeaderMap::new(), now(), true),
        Lookup::Fetch(_, None)
    ));
}

#[test]
fn no_collapsing_when_disabled() {
    let c = cache();
    let key = CacheKey::new("", "/a");
    let _g = fetch_guard(c.lookup(&key, &HeaderMap::new(), now(), false));
    assert!(matches!(
        c.lookup(&key, &HeaderMap::new(), now(), false),
        Lookup::Fetch(..)
    ));
}

#[test]
fn expiry_and_stale_while_revalidate() {
    let c = cache();
    let key = CacheKey::new("", "/a");
    store(&c, &key, b"x", 10);
    let later = |s| now() + Duration::from_secs(s);
    assert!(matches!(
        c.lookup(&key, &HeaderMap::new(), later(5), true),
        Lookup::Fresh(_)
    ));
    // In the SWR window: the first request gets a refresh guard, the next does not.
    let Lookup::StaleWhileRevalidate(_, Some(g)) =
        c.lookup(&key, &HeaderMap::new(), later(12), true)
    else {
        panic!()
    };
    assert!(matches!(
        c.lookup(&key, &HeaderMap::new(), later(12), true),
        Lookup::StaleWhileRevalidate(_, None)
    ));
    drop(g);
    // Past the window: fetch, with the stale copy offered for revalidation.
    assert!(matches!(
        c.lookup(&key, &HeaderMap::new(), later(30), true),
        Lookup::Fetch(_, Some(_))
    ));
}

#[test]
fn variants_are_selected_by_vary() {
    let c = cache();
    let key = CacheKey::new("", "/v");
    let mut en = HeaderMap::new();
    en.insert("accept-language", HeaderValue::from_static("en"));
    let mut fr = HeaderMap::new();
    fr.insert("accept-language", HeaderValue::from_static("fr"));
    let g = fetch_guard(c.lookup(&key, &en, now(), true));
    g.store(
        meta(60, &[("vary", "accept-language")], &en),
        Body::complete(Bytes::from_static(b"en")),
    );
    // fr does not match the stored variant and does not join a fill for en.
    let g = fetch_guard(c.lookup(&key, &fr, now(), true));
    assert!(matches!(c.lookup(&key, &en, now(), true), Lookup::Fresh(_)));
    g.store(
        meta(60, &[("vary", "accept-language")], &fr),
        Body::complete(Bytes::from_static(b"fr")),
    );
    let Lookup::Fresh(o) = c.lookup(&key, &fr, now(), true) else {
        panic!()
    };
    assert_eq!(o.body.frozen().unwrap()[0], Bytes::from_static(b"fr"));
    assert_eq!(c.object_count(), 2);
}

#[test]
fn purge_exact_and_prefix() {
    let c = cache();
    for p in ["/img/1", "/img/2", "/other"] {
        store(&c, &CacheKey::new("", p), b"x", 60);
    }
    assert_eq!(c.purge("", &PurgePattern::parse("/img/*").unwrap()), 2);
    assert!(matches!(
        c.lookup(&CacheKey::new("", "/img/1"), &HeaderMap::new(), now(), true),
        Lookup::Fetch(..)
    ));
    assert!(matches!(
        c.lookup(&CacheKey::new("", "/other"), &HeaderMap::new(), now(), true),
        Lookup::Fresh(_)
    ));
    assert_eq!(c.purge("", &PurgePattern::parse("/other").unwrap()), 1);
    assert_eq!(c.used_bytes(), 0);
}

#[test]
fn a_fill_started_before_a_purge_is_not_stored() {
    let c = cache();
    let key = CacheKey::new("", "/a");
    let g = fetch_guard(c.lookup(&key, &HeaderMap::new(), now(), true));
    c.purge("", &PurgePattern::parse("/*").unwrap());
    let obj = g.store(
        meta(60, &[], &HeaderMap::new()),
        Body::complete(Bytes::from_static(b"old")),
    );
    assert!(obj.is_detached());
    assert!(matches!(
        c.lookup(&key, &HeaderMap::new(), now(), true),
        Lookup::Fetch(..)
    ));
}

#[test]
fn budget_evicts_unreferenced_objects_first() {
    let c = Cache::new(CacheConfig {
        capacity: 4000,
        max_object: 2000,
    });
    static BODY: [u8; 900] = [7; 900];
    let hot = CacheKey::new("", "/hot");
    store(&c, &hot, &BODY, 60);
    for i in 0..20 {
        // Keep /hot referenced between insertions.
        assert!(matches!(
            c.lookup(&hot, &HeaderMap::new(), now(), true),
            Lookup::Fresh(_)
        ));
        store(&c, &CacheKey::new("", &format!("/cold/{i}")), &BODY, 60);
        assert!(c.used_bytes() <= 4000, "used {}", c.used_bytes());
    }
    assert!(matches!(
        c.lookup(&hot, &HeaderMap::new(), now(), true),
        Lookup::Fresh(_)
    ));
    assert!(c.stats.evictions.load(Ordering::Relaxed) >= 15);
}

#[test]
fn objects_over_the_limit_are_not_kept() {
    let c = Cache::new(CacheConfig {
        capacity: 1 << 20,
        max_object: 1000,
    });
    let key = CacheKey::new("", "/big");
    let g = fetch_guard(c.lookup(&key, &HeaderMap::new(), now(), true));
    let obj = g.store(meta(60, &[], &HeaderMap::new()), Body::writing(None));
    let mut w = c.writer(&key, &obj);
    w.push(Bytes::from(vec![0u8; 600]));
    w.push(Bytes::from(vec![0u8; 600]));
    w.finish();
    assert!(obj.is_detached());
    assert_eq!(obj.body.written(), 1200, "readers still got every byte");
    assert_eq!(c.used_bytes(), 0);
    assert!(matches!(
        c.lookup(&key, &HeaderMap::new(), now(), true),
        Lookup::Fetch(..)
    ));
}

#[test]
fn a_writer_dropped_mid_body_removes_the_object() {
    let c = cache();
    let key = CacheKey::new("", "/a");
    let g = fetch_guard(c.lookup(&key, &HeaderMap::new(), now(), true));
    let obj = g.store(meta(60, &[], &HeaderMap::new()), Body::writing(Some(10)));
    let mut w = c.writer(&key, &obj);
    w.push(Bytes::from_static(b"abc"));
    drop(w);
    assert_eq!(obj.body.state(), BodyState::Failed);
    assert!(matches!(
        c.lookup(&key, &HeaderMap::new(), now(), true),
        Lookup::Fetch(_, None)
    ));
}

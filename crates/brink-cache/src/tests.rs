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
    Meta::new(
        StatusCode::OK,
        headers.into(),
        Lifetimes {
            fresh: Duration::from_secs(fresh),
            stale_while_revalidate: Duration::from_secs(10),
            stale_if_error: Duration::ZERO,
            must_revalidate: false,
        },
        AgeBase {
            response_time: now(),
            initial_age: Duration::ZERO,
        },
        names.clone(),
        names.select(request),
    )
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
    // The lurker runs when this test says so (its thread would race the counts below).
    let c = Cache::without_lurker(CacheConfig::with_capacity(1 << 20));
    for p in ["/img/1", "/img/2", "/other"] {
        store(&c, &CacheKey::new("", p), b"x", 60);
    }
    // A wildcard is a ban: nothing is removed at once, matching objects are misses.
    assert_eq!(c.purge("", &PurgePattern::parse("/img/*").unwrap()), 0);
    assert_eq!(c.ban_stats().added, 1);
    assert!(matches!(
        c.lookup(&CacheKey::new("", "/img/1"), &HeaderMap::new(), now(), true),
        Lookup::Fetch(..)
    ));
    assert!(matches!(
        c.lookup(&CacheKey::new("", "/other"), &HeaderMap::new(), now(), true),
        Lookup::Fresh(_)
    ));
    // An exact target goes at once (and is banned as well).
    assert_eq!(c.purge("", &PurgePattern::parse("/other").unwrap()), 1);
    assert_eq!(c.ban_stats().added, 2);
    // /img/1 was removed by its lookup; /img/2 waits for the lurker.
    assert_eq!(c.object_count(), 1);
    let mut cursor = crate::LurkerCursor::default();
    while c.lurker_step(&mut cursor, 100) {}
    assert_eq!(c.used_bytes(), 0);
    assert_eq!(c.object_count(), 0);
    let stats = c.ban_stats();
    assert_eq!(
        (stats.active, stats.lookup_removals, stats.lurker_removals),
        (0, 1, 1)
    );
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
        memory_files: false,
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
        memory_files: false,
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

#[test]
fn large_announced_bodies_that_fit_go_to_a_memory_file() {
    let c = Cache::new(CacheConfig {
        capacity: 16 << 20,
        max_object: 3 << 20,
        memory_files: true,
    });
    let fill = |target: &str, announced: Option<u64>, len: usize| {
        let key = CacheKey::new("", target);
        let g = fetch_guard(c.lookup(&key, &HeaderMap::new(), now(), true));
        let obj = g.store(meta(60, &[], &HeaderMap::new()), Body::writing(announced));
        let mut w = c.writer(&key, &obj);
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(100_000) {
            w.push(Bytes::copy_from_slice(piece));
        }
        w.finish();
        (obj, data)
    };
    let big = 2 << 20;
    let (obj, data) = fill("/big", Some(big as u64), big);
    assert!(obj.body.frozen().is_none(), "kept in a file");
    assert_eq!(obj.body.complete_len(), Some(big as u64));
    assert!(c.used_bytes() >= big as u64, "charged to the budget");
    let region = BodyReader::new(obj.body.clone(), 0, None)
        .file_region()
        .expect("a region");
    let mut read = vec![0u8; big];
    std::os::unix::fs::FileExt::read_exact_at(&*region.file, &mut read, 0).expect("read");
    assert_eq!(read, data);
    // Below the threshold, of unknown length, or too large for memory: chunks.
    let (small, _) = fill(
        "/small",
        Some(MEMORY_FILE_MIN - 1),
        (MEMORY_FILE_MIN - 1) as usize,
    );
    assert!(small.body.frozen().is_some());
    let (unknown, _) = fill("/unknown", None, big);
    assert!(unknown.body.frozen().is_some());
    let (huge, _) = fill("/huge", Some(4 << 20), 4 << 20);
    assert!(huge.is_detached());
    assert!(BodyReader::new(huge.body.clone(), 0, None)
        .file_region()
        .is_none());
}

mod disk_tier {
    //! Persistence across restarts, damage detection, large objects, eviction.
    use super::*;
    use crate::disk::{DiskConfig, DiskStore};
    use std::path::PathBuf;

    struct TempDir(PathBuf);
    impl TempDir {
        fn new() -> TempDir {
            let p =
                std::env::temp_dir().join(format!("brink-cache-test-{:016x}", fastrand::u64(..)));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn open(dir: &TempDir, capacity: u64, memory: CacheConfig) -> Arc<Cache> {
        let store = DiskStore::open(&DiskConfig {
            dir: dir.0.clone(),
            capacity,
        })
        .unwrap();
        Cache::with_disk(memory, store)
    }

    async fn wait_persisted(c: &Arc<Cache>, n: u64) {
        for _ in 0..500 {
            if c.disk().unwrap().stats.writes.load(Ordering::Relaxed) >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("objects not persisted");
    }

    fn fill(c: &Arc<Cache>, target: &str, chunks: &[&[u8]]) -> Arc<Object> {
        let key = CacheKey::new("", target);
        let g = fetch_guard(c.lookup(&key, &HeaderMap::new(), now(), true));
        let obj = g.store(meta(3600, &[], &HeaderMap::new()), Body::writing(None));
        let mut w = c.writer(&key, &obj);
        for ch in chunks {
            w.push(Bytes::copy_from_slice(ch));
        }
        w.finish();
        obj
    }

    async fn read_all(obj: &Arc<Object>) -> Result<Vec<u8>, TruncatedBody> {
        let mut r = BodyReader::new(obj.body.clone(), 0, None);
        let mut out = Vec::new();
        while let Some(c) = std::future::poll_fn(|cx| r.poll_next(cx)).await {
            out.extend_from_slice(&c?);
        }
        Ok(out)
    }

    /// The first piece a reader of `[start, end)` yields.
    async fn read_window(obj: &Arc<Object>, start: u64, end: u64) -> Bytes {
        let mut r = BodyReader::new(obj.body.clone(), start, Some(end));
        std::future::poll_fn(|cx| r.poll_next(cx))
            .await
            .unwrap()
            .unwrap()
    }

    /// Waits until `target` is served from its file only (memory let it go).
    async fn wait_disk_only(c: &Arc<Cache>, target: &str) -> Arc<Object> {
        let mut obj = fresh(c, target);
        for _ in 0..100 {
            if obj.body.disk_file().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            obj = fresh(c, target);
        }
        assert!(obj.body.disk_file().is_some(), "{target} still in memory");
        obj
    }

    fn fresh(c: &Arc<Cache>, target: &str) -> Arc<Object> {
        match c.lookup(&CacheKey::new("", target), &HeaderMap::new(), now(), true) {
            Lookup::Fresh(o) => o,
            other => panic!("{target}: expected a hit, got {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn objects_survive_a_restart_byte_for_byte() {
        let dir = TempDir::new();
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        {
            let c = open(&dir, 1 << 30, CacheConfig::with_capacity(1 << 20));
            fill(&c, "/small", &[b"hello ", b"world"]);
            fill(&c, "/big", &[&big[..100_000], &big[100_000..]]);
            wait_persisted(&c, 2).await;
        }
        // A new cache over the same directory (what a restart, even after SIGKILL, sees).
        let c = open(&dir, 1 << 30, CacheConfig::with_capacity(1 << 20));
        let small = fresh(&c, "/small");
        assert!(
            small.body.disk_file().is_some(),
            "recovered objects start on disk"
        );
        let opened = c.open(small).await.unwrap();
        assert_eq!(read_all(&opened).await.unwrap(), b"hello world");
        // Small objects come back into memory once read.
        assert!(fresh(&c, "/small").body.disk_file().is_none());
        let big_obj = c.open(fresh(&c, "/big")).await.unwrap();
        assert_eq!(read_all(&big_obj).await.unwrap(), big);
        // A range of a disk object reads only its blocks.
        let part = read_window(&big_obj, 70_000, 70_010).await;
        assert_eq!(&part[..], &big[70_000..70_010]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn damaged_files_are_never_served() {
        let dir = TempDir::new();
        {
            let c = open(&dir, 1 << 30, CacheConfig::with_capacity(1 << 20));
            fill(&c, "/a", &[b"original bytes"]);
            fill(&c, "/b", &[b"other"]);
            wait_persisted(&c, 2).await;
        }
        // Flip a body byte in /a's file, truncate /b's file.
        let files: Vec<PathBuf> = walk(&dir.0);
        assert_eq!(files.len(), 2);
        for f in &files {
            let mut data = std::fs::read(f).unwrap();
            if data.windows(14).any(|w| w == b"original bytes") {
                let pos = data
                    .windows(14)
                    .position(|w| w == b"original bytes")
                    .unwrap();
                data[pos] ^= 1;
                std::fs::write(f, data).unwrap();
            } else {
                std::fs::write(f, &data[..data.len() - 3]).unwrap();
            }
        }
        let c = open(&dir, 1 << 30, CacheConfig::with_capacity(1 << 20));
        // The truncated file was dropped at start; the flipped one when first read.
        assert!(matches!(
            c.lookup(&CacheKey::new("", "/b"), &HeaderMap::new(), now(), true),
            Lookup::Fetch(..)
        ));
        let a = fresh(&c, "/a");
        assert!(c.open(a).await.is_none());
        assert!(matches!(
            c.lookup(&CacheKey::new("", "/a"), &HeaderMap::new(), now(), true),
            Lookup::Fetch(..)
        ));
        assert_eq!(c.disk().unwrap().stats.corrupt.load(Ordering::Relaxed), 2);
        // Deletion is the writer thread's job: give it a moment.
        for _ in 0..200 {
            if walk(&dir.0).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(walk(&dir.0).is_empty(), "damaged files are deleted");
    }

    /// A 200,000-byte object, too large for a 64 KiB memory limit, filled in `pieces` and
    /// waited for until only its file holds it.
    async fn huge_on_disk(dir: &TempDir, pieces: &[usize]) -> (Arc<Cache>, Arc<Object>, Vec<u8>) {
        let c = open(
            dir,
            1 << 30,
            CacheConfig {
                capacity: 1 << 20,
                max_object: 64 * 1024,
                memory_files: false,
            },
        );
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 13) as u8).collect();
        let mut at = 0;
        let chunks: Vec<&[u8]> = pieces
            .iter()
            .chain(std::iter::once(&big.len()))
            .map(|&end| {
                let piece = &big[at..end];
                at = end;
                piece
            })
            .collect();
        fill(&c, "/huge", &chunks);
        wait_persisted(&c, 1).await;
        // The memory copy was replaced by the disk-only one.
        let obj = wait_disk_only(&c, "/huge").await;
        (c, obj, big)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn objects_too_large_for_memory_are_served_from_disk() {
        let dir = TempDir::new();
        let (c, obj, big) = huge_on_disk(&dir, &[150_000]).await;
        assert_eq!(c.used_bytes(), 0, "memory no longer holds it");
        assert_eq!(read_all(&obj).await.unwrap(), big);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_disk_only_body_offers_its_file_once_its_blocks_are_verified() {
        let dir = TempDir::new();
        let (_c, obj, big) = huge_on_disk(&dir, &[]).await;
        let reader = || BodyReader::new(obj.body.clone(), 1000, Some(150_000));
        assert!(reader().file_region().is_none(), "not verified yet");
        assert_eq!(read_all(&obj).await.unwrap(), big);
        let region = reader().file_region().expect("verified by the read");
        let head = obj.body.disk_file().unwrap().head_len;
        assert_eq!((region.offset, region.len), (head + 1000, 149_000));
        let mut read = vec![0u8; 149_000];
        std::os::unix::fs::FileExt::read_exact_at(&*region.file, &mut read, region.offset).unwrap();
        assert_eq!(read, &big[1000..150_000]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_large_object_leaves_memory_while_it_downloads() {
        let dir = TempDir::new();
        let c = open(
            &dir,
            1 << 30,
            CacheConfig {
                capacity: 1 << 20,
                max_object: 64 * 1024,
                memory_files: false,
            },
        );
        let key = CacheKey::new("", "/stream");
        let g = fetch_guard(c.lookup(&key, &HeaderMap::new(), now(), true));
        let obj = g.store(meta(3600, &[], &HeaderMap::new()), Body::writing(None));
        let mut w = c.writer(&key, &obj);
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 241) as u8).collect();
        // A reader attached from the start, that only begins reading once most of the body
        // has left memory: it must read the early chunks back from the file.
        let reader = BodyReader::new(obj.body.clone(), 0, None);
        for piece in data[..900_000].chunks(32 * 1024) {
            w.push(Bytes::copy_from_slice(piece));
        }
        let mut resident = u64::MAX;
        for _ in 0..500 {
            resident = obj.body.resident_bytes();
            if resident <= 128 * 1024 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            resident <= 128 * 1024,
            "still {resident} bytes in memory while downloading"
        );
        let all = tokio::spawn(async move {
            let mut r = reader;
            let mut out = Vec::new();
            while let Some(c) = std::future::poll_fn(|cx| r.poll_next(cx)).await {
                out.extend_from_slice(&c.unwrap());
            }
            out
        });
        for piece in data[900_000..].chunks(32 * 1024) {
            w.push(Bytes::copy_from_slice(piece));
        }
        w.finish();
        assert_eq!(
            all.await.unwrap(),
            data,
            "the early reader got every byte, in order"
        );
        wait_persisted(&c, 1).await;
        // Ranges over the finished object read only their blocks from its file.
        let obj = wait_disk_only(&c, "/stream").await;
        let part = read_window(&obj, 500_000, 500_100).await;
        assert_eq!(&part[..], &data[500_000..500_100]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn disk_budget_is_kept_and_purges_delete_files() {
        let dir = TempDir::new();
        let c = open(&dir, 40_000, CacheConfig::with_capacity(1 << 20));
        let body = vec![1u8; 5_000];
        for i in 0..20 {
            fill(&c, &format!("/o/{i}"), &[&body]);
        }
        wait_persisted(&c, 20).await;
        let disk = c.disk().unwrap();
        assert!(disk.used_bytes() <= 40_000, "used {}", disk.used_bytes());
        assert!(disk.stats.evictions.load(Ordering::Relaxed) >= 10);
        c.purge("", &PurgePattern::parse("/*").unwrap());
        for _ in 0..200 {
            if walk(&dir.0).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(walk(&dir.0).is_empty(), "purged files are deleted");
        assert_eq!(disk.used_bytes(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_ban_outlives_a_restart_until_the_lurker_retires_it() {
        let dir = TempDir::new();
        let reopen = || {
            let store = DiskStore::open(&DiskConfig {
                dir: dir.0.clone(),
                capacity: 1 << 24,
            })
            .unwrap();
            Cache::with_disk_without_lurker(CacheConfig::with_capacity(1 << 20), store)
        };
        let c = reopen();
        for i in 0..10 {
            fill(&c, &format!("/o/{i}"), &[b"banned"]);
        }
        fill(&c, "/keep", &[b"kept"]);
        wait_persisted(&c, 11).await;
        assert_eq!(c.purge("", &PurgePattern::parse("/o/*").unwrap()), 0);
        // The process ends before the lurker ran: every file is still there.
        drop(c);
        assert_eq!(walk(&dir.0).len(), 12, "11 objects and the ban file");
        let c = reopen();
        assert_eq!(c.ban_stats().active, 1, "the ban was kept");
        let empty = HeaderMap::new();
        assert!(
            matches!(
                c.lookup(&CacheKey::new("", "/o/3"), &empty, now(), true),
                Lookup::Fetch(..)
            ),
            "a recovered object under a kept ban is a miss"
        );
        assert!(matches!(
            c.lookup(&CacheKey::new("", "/keep"), &empty, now(), true),
            Lookup::Fresh(_)
        ));
        // A full pass removes the rest and retires the ban; the ban file is rewritten (empty)
        // behind the deletions.
        let mut cursor = crate::LurkerCursor::default();
        while c.lurker_step(&mut cursor, 100) {}
        assert_eq!(c.ban_stats().active, 0);
        assert_eq!(c.ban_stats().lurker_removals, 9);
        for _ in 0..200 {
            if walk(&dir.0).len() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let left = walk(&dir.0);
        assert_eq!(left.len(), 1, "only /keep's file is left: {left:?}");
        drop(c);
        let c = reopen();
        assert_eq!(c.ban_stats().active, 0, "a retired ban is not recovered");
        assert!(matches!(
            c.lookup(&CacheKey::new("", "/keep"), &empty, now(), true),
            Lookup::Fresh(_)
        ));
        assert_eq!(c.object_count(), 1);
    }

    fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for d in std::fs::read_dir(dir).unwrap().flatten() {
            // The ban file stays (empty once every ban is retired).
            if d.file_name() == "tmp"
                || (d.file_name() == "bans" && d.metadata().unwrap().len() == 0)
            {
                continue;
            }
            if d.path().is_dir() {
                out.extend(walk(&d.path()));
            } else {
                out.push(d.path());
            }
        }
        out
    }
}

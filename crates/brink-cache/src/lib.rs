//! Brink's cache storage.
//!
//! Owns where responses live and who may fetch them: a byte-bounded memory tier indexed by
//! [`CacheKey`], each key holding its `Vary` variants and any fetch in progress. It decides
//! nothing about HTTP semantics (that is `brink-http`) and never talks to the network (that is
//! `brink-edge`): the edge asks [`Cache::lookup`] what to do, fetches when told to, and writes
//! what it got through the [`FillGuard`] and [`ObjectWriter`] it was handed.
//!
//! Bodies are streamed in chunks ([`Body`]), never assumed to fit in one buffer, so that a disk
//! tier can later slot in under the memory tier behind the same interface.

mod ban;
mod body;
mod clock;
pub mod disk;
mod fill;
mod headers;
mod index;
mod object;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::SystemTime;

use brink_http::freshness::Staleness;
use brink_http::key::{CacheKey, PurgePattern};
use bytes::Bytes;
use http::HeaderMap;
use parking_lot::{Condvar, Mutex, RwLock};
use smallvec::SmallVec;

pub use ban::BanPattern;

/// The disk tier's ban-file encoding, for the fuzz target (`fuzz/fuzz_targets/ban_file.rs`).
#[doc(hidden)]
pub mod ban_file {
    pub use crate::ban::{decode_lines, encode_line};
}
pub use body::{Body, BodyReader, BodyState, ChunkPoll, FileRegion, MemFile, TruncatedBody};
pub use clock::{Clock, ManualClock, SystemClock};
pub use disk::{DiskConfig, DiskStore};
pub use fill::{FetchFailure, Fill, FillGuard, FillState};
pub use headers::StoredHeaders;
pub use object::{Meta, Object};

/// Number of index shards: enough that two cores never queue on one lock, and that the ban
/// lurker, which holds one shard's lock at a time, holds it briefly (a million objects are
/// about a thousand per shard).
const SHARDS: usize = 1024;
/// `log2(SHARDS)`: the shard is taken from the hash's top bits.
const SHARD_BITS: u32 = 10;
/// Shards the lurker tests per step (between steps it lets go of the cache).
const LURKER_STEP: usize = 8;
/// The lurker sleeps this many times as long as each step took (a duty cycle of 1/10).
const LURKER_IDLE_PER_WORK: u32 = 9;
/// The lurker's pause between two passes when bans arrived during the first.
const LURKER_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// Sizes of the memory tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Bytes the tier may hold: bodies, headers, and each object's bookkeeping (key, index
    /// entry, metadata records), so that the figure bounds the memory really used
    /// (docs/decisions/0003-memory-accounting.md).
    pub capacity: u64,
    /// The largest object stored; bigger responses are streamed to their viewers and dropped.
    pub max_object: u64,
    /// Keep bodies announced at least [`MEMORY_FILE_MIN`] long in in-memory files
    /// ([`MemFile`]) rather than chunks, so that plain-text hits can be sent from them with
    /// `sendfile(2)`; every other reader then copies them out of the file first.
    pub memory_files: bool,
}

impl CacheConfig {
    /// A tier of `capacity` bytes whose objects may each take half of it.
    pub fn with_capacity(capacity: u64) -> CacheConfig {
        CacheConfig {
            capacity,
            max_object: capacity / 2,
            memory_files: false,
        }
    }
}

use index::Index;

/// Counters of the memory tier, readable at any time.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Objects stored.
    pub inserts: AtomicU64,
    /// Objects evicted to make room.
    pub evictions: AtomicU64,
    /// Objects removed by purges.
    pub purged: AtomicU64,
    /// Requests that waited on another request's fetch.
    pub collapsed: AtomicU64,
    /// Responses too large to keep.
    pub too_large: AtomicU64,
}

/// The ban list's figures (see [`Cache::ban_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BanStats {
    /// Bans added and not yet retired.
    pub active: u64,
    /// Bans added since start.
    pub added: u64,
    /// Objects the background lurker removed.
    pub lurker_removals: u64,
    /// Objects found banned by a lookup and removed there.
    pub lookup_removals: u64,
}

/// Where the lurker is in its walk.
#[derive(Debug, Default)]
pub(crate) struct LurkerCursor {
    /// The ban sequence current when the pass started (0: no pass under way): once the pass
    /// ends, every ban up to it is retired.
    target: u64,
    /// The next shard to test.
    shard: usize,
}

/// What a lookup tells the caller to do.
#[derive(Debug)]
pub enum Lookup {
    /// Serve this object.
    Fresh(Arc<Object>),
    /// Serve this stale object now; when a guard is given, refresh it in the background
    /// (RFC 5861 stale-while-revalidate: one refresh at a time per key).
    StaleWhileRevalidate(Arc<Object>, Option<FillGuard>),
    /// Another request is fetching this key: wait on it.
    Wait(Arc<Fill>),
    /// Fetch from the origin (conditionally, if a stale copy is given) and report through the
    /// guard.
    Fetch(FillGuard, Option<Arc<Object>>),
}

/// The memory tier.
#[derive(Debug)]
pub struct Cache {
    shards: Box<[RwLock<Index>]>,
    config: CacheConfig,
    used: AtomicU64,
    clock_hand: Mutex<VecDeque<Weak<Object>>>,
    disk: Option<Arc<DiskStore>>,
    bans: ban::Bans,
    /// Set when a ban is added; the lurker waits on it.
    lurker_wake: Arc<(Mutex<bool>, Condvar)>,
    /// Counters.
    pub stats: CacheStats,
}

impl Cache {
    /// An empty memory-only cache.
    pub fn new(config: CacheConfig) -> Arc<Cache> {
        let cache = Self::build(config, None);
        cache.start_lurker();
        cache
    }

    /// A memory-only cache whose lurker runs only when a test calls [`Cache::lurker_step`].
    #[cfg(test)]
    pub(crate) fn without_lurker(config: CacheConfig) -> Arc<Cache> {
        Self::build(config, None)
    }

    fn build(config: CacheConfig, disk: Option<Arc<DiskStore>>) -> Arc<Cache> {
        Arc::new(Cache {
            shards: (0..SHARDS).map(|_| RwLock::new(Index::default())).collect(),
            config,
            used: AtomicU64::new(0),
            clock_hand: Mutex::new(VecDeque::new()),
            disk,
            bans: ban::Bans::default(),
            lurker_wake: Arc::new((Mutex::new(false), Condvar::new())),
            stats: CacheStats::default(),
        })
    }

    /// Starts the background lurker thread. It holds only a weak reference: it ends soon after
    /// the cache is dropped.
    fn start_lurker(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let wake = self.lurker_wake.clone();
        let spawned = std::thread::Builder::new()
            .name("brink-ban-lurker".into())
            .spawn(move || lurker_thread(&weak, &wake));
        if let Err(e) = spawned {
            // Bans are still enforced by lookups; only their retirement (memory) waits.
            tracing::error!(error = %e, "could not start the ban lurker thread");
        }
    }

    /// A cache with a disk tier under the memory tier. The objects the disk holds from an
    /// earlier run (including one killed with SIGKILL) are indexed again before this returns;
    /// damaged files are deleted.
    pub fn with_disk(config: CacheConfig, disk: Arc<DiskStore>) -> Arc<Cache> {
        Self::with_disk_opts(config, disk, true)
    }

    /// [`Cache::with_disk`] whose lurker runs only when a test calls [`Cache::lurker_step`].
    #[cfg(test)]
    pub(crate) fn with_disk_without_lurker(
        config: CacheConfig,
        disk: Arc<DiskStore>,
    ) -> Arc<Cache> {
        Self::with_disk_opts(config, disk, false)
    }

    fn with_disk_opts(config: CacheConfig, disk: Arc<DiskStore>, lurker: bool) -> Arc<Cache> {
        let cache = Self::build(config, Some(disk.clone()));
        let hook: Arc<dyn disk::Persisted> = cache.clone();
        disk.set_on_persisted(Arc::downgrade(&hook));
        // `hook` is the cache itself; the store keeps only a weak reference.
        drop(hook);
        // Bans not yet retired when the last run ended: the files they cover may still be
        // there (the lurker had not reached them). Every recovered object starts with mark 0,
        // so it is tested against them.
        let kept = ban::decode_lines(&disk.load_bans());
        for (scope, pattern) in &kept {
            cache.bans.add(scope, pattern);
        }
        let started = std::time::Instant::now();
        let recovered = disk.recover();
        let n = recovered.len();
        for (id, key_text, meta, file) in recovered {
            let Some(key) = CacheKey::from_encoded(&key_text) else {
                disk.remove(id);
                continue;
            };
            let obj = Arc::new(Object::new(key.clone(), meta, Body::on_disk(file.clone())));
            obj.set_disk(id, file.clone(), Arc::downgrade(&disk));
            let mut replaced = Vec::new();
            {
                let mut index = cache.shard(&key).write();
                index.upsert(&key, |slot| {
                    // Two files for one variant (a crash between writing the new one and deleting
                    // the old): keep the newer response.
                    let mut keep = true;
                    slot.variants.retain(|o| {
                        if o.meta.same_variant(&obj.meta) {
                            if o.meta.age().response_time <= obj.meta.age().response_time {
                                replaced.push(o.clone());
                                return false;
                            }
                            keep = false;
                        }
                        true
                    });
                    if keep {
                        slot.variants.push(obj.clone());
                    } else {
                        replaced.push(obj.clone());
                    }
                });
            }
            for old in replaced {
                if let Some(d) = old.disk_ref() {
                    disk.remove(d.id);
                }
            }
            disk.register(id, obj.key.hash_value(), file, Arc::downgrade(&obj));
        }
        tracing::info!(
            objects = n,
            bans = kept.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "disk tier recovered"
        );
        if lurker {
            cache.start_lurker();
        }
        cache
    }

    /// The disk tier, if any.
    pub fn disk(&self) -> Option<&Arc<DiskStore>> {
        self.disk.as_ref()
    }

    /// The tier's sizes.
    pub fn config(&self) -> CacheConfig {
        self.config
    }

    /// Bytes currently accounted to stored objects.
    pub fn used_bytes(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Number of stored objects (variants count separately).
    pub fn object_count(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.read()
                    .iter()
                    .map(|slot| slot.variants().len())
                    .sum::<usize>()
            })
            .sum()
    }

    fn shard(&self, key: &CacheKey) -> &RwLock<Index> {
        // The low bits pick the hashbrown bucket; use the high ones for the shard.
        &self.shards[(key.hash_value() >> (64 - SHARD_BITS)) as usize % SHARDS]
    }

    /// Tests `object` against the bans newer than its mark; advances the mark of a survivor.
    /// Call with its shard locked (read or write) while it is in the index, so that the lurker
    /// and `replace` see a consistent mark.
    fn banned(&self, object: &Object) -> bool {
        let mark = object.ban_mark.load(Ordering::Acquire);
        match self
            .bans
            .check(object.key.scope(), object.key.target(), mark)
        {
            ban::Verdict::Survives(m) => {
                if m > mark {
                    object.ban_mark.fetch_max(m, Ordering::AcqRel);
                }
                false
            }
            ban::Verdict::Banned => true,
        }
    }

    /// Takes the banned variants out of `slot` (the caller detaches them once the shard lock
    /// is released).
    fn drop_banned(&self, slot: &mut index::Entries, out: &mut SmallVec<[Arc<Object>; 2]>) {
        if self.bans.head() == 0 {
            return;
        }
        slot.variants.retain(|o| {
            let banned = self.banned(o);
            if banned {
                out.push(o.clone());
            }
            !banned
        });
    }

    /// Finds what to do for a request of `key` with `request` headers at `now`.
    ///
    /// `collapse` false (TTLs all zero, cloudfront.md §1.8) never makes a request wait on
    /// another's fetch.
    pub fn lookup(
        self: &Arc<Self>,
        key: &CacheKey,
        request: &HeaderMap,
        now: SystemTime,
        collapse: bool,
    ) -> Lookup {
        // Fast path: a fresh variant under a read lock.
        {
            let index = self.shard(key).read();
            if let Some(slot) = index.get(key) {
                if let Some(obj) = select_variant(slot.variants(), request) {
                    if obj.staleness(now) == Staleness::Fresh && !self.banned(obj) {
                        obj.touch();
                        return Lookup::Fresh(obj.clone());
                    }
                }
            }
        }
        let mut banned = SmallVec::new();
        let found = self.shard(key).write().upsert(key, |slot| {
            self.lookup_locked(slot, key, request, now, collapse, &mut banned)
        });
        if !banned.is_empty() {
            self.bans
                .lookup_removals
                .fetch_add(banned.len() as u64, Ordering::Relaxed);
            self.stats
                .purged
                .fetch_add(banned.len() as u64, Ordering::Relaxed);
            for o in &banned {
                self.detach(o);
            }
        }
        found
    }

    /// The slow path of [`Cache::lookup`], on `key`'s entry under the shard's write lock;
    /// banned variants met there are moved to `banned`.
    fn lookup_locked(
        self: &Arc<Self>,
        slot: &mut index::Entries,
        key: &CacheKey,
        request: &HeaderMap,
        now: SystemTime,
        collapse: bool,
        banned: &mut SmallVec<[Arc<Object>; 2]>,
    ) -> Lookup {
        self.drop_banned(slot, banned);
        let candidate = select_variant(&slot.variants, request).cloned();
        if let Some(obj) = &candidate {
            match obj.staleness(now) {
                Staleness::Fresh => {
                    obj.touch();
                    return Lookup::Fresh(obj.clone());
                }
                Staleness::StaleWhileRevalidate => {
                    obj.touch();
                    let refreshing = slot.fills.iter().any(|f| f.accepts(request));
                    let guard = (!refreshing).then(|| self.new_fill(slot, key, request));
                    return Lookup::StaleWhileRevalidate(obj.clone(), guard);
                }
                Staleness::Stale => {}
            }
        }
        if collapse {
            if let Some(fill) = slot.fills.iter().find(|f| f.accepts(request)) {
                self.stats.collapsed.fetch_add(1, Ordering::Relaxed);
                return Lookup::Wait(fill.clone());
            }
        }
        let guard = self.new_fill(slot, key, request);
        Lookup::Fetch(guard, candidate)
    }

    /// Whether the cache holds `key` for `request` in any state (a variant, fresh or stale, or
    /// a fill in progress), without registering anything: the edge asks before it answers a
    /// range from slices instead of the whole object.
    pub fn holds(&self, key: &CacheKey, request: &HeaderMap) -> bool {
        let index = self.shard(key).read();
        index.get(key).is_some_and(|slot| {
            select_variant(slot.variants(), request).is_some()
                || slot.fills().iter().any(|f| f.accepts(request))
        })
    }

    fn new_fill(
        self: &Arc<Self>,
        slot: &mut index::Entries,
        key: &CacheKey,
        request: &HeaderMap,
    ) -> FillGuard {
        // Collapse on the variant selection the key is known to use, if any.
        let selector = slot
            .variants
            .first()
            .map(|o| o.meta.vary().clone())
            .unwrap_or_default();
        let values = selector.select(request);
        let fill = Fill::new(selector, values, self.bans.head());
        slot.fills.push(fill.clone());
        FillGuard {
            cache: self.clone(),
            key: key.clone(),
            fill,
            resolved: false,
        }
    }

    pub(crate) fn remove_fill(&self, key: &CacheKey, fill: &Arc<Fill>) {
        self.shard(key).write().update(key, |slot| {
            slot.fills.retain(|f| !Arc::ptr_eq(f, fill));
        });
    }

    /// Inserts an object produced by `fill`, replacing the variant with the same selection.
    /// When the fill is no longer registered (a purge ran after it started) the object is
    /// returned detached: its waiters get it, the index does not.
    pub(crate) fn insert_from_fill(
        &self,
        key: &CacheKey,
        fill: &Arc<Fill>,
        meta: Meta,
        body: Arc<Body>,
    ) -> Arc<Object> {
        let header_bytes = meta.header_bytes();
        let overhead = object_overhead(&meta, key);
        let object = Arc::new(Object::new(key.clone(), meta, body));
        let mut removed: SmallVec<[Arc<Object>; 2]> = SmallVec::new();
        let inserted = {
            let mut index = self.shard(key).write();
            index
                .update(key, |slot| {
                    if !(slot.fills.iter().any(|f| Arc::ptr_eq(f, fill))
                        && self.fill_survives_bans(fill, &object))
                    {
                        return false;
                    }
                    let vary = object.meta.vary();
                    slot.variants.retain(|o| {
                        // A new Vary list invalidates variants selected by another list.
                        let keep = o.meta.vary() == vary && !o.meta.same_variant(&object.meta);
                        if !keep {
                            removed.push(o.clone());
                        }
                        keep
                    });
                    slot.variants.push(object.clone());
                    true
                })
                .unwrap_or(false)
        };
        for old in removed {
            self.detach(&old);
        }
        if inserted {
            // Count the body bytes already written (a refreshed object shares a complete body).
            let body_bytes = object.body.written();
            if header_bytes + body_bytes > self.config.max_object {
                self.remove_object(key, &object);
                self.stats.too_large.fetch_add(1, Ordering::Relaxed);
            } else {
                let charge = header_bytes + body_bytes + overhead;
                // The object is in the index already: a purge may detach it meanwhile, and
                // then takes off whatever it was charged (see `ObjectWriter::push_owned`).
                self.used.fetch_add(charge, Ordering::Relaxed);
                if object.add_charge(charge) {
                    self.clock_hand.lock().push_back(Arc::downgrade(&object));
                    self.stats.inserts.fetch_add(1, Ordering::Relaxed);
                    self.make_room();
                } else {
                    self.used.fetch_sub(charge, Ordering::Relaxed);
                }
            }
        } else {
            object.mark_detached();
        }
        object
    }

    /// False when a ban added after `fill` started removes `object` (which then must not be
    /// stored); a survivor's mark is set past the bans it was tested against. A fill older
    /// than a retired ban cannot be tested against it any more: it does not store either
    /// (rare: the fetch outlasted a whole lurker pass).
    fn fill_survives_bans(&self, fill: &Fill, object: &Object) -> bool {
        if fill.ban_mark < self.bans.retired() {
            return false;
        }
        object.ban_mark.store(fill.ban_mark, Ordering::Release);
        !self.banned(object)
    }

    /// A writer that appends the origin's body to `object`, keeping the budget.
    pub fn writer(self: &Arc<Self>, key: &CacheKey, object: &Arc<Object>) -> ObjectWriter {
        let disk = match &self.disk {
            Some(d) if !object.is_detached() => d.begin(key.encoded(), &object.meta),
            _ => None,
        };
        // With `memory_files`, a large body announced to fit in memory goes to an in-memory
        // file, which hits can send without a user-space copy (`MemFile`). Bodies of unknown
        // length, or too large for memory (they spill to the disk tier), stay in chunks.
        let fits = |len: u64| object.charged().saturating_add(len) <= self.config.max_object;
        let memory_file = self.config.memory_files
            && !object.is_detached()
            && object
                .body
                .expected_len()
                .is_some_and(|l| l >= MEMORY_FILE_MIN && fits(l))
            && object.body.use_memory_file();
        ObjectWriter {
            cache: self.clone(),
            key: key.clone(),
            object: object.clone(),
            disk,
            memory_file,
            finished: false,
        }
    }

    /// Takes `object` out of the budget and deletes its file; it stays readable for whoever
    /// holds it.
    fn detach(&self, object: &Object) {
        self.release_memory(object);
        if let (Some(disk), Some(d)) = (&self.disk, object.disk_ref()) {
            disk.remove(d.id);
        }
    }

    /// Takes `object` out of the memory budget only (its file, if any, stays).
    fn release_memory(&self, object: &Object) {
        if let Some(charged) = object.detach_charge() {
            self.used.fetch_sub(charged, Ordering::Relaxed);
        }
    }

    /// Puts `new` in the place of `old` in the index. False if `old` is no longer there.
    fn replace(&self, old: &Arc<Object>, new: Arc<Object>) -> bool {
        let mut index = self.shard(&old.key).write();
        // Same key, same verdict: the copy survives whatever `old` was tested against
        // meanwhile (the lurker may have advanced `old`'s mark since `new` was made; it does
        // so under this shard's lock, which is held here).
        new.ban_mark
            .fetch_max(old.ban_mark.load(Ordering::Acquire), Ordering::AcqRel);
        index.replace(old, new)
    }

    /// A disk-only copy of `object` (same metadata and file), for when memory lets it go.
    fn disk_only_copy(object: &Arc<Object>) -> Option<Arc<Object>> {
        let d = object.disk_ref()?;
        let copy = Arc::new(Object::new(
            object.key.clone(),
            object.meta.clone(),
            Body::on_disk(d.file.clone()),
        ));
        copy.set_disk(d.id, d.file, d.store);
        copy.ban_mark
            .store(object.ban_mark.load(Ordering::Acquire), Ordering::Release);
        Some(copy)
    }

    /// Memory lets `object` go: if it is on disk its disk-only copy takes its place,
    /// otherwise it leaves the index.
    fn demote_or_remove(&self, object: &Arc<Object>) {
        if let Some(copy) = Self::disk_only_copy(object) {
            if self.replace(object, copy) {
                self.release_memory(object);
                return;
            }
        }
        self.remove_object(&object.key.clone(), object);
    }

    /// Prepares an object found by a lookup for serving. A disk-only object gets its first
    /// block read and verified; a small one is brought back into memory. A damaged file is
    /// deleted and `None` returned: the caller treats the request as a miss.
    pub async fn open(self: &Arc<Self>, object: Arc<Object>) -> Option<Arc<Object>> {
        object.body.disk_file()?;
        let first = object.body.read_first_block().await;
        let (Some(disk), Some(d)) = (&self.disk, object.disk_ref()) else {
            return first.ok().map(|_| object);
        };
        match first {
            Ok(Some(bytes)) => {
                disk.touch(d.id);
                let header_bytes = object.meta.header_bytes();
                let len = bytes.len() as u64;
                if len == d.file.body_len && header_bytes + len <= self.config.max_object {
                    let promoted = Arc::new(Object::new(
                        object.key.clone(),
                        object.meta.clone(),
                        Body::complete(bytes),
                    ));
                    promoted.set_disk(d.id, d.file, d.store);
                    promoted
                        .ban_mark
                        .store(object.ban_mark.load(Ordering::Acquire), Ordering::Release);
                    let charge = header_bytes + len + object_overhead(&object.meta, &object.key);
                    promoted.set_charge(charge);
                    // Counted before it is visible, so a detach right after cannot take off
                    // more than was added.
                    self.used.fetch_add(charge, Ordering::Relaxed);
                    if self.replace(&object, promoted.clone()) {
                        self.clock_hand.lock().push_back(Arc::downgrade(&promoted));
                        self.make_room();
                        return Some(promoted);
                    }
                    self.used.fetch_sub(charge, Ordering::Relaxed);
                    promoted.mark_detached();
                }
                Some(object)
            }
            Ok(None) => Some(object),
            Err(e) => {
                tracing::warn!(path = %d.file.path.display(), error = %e, "disk tier: damaged object dropped, refetching");
                disk.note_corrupt(d.id);
                object.disk_evicted();
                self.remove_object(&object.key.clone(), &object);
                None
            }
        }
    }

    /// Removes one object from the index (if it is still there) and the budget.
    pub fn remove_object(&self, key: &CacheKey, object: &Arc<Object>) {
        self.shard(key).write().remove_object(object);
        self.detach(object);
    }

    /// Invalidates what `pattern` matches in `scope`: a ban ([`Cache::ban`]); nothing is
    /// scanned. An exact target's entry is also removed from the index at once when its shard
    /// lock is free. Returns the number of objects removed at once (a ban's objects are
    /// removed later, by lookups and the lurker: see [`Cache::ban_stats`]). When this returns,
    /// no request can be served a matching object, and no fill that started before it can
    /// store its result.
    pub fn purge(&self, scope: &str, pattern: &PurgePattern) -> u64 {
        let PurgePattern::Exact(target) = pattern else {
            self.ban(scope, &BanPattern::from_purge(pattern));
            return 0;
        };
        // The entry goes at once, unless its shard is busy (the lurker may hold it, even be
        // preempted holding it): never wait for a lock here; the ban below covers it.
        let key = CacheKey::new(scope, target);
        let removed: SmallVec<[Arc<Object>; 1]> = match self.shard(&key).try_write() {
            Some(mut index) => index.remove(&key),
            None => SmallVec::new(),
        };
        // The ban makes the purge effective whatever the removal did (and, with a disk tier,
        // is kept in the ban file until the lurker's next pass, so a file whose deletion was
        // still queued when the process died is not served again after a restart).
        self.ban(scope, &BanPattern::Exact(target.clone()));
        for o in &removed {
            self.detach(o);
        }
        let n = removed.len() as u64;
        self.stats.purged.fetch_add(n, Ordering::Relaxed);
        n
    }

    /// Adds a ban: every object of `scope` whose target `pattern` matches, stored before this
    /// call, is treated as a miss from now on and removed when met; fills that started before
    /// it do not store. O(1) whatever the cache holds. With a disk tier the ban is appended to
    /// its ban file first, so that it survives a restart until the lurker retires it. Returns
    /// the ban's sequence number.
    pub fn ban(&self, scope: &str, pattern: &BanPattern) -> u64 {
        let seq = self.bans.add(scope, pattern);
        if let Some(disk) = &self.disk {
            disk.append_ban(&ban::encode_line(scope, pattern));
        }
        *self.lurker_wake.0.lock() = true;
        self.lurker_wake.1.notify_one();
        seq
    }

    /// The ban list's figures.
    pub fn ban_stats(&self) -> BanStats {
        BanStats {
            active: self.bans.active() as u64,
            added: self.bans.added.load(Ordering::Relaxed),
            lurker_removals: self.bans.lurker_removals.load(Ordering::Relaxed),
            lookup_removals: self.bans.lookup_removals.load(Ordering::Relaxed),
        }
    }

    /// One step of the lurker: tests the objects of up to `shards` shards against the bans
    /// newer than their marks, removing the banned ones (each shard read-locked while it is
    /// tested, write-locked only to take out what was found). When a pass over every shard
    /// ends, the bans that were there when it started are retired. Returns true while bans
    /// remain active.
    pub(crate) fn lurker_step(&self, cursor: &mut LurkerCursor, shards: usize) -> bool {
        if cursor.target == 0 {
            if self.bans.oldest_active().is_none() {
                return false;
            }
            cursor.target = self.bans.head();
            cursor.shard = 0;
        }
        for _ in 0..shards {
            let Some(shard) = self.shards.get(cursor.shard) else {
                break;
            };
            let mut found: Vec<Arc<Object>> = Vec::new();
            {
                let index = shard.read();
                self.bans.with_checker(|check| {
                    for slot in index.iter() {
                        for o in slot.variants() {
                            let mark = o.ban_mark.load(Ordering::Acquire);
                            match check(&o.key, mark) {
                                ban::Verdict::Survives(m) => {
                                    if m > mark {
                                        o.ban_mark.fetch_max(m, Ordering::AcqRel);
                                    }
                                }
                                ban::Verdict::Banned => found.push(o.clone()),
                            }
                        }
                    }
                });
            }
            if !found.is_empty() {
                let mut index = shard.write();
                for o in &found {
                    index.remove_object(o);
                }
            }
            for o in &found {
                self.detach(o);
            }
            let n = found.len() as u64;
            self.bans.lurker_removals.fetch_add(n, Ordering::Relaxed);
            self.stats.purged.fetch_add(n, Ordering::Relaxed);
            cursor.shard += 1;
        }
        if cursor.shard >= SHARDS {
            let retired = self.bans.retire(cursor.target);
            cursor.target = 0;
            if retired > 0 {
                if let Some(disk) = &self.disk {
                    // Queued behind the deletions of what this pass removed.
                    disk.rewrite_bans();
                }
            }
        }
        self.bans.oldest_active().is_some()
    }

    /// Evicts with CLOCK (second chance) until the budget holds.
    fn make_room(&self) {
        let capacity = self.config.capacity;
        if self.used.load(Ordering::Relaxed) <= capacity {
            return;
        }
        let mut hand = self.clock_hand.lock();
        let mut budget = hand.len() * 2 + 1;
        while self.used.load(Ordering::Relaxed) > capacity && budget > 0 {
            budget -= 1;
            let Some(weak) = hand.pop_front() else {
                break;
            };
            let Some(object) = weak.upgrade() else {
                continue;
            };
            if object.is_detached() {
                continue;
            }
            if object.take_referenced() {
                hand.push_back(weak);
                continue;
            }
            self.demote_or_remove(&object);
            self.stats.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What an object in memory costs beyond its body and `Meta::header_bytes`, charged to the
/// budget so that the budget bounds the memory really used (issue 9, part 7): the object
/// record (metadata inline) and the body record with their `Arc` counts, the shared counts of
/// the header block and of the body's buffer, the header block's table, the names not stored
/// as one byte, the `Vary` lists, the index entry (at the hash table's lowest load, plus a
/// general entry when the key may hold several variants), the CLOCK slot and the key text,
/// each allocation with a rounding allowance. `tests/object_cost.rs` counts the real
/// allocations of small objects stored and served the way the edge does and checks that this
/// charge covers them (docs/decisions/0003-memory-accounting.md).
fn object_overhead(meta: &Meta, key: &CacheKey) -> u64 {
    use std::mem::size_of;
    /// Rounding and bookkeeping a general-purpose allocator adds to one allocation.
    const PER_ALLOC: usize = 16;
    /// `Arc`'s two counts.
    const COUNTS: usize = 16;
    /// The shared count `bytes` allocates the first time a buffer is sliced or cloned.
    const SHARED: usize = 24 + PER_ALLOC;
    const FIXED: usize = COUNTS + size_of::<Object>() + PER_ALLOC
        + COUNTS + size_of::<Body>() + PER_ALLOC
        // Header block and body buffer: their shared counts and allocations.
        + 2 * (SHARED + PER_ALLOC)
        // Index entry at a load of one half, then the CLOCK queue's weak pointer (doubling).
        + 2 * (size_of::<index::Slot>() + 1)
        + 2 * size_of::<Weak<Object>>()
        // The key's text with its `Arc` counts.
        + COUNTS + PER_ALLOC;
    let h = &meta.headers;
    let table = h.len() * 5 + 2 + h.custom_names() * (size_of::<http::HeaderName>() + SHARED);
    let vary = if meta.vary().is_empty() {
        0
    } else {
        let names = meta.vary().names().len();
        let values: usize = meta
            .vary_values()
            .values()
            .iter()
            .flatten()
            .map(Bytes::len)
            .sum();
        names * (size_of::<http::HeaderName>() + size_of::<Option<Bytes>>())
            + values
            + 2 * PER_ALLOC
            + size_of::<index::Entries>()
            + PER_ALLOC
    };
    (FIXED + table + vary + key.encoded().len()) as u64
}

fn select_variant<'a>(variants: &'a [Arc<Object>], request: &HeaderMap) -> Option<&'a Arc<Object>> {
    // Newest last: prefer the most recent matching variant.
    variants
        .iter()
        .rev()
        .find(|o| o.selected_by(request) && o.is_servable())
}

/// Bodies announced at least this long (and fitting in memory) are kept in an in-memory file
/// rather than in chunks ([`MemFile`]): above it, a hit's `sendfile(2)` saves more than the
/// file's page-sized granularity costs.
pub const MEMORY_FILE_MIN: u64 = 1 << 20;

/// How far (bytes) the fill of an object spilling to disk may run ahead of its file.
pub const SPILL_AHEAD: u64 = 16 << 20;

/// Appends the origin's body to a stored object, keeping the memory budget. Dropping it
/// without [`ObjectWriter::finish`] marks the body failed: readers get an error and the object
/// leaves the index (a half-written object is never served).
#[derive(Debug)]
pub struct ObjectWriter {
    cache: Arc<Cache>,
    key: CacheKey,
    object: Arc<Object>,
    disk: Option<disk::DiskWrite>,
    /// The body goes to an in-memory file (which copies each chunk and keeps nothing).
    memory_file: bool,
    finished: bool,
}

impl ObjectWriter {
    /// Appends a chunk. The bytes are copied into a buffer of their own: chunks handed out
    /// by an HTTP client are usually slices of a larger read buffer, which storing would pin.
    /// (A body in an in-memory file copies them there and keeps nothing.)
    pub fn push(&mut self, chunk: Bytes) {
        if self.memory_file {
            self.push_owned(chunk);
        } else {
            self.push_owned(Bytes::copy_from_slice(&chunk));
        }
    }

    /// Appends a chunk without copying it. Its buffer must hold nothing but this body's bytes
    /// (its own, or shared with the body's other chunks), or storing it would pin the rest.
    pub fn push_owned(&mut self, owned: Bytes) {
        let n = owned.len() as u64;
        if let Some(d) = &mut self.disk {
            d.append(&owned);
        }
        self.object.body.push(owned);
        if self.object.is_oversized() {
            return;
        }
        // Added to the figure first: a concurrent detach takes the object's whole charge off.
        self.cache.used.fetch_add(n, Ordering::Relaxed);
        if !self.object.add_charge(n) {
            self.cache.used.fetch_sub(n, Ordering::Relaxed);
            return;
        }
        let over = self.object.charged() > self.cache.config.max_object;
        if over {
            self.cache.stats.too_large.fetch_add(1, Ordering::Relaxed);
            if let Some(d) = self.disk.as_mut().filter(|d| d.is_ok()) {
                // Too large for memory, not for disk: stop counting it in memory, let written
                // chunks leave memory (readers behind read them back from the file), and once
                // the file is complete serve it from there (see `persisted`).
                d.spill(&self.object.body);
                self.object.set_oversized();
                let charged = self.object.clear_charge();
                self.cache.used.fetch_sub(charged, Ordering::Relaxed);
            } else {
                // Keep streaming to the readers already attached; stop storing.
                self.cache.remove_object(&self.key, &self.object);
            }
        } else {
            self.cache.make_room();
        }
    }

    /// The body is complete.
    pub fn finish(mut self) {
        self.finished = true;
        self.object.body.finish();
        match self.disk.take() {
            Some(d) => d.finish(&self.object),
            None if self.object.is_oversized() => self.cache.remove_object(&self.key, &self.object),
            None => {}
        }
    }

    /// Waits while an object too large for memory runs more than [`SPILL_AHEAD`] bytes ahead
    /// of its file (a fast origin, a slow disk); false if writing the file failed (the
    /// caller should stop: what is not on the file would stay in memory). At once for
    /// objects that fit in memory.
    pub async fn room(&self) -> bool {
        if !self.spills() {
            return true;
        }
        std::future::poll_fn(|cx| self.object.body.poll_room(cx, SPILL_AHEAD)).await
    }

    /// True once the object is too large for memory: only then may [`ObjectWriter::room`]
    /// have to wait (a caller can skip arming a timeout for it otherwise).
    pub fn spills(&self) -> bool {
        self.object.is_oversized()
    }

    /// The object being written.
    pub fn object(&self) -> &Arc<Object> {
        &self.object
    }
}

impl Drop for ObjectWriter {
    fn drop(&mut self) {
        if !self.finished {
            self.object.body.fail();
            self.cache.remove_object(&self.key, &self.object);
        }
    }
}

impl disk::Persisted for Cache {
    fn persisted(&self, object: &Arc<Object>) {
        // An object too large for memory now has its file: serve it from there.
        if object.is_oversized() {
            self.demote_or_remove(object);
        }
    }

    fn ban_lines(&self) -> String {
        self.bans
            .snapshot()
            .iter()
            .map(|(scope, pattern)| ban::encode_line(scope, pattern))
            .collect()
    }
}

/// The lurker thread: steps while bans are active, then sleeps until the next ban (or a
/// second, to notice that the cache is gone).
fn lurker_thread(cache: &Weak<Cache>, wake: &(Mutex<bool>, Condvar)) {
    let mut cursor = LurkerCursor::default();
    loop {
        let Some(c) = cache.upgrade() else { return };
        let started = std::time::Instant::now();
        let more = c.lurker_step(&mut cursor, LURKER_STEP);
        let worked = started.elapsed();
        let pass_ended = cursor.target == 0;
        drop(c);
        if more {
            // A background chore: at most a tenth of a core, whatever the cache holds (a pass
            // over a million objects then takes a few seconds; lookups enforce bans meanwhile).
            std::thread::sleep(worked * LURKER_IDLE_PER_WORK);
            if pass_ended {
                // Newer bans wait a little for the next pass: lookups enforce them meanwhile,
                // and a stream of bans (every unsafe request bans its target's variants) then
                // costs a pass per pause, not a core.
                std::thread::sleep(LURKER_PAUSE);
            }
            continue;
        }
        let (flag, cv) = wake;
        let mut woken = flag.lock();
        if !*woken {
            cv.wait_for(&mut woken, std::time::Duration::from_secs(1));
        }
        *woken = false;
    }
}

#[cfg(test)]
mod ban_tests;
#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod tests;

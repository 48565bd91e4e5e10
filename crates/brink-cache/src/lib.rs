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

mod body;
mod clock;
pub mod disk;
mod fill;
mod object;

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::SystemTime;

use brink_http::freshness::Staleness;
use brink_http::key::{CacheKey, PurgePattern};
use bytes::Bytes;
use http::HeaderMap;
use parking_lot::{Mutex, RwLock};
use smallvec::SmallVec;

pub use body::{Body, BodyReader, BodyState, ChunkPoll, TruncatedBody};
pub use clock::{Clock, ManualClock, SystemClock};
pub use disk::{DiskConfig, DiskStore};
pub use fill::{FetchFailure, Fill, FillGuard, FillState};
pub use object::{Meta, Object};

/// Number of index shards: enough that two cores never queue on one lock.
const SHARDS: usize = 64;

/// Sizes of the memory tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Bytes the tier may hold: bodies, headers, and each object's bookkeeping (key, index
    /// entry, metadata records), so that the figure bounds the memory really used
    /// (docs/decisions/0003-memory-accounting.md).
    pub capacity: u64,
    /// The largest object stored; bigger responses are streamed to their viewers and dropped.
    pub max_object: u64,
}

impl CacheConfig {
    /// A tier of `capacity` bytes whose objects may each take half of it.
    pub fn with_capacity(capacity: u64) -> CacheConfig {
        CacheConfig {
            capacity,
            max_object: capacity / 2,
        }
    }
}

/// Hasher for the index: keys carry their hash already.
#[derive(Default)]
struct PrehashedKey(u64);

impl Hasher for PrehashedKey {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `CacheKey`'s `Hash`; fold anything else in anyway.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Index = HashMap<CacheKey, Slot, BuildHasherDefault<PrehashedKey>>;

/// Everything stored or in flight under one primary key.
#[derive(Debug, Default)]
struct Slot {
    variants: SmallVec<[Arc<Object>; 1]>,
    fills: SmallVec<[Arc<Fill>; 1]>,
}

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
    /// Counters.
    pub stats: CacheStats,
}

impl Cache {
    /// An empty memory-only cache.
    pub fn new(config: CacheConfig) -> Arc<Cache> {
        Self::build(config, None)
    }

    fn build(config: CacheConfig, disk: Option<Arc<DiskStore>>) -> Arc<Cache> {
        Arc::new(Cache {
            shards: (0..SHARDS).map(|_| RwLock::new(Index::default())).collect(),
            config,
            used: AtomicU64::new(0),
            clock_hand: Mutex::new(VecDeque::new()),
            disk,
            stats: CacheStats::default(),
        })
    }

    /// A cache with a disk tier under the memory tier. The objects the disk holds from an
    /// earlier run (including one killed with SIGKILL) are indexed again before this returns;
    /// damaged files are deleted.
    pub fn with_disk(config: CacheConfig, disk: Arc<DiskStore>) -> Arc<Cache> {
        let cache = Self::build(config, Some(disk.clone()));
        let hook: Arc<dyn disk::Persisted> = cache.clone();
        disk.set_on_persisted(Arc::downgrade(&hook));
        // `hook` is the cache itself; the store keeps only a weak reference.
        drop(hook);
        let started = std::time::Instant::now();
        let recovered = disk.recover();
        let n = recovered.len();
        for (id, key_text, meta, file) in recovered {
            let Some(key) = CacheKey::from_encoded(&key_text) else {
                disk.remove(id);
                continue;
            };
            let obj = Arc::new(Object::new(
                key.clone(),
                Arc::new(meta),
                Body::on_disk(file.clone()),
            ));
            obj.set_disk(id, file.clone(), Arc::downgrade(&disk));
            let mut replaced = Vec::new();
            {
                let mut index = cache.shard(&key).write();
                let slot = index.entry(key).or_default();
                // Two files for one variant (a crash between writing the new one and deleting
                // the old): keep the newer response.
                let mut keep = true;
                slot.variants.retain(|o| {
                    if o.meta.vary == obj.meta.vary && o.meta.vary_values == obj.meta.vary_values {
                        if o.meta.age.response_time <= obj.meta.age.response_time {
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
            elapsed_ms = started.elapsed().as_millis() as u64,
            "disk tier recovered"
        );
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
                    .values()
                    .map(|slot| slot.variants.len())
                    .sum::<usize>()
            })
            .sum()
    }

    fn shard(&self, key: &CacheKey) -> &RwLock<Index> {
        // The low bits pick the hashbrown bucket; use the high ones for the shard.
        &self.shards[(key.hash_value() >> 58) as usize % SHARDS]
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
                if let Some(obj) = select_variant(slot, request) {
                    if obj.staleness(now) == Staleness::Fresh {
                        obj.touch();
                        return Lookup::Fresh(obj.clone());
                    }
                }
            }
        }
        let mut index = self.shard(key).write();
        let slot = index.entry(key.clone()).or_default();
        let candidate = select_variant(slot, request).cloned();
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
            select_variant(slot, request).is_some() || slot.fills.iter().any(|f| f.accepts(request))
        })
    }

    fn new_fill(
        self: &Arc<Self>,
        slot: &mut Slot,
        key: &CacheKey,
        request: &HeaderMap,
    ) -> FillGuard {
        // Collapse on the variant selection the key is known to use, if any.
        let selector = slot
            .variants
            .first()
            .map(|o| o.meta.vary.clone())
            .unwrap_or_default();
        let values = selector.select(request);
        let fill = Fill::new(selector, values);
        slot.fills.push(fill.clone());
        FillGuard {
            cache: self.clone(),
            key: key.clone(),
            fill,
            resolved: false,
        }
    }

    pub(crate) fn remove_fill(&self, key: &CacheKey, fill: &Arc<Fill>) {
        let mut index = self.shard(key).write();
        if let Some(slot) = index.get_mut(key) {
            slot.fills.retain(|f| !Arc::ptr_eq(f, fill));
            if slot.fills.is_empty() && slot.variants.is_empty() {
                index.remove(key);
            }
        }
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
        let mut meta = meta;
        compact_headers(&mut meta.headers);
        let header_bytes = meta.header_bytes();
        let overhead = object_overhead(&meta, key);
        let object = Arc::new(Object::new(key.clone(), Arc::new(meta), body));
        let mut removed: SmallVec<[Arc<Object>; 2]> = SmallVec::new();
        let inserted = {
            let mut index = self.shard(key).write();
            match index.get_mut(key) {
                Some(slot) if slot.fills.iter().any(|f| Arc::ptr_eq(f, fill)) => {
                    let vary = &object.meta.vary;
                    let values = &object.meta.vary_values;
                    slot.variants.retain(|o| {
                        // A new Vary list invalidates variants selected by another list.
                        let keep = o.meta.vary == *vary && o.meta.vary_values != *values;
                        if !keep {
                            removed.push(o.clone());
                        }
                        keep
                    });
                    slot.variants.push(object.clone());
                    true
                }
                _ => false,
            }
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
                object.accounting.lock().bytes = charge;
                self.used.fetch_add(charge, Ordering::Relaxed);
                self.clock_hand.lock().push_back(Arc::downgrade(&object));
                self.stats.inserts.fetch_add(1, Ordering::Relaxed);
                self.make_room();
            }
        } else {
            object.accounting.lock().detached = true;
        }
        object
    }

    /// A writer that appends the origin's body to `object`, keeping the budget.
    pub fn writer(self: &Arc<Self>, key: &CacheKey, object: &Arc<Object>) -> ObjectWriter {
        let disk = match &self.disk {
            Some(d) if !object.is_detached() => d.begin(key.encoded(), &object.meta),
            _ => None,
        };
        ObjectWriter {
            cache: self.clone(),
            key: key.clone(),
            object: object.clone(),
            disk,
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
        let mut acc = object.accounting.lock();
        if !acc.detached {
            acc.detached = true;
            self.used.fetch_sub(acc.bytes, Ordering::Relaxed);
            acc.bytes = 0;
        }
    }

    /// Puts `new` in the place of `old` in the index. False if `old` is no longer there.
    fn replace(&self, old: &Arc<Object>, new: Arc<Object>) -> bool {
        let mut index = self.shard(&old.key).write();
        let Some(slot) = index.get_mut(&old.key) else {
            return false;
        };
        let Some(pos) = slot.variants.iter().position(|o| Arc::ptr_eq(o, old)) else {
            return false;
        };
        slot.variants[pos] = new;
        true
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
        copy.accounting.lock().detached = false;
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
                    let charge = header_bytes + len + object_overhead(&object.meta, &object.key);
                    promoted.accounting.lock().bytes = charge;
                    if self.replace(&object, promoted.clone()) {
                        self.used.fetch_add(charge, Ordering::Relaxed);
                        self.clock_hand.lock().push_back(Arc::downgrade(&promoted));
                        self.make_room();
                        return Some(promoted);
                    }
                    promoted.accounting.lock().detached = true;
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
        {
            let mut index = self.shard(key).write();
            if let Some(slot) = index.get_mut(key) {
                slot.variants.retain(|o| !Arc::ptr_eq(o, object));
                if slot.fills.is_empty() && slot.variants.is_empty() {
                    index.remove(key);
                }
            }
        }
        self.detach(object);
    }

    /// Removes every stored object and in-flight fill whose key's target matches `pattern`,
    /// in the given scope. Returns the number of objects removed. When this returns, no
    /// request can be served one of them, and no fill that started before it can store its
    /// result.
    pub fn purge(&self, scope: &str, pattern: &PurgePattern) -> u64 {
        let mut removed: Vec<Arc<Object>> = Vec::new();
        if let PurgePattern::Exact(target) = pattern {
            let key = CacheKey::new(scope, target);
            if let Some(slot) = self.shard(&key).write().remove(&key) {
                removed.extend(slot.variants);
            }
        } else {
            for shard in self.shards.iter() {
                shard.write().retain(|key, slot| {
                    let hit = key.scope() == scope && pattern.matches(key.target());
                    if hit {
                        removed.extend(slot.variants.drain(..));
                    }
                    !hit
                });
            }
        }
        for o in &removed {
            self.detach(o);
        }
        let n = removed.len() as u64;
        self.stats.purged.fetch_add(n, Ordering::Relaxed);
        n
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
            if object.referenced.swap(false, Ordering::Relaxed) {
                hand.push_back(weak);
                continue;
            }
            self.demote_or_remove(&object);
            self.stats.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What an object in memory costs beyond its body and `Meta::header_bytes`, charged to the
/// budget so that the budget bounds the memory really used (issue 9, part 7): the object, its
/// metadata and body records with their `Arc` counts, its index entry (at the hash table's
/// lowest load), its CLOCK slot, its key text, the header map's table and each header's own
/// allocation, with allocator rounding. `tests/object_cost.rs` counts the real allocations of
/// small objects stored the way the edge stores them and checks this charge covers them.
fn object_overhead(meta: &Meta, key: &CacheKey) -> u64 {
    use std::mem::size_of;
    /// Rounding and bookkeeping a general-purpose allocator adds to one allocation.
    const PER_ALLOC: usize = 16;
    // One hash-table bucket of `HeaderMap`: hash, name, value, links.
    const BUCKET: usize = 2 + size_of::<http::HeaderName>() + size_of::<http::HeaderValue>() + 24;
    const FIXED: usize = 3 * (16 + PER_ALLOC)
        + size_of::<Object>()
        + size_of::<Meta>()
        + size_of::<Body>()
        // Index entry at a load of one half, then the CLOCK queue's weak pointer (doubling).
        + 2 * (size_of::<CacheKey>() + size_of::<Slot>() + 1)
        + 2 * size_of::<Weak<Object>>()
        // The body's chunk list and its frozen copy.
        + 2 * (size_of::<Bytes>() + 16 + PER_ALLOC);
    let h = &meta.headers;
    let table = h.capacity() * BUCKET + h.capacity().next_power_of_two() * 4 * 2 + PER_ALLOC * 2;
    // Each value (and custom name) is an allocation of its own.
    let values = h.len() * (size_of::<Bytes>() + PER_ALLOC);
    (FIXED + table + values + key.encoded().len() + PER_ALLOC) as u64
}

/// Rebuilds a header map that has spare buckets (headers removed after it was sized, or
/// grown by appends) at the smallest capacity that holds its headers: every bucket is 112
/// bytes for as long as the object stays. Values move; nothing is copied.
fn compact_headers(headers: &mut HeaderMap) {
    let n = headers.len();
    // `HeaderMap::with_capacity(n)` sizes its table to (n + n/3) rounded up to a power of two,
    // of which three quarters are usable.
    let raw = (n + n / 3).max(1).next_power_of_two();
    if headers.capacity() <= raw - raw / 4 {
        return;
    }
    let mut out = HeaderMap::with_capacity(n);
    let mut last = None;
    for (name, value) in std::mem::take(headers) {
        if let Some(name) = name {
            last = Some(name);
        }
        if let Some(name) = &last {
            out.append(name.clone(), value);
        }
    }
    *headers = out;
}

fn select_variant<'a>(slot: &'a Slot, request: &HeaderMap) -> Option<&'a Arc<Object>> {
    // Newest last: prefer the most recent matching variant.
    slot.variants
        .iter()
        .rev()
        .find(|o| o.selected_by(request) && o.is_servable())
}

/// Appends the origin's body to a stored object, keeping the memory budget. Dropping it
/// without [`ObjectWriter::finish`] marks the body failed: readers get an error and the object
/// leaves the index (a half-written object is never served).
#[derive(Debug)]
pub struct ObjectWriter {
    cache: Arc<Cache>,
    key: CacheKey,
    object: Arc<Object>,
    disk: Option<disk::DiskWrite>,
    finished: bool,
}

impl ObjectWriter {
    /// Appends a chunk. The bytes are copied into a buffer of their own: chunks handed out
    /// by an HTTP client are usually slices of a larger read buffer, which storing would pin.
    pub fn push(&mut self, chunk: Bytes) {
        self.push_owned(Bytes::copy_from_slice(&chunk));
    }

    /// Appends a chunk that owns its buffer exactly (nothing else pins it), without copying.
    pub fn push_owned(&mut self, owned: Bytes) {
        let n = owned.len() as u64;
        if let Some(d) = &mut self.disk {
            d.append(&owned);
        }
        self.object.body.push(owned);
        if self.object.oversized.load(Ordering::Relaxed) {
            return;
        }
        let over = {
            let mut acc = self.object.accounting.lock();
            if acc.detached {
                return;
            }
            acc.bytes += n;
            self.cache.used.fetch_add(n, Ordering::Relaxed);
            acc.bytes > self.cache.config.max_object
        };
        if over {
            self.cache.stats.too_large.fetch_add(1, Ordering::Relaxed);
            if let Some(d) = self.disk.as_mut().filter(|d| d.is_ok()) {
                // Too large for memory, not for disk: stop counting it in memory, let written
                // chunks leave memory (readers behind read them back from the file), and once
                // the file is complete serve it from there (see `persisted`).
                d.spill(&self.object.body);
                self.object.oversized.store(true, Ordering::Relaxed);
                let mut acc = self.object.accounting.lock();
                self.cache.used.fetch_sub(acc.bytes, Ordering::Relaxed);
                acc.bytes = 0;
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
            None if self.object.oversized.load(Ordering::Relaxed) => {
                self.cache.remove_object(&self.key, &self.object)
            }
            None => {}
        }
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
        if object.oversized.load(Ordering::Relaxed) {
            self.demote_or_remove(object);
        }
    }
}

#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod tests;

//! A stored response: immutable metadata plus a (possibly still growing) body.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use brink_http::freshness::{staleness, usable_if_error, AgeBase, Lifetimes, Staleness};
use brink_http::vary::{VaryNames, VaryValues};
use http::{HeaderMap, StatusCode};
use parking_lot::Mutex;

use crate::body::Body;
use crate::disk::{DiskFile, DiskStore};
use crate::headers::StoredHeaders;

/// Where an object's file is, once persisted.
#[derive(Debug, Clone)]
pub(crate) struct DiskRef {
    pub(crate) id: u64,
    pub(crate) file: Arc<DiskFile>,
    pub(crate) store: std::sync::Weak<DiskStore>,
}

/// Everything about a stored response except its body. Replaced as a whole when a 304
/// refreshes it, never edited in place, so a reader always sees one consistent version.
///
/// Kept compact (it is part of every stored object, issue 9 part 7): lifetimes and age as
/// nanosecond counts instead of `Duration`/`SystemTime` pairs (lossless below 584 years), the
/// `Vary` lists boxed together and absent for the many responses that do not vary.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The origin's status.
    pub status: StatusCode,
    /// The headers served to viewers (already cleaned of hop-by-hop and edge-only fields).
    pub headers: StoredHeaders,
    fresh: u64,
    stale_while_revalidate: u64,
    stale_if_error: u64,
    must_revalidate: bool,
    /// When the response (or the 304 that refreshed it) was received, since the Unix epoch.
    response_time: u64,
    initial_age: u64,
    vary: Option<Box<(VaryNames, VaryValues)>>,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The lists of a response that does not vary.
static NO_VARY: std::sync::LazyLock<(VaryNames, VaryValues)> =
    std::sync::LazyLock::new(Default::default);

impl Meta {
    /// The metadata of a response with `status` and `headers`, its freshness `lifetimes`
    /// (after the TTL policy), its `age` bookkeeping (RFC 9111 §4.2.3), its `Vary` names and
    /// the values of those names in the request that caused the fetch.
    pub fn new(
        status: StatusCode,
        headers: StoredHeaders,
        lifetimes: Lifetimes,
        age: AgeBase,
        vary: VaryNames,
        vary_values: VaryValues,
    ) -> Meta {
        Meta {
            status,
            headers,
            fresh: nanos(lifetimes.fresh),
            stale_while_revalidate: nanos(lifetimes.stale_while_revalidate),
            stale_if_error: nanos(lifetimes.stale_if_error),
            must_revalidate: lifetimes.must_revalidate,
            response_time: nanos(
                age.response_time
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or(Duration::ZERO),
            ),
            initial_age: nanos(age.initial_age),
            vary: (!vary.is_empty() || !vary_values.values().is_empty())
                .then(|| Box::new((vary, vary_values))),
        }
    }

    /// Freshness and stale windows, after the TTL policy.
    pub fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            fresh: Duration::from_nanos(self.fresh),
            stale_while_revalidate: Duration::from_nanos(self.stale_while_revalidate),
            stale_if_error: Duration::from_nanos(self.stale_if_error),
            must_revalidate: self.must_revalidate,
        }
    }

    /// Age bookkeeping (RFC 9111 §4.2.3).
    pub fn age(&self) -> AgeBase {
        AgeBase {
            response_time: SystemTime::UNIX_EPOCH + Duration::from_nanos(self.response_time),
            initial_age: Duration::from_nanos(self.initial_age),
        }
    }

    /// The response's `Vary` names.
    pub fn vary(&self) -> &VaryNames {
        &self.vary.as_deref().unwrap_or(&NO_VARY).0
    }

    /// The values of the `Vary` names in the request that caused the fetch.
    pub fn vary_values(&self) -> &VaryValues {
        &self.vary.as_deref().unwrap_or(&NO_VARY).1
    }

    /// True when `other` was selected by the same `Vary` names and values (the same variant).
    pub fn same_variant(&self, other: &Meta) -> bool {
        self.vary() == other.vary() && self.vary_values() == other.vary_values()
    }

    /// Bytes of header names and values, for the memory budget (what holding them costs
    /// beyond that is in the cache's per-object overhead).
    pub fn header_bytes(&self) -> u64 {
        self.headers.field_bytes()
    }
}

/// A bit of [`Object::accounting`]: out of the index (evicted, purged, replaced, too large),
/// no longer counted.
const DETACHED: u64 = 1 << 63;
/// A bit of [`Object::accounting`]: CLOCK's second-chance bit, set on every hit, cleared by
/// the sweeper.
const REFERENCED: u64 = 1 << 62;
/// A bit of [`Object::accounting`]: too large for the memory tier, kept there only until its
/// file is complete.
const OVERSIZED: u64 = 1 << 61;
/// The bits of [`Object::accounting`] that count bytes.
const CHARGE: u64 = OVERSIZED - 1;

/// A stored response.
#[derive(Debug)]
pub struct Object {
    /// Metadata (a 304 refresh makes a new object, so it is never edited in place).
    pub meta: Meta,
    /// Body (shared with the previous version when a 304 refreshed the metadata).
    pub body: Arc<Body>,
    /// The primary key it is stored under.
    pub key: brink_http::key::CacheKey,
    /// Bytes this object adds to the cache's `used` figure, and the [`DETACHED`],
    /// [`REFERENCED`] and [`OVERSIZED`] bits (one word: it is part of every stored object).
    accounting: AtomicU64,
    /// The object's file, once persisted; cleared when the disk tier evicts it (boxed: most
    /// objects in memory have none).
    disk: Mutex<Option<Box<DiskRef>>>,
    /// The newest ban this object is known to survive (`crate::ban`): lookups test it only
    /// against newer ones.
    pub(crate) ban_mark: AtomicU64,
}

impl Object {
    pub(crate) fn new(key: brink_http::key::CacheKey, meta: Meta, body: Arc<Body>) -> Object {
        Object {
            key,
            meta,
            body,
            accounting: AtomicU64::new(0),
            disk: Mutex::new(None),
            ban_mark: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_disk(&self, id: u64, file: Arc<DiskFile>, store: std::sync::Weak<DiskStore>) {
        *self.disk.lock() = Some(Box::new(DiskRef { id, file, store }));
    }

    /// The disk tier evicted this object's file.
    pub(crate) fn disk_evicted(&self) {
        *self.disk.lock() = None;
    }

    pub(crate) fn disk_ref(&self) -> Option<DiskRef> {
        self.disk.lock().as_deref().cloned()
    }

    /// False for an object that only lives on disk and whose file was evicted.
    pub fn is_servable(&self) -> bool {
        self.body.disk_file().is_none() || self.disk.lock().is_some()
    }

    /// `current_age` at `now`.
    pub fn age(&self, now: SystemTime) -> Duration {
        self.meta.age().current_age(now)
    }

    /// Fresh, within stale-while-revalidate, or stale, at `now`.
    pub fn staleness(&self, now: SystemTime) -> Staleness {
        staleness(&self.meta.lifetimes(), self.age(now))
    }

    /// Whether this (stale) object may be served because the origin failed.
    pub fn usable_if_error(&self, now: SystemTime) -> bool {
        usable_if_error(&self.meta.lifetimes(), self.age(now))
    }

    /// True when a request with these headers selects this object's variant (`Vary`).
    pub fn selected_by(&self, request: &HeaderMap) -> bool {
        match &self.meta.vary {
            None => true,
            Some(v) => v.0.select(request) == v.1,
        }
    }

    /// True when the object was taken out of the index (purged, evicted or replaced); a
    /// reader that already holds it may finish, nobody new finds it.
    pub fn is_detached(&self) -> bool {
        self.accounting.load(Ordering::Acquire) & DETACHED != 0
    }

    /// The bytes charged to the budget for this object (0 once detached).
    pub(crate) fn charged(&self) -> u64 {
        let a = self.accounting.load(Ordering::Acquire);
        if a & DETACHED == 0 {
            a & CHARGE
        } else {
            0
        }
    }

    /// Sets the charge of an object just made (not yet visible to other threads' accounting).
    pub(crate) fn set_charge(&self, bytes: u64) {
        self.accounting.store(bytes.min(CHARGE), Ordering::Release);
    }

    /// Marks an object that never entered the index as detached.
    pub(crate) fn mark_detached(&self) {
        self.accounting.fetch_or(DETACHED, Ordering::AcqRel);
    }

    /// Detaches the object; returns what it was charged, or `None` if it already was
    /// detached (so exactly one caller takes its charge off the budget).
    pub(crate) fn detach_charge(&self) -> Option<u64> {
        let prev = self.accounting.fetch_or(DETACHED, Ordering::AcqRel);
        (prev & DETACHED == 0).then_some(prev & CHARGE)
    }

    /// Adds `n` bytes to the charge; false (nothing added) once detached. The caller adds
    /// them to the budget's figure *before* and takes them back on false, so that the figure
    /// never drops below what the index's objects are charged.
    pub(crate) fn add_charge(&self, n: u64) -> bool {
        self.accounting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| {
                (a & DETACHED == 0 && (a & CHARGE) + n <= CHARGE).then_some(a + n)
            })
            .is_ok()
    }

    /// Sets the charge to 0 unless detached; returns what was taken off.
    pub(crate) fn clear_charge(&self) -> u64 {
        self.accounting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| {
                (a & DETACHED == 0).then_some(a & !CHARGE)
            })
            .map_or(0, |prev| prev & CHARGE)
    }

    /// Clears the second-chance bit; true if it was set (the object was hit since).
    pub(crate) fn take_referenced(&self) -> bool {
        self.accounting.fetch_and(!REFERENCED, Ordering::AcqRel) & REFERENCED != 0
    }

    /// Too large for memory: kept there only until its file is complete.
    pub(crate) fn set_oversized(&self) {
        self.accounting.fetch_or(OVERSIZED, Ordering::AcqRel);
    }

    /// See [`Object::set_oversized`].
    pub(crate) fn is_oversized(&self) -> bool {
        self.accounting.load(Ordering::Acquire) & OVERSIZED != 0
    }

    pub(crate) fn touch(&self) {
        // Read first: a hot object's word is not written on every hit.
        if self.accounting.load(Ordering::Relaxed) & REFERENCED == 0 {
            self.accounting.fetch_or(REFERENCED, Ordering::AcqRel);
        }
    }
}

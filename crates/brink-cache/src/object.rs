//! A stored response: immutable metadata plus a (possibly still growing) body.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
#[derive(Debug, Clone)]
pub struct Meta {
    /// The origin's status.
    pub status: StatusCode,
    /// The headers served to viewers (already cleaned of hop-by-hop and edge-only fields).
    pub headers: StoredHeaders,
    /// Freshness and stale windows, after the TTL policy.
    pub lifetimes: Lifetimes,
    /// Age bookkeeping (RFC 9111 §4.2.3).
    pub age: AgeBase,
    /// The response's `Vary` names.
    pub vary: VaryNames,
    /// The values of those names in the request that caused the fetch.
    pub vary_values: VaryValues,
}

impl Meta {
    /// Bytes of header data, for the memory budget.
    pub fn header_bytes(&self) -> u64 {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str().len() + v.len() + 4) as u64)
            .sum::<u64>()
            + 128
    }
}

#[derive(Debug, Default)]
pub(crate) struct Accounting {
    /// Bytes this object adds to the cache's `used` figure.
    pub(crate) bytes: u64,
    /// Out of the index (evicted, purged, replaced, too large): no longer counted.
    pub(crate) detached: bool,
}

/// A stored response.
#[derive(Debug)]
pub struct Object {
    /// Metadata.
    pub meta: Arc<Meta>,
    /// Body (shared with the previous version when a 304 refreshed the metadata).
    pub body: Arc<Body>,
    /// The primary key it is stored under.
    pub key: brink_http::key::CacheKey,
    /// Second-chance bit of the CLOCK eviction: set on every hit, cleared by the sweeper.
    pub(crate) referenced: AtomicBool,
    pub(crate) accounting: Mutex<Accounting>,
    /// The object's file, once persisted; cleared when the disk tier evicts it.
    pub(crate) disk: Mutex<Option<DiskRef>>,
    /// Too large for the memory tier: kept there only until its file is complete.
    pub(crate) oversized: AtomicBool,
    /// The newest ban this object is known to survive (`crate::ban`): lookups test it only
    /// against newer ones.
    pub(crate) ban_mark: AtomicU64,
}

impl Object {
    pub(crate) fn new(key: brink_http::key::CacheKey, meta: Arc<Meta>, body: Arc<Body>) -> Object {
        Object {
            key,
            meta,
            body,
            referenced: AtomicBool::new(false),
            accounting: Mutex::new(Accounting::default()),
            disk: Mutex::new(None),
            oversized: AtomicBool::new(false),
            ban_mark: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_disk(&self, id: u64, file: Arc<DiskFile>, store: std::sync::Weak<DiskStore>) {
        *self.disk.lock() = Some(DiskRef { id, file, store });
    }

    /// The disk tier evicted this object's file.
    pub(crate) fn disk_evicted(&self) {
        *self.disk.lock() = None;
    }

    pub(crate) fn disk_ref(&self) -> Option<DiskRef> {
        self.disk.lock().clone()
    }

    /// False for an object that only lives on disk and whose file was evicted.
    pub fn is_servable(&self) -> bool {
        self.body.disk_file().is_none() || self.disk.lock().is_some()
    }

    /// `current_age` at `now`.
    pub fn age(&self, now: SystemTime) -> Duration {
        self.meta.age.current_age(now)
    }

    /// Fresh, within stale-while-revalidate, or stale, at `now`.
    pub fn staleness(&self, now: SystemTime) -> Staleness {
        staleness(&self.meta.lifetimes, self.age(now))
    }

    /// Whether this (stale) object may be served because the origin failed.
    pub fn usable_if_error(&self, now: SystemTime) -> bool {
        usable_if_error(&self.meta.lifetimes, self.age(now))
    }

    /// True when a request with these headers selects this object's variant (`Vary`).
    pub fn selected_by(&self, request: &HeaderMap) -> bool {
        let m = &self.meta;
        m.vary.is_empty() || m.vary.select(request) == m.vary_values
    }

    /// True when the object was taken out of the index (purged, evicted or replaced); a
    /// reader that already holds it may finish, nobody new finds it.
    pub fn is_detached(&self) -> bool {
        self.accounting.lock().detached
    }

    pub(crate) fn touch(&self) {
        if !self.referenced.load(Ordering::Relaxed) {
            self.referenced.store(true, Ordering::Relaxed);
        }
    }
}

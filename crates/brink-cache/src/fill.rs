//! Miss collapsing: one origin fetch per key, any number of waiters.
//!
//! The first request that misses gets a [`FillGuard`] and fetches; later requests for the same
//! key (and the same `Vary` selection) get the shared [`Fill`] and wait for its outcome. The
//! outcome arrives as soon as the origin's *headers* do, so followers then read the body while
//! it is still downloading (read-while-writer). A guard dropped without an outcome — the fetch
//! task panicked or was cancelled — reports [`FetchFailure::Aborted`]: nobody waits forever.

use std::sync::Arc;

use brink_http::vary::{VaryNames, VaryValues};
use http::HeaderMap;
use tokio::sync::watch;

use crate::object::Object;

/// Why a fill produced no object. The edge maps these to 502/504 (cloudfront.md §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchFailure {
    /// The origin could not be reached (DNS, connect, TLS).
    Connect,
    /// The origin did not answer in time.
    Timeout,
    /// The origin answered something that is not valid HTTP or reset the connection.
    Protocol,
    /// The fetch was abandoned (task cancelled or panicked).
    Aborted,
}

/// The outcome of a fill as its waiters see it.
#[derive(Debug, Clone)]
pub enum FillState {
    /// The fetch is under way.
    Pending,
    /// An object (new, refreshed, or a stale one standing in for a failed origin) to serve;
    /// its body may still be downloading.
    Ready(Arc<Object>),
    /// The response may not be shared (not storable, or `Vary` selected another variant):
    /// each waiter must fetch for itself.
    Pass,
    /// The fetch failed.
    Failed(FetchFailure),
}

/// A fetch in progress that requests can wait on.
#[derive(Debug)]
pub struct Fill {
    state: watch::Sender<FillState>,
    selector: VaryNames,
    values: VaryValues,
    /// The newest ban when the fetch started: what it stores is tested against newer ones
    /// (a fill that started before a ban must not store a banned object).
    pub(crate) ban_mark: u64,
}

impl Fill {
    pub(crate) fn new(selector: VaryNames, values: VaryValues, ban_mark: u64) -> Arc<Fill> {
        let (state, _) = watch::channel(FillState::Pending);
        Arc::new(Fill {
            state,
            selector,
            values,
            ban_mark,
        })
    }

    /// True when a request with these headers may share this fill's response.
    pub(crate) fn accepts(&self, request: &HeaderMap) -> bool {
        self.selector.is_empty() || self.selector.select(request) == self.values
    }

    /// Waits for the outcome. Never returns [`FillState::Pending`].
    pub async fn wait(&self) -> FillState {
        let mut rx = self.state.subscribe();
        let outcome = rx
            .wait_for(|s| !matches!(s, FillState::Pending))
            .await
            .map(|s| s.clone());
        // The sender lives inside `self`, so the channel cannot close while we borrow it.
        outcome.unwrap_or(FillState::Failed(FetchFailure::Aborted))
    }

    pub(crate) fn resolve(&self, state: FillState) {
        self.state.send_replace(state);
    }
}

/// The right (and duty) to resolve a [`Fill`]: held by the one fetch for a key.
#[derive(Debug)]
pub struct FillGuard {
    pub(crate) cache: Arc<crate::Cache>,
    pub(crate) key: brink_http::key::CacheKey,
    pub(crate) fill: Arc<Fill>,
    pub(crate) resolved: bool,
}

impl FillGuard {
    /// The key being filled.
    pub fn key(&self) -> &brink_http::key::CacheKey {
        &self.key
    }

    /// Stores `meta` + `body` under the key (unless a purge removed the fill meanwhile, in which
    /// case the object is only handed to the waiters) and wakes the waiters with it.
    pub fn store(mut self, meta: crate::Meta, body: Arc<crate::Body>) -> Arc<Object> {
        let object = self
            .cache
            .insert_from_fill(&self.key, &self.fill, meta, body);
        self.finish(FillState::Ready(object.clone()));
        object
    }

    /// Hands an object to the waiters without storing anything new (e.g. a stale copy served
    /// because the origin failed).
    pub fn share(mut self, object: Arc<Object>) {
        self.finish(FillState::Ready(object));
    }

    /// The response may not be shared: waiters fetch for themselves.
    pub fn pass(mut self) {
        self.finish(FillState::Pass);
    }

    /// The fetch failed.
    pub fn fail(mut self, why: FetchFailure) {
        self.finish(FillState::Failed(why));
    }

    fn finish(&mut self, state: FillState) {
        self.resolved = true;
        self.cache.remove_fill(&self.key, &self.fill);
        self.fill.resolve(state);
    }
}

impl Drop for FillGuard {
    fn drop(&mut self) {
        if !self.resolved {
            self.finish(FillState::Failed(FetchFailure::Aborted));
        }
    }
}

//! Phase 3, **lookup**: ask the cache for the request's key and act on the answer — deliver
//! a fresh object, serve stale while one background refresh runs, wait on another request's
//! fill, or start a fill of our own (`fetch`).

use std::sync::Arc;

use brink_cache::{FillState, Lookup, Object};
use brink_http::freshness::NoStoreReason;
use brink_http::key::CacheKey;
use http::Request;

use crate::errors::EdgeError;

use super::deliver::deliver;
use super::pass::pass_response;
use super::{Answer, CacheStatus, Edge, Fetched, Fetching};

impl Edge {
    /// Phase 3: look the request up and act on the answer.
    pub(super) async fn lookup(
        self: &Arc<Self>,
        req: &Request<()>,
        mut f: Fetching,
    ) -> Result<Answer, EdgeError> {
        let key = match &f.route.rules {
            // `brink serve` ("") and streaming distributions (their id).
            None => CacheKey::new(&f.route.scope, f.target.as_str()),
            Some(rules) => CacheKey::build(&f.route.scope, f.target.as_str().len() + 16, |out| {
                rules.write_key_text(out, f.target.path(), f.target.query(), req.headers());
            }),
        };
        let now = self.clock.now();
        // cloudfront.md §1 step 8: misses are not collapsed when caching is off or the
        // behavior forwards cookies (the answer may be personal).
        let collapse = !f.route.ttl.caching_disabled()
            && f.route
                .rules
                .as_ref()
                .is_none_or(|r| r.behavior.forwarding.cookies.is_none());
        // A single range of an object the cache does not hold at all: from slices when
        // `--range-fill-above` allows (lifecycle/slice.rs); `None` falls through.
        // (Not for HLS made from an MP4: `media.rs` makes it whole, it has no origin to slice.)
        let sliceable = collapse && super::media::hls_request(&f).is_none();
        if let (Some(fill), true) = (self.cfg.range_fill, sliceable) {
            if let Some(wanted) = super::slice::sliceable(req) {
                if !self.cache.holds(&key, req.headers()) {
                    f.headers = req.headers().clone();
                    if let Some(answer) = self.lookup_slices(req, &f, &key, wanted, fill).await {
                        return answer;
                    }
                }
            }
        }
        let mut lookup = self.cache.lookup(&key, req.headers(), now, collapse);
        // An object that lives only on disk is opened (first block read and verified) before
        // a response is built; a damaged one is dropped and the request becomes a miss.
        if let Lookup::Fresh(obj) | Lookup::StaleWhileRevalidate(obj, None) = &lookup {
            if obj.body.disk_file().is_some() && self.cache.open(obj.clone()).await.is_none() {
                lookup = self.cache.lookup(&key, req.headers(), now, collapse);
            }
        }
        match lookup {
            Lookup::Fresh(obj) => Ok(delivered(req, &obj, CacheStatus::Hit, now)),
            Lookup::StaleWhileRevalidate(obj, guard) => {
                if let Some(guard) = guard {
                    f.headers = req.headers().clone();
                    let edge = self.clone();
                    let stale = obj.clone();
                    // RFC 5861: one background refresh; its result (or failure) only affects
                    // the cache. A body that may not be stored is dropped unread.
                    tokio::spawn(async move {
                        let _ = edge.fetch(guard, Some(stale), &f).await;
                    });
                }
                Ok(delivered(req, &obj, CacheStatus::StaleWhileRevalidate, now))
            }
            Lookup::Wait(fill) => match fill.wait().await {
                // The fill was joined before its response said what it varies on: use it
                // only if this request selects the same variant.
                FillState::Ready(obj) if obj.selected_by(req.headers()) => Ok(delivered(
                    req,
                    &obj,
                    CacheStatus::Collapsed,
                    self.clock.now(),
                )),
                FillState::Failed(why) => Err(why.into()),
                FillState::Ready(_) | FillState::Pass | FillState::Pending => {
                    // The shared response was not shareable: fetch for this viewer alone.
                    f.headers = req.headers().clone();
                    let (parts, body) = self
                        .send_fill_request(&f, None)
                        .await
                        .map_err(EdgeError::from)?
                        .into_parts();
                    Ok(pass_response(
                        req,
                        &f.route,
                        parts,
                        body,
                        NoStoreReason::Status,
                    ))
                }
            },
            Lookup::Fetch(guard, stale) => {
                f.headers = req.headers().clone();
                // The fetch runs in its own task: if this viewer goes away, the requests
                // collapsed onto it still get the object.
                let edge = self.clone();
                let route = f.route.clone();
                let task = tokio::spawn(async move { edge.fetch(guard, stale, &f).await });
                let fetched = task.await.map_err(|_| EdgeError::OriginConnect)?;
                match fetched? {
                    Fetched::Object(obj, served) => {
                        Ok(delivered(req, &obj, served, self.clock.now()))
                    }
                    Fetched::Pass(parts, body, why) => {
                        Ok(pass_response(req, &route, parts, body, why))
                    }
                    Fetched::Made(resp, why) => Ok((resp, CacheStatus::NotStored(why))),
                }
            }
        }
    }
}

/// Phase 6 for an object the lookup found or the fetch produced.
fn delivered(
    req: &Request<()>,
    obj: &Arc<Object>,
    status: CacheStatus,
    now: std::time::SystemTime,
) -> Answer {
    (deliver(req, obj, status, now), status)
}

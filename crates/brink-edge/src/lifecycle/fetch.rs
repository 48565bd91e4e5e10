//! Phase 4, **fetch**: one origin request per cache key — built with the behavior's
//! forwarding rules (`policy::forward`), conditional on a stale copy's validators, failing
//! over within an origin group — and what its answer means before anything is stored: a 304
//! refreshes the stale copy, an error may let the stale copy stand in (RFC 5861).
//!
//! A parent-cache hop (a regional tier between this edge and the origin) belongs here, in
//! `send_fill_request`, when it comes (docs/architecture.md, "Next phases").

use std::sync::Arc;

use brink_cache::{FetchFailure, FillGuard, Object};
use http::header;
use http::{HeaderMap, Method, Request, Response, Uri};
use hyper::body::Incoming;

use crate::body::OriginBody;
use crate::errors::EdgeError;
use crate::policy::forward::{self, ToOrigin};
use crate::policy::Rules;

use super::route::Target;
use super::{CacheStatus, Edge, Fetched, Fetching};

impl Edge {
    /// Phases 4 and 5: fetch for `guard`'s key and store what may be stored.
    pub(super) async fn fetch(
        self: &Arc<Self>,
        guard: FillGuard,
        stale: Option<Arc<Object>>,
        f: &Fetching,
    ) -> Result<Fetched, EdgeError> {
        // HLS made from a stored MP4 (`media.rs`): no origin request of its own.
        if let Some(hls) = super::media::hls_request(f) {
            return self.media_fill(guard, f, hls).await;
        }
        let request_time = self.clock.now();
        let resp = match self.send_fill_request(f, stale.as_ref()).await {
            Ok(r) => r,
            Err(why) => return self.failed_fill(guard, stale, why),
        };
        let times = super::store::Times {
            request: request_time,
            response: self.clock.now(),
        };
        let has_auth = f.origin_saw_authorization();

        if let Some(stale) = &stale {
            if resp.status() == http::StatusCode::NOT_MODIFIED {
                // An object the edge compressed keeps its weak ETag and Vary (§8.3).
                let not_modified =
                    crate::compress::align_not_modified(&stale.meta.headers, resp.headers());
                return Ok(self.refresh(
                    &f.route,
                    guard,
                    stale.clone(),
                    &not_modified,
                    has_auth,
                    times,
                ));
            }
            if resp.status().is_server_error() && stale.usable_if_error(times.response) {
                // RFC 5861 stale-if-error; the origin's error body is discarded.
                guard.share(stale.clone());
                return Ok(Fetched::Object(stale.clone(), CacheStatus::StaleIfError));
            }
        }
        self.store(guard, f, resp, has_auth, times).await
    }

    /// A fill that failed (`why`): the stale copy stands in when stale-if-error allows it
    /// (RFC 5861), else the fill fails for every waiter.
    pub(super) fn failed_fill(
        &self,
        guard: FillGuard,
        stale: Option<Arc<Object>>,
        why: FetchFailure,
    ) -> Result<Fetched, EdgeError> {
        if let Some(s) = stale.filter(|s| s.usable_if_error(self.clock.now())) {
            guard.share(s.clone());
            return Ok(Fetched::Object(s, CacheStatus::StaleIfError));
        }
        guard.fail(why);
        Err(why.into())
    }

    /// The origin request of a cache fill: always GET (HEAD misses fill the cache too),
    /// conditional when a stale copy with validators exists.
    pub(super) async fn send_fill_request(
        &self,
        f: &Fetching,
        stale: Option<&Arc<Object>>,
    ) -> Result<Response<Incoming>, FetchFailure> {
        let first = self.send_fill_to(&f.route, f, stale).await;
        // Origin group (cloudfront.md §7.3): every request starts at the primary; a connect
        // failure, a timeout or a listed status sends it to the secondary.
        let Some(failover) = &f.route.failover else {
            return first;
        };
        let fail_over = failover.applies_to(&first);
        if !fail_over {
            return first;
        }
        drop(first);
        self.send_fill_to(&failover.secondary, f, stale).await
    }

    /// What the edge adds to every request it sends `target` for `f` (cloudfront.md §3.2).
    pub(super) fn to_origin<'a>(&'a self, target: &'a Target, f: &'a Fetching) -> ToOrigin<'a> {
        ToOrigin {
            host: target.origin_for(f.https).1,
            peer: f.peer.ip(),
            via: self.via.for_version(f.version),
            request_id: &f.request_id,
        }
    }

    async fn send_fill_to(
        &self,
        target: &Target,
        f: &Fetching,
        stale: Option<&Arc<Object>>,
    ) -> Result<Response<Incoming>, FetchFailure> {
        let edge = self.to_origin(target, f);
        let mut headers = match &target.rules {
            None => forward::cacheable_origin_headers(&f.headers, &target.forward, &edge),
            Some(rules) => forward::policy_origin_headers(&f.headers, rules, &edge),
        };
        if let Some(stale) = stale {
            if let Some(etag) = stale.meta.headers.get(&header::ETAG) {
                headers.insert(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = stale.meta.headers.get(&header::LAST_MODIFIED) {
                headers.insert(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let req = self.origin_request(target, f, Method::GET, headers, OriginBody::Empty);
        self.send_origin(target, req).await
    }

    /// Sends an origin request, timing it for the metrics.
    pub(super) async fn send_origin(
        &self,
        route: &Target,
        req: Request<OriginBody>,
    ) -> Result<Response<Incoming>, FetchFailure> {
        use brink_telemetry::OriginOutcome;
        let t = std::time::Instant::now();
        let r = route.client.send(req).await;
        let outcome = match &r {
            Ok(_) => OriginOutcome::Ok,
            Err(FetchFailure::Connect) => OriginOutcome::ConnectError,
            Err(FetchFailure::Timeout) => OriginOutcome::Timeout,
            Err(_) => OriginOutcome::ProtocolError,
        };
        self.telemetry.metrics.observe_origin(outcome, t.elapsed());
        r
    }

    /// The origin request for `f`: the route's origin, `OriginPath`, the query the behavior
    /// forwards, and the origin's custom headers (which override viewer headers).
    pub(super) fn origin_request(
        &self,
        route: &Target,
        f: &Fetching,
        method: Method,
        mut headers: HeaderMap,
        body: OriginBody,
    ) -> Request<OriginBody> {
        let (o, _) = route.origin_for(f.https);
        let target = match &route.rules {
            None => f.target.clone(),
            Some(rules) => {
                let q =
                    Rules::filter_query(&rules.behavior.forwarding.query_strings, f.target.query());
                match q {
                    Some(q) => {
                        http::uri::PathAndQuery::try_from(format!("{}?{q}", f.target.path()))
                            .unwrap_or_else(|_| f.target.clone())
                    }
                    None => http::uri::PathAndQuery::try_from(f.target.path())
                        .unwrap_or_else(|_| f.target.clone()),
                }
            }
        };
        let builder = Uri::builder()
            .scheme(o.scheme.clone())
            .authority(o.authority.clone());
        // Without an OriginPath the target is reused as is (no copy, no re-parse).
        let builder = if o.path.is_empty() {
            builder.path_and_query(target)
        } else {
            builder.path_and_query(format!("{}{}", o.path, target))
        };
        let uri = builder.build().unwrap_or_else(|_| Uri::from_static("/"));
        for (name, value) in &route.custom_headers {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(signer) = &route.signer {
            signer.sign(&method, &uri, &mut headers);
        }
        let mut req = Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        req
    }
}

//! The request lifecycle, one function per phase (docs/architecture.md draws it):
//!
//! 1. **admit** — limits and framing verdicts from the guard, loops, bodies on GET;
//! 2. **route** — cacheable (GET/HEAD) or pass-through (everything else);
//! 3. **lookup** — ask the cache: fresh, stale-while-revalidate, wait on a fill, or fetch;
//! 4. **fetch** — one origin request per key (conditional when a stale copy exists;
//!    `store.rs`), built here with the behavior's forwarding rules and origin-group failover;
//! 5. **store** — decide storability, compress, publish the object, stream the body into it
//!    (`store.rs`);
//! 6. **deliver** — conditionals, ranges, `Age` and the edge headers (`deliver.rs`);
//! 7. **pass** — other methods streamed both ways, then RFC 9111 §4.4 invalidation
//!    (`pass.rs`).
//!
//! Errors from any phase become responses in exactly one place (`errors.rs`).

use std::net::SocketAddr;
use std::sync::Arc;

use brink_cache::{Cache, Clock, FetchFailure, FillState, Lookup, ManualClock, Object};
use brink_http::freshness::NoStoreReason;
use brink_http::key::CacheKey;
use http::header;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, Version};
use http_body::Body as _;
use hyper::body::Incoming;

use crate::body::{EdgeBody, OriginBody};
use crate::config::EdgeConfig;
use crate::deliver::{deliver, Served};
use crate::errors::{error_page, EdgeError};
use crate::h1guard::{GuardShared, MAX_HEAD, MAX_TARGET};
use crate::headers::{self, x_cache, ToOrigin, ViaValues, X_AMZ_CF_ID, X_AMZ_CF_POP, X_CACHE};
use crate::logging::{Logged, RequestFacts, Telemetry};
use crate::route::{Routed, Router, Rules, Target};

mod pass;
mod store;

use pass::is_websocket;

/// The edge: configuration, cache, origin client, clock. Shared by every connection.
pub struct Edge {
    pub(crate) cfg: EdgeConfig,
    pub(crate) models: Arc<Models>,
    pub(crate) telemetry: Arc<Telemetry>,
    pub(crate) cache: Arc<Cache>,
    /// This worker's router, rebuilt when the shared model changes.
    router: parking_lot::RwLock<(u64, Arc<Router>)>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) manual_clock: Option<Arc<ManualClock>>,
    via: ViaValues,
    pop: HeaderValue,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("pop", &self.cfg.pop)
            .finish_non_exhaustive()
    }
}

/// State shared by the per-thread edge workers: the cache and the clock.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) models: Arc<Models>,
    pub(crate) cache: Arc<Cache>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) manual_clock: Option<Arc<ManualClock>>,
    pub(crate) telemetry: Arc<Telemetry>,
}

impl Shared {
    pub(crate) fn new(cfg: &EdgeConfig) -> Shared {
        let (clock, manual_clock): (Arc<dyn Clock>, _) = if cfg.manual_clock {
            let m = Arc::new(ManualClock::default());
            (m.clone(), Some(m))
        } else {
            (Arc::new(brink_cache::SystemClock), None)
        };
        let cache = match &cfg.disk {
            None => Cache::new(cfg.cache),
            Some(d) => match brink_cache::DiskStore::open(d) {
                Ok(store) => Cache::with_disk(cfg.cache, store),
                Err(e) => {
                    // Serving from memory and the origin beats not serving.
                    tracing::error!(dir = %d.dir.display(), error = %e, "disk tier unavailable; memory only");
                    Cache::new(cfg.cache)
                }
            },
        };
        let metrics = Arc::new(brink_telemetry::EdgeMetrics::new());
        let log = cfg.access_log.as_ref().and_then(|l| {
            let mut c = brink_telemetry::AccessLogConfig::new(l.dir.clone(), cfg.pop.clone());
            c.gzip = l.gzip;
            c.fields = l.fields.clone();
            match brink_telemetry::AccessLog::start(c) {
                Ok(log) => {
                    metrics.attach_access_log(log.stats());
                    Some(Arc::new(log))
                }
                Err(e) => {
                    tracing::error!(dir = %l.dir.display(), error = %e, "access log unavailable");
                    None
                }
            }
        });
        Shared {
            models: Arc::new(Models {
                version: std::sync::atomic::AtomicU64::new(0),
                current: parking_lot::RwLock::new(cfg.model.clone()),
            }),
            cache,
            clock,
            manual_clock,
            telemetry: Arc::new(Telemetry {
                metrics,
                log,
                pop: cfg.pop.as_str().into(),
                scraped: Arc::new(parking_lot::Mutex::new(Default::default())),
            }),
        }
    }
}

/// The distributions in force, replaced as a whole by a reload; workers notice the version
/// change at their next request and rebuild their routers (and origin pools) from it.
#[derive(Debug)]
pub(crate) struct Models {
    version: std::sync::atomic::AtomicU64,
    current: parking_lot::RwLock<Option<Arc<brink_model::Model>>>,
}

impl Models {
    /// The cache scope an admin purge for `distribution` applies to: `""` for `brink serve`
    /// (which takes no distribution), the distribution id for `brink edge` (which needs one).
    pub(crate) fn purge_scope(
        &self,
        distribution: Option<&str>,
    ) -> Result<String, PurgeScopeError> {
        match (&*self.current.read(), distribution) {
            (None, None) => Ok(String::new()),
            (None, Some(_)) => Err(PurgeScopeError::NoDistributions),
            (Some(_), None) => Err(PurgeScopeError::Missing),
            (Some(m), Some(id)) if m.by_id(id).is_some() => Ok(id.to_owned()),
            (Some(_), Some(_)) => Err(PurgeScopeError::Unknown),
        }
    }

    pub(crate) fn version(&self) -> u64 {
        self.version.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Puts a new model in force.
    pub(crate) fn replace(&self, model: Arc<brink_model::Model>) {
        *self.current.write() = Some(model);
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }
}

/// Why an admin purge names no usable cache scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PurgeScopeError {
    /// `brink serve` has no distributions.
    NoDistributions,
    /// `brink edge` keys its cache by distribution: one must be named.
    Missing,
    /// No distribution has this id (CloudFront: `NoSuchDistribution`).
    Unknown,
}

/// What the server knows about the connection a request came on.
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub(crate) peer: SocketAddr,
    pub(crate) guard: Option<Arc<GuardShared>>,
    /// What the TLS handshake negotiated (`None` on plain-text connections); for the access
    /// log.
    pub(crate) tls: Option<crate::tls::TlsInfo>,
}

/// The parts of a viewer request the fetch phase needs (owned, so a background refresh can
/// outlive the request).
#[derive(Debug, Clone)]
struct Fetching {
    /// Where it goes and under which rules.
    route: Arc<Target>,
    /// The request target sent to the origin (after the default root object).
    target: http::uri::PathAndQuery,
    headers: HeaderMap,
    peer: SocketAddr,
    request_id: HeaderValue,
    version: Version,
    /// Whether the viewer used HTTPS (`match-viewer` origins follow it).
    https: bool,
}

/// What a fetch produced.
enum Fetched {
    /// An object to deliver (new, refreshed, or stale standing in for a failed origin).
    Object(Arc<Object>, Served),
    /// A response that may not be stored, streamed as is.
    Pass(http::response::Parts, Incoming, NoStoreReason),
}

impl Edge {
    /// Builds one edge worker from validated settings and the state all workers share.
    pub(crate) fn new(cfg: EdgeConfig, shared: &Shared) -> Arc<Edge> {
        let via = ViaValues::for_pop(&cfg.pop);
        let pop = HeaderValue::from_str(&cfg.pop).unwrap_or(HeaderValue::from_static("BRK50-C1"));
        Arc::new(Edge {
            cache: shared.cache.clone(),
            router: parking_lot::RwLock::new((
                shared.models.version(),
                Arc::new(Router::new(&cfg)),
            )),
            models: shared.models.clone(),
            clock: shared.clock.clone(),
            manual_clock: shared.manual_clock.clone(),
            telemetry: Arc::new(Telemetry::clone(&shared.telemetry)),
            via,
            pop,
            cfg,
        })
    }

    /// This worker's router, rebuilt first if a reload put new distributions in force.
    fn router(&self) -> Arc<Router> {
        let version = self.models.version();
        {
            let r = self.router.read();
            if r.0 == version {
                return r.1.clone();
            }
        }
        let mut cfg = self.cfg.clone();
        cfg.model = self.models.current.read().clone();
        let router = Arc::new(Router::new(&cfg));
        *self.router.write() = (version, router.clone());
        router
    }

    /// Serves one viewer request. Never fails: errors become error pages.
    pub(crate) async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        conn: Conn,
    ) -> Response<Logged> {
        let started = std::time::Instant::now();
        let id = headers::request_id();
        let version = req.version();
        // The log phase needs request facts after the request is consumed: copied only when
        // an access log is written.
        let facts = self
            .telemetry
            .log
            .is_some()
            .then(|| Box::new(RequestFacts::capture(&req)));
        let cs_bytes = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let mut detailed = None;
        let mut tag = None;
        let mut resp = match self.route(req, &conn, &id, &mut tag).await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(error = %e, peer = %conn.peer, "edge error");
                detailed = Some(e.detailed_result());
                error_page(&e, &id)
            }
        };
        let is_error = resp.status().as_u16() >= 400;
        let h = resp.headers_mut();
        if is_error {
            h.insert(X_CACHE.clone(), x_cache::ERROR);
        }
        headers::append_list(h, &header::VIA, self.via.for_version(version).as_bytes());
        h.insert(X_AMZ_CF_POP.clone(), self.pop.clone());
        h.insert(X_AMZ_CF_ID.clone(), id.clone());
        crate::logging::wrap(
            resp,
            &self.telemetry,
            facts,
            cs_bytes,
            conn.peer,
            conn.tls,
            &id,
            detailed,
            started,
            tag,
        )
    }

    /// Phase 1 and 2: admit, then route by method. `tag` receives the distribution and
    /// behavior for the log phase as soon as they are known, so errors are filed under them.
    async fn route(
        self: &Arc<Self>,
        req: Request<Incoming>,
        conn: &Conn,
        id: &HeaderValue,
        tag: &mut Option<Arc<crate::logging::LogTag>>,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        self.admit(&req, conn)?;
        let target = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"));
        let host = req.uri().authority().map(|a| a.as_str()).or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
        });
        let router = self.router();
        let (route, path, cacheable) =
            match router.route(req.method(), host, Some(&target), conn.tls.is_some()) {
                Routed::Target {
                    target,
                    path,
                    cacheable,
                    // WebSocket handshakes go through, never cached (cloudfront.md §8.4).
                } => (target, path, cacheable && !is_websocket(&req)),
                Routed::Reject(e) => {
                    *tag = router.log_tag(host, Some(&target));
                    return Err(e);
                }
                Routed::Redirect(location) => {
                    *tag = router.log_tag(host, Some(&target));
                    return Ok(redirect(location));
                }
            };
        tag.clone_from(&route.log);
        // Viewer access: geo restriction, then signed URLs / cookies.
        let viewer = crate::route::Viewer {
            host,
            target: &target,
            https: conn.tls.is_some(),
            headers: req.headers(),
            peer: conn.peer.ip(),
            now: self
                .clock
                .now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        };
        let path = router.check_access(&viewer, path)?;
        let fetching = Fetching {
            route,
            target: path.unwrap_or(target),
            headers: HeaderMap::new(),
            peer: conn.peer,
            request_id: id.clone(),
            version: req.version(),
            https: conn.tls.is_some(),
        };
        let response_policy = fetching
            .route
            .rules
            .as_ref()
            .and_then(|r| r.behavior.response_headers_policy.clone())
            .map(|p| {
                (
                    p,
                    crate::response_headers::CorsRequest::of(req.method(), req.headers()),
                )
            });
        if let Some((policy, cors)) = &response_policy {
            if crate::response_headers::answers_preflight(policy, cors) {
                let mut resp = Response::new(EdgeBody::Empty);
                crate::response_headers::apply(policy, cors, resp.headers_mut(), "miss");
                return Ok(resp);
            }
        }
        // Custom error responses (cloudfront.md §8.2) need the viewer's headers and host to
        // fetch the error page: kept only when the distribution configures some (the
        // cacheable path hands its headers over afterwards; only a pass copies them).
        let error_pages = fetching
            .route
            .rules
            .as_ref()
            .filter(|r| !r.custom_errors.is_empty())
            .map(|_| (fetching.route.clone(), host.map(str::to_owned)));
        let https = conn.tls.is_some();
        let (result, viewer_headers) = if cacheable {
            let (parts, _) = req.into_parts();
            let req = Request::from_parts(parts, ());
            let result = self.serve_cacheable(&req, fetching).await;
            (
                result,
                error_pages.is_some().then(|| req.into_parts().0.headers),
            )
        } else {
            let headers = error_pages.is_some().then(|| req.headers().clone());
            (self.serve_pass(req, fetching).await, headers)
        };
        let result = match error_pages.zip(viewer_headers) {
            Some(((route, host), headers)) => {
                let status = match &result {
                    Ok(r) => r.status().as_u16(),
                    Err(e) => e.status().as_u16(),
                };
                match self
                    .custom_error(&route, status, headers, host.as_deref(), https, conn, id)
                    .await
                {
                    Some(page) => Ok(page),
                    None => result,
                }
            }
            None => result,
        };
        let mut resp = result?;
        if let Some((policy, cors)) = &response_policy {
            let hit = resp
                .headers()
                .get(&X_CACHE)
                .is_some_and(|v| v.as_bytes().starts_with(b"Hit"));
            crate::response_headers::apply(
                policy,
                cors,
                resp.headers_mut(),
                if hit { "hit" } else { "miss" },
            );
        }
        Ok(resp)
    }

    /// Custom error responses (cloudfront.md §8.2): for a configured error status, the page
    /// at `ResponsePagePath` is fetched through normal behavior matching and sent with
    /// `ResponseCode` (or the original status). A page that cannot be fetched is answered
    /// with the page origin's own status. `None`: nothing configured for `status`.
    #[allow(clippy::too_many_arguments)]
    async fn custom_error(
        self: &Arc<Self>,
        route: &Target,
        status: u16,
        headers: HeaderMap,
        host: Option<&str>,
        https: bool,
        conn: &Conn,
        id: &HeaderValue,
    ) -> Option<Response<EdgeBody>> {
        let rules = route.rules.as_ref()?;
        let custom = rules
            .custom_errors
            .iter()
            .find(|c| c.error_code == status)?;
        let page = custom.response_page_path.as_deref()?;
        let page_pq = http::uri::PathAndQuery::try_from(page).ok()?;
        let Routed::Target { target, path, .. } =
            self.router()
                .route(&Method::GET, host, Some(&page_pq), https)
        else {
            return None;
        };
        // The page stands for the whole error response: the viewer's range and
        // preconditions were about the URL that failed, not about the page.
        let mut headers = headers;
        let about_the_url: Vec<http::HeaderName> = headers
            .keys()
            .filter(|n| headers::edge_managed(n))
            .cloned()
            .collect();
        for name in about_the_url {
            headers.remove(name);
        }
        let mut req = Request::new(());
        *req.headers_mut() = headers;
        let f = Fetching {
            route: target,
            target: path.unwrap_or(page_pq),
            headers: HeaderMap::new(),
            peer: conn.peer,
            request_id: id.clone(),
            version: Version::HTTP_11,
            https,
        };
        let mut resp = match self.serve_cacheable(&req, f).await {
            Ok(r) => r,
            Err(e) => return Some(error_page(&e, id)),
        };
        if resp.status().is_success() {
            let code = custom.response_code.unwrap_or(status);
            *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
        }
        Some(resp)
    }

    /// Phase 1: refuse what must not go further.
    fn admit(&self, req: &Request<Incoming>, conn: &Conn) -> Result<(), EdgeError> {
        if let Some(guard) = &conn.guard {
            if let Some(reject) = guard.reject_for(req.uri().path()) {
                return Err(EdgeError::Rejected(reject));
            }
        }
        if req.version() == Version::HTTP_2 {
            // HTTP/2 heads bypass the HTTP/1 guard: apply the same limits here.
            let target_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
            if target_len > MAX_TARGET {
                return Err(EdgeError::Rejected(crate::h1guard::Reject::TargetTooLong));
            }
            if headers::header_bytes(req.headers()) + target_len > MAX_HEAD {
                return Err(EdgeError::Rejected(crate::h1guard::Reject::HeadTooLarge));
            }
        }
        if let Some(via) = req.headers().get(header::VIA) {
            if via
                .to_str()
                .is_ok_and(|v| v.contains(self.via.host.as_str()))
            {
                return Err(EdgeError::Loop);
            }
        }
        if matches!(*req.method(), Method::GET | Method::HEAD) && !req.body().is_end_stream() {
            let declared_empty = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_some_and(|v| v == "0");
            if !declared_empty {
                return Err(EdgeError::BodyOnGet);
            }
        }
        Ok(())
    }

    /// Phase 3: look the request up and act on the answer.
    async fn serve_cacheable(
        self: &Arc<Self>,
        req: &Request<()>,
        mut f: Fetching,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        let key = match &f.route.rules {
            None => CacheKey::new("", f.target.as_str()),
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
        let mut lookup = self.cache.lookup(&key, req.headers(), now, collapse);
        // An object that lives only on disk is opened (first block read and verified) before
        // a response is built; a damaged one is dropped and the request becomes a miss.
        if let Lookup::Fresh(obj) | Lookup::StaleWhileRevalidate(obj, None) = &lookup {
            if obj.body.disk_file().is_some() && self.cache.open(obj.clone()).await.is_none() {
                lookup = self.cache.lookup(&key, req.headers(), now, collapse);
            }
        }
        match lookup {
            Lookup::Fresh(obj) => Ok(deliver(req, &obj, Served::Hit, now)),
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
                Ok(deliver(req, &obj, Served::StaleWhileRevalidate, now))
            }
            Lookup::Wait(fill) => match fill.wait().await {
                // The fill was joined before its response said what it varies on: use it
                // only if this request selects the same variant.
                FillState::Ready(obj) if obj.selected_by(req.headers()) => {
                    Ok(deliver(req, &obj, Served::Collapsed, self.clock.now()))
                }
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
                        Ok(deliver(req, &obj, served, self.clock.now()))
                    }
                    Fetched::Pass(parts, body, why) => {
                        Ok(pass_response(req, &route, parts, body, why))
                    }
                }
            }
        }
    }

    /// The origin request of a cache fill: always GET (HEAD misses fill the cache too),
    /// conditional when a stale copy with validators exists.
    async fn send_fill_request(
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
    fn to_origin<'a>(&'a self, target: &'a Target, f: &'a Fetching) -> ToOrigin<'a> {
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
            None => headers::cacheable_origin_headers(&f.headers, &edge),
            Some(rules) => headers::policy_origin_headers(&f.headers, rules, &edge),
        };
        if let Some(stale) = stale {
            if let Some(etag) = stale.meta.headers.get(header::ETAG) {
                headers.insert(header::IF_NONE_MATCH, etag.clone());
            }
            if let Some(lm) = stale.meta.headers.get(header::LAST_MODIFIED) {
                headers.insert(header::IF_MODIFIED_SINCE, lm.clone());
            }
        }
        let req = self.origin_request(target, f, Method::GET, headers, OriginBody::Empty);
        self.send_origin(target, req).await
    }

    /// Sends an origin request, timing it for the metrics.
    async fn send_origin(
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
    fn origin_request(
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
        let mut req = Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        req
    }
}

/// A response that was not stored, streamed to the viewer (headers cleaned as for a
/// cacheable request, since the viewer's cookies were not forwarded either).
fn pass_response(
    req: &Request<()>,
    route: &Target,
    mut parts: http::response::Parts,
    body: Incoming,
    why: NoStoreReason,
) -> Response<EdgeBody> {
    headers::clean_response_headers(&mut parts.headers, route.strips_set_cookie());
    if let Some(r) = &route.rules {
        headers::filter_vary(&mut parts.headers, r);
    }
    parts.headers.insert(X_CACHE.clone(), x_cache::MISS);
    let status = format!("fwd=uri-miss; detail={}", why.as_str());
    parts.headers.insert(
        headers::CACHE_STATUS.clone(),
        headers::cache_status(&status),
    );
    let body = if req.method() == Method::HEAD {
        EdgeBody::Empty
    } else {
        EdgeBody::Origin(body)
    };
    Response::from_parts(parts, body)
}

/// `redirect-to-https` (cloudfront.md §1.3): 301 to the HTTPS URL.
fn redirect(location: HeaderValue) -> Response<EdgeBody> {
    let mut r = Response::new(EdgeBody::Empty);
    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
    let h = r.headers_mut();
    h.insert(header::LOCATION, location);
    h.insert(header::SERVER, HeaderValue::from_static("CloudFront"));
    h.insert(
        X_CACHE.clone(),
        HeaderValue::from_static("Redirect from cloudfront"),
    );
    r
}

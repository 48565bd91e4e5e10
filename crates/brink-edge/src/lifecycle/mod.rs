//! The request lifecycle: one [`Ctx`] per request, carried through one phase per file
//! (docs/architecture.md draws it):
//!
//! 1. **admit** (`admit.rs`) — limits and framing verdicts from the guard, loops, bodies on
//!    GET;
//! 2. **route** (`route.rs`) — distribution and behavior, viewer protocol, allowed methods;
//!    cacheable (GET/HEAD) or pass-through (everything else);
//! 3. **lookup** (`lookup.rs`) — ask the cache: fresh, stale-while-revalidate, wait on a
//!    fill, or fetch;
//! 4. **fetch** (`fetch.rs`) — one origin request per key (conditional when a stale copy
//!    exists), built with the behavior's forwarding rules and origin-group failover;
//! 5. **store** (`store.rs`) — the store verdict, compression, publishing the object and
//!    streaming the body into it;
//! 6. **deliver** (`deliver.rs`) — conditionals, ranges, `Age` and the cache headers;
//! 7. **pass** (`pass.rs`) — other methods streamed both ways, then RFC 9111 §4.4
//!    invalidation; responses that may not be stored;
//! 8. **log** (`log.rs`) — one access-log record and one metrics observation when the body
//!    ends.
//!
//! The driver is [`Edge::handle`]. Between route and lookup is where the next phases go:
//! viewer access checks (signed URLs and cookies, geo restriction) and the viewer-request
//! function; a parent-cache hop goes inside fetch (docs/architecture.md, "Next phases").
//! What a request became is one [`CacheStatus`], from which `X-Cache`, `Cache-Status`, the
//! log's result types and the metrics are all derived. Errors from any phase become
//! responses in exactly one place (`errors.rs`). The per-behavior rules live in
//! `crate::policy`; process state (shared cache, model swaps, reloads) in `crate::process`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use brink_cache::Object;
use brink_http::freshness::NoStoreReason;
use brink_telemetry::ResultType;
use http::header;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version};
use hyper::body::Incoming;
use tracing::Instrument as _;

use crate::body::EdgeBody;
use crate::errors::{error_page, EdgeError};
use crate::h1guard::GuardShared;
use crate::headers::{self, x_cache, X_AMZ_CF_ID, X_AMZ_CF_POP, X_CACHE};
use crate::policy::response_headers;
pub(crate) use crate::worker::Edge;

use log::{LogTag, Logged, RequestFacts};
use route::{Routed, Routing, Target};

mod accelerate;
mod access;
pub(crate) use accelerate::client as accelerate_client;
mod admit;
mod deliver;
mod fetch;
pub(crate) mod internal;
pub(crate) mod log;
mod lookup;
mod media;
pub(crate) use media::IndexMemo;
mod pass;
pub(crate) mod route;
pub(crate) mod slice;
mod store;

/// What the server knows about the connection a request came on.
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub(crate) peer: SocketAddr,
    pub(crate) guard: Option<Arc<GuardShared>>,
    /// What the TLS handshake negotiated (`None` on plain-text connections); for the access
    /// log.
    pub(crate) tls: Option<crate::tls::TlsInfo>,
    /// Came on the `--accelerate-listen` listener: every request is S3 Transfer Acceleration.
    pub(crate) accelerate: bool,
    /// Plain-text connections: where bodies in files are queued to be sent with `sendfile`
    /// (`zerocopy.rs`).
    pub(crate) zero_copy: Option<Arc<crate::zerocopy::SendQueue>>,
}

/// One request's context, from arrival to the log record: who asked, which distribution and
/// behavior answered, and how. Phases read it and fill it in; the log phase consumes it.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// `X-Amz-Cf-Id`, sent to the origin and the viewer and logged.
    pub(crate) id: HeaderValue,
    /// When the request arrived (`time-taken`).
    pub(crate) started: Instant,
    pub(crate) conn: Conn,
    /// The viewer's HTTP version.
    pub(crate) version: Version,
    /// The distribution and behavior (`brink edge`), once route knows them.
    pub(crate) tag: Option<Arc<LogTag>>,
    /// How the request was answered.
    pub(crate) status: CacheStatus,
    /// An edge error's detailed result type, overriding the one `status` gives.
    pub(crate) detailed: Option<&'static str>,
    /// Request facts for the access log (copied only when one is written).
    pub(crate) facts: Option<Box<RequestFacts>>,
    /// The request's `Content-Length` (`cs-bytes` when no access log needs the facts).
    pub(crate) cs_bytes: u64,
    /// The request's `tracing` span (debug level: disabled, and free, at the default `warn`).
    pub(crate) span: tracing::Span,
}

impl Ctx {
    fn new<B>(req: &Request<B>, conn: Conn, log: bool) -> Ctx {
        let started = Instant::now();
        let id = headers::request_id();
        let span = tracing::debug_span!(
            "request",
            id = id.to_str().unwrap_or("-"),
            distribution = tracing::field::Empty,
            cache_status = tracing::field::Empty,
        );
        Ctx {
            started,
            // The log phase needs request facts after the request is consumed: copied only
            // when an access log is written.
            facts: log.then(|| Box::new(RequestFacts::capture(req))),
            cs_bytes: req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0),
            id,
            conn,
            version: req.version(),
            tag: None,
            status: CacheStatus::Edge,
            detailed: None,
            span,
        }
    }

    /// Whether the viewer connection is TLS.
    fn https(&self) -> bool {
        self.conn.tls.is_some()
    }

    /// Files the request under a distribution and behavior.
    fn set_tag(&mut self, tag: Option<Arc<LogTag>>) {
        if let Some(t) = &tag {
            self.span.record("distribution", t.distribution());
        }
        self.tag = tag;
    }
}

/// How a request was answered. `X-Cache`, `Cache-Status` (RFC 9211), the access log's result
/// types and the request metrics are all derived from it (and the final status code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheStatus {
    /// The edge answered by itself (a refusal, an error page, a CORS preflight): no cache
    /// headers of its own.
    Edge,
    /// Fresh in cache.
    Hit,
    /// Waited on another request's fetch (CloudFront logs these as hits).
    Collapsed,
    /// Stale, served while a background refresh runs.
    StaleWhileRevalidate,
    /// Stale, served because the origin failed.
    StaleIfError,
    /// Revalidated with the origin (304).
    RefreshHit,
    /// Fetched for this request and stored.
    Miss,
    /// Fetched for a cacheable request but not storable, for this reason.
    NotStored(NoStoreReason),
    /// Not cacheable (another method, a WebSocket handshake): forwarded as is.
    Pass,
    /// `redirect-to-https`.
    Redirect,
}

impl CacheStatus {
    /// Served from a stored object (the response headers policy's `hit`).
    pub(crate) fn is_hit(self) -> bool {
        matches!(
            self,
            CacheStatus::Hit
                | CacheStatus::Collapsed
                | CacheStatus::StaleWhileRevalidate
                | CacheStatus::StaleIfError
        )
    }

    /// `X-Cache` (cloudfront.md §3.1) for a response with `status`.
    fn x_cache(self, status: StatusCode) -> Option<HeaderValue> {
        if status.as_u16() >= 400 {
            return Some(x_cache::ERROR);
        }
        match self {
            CacheStatus::Edge => None,
            CacheStatus::RefreshHit => Some(x_cache::REFRESH_HIT),
            CacheStatus::Miss | CacheStatus::NotStored(_) | CacheStatus::Pass => {
                Some(x_cache::MISS)
            }
            CacheStatus::Redirect => Some(x_cache::REDIRECT),
            _ => Some(x_cache::HIT),
        }
    }

    /// `Cache-Status` (RFC 9211).
    fn cache_status(self) -> Option<HeaderValue> {
        let s = match self {
            CacheStatus::Edge | CacheStatus::Redirect => return None,
            CacheStatus::Hit | CacheStatus::Collapsed => "Brink; hit",
            CacheStatus::StaleWhileRevalidate => "Brink; hit; detail=stale-while-revalidate",
            CacheStatus::StaleIfError => "Brink; hit; fwd=stale; detail=stale-if-error",
            CacheStatus::RefreshHit => "Brink; fwd=stale; fwd-status=304; stored",
            CacheStatus::Miss => "Brink; fwd=miss; stored",
            CacheStatus::Pass => "Brink; fwd=request",
            CacheStatus::NotStored(why) => {
                return HeaderValue::try_from(format!(
                    "Brink; fwd=uri-miss; detail={}",
                    why.as_str()
                ))
                .ok();
            }
        };
        Some(HeaderValue::from_static(s))
    }

    /// Writes `X-Cache` and `Cache-Status` for a successful response.
    pub(crate) fn write(self, headers: &mut HeaderMap) {
        if let Some(v) = self.x_cache(StatusCode::OK) {
            headers.insert(X_CACHE.clone(), v);
        }
        if let Some(v) = self.cache_status() {
            headers.insert(headers::CACHE_STATUS.clone(), v);
        }
    }

    /// The access log's `x-edge-result-type` (and the metrics' result) for a response with
    /// `status`.
    pub(crate) fn result_type(self, status: u16) -> ResultType {
        if status >= 400 {
            return ResultType::Error;
        }
        match self {
            s if s.is_hit() => ResultType::Hit,
            CacheStatus::RefreshHit => ResultType::RefreshHit,
            CacheStatus::Redirect => ResultType::Redirect,
            _ => ResultType::Miss,
        }
    }

    /// A short name for the request's span.
    fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Edge => "edge",
            CacheStatus::Hit => "hit",
            CacheStatus::Collapsed => "collapsed",
            CacheStatus::StaleWhileRevalidate => "stale-while-revalidate",
            CacheStatus::StaleIfError => "stale-if-error",
            CacheStatus::RefreshHit => "refresh-hit",
            CacheStatus::Miss => "miss",
            CacheStatus::NotStored(_) => "not-stored",
            CacheStatus::Pass => "pass",
            CacheStatus::Redirect => "redirect",
        }
    }
}

/// A phase's answer: the response and how it was obtained.
type Answer = (Response<EdgeBody>, CacheStatus);

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

impl Fetching {
    /// Whether the origin request carries the viewer's `Authorization` (RFC 9111 §3.5
    /// concerns only such requests: under a behavior that does not forward it, the origin
    /// never saw it, cloudfront.md §3.2).
    fn origin_saw_authorization(&self) -> bool {
        self.headers.contains_key(http::header::AUTHORIZATION)
            && match &self.route.rules {
                None => self.route.forward.includes(&http::header::AUTHORIZATION),
                Some(r) => r
                    .behavior
                    .forwarding
                    .headers
                    .viewer
                    .includes("authorization"),
            }
    }
}

/// What a fetch produced.
enum Fetched {
    /// An object to deliver (new, refreshed, or stale standing in for a failed origin).
    Object(Arc<Object>, CacheStatus),
    /// A response that may not be stored, streamed as is.
    Pass(http::response::Parts, Incoming, NoStoreReason),
    /// A response the edge made (`media.rs`) that may not be stored.
    Made(Response<EdgeBody>, NoStoreReason),
}

impl Edge {
    /// Serves one viewer request: the driver of the phases. Never fails: errors become error
    /// pages.
    pub(crate) async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        conn: Conn,
    ) -> Response<Logged> {
        let mut ctx = Ctx::new(&req, conn, self.telemetry.log.is_some());
        let span = ctx.span.clone();
        let mut resp = match self.phases(req, &mut ctx).instrument(span).await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(parent: &ctx.span, error = %e, peer = %ctx.conn.peer, "edge error");
                ctx.detailed = Some(e.detailed_result());
                error_page(&e, &ctx.id)
            }
        };
        // HTTP/1 only: HTTP/2 frames are written by the h2 codec, not through the stream.
        if let (Some(queue), true) = (&ctx.conn.zero_copy, ctx.version <= http::Version::HTTP_11) {
            resp = resp.map(|body| body.offer_zero_copy(queue));
        }
        let status = resp.status();
        let h = resp.headers_mut();
        if status.as_u16() >= 400 {
            if let Some(v) = ctx.status.x_cache(status) {
                h.insert(X_CACHE.clone(), v);
            }
        }
        ctx.span.record("cache_status", ctx.status.as_str());
        tracing::debug!(parent: &ctx.span, status = status.as_u16(), "answered");
        headers::append_list(
            h,
            &header::VIA,
            self.via.for_version(ctx.version).as_bytes(),
        );
        h.insert(X_AMZ_CF_POP.clone(), self.pop.clone());
        h.insert(X_AMZ_CF_ID.clone(), ctx.id.clone());
        log::wrap(resp, &self.telemetry, ctx)
    }

    /// Phases 1 to 8 for one request; `ctx` learns the distribution and how it was answered.
    async fn phases(
        self: &Arc<Self>,
        mut req: Request<Incoming>,
        ctx: &mut Ctx,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        // 1. Admit.
        // S3 Transfer Acceleration: proxied to the store as it came, before any CDN phase.
        if self.is_accelerated(&req, &ctx.conn) {
            return self.accelerate(req, ctx).await;
        }
        self.admit(&req, &ctx.conn)?;

        // 2. Route.
        let routing = match self.route(&req, ctx) {
            Ok(r) => r,
            Err(answered) => return answered.into_response(),
        };

        // 3. Viewer access: geo restriction, then signed URLs / cookies (the viewer-request
        // function joins after it, docs/architecture.md).
        let refused_route = routing.route.clone();
        let refused_host = routing.host;
        let Routing {
            route,
            target,
            host,
            cacheable,
            viewer_headers,
            ..
        } = match self.access(&req, ctx, routing) {
            Ok(r) => r,
            Err(e) => {
                // A custom error response for 403 replaces the refusal's body (cloudfront.md
                // §5, §6); the log keeps the refusal's detailed result.
                let page = ErrorPage {
                    route: &refused_route,
                    status: e.status().as_u16(),
                    host: refused_host,
                };
                let headers = req.headers().clone();
                return match self.custom_error(page, headers, ctx).await {
                    Some((resp, status)) => {
                        ctx.status = status;
                        ctx.detailed = Some(e.detailed_result());
                        Ok(resp)
                    }
                    None => Err(e),
                };
            }
        };
        let https = ctx.https();

        let fetching = Fetching {
            route,
            target,
            headers: HeaderMap::new(),
            peer: ctx.conn.peer,
            request_id: ctx.id.clone(),
            version: req.version(),
            https,
        };
        let response_policy = fetching
            .route
            .rules
            .as_ref()
            .and_then(|r| r.behavior.response_headers_policy.clone())
            .map(|p| {
                (
                    p,
                    response_headers::CorsRequest::of(req.method(), req.headers()),
                )
            });
        if let Some((policy, cors)) = &response_policy {
            if response_headers::answers_preflight(policy, cors) {
                let mut resp = Response::new(EdgeBody::Empty);
                response_headers::apply(policy, cors, resp.headers_mut(), "miss");
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

        if !viewer_headers.is_empty() {
            crate::policy::viewer_headers::apply(req.headers_mut(), viewer_headers);
        }

        // 4-7. Lookup, fetch, store, deliver; or 8. pass.
        let (result, viewer_headers) = if cacheable {
            let (parts, _) = req.into_parts();
            let req = Request::from_parts(parts, ());
            let result = self.lookup(&req, fetching).await;
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
                    Ok((r, _)) => r.status().as_u16(),
                    Err(e) => e.status().as_u16(),
                };
                let page = ErrorPage {
                    route: &route,
                    status,
                    host: host.as_deref(),
                };
                match self.custom_error(page, headers, ctx).await {
                    Some(page) => Ok(page),
                    None => result,
                }
            }
            None => result,
        };
        let (mut resp, status) = result?;
        ctx.status = status;
        if let Some((policy, cors)) = &response_policy {
            let result = if status.is_hit() { "hit" } else { "miss" };
            response_headers::apply(policy, cors, resp.headers_mut(), result);
        }
        Ok(resp)
    }

    /// Custom error responses (cloudfront.md §8.2): for a configured error status, the page
    /// at `ResponsePagePath` is fetched through normal behavior matching and sent with
    /// `ResponseCode` (or the original status). A page that cannot be fetched is answered
    /// with the page origin's own status. `None`: nothing configured for `status`.
    async fn custom_error(
        self: &Arc<Self>,
        page: ErrorPage<'_>,
        headers: HeaderMap,
        ctx: &Ctx,
    ) -> Option<Answer> {
        let ErrorPage {
            route,
            status,
            host,
        } = page;
        let https = ctx.https();
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
            .filter(|n| crate::policy::forward::edge_managed(n))
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
            peer: ctx.conn.peer,
            request_id: ctx.id.clone(),
            version: Version::HTTP_11,
            https,
        };
        let (mut resp, served) = match self.lookup(&req, f).await {
            Ok(r) => r,
            Err(e) => return Some((error_page(&e, &ctx.id), CacheStatus::Edge)),
        };
        if resp.status().is_success() {
            let code = custom.response_code.unwrap_or(status);
            *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
        }
        Some((resp, served))
    }
}

/// The error a custom error page may replace.
struct ErrorPage<'a> {
    /// The route that failed (its distribution lists the custom error responses).
    route: &'a Target,
    /// The status of the failed response.
    status: u16,
    /// The viewer's host, to route the page's path.
    host: Option<&'a str>,
}

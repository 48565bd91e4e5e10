//! Phase 7, **pass**: methods and behaviors that are never cached go to the origin streamed
//! both ways (origin-group failover for GET/HEAD/OPTIONS, WebSocket upgrades joined), and a
//! successful write invalidates what it changed (RFC 9111 §4.4).

use std::sync::Arc;

use brink_cache::FetchFailure;
use brink_http::freshness::NoStoreReason;
use brink_http::key::PurgePattern;
use http::header;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, Version};
use http_body::Body as _;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::body::{EdgeBody, OriginBody};
use crate::errors::EdgeError;
use crate::headers;
use crate::policy::forward;

use super::route::Target;
use super::{Answer, CacheStatus, Edge, Fetching};

impl Edge {
    /// Phase 7: methods that are never cached go through, streamed both ways.
    pub(super) async fn serve_pass(
        self: &Arc<Self>,
        mut req: Request<Incoming>,
        f: Fetching,
    ) -> Result<Answer, EdgeError> {
        // Read the first body frame before contacting the origin, so that a body whose
        // framing is broken from the start is refused without reaching the origin.
        let first = if req.body().is_end_stream() {
            None
        } else {
            match req.body_mut().frame().await {
                None => None,
                Some(Ok(frame)) => Some(frame),
                Some(Err(_)) => return Err(EdgeError::BadBody),
            }
        };
        // WebSocket (cloudfront.md §8.4): the viewer's connection is taken over once the
        // origin answers 101.
        let viewer_upgrade = is_websocket(&req).then(|| hyper::upgrade::on(&mut req));
        let (head, rest) = req.into_parts();
        let method = head.method.clone();
        // A body read whole can be sent again (a connect retry, a failover); one still
        // streaming goes out once.
        let body = match first {
            None if rest.is_end_stream() => OriginBody::Empty,
            Some(frame) if rest.is_end_stream() && frame.is_data() => {
                OriginBody::Full(frame.into_data().ok())
            }
            first => OriginBody::Viewer { first, rest },
        };
        let resend = match &body {
            OriginBody::Empty => Some(None),
            OriginBody::Full(b) => Some(b.clone()),
            OriginBody::Viewer { .. } => None,
        };
        let upgrade = viewer_upgrade.is_some();
        let mut result = self.send_pass_to(&f.route, &f, &head, upgrade, body).await;
        // Origin groups (cloudfront.md §7.3) fail over GET, HEAD and OPTIONS only: a write
        // may have taken effect at the primary, so its answer stands.
        let failover = f
            .route
            .failover
            .as_ref()
            .filter(|_| matches!(method, Method::GET | Method::HEAD | Method::OPTIONS));
        if let (Some(failover), Some(again)) = (failover, resend) {
            let fail_over = failover.applies_to(&result);
            if fail_over {
                drop(result);
                let body = again.map_or(OriginBody::Empty, |b| OriginBody::Full(Some(b)));
                result = self
                    .send_pass_to(&failover.secondary, &f, &head, upgrade, body)
                    .await;
            }
        }
        let mut resp = result.map_err(EdgeError::from)?;
        if let Some(viewer_upgrade) = viewer_upgrade {
            if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
                return Ok((
                    relay_upgrade(viewer_upgrade, &mut resp, self.cfg.websocket_idle_timeout),
                    CacheStatus::Pass,
                ));
            }
        }
        let (mut parts, body) = resp.into_parts();
        if is_unsafe(&method) && (parts.status.is_success() || parts.status.is_redirection()) {
            self.invalidate_after_write(&f, &parts.headers);
        }
        headers::clean_response_headers(&mut parts.headers, false);
        CacheStatus::Pass.write(&mut parts.headers);
        Ok((
            Response::from_parts(parts, EdgeBody::Origin(body)),
            CacheStatus::Pass,
        ))
    }

    /// One pass-through origin request to `target` with the viewer's head (headers forwarded
    /// end to end, hop-by-hop ones dropped; `Upgrade` kept for a WebSocket handshake).
    async fn send_pass_to(
        &self,
        target: &Target,
        f: &Fetching,
        viewer: &http::request::Parts,
        upgrade: bool,
        body: OriginBody,
    ) -> Result<Response<Incoming>, FetchFailure> {
        let edge = self.to_origin(target, f);
        let mut headers = match &target.rules {
            None => forward::pass_origin_headers(&viewer.headers, &edge),
            Some(rules) => forward::policy_pass_headers(&viewer.headers, rules, &edge),
        };
        if upgrade {
            if let Some(u) = viewer.headers.get(header::UPGRADE) {
                headers.insert(header::UPGRADE, u.clone());
                headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            }
        }
        let req = self.origin_request(target, f, viewer.method.clone(), headers, body);
        self.send_origin(target, req).await
    }

    /// RFC 9111 §4.4: a successful unsafe request invalidates the target URI and the
    /// same-origin `Location` / `Content-Location` targets.
    fn invalidate_after_write(&self, f: &Fetching, resp: &HeaderMap) {
        let route = &f.route;
        // Every header/cookie/encoding variant of the target goes too.
        let purge = |pq: &http::uri::PathAndQuery| match &route.rules {
            None => {
                self.cache
                    .purge(&route.scope, &PurgePattern::Exact(pq.as_str().to_owned()));
                // Its range slices (lifecycle/slice.rs).
                self.cache.purge(
                    &route.scope,
                    &PurgePattern::Prefix(format!("{}\n", pq.as_str())),
                );
            }
            Some(rules) => {
                for p in rules.purge_patterns(pq.path(), pq.query()) {
                    self.cache.purge(&route.scope, &p);
                }
            }
        };
        purge(&f.target);
        for name in [header::LOCATION, header::CONTENT_LOCATION] {
            let Some(loc) = resp.get(&name).and_then(|v| v.to_str().ok()) else {
                continue;
            };
            let Ok(uri) = loc.parse::<Uri>() else {
                continue;
            };
            // A `match-viewer` origin has two addresses; either is the same origin.
            let same_origin = uri.authority().is_none_or(|a| {
                *a == route.origin.authority
                    || route
                        .https_origin
                        .as_ref()
                        .is_some_and(|(o, _)| *a == o.authority)
            });
            if same_origin {
                if let Some(pq) = uri.path_and_query() {
                    if pq.as_str().starts_with('/') {
                        purge(pq);
                    }
                }
            }
        }
    }
}

/// A WebSocket opening handshake (RFC 6455 §4.1): an HTTP/1.1 GET asking to upgrade to
/// `websocket`.
pub(super) fn is_websocket<B>(req: &Request<B>) -> bool {
    req.method() == Method::GET
        && req.version() == Version::HTTP_11
        && req
            .headers()
            .get_all(header::UPGRADE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
}

/// The origin accepted a WebSocket handshake: the 101 goes to the viewer (with its
/// `Upgrade`/`Connection`), and once both sides have switched, the two connections are
/// joined and bytes copied both ways until either side closes.
fn relay_upgrade(
    viewer: hyper::upgrade::OnUpgrade,
    resp: &mut Response<Incoming>,
    idle_timeout: std::time::Duration,
) -> Response<EdgeBody> {
    let origin = hyper::upgrade::on(&mut *resp);
    tokio::spawn(async move {
        let (viewer, origin) = match tokio::join!(viewer, origin) {
            (Ok(v), Ok(o)) => (v, o),
            (v, o) => {
                tracing::debug!(
                    viewer = v.is_ok(),
                    origin = o.is_ok(),
                    "WebSocket upgrade failed"
                );
                return;
            }
        };
        let activity = Activity::new();
        let mut viewer = Watched::new(hyper_util::rt::TokioIo::new(viewer), &activity);
        let mut origin = Watched::new(hyper_util::rt::TokioIo::new(origin), &activity);
        tokio::select! {
            r = tokio::io::copy_bidirectional(&mut viewer, &mut origin) => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "WebSocket relay ended");
                }
            }
            () = activity.idle_for(idle_timeout) => {
                tracing::debug!(?idle_timeout, "WebSocket idle: closed");
            }
        }
    });
    let mut out = Response::new(EdgeBody::Empty);
    *out.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let upgrade = resp.headers().get(header::UPGRADE).cloned();
    let mut headers = std::mem::take(resp.headers_mut());
    headers::clean_response_headers(&mut headers, false);
    if let Some(u) = upgrade {
        headers.insert(header::UPGRADE, u);
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
    CacheStatus::Pass.write(&mut headers);
    *out.headers_mut() = headers;
    out
}

/// RFC 9110 §9.2.1 names GET, HEAD, OPTIONS and TRACE safe. Every other method, extension
/// methods such as `M-SEARCH` or `PROPPATCH` included, is treated as unsafe: RFC 9111 §4.4
/// invalidates for methods of unknown safety as well.
fn is_unsafe(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// When an upgraded connection last carried bytes, in either direction.
#[derive(Debug, Clone)]
struct Activity(Arc<(std::time::Instant, std::sync::atomic::AtomicU64)>);

impl Activity {
    fn new() -> Activity {
        Activity(Arc::new((
            std::time::Instant::now(),
            std::sync::atomic::AtomicU64::new(0),
        )))
    }

    fn touch(&self) {
        let ms = u64::try_from(self.0 .0.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0 .1.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `limit`.
    async fn idle_for(&self, limit: std::time::Duration) {
        loop {
            let last = std::time::Duration::from_millis(
                self.0 .1.load(std::sync::atomic::Ordering::Relaxed),
            );
            let quiet_until = self.0 .0 + last + limit;
            if std::time::Instant::now() >= quiet_until {
                return;
            }
            tokio::time::sleep_until(quiet_until.into()).await;
        }
    }
}

/// An upgraded stream that records its reads and writes in an [`Activity`].
struct Watched<T> {
    io: T,
    activity: Activity,
}

impl<T> Watched<T> {
    fn new(io: T, activity: &Activity) -> Watched<T> {
        Watched {
            io,
            activity: activity.clone(),
        }
    }
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Watched<T> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.io).poll_write(cx, data);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A response that was not stored, streamed to the viewer (headers cleaned as for a
/// cacheable request, since the viewer's cookies were not forwarded either).
pub(super) fn pass_response(
    req: &Request<()>,
    route: &Target,
    mut parts: http::response::Parts,
    body: Incoming,
    why: NoStoreReason,
) -> Answer {
    headers::clean_response_headers(&mut parts.headers, route.strips_set_cookie());
    if let Some(r) = &route.rules {
        forward::filter_vary(&mut parts.headers, r);
    }
    let status = CacheStatus::NotStored(why);
    status.write(&mut parts.headers);
    let body = if req.method() == Method::HEAD {
        EdgeBody::Empty
    } else {
        EdgeBody::Origin(body)
    };
    (Response::from_parts(parts, body), status)
}

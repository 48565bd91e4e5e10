//! The origin client: pooled keep-alive connections over HTTP or HTTPS (HTTP/2 by ALPN when
//! the origin asks for it), with CloudFront's timeouts and connection attempts
//! (cloudfront.md §7.1, §7.2) and failures classified for 502 vs 504.
//!
//! One [`OriginClient`] per origin and per worker, built when the configuration is loaded
//! from the origin's settings ([`OriginSettings`]):
//!
//! - `ConnectionTimeout` bounds each TCP connect; `OriginKeepaliveTimeout` is how long an
//!   idle pooled connection is kept.
//! - `ConnectionAttempts` (1–3): a request that could not connect (DNS, TCP, TLS) is tried
//!   again, up to that many attempts in all; a GET or HEAD whose response head did not arrive
//!   within `OriginReadTimeout` is tried again too. Other methods are never retried after a
//!   timeout (the origin may have acted on them). Only a request whose body is in memory can
//!   be sent again: a viewer body still streaming is sent once.
//! - `ConnectionTimeout` bounds the whole connection set-up of an attempt (DNS, TCP and the TLS
//!   handshake): past it the attempt is a connection failure (502, tried again). The
//!   `OriginReadTimeout` for the response head starts once the connection is up (or at once on
//!   a pooled connection).
//! - TLS: the certificate must chain to a trusted root (the public webpki roots, plus
//!   `--origin-ca`) and name the origin's `DomainName`; otherwise the connection fails → 502.
//!   Only TLS 1.2 and 1.3 exist in rustls: `OriginSslProtocols` entries `SSLv3`, `TLSv1` and
//!   `TLSv1.1` cannot be honoured. A list without `TLSv1.2` is accepted with a warning and
//!   the edge offers TLS 1.2 and 1.3 anyway (an origin limited to older versions then fails
//!   its handshake: 502). Refusing such a file would break configurations exported from
//!   CloudFront for origins that in fact speak TLS 1.2.

use std::sync::Arc;
use std::time::Duration;

use brink_cache::FetchFailure;
use bytes::Bytes;
use http::{Method, Request, Response};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::OriginBody;
use crate::config::DEFAULT_ORIGIN_KEEPALIVE;

type Pool = Client<Watched<HttpsConnector<HttpConnector>>, OriginBody>;

/// When the connection of one origin request was set up, shared with the connector through a
/// task-local (hyper-util calls the connector from the task that sends the request).
#[derive(Debug, Default)]
struct ConnectWatch {
    started: parking_lot::Mutex<Option<std::time::Instant>>,
    finished: parking_lot::Mutex<Option<std::time::Instant>>,
}

tokio::task_local! {
    static WATCH: Arc<ConnectWatch>;
}

/// A connector that bounds the whole connection set-up (DNS, TCP, TLS) by the origin's
/// `ConnectionTimeout` and tells the sending request when it started and finished.
#[derive(Debug, Clone)]
struct Watched<C> {
    inner: C,
    timeout: Duration,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<C> tower_service::Service<http::Uri> for Watched<C>
where
    C: tower_service::Service<http::Uri>,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let watch = WATCH.try_with(Arc::clone).ok();
        if let Some(w) = &watch {
            *w.started.lock() = Some(std::time::Instant::now());
        }
        let connecting = self.inner.call(dst);
        let timeout = self.timeout;
        Box::pin(async move {
            let result = match tokio::time::timeout(timeout, connecting).await {
                Ok(r) => r.map_err(Into::into),
                Err(_) => Err("origin connection timed out (ConnectionTimeout)".into()),
            };
            if let Some(w) = watch {
                *w.finished.lock() = Some(std::time::Instant::now());
            }
            result
        })
    }
}

/// How one origin is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OriginSettings {
    /// Per-attempt TCP connect timeout.
    pub(crate) connect_timeout: Duration,
    /// Wait for the response head, and between body chunks.
    pub(crate) read_timeout: Duration,
    /// Idle pooled connections are closed after this long.
    pub(crate) keepalive: Duration,
    /// Attempts in all (1–3).
    pub(crate) attempts: u8,
    /// Offer HTTP/2 by ALPN on HTTPS connections (`OriginHttpVersion: http2`).
    pub(crate) http2: bool,
}

impl OriginSettings {
    /// `brink serve`'s single origin: one attempt, HTTP/1.1.
    pub(crate) fn serve(connect_timeout: Duration, read_timeout: Duration) -> OriginSettings {
        OriginSettings {
            connect_timeout,
            read_timeout,
            keepalive: DEFAULT_ORIGIN_KEEPALIVE,
            attempts: 1,
            http2: false,
        }
    }

    /// The settings of a model origin (defaults already applied by validation).
    pub(crate) fn of(o: &brink_model::compiled::Origin) -> OriginSettings {
        use brink_model::compiled::OriginKind;
        use brink_model::raw::{OriginHttpVersion, SslProtocol};
        let http2 = match &o.kind {
            OriginKind::Custom {
                http_version,
                ssl_protocols,
                ..
            } => {
                if !ssl_protocols.contains(&SslProtocol::TlsV1_2) {
                    warn_tls_versions(o);
                }
                *http_version == OriginHttpVersion::Http2
            }
            _ => false,
        };
        OriginSettings {
            connect_timeout: o.connection_timeout,
            read_timeout: o.read_timeout,
            keepalive: o.keepalive_timeout,
            attempts: o.connection_attempts.clamp(1, 3),
            http2,
        }
    }
}

/// Warns (once per origin and domain, not once per worker) that `OriginSslProtocols` cannot
/// be honoured.
fn warn_tls_versions(o: &brink_model::compiled::Origin) {
    static WARNED: parking_lot::Mutex<Vec<(String, String)>> = parking_lot::Mutex::new(Vec::new());
    let key = (o.id.clone(), o.domain_name.clone());
    let mut warned = WARNED.lock();
    if !warned.contains(&key) {
        tracing::warn!(
            origin = %o.id,
            "OriginSslProtocols lists no TLSv1.2; this edge speaks only TLS 1.2 and 1.3 and \
             offers those"
        );
        warned.push(key);
    }
}

/// The TLS client configuration shared by the origin clients of one router: the trusted
/// roots are assembled once.
#[derive(Debug, Clone)]
pub(crate) struct OriginTls(Option<rustls::ClientConfig>);

impl OriginTls {
    pub(crate) fn new(origin_ca: Option<&crate::tls::OriginCa>) -> OriginTls {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // A private CA adds anchors only: the default verifier still checks the chain and
        // that the certificate names the origin's host.
        if let Some(ca) = origin_ca {
            ca.add_to(&mut roots);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // TLS 1.2 and 1.3 only (see the module comment on `OriginSslProtocols`).
        match rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
        {
            Ok(b) => OriginTls(Some(b.with_root_certificates(roots).with_no_client_auth())),
            Err(e) => {
                // Only reachable if the ring provider lacked every protocol version.
                tracing::error!(error = %e, "TLS client config failed; HTTPS origins will not work");
                OriginTls(None)
            }
        }
    }
}

/// A pooled client for one origin.
#[derive(Debug, Clone)]
pub(crate) struct OriginClient {
    client: Pool,
    /// HTTP/1.1 only, for WebSocket upgrades when `client` may pick HTTP/2.
    upgrade_client: Option<Pool>,
    read_timeout: Duration,
    connect_timeout: Duration,
    attempts: u8,
}

fn pool(s: &OriginSettings, tls: &OriginTls, http2: bool) -> Pool {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(s.connect_timeout));
    let https = match tls.0.clone() {
        Some(cfg) => {
            let b = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(cfg)
                .https_or_http();
            if http2 {
                // ALPN offers h2 and http/1.1; the pool speaks whichever the origin picks.
                b.enable_all_versions().wrap_connector(http)
            } else {
                b.enable_http1().wrap_connector(http)
            }
        }
        None => hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http),
    };
    let connector = Watched {
        inner: https,
        timeout: s.connect_timeout,
    };
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(s.keepalive)
        .pool_max_idle_per_host(1024)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector)
}

/// What is needed to send a request again: its head and its body, when the body is in memory.
struct Replay {
    method: Method,
    uri: http::Uri,
    headers: http::HeaderMap,
    body: Option<Bytes>,
}

impl Replay {
    fn of(req: &Request<OriginBody>) -> Option<Replay> {
        let body = match req.body() {
            OriginBody::Empty => None,
            OriginBody::Full(b) => Some(b.clone().unwrap_or_default()),
            OriginBody::Viewer { .. } => return None,
        };
        Some(Replay {
            method: req.method().clone(),
            uri: req.uri().clone(),
            headers: req.headers().clone(),
            body,
        })
    }

    fn request(&self) -> Request<OriginBody> {
        let mut req = Request::new(match &self.body {
            None => OriginBody::Empty,
            Some(b) => OriginBody::Full(Some(b.clone())),
        });
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        *req.headers_mut() = self.headers.clone();
        req
    }
}

impl OriginClient {
    pub(crate) fn new(s: &OriginSettings, tls: &OriginTls) -> OriginClient {
        OriginClient {
            client: pool(s, tls, s.http2),
            upgrade_client: s.http2.then(|| pool(s, tls, false)),
            read_timeout: s.read_timeout,
            connect_timeout: s.connect_timeout,
            attempts: s.attempts.max(1),
        }
    }

    /// The read timeout: also applied by callers between body chunks.
    pub(crate) fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// Sends `req` and waits for the response head, trying again per `ConnectionAttempts`
    /// (see the module comment for which failures are retried).
    pub(crate) async fn send(
        &self,
        req: Request<OriginBody>,
    ) -> Result<Response<Incoming>, FetchFailure> {
        let upgrade = req.headers().contains_key(http::header::UPGRADE);
        let client = match (&self.upgrade_client, upgrade) {
            (Some(h1), true) => h1,
            _ => &self.client,
        };
        if self.attempts <= 1 {
            return self.send_once(client, req).await;
        }
        let Some(replay) = Replay::of(&req) else {
            return self.send_once(client, req).await;
        };
        let retry_timeouts = matches!(replay.method, Method::GET | Method::HEAD);
        let mut next = Some(req);
        let mut attempt = 1;
        loop {
            let req = next.take().unwrap_or_else(|| replay.request());
            let result = self.send_once(client, req).await;
            let again = match &result {
                Err(FetchFailure::Connect) => true,
                Err(FetchFailure::Timeout) => retry_timeouts,
                _ => false,
            };
            if !again || attempt >= self.attempts {
                return result;
            }
            attempt += 1;
            tracing::debug!(attempt, uri = %replay.uri, "origin attempt failed; trying again");
        }
    }

    async fn send_once(
        &self,
        client: &Pool,
        req: Request<OriginBody>,
    ) -> Result<Response<Incoming>, FetchFailure> {
        let start = tokio::time::Instant::now();
        let watch = Arc::new(ConnectWatch::default());
        let request = WATCH.scope(watch.clone(), client.request(req));
        let mut request = std::pin::pin!(request);
        let mut deadline = start + self.read_timeout;
        let result = loop {
            tokio::select! {
                r = &mut request => break r,
                () = tokio::time::sleep_until(deadline) => {
                    // The read timeout starts once the connection is up: a connection set-up
                    // still under way has its own bound (`ConnectionTimeout`, ending as a
                    // connect error); one that finished moves the deadline.
                    let started = *watch.started.lock();
                    let finished = *watch.finished.lock();
                    let later = match (started, finished) {
                        (Some(_), Some(f)) => tokio::time::Instant::from_std(f) + self.read_timeout,
                        (Some(s), None) => {
                            tokio::time::Instant::from_std(s)
                                + self.connect_timeout
                                + self.read_timeout
                        }
                        _ => deadline,
                    };
                    if later <= deadline {
                        return Err(FetchFailure::Timeout);
                    }
                    deadline = later;
                }
            }
        };
        match result {
            Ok(resp) => Ok(resp),
            Err(e) => {
                tracing::debug!(error = %e, connect = e.is_connect(), "origin request failed");
                if e.is_connect() {
                    // DNS, TCP and TLS failures (an untrusted certificate, or one that does
                    // not name the origin) are connection failures: 502. The connector's own
                    // connect timeout surfaces here too, as CloudFront reports connect
                    // timeouts.
                    Err(FetchFailure::Connect)
                } else {
                    Err(FetchFailure::Protocol)
                }
            }
        }
    }
}

//! `TestOrigin`: an in-process, programmable HTTP/1.1 origin on `127.0.0.1:0`.
//!
//! Routes map a request target (exact `path?query`, exact path, or longest path prefix) to a
//! [`Reply`] or to a closure producing one. Every request is recorded (method, target,
//! headers, body) before it is answered, so tests can count what reached the origin.
//! A [`Reply`] can stream its body in parts separated by [`Gate`]s, be delayed or gated before
//! its headers, abort mid-body (truncated response / connection reset), and answer
//! conditional requests with 304 (`Reply::with_etag`, `Reply::last_modified`).
//! [`TestOrigin::start_tls`] serves the same over HTTPS with a test certificate, and
//! [`TestOrigin::start_tls_h2`] also offers HTTP/2 by ALPN. [`TestOrigin::connections`]
//! counts accepted connections (keep-alive checks); [`Recorded::version`] is the HTTP version
//! a request came with.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response};
use http_body_util::combinators::BoxBody;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::client::{channel_body, header_string};

/// A latch the test opens once; everything waiting on it (now or later) proceeds.
#[derive(Clone, Debug)]
pub(crate) struct Gate(Arc<watch::Sender<bool>>);

impl Gate {
    /// A closed gate.
    pub(crate) fn new() -> Gate {
        Gate(Arc::new(watch::channel(false).0))
    }

    /// Opens the gate for good.
    pub(crate) fn open(&self) {
        self.0.send_replace(true);
    }

    /// Waits until the gate is open.
    pub(crate) async fn wait(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|open| *open).await;
    }
}

#[derive(Clone, Debug)]
enum Part {
    Data(Bytes),
    Wait(Gate),
}

/// What the origin answers for a route.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    parts: Vec<Part>,
    delay_before_headers: Option<Duration>,
    gate_before_headers: Option<Gate>,
    honour_conditionals: bool,
    abort_after_body: bool,
    chunked: bool,
}

impl Reply {
    /// A reply with `status` and `body`, no other headers than `Content-Length` and a `Date`
    /// on the origin's (possibly advanced) clock.
    pub(crate) fn status(status: u16, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            parts: vec![Part::Data(body.into())],
            delay_before_headers: None,
            gate_before_headers: None,
            honour_conditionals: false,
            abort_after_body: false,
            chunked: false,
        }
    }

    /// `200` with `body`.
    pub(crate) fn ok(body: impl Into<Bytes>) -> Reply {
        Reply::status(200, body)
    }

    /// `200` with `body` and `Cache-Control: <cache_control>`.
    pub(crate) fn cacheable(body: impl Into<Bytes>, cache_control: &str) -> Reply {
        Reply::ok(body).header("cache-control", cache_control)
    }

    /// `200` with `body` and `ETag: <etag>` (give it quoted, e.g. `"\"v1\""`); answers 304
    /// when the request's `If-None-Match` matches.
    pub(crate) fn with_etag(etag: &str, body: impl Into<Bytes>) -> Reply {
        let mut r = Reply::ok(body).header("etag", etag);
        r.honour_conditionals = true;
        r
    }

    /// Adds `Last-Modified: <date>` and answers 304 when the request's `If-Modified-Since`
    /// is not earlier than it (and no `If-None-Match` is present).
    pub(crate) fn last_modified(mut self, date: &str) -> Reply {
        self.honour_conditionals = true;
        self.header("last-modified", date)
    }

    /// Adds a response header (repeatable).
    pub(crate) fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Pauses the body here until `gate` opens (the parts before it are already sent).
    pub(crate) fn then_wait(mut self, gate: &Gate) -> Reply {
        self.parts.push(Part::Wait(gate.clone()));
        self
    }

    /// Appends another body chunk.
    pub(crate) fn then_chunk(mut self, data: impl Into<Bytes>) -> Reply {
        self.parts.push(Part::Data(data.into()));
        self
    }

    /// Sleeps this long before sending the response head.
    pub(crate) fn delay_before_headers(mut self, delay: Duration) -> Reply {
        self.delay_before_headers = Some(delay);
        self
    }

    /// Holds the response head until `gate` opens.
    pub(crate) fn gate_before_headers(mut self, gate: &Gate) -> Reply {
        self.gate_before_headers = Some(gate.clone());
        self
    }

    /// After the body parts, fails the body: the connection is closed short of the declared
    /// `Content-Length` (set one with [`Reply::header`] larger than the parts).
    pub(crate) fn abort_after_body(mut self) -> Reply {
        self.abort_after_body = true;
        self
    }

    /// Sends the body with `Transfer-Encoding: chunked` instead of `Content-Length`.
    pub(crate) fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// RFC 9110 §13.1.1 / §13.1.3 evaluation for GET/HEAD.
    fn not_modified(&self, req: &Recorded) -> bool {
        if !self.honour_conditionals || self.status != 200 {
            return false;
        }
        if let Some(inm) = req.header("if-none-match") {
            let Some(etag) = self.header_value("etag") else {
                return false;
            };
            let weak = |t: &str| t.trim().trim_start_matches("W/").to_owned();
            return inm
                .split(',')
                .any(|t| t.trim() == "*" || weak(t) == weak(etag));
        }
        match (
            req.header("if-modified-since"),
            self.header_value("last-modified"),
        ) {
            (Some(ims), Some(lm)) => match (parse_http_date(&ims), parse_http_date(lm)) {
                (Some(ims), Some(lm)) => lm <= ims,
                _ => false,
            },
            _ => false,
        }
    }

    async fn respond(
        self,
        req: &Recorded,
        clock_offset: u64,
    ) -> Response<BoxBody<Bytes, io::Error>> {
        if let Some(delay) = self.delay_before_headers {
            tokio::time::sleep(delay).await;
        }
        if let Some(gate) = &self.gate_before_headers {
            gate.wait().await;
        }
        let not_modified = self.not_modified(req);
        let mut builder = Response::builder().status(if not_modified { 304 } else { self.status });
        for (k, v) in &self.headers {
            if not_modified && k.eq_ignore_ascii_case("content-length") {
                continue;
            }
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !self.has_header("date") {
            let now = SystemTime::now() + Duration::from_secs(clock_offset);
            builder = builder.header("date", super::http_date(now));
        }
        if not_modified {
            let body = http_body_util::Empty::new()
                .map_err(|never| match never {})
                .boxed();
            return builder.body(body).expect("valid 304 response");
        }
        if !self.chunked && !self.has_header("content-length") {
            let len: usize = self
                .parts
                .iter()
                .map(|p| match p {
                    Part::Data(d) => d.len(),
                    Part::Wait(_) => 0,
                })
                .sum();
            builder = builder.header("content-length", len.to_string());
        }
        let (tx, body) = channel_body();
        let (parts, abort) = (self.parts, self.abort_after_body);
        tokio::spawn(async move {
            for part in parts {
                match part {
                    Part::Data(d) => {
                        if tx.send(Ok(Frame::data(d))).await.is_err() {
                            return;
                        }
                    }
                    Part::Wait(gate) => gate.wait().await,
                }
            }
            if abort {
                let _ = tx
                    .send(Err(io::Error::other("test origin: aborting body")))
                    .await;
            }
        });
        builder.body(body.boxed()).expect("valid response")
    }
}

/// One request as the origin received it.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    /// Request method.
    pub(crate) method: Method,
    /// Path and query, as sent.
    pub(crate) target: String,
    /// Path only.
    pub(crate) path: String,
    /// All request headers.
    pub(crate) headers: HeaderMap,
    /// The request body (empty until fully received).
    pub(crate) body: Bytes,
    /// The HTTP version it came with.
    pub(crate) version: http::Version,
}

impl Recorded {
    /// First value of header `name`, lossily as text.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(header_string)
    }

    /// Whether header `name` is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.headers.contains_key(name)
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

#[derive(Clone)]
enum Route {
    Fixed(Reply),
    Dynamic(Arc<Handler>),
}

#[derive(Default)]
struct Routes {
    exact: HashMap<String, Route>,
    prefixes: Vec<(String, Route)>,
}

impl Routes {
    fn find(&self, req: &Recorded) -> Option<Route> {
        if let Some(r) = self
            .exact
            .get(&req.target)
            .or_else(|| self.exact.get(&req.path))
        {
            return Some(r.clone());
        }
        self.prefixes
            .iter()
            .filter(|(p, _)| req.path.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, r)| r.clone())
    }
}

#[derive(Default)]
struct Shared {
    routes: Mutex<Routes>,
    log: Mutex<Vec<Recorded>>,
    tasks: Mutex<Vec<AbortHandle>>,
    /// Seconds added to the real clock for the `Date` header (follows the edge's manual clock).
    clock_offset: Arc<AtomicU64>,
    /// Connections accepted (TLS ones once their handshake succeeded).
    connections: AtomicU64,
}

impl Shared {
    async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<Response<BoxBody<Bytes, io::Error>>, Infallible> {
        let (head, body) = req.into_parts();
        let target = head
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let recorded = Recorded {
            method: head.method,
            path: head.uri.path().to_owned(),
            target,
            headers: head.headers,
            body: Bytes::new(),
            version: head.version,
        };
        // Count the request as soon as its head arrives, even if its body never completes.
        let index = {
            let mut log = self.log.lock();
            log.push(recorded.clone());
            log.len() - 1
        };
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let recorded = {
            let mut log = self.log.lock();
            log[index].body = body;
            log[index].clone()
        };
        let route = self.routes.lock().find(&recorded);
        let reply = match route {
            Some(Route::Fixed(reply)) => reply,
            Some(Route::Dynamic(f)) => f(&recorded),
            None => Reply::status(
                404,
                format!("test origin: no route for {}", recorded.target),
            ),
        };
        let offset = self.clock_offset.load(Ordering::SeqCst);
        Ok(reply.respond(&recorded, offset).await)
    }
}

/// The programmable origin. Dropping it (or [`TestOrigin::shutdown`]) closes the listener
/// and every open connection.
pub(crate) struct TestOrigin {
    addr: SocketAddr,
    shared: Arc<Shared>,
    scheme: &'static str,
}

/// Serves HTTP/1.1 on one accepted connection (or HTTP/2 when `h2`, which ALPN chose).
async fn serve_origin_connection<I>(io: I, shared: Arc<Shared>, h2: bool)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    shared.connections.fetch_add(1, Ordering::SeqCst);
    let svc = service_fn(move |req| Arc::clone(&shared).handle(req));
    if h2 {
        let _ = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .serve_connection(TokioIo::new(io), svc)
            .await;
        return;
    }
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), svc)
        .await;
}

impl TestOrigin {
    /// Binds `127.0.0.1:0` and starts serving (no routes yet: everything is a 404).
    pub(crate) async fn start() -> TestOrigin {
        TestOrigin::start_with(None).await
    }

    /// Like [`TestOrigin::start`], over HTTPS presenting `leaf` (see [`super::tls::TestCa`]).
    pub(crate) async fn start_tls(leaf: &super::tls::Leaf) -> TestOrigin {
        TestOrigin::start_with(Some(super::tls::server_config(leaf))).await
    }

    /// Like [`TestOrigin::start_tls`], offering `h2` and `http/1.1` by ALPN (HTTP/2 when the
    /// client offers it too).
    pub(crate) async fn start_tls_h2(leaf: &super::tls::Leaf) -> TestOrigin {
        let mut cfg = Arc::unwrap_or_clone(super::tls::server_config(leaf));
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        TestOrigin::start_with(Some(Arc::new(cfg))).await
    }

    async fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> TestOrigin {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind test origin");
        let addr = listener.local_addr().expect("test origin address");
        let shared = Arc::new(Shared::default());
        let acceptor_shared = Arc::clone(&shared);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let conn_shared = Arc::clone(&acceptor_shared);
                let tls = acceptor.clone();
                let conn = tokio::spawn(async move {
                    match tls {
                        None => serve_origin_connection(stream, conn_shared, false).await,
                        Some(tls) => {
                            // A failed handshake (e.g. the edge distrusts the certificate)
                            // just ends this connection.
                            let handshake = tls.accept(stream);
                            if let Ok(Ok(stream)) =
                                tokio::time::timeout(Duration::from_secs(10), handshake).await
                            {
                                let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                                serve_origin_connection(stream, conn_shared, h2).await;
                            }
                        }
                    }
                });
                acceptor_shared.tasks.lock().push(conn.abort_handle());
            }
        });
        shared.tasks.lock().push(accept.abort_handle());
        TestOrigin {
            addr,
            shared,
            scheme,
        }
    }

    /// `http://127.0.0.1:PORT` (`https://` for [`TestOrigin::start_tls`]).
    pub(crate) fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// `127.0.0.1:PORT` (what the edge must send as `Host`).
    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    pub(crate) fn authority(&self) -> String {
        self.addr.to_string()
    }

    /// Sets (or replaces) the reply for an exact target (`/a` or `/a?x=1`).
    pub(crate) fn route(&self, target: &str, reply: Reply) {
        self.shared
            .routes
            .lock()
            .exact
            .insert(target.to_owned(), Route::Fixed(reply));
    }

    /// Sets (or replaces) the reply for every path starting with `prefix`.
    pub(crate) fn route_prefix(&self, prefix: &str, reply: Reply) {
        let mut routes = self.shared.routes.lock();
        routes.prefixes.retain(|(p, _)| p != prefix);
        routes
            .prefixes
            .push((prefix.to_owned(), Route::Fixed(reply)));
    }

    /// Sets (or replaces) a closure computing the reply for an exact target.
    pub(crate) fn route_fn(
        &self,
        target: &str,
        f: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) {
        self.shared
            .routes
            .lock()
            .exact
            .insert(target.to_owned(), Route::Dynamic(Arc::new(f)));
    }

    /// Number of requests received for exactly this target (path and query).
    pub(crate) fn hits(&self, target: &str) -> usize {
        self.shared
            .log
            .lock()
            .iter()
            .filter(|r| r.target == target)
            .count()
    }

    /// Number of connections accepted so far (HTTPS: handshakes completed).
    pub(crate) fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Number of requests received in total.
    pub(crate) fn total(&self) -> usize {
        self.shared.log.lock().len()
    }

    /// Every request received so far, in arrival order.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().clone()
    }

    /// `METHOD target` of every request, for assertion messages.
    pub(crate) fn request_lines(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .iter()
            .map(|r| format!("{} {}", r.method, r.target))
            .collect()
    }

    /// The most recent request for exactly this target.
    pub(crate) fn last_request(&self, target: &str) -> Option<Recorded> {
        self.shared
            .log
            .lock()
            .iter()
            .rev()
            .find(|r| r.target == target)
            .cloned()
    }

    /// The most recent request for this target; panics if there is none.
    #[track_caller]
    pub(crate) fn expect_last(&self, target: &str) -> Recorded {
        self.last_request(target).unwrap_or_else(|| {
            panic!(
                "origin never received {target}; it received {:?}",
                self.request_lines()
            )
        })
    }

    /// Polls (every 10 ms, at most `limit`) until `hits(target) >= n`; returns the final count.
    pub(crate) async fn wait_for_hits(&self, target: &str, n: usize, limit: Duration) -> usize {
        super::eventually(limit, || self.hits(target) >= n).await;
        self.hits(target)
    }

    /// The offset (seconds ahead of real time) of the clock stamping `Date` on replies that do
    /// not set one. [`super::Edge::advance_clock`] moves it together with the edge's manual
    /// clock, so that simulated time passes for the origin too.
    pub(crate) fn clock_offset(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.shared.clock_offset)
    }

    /// Stops listening and drops every connection: the port now refuses connections.
    pub(crate) fn shutdown(&self) {
        for task in self.shared.tasks.lock().drain(..) {
            task.abort();
        }
    }
}

impl Drop for TestOrigin {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Parses an IMF-fixdate into seconds since the epoch.
fn parse_http_date(s: &str) -> Option<i64> {
    let f: Vec<&str> = s.split_whitespace().collect();
    let [_, day, mon, year, time, "GMT"] = f.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == mon)? as i64 + 1;
    let (d, y): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let t: Vec<i64> = time
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, sec] = t.as_slice() else {
        return None;
    };
    // Days-from-civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + sec)
}

#[test]
fn parse_http_date_round_trips_with_formatter() {
    for secs in [0u64, 784_111_777, 951_782_400, 1_700_000_000] {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(
            parse_http_date(&super::http_date(t)),
            Some(secs as i64),
            "secs {secs}"
        );
    }
}

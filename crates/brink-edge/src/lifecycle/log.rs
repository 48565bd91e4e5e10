//! Phase 8, **log**: one access-log record and one metrics observation per request, emitted when
//! the response body has been sent (or abandoned), so `sc-bytes`, `time-taken` and aborted
//! responses are known (cloudfront.md §9).
//!
//! The response body is wrapped in [`Logged`], which counts bytes as hyper pulls them. When
//! no access log is configured only the metrics are updated and no request data is copied.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use brink_telemetry::{AccessLog, AccessRecord, EdgeMetrics, RequestCounters, ResultType};
use bytes::Bytes;
use http::{header, HeaderMap, Method, Request, Response, Version};
use http_body::{Frame, SizeHint};

use crate::body::{BodyError, EdgeBody};

use super::Ctx;

/// Telemetry: the metrics registry and the access log, shared by every worker. Each worker
/// holds its own copy of this small struct, so the reference each response body takes is
/// counted on a cache line of that worker's, not one both cores fight over.
#[derive(Debug, Clone)]
pub(crate) struct Telemetry {
    pub(crate) metrics: Arc<EdgeMetrics>,
    pub(crate) log: Option<Arc<AccessLog>>,
    pub(crate) pop: Arc<str>,
    /// Cache counters as of the last scrape, to add only what changed since.
    pub(crate) scraped: Arc<parking_lot::Mutex<Scraped>>,
}

/// Counters of the cache as last copied into the metrics.
#[derive(Debug, Default)]
pub(crate) struct Scraped {
    memory_evictions: u64,
    disk_evictions: u64,
    collapsed: u64,
    disk_errors: u64,
}

impl Telemetry {
    /// Brings cache gauges and counters up to date and renders the metrics page.
    pub(crate) fn render(&self, cache: &brink_cache::Cache) -> String {
        use brink_telemetry::Tier;
        use std::sync::atomic::Ordering::Relaxed;
        let m = &self.metrics;
        m.set_cache(
            Tier::Memory,
            cache.used_bytes(),
            cache.object_count() as u64,
        );
        let mut last = self.scraped.lock();
        let evictions = cache.stats.evictions.load(Relaxed);
        m.add_evictions(
            Tier::Memory,
            evictions.saturating_sub(last.memory_evictions),
        );
        last.memory_evictions = evictions;
        let collapsed = cache.stats.collapsed.load(Relaxed);
        for _ in last.collapsed..collapsed {
            m.inc_coalesced_waits();
        }
        last.collapsed = collapsed;
        if let Some(disk) = cache.disk() {
            m.set_cache(Tier::Disk, disk.used_bytes(), disk.file_count() as u64);
            let ev = disk.stats.evictions.load(Relaxed);
            m.add_evictions(Tier::Disk, ev.saturating_sub(last.disk_evictions));
            last.disk_evictions = ev;
            let errors = disk.stats.errors.load(Relaxed) + disk.stats.corrupt.load(Relaxed);
            for _ in last.disk_errors..errors {
                m.inc_disk_errors();
            }
            last.disk_errors = errors;
        }
        let mut out = m.encode();
        encode_bans(&mut out, &cache.ban_stats());
        out
    }
}

/// The ban list's figures (`brink_cache::Cache::ban_stats`), in the metrics page's format.
fn encode_bans(out: &mut String, b: &brink_cache::BanStats) {
    use std::fmt::Write;
    let _ = write!(
        out,
        "# HELP brink_cache_bans_active Invalidation bans not yet retired by the lurker.\n\
         # TYPE brink_cache_bans_active gauge\n\
         brink_cache_bans_active {}\n\
         # HELP brink_cache_bans_total Invalidation bans added since start.\n\
         # TYPE brink_cache_bans_total counter\n\
         brink_cache_bans_total {}\n\
         # HELP brink_cache_ban_removals_total Objects removed because a ban matched them, by who met them first.\n\
         # TYPE brink_cache_ban_removals_total counter\n\
         brink_cache_ban_removals_total{{by=\"lurker\"}} {}\n\
         brink_cache_ban_removals_total{{by=\"lookup\"}} {}\n",
        b.active, b.added, b.lurker_removals, b.lookup_removals
    );
}

/// What the log phase needs about the distribution and cache behavior that served a request
/// (`brink edge`). Route builds one per behavior when a configuration is loaded, so tagging a
/// request costs an `Arc` clone: nothing is formatted or looked up per request.
#[derive(Debug)]
pub(crate) struct LogTag {
    /// The distribution's `Id`: names its log files, the `DistributionId` field and the
    /// `distribution` metric label.
    distribution: Arc<str>,
    /// The distribution's own `DomainName`, which CloudFront logs as `cs(Host)` whatever
    /// `Host` the viewer sent (that one goes to `x-host-header`, cloudfront.md §9).
    domain_name: Arc<str>,
    /// `cache-behavior-path-pattern`: the behavior's `PathPattern`, `*` for the default one.
    path_pattern: Arc<str>,
    /// The distribution's request counters, fetched from the registry on this tag's first
    /// request (one lock per behavior and worker, then a pointer).
    counters: OnceLock<Arc<RequestCounters>>,
}

impl LogTag {
    /// `path_pattern` is `None` for the default behavior.
    pub(crate) fn new(distribution: &str, domain_name: &str, path_pattern: Option<&str>) -> LogTag {
        LogTag {
            distribution: distribution.into(),
            domain_name: domain_name.into(),
            path_pattern: path_pattern.unwrap_or("*").into(),
            counters: OnceLock::new(),
        }
    }

    /// The distribution's `Id`.
    pub(crate) fn distribution(&self) -> &str {
        &self.distribution
    }

    fn counters(&self, metrics: &EdgeMetrics) -> &RequestCounters {
        self.counters
            .get_or_init(|| metrics.distribution(&self.distribution))
    }
}

/// What the log needs from the request, captured before the request is consumed.
#[derive(Debug)]
pub(crate) struct RequestFacts {
    method: Method,
    uri_stem: String,
    uri_query: Option<String>,
    host_header: String,
    referer: Option<String>,
    user_agent: Option<String>,
    forwarded_for: Option<String>,
    version: &'static str,
    cs_bytes: u64,
    /// A WebSocket handshake: logged with protocol `ws`/`wss` (cloudfront.md §8.4).
    websocket: bool,
}

fn header_string(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

impl RequestFacts {
    pub(crate) fn capture<B>(req: &Request<B>) -> RequestFacts {
        let h = req.headers();
        let host_header = req
            .uri()
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| header_string(h, header::HOST))
            .unwrap_or_default();
        let body_len = h
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let target_len = req.uri().path_and_query().map_or(1, |p| p.as_str().len());
        RequestFacts {
            method: req.method().clone(),
            uri_stem: req.uri().path().to_owned(),
            uri_query: req.uri().query().map(str::to_owned),
            host_header,
            referer: header_string(h, header::REFERER),
            user_agent: header_string(h, header::USER_AGENT),
            forwarded_for: header_string(h, header::HeaderName::from_static("x-forwarded-for")),
            version: version_str(req.version()),
            cs_bytes: (crate::headers::header_bytes(h) + target_len + 16) as u64 + body_len,
            websocket: h
                .get(header::UPGRADE)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket")),
        }
    }
}

/// Everything the record needs, kept until the body ends.
#[derive(Debug)]
struct Pending {
    facts: Option<Box<RequestFacts>>,
    client: SocketAddr,
    tls: Option<crate::tls::TlsInfo>,
    request_id: String,
    status: u16,
    result: ResultType,
    detailed: &'static str,
    head_bytes: u64,
    content_type: Option<String>,
    content_len: Option<u64>,
    range: Option<(u64, u64)>,
    cs_bytes_no_facts: u64,
    tag: Option<Arc<LogTag>>,
}

/// A response body that reports to telemetry when it ends or is dropped.
#[derive(Debug)]
pub struct Logged {
    inner: EdgeBody,
    telemetry: Arc<Telemetry>,
    pending: Option<Pending>,
    started: Instant,
    first_byte: Option<Duration>,
    sent: u64,
    complete: bool,
}

fn content_range(h: &HeaderMap) -> Option<(u64, u64)> {
    let v = h.get(header::CONTENT_RANGE)?.to_str().ok()?;
    let (a, b) = v
        .strip_prefix("bytes ")?
        .split_once('/')?
        .0
        .split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Wraps `resp` for the log phase, which runs when its body ends or is dropped. The result
/// types come from the context's [`CacheStatus`](super::CacheStatus); an edge error's cause
/// overrides the detailed one.
pub(crate) fn wrap(
    resp: Response<EdgeBody>,
    telemetry: &Arc<Telemetry>,
    ctx: Ctx,
) -> Response<Logged> {
    let status = resp.status().as_u16();
    let h = resp.headers();
    let result = ctx.status.result_type(status);
    let head_bytes = (crate::headers::header_bytes(h) + 17) as u64;
    let log_on = ctx.facts.is_some();
    let pending = Pending {
        client: ctx.conn.peer,
        tls: ctx.conn.tls,
        request_id: if log_on {
            String::from_utf8_lossy(ctx.id.as_bytes()).into_owned()
        } else {
            String::new()
        },
        status,
        result,
        detailed: ctx.detailed.unwrap_or(result.as_str()),
        head_bytes,
        content_type: if log_on {
            header_string(h, header::CONTENT_TYPE)
        } else {
            None
        },
        content_len: h
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok()),
        range: if log_on { content_range(h) } else { None },
        facts: ctx.facts,
        cs_bytes_no_facts: ctx.cs_bytes,
        tag: ctx.tag,
    };
    let telemetry = telemetry.clone();
    resp.map(|inner| {
        let complete = http_body::Body::is_end_stream(&inner);
        Logged {
            inner,
            telemetry,
            pending: Some(pending),
            started: ctx.started,
            first_byte: None,
            sent: 0,
            complete,
        }
    })
}

impl Logged {
    fn emit(&mut self) {
        let Some(p) = self.pending.take() else { return };
        let elapsed = self.started.elapsed();
        let sc_bytes = p.head_bytes + self.sent;
        // A body that did not reach its end: the viewer went away or the origin failed.
        let (response_result, detailed) = if self.complete {
            (p.result, p.detailed)
        } else {
            (ResultType::Error, "ClientCommError")
        };
        let cs_bytes = p.facts.as_ref().map_or(p.cs_bytes_no_facts, |f| f.cs_bytes);
        let metrics = &self.telemetry.metrics;
        metrics.observe_request_in(
            p.tag.as_deref().map(|t| t.counters(metrics)),
            p.result,
            p.status,
            cs_bytes,
            sc_bytes,
        );
        let (Some(log), Some(f)) = (&self.telemetry.log, p.facts) else {
            return;
        };
        let f = *f;
        log.log(AccessRecord {
            end: SystemTime::now(),
            edge_location: self.telemetry.pop.clone(),
            sc_bytes,
            client: p.client,
            method: f.method,
            // `brink serve` has no distribution name: the viewer's Host stands in.
            host: match &p.tag {
                Some(t) => t.domain_name.to_string(),
                None => f.host_header.clone(),
            },
            uri_stem: f.uri_stem,
            status: p.status,
            referer: f.referer,
            user_agent: f.user_agent,
            uri_query: f.uri_query,
            cookie: None,
            result_type: p.result,
            request_id: p.request_id,
            host_header: f.host_header,
            protocol: match (p.tls.is_some(), f.websocket) {
                (true, true) => "wss",
                (true, false) => "https",
                (false, true) => "ws",
                (false, false) => "http",
            },
            cs_bytes,
            time_taken: elapsed,
            forwarded_for: f.forwarded_for,
            ssl_protocol: p.tls.as_ref().map(|t| t.protocol),
            ssl_cipher: p.tls.as_ref().map(|t| t.cipher),
            response_result_type: response_result,
            protocol_version: f.version,
            time_to_first_byte: self.first_byte.unwrap_or(elapsed),
            detailed_result_type: detailed.to_owned(),
            content_type: p.content_type,
            content_len: p.content_len,
            range_start: p.range.map(|r| r.0),
            range_end: p.range.map(|r| r.1),
            distribution_id: p.tag.as_ref().map(|t| t.distribution.clone()),
            behavior_path_pattern: p.tag.as_ref().map(|t| t.path_pattern.clone()),
        });
    }
}

impl http_body::Body for Logged {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.inner).poll_frame(cx);
        match &r {
            Poll::Ready(Some(Ok(f))) => {
                if this.first_byte.is_none() {
                    this.first_byte = Some(this.started.elapsed());
                }
                this.sent += f.data_ref().map_or(0, |d| d.len() as u64);
            }
            Poll::Ready(None) => {
                this.complete = true;
                this.emit();
            }
            Poll::Ready(Some(Err(_))) => this.emit(),
            Poll::Pending => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        self.emit();
    }
}

//! The edge's Prometheus metrics.
//!
//! [`EdgeMetrics`] is one fixed set of counters, gauges and a histogram, each stored in plain
//! atomics: every label set is known in advance (result type × status code, origin outcome,
//! cache tier), so the per-request calls are an array index and a relaxed `fetch_add` — no lock,
//! no hash lookup, no allocation. The request counters also exist once per distribution
//! ([`RequestCounters`], label `distribution`): the edge fetches a distribution's set when it
//! loads a configuration and hands it back with each request, so the label costs a pointer,
//! not a lookup. [`EdgeMetrics::encode`] renders them in the Prometheus text
//! exposition format 0.0.4 ([`CONTENT_TYPE`]), which every Prometheus server scrapes.
//!
//! Why hand-written and not the `prometheus-client` crate: that crate (0.23–0.26) only emits
//! OpenMetrics text, where a counter family is declared without its `_total` suffix
//! (`# TYPE brink_requests counter` then `brink_requests_total …`); `promtool check metrics`
//! (2.42, Debian's) reads the 0.0.4 format and rejects that with "no help text". Its label
//! families are also a `RwLock<HashMap>` looked up on every increment. Our metric set is small
//! and fixed, so ~200 lines of atomics and `write!` give both the cheaper hot path and output
//! that `promtool` accepts without lint warnings (checked by `tests/promtool.rs`).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::access_log::{AccessLogStats, ResultType};

/// The `Content-Type` to serve [`EdgeMetrics::encode`]'s output with.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How an origin fetch ended, the `outcome` label of `brink_origin_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OriginOutcome {
    /// Response headers were received (whatever the status).
    Ok,
    /// No connection: DNS, TCP or TLS failure.
    ConnectError,
    /// The connection or response timeout expired (`cloudfront.md` §7.2).
    Timeout,
    /// The origin answered with something that is not valid HTTP, or closed mid-response.
    ProtocolError,
}

impl OriginOutcome {
    /// Every variant, in declaration order (`ALL[o as usize] == o`).
    pub const ALL: [OriginOutcome; 4] = [
        OriginOutcome::Ok,
        OriginOutcome::ConnectError,
        OriginOutcome::Timeout,
        OriginOutcome::ProtocolError,
    ];

    /// The label value: `ok`, `connect_error`, `timeout` or `protocol_error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OriginOutcome::Ok => "ok",
            OriginOutcome::ConnectError => "connect_error",
            OriginOutcome::Timeout => "timeout",
            OriginOutcome::ProtocolError => "protocol_error",
        }
    }
}

/// A cache storage tier, the `tier` label of the cache metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// The in-memory tier.
    Memory,
    /// The on-disk tier.
    Disk,
}

impl Tier {
    /// Every variant, in declaration order (`ALL[t as usize] == t`).
    pub const ALL: [Tier; 2] = [Tier::Memory, Tier::Disk];

    /// The label value: `memory` or `disk`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Tier::Memory => "memory",
            Tier::Disk => "disk",
        }
    }
}

/// Status codes 0–999 get their own slot (0 is the log's `000`, the viewer left); anything
/// larger, which `http::StatusCode` cannot hold anyway, shares the last slot, labelled `other`.
const STATUS_SLOTS: usize = 1001;

/// Upper bounds of `brink_origin_duration_seconds`, from 1 ms to 30 s, as (nanoseconds, label).
/// Integers, so a duration exactly on a bound lands in that bucket (`le` is "less or equal").
const BUCKETS: [(u64, &str); 14] = [
    (1_000_000, "0.001"),
    (2_500_000, "0.0025"),
    (5_000_000, "0.005"),
    (10_000_000, "0.01"),
    (25_000_000, "0.025"),
    (50_000_000, "0.05"),
    (100_000_000, "0.1"),
    (250_000_000, "0.25"),
    (500_000_000, "0.5"),
    (1_000_000_000, "1"),
    (2_500_000_000, "2.5"),
    (5_000_000_000, "5"),
    (10_000_000_000, "10"),
    (30_000_000_000, "30"),
];

/// A histogram with the fixed [`BUCKETS`]. Counts are kept per bucket (not cumulative) so an
/// observation is one increment; [`Histogram::encode`] accumulates.
#[derive(Debug, Default)]
struct Histogram {
    /// One slot per bound plus the overflow (`+Inf` only).
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let slot = BUCKETS
            .iter()
            .position(|&(bound, _)| nanos <= bound)
            .unwrap_or(BUCKETS.len());
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn encode(&self, out: &mut String, name: &str) {
        let mut cumulative = 0u64;
        for (i, &(_, le)) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        cumulative += self.counts[BUCKETS.len()].load(Ordering::Relaxed);
        // `_count` is the `+Inf` bucket by definition; computing both from the same loads keeps
        // them equal even while other threads observe.
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

/// Request counters of one scope: the whole edge outside distributions (`brink serve`, or
/// requests no distribution claimed), or one distribution of `brink edge`
/// ([`EdgeMetrics::distribution`]).
///
/// `brink_requests_total` has 7 result types × 1,001 status slots; a set for each of hundreds
/// of distributions must not cost 56 KiB each, so the slots come in chunks of 100 statuses
/// per result type, allocated the first time a status of that chunk is counted (a typical
/// distribution touches four or five chunks, ~4 KiB). After that, counting is an atomic load
/// (the chunk is there) and a relaxed `fetch_add`, as before.
pub struct RequestCounters {
    /// `chunks[result * CHUNKS + slot / 100][slot % 100]`.
    chunks: [OnceLock<Box<[AtomicU64; CHUNK]>>; ResultType::ALL.len() * CHUNKS],
    request_bytes: AtomicU64,
    response_bytes: AtomicU64,
}

/// Statuses per chunk of [`RequestCounters`].
const CHUNK: usize = 100;
/// Chunks per result type: 0–999 in ten, `other` alone in the eleventh.
const CHUNKS: usize = STATUS_SLOTS.div_ceil(CHUNK);

impl std::fmt::Debug for RequestCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestCounters")
            .field("request_bytes", &self.request_bytes)
            .field("response_bytes", &self.response_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for RequestCounters {
    fn default() -> Self {
        RequestCounters {
            chunks: std::array::from_fn(|_| OnceLock::new()),
            request_bytes: AtomicU64::new(0),
            response_bytes: AtomicU64::new(0),
        }
    }
}

impl RequestCounters {
    fn observe(&self, result: ResultType, status: u16, bytes_in: u64, bytes_out: u64) {
        let slot = usize::from(status).min(STATUS_SLOTS - 1);
        let chunk = self.chunks[result as usize * CHUNKS + slot / CHUNK]
            .get_or_init(|| Box::new(std::array::from_fn(|_| AtomicU64::new(0))));
        chunk[slot % CHUNK].fetch_add(1, Ordering::Relaxed);
        self.request_bytes.fetch_add(bytes_in, Ordering::Relaxed);
        self.response_bytes.fetch_add(bytes_out, Ordering::Relaxed);
    }

    /// The count of `result` × `status` (0 for a chunk never touched).
    pub fn requests(&self, result: ResultType, status: u16) -> u64 {
        let slot = usize::from(status).min(STATUS_SLOTS - 1);
        self.chunks[result as usize * CHUNKS + slot / CHUNK]
            .get()
            .map_or(0, |c| c[slot % CHUNK].load(Ordering::Relaxed))
    }

    /// Bytes received from viewers (`cs-bytes` summed).
    pub fn request_bytes(&self) -> u64 {
        self.request_bytes.load(Ordering::Relaxed)
    }

    /// Bytes sent to viewers (`sc-bytes` summed).
    pub fn response_bytes(&self) -> u64 {
        self.response_bytes.load(Ordering::Relaxed)
    }

    /// Writes the non-zero `brink_requests_total` samples, `labels` (e.g.
    /// `distribution="E1",`) first.
    fn encode_requests(&self, out: &mut String, labels: &str) {
        for result in ResultType::ALL {
            for c in 0..CHUNKS {
                let Some(chunk) = self.chunks[result as usize * CHUNKS + c].get() else {
                    continue;
                };
                for (i, n) in chunk.iter().enumerate() {
                    let n = n.load(Ordering::Relaxed);
                    let slot = c * CHUNK + i;
                    if n == 0 || slot >= STATUS_SLOTS {
                        continue;
                    }
                    let _ = write!(
                        out,
                        "brink_requests_total{{{labels}result=\"{result}\",status=\""
                    );
                    if slot == STATUS_SLOTS - 1 {
                        out.push_str("other");
                    } else {
                        let _ = write!(out, "{slot:03}");
                    }
                    let _ = writeln!(out, "\"}} {n}");
                }
            }
        }
    }
}

/// A Prometheus label value with `\`, `"` and line feeds escaped (text format 0.0.4).
fn label_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// All metrics of one edge process. Create one at start-up, share it (`Arc`), call the
/// `observe_*`/`set_*`/`add_*` methods from the edge, and serve [`EdgeMetrics::encode`] on the
/// admin listener's `/metrics`.
pub struct EdgeMetrics {
    /// `brink_requests_total` and the byte counters outside any distribution (no
    /// `distribution` label).
    requests: RequestCounters,
    /// The same per distribution id (label `distribution`), created by
    /// [`EdgeMetrics::distribution`] when a configuration is loaded and kept for the life of the
    /// process (counters must not go back to zero when a reload drops and re-adds one).
    distributions: Mutex<Vec<(Arc<str>, Arc<RequestCounters>)>>,
    origin_duration: Histogram,
    origin_requests: [AtomicU64; OriginOutcome::ALL.len()],
    cache_bytes: [AtomicU64; Tier::ALL.len()],
    cache_objects: [AtomicU64; Tier::ALL.len()],
    cache_evictions: [AtomicU64; Tier::ALL.len()],
    coalesced_waits: AtomicU64,
    disk_errors: AtomicU64,
    zero_copy_bytes: AtomicU64,
    access_log: OnceLock<AccessLogStats>,
}

impl std::fmt::Debug for EdgeMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The 7,007 request counters would drown everything else.
        f.debug_struct("EdgeMetrics").finish_non_exhaustive()
    }
}

impl Default for EdgeMetrics {
    fn default() -> Self {
        EdgeMetrics::new()
    }
}

impl EdgeMetrics {
    /// All metrics at zero, no access log attached.
    pub fn new() -> EdgeMetrics {
        EdgeMetrics {
            requests: RequestCounters::default(),
            distributions: Mutex::new(Vec::new()),
            origin_duration: Histogram::default(),
            origin_requests: Default::default(),
            cache_bytes: Default::default(),
            cache_objects: Default::default(),
            cache_evictions: Default::default(),
            coalesced_waits: AtomicU64::new(0),
            disk_errors: AtomicU64::new(0),
            zero_copy_bytes: AtomicU64::new(0),
            access_log: OnceLock::new(),
        }
    }

    /// Counts one finished viewer request: `brink_requests_total{result,status}` +1,
    /// `brink_request_bytes_total` + `bytes_in`, `brink_response_bytes_total` + `bytes_out`.
    /// Call it where the access record is built, with the same values (`status` 0 = the viewer
    /// left before the response, labelled `000`).
    pub fn observe_request(&self, result: ResultType, status: u16, bytes_in: u64, bytes_out: u64) {
        self.requests.observe(result, status, bytes_in, bytes_out);
    }

    /// Like [`EdgeMetrics::observe_request`], counted in `distribution`'s set (from
    /// [`EdgeMetrics::distribution`]) when there is one, else outside distributions.
    pub fn observe_request_in(
        &self,
        distribution: Option<&RequestCounters>,
        result: ResultType,
        status: u16,
        bytes_in: u64,
        bytes_out: u64,
    ) {
        distribution
            .unwrap_or(&self.requests)
            .observe(result, status, bytes_in, bytes_out);
    }

    /// The counter set of distribution `id` (label `distribution="id"`), created on first
    /// call. Takes a lock: call it when a configuration is loaded, keep the `Arc`, and pass
    /// it to [`EdgeMetrics::observe_request_in`] per request.
    pub fn distribution(&self, id: &str) -> Arc<RequestCounters> {
        let mut all = self
            .distributions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, c)) = all.iter().find(|(d, _)| &**d == id) {
            return c.clone();
        }
        let c = Arc::new(RequestCounters::default());
        all.push((id.into(), c.clone()));
        c
    }

    /// Counts one origin fetch in `brink_origin_requests_total{outcome}`. For
    /// [`OriginOutcome::Ok`], `duration` (request sent → response headers received) also goes
    /// into `brink_origin_duration_seconds`; failures have no response headers to time, so their
    /// duration is ignored.
    pub fn observe_origin(&self, outcome: OriginOutcome, duration: Duration) {
        self.origin_requests[outcome as usize].fetch_add(1, Ordering::Relaxed);
        if outcome == OriginOutcome::Ok {
            self.origin_duration.observe(duration);
        }
    }

    /// Sets the gauges `brink_cache_bytes{tier}` and `brink_cache_objects{tier}` to the tier's
    /// current size.
    pub fn set_cache(&self, tier: Tier, bytes: u64, objects: u64) {
        self.cache_bytes[tier as usize].store(bytes, Ordering::Relaxed);
        self.cache_objects[tier as usize].store(objects, Ordering::Relaxed);
    }

    /// Adds `n` to `brink_cache_evictions_total{tier}`.
    pub fn add_evictions(&self, tier: Tier, n: u64) {
        self.cache_evictions[tier as usize].fetch_add(n, Ordering::Relaxed);
    }

    /// Counts a request that waited for another request's origin fetch of the same object
    /// (`brink_coalesced_waits_total`).
    pub fn inc_coalesced_waits(&self) {
        self.coalesced_waits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed disk-cache read or write (`brink_disk_errors_total`).
    pub fn inc_disk_errors(&self) {
        self.disk_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n` to `brink_zero_copy_bytes_total`: body bytes the kernel sent from a file
    /// (`sendfile(2)`) without a copy through the edge's memory.
    pub fn add_zero_copy_bytes(&self, n: u64) {
        self.zero_copy_bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Makes `brink_access_log_dropped_total` and `brink_access_log_write_errors_total` report
    /// the given access log's counters (see [`crate::AccessLog::stats`]). Until then both read 0.
    /// Returns `false`, changing nothing, when a log was already attached.
    pub fn attach_access_log(&self, stats: AccessLogStats) -> bool {
        self.access_log.set(stats).is_ok()
    }

    /// The current value of `brink_requests_total{result,status}` (for tests and admin pages).
    pub fn requests(&self, result: ResultType, status: u16) -> u64 {
        self.requests.requests(result, status)
    }

    /// Renders every metric in the Prometheus text format 0.0.4; serve it with
    /// [`CONTENT_TYPE`]. Request counters that are still zero are left out (there are 7,007
    /// possible label sets); the fixed small families are always listed.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.encode_into(&mut out);
        out
    }

    /// Like [`EdgeMetrics::encode`], appending to `out` so a caller can reuse the buffer.
    pub fn encode_into(&self, out: &mut String) {
        // Samples of one distribution carry `distribution="<Id>"`; those outside any
        // distribution (`brink serve`, unknown hosts) carry no such label, which Prometheus
        // treats like an empty value: `sum by (distribution)` keeps them apart.
        let dists: Vec<(String, Arc<RequestCounters>)> = {
            let all = self
                .distributions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let mut v: Vec<_> = all
                .iter()
                .map(|(id, c)| (format!("distribution=\"{}\",", label_value(id)), c.clone()))
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        header(
            out,
            "brink_requests_total",
            "counter",
            "Viewer requests, by distribution, edge result type (x-edge-result-type) and status (000: viewer left).",
        );
        self.requests.encode_requests(out, "");
        for (labels, c) in &dists {
            c.encode_requests(out, labels);
        }
        for (name, help, get) in [
            (
                "brink_request_bytes_total",
                "Bytes received from viewers, headers included (cs-bytes), by distribution.",
                RequestCounters::request_bytes as fn(&RequestCounters) -> u64,
            ),
            (
                "brink_response_bytes_total",
                "Bytes sent to viewers, headers included (sc-bytes), by distribution.",
                RequestCounters::response_bytes,
            ),
        ] {
            header(out, name, "counter", help);
            let _ = writeln!(out, "{name} {}", get(&self.requests));
            for (labels, c) in &dists {
                let labels = labels.trim_end_matches(',');
                let _ = writeln!(out, "{name}{{{labels}}} {}", get(c));
            }
        }
        header(
            out,
            "brink_origin_duration_seconds",
            "histogram",
            "Time from sending a request to the origin to receiving its response headers.",
        );
        self.origin_duration
            .encode(out, "brink_origin_duration_seconds");
        header(
            out,
            "brink_origin_requests_total",
            "counter",
            "Requests sent to origins, by outcome.",
        );
        for o in OriginOutcome::ALL {
            let n = self.origin_requests[o as usize].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "brink_origin_requests_total{{outcome=\"{}\"}} {n}",
                o.as_str()
            );
        }
        by_tier(
            out,
            "brink_cache_bytes",
            "gauge",
            "Bytes of cached objects, by tier.",
            &self.cache_bytes,
        );
        by_tier(
            out,
            "brink_cache_objects",
            "gauge",
            "Cached objects, by tier.",
            &self.cache_objects,
        );
        by_tier(
            out,
            "brink_cache_evictions_total",
            "counter",
            "Objects evicted from the cache to make room, by tier.",
            &self.cache_evictions,
        );
        counter(
            out,
            "brink_coalesced_waits_total",
            "Requests that waited for a concurrent origin fetch of the same object instead of fetching it.",
            &self.coalesced_waits,
        );
        let (dropped, write_errors) = self
            .access_log
            .get()
            .map_or((0, 0), |s| (s.dropped(), s.write_errors()));
        header(
            out,
            "brink_access_log_dropped_total",
            "counter",
            "Access-log records dropped because the writer's queue was full.",
        );
        let _ = writeln!(out, "brink_access_log_dropped_total {dropped}");
        header(
            out,
            "brink_access_log_write_errors_total",
            "counter",
            "Access-log I/O failures (each lost record, failed flush or close).",
        );
        let _ = writeln!(out, "brink_access_log_write_errors_total {write_errors}");
        counter(
            out,
            "brink_disk_errors_total",
            "Failed disk-cache reads and writes.",
            &self.disk_errors,
        );
        counter(
            out,
            "brink_zero_copy_bytes_total",
            "Response body bytes sent with sendfile(2), straight from a cache file to the socket.",
            &self.zero_copy_bytes,
        );
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, v: &AtomicU64) {
    header(out, name, "counter", help);
    let _ = writeln!(out, "{name} {}", v.load(Ordering::Relaxed));
}

fn by_tier(out: &mut String, name: &str, kind: &str, help: &str, v: &[AtomicU64; Tier::ALL.len()]) {
    header(out, name, kind, help);
    for t in Tier::ALL {
        let n = v[t as usize].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}{{tier=\"{}\"}} {n}", t.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample line `name_and_labels value`, if present.
    fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
        text.lines().find_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            (k == name_and_labels).then(|| v.parse().unwrap())
        })
    }

    #[test]
    fn requests_by_result_and_status() {
        let m = EdgeMetrics::new();
        m.observe_request(ResultType::Hit, 200, 100, 1000);
        m.observe_request(ResultType::Hit, 200, 50, 500);
        m.observe_request(ResultType::Error, 0, 10, 0);
        m.observe_request(ResultType::Miss, 404, 1, 2);
        m.observe_request(ResultType::Error, 4242, 0, 0);
        assert_eq!(m.requests(ResultType::Hit, 200), 2);
        let t = m.encode();
        assert_eq!(
            sample(&t, "brink_requests_total{result=\"Hit\",status=\"200\"}"),
            Some(2.0)
        );
        assert_eq!(
            sample(&t, "brink_requests_total{result=\"Error\",status=\"000\"}"),
            Some(1.0)
        );
        assert_eq!(
            sample(&t, "brink_requests_total{result=\"Miss\",status=\"404\"}"),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &t,
                "brink_requests_total{result=\"Error\",status=\"other\"}"
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(&t, "brink_requests_total{result=\"Miss\",status=\"200\"}"),
            None,
            "zero counters are omitted"
        );
        assert_eq!(sample(&t, "brink_request_bytes_total"), Some(161.0));
        assert_eq!(sample(&t, "brink_response_bytes_total"), Some(1502.0));
    }

    #[test]
    fn requests_by_distribution() {
        let m = EdgeMetrics::new();
        let a = m.distribution("EDFDVBD6EXAMPLE");
        let b = m.distribution("E2\"odd\\");
        assert!(
            Arc::ptr_eq(&a, &m.distribution("EDFDVBD6EXAMPLE")),
            "one set per id"
        );
        m.observe_request_in(Some(&a), ResultType::Hit, 200, 10, 100);
        m.observe_request_in(Some(&a), ResultType::Hit, 200, 10, 100);
        m.observe_request_in(Some(&b), ResultType::Miss, 200, 1, 2);
        m.observe_request_in(None, ResultType::Error, 403, 5, 50);
        assert_eq!(a.requests(ResultType::Hit, 200), 2);
        assert_eq!(a.requests(ResultType::Miss, 200), 0);
        assert_eq!(m.requests(ResultType::Hit, 200), 0, "not counted outside");
        let t = m.encode();
        let at = |k: &str| sample(&t, k);
        assert_eq!(
            at("brink_requests_total{distribution=\"EDFDVBD6EXAMPLE\",result=\"Hit\",status=\"200\"}"),
            Some(2.0)
        );
        assert_eq!(
            at("brink_requests_total{distribution=\"E2\\\"odd\\\\\",result=\"Miss\",status=\"200\"}"),
            Some(1.0),
            "{t}"
        );
        assert_eq!(
            at("brink_requests_total{result=\"Error\",status=\"403\"}"),
            Some(1.0)
        );
        assert_eq!(
            at("brink_request_bytes_total{distribution=\"EDFDVBD6EXAMPLE\"}"),
            Some(20.0)
        );
        assert_eq!(
            at("brink_response_bytes_total{distribution=\"EDFDVBD6EXAMPLE\"}"),
            Some(200.0)
        );
        assert_eq!(at("brink_request_bytes_total"), Some(5.0));
        assert_eq!(t.matches("# TYPE brink_requests_total ").count(), 1);
    }

    #[test]
    fn every_status_slot_round_trips() {
        let c = RequestCounters::default();
        for status in [0, 99, 100, 199, 200, 999, 1000, 4242, u16::MAX] {
            c.observe(ResultType::Miss, status, 0, 0);
        }
        assert_eq!(c.requests(ResultType::Miss, 999), 1);
        assert_eq!(
            c.requests(ResultType::Miss, 1000),
            3,
            "1000 and up share `other`"
        );
        let mut out = String::new();
        c.encode_requests(&mut out, "");
        assert_eq!(out.lines().count(), 7, "{out}");
        assert!(out.contains("status=\"other\"} 3\n"));
        assert!(out.contains("status=\"000\"} 1\n"));
    }

    #[test]
    fn origin_histogram_is_cumulative() {
        let m = EdgeMetrics::new();
        m.observe_origin(OriginOutcome::Ok, Duration::from_micros(500));
        m.observe_origin(OriginOutcome::Ok, Duration::from_millis(1)); // on the bound: le=0.001
        m.observe_origin(OriginOutcome::Ok, Duration::from_millis(7));
        m.observe_origin(OriginOutcome::Ok, Duration::from_secs(31));
        m.observe_origin(OriginOutcome::Timeout, Duration::from_secs(30));
        m.observe_origin(OriginOutcome::ConnectError, Duration::from_millis(3));
        let t = m.encode();
        let b = |le: &str| {
            sample(
                &t,
                &format!("brink_origin_duration_seconds_bucket{{le=\"{le}\"}}"),
            )
        };
        assert_eq!(b("0.001"), Some(2.0));
        assert_eq!(b("0.005"), Some(2.0));
        assert_eq!(b("0.01"), Some(3.0));
        assert_eq!(b("30"), Some(3.0));
        assert_eq!(b("+Inf"), Some(4.0));
        assert_eq!(sample(&t, "brink_origin_duration_seconds_count"), Some(4.0));
        let sum = sample(&t, "brink_origin_duration_seconds_sum").unwrap();
        assert!((sum - 31.0085).abs() < 1e-9, "{sum}");
        assert_eq!(
            sample(&t, "brink_origin_requests_total{outcome=\"ok\"}"),
            Some(4.0)
        );
        assert_eq!(
            sample(&t, "brink_origin_requests_total{outcome=\"timeout\"}"),
            Some(1.0)
        );
        assert_eq!(
            sample(&t, "brink_origin_requests_total{outcome=\"connect_error\"}"),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &t,
                "brink_origin_requests_total{outcome=\"protocol_error\"}"
            ),
            Some(0.0)
        );
    }

    #[test]
    fn cache_gauges_and_counters() {
        let m = EdgeMetrics::new();
        m.set_cache(Tier::Memory, 1 << 20, 10);
        m.set_cache(Tier::Memory, 2 << 20, 20);
        m.set_cache(Tier::Disk, 5, 1);
        m.add_evictions(Tier::Memory, 3);
        m.add_evictions(Tier::Memory, 4);
        m.inc_coalesced_waits();
        m.inc_disk_errors();
        m.inc_disk_errors();
        let t = m.encode();
        assert_eq!(
            sample(&t, "brink_cache_bytes{tier=\"memory\"}"),
            Some(2_097_152.0)
        );
        assert_eq!(
            sample(&t, "brink_cache_objects{tier=\"memory\"}"),
            Some(20.0)
        );
        assert_eq!(sample(&t, "brink_cache_bytes{tier=\"disk\"}"), Some(5.0));
        assert_eq!(
            sample(&t, "brink_cache_evictions_total{tier=\"memory\"}"),
            Some(7.0)
        );
        assert_eq!(
            sample(&t, "brink_cache_evictions_total{tier=\"disk\"}"),
            Some(0.0)
        );
        assert_eq!(sample(&t, "brink_coalesced_waits_total"), Some(1.0));
        assert_eq!(sample(&t, "brink_disk_errors_total"), Some(2.0));
        assert_eq!(sample(&t, "brink_access_log_dropped_total"), Some(0.0));
    }

    #[test]
    fn every_family_has_help_and_type() {
        let t = EdgeMetrics::new().encode();
        let families = [
            "brink_requests_total",
            "brink_request_bytes_total",
            "brink_response_bytes_total",
            "brink_origin_duration_seconds",
            "brink_origin_requests_total",
            "brink_cache_bytes",
            "brink_cache_objects",
            "brink_cache_evictions_total",
            "brink_coalesced_waits_total",
            "brink_access_log_dropped_total",
            "brink_access_log_write_errors_total",
            "brink_disk_errors_total",
        ];
        for f in families {
            assert_eq!(t.matches(&format!("# HELP {f} ")).count(), 1, "{f}");
            assert_eq!(t.matches(&format!("# TYPE {f} ")).count(), 1, "{f}");
        }
        assert!(t.ends_with('\n'));
    }

    #[test]
    fn enum_indexes_match_all() {
        for (i, o) in OriginOutcome::ALL.iter().enumerate() {
            assert_eq!(*o as usize, i);
        }
        for (i, t) in Tier::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i);
        }
    }
}

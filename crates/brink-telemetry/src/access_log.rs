//! CloudFront standard access logs (`cloudfront.md` §9).
//!
//! [`AccessRecord`] is one request as the edge saw it; [`AccessRecord::write_line`] renders it as
//! the 33 tab-separated W3C fields CloudFront writes, so existing log tooling (GoAccess, Athena
//! tables, log shippers) reads Brink's logs unchanged. [`AccessLog`] moves records off the request
//! path to a writer thread that batches them into hourly files named like CloudFront's.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod writer;

pub use writer::{AccessLog, AccessLogConfig, AccessLogStats, DEFAULT_CAPACITY};

/// The `#Version:` header line every log file starts with.
pub const VERSION: &str = "#Version: 1.0";

/// The 33 field names, in the order [`AccessRecord::write_line`] writes them (`cloudfront.md` §9).
pub const FIELD_NAMES: [&str; 33] = [
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "cs(Cookie)",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
];

/// The `#Fields:` header line (without the newline): the names of [`FIELD_NAMES`] joined by spaces.
pub const FIELDS: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) \
cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type \
x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol \
ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port \
time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start \
sc-range-end";

/// Appends the two header lines (`#Version: 1.0` and `#Fields: …`) that open every log file.
pub fn write_header(out: &mut Vec<u8>) {
    out.extend_from_slice(VERSION.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(FIELDS.as_bytes());
    out.push(b'\n');
}

/// One field a log line can carry, named as CloudFront names it.
///
/// The first 33 are the standard (legacy) log's, in its order (`cloudfront.md` §9). The
/// others come from CloudFront's standard logging v2, where a delivery picks its fields from a
/// list (`aws logs create-delivery --record-fields date time DistributionId …`) that adds some
/// real-time log fields to the legacy ones:
///
/// - `DistributionId`: the distribution that served the request (v2's spelling; the
///   real-time logs have no such field, they are configured per distribution);
/// - `cache-behavior-path-pattern`: the `PathPattern` of the behavior that matched, `*` for
///   the default behavior (as the real-time logs write it);
/// - `timestamp(ms)`: when the response finished, in milliseconds since the Unix epoch.
///
/// Why a field selection rather than three more columns: the 33-field layout is what every
/// CloudFront tool parses by position (GoAccess's `CLOUDFRONT` format, Athena's table DDL),
/// so it stays the default, byte for byte; a v2 user who wants the distribution or the
/// behavior in the line chooses the fields exactly as in CloudFront, and the `#Fields:`
/// header names them, which is how v2-aware readers find their columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogField {
    /// `date`
    Date,
    /// `time`
    Time,
    /// `x-edge-location`
    EdgeLocation,
    /// `sc-bytes`
    ScBytes,
    /// `c-ip`
    ClientIp,
    /// `cs-method`
    Method,
    /// `cs(Host)`
    Host,
    /// `cs-uri-stem`
    UriStem,
    /// `sc-status`
    Status,
    /// `cs(Referer)`
    Referer,
    /// `cs(User-Agent)`
    UserAgent,
    /// `cs-uri-query`
    UriQuery,
    /// `cs(Cookie)`
    Cookie,
    /// `x-edge-result-type`
    ResultType,
    /// `x-edge-request-id`
    RequestId,
    /// `x-host-header`
    HostHeader,
    /// `cs-protocol`
    Protocol,
    /// `cs-bytes`
    CsBytes,
    /// `time-taken`
    TimeTaken,
    /// `x-forwarded-for`
    ForwardedFor,
    /// `ssl-protocol`
    SslProtocol,
    /// `ssl-cipher`
    SslCipher,
    /// `x-edge-response-result-type`
    ResponseResultType,
    /// `cs-protocol-version`
    ProtocolVersion,
    /// `fle-status`
    FleStatus,
    /// `fle-encrypted-fields`
    FleEncryptedFields,
    /// `c-port`
    ClientPort,
    /// `time-to-first-byte`
    TimeToFirstByte,
    /// `x-edge-detailed-result-type`
    DetailedResultType,
    /// `sc-content-type`
    ContentType,
    /// `sc-content-len`
    ContentLen,
    /// `sc-range-start`
    RangeStart,
    /// `sc-range-end`
    RangeEnd,
    /// `DistributionId` (standard logging v2)
    DistributionId,
    /// `cache-behavior-path-pattern` (standard logging v2, real-time logs)
    CacheBehaviorPathPattern,
    /// `timestamp(ms)` (standard logging v2)
    TimestampMs,
}

impl LogField {
    /// Every field, the 33 legacy ones first in their order.
    pub const ALL: [LogField; 36] = [
        LogField::Date,
        LogField::Time,
        LogField::EdgeLocation,
        LogField::ScBytes,
        LogField::ClientIp,
        LogField::Method,
        LogField::Host,
        LogField::UriStem,
        LogField::Status,
        LogField::Referer,
        LogField::UserAgent,
        LogField::UriQuery,
        LogField::Cookie,
        LogField::ResultType,
        LogField::RequestId,
        LogField::HostHeader,
        LogField::Protocol,
        LogField::CsBytes,
        LogField::TimeTaken,
        LogField::ForwardedFor,
        LogField::SslProtocol,
        LogField::SslCipher,
        LogField::ResponseResultType,
        LogField::ProtocolVersion,
        LogField::FleStatus,
        LogField::FleEncryptedFields,
        LogField::ClientPort,
        LogField::TimeToFirstByte,
        LogField::DetailedResultType,
        LogField::ContentType,
        LogField::ContentLen,
        LogField::RangeStart,
        LogField::RangeEnd,
        LogField::DistributionId,
        LogField::CacheBehaviorPathPattern,
        LogField::TimestampMs,
    ];

    /// The 33 fields of the standard (legacy) log, in order.
    pub const LEGACY: &'static [LogField] = {
        let (legacy, _) = LogField::ALL.split_at(33);
        legacy
    };

    /// CloudFront's name of the field, as it appears in `#Fields:`.
    pub const fn name(self) -> &'static str {
        match self {
            LogField::DistributionId => "DistributionId",
            LogField::CacheBehaviorPathPattern => "cache-behavior-path-pattern",
            LogField::TimestampMs => "timestamp(ms)",
            legacy => FIELD_NAMES[legacy as usize],
        }
    }

    /// The field CloudFront calls `name` (case-sensitive, as CloudFront spells it).
    pub fn from_name(name: &str) -> Option<LogField> {
        LogField::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The fields of a log line, in order: the 33 legacy fields unless chosen otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFields(Arc<[LogField]>);

impl Default for LogFields {
    fn default() -> Self {
        LogFields::legacy()
    }
}

impl LogFields {
    /// The standard (legacy) format: [`FIELD_NAMES`], in order.
    pub fn legacy() -> LogFields {
        LogFields(LogField::LEGACY.into())
    }

    /// Parses a comma-separated list of CloudFront field names (`date,time,DistributionId`),
    /// in the order the lines should carry them.
    ///
    /// # Errors
    /// An empty list, an unknown name (the message lists the known ones) or a name given twice.
    pub fn parse(list: &str) -> Result<LogFields, String> {
        let mut fields = Vec::new();
        for name in list.split(',').map(str::trim) {
            let Some(f) = LogField::from_name(name) else {
                let known: Vec<&str> = LogField::ALL.iter().map(|f| f.name()).collect();
                return Err(format!(
                    "unknown log field {name:?}; CloudFront's names are: {}",
                    known.join(" ")
                ));
            };
            if fields.contains(&f) {
                return Err(format!("log field {name:?} is listed twice"));
            }
            fields.push(f);
        }
        Ok(LogFields(fields.into()))
    }

    /// The fields, in line order.
    pub fn fields(&self) -> &[LogField] {
        &self.0
    }

    /// Whether this is the 33-field standard format.
    pub fn is_legacy(&self) -> bool {
        *self.0 == *LogField::LEGACY
    }

    /// Appends `#Version: 1.0` and the `#Fields:` line naming these fields.
    pub fn write_header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(VERSION.as_bytes());
        out.extend_from_slice(b"\n#Fields:");
        for f in self.fields() {
            out.push(b' ');
            out.extend_from_slice(f.name().as_bytes());
        }
        out.push(b'\n');
    }
}

/// How the edge served a request: the values of `x-edge-result-type` and
/// `x-edge-response-result-type` (`cloudfront.md` §9), also used as the `result` metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ResultType {
    /// Served from the edge cache.
    Hit,
    /// Found in cache but stale; the origin confirmed it (304) and the cached copy was served.
    RefreshHit,
    /// Not in cache (or not cacheable): fetched from the origin.
    #[default]
    Miss,
    /// Refused because a CloudFront quota/limit was exceeded (503).
    LimitExceeded,
    /// Refused because the edge lacked capacity (503).
    CapacityExceeded,
    /// Any 4xx/5xx, from the origin or generated by the edge; also a viewer that left early.
    Error,
    /// Redirected by the edge (HTTP to HTTPS per the viewer protocol policy).
    Redirect,
}

impl ResultType {
    /// Every variant, in declaration order (`ALL[t as usize] == t`).
    pub const ALL: [ResultType; 7] = [
        ResultType::Hit,
        ResultType::RefreshHit,
        ResultType::Miss,
        ResultType::LimitExceeded,
        ResultType::CapacityExceeded,
        ResultType::Error,
        ResultType::Redirect,
    ];

    /// The spelling used in the log and in `X-Cache` (`Hit`, `RefreshHit`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            ResultType::Hit => "Hit",
            ResultType::RefreshHit => "RefreshHit",
            ResultType::Miss => "Miss",
            ResultType::LimitExceeded => "LimitExceeded",
            ResultType::CapacityExceeded => "CapacityExceeded",
            ResultType::Error => "Error",
            ResultType::Redirect => "Redirect",
        }
    }
}

impl std::fmt::Display for ResultType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One viewer request as it goes into the access log.
///
/// Built by the edge's logging phase when the response has finished (or the viewer went away),
/// then handed to [`AccessLog::log`]. Every field maps to one or two of the 33 log fields; the
/// comment on each names them. Start from [`AccessRecord::default`] and fill what is known:
///
/// ```
/// use brink_telemetry::access_log::{AccessRecord, ResultType};
/// let rec = AccessRecord {
///     status: 200,
///     uri_stem: "/index.html".into(),
///     result_type: ResultType::Hit,
///     response_result_type: ResultType::Hit,
///     detailed_result_type: "Hit".into(),
///     ..AccessRecord::default()
/// };
/// let mut line = Vec::new();
/// rec.write_line(&mut line);
/// assert_eq!(line.iter().filter(|&&b| b == b'\t').count(), 32);
/// ```
#[derive(Debug, Clone)]
pub struct AccessRecord {
    /// `date` and `time`: when the response finished (for WebSocket: when it closed), in UTC.
    pub end: SystemTime,
    /// `x-edge-location`: this POP's name, e.g. `IAD89-C1`.
    pub edge_location: Arc<str>,
    /// `sc-bytes`: bytes sent to the viewer, headers included.
    pub sc_bytes: u64,
    /// `c-ip` and `c-port`: the viewer's address (IPv4-mapped IPv6 is logged as IPv4).
    pub client: SocketAddr,
    /// `cs-method`.
    pub method: http::Method,
    /// `cs(Host)`: the distribution's own domain name (`d111111abcdef8.cloudfront.net`), even
    /// when the viewer used an alias.
    pub host: String,
    /// `cs-uri-stem`: the path as it appeared on the request line, without the query.
    pub uri_stem: String,
    /// `sc-status`; `0` is written `000`, meaning the viewer left before the response was sent.
    pub status: u16,
    /// `cs(Referer)`.
    pub referer: Option<String>,
    /// `cs(User-Agent)`.
    pub user_agent: Option<String>,
    /// `cs-uri-query`: the query string without the `?`.
    pub uri_query: Option<String>,
    /// `cs(Cookie)`: only when the distribution's logging config includes cookies.
    pub cookie: Option<String>,
    /// `x-edge-result-type`.
    pub result_type: ResultType,
    /// `x-edge-request-id`: the same value as the `X-Amz-Cf-Id` response header.
    pub request_id: String,
    /// `x-host-header`: the `Host` header as the viewer sent it (possibly an alias).
    pub host_header: String,
    /// `cs-protocol`: `http`, `https`, `ws` or `wss`.
    pub protocol: &'static str,
    /// `cs-bytes`: bytes received from the viewer, headers included.
    pub cs_bytes: u64,
    /// `time-taken`: from receiving the request to the last byte sent (logged in seconds, 3
    /// decimals).
    pub time_taken: Duration,
    /// `x-forwarded-for`: the viewer's `X-Forwarded-For` header when it came through a proxy.
    pub forwarded_for: Option<String>,
    /// `ssl-protocol`, e.g. `TLSv1.3`; `None` for plain HTTP.
    pub ssl_protocol: Option<&'static str>,
    /// `ssl-cipher` in OpenSSL naming, e.g. `ECDHE-RSA-AES128-GCM-SHA256`; `None` for plain HTTP.
    pub ssl_cipher: Option<&'static str>,
    /// `x-edge-response-result-type`: how the response was classified when it was sent (differs
    /// from `result_type` e.g. when the viewer aborted a hit).
    pub response_result_type: ResultType,
    /// `cs-protocol-version`: `HTTP/0.9` … `HTTP/3.0`.
    pub protocol_version: &'static str,
    /// `time-to-first-byte`: from receiving the request to the first response byte.
    pub time_to_first_byte: Duration,
    /// `x-edge-detailed-result-type`: the result type, or a finer reason such as
    /// `OriginShieldHit`, `ClientGeoBlocked`, `OriginConnectError`, `AbortedOrigin`.
    pub detailed_result_type: String,
    /// `sc-content-type`: the response's `Content-Type`.
    pub content_type: Option<String>,
    /// `sc-content-len`: the response's `Content-Length`.
    pub content_len: Option<u64>,
    /// `sc-range-start`: first byte of a 206 response's range.
    pub range_start: Option<u64>,
    /// `sc-range-end`: last byte of a 206 response's range.
    pub range_end: Option<u64>,
    /// Chooses the file (`<DistId>.YYYY-MM-DD-HH.<unique>`; `None` uses the log's default
    /// prefix); printed only as the v2 field `DistributionId`.
    pub distribution_id: Option<Arc<str>>,
    /// `cache-behavior-path-pattern` (v2 field): the matched behavior's `PathPattern`, `*` for
    /// the default behavior.
    pub behavior_path_pattern: Option<Arc<str>>,
}

impl Default for AccessRecord {
    /// A record with empty texts, zero counts, the epoch as time and `0.0.0.0:0` as client, to be
    /// filled with struct-update syntax.
    fn default() -> Self {
        AccessRecord {
            end: UNIX_EPOCH,
            edge_location: Arc::from(""),
            sc_bytes: 0,
            client: SocketAddr::from(([0, 0, 0, 0], 0)),
            method: http::Method::GET,
            host: String::new(),
            uri_stem: String::new(),
            status: 0,
            referer: None,
            user_agent: None,
            uri_query: None,
            cookie: None,
            result_type: ResultType::Miss,
            request_id: String::new(),
            host_header: String::new(),
            protocol: "http",
            cs_bytes: 0,
            time_taken: Duration::ZERO,
            forwarded_for: None,
            ssl_protocol: None,
            ssl_cipher: None,
            response_result_type: ResultType::Miss,
            protocol_version: "HTTP/1.1",
            time_to_first_byte: Duration::ZERO,
            detailed_result_type: String::new(),
            content_type: None,
            content_len: None,
            range_start: None,
            range_end: None,
            distribution_id: None,
            behavior_path_pattern: None,
        }
    }
}

impl AccessRecord {
    /// Appends this record as one log line: the 33 fields of [`FIELD_NAMES`] separated by tabs,
    /// `-` for absent or empty values, URL-encoded as §9 requires, ending in `\n`.
    ///
    /// Every text field goes through the §9 encoding, so a value can never introduce a tab or a
    /// line break. Texts are logged as received: a path that arrived as `/a%20b` is logged
    /// `/a%2520b`, because `%` itself is one of the characters CloudFront encodes.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        self.write_fields(LogField::LEGACY, out);
    }

    /// Appends this record as one line of the given fields, in that order, encoded like
    /// [`AccessRecord::write_line`].
    pub fn write_fields(&self, fields: &[LogField], out: &mut Vec<u8>) {
        for (i, &f) in fields.iter().enumerate() {
            if i > 0 {
                tab(out);
            }
            self.write_field(f, out);
        }
        out.push(b'\n');
    }

    fn write_field(&self, field: LogField, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail, so the io::Result of write! is always Ok.
        match field {
            LogField::Date | LogField::Time => {
                let secs = self
                    .end
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                if field == LogField::Date {
                    let (year, month, day) = civil_from_days(secs / 86_400);
                    let _ = write!(out, "{year:04}-{month:02}-{day:02}");
                } else {
                    let sod = secs % 86_400;
                    let _ = write!(
                        out,
                        "{:02}:{:02}:{:02}",
                        sod / 3600,
                        (sod / 60) % 60,
                        sod % 60
                    );
                }
            }
            LogField::EdgeLocation => text(out, &self.edge_location),
            LogField::ScBytes => {
                let _ = write!(out, "{}", self.sc_bytes);
            }
            LogField::ClientIp => {
                let _ = write!(out, "{}", self.client.ip().to_canonical());
            }
            LogField::Method => text(out, self.method.as_str()),
            LogField::Host => text(out, &self.host),
            LogField::UriStem => text(out, &self.uri_stem),
            // Three digits always: 0 becomes "000", the "viewer left" marker.
            LogField::Status => {
                let _ = write!(out, "{:03}", self.status);
            }
            LogField::Referer => opt_text(out, self.referer.as_deref()),
            LogField::UserAgent => opt_text(out, self.user_agent.as_deref()),
            LogField::UriQuery => opt_text(out, self.uri_query.as_deref()),
            LogField::Cookie => opt_text(out, self.cookie.as_deref()),
            LogField::ResultType => text(out, self.result_type.as_str()),
            LogField::RequestId => text(out, &self.request_id),
            LogField::HostHeader => text(out, &self.host_header),
            LogField::Protocol => text(out, self.protocol),
            LogField::CsBytes => {
                let _ = write!(out, "{}", self.cs_bytes);
            }
            LogField::TimeTaken => seconds(out, self.time_taken),
            LogField::ForwardedFor => opt_text(out, self.forwarded_for.as_deref()),
            LogField::SslProtocol => opt_text(out, self.ssl_protocol),
            LogField::SslCipher => opt_text(out, self.ssl_cipher),
            LogField::ResponseResultType => text(out, self.response_result_type.as_str()),
            LogField::ProtocolVersion => text(out, self.protocol_version),
            // Field-level encryption is not implemented.
            LogField::FleStatus | LogField::FleEncryptedFields => out.push(b'-'),
            LogField::ClientPort => {
                let _ = write!(out, "{}", self.client.port());
            }
            LogField::TimeToFirstByte => seconds(out, self.time_to_first_byte),
            LogField::DetailedResultType => text(out, &self.detailed_result_type),
            LogField::ContentType => opt_text(out, self.content_type.as_deref()),
            LogField::ContentLen => opt_num(out, self.content_len),
            LogField::RangeStart => opt_num(out, self.range_start),
            LogField::RangeEnd => opt_num(out, self.range_end),
            LogField::DistributionId => opt_text(out, self.distribution_id.as_deref()),
            LogField::CacheBehaviorPathPattern => {
                opt_text(out, self.behavior_path_pattern.as_deref());
            }
            LogField::TimestampMs => {
                let ms = self
                    .end
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                let _ = write!(out, "{ms}");
            }
        }
    }
}

fn tab(out: &mut Vec<u8>) {
    out.push(b'\t');
}

/// Writes a duration as seconds with exactly three decimals, rounded to the nearest millisecond.
fn seconds(out: &mut Vec<u8>, d: Duration) {
    let millis = (d.as_nanos() + 500_000) / 1_000_000;
    let _ = write!(out, "{}.{:03}", millis / 1000, millis % 1000);
}

fn opt_num(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push(b'-'),
    }
}

fn opt_text(out: &mut Vec<u8>, v: Option<&str>) {
    text(out, v.unwrap_or(""));
}

/// Bytes §9 says must be percent-encoded: ASCII 0–32 (controls and space), 127 and above
/// (DEL and every byte of a multi-byte UTF-8 character), and `<>"#%{}|\^~[]'` plus backtick.
const ENCODE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b <= 32 || b >= 127;
        b += 1;
    }
    let specials = b"<>\"#%{}|\\^~[]'`";
    let mut i = 0;
    while i < specials.len() {
        t[specials[i] as usize] = true;
        i += 1;
    }
    t
};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Writes a free-text value: `-` when empty, otherwise URL-encoded per §9 (uppercase hex).
fn text(out: &mut Vec<u8>, v: &str) {
    if v.is_empty() {
        out.push(b'-');
        return;
    }
    for &b in v.as_bytes() {
        if ENCODE[usize::from(b)] {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]]);
        } else {
            out.push(b);
        }
    }
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// This is Howard Hinnant's `civil_from_days` ("chrono-Compatible Low-Level Date Algorithms"),
/// restricted to non-negative day counts: eras are 400-year cycles starting on 0000-03-01, so
/// the leap day falls at the end of each computed year.
pub(crate) fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // shift the epoch to 0000-03-01
    let era = z / 146_097;
    let doe = z - era * 146_097; // day of era, [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], March-based
    let mp = (5 * doy + 2) / 153; // month index from March, [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv6Addr, SocketAddrV6};

    fn line(rec: &AccessRecord) -> String {
        let mut out = Vec::new();
        rec.write_line(&mut out);
        String::from_utf8(out).unwrap()
    }

    fn fields(rec: &AccessRecord) -> Vec<String> {
        let l = line(rec);
        assert!(l.ends_with('\n'), "line must end in a newline: {l:?}");
        assert_eq!(l.matches('\n').count(), 1, "exactly one newline: {l:?}");
        l.trim_end_matches('\n')
            .split('\t')
            .map(str::to_owned)
            .collect()
    }

    /// The example line of `cloudfront.md` §9, as a record.
    fn example() -> AccessRecord {
        AccessRecord {
            // 2019-12-04 21:02:31 UTC
            end: UNIX_EPOCH + Duration::from_secs(1_575_493_351),
            edge_location: Arc::from("LAX1"),
            sc_bytes: 392,
            client: "192.0.2.100:11040".parse().unwrap(),
            method: http::Method::GET,
            host: "d111111abcdef8.cloudfront.net".into(),
            uri_stem: "/index.html".into(),
            status: 200,
            user_agent: Some("Mozilla/5.0 (Windows NT 10.0)".into()),
            result_type: ResultType::Hit,
            request_id: "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==".into(),
            host_header: "d111111abcdef8.cloudfront.net".into(),
            protocol: "https",
            cs_bytes: 23,
            time_taken: Duration::from_micros(1_200),
            ssl_protocol: Some("TLSv1.2"),
            ssl_cipher: Some("ECDHE-RSA-AES128-GCM-SHA256"),
            response_result_type: ResultType::Hit,
            protocol_version: "HTTP/2.0",
            time_to_first_byte: Duration::from_micros(900),
            detailed_result_type: "Hit".into(),
            content_type: Some("text/html".into()),
            content_len: Some(78),
            ..AccessRecord::default()
        }
    }

    #[test]
    fn matches_the_reference_example_line() {
        let expected = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\t\
            d111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0)\t\
            -\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\t\
            d111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\t\
            Hit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-\n";
        assert_eq!(line(&example()), expected);
    }

    #[test]
    fn thirty_three_fields_in_order() {
        assert_eq!(FIELD_NAMES.len(), 33);
        assert_eq!(FIELDS, format!("#Fields: {}", FIELD_NAMES.join(" ")));
        let mut rec = example();
        rec.referer = Some("https://example.com/".into());
        rec.uri_query = Some("a=1".into());
        rec.cookie = Some("c=2".into());
        rec.forwarded_for = Some("198.51.100.7".into());
        rec.range_start = Some(10);
        rec.range_end = Some(19);
        rec.status = 206;
        rec.method = http::Method::HEAD;
        let f = fields(&rec);
        assert_eq!(f.len(), 33);
        let at = |name: &str| f[FIELD_NAMES.iter().position(|n| *n == name).unwrap()].as_str();
        assert_eq!(at("date"), "2019-12-04");
        assert_eq!(at("time"), "21:02:31");
        assert_eq!(at("cs-method"), "HEAD");
        assert_eq!(at("sc-status"), "206");
        assert_eq!(at("cs(Referer)"), "https://example.com/");
        assert_eq!(at("cs-uri-query"), "a=1");
        assert_eq!(at("cs(Cookie)"), "c=2");
        assert_eq!(at("x-forwarded-for"), "198.51.100.7");
        assert_eq!(at("c-port"), "11040");
        assert_eq!(at("sc-range-start"), "10");
        assert_eq!(at("sc-range-end"), "19");
        assert_eq!(at("fle-status"), "-");
    }

    #[test]
    fn default_record_is_well_formed() {
        let f = fields(&AccessRecord::default());
        assert_eq!(f.len(), 33);
        assert!(f.iter().all(|v| !v.is_empty()));
        assert_eq!(f[0], "1970-01-01");
        assert_eq!(f[1], "00:00:00");
        assert_eq!(f[8], "000");
    }

    #[test]
    fn status_zero_is_three_zeros() {
        let rec = AccessRecord {
            status: 0,
            ..example()
        };
        assert_eq!(fields(&rec)[8], "000");
    }

    #[test]
    fn odd_characters_are_percent_encoded() {
        let rec = AccessRecord {
            uri_stem: "/a b\tc\"d%e~f`g/caf\u{e9}".into(),
            user_agent: Some("x<y>{z}|\\^[]'#\n".into()),
            uri_query: Some("q=%20&r=~".into()),
            host_header: "Ex ample".into(),
            content_type: Some("text/plain; charset=\"utf-8\"".into()),
            forwarded_for: Some("1.2.3.4, 5.6.7.8".into()),
            cookie: Some("\u{7f}\u{1}".into()),
            ..example()
        };
        let f = fields(&rec);
        assert_eq!(f.len(), 33);
        assert_eq!(f[7], "/a%20b%09c%22d%25e%7Ef%60g/caf%C3%A9");
        assert_eq!(f[10], "x%3Cy%3E%7Bz%7D%7C%5C%5E%5B%5D%27%23%0A");
        assert_eq!(f[11], "q=%2520&r=%7E");
        assert_eq!(f[12], "%7F%01");
        assert_eq!(f[15], "Ex%20ample");
        assert_eq!(f[19], "1.2.3.4,%205.6.7.8");
        assert_eq!(f[29], "text/plain;%20charset=%22utf-8%22");
    }

    #[test]
    fn unreserved_punctuation_is_left_alone() {
        let rec = AccessRecord {
            uri_stem: "/p/a-b_c.d!$&()*+,;=:@?".into(),
            ..example()
        };
        assert_eq!(fields(&rec)[7], "/p/a-b_c.d!$&()*+,;=:@?");
    }

    #[test]
    fn ipv6_and_mapped_clients() {
        let v6 = SocketAddr::V6(SocketAddrV6::new(
            "2001:db8::1".parse::<Ipv6Addr>().unwrap(),
            443,
            0,
            0,
        ));
        let f = fields(&AccessRecord {
            client: v6,
            ..example()
        });
        assert_eq!(f[4], "2001:db8::1");
        assert_eq!(f[26], "443");
        let mapped: SocketAddr = "[::ffff:192.0.2.9]:5000".parse().unwrap();
        let f = fields(&AccessRecord {
            client: mapped,
            ..example()
        });
        assert_eq!(f[4], "192.0.2.9");
    }

    #[test]
    fn durations_have_three_decimals() {
        let mut out = Vec::new();
        for (d, s) in [
            (Duration::ZERO, "0.000"),
            (Duration::from_micros(499), "0.000"),
            (Duration::from_micros(500), "0.001"),
            (Duration::from_millis(1_234), "1.234"),
            (Duration::from_micros(59_999_600), "60.000"),
        ] {
            out.clear();
            seconds(&mut out, d);
            assert_eq!(std::str::from_utf8(&out).unwrap(), s);
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        // 2000-02-29 (leap year divisible by 400) and the day after.
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        // 2100 is not a leap year: 2100-02-28 is followed by 2100-03-01.
        assert_eq!(civil_from_days(47_540), (2100, 2, 28));
        assert_eq!(civil_from_days(47_541), (2100, 3, 1));
        assert_eq!(civil_from_days(20_453), (2025, 12, 31));
    }

    #[test]
    fn header_lines() {
        let mut out = Vec::new();
        write_header(&mut out);
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines, [VERSION, FIELDS]);
    }

    #[test]
    fn field_names_are_cloudfronts() {
        for (i, f) in LogField::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
            assert_eq!(LogField::from_name(f.name()), Some(*f));
        }
        assert_eq!(LogField::LEGACY.len(), 33);
        let names: Vec<&str> = LogField::LEGACY.iter().map(|f| f.name()).collect();
        assert_eq!(names, FIELD_NAMES);
        assert!(LogFields::legacy().is_legacy());
        let mut out = Vec::new();
        LogFields::legacy().write_header(&mut out);
        let mut legacy = Vec::new();
        write_header(&mut legacy);
        assert_eq!(out, legacy, "the default header is the standard one");
        assert_eq!(
            LogField::from_name("distributionid"),
            None,
            "case-sensitive"
        );
    }

    #[test]
    fn a_v2_selection_writes_its_fields_in_order() {
        let fields = LogFields::parse(
            "date, time,DistributionId,cs(Host),x-host-header,cache-behavior-path-pattern,timestamp(ms),sc-status",
        )
        .unwrap();
        assert!(!fields.is_legacy());
        let mut head = Vec::new();
        fields.write_header(&mut head);
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "#Version: 1.0\n#Fields: date time DistributionId cs(Host) x-host-header \
             cache-behavior-path-pattern timestamp(ms) sc-status\n"
        );
        let rec = AccessRecord {
            distribution_id: Some("EDFDVBD6EXAMPLE".into()),
            behavior_path_pattern: Some("/api/*".into()),
            host_header: "www.example.com".into(),
            end: UNIX_EPOCH + Duration::from_millis(1_575_493_351_250),
            ..example()
        };
        let mut out = Vec::new();
        rec.write_fields(fields.fields(), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2019-12-04\t21:02:31\tEDFDVBD6EXAMPLE\td111111abcdef8.cloudfront.net\t\
             www.example.com\t/api/*\t1575493351250\t200\n"
        );
        // Absent values are `-`, like every other field.
        let mut out = Vec::new();
        AccessRecord::default().write_fields(
            &[LogField::DistributionId, LogField::CacheBehaviorPathPattern],
            &mut out,
        );
        assert_eq!(out, b"-\t-\n");
    }

    #[test]
    fn bad_selections_are_refused_with_the_name() {
        let e = LogFields::parse("date,DistributionID").unwrap_err();
        assert!(
            e.contains("\"DistributionID\"") && e.contains("DistributionId"),
            "{e}"
        );
        let e = LogFields::parse("date,time,date").unwrap_err();
        assert!(e.contains("twice"), "{e}");
        assert!(LogFields::parse("").is_err());
        assert!(LogFields::parse("date,,time").is_err());
    }

    #[test]
    fn result_type_spellings() {
        for (i, t) in ResultType::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i);
        }
        assert_eq!(ResultType::RefreshHit.as_str(), "RefreshHit");
        assert_eq!(ResultType::CapacityExceeded.to_string(), "CapacityExceeded");
    }
}

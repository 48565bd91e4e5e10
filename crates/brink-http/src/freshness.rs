//! Whether a response may be stored, for how long, and how old a stored response is.
//!
//! RFC 9111 §3 (storing), §4.2 (freshness and age) and RFC 5861 (stale-while-revalidate,
//! stale-if-error), with CloudFront's TTL layer on top (cloudfront.md §2.1 and §2.3):
//!
//! ```text
//! if Cache-Control has no-cache | no-store | private:  ttl = MinTTL
//! elif the origin gave a lifetime F:                    ttl = clamp(F, MinTTL, MaxTTL)
//! else:                                                 ttl = max(DefaultTTL, MinTTL)
//! ```
//!
//! An RFC 9213 `CDN-Cache-Control` field, when present, replaces `Cache-Control` for every
//! decision made here (the edge is the CDN it targets).

use std::time::{Duration, SystemTime};

use brink_model::TtlPolicy;
use http::{header, HeaderMap, Method, StatusCode};

use crate::cache_control::CacheControl;
use crate::date::parse_http_date;

/// RFC 9111 §1.2.2: delta-seconds beyond 2^31 are treated as 2^31.
const MAX_DELTA: Duration = Duration::from_secs(2_147_483_648);

/// How long a stale response may stand in for an unreachable origin when CloudFront rules
/// apply and the origin said nothing (cloudfront.md §2.6: an expired object is served while
/// the origin fails, unless `must-revalidate` or `stale-if-error=0` forbids it).
const CLOUDFRONT_STALE_IF_ERROR: Duration = Duration::from_secs(365 * 86_400);

/// Why a response is not stored. Each variant is one rule; the edge reports it in
/// `Cache-Status` (`detail=`) and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoStoreReason {
    /// The request method is not cacheable (only GET is stored; HEAD is served from it).
    Method,
    /// The status code is never stored (e.g. 206 partial, 416) or needs explicit freshness.
    Status,
    /// `no-store` (with MinTTL 0).
    NoStore,
    /// `private` (with MinTTL 0).
    Private,
    /// The request carried `Authorization` and the response did not allow sharing it.
    Authorization,
    /// `Vary: *`: a stored copy could never be reused.
    VaryStar,
    /// The lifetime is zero and there is no validator to revalidate with.
    ZeroTtl,
    /// The TTL policy disables caching (all TTLs zero).
    CachingDisabled,
    /// `must-understand` on a status code whose caching rules this cache does not implement
    /// (RFC 9111 §5.2.2.3; see [`understood_status`]).
    MustUnderstand,
}

impl NoStoreReason {
    /// A short token for `Cache-Status: …; detail=` and logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            NoStoreReason::Method => "method",
            NoStoreReason::Status => "status",
            NoStoreReason::NoStore => "no-store",
            NoStoreReason::Private => "private",
            NoStoreReason::Authorization => "authorization",
            NoStoreReason::VaryStar => "vary-star",
            NoStoreReason::ZeroTtl => "zero-ttl",
            NoStoreReason::CachingDisabled => "caching-disabled",
            NoStoreReason::MustUnderstand => "must-understand",
        }
    }
}

/// The lifetimes of a storable response, after the TTL policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// How long the response is fresh (served without contacting the origin).
    pub fresh: Duration,
    /// How long past `fresh` a stale copy may be served while one background request
    /// refreshes it (RFC 5861 `stale-while-revalidate`).
    pub stale_while_revalidate: Duration,
    /// How long past `fresh` a stale copy may stand in for an origin that fails (RFC 5861
    /// `stale-if-error`, CloudFront §2.6).
    pub stale_if_error: Duration,
    /// `must-revalidate`, `proxy-revalidate`, `s-maxage` or `no-cache`: once stale, the copy
    /// is never served without a successful revalidation.
    pub must_revalidate: bool,
}

/// The verdict on one origin response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storability {
    /// Store it with these lifetimes.
    Store(Lifetimes),
    /// Do not store it.
    NoStore(NoStoreReason),
}

/// What [`storability`] needs to know about the exchange with the origin.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// The method of the viewer's request (HEAD misses are fetched and stored as GET by the
    /// caller, which then passes GET here).
    pub method: &'a Method,
    /// Whether the viewer's request carried `Authorization`.
    pub request_has_authorization: bool,
    /// The origin's status.
    pub status: StatusCode,
    /// The origin's response headers.
    pub headers: &'a HeaderMap,
    /// When the response arrived (for `Expires`).
    pub response_time: SystemTime,
}

/// The `Cache-Control` directives this cache obeys for a response: `CDN-Cache-Control` when
/// the origin sent a valid one (RFC 9213 §2.1: a Structured Field dictionary with the right
/// types, see [`crate::cdn_cache_control`]), `Cache-Control` otherwise: an invalid or empty
/// `CDN-Cache-Control` is ignored as a whole.
pub fn effective_cache_control(headers: &HeaderMap) -> CacheControl {
    let cdn = headers.get_all(CDN_CACHE_CONTROL);
    if let Some(cc) = crate::cdn_cache_control::parse(cdn.iter().map(|v| v.as_bytes())) {
        return cc;
    }
    CacheControl::parse(
        headers
            .get_all(header::CACHE_CONTROL)
            .iter()
            .map(|v| v.as_bytes()),
    )
}

/// The RFC 9213 targeted field name.
pub const CDN_CACHE_CONTROL: &str = "cdn-cache-control";

/// Statuses RFC 9110 §15.1 marks heuristically cacheable: stored with the default TTL (or
/// the RFC heuristic) when the origin gives no lifetime.
fn heuristically_cacheable(status: StatusCode) -> bool {
    matches!(
        status.as_u16(),
        200 | 203 | 204 | 300 | 301 | 308 | 404 | 405 | 410 | 414 | 501
    )
}

/// The status codes whose caching requirements this cache understands, for RFC 9111
/// §5.2.2.3 `must-understand`: the ones it has a storing rule for. That is every status
/// RFC 9110 §15.1 makes heuristically cacheable (200, 203, 204, 300, 301, 308, 404, 405,
/// 410, 414, 501), the redirects stored with explicit freshness (302, 307), and the errors
/// CloudFront's rules cache (400, 403, 412, 415, 500, 502, 503, 504; cloudfront.md §2.3).
/// Not understood: 206 and 304 (partial and validation responses, never stored as such),
/// 1xx, and every other code, defined (201, 202, 421, 429, 451…) or not (299, 599…).
pub fn understood_status(status: StatusCode) -> bool {
    heuristically_cacheable(status)
        || always_cached_error(status)
        || cached_error_with_lifetime(status)
        || matches!(status.as_u16(), 302 | 307)
}

/// CloudFront §2.3: errors cached for `ErrorCachingMinTTL` even without headers.
fn always_cached_error(status: StatusCode) -> bool {
    matches!(status.as_u16(), 404 | 414 | 500 | 501 | 502 | 503 | 504)
}

/// CloudFront §2.3: errors cached only when the origin gave a lifetime.
fn cached_error_with_lifetime(status: StatusCode) -> bool {
    matches!(status.as_u16(), 400 | 403 | 405 | 412 | 415)
}

/// The origin's own freshness lifetime `F` (RFC 9111 §4.2.1): `s-maxage`, else `max-age`,
/// else `Expires − Date`. `None` when the origin gave none. `Expires` and `Date` are read in
/// any of the three HTTP-date formats and any letter case ([`crate::date`]); an invalid
/// `Expires` means "already expired" (RFC 9111 §5.3).
pub fn origin_lifetime(
    cc: &CacheControl,
    headers: &HeaderMap,
    response_time: SystemTime,
) -> Option<Duration> {
    if let Some(s) = cc.s_maxage {
        return Some(Duration::from_secs(s).min(MAX_DELTA));
    }
    if let Some(m) = cc.max_age {
        return Some(Duration::from_secs(m).min(MAX_DELTA));
    }
    let expires = headers.get(header::EXPIRES)?;
    // Obsolete formats and any letter case are valid (crate::date); anything else is not.
    let Some(expires) = parse_http_date(expires.as_bytes()) else {
        return Some(Duration::ZERO);
    };
    let date = date_value(headers).unwrap_or(response_time);
    Some(expires.duration_since(date).unwrap_or(Duration::ZERO))
}

/// RFC 9111 §4.2.2: with `Last-Modified`, 10 % of the time since the last change.
fn heuristic_lifetime(headers: &HeaderMap, response_time: SystemTime) -> Option<Duration> {
    let lm = parse_http_date(headers.get(header::LAST_MODIFIED)?.as_bytes())?;
    let date = date_value(headers).unwrap_or(response_time);
    Some(date.duration_since(lm).unwrap_or(Duration::ZERO) / 10)
}

/// The parsed `Date` header, if valid.
pub fn date_value(headers: &HeaderMap) -> Option<SystemTime> {
    parse_http_date(headers.get(header::DATE)?.as_bytes())
}

/// True when the response carries a validator (`ETag` or `Last-Modified`) the cache can
/// revalidate with.
pub fn has_validator(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ETAG) || headers.contains_key(header::LAST_MODIFIED)
}

/// Decides whether a response may be stored and for how long.
///
/// `policy` supplies CloudFront's Min/Default/Max TTLs; a policy with zero MinTTL and
/// DefaultTTL makes this a plain RFC 9111 shared cache (heuristic freshness, no error-caching
/// floor, no implicit stale-if-error).
pub fn storability(x: &Exchange<'_>, policy: &TtlPolicy) -> Storability {
    use NoStoreReason as R;
    if policy.caching_disabled() {
        return Storability::NoStore(R::CachingDisabled);
    }
    if x.method != Method::GET {
        return Storability::NoStore(R::Method);
    }
    let mut cc = effective_cache_control(x.headers);
    // RFC 9111 §5.2.2.3: with `must-understand`, a status whose caching rules this cache
    // does not implement is never stored (not even under a MinTTL: the origin asked for
    // this explicitly); an understood one is stored per its other directives, `no-store`
    // ignored.
    if cc.must_understand {
        if !understood_status(x.status) {
            return Storability::NoStore(R::MustUnderstand);
        }
        cc.no_store = false;
    }
    // A request with credentials is shared only when the origin said so (RFC 9111 §3.5);
    // both fields count, whichever the origin used.
    if x.request_has_authorization {
        let plain = CacheControl::parse(
            x.headers
                .get_all(header::CACHE_CONTROL)
                .iter()
                .map(|v| v.as_bytes()),
        );
        let shared = |c: &CacheControl| c.public || c.s_maxage.is_some() || c.must_revalidate;
        if !shared(&cc) && !shared(&plain) {
            return Storability::NoStore(R::Authorization);
        }
    }
    if crate::vary::is_vary_star(x.headers) {
        return Storability::NoStore(R::VaryStar);
    }
    let status = x.status;
    // Partial content is never stored: misses fetch whole objects (issue: ranges), and 416
    // never is (cloudfront.md §2.3). 1xx and 304 are not final representations.
    if matches!(status.as_u16(), 206 | 304 | 416) || status.is_informational() {
        return Storability::NoStore(R::Status);
    }
    let plain = policy.is_plain_rfc9111();
    let min = policy.min();
    let max = policy.max();
    let f = origin_lifetime(&cc, x.headers, x.response_time);
    let validator = has_validator(x.headers);
    let must_revalidate =
        cc.must_revalidate || cc.proxy_revalidate || cc.s_maxage.is_some() || cc.no_cache;

    let fresh = if cc.no_store || cc.private || cc.no_cache {
        // CloudFront: MinTTL wins over these directives; with MinTTL 0 this is RFC 9111.
        if min.is_zero() {
            if cc.no_store {
                return Storability::NoStore(R::NoStore);
            }
            if cc.private {
                return Storability::NoStore(R::Private);
            }
            // no-cache: storable, but revalidated before every reuse.
        }
        min
    } else if status.is_client_error() || status.is_server_error() {
        let error_floor = policy.error_caching_min();
        let clamp_f = f.map(|f| f.min(max));
        if !plain && always_cached_error(status) {
            clamp_f.map_or(error_floor, |f| f.max(error_floor))
        } else if !plain && cached_error_with_lifetime(status) {
            match clamp_f {
                Some(f) => f.max(error_floor),
                None => return Storability::NoStore(R::Status),
            }
        } else if let Some(f) = f {
            f.clamp(min, max)
        } else if plain && heuristically_cacheable(status) {
            match heuristic_lifetime(x.headers, x.response_time) {
                Some(h) => h.min(max),
                None => return Storability::NoStore(R::ZeroTtl),
            }
        } else {
            return Storability::NoStore(R::Status);
        }
    } else if let Some(f) = f {
        f.clamp(min, max)
    } else if !heuristically_cacheable(status) {
        // 302, 307 … need explicit freshness (RFC 9111 §3).
        return Storability::NoStore(R::Status);
    } else if plain {
        match heuristic_lifetime(x.headers, x.response_time) {
            Some(h) => h.min(max),
            None => return Storability::NoStore(R::ZeroTtl),
        }
    } else {
        policy.default_ttl().max(min)
    };

    if fresh.is_zero() && !validator {
        return Storability::NoStore(R::ZeroTtl);
    }
    let secs = |o: Option<u64>| o.map(|s| Duration::from_secs(s).min(MAX_DELTA));
    let stale_while_revalidate = if must_revalidate {
        Duration::ZERO
    } else {
        secs(cc.stale_while_revalidate).unwrap_or(Duration::ZERO)
    };
    let stale_if_error = if must_revalidate {
        Duration::ZERO
    } else {
        match secs(cc.stale_if_error) {
            Some(d) => d,
            None if plain => Duration::ZERO,
            None => CLOUDFRONT_STALE_IF_ERROR,
        }
    };
    Storability::Store(Lifetimes {
        fresh,
        stale_while_revalidate,
        stale_if_error,
        must_revalidate,
    })
}

/// The `Age` a response carries (RFC 9111 §5.1), `None` when absent or invalid.
///
/// `Age` is a singleton, but a cache that meets a list (`Age: 5, 10`, or two field lines)
/// uses its first member and drops the rest (§5.1). That member must be a delta-seconds
/// (RFC 9111 §1.2.1: one or more digits, nothing else: no sign, no fraction, no trailing
/// garbage); when it is not (`10x`, `+10`, `-1`, `1.5`, empty), the field is ignored as §5.1
/// recommends, i.e. treated as absent: the response's age then comes from `Date` and the
/// exchange's own timing alone. A valid value beyond 2^31 counts as 2^31 (§1.2.2).
pub fn age_value(headers: &HeaderMap) -> Option<Duration> {
    let first_line = headers.get(header::AGE)?.as_bytes();
    let first_member = first_line
        .split(|&b| b == b',')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if first_member.is_empty() || !first_member.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs = first_member.iter().fold(0u64, |acc, &d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(Duration::from_secs(secs).min(MAX_DELTA))
}

/// RFC 9111 §4.2.3 age bookkeeping for one stored response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeBase {
    /// When the response (or the 304 that refreshed it) was received.
    pub response_time: SystemTime,
    /// The response's age at `response_time` (`corrected_initial_age`).
    pub initial_age: Duration,
}

impl AgeBase {
    /// Computes `corrected_initial_age` from the exchange's timestamps and the response's
    /// `Date` and `Age` headers.
    pub fn new(headers: &HeaderMap, request_time: SystemTime, response_time: SystemTime) -> Self {
        let age_value = age_value(headers).unwrap_or(Duration::ZERO);
        let apparent_age = date_value(headers)
            .and_then(|d| response_time.duration_since(d).ok())
            .unwrap_or(Duration::ZERO);
        let response_delay = response_time
            .duration_since(request_time)
            .unwrap_or(Duration::ZERO);
        let corrected_age_value = age_value + response_delay;
        AgeBase {
            response_time,
            initial_age: apparent_age.max(corrected_age_value),
        }
    }

    /// `current_age` at `now` (never negative, even if the clock went backwards).
    pub fn current_age(&self, now: SystemTime) -> Duration {
        self.initial_age
            + now
                .duration_since(self.response_time)
                .unwrap_or(Duration::ZERO)
    }
}

/// Where a stored response stands at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    /// Fresh: serve it.
    Fresh,
    /// Stale, but within `stale-while-revalidate`: serve it and refresh in the background.
    StaleWhileRevalidate,
    /// Stale: revalidate or refetch before serving (a stale-if-error window may still allow
    /// serving it if the origin fails; see [`Lifetimes::stale_if_error`]).
    Stale,
}

/// Classifies a stored response of age `age`.
pub fn staleness(lifetimes: &Lifetimes, age: Duration) -> Staleness {
    if age < lifetimes.fresh {
        Staleness::Fresh
    } else if age
        < lifetimes
            .fresh
            .saturating_add(lifetimes.stale_while_revalidate)
    {
        Staleness::StaleWhileRevalidate
    } else {
        Staleness::Stale
    }
}

/// True when a stale response of age `age` may be served because the origin failed.
pub fn usable_if_error(lifetimes: &Lifetimes, age: Duration) -> bool {
    !lifetimes.must_revalidate && age < lifetimes.fresh.saturating_add(lifetimes.stale_if_error)
}

#[cfg(test)]
mod tests;

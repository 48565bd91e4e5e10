//! Header rules at the edge: what is forwarded to the origin, what is stored, what viewers
//! see, and the CloudFront edge headers (cloudfront.md §3).

use std::net::IpAddr;

use base64::Engine;
use bytes::{BufMut, BytesMut};
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Version};

/// `X-Cache` values (cloudfront.md §3.1).
pub(crate) mod x_cache {
    use http::HeaderValue;
    pub(crate) const HIT: HeaderValue = HeaderValue::from_static("Hit from cloudfront");
    pub(crate) const MISS: HeaderValue = HeaderValue::from_static("Miss from cloudfront");
    pub(crate) const REFRESH_HIT: HeaderValue =
        HeaderValue::from_static("RefreshHit from cloudfront");
    pub(crate) const ERROR: HeaderValue = HeaderValue::from_static("Error from cloudfront");
}

pub(crate) static X_CACHE: HeaderName = HeaderName::from_static("x-cache");
pub(crate) static X_AMZ_CF_POP: HeaderName = HeaderName::from_static("x-amz-cf-pop");
pub(crate) static X_AMZ_CF_ID: HeaderName = HeaderName::from_static("x-amz-cf-id");
pub(crate) static CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");
pub(crate) static CDN_CACHE_CONTROL: HeaderName = HeaderName::from_static("cdn-cache-control");
pub(crate) static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
pub(crate) static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
static USER_AGENT_VALUE: HeaderValue = HeaderValue::from_static("Amazon CloudFront");

/// A fresh request id: 40 random bytes, URL-safe base64 with padding (56 characters ending
/// in `==`), the shape of CloudFront's `X-Amz-Cf-Id`. The same value goes to the origin, into
/// the log and back to the viewer.
pub(crate) fn request_id() -> HeaderValue {
    let mut raw = [0u8; 40];
    for chunk in raw.chunks_mut(8) {
        chunk.copy_from_slice(&fastrand::u64(..).to_le_bytes()[..chunk.len()]);
    }
    let mut out = [0u8; 56];
    let n = base64::engine::general_purpose::URL_SAFE
        .encode_slice(raw, &mut out)
        .unwrap_or_default();
    HeaderValue::from_bytes(&out[..n]).unwrap_or(HeaderValue::from_static("-"))
}

/// The edge's identity in `Via`: `<32 hex>.cloudfront.net (CloudFront)`, stable per POP name,
/// for 1.1 and 2.0 viewers.
#[derive(Debug, Clone)]
pub(crate) struct ViaValues {
    pub(crate) http11: HeaderValue,
    pub(crate) http2: HeaderValue,
    /// The host part, to detect loops.
    pub(crate) host: String,
}

impl ViaValues {
    pub(crate) fn for_pop(pop: &str) -> ViaValues {
        let a = fnv1a(pop, 0x9e37_79b9_7f4a_7c15);
        let b = fnv1a(pop, 0xc2b2_ae3d_27d4_eb4f);
        let host = format!("{a:016x}{b:016x}.cloudfront.net");
        let mk = |v: &str| {
            HeaderValue::from_str(&format!("{v} {host} (CloudFront)"))
                .unwrap_or(HeaderValue::from_static("1.1 brink"))
        };
        ViaValues {
            http11: mk("1.1"),
            http2: mk("2.0"),
            host,
        }
    }

    pub(crate) fn for_version(&self, v: Version) -> &HeaderValue {
        if v == Version::HTTP_2 {
            &self.http2
        } else {
            &self.http11
        }
    }
}

/// FNV-1a with a seed: a stable (not secret) 64-bit digest for the Via host name.
fn fnv1a(s: &str, seed: u64) -> u64 {
    s.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Appends `value` to a comma-separated header (`Via`, `X-Forwarded-For`).
pub(crate) fn append_list(headers: &mut HeaderMap, name: &HeaderName, value: &[u8]) {
    let mut combined = BytesMut::new();
    for v in headers.get_all(name) {
        if !combined.is_empty() {
            combined.put_slice(b", ");
        }
        combined.put_slice(v.as_bytes());
    }
    if !combined.is_empty() {
        combined.put_slice(b", ");
    }
    combined.put_slice(value);
    if let Ok(v) = HeaderValue::from_maybe_shared(combined.freeze()) {
        headers.insert(name.clone(), v);
    }
}

/// Removes hop-by-hop fields (RFC 9110 §7.6.1), including those named by `Connection`.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .filter_map(|t| HeaderName::from_bytes(t.trim_ascii()).ok())
        .collect();
    for n in named {
        headers.remove(n);
    }
    for n in [
        &header::CONNECTION,
        &KEEP_ALIVE,
        &PROXY_CONNECTION,
        &header::TE,
        &header::TRAILER,
        &header::TRANSFER_ENCODING,
        &header::UPGRADE,
        &header::PROXY_AUTHORIZATION,
    ] {
        headers.remove(n);
    }
}

/// Request headers forwarded to the origin when the response may be cached (GET/HEAD).
///
/// Only these reach the origin, so no other request header can shape a stored object: an
/// origin that reflects `X-Forwarded-Host`, `X-Original-URL` and the like never sees them.
/// The ones listed are either answered with `Vary` by a correct origin (content negotiation,
/// CORS) or make the response unshareable (`Authorization`, RFC 9111 §3.5).
/// `User-Agent` is replaced, as CloudFront does unless it is forwarded (cloudfront.md §3.2).
const CACHEABLE_FORWARD: [HeaderName; 7] = [
    header::ACCEPT,
    header::ACCEPT_ENCODING,
    header::ACCEPT_LANGUAGE,
    header::AUTHORIZATION,
    header::ORIGIN,
    header::ACCESS_CONTROL_REQUEST_METHOD,
    header::ACCESS_CONTROL_REQUEST_HEADERS,
];

/// What the edge adds to every origin request.
pub(crate) struct ToOrigin<'a> {
    pub(crate) host: &'a HeaderValue,
    pub(crate) peer: IpAddr,
    pub(crate) via: &'a HeaderValue,
    pub(crate) request_id: &'a HeaderValue,
}

/// Headers for a cacheable (GET/HEAD) origin request: the allowlist plus the edge's own.
pub(crate) fn cacheable_origin_headers(viewer: &HeaderMap, edge: &ToOrigin<'_>) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(12);
    for name in &CACHEABLE_FORWARD {
        for v in viewer.get_all(name) {
            out.append(name.clone(), v.clone());
        }
    }
    out.insert(header::USER_AGENT, USER_AGENT_VALUE.clone());
    add_edge_request_headers(viewer, &mut out, edge);
    out
}

/// `Range` and the preconditions: a cache fill fetches the whole object, conditionally only
/// on the edge's own stored validators, whatever a policy selects (a viewer's range or
/// `If-None-Match` would turn the fill into a 206 or 304 that cannot be stored); the edge
/// answers them from the object. Pass-through requests send them (`policy_pass_headers`).
pub(crate) fn edge_managed(name: &HeaderName) -> bool {
    *name == header::RANGE || name.as_str().starts_with("if-")
}

/// Whether legacy `ForwardedValues` mode passes a viewer header it does not select
/// (cloudfront.md §3.2: everything except the listed ones, which need selecting). `Host`,
/// `Via`, `X-Forwarded-For` and `X-Amz-Cf-Id` are the edge's to write.
pub(crate) fn legacy_passes(name: &HeaderName) -> bool {
    let n = name.as_str();
    !(n.starts_with("accept")
        || n.starts_with("proxy-")
        || n.starts_with("x-edge-")
        || matches!(
            n,
            "referer"
                | "authorization"
                | "cookie"
                | "expect"
                | "user-agent"
                | "host"
                | "via"
                | "x-forwarded-for"
                | "x-amz-cf-id"
                | "x-forwarded-proto"
                | "x-real-ip"
                | "x-http-method-override"
        ))
}

/// `Vary` toward viewers under a behavior (cloudfront.md §2.8): only the tokens the cache
/// key or the stored variants explain stay — `Accept-Encoding`, `Cookie`, the headers that
/// reach the origin, and `User-Agent` when a device-type header is forwarded; the others (and
/// `*`) go.
pub(crate) fn filter_vary(headers: &mut HeaderMap, rules: &crate::route::Rules) {
    if !headers.contains_key(header::VARY) {
        return;
    }
    let forwarded = &rules.behavior.forwarding.headers;
    let device = forwarded
        .cloudfront
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("cloudfront-is-"));
    let kept: Vec<String> = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| {
            let lower = t.to_ascii_lowercase();
            matches!(lower.as_str(), "accept-encoding" | "cookie")
                || (lower == "user-agent" && device)
                || HeaderName::from_bytes(lower.as_bytes()).is_ok_and(|n| rules.forwards_header(&n))
                || forwarded
                    .cloudfront
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(t))
        })
        .map(str::to_owned)
        .collect();
    headers.remove(header::VARY);
    if let Ok(v) = HeaderValue::from_str(&kept.join(", ")) {
        if !kept.is_empty() {
            headers.insert(header::VARY, v);
        }
    }
}

/// Headers of a pass-through request (a write, an uncached read, a WebSocket handshake) under
/// a behavior's policies (cloudfront.md §3.2): what the policies select, as for a fill, plus
/// what the request needs to mean the same thing at the origin — its body's `Content-*`,
/// `Range` and the `If-*` preconditions ([UNCONFIRMED] which of these CloudFront adds with
/// policies; §3.2 lists them as passed in legacy mode), and a WebSocket handshake's
/// `Sec-WebSocket-*`. Everything else the viewer sent (e.g. `Authorization`, cookies not
/// selected) stays at the edge.
pub(crate) fn policy_pass_headers(
    viewer: &HeaderMap,
    rules: &crate::route::Rules,
    edge: &ToOrigin<'_>,
) -> HeaderMap {
    let mut out = policy_origin_headers(viewer, rules, edge);
    for name in viewer.keys() {
        let n = name.as_str();
        let needed =
            edge_managed(name) || n.starts_with("content-") || n.starts_with("sec-websocket-");
        if needed && !out.contains_key(name) {
            for v in viewer.get_all(name) {
                out.append(name.clone(), v.clone());
            }
        }
    }
    out
}

/// Headers for a cacheable origin request under a behavior's policies (cloudfront.md §2.4,
/// §3.2): the viewer headers and cookies the cache and origin-request policies select, and
/// the edge's own. Nothing else reaches the origin.
///
/// Everything in the cache key is forwarded: the behavior's forwarded cookies already unite
/// the keyed ones with the origin request policy's. When the cache policy normalises
/// `Accept-Encoding`, the origin gets exactly the normalised value (the one in the key), or
/// no `Accept-Encoding` when the viewer accepts neither enabled coding, whatever the origin
/// request policy selects (CloudFront always forwards the normalised header then).
pub(crate) fn policy_origin_headers(
    viewer: &HeaderMap,
    rules: &crate::route::Rules,
    edge: &ToOrigin<'_>,
) -> HeaderMap {
    use brink_model::compiled::NameSelection;
    let forwarding = &rules.behavior.forwarding;
    let normalised_ae = rules.normalises_accept_encoding();
    let mut out = HeaderMap::with_capacity(12);
    let selected = &forwarding.headers.viewer;
    if !selected.is_none() {
        for (name, value) in viewer {
            let never = matches!(
                *name,
                header::HOST
                    | header::COOKIE
                    | header::CONNECTION
                    | header::TE
                    | header::UPGRADE
                    | header::TRANSFER_ENCODING
            ) || *name == X_AMZ_CF_ID
                || *name == X_FORWARDED_FOR
                || *name == header::VIA
                || edge_managed(name)
                || (normalised_ae && *name == header::ACCEPT_ENCODING);
            if !never && selected.includes(name.as_str()) {
                out.append(name.clone(), value.clone());
            }
        }
    }
    if forwarding.legacy {
        // Legacy `ForwardedValues` (cloudfront.md §3.2): headers CloudFront has no rule for
        // (`X-…` and the like), `Cache-Control`, `Pragma`, `Content-*`, `Date`, `If-*`,
        // `Origin` and `Range` pass too; the ones §3.2 lists as stripped stay here.
        let mut passed = viewer.clone();
        strip_hop_by_hop(&mut passed);
        for name in passed.keys() {
            if out.contains_key(name) || !legacy_passes(name) || edge_managed(name) {
                continue;
            }
            for v in passed.get_all(name) {
                out.append(name.clone(), v.clone());
            }
        }
    }
    if let Some(codings) = rules.accepted_encodings(viewer) {
        out.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static(codings.as_str()),
        );
    }
    if !matches!(forwarding.cookies, NameSelection::None) {
        let kept: Vec<&str> = crate::route::cookie_pairs(viewer)
            .filter(|c| forwarding.cookies.includes(crate::route::cookie_name(c)))
            .collect();
        if !kept.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&kept.join("; ")) {
                out.insert(header::COOKIE, v);
            }
        }
    }
    if !out.contains_key(header::USER_AGENT) {
        out.insert(header::USER_AGENT, USER_AGENT_VALUE.clone());
    }
    add_edge_request_headers(viewer, &mut out, edge);
    out
}

/// Headers for a pass-through origin request (other methods): everything end-to-end.
pub(crate) fn pass_origin_headers(viewer: &HeaderMap, edge: &ToOrigin<'_>) -> HeaderMap {
    let mut out = viewer.clone();
    strip_hop_by_hop(&mut out);
    out.remove(header::HOST);
    out.remove(&X_AMZ_CF_ID);
    out.remove(&X_FORWARDED_FOR);
    out.remove(header::VIA);
    add_edge_request_headers(viewer, &mut out, edge);
    out
}

fn add_edge_request_headers(viewer: &HeaderMap, out: &mut HeaderMap, edge: &ToOrigin<'_>) {
    out.insert(header::HOST, edge.host.clone());
    for v in viewer.get_all(&X_FORWARDED_FOR) {
        out.append(X_FORWARDED_FOR.clone(), v.clone());
    }
    append_list(out, &X_FORWARDED_FOR, peer_ip(edge.peer).as_bytes());
    for v in viewer.get_all(header::VIA) {
        out.append(header::VIA, v.clone());
    }
    append_list(out, &header::VIA, edge.via.as_bytes());
    out.insert(X_AMZ_CF_ID.clone(), edge.request_id.clone());
}

fn peer_ip(ip: IpAddr) -> String {
    // IPv4-mapped IPv6 peers are shown as IPv4, like CloudFront does.
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// Cleans an origin response's headers for storing and serving: hop-by-hop fields, the
/// targeted `CDN-Cache-Control` (RFC 9213: consumed here, not passed on), `Age` (recomputed),
/// and — when `strip_set_cookie` — `Set-Cookie` (cloudfront.md §3.1: a behavior that forwards
/// no cookies returns and stores none; one that forwards cookies keeps them, as CloudFront
/// does).
pub(crate) fn clean_response_headers(headers: &mut HeaderMap, strip_set_cookie: bool) {
    strip_hop_by_hop(headers);
    headers.remove(&CDN_CACHE_CONTROL);
    headers.remove(header::AGE);
    headers.remove(&X_CACHE);
    headers.remove(&X_AMZ_CF_POP);
    headers.remove(&X_AMZ_CF_ID);
    headers.remove(&CACHE_STATUS);
    if strip_set_cookie {
        headers.remove(header::SET_COOKIE);
    }
}

/// Merges a 304's headers into a stored response's (RFC 9111 §3.2): every field in the 304
/// replaces the stored one, except the framing fields that describe the stored body.
pub(crate) fn merge_not_modified(stored: &HeaderMap, fresh: &HeaderMap) -> HeaderMap {
    let mut out = stored.clone();
    let mut replaced: Vec<&HeaderName> = Vec::new();
    for (name, value) in fresh {
        if matches!(
            *name,
            header::CONTENT_LENGTH | header::CONTENT_RANGE | header::TRANSFER_ENCODING
        ) {
            continue;
        }
        if !replaced.contains(&name) {
            out.remove(name);
            replaced.push(name);
        }
        out.append(name.clone(), value.clone());
    }
    out
}

/// `Cache-Status` (RFC 9211) values.
pub(crate) fn cache_status(parts: &str) -> HeaderValue {
    let mut s = String::with_capacity(32);
    s.push_str("Brink; ");
    s.push_str(parts);
    HeaderValue::from_str(&s).unwrap_or(HeaderValue::from_static("Brink"))
}

/// Bytes of a header section as CloudFront counts them (names, values, separators).
pub(crate) fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum()
}

/// A copy of `headers` that owns its values. Header values parsed by hyper are slices of the
/// connection's read buffer: storing them as is would pin that whole buffer (kilobytes) for
/// as long as the object lives, and make hyper allocate a new one for the next response.
pub(crate) fn owned(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let mut v = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        v.set_sensitive(value.is_sensitive());
        out.append(name.clone(), v);
    }
    out
}

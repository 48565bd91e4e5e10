//! The forwarding rules: which viewer request headers reach the origin, for cacheable
//! requests and for pass-through ones, under `brink serve` and under a behavior's policies
//! (cloudfront.md §3.2), and which `Vary` tokens viewers see.

use std::net::IpAddr;

use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue};

use super::Rules;
use crate::headers::{
    append_list, strip_hop_by_hop, KEEP_ALIVE, PROXY_CONNECTION, X_AMZ_CF_ID, X_FORWARDED_FOR,
};

/// The `User-Agent` the edge sends when the viewer's is not forwarded.
static USER_AGENT_VALUE: HeaderValue = HeaderValue::from_static("Amazon CloudFront");

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

/// Which viewer request headers `brink serve` sends to the origin on cacheable (GET/HEAD)
/// requests (`--forward-headers`), like an origin request policy's `HeaderBehavior`. Under
/// `brink edge` each behavior's policies decide instead. Pass-through requests always carry
/// every end-to-end header.
///
/// Whatever the choice, the edge writes `Host` (the origin's), `Via`, `X-Forwarded-For` and
/// `X-Amz-Cf-Id`, never forwards hop-by-hop fields (RFC 9110 §7.6.1), and keeps `Range` and
/// the `If-*` preconditions to itself: a fill fetches the whole object, conditional only on
/// the edge's own validators, and the edge answers ranges and preconditions from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ForwardHeaders {
    /// The default: content negotiation and CORS request headers and `Authorization` (the
    /// ones a correct origin answers with `Vary`, or that make a response unshareable).
    #[default]
    AllowList,
    /// No viewer header (`User-Agent` becomes `Amazon CloudFront`).
    None,
    /// Every end-to-end header: with the origin's `Vary` selecting variants (RFC 9111 §4.1)
    /// this is a plain shared HTTP cache.
    All,
    /// Exactly these (lower case).
    Named(Vec<HeaderName>),
}

impl ForwardHeaders {
    /// Parses `none`, `all` or a comma-separated list of header names.
    ///
    /// # Errors
    /// An empty or invalid name, or one the edge writes or keeps itself (`Host`, hop-by-hop
    /// fields, `Via`, `X-Forwarded-For`, `X-Amz-Cf-Id`, `Range`, `If-*`).
    pub fn parse(s: &str) -> Result<ForwardHeaders, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("none") {
            return Ok(ForwardHeaders::None);
        }
        if s.eq_ignore_ascii_case("all") {
            return Ok(ForwardHeaders::All);
        }
        let mut names = Vec::new();
        for item in s.split(',') {
            let item = item.trim();
            let name = HeaderName::from_bytes(item.as_bytes()).map_err(|_| {
                format!("{item:?} is not a header name (none, all, or NAME,NAME...)")
            })?;
            if never_forwarded(&name) {
                return Err(format!(
                    "{name} cannot be forwarded on cacheable requests (the edge writes it, \
                     or it is hop-by-hop, or the edge answers it from the cache)"
                ));
            }
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(ForwardHeaders::Named(names))
    }

    /// Whether a viewer's `name` header reaches the origin on cacheable requests.
    pub(crate) fn includes(&self, name: &HeaderName) -> bool {
        match self {
            ForwardHeaders::AllowList => CACHEABLE_FORWARD.contains(name),
            ForwardHeaders::None => false,
            ForwardHeaders::All => !never_forwarded(name),
            ForwardHeaders::Named(names) => names.contains(name),
        }
    }
}

/// Viewer headers no `ForwardHeaders` choice sends on a cacheable request.
fn never_forwarded(name: &HeaderName) -> bool {
    matches!(
        *name,
        header::HOST
            | header::CONNECTION
            | header::TE
            | header::TRAILER
            | header::TRANSFER_ENCODING
            | header::UPGRADE
            | header::PROXY_AUTHORIZATION
            | header::VIA
    ) || *name == X_AMZ_CF_ID
        || *name == X_FORWARDED_FOR
        || *name == KEEP_ALIVE
        || *name == PROXY_CONNECTION
        || edge_managed(name)
}

/// What the edge adds to every origin request.
pub(crate) struct ToOrigin<'a> {
    pub(crate) host: &'a HeaderValue,
    pub(crate) peer: IpAddr,
    pub(crate) via: &'a HeaderValue,
    pub(crate) request_id: &'a HeaderValue,
}

/// Headers for a cacheable (GET/HEAD) origin request under `brink serve`: the viewer headers
/// `forward` selects plus the edge's own.
pub(crate) fn cacheable_origin_headers(
    viewer: &HeaderMap,
    forward: &ForwardHeaders,
    edge: &ToOrigin<'_>,
) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(12);
    match forward {
        ForwardHeaders::AllowList => {
            for name in &CACHEABLE_FORWARD {
                for v in viewer.get_all(name) {
                    out.append(name.clone(), v.clone());
                }
            }
        }
        ForwardHeaders::None => {}
        ForwardHeaders::Named(names) => {
            for name in names {
                for v in viewer.get_all(name) {
                    out.append(name.clone(), v.clone());
                }
            }
        }
        ForwardHeaders::All => {
            // Fields the viewer's `Connection` names are hop-by-hop too.
            let mut end_to_end = viewer.clone();
            strip_hop_by_hop(&mut end_to_end);
            for (name, v) in &end_to_end {
                if !never_forwarded(name) {
                    out.append(name.clone(), v.clone());
                }
            }
        }
    }
    if !out.contains_key(header::USER_AGENT) {
        out.insert(header::USER_AGENT, USER_AGENT_VALUE.clone());
    }
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
pub(crate) fn filter_vary(headers: &mut HeaderMap, rules: &Rules) {
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
    rules: &Rules,
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
    rules: &Rules,
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
                || (normalised_ae && *name == header::ACCEPT_ENCODING)
                // The edge's own (below): a viewer cannot send them through `allViewer`.
                || name.as_str().starts_with("cloudfront-");
            if !never && selected.includes(name.as_str()) {
                out.append(name.clone(), value.clone());
            }
        }
    }
    // The `CloudFront-*` headers the access phase wrote on the request (keyed ones are
    // forwarded too: the model lists them here as well).
    for name in &forwarding.headers.cloudfront {
        if let Some(v) = viewer.get(name.as_str()) {
            if let Ok(n) = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()) {
                out.insert(n, v.clone());
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
        let kept: Vec<&str> = super::cookie_pairs(viewer)
            .filter(|c| forwarding.cookies.includes(super::cookie_name(c)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_headers_parse() {
        assert_eq!(ForwardHeaders::parse("none"), Ok(ForwardHeaders::None));
        assert_eq!(ForwardHeaders::parse("all"), Ok(ForwardHeaders::All));
        assert_eq!(
            ForwardHeaders::parse("X-Foo, accept,x-foo"),
            Ok(ForwardHeaders::Named(vec![
                HeaderName::from_static("x-foo"),
                header::ACCEPT
            ]))
        );
        for bad in [
            "",
            "a b",
            "x-foo,",
            "host",
            "Range",
            "if-none-match",
            "connection",
        ] {
            assert!(ForwardHeaders::parse(bad).is_err(), "{bad}");
        }
    }
}

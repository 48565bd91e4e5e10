//! Header rules at the edge: what is forwarded to the origin, what is stored, what viewers
//! see, and the CloudFront edge headers (cloudfront.md §3).

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
    pub(crate) const REDIRECT: HeaderValue = HeaderValue::from_static("Redirect from cloudfront");
}

pub(crate) static X_CACHE: HeaderName = HeaderName::from_static("x-cache");
pub(crate) static X_AMZ_CF_POP: HeaderName = HeaderName::from_static("x-amz-cf-pop");
pub(crate) static X_AMZ_CF_ID: HeaderName = HeaderName::from_static("x-amz-cf-id");
pub(crate) static CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");
pub(crate) static CDN_CACHE_CONTROL: HeaderName = HeaderName::from_static("cdn-cache-control");
pub(crate) static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
pub(crate) static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

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
pub(crate) fn merge_not_modified(
    stored: &brink_cache::StoredHeaders,
    fresh: &HeaderMap,
) -> HeaderMap {
    let mut out = stored.to_map(fresh.len());
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

/// Bytes of a header section as CloudFront counts them (names, values, separators).
pub(crate) fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum()
}

//! Response headers policies (cloudfront.md §8.4): removals first, then the policy's security
//! and custom headers (each with its `Override` rule), then CORS for requests that carry
//! `Origin`, and `Server-Timing` for the sampled share of requests. Applied after the cache,
//! so a stored object is shared by every origin and the CORS answer is per request.

use brink_model::compiled::ResponseHeadersPolicy;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Method};

/// What of the viewer's request the policy looks at.
#[derive(Debug, Clone)]
pub(crate) struct CorsRequest {
    pub(crate) origin: Option<HeaderValue>,
    /// `OPTIONS` with `Access-Control-Request-Method`: a preflight.
    pub(crate) preflight: bool,
}

impl CorsRequest {
    pub(crate) fn of(method: &Method, headers: &HeaderMap) -> CorsRequest {
        CorsRequest {
            origin: headers.get(header::ORIGIN).cloned(),
            preflight: *method == Method::OPTIONS
                && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD),
        }
    }
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &str, override_origin: bool) {
    if !override_origin && headers.contains_key(&name) {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// True when this policy answers `req` itself: a CORS preflight from an allowed origin
/// ([UNCONFIRMED] that CloudFront never forwards such preflights; the policy has all the
/// answer needs).
pub(crate) fn answers_preflight(policy: &ResponseHeadersPolicy, req: &CorsRequest) -> bool {
    req.preflight
        && policy.cors.as_ref().is_some_and(|c| {
            req.origin
                .as_ref()
                .and_then(|o| o.to_str().ok())
                .is_some_and(|o| c.allows_origin(o))
        })
}

/// Applies `policy` to a response's headers. `cache_result` feeds `Server-Timing`.
pub(crate) fn apply(
    policy: &ResponseHeadersPolicy,
    req: &CorsRequest,
    headers: &mut HeaderMap,
    cache_result: &str,
) {
    for name in &policy.remove_headers {
        if let Ok(n) = HeaderName::from_bytes(name.as_bytes()) {
            headers.remove(n);
        }
    }
    for h in &policy.headers {
        if let Ok(n) = HeaderName::from_bytes(h.name.as_bytes()) {
            set(headers, n, &h.value, h.override_origin);
        }
    }
    if let (Some(cors), Some(origin)) = (
        &policy.cors,
        req.origin.as_ref().and_then(|o| o.to_str().ok()),
    ) {
        if cors.allows_origin(origin) {
            let o = cors.origin_override;
            set(
                headers,
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                cors.allow_origin_value(origin),
                o,
            );
            if cors.allow_credentials {
                set(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true", o);
            }
            if !cors.expose_headers.is_empty() {
                set(
                    headers,
                    header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    &cors.expose_headers.join(", "),
                    o,
                );
            }
            if req.preflight {
                set(
                    headers,
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    &cors.allow_methods_value,
                    o,
                );
                if !cors.allow_headers.is_empty() {
                    set(
                        headers,
                        header::ACCESS_CONTROL_ALLOW_HEADERS,
                        &cors.allow_headers.join(", "),
                        o,
                    );
                }
                if let Some(age) = cors.max_age_sec {
                    set(headers, header::ACCESS_CONTROL_MAX_AGE, &age.to_string(), o);
                }
            }
            // The answer depends on Origin: caches downstream must know.
            if !headers
                .get_all(header::VARY)
                .iter()
                .any(|v| v.as_bytes().eq_ignore_ascii_case(b"origin"))
            {
                headers.append(header::VARY, HeaderValue::from_static("Origin"));
            }
        }
    }
    if let Some(rate) = policy.server_timing_sampling_rate {
        if fastrand::f64() * 100.0 < rate {
            set(
                headers,
                HeaderName::from_static("server-timing"),
                &format!("cdn-cache-{cache_result}"),
                true,
            );
        }
    }
}

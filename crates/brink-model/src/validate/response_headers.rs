//! Response headers policies (§8.4): CORS, security headers, custom and removed headers.

use super::{is_header_value, is_token, Ctx};
use crate::compiled::{CorsPolicy, PolicyHeader, ResponseHeadersPolicy};
use crate::error::codes;
use crate::raw::{self, CorsMethod};

/// Longest `Content-Security-Policy` value.
pub const MAX_CSP_LEN: usize = 1783;
/// Custom or removed headers per response headers policy.
pub const MAX_RESPONSE_POLICY_HEADERS: usize = 10;
/// Headers a response headers policy may neither add nor remove: hop-by-hop, framing and the
/// CDN's own. [UNCONFIRMED] exact list; these are the ones CloudFront documents as reserved
/// for functions (§10) plus framing headers.
fn is_reserved_response_header(lower: &str) -> bool {
    const EXACT: [&str; 17] = [
        "connection",
        "content-encoding",
        "content-length",
        "expect",
        "host",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "x-cache",
        "x-forwarded-proto",
        "x-real-ip",
    ];
    const PREFIXES: [&str; 4] = ["x-accel-", "x-amz-cf-", "x-amzn-", "x-edge-"];
    EXACT.contains(&lower) || PREFIXES.iter().any(|p| lower.starts_with(p))
}
/// `Access-Control-Allow-Methods` for `ALL`.
const ALL_CORS_METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";

fn cors(cx: &mut Ctx, c: &raw::CorsConfig, path: &str) -> CorsPolicy {
    let opath = format!("{path}.AccessControlAllowOrigins");
    let origins = cx.list(&c.access_control_allow_origins, &opath).to_vec();
    if origins.is_empty() {
        cx.err(
            codes::INVALID_ARGUMENT,
            opath.clone(),
            "at least one allowed origin is required",
        );
    }
    for (j, o) in origins.iter().enumerate() {
        let ok = o == "*"
            || match o.split_once("://") {
                Some((scheme, host)) => {
                    !scheme.is_empty()
                        && scheme.bytes().all(|b| {
                            b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.'
                        })
                        && !host.is_empty()
                        && !host.bytes().any(|b| b <= b' ' || b == b'/' || b == 0x7f)
                        && (!host.contains('*')
                            || host.starts_with("*.") && !host[2..].contains('*'))
                }
                None => false,
            };
        if !ok {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{opath}.Items[{j}]"),
                format!("{o:?} is not `*`, `scheme://host[:port]` or `scheme://*.domain`"),
            );
        }
    }
    let hpath = format!("{path}.AccessControlAllowHeaders");
    let allow_headers = cx.list(&c.access_control_allow_headers, &hpath).to_vec();
    for (j, h) in allow_headers.iter().enumerate() {
        if h != "*" && !is_token(h) {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{hpath}.Items[{j}]"),
                format!("{h:?} is not a header name"),
            );
        }
    }
    let mpath = format!("{path}.AccessControlAllowMethods");
    let methods = cx.list(&c.access_control_allow_methods, &mpath).to_vec();
    if methods.is_empty() {
        cx.err(
            codes::INVALID_ARGUMENT,
            mpath.clone(),
            "at least one method (or ALL) is required",
        );
    }
    let has_all = methods.contains(&CorsMethod::All);
    if has_all && methods.len() > 1 {
        cx.err(
            codes::INVALID_ARGUMENT,
            mpath,
            "ALL cannot be combined with other methods",
        );
    }
    if c.access_control_allow_credentials && origins.iter().any(|o| o == "*") {
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{path}.AccessControlAllowCredentials"),
            "credentials cannot be allowed together with the `*` origin",
        );
    }
    let expose_headers = match &c.access_control_expose_headers {
        Some(l) => cx
            .list(l, &format!("{path}.AccessControlExposeHeaders"))
            .to_vec(),
        None => Vec::new(),
    };
    let allow_methods_value = if has_all {
        ALL_CORS_METHODS.to_string()
    } else {
        methods
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    CorsPolicy {
        allow_origins: origins,
        allow_headers,
        allow_methods: methods,
        allow_methods_value,
        allow_credentials: c.access_control_allow_credentials,
        expose_headers,
        max_age_sec: c.access_control_max_age_sec,
        origin_override: c.origin_override,
    }
}

fn security_headers(
    cx: &mut Ctx,
    s: &raw::SecurityHeadersConfig,
    path: &str,
    out: &mut Vec<PolicyHeader>,
) {
    let header = |name: &str, value: String, override_origin: bool| PolicyHeader {
        name: name.to_string(),
        value,
        override_origin,
    };
    if let Some(x) = &s.xss_protection {
        let xpath = format!("{path}.XSSProtection");
        let mode_block = x.mode_block.unwrap_or(false);
        if mode_block && x.report_uri.is_some() {
            cx.err(
                codes::INVALID_ARGUMENT,
                xpath.clone(),
                "ModeBlock and ReportUri cannot both be set",
            );
        }
        if !x.protection && (mode_block || x.report_uri.is_some()) {
            cx.err(
                codes::INVALID_ARGUMENT,
                xpath.clone(),
                "ModeBlock and ReportUri need Protection true",
            );
        }
        let mut value = String::from(if x.protection { "1" } else { "0" });
        if x.protection && mode_block {
            value.push_str("; mode=block");
        }
        if let Some(uri) = &x.report_uri {
            if !is_header_value(uri) || uri.is_empty() {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{xpath}.ReportUri"),
                    "the report URI is empty or has control characters",
                );
            }
            if x.protection {
                value.push_str("; report=");
                value.push_str(uri);
            }
        }
        out.push(header("X-XSS-Protection", value, x.r#override));
    }
    if let Some(f) = &s.frame_options {
        out.push(header(
            "X-Frame-Options",
            f.frame_option.as_str().to_string(),
            f.r#override,
        ));
    }
    if let Some(r) = &s.referrer_policy {
        out.push(header(
            "Referrer-Policy",
            r.referrer_policy.as_str().to_string(),
            r.r#override,
        ));
    }
    if let Some(c) = &s.content_security_policy {
        let cpath = format!("{path}.ContentSecurityPolicy.ContentSecurityPolicy");
        let n = c.content_security_policy.chars().count();
        if n > MAX_CSP_LEN {
            cx.err(
                codes::TOO_LONG_CSP_IN_RESPONSE_HEADERS_POLICY,
                cpath,
                format!("the policy has {n} characters; at most {MAX_CSP_LEN} are allowed"),
            );
        } else if n == 0 || !is_header_value(&c.content_security_policy) {
            cx.err(
                codes::INVALID_ARGUMENT,
                cpath,
                "the policy is empty or has control characters",
            );
        }
        out.push(header(
            "Content-Security-Policy",
            c.content_security_policy.clone(),
            c.r#override,
        ));
    }
    if let Some(c) = &s.content_type_options {
        out.push(header(
            "X-Content-Type-Options",
            "nosniff".to_string(),
            c.r#override,
        ));
    }
    if let Some(h) = &s.strict_transport_security {
        let mut value = format!("max-age={}", h.access_control_max_age_sec);
        if h.include_subdomains.unwrap_or(false) {
            value.push_str("; includeSubDomains");
        }
        if h.preload.unwrap_or(false) {
            value.push_str("; preload");
        }
        out.push(header("Strict-Transport-Security", value, h.r#override));
    }
}

pub(super) fn response_headers_policy(
    cx: &mut Ctx,
    p: &raw::ResponseHeadersPolicy,
    base: &str,
) -> ResponseHeadersPolicy {
    let cfg = &p.response_headers_policy_config;
    let cfg_path = format!("{base}.ResponseHeadersPolicyConfig");
    cx.resource_name(&cfg.name, format!("{cfg_path}.Name"));
    if let Some(c) = &cfg.comment {
        cx.comment(c, format!("{cfg_path}.Comment"));
    }
    let cors = cfg
        .cors_config
        .as_ref()
        .map(|c| cors(cx, c, &format!("{cfg_path}.CorsConfig")));
    let mut headers = Vec::new();
    if let Some(s) = &cfg.security_headers_config {
        security_headers(
            cx,
            s,
            &format!("{cfg_path}.SecurityHeadersConfig"),
            &mut headers,
        );
    }
    let server_timing_sampling_rate = match &cfg.server_timing_headers_config {
        Some(st) => {
            let spath = format!("{cfg_path}.ServerTimingHeadersConfig.SamplingRate");
            match st.sampling_rate {
                Some(r) if !(0.0..=100.0).contains(&r) => {
                    cx.err(
                        codes::INVALID_ARGUMENT,
                        spath,
                        format!("sampling rate {r} is outside 0–100"),
                    );
                    None
                }
                None if st.enabled => {
                    cx.err(
                        codes::INVALID_ARGUMENT,
                        spath,
                        "a sampling rate is required when Server-Timing is enabled",
                    );
                    None
                }
                r if st.enabled => r,
                _ => None,
            }
        }
        None => None,
    };
    let security_count = headers.len();
    if let Some(list) = &cfg.custom_headers_config {
        let path = format!("{cfg_path}.CustomHeadersConfig");
        let items = cx.list(list, &path);
        if items.len() > MAX_RESPONSE_POLICY_HEADERS {
            cx.err(
                codes::TOO_MANY_CUSTOM_HEADERS_IN_RESPONSE_HEADERS_POLICY,
                path.clone(),
                format!("at most {MAX_RESPONSE_POLICY_HEADERS} custom headers are allowed"),
            );
        }
        for (j, h) in items.iter().enumerate() {
            let ipath = format!("{path}.Items[{j}]");
            let lower = h.header.to_ascii_lowercase();
            if !is_token(&h.header) {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{ipath}.Header"),
                    format!("{:?} is not a header name", h.header),
                );
            } else if is_reserved_response_header(&lower) || lower.starts_with("access-control-") {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{ipath}.Header"),
                    format!("{} cannot be set by a custom header", h.header),
                );
            } else if headers
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(&h.header))
            {
                let what = if headers[..security_count]
                    .iter()
                    .any(|x| x.name.eq_ignore_ascii_case(&h.header))
                {
                    "is already set by the security headers"
                } else {
                    "is listed twice"
                };
                cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{ipath}.Header"),
                    format!("{} {what}", h.header),
                );
            }
            if !is_header_value(&h.value) {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{ipath}.Value"),
                    "the value has control characters",
                );
            }
            headers.push(PolicyHeader {
                name: h.header.clone(),
                value: h.value.clone(),
                override_origin: h.r#override,
            });
        }
    }
    let mut remove_headers: Vec<String> = Vec::new();
    if let Some(list) = &cfg.remove_headers_config {
        let path = format!("{cfg_path}.RemoveHeadersConfig");
        let items = cx.list(list, &path);
        if items.len() > MAX_RESPONSE_POLICY_HEADERS {
            cx.err(
                codes::TOO_MANY_REMOVE_HEADERS_IN_RESPONSE_HEADERS_POLICY,
                path.clone(),
                format!("at most {MAX_RESPONSE_POLICY_HEADERS} removed headers are allowed"),
            );
        }
        for (j, h) in items.iter().enumerate() {
            let hpath = format!("{path}.Items[{j}].Header");
            let lower = h.header.to_ascii_lowercase();
            if !is_token(&h.header) {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    hpath,
                    format!("{:?} is not a header name", h.header),
                );
            } else if is_reserved_response_header(&lower) {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    hpath,
                    format!("{} cannot be removed", h.header),
                );
            } else if remove_headers.contains(&lower) {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    hpath,
                    format!("{} is listed twice", h.header),
                );
            } else {
                remove_headers.push(lower);
            }
        }
    }
    ResponseHeadersPolicy {
        id: p.id.clone(),
        name: cfg.name.clone(),
        cors,
        headers,
        remove_headers,
        server_timing_sampling_rate,
    }
}

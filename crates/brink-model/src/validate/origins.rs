//! Origins and origin groups (§7).

use std::collections::HashMap;
use std::time::Duration;

use super::{is_header_value, is_token, Ctx};
use crate::compiled::{
    Origin, OriginGroup, OriginGroupIndex, OriginIndex, OriginKind, OriginTarget,
};
use crate::error::codes;
use crate::host::is_valid_host_name;
use crate::raw::{
    self, IpAddressType, OriginGroupSelectionCriteria, OriginHttpVersion, SslProtocol,
};

/// Most origins per distribution.
pub const MAX_ORIGINS: usize = 25;
/// Most origin groups per distribution.
pub const MAX_ORIGIN_GROUPS: usize = 10;
/// Most custom headers per origin.
pub const MAX_ORIGIN_CUSTOM_HEADERS: usize = 10;
/// Longest origin custom header name.
pub const MAX_CUSTOM_HEADER_NAME: usize = 256;
/// Longest origin custom header value.
pub const MAX_CUSTOM_HEADER_VALUE: usize = 1783;
/// Longest total of origin custom header names and values.
pub const MAX_CUSTOM_HEADERS_TOTAL: usize = 10_240;
/// Accepted range of read and keep-alive timeouts, seconds (§7.2).
pub const ORIGIN_TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 1..=120;
/// Status codes an origin group may fail over on (§7.3).
pub const FAILOVER_STATUS_CODES: [u32; 8] = [400, 403, 404, 416, 500, 502, 503, 504];

/// Headers CloudFront refuses as origin custom headers. [UNCONFIRMED] list as documented in
/// the Developer Guide ("Custom headers that CloudFront can't add to origin requests").
fn is_forbidden_origin_header(lower: &str) -> bool {
    const EXACT: [&str; 22] = [
        "cache-control",
        "connection",
        "content-length",
        "cookie",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "max-forwards",
        "pragma",
        "proxy-authorization",
        "proxy-connection",
        "range",
        "request-range",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "x-real-ip",
    ];
    EXACT.contains(&lower) || lower.starts_with("x-amz-") || lower.starts_with("x-edge-")
}

fn valid_port(p: u32) -> bool {
    p == 80 || p == 443 || (1024..=65_535).contains(&p)
}

/// Compiles `Origins`; returns them with an id → index map (first occurrence wins).
pub(crate) fn compile_origins(
    cx: &mut Ctx,
    reg: &super::policies::Registry,
    list: &raw::Origins,
    base: &str,
) -> (Vec<Origin>, HashMap<String, OriginIndex>) {
    let path = format!("{base}.Origins");
    let items = cx.list(list, &path);
    if items.is_empty() {
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{path}.Items"),
            "a distribution needs at least one origin",
        );
    }
    if items.len() > MAX_ORIGINS {
        cx.err(
            codes::TOO_MANY_ORIGINS,
            format!("{path}.Items"),
            format!("{} origins; at most {MAX_ORIGINS} are allowed", items.len()),
        );
    }
    let mut ids = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, o) in items.iter().enumerate() {
        let opath = format!("{path}.Items[{i}]");
        if o.id.is_empty() {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{opath}.Id"),
                "the origin id is empty",
            );
        } else if ids.contains_key(&o.id) {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{opath}.Id"),
                format!("origin id {:?} is used twice", o.id),
            );
        } else {
            ids.insert(o.id.clone(), OriginIndex(out.len()));
        }
        out.push(origin(cx, reg, o, &opath));
    }
    (out, ids)
}

fn origin(cx: &mut Ctx, reg: &super::policies::Registry, o: &raw::Origin, path: &str) -> Origin {
    if o.domain_name.is_empty() {
        cx.err(
            codes::INVALID_ORIGIN,
            format!("{path}.DomainName"),
            "the origin domain name is empty",
        );
    } else if !is_valid_host_name(&o.domain_name) {
        cx.err(
            codes::INVALID_ORIGIN,
            format!("{path}.DomainName"),
            format!("{:?} is not a valid host name", o.domain_name),
        );
    }
    origin_path(cx, &o.origin_path, format!("{path}.OriginPath"));

    let kinds = [
        o.s3_origin_config.is_some(),
        o.custom_origin_config.is_some(),
        o.vpc_origin_config.is_some(),
    ];
    let n_kinds = kinds.iter().filter(|k| **k).count();
    if n_kinds != 1 {
        cx.err(
            codes::INVALID_ORIGIN,
            path,
            format!(
                "an origin needs exactly one of S3OriginConfig, CustomOriginConfig or \
                 VpcOriginConfig; {n_kinds} given"
            ),
        );
    }

    if !(1..=3).contains(&o.connection_attempts) {
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{path}.ConnectionAttempts"),
            format!("{} is outside 1–3", o.connection_attempts),
        );
    }
    if !(1..=10).contains(&o.connection_timeout) {
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{path}.ConnectionTimeout"),
            format!("{} is outside 1–10 seconds", o.connection_timeout),
        );
    }

    let oac = (!o.origin_access_control_id.is_empty()).then(|| o.origin_access_control_id.clone());
    let mut read_timeout = raw::DEFAULT_ORIGIN_READ_TIMEOUT;
    let mut keepalive_timeout = raw::DEFAULT_ORIGIN_KEEPALIVE_TIMEOUT;
    let kind = if let Some(s3) = &o.s3_origin_config {
        let spath = format!("{path}.S3OriginConfig");
        let oai = &s3.origin_access_identity;
        if !oai.is_empty() {
            let ok = oai
                .strip_prefix("origin-access-identity/cloudfront/")
                .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()));
            if !ok {
                cx.err(
                    codes::INVALID_ORIGIN_ACCESS_IDENTITY,
                    format!("{spath}.OriginAccessIdentity"),
                    format!("{oai:?} is not of the form origin-access-identity/cloudfront/<id>"),
                );
            }
            if oac.is_some() {
                cx.err(
                    codes::ILLEGAL_ORIGIN_ACCESS_CONFIGURATION,
                    format!("{spath}.OriginAccessIdentity"),
                    "an origin cannot use both an origin access identity and an origin access \
                     control; set OriginAccessIdentity to \"\"",
                );
            }
        }
        if let Some(t) = s3.origin_read_timeout {
            read_timeout = timeout(
                cx,
                t,
                format!("{spath}.OriginReadTimeout"),
                codes::INVALID_ORIGIN_READ_TIMEOUT,
            );
        }
        OriginKind::S3 {
            origin_access_identity: (!oai.is_empty()).then(|| oai.clone()),
        }
    } else if let Some(c) = &o.custom_origin_config {
        let cpath = format!("{path}.CustomOriginConfig");
        for (port, field) in [(c.http_port, "HTTPPort"), (c.https_port, "HTTPSPort")] {
            if !valid_port(port) {
                cx.err(
                    codes::INVALID_ORIGIN,
                    format!("{cpath}.{field}"),
                    format!("port {port} is not 80, 443 or 1024–65535"),
                );
            }
        }
        read_timeout = timeout(
            cx,
            c.origin_read_timeout,
            format!("{cpath}.OriginReadTimeout"),
            codes::INVALID_ORIGIN_READ_TIMEOUT,
        );
        keepalive_timeout = timeout(
            cx,
            c.origin_keepalive_timeout,
            format!("{cpath}.OriginKeepaliveTimeout"),
            codes::INVALID_ORIGIN_KEEPALIVE_TIMEOUT,
        );
        let ssl_protocols = match &c.origin_ssl_protocols {
            Some(l) => {
                let spath = format!("{cpath}.OriginSslProtocols");
                let items = cx.list(l, &spath).to_vec();
                if items.is_empty() {
                    cx.err(
                        codes::INVALID_ARGUMENT,
                        spath,
                        "at least one TLS version is required",
                    );
                }
                items
            }
            // [UNCONFIRMED] what CloudFront assumes when the list is omitted.
            None => vec![
                SslProtocol::TlsV1,
                SslProtocol::TlsV1_1,
                SslProtocol::TlsV1_2,
            ],
        };
        let http_version = c.origin_http_version.unwrap_or(OriginHttpVersion::Http1_1);
        if http_version == OriginHttpVersion::Http2
            && !ssl_protocols.contains(&SslProtocol::TlsV1_2)
        {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{cpath}.OriginHttpVersion"),
                "HTTP/2 toward the origin needs TLSv1.2 in OriginSslProtocols",
            );
        }
        OriginKind::Custom {
            http_port: u16::try_from(c.http_port).unwrap_or(80),
            https_port: u16::try_from(c.https_port).unwrap_or(443),
            protocol_policy: c.origin_protocol_policy,
            ssl_protocols,
            ip_address_type: c.ip_address_type.unwrap_or(IpAddressType::Ipv4),
            http_version,
        }
    } else if let Some(v) = &o.vpc_origin_config {
        let vpath = format!("{path}.VpcOriginConfig");
        if v.vpc_origin_id.is_empty() {
            cx.err(
                codes::INVALID_ORIGIN,
                format!("{vpath}.VpcOriginId"),
                "the VPC origin id is empty",
            );
        }
        if let Some(t) = v.origin_read_timeout {
            read_timeout = timeout(
                cx,
                t,
                format!("{vpath}.OriginReadTimeout"),
                codes::INVALID_ORIGIN_READ_TIMEOUT,
            );
        }
        if let Some(t) = v.origin_keepalive_timeout {
            keepalive_timeout = timeout(
                cx,
                t,
                format!("{vpath}.OriginKeepaliveTimeout"),
                codes::INVALID_ORIGIN_KEEPALIVE_TIMEOUT,
            );
        }
        OriginKind::Vpc {
            vpc_origin_id: v.vpc_origin_id.clone(),
        }
    } else {
        OriginKind::S3 {
            origin_access_identity: None,
        }
    };

    let response_completion_timeout = o.response_completion_timeout.map(|t| {
        if t < read_timeout {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{path}.ResponseCompletionTimeout"),
                format!("{t} s is shorter than the origin read timeout ({read_timeout} s)"),
            );
        }
        Duration::from_secs(u64::from(t))
    });

    let shield = &o.origin_shield;
    let origin_shield_region = if shield.enabled {
        let region = shield.origin_shield_region.clone().unwrap_or_default();
        let ok = region.len() <= 32
            && region.split('-').count() >= 3
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{path}.OriginShield.OriginShieldRegion"),
                format!("{region:?} is not a region name such as us-east-1"),
            );
        }
        Some(region)
    } else {
        None
    };

    let custom_headers = custom_headers(cx, &o.custom_headers, &format!("{path}.CustomHeaders"));
    let origin_access_control = oac.as_ref().and_then(|id| {
        let found = reg.origin_access_controls.get(id).cloned();
        match &found {
            None => cx.err(
                codes::NO_SUCH_ORIGIN_ACCESS_CONTROL,
                format!("{path}.OriginAccessControlId"),
                format!("no origin access control {id:?} in OriginAccessControls"),
            ),
            Some(c) if c.origin_type == raw::OacOriginType::S3 && o.s3_origin_config.is_none() => {
                cx.err(
                    codes::ILLEGAL_ORIGIN_ACCESS_CONFIGURATION,
                    format!("{path}.OriginAccessControlId"),
                    format!("origin access control {id:?} is for S3 origins; this origin has no S3OriginConfig"),
                )
            }
            Some(_) => {}
        }
        found
    });

    Origin {
        id: o.id.clone(),
        domain_name: o.domain_name.to_ascii_lowercase(),
        origin_path: o.origin_path.clone(),
        kind,
        custom_headers,
        connection_attempts: u8::try_from(o.connection_attempts.clamp(1, 3)).unwrap_or(3),
        connection_timeout: Duration::from_secs(u64::from(o.connection_timeout)),
        read_timeout: Duration::from_secs(u64::from(read_timeout)),
        keepalive_timeout: Duration::from_secs(u64::from(keepalive_timeout)),
        response_completion_timeout,
        origin_shield_region,
        origin_access_control_id: oac,
        origin_access_control,
    }
}

/// Compiles `OriginAccessControls`: ids and names unique, names 1–64 characters.
pub(crate) fn origin_access_controls(
    cx: &mut Ctx,
    list: &[raw::OriginAccessControl],
) -> HashMap<String, std::sync::Arc<crate::compiled::OriginAccessControl>> {
    let mut out = HashMap::new();
    let mut names = std::collections::HashSet::new();
    for (i, c) in list.iter().enumerate() {
        let base = format!("OriginAccessControls[{i}]");
        let cfg = &c.origin_access_control_config;
        if c.id.is_empty() {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{base}.Id"),
                "the origin access control id is empty",
            );
            continue;
        }
        if out.contains_key(&c.id) {
            cx.err(
                codes::ORIGIN_ACCESS_CONTROL_ALREADY_EXISTS,
                format!("{base}.Id"),
                format!("origin access control id {:?} is used twice", c.id),
            );
            continue;
        }
        let name_path = format!("{base}.OriginAccessControlConfig.Name");
        if cfg.name.is_empty() || cfg.name.chars().count() > 64 {
            cx.err(
                codes::INVALID_ARGUMENT,
                name_path,
                "the name must be 1–64 characters",
            );
        } else if !names.insert(cfg.name.clone()) {
            cx.err(
                codes::ORIGIN_ACCESS_CONTROL_ALREADY_EXISTS,
                name_path,
                format!("origin access control name {:?} is used twice", cfg.name),
            );
        }
        out.insert(
            c.id.clone(),
            std::sync::Arc::new(crate::compiled::OriginAccessControl {
                id: c.id.clone(),
                name: cfg.name.clone(),
                signing_behavior: cfg.signing_behavior,
                origin_type: cfg.origin_access_control_origin_type,
            }),
        );
    }
    out
}

fn timeout(cx: &mut Ctx, t: u32, path: String, code: &'static str) -> u32 {
    if !ORIGIN_TIMEOUT_RANGE.contains(&t) {
        cx.err(code, path, format!("{t} is outside 1–120 seconds"));
    }
    t
}

/// `OriginPath`: `""`, or `/` + allowed characters, no trailing `/`, at most 255 characters.
/// CloudFront has no dedicated code for this; it answers `InvalidArgument`.
fn origin_path(cx: &mut Ctx, p: &str, path: String) {
    if p.is_empty() {
        return;
    }
    let problem = if !p.starts_with('/') {
        Some("must start with '/'".to_string())
    } else if p.ends_with('/') {
        Some("must not end with '/'".to_string())
    } else if p.chars().count() > 255 {
        Some("must have at most 255 characters".to_string())
    } else {
        p.chars()
            .find(|c| !crate::path_pattern::is_pattern_char(*c) || matches!(c, '*' | '?'))
            .map(|c| format!("contains {c:?}"))
    };
    if let Some(problem) = problem {
        cx.err(
            codes::INVALID_ARGUMENT,
            path,
            format!("origin path {p:?} {problem}"),
        );
    }
}

fn custom_headers(
    cx: &mut Ctx,
    list: &raw::List<raw::OriginCustomHeader>,
    path: &str,
) -> Vec<(String, String)> {
    let items = cx.list(list, path);
    if items.len() > MAX_ORIGIN_CUSTOM_HEADERS {
        cx.err(
            codes::TOO_MANY_ORIGIN_CUSTOM_HEADERS,
            path,
            format!(
                "{} custom headers; at most {MAX_ORIGIN_CUSTOM_HEADERS} are allowed",
                items.len()
            ),
        );
    }
    let mut total = 0usize;
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for (j, h) in items.iter().enumerate() {
        let ipath = format!("{path}.Items[{j}]");
        let lower = h.header_name.to_ascii_lowercase();
        total += h.header_name.len() + h.header_value.len();
        if !is_token(&h.header_name) || h.header_name.len() > MAX_CUSTOM_HEADER_NAME {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{ipath}.HeaderName"),
                format!(
                    "{:?} is not a header name of at most {MAX_CUSTOM_HEADER_NAME} characters",
                    h.header_name
                ),
            );
        } else if is_forbidden_origin_header(&lower) {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{ipath}.HeaderName"),
                format!("{} cannot be added to origin requests", h.header_name),
            );
        } else if seen.contains(&lower) {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{ipath}.HeaderName"),
                format!("{} is listed twice", h.header_name),
            );
        }
        seen.push(lower);
        if h.header_value.len() > MAX_CUSTOM_HEADER_VALUE || !is_header_value(&h.header_value) {
            // The value may be a secret: describe it, never echo it.
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{ipath}.HeaderValue"),
                format!(
                    "the value must have at most {MAX_CUSTOM_HEADER_VALUE} characters and no \
                     control characters"
                ),
            );
        }
        out.push((h.header_name.clone(), h.header_value.clone()));
    }
    if total > MAX_CUSTOM_HEADERS_TOTAL {
        cx.err(
            codes::INVALID_ARGUMENT,
            path,
            format!(
                "custom headers total {total} characters; at most {MAX_CUSTOM_HEADERS_TOTAL} \
                 are allowed"
            ),
        );
    }
    out
}

/// Compiles `OriginGroups`; group ids must differ from origin ids.
pub(crate) fn compile_groups(
    cx: &mut Ctx,
    list: &raw::OriginGroups,
    base: &str,
    origin_ids: &HashMap<String, OriginIndex>,
) -> (Vec<OriginGroup>, HashMap<String, OriginGroupIndex>) {
    let path = format!("{base}.OriginGroups");
    let items = cx.list(list, &path);
    if items.len() > MAX_ORIGIN_GROUPS {
        cx.err(
            codes::TOO_MANY_ORIGIN_GROUPS_PER_DISTRIBUTION,
            format!("{path}.Items"),
            format!(
                "{} origin groups; at most {MAX_ORIGIN_GROUPS} are allowed",
                items.len()
            ),
        );
    }
    let mut ids = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, g) in items.iter().enumerate() {
        let gpath = format!("{path}.Items[{i}]");
        if g.id.is_empty() {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{gpath}.Id"),
                "the origin group id is empty",
            );
        } else if origin_ids.contains_key(&g.id) || ids.contains_key(&g.id) {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{gpath}.Id"),
                format!("id {:?} is already used by an origin or origin group", g.id),
            );
        } else {
            ids.insert(g.id.clone(), OriginGroupIndex(out.len()));
        }

        let spath = format!("{gpath}.FailoverCriteria.StatusCodes");
        let codes_list = cx.list(&g.failover_criteria.status_codes, &spath);
        if codes_list.is_empty() {
            cx.err(
                codes::INVALID_ARGUMENT,
                spath.clone(),
                "at least one failover status code is required",
            );
        }
        let mut failover_status_codes: Vec<u16> = Vec::new();
        for (j, code) in codes_list.iter().enumerate() {
            if !FAILOVER_STATUS_CODES.contains(code) {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{spath}.Items[{j}]"),
                    format!("{code} is not one of 400, 403, 404, 416, 500, 502, 503, 504"),
                );
            } else if let Ok(c) = u16::try_from(*code) {
                if failover_status_codes.contains(&c) {
                    cx.err(
                        codes::INVALID_ARGUMENT,
                        format!("{spath}.Items[{j}]"),
                        format!("{code} is listed twice"),
                    );
                } else {
                    failover_status_codes.push(c);
                }
            }
        }

        let mpath = format!("{gpath}.Members");
        let members = cx.list(&g.members, &mpath);
        if members.len() != 2 {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{mpath}.Items"),
                format!(
                    "an origin group has exactly 2 members; {} given",
                    members.len()
                ),
            );
        }
        let mut resolved = Vec::with_capacity(2);
        for (j, m) in members.iter().enumerate() {
            match origin_ids.get(&m.origin_id) {
                Some(idx) => resolved.push(*idx),
                None => cx.err(
                    codes::NO_SUCH_ORIGIN,
                    format!("{mpath}.Items[{j}].OriginId"),
                    format!("no origin has id {:?}", m.origin_id),
                ),
            }
        }
        if members.len() == 2 && members[0].origin_id == members[1].origin_id {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{mpath}.Items[1].OriginId"),
                "both members are the same origin",
            );
        }
        let primary = resolved.first().copied().unwrap_or(OriginIndex(0));
        let secondary = resolved.get(1).copied().unwrap_or(primary);
        out.push(OriginGroup {
            id: g.id.clone(),
            primary,
            secondary,
            failover_status_codes,
            selection_criteria: g
                .selection_criteria
                .unwrap_or(OriginGroupSelectionCriteria::Default),
        });
    }
    (out, ids)
}

/// Resolves a `TargetOriginId`.
pub(crate) fn resolve_target(
    id: &str,
    origins: &HashMap<String, OriginIndex>,
    groups: &HashMap<String, OriginGroupIndex>,
) -> Option<OriginTarget> {
    origins
        .get(id)
        .map(|i| OriginTarget::Origin(*i))
        .or_else(|| groups.get(id).map(|g| OriginTarget::Group(*g)))
}

//! One distribution: identity, aliases, root object, error responses, certificate, geo,
//! logging; origins and behaviors are delegated.

use std::time::Duration;

use super::behaviors::{compile_all, Targets};
use super::origins::{compile_groups, compile_origins};
use super::policies::Registry;
use super::{Ctx, Uses, ValidateOptions};
use crate::compiled::{
    CustomErrorResponse, Distribution, DistributionHeader, GeoRestriction, Logging,
    ViewerCertificate, ViewerCertificateSource,
};
use crate::error::codes;
use crate::geo::is_country_code;
use crate::host::generated_domain_name;
use crate::raw::{self, GeoRestrictionType, MinimumProtocolVersion, SslSupportMethod};
use crate::ttl::DEFAULT_ERROR_CACHING_MIN_TTL;

/// Most aliases per distribution.
pub const MAX_ALIASES: usize = 100;
/// Status codes a custom error response may handle (§8.2).
pub const ERROR_CODES: [u32; 11] = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

pub(crate) fn compile(
    cx: &mut Ctx,
    reg: &Registry,
    d: &raw::Distribution,
    i: usize,
    opts: &ValidateOptions,
) -> (Distribution, Uses) {
    let base = format!("Distributions[{i}]");
    let cfg_path = format!("{base}.DistributionConfig");
    let c = &d.distribution_config;
    let mut uses = Uses::default();

    let domain_name = cx.distribution_identity(
        (&d.id, d.domain_name.as_deref()),
        (&c.caller_reference, &c.comment),
        (&base, &cfg_path),
        || generated_domain_name(&d.id, &opts.cdn_domain),
    );

    let aliases = aliases(cx, &c.aliases, &cfg_path, c.staging);
    let default_root_object = root_object(cx, &c.default_root_object, &cfg_path);

    let (origins, origin_ids) = compile_origins(cx, reg, &c.origins, &cfg_path);
    let (groups, group_ids) = compile_groups(cx, &c.origin_groups, &cfg_path, &origin_ids);
    let targets = Targets {
        origin_ids: &origin_ids,
        group_ids: &group_ids,
        origins: &origins,
        groups: &groups,
    };
    let behaviors = compile_all(cx, reg, c, &cfg_path, &targets, &mut uses);

    let errors = error_responses(cx, &c.custom_error_responses, &cfg_path);
    let geo = geo(cx, &c.restrictions.geo_restriction, &cfg_path);
    let cert = viewer_certificate(cx, &c.viewer_certificate, &cfg_path);

    let logging = if c.logging.enabled {
        if c.logging.bucket.is_empty() {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{cfg_path}.Logging.Bucket"),
                "logging is enabled but no bucket is given",
            );
        }
        Some(Logging {
            include_cookies: c.logging.include_cookies,
            bucket: c.logging.bucket.clone(),
            prefix: c.logging.prefix.clone(),
        })
    } else {
        None
    };

    let web_acl_id = if c.web_acl_id.is_empty() {
        None
    } else {
        let id = &c.web_acl_id;
        let uuid_like = id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        if !(id.starts_with("arn:aws:wafv2:") || uuid_like) {
            cx.err(
                codes::INVALID_WEB_ACL_ID,
                format!("{cfg_path}.WebACLId"),
                format!("{id:?} is neither a WAFv2 web ACL ARN nor a WAF Classic id"),
            );
        }
        Some(id.clone())
    };
    if !c.continuous_deployment_policy_id.is_empty() {
        cx.err(
            codes::NO_SUCH_CONTINUOUS_DEPLOYMENT_POLICY,
            format!("{cfg_path}.ContinuousDeploymentPolicyId"),
            format!(
                "continuous deployment policy {:?} does not exist (Brink has none)",
                c.continuous_deployment_policy_id
            ),
        );
    }

    let header = DistributionHeader {
        id: d.id.clone(),
        arn: d.arn.clone(),
        domain_name,
        aliases,
        enabled: c.enabled,
        staging: c.staging,
        comment: c.comment.clone(),
        default_root_object,
        http_version: c.http_version,
        ipv6_enabled: c.is_ipv6_enabled.unwrap_or(false),
        price_class: c.price_class,
        logging,
        web_acl_id,
    };
    let dist = Distribution::assemble(header, origins, groups, behaviors, errors, geo, cert);
    (dist, uses)
}

fn aliases(cx: &mut Ctx, list: &raw::Aliases, base: &str, staging: bool) -> Vec<String> {
    let path = format!("{base}.Aliases");
    let items = cx.list(list, &path);
    if items.len() > MAX_ALIASES {
        cx.err(
            codes::TOO_MANY_DISTRIBUTION_CNAMES,
            format!("{path}.Items"),
            format!("{} aliases; at most {MAX_ALIASES} are allowed", items.len()),
        );
    }
    if staging && !items.is_empty() {
        // [UNCONFIRMED] CloudFront's code; staging distributions are reached through the
        // primary's continuous deployment policy, never by alias.
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{path}.Items"),
            "a staging distribution cannot have aliases",
        );
    }
    cx.alias_items(items, &path)
}

/// `DefaultRootObject`: no leading `/`, at most 255 characters of the path-pattern set
/// minus the wildcards.
fn root_object(cx: &mut Ctx, obj: &str, base: &str) -> Option<String> {
    if obj.is_empty() {
        return None;
    }
    let path = format!("{base}.DefaultRootObject");
    let bad_char = obj
        .chars()
        .find(|c| !crate::path_pattern::is_pattern_char(*c) || matches!(c, '?'));
    let problem = if obj.starts_with('/') {
        Some("must not start with '/'".to_string())
    } else if obj.ends_with('/') {
        Some("must name an object, not end with '/'".to_string())
    } else if obj.chars().count() > 255 {
        Some("must have at most 255 characters".to_string())
    } else {
        bad_char.map(|c| format!("contains {c:?}"))
    };
    if let Some(problem) = problem {
        cx.err(
            codes::INVALID_DEFAULT_ROOT_OBJECT,
            path,
            format!("default root object {obj:?} {problem}"),
        );
    }
    Some(obj.to_string())
}

fn error_responses(
    cx: &mut Ctx,
    list: &raw::CustomErrorResponses,
    base: &str,
) -> Vec<CustomErrorResponse> {
    let path = format!("{base}.CustomErrorResponses");
    let items = cx.list(list, &path);
    let mut out: Vec<CustomErrorResponse> = Vec::with_capacity(items.len());
    for (k, e) in items.iter().enumerate() {
        let epath = format!("{path}.Items[{k}]");
        let error_code = u16::try_from(e.error_code).unwrap_or(0);
        if !ERROR_CODES.contains(&e.error_code) {
            cx.err(
                codes::INVALID_ERROR_CODE,
                format!("{epath}.ErrorCode"),
                format!(
                    "{} is not one of 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504",
                    e.error_code
                ),
            );
        } else if out.iter().any(|o| o.error_code == error_code) {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{epath}.ErrorCode"),
                format!("{} has two custom error responses", e.error_code),
            );
        }

        let response_code = if e.response_code.is_empty() {
            None
        } else {
            match e.response_code.parse::<u32>() {
                Ok(code) if code == 200 || ERROR_CODES.contains(&code) => u16::try_from(code).ok(),
                _ => {
                    cx.err(
                        codes::INVALID_RESPONSE_CODE,
                        format!("{epath}.ResponseCode"),
                        format!(
                            "{:?} is not 200 or one of the supported error codes",
                            e.response_code
                        ),
                    );
                    None
                }
            }
        };

        let page = &e.response_page_path;
        let response_page_path = if page.is_empty() {
            None
        } else {
            let ok = page.starts_with('/')
                && page.chars().count() <= 4000
                && !page.bytes().any(|b| b <= b' ' || b == 0x7f);
            if !ok {
                cx.err(
                    codes::INVALID_RELATIVE_PATH,
                    format!("{epath}.ResponsePagePath"),
                    format!(
                        "{page:?} must start with '/' and have no spaces or control characters"
                    ),
                );
            }
            Some(page.clone())
        };
        // A page and a status replace the error together (§8.2).
        if response_page_path.is_some() && e.response_code.is_empty() {
            cx.err(
                codes::INVALID_RESPONSE_CODE,
                format!("{epath}.ResponseCode"),
                "a ResponsePagePath needs a ResponseCode",
            );
        }
        if response_page_path.is_none() && !e.response_code.is_empty() {
            cx.err(
                codes::INVALID_RELATIVE_PATH,
                format!("{epath}.ResponsePagePath"),
                "a ResponseCode needs a ResponsePagePath",
            );
        }

        out.push(CustomErrorResponse {
            error_code,
            response_page_path,
            response_code,
            error_caching_min_ttl: e
                .error_caching_min_ttl
                .map_or(DEFAULT_ERROR_CACHING_MIN_TTL, Duration::from_secs),
        });
    }
    out
}

fn geo(cx: &mut Ctx, g: &raw::GeoRestriction, base: &str) -> GeoRestriction {
    let path = format!("{base}.Restrictions.GeoRestriction");
    let items = cx.items(g.quantity, &g.items, &path);
    match g.restriction_type {
        GeoRestrictionType::None if !items.is_empty() => {
            cx.err(
                codes::INVALID_GEO_RESTRICTION_PARAMETER,
                format!("{path}.Items"),
                "locations are listed but RestrictionType is none",
            );
        }
        GeoRestrictionType::Whitelist | GeoRestrictionType::Blacklist if items.is_empty() => {
            cx.err(
                codes::INVALID_GEO_RESTRICTION_PARAMETER,
                format!("{path}.Items"),
                format!(
                    "RestrictionType is {} but no location is listed",
                    g.restriction_type
                ),
            );
        }
        _ => {}
    }
    let mut countries: Vec<String> = Vec::with_capacity(items.len());
    for (k, code) in items.iter().enumerate() {
        let ipath = format!("{path}.Items[{k}]");
        if !is_country_code(code) {
            cx.err(
                codes::INVALID_LOCATION_CODE,
                ipath,
                format!("{code:?} is not an uppercase ISO 3166-1 alpha-2 country code"),
            );
        } else if countries.contains(code) {
            cx.err(
                codes::INVALID_GEO_RESTRICTION_PARAMETER,
                ipath,
                format!("{code} is listed twice"),
            );
        } else {
            countries.push(code.clone());
        }
    }
    match g.restriction_type {
        GeoRestrictionType::None => GeoRestriction::None,
        GeoRestrictionType::Whitelist => GeoRestriction::Allow(countries),
        GeoRestrictionType::Blacklist => GeoRestriction::Deny(countries),
    }
}

fn viewer_certificate(cx: &mut Ctx, v: &raw::ViewerCertificate, base: &str) -> ViewerCertificate {
    let path = format!("{base}.ViewerCertificate");
    let default = v.cloudfront_default_certificate.unwrap_or(false);
    let acm = v.acm_certificate_arn.as_deref().filter(|s| !s.is_empty());
    let iam = v.iam_certificate_id.as_deref().filter(|s| !s.is_empty());
    let sources = usize::from(default) + usize::from(acm.is_some()) + usize::from(iam.is_some());
    if sources != 1 {
        cx.err(
            codes::INVALID_VIEWER_CERTIFICATE,
            path.clone(),
            format!(
                "exactly one of CloudFrontDefaultCertificate, ACMCertificateArn or \
                 IAMCertificateId is required; {sources} given"
            ),
        );
    }
    let source = if let Some(arn) = acm {
        let ok = arn.starts_with("arn:aws:acm:us-east-1:") && arn.contains(":certificate/");
        if !ok {
            cx.err(
                codes::INVALID_VIEWER_CERTIFICATE,
                format!("{path}.ACMCertificateArn"),
                format!("{arn:?} is not an ACM certificate ARN in us-east-1"),
            );
        }
        ViewerCertificateSource::Acm(arn.to_string())
    } else if let Some(id) = iam {
        if id.len() > 32 {
            cx.err(
                codes::INVALID_VIEWER_CERTIFICATE,
                format!("{path}.IAMCertificateId"),
                "an IAM certificate id has at most 32 characters",
            );
        }
        ViewerCertificateSource::Iam(id.to_string())
    } else {
        ViewerCertificateSource::Default
    };
    let custom = !matches!(source, ViewerCertificateSource::Default);
    if custom && v.ssl_support_method.is_none() {
        cx.err(
            codes::INVALID_VIEWER_CERTIFICATE,
            format!("{path}.SSLSupportMethod"),
            "a custom certificate needs SSLSupportMethod",
        );
    }
    if !custom && v.ssl_support_method.is_some() && sources == 1 {
        cx.err(
            codes::INVALID_VIEWER_CERTIFICATE,
            format!("{path}.SSLSupportMethod"),
            "SSLSupportMethod applies to custom certificates only",
        );
    }
    if v.minimum_protocol_version == MinimumProtocolVersion::SslV3
        && v.ssl_support_method == Some(SslSupportMethod::SniOnly)
    {
        cx.err(
            codes::INVALID_PROTOCOL_SETTINGS,
            format!("{path}.MinimumProtocolVersion"),
            "SSLv3 cannot be the minimum protocol version with sni-only",
        );
    }
    let minimum_protocol_version = if custom {
        v.minimum_protocol_version
    } else {
        // With the default certificate CloudFront forces TLSv1 whatever is configured.
        MinimumProtocolVersion::TlsV1
    };
    ViewerCertificate {
        source,
        ssl_support_method: v.ssl_support_method,
        minimum_protocol_version,
    }
}

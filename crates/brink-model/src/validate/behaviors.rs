//! Cache behaviors: patterns, targets, methods, signers, functions, policies (§1.2–§1.7,
//! §2.1, §2.4, §5).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::origins::resolve_target;
use super::policies::{forwarding_of_key, header_forwarding, Registry};
use super::{is_token, Ctx, Uses};
use crate::compiled::{
    Behavior, CacheKeyPolicy, LambdaAssociation, MethodSet, NameSelection, Origin,
    OriginForwarding, OriginGroup, OriginGroupIndex, OriginIndex, OriginTarget,
};
use crate::error::codes;
use crate::raw::{self, BehaviorRef, EventType, ItemSelection};
use crate::{PathPattern, TtlPolicy};

/// Most `CacheBehaviors` per distribution.
pub const MAX_CACHE_BEHAVIORS: usize = 75;
/// `BrinkHls.SegmentSeconds` when not given (Apple's HLS authoring guidance suggests 6 s).
pub(crate) const DEFAULT_HLS_SEGMENT_SECONDS: u32 = 6;
/// Longest `BrinkHls.SegmentSeconds`.
pub(crate) const MAX_HLS_SEGMENT_SECONDS: u32 = 60;
/// Most key groups per behavior.
pub const MAX_KEY_GROUPS_PER_BEHAVIOR: usize = 4;
/// Most legacy trusted signers per behavior.
pub const MAX_TRUSTED_SIGNERS: usize = 5;
/// Most names in legacy `ForwardedValues` lists.
pub const MAX_LEGACY_NAMES: usize = 10;

/// What behaviors need from the rest of the distribution.
pub(crate) struct Targets<'a> {
    pub(crate) origin_ids: &'a HashMap<String, OriginIndex>,
    pub(crate) group_ids: &'a HashMap<String, OriginGroupIndex>,
    pub(crate) origins: &'a [Origin],
    pub(crate) groups: &'a [OriginGroup],
}

/// Compiles `CacheBehaviors` then `DefaultCacheBehavior` (always last in the result).
pub(crate) fn compile_all(
    cx: &mut Ctx,
    reg: &Registry,
    cfg: &raw::DistributionConfig,
    base: &str,
    targets: &Targets<'_>,
    uses: &mut Uses,
) -> Vec<Behavior> {
    let path = format!("{base}.CacheBehaviors");
    let items = cx.list(&cfg.cache_behaviors, &path);
    if items.len() > MAX_CACHE_BEHAVIORS {
        cx.err(
            codes::TOO_MANY_CACHE_BEHAVIORS,
            format!("{path}.Items"),
            format!(
                "{} cache behaviors; at most {MAX_CACHE_BEHAVIORS} are allowed",
                items.len()
            ),
        );
    }
    let mut out = Vec::with_capacity(items.len() + 1);
    let mut patterns: HashMap<String, usize> = HashMap::new();
    for (i, b) in items.iter().enumerate() {
        let bpath = format!("{path}.Items[{i}]");
        let behavior = compile(cx, reg, b.view(), &bpath, targets, uses);
        // Only valid patterns take part (an invalid one was replaced by a placeholder).
        let valid = PathPattern::new(&b.path_pattern).is_ok();
        if let Some(p) = behavior.path_pattern.as_ref().filter(|_| valid) {
            if let Some(first) = patterns.get(p.normalized()) {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{bpath}.PathPattern"),
                    format!(
                        "path pattern {:?} duplicates CacheBehaviors.Items[{first}]",
                        p.as_str()
                    ),
                );
            } else {
                patterns.insert(p.normalized().to_string(), i);
            }
        }
        out.push(behavior);
    }
    let dpath = format!("{base}.DefaultCacheBehavior");
    out.push(compile(
        cx,
        reg,
        cfg.default_cache_behavior.view(),
        &dpath,
        targets,
        uses,
    ));
    out
}

/// A policy id field, with `""` meaning "none" (Terraform writes it so).
fn policy_id(id: &Option<String>) -> Option<&str> {
    id.as_deref().filter(|s| !s.is_empty())
}

fn compile(
    cx: &mut Ctx,
    reg: &Registry,
    b: BehaviorRef<'_>,
    path: &str,
    targets: &Targets<'_>,
    uses: &mut Uses,
) -> Behavior {
    let path_pattern = b.path_pattern.and_then(|p| match PathPattern::new(p) {
        Ok(pp) => Some(pp),
        Err(e) => {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{path}.PathPattern"),
                e.to_string(),
            );
            // A placeholder keeps the behavior a non-default one.
            PathPattern::new("/").ok()
        }
    });

    let target = match resolve_target(b.target_origin_id, targets.origin_ids, targets.group_ids) {
        Some(t) => t,
        None => {
            cx.err(
                codes::NO_SUCH_ORIGIN,
                format!("{path}.TargetOriginId"),
                format!("no origin or origin group has id {:?}", b.target_origin_id),
            );
            OriginTarget::Origin(OriginIndex(0))
        }
    };

    let (allowed_methods, cached_methods) = methods(cx, b.allowed_methods, path);
    let trusted_key_groups = key_groups(cx, reg, b.trusted_key_groups, path, uses);
    let trusted_signers = signers(cx, b.trusted_signers, path);
    if b.trusted_key_groups.enabled && b.trusted_signers.enabled {
        // [UNCONFIRMED] CloudFront's exact answer; the two mechanisms exclude each other.
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{path}.TrustedSigners.Enabled"),
            "TrustedSigners and TrustedKeyGroups cannot both be enabled",
        );
    }
    let (viewer_request_function, viewer_response_function) =
        functions(cx, b.function_associations, path);
    let lambda_associations = lambdas(cx, b.lambda_function_associations, path);
    for l in &lambda_associations {
        let clash = match l.event_type {
            EventType::ViewerRequest => viewer_request_function.is_some(),
            EventType::ViewerResponse => viewer_response_function.is_some(),
            _ => false,
        };
        if clash {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{path}.LambdaFunctionAssociations"),
                format!(
                    "a Lambda@Edge function and a CloudFront Function cannot share the {} event",
                    l.event_type
                ),
            );
        }
    }
    if !b.field_level_encryption_id.is_empty() {
        cx.err(
            codes::NO_SUCH_FIELD_LEVEL_ENCRYPTION_CONFIG,
            format!("{path}.FieldLevelEncryptionId"),
            format!(
                "field-level encryption config {:?} does not exist (Brink has none)",
                b.field_level_encryption_id
            ),
        );
    }

    let s3_target = targets_s3(target, targets);
    let cache_policy_id = policy_id(b.cache_policy_id);
    let (ttl, cache_key, mut forwarding) = match (cache_policy_id, b.forwarded_values) {
        (Some(_), Some(_)) => {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{path}.ForwardedValues"),
                "a behavior has either CachePolicyId or ForwardedValues, not both",
            );
            (
                TtlPolicy::default(),
                CacheKeyPolicy::default(),
                OriginForwarding::default(),
            )
        }
        (None, None) => {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{path}.CachePolicyId"),
                "a behavior needs a CachePolicyId or legacy ForwardedValues",
            );
            (
                TtlPolicy::default(),
                CacheKeyPolicy::default(),
                OriginForwarding::default(),
            )
        }
        (Some(id), None) => match reg.cache.get(id) {
            Some(p) => {
                uses.cache_policies.insert(id.to_string());
                if s3_target && p.key.headers.includes("host") {
                    cx.err(
                        codes::INVALID_HEADERS_FOR_S3_ORIGIN,
                        format!("{path}.CachePolicyId"),
                        "the cache policy keys the Host header, which an S3 origin cannot use",
                    );
                }
                (p.ttl, p.key.clone(), forwarding_of_key(&p.key, false))
            }
            None => {
                cx.err(
                    codes::NO_SUCH_CACHE_POLICY,
                    format!("{path}.CachePolicyId"),
                    format!("no cache policy has id {id:?}"),
                );
                (
                    TtlPolicy::default(),
                    CacheKeyPolicy::default(),
                    OriginForwarding::default(),
                )
            }
        },
        (None, Some(fv)) => legacy(cx, b, fv, path, s3_target),
    };

    let origin_request_policy = match policy_id(b.origin_request_policy_id) {
        None => None,
        Some(id) => {
            if b.forwarded_values.is_some() && cache_policy_id.is_none() {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    format!("{path}.OriginRequestPolicyId"),
                    "an origin request policy needs a cache policy (not ForwardedValues)",
                );
            }
            match reg.origin_request.get(id) {
                Some(p) => {
                    uses.origin_request_policies.insert(id.to_string());
                    Some(Arc::clone(p))
                }
                None => {
                    cx.err(
                        codes::NO_SUCH_ORIGIN_REQUEST_POLICY,
                        format!("{path}.OriginRequestPolicyId"),
                        format!("no origin request policy has id {id:?}"),
                    );
                    None
                }
            }
        }
    };
    if let Some(orp) = &origin_request_policy {
        let f = &orp.forwarding;
        forwarding = OriginForwarding {
            headers: forwarding.headers.union(&f.headers),
            cookies: forwarding.cookies.union(&f.cookies),
            query_strings: forwarding.query_strings.union(&f.query_strings),
            legacy: forwarding.legacy,
        };
    }

    let response_headers_policy = match policy_id(b.response_headers_policy_id) {
        None => None,
        Some(id) => match reg.response_headers.get(id) {
            Some(p) => {
                uses.response_headers_policies.insert(id.to_string());
                Some(Arc::clone(p))
            }
            None => {
                cx.err(
                    codes::NO_SUCH_RESPONSE_HEADERS_POLICY,
                    format!("{path}.ResponseHeadersPolicyId"),
                    format!("no response headers policy has id {id:?}"),
                );
                None
            }
        },
    };

    let hls_segment_seconds = b.brink_hls.filter(|h| h.enabled).map(|h| {
        let secs = h.segment_seconds.unwrap_or(DEFAULT_HLS_SEGMENT_SECONDS);
        if !(1..=MAX_HLS_SEGMENT_SECONDS).contains(&secs) {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{path}.BrinkHls.SegmentSeconds"),
                format!("must be 1 to {MAX_HLS_SEGMENT_SECONDS} seconds, not {secs}"),
            );
        }
        secs.clamp(1, MAX_HLS_SEGMENT_SECONDS)
    });

    Behavior {
        path_pattern,
        target_origin_id: b.target_origin_id.clone(),
        target,
        viewer_protocol_policy: *b.viewer_protocol_policy,
        allowed_methods,
        cached_methods,
        compress: *b.compress,
        smooth_streaming: *b.smooth_streaming,
        cache_policy_id: cache_policy_id.map(str::to_string),
        ttl,
        cache_key,
        origin_request_policy,
        forwarding,
        response_headers_policy,
        trusted_key_groups,
        trusted_signers,
        viewer_request_function,
        viewer_response_function,
        lambda_associations,
        realtime_log_config_arn: b.realtime_log_config_arn.clone().filter(|s| !s.is_empty()),
        grpc: b.grpc_config.is_some_and(|g| g.enabled),
        hls_segment_seconds,
    }
}

/// Whether the target is (or, for a group, includes) an S3 origin.
fn targets_s3(target: OriginTarget, t: &Targets<'_>) -> bool {
    let is_s3 = |i: OriginIndex| t.origins.get(i.0).is_some_and(Origin::is_s3);
    match target {
        OriginTarget::Origin(i) => is_s3(i),
        OriginTarget::Group(g) => t
            .groups
            .get(g.0)
            .is_some_and(|g| is_s3(g.primary) || is_s3(g.secondary)),
    }
}

/// Allowed methods must be one of CloudFront's three sets, cached methods one of two, and
/// a subset of the allowed ones.
fn methods(cx: &mut Ctx, m: &raw::AllowedMethods, path: &str) -> (MethodSet, MethodSet) {
    let apath = format!("{path}.AllowedMethods");
    cx.quantity(m.quantity, m.items.len(), &apath);
    let allowed = MethodSet::from_methods(&m.items);
    let distinct_allowed = m.items.iter().collect::<HashSet<_>>().len();
    if ![
        MethodSet::GET_HEAD,
        MethodSet::GET_HEAD_OPTIONS,
        MethodSet::ALL,
    ]
    .contains(&allowed)
        || distinct_allowed != m.items.len()
    {
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{apath}.Items"),
            "allowed methods must be [GET, HEAD], [GET, HEAD, OPTIONS] or all seven",
        );
    }
    let cpath = format!("{apath}.CachedMethods");
    let c = &m.cached_methods;
    cx.quantity(c.quantity, c.items.len(), &cpath);
    let cached = MethodSet::from_methods(&c.items);
    let distinct_cached = c.items.iter().collect::<HashSet<_>>().len();
    if ![MethodSet::GET_HEAD, MethodSet::GET_HEAD_OPTIONS].contains(&cached)
        || distinct_cached != c.items.len()
    {
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{cpath}.Items"),
            "cached methods must be [GET, HEAD] or [GET, HEAD, OPTIONS]",
        );
    } else if !cached.is_subset_of(allowed) {
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{cpath}.Items"),
            "cached methods must be a subset of the allowed methods",
        );
    }
    (allowed, cached)
}

fn key_groups(
    cx: &mut Ctx,
    reg: &Registry,
    t: &raw::TrustedKeyGroups,
    path: &str,
    uses: &mut Uses,
) -> Vec<Arc<crate::compiled::KeyGroup>> {
    let tpath = format!("{path}.TrustedKeyGroups");
    let items = cx.items(t.quantity, &t.items, &tpath);
    if items.len() > MAX_KEY_GROUPS_PER_BEHAVIOR {
        cx.err(
            codes::TOO_MANY_KEY_GROUPS_ASSOCIATED_TO_DISTRIBUTION,
            format!("{tpath}.Items"),
            format!("at most {MAX_KEY_GROUPS_PER_BEHAVIOR} key groups are allowed per behavior"),
        );
    }
    if t.enabled && items.is_empty() {
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{tpath}.Enabled"),
            "TrustedKeyGroups is enabled but lists no key group",
        );
    }
    let mut out: Vec<Arc<crate::compiled::KeyGroup>> = Vec::new();
    for (j, id) in items.iter().enumerate() {
        match reg.key_groups.get(id) {
            Some(g) => {
                uses.key_groups.insert(id.clone());
                if !out.iter().any(|x| x.id == g.id) {
                    out.push(Arc::clone(g));
                }
            }
            None => cx.err(
                codes::TRUSTED_KEY_GROUP_DOES_NOT_EXIST,
                format!("{tpath}.Items[{j}]"),
                format!("no key group has id {id:?}"),
            ),
        }
    }
    if t.enabled {
        out
    } else {
        Vec::new()
    }
}

/// `TrustedSigners` under `path`: quantities, at most [`MAX_TRUSTED_SIGNERS`], `self` or
/// 12-digit account numbers; the signers when enabled, else none.
pub(crate) fn signers(cx: &mut Ctx, t: &raw::TrustedSigners, path: &str) -> Vec<String> {
    let tpath = format!("{path}.TrustedSigners");
    let items = cx.items(t.quantity, &t.items, &tpath);
    if items.len() > MAX_TRUSTED_SIGNERS {
        cx.err(
            codes::TOO_MANY_TRUSTED_SIGNERS,
            format!("{tpath}.Items"),
            format!("at most {MAX_TRUSTED_SIGNERS} trusted signers are allowed"),
        );
    }
    if t.enabled && items.is_empty() {
        cx.err(
            codes::INVALID_ARGUMENT,
            format!("{tpath}.Enabled"),
            "TrustedSigners is enabled but lists no signer",
        );
    }
    for (j, s) in items.iter().enumerate() {
        let ok = s == "self" || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{tpath}.Items[{j}]"),
                format!("{s:?} is neither `self` nor a 12-digit account number"),
            );
        }
    }
    if t.enabled {
        items.to_vec()
    } else {
        Vec::new()
    }
}

/// CloudFront Functions: viewer events only, one per event, well-formed ARN.
fn functions(
    cx: &mut Ctx,
    list: &raw::List<raw::FunctionAssociation>,
    path: &str,
) -> (Option<String>, Option<String>) {
    let fpath = format!("{path}.FunctionAssociations");
    let items = cx.list(list, &fpath);
    if items.len() > 2 {
        cx.err(
            codes::TOO_MANY_FUNCTION_ASSOCIATIONS,
            format!("{fpath}.Items"),
            "at most one function per viewer event (2 in all) is allowed",
        );
    }
    let (mut request, mut response) = (None, None);
    for (j, f) in items.iter().enumerate() {
        let ipath = format!("{fpath}.Items[{j}]");
        if !is_function_arn(&f.function_arn) {
            cx.err(
                codes::INVALID_FUNCTION_ASSOCIATION,
                format!("{ipath}.FunctionARN"),
                format!(
                    "{:?} is not arn:aws:cloudfront::<account>:function/<name>",
                    f.function_arn
                ),
            );
        }
        let slot = match f.event_type {
            EventType::ViewerRequest => &mut request,
            EventType::ViewerResponse => &mut response,
            other => {
                cx.err(
                    codes::INVALID_FUNCTION_ASSOCIATION,
                    format!("{ipath}.EventType"),
                    format!("CloudFront Functions run on viewer events only, not {other}"),
                );
                continue;
            }
        };
        if slot.is_some() {
            cx.err(
                codes::INVALID_FUNCTION_ASSOCIATION,
                format!("{ipath}.EventType"),
                format!("a second function for {}", f.event_type),
            );
        } else {
            *slot = Some(f.function_arn.clone());
        }
    }
    (request, response)
}

fn is_function_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:aws:cloudfront::") else {
        return false;
    };
    let Some((account, name)) = rest.split_once(":function/") else {
        return false;
    };
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(super::is_name_char)
}

/// Lambda@Edge: one per event, a numbered version in us-east-1.
fn lambdas(
    cx: &mut Ctx,
    list: &raw::List<raw::LambdaFunctionAssociation>,
    path: &str,
) -> Vec<LambdaAssociation> {
    let lpath = format!("{path}.LambdaFunctionAssociations");
    let items = cx.list(list, &lpath);
    if items.len() > 4 {
        cx.err(
            codes::TOO_MANY_LAMBDA_FUNCTION_ASSOCIATIONS,
            format!("{lpath}.Items"),
            "at most one Lambda@Edge function per event (4 in all) is allowed",
        );
    }
    let mut out: Vec<LambdaAssociation> = Vec::new();
    for (j, l) in items.iter().enumerate() {
        let ipath = format!("{lpath}.Items[{j}]");
        let arn_ok = l
            .lambda_function_arn
            .strip_prefix("arn:aws:lambda:us-east-1:")
            .and_then(|r| r.split_once(":function:"))
            .and_then(|(acct, rest)| rest.rsplit_once(':').map(|(name, v)| (acct, name, v)))
            .is_some_and(|(acct, name, version)| {
                acct.len() == 12
                    && acct.bytes().all(|b| b.is_ascii_digit())
                    && !name.is_empty()
                    && !version.is_empty()
                    && version.bytes().all(|b| b.is_ascii_digit())
            });
        if !arn_ok {
            cx.err(
                codes::INVALID_LAMBDA_FUNCTION_ASSOCIATION,
                format!("{ipath}.LambdaFunctionARN"),
                "the ARN must name a numbered version of a us-east-1 function",
            );
        }
        let include_body = l.include_body.unwrap_or(false);
        if include_body
            && !matches!(
                l.event_type,
                EventType::ViewerRequest | EventType::OriginRequest
            )
        {
            cx.err(
                codes::INVALID_LAMBDA_FUNCTION_ASSOCIATION,
                format!("{ipath}.IncludeBody"),
                "IncludeBody applies to request events only",
            );
        }
        if out.iter().any(|o| o.event_type == l.event_type) {
            cx.err(
                codes::INVALID_LAMBDA_FUNCTION_ASSOCIATION,
                format!("{ipath}.EventType"),
                format!("a second Lambda@Edge function for {}", l.event_type),
            );
            continue;
        }
        out.push(LambdaAssociation {
            arn: l.lambda_function_arn.clone(),
            event_type: l.event_type,
            include_body,
        });
    }
    out
}

/// Legacy `ForwardedValues` + `MinTTL/DefaultTTL/MaxTTL` → TTLs, key and forwarding.
fn legacy(
    cx: &mut Ctx,
    b: BehaviorRef<'_>,
    fv: &raw::ForwardedValues,
    path: &str,
    s3_target: bool,
) -> (TtlPolicy, CacheKeyPolicy, OriginForwarding) {
    let fpath = format!("{path}.ForwardedValues");
    let ttl = match b.min_ttl {
        Some(min) => cx.ttl(*min, *b.default_ttl, *b.max_ttl, path),
        None => {
            cx.err(
                codes::INVALID_ARGUMENT,
                format!("{path}.MinTTL"),
                "MinTTL is required with ForwardedValues",
            );
            TtlPolicy::default()
        }
    };

    let headers = match &fv.headers {
        None => NameSelection::None,
        Some(list) => {
            let hpath = format!("{fpath}.Headers");
            let names = cx.list(list, &hpath);
            if names.len() > MAX_LEGACY_NAMES {
                cx.err(
                    codes::TOO_MANY_HEADERS_IN_FORWARDED_VALUES,
                    hpath.clone(),
                    format!("at most {MAX_LEGACY_NAMES} headers are allowed"),
                );
            }
            if names.iter().any(|n| n == "*") {
                if names.len() > 1 {
                    cx.err(
                        codes::INVALID_ARGUMENT,
                        hpath.clone(),
                        "`*` (all headers) must be the only item",
                    );
                }
                if s3_target {
                    cx.err(
                        codes::INVALID_HEADERS_FOR_S3_ORIGIN,
                        hpath,
                        "all headers cannot be forwarded to an S3 origin",
                    );
                }
                NameSelection::All
            } else {
                let mut out: Vec<String> = Vec::new();
                for (j, n) in names.iter().enumerate() {
                    let lower = n.to_ascii_lowercase();
                    if !is_token(n) {
                        cx.err(
                            codes::INVALID_ARGUMENT,
                            format!("{hpath}.Items[{j}]"),
                            format!("{n:?} is not a header name"),
                        );
                    } else if out.contains(&lower) {
                        cx.err(
                            codes::INVALID_ARGUMENT,
                            format!("{hpath}.Items[{j}]"),
                            format!("{n} is listed twice"),
                        );
                    } else if s3_target && lower == "host" {
                        cx.err(
                            codes::INVALID_HEADERS_FOR_S3_ORIGIN,
                            format!("{hpath}.Items[{j}]"),
                            "the Host header cannot be forwarded to an S3 origin",
                        );
                    }
                    if !out.contains(&lower) {
                        out.push(lower);
                    }
                }
                if out.is_empty() {
                    NameSelection::None
                } else {
                    NameSelection::Only(out)
                }
            }
        }
    };

    let cpath = format!("{fpath}.Cookies");
    let names = match &fv.cookies.whitelisted_names {
        Some(l) => cx.list(l, &format!("{cpath}.WhitelistedNames")),
        None => &[],
    };
    let cookies = match fv.cookies.forward {
        ItemSelection::None | ItemSelection::All if !names.is_empty() => {
            cx.err(
                codes::INVALID_FORWARD_COOKIES,
                format!("{cpath}.WhitelistedNames"),
                format!(
                    "cookie names are listed but Forward is {}",
                    fv.cookies.forward
                ),
            );
            if fv.cookies.forward == ItemSelection::All {
                NameSelection::All
            } else {
                NameSelection::None
            }
        }
        ItemSelection::None => NameSelection::None,
        ItemSelection::All => NameSelection::All,
        ItemSelection::Whitelist => {
            if names.is_empty() {
                cx.err(
                    codes::INVALID_FORWARD_COOKIES,
                    format!("{cpath}.WhitelistedNames"),
                    "Forward is whitelist but no cookie name is listed",
                );
            } else if names.len() > MAX_LEGACY_NAMES {
                cx.err(
                    codes::TOO_MANY_COOKIE_NAMES_IN_WHITE_LIST,
                    format!("{cpath}.WhitelistedNames"),
                    format!("at most {MAX_LEGACY_NAMES} cookie names are allowed"),
                );
            }
            NameSelection::Only(names.to_vec())
        }
    };

    let qpath = format!("{fpath}.QueryStringCacheKeys");
    let keys = match &fv.query_string_cache_keys {
        Some(l) => cx.list(l, &qpath),
        None => &[],
    };
    if keys.len() > MAX_LEGACY_NAMES {
        cx.err(
            codes::TOO_MANY_QUERY_STRING_PARAMETERS,
            qpath.clone(),
            format!("at most {MAX_LEGACY_NAMES} query string cache keys are allowed"),
        );
    }
    // With QueryString on, every parameter is forwarded but only the listed ones (all when
    // none are listed) are keyed; with it off, the list is ignored.
    let (key_query, forward_query) = if fv.query_string {
        let key = if keys.is_empty() {
            NameSelection::All
        } else {
            NameSelection::Only(keys.to_vec())
        };
        (key, NameSelection::All)
    } else {
        (NameSelection::None, NameSelection::None)
    };

    // [UNCONFIRMED] in legacy mode CloudFront normalises Accept-Encoding when Compress is on.
    let key = CacheKeyPolicy {
        headers,
        cookies,
        query_strings: key_query,
        accept_encoding_gzip: *b.compress,
        accept_encoding_brotli: *b.compress,
    };
    let forwarding = OriginForwarding {
        headers: header_forwarding(&key.headers),
        cookies: key.cookies.clone(),
        query_strings: forward_query,
        legacy: true,
    };
    (ttl, key, forwarding)
}

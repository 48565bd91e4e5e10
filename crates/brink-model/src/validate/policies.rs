//! The policy registry (managed + file policies, key groups) and the cache and origin
//! request policies themselves (§2.4, §2.5).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::keys::{key_groups, public_keys};
use super::response_headers::response_headers_policy;
use super::{is_token, Ctx};
use crate::compiled::{
    CacheKeyPolicy, CachePolicy, HeaderForwarding, KeyGroup, NameSelection, OriginForwarding,
    OriginRequestPolicy, ResponseHeadersPolicy,
};
use crate::error::codes;
use crate::managed;
use crate::raw::{self, CachePolicyCookieBehavior as CC, CachePolicyQueryStringBehavior as CQ};
use crate::raw::{
    CachePolicyHeaderBehavior as CH, EdgeFile, List, OriginRequestPolicyCookieBehavior as OC,
    OriginRequestPolicyHeaderBehavior as OH, OriginRequestPolicyQueryStringBehavior as OQ,
};

/// Names per selection in a policy (§2.4).
pub const MAX_POLICY_NAMES: usize = 10;
/// Combined length of the names of one selection.
pub const MAX_POLICY_NAMES_LEN: usize = 1024;
/// Custom policies of each kind per file.
pub const MAX_POLICIES: usize = 20;

/// Edge-generated headers that may only be forwarded, never keyed (§2.4).
const ORIGIN_ONLY_HEADERS: [&str; 4] = [
    "cloudfront-viewer-address",
    "cloudfront-viewer-asn",
    "cloudfront-viewer-ja3-fingerprint",
    "cloudfront-viewer-tls",
];

/// Every policy and key by id: managed ones first, then the file's.
pub(crate) struct Registry {
    pub(crate) cache: HashMap<String, Arc<CachePolicy>>,
    pub(crate) origin_request: HashMap<String, Arc<OriginRequestPolicy>>,
    pub(crate) response_headers: HashMap<String, Arc<ResponseHeadersPolicy>>,
    pub(crate) key_groups: HashMap<String, Arc<KeyGroup>>,
    pub(crate) public_keys: HashMap<String, Arc<crate::compiled::PublicKey>>,
    pub(crate) origin_access_controls: HashMap<String, Arc<crate::compiled::OriginAccessControl>>,
}

pub(crate) fn build_registry(cx: &mut Ctx, file: &EdgeFile) -> Registry {
    // Managed policies are known-good; compiling them with a scratch context keeps one code
    // path (a unit test asserts they produce no problem).
    let mut scratch = Ctx::default();
    let mut cache = HashMap::new();
    let mut cache_names = HashSet::new();
    for (i, p) in managed::cache_policies().iter().enumerate() {
        let c = cache_policy(&mut scratch, p, &format!("managed.CachePolicies[{i}]"));
        cache_names.insert(c.name.clone());
        cache.insert(c.id.clone(), Arc::new(c));
    }
    let mut origin_request = HashMap::new();
    let mut origin_request_names = HashSet::new();
    for (i, p) in managed::origin_request_policies().iter().enumerate() {
        let c = origin_request_policy(
            &mut scratch,
            p,
            &format!("managed.OriginRequestPolicies[{i}]"),
        );
        origin_request_names.insert(c.name.clone());
        origin_request.insert(c.id.clone(), Arc::new(c));
    }
    let mut response_headers = HashMap::new();
    let mut response_headers_names = HashSet::new();
    for (i, p) in managed::response_headers_policies().iter().enumerate() {
        let c = response_headers_policy(
            &mut scratch,
            p,
            &format!("managed.ResponseHeadersPolicies[{i}]"),
        );
        response_headers_names.insert(c.name.clone());
        response_headers.insert(c.id.clone(), Arc::new(c));
    }
    debug_assert!(scratch.errors.is_empty(), "{:?}", scratch.errors);

    if file.cache_policies.len() > MAX_POLICIES {
        cx.err(
            codes::TOO_MANY_CACHE_POLICIES,
            "CachePolicies",
            format!("at most {MAX_POLICIES} cache policies are allowed"),
        );
    }
    for (i, p) in file.cache_policies.iter().enumerate() {
        let base = format!("CachePolicies[{i}]");
        let c = cache_policy(cx, p, &base);
        register(
            cx,
            &mut cache,
            &mut cache_names,
            c,
            &base,
            "CachePolicyConfig",
            codes::CACHE_POLICY_ALREADY_EXISTS,
        );
    }
    if file.origin_request_policies.len() > MAX_POLICIES {
        cx.err(
            codes::TOO_MANY_ORIGIN_REQUEST_POLICIES,
            "OriginRequestPolicies",
            format!("at most {MAX_POLICIES} origin request policies are allowed"),
        );
    }
    for (i, p) in file.origin_request_policies.iter().enumerate() {
        let base = format!("OriginRequestPolicies[{i}]");
        let c = origin_request_policy(cx, p, &base);
        register(
            cx,
            &mut origin_request,
            &mut origin_request_names,
            c,
            &base,
            "OriginRequestPolicyConfig",
            codes::ORIGIN_REQUEST_POLICY_ALREADY_EXISTS,
        );
    }
    if file.response_headers_policies.len() > MAX_POLICIES {
        cx.err(
            codes::TOO_MANY_RESPONSE_HEADERS_POLICIES,
            "ResponseHeadersPolicies",
            format!("at most {MAX_POLICIES} response headers policies are allowed"),
        );
    }
    for (i, p) in file.response_headers_policies.iter().enumerate() {
        let base = format!("ResponseHeadersPolicies[{i}]");
        let c = response_headers_policy(cx, p, &base);
        register(
            cx,
            &mut response_headers,
            &mut response_headers_names,
            c,
            &base,
            "ResponseHeadersPolicyConfig",
            codes::RESPONSE_HEADERS_POLICY_ALREADY_EXISTS,
        );
    }

    let public_keys = public_keys(cx, &file.public_keys);
    let key_groups = key_groups(cx, &file.key_groups, &public_keys);
    let origin_access_controls =
        super::origins::origin_access_controls(cx, &file.origin_access_controls);
    Registry {
        cache,
        origin_request,
        response_headers,
        key_groups,
        public_keys,
        origin_access_controls,
    }
}

/// Something with an id and a name, registered once.
trait Named {
    fn id(&self) -> &str;
    fn name(&self) -> &str;
}
impl Named for CachePolicy {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}
impl Named for OriginRequestPolicy {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}
impl Named for ResponseHeadersPolicy {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// Adds a file policy unless its id or name is taken (by a managed policy or an earlier one).
fn register<T: Named>(
    cx: &mut Ctx,
    map: &mut HashMap<String, Arc<T>>,
    names: &mut HashSet<String>,
    policy: T,
    base: &str,
    config_field: &str,
    already_exists: &'static str,
) {
    let id_path = format!("{base}.Id");
    if policy.id().is_empty() {
        cx.err(codes::INVALID_ARGUMENT, id_path, "the policy id is empty");
        return;
    }
    if managed::is_managed_policy_id(policy.id()) {
        cx.err(
            codes::ILLEGAL_UPDATE,
            id_path,
            format!(
                "{:?} is a managed policy id and cannot be redefined",
                policy.id()
            ),
        );
        return;
    }
    if map.contains_key(policy.id()) {
        cx.err(
            already_exists,
            id_path,
            format!("policy id {:?} is used twice", policy.id()),
        );
        return;
    }
    if !names.insert(policy.name().to_string()) {
        cx.err(
            already_exists,
            format!("{base}.{config_field}.Name"),
            format!("policy name {:?} is used twice", policy.name()),
        );
    }
    map.insert(policy.id().to_string(), Arc::new(policy));
}

/// The selection modes shared by all policy kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    None,
    Whitelist,
    AllExcept,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameKind {
    Header,
    Cookie,
    Query,
}

/// Checks one `{Behavior, names}` pair and returns the selection (header names lowercase).
fn selection(
    cx: &mut Ctx,
    mode: Mode,
    mode_name: &str,
    list: Option<&List<String>>,
    path: &str,
    kind: NameKind,
    too_many: &'static str,
) -> NameSelection {
    let names = match list {
        Some(l) => cx.list(l, path),
        None => &[],
    };
    match mode {
        Mode::None | Mode::All => {
            if !names.is_empty() {
                cx.err(
                    codes::INVALID_ARGUMENT,
                    path,
                    format!("names must not be listed when the behavior is {mode_name}"),
                );
            }
            return if mode == Mode::All {
                NameSelection::All
            } else {
                NameSelection::None
            };
        }
        Mode::Whitelist | Mode::AllExcept => {}
    }
    if names.is_empty() {
        cx.err(
            codes::INVALID_ARGUMENT,
            path,
            format!("at least one name is required when the behavior is {mode_name}"),
        );
    } else if names.len() > MAX_POLICY_NAMES {
        cx.err(
            too_many,
            path,
            format!(
                "{} names are listed; at most {MAX_POLICY_NAMES} are allowed",
                names.len()
            ),
        );
    }
    let out = checked_names(cx, names, path, kind);
    if mode == Mode::Whitelist {
        NameSelection::Only(out)
    } else {
        NameSelection::AllExcept(out)
    }
}

/// Syntax, duplicates and total length of a list of names; headers come back lowercase.
fn checked_names(cx: &mut Ctx, names: &[String], path: &str, kind: NameKind) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        let item = format!("{path}.Items[{j}]");
        let ok = match kind {
            NameKind::Header => is_token(name),
            // Cookie names are tokens too; query names just need to be non-empty and free of
            // separators and whitespace.
            NameKind::Cookie => is_token(name),
            NameKind::Query => {
                !name.is_empty()
                    && !name
                        .bytes()
                        .any(|b| b <= b' ' || b == 0x7f || matches!(b, b'&' | b'=' | b'#'))
            }
        };
        if !ok {
            cx.err(
                codes::INVALID_ARGUMENT,
                item.clone(),
                format!("{name:?} is not a valid name"),
            );
        }
        let normal = if kind == NameKind::Header {
            name.to_ascii_lowercase()
        } else {
            name.clone()
        };
        if out.contains(&normal) {
            cx.err(
                codes::INVALID_ARGUMENT,
                item,
                format!("{name:?} is listed twice"),
            );
        } else {
            out.push(normal);
        }
    }
    let total: usize = names.iter().map(String::len).sum();
    if total > MAX_POLICY_NAMES_LEN {
        cx.err(
            codes::INVALID_ARGUMENT,
            path,
            format!(
                "the names total {total} characters; at most {MAX_POLICY_NAMES_LEN} are allowed"
            ),
        );
    }
    out
}

/// Splits keyed/forwarded header names into viewer headers and edge-generated
/// `CloudFront-*` headers.
pub(crate) fn header_forwarding(sel: &NameSelection) -> HeaderForwarding {
    match sel {
        NameSelection::Only(names) => {
            let (cf, viewer): (Vec<String>, Vec<String>) = names
                .iter()
                .cloned()
                .partition(|n| n.starts_with("cloudfront-"));
            HeaderForwarding {
                viewer: if viewer.is_empty() {
                    NameSelection::None
                } else {
                    NameSelection::Only(viewer)
                },
                cloudfront: cf,
            }
        }
        other => HeaderForwarding {
            viewer: other.clone(),
            cloudfront: Vec::new(),
        },
    }
}

/// What a cache key forwards: everything in it.
pub(crate) fn forwarding_of_key(key: &CacheKeyPolicy, legacy: bool) -> OriginForwarding {
    OriginForwarding {
        headers: header_forwarding(&key.headers),
        cookies: key.cookies.clone(),
        query_strings: key.query_strings.clone(),
        legacy,
    }
}

fn cache_policy(cx: &mut Ctx, p: &raw::CachePolicy, base: &str) -> CachePolicy {
    let cfg = &p.cache_policy_config;
    let cfg_path = format!("{base}.CachePolicyConfig");
    cx.resource_name(&cfg.name, format!("{cfg_path}.Name"));
    if let Some(c) = &cfg.comment {
        cx.comment(c, format!("{cfg_path}.Comment"));
    }
    let ttl = cx.ttl(cfg.min_ttl, cfg.default_ttl, cfg.max_ttl, &cfg_path);
    let key = match &cfg.parameters_in_cache_key_and_forwarded_to_origin {
        None => CacheKeyPolicy::default(),
        Some(params) => {
            let pp = format!("{cfg_path}.ParametersInCacheKeyAndForwardedToOrigin");
            let h = &params.headers_config;
            let hpath = format!("{pp}.HeadersConfig.Headers");
            let headers = selection(
                cx,
                match h.header_behavior {
                    CH::None => Mode::None,
                    CH::Whitelist => Mode::Whitelist,
                },
                h.header_behavior.as_str(),
                h.headers.as_ref(),
                &hpath,
                NameKind::Header,
                codes::TOO_MANY_HEADERS_IN_CACHE_POLICY,
            );
            if let NameSelection::Only(names) = &headers {
                for (j, n) in names.iter().enumerate() {
                    if ORIGIN_ONLY_HEADERS.contains(&n.as_str()) {
                        cx.err(
                            codes::INVALID_ARGUMENT,
                            format!("{hpath}.Items[{j}]"),
                            format!(
                                "{n} can only be forwarded by an origin request policy, not keyed"
                            ),
                        );
                    }
                }
            }
            let c = &params.cookies_config;
            let cookies = selection(
                cx,
                match c.cookie_behavior {
                    CC::None => Mode::None,
                    CC::Whitelist => Mode::Whitelist,
                    CC::AllExcept => Mode::AllExcept,
                    CC::All => Mode::All,
                },
                c.cookie_behavior.as_str(),
                c.cookies.as_ref(),
                &format!("{pp}.CookiesConfig.Cookies"),
                NameKind::Cookie,
                codes::TOO_MANY_COOKIES_IN_CACHE_POLICY,
            );
            let q = &params.query_strings_config;
            let query_strings = selection(
                cx,
                match q.query_string_behavior {
                    CQ::None => Mode::None,
                    CQ::Whitelist => Mode::Whitelist,
                    CQ::AllExcept => Mode::AllExcept,
                    CQ::All => Mode::All,
                },
                q.query_string_behavior.as_str(),
                q.query_strings.as_ref(),
                &format!("{pp}.QueryStringsConfig.QueryStrings"),
                NameKind::Query,
                codes::TOO_MANY_QUERY_STRINGS_IN_CACHE_POLICY,
            );
            CacheKeyPolicy {
                headers,
                cookies,
                query_strings,
                accept_encoding_gzip: params.enable_accept_encoding_gzip,
                accept_encoding_brotli: params.enable_accept_encoding_brotli.unwrap_or(false),
            }
        }
    };
    CachePolicy {
        id: p.id.clone(),
        name: cfg.name.clone(),
        ttl,
        key,
    }
}

fn origin_request_policy(
    cx: &mut Ctx,
    p: &raw::OriginRequestPolicy,
    base: &str,
) -> OriginRequestPolicy {
    let cfg = &p.origin_request_policy_config;
    let cfg_path = format!("{base}.OriginRequestPolicyConfig");
    cx.resource_name(&cfg.name, format!("{cfg_path}.Name"));
    if let Some(c) = &cfg.comment {
        cx.comment(c, format!("{cfg_path}.Comment"));
    }
    let h = &cfg.headers_config;
    let hpath = format!("{cfg_path}.HeadersConfig.Headers");
    let too_many_h = codes::TOO_MANY_HEADERS_IN_ORIGIN_REQUEST_POLICY;
    let headers = match h.header_behavior {
        OH::None | OH::Whitelist | OH::AllExcept | OH::AllViewer => {
            let mode = match h.header_behavior {
                OH::Whitelist => Mode::Whitelist,
                OH::AllExcept => Mode::AllExcept,
                OH::AllViewer => Mode::All,
                _ => Mode::None,
            };
            let sel = selection(
                cx,
                mode,
                h.header_behavior.as_str(),
                h.headers.as_ref(),
                &hpath,
                NameKind::Header,
                too_many_h,
            );
            header_forwarding(&sel)
        }
        OH::AllViewerAndWhitelistCloudFront => {
            let sel = selection(
                cx,
                Mode::Whitelist,
                h.header_behavior.as_str(),
                h.headers.as_ref(),
                &hpath,
                NameKind::Header,
                too_many_h,
            );
            let names = match sel {
                NameSelection::Only(n) => n,
                _ => Vec::new(),
            };
            for (j, n) in names.iter().enumerate() {
                if !n.starts_with("cloudfront-") {
                    cx.err(
                        codes::INVALID_ARGUMENT,
                        format!("{hpath}.Items[{j}]"),
                        format!("{n} is not a CloudFront-* header; allViewerAndWhitelistCloudFront lists only those"),
                    );
                }
            }
            HeaderForwarding {
                viewer: NameSelection::All,
                cloudfront: names,
            }
        }
    };
    let c = &cfg.cookies_config;
    let cookies = selection(
        cx,
        match c.cookie_behavior {
            OC::None => Mode::None,
            OC::Whitelist => Mode::Whitelist,
            OC::AllExcept => Mode::AllExcept,
            OC::All => Mode::All,
        },
        c.cookie_behavior.as_str(),
        c.cookies.as_ref(),
        &format!("{cfg_path}.CookiesConfig.Cookies"),
        NameKind::Cookie,
        codes::TOO_MANY_COOKIES_IN_ORIGIN_REQUEST_POLICY,
    );
    let q = &cfg.query_strings_config;
    let query_strings = selection(
        cx,
        match q.query_string_behavior {
            OQ::None => Mode::None,
            OQ::Whitelist => Mode::Whitelist,
            OQ::AllExcept => Mode::AllExcept,
            OQ::All => Mode::All,
        },
        q.query_string_behavior.as_str(),
        q.query_strings.as_ref(),
        &format!("{cfg_path}.QueryStringsConfig.QueryStrings"),
        NameKind::Query,
        codes::TOO_MANY_QUERY_STRINGS_IN_ORIGIN_REQUEST_POLICY,
    );
    OriginRequestPolicy {
        id: p.id.clone(),
        name: cfg.name.clone(),
        forwarding: OriginForwarding {
            headers,
            cookies,
            query_strings,
            legacy: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_policies_compile_cleanly() {
        let mut cx = Ctx::default();
        let reg = build_registry(&mut cx, &EdgeFile::default());
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let opt = &reg.cache[managed::CACHING_OPTIMIZED];
        assert_eq!(opt.ttl.min().as_secs(), 1);
        assert!(opt.key.accept_encoding_gzip && opt.key.accept_encoding_brotli);
        assert!(reg.cache[managed::CACHING_DISABLED].ttl.caching_disabled());
        let host = &reg.origin_request[managed::ALL_VIEWER_EXCEPT_HOST_HEADER];
        assert!(!host.forwarding.headers.viewer.includes("host"));
        assert!(host.forwarding.headers.viewer.includes("user-agent"));
        let sec = &reg.response_headers[managed::SECURITY_HEADERS_POLICY];
        let nosniff = sec
            .headers
            .iter()
            .find(|h| h.name == "X-Content-Type-Options")
            .unwrap();
        assert!(nosniff.override_origin);
        let hsts = sec
            .headers
            .iter()
            .find(|h| h.name == "Strict-Transport-Security")
            .unwrap();
        assert_eq!(hsts.value, "max-age=31536000");
        let pre = &reg.response_headers[managed::CORS_WITH_PREFLIGHT];
        assert_eq!(
            pre.cors.as_ref().unwrap().allow_methods_value,
            "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
        );
        assert_eq!(reg.cache.len(), managed::cache_policies().len());
        assert_eq!(reg.response_headers.len(), 5);
    }
}

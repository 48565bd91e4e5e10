//! Raw file → [`Model`]: every check CloudFront's API makes (and a few Brink needs), all
//! problems collected before returning, and the compiled model built in the same pass.
//!
//! Each part compiles best-effort even after finding a problem (a placeholder stands in for
//! what was wrong), so later checks still run and one pass reports everything; the model is
//! only handed out when no problem was found.

mod behaviors;
mod certificates;
mod distribution;
mod keys;
mod origins;
mod policies;
mod response_headers;
mod streaming;

pub use behaviors::{
    MAX_CACHE_BEHAVIORS, MAX_KEY_GROUPS_PER_BEHAVIOR, MAX_LEGACY_NAMES, MAX_TRUSTED_SIGNERS,
};
pub use distribution::{ERROR_CODES, MAX_ALIASES};
pub use keys::{MAX_KEYS_PER_GROUP, MAX_KEY_GROUPS};
pub use origins::{
    FAILOVER_STATUS_CODES, MAX_CUSTOM_HEADERS_TOTAL, MAX_CUSTOM_HEADER_NAME,
    MAX_CUSTOM_HEADER_VALUE, MAX_ORIGINS, MAX_ORIGIN_CUSTOM_HEADERS, MAX_ORIGIN_GROUPS,
    ORIGIN_TIMEOUT_RANGE,
};
pub use policies::{MAX_POLICIES, MAX_POLICY_NAMES, MAX_POLICY_NAMES_LEN};
pub use response_headers::{MAX_CSP_LEN, MAX_RESPONSE_POLICY_HEADERS};
pub use streaming::{MAX_STREAMING_ALIASES, MAX_STREAMING_DISTRIBUTIONS};

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::error::codes;
use crate::host::{DistributionIndex, HostRouter};
use crate::raw::{EdgeFile, List};
use crate::ttl::{TtlPolicy, TtlPolicyError, DEFAULT_DEFAULT_TTL, DEFAULT_MAX_TTL};
use crate::{ConfigError, Model};

/// Most distributions per file (CloudFront's default account quota).
pub const MAX_DISTRIBUTIONS: usize = 500;
/// Most distributions that may use one policy or key group.
pub const MAX_DISTRIBUTIONS_PER_RESOURCE: usize = 100;

/// Settings of the validation that are not part of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateOptions {
    /// Domain under which distributions without a `DomainName` get their generated name
    /// (`d` + 13 characters + `.` + this).
    pub cdn_domain: String,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            cdn_domain: "cloudfront.net".to_string(),
        }
    }
}

/// Checks `file` and compiles it, with the default [`ValidateOptions`].
///
/// # Errors
/// Every problem found, each with its CloudFront error code and path.
pub fn validate(file: &EdgeFile) -> Result<Model, Vec<ConfigError>> {
    validate_with(file, &ValidateOptions::default())
}

/// Checks `file` and compiles it.
///
/// # Errors
/// Every problem found, each with its CloudFront error code and path.
pub fn validate_with(file: &EdgeFile, opts: &ValidateOptions) -> Result<Model, Vec<ConfigError>> {
    let mut cx = Ctx::default();
    let reg = policies::build_registry(&mut cx, file);

    if file.distributions.len() > MAX_DISTRIBUTIONS {
        cx.err(
            codes::TOO_MANY_DISTRIBUTIONS,
            "Distributions",
            format!(
                "{} distributions; at most {MAX_DISTRIBUTIONS} are allowed",
                file.distributions.len()
            ),
        );
    }

    let mut distributions = Vec::with_capacity(file.distributions.len());
    let mut uses = Vec::with_capacity(file.distributions.len());
    for (i, d) in file.distributions.iter().enumerate() {
        let (dist, used) = distribution::compile(&mut cx, &reg, d, i, opts);
        distributions.push(dist);
        uses.push(used);
    }
    check_resource_use(&mut cx, &uses);
    let certificates = certificates::compile(&mut cx, &file.certificates, &distributions);

    let mut by_id = HashMap::new();
    let mut caller_refs = HashSet::new();
    for (i, d) in file.distributions.iter().enumerate() {
        if by_id.contains_key(&d.id) {
            cx.err(
                codes::DISTRIBUTION_ALREADY_EXISTS,
                format!("Distributions[{i}].Id"),
                format!("distribution id {:?} is used twice", d.id),
            );
        } else {
            by_id.insert(d.id.clone(), DistributionIndex(i));
        }
        let caller_ref = &d.distribution_config.caller_reference;
        if !caller_ref.is_empty() && !caller_refs.insert(caller_ref.as_str()) {
            cx.err(
                codes::DISTRIBUTION_ALREADY_EXISTS,
                format!("Distributions[{i}].DistributionConfig.CallerReference"),
                format!("CallerReference {caller_ref:?} is used by another distribution"),
            );
        }
    }
    let router = build_router(&mut cx, &distributions);
    let (streaming, streaming_router, streaming_by_id) =
        streaming::compile_all(&mut cx, &reg, file, &distributions, opts);

    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    Ok(Model {
        distributions,
        router,
        by_id,
        cache_policies: reg.cache,
        origin_request_policies: reg.origin_request,
        response_headers_policies: reg.response_headers,
        key_groups: reg.key_groups,
        public_keys: reg.public_keys,
        certificates,
        streaming,
        streaming_router,
        streaming_by_id,
    })
}

/// Domain names and aliases must be unique across distributions (`CNAMEAlreadyExists`);
/// the router gets every name of every distribution (aliases only for non-staging ones).
fn build_router(cx: &mut Ctx, distributions: &[crate::compiled::Distribution]) -> HostRouter {
    let mut router = HostRouter::new();
    // Who owns which name (lowercase), to name the first owner in messages.
    let mut owners: HashMap<String, usize> = HashMap::new();
    for (i, d) in distributions.iter().enumerate() {
        let path = format!("Distributions[{i}].DomainName");
        match owners.get(&d.domain_name) {
            Some(&j) => cx.err(
                codes::CNAME_ALREADY_EXISTS,
                path,
                format!(
                    "domain name {:?} is already used by distribution {:?}",
                    d.domain_name, distributions[j].id
                ),
            ),
            None => {
                owners.insert(d.domain_name.clone(), i);
                router.insert_domain_name(&d.domain_name, DistributionIndex(i));
            }
        }
    }
    for (i, d) in distributions.iter().enumerate() {
        for (k, alias) in d.aliases.iter().enumerate() {
            let path = format!("Distributions[{i}].DistributionConfig.Aliases.Items[{k}]");
            match owners.get(alias) {
                Some(&j) if j == i => {} // reported as a duplicate within the distribution
                Some(&j) => cx.err(
                    codes::CNAME_ALREADY_EXISTS,
                    path,
                    format!(
                        "alias {alias:?} is already used by distribution {:?}",
                        distributions[j].id
                    ),
                ),
                None => {
                    owners.insert(alias.clone(), i);
                    if d.staging {
                        continue;
                    }
                    if alias.starts_with("*.") {
                        router.insert_wildcard(alias, DistributionIndex(i));
                    } else {
                        router.insert_exact(alias, DistributionIndex(i));
                    }
                }
            }
        }
    }
    router
}

/// What one distribution references, for the per-resource quotas.
#[derive(Debug, Default)]
pub(crate) struct Uses {
    pub(crate) cache_policies: HashSet<String>,
    pub(crate) origin_request_policies: HashSet<String>,
    pub(crate) response_headers_policies: HashSet<String>,
    pub(crate) key_groups: HashSet<String>,
}

fn check_resource_use(cx: &mut Ctx, uses: &[Uses]) {
    type Pick = fn(&Uses) -> &HashSet<String>;
    let kinds: [(Pick, &'static str, &str); 4] = [
        (
            |u| &u.cache_policies,
            codes::TOO_MANY_DISTRIBUTIONS_ASSOCIATED_TO_CACHE_POLICY,
            "cache policy",
        ),
        (
            |u| &u.origin_request_policies,
            codes::TOO_MANY_DISTRIBUTIONS_ASSOCIATED_TO_ORIGIN_REQUEST_POLICY,
            "origin request policy",
        ),
        (
            |u| &u.response_headers_policies,
            codes::TOO_MANY_DISTRIBUTIONS_ASSOCIATED_TO_RESPONSE_HEADERS_POLICY,
            "response headers policy",
        ),
        (
            |u| &u.key_groups,
            codes::TOO_MANY_DISTRIBUTIONS_ASSOCIATED_TO_KEY_GROUP,
            "key group",
        ),
    ];
    for (pick, code, what) in kinds {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (i, u) in uses.iter().enumerate() {
            let mut ids: Vec<&String> = pick(u).iter().collect();
            ids.sort();
            for id in ids {
                let n = counts.entry(id.as_str()).or_default();
                *n += 1;
                if *n == MAX_DISTRIBUTIONS_PER_RESOURCE + 1 {
                    cx.err(
                        code,
                        format!("Distributions[{i}]"),
                        format!(
                            "{what} {id:?} is used by more than \
                             {MAX_DISTRIBUTIONS_PER_RESOURCE} distributions"
                        ),
                    );
                }
            }
        }
    }
}

/// The problems found so far.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    pub(crate) errors: Vec<ConfigError>,
}

impl Ctx {
    pub(crate) fn err(
        &mut self,
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.errors.push(ConfigError::new(code, path, message));
    }

    /// The items of a `{Quantity, Items}` pair, after checking that they agree.
    pub(crate) fn items<'a, T>(
        &mut self,
        quantity: u32,
        items: &'a Option<Vec<T>>,
        path: &str,
    ) -> &'a [T] {
        let items = items.as_deref().unwrap_or(&[]);
        self.quantity(quantity, items.len(), path);
        items
    }

    /// Checks `Quantity` against the number of items.
    pub(crate) fn quantity(&mut self, quantity: u32, len: usize, path: &str) {
        if usize::try_from(quantity).ok() != Some(len) {
            self.err(
                codes::INCONSISTENT_QUANTITIES,
                format!("{path}.Quantity"),
                format!("Quantity is {quantity} but {len} items are listed"),
            );
        }
    }

    /// The items of a [`List`], after checking its `Quantity`.
    pub(crate) fn list<'a, T>(&mut self, list: &'a List<T>, path: &str) -> &'a [T] {
        self.items(list.quantity, &list.items, path)
    }

    /// Builds a [`TtlPolicy`] with CloudFront's defaulting rules (§2.1): `DefaultTTL` defaults
    /// to 86400 or `MinTTL` if larger, `MaxTTL` to 31536000 or `DefaultTTL` if larger.
    pub(crate) fn ttl(
        &mut self,
        min: u64,
        default: Option<u64>,
        max: Option<u64>,
        base: &str,
    ) -> TtlPolicy {
        let default = default.unwrap_or_else(|| DEFAULT_DEFAULT_TTL.as_secs().max(min));
        let max = max.unwrap_or_else(|| DEFAULT_MAX_TTL.as_secs().max(default));
        let secs = Duration::from_secs;
        match TtlPolicy::new(secs(min), secs(default), secs(max)) {
            Ok(p) => p,
            Err(e) => {
                let TtlPolicyError::InvalidTtlOrder { field, .. } = &e;
                self.err(
                    e.code(),
                    format!("{base}.{field}"),
                    format!(
                        "MinTTL ({min}) <= DefaultTTL ({default}) <= MaxTTL ({max}) does not hold"
                    ),
                );
                TtlPolicy::default()
            }
        }
    }

    /// What a web and a streaming distribution check alike: the id, the domain name (`None`
    /// or empty: `generated()`), the caller reference and the comment. `base` names the
    /// distribution, `cfg_path` its configuration. Returns the domain name, lower-case and
    /// without a trailing dot.
    pub(crate) fn distribution_identity(
        &mut self,
        (id, domain_name): (&str, Option<&str>),
        (caller_reference, comment): (&str, &str),
        (base, cfg_path): (&str, &str),
        generated: impl FnOnce() -> String,
    ) -> String {
        if id.is_empty() || id.len() > 128 || !id.bytes().all(is_name_char) {
            self.err(
                codes::INVALID_ARGUMENT,
                format!("{base}.Id"),
                format!("distribution id {id:?} must be 1–128 letters, digits, '-' or '_'"),
            );
        }
        let domain_name = match domain_name.filter(|n| !n.is_empty()) {
            Some(n) => {
                if !crate::host::is_valid_host_name(n) {
                    self.err(
                        codes::INVALID_ARGUMENT,
                        format!("{base}.DomainName"),
                        format!("{n:?} is not a valid host name"),
                    );
                }
                n.trim_end_matches('.').to_ascii_lowercase()
            }
            None => generated(),
        };
        if caller_reference.is_empty() {
            self.err(
                codes::INVALID_ARGUMENT,
                format!("{cfg_path}.CallerReference"),
                "the caller reference is empty",
            );
        }
        self.comment(comment, format!("{cfg_path}.Comment"));
        domain_name
    }

    /// The `Items` of an `Aliases` list at `path`: each a domain name or a `*.` wildcard, none
    /// twice. Returns them lower-case and without a trailing dot (a bad one included, so
    /// later checks still see it; a repeated one once).
    pub(crate) fn alias_items(&mut self, items: &[String], path: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (k, a) in items.iter().enumerate() {
            let apath = format!("{path}.Items[{k}]");
            let lower = a.trim_end_matches('.').to_ascii_lowercase();
            if !crate::host::is_valid_alias(a) {
                self.err(
                    codes::INVALID_ARGUMENT,
                    apath,
                    format!("{a:?} is not a domain name or a *.domain wildcard"),
                );
            } else if out.contains(&lower) {
                self.err(
                    codes::INVALID_ARGUMENT,
                    apath,
                    format!("alias {a:?} is listed twice"),
                );
                continue;
            }
            out.push(lower);
        }
        out
    }

    /// Free-text `Comment`: at most 128 characters.
    pub(crate) fn comment(&mut self, comment: &str, path: String) {
        let n = comment.chars().count();
        if n > 128 {
            self.err(
                codes::INVALID_ARGUMENT,
                path,
                format!("the comment has {n} characters; at most 128 are allowed"),
            );
        }
    }

    /// Resource names: 1–128 characters of letters, digits, `-` and `_`.
    pub(crate) fn resource_name(&mut self, name: &str, path: String) {
        if name.is_empty() || name.len() > 128 {
            self.err(
                codes::INVALID_ARGUMENT,
                path,
                "the name must have 1 to 128 characters",
            );
        } else if !name.bytes().all(is_name_char) {
            self.err(
                codes::INVALID_ARGUMENT,
                path,
                format!("the name {name:?} may only contain letters, digits, '-' and '_'"),
            );
        }
    }
}

/// Letters, digits, `-` and `_`: what ids, resource names and function names are made of.
pub(crate) fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// An HTTP header field name (RFC 9110 token).
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// A header value without control characters (tab allowed).
pub(crate) fn is_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

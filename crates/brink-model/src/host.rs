//! Choosing a distribution by `Host` (§1.1), and the generated `d….cloudfront.net` names.

use std::collections::HashMap;

/// Position of a distribution in [`Model::distributions`](crate::Model::distributions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DistributionIndex(pub(crate) usize);

impl DistributionIndex {
    /// The position as a plain index.
    pub fn get(self) -> usize {
        self.0
    }
}

/// Longest host name considered; longer `Host` values match nothing.
const MAX_HOST_LEN: usize = 253;

/// Maps `Host` header values to distributions: their domain names, exact aliases, and
/// `*.example.com` wildcard aliases.
///
/// Built once per model. A wildcard covers any host with at least one more label in front
/// (`*.example.com` matches `a.example.com` and `a.b.example.com`, not `example.com`); an exact
/// name always beats a wildcard, and a longer wildcard beats a shorter one.
///
/// A distribution's own domain name also covers one more label in front of it
/// (`iad50-c1.d111111abcdef8.cdn.test`): the per-POP names the request router's HTTP mode
/// redirects to (crates/brink-dns, like Traffic Router's `<cache>.<delivery service>` names).
/// Any label is accepted, so an edge serves a redirect meant for another POP rather than
/// failing it. Exact names come first, then these, then wildcards.
#[derive(Debug, Clone, Default)]
pub struct HostRouter {
    exact: HashMap<Box<str>, DistributionIndex, Hasher>,
    /// Distribution domain names, for `<label>.<domain name>`.
    domain: HashMap<Box<str>, DistributionIndex, Hasher>,
    /// Keyed by the part after `*.`.
    wildcard: HashMap<Box<str>, DistributionIndex, Hasher>,
}

/// foldhash, seeded per map: the maps are filled once when a model is compiled and only read
/// per request, so viewers cannot grow them (no hash-flooding concern), and hashing a `Host`
/// costs a fraction of SipHash.
type Hasher = foldhash::fast::RandomState;

impl HostRouter {
    /// An empty router.
    pub fn new() -> Self {
        HostRouter::default()
    }

    /// Adds an exact name (any case). A name already present keeps its first owner and
    /// `false` is returned.
    pub fn insert_exact(&mut self, name: &str, idx: DistributionIndex) -> bool {
        let key = name.trim_end_matches('.').to_ascii_lowercase();
        if self.exact.contains_key(key.as_str()) {
            return false;
        }
        self.exact.insert(key.into_boxed_str(), idx);
        true
    }

    /// Adds a distribution's domain name: the name itself (as [`HostRouter::insert_exact`])
    /// and `<one label>.<name>`. `false` if the name was already present.
    pub fn insert_domain_name(&mut self, name: &str, idx: DistributionIndex) -> bool {
        if !self.insert_exact(name, idx) {
            return false;
        }
        let key = name.trim_end_matches('.').to_ascii_lowercase();
        self.domain.insert(key.into_boxed_str(), idx);
        true
    }

    /// Adds a wildcard alias written `*.suffix`. Returns `false` if the name is not a
    /// wildcard or the suffix is already taken.
    pub fn insert_wildcard(&mut self, name: &str, idx: DistributionIndex) -> bool {
        let Some(suffix) = name.strip_prefix("*.") else {
            return false;
        };
        let key = suffix.trim_end_matches('.').to_ascii_lowercase();
        if self.wildcard.contains_key(key.as_str()) {
            return false;
        }
        self.wildcard.insert(key.into_boxed_str(), idx);
        true
    }

    /// The distribution serving `host`, a `Host` header value (`:port` and a trailing dot are
    /// ignored; case-insensitive). Does not allocate.
    pub fn route(&self, host: &str) -> Option<DistributionIndex> {
        let name = strip_port(host);
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.is_empty() || name.len() > MAX_HOST_LEN {
            return None;
        }
        let mut buf = [0u8; MAX_HOST_LEN];
        // Most `Host` values are lower case already: only the others are copied.
        let lower = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = &mut buf[..name.len()];
            lower.copy_from_slice(name.as_bytes());
            lower.make_ascii_lowercase();
            // Lowercasing ASCII bytes keeps UTF-8 valid; a non-UTF-8 result cannot happen,
            // but treating it as "no match" avoids any panic path.
            std::str::from_utf8(lower).ok()?
        } else {
            name
        };
        if let Some(idx) = self.exact.get(lower) {
            return Some(*idx);
        }
        if let Some((label, parent)) = lower.split_once('.') {
            if !label.is_empty() {
                if let Some(idx) = self.domain.get(parent) {
                    return Some(*idx);
                }
            }
        }
        if self.wildcard.is_empty() {
            return None;
        }
        // Try the suffixes after each dot, longest first.
        let mut rest = lower;
        while let Some(dot) = rest.find('.') {
            rest = &rest[dot + 1..];
            if let Some(idx) = self.wildcard.get(rest) {
                return Some(*idx);
            }
        }
        None
    }

    /// Number of names (exact and wildcard) known.
    pub fn len(&self) -> usize {
        self.exact.len() + self.wildcard.len()
    }

    /// True when no name is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `example.com:8080` → `example.com`; `[::1]:443` → `[::1]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.find(':') {
        Some(colon) => &host[..colon],
        None => host,
    }
}

/// The domain name a distribution gets when its `DomainName` is not given: `d`, 13 lowercase
/// alphanumerics derived from `id`, then `.` and `cdn_domain`.
///
/// Deterministic (FNV-1a, 128 bits), so a reload or another edge computes the same name.
pub fn generated_domain_name(id: &str, cdn_domain: &str) -> String {
    generated_name('d', id, cdn_domain)
}

/// The domain name a streaming (RTMP) distribution gets when its `DomainName` is not given:
/// `s`, 13 lowercase alphanumerics derived from `id`, then `.` and `cdn_domain`, as
/// CloudFront's `s5c39gqb8ow64r.cloudfront.net`.
pub fn generated_streaming_domain_name(id: &str, cdn_domain: &str) -> String {
    generated_name('s', id, cdn_domain)
}

fn generated_name(prefix: char, id: &str, cdn_domain: &str) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    const FNV_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const FNV_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut h = FNV_OFFSET;
    for b in id.as_bytes() {
        h ^= u128::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    let mut name = String::with_capacity(15 + cdn_domain.len());
    name.push(prefix);
    for _ in 0..13 {
        name.push(char::from(ALPHABET[(h % 36) as usize]));
        h /= 36;
    }
    name.push('.');
    name.push_str(cdn_domain.trim_start_matches('.'));
    name
}

/// Whether `name` is a plausible DNS host name: dot-separated labels of letters, digits and
/// inner hyphens (underscores tolerated), each 1–63 bytes, 253 in all.
pub fn is_valid_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > MAX_HOST_LEN {
        return false;
    }
    name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Whether `name` is a valid alias: a host name, or `*.` followed by one.
pub fn is_valid_alias(name: &str) -> bool {
    match name.strip_prefix("*.") {
        Some(rest) => is_valid_host_name(rest) && rest.contains('.'),
        None => is_valid_host_name(name) && name.contains('.'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_stable_and_well_formed() {
        let a = generated_domain_name("E2VY6GYSB2RFYS", "cloudfront.net");
        assert_eq!(a, generated_domain_name("E2VY6GYSB2RFYS", "cloudfront.net"));
        assert_ne!(a, generated_domain_name("E2VY6GYSB2RFYT", "cloudfront.net"));
        let (label, rest) = a.split_once('.').unwrap();
        assert_eq!(rest, "cloudfront.net");
        assert_eq!(label.len(), 14);
        assert!(label.starts_with('d'));
        assert!(label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    }

    #[test]
    fn routing_rules() {
        let mut r = HostRouter::new();
        assert!(r.insert_exact("d1.cloudfront.net", DistributionIndex(0)));
        assert!(r.insert_exact("WWW.Example.com", DistributionIndex(1)));
        assert!(r.insert_wildcard("*.example.com", DistributionIndex(2)));
        assert!(r.insert_wildcard("*.deep.example.com", DistributionIndex(3)));
        assert!(!r.insert_exact("www.example.com", DistributionIndex(4)));
        assert_eq!(r.route("www.example.com:8443"), Some(DistributionIndex(1)));
        assert_eq!(r.route("WWW.EXAMPLE.COM."), Some(DistributionIndex(1)));
        assert_eq!(r.route("img.example.com"), Some(DistributionIndex(2)));
        assert_eq!(r.route("a.b.example.com"), Some(DistributionIndex(2)));
        assert_eq!(r.route("x.deep.example.com"), Some(DistributionIndex(3)));
        assert_eq!(r.route("example.com"), None);
        assert_eq!(r.route("d1.cloudfront.net"), Some(DistributionIndex(0)));
        assert_eq!(r.route(""), None);
        assert_eq!(r.route("[::1]:80"), None);
        assert_eq!(r.route(&"a".repeat(300)), None);
    }

    #[test]
    fn per_pop_names_under_a_domain_name() {
        let mut r = HostRouter::new();
        assert!(r.insert_domain_name("d1.cdn.test", DistributionIndex(0)));
        assert!(r.insert_exact("www.d1.cdn.test", DistributionIndex(1)));
        assert!(r.insert_wildcard("*.example.com", DistributionIndex(2)));
        assert!(!r.insert_domain_name("D1.cdn.test", DistributionIndex(3)));
        assert_eq!(r.route("d1.cdn.test"), Some(DistributionIndex(0)));
        assert_eq!(
            r.route("IAD50-C1.d1.cdn.test:8080"),
            Some(DistributionIndex(0))
        );
        // An exact name beats the per-POP rule; only one label is covered.
        assert_eq!(r.route("www.d1.cdn.test"), Some(DistributionIndex(1)));
        assert_eq!(r.route("a.b.d1.cdn.test"), None);
        assert_eq!(r.route(".d1.cdn.test"), None);
        // Aliases do not get per-POP names.
        assert_eq!(r.route("x.www.d1.cdn.test"), None);
    }

    #[test]
    fn host_name_syntax() {
        assert!(is_valid_host_name("example.com"));
        assert!(is_valid_host_name("127.0.0.1"));
        assert!(is_valid_host_name("localhost"));
        assert!(!is_valid_host_name("-bad.com"));
        assert!(!is_valid_host_name("a..b"));
        assert!(!is_valid_host_name("a b.com"));
        assert!(is_valid_alias("*.example.com"));
        assert!(!is_valid_alias("*.com"));
        assert!(!is_valid_alias("www.*.com"));
        assert!(!is_valid_alias("localhost"));
    }
}

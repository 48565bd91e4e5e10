//! Resolved cache behaviors: matcher, cache key, TTLs, forwarding, policies (§1.2, §2.4).

use std::sync::Arc;

use super::origin::OriginTarget;
use super::response_headers::ResponseHeadersPolicy;
use crate::raw::{EventType, Method, ViewerProtocolPolicy};
use crate::{PathPattern, TtlPolicy};

/// A set of HTTP methods, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MethodSet(u8);

impl MethodSet {
    /// The empty set.
    pub const EMPTY: MethodSet = MethodSet(0);
    /// GET and HEAD (CloudFront's default for both allowed and cached methods).
    pub const GET_HEAD: MethodSet = MethodSet(0b0000_0011);
    /// GET, HEAD and OPTIONS.
    pub const GET_HEAD_OPTIONS: MethodSet = MethodSet(0b0010_0011);
    /// All seven methods.
    pub const ALL: MethodSet = MethodSet(0b0111_1111);

    fn bit(m: Method) -> u8 {
        match m {
            Method::Get => 1,
            Method::Head => 1 << 1,
            Method::Post => 1 << 2,
            Method::Put => 1 << 3,
            Method::Patch => 1 << 4,
            Method::Options => 1 << 5,
            Method::Delete => 1 << 6,
        }
    }

    /// The set of the given methods.
    pub fn from_methods(methods: &[Method]) -> MethodSet {
        MethodSet(methods.iter().fold(0, |acc, m| acc | Self::bit(*m)))
    }

    /// Whether `m` is in the set.
    pub fn contains(self, m: Method) -> bool {
        self.0 & Self::bit(m) != 0
    }

    /// Whether the method named `name` (uppercase, as on the request line) is in the set;
    /// unknown names are not.
    pub fn contains_name(self, name: &str) -> bool {
        let m = match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "OPTIONS" => Method::Options,
            "DELETE" => Method::Delete,
            _ => return false,
        };
        self.contains(m)
    }

    /// Whether every method of `self` is in `other`.
    pub fn is_subset_of(self, other: MethodSet) -> bool {
        self.0 & !other.0 == 0
    }
}

/// A selection of names (headers, cookies or query parameters).
///
/// Header names are stored lowercase and must be looked up lowercase; cookie and query names
/// are case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NameSelection {
    /// Nothing.
    #[default]
    None,
    /// Only these names.
    Only(Vec<String>),
    /// Everything but these names.
    AllExcept(Vec<String>),
    /// Everything.
    All,
}

impl NameSelection {
    /// Whether `name` is selected.
    pub fn includes(&self, name: &str) -> bool {
        match self {
            NameSelection::None => false,
            NameSelection::Only(names) => names.iter().any(|n| n == name),
            NameSelection::AllExcept(names) => !names.iter().any(|n| n == name),
            NameSelection::All => true,
        }
    }

    /// True when nothing is selected.
    pub fn is_none(&self) -> bool {
        matches!(self, NameSelection::None)
    }

    /// Everything selected by either side (how cache-key and origin-request selections
    /// combine into what is forwarded).
    pub fn union(&self, other: &NameSelection) -> NameSelection {
        use NameSelection::{All, AllExcept, None, Only};
        match (self, other) {
            (All, _) | (_, All) => All,
            (None, x) | (x, None) => x.clone(),
            (Only(a), Only(b)) => {
                let mut names = a.clone();
                for n in b {
                    if !names.contains(n) {
                        names.push(n.clone());
                    }
                }
                Only(names)
            }
            (AllExcept(ex), Only(inc)) | (Only(inc), AllExcept(ex)) => {
                AllExcept(ex.iter().filter(|n| !inc.contains(n)).cloned().collect())
            }
            (AllExcept(a), AllExcept(b)) => {
                AllExcept(a.iter().filter(|n| b.contains(n)).cloned().collect())
            }
        }
    }
}

/// What, beyond distribution and path (and method for OPTIONS), goes into the cache key.
/// Everything keyed is also forwarded to the origin.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheKeyPolicy {
    /// Viewer headers keyed (lowercase; `CloudFront-*` names are the edge-generated headers).
    pub headers: NameSelection,
    /// Cookies keyed.
    pub cookies: NameSelection,
    /// Query parameters keyed.
    pub query_strings: NameSelection,
    /// Normalise `Accept-Encoding` to `gzip` and key it.
    pub accept_encoding_gzip: bool,
    /// Normalise `Accept-Encoding` to `br` and key it.
    pub accept_encoding_brotli: bool,
}

impl CacheKeyPolicy {
    /// Whether `Accept-Encoding` is normalised into the key (either encoding enabled).
    pub fn normalizes_accept_encoding(&self) -> bool {
        self.accept_encoding_gzip || self.accept_encoding_brotli
    }

    /// Whether the policy names `Accept-Encoding` itself, which turns off edge compression
    /// (§2.4).
    pub fn names_accept_encoding(&self) -> bool {
        matches!(&self.headers, NameSelection::Only(h) if h.iter().any(|n| n == "accept-encoding"))
    }
}

/// Headers sent to the origin.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct HeaderForwarding {
    /// Viewer headers forwarded (lowercase).
    pub viewer: NameSelection,
    /// `CloudFront-*` headers the edge adds (lowercase), e.g. `cloudfront-viewer-country`.
    pub cloudfront: Vec<String>,
}

impl HeaderForwarding {
    /// Both selections together.
    pub fn union(&self, other: &HeaderForwarding) -> HeaderForwarding {
        let mut cloudfront = self.cloudfront.clone();
        for n in &other.cloudfront {
            if !cloudfront.contains(n) {
                cloudfront.push(n.clone());
            }
        }
        HeaderForwarding {
            viewer: self.viewer.union(&other.viewer),
            cloudfront,
        }
    }
}

/// What reaches the origin: the cache key's selections united with the origin request
/// policy's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct OriginForwarding {
    /// Headers.
    pub headers: HeaderForwarding,
    /// Cookies (when none: `Cookie` is stripped toward the origin and `Set-Cookie` from
    /// responses, §2.1).
    pub cookies: NameSelection,
    /// Query parameters.
    pub query_strings: NameSelection,
    /// Legacy `ForwardedValues` mode: besides the selected headers, `Cache-Control, Pragma,
    /// Content-*, Date, If-*, Origin, Range, Via` and unknown headers pass (§3.2).
    pub legacy: bool,
}

/// A resolved cache policy (managed or from the file).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CachePolicy {
    /// Policy id.
    pub id: String,
    /// Policy name.
    pub name: String,
    /// TTLs.
    pub ttl: TtlPolicy,
    /// Cache key.
    pub key: CacheKeyPolicy,
}

/// A resolved origin request policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginRequestPolicy {
    /// Policy id.
    pub id: String,
    /// Policy name.
    pub name: String,
    /// What it forwards (without keying).
    pub forwarding: OriginForwarding,
}

/// A public key usable for signed URLs and cookies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicKey {
    /// The `Key-Pair-Id`.
    pub id: String,
    /// Name.
    pub name: String,
    /// PEM `SubjectPublicKeyInfo`, as configured (parsing it is the signer check's job).
    pub encoded_key: String,
}

/// A key group with its keys resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyGroup {
    /// Key group id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its public keys.
    pub keys: Vec<Arc<PublicKey>>,
}

/// A Lambda@Edge association (carried; Brink does not run Lambda@Edge).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LambdaAssociation {
    /// Versioned ARN.
    pub arn: String,
    /// When it runs.
    pub event_type: EventType,
    /// Whether the body is exposed.
    pub include_body: bool,
}

/// A cache behavior, compiled.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Behavior {
    /// The pattern; `None` for the default behavior.
    pub path_pattern: Option<PathPattern>,
    /// Its `TargetOriginId`.
    pub target_origin_id: String,
    /// The origin or group serving it.
    pub target: OriginTarget,
    /// HTTP/HTTPS handling.
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    /// Methods served; others are refused.
    pub allowed_methods: MethodSet,
    /// Methods whose responses are cached.
    pub cached_methods: MethodSet,
    /// Edge compression enabled.
    pub compress: bool,
    /// Smooth Streaming enabled.
    pub smooth_streaming: bool,
    /// The cache policy id, `None` in legacy `ForwardedValues` mode.
    pub cache_policy_id: Option<String>,
    /// TTLs (cache policy or legacy fields).
    pub ttl: TtlPolicy,
    /// Cache key (cache policy or legacy `ForwardedValues`).
    pub cache_key: CacheKeyPolicy,
    /// The origin request policy, if any.
    pub origin_request_policy: Option<Arc<OriginRequestPolicy>>,
    /// Everything forwarded to the origin (cache key ∪ origin request policy).
    pub forwarding: OriginForwarding,
    /// The response headers policy, if any.
    pub response_headers_policy: Option<Arc<ResponseHeadersPolicy>>,
    /// Key groups whose keys may sign; non-empty means signed URLs/cookies are required.
    pub trusted_key_groups: Vec<Arc<KeyGroup>>,
    /// Legacy trusted signers (account numbers or `self`) when enabled; Brink has no
    /// CloudFront key pairs, so such behaviors can only refuse.
    pub trusted_signers: Vec<String>,
    /// CloudFront Function run on viewer requests (ARN).
    pub viewer_request_function: Option<String>,
    /// CloudFront Function run on viewer responses (ARN).
    pub viewer_response_function: Option<String>,
    /// Lambda@Edge associations.
    pub lambda_associations: Vec<LambdaAssociation>,
    /// Real-time log configuration ARN.
    pub realtime_log_config_arn: Option<String>,
    /// gRPC enabled.
    pub grpc: bool,
    /// HLS from stored MP4 files (`BrinkHls`, Brink's own field): the shortest segment, in
    /// seconds; `None` when off.
    pub hls_segment_seconds: Option<u32>,
}

impl Behavior {
    /// Whether requests need a valid signed URL or cookie (§5).
    pub fn requires_signature(&self) -> bool {
        !self.trusted_key_groups.is_empty() || !self.trusted_signers.is_empty()
    }

    /// The public key with `key_pair_id` among the trusted key groups, if trusted here.
    pub fn trusted_key(&self, key_pair_id: &str) -> Option<&PublicKey> {
        self.trusted_key_groups
            .iter()
            .flat_map(|g| g.keys.iter())
            .find(|k| k.id == key_pair_id)
            .map(|k| &**k)
    }

    /// Whether the method named `name` is served.
    pub fn allows_method(&self, name: &str) -> bool {
        self.allowed_methods.contains_name(name)
    }

    /// Whether responses to the method named `name` may be cached.
    pub fn caches_method(&self, name: &str) -> bool {
        self.cached_methods.contains_name(name) && !self.ttl.caching_disabled()
    }

    /// Whether edge compression can apply (§8.3: `Compress`, gzip/br normalisation, TTL > 0,
    /// and `Accept-Encoding` not named in the policy).
    pub fn compression_enabled(&self) -> bool {
        self.compress
            && self.cache_key.normalizes_accept_encoding()
            && !self.cache_key.names_accept_encoding()
            && !self.ttl.caching_disabled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_methods_agree() {
        for set in [
            MethodSet::GET_HEAD,
            MethodSet::GET_HEAD_OPTIONS,
            MethodSet::ALL,
        ] {
            for m in Method::ALL {
                assert_eq!(set.contains_name(m.as_str()), set.contains(*m), "{m:?}");
            }
            for other in ["get", "TRACE", "CONNECT", "", "GETX"] {
                assert!(!set.contains_name(other), "{other:?}");
            }
        }
    }

    fn only(v: &[&str]) -> NameSelection {
        NameSelection::Only(v.iter().map(|s| s.to_string()).collect())
    }
    fn except(v: &[&str]) -> NameSelection {
        NameSelection::AllExcept(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn union_is_what_either_forwards() {
        let cases = [
            (NameSelection::None, only(&["a"]), only(&["a"])),
            (only(&["a"]), only(&["b", "a"]), only(&["a", "b"])),
            (except(&["a", "b"]), only(&["a"]), except(&["b"])),
            (except(&["a", "b"]), except(&["b", "c"]), except(&["b"])),
            (NameSelection::All, only(&["a"]), NameSelection::All),
        ];
        for (a, b, want) in cases {
            let got = a.union(&b);
            assert_eq!(got, want, "{a:?} ∪ {b:?}");
            for n in ["a", "b", "c", "d"] {
                assert_eq!(got.includes(n), a.includes(n) || b.includes(n), "{n}");
            }
        }
    }

    #[test]
    fn method_sets() {
        let s = MethodSet::from_methods(&[Method::Get, Method::Head, Method::Options]);
        assert_eq!(s, MethodSet::GET_HEAD_OPTIONS);
        assert!(s.contains_name("OPTIONS"));
        assert!(!s.contains_name("POST"));
        assert!(!s.contains_name("get"));
        assert!(MethodSet::GET_HEAD.is_subset_of(s));
        assert!(!MethodSet::ALL.is_subset_of(s));
    }
}

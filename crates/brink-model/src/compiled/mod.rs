//! The validated, compiled model the edge consults per request.
//!
//! Built only by [`crate::validate`]; every reference is resolved (origins, groups,
//! policies, key groups), every default applied, and every pattern compiled, so request-time
//! code never fails on configuration and never allocates to match.

mod behavior;
mod certificate;
mod origin;
mod response_headers;
mod streaming;

pub use behavior::*;
pub use certificate::*;
pub use origin::*;
pub use response_headers::*;
pub use streaming::*;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::host::{DistributionIndex, HostRouter};
use crate::path_pattern::PathPattern;
use crate::raw::{HttpVersion, MinimumProtocolVersion, PriceClass, SslSupportMethod};
use crate::ttl::DEFAULT_ERROR_CACHING_MIN_TTL;

/// Every distribution and policy of an edge file, ready for requests.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) distributions: Vec<Distribution>,
    pub(crate) router: HostRouter,
    pub(crate) by_id: HashMap<String, DistributionIndex>,
    pub(crate) cache_policies: HashMap<String, Arc<CachePolicy>>,
    pub(crate) origin_request_policies: HashMap<String, Arc<OriginRequestPolicy>>,
    pub(crate) response_headers_policies: HashMap<String, Arc<ResponseHeadersPolicy>>,
    pub(crate) key_groups: HashMap<String, Arc<KeyGroup>>,
    pub(crate) public_keys: HashMap<String, Arc<PublicKey>>,
    pub(crate) certificates: HashMap<String, CertificateFiles>,
    pub(crate) streaming: Vec<StreamingDistribution>,
    /// Streaming distributions' domain names and aliases (indexes into `streaming`).
    pub(crate) streaming_router: HostRouter,
    pub(crate) streaming_by_id: HashMap<String, DistributionIndex>,
}

impl Model {
    /// Every public key of the file (signed URLs: a `Key-Pair-Id` names one), in id order.
    pub fn public_keys(&self) -> Vec<&PublicKey> {
        let mut keys: Vec<&PublicKey> = self.public_keys.values().map(|k| &**k).collect();
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        keys
    }

    /// All distributions, in file order.
    pub fn distributions(&self) -> &[Distribution] {
        &self.distributions
    }

    /// The distribution at `idx` (from [`HostRouter::route`]).
    ///
    /// # Panics
    /// If `idx` came from another model with more distributions.
    pub fn distribution(&self, idx: DistributionIndex) -> &Distribution {
        &self.distributions[idx.0]
    }

    /// The distribution serving `host` (a `Host` header value), if any. Disabled
    /// distributions are returned too: the edge answers them with 403.
    pub fn route(&self, host: &str) -> Option<&Distribution> {
        self.router.route(host).map(|i| &self.distributions[i.0])
    }

    /// The host router.
    pub fn router(&self) -> &HostRouter {
        &self.router
    }

    /// The distribution with this `Id`.
    pub fn by_id(&self, id: &str) -> Option<&Distribution> {
        self.by_id.get(id).map(|i| &self.distributions[i.0])
    }

    /// A cache policy (managed or from the file) by id.
    pub fn cache_policy(&self, id: &str) -> Option<&Arc<CachePolicy>> {
        self.cache_policies.get(id)
    }

    /// An origin request policy by id.
    pub fn origin_request_policy(&self, id: &str) -> Option<&Arc<OriginRequestPolicy>> {
        self.origin_request_policies.get(id)
    }

    /// A response headers policy by id.
    pub fn response_headers_policy(&self, id: &str) -> Option<&Arc<ResponseHeadersPolicy>> {
        self.response_headers_policies.get(id)
    }

    /// A key group by id.
    pub fn key_group(&self, id: &str) -> Option<&Arc<KeyGroup>> {
        self.key_groups.get(id)
    }

    /// The certificate files a `ViewerCertificate` names by ACM ARN or IAM id.
    pub fn certificate(&self, id: &str) -> Option<&CertificateFiles> {
        self.certificates.get(id)
    }

    /// All streaming (RTMP) distributions, in file order.
    pub fn streaming_distributions(&self) -> &[StreamingDistribution] {
        &self.streaming
    }

    /// The streaming distribution an RTMP connection to `host` is for: `host` is the host
    /// of the connection's `tcUrl` (`rtmp://s….cloudfront.net/cfx/st` → `s….cloudfront.net`;
    /// `:port` and a trailing dot are ignored, case-insensitive), matched against domain
    /// names and aliases (`*.example.com` included) like web distributions' `Host`.
    /// Disabled distributions are returned too: the listener refuses them.
    pub fn streaming_by_host(&self, host: &str) -> Option<&StreamingDistribution> {
        self.streaming_router
            .route(host)
            .and_then(|i| self.streaming.get(i.0))
    }

    /// The streaming distribution with this `Id`.
    pub fn streaming_by_id(&self, id: &str) -> Option<&StreamingDistribution> {
        self.streaming_by_id
            .get(id)
            .and_then(|i| self.streaming.get(i.0))
    }

    /// Every listed certificate, in file order.
    pub fn certificates(&self) -> Vec<&CertificateFiles> {
        let mut all: Vec<&CertificateFiles> = self.certificates.values().collect();
        all.sort_by_key(|c| c.index);
        all
    }
}

/// Which certificate viewers see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewerCertificateSource {
    /// The CDN's default certificate for its own domain.
    Default,
    /// An ACM certificate ARN.
    Acm(String),
    /// An IAM server certificate id.
    Iam(String),
}

/// Viewer TLS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewerCertificate {
    /// The certificate.
    pub source: ViewerCertificateSource,
    /// How a custom certificate is presented.
    pub ssl_support_method: Option<SslSupportMethod>,
    /// Security policy (`TLSv1` with the default certificate, whatever the file says).
    pub minimum_protocol_version: MinimumProtocolVersion,
}

/// Geo restriction (§6). Countries are uppercase ISO 3166-1 alpha-2 codes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum GeoRestriction {
    /// Every country is served.
    #[default]
    None,
    /// Only these countries are served.
    Allow(Vec<String>),
    /// These countries are refused.
    Deny(Vec<String>),
}

impl GeoRestriction {
    /// Whether a viewer from `country` (uppercase; `None` when unknown) is served. Unknown
    /// countries are always served.
    pub fn allows(&self, country: Option<&str>) -> bool {
        let Some(country) = country else {
            return true;
        };
        match self {
            GeoRestriction::None => true,
            GeoRestriction::Allow(list) => list.iter().any(|c| c == country),
            GeoRestriction::Deny(list) => !list.iter().any(|c| c == country),
        }
    }
}

/// A custom error response (§8.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CustomErrorResponse {
    /// The status it applies to.
    pub error_code: u16,
    /// Page served instead (fetched through normal behavior matching).
    pub response_page_path: Option<String>,
    /// Status sent instead.
    pub response_code: Option<u16>,
    /// How long the error is cached.
    pub error_caching_min_ttl: Duration,
}

/// Standard logging, when enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Logging {
    /// Include the `Cookie` field.
    pub include_cookies: bool,
    /// Destination bucket.
    pub bucket: String,
    /// Key prefix.
    pub prefix: String,
}

/// A validated distribution.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Distribution {
    /// Its `Id`.
    pub id: String,
    /// Its ARN, when the file gave one.
    pub arn: Option<String>,
    /// The distribution's own host name (given or generated), lowercase.
    pub domain_name: String,
    /// Aliases, lowercase, exact or `*.example.com`.
    pub aliases: Vec<String>,
    /// Disabled distributions are routed but must not be served (403).
    pub enabled: bool,
    /// Staging distributions are reachable only by their own domain name.
    pub staging: bool,
    /// Free text.
    pub comment: String,
    /// Object served for `/` only.
    pub default_root_object: Option<String>,
    /// Origins, in file order.
    pub origins: Vec<Origin>,
    /// Origin groups, in file order.
    pub origin_groups: Vec<OriginGroup>,
    /// `CacheBehaviors` in order, then the default behavior (always last, never empty).
    behaviors: Vec<Behavior>,
    /// The `CacheBehaviors`' path patterns, in order, side by side (behavior selection reads
    /// only these: one small contiguous array instead of a walk over whole behaviors).
    patterns: Vec<Option<PathPattern>>,
    /// Custom error responses.
    pub custom_error_responses: Vec<CustomErrorResponse>,
    /// Geo restriction.
    pub geo_restriction: GeoRestriction,
    /// Viewer certificate.
    pub viewer_certificate: ViewerCertificate,
    /// Viewer HTTP version.
    pub http_version: HttpVersion,
    /// AAAA records published (`IsIPV6Enabled`; absent counts as false).
    pub ipv6_enabled: bool,
    /// Price class.
    pub price_class: PriceClass,
    /// Logging, when enabled.
    pub logging: Option<Logging>,
    /// WAF web ACL, when set (Brink has no WAF: the lead decides what this means).
    pub web_acl_id: Option<String>,
}

impl Distribution {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assemble(
        header: DistributionHeader,
        origins: Vec<Origin>,
        origin_groups: Vec<OriginGroup>,
        behaviors: Vec<Behavior>,
        custom_error_responses: Vec<CustomErrorResponse>,
        geo_restriction: GeoRestriction,
        viewer_certificate: ViewerCertificate,
    ) -> Distribution {
        Distribution {
            id: header.id,
            arn: header.arn,
            domain_name: header.domain_name,
            aliases: header.aliases,
            enabled: header.enabled,
            staging: header.staging,
            comment: header.comment,
            default_root_object: header.default_root_object,
            origins,
            origin_groups,
            patterns: behaviors[..behaviors.len().saturating_sub(1)]
                .iter()
                .map(|b| b.path_pattern.clone())
                .collect(),
            behaviors,
            custom_error_responses,
            geo_restriction,
            viewer_certificate,
            http_version: header.http_version,
            ipv6_enabled: header.ipv6_enabled,
            price_class: header.price_class,
            logging: header.logging,
            web_acl_id: header.web_acl_id,
        }
    }

    /// The behavior for a raw request path: the first `CacheBehaviors` pattern that matches
    /// the path's normalized form ([`normalize_path`](crate::path_normalize::normalize_path):
    /// RFC 3986 §6.2.2 plus merged slashes), in list order, else the default behavior. So
    /// `/public/../private/x`, `/%70rivate/x` and `//private/x` all get the `/private/*`
    /// behavior. The caller keeps sending the raw path to the origin. No allocation unless
    /// the path needs normalizing (a `%`, `//` or dot segment that changes it).
    pub fn select_behavior(&self, path: &str) -> &Behavior {
        &self.behaviors[self.select_behavior_index(path)]
    }

    /// Like [`select_behavior`](Self::select_behavior), returning the position in
    /// [`behaviors`](Self::behaviors) (the default behavior is the last position).
    pub fn select_behavior_index(&self, path: &str) -> usize {
        let path = crate::path_normalize::normalize_path(path);
        self.select_behavior_index_normalized(&path)
    }

    /// Behavior selection on a path the caller has already normalized (no normalization
    /// here: a raw path given to this function can bypass behaviors).
    pub fn select_behavior_index_normalized(&self, normalized: &str) -> usize {
        self.patterns
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| p.matches(normalized)))
            .unwrap_or(self.patterns.len())
    }

    /// All behaviors: `CacheBehaviors` in order, then the default one.
    pub fn behaviors(&self) -> &[Behavior] {
        &self.behaviors
    }

    /// The default behavior.
    pub fn default_behavior(&self) -> &Behavior {
        &self.behaviors[self.behaviors.len() - 1]
    }

    /// The origin at `idx`.
    pub fn origin(&self, idx: OriginIndex) -> &Origin {
        &self.origins[idx.0]
    }

    /// The origin group at `idx`.
    pub fn origin_group(&self, idx: OriginGroupIndex) -> &OriginGroup {
        &self.origin_groups[idx.0]
    }

    /// The origin a request to `target` goes to first (a group's primary).
    pub fn first_origin(&self, target: OriginTarget) -> &Origin {
        match target {
            OriginTarget::Origin(i) => self.origin(i),
            OriginTarget::Group(g) => self.origin(self.origin_group(g).primary),
        }
    }

    /// The custom error response for `status`, if configured.
    pub fn custom_error_response(&self, status: u16) -> Option<&CustomErrorResponse> {
        self.custom_error_responses
            .iter()
            .find(|c| c.error_code == status)
    }

    /// How long an error `status` is cached at least: its `ErrorCachingMinTTL`, else 10 s.
    pub fn error_caching_min_ttl(&self, status: u16) -> Duration {
        self.custom_error_response(status)
            .map_or(DEFAULT_ERROR_CACHING_MIN_TTL, |c| c.error_caching_min_ttl)
    }
}

/// The scalar parts of a distribution, gathered before its lists are compiled.
pub(crate) struct DistributionHeader {
    pub(crate) id: String,
    pub(crate) arn: Option<String>,
    pub(crate) domain_name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) enabled: bool,
    pub(crate) staging: bool,
    pub(crate) comment: String,
    pub(crate) default_root_object: Option<String>,
    pub(crate) http_version: HttpVersion,
    pub(crate) ipv6_enabled: bool,
    pub(crate) price_class: PriceClass,
    pub(crate) logging: Option<Logging>,
    pub(crate) web_acl_id: Option<String>,
}

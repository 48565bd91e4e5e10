//! Brink's configuration model: CloudFront distributions and their policies.
//!
//! Three layers, each usable on its own:
//!
//! 1. [`raw`]: the 2020-05-31 API shapes as the aws CLI prints them, parsed from JSON or YAML
//!    ([`EdgeFile::from_json`], [`EdgeFile::from_yaml`]) and written back unchanged.
//! 2. [`validate`]: every check CloudFront's API makes, all problems at once, each as a
//!    [`ConfigError`] with CloudFront's error code and the field's path.
//! 3. [`compiled`]: the resulting [`Model`]: Host routing ([`HostRouter`]), behavior
//!    selection by [`PathPattern`], and each behavior's resolved cache key, TTLs, forwarding
//!    and policies, ready for the request path.
//!
//! [`managed`] holds CloudFront's managed policies under their real ids; [`ttl`] the TTL
//! policy shared with the HTTP layer. No I/O, no async: reading files is the caller's job.
//!
//! ```
//! use brink_model::{validate, EdgeFile};
//!
//! let file = EdgeFile::from_yaml(r#"
//! Distributions:
//!   - Id: E1EXAMPLE
//!     DistributionConfig:
//!       CallerReference: doc
//!       Aliases: { Quantity: 1, Items: [www.example.com] }
//!       Origins:
//!         Quantity: 1
//!         Items:
//!           - Id: web
//!             DomainName: origin.example.com
//!             CustomOriginConfig: { HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: http-only }
//!       DefaultCacheBehavior:
//!         TargetOriginId: web
//!         ViewerProtocolPolicy: allow-all
//!         CachePolicyId: 658327ea-f89d-4fab-a63d-7e88639e58f6   # Managed-CachingOptimized
//!       CacheBehaviors:
//!         Quantity: 1
//!         Items:
//!           - PathPattern: /api/*
//!             TargetOriginId: web
//!             ViewerProtocolPolicy: https-only
//!             CachePolicyId: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad   # Managed-CachingDisabled
//!       Enabled: true
//! "#).expect("parses");
//! let model = validate(&file).expect("valid");
//! let dist = model.route("WWW.example.com:8080").expect("routed");
//! assert!(dist.select_behavior("/api/users").ttl.caching_disabled());
//! assert!(!dist.select_behavior("/index.html").ttl.caching_disabled());
//! ```

pub mod compiled;
mod error;
pub mod geo;
pub mod host;
pub mod managed;
pub mod path_normalize;
pub mod path_pattern;
pub mod raw;
pub mod ttl;
mod validate;

pub use compiled::{
    Behavior, CacheKeyPolicy, Model, StreamingDistribution, StreamingOrigin, StreamingOriginError,
};
pub use error::{codes, ConfigError};
pub use host::{
    generated_domain_name, generated_streaming_domain_name, DistributionIndex, HostRouter,
};
pub use path_pattern::{PathPattern, PathPatternError};
pub use raw::{EdgeFile, ParseError};
pub use ttl::{TtlPolicy, TtlPolicyError};
pub use validate::{validate, validate_with, ValidateOptions};

/// Limits CloudFront enforces, as validation applies them.
pub mod limits {
    pub use crate::path_pattern::MAX_PATH_PATTERN_LEN;
    pub use crate::validate::{
        ERROR_CODES, FAILOVER_STATUS_CODES, MAX_ALIASES, MAX_CACHE_BEHAVIORS, MAX_CSP_LEN,
        MAX_CUSTOM_HEADERS_TOTAL, MAX_CUSTOM_HEADER_NAME, MAX_CUSTOM_HEADER_VALUE,
        MAX_DISTRIBUTIONS, MAX_DISTRIBUTIONS_PER_RESOURCE, MAX_KEYS_PER_GROUP, MAX_KEY_GROUPS,
        MAX_KEY_GROUPS_PER_BEHAVIOR, MAX_LEGACY_NAMES, MAX_ORIGINS, MAX_ORIGIN_CUSTOM_HEADERS,
        MAX_ORIGIN_GROUPS, MAX_POLICIES, MAX_POLICY_NAMES, MAX_POLICY_NAMES_LEN,
        MAX_RESPONSE_POLICY_HEADERS, MAX_STREAMING_ALIASES, MAX_STREAMING_DISTRIBUTIONS,
        MAX_TRUSTED_SIGNERS, ORIGIN_TIMEOUT_RANGE,
    };
}

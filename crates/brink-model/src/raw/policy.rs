//! Cache, origin request and response headers policies (§2.4, §2.5, §8.4).

use serde::{Deserialize, Serialize};

use super::{
    CachePolicyCookieBehavior, CachePolicyHeaderBehavior, CachePolicyQueryStringBehavior,
    CorsMethod, FrameOption, List, OriginRequestPolicyCookieBehavior,
    OriginRequestPolicyHeaderBehavior, OriginRequestPolicyQueryStringBehavior, ReferrerPolicyValue,
};

/// A cache policy as `aws cloudfront get-cache-policy` prints it (under `"CachePolicy"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachePolicy {
    /// Lowercase UUID on AWS; any non-empty id is accepted here.
    pub id: String,
    /// Read-only timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// The policy.
    pub cache_policy_config: CachePolicyConfig,
}

/// `CachePolicyConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachePolicyConfig {
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Unique name.
    pub name: String,
    /// Seconds used when the origin gives no freshness (default 86400, or MinTTL if larger).
    #[serde(
        rename = "DefaultTTL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub default_ttl: Option<u64>,
    /// Cap on origin freshness (default 31536000, or DefaultTTL if larger).
    #[serde(rename = "MaxTTL", default, skip_serializing_if = "Option::is_none")]
    pub max_ttl: Option<u64>,
    /// Floor on freshness.
    #[serde(rename = "MinTTL")]
    pub min_ttl: u64,
    /// What forms the cache key (and is therefore forwarded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters_in_cache_key_and_forwarded_to_origin:
        Option<ParametersInCacheKeyAndForwardedToOrigin>,
}

/// The cache key definition of a cache policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ParametersInCacheKeyAndForwardedToOrigin {
    /// Normalise and key `Accept-Encoding: gzip`.
    pub enable_accept_encoding_gzip: bool,
    /// Normalise and key `Accept-Encoding: br`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_accept_encoding_brotli: Option<bool>,
    /// Headers in the key.
    pub headers_config: CachePolicyHeadersConfig,
    /// Cookies in the key.
    pub cookies_config: CachePolicyCookiesConfig,
    /// Query parameters in the key.
    pub query_strings_config: CachePolicyQueryStringsConfig,
}

/// Headers of a cache policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachePolicyHeadersConfig {
    /// none or whitelist.
    pub header_behavior: CachePolicyHeaderBehavior,
    /// Names for whitelist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<List<String>>,
}

/// Cookies of a cache policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachePolicyCookiesConfig {
    /// none, whitelist, allExcept or all.
    pub cookie_behavior: CachePolicyCookieBehavior,
    /// Names for whitelist / allExcept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookies: Option<List<String>>,
}

/// Query strings of a cache policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachePolicyQueryStringsConfig {
    /// none, whitelist, allExcept or all.
    pub query_string_behavior: CachePolicyQueryStringBehavior,
    /// Names for whitelist / allExcept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_strings: Option<List<String>>,
}

/// An origin request policy (under `"OriginRequestPolicy"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginRequestPolicy {
    /// Policy id.
    pub id: String,
    /// Read-only timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// The policy.
    pub origin_request_policy_config: OriginRequestPolicyConfig,
}

/// `OriginRequestPolicyConfig`: forwarded without being keyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginRequestPolicyConfig {
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Unique name.
    pub name: String,
    /// Headers forwarded.
    pub headers_config: OriginRequestPolicyHeadersConfig,
    /// Cookies forwarded.
    pub cookies_config: OriginRequestPolicyCookiesConfig,
    /// Query parameters forwarded.
    pub query_strings_config: OriginRequestPolicyQueryStringsConfig,
}

/// Headers of an origin request policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginRequestPolicyHeadersConfig {
    /// Header selection mode.
    pub header_behavior: OriginRequestPolicyHeaderBehavior,
    /// Names for whitelist / allExcept / allViewerAndWhitelistCloudFront.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<List<String>>,
}

/// Cookies of an origin request policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginRequestPolicyCookiesConfig {
    /// Cookie selection mode.
    pub cookie_behavior: OriginRequestPolicyCookieBehavior,
    /// Names for whitelist / allExcept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookies: Option<List<String>>,
}

/// Query strings of an origin request policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginRequestPolicyQueryStringsConfig {
    /// Query selection mode.
    pub query_string_behavior: OriginRequestPolicyQueryStringBehavior,
    /// Names for whitelist / allExcept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_strings: Option<List<String>>,
}

/// A response headers policy (under `"ResponseHeadersPolicy"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ResponseHeadersPolicy {
    /// Policy id.
    pub id: String,
    /// Read-only timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// The policy.
    pub response_headers_policy_config: ResponseHeadersPolicyConfig,
}

/// `ResponseHeadersPolicyConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ResponseHeadersPolicyConfig {
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Unique name.
    pub name: String,
    /// CORS response headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors_config: Option<CorsConfig>,
    /// Security headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_headers_config: Option<SecurityHeadersConfig>,
    /// `Server-Timing` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_timing_headers_config: Option<ServerTimingHeadersConfig>,
    /// Arbitrary headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_headers_config: Option<List<ResponseHeadersPolicyCustomHeader>>,
    /// Headers removed from origin responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_headers_config: Option<List<ResponseHeadersPolicyRemoveHeader>>,
}

/// `CorsConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CorsConfig {
    /// `*`, exact origins or `https://*.example.org`.
    pub access_control_allow_origins: List<String>,
    /// Header names or `*`.
    pub access_control_allow_headers: List<String>,
    /// Methods or `ALL`.
    pub access_control_allow_methods: List<CorsMethod>,
    /// `Access-Control-Allow-Credentials: true`.
    pub access_control_allow_credentials: bool,
    /// `Access-Control-Expose-Headers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control_expose_headers: Option<List<String>>,
    /// `Access-Control-Max-Age`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control_max_age_sec: Option<u32>,
    /// Replace the origin's CORS headers.
    pub origin_override: bool,
}

/// `SecurityHeadersConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SecurityHeadersConfig {
    /// `X-XSS-Protection`.
    #[serde(
        rename = "XSSProtection",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub xss_protection: Option<XssProtection>,
    /// `X-Frame-Options`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_options: Option<FrameOptions>,
    /// `Referrer-Policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer_policy: Option<ReferrerPolicy>,
    /// `Content-Security-Policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_security_policy: Option<ContentSecurityPolicy>,
    /// `X-Content-Type-Options: nosniff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type_options: Option<ContentTypeOptions>,
    /// `Strict-Transport-Security`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_transport_security: Option<StrictTransportSecurity>,
}

/// `X-XSS-Protection` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct XssProtection {
    /// Replace the origin's header.
    pub r#override: bool,
    /// `1` (true) or `0` (false).
    pub protection: bool,
    /// `; mode=block`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_block: Option<bool>,
    /// `; report=<uri>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_uri: Option<String>,
}

/// `X-Frame-Options` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FrameOptions {
    /// Replace the origin's header.
    pub r#override: bool,
    /// DENY or SAMEORIGIN.
    pub frame_option: FrameOption,
}

/// `Referrer-Policy` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ReferrerPolicy {
    /// Replace the origin's header.
    pub r#override: bool,
    /// The policy value.
    pub referrer_policy: ReferrerPolicyValue,
}

/// `Content-Security-Policy` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ContentSecurityPolicy {
    /// Replace the origin's header.
    pub r#override: bool,
    /// The header value, at most 1,783 characters.
    pub content_security_policy: String,
}

/// `X-Content-Type-Options` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ContentTypeOptions {
    /// Replace the origin's header.
    pub r#override: bool,
}

/// `Strict-Transport-Security` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StrictTransportSecurity {
    /// Replace the origin's header.
    pub r#override: bool,
    /// `; includeSubDomains`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_subdomains: Option<bool>,
    /// `; preload`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preload: Option<bool>,
    /// `max-age=` seconds.
    pub access_control_max_age_sec: u32,
}

/// `ServerTimingHeadersConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ServerTimingHeadersConfig {
    /// Whether `Server-Timing` is added.
    pub enabled: bool,
    /// Percentage of requests, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_rate: Option<f64>,
}

/// A header a response headers policy adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ResponseHeadersPolicyCustomHeader {
    /// Header name.
    pub header: String,
    /// Header value.
    pub value: String,
    /// Replace the origin's header.
    pub r#override: bool,
}

/// A header a response headers policy removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ResponseHeadersPolicyRemoveHeader {
    /// Header name.
    pub header: String,
}

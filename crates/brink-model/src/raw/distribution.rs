//! `Distribution` and `DistributionConfig` (§8, §11).

use serde::{Deserialize, Serialize};

use super::{
    CacheBehavior, CertificateSource, ConnectionMode, DefaultCacheBehavior, GeoRestrictionType,
    HttpVersion, IcpRecordalStatus, List, MinimumProtocolVersion, OriginGroups, Origins,
    PriceClass, SslSupportMethod, ViewerMtlsMode,
};

/// A distribution as `aws cloudfront get-distribution` prints it (the object under
/// `"Distribution"`). Only `Id` and `DistributionConfig` are needed; the read-only fields are
/// kept so an export loads and round-trips unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Distribution {
    /// `E` + 13 uppercase alphanumerics on AWS; any `[A-Za-z0-9_-]` id is accepted here.
    pub id: String,
    /// `arn:aws:cloudfront::<account>:distribution/<Id>`.
    #[serde(rename = "ARN", default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `InProgress` or `Deployed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ISO-8601 timestamp as printed by the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// Invalidations still running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_progress_invalidation_batches: Option<u32>,
    /// `d….cloudfront.net`; generated from `Id` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// Legacy signers in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_trusted_signers: Option<ActiveTrustedSigners>,
    /// Key groups in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_trusted_key_groups: Option<ActiveTrustedKeyGroups>,
    /// The configuration.
    pub distribution_config: DistributionConfig,
    /// ICP recordal of aliases (China regions).
    #[serde(
        rename = "AliasICPRecordals",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub alias_icp_recordals: Option<Vec<AliasIcpRecordal>>,
}

/// `ActiveTrustedSigners` (read-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ActiveTrustedSigners {
    /// Whether any signer is active.
    pub enabled: bool,
    /// Number of items.
    pub quantity: u32,
    /// The signers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Signer>>,
}

/// A legacy signer and its key pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Signer {
    /// Account number or `self`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_account_number: Option<String>,
    /// Its active key pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_pair_ids: Option<List<String>>,
}

/// `ActiveTrustedKeyGroups` (read-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ActiveTrustedKeyGroups {
    /// Whether any key group is active.
    pub enabled: bool,
    /// Number of items.
    pub quantity: u32,
    /// The key groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<KgKeyPairIds>>,
}

/// A key group and its public key ids (`KGKeyPairIds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct KgKeyPairIds {
    /// Key group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_group_id: Option<String>,
    /// Public key ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_pair_ids: Option<List<String>>,
}

/// ICP recordal of one alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AliasIcpRecordal {
    /// The alias.
    #[serde(rename = "CNAME", default, skip_serializing_if = "Option::is_none")]
    pub cname: Option<String>,
    /// Its state.
    #[serde(
        rename = "ICPRecordalStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub icp_recordal_status: Option<IcpRecordalStatus>,
}

/// `Aliases`: alternate domain names, exact or `*.example.com`.
pub type Aliases = List<String>;
/// `CacheBehaviors`: at most 75.
pub type CacheBehaviors = List<CacheBehavior>;
/// `CustomErrorResponses`.
pub type CustomErrorResponses = List<CustomErrorResponse>;

/// The distribution's configuration, as sent to CreateDistribution / UpdateDistribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DistributionConfig {
    /// Unique per account; makes creation idempotent.
    pub caller_reference: String,
    /// Alternate domain names.
    #[serde(default)]
    pub aliases: Aliases,
    /// Object served for `/` (no leading `/`; `""` = none).
    #[serde(default)]
    pub default_root_object: String,
    /// The origins.
    pub origins: Origins,
    /// Failover pairs of origins.
    #[serde(default)]
    pub origin_groups: OriginGroups,
    /// The fallback behavior.
    pub default_cache_behavior: DefaultCacheBehavior,
    /// Path-pattern behaviors, tried in order.
    #[serde(default)]
    pub cache_behaviors: CacheBehaviors,
    /// Error code rewrites and error caching TTLs.
    #[serde(default)]
    pub custom_error_responses: CustomErrorResponses,
    /// Free text, at most 128 characters.
    #[serde(default)]
    pub comment: String,
    /// Standard access logs.
    #[serde(default)]
    pub logging: LoggingConfig,
    /// Which edge locations serve.
    #[serde(default)]
    pub price_class: PriceClass,
    /// A disabled distribution is not served.
    pub enabled: bool,
    /// Viewer TLS certificate.
    #[serde(default)]
    pub viewer_certificate: ViewerCertificate,
    /// Geo restriction.
    #[serde(default)]
    pub restrictions: Restrictions,
    /// WAF web ACL (`""` = none).
    #[serde(rename = "WebACLId", default)]
    pub web_acl_id: String,
    /// Viewer HTTP version.
    #[serde(default)]
    pub http_version: HttpVersion,
    /// Whether AAAA records are published.
    #[serde(
        rename = "IsIPV6Enabled",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_ipv6_enabled: Option<bool>,
    /// Continuous deployment policy (`""` = none).
    #[serde(default)]
    pub continuous_deployment_policy_id: String,
    /// Whether this is a staging distribution.
    #[serde(default)]
    pub staging: bool,
    /// Anycast static IP list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anycast_ip_list_id: Option<String>,
    /// Multi-tenant parameters (newer API; carried, not used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_config: Option<TenantConfig>,
    /// Multi-tenant mode (newer API; carried, not used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_mode: Option<ConnectionMode>,
    /// Viewer mutual TLS (newer API; carried, not used yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer_mtls_config: Option<ViewerMtlsConfig>,
    /// Connection function (newer API; carried, not used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_function_association: Option<ConnectionFunctionAssociation>,
    /// Cache tag header (newer API; carried, not used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_tag_config: Option<CacheTagConfig>,
}

/// A custom error response (§8.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CustomErrorResponse {
    /// The origin (or edge) status this entry applies to.
    pub error_code: u32,
    /// Page served instead, starting with `/` (`""` = keep the error body).
    #[serde(default)]
    pub response_page_path: String,
    /// Status sent to the viewer, a **string** on the wire (`""` = unchanged).
    #[serde(default, deserialize_with = "super::string_or_number::deserialize")]
    pub response_code: String,
    /// Seconds the error is cached (default 10).
    #[serde(
        rename = "ErrorCachingMinTTL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_caching_min_ttl: Option<u64>,
}

/// Standard logging (§8.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LoggingConfig {
    /// Whether logs are written.
    #[serde(default)]
    pub enabled: bool,
    /// Whether the cookie field is filled.
    #[serde(default)]
    pub include_cookies: bool,
    /// `bucket.s3.amazonaws.com`.
    #[serde(default)]
    pub bucket: String,
    /// Key prefix.
    #[serde(default)]
    pub prefix: String,
}

/// Viewer certificate (§8.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ViewerCertificate {
    /// Use the CDN's own `*.cloudfront.net` certificate.
    #[serde(
        rename = "CloudFrontDefaultCertificate",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cloudfront_default_certificate: Option<bool>,
    /// IAM server certificate id.
    #[serde(
        rename = "IAMCertificateId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub iam_certificate_id: Option<String>,
    /// ACM certificate ARN (us-east-1).
    #[serde(
        rename = "ACMCertificateArn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub acm_certificate_arn: Option<String>,
    /// How a custom certificate is presented.
    #[serde(
        rename = "SSLSupportMethod",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ssl_support_method: Option<SslSupportMethod>,
    /// Security policy (default TLSv1).
    #[serde(default)]
    pub minimum_protocol_version: MinimumProtocolVersion,
    /// Deprecated combined field, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// Deprecated, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_source: Option<CertificateSource>,
}

impl Default for ViewerCertificate {
    fn default() -> Self {
        ViewerCertificate {
            cloudfront_default_certificate: Some(true),
            iam_certificate_id: None,
            acm_certificate_arn: None,
            ssl_support_method: None,
            minimum_protocol_version: MinimumProtocolVersion::TlsV1,
            certificate: None,
            certificate_source: Some(CertificateSource::Cloudfront),
        }
    }
}

/// `Restrictions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Restrictions {
    /// The only restriction kind.
    pub geo_restriction: GeoRestriction,
}

/// Geo restriction (§6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GeoRestriction {
    /// none, whitelist or blacklist.
    pub restriction_type: GeoRestrictionType,
    /// Number of items.
    pub quantity: u32,
    /// ISO 3166-1 alpha-2 codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<String>>,
}

/// Multi-tenant parameter definitions (newer API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TenantConfig {
    /// Parameter definitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_definitions: Option<Vec<ParameterDefinition>>,
}

/// One tenant parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ParameterDefinition {
    /// Parameter name.
    pub name: String,
    /// Its schema.
    pub definition: ParameterDefinitionSchema,
}

/// Schema of a tenant parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ParameterDefinitionSchema {
    /// A string parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_schema: Option<StringSchemaConfig>,
}

/// A string tenant parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StringSchemaConfig {
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// Whether tenants must set it.
    pub required: bool,
}

/// Viewer mutual TLS (newer API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ViewerMtlsConfig {
    /// Mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ViewerMtlsMode>,
    /// Trust store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_store_config: Option<TrustStoreConfig>,
}

/// Trust store of viewer mutual TLS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TrustStoreConfig {
    /// Trust store id.
    pub trust_store_id: String,
    /// Whether CA names are advertised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advertise_trust_store_ca_names: Option<bool>,
    /// Whether expired client certificates pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_certificate_expiry: Option<bool>,
}

/// Connection function association (newer API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ConnectionFunctionAssociation {
    /// Function id.
    pub id: String,
}

/// Cache tag configuration (newer API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CacheTagConfig {
    /// Header carrying cache tags.
    pub header_name: String,
}

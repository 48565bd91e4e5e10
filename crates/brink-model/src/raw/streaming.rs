//! RTMP (streaming) distributions: `StreamingDistribution` and `StreamingDistributionConfig`
//! as the 2020-05-31 API has them (AWS retired RTMP delivery at the end of 2020; the API
//! shapes remain in botocore, and Brink serves them).

use serde::{Deserialize, Serialize};

use super::{ActiveTrustedSigners, Aliases, PriceClass, TrustedSigners};

/// A streaming distribution as `aws cloudfront get-streaming-distribution` prints it (the
/// object under `"StreamingDistribution"`). Only `Id` and `StreamingDistributionConfig` are
/// needed; the read-only fields are kept so an export loads and round-trips unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StreamingDistribution {
    /// `E` + 13 uppercase alphanumerics on AWS; any `[A-Za-z0-9_-]` id is accepted here.
    pub id: String,
    /// `arn:aws:cloudfront::<account>:streaming-distribution/<Id>`.
    #[serde(rename = "ARN", default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `InProgress` or `Deployed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ISO-8601 timestamp as printed by the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// `s….cloudfront.net`; generated from `Id` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// Legacy signers in use (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_trusted_signers: Option<ActiveTrustedSigners>,
    /// The configuration.
    pub streaming_distribution_config: StreamingDistributionConfig,
}

/// The configuration sent to CreateStreamingDistribution / UpdateStreamingDistribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StreamingDistributionConfig {
    /// Unique per account; makes creation idempotent.
    pub caller_reference: String,
    /// Where the media files come from.
    pub s3_origin: S3Origin,
    /// Alternate domain names (`tcUrl` hosts) the distribution answers on.
    #[serde(default)]
    pub aliases: Aliases,
    /// Free text, at most 128 characters.
    #[serde(default)]
    pub comment: String,
    /// Streaming access logs.
    #[serde(default)]
    pub logging: StreamingLoggingConfig,
    /// Legacy signers whose key pairs may sign stream names.
    #[serde(default)]
    pub trusted_signers: TrustedSigners,
    /// Which edge locations serve.
    #[serde(default)]
    pub price_class: PriceClass,
    /// A disabled distribution is not served.
    pub enabled: bool,
}

/// `S3Origin`: the origin of a streaming distribution.
///
/// CloudFront required an S3 bucket (`<bucket>.s3.amazonaws.com`); Brink also takes any
/// `host[:port]` the edge can reach (Brink's extension, cloudfront.md has no counterpart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct S3Origin {
    /// `<bucket>.s3[.<region>].amazonaws.com`, or `host[:port]`.
    pub domain_name: String,
    /// `origin-access-identity/cloudfront/<id>`, or `""` for none.
    #[serde(default)]
    pub origin_access_identity: String,
}

/// `StreamingLoggingConfig` (all three fields are required by the API; defaults here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StreamingLoggingConfig {
    /// Whether logs are written.
    #[serde(default)]
    pub enabled: bool,
    /// `bucket.s3.amazonaws.com`.
    #[serde(default)]
    pub bucket: String,
    /// Key prefix.
    #[serde(default)]
    pub prefix: String,
}

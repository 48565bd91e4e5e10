//! Origins and origin groups (§7).

use serde::{Deserialize, Serialize};

use super::{
    IpAddressType, List, OriginGroupSelectionCriteria, OriginHttpVersion, OriginProtocolPolicy,
    SslProtocol,
};

/// CloudFront's default `ConnectionAttempts`.
pub const DEFAULT_CONNECTION_ATTEMPTS: u32 = 3;
/// CloudFront's default `ConnectionTimeout`, seconds.
pub const DEFAULT_CONNECTION_TIMEOUT: u32 = 10;
/// CloudFront's default `OriginReadTimeout`, seconds.
pub const DEFAULT_ORIGIN_READ_TIMEOUT: u32 = 30;
/// CloudFront's default `OriginKeepaliveTimeout`, seconds.
pub const DEFAULT_ORIGIN_KEEPALIVE_TIMEOUT: u32 = 5;

fn default_connection_attempts() -> u32 {
    DEFAULT_CONNECTION_ATTEMPTS
}
fn default_connection_timeout() -> u32 {
    DEFAULT_CONNECTION_TIMEOUT
}
fn default_read_timeout() -> u32 {
    DEFAULT_ORIGIN_READ_TIMEOUT
}
fn default_keepalive_timeout() -> u32 {
    DEFAULT_ORIGIN_KEEPALIVE_TIMEOUT
}

/// `Origins`: at least one origin, at most 25.
pub type Origins = List<Origin>;

/// One origin (§7.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Origin {
    /// Unique within the distribution; referenced by `TargetOriginId` and group members.
    pub id: String,
    /// Host name (or, for Brink, an IP literal) of the origin.
    pub domain_name: String,
    /// Prefix added to every origin request path: `""` or `/x` without a trailing `/`.
    #[serde(default)]
    pub origin_path: String,
    /// Headers added to every origin request.
    #[serde(default)]
    pub custom_headers: List<OriginCustomHeader>,
    /// Present for an S3 REST endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_origin_config: Option<S3OriginConfig>,
    /// Present for any other HTTP server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_origin_config: Option<CustomOriginConfig>,
    /// Present for an AWS VPC origin (parsed, not reachable from Brink).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_origin_config: Option<VpcOriginConfig>,
    /// Connection attempts, 1–3 (default 3).
    #[serde(default = "default_connection_attempts")]
    pub connection_attempts: u32,
    /// Seconds to wait for a connection, 1–10 (default 10).
    #[serde(default = "default_connection_timeout")]
    pub connection_timeout: u32,
    /// Seconds allowed for the whole response; unset means no cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_completion_timeout: Option<u32>,
    /// The optional mid-tier cache in front of this origin.
    #[serde(default)]
    pub origin_shield: OriginShield,
    /// Id of the origin access control that signs requests to this origin (`""` = none).
    #[serde(default)]
    pub origin_access_control_id: String,
}

/// A header added to every origin request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginCustomHeader {
    /// Header name.
    pub header_name: String,
    /// Header value (often a secret: never log it).
    pub header_value: String,
}

/// Settings of an S3 REST origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct S3OriginConfig {
    /// `origin-access-identity/cloudfront/<id>` or `""`.
    #[serde(default)]
    pub origin_access_identity: String,
    /// Seconds to wait for response bytes, 1–120 (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_read_timeout: Option<u32>,
}

/// Settings of a custom (HTTP server) origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CustomOriginConfig {
    /// Port for HTTP: 80, 443 or 1024–65535.
    #[serde(rename = "HTTPPort")]
    pub http_port: u32,
    /// Port for HTTPS: 80, 443 or 1024–65535.
    #[serde(rename = "HTTPSPort")]
    pub https_port: u32,
    /// Which scheme to use toward the origin.
    pub origin_protocol_policy: OriginProtocolPolicy,
    /// TLS versions allowed toward the origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_ssl_protocols: Option<List<SslProtocol>>,
    /// Seconds to wait for response bytes, 1–120 (default 30).
    #[serde(default = "default_read_timeout")]
    pub origin_read_timeout: u32,
    /// Seconds an idle origin connection is kept, 1–120 (default 5).
    #[serde(default = "default_keepalive_timeout")]
    pub origin_keepalive_timeout: u32,
    /// Address family toward the origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<IpAddressType>,
    /// HTTP version toward the origin (default HTTP/1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_http_version: Option<OriginHttpVersion>,
    /// Client certificate for origin mutual TLS (newer API; carried, not used yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_mtls_config: Option<OriginMtlsConfig>,
}

/// Origin mutual-TLS settings (newer API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginMtlsConfig {
    /// ARN of the client certificate.
    pub client_certificate_arn: String,
}

/// A VPC origin (AWS-only; parsed so real exports load).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct VpcOriginConfig {
    /// The VPC origin's id.
    pub vpc_origin_id: String,
    /// Owning account, when shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_account_id: Option<String>,
    /// Seconds to wait for response bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_read_timeout: Option<u32>,
    /// Seconds an idle connection is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_keepalive_timeout: Option<u32>,
}

/// Origin Shield (§7.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginShield {
    /// Whether requests go through the shield tier.
    pub enabled: bool,
    /// The shield's region, required when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_shield_region: Option<String>,
}

/// `OriginGroups`: at most 10.
pub type OriginGroups = List<OriginGroup>;

/// A primary/secondary pair with failover (§7.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginGroup {
    /// Unique among origins and groups; usable as a `TargetOriginId`.
    pub id: String,
    /// Status codes that send a request to the secondary.
    pub failover_criteria: FailoverCriteria,
    /// Exactly two members, primary first.
    pub members: List<OriginGroupMember>,
    /// Member selection (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection_criteria: Option<OriginGroupSelectionCriteria>,
}

/// `FailoverCriteria`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FailoverCriteria {
    /// Codes out of 400, 403, 404, 416, 500, 502, 503, 504.
    pub status_codes: List<u32>,
}

/// A member of an origin group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginGroupMember {
    /// Id of an origin of the same distribution.
    pub origin_id: String,
}

//! Origin access controls (§7.5): how the edge signs its requests to an S3 origin.

use serde::{Deserialize, Serialize};

use super::{OacOriginType, OacSigningBehavior, OacSigningProtocol};

/// An origin access control as `aws cloudfront get-origin-access-control` prints it (under
/// `"OriginAccessControl"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginAccessControl {
    /// Referenced by an origin's `OriginAccessControlId`.
    pub id: String,
    /// The settings.
    pub origin_access_control_config: OriginAccessControlConfig,
}

/// `OriginAccessControlConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginAccessControlConfig {
    /// Unique name.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `sigv4` (or `sigv4a`).
    pub signing_protocol: OacSigningProtocol,
    /// When to sign.
    pub signing_behavior: OacSigningBehavior,
    /// The kind of origin.
    pub origin_access_control_origin_type: OacOriginType,
}

//! Public keys and key groups for signed URLs and cookies (§5).

use serde::{Deserialize, Serialize};

/// A public key as `aws cloudfront get-public-key` prints it (under `"PublicKey"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PublicKey {
    /// `K` + 13 uppercase alphanumerics on AWS; the `Key-Pair-Id` of signed URLs.
    pub id: String,
    /// Read-only timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// The key.
    pub public_key_config: PublicKeyConfig,
}

/// `PublicKeyConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PublicKeyConfig {
    /// Idempotency token.
    pub caller_reference: String,
    /// Unique name.
    pub name: String,
    /// PEM `SubjectPublicKeyInfo` (`-----BEGIN PUBLIC KEY-----`).
    pub encoded_key: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A key group (under `"KeyGroup"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct KeyGroup {
    /// Lowercase UUID on AWS; referenced by `TrustedKeyGroups`.
    pub id: String,
    /// Read-only timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// The group.
    pub key_group_config: KeyGroupConfig,
}

/// `KeyGroupConfig` (its `Items` has no `Quantity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct KeyGroupConfig {
    /// Unique name.
    pub name: String,
    /// Public key ids, 1–5.
    pub items: Vec<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

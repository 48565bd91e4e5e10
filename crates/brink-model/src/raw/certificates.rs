//! Viewer certificates the edge presents (Brink's own section: CloudFront keeps them in ACM
//! or IAM, Brink reads them from PEM files).

use serde::{Deserialize, Serialize};

/// One entry of the top-level `Certificates` list: the files behind an ACM certificate ARN or
/// an IAM certificate id that distributions name in their `ViewerCertificate`.
///
/// Relative paths are relative to the configuration file's directory; resolving and reading
/// them is the loader's job (this crate does no I/O).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EdgeCertificate {
    /// The `ACMCertificateArn` or `IAMCertificateId` distributions use to name it.
    pub id: String,
    /// The certificate chain, PEM, leaf first.
    pub certificate_file: String,
    /// The leaf's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub private_key_file: String,
}

//! Validated RTMP (streaming) distributions: what an RTMP listener looks up by the `tcUrl`
//! host of a connection.

use std::sync::Arc;

use super::{Logging, PublicKey};
use crate::raw::PriceClass;

/// Region an S3 bucket domain without one (`<bucket>.s3.amazonaws.com`) is in.
pub const DEFAULT_S3_REGION: &str = "us-east-1";

/// Where a streaming distribution's media come from, resolved from `S3Origin.DomainName`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamingOrigin {
    /// An S3 bucket, named by its REST endpoint (`<bucket>.s3.amazonaws.com`,
    /// `<bucket>.s3.<region>.amazonaws.com` or `<bucket>.s3-<region>.amazonaws.com`). The
    /// edge reaches it like a web distribution's S3 origin: its object store when it has one
    /// (path style, `<store>/<bucket>/<key>`), else `https://<domain_name>/<key>`.
    S3 {
        /// The bucket.
        bucket: String,
        /// Its region (`us-east-1` when the domain names none).
        region: String,
        /// The domain as written, lowercase.
        domain_name: String,
    },
    /// Any HTTP server `host[:port]` (Brink's extension): plain HTTP, or HTTPS when the
    /// port is 443 [decided: the field has no room for a scheme].
    Http {
        /// Host name or IPv4 address, lowercase (IPv6 literals in brackets).
        host: String,
        /// Port, 80 when the domain gives none.
        port: u16,
    },
}

impl StreamingOrigin {
    /// Whether the edge speaks HTTPS to it (S3 endpoints and port 443).
    pub fn https(&self) -> bool {
        match self {
            StreamingOrigin::S3 { .. } => true,
            StreamingOrigin::Http { port, .. } => *port == 443,
        }
    }

    /// The authority requests carry in `Host` without an object store in between:
    /// `domain_name`, `host` or `host:port` (default ports left out).
    pub fn authority(&self) -> String {
        match self {
            StreamingOrigin::S3 { domain_name, .. } => domain_name.clone(),
            StreamingOrigin::Http {
                host,
                port: 80 | 443,
            } => host.clone(),
            StreamingOrigin::Http { host, port } => format!("{host}:{port}"),
        }
    }
}

/// A validated streaming (RTMP) distribution.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamingDistribution {
    /// Its `Id`.
    pub id: String,
    /// Its ARN, when the file gave one.
    pub arn: Option<String>,
    /// The distribution's own host name (given, or `s` + 13 characters + `.` + the CDN
    /// domain), lowercase.
    pub domain_name: String,
    /// Aliases, lowercase, exact or `*.example.com`.
    pub aliases: Vec<String>,
    /// Disabled distributions are found by host but must not be served.
    pub enabled: bool,
    /// Free text.
    pub comment: String,
    /// The origin of the media files.
    pub origin: StreamingOrigin,
    /// `origin-access-identity/cloudfront/<id>` when set (carried; the edge signs toward
    /// S3 with origin access controls, not identities).
    pub origin_access_identity: Option<String>,
    /// Legacy trusted signers (account numbers or `self`) when `TrustedSigners` is enabled;
    /// non-empty means every stream name must be signed.
    pub trusted_signers: Vec<String>,
    /// The public keys that may sign stream names when signers are trusted: every public key
    /// of the configuration, since Brink has one account and its key pairs are the file's
    /// `PublicKeys` (the decision web behaviors' legacy `TrustedSigners` follow too). Empty
    /// when no signature is required.
    pub trusted_keys: Vec<Arc<PublicKey>>,
    /// Which edge locations serve.
    pub price_class: PriceClass,
    /// Streaming access logs, when enabled.
    pub logging: Option<Logging>,
}

impl StreamingDistribution {
    /// Whether every stream name must carry a valid signature.
    pub fn requires_signature(&self) -> bool {
        !self.trusted_signers.is_empty()
    }

    /// The public key with `key_pair_id` among the trusted keys, if trusted here.
    pub fn trusted_key(&self, key_pair_id: &str) -> Option<&PublicKey> {
        self.trusted_keys
            .iter()
            .find(|k| k.id == key_pair_id)
            .map(|k| &**k)
    }
}

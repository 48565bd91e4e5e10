//! Resolved origins and origin groups (§7).

use std::time::Duration;

use crate::raw::{
    IpAddressType, OriginGroupSelectionCriteria, OriginHttpVersion, OriginProtocolPolicy,
    SslProtocol,
};

/// Position of an origin in [`Distribution::origins`](super::Distribution::origins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OriginIndex(pub(crate) usize);

impl OriginIndex {
    /// The position as a plain index.
    pub fn get(self) -> usize {
        self.0
    }
}

/// Position of a group in [`Distribution::origin_groups`](super::Distribution::origin_groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OriginGroupIndex(pub(crate) usize);

impl OriginGroupIndex {
    /// The position as a plain index.
    pub fn get(self) -> usize {
        self.0
    }
}

/// What a behavior's `TargetOriginId` resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginTarget {
    /// A single origin.
    Origin(OriginIndex),
    /// An origin group: try its primary, fail over to its secondary.
    Group(OriginGroupIndex),
}

/// The kind of an origin, with the settings only that kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OriginKind {
    /// An S3 REST endpoint, always reached over HTTPS on 443.
    S3 {
        /// `origin-access-identity/cloudfront/<id>` when a legacy OAI is set.
        origin_access_identity: Option<String>,
    },
    /// Any HTTP server.
    Custom {
        /// Port for HTTP.
        http_port: u16,
        /// Port for HTTPS.
        https_port: u16,
        /// Scheme choice.
        protocol_policy: OriginProtocolPolicy,
        /// TLS versions allowed (when the file lists none: TLSv1, TLSv1.1, TLSv1.2
        /// [UNCONFIRMED default]).
        ssl_protocols: Vec<SslProtocol>,
        /// Address family.
        ip_address_type: IpAddressType,
        /// HTTP version toward the origin.
        http_version: OriginHttpVersion,
    },
    /// An AWS VPC origin: parsed, but Brink cannot reach it (the edge should answer 502).
    Vpc {
        /// The VPC origin's id.
        vpc_origin_id: String,
    },
}

/// Scheme toward an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginScheme {
    /// Plain HTTP.
    Http,
    /// HTTPS.
    Https,
}

/// A validated origin with CloudFront's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Origin {
    /// Its `Id`.
    pub id: String,
    /// Host to connect to (and send as `Host`), lowercase.
    pub domain_name: String,
    /// Prefix for every origin request path: `""` or `/x`.
    pub origin_path: String,
    /// S3, custom or VPC settings.
    pub kind: OriginKind,
    /// Headers added to every origin request, `(name as written, value)`; they replace viewer
    /// headers of the same name. Values may be secrets.
    pub custom_headers: Vec<(String, String)>,
    /// Connection attempts, 1–3.
    pub connection_attempts: u8,
    /// Per-attempt connect timeout.
    pub connection_timeout: Duration,
    /// Wait for the first byte and between bytes.
    pub read_timeout: Duration,
    /// Idle keep-alive of origin connections.
    pub keepalive_timeout: Duration,
    /// Cap on the whole response, when set.
    pub response_completion_timeout: Option<Duration>,
    /// Origin Shield region when the shield is enabled.
    pub origin_shield_region: Option<String>,
    /// Origin access control id, when set.
    pub origin_access_control_id: Option<String>,
    /// The origin access control that id names (validation refuses an unknown id).
    pub origin_access_control: Option<std::sync::Arc<OriginAccessControl>>,
}

/// A validated origin access control (§7.5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginAccessControl {
    /// Its `Id`.
    pub id: String,
    /// Its unique `Name`.
    pub name: String,
    /// When requests are signed.
    pub signing_behavior: crate::raw::OacSigningBehavior,
    /// The kind of origin it is for.
    pub origin_type: crate::raw::OacOriginType,
}

impl Origin {
    /// Scheme and port for a request that reached the edge over HTTPS (`viewer_https`) or not.
    pub fn scheme_and_port(&self, viewer_https: bool) -> (OriginScheme, u16) {
        match &self.kind {
            OriginKind::S3 { .. } | OriginKind::Vpc { .. } => (OriginScheme::Https, 443),
            OriginKind::Custom {
                http_port,
                https_port,
                protocol_policy,
                ..
            } => match protocol_policy {
                OriginProtocolPolicy::HttpOnly => (OriginScheme::Http, *http_port),
                OriginProtocolPolicy::HttpsOnly => (OriginScheme::Https, *https_port),
                OriginProtocolPolicy::MatchViewer if viewer_https => {
                    (OriginScheme::Https, *https_port)
                }
                OriginProtocolPolicy::MatchViewer => (OriginScheme::Http, *http_port),
            },
        }
    }

    /// True for an S3 origin.
    pub fn is_s3(&self) -> bool {
        matches!(self.kind, OriginKind::S3 { .. })
    }
}

/// A validated origin group.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginGroup {
    /// Its `Id`.
    pub id: String,
    /// First member: every request starts here.
    pub primary: OriginIndex,
    /// Second member: used on a failover status, connect failure or timeout.
    pub secondary: OriginIndex,
    /// Status codes that trigger failover.
    pub failover_status_codes: Vec<u16>,
    /// Member selection.
    pub selection_criteria: OriginGroupSelectionCriteria,
}

impl OriginGroup {
    /// Whether a primary answering `status` sends the request (GET/HEAD/OPTIONS only) to the
    /// secondary.
    pub fn fails_over_on(&self, status: u16) -> bool {
        self.failover_status_codes.contains(&status)
    }
}

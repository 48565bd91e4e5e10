//! Validated RTMP (streaming) distributions: what an RTMP listener looks up by the `tcUrl`
//! host of a connection.

use std::sync::Arc;

use super::{Logging, PublicKey};
use crate::host::is_valid_host_name;
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

impl StreamingOrigin {
    /// `S3Origin.DomainName` → the origin: an S3 bucket endpoint
    /// (`<bucket>.s3[.<region>|-<region>].amazonaws.com`), else `host[:port]` (a host name,
    /// an IPv4 address or a bracketed IPv6 one). Case-insensitive; a trailing dot is ignored.
    ///
    /// # Errors
    /// Why the text is neither.
    pub fn parse(domain: &str) -> Result<StreamingOrigin, StreamingOriginError> {
        resolve_origin(domain)
    }
}

/// Why an `S3Origin.DomainName` names no origin (validation reports it as `InvalidOrigin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamingOriginError {
    /// Nothing given.
    #[error("is empty")]
    Empty,
    /// An `amazonaws.com` name that is no S3 bucket endpoint.
    #[error("is an AWS domain but not an S3 bucket endpoint (<bucket>.s3.amazonaws.com)")]
    NotS3,
    /// Not `host` or `host:port`.
    #[error("is not host or host:port")]
    Syntax,
    /// A port that is not a number in 1–65535.
    #[error("has a port outside 1–65535")]
    Port,
    /// A host that is no valid host name or address.
    #[error("is not a valid host name")]
    Host,
}

fn resolve_origin(domain: &str) -> Result<StreamingOrigin, StreamingOriginError> {
    if domain.is_empty() {
        return Err(StreamingOriginError::Empty);
    }
    let lower = domain.trim_end_matches('.').to_ascii_lowercase();
    if let Some((bucket, region)) = parse_s3_domain(&lower) {
        return Ok(StreamingOrigin::S3 {
            bucket: bucket.to_owned(),
            region: region.unwrap_or(DEFAULT_S3_REGION).to_owned(),
            domain_name: lower,
        });
    }
    if lower.ends_with(".amazonaws.com") {
        return Err(StreamingOriginError::NotS3);
    }
    let (host, port) = split_host_port(&lower).ok_or(StreamingOriginError::Syntax)?;
    let port = match port {
        None => 80,
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return Err(StreamingOriginError::Port),
        },
    };
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        is_valid_host_name(host)
    };
    if !host_ok {
        return Err(StreamingOriginError::Host);
    }
    Ok(StreamingOrigin::Http {
        host: host.to_owned(),
        port,
    })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host_port(s: &str) -> Option<(&str, Option<&str>)> {
    if s.starts_with('[') {
        let end = s.find(']')?;
        let (host, rest) = s.split_at(end + 1);
        return match rest {
            "" => Some((host, None)),
            r => r.strip_prefix(':').map(|p| (host, Some(p))),
        };
    }
    match s.split_once(':') {
        None => Some((s, None)),
        Some((h, p)) if !p.contains(':') => Some((h, Some(p))),
        Some(_) => None,
    }
}

/// `<bucket>.s3.amazonaws.com` → (bucket, None); `<bucket>.s3.<region>.amazonaws.com` and
/// `<bucket>.s3-<region>.amazonaws.com` → (bucket, Some(region)); `s3-external-1` is
/// us-east-1. Bucket names follow S3's rules (3–63 lowercase letters, digits, `.` and `-`,
/// starting and ending with a letter or digit). `lower` is lowercase.
fn parse_s3_domain(lower: &str) -> Option<(&str, Option<&str>)> {
    let rest = lower.strip_suffix(".amazonaws.com")?;
    let (head, last) = rest.rsplit_once('.')?;
    let (bucket, region) = if last == "s3" {
        (head, None)
    } else if last == "s3-external-1" {
        (head, Some(DEFAULT_S3_REGION))
    } else if let Some(region) = last.strip_prefix("s3-") {
        if region == "accelerate" || !is_region(region) {
            return None;
        }
        (head, Some(region))
    } else {
        let (bucket, s3) = head.rsplit_once('.')?;
        if s3 != "s3" || !is_region(last) {
            return None;
        }
        (bucket, Some(last))
    };
    is_bucket_name(bucket).then_some((bucket, region))
}

/// `us-east-1`, `eu-central-2`, `ap-southeast-3`, …: letters, `-`, a final number.
fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

fn is_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && b.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && b.bytes().last().is_some_and(|c| c.is_ascii_alphanumeric())
        && !b.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_bucket_domains() {
        assert_eq!(
            parse_s3_domain("media.s3.amazonaws.com"),
            Some(("media", None))
        );
        assert_eq!(
            parse_s3_domain("my.media.s3.eu-west-1.amazonaws.com"),
            Some(("my.media", Some("eu-west-1")))
        );
        assert_eq!(
            parse_s3_domain("media.s3-ap-southeast-2.amazonaws.com"),
            Some(("media", Some("ap-southeast-2")))
        );
        assert_eq!(
            parse_s3_domain("media.s3-external-1.amazonaws.com"),
            Some(("media", Some("us-east-1")))
        );
        assert_eq!(parse_s3_domain("media.s3-accelerate.amazonaws.com"), None);
        assert_eq!(parse_s3_domain("ec2.eu-west-1.amazonaws.com"), None);
        assert_eq!(parse_s3_domain("ab.s3.amazonaws.com"), None); // bucket too short
        assert_eq!(parse_s3_domain("-bad.s3.amazonaws.com"), None);
        assert_eq!(parse_s3_domain("media.example.com"), None);
        assert_eq!(parse_s3_domain("s3.amazonaws.com"), None);
    }

    #[test]
    fn origins_resolve_to_a_bucket_or_a_host_and_port() {
        assert_eq!(
            resolve_origin("Media.S3.amazonaws.com"),
            Ok(StreamingOrigin::S3 {
                bucket: "media".into(),
                region: "us-east-1".into(),
                domain_name: "media.s3.amazonaws.com".into(),
            })
        );
        let o = resolve_origin("127.0.0.1:8081").expect("host:port");
        assert_eq!(
            o,
            StreamingOrigin::Http {
                host: "127.0.0.1".into(),
                port: 8081
            }
        );
        assert!(!o.https());
        assert_eq!(o.authority(), "127.0.0.1:8081");
        let o = resolve_origin("origin.example").expect("host");
        assert_eq!(o.authority(), "origin.example");
        assert!(resolve_origin("origin.example:443").expect("443").https());
        assert!(resolve_origin("[::1]:8080").is_ok());
        assert!(resolve_origin("").is_err());
        assert!(resolve_origin("host:0").is_err());
        assert!(resolve_origin("host:70000").is_err());
        assert!(resolve_origin("host:x").is_err());
        assert!(resolve_origin("a b").is_err());
        assert!(resolve_origin("a:1:2").is_err());
        assert!(resolve_origin("http://origin.example").is_err());
        assert!(resolve_origin("ec2.eu-west-1.amazonaws.com").is_err());
    }
}

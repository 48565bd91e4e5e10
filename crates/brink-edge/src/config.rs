//! The edge's settings, validated once at start.

use std::net::SocketAddr;
use std::time::Duration;

use brink_cache::CacheConfig;
use brink_model::TtlPolicy;
use http::uri::{Authority, Scheme};
use http::Uri;

/// Default POP name, shaped like CloudFront's (`X-Amz-Cf-Pop`).
pub const DEFAULT_POP: &str = "BRK50-C1";
/// CloudFront's origin connection timeout (cloudfront.md §7.2).
pub const DEFAULT_ORIGIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// CloudFront's origin read timeout: first byte and between packets (§7.2).
pub const DEFAULT_ORIGIN_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a viewer may take to send one request head (slowloris bound).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle keep-alive connections are closed after this long without a byte either way.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long idle origin connections stay pooled (CloudFront's OriginKeepaliveTimeout, §7.2).
pub(crate) const DEFAULT_ORIGIN_KEEPALIVE: Duration = Duration::from_secs(5);

/// Where the edge fetches from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host and port, also sent as `Host`.
    pub authority: Authority,
    /// A path prefix prepended to every request path (CloudFront's `OriginPath`), no trailing `/`.
    pub path: String,
}

/// Why an origin URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OriginError {
    /// Not a URL.
    #[error("--origin: not a valid URL: {0}")]
    Invalid(String),
    /// Neither http nor https.
    #[error("--origin: scheme must be http or https")]
    Scheme,
    /// No host.
    #[error("--origin: the URL has no host")]
    NoHost,
    /// Has a query.
    #[error("--origin: the URL must not have a query string")]
    Query,
}

impl Origin {
    /// Parses `http://host[:port][/path]`.
    ///
    /// # Errors
    /// [`OriginError`] naming what is wrong.
    pub fn parse(url: &str) -> Result<Origin, OriginError> {
        let uri: Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| OriginError::Invalid(e.to_string()))?;
        let scheme = uri.scheme().cloned().ok_or(OriginError::Scheme)?;
        if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
            return Err(OriginError::Scheme);
        }
        let authority = uri.authority().cloned().ok_or(OriginError::NoHost)?;
        if authority.host().is_empty() {
            return Err(OriginError::NoHost);
        }
        if uri.query().is_some() {
            return Err(OriginError::Query);
        }
        let path = uri.path().trim_end_matches('/').to_owned();
        Ok(Origin {
            scheme,
            authority,
            path,
        })
    }
}

/// Re-reads the distributions (on SIGHUP and when the file changes): the validated model, or
/// every problem found. A refused reload keeps the running model.
#[derive(Clone)]
pub struct ModelSource {
    /// Reads and validates the configuration.
    pub load: std::sync::Arc<
        dyn Fn() -> Result<std::sync::Arc<brink_model::Model>, String> + Send + Sync,
    >,
    /// The file to watch for changes.
    pub path: std::path::PathBuf,
}

impl std::fmt::Debug for ModelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSource")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Access log settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogSettings {
    /// Directory of the hourly files.
    pub dir: std::path::PathBuf,
    /// Compress files with gzip (`.gz`, as CloudFront delivers them).
    pub gzip: bool,
    /// Fields of each line: the 33 standard ones, or a CloudFront v2 selection.
    pub fields: brink_telemetry::LogFields,
}

/// Everything `brink serve` needs.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// Viewer listener (HTTP/1.1 and h2c with prior knowledge, or TLS when `tls` is set).
    pub listen: SocketAddr,
    /// A second viewer listener speaking only TLS; when set, `listen` stays plain HTTP.
    pub tls_listen: Option<SocketAddr>,
    /// RTMP listener for streaming distributions (`--rtmp-listen`).
    pub rtmp_listen: Option<SocketAddr>,
    /// Admin listener (health, purge), if any.
    pub admin: Option<SocketAddr>,
    /// The origin.
    pub origin: Origin,
    /// IP → country for geo restriction and the `CloudFront-Viewer-*` headers (`brink
    /// edge`; `None`: no restriction enforced, no such header). Re-read when its file changes.
    pub geo: Option<std::sync::Arc<brink_geo::WatchedGeoDb>>,
    /// Proxies in front of the edge whose `X-Forwarded-For` names the viewer (geo
    /// restriction and the `IpAddress` condition of signed URLs); anyone else's is ignored.
    pub trusted_proxies: Vec<brink_geo::Cidr>,
    /// POP name for `X-Amz-Cf-Pop`.
    pub pop: String,
    /// TTL policy.
    pub ttl: TtlPolicy,
    /// Memory tier sizes.
    pub cache: CacheConfig,
    /// Distributions to serve (`brink edge`); when set, `origin` is unused.
    pub model: Option<std::sync::Arc<brink_model::Model>>,
    /// Where the distributions are reloaded from.
    pub model_source: Option<ModelSource>,
    /// The disk tier under it, if any.
    pub disk: Option<brink_cache::DiskConfig>,
    /// Where access logs go (CloudFront's standard format), if anywhere.
    pub access_log: Option<AccessLogSettings>,
    /// Origin connect timeout.
    pub origin_connect_timeout: Duration,
    /// Origin read timeout (first byte, and between body chunks).
    pub origin_read_timeout: Duration,
    /// Viewer request-head timeout.
    pub header_read_timeout: Duration,
    /// Viewer idle timeout.
    pub idle_timeout: Duration,
    /// How long an upgraded (WebSocket) connection may carry no bytes in either direction
    /// before the edge closes it (CloudFront: 10 minutes).
    pub websocket_idle_timeout: Duration,
    /// Use a clock that `POST /debug/clock/advance` can move (tests only).
    pub manual_clock: bool,
    /// Viewer TLS: when set, the viewer listener speaks only TLS (HTTP/2 by ALPN).
    pub tls: Option<crate::tls::TlsFiles>,
    /// Extra roots trusted for HTTPS origins, on top of the webpki roots.
    pub origin_ca: Option<crate::tls::OriginCa>,
    /// On SIGTERM/SIGINT, how long in-flight requests may take before the process exits
    /// anyway.
    pub shutdown_grace: Duration,
    /// Viewer headers cacheable requests forward to the origin (`brink serve`; under
    /// `brink edge` the behaviors decide).
    pub forward_headers: crate::ForwardHeaders,
    /// Single-range requests of large objects filled by slices (`--range-fill-above`,
    /// `--range-slice`); `None`: ranges are cut from whole objects only.
    pub range_fill: Option<crate::RangeFill>,
    /// S3 origins: the local store, the service credential, transfer acceleration.
    pub s3: S3Settings,
    /// When hits of bodies in files go out with `sendfile(2)` (`--sendfile`).
    pub sendfile: Sendfile,
}

/// When plain-text HTTP/1 hits of bodies held in files are sent with `sendfile(2)` instead of
/// being copied through the edge's memory (`--sendfile`, `zerocopy.rs`).
///
/// The trade-off, measured in `docs/bench/2026-12-04-sendfile`: sending from a file saves the
/// edge its copy of every byte (large hits: 0.06 instead of 0.14–0.33 CPU seconds per GB), but
/// a viewer on the same host (loopback) must then copy the bytes out of the file's pages
/// itself, which costs the host more than the copy saved; and keeping the memory tier's large
/// bodies in files makes every other reader of them (TLS, HTTP/2) copy them out first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sendfile {
    /// To every plain-text HTTP/1 viewer, and the memory tier keeps bodies of 1 MiB and more
    /// in in-memory files so that its hits can be sent this way too.
    On,
    /// Disk-tier files, to viewers on other hosts (the memory tier keeps bodies in chunks).
    #[default]
    Remote,
    /// Never.
    Off,
}

impl Sendfile {
    /// Whether a connection from `peer` gets sendfile.
    pub fn applies_to(self, peer: std::net::IpAddr) -> bool {
        match self {
            Sendfile::On => true,
            Sendfile::Remote => !peer.to_canonical().is_loopback(),
            Sendfile::Off => false,
        }
    }
}

impl std::str::FromStr for Sendfile {
    type Err = String;

    fn from_str(s: &str) -> Result<Sendfile, String> {
        match s {
            "on" => Ok(Sendfile::On),
            "remote" => Ok(Sendfile::Remote),
            "off" => Ok(Sendfile::Off),
            other => Err(format!("{other:?}: expected on, remote or off")),
        }
    }
}

/// How the edge reaches S3 origins and proxies S3 Transfer Acceleration.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// `--s3-endpoint`: S3 origin names (`<bucket>.s3[.<region>|-<region>].amazonaws.com`)
    /// are sent here path-style (`URL/<bucket>/<key>`), and accelerated requests too.
    pub endpoint: Option<Origin>,
    /// `--oac-credentials`: the CDN's service credential that signs for origin access
    /// controls.
    pub credentials: Option<std::sync::Arc<crate::ServiceCredentials>>,
    /// The CDN domain whose `<bucket>.s3-accelerate.<domain>` hosts are S3 Transfer
    /// Acceleration (lowercase; `None`: none on the viewer listener).
    pub accelerate_domain: Option<String>,
    /// `--accelerate-listen`: a listener whose every request is proxied to `endpoint`.
    pub accelerate_listen: Option<SocketAddr>,
}

#[cfg(test)]
mod tests {
    use super::Sendfile;
    use std::net::IpAddr;

    #[test]
    fn sendfile_modes_choose_by_peer() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("address");
        let loopback = ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"];
        let remote = [
            "192.0.2.7",
            "2001:db8::1",
            "::ffff:198.51.100.1",
            "10.0.0.1",
        ];
        for peer in loopback {
            assert!(!Sendfile::Remote.applies_to(ip(peer)), "{peer}");
            assert!(Sendfile::On.applies_to(ip(peer)), "{peer}");
        }
        for peer in remote {
            assert!(Sendfile::Remote.applies_to(ip(peer)), "{peer}");
            assert!(!Sendfile::Off.applies_to(ip(peer)), "{peer}");
        }
        assert_eq!("remote".parse(), Ok(Sendfile::Remote));
        assert_eq!(Sendfile::default(), Sendfile::Remote);
        assert!("ON".parse::<Sendfile>().is_err());
    }
}

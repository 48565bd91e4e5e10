//! `brink serve`: one caching edge in front of one origin.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use brink_model::Model;
use std::time::Duration;

use anyhow::Context;
use brink_edge::{EdgeConfig, Origin, OriginCa, TlsFiles};
use brink_model::TtlPolicy;
use clap::Args;

use crate::size::parse_size;

/// Default memory tier: large enough for the benchmark's 1 GiB object and a day of small ones.
const DEFAULT_MEMORY_CACHE: &str = "4GiB";

/// Default disk tier, when `--cache-dir` is given.
const DEFAULT_DISK_CACHE: &str = "10GiB";

/// `brink serve` options. TTL defaults are CloudFront's (cloudfront.md §2.1).
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address for viewers: HTTP/1.1 and HTTP/2 cleartext (prior knowledge) on one port, or
    /// only TLS with --tls-cert/--tls-key (or, for `brink edge`, when the file lists
    /// Certificates).
    #[arg(
        long,
        value_name = "ADDR",
        required = false,
        required_unless_present = "check",
        default_value_if("check", clap::builder::ArgPredicate::IsPresent, "127.0.0.1:0")
    )]
    listen: SocketAddr,
    /// A second viewer address that speaks only TLS (HTTP/2 or HTTP/1.1 by ALPN), with the
    /// certificate the SNI names (the distributions' certificates, else --tls-cert); --listen
    /// then stays plain HTTP. How `brink up` gives every edge both schemes.
    #[arg(long, value_name = "ADDR")]
    tls_listen: Option<SocketAddr>,
    /// Address for RTMP players (1935 by convention): the file's (or control plane's)
    /// streaming distributions, chosen by the host of the player's tcUrl.
    #[arg(long, value_name = "ADDR")]
    rtmp_listen: Option<SocketAddr>,
    /// Check the configuration and exit, like `nginx -t`: print "config OK" and exit 0, or
    /// print every problem and exit 64. Nothing is started.
    #[arg(long)]
    check: bool,
    /// The origin, `http://host[:port][/path]` or `https://…`.
    /// (Required by `brink serve`; `brink edge` takes its origins from the distributions.)
    #[arg(long, value_name = "URL")]
    origin: Option<String>,
    /// Address for the admin API (health, purge).
    #[arg(long, value_name = "ADDR")]
    admin: Option<SocketAddr>,
    /// POP name sent in `X-Amz-Cf-Pop`.
    #[arg(long, default_value = brink_edge::DEFAULT_POP)]
    pop: String,
    /// MinTTL in seconds.
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    min_ttl: u64,
    /// DefaultTTL in seconds (objects without freshness information).
    #[arg(long, default_value_t = 86_400, value_name = "SECS")]
    default_ttl: u64,
    /// MaxTTL in seconds.
    #[arg(long, default_value_t = 31_536_000, value_name = "SECS")]
    max_ttl: u64,
    /// ErrorCachingMinTTL in seconds (404, 414, 500, 501, 502, 503, 504).
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    error_caching_min_ttl: u64,
    /// Memory cache size, with a unit (e.g. 512MiB, 4GiB).
    #[arg(long, default_value = DEFAULT_MEMORY_CACHE, value_name = "SIZE")]
    memory_cache: String,
    /// Largest object kept in memory, with a unit; default half the memory cache. With a disk
    /// tier, larger objects leave memory as they download and are served from disk.
    #[arg(long, value_name = "SIZE")]
    memory_max_object: Option<String>,
    /// Directory of the disk tier (created if missing); objects in it survive restarts.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Directory for access logs in CloudFront's standard format, one file per hour.
    #[arg(long, value_name = "DIR")]
    log_dir: Option<PathBuf>,
    /// Gzip the access log files (`.gz`), as CloudFront delivers them.
    #[arg(long)]
    log_gzip: bool,
    /// Fields of each access-log line, comma-separated, named as CloudFront's standard
    /// logging v2 names them (e.g. date,time,DistributionId,cs(Host),cs-uri-stem,sc-status,
    /// cache-behavior-path-pattern). Default: the 33 fields of the standard log.
    #[arg(long, value_name = "FIELDS")]
    log_fields: Option<String>,
    /// Viewer request headers sent to the origin on cacheable (GET/HEAD) requests, like an
    /// origin request policy's HeaderBehavior: `none`, `all` (every end-to-end header; the
    /// origin's Vary then selects variants, RFC 9111 §4.1), or a comma-separated list of
    /// names. Default: Accept, Accept-Encoding, Accept-Language, Authorization, Origin and the
    /// CORS preflight headers. `brink serve` only (under `brink edge` the behaviors decide).
    #[arg(long, value_name = "none|all|NAME,NAME…")]
    forward_headers: Option<String>,
    /// Single-range GETs of objects larger than this are filled by aligned slices
    /// (--range-slice) fetched with Range requests and stored one by one, so a seek into a
    /// large file waits for one slice, not the whole file. `off` turns slicing off.
    #[arg(long, default_value = "8MiB", value_name = "SIZE|off")]
    range_fill_above: String,
    /// Size of the slices of --range-fill-above.
    #[arg(long, default_value = "1MiB", value_name = "SIZE")]
    range_slice: String,
    /// Disk tier size, with a unit (e.g. 10GiB); needs --cache-dir.
    #[arg(long, default_value = DEFAULT_DISK_CACHE, value_name = "SIZE")]
    disk_cache: String,
    /// Origin connect timeout in seconds.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    origin_connect_timeout: u64,
    /// Origin read timeout in seconds (first byte, and between body chunks).
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    origin_read_timeout: u64,
    /// Seconds a viewer may take to send one request head.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    header_read_timeout: u64,
    /// Seconds an idle keep-alive connection is kept.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    idle_timeout: u64,
    /// Seconds a WebSocket connection may pass no data either way before the edge closes it
    /// (CloudFront: 600).
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    websocket_idle_timeout: u64,
    /// When plain-text HTTP/1 hits of bodies held in files go out with sendfile(2), without a
    /// copy through the edge's memory. `remote`: disk-tier files, to viewers on other hosts
    /// (a loopback viewer would copy the bytes out of the file itself, which costs the host
    /// more than the copy saved). `on`: to every viewer, and the memory tier keeps bodies of
    /// 1 MiB and more in in-memory files so that they go out this way too (TLS and HTTP/2
    /// hits of those then copy them out of the file). `off`: never.
    #[arg(long, default_value = "remote", value_name = "on|remote|off")]
    sendfile: brink_edge::Sendfile,
    /// Worker threads (each with its own listener and origin pool); 0 = one per CPU.
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// Viewer TLS certificate chain (PEM, leaf first); with --tls-key the listener speaks
    /// only TLS (HTTP/2 by ALPN). For `brink edge`, the default certificate: served to
    /// distributions with CloudFrontDefaultCertificate, their own domain names, and viewers
    /// without SNI. Re-read on SIGHUP.
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// Private key for --tls-cert (PEM). Re-read on SIGHUP.
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Extra CA certificates (PEM bundle) trusted for an https origin, besides the public roots.
    #[arg(long, value_name = "FILE")]
    origin_ca: Option<PathBuf>,
    /// On SIGTERM/SIGINT, seconds in-flight requests get to finish before the process exits.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    shutdown_grace: u64,
    /// A proxy in front of the edge (CIDR, repeatable) whose `X-Forwarded-For` gives the
    /// viewer's address for geo restriction and signed-URL IP conditions.
    #[arg(long, value_name = "CIDR")]
    trusted_proxy: Vec<String>,
    /// Let `POST /debug/clock/advance` on the admin port move the cache's clock (for tests).
    #[arg(long, hide = true)]
    manual_clock: bool,
}

impl ServeArgs {
    /// The POP name (`--pop`), which is also who an edge is to the control plane.
    pub(crate) fn pop(&self) -> &str {
        &self.pop
    }
}

/// A configuration error: the process exits with 64.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ConfigError(pub(crate) String);

fn config(
    args: ServeArgs,
    model: Option<Arc<Model>>,
    model_source: Option<brink_edge::ModelSource>,
) -> Result<EdgeConfig, ConfigError> {
    let mut problems = Vec::new();
    let origin_url = match (&args.origin, &model) {
        (Some(url), None) => url.as_str(),
        (None, None) => {
            problems.push(
                "--origin: required (the origin to cache, e.g. http://127.0.0.1:8000)".into(),
            );
            "http://unset.invalid"
        }
        (Some(_), Some(_)) => {
            problems.push(
                "--origin: not used with --config (origins come from the distributions)".into(),
            );
            "http://unset.invalid"
        }
        (None, Some(_)) => "http://unused.invalid",
    };
    let origin = Origin::parse(origin_url)
        .map_err(|e| problems.push(e.to_string()))
        .ok();
    let secs = Duration::from_secs;
    let ttl = TtlPolicy::new(
        secs(args.min_ttl),
        secs(args.default_ttl),
        secs(args.max_ttl),
    )
    .map(|p| p.with_error_caching_min(secs(args.error_caching_min_ttl)))
    .map_err(|e| problems.push(format!("--min-ttl/--default-ttl/--max-ttl: {e}")))
    .ok();
    let disk = match args.cache_dir {
        None => None,
        Some(dir) => parse_size(&args.disk_cache)
            .map_err(|e| problems.push(format!("--disk-cache: {e}")))
            .ok()
            .map(|capacity| brink_cache::DiskConfig { dir, capacity }),
    };
    let max_object = args.memory_max_object.as_deref().and_then(|s| {
        parse_size(s)
            .map_err(|e| problems.push(format!("--memory-max-object: {e}")))
            .ok()
    });
    let memory = parse_size(&args.memory_cache)
        .map_err(|e| problems.push(format!("--memory-cache: {e}")))
        .ok();
    let range_fill = if args.range_fill_above == "off" {
        None
    } else {
        let above = parse_size(&args.range_fill_above)
            .map_err(|e| problems.push(format!("--range-fill-above: {e} (or `off`)")))
            .ok();
        let slice = parse_size(&args.range_slice)
            .map_err(|e| problems.push(format!("--range-slice: {e}")))
            .ok()
            .filter(|s| {
                let ok = (4096..=1 << 30).contains(s);
                if !ok {
                    problems.push("--range-slice: between 4KiB and 1GiB".into());
                }
                ok
            });
        above
            .zip(slice)
            .map(|(above, slice)| brink_edge::RangeFill { above, slice })
    };
    for (name, v) in [
        ("--origin-connect-timeout", args.origin_connect_timeout),
        ("--origin-read-timeout", args.origin_read_timeout),
        ("--header-read-timeout", args.header_read_timeout),
        ("--idle-timeout", args.idle_timeout),
        ("--websocket-idle-timeout", args.websocket_idle_timeout),
    ] {
        if v == 0 {
            problems.push(format!("{name}: must be at least 1 second"));
        }
    }
    if args.pop.is_empty()
        || !args
            .pop
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        problems.push("--pop: letters, digits and '-' only, e.g. IAD89-C1".into());
    }
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => {
            let files = TlsFiles { cert, key };
            files
                .check()
                .map_err(|e| problems.push(e.to_string()))
                .ok()
                .map(|()| files)
        }
        (Some(_), None) => {
            problems.push("--tls-cert needs --tls-key (the certificate's private key)".into());
            None
        }
        (None, Some(_)) => {
            problems.push("--tls-key needs --tls-cert (the certificate chain)".into());
            None
        }
        (None, None) => None,
    };
    let log_fields = match (&args.log_fields, &args.log_dir) {
        (None, _) => None,
        (Some(_), None) => {
            problems.push("--log-fields needs --log-dir (where the access log goes)".into());
            None
        }
        (Some(list), Some(_)) => brink_telemetry::LogFields::parse(list)
            .map_err(|e| problems.push(format!("--log-fields: {e}")))
            .ok(),
    };
    let trusted_proxies: Vec<brink_geo::Cidr> = args
        .trusted_proxy
        .iter()
        .filter_map(|c| {
            let parsed = brink_geo::Cidr::parse(c);
            if parsed.is_none() {
                problems.push(format!(
                    "--trusted-proxy {c:?}: not a CIDR (e.g. 10.0.0.0/8)"
                ));
            }
            parsed
        })
        .collect();
    let forward_headers = match (&args.forward_headers, &model) {
        (None, _) => brink_edge::ForwardHeaders::default(),
        (Some(_), Some(_)) => {
            problems.push(
                "--forward-headers: brink serve only (under brink edge each behavior's origin \
                 request policy chooses the headers)"
                    .into(),
            );
            brink_edge::ForwardHeaders::default()
        }
        (Some(v), None) => brink_edge::ForwardHeaders::parse(v)
            .map_err(|e| problems.push(format!("--forward-headers: {e}")))
            .unwrap_or_default(),
    };
    let origin_ca = args.origin_ca.and_then(|path| {
        OriginCa::load(&path)
            .map_err(|e| problems.push(e.to_string()))
            .ok()
    });
    match (origin, ttl, memory) {
        (Some(origin), Some(ttl), Some(memory)) if problems.is_empty() => Ok(EdgeConfig {
            listen: args.listen,
            tls_listen: args.tls_listen,
            rtmp_listen: args.rtmp_listen,
            admin: args.admin,
            origin,
            geo: None,
            trusted_proxies,
            model,
            model_source,
            pop: args.pop,
            ttl,
            cache: brink_cache::CacheConfig {
                capacity: memory,
                max_object: max_object.unwrap_or(memory / 2),
                memory_files: args.sendfile == brink_edge::Sendfile::On,
            },
            disk,
            access_log: args.log_dir.map(|dir| brink_edge::AccessLogSettings {
                dir,
                gzip: args.log_gzip,
                fields: log_fields.unwrap_or_default(),
            }),
            origin_connect_timeout: secs(args.origin_connect_timeout),
            origin_read_timeout: secs(args.origin_read_timeout),
            header_read_timeout: secs(args.header_read_timeout),
            idle_timeout: secs(args.idle_timeout),
            websocket_idle_timeout: secs(args.websocket_idle_timeout),
            manual_clock: args.manual_clock,
            tls,
            origin_ca,
            shutdown_grace: secs(args.shutdown_grace),
            forward_headers,
            range_fill,
            s3: brink_edge::S3Settings::default(),
            sendfile: args.sendfile,
        }),
        _ => Err(ConfigError(format!(
            "invalid configuration:\n  {}",
            problems.join("\n  ")
        ))),
    }
}

/// Called once the edge serves, with its addresses and a handle on it (`brink edge --control`
/// starts following the control plane's feed there).
pub(crate) type AfterReady = Box<dyn FnOnce(brink_edge::Bound, brink_edge::EdgeHandle) + Send>;

pub(crate) fn run(
    args: ServeArgs,
    model: Option<Arc<Model>>,
    model_source: Option<brink_edge::ModelSource>,
    after_ready: Option<AfterReady>,
    geo: Option<Arc<brink_geo::WatchedGeoDb>>,
    s3: brink_edge::S3Settings,
) -> anyhow::Result<()> {
    let threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    };
    let check = args.check;
    let mut cfg = config(args, model, model_source)?;
    cfg.geo = geo;
    cfg.s3 = s3;
    if check {
        match &cfg.model {
            Some(m) => println!("config OK ({} distributions)", m.distributions().len()),
            None => println!("config OK"),
        }
        return Ok(());
    }
    brink_edge::run(cfg, threads, |bound, handle| {
        // The one stdout line tests and scripts wait for.
        let mut line = format!("brink ready listen={}", bound.listen);
        if let Some(a) = bound.admin {
            line.push_str(&format!(" admin={a}"));
        }
        if let Some(t) = bound.tls_listen {
            line.push_str(&format!(" tls={t}"));
        }
        if let Some(r) = bound.rtmp {
            line.push_str(&format!(" rtmp={r}"));
        }
        if let Some(a) = bound.accelerate {
            line.push_str(&format!(" accelerate={a}"));
        }
        println!("{line}");
        tracing::info!(listen = %bound.listen, threads, "edge started");
        if let Some(f) = after_ready {
            f(bound, handle);
        }
    })
    .context("edge failed")
}

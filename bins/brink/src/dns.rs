//! `brink dns`: the geo-DNS request router, authoritative for the CDN's domain.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::serve::ConfigError;

/// `brink dns` options.
#[derive(Debug, Args)]
pub(crate) struct DnsArgs {
    /// UDP and TCP address (one port for both).
    #[arg(long, default_value = "127.0.0.1:5353", value_name = "ADDR")]
    listen: SocketAddr,
    /// The zone served, e.g. `cdn.test` (the domain of the distributions' generated names).
    #[arg(long, value_name = "DOMAIN")]
    zone: String,
    /// Distributions, the same document as `brink edge --config` (JSON or YAML). Re-read
    /// when it changes.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "control",
        conflicts_with = "control"
    )]
    config: Option<PathBuf>,
    /// Take the distributions from a control plane's feed instead (`http://host:port`); the
    /// last names received are kept in --state-dir and served while it is down.
    #[arg(
        long,
        value_name = "URL",
        requires = "state_dir",
        requires = "control_token_file"
    )]
    control: Option<String>,
    /// The control plane's feed token file (`DATA_DIR/edge-token`).
    #[arg(long, value_name = "FILE")]
    control_token_file: Option<PathBuf>,
    /// Where the router keeps the last document from the control plane.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// POPs: `code,city,country,lat,lon,address[,health_url]` with a header line.
    #[arg(long, value_name = "FILE")]
    pops: PathBuf,
    /// MaxMind DB (iptoasn flat records, or GeoIP2/GeoLite2 Country or City). Default: the
    /// iptoasn database built into brink.
    #[arg(long, value_name = "FILE")]
    geo_db: Option<PathBuf>,
    /// Operator overrides: lines `CIDR POP`.
    #[arg(long, value_name = "FILE")]
    coverage_zone: Option<PathBuf>,
    /// POP for clients whose location is unknown. Default: the first POP of the file.
    #[arg(long, value_name = "CODE")]
    default_pop: Option<String>,
    /// TTL of A/AAAA answers, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    ttl: u32,
    /// Seconds between health checks of POPs with a health_url (fractions allowed).
    #[arg(long, default_value_t = 1.0, value_name = "SECS")]
    health_interval: f64,
    /// Threads answering UDP queries, each with its own socket on the port (SO_REUSEPORT,
    /// the kernel spreads clients over them) and its own single-threaded runtime, so a query
    /// is received, answered and sent on one thread. TCP, HTTP and health checks run on the
    /// first.
    #[arg(long, default_value_t = 2, value_name = "N")]
    threads: usize,
    /// Also answer HTTP on this address: every request gets a redirect to the same URL on
    /// the chosen POP, `http://<pop>.<distribution domain>[:port]/…`.
    #[arg(long, value_name = "ADDR")]
    http_listen: Option<SocketAddr>,
    /// HTTP mode: a proxy whose `X-Forwarded-For` names the client (repeatable CIDR).
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    trusted_proxy: Vec<String>,
}

fn read(path: &std::path::Path, what: &str) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("{what} {}: {e}", path.display())))
}

type Names = brink_dns::Names;

/// The feed applied to the router: new names on every document; invalidations mean nothing
/// to DNS.
struct ZoneApply {
    zone: Arc<brink_dns::Zone>,
    cdn_domain: String,
}

impl brink_feed::Apply for ZoneApply {
    fn config(&mut self, version: u64, document: &[u8]) -> Result<(), String> {
        let text = std::str::from_utf8(document).map_err(|e| e.to_string())?;
        let model = crate::edge::validate_document(text, &self.cdn_domain)?;
        let names = brink_dns::names_of(&model);
        tracing::info!(
            version,
            names = names.len(),
            "distributions from the control plane"
        );
        self.zone.set_names(names);
        Ok(())
    }

    fn invalidate(&mut self, _: &brink_feed::Invalidation) -> Result<(), String> {
        Ok(())
    }
}

/// The distribution names of a `--config` file, read and validated as `brink edge` reads it.
fn load_names(path: &std::path::Path, zone: &str) -> Result<Names, ConfigError> {
    crate::edge::load(path, zone).map(|m| brink_dns::names_of(&m))
}

/// A non-blocking UDP socket bound with SO_REUSEPORT (one per answering thread).
fn udp_reuseport(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_port(true)?;
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    Ok(s.into())
}

pub(crate) fn run(args: DnsArgs) -> anyhow::Result<()> {
    let zone = crate::domain::check_cdn_domain(&args.zone)
        .map_err(|e| ConfigError(e.0.replace("--cdn-domain", "--zone")))?;
    let mut problems: Vec<String> = Vec::new();
    let pops = match brink_dns::parse_pops(&read(&args.pops, "--pops")?) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                problems.push(format!("--pops {}: {e}", args.pops.display()));
            }
            Vec::new()
        }
    };
    let coverage = match &args.coverage_zone {
        None => brink_dns::CoverageZone::default(),
        Some(p) => match brink_dns::CoverageZone::parse(&read(p, "--coverage-zone")?, &pops) {
            Ok(c) => c,
            Err(errors) => {
                for e in errors {
                    problems.push(format!("--coverage-zone {}: {e}", p.display()));
                }
                brink_dns::CoverageZone::default()
            }
        },
    };
    let default_pop = match &args.default_pop {
        None => 0,
        Some(code) => pops
            .iter()
            .position(|p| &p.code == code)
            .unwrap_or_else(|| {
                problems.push(format!("--default-pop {code}: not in the POP list"));
                0
            }),
    };
    let geo = match &args.geo_db {
        Some(p) => brink_geo::GeoDb::open(p),
        None => brink_geo::GeoDb::shipped(),
    }
    .map_err(|e| problems.push(format!("--geo-db: {e}")))
    .ok();
    if !(1..=64).contains(&args.threads) {
        problems.push(format!("--threads {}: between 1 and 64", args.threads));
    }
    if !(0.05..=3600.0).contains(&args.health_interval) {
        problems.push("--health-interval: between 0.05 and 3600 seconds".into());
    }
    let names: Option<Names> = match (&args.config, &args.state_dir) {
        (Some(c), _) => load_names(c, &zone).map_err(|e| problems.push(e.0)).ok(),
        // Fed by a control plane: the names it sent last, until it answers.
        (None, Some(dir)) => brink_feed::FeedClient::persisted_config(dir)
            .and_then(|(_, doc)| String::from_utf8(doc).ok())
            .and_then(|t| crate::edge::validate_document(&t, &zone).ok())
            .map(|m| brink_dns::names_of(&m))
            .or_else(|| Some(Names::default())),
        (None, None) => None,
    };
    let mut trusted_proxies = Vec::new();
    for c in &args.trusted_proxy {
        match brink_geo::Cidr::parse(c) {
            Some(cidr) => trusted_proxies.push(cidr),
            None => problems.push(format!(
                "--trusted-proxy {c:?}: not a CIDR (e.g. 10.0.0.0/8)"
            )),
        }
    }
    if !trusted_proxies.is_empty() && args.http_listen.is_none() {
        problems.push("--trusted-proxy: only used with --http-listen".into());
    }
    let token = match &args.control_token_file {
        Some(f) => std::fs::read_to_string(f)
            .map(|t| t.trim().to_owned())
            .map_err(|e| problems.push(format!("--control-token-file {}: {e}", f.display())))
            .ok(),
        None => None,
    };
    if !problems.is_empty() {
        return Err(ConfigError(format!(
            "invalid configuration:\n  {}",
            problems.join("\n  ")
        ))
        .into());
    }
    let zone_names = Arc::new(brink_dns::Zone::default());
    zone_names.set_names(names.unwrap_or_default());
    let selector = Arc::new(brink_dns::Selector::new(pops, geo, coverage, default_pop));
    let router = brink_dns::Router::new(
        &zone,
        zone_names.clone(),
        selector.clone(),
        args.ttl,
        Some(args.listen.ip()),
    )
    .map_err(|e| ConfigError(e.to_string()))?;
    let interval = Duration::from_secs_f64(args.health_interval);
    // UDP and TCP on one port. With port 0 the UDP port the system picks may be taken for
    // TCP: pick again (a few times) rather than fail.
    let mut attempts = if args.listen.port() == 0 { 20 } else { 1 };
    let (udp, tcp, addr) = loop {
        attempts -= 1;
        let udp = udp_reuseport(args.listen)
            .map_err(|e| ConfigError(format!("--listen {}: {e}", args.listen)))?;
        let addr = udp.local_addr()?;
        match std::net::TcpListener::bind(addr) {
            Ok(tcp) => break (udp, tcp, addr),
            Err(e) if attempts == 0 => {
                return Err(ConfigError(format!("--listen {addr} (TCP): {e}")).into())
            }
            Err(_) => continue,
        }
    };
    tcp.set_nonblocking(true)?;
    // The other UDP threads: a socket each on the same port, a server each.
    for i in 1..args.threads {
        let sock = udp_reuseport(addr)
            .map_err(|e| ConfigError(format!("--listen {addr} (UDP socket {i}): {e}")))?;
        let router = router.clone();
        std::thread::Builder::new()
            .name(format!("dns-udp-{i}"))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(error = %e, "DNS thread: no runtime");
                        return;
                    }
                };
                rt.block_on(async move {
                    let Ok(sock) = tokio::net::UdpSocket::from_std(sock) else {
                        tracing::error!("DNS thread: socket unusable");
                        return;
                    };
                    let mut server = hickory_server::Server::new(router);
                    server.register_socket(sock);
                    if let Err(e) = server.block_until_done().await {
                        tracing::error!(error = %e, "DNS thread stopped");
                    }
                });
            })
            .context("starting a DNS thread")?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let udp = tokio::net::UdpSocket::from_std(udp)?;
        let tcp = tokio::net::TcpListener::from_std(tcp)?;
        let http = match args.http_listen {
            Some(a) => {
                let l = tokio::net::TcpListener::bind(a)
                    .await
                    .map_err(|e| ConfigError(format!("--http-listen {a}: {e}")))?;
                let bound = l.local_addr()?;
                let http = Arc::new(brink_dns::HttpRouter::new(
                    zone_names.clone(),
                    selector.clone(),
                    trusted_proxies,
                ));
                tokio::spawn(brink_dns::redirect::serve(http, l));
                Some(bound)
            }
            None => None,
        };
        brink_dns::health::spawn(selector, interval);
        let mut server = hickory_server::Server::new(router);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 64);
        if let (Some(url), Some(dir), Some(token)) = (&args.control, &args.state_dir, token) {
            let client = brink_feed::FeedClient {
                base: url.clone(),
                token,
                pop: "dns".into(),
                address: addr.to_string(),
                state_dir: dir.clone(),
                wait: Duration::from_secs(brink_feed::DEFAULT_WAIT_SECS),
            };
            let apply = ZoneApply {
                zone: zone_names.clone(),
                cdn_domain: zone.clone(),
            };
            tokio::spawn(client.run(apply));
        }
        // Re-read the distributions when the file changes; a bad file keeps the old names.
        let config = args.config.clone();
        tokio::spawn(async move {
            let Some(config) = config else { return };
            let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
            let mut last = modified(&config);
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                let now = modified(&config);
                if now != last {
                    last = now;
                    match load_names(&config, &zone) {
                        Ok(n) => {
                            tracing::info!(names = n.len(), "distributions reloaded");
                            zone_names.set_names(n);
                        }
                        Err(e) => tracing::error!(error = %e.0, "reload refused; keeping the running names"),
                    }
                }
            }
        });
        match http {
            Some(h) => println!("brink ready dns={addr} http={h}"),
            None => println!("brink ready dns={addr}"),
        }
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            r = server.block_until_done() => {
                if let Err(e) = r {
                    return Err(anyhow::anyhow!("DNS server stopped: {e}"));
                }
            }
        }
        Ok::<(), anyhow::Error>(())
    })
}

//! `brink up`: the whole CDN on one machine.
//!
//! A small supervisor: it starts the control plane and N edge POPs as child processes of this
//! same binary (`brink control`, `brink edge --control`), each edge on its own loopback address
//! (127.0.0.2, 127.0.0.3, …) so that routing can tell them apart, waits for every ready line,
//! writes `DIR/env` atomically and prints how to use it. SIGTERM / SIGINT stop every child
//! (SIGTERM, then SIGKILL after a grace period) and `brink up` exits once they are gone.
//!
//! It also starts `brink origin`, the embedded S3-compatible store (unless `--no-origin`), with
//! the control plane's key pair as the bucket owner and the CDN's service credential
//! (`DIR/cdn-service-credentials.json`, generated once) for origin access control.
//!
//! Children are processes, not threads, so that one can fail (or be killed in a test) without
//! the others, exactly as on several machines; they talk to each other only over HTTP.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::serve::ConfigError;

/// Edge locations `brink up` names its POPs after, in this order (IATA codes of real
/// CloudFront locations, as `X-Amz-Cf-Pop` shows them; the same list as
/// `data/geo/pops.csv`).
const POPS: [&str; 20] = [
    "IAD", "FRA", "NRT", "LHR", "GRU", "SIN", "SYD", "ORD", "DFW", "LAX", "YYZ", "SCL", "CDG",
    "ARN", "DXB", "JNB", "LOS", "BOM", "ICN", "HKG",
];

/// How long a child may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long children get to stop after SIGTERM before they are killed.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// `brink up` options.
#[derive(Debug, Args)]
pub(crate) struct UpArgs {
    /// Where everything is kept: the control plane's database and credentials, each edge's
    /// cache and last configuration, and the `env` file. Default:
    /// `$XDG_DATA_HOME/brink` (or `~/.local/share/brink`).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Number of edge POPs (1–20), named after real edge locations: IAD50-C1, FRA50-C1, …
    #[arg(long, default_value_t = 3, value_name = "N")]
    edges: usize,
    /// Address of the control plane (the CloudFront and ACM API endpoint).
    #[arg(long, default_value = "127.0.0.1:4566", value_name = "ADDR")]
    control_listen: SocketAddr,
    /// Port every edge listens on for viewers, each on its own address 127.0.0.2, 127.0.0.3,
    /// …; 0 lets each pick a free port. The edges' admin API (health, metrics) is on the next
    /// port (or a free one with 0).
    #[arg(long, default_value_t = 8080, value_name = "PORT")]
    edge_port: u16,
    /// Port every edge answers HTTPS on, beside --edge-port (certificates imported with
    /// `aws acm import-certificate` and named by distributions, chosen by SNI); 0 lets each
    /// pick a free port.
    #[arg(long, default_value_t = 8443, value_name = "PORT")]
    edge_tls_port: u16,
    /// Domain of generated distribution names (`d` + 13 characters + `.` + this).
    #[arg(long, default_value = "cdn.test", value_name = "DOMAIN")]
    cdn_domain: String,
    /// Address of the geo-DNS router (UDP and TCP), authoritative for --cdn-domain.
    #[arg(long, default_value = "127.0.0.1:5353", value_name = "ADDR")]
    dns_listen: SocketAddr,
    /// Address of the router's HTTP mode: a redirect to the nearest edge,
    /// `http://<pop>.<DomainName>:<edge port>/…`, for clients that cannot use DNS.
    #[arg(long, default_value = "127.0.0.1:8053", value_name = "ADDR")]
    http_router_listen: SocketAddr,
    /// Memory cache of each edge, with a unit.
    #[arg(long, default_value = "256MiB", value_name = "SIZE")]
    memory_cache: String,
    /// Address of the embedded S3-compatible origin store (`AWS_ENDPOINT_URL_S3` in
    /// `DIR/env`).
    #[arg(long, default_value = "127.0.0.1:4570", value_name = "ADDR")]
    origin_listen: SocketAddr,
    /// Do not start the embedded origin store.
    #[arg(long)]
    no_origin: bool,
    /// Test hook: edges use a clock moved by `POST /debug/clock/advance` on their admin API.
    #[arg(long, hide = true)]
    manual_clock: bool,
}

/// The account of the control plane (brink-control's `state::ACCOUNT`): ARNs of
/// distributions name it, and so does the CDN's service credential (`aws:SourceAccount`).
const ACCOUNT: &str = "123456789012";

/// The CDN's service credential, in the data directory (the OAC contract).
const CDN_CREDENTIALS: &str = "cdn-service-credentials.json";

/// Names of the children that are not edges.
const NOT_EDGES: [&str; 3] = ["control", "dns", "origin"];

/// A started child and what its ready line said.
struct Running {
    name: String,
    child: Child,
    ready: Vec<(String, String)>,
}

impl Running {
    fn get(&self, key: &str) -> Option<&str> {
        self.ready
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("brink");
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(h) => PathBuf::from(h).join(".local/share/brink"),
        None => PathBuf::from(".brink"),
    }
}

pub(crate) fn run(args: UpArgs) -> anyhow::Result<()> {
    if args.edges == 0 || args.edges > POPS.len() {
        return Err(ConfigError(format!(
            "--edges {}: between 1 and {} edge POPs",
            args.edges,
            POPS.len()
        ))
        .into());
    }
    crate::size::parse_size(&args.memory_cache)
        .map_err(|e| ConfigError(format!("--memory-cache: {e}")))?;
    let dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("--data-dir {}", dir.display()))?;
    let dir = dir.canonicalize().unwrap_or(dir);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(supervise(args, dir))
}

async fn supervise(args: UpArgs, dir: PathBuf) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let exe = std::env::current_exe().context("locating the brink binary")?;

    let mut children: Vec<Running> = Vec::new();
    let started = start_all(&exe, &args, &dir, &mut children).await;
    if let Err(e) = started {
        stop_all(&mut children).await;
        return Err(e);
    }
    let env = env_file(&args, &dir, &children)?;
    // It holds the secret key: owner-only, like the control plane's credentials file.
    brink_feed::write_private(&dir.join("env"), env.as_bytes()).context("writing DIR/env")?;
    print_banner(&dir, &children);

    // Wait for a stop signal or for a child to die.
    let exited = tokio::select! {
        _ = term.recv() => None,
        _ = int.recv() => None,
        dead = first_exit(&mut children) => Some(dead),
    };
    if let Some((name, status)) = &exited {
        tracing::error!(child = %name, %status, "a component stopped; stopping the others");
        eprintln!("brink up: {name} exited ({status}); stopping everything");
    }
    let _ = std::fs::remove_file(dir.join("env"));
    stop_all(&mut children).await;
    match exited {
        Some((name, _)) => bail!("{name} stopped unexpectedly"),
        None => Ok(()),
    }
}

async fn start_all(
    exe: &Path,
    args: &UpArgs,
    dir: &Path,
    children: &mut Vec<Running>,
) -> anyhow::Result<()> {
    let control_dir = dir.join("control");
    let control = spawn(
        exe,
        "control",
        &[
            "control".into(),
            "--listen".into(),
            args.control_listen.to_string(),
            "--data-dir".into(),
            path_arg(&control_dir),
            "--cdn-domain".into(),
            args.cdn_domain.clone(),
        ],
    )
    .await?;
    let control_addr = control
        .get("listen")
        .context("control plane: no listen= in its ready line")?
        .to_owned();
    children.push(control);
    let control_url = format!("http://{control_addr}");
    // The origin store before the edges, which reach S3 origins through it (the edge side,
    // `--s3-endpoint` and `--oac-credentials`, is wired where the edges start).
    let _origin_url = if args.no_origin {
        None
    } else {
        let origin = start_origin(exe, args, dir, &control_dir).await?;
        let url = format!("http://{}", origin.get("listen").unwrap_or_default());
        children.push(origin);
        Some(url)
    };
    for (i, code) in POPS.iter().take(args.edges).enumerate() {
        let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i as u8));
        let admin_port = if args.edge_port == 0 {
            0
        } else {
            args.edge_port.saturating_add(1)
        };
        let pop = format!("{code}50-C1");
        let edge_dir = dir.join("edges").join(&pop);
        let mut argv: Vec<String> = vec![
            "edge".into(),
            "--control".into(),
            control_url.clone(),
            "--control-token-file".into(),
            path_arg(&control_dir.join("edge-token")),
            "--state-dir".into(),
            path_arg(&edge_dir),
            "--pop".into(),
            pop.clone(),
            "--listen".into(),
            SocketAddr::new(ip, args.edge_port).to_string(),
            "--tls-listen".into(),
            SocketAddr::new(ip, args.edge_tls_port).to_string(),
            "--admin".into(),
            SocketAddr::new(ip, admin_port).to_string(),
            "--cache-dir".into(),
            path_arg(&edge_dir.join("cache")),
            "--memory-cache".into(),
            args.memory_cache.clone(),
            "--cdn-domain".into(),
            args.cdn_domain.clone(),
            "--threads".into(),
            "1".into(),
        ];
        if args.manual_clock {
            argv.push("--manual-clock".into());
        }
        argv.extend(s3_edge_args(dir, children, ip));
        children.push(spawn(exe, &pop, &argv).await?);
    }
    // The router: the edges as its POPs (coordinates of their real locations), each polled
    // on its admin /healthz; names from the control plane's feed.
    let mut pops = String::from("code,city,country,lat,lon,address,health_url,port\n");
    for r in children.iter().filter(|r| is_edge(r)) {
        let (Some(listen), Some(admin)) = (r.get("listen"), r.get("admin")) else {
            bail!("{}: no listen/admin in its ready line", r.name);
        };
        let (ip, port) = listen.rsplit_once(':').unwrap_or((listen, "80"));
        let code = r.name.get(..3).unwrap_or(&r.name);
        let Some(row) = POPS_CSV
            .lines()
            .find(|l| l.starts_with(&format!("{code},")))
        else {
            bail!("{code}: not in data/geo/pops.csv");
        };
        let f: Vec<&str> = row.split(',').collect();
        pops.push_str(&format!(
            "{},{},{},{},{},{ip},http://{admin}/healthz,{port}\n",
            r.name, f[1], f[2], f[3], f[4]
        ));
    }
    let dns_dir = dir.join("dns");
    std::fs::create_dir_all(&dns_dir)?;
    brink_feed::write_atomically(&dns_dir.join("pops.csv"), pops.as_bytes())
        .context("writing the router's POP file")?;
    children.push(
        spawn(
            exe,
            "dns",
            &[
                "dns".into(),
                "--listen".into(),
                args.dns_listen.to_string(),
                "--zone".into(),
                args.cdn_domain.clone(),
                "--pops".into(),
                path_arg(&dns_dir.join("pops.csv")),
                "--control".into(),
                control_url,
                "--control-token-file".into(),
                path_arg(&control_dir.join("edge-token")),
                "--state-dir".into(),
                path_arg(&dns_dir),
                "--http-listen".into(),
                args.http_router_listen.to_string(),
            ],
        )
        .await?,
    );
    Ok(())
}

fn is_edge(r: &Running) -> bool {
    !NOT_EDGES.contains(&r.name.as_str())
}

/// Starts `brink origin` over `DIR/origin`, generating the CDN's service credential on the
/// first start (owner-only, kept across restarts).
async fn start_origin(
    exe: &Path,
    args: &UpArgs,
    dir: &Path,
    control_dir: &Path,
) -> anyhow::Result<Running> {
    let cdn = dir.join(CDN_CREDENTIALS);
    if !cdn.exists() {
        let c = brink_origin::Credential::generate(ACCOUNT)
            .context("generating the CDN service credential")?;
        brink_feed::write_private(&cdn, c.to_json().as_bytes())
            .with_context(|| format!("writing {}", cdn.display()))?;
    }
    spawn(
        exe,
        "origin",
        &[
            "origin".into(),
            "--listen".into(),
            args.origin_listen.to_string(),
            "--data-dir".into(),
            path_arg(&dir.join("origin")),
            "--credentials".into(),
            path_arg(&control_dir.join("credentials")),
            "--cdn-credentials".into(),
            path_arg(&cdn),
            "--vhost-domain".into(),
            format!("s3-accelerate.{}", args.cdn_domain),
        ],
    )
    .await
}

/// The default edge locations and their coordinates.
const POPS_CSV: &str = include_str!("../../../data/geo/pops.csv");

fn path_arg(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Starts `brink <argv>` and waits for its `brink ready k=v …` line; its stderr is inherited
/// (so its logs reach the terminal), its later stdout is dropped.
async fn spawn(exe: &Path, name: &str, argv: &[String]) -> anyhow::Result<Running> {
    let mut child = Command::new(exe)
        .args(argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    let stdout = child.stdout.take().context("child stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(READY_TIMEOUT, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.strip_prefix("brink ready") {
                return Ok::<_, std::io::Error>(Some(rest.to_owned()));
            }
        }
        Ok(None)
    })
    .await;
    let rest = match line {
        Ok(Ok(Some(rest))) => rest,
        Ok(Ok(None)) | Ok(Err(_)) => {
            let status = child.wait().await?;
            bail!("{name} exited before it was ready ({status})");
        }
        Err(_) => bail!("{name} was not ready within {}s", READY_TIMEOUT.as_secs()),
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let ready = rest
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Ok(Running {
        name: name.to_owned(),
        child,
        ready,
    })
}

/// Resolves when the first child exits, with its name and status.
async fn first_exit(children: &mut [Running]) -> (String, String) {
    let waits = children.iter_mut().map(|r| {
        Box::pin(async move {
            let status = r.child.wait().await;
            (
                r.name.clone(),
                status.map_or_else(|e| e.to_string(), |s| s.to_string()),
            )
        })
    });
    futures_select_all(waits).await
}

/// The first of several futures to finish (a tiny `select_all`, so the binary needs no
/// futures crate).
async fn futures_select_all<F, T>(futs: impl Iterator<Item = std::pin::Pin<Box<F>>>) -> T
where
    F: std::future::Future<Output = T>,
{
    let mut futs: Vec<_> = futs.collect();
    if futs.is_empty() {
        return std::future::pending().await;
    }
    std::future::poll_fn(|cx| {
        for f in futs.iter_mut() {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(cx) {
                return std::task::Poll::Ready(v);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// SIGTERM to every child (edges first, the control plane last), then SIGKILL to those still
/// running after [`STOP_GRACE`].
async fn stop_all(children: &mut Vec<Running>) {
    for r in children.iter().rev() {
        if let Some(pid) = r.child.id() {
            terminate(pid);
        }
    }
    let deadline = tokio::time::Instant::now() + STOP_GRACE;
    for r in children.iter_mut().rev() {
        match tokio::time::timeout_at(deadline, r.child.wait()).await {
            Ok(_) => {}
            Err(_) => {
                tracing::warn!(child = %r.name, "did not stop in time; killing it");
                let _ = r.child.kill().await;
            }
        }
    }
    children.clear();
}

fn terminate(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else { return };
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    );
}

/// Reads the control plane's credentials (written by `brink control` on its first start).
fn credentials(control_dir: &Path) -> anyhow::Result<(String, String)> {
    let path = control_dir.join("credentials");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut id = None;
    let mut secret = None;
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k.trim() {
            "aws_access_key_id" => id = Some(v.trim().to_owned()),
            "aws_secret_access_key" => secret = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    match (id, secret) {
        (Some(i), Some(s)) => Ok((i, s)),
        _ => bail!("{}: no access key pair", path.display()),
    }
}

/// The CDN's service credential (the contract with `brink origin`): `brink origin
/// --cdn-credentials` trusts it, the edges sign origin access control requests with it.
const CDN_SERVICE_CREDENTIALS: &str = "cdn-service-credentials.json";

/// An edge's S3 options once the S3 store (the child named `origin`, started before the
/// edges) is up: `--s3-endpoint` (S3 origin names and Transfer Acceleration go there),
/// `--oac-credentials` when `DIR/cdn-service-credentials.json` exists, and an acceleration
/// listener on the edge's address (`BRINK_S3_ACCELERATE` names the first one). Nothing
/// without a store.
fn s3_edge_args(dir: &Path, children: &[Running], ip: IpAddr) -> Vec<String> {
    let Some(store) = children
        .iter()
        .find(|r| r.name == "origin")
        .and_then(|r| r.get("listen"))
    else {
        return Vec::new();
    };
    let mut argv = vec![
        "--s3-endpoint".into(),
        format!("http://{store}"),
        "--accelerate-listen".into(),
        SocketAddr::new(ip, 0).to_string(),
    ];
    let creds = dir.join(CDN_SERVICE_CREDENTIALS);
    if creds.exists() {
        argv.push("--oac-credentials".into());
        argv.push(path_arg(&creds));
    }
    argv
}

/// The `export` lines of `DIR/env`.
fn env_file(args: &UpArgs, dir: &Path, children: &[Running]) -> anyhow::Result<String> {
    let control = children.first().context("no control plane")?;
    let endpoint = format!("http://{}", control.get("listen").unwrap_or_default());
    let (id, secret) = credentials(&dir.join("control"))?;
    let dns = children
        .iter()
        .find(|r| r.name == "dns")
        .and_then(|r| r.get("dns"))
        .unwrap_or_default()
        .to_owned();
    let http_router = children
        .iter()
        .find(|r| r.name == "dns")
        .and_then(|r| r.get("http"))
        .unwrap_or_default()
        .to_owned();
    let edges: Vec<String> = children
        .iter()
        .filter(|r| is_edge(r))
        .map(|r| format!("{}={}", r.name, r.get("listen").unwrap_or_default()))
        .collect();
    let edges_tls: Vec<String> = children
        .iter()
        .filter(|r| is_edge(r))
        .filter_map(|r| Some(format!("{}={}", r.name, r.get("tls")?)))
        .collect();
    // S3 Transfer Acceleration: the first edge's acceleration listener (path style).
    let accelerate = children
        .iter()
        .filter(|r| is_edge(r))
        .find_map(|r| r.get("accelerate"))
        .map(|a| format!("http://{a}"));
    let mut s = String::new();
    s.push_str(
        "# Written by `brink up`; `source` it to point the aws CLI and boto3 at this CDN.\n",
    );
    if let Some(origin) = children.iter().find(|r| r.name == "origin") {
        s.push_str(&format!(
            "export AWS_ENDPOINT_URL_S3='http://{}'\n",
            origin.get("listen").unwrap_or_default()
        ));
    }
    if let Some(a) = &accelerate {
        s.push_str(&format!("export BRINK_S3_ACCELERATE='{a}'\n"));
    }
    for (k, v) in [
        ("AWS_ENDPOINT_URL_CLOUDFRONT", endpoint.as_str()),
        ("AWS_ENDPOINT_URL_ACM", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("BRINK_CDN_DOMAIN", args.cdn_domain.as_str()),
        ("BRINK_EDGES", edges.join(" ").as_str()),
        ("BRINK_EDGES_HTTPS", edges_tls.join(" ").as_str()),
        ("BRINK_DNS", dns.as_str()),
        ("BRINK_HTTP_ROUTER", http_router.as_str()),
    ] {
        s.push_str(&format!("export {k}='{v}'\n"));
    }
    Ok(s)
}

/// `println!` that survives a closed stdout (a supervisor must not die because whoever started
/// it stopped reading).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

fn print_banner(dir: &Path, children: &[Running]) {
    let control = children
        .first()
        .and_then(|c| c.get("listen"))
        .unwrap_or_default();
    let first_edge = children
        .iter()
        .find(|r| is_edge(r))
        .and_then(|c| c.get("listen"))
        .unwrap_or_default();
    let env = dir.join("env");
    say!("brink ready control={control} env={}", env.display());
    say!("");
    say!("  CloudFront + ACM API  http://{control}");
    if let Some(origin) = children
        .iter()
        .find(|r| r.name == "origin")
        .and_then(|r| r.get("listen"))
    {
        say!("  S3 origin store       http://{origin}   (aws s3 mb s3://my-bucket)");
    }
    for r in children.iter().filter(|r| is_edge(r)) {
        say!(
            "  edge {:<9}       http://{}",
            r.name,
            r.get("listen").unwrap_or_default()
        );
    }
    if let Some(dns) = children
        .iter()
        .find(|r| r.name == "dns")
        .and_then(|r| r.get("dns"))
    {
        let (host, port) = dns.rsplit_once(':').unwrap_or((dns, "53"));
        say!("  geo-DNS router        {dns}   (dig @{host} -p {port} +subnet=79.192.0.0/16 d….<domain> A)");
    }
    if let Some(http) = children
        .iter()
        .find(|r| r.name == "dns")
        .and_then(|r| r.get("http"))
    {
        say!("  HTTP router           http://{http}   (curl -i -H 'Host: <DomainName>' http://{http}/)");
    }
    say!("");
    say!("  source {}", env.display());
    say!("  aws cloudfront create-distribution --origin-domain-name example.com");
    say!("  curl -H 'Host: <DomainName>' http://{first_edge}/");
    say!("");
}

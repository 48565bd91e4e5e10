//! `brink`: the one binary. Parses the command line, builds the configuration, runs it.
//! Everything else lives in the library crates.

mod control;
mod dns;
mod domain;
mod edge;
mod edge_control;
mod origin;
mod serve;
mod service;
mod sign;
mod size;
mod up;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's allocator: the cache allocates and frees many small objects
/// from two threads, where glibc spends its time growing and trimming arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Brink: a CloudFront-compatible CDN.
#[derive(Debug, Parser)]
#[command(name = "brink", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The whole CDN on one machine: the control plane and several edge POPs, ready for the
    /// aws CLI and boto3 (`source DIR/env`).
    Up(up::UpArgs),
    /// One caching edge in front of one origin.
    Serve(Box<serve::ServeArgs>),
    /// An edge serving the CloudFront distributions of a configuration file.
    Edge(Box<edge::EdgeArgs>),
    /// The control plane: CloudFront's API (and ACM's) for the aws CLI and SDKs, and the feed
    /// that carries every change to the edges.
    Control(control::ControlArgs),
    /// The request router: authoritative geo-DNS answering each client with its nearest
    /// healthy edge POP.
    Dns(dns::DnsArgs),
    /// Signed URLs and cookies from a private key, like `aws cloudfront sign`.
    Sign(sign::SignArgs),
    /// The embedded S3-compatible origin store: buckets and objects on local disk, SigV4,
    /// bucket policies for origin access control.
    Origin(origin::OriginArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Command::Up(args) => up::run(args),
        Command::Serve(args) => serve::run(
            *args,
            None,
            None,
            None,
            None,
            brink_edge::S3Settings::default(),
        ),
        Command::Edge(args) => edge::run(*args),
        Command::Control(args) => control::run(args),
        Command::Dns(args) => dns::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Origin(args) => origin::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("brink: {e:#}");
            // 64 = EX_USAGE for configuration errors, as linkerd2-proxy does.
            std::process::ExitCode::from(if e.is::<serve::ConfigError>() { 64 } else { 1 })
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        // s3s (`brink origin`) logs every client error (a 403, a 404) at ERROR level; the
        // store logs its own server errors.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,s3s=off"));
    // Colours only on a terminal: a log file or journald gets plain, greppable lines.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}

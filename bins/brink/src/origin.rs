//! `brink origin`: the embedded S3-compatible origin store (`brink-origin`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::serve::ConfigError;

/// `brink origin` options.
#[derive(Debug, Args)]
pub(crate) struct OriginArgs {
    /// Address of the S3 endpoint (path-style requests for any Host).
    #[arg(long, default_value = "127.0.0.1:4570", value_name = "ADDR")]
    listen: SocketAddr,
    /// Where buckets, objects and uploads in progress live; created when missing.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// The bucket owner's key pair: the control plane's `credentials` file
    /// (`aws_access_key_id = …` lines) or JSON `{"AccessKeyId": …, "SecretAccessKey": …}`.
    #[arg(long, value_name = "FILE")]
    credentials: PathBuf,
    /// The CDN's service credential (JSON, written by `brink up`): requests signed with it
    /// act as the `cloudfront.amazonaws.com` service principal that origin access control
    /// policies name.
    #[arg(long, value_name = "FILE")]
    cdn_credentials: Option<PathBuf>,
    /// Accept virtual-hosted-style requests `<bucket>.<DOMAIN>` (repeatable), e.g.
    /// `s3-accelerate.cdn.test` for transfer acceleration through the edges.
    #[arg(long = "vhost-domain", value_name = "DOMAIN")]
    vhost_domains: Vec<String>,
}

pub(crate) fn run(args: OriginArgs) -> anyhow::Result<()> {
    let config_err = |e: brink_origin::OriginError| anyhow::Error::new(ConfigError(e.to_string()));
    let owner = brink_origin::Credential::load(&args.credentials)
        .map_err(|e| ConfigError(format!("--credentials {e}")))?;
    let cdn = match &args.cdn_credentials {
        Some(p) => Some(
            brink_origin::Credential::load(p)
                .map_err(|e| ConfigError(format!("--cdn-credentials {e}")))?,
        ),
        None => None,
    };
    if cdn
        .as_ref()
        .is_some_and(|c| c.access_key_id == owner.access_key_id)
    {
        return Err(ConfigError(
            "--cdn-credentials: must not be the owner's key pair (--credentials)".into(),
        )
        .into());
    }
    let mut vhost_domains = Vec::new();
    for d in &args.vhost_domains {
        let d = d.trim_end_matches('.').to_ascii_lowercase();
        if d.is_empty()
            || !d
                .split('.')
                .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(ConfigError(format!("--vhost-domain {d:?}: not a domain name")).into());
        }
        vhost_domains.push(d);
    }
    let cfg = brink_origin::OriginConfig {
        listen: args.listen,
        data_dir: args.data_dir,
        owner,
        cdn,
        vhost_domains,
    };
    crate::service::runtime()?
        .block_on(brink_origin::run(
            cfg,
            |addr| println!("brink ready listen={addr}"),
            crate::service::stop_signal("origin store"),
        ))
        .map_err(config_err)
}

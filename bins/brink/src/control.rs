//! `brink control`: the CloudFront-compatible control plane (API + edge feed).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::serve::ConfigError;

/// `brink control` options.
#[derive(Debug, Args)]
pub(crate) struct ControlArgs {
    /// Address of the CloudFront (and ACM) API and of the edges' feed.
    #[arg(long, default_value = "127.0.0.1:4566", value_name = "ADDR")]
    listen: SocketAddr,
    /// Database (`control.redb`), API credentials (`credentials`) and the edges' feed token
    /// (`edge-token`) live here; created on first start.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// Domain of generated distribution names (`d` + 13 characters + `.` + this).
    #[arg(long, default_value = "cloudfront.net", value_name = "DOMAIN")]
    cdn_domain: String,
}

pub(crate) fn run(args: ControlArgs) -> anyhow::Result<()> {
    let domain = crate::domain::check_cdn_domain(&args.cdn_domain)?;
    let cfg = brink_control::ControlConfig {
        listen: args.listen,
        data_dir: args.data_dir,
        cdn_domain: domain,
    };
    crate::service::runtime()?
        .block_on(brink_control::run(
            cfg,
            |addr| println!("brink ready listen={addr}"),
            crate::service::stop_signal("control plane"),
        ))
        .map_err(|e| match e {
            brink_control::ControlError::Listen(..) | brink_control::ControlError::DataDir(..) => {
                anyhow::Error::new(ConfigError(e.to_string()))
            }
            other => anyhow::Error::new(other),
        })
}

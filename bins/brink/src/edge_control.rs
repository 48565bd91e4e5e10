//! `brink edge --control URL`: an edge whose configuration and invalidations come from the
//! control plane's feed (`brink-feed`), with the last document applied kept on disk so the
//! edge serves it at start and whenever the control plane is away (static stability).

use std::sync::Arc;
use std::time::Duration;

use brink_feed::{Apply, FeedClient, Invalidation};

use crate::edge::{validate_document, validate_document_in, ControlSource};
use crate::serve::{ConfigError, ServeArgs};

/// Applies the feed to a running edge.
struct EdgeApply {
    handle: brink_edge::EdgeHandle,
    cdn_domain: String,
    state_dir: std::path::PathBuf,
}

impl Apply for EdgeApply {
    fn config(&mut self, version: u64, document: &[u8]) -> Result<(), String> {
        let text = std::str::from_utf8(document).map_err(|e| e.to_string())?;
        let model = validate_document_in(text, &self.cdn_domain, Some(&self.state_dir))?;
        self.handle.install_model(Arc::new(model))?;
        tracing::info!(version, "configuration from the control plane in force");
        Ok(())
    }

    fn invalidate(&mut self, inv: &Invalidation) -> Result<(), String> {
        let mut n = 0;
        for path in &inv.paths {
            match self.handle.invalidate(&inv.distribution_id, path) {
                Ok(k) => n += k,
                // A distribution this edge does not serve (deleted since) has nothing cached.
                Err(e) if e == "NoSuchDistribution" => {}
                Err(e) => return Err(e),
            }
        }
        tracing::info!(id = %inv.id, distribution = %inv.distribution_id, removed = n, "invalidation enforced");
        Ok(())
    }
}

pub(crate) fn run(
    options: ServeArgs,
    s3: brink_edge::S3Settings,
    source: ControlSource,
    geo: Option<Arc<brink_geo::WatchedGeoDb>>,
) -> anyhow::Result<()> {
    if !source.url.starts_with("http://") {
        return Err(ConfigError(format!(
            "--control {:?}: an http:// URL of brink control",
            source.url
        ))
        .into());
    }
    let token = match &source.token_file {
        Some(f) => std::fs::read_to_string(f)
            .map(|t| t.trim().to_owned())
            .map_err(|e| ConfigError(format!("--control-token-file {}: {e}", f.display())))?,
        None => std::env::var("BRINK_CONTROL_TOKEN").map_err(|_| {
            ConfigError("--control needs --control-token-file (or BRINK_CONTROL_TOKEN)".into())
        })?,
    };
    std::fs::create_dir_all(&source.state_dir)
        .map_err(|e| ConfigError(format!("--state-dir {}: {e}", source.state_dir.display())))?;
    // Static stability: the last document applied is in force from the first request.
    let initial = match FeedClient::persisted_config(&source.state_dir) {
        Some((version, doc)) => {
            match std::str::from_utf8(&doc)
                .map_err(|e| e.to_string())
                .and_then(|t| validate_document_in(t, &source.cdn_domain, Some(&source.state_dir)))
            {
                Ok(m) => {
                    tracing::info!(version, "serving the last configuration applied");
                    m
                }
                Err(e) => {
                    tracing::error!(error = %e, "the kept configuration is unusable; starting empty");
                    validate_document("{}", &source.cdn_domain).map_err(ConfigError)?
                }
            }
        }
        None => validate_document("{}", &source.cdn_domain).map_err(ConfigError)?,
    };
    let pop = options.pop().to_owned();
    let after: crate::serve::AfterReady = Box::new(move |bound, handle| {
        let client = FeedClient {
            base: source.url.clone(),
            token,
            pop,
            address: bound.listen.to_string(),
            state_dir: source.state_dir.clone(),
            wait: Duration::from_secs(brink_feed::DEFAULT_WAIT_SECS),
        };
        let apply = EdgeApply {
            handle,
            cdn_domain: source.cdn_domain.clone(),
            state_dir: source.state_dir.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("control-feed".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(client.run(apply)),
                    Err(e) => tracing::error!(error = %e, "control feed: no runtime"),
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "control feed thread could not start");
        }
    });
    crate::serve::run(options, Some(Arc::new(initial)), None, Some(after), geo, s3)
}

//! `brink-origin`: the embedded S3-compatible origin store behind `brink origin`.
//!
//! Owns: the S3 operations a CDN origin needs (buckets, Put/Get/Head/Delete objects,
//! ListObjectsV2, multipart uploads, Range and conditional GET, bucket policies) on
//! [s3s](https://crates.io/crates/s3s) — which parses S3's REST-XML protocol and verifies
//! SigV4 — over objects on local disk ([`store`]), and the authorisation rule of origin access
//! control ([`policy`], `access.rs`): the owner key pair has full access, the CDN's service
//! credential is the `cloudfront.amazonaws.com` principal with the signed
//! `x-amz-source-arn`, everyone else is anonymous; bucket policies decide for the last two.
//!
//! Does not own: the edge's signing of origin requests (`brink-edge`), `brink up`'s wiring.

mod access;
pub mod policy;
mod s3;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

/// Largest request head (request line and headers) a client may send; more gets 431. S3
/// itself allows 8 KiB of headers; a little more leaves room for SigV4's own.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// How long requests in flight get to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(10);

/// An access key pair (and, for the CDN's service credential, its account).
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The account the key belongs to (`aws:SourceAccount` for the CDN's credential).
    pub account_id: Option<String>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialFile {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default)]
    account_id: Option<String>,
}

/// Why `brink origin` could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OriginError {
    /// A credentials file is missing, unreadable or has no key pair.
    #[error("{path}: {reason}")]
    Credentials {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The data directory cannot be created or read.
    #[error("--data-dir {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: store::StoreError,
    },
    /// The listen address cannot be bound.
    #[error("--listen {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

impl Credential {
    /// Reads a key pair from `path`: either JSON (`{"AccessKeyId": …, "SecretAccessKey": …,
    /// "AccountId": …}`, the CDN service credential's format) or the control plane's
    /// `aws_access_key_id = …` / `aws_secret_access_key = …` lines.
    ///
    /// # Errors
    /// [`OriginError::Credentials`] naming the file.
    pub fn load(path: &Path) -> Result<Self, OriginError> {
        let bad = |reason: String| OriginError::Credentials {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        if text.trim_start().starts_with('{') {
            let f: CredentialFile =
                serde_json::from_str(&text).map_err(|e| bad(format!("not a credential: {e}")))?;
            return Self::checked(f.access_key_id, f.secret_access_key, f.account_id).map_err(bad);
        }
        let (mut id, mut secret) = (None, None);
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                match k.trim() {
                    "aws_access_key_id" => id = Some(v.trim().to_owned()),
                    "aws_secret_access_key" => secret = Some(v.trim().to_owned()),
                    _ => {}
                }
            }
        }
        match (id, secret) {
            (Some(i), Some(s)) => Self::checked(i, s, None).map_err(bad),
            _ => Err(bad("no access key pair".into())),
        }
    }

    fn checked(id: String, secret: String, account: Option<String>) -> Result<Self, String> {
        if id.is_empty() || secret.is_empty() {
            return Err("AccessKeyId and SecretAccessKey must not be empty".into());
        }
        Ok(Self {
            access_key_id: id,
            secret_access_key: secret,
            account_id: account,
        })
    }

    /// A new random key pair for `account_id` (`AKIA…` 20 characters, a 40-character secret).
    ///
    /// # Errors
    /// The operating system's random source failed.
    pub fn generate(account_id: &str) -> std::io::Result<Self> {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b = [0u8; 56];
        getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
        let id: String = b[..16]
            .iter()
            .map(|x| UPPER[usize::from(*x) % UPPER.len()] as char)
            .collect();
        let secret: String = b[16..]
            .iter()
            .map(|x| SECRET[usize::from(*x) % SECRET.len()] as char)
            .collect();
        Ok(Self {
            access_key_id: format!("AKIA{id}"),
            secret_access_key: secret,
            account_id: Some(account_id.to_owned()),
        })
    }

    /// The JSON form [`Credential::load`] reads (the CDN service credential file).
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "AccountId": self.account_id,
        })
        .to_string()
    }
}

/// What `brink origin` runs with.
#[derive(Debug, Clone)]
pub struct OriginConfig {
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// Where buckets and objects live.
    pub data_dir: PathBuf,
    /// The bucket owner's key pair.
    pub owner: Credential,
    /// The CDN's service credential (origin access control), if any.
    pub cdn: Option<Credential>,
    /// Domains under which `<bucket>.<domain>` is virtual-hosted style.
    pub vhost_domains: Vec<String>,
}

/// Runs the store until `shutdown` resolves, then lets requests in flight finish (up to 10 s).
/// `ready` is called with the bound address once the store accepts connections.
///
/// # Errors
/// [`OriginError::DataDir`] or [`OriginError::Listen`].
pub async fn run(
    cfg: OriginConfig,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> Result<(), OriginError> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let store = store::Store::open(&cfg.data_dir).map_err(|source| OriginError::DataDir {
        path: cfg.data_dir.clone(),
        source,
    })?;
    let store = Arc::new(store);
    let mut builder = s3s::service::S3ServiceBuilder::new(s3::Backend {
        store: Arc::clone(&store),
    });
    builder.set_auth(access::Keys {
        owner: cfg.owner.clone(),
        cdn: cfg.cdn.clone(),
    });
    builder.set_access(access::Access {
        store,
        owner_key: cfg.owner.access_key_id.clone(),
        cdn: cfg
            .cdn
            .as_ref()
            .map(|c| (c.access_key_id.clone(), c.account_id.clone())),
    });
    if !cfg.vhost_domains.is_empty() {
        builder.set_host(access::Hosts {
            domains: cfg.vhost_domains.clone(),
        });
    }
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| OriginError::Listen {
            addr: cfg.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| OriginError::Listen {
            addr: cfg.listen,
            source,
        })?;
    ready(addr);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .max_buf_size(MAX_HEAD_BYTES)
            .serve_connection(TokioIo::new(stream), service.clone());
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(err) = conn.await {
                tracing::debug!(%peer, %err, "origin connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => tracing::warn!("requests still in flight after the drain period"),
    }
    Ok(())
}

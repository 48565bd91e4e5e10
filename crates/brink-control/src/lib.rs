//! Brink's control plane: CloudFront's API (2020-05-31, REST-XML, SigV4) over an embedded
//! store, and the feed that carries every change to the edges.
//!
//! Owns distributions, invalidations, tags, the edges' reports and the credentials of its
//! data directory. Does not own validation (it asks `brink-model`, so a file and the API
//! refuse the same mistakes with the same codes), nor anything an edge does with the
//! document (edges subscribe through `brink-feed`; this crate never imports the edge).

mod acm;
mod api;
mod feed;
mod ids;
mod resources;
mod sigv4;
mod state;
mod store;
mod streaming;
mod time;
mod xml;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use parking_lot::Mutex;

pub use store::StoreError;

/// What `brink control` runs with.
#[derive(Debug, Clone)]
pub struct ControlConfig {
    /// API and feed listener.
    pub listen: SocketAddr,
    /// Database, credentials and feed token live here.
    pub data_dir: PathBuf,
    /// Domain of generated distribution names (`d` + 13 + `.` + this).
    pub cdn_domain: String,
}

/// The API's credentials, kept in `DATA_DIR/credentials`.
#[derive(Clone)]
pub struct Credentials {
    /// `AKIA…`.
    pub access_key_id: String,
    /// The secret (never logged).
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Why the control plane could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The data directory or a file in it.
    #[error("data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored state could not be read.
    #[error("stored state: {0}")]
    State(String),
    /// The listener.
    #[error("listen {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

pub(crate) struct Shared {
    pub(crate) state: Mutex<state::State>,
    pub(crate) credentials: Credentials,
    pub(crate) token: String,
    /// The feed's sequence number, for long-polls to wait on.
    pub(crate) changes: tokio::sync::watch::Sender<u64>,
}

impl Shared {
    /// Moves the feed's watch to `seq`, waking the long-polls when it changed.
    pub(crate) fn publish(&self, seq: u64) {
        self.changes.send_if_modified(|s| {
            let changed = *s != seq;
            *s = seq;
            changed
        });
    }
}

/// The credentials of `dir`, generated on first use.
pub fn credentials(dir: &Path) -> std::io::Result<Credentials> {
    let path = dir.join("credentials");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let field = |name: &str| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == name)
                .map(|(_, v)| v.trim().to_owned())
        };
        if let (Some(id), Some(secret)) =
            (field("aws_access_key_id"), field("aws_secret_access_key"))
        {
            return Ok(Credentials {
                access_key_id: id,
                secret_access_key: secret,
            });
        }
    }
    let (id, secret) = ids::access_key_pair()?;
    brink_feed::write_private(
        &path,
        format!("[default]\naws_access_key_id={id}\naws_secret_access_key={secret}\n").as_bytes(),
    )?;
    Ok(Credentials {
        access_key_id: id,
        secret_access_key: secret,
    })
}

/// The edge feed's bearer token in `dir`, generated on first use.
pub fn feed_token(dir: &Path) -> std::io::Result<String> {
    let path = dir.join("edge-token");
    if let Ok(t) = std::fs::read_to_string(&path) {
        let t = t.trim();
        if !t.is_empty() {
            return Ok(t.to_owned());
        }
    }
    let t = ids::token()?;
    brink_feed::write_private(&path, t.as_bytes())?;
    Ok(t)
}

/// Runs the control plane until the future `shutdown` resolves; calls `on_ready` with the
/// bound address once it accepts connections.
///
/// # Errors
/// The data directory, the store or the listener could not be used.
pub async fn run(
    cfg: ControlConfig,
    on_ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ControlError> {
    let dir = &cfg.data_dir;
    std::fs::create_dir_all(dir).map_err(|e| ControlError::DataDir(dir.clone(), e))?;
    let credentials = credentials(dir).map_err(|e| ControlError::DataDir(dir.clone(), e))?;
    let token = feed_token(dir).map_err(|e| ControlError::DataDir(dir.clone(), e))?;
    let store: Arc<dyn store::Store> = Arc::new(store::RedbStore::open(dir)?);
    let state = state::State::load(store, cfg.cdn_domain.clone())
        .map_err(|e| ControlError::State(e.message))?;
    let (changes, _) = tokio::sync::watch::channel(state.meta.seq);
    let shared = Arc::new(Shared {
        state: Mutex::new(state),
        credentials,
        token,
        changes,
    });
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| ControlError::Listen(cfg.listen, e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| ControlError::Listen(cfg.listen, e))?;
    on_ready(bound);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown => return Ok(()),
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(serve(&shared, req, peer).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, service)
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

async fn serve(shared: &Arc<Shared>, req: http::Request<Incoming>, peer: SocketAddr) -> api::Resp {
    let request_id = ids::uuid();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let body = match Limited::new(body, api::MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return api::ApiError::new(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("Request bodies are limited to {} bytes.", api::MAX_BODY),
            )
            .into_response(&request_id)
        }
    };
    if path.starts_with("/brink/") || path == "/metrics" || path == "/healthz" {
        return feed::serve(shared, &parts, &path, &query, &body).await;
    }
    let amz_target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let services: &[&str] = if amz_target.is_some() {
        &["acm"]
    } else {
        &["cloudfront"]
    };
    let signed = sigv4::SignedRequest {
        method: parts.method.as_str(),
        path: &path,
        query: &query,
        headers: &parts.headers,
        body: &body,
    };
    let now = time::now_millis() / 1000;
    if let Err(e) = sigv4::verify(
        &signed,
        &shared.credentials.access_key_id,
        &shared.credentials.secret_access_key,
        services,
        now,
    ) {
        tracing::info!(%peer, code = e.code(), "request refused: authentication");
        return api::ApiError::new(http::StatusCode::FORBIDDEN, e.code(), e.message())
            .into_response(&request_id);
    }
    if let Some(target) = amz_target {
        let op = target
            .strip_prefix("CertificateManager.")
            .unwrap_or(target)
            .to_owned();
        let (result, seq) = {
            let mut state = shared.state.lock();
            let r = acm::handle(&mut state, &op, &body);
            (r, state.meta.seq)
        };
        shared.publish(seq);
        let (status, v) = match result {
            Ok(v) => (http::StatusCode::OK, v),
            Err(e) => (
                e.status,
                serde_json::json!({"__type": e.code, "message": e.message}),
            ),
        };
        tracing::info!(op, status = status.as_u16(), "acm");
        let mut r = json_response(status, &v);
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        if let Ok(v) = http::HeaderValue::from_str(&request_id) {
            r.headers_mut().insert("x-amzn-requestid", v);
        }
        return r;
    }
    let Some(rest) = path.strip_prefix(api::PREFIX) else {
        return api::ApiError::new(
            http::StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "Unknown API version or path.",
        )
        .into_response(&request_id);
    };
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let api_req = api::ApiRequest {
        method: &parts.method,
        path: rest,
        query: parse_query(&query),
        headers: &parts.headers,
        body: &body,
        base: format!("http://{host}"),
    };
    let (resp, seq) = {
        let mut state = shared.state.lock();
        let r = api::handle(&mut state, &api_req, &request_id);
        (r, state.meta.seq)
    };
    shared.publish(seq);
    match resp {
        Ok(r) => {
            tracing::info!(method = %parts.method, path = %path, status = r.status().as_u16(), "api");
            r
        }
        Err(e) => {
            tracing::info!(method = %parts.method, path = %path, code = %e.code, "api error");
            e.into_response(&request_id)
        }
    }
}

/// `a=1&b&c=%2F` → decoded pairs.
pub(crate) fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (sigv4::decode(k), sigv4::decode(v))
        })
        .collect()
}

/// Body of a small JSON response.
pub(crate) fn json_response(status: http::StatusCode, v: &serde_json::Value) -> api::Resp {
    let mut r = http::Response::new(Full::new(Bytes::from(
        serde_json::to_vec(v).unwrap_or_default(),
    )));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

//! The feed from the control plane to the data plane (edges, DNS routers).
//!
//! The control plane publishes one ordered stream of changes: new versions of the whole
//! configuration document (exactly the JSON `brink edge --config` reads: distributions,
//! policies, keys, certificates) and invalidations. Each change has a sequence number. A
//! subscriber long-polls `GET` [`FEED_PATH`]`?after=SEQ&config=VERSION&wait=SECS` with a bearer
//! token and gets back a [`FeedUpdate`]: the document if its version is newer than the one it
//! holds, and every invalidation after `SEQ`. It then reports what it applied with a `POST` to
//! [`REPORT_PATH`] ([`EdgeReport`]); those reports are what turn a distribution `Deployed` and
//! an invalidation `Completed`.
//!
//! [`FeedClient`] is the subscriber side: it keeps the last applied document and sequence in a
//! state directory, applies the persisted document at start before it has talked to anyone
//! (static stability: an edge restarted while the control plane is down serves its last
//! configuration), then follows the feed, retrying with a short backoff while the control
//! plane is unreachable.
//!
//! This crate holds the protocol types and the client; it knows nothing of how a document is
//! applied (the caller's [`Apply`]) nor of the control plane's storage.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};

/// Where subscribers long-poll for changes.
pub const FEED_PATH: &str = "/brink/v1/feed";
/// Where subscribers report what they applied.
pub const REPORT_PATH: &str = "/brink/v1/report";
/// How long a long-poll waits on the server for a change, in seconds.
pub const DEFAULT_WAIT_SECS: u64 = 20;
/// Largest update body a client accepts (a document with many distributions and their
/// certificates stays far below).
pub const MAX_UPDATE_BYTES: usize = 64 << 20;

/// One answer to a long-poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedUpdate {
    /// Sequence number of the newest change included (config or invalidation).
    pub seq: u64,
    /// Version of the configuration document the control plane holds now.
    pub config_version: u64,
    /// The document, when `config_version` is newer than the one the subscriber said it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    /// Invalidations with a sequence number above the subscriber's `after`, oldest first.
    #[serde(default)]
    pub invalidations: Vec<Invalidation>,
    /// Files the document refers to by relative path (viewer certificates and their keys),
    /// sent with every document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FeedFile>,
}

/// A file a document refers to (`Certificates[].CertificateFile`), relative to the
/// subscriber's state directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedFile {
    /// Relative path: `certs/<name>`, letters, digits, `-`, `_`, `.` and one `/`.
    pub name: String,
    /// Its contents (PEM).
    pub contents: String,
}

impl FeedFile {
    /// Whether `name` is a safe relative path (no `..`, no absolute path).
    pub fn safe_name(&self) -> bool {
        !self.name.is_empty()
            && !self.name.starts_with('/')
            && self.name.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != ".."
                    && seg != "."
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            })
    }
}

/// An invalidation to enforce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invalidation {
    /// Its id (`I…`).
    pub id: String,
    /// The distribution whose objects it removes.
    pub distribution_id: String,
    /// Paths as the API accepted them: start with `/`, `*` only last.
    pub paths: Vec<String>,
    /// Its place in the feed.
    pub seq: u64,
}

/// What a subscriber applied, sent after every change and as a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeReport {
    /// POP code (`IAD50-C1`) or router name.
    pub pop: String,
    /// The address it serves viewers on.
    pub address: String,
    /// Version of the configuration document it serves.
    pub config_version: u64,
    /// Every change up to this sequence number is applied.
    pub seq: u64,
    /// Invalidations enforced since its previous report.
    #[serde(default)]
    pub completed_invalidations: Vec<String>,
}

/// What the subscriber does with the feed.
pub trait Apply: Send {
    /// Replaces the running configuration with `document` (the JSON of `brink edge --config`).
    /// An error means the document was refused; the previous configuration stays.
    ///
    /// # Errors
    /// The document is invalid for this subscriber.
    fn config(&mut self, version: u64, document: &[u8]) -> Result<(), String>;

    /// Enforces one invalidation. It must hold when this returns.
    ///
    /// # Errors
    /// The invalidation could not be applied (it is retried with the next update).
    fn invalidate(&mut self, invalidation: &Invalidation) -> Result<(), String>;
}

/// What is kept in the state directory between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
    seq: u64,
    config_version: u64,
}

/// Why the feed could not be followed (logged; the client keeps retrying).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// The control plane could not be reached or broke the connection.
    #[error("control plane unreachable: {0}")]
    Unreachable(String),
    /// The control plane refused the credential.
    #[error("control plane refused the feed token (HTTP {0})")]
    Refused(u16),
    /// The control plane answered something else than an update.
    #[error("unexpected answer from the control plane: {0}")]
    Protocol(String),
    /// The state directory could not be written.
    #[error("state directory: {0}")]
    State(#[from] std::io::Error),
}

/// Follows the feed of one control plane.
#[derive(Debug, Clone)]
pub struct FeedClient {
    /// `http://host:port` of the control plane.
    pub base: String,
    /// The bearer token of the feed.
    pub token: String,
    /// Who we are (POP code).
    pub pop: String,
    /// The address we serve viewers on (reported, shown by the control plane).
    pub address: String,
    /// Where the last applied document and the sequence number are kept.
    pub state_dir: PathBuf,
    /// How long each long-poll may wait on the server.
    pub wait: Duration,
}

const CONFIG_FILE: &str = "config.json";
const STATE_FILE: &str = "feed-state.json";

impl FeedClient {
    /// The document last applied, if the state directory has one (for a start before the
    /// control plane answers).
    pub fn persisted_config(state_dir: &Path) -> Option<(u64, Vec<u8>)> {
        let state = read_state(state_dir)?;
        let doc = std::fs::read(state_dir.join(CONFIG_FILE)).ok()?;
        Some((state.config_version, doc))
    }

    /// The path of the persisted document.
    pub fn config_path(state_dir: &Path) -> PathBuf {
        state_dir.join(CONFIG_FILE)
    }

    /// Follows the feed forever: applies every update through `apply`, persists it, reports
    /// it. Errors are logged and retried after a short backoff; this never returns.
    pub async fn run(self, mut apply: impl Apply) {
        let _ = std::fs::create_dir_all(&self.state_dir);
        let mut state = read_state(&self.state_dir).unwrap_or_default();
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let mut backoff = Duration::from_millis(100);
        let mut reported_once = false;
        let mut pending_completed: Vec<String> = Vec::new();
        loop {
            // Report first when there is something new to tell (or never told yet): the
            // control plane learns of a restarted subscriber without waiting for a change.
            if !reported_once || !pending_completed.is_empty() {
                match self.report(&client, &state, &pending_completed).await {
                    Ok(()) => {
                        reported_once = true;
                        pending_completed.clear();
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "feed: report failed; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                        continue;
                    }
                }
            }
            let update = match self.poll(&client, &state).await {
                Ok(Some(u)) => u,
                Ok(None) => {
                    backoff = Duration::from_millis(100);
                    // Nothing new within the wait: report as a heartbeat.
                    reported_once = false;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "feed: poll failed; serving the last configuration");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    continue;
                }
            };
            backoff = Duration::from_millis(100);
            match self.apply_update(&mut apply, &mut state, update) {
                Ok(done) => pending_completed.extend(done),
                Err(e) => tracing::error!(error = %e, "feed: could not persist the update"),
            }
            reported_once = false;
        }
    }

    /// Applies one update in order (document, then invalidations) and persists the new state.
    /// Returns the ids of the invalidations enforced.
    fn apply_update(
        &self,
        apply: &mut impl Apply,
        state: &mut State,
        update: FeedUpdate,
    ) -> Result<Vec<String>, FeedError> {
        if let Some(doc) = update.config {
            if update.config_version > state.config_version {
                for f in &update.files {
                    if !f.safe_name() {
                        return Err(FeedError::Protocol(format!(
                            "unsafe file name {:?}",
                            f.name
                        )));
                    }
                    let path = self.state_dir.join(&f.name);
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    write_private(&path, f.contents.as_bytes())?;
                }
                let bytes =
                    serde_json::to_vec(&doc).map_err(|e| FeedError::Protocol(e.to_string()))?;
                match apply.config(update.config_version, &bytes) {
                    Ok(()) => {
                        write_atomically(&self.state_dir.join(CONFIG_FILE), &bytes)?;
                        state.config_version = update.config_version;
                        tracing::info!(
                            version = update.config_version,
                            "feed: configuration applied"
                        );
                    }
                    Err(e) => tracing::error!(
                        version = update.config_version,
                        error = %e,
                        "feed: configuration refused; keeping the running one"
                    ),
                }
            }
        }
        let mut done = Vec::new();
        let mut seq = state.seq;
        for inv in &update.invalidations {
            if inv.seq <= state.seq {
                continue;
            }
            match apply.invalidate(inv) {
                Ok(()) => {
                    done.push(inv.id.clone());
                    seq = seq.max(inv.seq);
                }
                Err(e) => {
                    // Stop here: the next poll starts again from this invalidation.
                    tracing::error!(id = %inv.id, error = %e, "feed: invalidation failed");
                    state.seq = seq;
                    write_state(&self.state_dir, state)?;
                    return Ok(done);
                }
            }
        }
        state.seq = seq.max(update.seq);
        write_state(&self.state_dir, state)?;
        Ok(done)
    }

    async fn poll<C>(
        &self,
        client: &Client<C, Full<Bytes>>,
        state: &State,
    ) -> Result<Option<FeedUpdate>, FeedError>
    where
        C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
    {
        let uri = format!(
            "{}{FEED_PATH}?after={}&config={}&wait={}&pop={}",
            self.base.trim_end_matches('/'),
            state.seq,
            state.config_version,
            self.wait.as_secs(),
            self.pop
        );
        let req = http::Request::get(uri)
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .body(Full::new(Bytes::new()))
            .map_err(|e| FeedError::Protocol(e.to_string()))?;
        // The server holds the request up to `wait`; give it a margin before giving up.
        let deadline = self.wait + Duration::from_secs(10);
        let resp = tokio::time::timeout(deadline, client.request(req))
            .await
            .map_err(|_| FeedError::Unreachable("long-poll timed out".into()))?
            .map_err(|e| FeedError::Unreachable(e.to_string()))?;
        let status = resp.status();
        if status == http::StatusCode::NO_CONTENT || status == http::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if status == http::StatusCode::FORBIDDEN || status == http::StatusCode::UNAUTHORIZED {
            return Err(FeedError::Refused(status.as_u16()));
        }
        if !status.is_success() {
            return Err(FeedError::Protocol(format!("HTTP {status}")));
        }
        let body = http_body_util::Limited::new(resp.into_body(), MAX_UPDATE_BYTES)
            .collect()
            .await
            .map_err(|e| FeedError::Unreachable(e.to_string()))?
            .to_bytes();
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| FeedError::Protocol(e.to_string()))
    }

    async fn report<C>(
        &self,
        client: &Client<C, Full<Bytes>>,
        state: &State,
        completed: &[String],
    ) -> Result<(), FeedError>
    where
        C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
    {
        let report = EdgeReport {
            pop: self.pop.clone(),
            address: self.address.clone(),
            config_version: state.config_version,
            seq: state.seq,
            completed_invalidations: completed.to_vec(),
        };
        let body = serde_json::to_vec(&report).map_err(|e| FeedError::Protocol(e.to_string()))?;
        let req = http::Request::post(format!("{}{REPORT_PATH}", self.base.trim_end_matches('/')))
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| FeedError::Protocol(e.to_string()))?;
        let resp = tokio::time::timeout(Duration::from_secs(10), client.request(req))
            .await
            .map_err(|_| FeedError::Unreachable("report timed out".into()))?
            .map_err(|e| FeedError::Unreachable(e.to_string()))?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            s @ (http::StatusCode::FORBIDDEN | http::StatusCode::UNAUTHORIZED) => {
                Err(FeedError::Refused(s.as_u16()))
            }
            s => Err(FeedError::Protocol(format!("report: HTTP {s}"))),
        }
    }
}

fn read_state(dir: &Path) -> Option<State> {
    let text = std::fs::read(dir.join(STATE_FILE)).ok()?;
    serde_json::from_slice(&text).ok()
}

fn write_state(dir: &Path, state: &State) -> Result<(), FeedError> {
    let bytes = serde_json::to_vec(state).map_err(|e| FeedError::Protocol(e.to_string()))?;
    write_atomically(&dir.join(STATE_FILE), &bytes)?;
    Ok(())
}

/// [`write_atomically`], readable by the owner only (private keys, credentials).
///
/// # Errors
/// The file cannot be written or renamed into place.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Writes through a temporary file, fsync and rename: a crash leaves the old file or the new
/// one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder {
        configs: Vec<u64>,
        invalidations: Vec<String>,
        refuse_config: bool,
    }

    impl Apply for Recorder {
        fn config(&mut self, version: u64, _document: &[u8]) -> Result<(), String> {
            if self.refuse_config {
                return Err("refused".into());
            }
            self.configs.push(version);
            Ok(())
        }
        fn invalidate(&mut self, inv: &Invalidation) -> Result<(), String> {
            self.invalidations.push(inv.id.clone());
            Ok(())
        }
    }

    fn client(dir: &Path) -> FeedClient {
        FeedClient {
            base: "http://127.0.0.1:1".into(),
            token: "t".into(),
            pop: "IAD50-C1".into(),
            address: "127.0.0.2:8080".into(),
            state_dir: dir.to_owned(),
            wait: Duration::from_secs(1),
        }
    }

    fn inv(id: &str, seq: u64) -> Invalidation {
        Invalidation {
            id: id.into(),
            distribution_id: "E1".into(),
            paths: vec!["/*".into()],
            seq,
        }
    }

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "brink-feed-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn an_update_is_applied_in_order_persisted_and_not_applied_twice() {
        let dir = tempdir("order");
        let c = client(&dir);
        let mut rec = Recorder::default();
        let mut state = State::default();
        let update = FeedUpdate {
            seq: 3,
            config_version: 2,
            config: Some(serde_json::json!({"Distributions": []})),
            invalidations: vec![inv("I1", 1), inv("I3", 3)],
            files: vec![FeedFile {
                name: "certs/a.pem".into(),
                contents: "pem".into(),
            }],
        };
        let done = c
            .apply_update(&mut rec, &mut state, update.clone())
            .expect("apply");
        assert_eq!(done, vec!["I1".to_owned(), "I3".to_owned()]);
        assert_eq!(rec.configs, vec![2]);
        assert_eq!(
            state,
            State {
                seq: 3,
                config_version: 2
            }
        );
        // Persisted: a restart starts from there, with the document.
        let (v, doc) = FeedClient::persisted_config(&dir).expect("persisted");
        assert_eq!(v, 2);
        assert_eq!(doc, br#"{"Distributions":[]}"#);
        assert_eq!(
            std::fs::read(dir.join("certs/a.pem")).expect("file"),
            b"pem"
        );
        // The same update again changes nothing.
        let mut state = read_state(&dir).expect("state");
        let done = c.apply_update(&mut rec, &mut state, update).expect("apply");
        assert!(done.is_empty());
        assert_eq!(rec.configs, vec![2]);
        assert_eq!(rec.invalidations.len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_refused_document_keeps_the_previous_version() {
        let dir = tempdir("refused");
        let c = client(&dir);
        let mut rec = Recorder {
            refuse_config: true,
            ..Recorder::default()
        };
        let mut state = State {
            seq: 1,
            config_version: 1,
        };
        let update = FeedUpdate {
            seq: 2,
            config_version: 2,
            config: Some(serde_json::json!({})),
            invalidations: vec![],
            files: vec![],
        };
        c.apply_update(&mut rec, &mut state, update).expect("apply");
        assert_eq!(state.config_version, 1);
        assert!(FeedClient::persisted_config(&dir).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_safe_relative_file_names() {
        let f = |n: &str| FeedFile {
            name: n.into(),
            contents: String::new(),
        };
        assert!(f("certs/x-1.pem").safe_name());
        for bad in ["", "/etc/x", "../x", "certs/../x", "a//b", "a/./b", "a b"] {
            assert!(!f(bad).safe_name(), "{bad}");
        }
    }

    #[test]
    fn the_wire_shape_is_camel_case() {
        let u = FeedUpdate {
            seq: 1,
            config_version: 1,
            config: None,
            invalidations: vec![inv("I1", 1)],
            files: vec![],
        };
        let s = serde_json::to_string(&u).expect("json");
        assert_eq!(
            s,
            r#"{"seq":1,"configVersion":1,"invalidations":[{"id":"I1","distributionId":"E1","paths":["/*"],"seq":1}]}"#
        );
    }
}

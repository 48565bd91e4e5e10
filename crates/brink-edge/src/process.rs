//! Process state outside the request lifecycle: what the worker threads share (cache,
//! clock, telemetry, the distributions in force), signal handling, and configuration reload
//! (SIGHUP, file change, or an [`EdgeHandle`](crate::EdgeHandle) installing a model).

use std::sync::Arc;

use brink_cache::BanPattern;
use brink_cache::{Cache, Clock, ManualClock};
use brink_http::key::PurgePattern;

use crate::config::{EdgeConfig, ModelSource};
use crate::lifecycle::log::Telemetry;
use crate::tls;

/// State shared by the per-thread edge workers: the cache and the clock.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) models: Arc<Models>,
    pub(crate) cache: Arc<Cache>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) manual_clock: Option<Arc<ManualClock>>,
    pub(crate) telemetry: Arc<Telemetry>,
    /// Open viewer connections of every worker (reported on `/healthz` for the request
    /// router's load shedding).
    pub(crate) connections: Arc<std::sync::atomic::AtomicU64>,
    /// Indexes of MP4 files served as HLS (`lifecycle/media.rs`).
    pub(crate) media: Arc<crate::lifecycle::IndexMemo>,
}

impl Shared {
    pub(crate) fn new(cfg: &EdgeConfig) -> Shared {
        let (clock, manual_clock): (Arc<dyn Clock>, _) = if cfg.manual_clock {
            let m = Arc::new(ManualClock::default());
            (m.clone(), Some(m))
        } else {
            (Arc::new(brink_cache::SystemClock), None)
        };
        let cache = match &cfg.disk {
            None => Cache::new(cfg.cache),
            Some(d) => match brink_cache::DiskStore::open(d) {
                Ok(store) => Cache::with_disk(cfg.cache, store),
                Err(e) => {
                    // Serving from memory and the origin beats not serving.
                    tracing::error!(dir = %d.dir.display(), error = %e, "disk tier unavailable; memory only");
                    Cache::new(cfg.cache)
                }
            },
        };
        let metrics = Arc::new(brink_telemetry::EdgeMetrics::new());
        let log = cfg.access_log.as_ref().and_then(|l| {
            let mut c = brink_telemetry::AccessLogConfig::new(l.dir.clone(), cfg.pop.clone());
            c.gzip = l.gzip;
            c.fields = l.fields.clone();
            match brink_telemetry::AccessLog::start(c) {
                Ok(log) => {
                    metrics.attach_access_log(log.stats());
                    Some(Arc::new(log))
                }
                Err(e) => {
                    tracing::error!(dir = %l.dir.display(), error = %e, "access log unavailable");
                    None
                }
            }
        });
        Shared {
            models: Arc::new(Models {
                version: std::sync::atomic::AtomicU64::new(0),
                current: parking_lot::RwLock::new(cfg.model.clone()),
                access: parking_lot::Mutex::new(None),
            }),
            cache,
            clock,
            manual_clock,
            connections: Arc::default(),
            media: Arc::default(),
            telemetry: Arc::new(Telemetry {
                metrics,
                log,
                pop: cfg.pop.as_str().into(),
                scraped: Arc::new(parking_lot::Mutex::new(Default::default())),
            }),
        }
    }
}

/// The distributions in force, replaced as a whole by a reload; workers notice the version
/// change at their next request and rebuild their routers (and origin pools) from it.
#[derive(Debug)]
pub(crate) struct Models {
    version: std::sync::atomic::AtomicU64,
    pub(crate) current: parking_lot::RwLock<Option<Arc<brink_model::Model>>>,
    /// The viewer-access state (public keys parsed, signed behaviors compiled) of the model
    /// in force, built by the first worker that needs it and shared by all: keys are parsed
    /// once per configuration version, not once per worker.
    access: parking_lot::Mutex<
        Option<(
            Arc<brink_model::Model>,
            Arc<crate::lifecycle::route::Access>,
        )>,
    >,
}

impl Models {
    /// The cache scope an admin purge for `distribution` applies to: `""` for `brink serve`
    /// (which takes no distribution), the distribution id for `brink edge` (which needs one).
    pub(crate) fn purge_scope(
        &self,
        distribution: Option<&str>,
    ) -> Result<String, PurgeScopeError> {
        match (&*self.current.read(), distribution) {
            (None, None) => Ok(String::new()),
            (None, Some(_)) => Err(PurgeScopeError::NoDistributions),
            (Some(_), None) => Err(PurgeScopeError::Missing),
            (Some(m), Some(id)) if m.by_id(id).is_some() => Ok(id.to_owned()),
            (Some(_), Some(_)) => Err(PurgeScopeError::Unknown),
        }
    }

    /// The viewer-access state of `model`, built once (by `build`) per model.
    pub(crate) fn access_for(
        &self,
        model: &Arc<brink_model::Model>,
        build: impl FnOnce() -> crate::lifecycle::route::Access,
    ) -> Arc<crate::lifecycle::route::Access> {
        let mut memo = self.access.lock();
        if let Some((m, a)) = &*memo {
            if Arc::ptr_eq(m, model) {
                return a.clone();
            }
        }
        let access = Arc::new(build());
        *memo = Some((model.clone(), access.clone()));
        access
    }

    pub(crate) fn version(&self) -> u64 {
        self.version.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Puts a new model in force.
    pub(crate) fn replace(&self, model: Arc<brink_model::Model>) {
        *self.current.write() = Some(model);
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }
}

/// Why an admin purge names no usable cache scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PurgeScopeError {
    /// `brink serve` has no distributions.
    NoDistributions,
    /// `brink edge` keys its cache by distribution: one must be named.
    Missing,
    /// No distribution has this id (CloudFront: `NoSuchDistribution`).
    Unknown,
}

/// What a signal asks for.
enum SignalEvent {
    /// SIGTERM or SIGINT (the name).
    Stop(&'static str),
    /// SIGHUP.
    Reload,
}

/// The signals `run` handles.
pub(crate) struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers (must run inside a runtime).
    pub(crate) fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> SignalEvent {
        tokio::select! {
            Some(()) = self.term.recv() => SignalEvent::Stop("SIGTERM"),
            Some(()) = self.int.recv() => SignalEvent::Stop("SIGINT"),
            Some(()) = self.hup.recv() => SignalEvent::Reload,
            // Only when the signal driver is gone, which does not happen while `run` runs.
            else => std::future::pending().await,
        }
    }
}

/// Waits for a stop signal (reloading on SIGHUP meanwhile), then drains the workers within
/// `grace`. Returns whether every worker finished.
pub(crate) async fn supervise(
    mut signals: Signals,
    shutdown: tokio::sync::watch::Sender<bool>,
    mut workers: tokio::sync::mpsc::Receiver<()>,
    tls: Option<Arc<tls::ViewerTls>>,
    grace: std::time::Duration,
    mut reloader: Reloader,
) -> bool {
    let mut poll = tokio::time::interval(CONFIG_POLL);
    loop {
        tokio::select! {
            _ = workers.recv() => {
                tracing::error!("every worker thread has stopped; exiting");
                return true;
            }
            _ = poll.tick() => reloader.if_changed(),
            event = signals.next() => match event {
                SignalEvent::Reload => {
                    reload(tls.as_deref());
                    reloader.reload("SIGHUP");
                }
                SignalEvent::Stop(name) => {
                    tracing::info!(
                        signal = name,
                        grace_secs = grace.as_secs_f64(),
                        "shutting down: no new connections, waiting for in-flight requests"
                    );
                    break;
                }
            },
        }
    }
    shutdown.send_replace(true);
    let deadline = tokio::time::sleep(grace);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = workers.recv() => {
                tracing::info!("all connections finished; exiting");
                return true;
            }
            () = &mut deadline => {
                tracing::warn!(
                    grace_secs = grace.as_secs_f64(),
                    "shutdown grace period over with requests still in flight; exiting anyway"
                );
                return false;
            }
            event = signals.next() => match event {
                SignalEvent::Reload => reload(tls.as_deref()),
                SignalEvent::Stop(name) => {
                    tracing::warn!(signal = name, "second stop signal; exiting now");
                    return false;
                }
            },
        }
    }
}

/// How often the configuration file's modification time is checked.
const CONFIG_POLL: std::time::Duration = std::time::Duration::from_millis(500);

pub(crate) fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reloads the distributions on SIGHUP and when their file changes.
pub(crate) struct Reloader {
    pub(crate) source: Option<ModelSource>,
    pub(crate) models: Arc<Models>,
    /// Viewer TLS, rebuilt with every accepted model (its certificates, SNI names, policies).
    pub(crate) tls: Option<Arc<tls::ViewerTls>>,
    pub(crate) modified: Option<std::time::SystemTime>,
    /// The geo database (`--geo-db`), swapped when its file changes.
    pub(crate) geo: Option<Arc<brink_geo::WatchedGeoDb>>,
}

impl Reloader {
    fn if_changed(&mut self) {
        if let Some(geo) = &self.geo {
            match geo.reload_if_changed() {
                brink_geo::Reload::Unchanged => {}
                brink_geo::Reload::Reloaded => {
                    tracing::info!("geo database file changed: reloaded")
                }
                brink_geo::Reload::Failed(e) => tracing::error!(
                    error = %e,
                    "geo database file changed but cannot be used; keeping the running one"
                ),
            }
        }
        let Some(src) = &self.source else { return };
        let now = modified(&src.path);
        if now.is_some() && now != self.modified {
            self.reload("file changed");
        }
    }

    /// Validates the file again; a valid model replaces the running one atomically, an
    /// invalid one is refused with every problem logged and the running one stays.
    fn reload(&mut self, why: &str) {
        let Some(src) = &self.source else { return };
        self.modified = modified(&src.path);
        match (src.load)() {
            Ok(model) => {
                let n = model.distributions().len();
                match install(&self.models, self.tls.as_deref(), model, why) {
                    Ok(()) => tracing::info!(why, distributions = n, "configuration reloaded"),
                    Err(problems) => tracing::error!(
                        why,
                        %problems,
                        "configuration reload refused (viewer certificates); keeping the running one"
                    ),
                }
            }
            Err(problems) => {
                tracing::error!(why, %problems, "configuration reload refused; keeping the running one")
            }
        }
    }
}

/// Puts a validated `model` in force: the viewer certificates it lists are loaded and the
/// TLS configurations rebuilt first; if that fails, nothing changes. The one path a reload
/// (SIGHUP, file change) and an [`EdgeHandle`] take. `why` goes to the log.
fn install(
    models: &Models,
    tls: Option<&tls::ViewerTls>,
    model: Arc<brink_model::Model>,
    why: &str,
) -> Result<(), String> {
    match tls {
        Some(tls) => tls.install_model(&model).map_err(|e| e.to_string())?,
        None if !model.certificates().is_empty() => tracing::warn!(
            why,
            "the file now lists Certificates but the listener was started without \
             TLS: they are used after a restart"
        ),
        None => {}
    }
    models.replace(model);
    Ok(())
}

/// Why a purge was refused.
#[derive(Debug)]
pub(crate) enum PurgeError {
    /// The distribution named (or its absence) does not fit this edge.
    Scope(PurgeScopeError),
    /// The path pattern is not valid.
    Pattern(String),
}

/// What a purge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Purged {
    /// Objects removed at once (an exact target's own entry).
    pub(crate) removed: u64,
    /// The sequence number of the ban that removes the rest (a wildcard, or an exact path's
    /// header/cookie/encoding variants) as lookups and the lurker meet them; `None` when no
    /// ban was needed.
    pub(crate) ban: Option<u64>,
}

/// Invalidates what `path` (an exact path or a `*`-ended prefix) matches in the cache, for
/// `distribution` (`None` for `brink serve`). Like a CloudFront invalidation, an exact path
/// takes every header, cookie and encoding variant of it too (they follow a `\n` in the key).
/// Nothing is scanned: the exact entry is removed at once, a wildcard and the variants become
/// bans (`brink_cache::Cache::ban`). Effective when it returns. The admin `POST /purge` and
/// [`EdgeHandle::invalidate`] both come here.
pub(crate) fn purge(
    cache: &Cache,
    models: &Models,
    distribution: Option<&str>,
    path: &str,
) -> Result<Purged, PurgeError> {
    let scope = models
        .purge_scope(distribution)
        .map_err(PurgeError::Scope)?;
    let pattern = PurgePattern::parse(path).map_err(|e| PurgeError::Pattern(e.to_string()))?;
    let out = match &pattern {
        PurgePattern::Exact(target) => Purged {
            removed: cache.purge(&scope, &pattern),
            // Variants, and range slices (lifecycle/slice.rs, `brink serve` too), follow
            // the target after a `\n`.
            ban: Some(cache.ban(&scope, &BanPattern::Variants(target.clone()))),
        },
        PurgePattern::Prefix(_) => Purged {
            removed: 0,
            ban: Some(cache.ban(&scope, &BanPattern::from_purge(&pattern))),
        },
    };
    tracing::info!(path, distribution = scope, purged = out.removed, ban = ?out.ban, "purge");
    Ok(out)
}

/// What an external configuration source (a control plane) needs from a running edge:
/// install a new model, invalidate cached paths. Handed to `run`'s ready callback; cheap to
/// clone, usable from any thread.
#[derive(Clone)]
pub struct EdgeHandle {
    models: Arc<Models>,
    tls: Option<Arc<tls::ViewerTls>>,
    cache: Arc<Cache>,
}

impl std::fmt::Debug for EdgeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeHandle").finish_non_exhaustive()
    }
}

impl EdgeHandle {
    pub(crate) fn new(shared: &Shared, tls: Option<Arc<tls::ViewerTls>>) -> EdgeHandle {
        EdgeHandle {
            models: shared.models.clone(),
            tls,
            cache: shared.cache.clone(),
        }
    }

    /// Puts `model` (already validated: a compiled [`brink_model::Model`]) in force the way
    /// a reload does: its viewer certificates are loaded first, and workers switch to it at
    /// their next request; the cache is untouched. Certificates listed while the listener
    /// runs without TLS are used after a restart (logged).
    ///
    /// # Errors
    /// A viewer certificate could not be loaded or does not cover its aliases: the running
    /// model stays.
    pub fn install_model(&self, model: Arc<brink_model::Model>) -> Result<(), String> {
        let n = model.distributions().len();
        install(
            &self.models,
            self.tls.as_deref(),
            model,
            "installed by handle",
        )?;
        tracing::info!(distributions = n, "configuration installed");
        Ok(())
    }

    /// Invalidates `pattern` (an exact path, or a prefix ending in `*`) of `distribution`
    /// (its `Id`; `""` for `brink serve`), as the admin `POST /purge` does. Effective when
    /// it returns; the number of objects removed at once (a wildcard's and the variants'
    /// objects are banned, and removed as they are met: none are counted here).
    ///
    /// # Errors
    /// An unknown distribution (`NoSuchDistribution`), a distribution named to `brink serve`
    /// or none to `brink edge`, or an invalid pattern.
    pub fn invalidate(&self, distribution: &str, pattern: &str) -> Result<u64, String> {
        let distribution = (!distribution.is_empty()).then_some(distribution);
        purge(&self.cache, &self.models, distribution, pattern)
            .map(|p| p.removed)
            .map_err(|e| match e {
                PurgeError::Scope(PurgeScopeError::Unknown) => "NoSuchDistribution".to_owned(),
                PurgeError::Scope(PurgeScopeError::NoDistributions) => {
                    "brink serve has no distributions".to_owned()
                }
                PurgeError::Scope(PurgeScopeError::Missing) => {
                    "a distribution id is required".to_owned()
                }
                PurgeError::Pattern(e) => e,
            })
    }
}

/// SIGHUP: re-reads the default viewer certificate, keeping the old one when that fails.
fn reload(tls: Option<&tls::ViewerTls>) {
    let Some(tls) = tls else {
        tracing::info!("SIGHUP: no TLS certificate configured, nothing to reload");
        return;
    };
    match tls.reload_default() {
        Ok(true) => tracing::info!(
            cert = %tls.files().map(|f| f.cert.display().to_string()).unwrap_or_default(),
            "SIGHUP: TLS certificate reloaded"
        ),
        Ok(false) => {}
        Err(e) => tracing::error!(
            error = %e,
            "SIGHUP: TLS certificate reload failed; keeping the current certificate"
        ),
    }
}

#[cfg(test)]
mod tests {
    /// A control-plane client keeps the handle on its own threads and tasks.
    #[test]
    fn edge_handle_is_clone_send_sync() {
        fn check<T: Clone + Send + Sync + 'static>() {}
        check::<super::EdgeHandle>();
    }
}

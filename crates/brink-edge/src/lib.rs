//! Brink's edge: a caching reverse proxy in front of one origin (`brink serve`).
//!
//! Owns the network side of caching: the viewer listener (HTTP/1.1 behind a strict framing
//! guard, h2c), the request lifecycle phases (`proxy`), delivery of stored objects
//! (`deliver`), the origin client, and the admin API. HTTP caching rules come from
//! `brink-http`, storage from `brink-cache`.

mod admin;
mod body;
mod compress;
mod config;
mod deliver;
mod errors;
pub mod h1guard;
mod headers;
mod logging;
mod origin;
mod proxy;
mod response_headers;
mod route;
mod server;
mod tls;

pub use body::{BodyError, EdgeBody, OriginBody};
pub use config::{
    AccessLogSettings, EdgeConfig, ModelSource, Origin, OriginError, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_ORIGIN_CONNECT_TIMEOUT, DEFAULT_ORIGIN_READ_TIMEOUT, DEFAULT_POP,
};
pub use errors::EdgeError;
pub use logging::Logged;
pub use proxy::Edge;
pub use tls::{check_viewer_certificates, OriginCa, TlsError, TlsFiles};

use std::net::SocketAddr;

/// The bound addresses of a running edge.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// Viewer listener.
    pub listen: SocketAddr,
    /// Admin listener.
    pub admin: Option<SocketAddr>,
}

/// Runs the edge on `threads` worker threads until SIGTERM or SIGINT; calls `on_ready` once
/// every listener is bound and the signal handlers are installed.
///
/// Thread per core: each worker thread runs its own single-threaded runtime with its own
/// `SO_REUSEPORT` listener on the same address and its own origin connection pool, so a
/// request is served start to finish on one thread without cross-thread wake-ups. The cache
/// and the clock are shared.
///
/// The calling thread binds the listeners and then handles signals:
/// * SIGTERM / SIGINT: every worker stops accepting and closes its listener, open
///   connections finish their in-flight requests (hyper's graceful shutdown), and `run`
///   returns once all are done, or after `cfg.shutdown_grace` regardless (a second signal
///   also cuts the wait short). Workers still busy then are left to die with the process.
/// * SIGHUP: the default viewer certificate and key are read again, and the distributions'
///   file with its certificates, and used for new handshakes; open connections and the
///   cache are untouched. A failed reload keeps the old certificate (and a refused file the
///   old distributions and their certificates).
///
/// # Errors
/// A listener could not be bound, a runtime or a signal handler could not start, or the
/// viewer certificate could not be loaded.
pub fn run(cfg: EdgeConfig, threads: usize, on_ready: impl FnOnce(Bound)) -> std::io::Result<()> {
    run_with_handle(cfg, threads, |bound, _| on_ready(bound))
}

/// What an outside configuration source (the control plane's feed) needs from a running
/// edge: put a new model in force and enforce invalidations, exactly as a reload of the file
/// and the admin API's purge do. Cheap to clone; usable from any thread.
#[derive(Clone)]
pub struct EdgeHandle {
    models: std::sync::Arc<proxy::Models>,
    cache: std::sync::Arc<brink_cache::Cache>,
    tls: Option<std::sync::Arc<tls::ViewerTls>>,
}

impl std::fmt::Debug for EdgeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeHandle").finish_non_exhaustive()
    }
}

impl EdgeHandle {
    /// Puts `model` in force (with its viewer certificates, when the listener speaks TLS):
    /// requests that start after this returns use it; connections and the cache are kept.
    ///
    /// # Errors
    /// The model's certificates cannot be used; the running model stays.
    pub fn install_model(&self, model: std::sync::Arc<brink_model::Model>) -> Result<(), String> {
        install(&self.models, self.tls.as_deref(), model, "control plane")
    }

    /// Removes every cached object of `distribution` that `pattern` (`/exact`, `/prefix*`)
    /// names, every variant of an exact path included, as a CloudFront invalidation does.
    /// Effective when it returns. An unknown distribution has nothing cached: `Ok(0)`.
    ///
    /// # Errors
    /// The pattern is not an invalidation path.
    pub fn invalidate(&self, distribution: &str, pattern: &str) -> Result<u64, String> {
        let p = brink_http::key::PurgePattern::parse(pattern).map_err(|e| e.to_string())?;
        if self.models.purge_scope(Some(distribution)).is_err() {
            return Ok(0);
        }
        Ok(admin::purge(&self.cache, distribution, &p))
    }
}

/// [`run`], handing `on_ready` an [`EdgeHandle`] too.
///
/// # Errors
/// As [`run`].
pub fn run_with_handle(
    cfg: EdgeConfig,
    threads: usize,
    on_ready: impl FnOnce(Bound, EdgeHandle),
) -> std::io::Result<()> {
    let threads = threads.max(1);
    // The listener speaks TLS when there is a default certificate (`--tls-cert`) or the
    // distributions' file lists certificates; it is plain HTTP otherwise.
    let model_certs = cfg
        .model
        .as_ref()
        .is_some_and(|m| !m.certificates().is_empty());
    let viewer_tls = if cfg.tls.is_some() || model_certs {
        Some(std::sync::Arc::new(
            tls::ViewerTls::new(cfg.tls.clone(), cfg.model.clone())
                .map_err(|e| tls::io_error(&e))?,
        ))
    } else {
        None
    };
    let shared = proxy::Shared::new(&cfg);
    let rt = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    // Bind everything on this thread first, so that errors and the bound port are known
    // before any worker starts. The same runtime then waits for signals.
    let control = rt()?;
    let mut listeners = Vec::with_capacity(threads);
    let first = control.block_on(server::bind_reuseport(cfg.listen))?;
    let listen = first.local_addr()?;
    let first_std = first.into_std()?;
    listeners.push(first_std);
    for _ in 1..threads {
        let l = control.block_on(server::bind_reuseport(listen))?;
        listeners.push(l.into_std()?);
    }
    let admin = match cfg.admin {
        Some(a) => Some(control.block_on(server::bind(a))?.into_std()?),
        None => None,
    };
    let bound = Bound {
        listen,
        admin: admin
            .as_ref()
            .map(std::net::TcpListener::local_addr)
            .transpose()?,
    };
    // Installed before anyone can learn the port, so an early SIGTERM is never fatal.
    let signals = {
        let _in_runtime = control.enter();
        Signals::new()?
    };

    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    // Every worker thread holds a sender until it ends: `recv` yields `None` once all are gone.
    let (alive_tx, alive_rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut handles = Vec::with_capacity(threads);
    let mut admin = admin;
    for (i, listener) in listeners.into_iter().enumerate() {
        let cfg = cfg.clone();
        let shared = shared.clone();
        let admin = if i == 0 { admin.take() } else { None };
        let tls = viewer_tls.clone();
        let shutdown = shutdown_rx.clone();
        let alive = alive_tx.clone();
        let runtime = rt()?;
        let handle = std::thread::Builder::new()
            .name(format!("brink-edge-{i}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let edge = Edge::new(cfg, &shared);
                    if let Some(admin) = admin {
                        match tokio::net::TcpListener::from_std(admin) {
                            Ok(a) => {
                                tokio::spawn(admin::serve_admin(edge.clone(), a));
                            }
                            Err(e) => tracing::error!(error = %e, "admin listener"),
                        }
                    }
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => server::serve_viewers(edge, l, tls, shutdown).await,
                        Err(e) => tracing::error!(error = %e, "viewer listener"),
                    }
                });
                // Tasks still on this runtime (admin, background work) end here; only then
                // does the worker count as gone.
                drop(runtime);
                drop(alive);
            })?;
        handles.push(handle);
    }
    drop(alive_tx);
    drop(shutdown_rx);
    on_ready(
        bound,
        EdgeHandle {
            models: shared.models.clone(),
            cache: shared.cache.clone(),
            tls: viewer_tls.clone(),
        },
    );
    let reloader = Reloader {
        source: cfg.model_source.clone(),
        models: shared.models.clone(),
        tls: viewer_tls.clone(),
        modified: cfg.model_source.as_ref().and_then(|s| modified(&s.path)),
    };
    let drained = control.block_on(supervise(
        signals,
        shutdown_tx,
        alive_rx,
        viewer_tls,
        cfg.shutdown_grace,
        reloader,
    ));
    if drained {
        for h in handles {
            let _ = h.join();
        }
    }
    Ok(())
}

/// What a signal asks for.
enum SignalEvent {
    /// SIGTERM or SIGINT (the name).
    Stop(&'static str),
    /// SIGHUP.
    Reload,
}

/// The signals `run` handles.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers (must run inside a runtime).
    fn new() -> std::io::Result<Signals> {
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
async fn supervise(
    mut signals: Signals,
    shutdown: tokio::sync::watch::Sender<bool>,
    mut workers: tokio::sync::mpsc::Receiver<()>,
    tls: Option<std::sync::Arc<tls::ViewerTls>>,
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

fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reloads the distributions on SIGHUP and when their file changes.
struct Reloader {
    source: Option<ModelSource>,
    models: std::sync::Arc<proxy::Models>,
    /// Viewer TLS, rebuilt with every accepted model (its certificates, SNI names, policies).
    tls: Option<std::sync::Arc<tls::ViewerTls>>,
    modified: Option<std::time::SystemTime>,
}

impl Reloader {
    fn if_changed(&mut self) {
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
                if let Err(problems) = install(&self.models, self.tls.as_deref(), model, why) {
                    tracing::error!(
                        why,
                        %problems,
                        "configuration reload refused (viewer certificates); keeping the running one"
                    );
                }
            }
            Err(problems) => {
                tracing::error!(why, %problems, "configuration reload refused; keeping the running one")
            }
        }
    }
}

/// Puts a validated model in force, its viewer certificates first (a model whose
/// certificates cannot be used is refused and the running one stays).
fn install(
    models: &proxy::Models,
    tls: Option<&tls::ViewerTls>,
    model: std::sync::Arc<brink_model::Model>,
    why: &str,
) -> Result<(), String> {
    let n = model.distributions().len();
    match tls {
        Some(tls) => tls.install_model(&model).map_err(|p| p.to_string())?,
        None if !model.certificates().is_empty() => tracing::warn!(
            why,
            "the configuration now lists Certificates but the listener was started without \
             TLS: they are used after a restart"
        ),
        None => {}
    }
    models.replace(model);
    tracing::info!(why, distributions = n, "configuration reloaded");
    Ok(())
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

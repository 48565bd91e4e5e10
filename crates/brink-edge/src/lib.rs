//! Brink's edge: a caching reverse proxy in front of one origin (`brink serve`).
//!
//! Owns the network side of caching: the viewer listener (HTTP/1.1 behind a strict framing
//! guard, h2c), the request lifecycle (`lifecycle`: one file per phase, delivery of stored
//! objects included), the per-behavior policy (`policy`), process state (`process`,
//! `worker`), the origin client, and the admin API. HTTP caching rules come from
//! `brink-http`, storage from `brink-cache`.

mod admin;
mod balance;
mod body;
mod compress;
mod config;
mod errors;
pub mod h1guard;
mod headers;
mod lifecycle;
mod origin;
mod policy;
mod process;
mod rtmp;
mod s3;
mod server;
mod tls;
mod worker;
mod zerocopy;

pub use body::{BodyError, EdgeBody, OriginBody};
pub use config::{
    AccessLogSettings, EdgeConfig, ModelSource, Origin, OriginError, S3Settings, Sendfile,
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_ORIGIN_CONNECT_TIMEOUT,
    DEFAULT_ORIGIN_READ_TIMEOUT, DEFAULT_POP,
};
pub use errors::EdgeError;
pub use lifecycle::log::Logged;
pub use lifecycle::slice::RangeFill;
pub use policy::forward::ForwardHeaders;
pub use process::EdgeHandle;
pub use s3::{s3_bucket_region, s3_canonical_target, ServiceCredentials};
pub use tls::{check_viewer_certificates, OriginCa, TlsError, TlsFiles};
pub use worker::Edge;

use std::net::SocketAddr;

/// The bound addresses of a running edge.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// Viewer listener.
    pub listen: SocketAddr,
    /// The TLS-only viewer listener (`tls_listen`), if any.
    pub tls_listen: Option<SocketAddr>,
    /// The RTMP listener (`rtmp_listen`), if any.
    pub rtmp: Option<SocketAddr>,
    /// Admin listener.
    pub admin: Option<SocketAddr>,
    /// S3 Transfer Acceleration listener (`--accelerate-listen`).
    pub accelerate: Option<SocketAddr>,
}

/// Runs the edge on `threads` worker threads until SIGTERM or SIGINT; calls `on_ready` once
/// every listener is bound and the signal handlers are installed, with the bound addresses
/// and an [`EdgeHandle`] through which an external configuration source installs models and
/// invalidates paths.
///
/// Thread per core: each worker thread runs its own single-threaded runtime with its own
/// `SO_REUSEPORT` listener on the same address (connections kept even between the workers,
/// `balance.rs`) and its own origin connection pool, so a
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
pub fn run(
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
    let viewer_tls = if cfg.tls.is_some() || model_certs || cfg.tls_listen.is_some() {
        Some(std::sync::Arc::new(
            tls::ViewerTls::new(cfg.tls.clone(), cfg.model.clone())
                .map_err(|e| tls::io_error(&e))?,
        ))
    } else {
        None
    };
    let shared = process::Shared::new(&cfg);
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
    // With a TLS listener of its own, the main one stays plain HTTP.
    let mut tls_listeners = Vec::with_capacity(threads);
    let mut tls_listen = None;
    if let Some(addr) = cfg.tls_listen {
        let first = control.block_on(server::bind_reuseport(addr))?;
        let bound_tls = first.local_addr()?;
        tls_listeners.push(first.into_std()?);
        for _ in 1..threads {
            let l = control.block_on(server::bind_reuseport(bound_tls))?;
            tls_listeners.push(l.into_std()?);
        }
        tls_listen = Some(bound_tls);
    }
    let main_tls = if tls_listen.is_some() {
        None
    } else {
        viewer_tls.clone()
    };
    let mut tls_listeners = tls_listeners.into_iter();
    // Connection balancing between the workers, one group per listener (`balance.rs`).
    let mut plain_seats = balance::Balancer::seats(threads).into_iter();
    let mut tls_seats = balance::Balancer::seats(threads).into_iter();
    let rtmp = match cfg.rtmp_listen {
        Some(a) => Some(control.block_on(server::bind(a))?.into_std()?),
        None => None,
    };
    let admin = match cfg.admin {
        Some(a) => Some(control.block_on(server::bind(a))?.into_std()?),
        None => None,
    };
    let accelerate = match cfg.s3.accelerate_listen {
        Some(a) => Some(control.block_on(server::bind(a))?.into_std()?),
        None => None,
    };
    let bound = Bound {
        accelerate: accelerate
            .as_ref()
            .map(std::net::TcpListener::local_addr)
            .transpose()?,
        listen,
        tls_listen,
        rtmp: rtmp
            .as_ref()
            .map(std::net::TcpListener::local_addr)
            .transpose()?,
        admin: admin
            .as_ref()
            .map(std::net::TcpListener::local_addr)
            .transpose()?,
    };
    // Installed before anyone can learn the port, so an early SIGTERM is never fatal.
    let signals = {
        let _in_runtime = control.enter();
        process::Signals::new()?
    };

    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    // Every worker thread holds a sender until it ends: `recv` yields `None` once all are gone.
    let (alive_tx, alive_rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut handles = Vec::with_capacity(threads);
    let mut admin = admin;
    let mut rtmp = rtmp;
    let mut accelerate = accelerate;
    for (i, listener) in listeners.into_iter().enumerate() {
        let cfg = cfg.clone();
        let shared = shared.clone();
        let admin = if i == 0 { admin.take() } else { None };
        let rtmp = if i == 0 { rtmp.take() } else { None };
        let accelerate = if i == 0 { accelerate.take() } else { None };
        let tls = main_tls.clone();
        let second = tls_listeners.next().zip(viewer_tls.clone());
        let plain_seat = plain_seats.next().filter(|_| threads > 1);
        let tls_seat = tls_seats.next().filter(|_| threads > 1);
        let shutdown = shutdown_rx.clone();
        let alive = alive_tx.clone();
        let runtime = rt()?;
        let handle = std::thread::Builder::new()
            .name(format!("brink-edge-{i}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let edge = Edge::new(cfg, &shared);
                    if let Some(rtmp) = rtmp {
                        match tokio::net::TcpListener::from_std(rtmp) {
                            Ok(l) => {
                                tokio::spawn(rtmp::serve_rtmp(edge.clone(), l, shutdown.clone()));
                            }
                            Err(e) => tracing::error!(error = %e, "rtmp listener"),
                        }
                    }
                    if let Some(admin) = admin {
                        match tokio::net::TcpListener::from_std(admin) {
                            Ok(a) => {
                                tokio::spawn(admin::serve_admin(edge.clone(), a));
                            }
                            Err(e) => tracing::error!(error = %e, "admin listener"),
                        }
                    }
                    // S3 Transfer Acceleration (plain HTTP): served by the first worker.
                    if let Some(a) = accelerate {
                        match tokio::net::TcpListener::from_std(a) {
                            Ok(a) => {
                                tokio::spawn(server::serve_viewers(
                                    edge.clone(),
                                    a,
                                    None,
                                    shutdown.clone(),
                                    true,
                                    None,
                                ));
                            }
                            Err(e) => tracing::error!(error = %e, "accelerate listener"),
                        }
                    }
                    let plain = async {
                        match tokio::net::TcpListener::from_std(listener) {
                            Ok(l) => {
                                server::serve_viewers(
                                    edge.clone(),
                                    l,
                                    tls,
                                    shutdown.clone(),
                                    false,
                                    plain_seat,
                                )
                                .await
                            }
                            Err(e) => tracing::error!(error = %e, "viewer listener"),
                        }
                    };
                    let secure = async {
                        let Some((listener, tls)) = second else {
                            return;
                        };
                        match tokio::net::TcpListener::from_std(listener) {
                            Ok(l) => {
                                server::serve_viewers(
                                    edge.clone(),
                                    l,
                                    Some(tls),
                                    shutdown.clone(),
                                    false,
                                    tls_seat,
                                )
                                .await
                            }
                            Err(e) => tracing::error!(error = %e, "TLS viewer listener"),
                        }
                    };
                    tokio::join!(plain, secure);
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
    on_ready(bound, EdgeHandle::new(&shared, viewer_tls.clone()));
    let reloader = process::Reloader {
        source: cfg.model_source.clone(),
        models: shared.models.clone(),
        tls: viewer_tls.clone(),
        geo: cfg.geo.clone(),
        modified: cfg
            .model_source
            .as_ref()
            .and_then(|s| process::modified(&s.path)),
    };
    let drained = control.block_on(process::supervise(
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

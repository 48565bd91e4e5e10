//! Brink's edge: a caching reverse proxy in front of one origin (`brink serve`).
//!
//! Owns the network side of caching: the viewer listener (HTTP/1.1 behind a strict framing
//! guard, h2c), the request lifecycle phases (`proxy`), delivery of stored objects
//! (`deliver`), the origin client, and the admin API. HTTP caching rules come from
//! `brink-http`, storage from `brink-cache`.

mod admin;
mod body;
mod config;
mod deliver;
mod errors;
pub mod h1guard;
mod headers;
mod origin;
mod proxy;
mod server;

pub use body::{BodyError, EdgeBody, OriginBody};
pub use config::{
    EdgeConfig, Origin, OriginError, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_ORIGIN_CONNECT_TIMEOUT, DEFAULT_ORIGIN_READ_TIMEOUT, DEFAULT_POP,
};
pub use errors::EdgeError;
pub use proxy::Edge;

use std::net::SocketAddr;

/// The bound addresses of a running edge.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// Viewer listener.
    pub listen: SocketAddr,
    /// Admin listener.
    pub admin: Option<SocketAddr>,
}

/// Runs the edge on `threads` worker threads until the process ends; calls `on_ready` once
/// every listener is bound.
///
/// Thread per core: each worker thread runs its own single-threaded runtime with its own
/// `SO_REUSEPORT` listener on the same address and its own origin connection pool, so a
/// request is served start to finish on one thread without cross-thread wake-ups. The cache
/// and the clock are shared.
///
/// # Errors
/// A listener could not be bound or a runtime could not start.
pub fn run(cfg: EdgeConfig, threads: usize, on_ready: impl FnOnce(Bound)) -> std::io::Result<()> {
    let threads = threads.max(1);
    let shared = proxy::Shared::new(&cfg);
    let rt = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    // Bind everything on this thread first, so that errors and the bound port are known
    // before any worker starts.
    let first_rt = rt()?;
    let mut listeners = Vec::with_capacity(threads);
    let first = first_rt.block_on(server::bind_reuseport(cfg.listen))?;
    let listen = first.local_addr()?;
    let first_std = first.into_std()?;
    listeners.push(first_std);
    for _ in 1..threads {
        let l = first_rt.block_on(server::bind_reuseport(listen))?;
        listeners.push(l.into_std()?);
    }
    let admin = match cfg.admin {
        Some(a) => Some(first_rt.block_on(server::bind(a))?.into_std()?),
        None => None,
    };
    let bound = Bound {
        listen,
        admin: admin
            .as_ref()
            .map(std::net::TcpListener::local_addr)
            .transpose()?,
    };
    drop(first_rt);

    let mut handles = Vec::with_capacity(threads);
    let mut admin = admin;
    for (i, listener) in listeners.into_iter().enumerate() {
        let cfg = cfg.clone();
        let shared = shared.clone();
        let admin = if i == 0 { admin.take() } else { None };
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
                        Ok(l) => server::serve_viewers(edge, l).await,
                        Err(e) => tracing::error!(error = %e, "viewer listener"),
                    }
                });
            })?;
        handles.push(handle);
    }
    on_ready(bound);
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}

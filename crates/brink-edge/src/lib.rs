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
use std::sync::Arc;

/// The bound addresses of a running edge.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// Viewer listener.
    pub listen: SocketAddr,
    /// Admin listener.
    pub admin: Option<SocketAddr>,
}

/// Binds the listeners of `cfg`, then returns their addresses and a future that serves them
/// until the process ends.
///
/// # Errors
/// A listener could not be bound.
pub async fn start(
    cfg: EdgeConfig,
) -> std::io::Result<(Bound, impl std::future::Future<Output = ()>)> {
    let viewers = server::bind(cfg.listen).await?;
    let admin = match cfg.admin {
        Some(a) => Some(server::bind(a).await?),
        None => None,
    };
    let bound = Bound {
        listen: viewers.local_addr()?,
        admin: admin
            .as_ref()
            .map(tokio::net::TcpListener::local_addr)
            .transpose()?,
    };
    let edge: Arc<Edge> = Edge::new(cfg);
    let run = async move {
        let viewer_task = tokio::spawn(server::serve_viewers(edge.clone(), viewers));
        if let Some(admin) = admin {
            tokio::spawn(admin::serve_admin(edge, admin));
        }
        let _ = viewer_task.await;
    };
    Ok((bound, run))
}

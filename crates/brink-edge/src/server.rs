//! Listeners: the viewer listener (HTTP/1.1 behind the framing guard, and h2c with prior
//! knowledge on the same port) and the accept loop.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};

use crate::h1guard::{GuardTimeouts, GuardedIo, MAX_HEADERS};
use crate::proxy::{Conn, Edge};

/// Size of hyper's read buffer: above the guard's 20,480-byte head limit, so hyper never
/// refuses a head the guard let through.
const HYPER_MAX_BUF: usize = 64 * 1024;

/// Accepts viewer connections on `listener` forever.
pub(crate) async fn serve_viewers(edge: Arc<Edge>, listener: TcpListener) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .max_buf_size(HYPER_MAX_BUF)
        .max_headers(MAX_HEADERS)
        .keep_alive(true)
        // After a rejected head the guard ends the stream: hyper must still write the
        // error response rather than close on end-of-stream.
        .half_close(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .max_header_list_size(64 * 1024)
        .keep_alive_interval(Some(std::time::Duration::from_secs(30)));
    let builder = Arc::new(builder);
    let timeouts = GuardTimeouts {
        header_read: edge.cfg.header_read_timeout,
        idle: edge.cfg.idle_timeout,
    };
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: log, breathe, continue; never exit the accept loop.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        tokio::spawn(serve_connection(
            edge.clone(),
            builder.clone(),
            stream,
            peer,
            timeouts,
        ));
    }
}

async fn serve_connection(
    edge: Arc<Edge>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    stream: TcpStream,
    peer: SocketAddr,
    timeouts: GuardTimeouts,
) {
    let _ = stream.set_nodelay(true);
    let (io, guard) = GuardedIo::new(stream, timeouts);
    let conn = Conn {
        peer,
        guard: Some(guard),
    };
    let service = service_fn(move |req| {
        let edge = edge.clone();
        let conn = conn.clone();
        async move { Ok::<_, Infallible>(edge.handle(req, conn).await) }
    });
    if let Err(e) = builder
        .serve_connection_with_upgrades(TokioIo::new(io), service)
        .await
    {
        tracing::debug!(error = %e, %peer, "connection ended with an error");
    }
}

/// Binds a listener, reporting the address in the error.
///
/// # Errors
/// The OS error, with the address.
pub(crate) async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

/// Binds a listener with `SO_REUSEPORT`, so that each worker thread can have its own.
///
/// # Errors
/// The OS error, with the address.
pub(crate) async fn bind_reuseport(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let with_addr =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"));
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(with_addr)?;
    socket.set_reuseaddr(true).map_err(with_addr)?;
    socket.set_reuseport(true).map_err(with_addr)?;
    socket.set_nodelay(true).map_err(with_addr)?;
    socket.bind(addr).map_err(with_addr)?;
    socket.listen(4096).map_err(with_addr)
}

//! Listeners: the viewer listener and its accept loop.
//!
//! Plain text: HTTP/1.1 behind the framing guard, and h2c with prior knowledge, on one port.
//! With TLS (`--tls-cert`, or certificates in `brink edge`'s file): the same port speaks only
//! TLS, with the certificate and policies of the distribution the SNI names (`tls.rs`);
//! HTTP/2 when ALPN chose `h2`, otherwise HTTP/1.1 behind the same guard.
//!
//! Shutdown: when the process-wide shutdown signal flips, each worker stops accepting and
//! closes its listener, tells every open connection to finish (hyper's graceful shutdown:
//! in-flight requests complete, keep-alive ends, HTTP/2 gets a GOAWAY) and returns once the
//! last one is gone. The grace bound is enforced by `run`, not here.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::balance::{OpenOn, Seat};
use crate::h1guard::{GuardTimeouts, GuardedIo, MAX_HEADERS};
use crate::lifecycle::{Conn, Edge};
use crate::tls::{Accepted, ViewerTls};

/// Size of hyper's read buffer: above the guard's 20,480-byte head limit, so hyper never
/// refuses a head the guard let through.
const HYPER_MAX_BUF: usize = 64 * 1024;

/// The connection builders of one worker.
struct Builders {
    /// HTTP/1.1, or HTTP/2 when the connection opens with its preface.
    any: auto::Builder<TokioExecutor>,
    /// HTTP/2 only: TLS connections whose ALPN chose `h2`.
    h2: auto::Builder<TokioExecutor>,
    /// Connections of the `--accelerate-listen` listener (S3 Transfer Acceleration).
    accelerate: bool,
}

fn builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .max_buf_size(HYPER_MAX_BUF)
        .max_headers(MAX_HEADERS)
        // Body buffers are queued and written with writev, never copied into hyper's own
        // buffer: `zerocopy.rs` relies on seeing them as they were given.
        .writev(true)
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
    builder
}

/// Accepts viewer connections on `listener` until `shutdown` turns true (or its sender is
/// gone), then drains this worker's connections and returns. With a `seat`, connections are
/// balanced with the other workers of the same listener (`balance.rs`): some accepted here
/// are handed over, and those handed here are served.
pub(crate) async fn serve_viewers(
    edge: Arc<Edge>,
    listener: TcpListener,
    tls: Option<Arc<ViewerTls>>,
    mut shutdown: watch::Receiver<bool>,
    accelerate: bool,
    seat: Option<Seat>,
) {
    let builders = Arc::new(Builders {
        any: builder(),
        h2: builder().http2_only(),
        accelerate,
    });
    let timeouts = GuardTimeouts {
        header_read: edge.cfg.header_read_timeout,
        idle: edge.cfg.idle_timeout,
    };
    // Every connection task owns a receiver: it carries the "finish up" signal, and the
    // drain below waits until all of them are dropped.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (balancer, me, mut handed) = match seat {
        Some(s) => (Some(s.balancer), s.index, Some(s.handed)),
        None => (None, 0, None),
    };
    loop {
        let accepted = tokio::select! {
            biased;
            () = stopped(&mut shutdown) => break,
            Some((stream, peer, counted)) = async {
                match handed.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => TcpStream::from_std(stream).map(|s| (s, peer, Some(counted))),
            accepted = listener.accept() => match (accepted, &balancer) {
                (Ok((stream, peer)), Some(b)) => {
                    let to = b.pick(me);
                    let counted = b.opened(to);
                    if to == me {
                        Ok((stream, peer, Some(counted)))
                    } else {
                        match stream.into_std().map(|s| b.hand(to, (s, peer, counted))) {
                            Ok(Ok(())) => continue,
                            // The other worker is gone: serve it here after all.
                            Ok(Err((s, peer, _))) => TcpStream::from_std(s)
                                .map(|s| (s, peer, Some(b.opened(me)))),
                            Err(e) => Err(e),
                        }
                    }
                }
                (accepted, _) => accepted.map(|(s, peer)| (s, peer, None)),
            },
        };
        let (stream, peer, counted) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: log, breathe, continue; never exit the accept loop.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let incoming = Incoming {
            stream,
            peer,
            counted,
        };
        tokio::spawn(serve_connection(
            edge.clone(),
            builders.clone(),
            incoming,
            timeouts,
            tls.clone(),
            stop_rx.clone(),
        ));
    }
    // Closing the listener makes new connections to this worker's socket fail at once.
    drop(listener);
    stop_tx.send_replace(true);
    drop(stop_rx);
    tracing::info!(
        open = stop_tx.receiver_count(),
        "viewer listener closed; draining connections"
    );
    stop_tx.closed().await;
}

/// One open viewer connection in the shared count, until dropped.
struct OpenConnection(Arc<std::sync::atomic::AtomicU64>);

impl OpenConnection {
    fn new(count: &Arc<std::sync::atomic::AtomicU64>) -> OpenConnection {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OpenConnection(count.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A viewer connection this worker serves.
struct Incoming {
    stream: TcpStream,
    peer: SocketAddr,
    /// Counted among this worker's open connections (balancing) until dropped.
    counted: Option<OpenOn>,
}

async fn serve_connection(
    edge: Arc<Edge>,
    builders: Arc<Builders>,
    incoming: Incoming,
    timeouts: GuardTimeouts,
    tls: Option<Arc<ViewerTls>>,
    mut stop: watch::Receiver<bool>,
) {
    let Incoming {
        stream,
        peer,
        counted: _counted,
    } = incoming;
    let accelerate = builders.accelerate;
    let _ = stream.set_nodelay(true);
    // Counted while the connection is open, whatever ends it (load report on /healthz).
    let _open = OpenConnection::new(&edge.connections);
    let Some(tls) = tls else {
        let mut conn = Conn {
            peer,
            guard: None,
            tls: None,
            accelerate,
            zero_copy: None,
        };
        if !edge.cfg.sendfile.applies_to(peer.ip()) {
            return serve_guarded(&builders.any, edge, stream, conn, timeouts, stop).await;
        }
        let queue = crate::zerocopy::SendQueue::new(edge.telemetry.metrics.clone());
        conn.zero_copy = Some(queue.clone());
        let stream = crate::zerocopy::ZeroCopyStream::new(stream, queue);
        return serve_guarded(&builders.any, edge, stream, conn, timeouts, stop).await;
    };
    let accepted = tokio::select! {
        biased;
        () = stopped(&mut stop) => return,
        accepted = tls.accept(stream) => accepted,
    };
    let Some(Accepted { stream, info, h2 }) = accepted else {
        return;
    };
    if h2 {
        // ALPN settled the protocol: HTTP/2 needs no HTTP/1 framing guard (the edge applies
        // the head limits to HTTP/2 requests itself).
        let conn = Conn {
            peer,
            guard: None,
            tls: Some(info),
            accelerate,
            zero_copy: None,
        };
        let connection = builders
            .h2
            .serve_connection(TokioIo::new(stream), viewer_service(edge, conn));
        drive(connection, |c| c.graceful_shutdown(), stop, peer).await;
    } else {
        let conn = Conn {
            peer,
            guard: None,
            tls: Some(info),
            accelerate,
            zero_copy: None,
        };
        serve_guarded(&builders.any, edge, stream, conn, timeouts, stop).await;
    }
}

/// Serves one connection behind the HTTP/1 framing guard (which lets HTTP/2 prefaces pass).
async fn serve_guarded<I>(
    builder: &auto::Builder<TokioExecutor>,
    edge: Arc<Edge>,
    io: I,
    mut conn: Conn,
    timeouts: GuardTimeouts,
    stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (io, guard) = GuardedIo::new(io, timeouts);
    conn.guard = Some(guard);
    let peer = conn.peer;
    let connection =
        builder.serve_connection_with_upgrades(TokioIo::new(io), viewer_service(edge, conn));
    drive(connection, |c| c.graceful_shutdown(), stop, peer).await;
}

/// The per-connection service: every request goes to [`Edge::handle`] with the connection's
/// facts.
fn viewer_service(
    edge: Arc<Edge>,
    conn: Conn,
) -> impl hyper::service::Service<
    http::Request<hyper::body::Incoming>,
    Response = http::Response<crate::lifecycle::log::Logged>,
    Error = Infallible,
    Future = impl Future<Output = Result<http::Response<crate::lifecycle::log::Logged>, Infallible>>
                 + Send
                 + 'static,
> + Clone
       + Send
       + 'static {
    service_fn(move |req| {
        let edge = edge.clone();
        let conn = conn.clone();
        async move { Ok::<_, Infallible>(edge.handle(req, conn).await) }
    })
}

/// Resolves once `stop` is true, or its sender is gone (which also means stop).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Runs `connection` to its end; when `stop` turns true first, asks it to shut down
/// gracefully (via `shutdown`) and keeps driving it until it has.
async fn drive<C, E>(
    connection: C,
    shutdown: impl FnOnce(Pin<&mut C>),
    mut stop: watch::Receiver<bool>,
    peer: SocketAddr,
) where
    C: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        biased;
        result = connection.as_mut() => result,
        () = stopped(&mut stop) => {
            shutdown(connection.as_mut());
            connection.await
        }
    };
    if let Err(e) = result {
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

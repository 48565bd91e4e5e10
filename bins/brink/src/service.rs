//! What the long-running services without their own thread model (`brink control`,
//! `brink origin`) share: a small runtime, and the signals that stop them.

use anyhow::Context;

/// A two-thread runtime: these services serve the API and the feed, not viewer traffic.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// Completes on SIGTERM or SIGINT, logging that `what` is stopping. If the handlers cannot be
/// installed it never completes (the default action of those signals then ends the process).
pub(crate) async fn stop_signal(what: &'static str) {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
    tracing::info!("{what} stopping");
}

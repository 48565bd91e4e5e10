//! Health checks: each POP with a `health_url` is asked every interval; a failure (no answer
//! within the interval, or a status other than 2xx) takes it out of answers at once, a success
//! puts it back. So a POP that fails is out within two intervals (the next poll plus its
//! timeout), and back within one after it recovers.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::select::Selector;

/// Polls every POP with a `health_url` until the runtime stops.
pub fn spawn(selector: Arc<Selector>, interval: Duration) {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .build_http();
    for (i, pop) in selector.pops().iter().enumerate() {
        let Some(url) = pop.health_url.clone() else {
            continue;
        };
        let Ok(uri) = url.parse::<http::Uri>() else {
            selector.set_healthy(i, false);
            continue;
        };
        let client = client.clone();
        let selector = selector.clone();
        let code = pop.code.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let req = http::Request::get(uri.clone())
                    .body(Empty::<Bytes>::new())
                    .ok();
                let up = match req {
                    Some(req) => matches!(
                        tokio::time::timeout(interval, client.request(req)).await,
                        Ok(Ok(resp)) if resp.status().is_success()
                    ),
                    None => false,
                };
                if up != selector.is_healthy(i) {
                    tracing::info!(pop = %code, up, "POP health changed");
                }
                selector.set_healthy(i, up);
            }
        });
    }
}

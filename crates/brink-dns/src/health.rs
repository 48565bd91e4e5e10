//! Health checks and load: each POP with a `health_url` is asked every interval.
//!
//! * Health: a failure (no answer within the interval, or a status other than 2xx) takes the
//!   POP out of answers at once, a success puts it back. So a POP that fails is out within two
//!   intervals (the next poll plus its timeout), and back within one after it recovers.
//! * Load (shedding): an edge's `GET /healthz` carries [`LOAD_HEADER`], its open viewer
//!   connections. A POP with a `capacity` in the POP file becomes saturated when it reports
//!   at least `capacity` connections, and stops being saturated only when it reports fewer
//!   than 80 % of it ([`Load::next`]): the gap keeps a POP hovering at its capacity from
//!   flapping in and out of answers every interval. A saturated POP is skipped unless every
//!   healthy candidate is saturated ([`crate::select`]). An answer without the header, or a
//!   POP without `capacity`, never counts as saturated. Connections, not requests per second:
//!   the edge can count them without any per-request work, and they are what runs out first
//!   (sockets, memory per connection); a CDN's own router would weigh CPU and bandwidth too.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::select::Selector;

/// The response header of an edge's `/healthz` with its open viewer connections.
pub const LOAD_HEADER: &str = "brink-connections";

/// Saturation with hysteresis, for one POP of a given capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Connections at which the POP is full.
    pub capacity: u64,
}

impl Load {
    /// Whether the POP is saturated after reporting `connections` (`None`: no report), given
    /// whether it was.
    pub fn next(self, was: bool, connections: Option<u64>) -> bool {
        let Some(n) = connections else {
            return false;
        };
        if was {
            // Leave below 80 % of the capacity.
            n.saturating_mul(5) >= self.capacity.saturating_mul(4)
        } else {
            n >= self.capacity
        }
    }
}

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
        let load = pop.capacity.map(|capacity| Load { capacity });
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let req = http::Request::get(uri.clone())
                    .body(Empty::<Bytes>::new())
                    .ok();
                let resp = match req {
                    Some(req) => tokio::time::timeout(interval, client.request(req))
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .filter(|r| r.status().is_success()),
                    None => None,
                };
                let up = resp.is_some();
                if up != selector.is_healthy(i) {
                    tracing::info!(pop = %code, up, "POP health changed");
                }
                selector.set_healthy(i, up);
                if let Some(load) = load {
                    let connections = resp.as_ref().and_then(|r| {
                        r.headers()
                            .get(LOAD_HEADER)?
                            .to_str()
                            .ok()?
                            .trim()
                            .parse::<u64>()
                            .ok()
                    });
                    let was = selector.is_saturated(i);
                    let now = load.next(was, connections);
                    if now != was {
                        tracing::info!(pop = %code, saturated = now, ?connections, "POP load changed");
                    }
                    selector.set_saturated(i, now);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturation_has_hysteresis() {
        let l = Load { capacity: 100 };
        assert!(!l.next(false, Some(99)));
        assert!(l.next(false, Some(100)));
        // Once saturated, it stays so down to 80 %.
        assert!(l.next(true, Some(90)));
        assert!(l.next(true, Some(80)));
        assert!(!l.next(true, Some(79)));
        // No report: not saturated.
        assert!(!l.next(true, None));
    }
}

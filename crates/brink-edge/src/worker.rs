//! One worker thread's edge: its copy of the settings, the shared cache, clock, telemetry
//! and distributions, and its own router (origin pools), rebuilt when a reload puts new
//! distributions in force. The lifecycle's phases are methods on it (`crate::lifecycle`).

use std::sync::Arc;

use brink_cache::{Cache, Clock, ManualClock};
use http::HeaderValue;

use crate::config::EdgeConfig;
use crate::headers::ViaValues;
use crate::lifecycle::log::Telemetry;
use crate::lifecycle::route::Router;
use crate::process::{Models, Shared};

/// The edge: configuration, cache, origin client, clock. Shared by every connection.
pub struct Edge {
    pub(crate) cfg: EdgeConfig,
    pub(crate) models: Arc<Models>,
    pub(crate) telemetry: Arc<Telemetry>,
    pub(crate) cache: Arc<Cache>,
    /// This worker's router, rebuilt when the shared model changes.
    pub(crate) router: parking_lot::RwLock<(u64, Arc<Router>)>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) manual_clock: Option<Arc<ManualClock>>,
    pub(crate) via: ViaValues,
    pub(crate) pop: HeaderValue,
    /// Open viewer connections, shared by the workers.
    pub(crate) connections: Arc<std::sync::atomic::AtomicU64>,
    /// This worker's client toward the S3 store for Transfer Acceleration (`--s3-endpoint`).
    pub(crate) accelerate_client: Option<crate::origin::OriginClient>,
    /// Indexes of MP4 files served as HLS (`lifecycle/media.rs`), shared by the workers.
    pub(crate) media: Arc<crate::lifecycle::IndexMemo>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("pop", &self.cfg.pop)
            .finish_non_exhaustive()
    }
}

impl Edge {
    /// Builds one edge worker from validated settings and the state all workers share.
    pub(crate) fn new(cfg: EdgeConfig, shared: &Shared) -> Arc<Edge> {
        let via = ViaValues::for_pop(&cfg.pop);
        let pop = HeaderValue::from_str(&cfg.pop).unwrap_or(HeaderValue::from_static("BRK50-C1"));
        Arc::new(Edge {
            cache: shared.cache.clone(),
            media: shared.media.clone(),
            router: parking_lot::RwLock::new((
                shared.models.version(),
                Arc::new(Router::new(&cfg, &shared.models)),
            )),
            models: shared.models.clone(),
            clock: shared.clock.clone(),
            manual_clock: shared.manual_clock.clone(),
            telemetry: Arc::new(Telemetry::clone(&shared.telemetry)),
            via,
            pop,
            connections: shared.connections.clone(),
            accelerate_client: crate::lifecycle::accelerate_client(&cfg),
            cfg,
        })
    }

    /// This worker's router, rebuilt first if a reload put new distributions in force.
    pub(crate) fn router(&self) -> Arc<Router> {
        let version = self.models.version();
        {
            let r = self.router.read();
            if r.0 == version {
                return r.1.clone();
            }
        }
        let mut cfg = self.cfg.clone();
        cfg.model = self.models.current.read().clone();
        let router = Arc::new(Router::new(&cfg, &self.models));
        *self.router.write() = (version, router.clone());
        router
    }
}

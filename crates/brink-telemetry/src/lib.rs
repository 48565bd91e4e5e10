//! Brink telemetry: what the edge records about the requests it serves.
//!
//! This crate owns two things:
//! - [`access_log`]: the CloudFront standard access-log record ([`AccessRecord`], 33 fields,
//!   `cloudfront.md` §9, or a v2 field selection, [`LogFields`]) and [`AccessLog`], which writes records to hourly files from its own
//!   thread so the request path never waits on disk.
//! - [`metrics`]: [`EdgeMetrics`], the Prometheus counters, gauges and histogram of an edge,
//!   updated with lock-free atomics and rendered in the text exposition format.
//!
//! It does not decide *what* a request's result type is, when a record is produced or where
//! the metrics are served: that is the edge's job (`brink-edge`). Nothing here is async.

pub mod access_log;
pub mod metrics;
pub mod streaming_log;

pub use access_log::{
    AccessLog, AccessLogConfig, AccessLogStats, AccessRecord, LogField, LogFields, ResultType,
};
pub use metrics::{EdgeMetrics, OriginOutcome, RequestCounters, Tier};

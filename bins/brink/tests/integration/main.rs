//! Integration tests for `brink serve`: the real binary, spawned on port 0 in front of an
//! in-process programmable origin, exercised over real sockets (hyper, curl and raw TCP).
//!
//! Every test owns its origin and its edge, so tests run in parallel. Time-dependent
//! behaviour is driven by the edge's manual clock (`--manual-clock` and
//! `POST /debug/clock/advance`), never by sleeping.
//!
//! Run: `cargo test -p brink --test integration` (or `cargo nextest run -p brink --test integration`).

mod testkit;
mod testkit_selftest;

mod accelerate;
mod bad_configs;
mod bad_input;
mod caching;
mod coalescing;
mod compression;
mod conformance;
mod control_api;
mod disk;
mod dist_telemetry;
mod distributions;
mod dns;
mod forward_headers;
mod forwarding;
mod freshness;
mod headers;
mod hls;
mod lifecycle;
mod many_distributions;
mod memory_bound;
mod methods;
mod oac;
mod origin_store;
mod origins;
mod path_security;
mod purge;
mod ranges;
mod revalidation;
mod rtmp;
mod sign;
mod slices;
mod stale;
mod streaming_api;
mod telemetry;
mod tls;
mod up;
mod vary;
mod viewer_access;
mod viewer_headers;
mod viewer_tls;
mod zero_copy;

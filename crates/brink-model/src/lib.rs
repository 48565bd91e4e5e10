//! Brink's configuration model.
//!
//! The types an operator writes (today: the edge's TTL policy; next: CloudFront distributions)
//! and their validation. No I/O, no async: the edge, the control plane and the CLI all build on
//! these types and exchange them.

pub mod ttl;

pub use ttl::{TtlPolicy, TtlPolicyError};

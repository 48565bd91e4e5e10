//! Pure HTTP caching policy for Brink.
//!
//! This crate owns the decisions a shared cache makes, as plain functions over headers and
//! timestamps: parsing `Cache-Control` / `CDN-Cache-Control`, whether a response may be stored
//! and for how long (RFC 9111 plus CloudFront's Min/Default/Max TTL rules), how old a stored
//! response is, how `Vary` selects variants, how `Accept-Encoding` is normalised for the key,
//! how a cache key is built, how `Range` and conditional requests are answered. It does no I/O, owns no clock and has no async code, so
//! every rule is unit- and property-tested without a runtime.
//!
//! It does not store anything (that is `brink-cache`) nor talk to the network (`brink-edge`).

pub mod accept_encoding;
pub mod cache_control;
pub mod cdn_cache_control;
pub mod conditional;
pub mod date;
pub mod freshness;
pub mod key;
pub mod range;
pub mod vary;

//! brink-model integration tests: one binary, one module per concern.

/// Bad configurations: each mistake yields its CloudFront code at the right path.
mod bad_configs;
/// Every file under `examples-data/` parses, validates and compiles as intended.
mod examples;
/// `PathPattern::matches` against a naive recursive reference matcher.
mod path_pattern_prop;
/// JSON → types → JSON → types, JSON/YAML equivalence, CloudFront's echoed defaults.
mod roundtrip;
/// Host routing and behavior selection on a compiled model.
mod routing;
/// Streaming (RTMP) distributions: the CLI shape, validation codes, lookup by host.
mod streaming;

use std::path::PathBuf;

/// `crates/brink-model/examples-data/<name>`, read by the test (the crate itself does no I/O).
pub(crate) fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples-data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

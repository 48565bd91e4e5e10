//! Fuzzes `CacheControl::parse`: arbitrary bytes (split into field lines at `\n`) must
//! never panic, and the canonical form must parse back to the same value.
#![no_main]

use brink_http::cache_control::{CacheControl, DELTA_SECONDS_CAP};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = CacheControl::parse(data.split(|&b| b == b'\n'));
    for v in [
        parsed.max_age,
        parsed.s_maxage,
        parsed.stale_while_revalidate,
        parsed.stale_if_error,
    ] {
        assert!(v.is_none_or(|v| v <= DELTA_SECONDS_CAP));
    }
    let canonical = parsed.to_string();
    let again = CacheControl::parse([canonical.as_bytes()]);
    assert_eq!(again, parsed, "round trip through {canonical:?}");
});

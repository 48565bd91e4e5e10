//! Fuzzes the strict `CDN-Cache-Control` parser (RFC 8941 dictionary, RFC 9213): arbitrary
//! bytes (split into field lines at `\n`) must never panic, delta-seconds stay capped, and a
//! field it accepts must come back unchanged through its canonical form.
#![no_main]

use brink_http::cache_control::DELTA_SECONDS_CAP;
use brink_http::cdn_cache_control::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(parsed) = parse(data.split(|&b| b == b'\n')) else {
        return;
    };
    for v in [
        parsed.max_age,
        parsed.s_maxage,
        parsed.stale_while_revalidate,
        parsed.stale_if_error,
    ] {
        assert!(v.is_none_or(|v| v <= DELTA_SECONDS_CAP));
    }
    let canonical = parsed.to_string();
    if canonical.is_empty() {
        return;
    }
    let again = parse([canonical.as_bytes()]);
    assert_eq!(
        again.as_ref(),
        Some(&parsed),
        "round trip through {canonical:?}"
    );
});

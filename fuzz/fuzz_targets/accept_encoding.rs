//! Fuzzes `accept_encoding::normalise`: the first byte chooses the enabled codings (bit 0
//! brotli, bit 1 gzip), the rest is split at `\n` into field lines. The result must be a
//! non-empty subset of what is enabled, and normalising its canonical string again must give
//! the same set (the value the edge keys and forwards is a fixed point).
#![no_main]

use brink_http::accept_encoding::{normalise, Codings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((flags, rest)) = data.split_first() else {
        return;
    };
    let enabled = Codings::new(flags & 1 != 0, flags & 2 != 0);
    let Some(set) = normalise(rest.split(|b| *b == b'\n'), enabled) else {
        return;
    };
    assert!(!set.is_empty(), "Some(empty) for {rest:?}");
    let canonical = set.as_str();
    assert!(
        canonical.split(',').all(|t| (t == "br" && enabled.as_str().contains("br"))
            || (t == "gzip" && enabled.as_str().contains("gzip"))),
        "{canonical:?} is not within {enabled:?}"
    );
    let again = normalise([canonical.as_bytes()], enabled);
    assert_eq!(again, Some(set), "normalising {canonical:?} again");
});

//! Fuzzes brink-rtmp's own parsers: the FLV header and tag headers walked over arbitrary bytes
//! the way the RTMP player reads a file (never panicking, never stepping backwards), and the
//! stream-name parser (a parsed path always starts with `/`, has no dot segment and carries
//! the extension of its format).
#![no_main]

use brink_rtmp::{flv, name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = flv::parse_header(data) {
        let mut at = h.data_offset as usize + flv::BACK_POINTER_LEN;
        while let Some(rest) = data.get(at..) {
            let Ok(t) = flv::parse_tag_header(rest) else {
                break;
            };
            let next = at.saturating_add(t.span() as usize);
            assert!(next > at);
            at = next;
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(n) = name::parse(text) {
            assert!(n.path.starts_with('/'));
            assert!(!n.path.split('/').any(|s| s == "." || s == ".."));
            assert!(n.path.len() > 1);
        }
    }
});

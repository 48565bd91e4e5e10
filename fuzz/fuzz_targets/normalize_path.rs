//! Fuzzes `normalize_path` (behavior selection's view of a request path): any UTF-8 input
//! must not panic, the result must be a normalized absolute path when the input is absolute
//! (no `//`, no dot segment, no stray `%`, no encoded unreserved character, upper-case hex),
//! normalizing it again must change nothing, and it must be borrowed exactly when unchanged.
#![no_main]

use std::borrow::Cow;

use brink_model::path_normalize::normalize_path;
use libfuzzer_sys::fuzz_target;

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let out = normalize_path(path);
    assert_eq!(matches!(out, Cow::Borrowed(_)), out.as_ref() == path);
    let again = normalize_path(&out);
    assert!(
        matches!(again, Cow::Borrowed(_)),
        "{path:?} -> {out:?} -> {again:?}"
    );
    let b = out.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'%' {
            let hex = b.get(i + 1..i + 3).expect("a full triplet");
            assert!(hex
                .iter()
                .all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h)));
            let v = u8::from_str_radix(std::str::from_utf8(hex).expect("ascii"), 16).expect("hex");
            assert!(!unreserved(v), "{out:?} keeps an encoded unreserved byte");
        }
    }
    if path.starts_with('/') {
        assert!(out.starts_with('/'));
        assert!(!out.contains("//"), "{out:?}");
        assert!(out.split('/').all(|s| s != "." && s != ".."), "{out:?}");
    }
});

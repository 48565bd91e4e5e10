//! Fuzzes the edge's S3 SigV4 canonicalisation (origin access control signing) and S3 name
//! parsing: any UTF-8 path and query must not panic; the canonical URI holds only unreserved
//! characters, `/` and `%XX` with upper-case hex, and canonicalising it again changes nothing
//! (S3 decodes once and encodes once); the canonical query is sorted `name=value` pairs of the
//! same alphabet; a parsed S3 name's bucket and region are non-empty parts of the input.
#![no_main]

use brink_edge::{s3_bucket_region, s3_canonical_target};
use libfuzzer_sys::fuzz_target;

fn check_alphabet(s: &str, extra: &[u8]) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let hex = b.get(i + 1..i + 3).expect("a full triplet");
            assert!(
                hex.iter().all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h)),
                "{s:?}"
            );
            i += 3;
            continue;
        }
        assert!(
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') || extra.contains(&c),
            "{s:?}"
        );
        i += 1;
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (path, query) = text.split_once('?').unwrap_or((text, ""));
    let (uri, q) = s3_canonical_target(path, query);
    check_alphabet(&uri, b"/");
    check_alphabet(&q, b"=&");
    let (again, q_again) = s3_canonical_target(&uri, &q);
    assert_eq!(again, uri, "{path:?}");
    assert_eq!(q_again, q, "{query:?}");
    if let Some((bucket, region)) = s3_bucket_region(text) {
        assert!(!bucket.is_empty() && !region.is_empty());
        assert!(text.starts_with(bucket));
    }
});

//! Fuzzes `parse_range` + `RangeSpec::resolve`: the first 8 bytes (big-endian) are the
//! representation length, the rest is the `Range` field value. Every resolved range must lie
//! inside the representation, ranges must be ascending and disjoint, and the multipart
//! framing length must add up.
#![no_main]

use brink_http::range::{parse_range, Multipart, RangeOutcome, MAX_RANGES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((len_bytes, header)) = data.split_first_chunk::<8>() else {
        return;
    };
    let len = u64::from_be_bytes(*len_bytes);
    let Some(spec) = parse_range(header) else {
        return;
    };
    match spec.resolve(len) {
        RangeOutcome::Full => {}
        RangeOutcome::Unsatisfiable => assert!(len > 0),
        RangeOutcome::Partial(ranges) => {
            assert!(!ranges.is_empty() && ranges.len() <= MAX_RANGES);
            for r in &ranges {
                assert!(r.start <= r.end && r.end < len, "{r:?} outside 0..{len}");
            }
            for w in ranges.windows(2) {
                assert!(w[0].end < w[1].start, "{w:?} not ascending and disjoint");
            }
            let mp = Multipart::new(&ranges, len, Some(b"text/plain"), "fuzz");
            let framing: u64 =
                mp.parts.iter().map(|(h, _)| h.len() as u64).sum::<u64>() + mp.trailer.len() as u64;
            let payload = ranges
                .iter()
                .fold(0u64, |acc, r| acc.saturating_add(r.len()));
            assert_eq!(mp.content_length, framing.saturating_add(payload));
        }
    }
});

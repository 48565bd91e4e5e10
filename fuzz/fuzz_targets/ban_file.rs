//! Fuzzes the disk tier's ban file (`brink_cache::ban_file`): decoding arbitrary bytes never
//! panics (a damaged tail only ends the list), and what it decodes, encoded again, decodes
//! the same.
#![no_main]

use brink_cache::ban_file::{decode_lines, encode_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let bans = decode_lines(text);
    let encoded: String = bans.iter().map(|(s, p)| encode_line(s, p)).collect();
    assert_eq!(decode_lines(&encoded), bans, "decoding the re-encoding");
});

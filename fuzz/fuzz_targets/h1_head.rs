//! Fuzzes the HTTP/1 framing guard: `inspect_head` on arbitrary bytes must never panic, a
//! head it accepts must fit the limits and parse again to the same verdict, and the chunked
//! body follower must consume input consistently whether fed at once or byte by byte.
#![no_main]

use brink_edge::h1guard::{inspect_head, ChunkedSkipper, HeadVerdict, MAX_HEAD};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let HeadVerdict::Head { len, .. } = inspect_head(data) {
        assert!(len <= MAX_HEAD && len <= data.len());
        assert_eq!(inspect_head(&data[..len]), inspect_head(data));
    }
    let mut whole = ChunkedSkipper::default();
    let a = whole.advance(data);
    let mut bytewise = ChunkedSkipper::default();
    let mut consumed = 0;
    let mut b = Ok(0);
    for byte in data {
        match bytewise.advance(std::slice::from_ref(byte)) {
            Ok(n) => {
                consumed += n;
                if bytewise.is_done() {
                    break;
                }
            }
            Err(e) => {
                b = Err(e);
                break;
            }
        }
    }
    match (a, b) {
        (Ok(n), Ok(_)) => {
            assert_eq!(n, consumed);
            assert_eq!(whole.is_done(), bytewise.is_done());
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("whole {a:?} vs bytewise {b:?}"),
    }
});

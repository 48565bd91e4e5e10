//! Fuzzes brink-media over arbitrary files, the way the edge uses it: the top-level box walk
//! and index (`load_index`, with mp4parse underneath), then the HLS plan, the playlist and
//! every MPEG-TS segment cut from the same bytes. Nothing may panic; a made segment is whole
//! 188-byte packets, and the plan puts every sample in exactly one segment.
#![no_main]

use std::future::Future;
use std::task::{Context, Poll, Waker};

use brink_media::{hls, load_index, ts, ReadAt};
use libfuzzer_sys::fuzz_target;

struct Mem<'a>(&'a [u8]);

impl ReadAt for Mem<'_> {
    async fn read_at(&mut self, offset: u64, len: u64) -> Result<bytes::Bytes, String> {
        let total = self.0.len() as u64;
        let from = offset.min(total) as usize;
        let to = offset.saturating_add(len).min(total) as usize;
        Ok(bytes::Bytes::copy_from_slice(&self.0[from..to]))
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = Mem(data);
    let mut fut = std::pin::pin!(load_index(&mut r));
    let mut cx = Context::from_waker(Waker::noop());
    let Poll::Ready(Ok((index, _))) = fut.as_mut().poll(&mut cx) else {
        return;
    };
    let plan = hls::plan(&index, 2_000_000);
    let _ = hls::playlist(&plan);
    let v: usize = plan.iter().map(|s| s.video.len()).sum();
    let a: usize = plan.iter().map(|s| s.audio.len()).sum();
    assert_eq!(v, index.video.as_ref().map_or(0, |t| t.samples.len()));
    assert_eq!(a, index.audio.as_ref().map_or(0, |t| t.samples.len()));
    for seg in &plan {
        let Some((lo, hi)) = seg.span(&index) else { continue };
        let hi = hi.min(data.len() as u64);
        let lo = lo.min(hi);
        if let Ok(out) = ts::segment(&index, seg, lo, &data[lo as usize..hi as usize]) {
            assert_eq!(out.len() % 188, 0);
        }
    }
});

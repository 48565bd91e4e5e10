//! The index, plan and MPEG-TS writer against MP4 files made by ffmpeg (Debian's, installed by
//! scripts/test.sh): what ffprobe reports of the source is what the index holds, and the
//! segments decode back to every frame.

use std::path::{Path, PathBuf};
use std::process::Command;

use brink_media::{hls, load_index, ts, Index, ReadAt};
use bytes::Bytes;

struct Mem(Bytes);

impl ReadAt for Mem {
    async fn read_at(&mut self, offset: u64, len: u64) -> Result<Bytes, String> {
        let total = self.0.len() as u64;
        let from = offset.min(total) as usize;
        let to = offset.saturating_add(len).min(total) as usize;
        Ok(self.0.slice(from..to))
    }
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("brink-media-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// 4 s of 25 fps H.264 (key frame every 25, B-frames on) + 44.1 kHz AAC stereo.
fn make_mp4(out: &Path, extra: &[&str]) {
    let mut cmd = Command::new("ffmpeg");
    cmd.args([
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=25:duration=4",
    ])
    .args([
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=44100:duration=4",
    ])
    .args([
        "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2",
    ])
    .args(extra)
    .arg(out);
    let st = cmd.status().expect("ffmpeg runs (apt install ffmpeg)");
    assert!(st.success(), "ffmpeg failed");
}

fn index_of(file: &Path) -> Index {
    let bytes = Bytes::from(std::fs::read(file).expect("read"));
    let mut r = Mem(bytes);
    futures_lite_block_on(load_index(&mut r)).expect("index").0
}

/// A tiny executor (the futures here never wait on anything).
fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn decoded_frames(input: &Path, stream: &str) -> u64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", stream])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(input)
        .output()
        .expect("ffprobe");
    // MPEG-TS lists its streams twice (under the program too): the first figure.
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn index_matches_the_source_whether_moov_is_first_or_last() {
    let d = dir("index");
    let last = d.join("last.mp4");
    let first = d.join("first.mp4");
    make_mp4(&last, &[]);
    make_mp4(&first, &["-movflags", "+faststart"]);
    for file in [&last, &first] {
        let idx = index_of(file);
        let v = idx.video.as_ref().expect("video");
        let a = idx.audio.as_ref().expect("audio");
        assert_eq!(v.samples.len(), 100, "{file:?}");
        assert_eq!(v.samples.iter().filter(|s| s.key).count(), 4);
        assert_eq!((v.width, v.height), (160, 120));
        assert_eq!(v.nal_length_size, 4);
        assert!(v.parameter_sets.len() >= 2);
        // 4 s of 44.1 kHz in 1024-sample frames (plus the encoder's priming frame or two).
        assert!(
            (173..=176).contains(&a.samples.len()),
            "{}",
            a.samples.len()
        );
        assert_eq!((a.sample_rate, a.channels, a.object_type), (44_100, 2, 2));
        // Presentation starts at 0 after the edit list: the first shown frame is at 0.
        let first_pts = v.samples.iter().map(|s| s.pts()).min().expect("frames");
        assert_eq!(first_pts, 0);
        assert!(
            (3_990_000..=4_100_000).contains(&idx.end()),
            "{}",
            idx.end()
        );
    }
}

#[test]
fn ts_segments_decode_to_every_frame() {
    let d = dir("ts");
    let file = d.join("src.mp4");
    make_mp4(&file, &[]);
    let bytes = std::fs::read(&file).expect("read");
    let idx = index_of(&file);
    let plan = hls::plan(&idx, 1_500_000);
    // Key frames every second: cuts at 0, 2 s (first key frame ≥ 1.5 s after 0).
    assert_eq!(plan.len(), 2);
    let mut all = Vec::new();
    for seg in &plan {
        let (lo, hi) = seg.span(&idx).expect("samples");
        let out = ts::segment(&idx, seg, lo, &bytes[lo as usize..hi as usize]).expect("ts");
        assert_eq!(out.len() % 188, 0);
        let one = d.join(format!("seg-{}.ts", seg.number));
        std::fs::write(&one, &out).expect("write");
        // Each segment decodes alone, key frame first.
        assert_eq!(decoded_frames(&one, "v:0"), seg.video.len() as u64);
        all.extend_from_slice(&out);
    }
    let joined = d.join("all.ts");
    std::fs::write(&joined, &all).expect("write");
    assert_eq!(decoded_frames(&joined, "v:0"), 100);
    let audio = decoded_frames(&joined, "a:0");
    let source_audio = decoded_frames(&file, "a:0");
    assert_eq!(audio, source_audio);
}

#[test]
fn hostile_files_fail_cleanly() {
    let d = dir("hostile");
    let file = d.join("src.mp4");
    make_mp4(&file, &["-movflags", "+faststart"]);
    let bytes = std::fs::read(&file).expect("read");
    // Truncated anywhere in the header, flipped bytes in the sample tables: an error or an
    // index, never a panic.
    for cut in [8usize, 40, 200, 1000, 3000] {
        let mut r = Mem(Bytes::copy_from_slice(&bytes[..cut.min(bytes.len())]));
        let _ = futures_lite_block_on(load_index(&mut r));
    }
    let mut seed = 0x9E37_79B9u32;
    for _ in 0..200 {
        let mut b = bytes.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let at = (seed as usize) % 4000.min(b.len());
            b[at] ^= (seed >> 24) as u8 | 1;
        }
        let mut r = Mem(Bytes::from(b.clone()));
        if let Ok((idx, _)) = futures_lite_block_on(load_index(&mut r)) {
            for seg in hls::plan(&idx, 2_000_000) {
                if let Some((lo, hi)) = seg.span(&idx) {
                    let hi = hi.min(b.len() as u64);
                    let lo = lo.min(hi);
                    let _ = ts::segment(&idx, &seg, lo, &b[lo as usize..hi as usize]);
                }
            }
        }
    }
}

/// Files the `media_mp4` fuzz target found (2026-12-04): a 4-billion-entry `stss` in a few
/// hundred bytes (mp4parse reserved 16 GiB for it before reading an entry), a sample entry's
/// child box declaring 3.8 GB (read whole by mp4parse), chunk tables listing 670 million
/// samples (reserved before expansion), and sample tables declaring many
/// large samples over the same bytes (a segment's output reserved 9 GiB). Each must fail as corrupt, allocating nothing of the sort.
#[test]
fn fuzz_found_files_are_refused_without_huge_allocations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let stss = std::fs::read(dir.join("stss-count.mp4")).expect("read");
    let mut r = Mem(Bytes::from(stss));
    let err = futures_lite_block_on(load_index(&mut r)).expect_err("refused");
    assert!(err.to_string().contains("stss declares"), "{err}");

    let child = std::fs::read(dir.join("oversized-child-box.mp4")).expect("read");
    let mut r = Mem(Bytes::from(child));
    let err = futures_lite_block_on(load_index(&mut r)).expect_err("refused");
    assert!(err.to_string().contains("left in its parent"), "{err}");

    let chunks = std::fs::read(dir.join("stsc-chunk-walk.mp4")).expect("read");
    let mut r = Mem(Bytes::from(chunks));
    let err = futures_lite_block_on(load_index(&mut r)).expect_err("refused");
    assert!(err.to_string().contains("too large"), "{err}");

    let overlap = std::fs::read(dir.join("overlapping-samples.mp4")).expect("read");
    let mut r = Mem(Bytes::from(overlap.clone()));
    let (idx, _) = futures_lite_block_on(load_index(&mut r)).expect("an index");
    let mut refused = 0;
    for seg in hls::plan(&idx, 2_000_000) {
        if let Some((lo, hi)) = seg.span(&idx) {
            let hi = hi.min(overlap.len() as u64);
            let lo = lo.min(hi);
            if let Err(e) = ts::segment(&idx, &seg, lo, &overlap[lo as usize..hi as usize]) {
                assert!(e.to_string().contains("corrupt"), "{e}");
                refused += 1;
            }
        }
    }
    assert!(refused > 0, "no segment was refused");
}

//! HLS made from a stored MP4 (issue 13; a behavior's `BrinkHls`) through `brink edge`, with
//! real ffmpeg as the player: an H.264/AAC MP4 made by ffmpeg from its test sources is served
//! as `…/clip.mp4/index.m3u8` and `seg-N.ts`; ffmpeg decodes as many frames as the source
//! has; segments start on the key frames the plan names; the origin sees only range requests
//! for the MP4 (slices), and a second viewer is served from the cache. Missing, truncated and
//! garbage files fail cleanly while the good one plays on.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use crate::testkit::control::temp_dir;
use crate::testkit::*;

const HOST: &str = "d111111abcdef8.cloudfront.net";
/// AWS's managed CachingOptimized policy.
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// An H.264/AAC MP4 of `secs` seconds (25 fps, a key frame every second), `moov` at the end
/// (ffmpeg's default) unless `faststart`.
fn make_mp4(dir: &Path, name: &str, secs: u32, faststart: bool) -> PathBuf {
    let out = dir.join(name);
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"])
        .args(["-t", &secs.to_string(), "-c:v", "libx264", "-g", "25"])
        .args([
            "-keyint_min",
            "25",
            "-sc_threshold",
            "0",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-c:a", "aac"]);
    if faststart {
        cmd.args(["-movflags", "+faststart"]);
    }
    let st = cmd.arg(&out).status().expect("run ffmpeg");
    assert!(st.success(), "ffmpeg could not make the test file");
    out
}

fn config(origin_port: u16) -> String {
    serde_json::json!({
        "Distributions": [{"Id": "EHLSTEST", "DomainName": HOST, "DistributionConfig": {
            "CallerReference": "hls", "Comment": "", "Enabled": true,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "127.0.0.1",
                "CustomOriginConfig": {"HTTPPort": origin_port, "HTTPSPort": 443,
                    "OriginProtocolPolicy": "http-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": CACHING_OPTIMIZED,
                "BrinkHls": {"Enabled": true, "SegmentSeconds": 2}}
        }}]
    })
    .to_string()
}

/// What ffmpeg makes of `input`: (decoded video frames, microseconds of media decoded).
fn decode(input: &str, extra: &[&str], dir: &Path) -> Result<(u64, u64), String> {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let progress = dir.join(format!("progress-{n}"));
    let out = Command::new("timeout")
        .arg("60")
        .arg("ffmpeg")
        .args(["-nostdin", "-loglevel", "error"])
        .args(extra)
        .args(["-i", input, "-map", "0:v:0", "-f", "null", "-progress"])
        .arg(&progress)
        .arg("-")
        .output()
        .expect("run ffmpeg");
    let text = std::fs::read_to_string(&progress).unwrap_or_default();
    if !out.status.success() {
        return Err(format!(
            "ffmpeg failed: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let last = |key: &str| -> Option<u64> {
        text.lines()
            .filter_map(|l| l.strip_prefix(key))
            .filter_map(|v| v.trim().parse().ok())
            .next_back()
    };
    match (last("frame="), last("out_time_us=")) {
        (Some(f), Some(t)) => Ok((f, t)),
        _ => Err(format!("no progress in {text:?}")),
    }
}

/// `start_time` of a stream of a file, seconds, by ffprobe.
fn start_time(file: &Path, stream: &str) -> f64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", stream])
        .args(["-show_entries", "stream=start_time", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_hls_cut_from_a_stored_mp4() {
    let dir = temp_dir("hls");
    let file = make_mp4(&dir, "clip.mp4", 8, false);
    let (source_frames, source_us) =
        decode(file.to_str().expect("path"), &[], &dir).expect("source decodes");
    assert_eq!(source_frames, 200);
    let body = Arc::new(std::fs::read(&file).expect("read"));
    let origin = TestOrigin::start().await;
    serve_ranges(
        &origin,
        "/videos/clip.mp4",
        body.clone(),
        Arc::new(AtomicU64::new(1)),
    );
    let edge = Edge::start_config(
        &config(origin.port()),
        &["--range-fill-above", "64KiB", "--range-slice", "64KiB"],
    )
    .await;
    let host = [("host", HOST)];

    // The playlist: four 2-second segments (a key frame every second, cuts ≥ 2 s apart).
    let pl = edge.get_with("/videos/clip.mp4/index.m3u8", &host).await;
    assert_eq!(pl.status, 200, "{}", pl.text());
    assert_eq!(
        pl.header("content-type").as_deref(),
        Some("application/vnd.apple.mpegurl")
    );
    assert_miss(&pl, "first playlist");
    let text = pl.text();
    assert!(
        text.starts_with("#EXTM3U\n") && text.ends_with("#EXT-X-ENDLIST\n"),
        "{text}"
    );
    let segments: Vec<&str> = text.lines().filter(|l| l.ends_with(".ts")).collect();
    assert_eq!(
        segments,
        ["seg-0.ts", "seg-1.ts", "seg-2.ts", "seg-3.ts"],
        "{text}"
    );
    let listed: f64 = text
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .filter_map(|l| l.trim_end_matches(',').parse::<f64>().ok())
        .sum();
    assert!((listed - 8.0).abs() < 0.05, "{listed} s listed\n{text}");

    // ffmpeg plays the playlist through the edge: every frame, the whole duration.
    let url = edge.url("/videos/clip.mp4/index.m3u8");
    let headers = format!("Host: {HOST}\r\n");
    let (frames, us) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        let url = url.clone();
        let headers = headers.clone();
        move || decode(&url, &["-headers", &headers], &dir)
    })
    .await
    .expect("join")
    .expect("ffmpeg plays the HLS stream");
    assert_eq!(frames, source_frames, "every frame of the file, decoded");
    assert!(
        us.abs_diff(source_us) <= 40_000,
        "decoded {us} µs of media, the source has {source_us}"
    );

    // The origin saw ranges (slices) of the MP4, never the whole file, and nothing else.
    let requests = origin.requests();
    assert!(requests.iter().all(|r| r.path == "/videos/clip.mp4"));
    assert!(
        requests.iter().all(|r| r.header("range").is_some()),
        "whole-file fetches among {} requests",
        requests.len()
    );
    let fetched = origin.hits("/videos/clip.mp4");

    // A segment again: a hit, the same bytes, nothing new at the origin. Each segment
    // starts on the key frame the plan names (2 s apart, after the 1 s timestamp offset).
    let mut firsts = Vec::new();
    for (n, expect_start) in [(0, 1.0), (1, 3.0), (2, 5.0), (3, 7.0)] {
        let path = format!("/videos/clip.mp4/seg-{n}.ts");
        let r = edge.get_with(&path, &host).await;
        assert_eq!(r.status, 200);
        assert_hit(&r, &path);
        assert_eq!(r.header("content-type").as_deref(), Some("video/mp2t"));
        let seg = dir.join(format!("seg-{n}.ts"));
        std::fs::write(&seg, &r.body).expect("write");
        let start = start_time(&seg, "v:0");
        assert!(
            (start - expect_start).abs() < 0.041,
            "seg-{n} starts at {start}"
        );
        let (seg_frames, _) = decode(seg.to_str().expect("path"), &[], &dir).expect("segment");
        firsts.push(seg_frames);
    }
    assert_eq!(firsts, [50, 50, 50, 50], "frames per segment");
    assert_eq!(
        origin.hits("/videos/clip.mp4"),
        fetched,
        "served from the cache"
    );

    // Past the end: 404. The MP4 itself is still served as a file, byte for byte.
    let r = edge.get_with("/videos/clip.mp4/seg-4.ts", &host).await;
    assert_eq!(r.status, 404);
    let whole = edge.get_with("/videos/clip.mp4", &host).await;
    assert_eq!(whole.status, 200);
    assert_body(&whole, &body, "the MP4 as a file");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_truncated_and_garbage_files_fail_cleanly() {
    let dir = temp_dir("hls-bad");
    let file = make_mp4(&dir, "good.mp4", 2, true);
    let good = std::fs::read(&file).expect("read");
    let origin = TestOrigin::start().await;
    serve_ranges(
        &origin,
        "/v/good.mp4",
        Arc::new(good.clone()),
        Arc::new(AtomicU64::new(1)),
    );
    // `moov` first, cut in the middle of it.
    serve_ranges(
        &origin,
        "/v/cut.mp4",
        Arc::new(good[..good.len().min(1500)].to_vec()),
        Arc::new(AtomicU64::new(1)),
    );
    serve_ranges(
        &origin,
        "/v/noise.mp4",
        Arc::new(pseudo_random_bytes(300_000, 7)),
        Arc::new(AtomicU64::new(1)),
    );
    // A box that claims 4 GiB of `moov`.
    let mut huge = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2".to_vec();
    huge.extend_from_slice(b"\xff\xff\xff\xf0moov");
    huge.resize(4096, 0);
    serve_ranges(
        &origin,
        "/v/huge.mp4",
        Arc::new(huge),
        Arc::new(AtomicU64::new(1)),
    );
    let edge = Edge::start_config(&config(origin.port()), &[]).await;
    let host = [("host", HOST)];

    let r = edge.get_with("/v/missing.mp4/index.m3u8", &host).await;
    assert_eq!(r.status, 404, "{}", r.text());
    for bad in ["/v/cut.mp4", "/v/noise.mp4", "/v/huge.mp4"] {
        for leaf in ["index.m3u8", "seg-0.ts"] {
            let r = edge.get_with(&format!("{bad}/{leaf}"), &host).await;
            assert_eq!(r.status, 502, "{bad}/{leaf}: {}", r.text());
        }
    }
    // The good file still plays, and is the only one whose playlist exists.
    let r = edge.get_with("/v/good.mp4/index.m3u8", &host).await;
    assert_eq!(r.status, 200);
    let seg = edge.get_with("/v/good.mp4/seg-0.ts", &host).await;
    assert_eq!(seg.status, 200);
    let out = dir.join("good-0.ts");
    std::fs::write(&out, &seg.body).expect("write");
    let (frames, _) = decode(out.to_str().expect("path"), &[], &dir).expect("decodes");
    assert_eq!(frames, 50);
    // `seg-01.ts` is not another name for segment 1: it goes to the origin as a path.
    let r = edge.get_with("/v/good.mp4/seg-01.ts", &host).await;
    assert_eq!(r.status, 404);
    std::fs::remove_dir_all(&dir).ok();
}

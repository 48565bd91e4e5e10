//! RTMP streaming distributions through `brink edge --rtmp-listen` (issue 13), with real
//! ffmpeg as the player: an FLV file made by ffmpeg from its test sources is played through
//! the edge and the decoded frame count equals the source's; the origin sees range requests
//! (slices), a second viewer is served from the cache; signed stream names (canned, RSA,
//! `brink sign`) play, tampered and expired ones are refused; hostile clients (garbage instead
//! of a handshake, a huge chunk size) are dropped while another viewer plays on.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use crate::testkit::control::temp_dir;
use crate::testkit::*;

const HOST: &str = "s1video0000000.cdn.test";

/// A 4-second H.264/AAC FLV (25 fps, a key frame a second) made by ffmpeg.
fn make_flv(dir: &Path) -> PathBuf {
    make_flv_of(dir, "clip.flv", 4)
}

/// An H.264/AAC FLV of `secs` seconds (25 fps, a key frame a second) made by ffmpeg.
fn make_flv_of(dir: &Path, name: &str, secs: u32) -> PathBuf {
    let out = dir.join(name);
    let st = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y"])
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
        .args(["-c:a", "aac", "-f", "flv"])
        .arg(&out)
        .status()
        .expect("run ffmpeg");
    assert!(st.success(), "ffmpeg could not make the test file");
    out
}

/// Decoded video frames of `input` (a file or an RTMP URL), by `ffmpeg -f null -progress`.
fn decoded_frames(input: &str, extra: &[String], dir: &Path) -> Result<u64, String> {
    let progress = dir.join(format!("progress-{}", fastrand_suffix()));
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
    text.lines()
        .filter_map(|l| l.strip_prefix("frame="))
        .filter_map(|v| v.trim().parse().ok())
        .next_back()
        .ok_or_else(|| format!("no frame count in {text:?}"))
}

fn fastrand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

fn config(origin_port: u16, signed_key: Option<&str>) -> String {
    let (keys, trusted) = match signed_key {
        Some(pem) => (
            serde_json::json!([{"Id": "KRTMPKEY000001", "PublicKeyConfig": {"CallerReference": "k",
                "Name": "rtmp", "EncodedKey": pem}}]),
            serde_json::json!({"Enabled": true, "Quantity": 1, "Items": ["self"]}),
        ),
        None => (
            serde_json::json!([]),
            serde_json::json!({"Enabled": false, "Quantity": 0}),
        ),
    };
    serde_json::json!({
        "PublicKeys": keys,
        "StreamingDistributions": [{"Id": "EVIDEORTMP", "DomainName": HOST,
            "StreamingDistributionConfig": {"CallerReference": "rtmp", "Comment": "",
                "S3Origin": {"DomainName": format!("127.0.0.1:{origin_port}"), "OriginAccessIdentity": ""},
                "Aliases": {"Quantity": 0}, "TrustedSigners": trusted,
                "PriceClass": "PriceClass_All", "Enabled": true}}]
    })
    .to_string()
}

/// ffmpeg's options for playing `name` from the edge as `rtmp://HOST/cfx/st`.
fn play_args(edge: &Edge, name: &str) -> (String, Vec<String>) {
    let url = format!("rtmp://{}/cfx/st/{name}", edge.rtmp_addr());
    let args = vec![
        "-rtmp_app".into(),
        "cfx/st".into(),
        "-rtmp_playpath".into(),
        name.into(),
        "-rtmp_tcurl".into(),
        format!("rtmp://{HOST}/cfx/st"),
    ];
    (url, args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_an_flv_through_the_edge_from_cached_slices() {
    let dir = temp_dir("rtmp");
    let file = make_flv(&dir);
    let source_frames = decoded_frames(file.to_str().expect("path"), &[], &dir).expect("source");
    assert!(source_frames >= 90, "{source_frames}");
    let body = Arc::new(std::fs::read(&file).expect("read"));
    let origin = TestOrigin::start().await;
    serve_ranges(
        &origin,
        "/videos/clip.flv",
        body.clone(),
        Arc::new(AtomicU64::new(1)),
    );
    let edge = sliced_edge(&origin).await;

    let played = play(&edge, "videos/clip.flv", &[], &dir)
        .await
        .expect("ffmpeg plays the stream");
    assert_eq!(played, source_frames, "every frame of the file, decoded");
    // The origin saw ranges (slices), never the whole file.
    let ranges: Vec<Option<String>> = origin
        .requests()
        .into_iter()
        .filter(|r| r.path == "/videos/clip.flv")
        .map(|r| r.header("range"))
        .collect();
    assert!(!ranges.is_empty());
    assert!(
        ranges.iter().all(Option::is_some),
        "{ranges:?} for {} bytes",
        body.len()
    );
    let fetched = origin.hits("/videos/clip.flv");
    assert!(
        fetched as u64 >= body.len() as u64 / (64 * 1024),
        "{fetched} slice requests for {} bytes",
        body.len()
    );

    // A second viewer (the name without its extension, as ffmpeg sends it): all from cache.
    let again = play(&edge, "videos/clip", &[], &dir)
        .await
        .expect("second viewer");
    assert_eq!(again, source_frames);
    assert_eq!(
        origin.hits("/videos/clip.flv"),
        fetched,
        "served from the cache"
    );

    // A missing file and an unknown distribution are refused, and the edge goes on serving.
    let (url, args) = play_args(&edge, "videos/nope.flv");
    let missing = decoded_frames(&url, &args, &dir);
    assert!(missing.is_err(), "{missing:?}");
    let mut other_host = args.clone();
    if let Some(i) = other_host.iter().position(|a| a == "-rtmp_tcurl") {
        other_host[i + 1] = "rtmp://s9unknown000000.cdn.test/cfx/st".into();
    }
    assert!(decoded_frames(&url, &other_host, &dir).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

/// An RTMP edge in front of `origin` that fills objects above 64 KiB by 64 KiB slices.
async fn sliced_edge(origin: &TestOrigin) -> Edge {
    Edge::start_config(
        &config(origin.port(), None),
        &[
            "--rtmp-listen",
            "127.0.0.1:0",
            "--range-fill-above",
            "64KiB",
            "--range-slice",
            "64KiB",
        ],
    )
    .await
}

/// Starts an edge in front of an origin holding `clip.flv`; returns them and the frame count.
async fn setup(dir: &Path, signed_key: Option<&str>) -> (TestOrigin, Edge, u64) {
    let file = make_flv(dir);
    let frames = decoded_frames(file.to_str().expect("path"), &[], dir).expect("source");
    let body = Arc::new(std::fs::read(&file).expect("read"));
    let origin = TestOrigin::start().await;
    serve_ranges(
        &origin,
        "/videos/clip.flv",
        body,
        Arc::new(AtomicU64::new(1)),
    );
    let logs = dir.join("logs");
    let edge = Edge::start_config(
        &config(origin.port(), signed_key),
        &[
            "--rtmp-listen",
            "127.0.0.1:0",
            "--log-dir",
            logs.to_str().expect("path"),
        ],
    )
    .await;
    (origin, edge, frames)
}

/// Plays `name` from the edge with ffmpeg (its options `extra` added): the decoded frames.
async fn play(edge: &Edge, name: &str, extra: &[&str], dir: &Path) -> Result<u64, String> {
    let (url, mut args) = play_args(edge, name);
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || decoded_frames(&url, &args, &dir))
        .await
        .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_stream_names_play_and_bad_ones_are_refused() {
    let dir = temp_dir("rtmp-signed");
    let key = dir.join("key.pem");
    let st = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .status()
        .expect("openssl");
    assert!(st.success());
    let public = Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(&key)
        .output()
        .expect("openssl");
    let pem = String::from_utf8(public.stdout).expect("pem");
    let (origin, edge, frames) = setup(&dir, Some(&pem)).await;
    let sign = |expires: &str| -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args([
                "sign",
                "--url",
                "videos/clip.flv",
                "--key-pair-id",
                "KRTMPKEY000001",
            ])
            .arg("--private-key")
            .arg(&key)
            .args(["--date-less-than", expires])
            .output()
            .expect("brink sign");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    };
    let good = sign("2100-01-01");
    assert!(good.starts_with("videos/clip.flv?Expires="), "{good}");
    assert_eq!(
        play(&edge, &good, &[], &dir).await,
        Ok(frames),
        "a valid signature plays"
    );
    // Unsigned, tampered, expired: refused before any byte is read.
    let before = origin.hits("/videos/clip.flv");
    let tampered = good.replacen("Signature=", "Signature=A", 1);
    let expired = sign("2001-01-01");
    for name in ["videos/clip.flv".to_owned(), tampered, expired] {
        let r = play(&edge, &name, &[], &dir).await;
        assert!(r.is_err(), "{name}: {r:?}");
    }
    assert_eq!(origin.hits("/videos/clip.flv"), before);

    // The streaming log (CloudFront's RTMP log format): one line per event of each
    // connection, the stream name and its query in their own fields.
    let mut text = String::new();
    for e in std::fs::read_dir(dir.join("logs")).expect("log dir") {
        let p = e.expect("entry").path();
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("rtmp."))
        {
            text.push_str(&std::fs::read_to_string(&p).expect("read log"));
        }
    }
    assert!(
        text.starts_with("#Version: 1.0\n#Fields: date time x-edge-location c-ip x-event"),
        "{text}"
    );
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(rows.iter().all(|r| r.len() == 17), "{text}");
    let events: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[4], r[6], r[13])).collect();
    // The good play: connect, play, stop (end of file), disconnect.
    let good: Vec<&str> = events
        .iter()
        .filter(|e| e.0 != "connect" && e.0 != "disconnect")
        .map(|e| e.0)
        .take(2)
        .collect();
    assert_eq!(good, ["play", "stop"], "{text}");
    let play = rows.iter().find(|r| r[4] == "play").expect("a play line");
    assert_eq!((play[13], play[15]), ("videos/clip.flv", "flv"));
    assert!(play[14].starts_with("Expires="), "{text}");
    assert!(
        play[8].starts_with("rtmp://s1video0000000.cdn.test/cfx/st"),
        "{text}"
    );
    assert!(play[16].parse::<u32>().is_ok_and(|sid| sid > 0), "{text}");
    // Each refusal is a stop with the status the player got.
    let refused = rows
        .iter()
        .filter(|r| r[4] == "stop" && r[6] == "NetStream.Play.Failed")
        .count();
    assert_eq!(refused, 3, "{text}");
    assert_eq!(
        rows.iter().filter(|r| r[4] == "connect").count(),
        4,
        "{text}"
    );
    assert_eq!(
        rows.iter().filter(|r| r[4] == "disconnect").count(),
        4,
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_clients_are_dropped_and_players_go_on() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = temp_dir("rtmp-hostile");
    let (_origin, edge, frames) = setup(&dir, None).await;
    let addr = edge.rtmp_addr();
    // Not RTMP at all.
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    s.write_all(&[0x55; 4000]).await.ok();
    let mut buf = [0u8; 8192];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a non-RTMP client is disconnected");
    // A handshake, then a chunk announcing a 16 MiB message and a 2^31 chunk size.
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut c1 = vec![3u8];
    c1.extend(vec![0u8; 1536]);
    s.write_all(&c1).await.expect("c0c1");
    let mut s0s1s2 = vec![0u8; 1 + 1536 * 2];
    s.read_exact(&mut s0s1s2).await.expect("s0s1s2");
    s.write_all(&s0s1s2[1..1537]).await.expect("c2");
    // Type-0 header, csid 2: SetChunkSize 0x7fffffff.
    s.write_all(&[2, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff])
        .await
        .ok();
    // Type-0 header, csid 3: a 16,777,215-byte command message, then junk.
    s.write_all(&[3, 0, 0, 0, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0])
        .await
        .ok();
    s.write_all(&vec![0x02; 200_000]).await.ok();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "an oversized message closes the connection");
    // Another viewer is served all the while.
    assert_eq!(play(&edge, "videos/clip.flv", &[], &dir).await, Ok(frames));
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 13: a seek to the middle starts within one GOP of the target (key frames every
/// second): ffmpeg `-ss 10 -noaccurate_seek` sends RTMP `seek`, and decodes from the key frame
/// the edge resumed at; without the seek it would decode all 500 frames.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seek_starts_within_one_gop_of_the_target() {
    let dir = temp_dir("rtmp-seek");
    let file = make_flv_of(&dir, "long.flv", 20);
    let body = Arc::new(std::fs::read(&file).expect("read"));
    let origin = TestOrigin::start().await;
    serve_ranges(
        &origin,
        "/videos/long.flv",
        body,
        Arc::new(AtomicU64::new(1)),
    );
    let edge = Edge::start_config(
        &config(origin.port(), None),
        &["--rtmp-listen", "127.0.0.1:0"],
    )
    .await;
    let frames = play(
        &edge,
        "videos/long.flv",
        &["-ss", "10", "-noaccurate_seek"],
        &dir,
    )
    .await
    .expect("ffmpeg plays from the seek");
    // 10 s of 25 fps to the end, plus at most one GOP (25 frames) before the target.
    assert!(
        (250..=275).contains(&frames),
        "{frames} frames after a seek to 10 s"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// An H.264/AAC MP4 of `secs` seconds (25 fps, a key frame a second, B-frames, `moov` at the
/// end as ffmpeg writes it) made by ffmpeg.
fn make_mp4_of(dir: &Path, name: &str, secs: u32) -> PathBuf {
    let out = dir.join(name);
    let st = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y"])
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
        .args(["-c:a", "aac"])
        .arg(&out)
        .status()
        .expect("run ffmpeg");
    assert!(st.success(), "ffmpeg could not make the test file");
    out
}

/// Issue 13: `mp4:` streams — an MP4's H.264/AAC samples demuxed into FLV messages. Every frame
/// of the file decodes; the origin sees range requests only (`moov` is at the end, read by
/// its box headers); a seek to 10 s of a 20 s file starts within one GOP of the target; a file
/// that is not an MP4 is refused with `NetStream.Play.Failed` and the edge serves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_an_mp4_demuxed_into_flv_messages() {
    let dir = temp_dir("rtmp-mp4");
    // Played whole (4 s: RTMP plays in real time) and seeked into (20 s).
    let file = make_mp4_of(&dir, "clip.mp4", 4);
    let source_frames = decoded_frames(file.to_str().expect("path"), &[], &dir).expect("source");
    assert_eq!(source_frames, 100);
    let long = make_mp4_of(&dir, "long.mp4", 20);
    let origin = TestOrigin::start().await;
    serve_ranges(
        &origin,
        "/videos/clip.mp4",
        Arc::new(std::fs::read(&file).expect("read")),
        Arc::new(AtomicU64::new(1)),
    );
    serve_ranges(
        &origin,
        "/videos/long.mp4",
        Arc::new(std::fs::read(&long).expect("read")),
        Arc::new(AtomicU64::new(1)),
    );
    serve_ranges(
        &origin,
        "/videos/noise.mp4",
        Arc::new(pseudo_random_bytes(200_000, 3)),
        Arc::new(AtomicU64::new(1)),
    );
    let edge = sliced_edge(&origin).await;

    let played = play(&edge, "mp4:videos/clip.mp4", &[], &dir)
        .await
        .expect("ffmpeg plays the MP4 stream");
    assert_eq!(played, source_frames, "every frame of the file, decoded");
    let ranges: Vec<Option<String>> = origin
        .requests()
        .into_iter()
        .filter(|r| r.path == "/videos/clip.mp4")
        .map(|r| r.header("range"))
        .collect();
    assert!(!ranges.is_empty());
    assert!(ranges.iter().all(Option::is_some), "{ranges:?}");

    let frames = play(
        &edge,
        "mp4:videos/long.mp4",
        &["-ss", "10", "-noaccurate_seek"],
        &dir,
    )
    .await
    .expect("ffmpeg plays from the seek");
    assert!(
        (250..=275).contains(&frames),
        "{frames} frames after a seek to 10 s"
    );

    let (url, args) = play_args(&edge, "mp4:videos/noise.mp4");
    assert!(decoded_frames(&url, &args, &dir).is_err());
    let again = play(&edge, "mp4:videos/clip", &[], &dir)
        .await
        .expect("the name without its extension");
    assert_eq!(again, source_frames);
    std::fs::remove_dir_all(&dir).ok();
}

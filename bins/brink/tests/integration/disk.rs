//! The disk tier through the real binary: objects survive `kill -9` in the middle of a load
//! and come back byte-identical and as hits; a damaged cache file is detected and refetched;
//! a disk that fills up (a tiny tmpfs, or an unwritable cache directory where mounting is not
//! allowed) never stops the edge from serving.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::testkit::*;

/// Files of the disk tier (not its temporaries).
fn cache_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for d in rd.flatten() {
        let p = d.path();
        if p.is_dir() && d.file_name() != "tmp" {
            out.extend(cache_files(&p));
        } else if p.is_file() {
            out.push(p);
        }
    }
    out
}

fn object_body(i: usize) -> Vec<u8> {
    // Sizes from 1 KiB to ~330 KiB: several checksum blocks for the larger ones.
    pseudo_random_bytes(1024 + (i * 7919) % (320 * 1024), i as u64 + 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn objects_survive_kill_9_during_a_load_and_come_back_byte_identical() {
    const N: usize = 300;
    let dir = CacheDir::new("kill9");
    let origin = TestOrigin::start().await;
    for i in 0..N {
        origin.route(
            &format!("/obj/{i}"),
            Reply::cacheable(object_body(i), "max-age=3600"),
        );
    }
    let args = ["--cache-dir", dir.arg(), "--disk-cache", "1GiB"];
    let edge = Edge::start(&origin.url(), &args).await;

    // A load of 8 concurrent clients writing many objects; the edge is killed mid-way.
    let base = edge.url("");
    let mut load = Vec::new();
    for t in 0..8 {
        let base = base.clone();
        load.push(tokio::spawn(async move {
            for i in (t..N).step_by(8) {
                if Req::get(&format!("{base}/obj/{i}"))
                    .try_send()
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }));
    }
    assert!(
        eventually(Duration::from_secs(30), || origin.total() >= N / 2).await,
        "the load did not get half-way"
    );
    drop(edge); // SIGKILL while the load is still running, then wait for the process
    for l in load {
        let _ = l.await;
    }
    let persisted = cache_files(&dir.0).len();
    assert!(persisted > 0, "nothing reached the disk before the kill");

    // Restart on the same directory: everything served is byte-identical to the origin's;
    // what was persisted is served as a hit without an origin request.
    let edge = Edge::start(&origin.url(), &args).await;
    let mut hits = 0;
    for i in 0..N {
        let target = format!("/obj/{i}");
        let before = origin.hits(&target);
        let resp = edge.get(&target).await;
        assert_eq!(resp.status, 200, "{target}");
        assert_body(&resp, &object_body(i), &target);
        if resp.header("x-cache").as_deref() == Some("Hit from cloudfront") {
            assert_origin_hits(&origin, &target, before, &format!("{target} after restart"));
            hits += 1;
        }
    }
    assert!(
        hits >= persisted.min(N) * 9 / 10,
        "only {hits} hits for {persisted} persisted files"
    );
    // And the restarted cache keeps answering hits for the rest too.
    let resp = edge.get("/obj/0").await;
    assert_hit(&resp, "second read after restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_cache_file_is_detected_and_refetched() {
    let dir = CacheDir::new("corrupt");
    let origin = TestOrigin::start().await;
    let body = pseudo_random_bytes(5000, 42);
    let args = ["--cache-dir", dir.arg()];
    {
        let edge = Edge::start(&origin.url(), &args).await;
        prime(
            &origin,
            &edge,
            "/c",
            Reply::cacheable(body.clone(), "max-age=3600"),
        )
        .await;
        assert!(
            eventually(Duration::from_secs(10), || cache_files(&dir.0).len() == 1).await,
            "object not persisted"
        );
    }
    // Flip one byte of the stored body.
    let file = cache_files(&dir.0).pop().expect("one file");
    let mut data = std::fs::read(&file).expect("read cache file");
    let pos = data
        .windows(64)
        .position(|w| w == &body[..64])
        .expect("body in file");
    data[pos + 100] ^= 0x55;
    std::fs::write(&file, data).expect("write cache file");

    let edge = Edge::start(&origin.url(), &args).await;
    let resp = expect_miss(&origin, &edge, "/c", "damaged file → refetch").await;
    assert_body(&resp, &body, "refetched body");
    expect_hit(&origin, &edge, "/c", &body, "hit after the refetch").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_never_stops_the_edge() {
    let dir = CacheDir::new("full");
    // A 256 KiB tmpfs when this process may mount one (root in CI); otherwise a cache
    // directory whose temporary area is made unusable, which fails every write the same way.
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir.arg()])
        .status()
        .is_ok_and(|s| s.success());
    let origin = TestOrigin::start().await;
    let edge = Edge::start(
        &origin.url(),
        &["--cache-dir", dir.arg(), "--disk-cache", "100MiB"],
    )
    .await;
    if !mounted {
        let tmp = dir.0.join("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::write(&tmp, b"not a directory").expect("block the temporary area");
    }
    for i in 0..12 {
        let target = format!("/big/{i}");
        let body = pseudo_random_bytes(100 * 1024, i + 7);
        origin.route(&target, Reply::cacheable(body.clone(), "max-age=3600"));
        let resp = edge.get(&target).await;
        assert_eq!(resp.status, 200, "{target} with a full disk");
        assert_body(&resp, &body, &target);
        // Still cached in memory: the second read is a hit.
        expect_hit(
            &origin,
            &edge,
            &target,
            &body,
            "memory hit while the disk is full",
        )
        .await;
    }
    assert!(
        eventually(Duration::from_secs(5), || edge
            .stderr()
            .contains("disk tier"))
        .await,
        "the disk failure was not logged"
    );
}

/// Reads a streaming response to its end, checking every byte against the repeating
/// 1 MiB pattern, and reports the edge's peak resident memory meanwhile.
async fn read_pattern(
    edge: &Edge,
    resp: http::Response<hyper::body::Incoming>,
    pattern: &[u8],
) -> (u64, u64) {
    use http_body_util::BodyExt;
    let mut body = resp.into_body();
    let (mut offset, mut peak) = (0u64, 0u64);
    while let Some(frame) = body.frame().await {
        let frame = frame.expect("body frame");
        if let Some(data) = frame.data_ref() {
            for (i, b) in data.iter().enumerate() {
                let at = ((offset + i as u64) % pattern.len() as u64) as usize;
                assert_eq!(*b, pattern[at], "byte {} differs", offset + i as u64);
            }
            offset += data.len() as u64;
            if offset % (64 << 20) < data.len() as u64 {
                peak = peak.max(edge.rss_bytes());
            }
        }
    }
    (offset, peak)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_object_streams_through_and_from_disk_without_being_held_in_memory() {
    const MIB: usize = 1 << 20;
    let dir = CacheDir::new("huge");
    let origin = TestOrigin::start().await;
    let pattern = bytes::Bytes::from(pseudo_random_bytes(MIB, 99));
    let mut reply = Reply::cacheable(pattern.clone(), "max-age=3600");
    for _ in 1..1024 {
        reply = reply.then_chunk(pattern.clone());
    }
    origin.route("/huge.bin", reply);
    let edge = Edge::start(
        &origin.url(),
        &[
            "--cache-dir",
            dir.arg(),
            "--disk-cache",
            "4GiB",
            "--memory-max-object",
            "64MiB",
        ],
    )
    .await;
    let baseline = edge.rss_bytes();

    // First viewer: a miss, read while the edge is still downloading.
    let resp = Req::get(&edge.url("/huge.bin"))
        .send_streaming()
        .await
        .expect("GET");
    assert_eq!(resp.status(), 200);
    let (len, peak) = read_pattern(&edge, resp, &pattern).await;
    assert_eq!(len, 1 << 30, "whole object");
    println!(
        "miss: peak RSS {} MiB over the {} MiB at start",
        peak.saturating_sub(baseline) >> 20,
        baseline >> 20
    );
    assert!(
        peak < baseline + 256 * MIB as u64,
        "the miss held {} MiB more than at start",
        (peak.saturating_sub(baseline)) >> 20
    );
    assert_origin_hits(&origin, "/huge.bin", 1, "one fill");

    // Second viewer: a hit served from the file (bounded memory again), and a range of it.
    assert!(
        eventually(Duration::from_secs(30), || cache_files(&dir.0)
            .iter()
            .any(|f| f.metadata().map_or(0, |m| m.len()) > 1 << 30))
        .await,
        "the object reached the disk"
    );
    let resp = Req::get(&edge.url("/huge.bin"))
        .send_streaming()
        .await
        .expect("GET");
    assert_eq!(
        resp.headers().get("x-cache").map(|v| v.as_bytes()),
        Some(&b"Hit from cloudfront"[..])
    );
    let (len, peak) = read_pattern(&edge, resp, &pattern).await;
    assert_eq!(len, 1 << 30);
    assert!(
        peak < baseline + 256 * MIB as u64,
        "the hit held {} MiB more",
        (peak.saturating_sub(baseline)) >> 20
    );
    let start = 700 * MIB as u64 + 12_345;
    let r = edge
        .get_with(
            "/huge.bin",
            &[("range", &format!("bytes={start}-{}", start + 99))],
        )
        .await;
    assert_eq!(r.status, 206);
    let at = (start % MIB as u64) as usize;
    assert_eq!(&r.body[..], &pattern[at..at + 100]);
    assert_origin_hits(&origin, "/huge.bin", 1, "still one fill");
}

//! Large hits sent straight from their file with `sendfile(2)` (`crates/brink-edge/src/
//! zerocopy.rs`): the memory tier's in-memory files and the disk tier's files. Every body is
//! compared byte for byte, and `brink_zero_copy_bytes_total` tells which responses took the
//! zero-copy path: HTTP/1 hits of complete file-backed bodies, and nothing else. These tests
//! talk over loopback, so they ask for `--sendfile on` (the default, `remote`, leaves loopback
//! viewers out, as the last test checks).

use std::process::Command;
use std::time::Duration;

use crate::testkit::curl::curl;
use crate::testkit::*;

/// Above `brink_cache::MEMORY_FILE_MIN` (1 MiB) and below `--range-fill-above` (8 MiB).
const LEN: usize = 3 * 1024 * 1024 + 777;

async fn zero_copy_bytes(edge: &Edge) -> u64 {
    edge.metric("brink_zero_copy_bytes_total").await as u64
}

/// GETs `target` (a stored object whose bytes are `body`) until a response went out by
/// sendfile, waiting `pause` between tries (its file completes and memory lets it go in the
/// background; the first hit from the file verifies its blocks); the bytes that one sent.
async fn hit_until_sent(edge: &Edge, target: &str, body: &[u8], pause: Duration) -> u64 {
    for _ in 0..100 {
        let before = zero_copy_bytes(edge).await;
        let hit = curl(target, &[]).await;
        assert_hit(&hit, target);
        assert_body(&hit, body, target);
        let sent = zero_copy_bytes(edge).await - before;
        if sent > 0 {
            return sent;
        }
        tokio::time::sleep(pause).await;
    }
    panic!("{target}: no hit went out by sendfile");
}

/// An edge started with `args` in front of an origin serving `LEN` bytes at `/big.bin`, the
/// bytes, and the object's URL at the edge.
async fn big_object(args: &[&str], seed: u64) -> (TestOrigin, Edge, Vec<u8>, String) {
    let (origin, edge) = start(args).await;
    let data = pseudo_random_bytes(LEN, seed);
    origin.route("/big.bin", Reply::cacheable(data.clone(), "max-age=3600"));
    let url = edge.url("/big.bin");
    (origin, edge, data, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_memory_hits_go_out_from_their_file_byte_for_byte() {
    let (origin, edge, data, url) = big_object(&["--sendfile", "on"], 7).await;

    let miss = curl(&url, &[]).await;
    assert_miss(&miss, "first GET");
    assert_body(&miss, &data, "miss");
    assert_eq!(
        zero_copy_bytes(&edge).await,
        0,
        "a body being written is streamed"
    );

    let hit = curl(&url, &[]).await;
    assert_hit(&hit, "HTTP/1.1 hit");
    assert_body(&hit, &data, "HTTP/1.1 hit");
    assert_eq!(hit.header("content-length"), Some(LEN.to_string()));
    assert_eq!(zero_copy_bytes(&edge).await, LEN as u64);

    let range = curl(&url, &["-H", "Range: bytes=1000-2000999"]).await;
    assert_eq!(range.status, 206);
    assert_eq!(
        range.header("content-range"),
        Some(format!("bytes 1000-2000999/{LEN}"))
    );
    assert_body(&range, &data[1000..2_001_000], "range hit");
    let mut expected = LEN as u64 + 2_000_000;
    assert_eq!(zero_copy_bytes(&edge).await, expected);

    let old = curl(&url, &["--http1.0"]).await;
    assert_hit(&old, "HTTP/1.0 hit");
    assert_body(&old, &data, "HTTP/1.0 hit");
    expected += LEN as u64;
    assert_eq!(zero_copy_bytes(&edge).await, expected);

    // Read through the cache's reader instead: HEAD, HTTP/2, several ranges.
    let head = curl(&url, &["-I"]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some(LEN.to_string()));
    let h2 = curl(&url, &["--http2-prior-knowledge"]).await;
    assert_hit(&h2, "h2c hit");
    assert_body(&h2, &data, "h2c hit");
    let multi = curl(&url, &["-H", "Range: bytes=0-9,3000000-3000009"]).await;
    assert_eq!(multi.status, 206);
    let text = String::from_utf8_lossy(&multi.body);
    assert!(
        text.contains(&format!("Content-Range: bytes 0-9/{LEN}")),
        "{text}"
    );
    let at = |from: usize| multi.body.windows(10).any(|w| w == &data[from..from + 10]);
    assert!(at(0) && at(3_000_000), "both parts' bytes");
    assert_eq!(zero_copy_bytes(&edge).await, expected, "none of these");

    // Keep-alive: a zero-copy response, then an ordinary one, then another zero-copy one on
    // one connection.
    origin.route("/small.txt", Reply::cacheable("tiny", "max-age=3600"));
    let dir = std::env::temp_dir();
    let files: Vec<_> = (0..3)
        .map(|i| dir.join(format!("brink-zc-{}-{i}", std::process::id())))
        .collect();
    let out = Command::new("curl")
        .args([
            "-sS",
            "--http1.1",
            "--max-time",
            "30",
            "-w",
            "%{num_connects} ",
        ])
        .arg("-o")
        .arg(&files[0])
        .arg(&url)
        .arg("-o")
        .arg(&files[1])
        .arg(edge.url("/small.txt"))
        .arg("-o")
        .arg(&files[2])
        .arg(&url)
        .output()
        .expect("run curl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let connects = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(connects.trim(), "1 0 0", "one connection for the three");
    let bodies: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("body"))
        .collect();
    for f in &files {
        let _ = std::fs::remove_file(f);
    }
    assert!(
        bodies[0] == data && bodies[2] == data,
        "large bodies intact"
    );
    assert_eq!(bodies[1], b"tiny");
    assert_eq!(zero_copy_bytes(&edge).await, expected + 2 * LEN as u64);
    assert_origin_hits(&origin, "/big.bin", 1, "every later GET was a hit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_hits_go_out_from_their_file_once_verified() {
    let dir = CacheDir::new("zero-copy");
    // Larger than memory may hold: it leaves memory for its file as it downloads.
    let (origin, edge) = start(&[
        "--sendfile",
        "on",
        "--cache-dir",
        dir.arg(),
        "--memory-max-object",
        "1MiB",
    ])
    .await;
    let data = pseudo_random_bytes(LEN, 11);
    origin.route("/disk.bin", Reply::cacheable(data.clone(), "max-age=3600"));
    let target = edge.url("/disk.bin");
    assert_body(&curl(&target, &[]).await, &data, "miss");

    // The first hits from the file read (and verify) its blocks; once every block has been
    // verified, hits go out with sendfile.
    let sent = hit_until_sent(&edge, &target, &data, Duration::from_millis(50)).await;
    assert_eq!(sent, LEN as u64, "one whole body");
    assert_eq!(zero_copy_bytes(&edge).await, LEN as u64, "one whole body");
    let range = curl(&target, &["-H", "Range: bytes=-5000"]).await;
    assert_eq!(range.status, 206);
    assert_body(&range, &data[LEN - 5000..], "suffix range from the file");
    assert_eq!(zero_copy_bytes(&edge).await, LEN as u64 + 5000);
    assert_origin_hits(&origin, "/disk.bin", 1, "one fill");
    drop(edge);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_viewers_get_copies_unless_sendfile_is_on() {
    for args in [&[][..], &["--sendfile", "off"][..]] {
        let (_origin, edge, data, url) = big_object(args, 3).await;
        assert_body(&curl(&url, &[]).await, &data, "miss");
        let hit = curl(&url, &[]).await;
        assert_hit(&hit, "hit");
        assert_body(&hit, &data, "hit");
        assert_eq!(
            zero_copy_bytes(&edge).await,
            0,
            "{args:?}: copied, not sent from the file"
        );
    }
}

/// Readers of disk-tier files open a handle per transfer and close it at the end: serving
/// many files from disk, in place and by sendfile, leaves no descriptors behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_hits_leave_no_open_files_behind() {
    const N: usize = 60;
    let dir = CacheDir::new("zero-copy-fds");
    let args = [
        "--sendfile",
        "on",
        "--cache-dir",
        dir.arg(),
        "--memory-max-object",
        "16KiB",
    ];
    let (origin, edge) = start(&args).await;
    let bodies: Vec<Vec<u8>> = (0..N)
        .map(|i| pseudo_random_bytes(100_000 + i, i as u64 + 1))
        .collect();
    for (i, b) in bodies.iter().enumerate() {
        origin.route(
            &format!("/f/{i}"),
            Reply::cacheable(b.clone(), "max-age=3600"),
        );
    }
    let before = edge.open_fds();
    // Each object: the miss, then hits until one went out by sendfile (the file is complete,
    // memory let it go, its blocks were read once).
    for (i, b) in bodies.iter().enumerate() {
        let target = edge.url(&format!("/f/{i}"));
        assert_body(&curl(&target, &[]).await, b, "miss");
        hit_until_sent(&edge, &target, b, Duration::from_millis(20)).await;
    }
    let after = edge.open_fds();
    assert!(
        after < before + 20,
        "{N} files served from disk: {before} descriptors before, {after} after"
    );
    assert_eq!(origin.total(), N, "one fill each");
    drop(edge);
}

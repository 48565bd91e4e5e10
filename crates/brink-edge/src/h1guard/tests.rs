//! The guard's rules, one test each, on raw bytes.

use super::*;

fn verdict(raw: &[u8]) -> HeadVerdict {
    inspect_head(raw)
}

fn bad(raw: &[u8]) -> bool {
    matches!(verdict(raw), HeadVerdict::Reject(Reject::BadRequest(_)))
}

#[test]
fn plain_get_passes() {
    let raw = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b";
    assert_eq!(
        verdict(raw),
        HeadVerdict::Head {
            len: 28,
            framing: Framing::None,
            opaque_after: false
        }
    );
    assert_eq!(
        verdict(b"GET /a HTTP/1.1\r\nHost: x\r\n"),
        HeadVerdict::Incomplete
    );
}

#[test]
fn framing_is_found() {
    let v = verdict(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n");
    assert!(matches!(
        v,
        HeadVerdict::Head {
            framing: Framing::Length(5),
            ..
        }
    ));
    let v = verdict(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    assert!(matches!(
        v,
        HeadVerdict::Head {
            framing: Framing::Chunked,
            ..
        }
    ));
    let v = verdict(b"GET / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n");
    assert!(matches!(
        v,
        HeadVerdict::Head {
            framing: Framing::Length(3),
            ..
        }
    ));
    let v = verdict(b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
    assert!(matches!(
        v,
        HeadVerdict::Head {
            opaque_after: true,
            ..
        }
    ));
}

#[test]
fn smuggling_shapes_are_refused() {
    assert!(bad(
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    ));
    assert!(bad(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
    ));
    assert!(bad(
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
    ));
    assert!(bad(b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"));
    assert!(bad(b"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"));
    assert!(bad(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
    ));
    assert!(bad(
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
    ));
    assert!(bad(b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n"));
    assert!(bad(b"GET / HTTP/1.1\nHost: x\n\n"));
    assert!(bad(b"GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n"));
    assert!(bad(b"GET / HTTP/1.1\r\nHost: x\r\nX: a\nY: b\r\n\r\n"));
}

#[test]
fn limits() {
    let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', MAX_HEAD));
    assert_eq!(verdict(&big), HeadVerdict::Reject(Reject::HeadTooLarge));
    big.extend_from_slice(b"\r\n\r\n");
    assert_eq!(verdict(&big), HeadVerdict::Reject(Reject::HeadTooLarge));
    let mut long = b"GET /".to_vec();
    long.extend(std::iter::repeat_n(b'a', MAX_TARGET));
    assert_eq!(verdict(&long), HeadVerdict::Reject(Reject::TargetTooLong));
    long.extend_from_slice(b" HTTP/1.1\r\n\r\n");
    assert_eq!(verdict(&long), HeadVerdict::Reject(Reject::TargetTooLong));
    // Just under both limits is fine.
    let mut ok = b"GET /".to_vec();
    ok.extend(std::iter::repeat_n(b'a', MAX_TARGET - 1));
    ok.extend_from_slice(b" HTTP/1.1\r\n\r\n");
    assert!(matches!(verdict(&ok), HeadVerdict::Head { .. }));
}

fn skip_all(chunks: &[&[u8]]) -> Result<(usize, bool), ChunkError> {
    let mut s = ChunkedSkipper::default();
    let mut total = 0;
    for c in chunks {
        total += s.advance(c)?;
        if s.is_done() {
            break;
        }
    }
    Ok((total, s.is_done()))
}

#[test]
fn chunked_bodies_are_followed_across_reads() {
    let body = b"5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1";
    assert_eq!(skip_all(&[body]), Ok((body.len() - 14, true)));
    // Byte by byte gives the same answer.
    let pieces: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(skip_all(&pieces), Ok((body.len() - 14, true)));
    assert_eq!(skip_all(&[b"5\r\nhel"]), Ok((6, false)));
}

#[test]
fn bad_chunked_framing_is_refused() {
    for raw in [
        &b"zz\r\n"[..],
        b"5\nhello\r\n",
        b"5\r\nhelloX\r\n",
        b"\r\n",
        b"11111111111111111\r\n",
        b"0\r\nX: y\n\r\n",
        b"-1\r\n",
    ] {
        assert!(
            skip_all(&[raw]).is_err(),
            "{:?}",
            String::from_utf8_lossy(raw)
        );
    }
}

#[tokio::test]
async fn guard_hands_hyper_a_synthetic_request_on_reject() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let (mut guarded, shared) = GuardedIo::new(
        server,
        GuardTimeouts {
            header_read: Duration::from_secs(5),
            idle: Duration::from_secs(5),
        },
    );
    client
        .write_all(b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        .await
        .unwrap();
    drop(client);
    let mut seen = Vec::new();
    guarded.read_to_end(&mut seen).await.unwrap();
    let seen = String::from_utf8(seen).unwrap();
    assert!(
        seen.starts_with("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /__brink_reject_"),
        "{seen}"
    );
    let synthetic_target = seen.lines().nth(3).unwrap().split(' ').nth(1).unwrap();
    assert_eq!(
        shared.reject_for(synthetic_target),
        Some(Reject::BadRequest("Content-Length with Transfer-Encoding"))
    );
    assert_eq!(shared.reject_for("/__brink_reject_0000"), None);
    assert!(!seen.contains("POST"));
}

#[tokio::test]
async fn h2_preface_passes_through() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let (mut guarded, _) = GuardedIo::new(
        server,
        GuardTimeouts {
            header_read: Duration::from_secs(5),
            idle: Duration::from_secs(5),
        },
    );
    let mut sent = H2_PREFACE.to_vec();
    sent.extend_from_slice(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00\nnot http/1 at all\n\n");
    client.write_all(&sent).await.unwrap();
    drop(client);
    let mut seen = Vec::new();
    guarded.read_to_end(&mut seen).await.unwrap();
    assert_eq!(seen, sent);
}

#[tokio::test(start_paused = true)]
async fn slow_heads_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let (mut guarded, _) = GuardedIo::new(
        server,
        GuardTimeouts {
            header_read: Duration::from_secs(1),
            idle: Duration::from_secs(30),
        },
    );
    client.write_all(b"GET /slow HT").await.unwrap();
    let mut seen = Vec::new();
    // With the clock paused, the read completes only because the header timer fired.
    guarded.read_to_end(&mut seen).await.unwrap();
    assert!(seen.is_empty());
}

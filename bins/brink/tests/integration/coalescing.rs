//! Request coalescing (read-while-writer): concurrent misses on one key make exactly one
//! origin request, and every waiting viewer receives the body as it streams in (all 200
//! clients get the first chunk while the origin is still holding the rest behind a gate).
//! A fill that fails (body cut short, origin refusing connections) never leaves a follower
//! hanging: every client finishes, with an error, within a bounded time, and nothing broken
//! is stored.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::testkit::client::header_string;
use crate::testkit::*;

/// How a streaming client ended.
#[derive(Debug)]
struct Outcome {
    status: u16,
    x_cache: String,
    body: Vec<u8>,
    /// Transport error while reading the body (or before the head), if any.
    error: Option<String>,
}

/// Spawns `n` clients that GET `url` concurrently; each sends its index on `first_bytes` as
/// soon as it has received at least `first_len` body bytes, then reads the body to its end.
fn spawn_streaming_clients(
    n: usize,
    url: &str,
    first_len: usize,
) -> (Vec<JoinHandle<Outcome>>, mpsc::UnboundedReceiver<usize>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let tasks = (0..n)
        .map(|i| {
            let (url, tx) = (url.to_owned(), tx.clone());
            tokio::spawn(async move {
                let resp = match Req::get(&url).send_streaming().await {
                    Ok(r) => r,
                    Err(e) => {
                        return Outcome {
                            status: 0,
                            x_cache: String::new(),
                            body: Vec::new(),
                            error: Some(e),
                        }
                    }
                };
                let status = resp.status().as_u16();
                let x_cache = resp
                    .headers()
                    .get("x-cache")
                    .map(header_string)
                    .unwrap_or_default();
                let mut body = resp.into_body();
                let (mut got, mut error, mut signalled) = (Vec::new(), None, false);
                while let Some(frame) = body.frame().await {
                    match frame {
                        Ok(frame) => {
                            if let Some(data) = frame.data_ref() {
                                got.extend_from_slice(data);
                            }
                        }
                        Err(e) => {
                            error = Some(format!("{e:?}"));
                            break;
                        }
                    }
                    if !signalled && got.len() >= first_len {
                        signalled = true;
                        let _ = tx.send(i);
                    }
                }
                Outcome {
                    status,
                    x_cache,
                    body: got,
                    error,
                }
            })
        })
        .collect();
    (tasks, rx)
}

/// Receives up to `n` signals within `limit`; returns how many arrived.
async fn count_signals(
    rx: &mut mpsc::UnboundedReceiver<usize>,
    n: usize,
    limit: Duration,
) -> usize {
    let deadline = tokio::time::Instant::now() + limit;
    let mut seen = 0;
    while seen < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(_)) => seen += 1,
            Ok(None) | Err(_) => break,
        }
    }
    seen
}

/// Joins every client, failing the test if any is still running after `limit`.
async fn join_all(tasks: Vec<JoinHandle<Outcome>>, limit: Duration) -> Vec<Outcome> {
    within(limit, "every coalesced client to finish", async {
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.expect("client task panicked"));
        }
        out
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_make_one_origin_request_and_stream_to_everyone() {
    const CLIENTS: usize = 200;
    let (origin, edge) = start(&[]).await;
    let gate = Gate::new();
    let first = Bytes::from(pseudo_random_bytes(4 * 1024, 11));
    let rest = Bytes::from(pseudo_random_bytes(256 * 1024, 12));
    let full: Vec<u8> = [first.as_ref(), rest.as_ref()].concat();
    origin.route(
        "/hot",
        Reply::cacheable(first.clone(), "max-age=60")
            .then_wait(&gate)
            .then_chunk(rest),
    );

    let (tasks, mut first_bytes) = spawn_streaming_clients(CLIENTS, &edge.url("/hot"), first.len());
    let streamed_before_release =
        count_signals(&mut first_bytes, CLIENTS, Duration::from_secs(20)).await;
    let origin_requests_while_held = origin.hits("/hot");
    gate.open();
    let outcomes = join_all(tasks, Duration::from_secs(30)).await;

    assert_eq!(
        origin_requests_while_held, 1,
        "{CLIENTS} concurrent misses must make exactly one origin request"
    );
    assert_eq!(
        streamed_before_release, CLIENTS,
        "every client must receive the first chunk while the origin still holds the rest (read-while-writer)"
    );
    for (i, o) in outcomes.iter().enumerate() {
        assert!(
            o.error.is_none(),
            "client {i}: transport error {:?}",
            o.error
        );
        assert_eq!(o.status, 200, "client {i} status");
        assert!(
            o.body == full,
            "client {i}: body of {} bytes differs from the {} bytes sent",
            o.body.len(),
            full.len()
        );
    }
    let misses = outcomes.iter().filter(|o| o.x_cache == MISS).count();
    assert!(
        outcomes
            .iter()
            .all(|o| o.x_cache == MISS || o.x_cache == HIT),
        "X-Cache values must be Miss or Hit"
    );
    assert!(misses >= 1, "the leader's response is a miss");
    assert_origin_hits(&origin, "/hot", 1, "after all clients finished");
    expect_hit(
        &origin,
        &edge,
        "/hot",
        &full,
        "the coalesced fill was stored",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn truncated_origin_body_does_not_hang_followers_and_is_not_stored() {
    const CLIENTS: usize = 50;
    let (origin, edge) = start(&[]).await;
    let gate = Gate::new();
    let first = Bytes::from(pseudo_random_bytes(2048, 21));
    // Declares 100,000 bytes, sends 2,048, waits for the gate, then drops the connection.
    let broken = Reply::cacheable(first.clone(), "max-age=60")
        .header("content-length", "100000")
        .then_wait(&gate)
        .abort_after_body();
    origin.route("/broken", broken);

    let (tasks, mut first_bytes) =
        spawn_streaming_clients(CLIENTS, &edge.url("/broken"), first.len());
    // Give the followers a chance to attach (not asserted here: streaming is the other test's job).
    count_signals(&mut first_bytes, CLIENTS, Duration::from_secs(10)).await;
    gate.open();
    let outcomes = join_all(tasks, Duration::from_secs(20)).await;

    for (i, o) in outcomes.iter().enumerate() {
        let signalled_failure = o.error.is_some() || o.status >= 500;
        assert!(
            signalled_failure,
            "client {i}: a truncated origin body must reach the viewer as an error (aborted body or 5xx), \
             got status {} with a clean {}-byte body",
            o.status,
            o.body.len()
        );
        assert!(
            o.body.len() < 100_000,
            "client {i}: cannot have received more than the origin sent"
        );
    }
    origin.route("/broken", Reply::cacheable("recovered", "max-age=60"));
    let resp = edge.get("/broken").await;
    assert_body(&resp, b"recovered", "after a failed fill");
    assert_origin_hits(
        &origin,
        "/broken",
        2,
        "a truncated response must not be stored",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_origin_fails_every_coalesced_client_promptly() {
    const CLIENTS: usize = 50;
    let (origin, edge) = start(&[]).await;
    origin.shutdown();
    let (tasks, _first_bytes) = spawn_streaming_clients(CLIENTS, &edge.url("/down"), 1);
    let outcomes = join_all(tasks, Duration::from_secs(15)).await;
    for (i, o) in outcomes.iter().enumerate() {
        assert_eq!(
            o.status, 502,
            "client {i}: origin refusing connections → 502 ({o:?})"
        );
        assert_eq!(o.x_cache, ERROR, "client {i}: X-Cache of a 502");
    }
}

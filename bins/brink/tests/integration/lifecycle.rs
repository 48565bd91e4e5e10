//! Process lifecycle: graceful shutdown on SIGTERM/SIGINT (in-flight responses finish, new
//! connections are refused, `--shutdown-grace` bounds the wait) and SIGHUP reloading the
//! viewer certificate without dropping connections or the cache.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;

use crate::testkit::tls::{H1Conn, TlsClient, TlsEdge};
use crate::testkit::{
    assert_body, assert_hit, assert_miss, assert_origin_hits, eventually, expect_hit, prime,
    pseudo_random_bytes, start, within, Edge, Gate, Reply, Req, TestOrigin,
};

/// How long a signal may take to show its effect.
const SIGNAL_EFFECT: Duration = Duration::from_secs(10);

/// Polls until connecting to `edge`'s viewer port is refused; whether it was within `limit`.
async fn refuses_connections(edge: &Edge, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::net::TcpStream::connect(edge.addr()).await {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return true,
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A keep-alive HTTP/1.1 connection to the plain-text viewer port.
async fn plain_keepalive(edge: &Edge) -> H1Conn {
    let tcp = tokio::net::TcpStream::connect(edge.addr())
        .await
        .expect("connect to the edge");
    H1Conn::over(tcp).await
}

#[tokio::test]
async fn sigterm_finishes_in_flight_response_refuses_new_connections_and_exits_zero() {
    let (origin, mut edge) = start(&["--shutdown-grace", "30"]).await;
    let gate = Gate::new();
    let head = pseudo_random_bytes(64 * 1024, 21);
    let tail = pseudo_random_bytes(256 * 1024, 22);
    origin.route(
        "/life/slow",
        Reply::cacheable(head.clone(), "max-age=600")
            .then_wait(&gate)
            .then_chunk(tail.clone()),
    );
    origin.route("/life/idle", Reply::cacheable("idle", "max-age=600"));

    // An idle keep-alive connection, which must not hold up the exit.
    let mut idle = plain_keepalive(&edge).await;
    assert_eq!(idle.get("/life/idle").await.status, 200);

    // The slow response: head and first part received, the rest held by the origin.
    let resp = within(
        Duration::from_secs(10),
        "the slow response head",
        Req::get(&edge.url("/life/slow")).send_streaming(),
    )
    .await
    .expect("slow response head");
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let mut received = Vec::new();
    while received.len() < head.len() {
        let frame = within(Duration::from_secs(10), "the first part", body.frame())
            .await
            .expect("body continues")
            .expect("body frame");
        if let Ok(data) = frame.into_data() {
            received.extend_from_slice(&data);
        }
    }

    edge.signal("TERM");
    assert!(
        refuses_connections(&edge, SIGNAL_EFFECT).await,
        "after SIGTERM new connections must be refused"
    );
    assert!(
        eventually(SIGNAL_EFFECT, || idle.is_closed()).await,
        "after SIGTERM an idle keep-alive connection must be closed"
    );
    assert!(
        edge.is_running(),
        "the edge must wait for the in-flight response"
    );

    gate.open();
    let rest = within(
        Duration::from_secs(20),
        "the rest of the body",
        body.collect(),
    )
    .await
    .expect("the in-flight body completes")
    .to_bytes();
    received.extend_from_slice(&rest);
    let mut expected = head.clone();
    expected.extend_from_slice(&tail);
    assert!(
        received == expected,
        "in-flight body must be byte-exact: got {} bytes, expected {}",
        received.len(),
        expected.len()
    );

    let status = edge
        .wait_exit(SIGNAL_EFFECT)
        .await
        .expect("the edge exits once the in-flight response is done");
    assert_eq!(status.code(), Some(0), "graceful shutdown exits 0");
}

#[tokio::test]
async fn sigterm_does_not_wait_past_shutdown_grace_for_a_stuck_request() {
    let (origin, mut edge) = start(&["--shutdown-grace", "1"]).await;
    let gate = Gate::new(); // never opened
    origin.route("/life/stuck", Reply::ok("never").gate_before_headers(&gate));
    let stuck = tokio::spawn(Req::get(&edge.url("/life/stuck")).try_send());
    assert_eq!(
        origin
            .wait_for_hits("/life/stuck", 1, Duration::from_secs(10))
            .await,
        1,
        "the stuck request reached the origin"
    );
    let signalled = Instant::now();
    edge.signal("TERM");
    let status = edge
        .wait_exit(SIGNAL_EFFECT)
        .await
        .expect("a stuck request must not keep the edge alive past --shutdown-grace");
    let waited = signalled.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "the edge should give in-flight requests the grace period, exited after {waited:?}"
    );
    assert_eq!(status.code(), Some(0));
    let outcome = within(Duration::from_secs(10), "the stuck request to fail", stuck)
        .await
        .expect("request task");
    assert!(
        outcome.is_err(),
        "the stuck request cannot have completed: {outcome:?}"
    );
}

#[tokio::test]
async fn sigint_on_an_idle_edge_exits_promptly() {
    let (origin, mut edge) = start(&["--shutdown-grace", "30"]).await;
    prime(
        &origin,
        &edge,
        "/life/int",
        Reply::cacheable("x", "max-age=60"),
    )
    .await;
    let signalled = Instant::now();
    edge.signal("INT");
    let status = edge
        .wait_exit(SIGNAL_EFFECT)
        .await
        .expect("SIGINT stops the edge");
    assert_eq!(status.code(), Some(0));
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "with nothing in flight the edge must not wait for the grace period"
    );
}

#[tokio::test]
async fn sighup_without_tls_keeps_serving_and_the_cache() {
    let origin = TestOrigin::start().await;
    let mut edge = Edge::start_with_env(&origin.url(), &[], &[("RUST_LOG", "info")]).await;
    prime(
        &origin,
        &edge,
        "/life/hup",
        Reply::cacheable("kept", "max-age=600"),
    )
    .await;
    edge.signal("HUP");
    assert!(
        eventually(SIGNAL_EFFECT, || edge
            .stderr()
            .contains("nothing to reload"))
        .await,
        "SIGHUP must be handled (logged), stderr:\n{}",
        edge.stderr()
    );
    expect_hit(&origin, &edge, "/life/hup", b"kept", "after SIGHUP").await;
    assert!(edge.is_running());
}

#[tokio::test]
async fn sighup_swaps_the_certificate_for_new_connections_only() {
    let mut t = TlsEdge::start(&[], &[("RUST_LOG", "info")]).await;
    let body = pseudo_random_bytes(20_000, 31);
    t.origin
        .route("/life/cert", Reply::cacheable(body.clone(), "max-age=3600"));
    // Certificates are compared on fresh, non-resuming handshakes.
    let fresh = TlsClient::with(
        &t.ca.pem(),
        &[&rustls::version::TLS13, &rustls::version::TLS12],
        false,
    );
    let (mut kept, negotiated) = fresh.http1(t.edge.addr()).await;
    assert!(
        negotiated.leaf == t.leaf.der,
        "the edge starts with certificate 1"
    );
    let first = kept.get("/life/cert").await;
    assert_miss(&first, "first GET");
    assert_body(&first, &body, "first GET");

    // New files at the same paths, then SIGHUP.
    let renewed = t.ca.localhost("brink-edge-2", 2002);
    t.dir.write_leaf(&renewed);
    t.edge.signal("HUP");
    assert!(
        eventually(SIGNAL_EFFECT, || t
            .edge
            .stderr()
            .contains("TLS certificate reloaded"))
        .await,
        "the reload should be logged; stderr:\n{}",
        t.edge.stderr()
    );
    let (mut new_conn, negotiated) = fresh.http1(t.edge.addr()).await;
    assert!(
        negotiated.leaf == renewed.der,
        "a new connection must present the reloaded certificate (serial 2002)"
    );

    // The connection made before the reload still works, and the cache survived.
    let again = kept.get("/life/cert").await;
    assert_hit(&again, "keep-alive connection from before the reload");
    assert_body(
        &again,
        &body,
        "keep-alive connection from before the reload",
    );
    let on_new = new_conn.get("/life/cert").await;
    assert_hit(&on_new, "new connection after the reload");
    assert_origin_hits(&t.origin, "/life/cert", 1, "the cache survived the reload");

    // A broken certificate file: the reload fails, the renewed certificate stays.
    t.dir
        .write("cert.pem", "-----BEGIN CERTIFICATE-----\nbroken\n");
    t.edge.signal("HUP");
    assert!(
        eventually(SIGNAL_EFFECT, || t.edge.stderr().contains("reload failed")).await,
        "a failed reload should be logged; stderr:\n{}",
        t.edge.stderr()
    );
    let (mut after, negotiated) = fresh.http1(t.edge.addr()).await;
    assert!(
        negotiated.leaf == renewed.der,
        "after a failed reload the previous certificate stays"
    );
    assert_hit(&after.get("/life/cert").await, "after a failed reload");
    assert_hit(
        &kept.get("/life/cert").await,
        "old connection after a failed reload",
    );
    assert!(t.edge.is_running());
}

/// One debug-level `request` span per request, carrying the request id and the cache status
/// (and the distribution under `brink edge`): visible with `RUST_LOG=brink_edge=debug`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_has_a_span_with_its_id_and_cache_status() {
    let origin = TestOrigin::start().await;
    origin.route("/s", Reply::cacheable("s", "max-age=60"));
    let edge = Edge::start_with_env(&origin.url(), &[], &[("RUST_LOG", "brink_edge=debug")]).await;
    let miss = edge.get("/s").await;
    assert_miss(&miss, "first");
    let hit = edge.get("/s").await;
    assert_hit(&hit, "second");
    for (resp, status) in [(&miss, "miss"), (&hit, "hit")] {
        let id = resp.header("x-amz-cf-id").expect("X-Amz-Cf-Id");
        let line = format!("request{{id=\"{id}\" cache_status=\"{status}\"}}");
        assert!(
            eventually(SIGNAL_EFFECT, || edge.stderr().contains(&line)).await,
            "no {line} in stderr:\n{}",
            edge.stderr()
        );
    }
}

//! TLS: viewer TLS (`--tls-cert`/`--tls-key`: HTTP/2 by ALPN, HTTP/1.1 behind the framing
//! guard, TLS 1.2 and 1.3, session resumption, no plain-text fallback, start-up errors) and
//! HTTPS origins signed by a private CA (`--origin-ca`).

use std::process::Command;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::testkit::tls::{path_string, PemDir, TestCa, TlsClient, TlsEdge};
use crate::testkit::{
    assert_body, assert_hit, assert_miss, assert_origin_hits, assert_x_cache, expect_hit, prime,
    pseudo_random_bytes, within, Edge, Reply, Req, TestOrigin, ERROR,
};

const TLS13: &rustls::SupportedProtocolVersion = &rustls::version::TLS13;
const TLS12: &rustls::SupportedProtocolVersion = &rustls::version::TLS12;

#[tokio::test]
async fn http2_by_alpn_serves_exact_origin_bytes_then_hits() {
    let t = TlsEdge::start(&[], &[]).await;
    let body = pseudo_random_bytes(300_000, 11);
    t.origin.route(
        "/tls/h2.bin",
        Reply::cacheable(body.clone(), "max-age=3600"),
    );
    let first = t.curl("/tls/h2.bin", &["--http2"]).await;
    assert_eq!(first.status_line, "HTTP/2 200", "curl --http2 over TLS");
    assert_miss(&first.resp, "first HTTP/2 GET over TLS");
    assert_body(&first.resp, &body, "first HTTP/2 GET over TLS");
    let second = t.curl("/tls/h2.bin", &["--http2"]).await;
    assert_eq!(second.status_line, "HTTP/2 200");
    assert_hit(&second.resp, "second HTTP/2 GET over TLS");
    assert_body(&second.resp, &body, "second HTTP/2 GET over TLS");
    assert_origin_hits(&t.origin, "/tls/h2.bin", 1, "two GETs over TLS");
}

#[tokio::test]
async fn http11_over_tls_works_and_keeps_the_framing_guard() {
    let t = TlsEdge::start(&[], &[]).await;
    t.origin
        .route("/tls/h1", Reply::cacheable("hello over TLS", "max-age=60"));
    let out = t.curl("/tls/h1", &["--http1.1"]).await;
    assert_eq!(
        out.status_line, "HTTP/1.1 200 OK",
        "curl --http1.1 over TLS"
    );
    assert_miss(&out.resp, "HTTP/1.1 over TLS");
    assert_body(&out.resp, b"hello over TLS", "HTTP/1.1 over TLS");

    // Content-Length together with Transfer-Encoding: the guard must still refuse it with a
    // 400 when the connection is TLS.
    let (mut stream, negotiated) = t.client().connect(t.edge.addr()).await;
    assert_eq!(negotiated.alpn.as_deref(), Some(&b"http/1.1"[..]));
    stream
        .write_all(
            b"POST /tls/smuggle HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\
              Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        )
        .await
        .expect("write request");
    let mut answer = Vec::new();
    let read = within(Duration::from_secs(10), "the guard's answer", async {
        stream.read_to_end(&mut answer).await
    })
    .await;
    // The edge closes after the error page; a TLS close without close_notify is fine here.
    let _ = read;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 400"),
        "ambiguous framing over TLS must get a 400, got {text:?}"
    );
    assert_eq!(
        t.origin.hits("/tls/smuggle"),
        0,
        "a refused request must not reach the origin"
    );
}

#[tokio::test]
async fn tls12_only_and_tls13_only_clients_both_work() {
    let t = TlsEdge::start(&[], &[]).await;
    t.origin
        .route("/tls/v", Reply::cacheable("versioned", "max-age=60"));
    for (flags, expected) in [
        (&["--tlsv1.2", "--tls-max", "1.2"][..], "TLSv1.2"),
        (&["--tlsv1.3"][..], "TLSv1.3"),
    ] {
        let mut args = vec!["-v", "--http1.1"];
        args.extend_from_slice(flags);
        let out = t.curl("/tls/v", &args).await;
        assert_eq!(out.resp.status, 200, "curl {flags:?}");
        assert_body(&out.resp, b"versioned", &format!("curl {flags:?}"));
        assert!(
            out.stderr
                .contains(&format!("SSL connection using {expected}")),
            "curl {flags:?} should report {expected}; stderr:\n{}",
            out.stderr
        );
    }
    for (version, expected) in [
        (TLS12, rustls::ProtocolVersion::TLSv1_2),
        (TLS13, rustls::ProtocolVersion::TLSv1_3),
    ] {
        let client = TlsClient::with(&t.ca.pem(), &[version], false);
        let (mut conn, negotiated) = client.http1(t.edge.addr()).await;
        assert_eq!(negotiated.version, expected);
        let resp = conn.get("/tls/v").await;
        assert_eq!(resp.status, 200, "rustls client with only {expected:?}");
        assert_body(&resp, b"versioned", "rustls client");
    }
}

#[tokio::test]
async fn tls_sessions_are_resumed_with_tls12_and_tls13() {
    let t = TlsEdge::start(&[], &[]).await;
    t.origin
        .route("/tls/resume", Reply::cacheable("again", "max-age=60"));
    for version in [TLS13, TLS12] {
        let client = TlsClient::with(&t.ca.pem(), &[version], true);
        let (mut first, n1) = client.http1(t.edge.addr()).await;
        assert!(
            !n1.resumed,
            "{:?}: the first handshake is a full one",
            n1.version
        );
        // Reading a response also takes in the TLS 1.3 session tickets sent after the
        // handshake.
        assert_eq!(first.get("/tls/resume").await.status, 200);
        let (mut second, n2) = client.http1(t.edge.addr()).await;
        assert!(
            n2.resumed,
            "{:?}: the second handshake with the same client should resume the session",
            n2.version
        );
        assert_eq!(second.get("/tls/resume").await.status, 200);
    }
}

#[tokio::test]
async fn tls_listener_has_no_plain_text_fallback_and_survives_garbage() {
    let t = TlsEdge::start(&[], &[]).await;
    t.origin.route("/tls/plain", Reply::ok("secret"));
    let plain = Req::get(&format!("http://{}/tls/plain", t.edge.addr()))
        .try_send()
        .await;
    assert!(
        plain.is_err(),
        "plain HTTP on the TLS listener must fail, got {plain:?}"
    );

    // Garbage instead of a ClientHello: the connection is closed, nothing else happens.
    let mut raw = tokio::net::TcpStream::connect(t.edge.addr())
        .await
        .expect("connect");
    raw.write_all(b"\x16\x03\x01\x00\x05hello garbage\r\n\r\n")
        .await
        .expect("write garbage");
    let mut sink = Vec::new();
    let _ = within(
        Duration::from_secs(15),
        "the edge to close a bad handshake",
        async { raw.read_to_end(&mut sink).await },
    )
    .await;

    let resp = t.client().get(t.edge.addr(), "/tls/plain").await;
    assert_eq!(
        resp.status, 200,
        "the edge still serves TLS after bad handshakes"
    );
    assert_body(&resp, b"secret", "after bad handshakes");
    assert_origin_hits(
        &t.origin,
        "/tls/plain",
        1,
        "only the TLS request reached the origin",
    );
}

/// Runs `brink serve` with `args` (after the required ones) and expects a configuration
/// error: exit 64 and a message containing every one of `needles`.
fn expect_config_error(args: &[&str], needles: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_brink"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--origin",
            "http://127.0.0.1:9",
        ])
        .args(args)
        .output()
        .expect("run brink");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(64),
        "brink serve {args:?} must fail as a configuration error; stderr:\n{stderr}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "brink serve {args:?}: the error should mention {needle:?}; stderr:\n{stderr}"
        );
    }
}

#[test]
fn tls_flags_are_checked_at_start_naming_the_flag_and_the_file() {
    let ca = TestCa::new("Brink Test CA");
    let dir = PemDir::new();
    let one = ca.localhost("one", 1);
    let two = ca.localhost("two", 2);
    let (cert, key) = dir.write_leaf(&one);
    let other_key = path_string(&dir.write("other-key.pem", &two.key_pem));
    let junk = path_string(&dir.write("junk.pem", "this is not PEM\n"));
    let missing = path_string(&dir.path("missing.pem"));

    expect_config_error(&["--tls-cert", &cert], &["--tls-cert", "--tls-key"]);
    expect_config_error(&["--tls-key", &key], &["--tls-key", "--tls-cert"]);
    expect_config_error(
        &["--tls-cert", &missing, "--tls-key", &key],
        &["--tls-cert", &missing],
    );
    expect_config_error(
        &["--tls-cert", &junk, "--tls-key", &key],
        &["--tls-cert", &junk],
    );
    expect_config_error(
        &["--tls-cert", &cert, "--tls-key", &junk],
        &["--tls-key", &junk],
    );
    expect_config_error(
        &["--tls-cert", &cert, "--tls-key", &other_key],
        &["--tls-key", &other_key],
    );
    expect_config_error(&["--origin-ca", &junk], &["--origin-ca", &junk]);
    expect_config_error(&["--origin-ca", &missing], &["--origin-ca", &missing]);
}

/// An HTTPS test origin presenting a certificate for `names` signed by `ca`.
async fn https_origin(ca: &TestCa, names: &[&str]) -> TestOrigin {
    TestOrigin::start_tls(&ca.issue("test-origin", names, 77)).await
}

#[tokio::test]
async fn https_origin_signed_by_a_private_ca_is_trusted_with_origin_ca() {
    let ca = TestCa::new("Origin CA");
    let dir = PemDir::new();
    let ca_path = path_string(&dir.write("origin-ca.pem", &ca.pem()));
    let origin = https_origin(&ca, &["localhost", "127.0.0.1"]).await;
    assert!(origin.url().starts_with("https://"));
    let edge = Edge::start(&origin.url(), &["--origin-ca", &ca_path]).await;
    let body = pseudo_random_bytes(50_000, 5);
    prime(
        &origin,
        &edge,
        "/secure/obj",
        Reply::cacheable(body.clone(), "max-age=600"),
    )
    .await;
    expect_hit(
        &origin,
        &edge,
        "/secure/obj",
        &body,
        "second GET via HTTPS origin",
    )
    .await;
}

#[tokio::test]
async fn https_origin_from_an_unknown_ca_is_a_502_without_origin_ca() {
    let ca = TestCa::new("Origin CA");
    let origin = https_origin(&ca, &["localhost", "127.0.0.1"]).await;
    origin.route("/secure/obj", Reply::cacheable("never seen", "max-age=600"));
    let edge = Edge::start(&origin.url(), &[]).await;
    let resp = edge.get("/secure/obj").await;
    assert_eq!(resp.status, 502, "untrusted origin certificate: {resp:?}");
    assert_x_cache(&resp, ERROR, "untrusted origin certificate");
    let text = resp.text();
    assert!(
        text.contains("502 ERROR") && text.contains("Generated by cloudfront (CloudFront)"),
        "expected the CloudFront-style error page, got {text:?}"
    );
    assert_eq!(
        origin.hits("/secure/obj"),
        0,
        "no request may be sent over an unverified connection"
    );
}

#[tokio::test]
async fn origin_ca_does_not_disable_the_host_name_check() {
    let ca = TestCa::new("Origin CA");
    let dir = PemDir::new();
    let ca_path = path_string(&dir.write("origin-ca.pem", &ca.pem()));
    // Signed by the trusted CA, but for another name than the one the edge connects to.
    let origin = https_origin(&ca, &["other.invalid"]).await;
    origin.route("/secure/obj", Reply::ok("never seen"));
    let edge = Edge::start(&origin.url(), &["--origin-ca", &ca_path]).await;
    let resp = edge.get("/secure/obj").await;
    assert_eq!(resp.status, 502, "certificate for another host: {resp:?}");
    assert_x_cache(&resp, ERROR, "certificate for another host");
    assert_eq!(origin.hits("/secure/obj"), 0);
}

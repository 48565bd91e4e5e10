//! Viewer TLS per distribution (`brink edge`, cloudfront.md §8.4): the certificate chosen by
//! SNI from the file's `Certificates` list (the default `--tls-cert` one for
//! `CloudFrontDefaultCertificate`, the distributions' own names and unknown names),
//! `MinimumProtocolVersion` (TLSv1.3_2025 refuses TLS 1.2), `HttpVersion` (http1.1 keeps
//! `h2` out of ALPN), aliases a certificate does not cover refused at start
//! (`InvalidViewerCertificate`), and reloads that swap certificates or are refused.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, HandshakeKind, ProtocolVersion, SupportedProtocolVersion};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::testkit::curl::{curl_full, CurlOutput};
use crate::testkit::tls::{path_string, Leaf, PemDir, TestCa};
use crate::testkit::{assert_body, eventually, Edge, Reply, TestOrigin};

const TLS13: &SupportedProtocolVersion = &rustls::version::TLS13;
const TLS12: &SupportedProtocolVersion = &rustls::version::TLS12;
const ARN_A: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/aaaaaaaa-0000-0000-0000-000000000001";
const IAM_B: &str = "ASCABRINKTESTCERTB";
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

/// One distribution on a local HTTP origin; `cert` is its `ViewerCertificate`.
fn distribution(
    id: &str,
    domain: &str,
    aliases: &[&str],
    origin_port: u16,
    cert: Value,
    http_version: &str,
) -> Value {
    json!({
        "Id": id,
        "DomainName": domain,
        "DistributionConfig": {
            "CallerReference": format!("ref-{id}"),
            "Comment": "",
            "Enabled": true,
            "Aliases": { "Quantity": aliases.len(), "Items": aliases },
            "Origins": { "Quantity": 1, "Items": [{
                "Id": "o", "DomainName": "127.0.0.1",
                "CustomOriginConfig": { "HTTPPort": origin_port, "HTTPSPort": 443,
                                        "OriginProtocolPolicy": "http-only" }
            }]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": CACHING_DISABLED
            },
            "ViewerCertificate": cert,
            "HttpVersion": http_version
        }
    })
}

/// Three distributions, two origins, three certificates from one CA:
/// * E1A: aliases `www.a.test` and `*.img.a.test`, ACM certificate A (those two names),
///   TLSv1.2_2021, http2, origin A;
/// * E2B: alias `www.b.test`, IAM certificate B, TLSv1.3_2025, http1.1 (by default), origin B;
/// * E3C: no alias, `CloudFrontDefaultCertificate`, origin A.
///
/// The default certificate (`--tls-cert`) names `*.cloudfront.net`.
struct Setup {
    ca: TestCa,
    dir: PemDir,
    a: TestOrigin,
    b: TestOrigin,
    leaf_a: Leaf,
    leaf_b: Leaf,
    default: Leaf,
    config: PathBuf,
}

impl Setup {
    async fn new() -> Setup {
        let ca = TestCa::new("Brink Viewer TLS Test CA");
        let dir = PemDir::new();
        let leaf_a = ca.issue("cert-a", &["www.a.test", "*.img.a.test"], 11);
        let leaf_b = ca.issue("cert-b", &["www.b.test"], 12);
        let default = ca.issue("cert-default", &["*.cloudfront.net"], 13);
        dir.write("ca.pem", &ca.pem());
        // Relative paths in the file: resolved against the file's directory.
        dir.write("a.pem", &leaf_a.cert_pem);
        dir.write("a.key", &leaf_a.key_pem);
        dir.write("b.pem", &leaf_b.cert_pem);
        dir.write("b.key", &leaf_b.key_pem);
        dir.write("default.pem", &default.cert_pem);
        dir.write("default.key", &default.key_pem);
        let a = TestOrigin::start().await;
        let b = TestOrigin::start().await;
        a.route_prefix("/", Reply::ok("from origin A"));
        b.route_prefix("/", Reply::ok("from origin B"));
        let config = dir.path("edge.json");
        let s = Setup {
            ca,
            dir,
            a,
            b,
            leaf_a,
            leaf_b,
            default,
            config,
        };
        s.write_config(&s.file("b.pem", "http1.1"));
        s
    }

    /// The configuration, with certificate B's file and E2B's HttpVersion as given.
    fn file(&self, cert_b_file: &str, b_http_version: &str) -> Value {
        json!({
            "Distributions": [
                distribution(
                    "E1A", "d1a.cloudfront.net", &["www.a.test", "*.img.a.test"], self.a.port(),
                    json!({ "ACMCertificateArn": ARN_A, "SSLSupportMethod": "sni-only",
                            "MinimumProtocolVersion": "TLSv1.2_2021" }),
                    "http2",
                ),
                distribution(
                    "E2B", "d2b.cloudfront.net", &["www.b.test"], self.b.port(),
                    json!({ "IAMCertificateId": IAM_B, "SSLSupportMethod": "sni-only",
                            "MinimumProtocolVersion": "TLSv1.3_2025" }),
                    b_http_version,
                ),
                distribution(
                    "E3C", "d3c.cloudfront.net", &[], self.a.port(),
                    json!({ "CloudFrontDefaultCertificate": true }),
                    "http2",
                ),
            ],
            "Certificates": [
                { "Id": ARN_A, "CertificateFile": "a.pem", "PrivateKeyFile": "a.key" },
                { "Id": IAM_B, "CertificateFile": cert_b_file, "PrivateKeyFile": "b.key" }
            ]
        })
    }

    fn write_config(&self, v: &Value) {
        std::fs::write(&self.config, v.to_string()).expect("write config");
    }

    fn tls_args(&self) -> [String; 4] {
        [
            "--tls-cert".into(),
            path_string(&self.dir.path("default.pem")),
            "--tls-key".into(),
            path_string(&self.dir.path("default.key")),
        ]
    }

    async fn start(&self) -> Edge {
        let args = self.tls_args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Edge::start_distributions(&self.config, &args).await
    }

    /// `brink edge` run to completion (for start-up errors): exit code and stderr.
    fn run_to_exit(&self) -> (Option<i32>, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_brink"))
            .args(["edge", "--config", &path_string(&self.config)])
            .args(["--listen", "127.0.0.1:0"])
            .args(self.tls_args())
            .output()
            .expect("run brink edge");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A rustls client trusting the test CA, offering `versions` and `alpn`.
    fn client(&self, versions: &[&'static SupportedProtocolVersion], alpn: &[&[u8]]) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(self.ca.pem().as_bytes()) {
            roots.add(cert.expect("CA PEM")).expect("add CA root");
        }
        let mut config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_protocol_versions(versions)
                .expect("TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Client(Arc::new(config))
    }

    /// curl `https://<host>:PORT<path>` with `host` resolved to the edge, trusting the CA.
    async fn curl(&self, edge: &Edge, host: &str, path: &str, args: &[&str]) -> CurlOutput {
        let port = edge.addr().port();
        let ca = path_string(&self.dir.path("ca.pem"));
        let resolve = format!("{host}:{port}:127.0.0.1");
        let mut all = vec!["--cacert", ca.as_str(), "--resolve", resolve.as_str()];
        all.extend_from_slice(args);
        curl_full(&format!("https://{host}:{port}{path}"), &all).await
    }

    /// curl's exit code and stderr for a request expected to fail.
    fn curl_status(&self, edge: &Edge, host: &str, args: &[&str]) -> (Option<i32>, String) {
        let port = edge.addr().port();
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "30", "-o", "/dev/null"])
            .arg("--cacert")
            .arg(self.dir.path("ca.pem"))
            .arg("--resolve")
            .arg(format!("{host}:{port}:127.0.0.1"))
            .args(args)
            .arg(format!("https://{host}:{port}/"))
            .output()
            .expect("run curl");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// What a handshake negotiated.
#[derive(Debug)]
struct Hs {
    leaf: Vec<u8>,
    version: Option<ProtocolVersion>,
    alpn: Option<Vec<u8>>,
    resumed: bool,
}

struct Client(Arc<ClientConfig>);

impl Client {
    /// Handshakes with `addr` sending `sni` as the server name and verifying the certificate
    /// for it (`None`: connect by IP address, which sends no SNI).
    async fn handshake(&self, addr: SocketAddr, sni: Option<&str>) -> Result<Hs, String> {
        let name = match sni {
            Some(n) => ServerName::try_from(n.to_owned()).expect("DNS name"),
            None => ServerName::IpAddress(addr.ip().into()),
        };
        let fut = async {
            let tcp = TcpStream::connect(addr)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let stream = TlsConnector::from(self.0.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| format!("handshake as {sni:?}: {e}"))?;
            let conn = stream.get_ref().1;
            Ok(Hs {
                leaf: conn
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.to_vec())
                    .unwrap_or_default(),
                version: conn.protocol_version(),
                alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
                resumed: conn.handshake_kind() == Some(HandshakeKind::Resumed),
            })
        };
        tokio::time::timeout(Duration::from_secs(10), fut)
            .await
            .unwrap_or_else(|_| Err("handshake timed out".into()))
    }
}

/// A command's stdout, as text.
fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn each_sni_name_gets_its_distributions_certificate_and_content() {
    let s = Setup::new().await;
    let edge = s.start().await;
    let addr = edge.addr();
    let client = s.client(&[TLS13, TLS12], &[b"h2", b"http/1.1"]);
    for (sni, want, what) in [
        ("www.a.test", &s.leaf_a, "A's alias"),
        ("x.img.a.test", &s.leaf_a, "A's wildcard alias"),
        ("WWW.B.TEST", &s.leaf_b, "B's alias, any case"),
        (
            "d3c.cloudfront.net",
            &s.default,
            "C: CloudFrontDefaultCertificate",
        ),
        ("d1a.cloudfront.net", &s.default, "A's own domain name"),
        (
            "unknown.cloudfront.net",
            &s.default,
            "a name no distribution has",
        ),
    ] {
        let hs = client
            .handshake(addr, Some(sni))
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            hs.leaf == want.der,
            "{what} ({sni}): wrong certificate served"
        );
    }

    // Without SNI (the client connects by IP address) the default certificate is served;
    // it does not name 127.0.0.1, so a verifying client refuses it.
    let no_sni = client.handshake(addr, None).await;
    assert!(
        no_sni.as_ref().is_err_and(|e| e.contains("certificate")),
        "{no_sni:?}"
    );
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), "-noservername"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        stdout_of(&out).contains("CN = cert-default")
            || stdout_of(&out).contains("CN=cert-default"),
        "openssl without SNI: {}",
        stdout_of(&out)
    );

    // openssl names the subject of what each SNI name gets.
    for (sni, cn) in [("www.a.test", "cert-a"), ("www.b.test", "cert-b")] {
        let out = Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &addr.to_string(),
                "-servername",
                sni,
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run openssl");
        let text = stdout_of(&out);
        assert!(
            text.contains(&format!("subject=CN = {cn}")),
            "openssl -servername {sni}: {text}"
        );
    }

    // curl verifies each certificate against its name and gets its distribution's content.
    let r = s.curl(&edge, "www.a.test", "/x", &[]).await;
    assert_body(&r.resp, b"from origin A", "www.a.test");
    let r = s.curl(&edge, "pics.img.a.test", "/x", &[]).await;
    assert_body(&r.resp, b"from origin A", "pics.img.a.test (wildcard)");
    let r = s.curl(&edge, "www.b.test", "/x", &[]).await;
    assert_body(&r.resp, b"from origin B", "www.b.test");
    assert_eq!(
        (s.a.total(), s.b.total()),
        (2, 1),
        "each origin saw its own"
    );

    // Resumption still works with the configuration picked by SNI (TLS 1.2: the ticket
    // comes within the handshake).
    let tls12 = s.client(&[TLS12], &[b"http/1.1"]);
    let first = tls12
        .handshake(addr, Some("www.a.test"))
        .await
        .expect("first");
    let second = tls12
        .handshake(addr, Some("www.a.test"))
        .await
        .expect("second");
    assert!(!first.resumed && second.resumed, "{first:?} / {second:?}");
}

#[tokio::test]
async fn minimum_protocol_version_tls13_refuses_tls12_clients() {
    let s = Setup::new().await;
    let edge = s.start().await;
    let addr = edge.addr();
    let tls12 = s.client(&[TLS12], &[b"http/1.1"]);
    // E2B has TLSv1.3_2025: a TLS 1.2 client is refused, by rustls and by curl.
    let refused = tls12.handshake(addr, Some("www.b.test")).await;
    assert!(
        refused.is_err(),
        "TLS 1.2 to a TLSv1.3_2025 distribution: {refused:?}"
    );
    let (code, err) = s.curl_status(&edge, "www.b.test", &["--tls-max", "1.2"]);
    assert_eq!(
        code,
        Some(35),
        "curl --tls-max 1.2: TLS handshake error; {err}"
    );
    // TLS 1.3 is accepted there.
    let r = s
        .curl(&edge, "www.b.test", "/v13", &["--tlsv1.3", "-v"])
        .await;
    assert_body(&r.resp, b"from origin B", "TLS 1.3 to E2B");
    assert!(r.stderr.contains("TLSv1.3"), "{}", r.stderr);
    // E1A (TLSv1.2_2021) accepts the same TLS 1.2 client.
    let hs = tls12
        .handshake(addr, Some("www.a.test"))
        .await
        .expect("TLS 1.2 to a TLSv1.2_2021 distribution");
    assert_eq!(hs.version, Some(ProtocolVersion::TLSv1_2));
    let r = s
        .curl(&edge, "www.a.test", "/v12", &["--tls-max", "1.2", "-v"])
        .await;
    assert_body(&r.resp, b"from origin A", "TLS 1.2 to E1A");
    assert!(r.stderr.contains("TLSv1.2"), "{}", r.stderr);
    // The default certificate's policy (TLSv1, served as TLS 1.2+) accepts TLS 1.2 too.
    let hs = tls12
        .handshake(addr, Some("d2b.cloudfront.net"))
        .await
        .expect("TLS 1.2 to E2B's own domain name (default certificate)");
    assert!(hs.leaf == s.default.der);
}

#[tokio::test]
async fn http_version_decides_what_alpn_offers() {
    let s = Setup::new().await;
    let edge = s.start().await;
    // E1A: http2 → HTTP/2 by ALPN.
    let r = s.curl(&edge, "www.a.test", "/h", &["--http2"]).await;
    assert_eq!(r.status_line, "HTTP/2 200", "E1A with http2");
    assert_body(&r.resp, b"from origin A", "E1A over h2");
    // E2B: http1.1 → curl --http2 falls back to HTTP/1.1.
    let r = s.curl(&edge, "www.b.test", "/h", &["--http2"]).await;
    assert_eq!(r.status_line, "HTTP/1.1 200 OK", "E2B with http1.1");
    assert_body(&r.resp, b"from origin B", "E2B over HTTP/1.1");
    let client = s.client(&[TLS13], &[b"h2", b"http/1.1"]);
    let hs = client
        .handshake(edge.addr(), Some("www.b.test"))
        .await
        .expect("handshake");
    assert_eq!(hs.alpn.as_deref(), Some(&b"http/1.1"[..]));
    let hs = client
        .handshake(edge.addr(), Some("www.a.test"))
        .await
        .expect("handshake");
    assert_eq!(hs.alpn.as_deref(), Some(&b"h2"[..]));
}

#[tokio::test]
async fn aliases_a_certificate_does_not_cover_and_bad_files_are_refused_at_start() {
    let s = Setup::new().await;
    let mut v = s.file("b.pem", "http2");
    // E1A gains an alias its certificate lacks; E2B a wildcard its certificate (only
    // www.b.test) cannot answer for.
    v["Distributions"][0]["DistributionConfig"]["Aliases"] =
        json!({ "Quantity": 3, "Items": ["www.a.test", "*.img.a.test", "api.a.test"] });
    v["Distributions"][1]["DistributionConfig"]["Aliases"] =
        json!({ "Quantity": 2, "Items": ["www.b.test", "*.b.test"] });
    s.write_config(&v);
    let (code, err) = s.run_to_exit();
    assert_eq!(code, Some(64), "configuration error: {err}");
    for path in [
        "InvalidViewerCertificate at Distributions[0].DistributionConfig.Aliases.Items[2]",
        "InvalidViewerCertificate at Distributions[1].DistributionConfig.Aliases.Items[1]",
    ] {
        assert!(err.contains(path), "{path} in: {err}");
    }
    assert_eq!(
        err.matches("InvalidViewerCertificate").count(),
        2,
        "covered aliases (exact and wildcard) pass: {err}"
    );

    // A missing certificate file names its field.
    s.write_config(&s.file("missing.pem", "http2"));
    let (code, err) = s.run_to_exit();
    assert_eq!(code, Some(64), "{err}");
    assert!(
        err.contains("InvalidViewerCertificate at Certificates[1].CertificateFile")
            && err.contains("missing.pem"),
        "{err}"
    );
    // A key that belongs to another certificate names the key file.
    let mut v = s.file("b.pem", "http2");
    v["Certificates"][1]["PrivateKeyFile"] = json!("a.key");
    s.write_config(&v);
    let (code, err) = s.run_to_exit();
    assert_eq!(code, Some(64), "{err}");
    assert!(
        err.contains("InvalidViewerCertificate at Certificates[1].PrivateKeyFile"),
        "{err}"
    );
    // An id the list does not hold: the model refuses it.
    let mut v = s.file("b.pem", "http2");
    v["Certificates"][1]["Id"] = json!("ASCASOMETHINGELSE");
    s.write_config(&v);
    let (code, err) = s.run_to_exit();
    assert_eq!(code, Some(64), "{err}");
    assert!(
        err.contains(
            "InvalidViewerCertificate at Distributions[1].DistributionConfig.ViewerCertificate.IAMCertificateId"
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_swap_certificates_and_policies_and_a_missing_file_keeps_the_old_ones() {
    let s = Setup::new().await;
    let edge = s.start().await;
    let addr = edge.addr();
    let client = s.client(&[TLS13], &[b"h2", b"http/1.1"]);
    let hs = client
        .handshake(addr, Some("www.b.test"))
        .await
        .expect("before");
    assert!(hs.leaf == s.leaf_b.der);
    assert_eq!(
        hs.alpn.as_deref(),
        Some(&b"http/1.1"[..]),
        "http1.1 at first"
    );

    // A renewed certificate B (same name, new serial, new key) and HttpVersion http2.
    let renewed = s.ca.issue("cert-b-renewed", &["www.b.test"], 22);
    s.dir.write("b2.pem", &renewed.cert_pem);
    s.dir.write("b.key", &renewed.key_pem);
    s.write_config(&s.file("b2.pem", "http2"));
    edge.signal("HUP");
    let mut swapped = None;
    for _ in 0..250 {
        if let Ok(hs) = client.handshake(addr, Some("www.b.test")).await {
            if hs.leaf == renewed.der {
                swapped = Some(hs);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let hs = swapped.expect("the reload presents the renewed certificate");
    assert_eq!(
        hs.alpn.as_deref(),
        Some(&b"h2"[..]),
        "http2 after the reload"
    );

    // A reload naming a certificate file that does not exist is refused and logged; the
    // running certificates stay.
    s.write_config(&s.file("gone.pem", "http1.1"));
    edge.signal("HUP");
    assert!(
        eventually(Duration::from_secs(10), || {
            let err = edge.stderr();
            err.contains("configuration reload refused (viewer certificates)")
                && err.contains("Certificates[1].CertificateFile")
        })
        .await,
        "the refusal is logged: {}",
        edge.stderr()
    );
    let hs = client
        .handshake(addr, Some("www.b.test"))
        .await
        .expect("after the refused reload");
    assert!(hs.leaf == renewed.der, "still the renewed certificate");
    assert_eq!(hs.alpn.as_deref(), Some(&b"h2"[..]), "still http2");
    let r = s.curl(&edge, "www.b.test", "/after", &["--http2"]).await;
    assert_eq!(r.status_line, "HTTP/2 200");
    assert_body(
        &r.resp,
        b"from origin B",
        "served by the running configuration",
    );
    let hs = client
        .handshake(addr, Some("www.a.test"))
        .await
        .expect("A unaffected");
    assert!(hs.leaf == s.leaf_a.der);
}

#[tokio::test]
async fn without_a_default_certificate_only_listed_certificates_are_served() {
    let s = Setup::new().await;
    // No --tls-cert: the Certificates list alone turns TLS on.
    let edge = Edge::start_distributions(&s.config, &[]).await;
    let addr = edge.addr();
    let client = s.client(&[TLS13, TLS12], &[b"h2", b"http/1.1"]);
    let hs = client
        .handshake(addr, Some("www.a.test"))
        .await
        .expect("a listed certificate");
    assert!(hs.leaf == s.leaf_a.der);
    let r = s.curl(&edge, "www.b.test", "/x", &[]).await;
    assert_body(&r.resp, b"from origin B", "www.b.test");
    // CloudFrontDefaultCertificate, unknown names and no SNI: refused (rustls answers
    // `access_denied` when no certificate resolves).
    for sni in [Some("d3c.cloudfront.net"), Some("unknown.test"), None] {
        let out = client.handshake(addr, sni).await;
        assert!(
            out.as_ref().is_err_and(|e| e.contains("AccessDenied")),
            "{sni:?}: {out:?}"
        );
    }
}

/// `--tls-listen`: a second listener that speaks only TLS (certificates by SNI) while
/// `--listen` stays plain HTTP, the way `brink up` gives every edge both schemes.
#[tokio::test]
async fn a_tls_listener_beside_a_plain_one() {
    let s = Setup::new().await;
    let edge = Edge::start_distributions(&s.config, &["--tls-listen", "127.0.0.1:0"]).await;
    // Plain HTTP on --listen.
    let r = edge.get_with("/x", &[("host", "www.b.test")]).await;
    assert_body(&r, b"from origin B", "plain HTTP beside TLS");
    // TLS with the distribution's certificate on --tls-listen.
    let client = s.client(&[TLS13, TLS12], &[b"h2", b"http/1.1"]);
    let hs = client
        .handshake(edge.tls_addr(), Some("www.a.test"))
        .await
        .expect("handshake on the TLS listener");
    assert!(hs.leaf == s.leaf_a.der);
    let port = edge.tls_addr().port();
    let ca = path_string(&s.dir.path("ca.pem"));
    let resolve = format!("www.b.test:{port}:127.0.0.1");
    let r = curl_full(
        &format!("https://www.b.test:{port}/x"),
        &["--cacert", ca.as_str(), "--resolve", resolve.as_str()],
    )
    .await;
    assert_body(&r.resp, b"from origin B", "HTTPS on --tls-listen");
    // The plain port does not speak TLS.
    assert!(client
        .handshake(edge.addr(), Some("www.a.test"))
        .await
        .is_err());
}

//! TLS for the tests: a throw-away CA issuing server certificates (rcgen), PEM files in a
//! temporary directory, a rustls client that reports what the handshake negotiated, and a
//! keep-alive HTTP/1.1 connection over it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::Request;
use http_body_util::Empty;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{
    ClientConfig, HandshakeKind, ProtocolVersion, ServerConfig, SupportedProtocolVersion,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::curl::{curl_full, CurlOutput};
use super::{Edge, Resp, TestOrigin, EXCHANGE_TIMEOUT};

/// A test certificate authority.
pub(crate) struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// A server certificate and its key, as PEM and DER.
#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    /// The certificate, PEM.
    pub(crate) cert_pem: String,
    /// The private key, PEM (PKCS#8).
    pub(crate) key_pem: String,
    /// The certificate, DER (what a client sees as the peer certificate).
    pub(crate) der: Vec<u8>,
}

impl TestCa {
    /// A self-signed CA called `name`.
    pub(crate) fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("generate CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("self-sign CA");
        TestCa { cert, key }
    }

    /// The CA certificate, PEM.
    pub(crate) fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A server certificate for `names` (DNS names or IP addresses), with subject CN `cn`
    /// and serial `serial`.
    pub(crate) fn issue(&self, cn: &str, names: &[&str], serial: u64) -> Leaf {
        let key = KeyPair::generate().expect("generate leaf key");
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, cn);
        params.serial_number = Some(SerialNumber::from(serial));
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign leaf");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }

    /// A certificate for `localhost` and `127.0.0.1`.
    pub(crate) fn localhost(&self, cn: &str, serial: u64) -> Leaf {
        self.issue(cn, &["localhost", "127.0.0.1"], serial)
    }
}

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A temporary directory for PEM files, removed on drop.
pub(crate) struct PemDir {
    path: PathBuf,
}

impl PemDir {
    /// A new empty directory.
    pub(crate) fn new() -> PemDir {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("brink-it-tls-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create PEM directory");
        PemDir { path }
    }

    /// Writes `contents` to `name` in the directory (replacing it) and returns its path.
    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, contents).expect("write PEM file");
        path
    }

    /// The path of `name` in the directory.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `leaf` as `cert.pem` and `key.pem`; returns both paths as strings.
    pub(crate) fn write_leaf(&self, leaf: &Leaf) -> (String, String) {
        let cert = self.write("cert.pem", &leaf.cert_pem);
        let key = self.write("key.pem", &leaf.key_pem);
        (path_string(&cert), path_string(&key))
    }
}

impl Drop for PemDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A path as a `String` (test paths are UTF-8).
pub(crate) fn path_string(p: &Path) -> String {
    p.to_str().expect("UTF-8 temp path").to_owned()
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls server configuration presenting `leaf` (for the HTTPS test origin).
pub(crate) fn server_config(leaf: &Leaf) -> Arc<ServerConfig> {
    let certs = CertificateDer::pem_slice_iter(leaf.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("leaf PEM");
    let key = PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).expect("key PEM");
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server certificate");
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

/// What a client handshake negotiated.
#[derive(Debug, Clone)]
pub(crate) struct Negotiated {
    /// The server's leaf certificate, DER.
    pub(crate) leaf: Vec<u8>,
    /// TLS version.
    pub(crate) version: ProtocolVersion,
    /// ALPN protocol.
    pub(crate) alpn: Option<Vec<u8>>,
    /// Whether the session was resumed.
    pub(crate) resumed: bool,
}

/// A rustls client trusting one CA; connections made through one `TlsClient` share its
/// session store (so a second handshake can resume the first).
#[derive(Clone)]
pub(crate) struct TlsClient {
    config: Arc<ClientConfig>,
}

impl TlsClient {
    /// TLS 1.2 and 1.3, ALPN `http/1.1`, session resumption on.
    pub(crate) fn new(ca_pem: &str) -> TlsClient {
        TlsClient::with(
            ca_pem,
            &[&rustls::version::TLS13, &rustls::version::TLS12],
            true,
        )
    }

    /// Only the given TLS versions; `resume` turns session resumption on or off.
    pub(crate) fn with(
        ca_pem: &str,
        versions: &[&'static SupportedProtocolVersion],
        resume: bool,
    ) -> TlsClient {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.expect("CA PEM")).expect("add CA root");
        }
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(versions)
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        if !resume {
            config.resumption = rustls::client::Resumption::disabled();
        }
        TlsClient {
            config: Arc::new(config),
        }
    }

    /// Handshakes with `addr` as `localhost`; `Err` when the handshake fails.
    pub(crate) async fn try_connect(
        &self,
        addr: SocketAddr,
    ) -> Result<(TlsStream<TcpStream>, Negotiated), String> {
        let connect = async {
            let tcp = TcpStream::connect(addr)
                .await
                .map_err(|e| format!("connect {addr}: {e}"))?;
            let name = ServerName::try_from("localhost").expect("server name");
            let stream = TlsConnector::from(self.config.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS handshake with {addr}: {e}"))?;
            let conn = stream.get_ref().1;
            let negotiated = Negotiated {
                leaf: conn
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.to_vec())
                    .unwrap_or_default(),
                version: conn.protocol_version().expect("negotiated version"),
                alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
                resumed: conn.handshake_kind() == Some(HandshakeKind::Resumed),
            };
            Ok((stream, negotiated))
        };
        match tokio::time::timeout(EXCHANGE_TIMEOUT, connect).await {
            Ok(r) => r,
            Err(_) => Err(format!("TLS connect to {addr} timed out")),
        }
    }

    /// Handshakes with `addr` as `localhost`; panics when that fails.
    pub(crate) async fn connect(&self, addr: SocketAddr) -> (TlsStream<TcpStream>, Negotiated) {
        self.try_connect(addr)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A keep-alive HTTP/1.1 connection to `addr` over TLS.
    pub(crate) async fn http1(&self, addr: SocketAddr) -> (H1Conn, Negotiated) {
        let (stream, negotiated) = self.connect(addr).await;
        (H1Conn::over(stream).await, negotiated)
    }

    /// `GET path` on a fresh connection.
    pub(crate) async fn get(&self, addr: SocketAddr, path: &str) -> Resp {
        self.http1(addr).await.0.get(path).await
    }
}

/// One HTTP/1.1 connection carrying requests one after the other.
pub(crate) struct H1Conn {
    sender: SendRequest<Empty<Bytes>>,
}

impl H1Conn {
    /// Starts HTTP/1.1 on `io` (a TLS stream or a plain TCP one).
    pub(crate) async fn over<I>(io: I) -> H1Conn
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .expect("HTTP/1.1 client handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        H1Conn { sender }
    }

    /// Whether the server has closed the connection.
    pub(crate) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// `GET path` on this connection (`Host: localhost`); `Err` on transport errors.
    pub(crate) async fn try_get(&mut self, path: &str) -> Result<Resp, String> {
        let exchange = async {
            self.sender
                .ready()
                .await
                .map_err(|e| format!("connection not ready: {e}"))?;
            let req = Request::get(path)
                .header("host", "localhost")
                .body(Empty::new())
                .expect("request");
            let resp = self
                .sender
                .send_request(req)
                .await
                .map_err(|e| format!("GET {path}: {e}"))?;
            Resp::collect(resp, &format!("GET {path}")).await
        };
        match tokio::time::timeout(EXCHANGE_TIMEOUT, exchange).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "GET {path}: no response within {EXCHANGE_TIMEOUT:?}"
            )),
        }
    }

    /// `GET path` on this connection; panics on transport errors.
    pub(crate) async fn get(&mut self, path: &str) -> Resp {
        self.try_get(path).await.unwrap_or_else(|e| panic!("{e}"))
    }
}

/// An origin, and an edge in front of it serving TLS with a `localhost` certificate from a
/// fresh CA; the PEM files stay in `dir` (`cert.pem`, `key.pem`, `ca.pem`).
pub(crate) struct TlsEdge {
    /// The (plain HTTP) origin.
    pub(crate) origin: TestOrigin,
    /// The edge.
    pub(crate) edge: Edge,
    /// The CA that signed the edge's certificate.
    pub(crate) ca: TestCa,
    /// The certificate the edge started with.
    pub(crate) leaf: Leaf,
    /// Where the PEM files are.
    pub(crate) dir: PemDir,
}

impl TlsEdge {
    /// Starts the origin and the edge with `--tls-cert`/`--tls-key` plus `extra_args`, and
    /// `env` set for the edge process (e.g. `RUST_LOG`).
    pub(crate) async fn start(extra_args: &[&str], env: &[(&str, &str)]) -> TlsEdge {
        let ca = TestCa::new("Brink Test CA");
        let leaf = ca.localhost("brink-edge-1", 1001);
        let dir = PemDir::new();
        let (cert, key) = dir.write_leaf(&leaf);
        dir.write("ca.pem", &ca.pem());
        let origin = TestOrigin::start().await;
        let mut args = vec!["--tls-cert", cert.as_str(), "--tls-key", key.as_str()];
        args.extend_from_slice(extra_args);
        let mut edge = Edge::start_with_env(&origin.url(), &args, env).await;
        edge.link_origin_clock(&origin);
        TlsEdge {
            origin,
            edge,
            ca,
            leaf,
            dir,
        }
    }

    /// `https://localhost:PORT<path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.edge.addr().port())
    }

    /// curl on `path` trusting the test CA, with `localhost` resolved to the edge.
    pub(crate) async fn curl(&self, path: &str, args: &[&str]) -> CurlOutput {
        let ca = path_string(&self.dir.path("ca.pem"));
        let resolve = format!("localhost:{}:127.0.0.1", self.edge.addr().port());
        let mut all = vec!["--cacert", ca.as_str(), "--resolve", resolve.as_str()];
        all.extend_from_slice(args);
        curl_full(&self.url(path), &all).await
    }

    /// A rustls client trusting the test CA (TLS 1.2 and 1.3, resumption on).
    pub(crate) fn client(&self) -> TlsClient {
        TlsClient::new(&self.ca.pem())
    }
}

/// A self-signed RSA-2048 certificate for `cn` with `sans` as DNS names, made by the openssl
/// CLI as a user would for `aws acm import-certificate`: `(DIR/cert.pem, DIR/key.pem)`.
pub(crate) fn self_signed(dir: &Path, cn: &str, sans: &[&str]) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let san: Vec<String> = sans.iter().map(|s| format!("DNS:{s}")).collect();
    let ok = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", &format!("/CN={cn}")])
        .args(["-addext", &format!("subjectAltName={}", san.join(","))])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    (cert, key)
}

//! TLS for viewers and trust anchors for origins.
//!
//! Viewer side (cloudfront.md §8.4): the certificate, the protocol versions and the ALPN
//! offer depend on the distribution the viewer asks for by SNI. The handshake starts with
//! rustls' lazy acceptor, which reads the ClientHello; its server name goes through the
//! model's [`HostRouter`](brink_model::HostRouter) (exact names, then `*.` wildcards) and
//! picks one of a few server configurations built once per model (one per certificate ×
//! minimum version × HTTP version in use):
//!
//! * an alias of a distribution with a custom certificate → that certificate (from the
//!   file's `Certificates` list); a distribution with `CloudFrontDefaultCertificate`, or any
//!   distribution's own `d….cloudfront.net` name → the default certificate (`--tls-cert`);
//! * `MinimumProtocolVersion` `TLSv1.3_2025` → TLS 1.3 only; every other policy → TLS 1.2
//!   and 1.3. rustls implements neither SSLv3 nor TLS 1.0/1.1, so `SSLv3`, `TLSv1`,
//!   `TLSv1_2016` and `TLSv1.1_2016` (and the default certificate's forced `TLSv1`) get
//!   TLS 1.2 as their floor: stricter than CloudFront, never weaker;
//! * `HttpVersion` `http1.1` → ALPN offers `http/1.1` only (a client asking for `h2` gets
//!   HTTP/1.1); `http2`, `http2and3` and `http3` → `h2` then `http/1.1` (no QUIC yet, so
//!   HTTP/3 is never offered);
//! * no SNI, or a name no distribution has → the default certificate with TLS 1.2+ and both
//!   protocols, or, without a default certificate, a refused handshake
//!   (`access_denied` alert).
//!
//! Every configuration shares one ticketer (stateless tickets, ring) and one session-id
//! cache (TLS 1.2 clients without tickets), so resumption works across reloads and
//! distributions. A reload (SIGHUP, or a changed configuration file) builds a new set of
//! configurations and swaps it in whole; open connections keep theirs. A certificate that
//! cannot be loaded, or does not cover its distribution's aliases, refuses the reload.
//!
//! Origin side: [`OriginCa`] is a PEM bundle of extra roots the origin client trusts on top
//! of the webpki roots.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use brink_model::compiled::ViewerCertificateSource;
use brink_model::raw::{HttpVersion, MinimumProtocolVersion};
use brink_model::{codes, ConfigError, Model};
use parking_lot::RwLock;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{
    Acceptor, ClientHello, ProducesTickets, ResolvesServerCert, ServerSessionMemoryCache,
    StoresServerSessions,
};
use rustls::sign::CertifiedKey;
use rustls::{CipherSuite, HandshakeKind, ProtocolVersion, ServerConfig, ServerConnection};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::LazyConfigAcceptor;

/// A TLS handshake that takes longer than this is abandoned (the connection is closed).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Entries in the TLS 1.2 session-id cache (clients that do not take tickets).
const SESSION_CACHE_ENTRIES: usize = 16 * 1024;

/// A certificate or key file that could not be used. The message names the command-line
/// flag and the file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{flag} {}: {what}", path.display())]
pub struct TlsError {
    flag: &'static str,
    path: PathBuf,
    what: String,
}

impl TlsError {
    fn new(flag: &'static str, path: &Path, what: impl Into<String>) -> TlsError {
        TlsError {
            flag,
            path: path.to_owned(),
            what: what.into(),
        }
    }
}

/// The viewer certificate chain and private key, as PEM files (`--tls-cert`, `--tls-key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TlsFiles {
    /// Loads both files and checks that the key belongs to the leaf certificate.
    ///
    /// # Errors
    /// [`TlsError`] naming the flag and the file at fault.
    pub fn check(&self) -> Result<(), TlsError> {
        self.load(&ring_provider()).map(drop)
    }

    fn load(&self, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
        load_pair(&self.cert, &self.key, provider).map_err(|(part, what)| match part {
            Part::Cert => TlsError::new("--tls-cert", &self.cert, what),
            Part::Key => TlsError::new("--tls-key", &self.key, what),
        })
    }
}

/// Which file of a pair was at fault.
enum Part {
    Cert,
    Key,
}

/// Reads a PEM chain and its key; the error says which file and what is wrong.
fn load_pair(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, (Part, String)> {
    let cert_pem = std::fs::read(cert).map_err(|e| (Part::Cert, format!("cannot read: {e}")))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| (Part::Cert, format!("bad PEM: {e}")))?;
    if chain.is_empty() {
        return Err((
            Part::Cert,
            "no PEM certificate (-----BEGIN CERTIFICATE-----) found".into(),
        ));
    }
    let key_pem = std::fs::read(key).map_err(|e| (Part::Key, format!("cannot read: {e}")))?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| (Part::Key, format!("no usable PEM private key: {e}")))?;
    CertifiedKey::from_der(chain, key_der, provider).map_err(|e| {
        (
            Part::Key,
            format!("does not fit the certificate in {}: {e}", cert.display()),
        )
    })
}

fn read(flag: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::new(flag, path, format!("cannot read: {e}")))
}

fn ring_provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The custom certificates of a model (its `Certificates` list), loaded, by id.
#[derive(Debug, Clone, Default)]
struct ModelCerts {
    by_id: HashMap<String, Arc<CertifiedKey>>,
}

/// Reads every certificate `model` lists and checks that each distribution's aliases are
/// covered by its certificate's names (§8.4); `brink edge` calls this before starting, so
/// that a bad certificate is a configuration error with the field's path.
///
/// # Errors
/// Every problem: an unreadable or malformed file or a key that does not fit its
/// certificate (at `Certificates[i].CertificateFile` / `.PrivateKeyFile`), or an alias the
/// certificate does not cover (at the alias), all with `InvalidViewerCertificate`.
pub fn check_viewer_certificates(model: &Model) -> Result<(), Vec<ConfigError>> {
    ModelCerts::load(model, &ring_provider()).map(drop)
}

impl ModelCerts {
    fn load(model: &Model, provider: &CryptoProvider) -> Result<ModelCerts, Vec<ConfigError>> {
        let problem = |path: String, message: String| ConfigError {
            code: codes::INVALID_VIEWER_CERTIFICATE,
            path,
            message,
        };
        let mut errors = Vec::new();
        let mut by_id = HashMap::new();
        for c in model.certificates() {
            let cert = Path::new(&c.certificate_file);
            let key = Path::new(&c.private_key_file);
            match load_pair(cert, key, provider) {
                Ok(k) => {
                    by_id.insert(c.id.clone(), Arc::new(k));
                }
                Err((Part::Cert, what)) => errors.push(problem(
                    format!("{}.CertificateFile", c.path()),
                    format!("{}: {what}", cert.display()),
                )),
                Err((Part::Key, what)) => errors.push(problem(
                    format!("{}.PrivateKeyFile", c.path()),
                    format!("{}: {what}", key.display()),
                )),
            }
        }
        for (i, d) in model.distributions().iter().enumerate() {
            let id = match &d.viewer_certificate.source {
                ViewerCertificateSource::Default => continue,
                ViewerCertificateSource::Acm(id) | ViewerCertificateSource::Iam(id) => id,
            };
            // Unlisted ids are the model's to report; unloadable files are reported above.
            let (Some(files), Some(key)) = (model.certificate(id), by_id.get(id)) else {
                continue;
            };
            let Some(leaf) = key.cert.first() else {
                continue;
            };
            let leaf = match webpki::EndEntityCert::try_from(leaf) {
                Ok(leaf) => leaf,
                Err(e) => {
                    errors.push(problem(
                        format!("{}.CertificateFile", files.path()),
                        format!(
                            "{}: the first certificate is not a usable X.509 leaf: {e}",
                            files.certificate_file
                        ),
                    ));
                    continue;
                }
            };
            for (k, alias) in d.aliases.iter().enumerate() {
                if covers(&leaf, alias) {
                    continue;
                }
                let names: Vec<&str> = leaf.valid_dns_names().collect();
                errors.push(problem(
                    format!("Distributions[{i}].DistributionConfig.Aliases.Items[{k}]"),
                    format!(
                        "alias {alias:?} is not covered by certificate {id:?} ({}; names: {})",
                        files.certificate_file,
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(ModelCerts { by_id })
        } else {
            Err(errors)
        }
    }
}

/// Whether the certificate is valid for `alias`: an exact alias by the usual rules
/// (RFC 6125: a SAN `*.example.com` covers `www.example.com`); a wildcard alias only when
/// the certificate names that same wildcard, since it must answer every name under it.
fn covers(leaf: &webpki::EndEntityCert<'_>, alias: &str) -> bool {
    if alias.starts_with("*.") {
        return leaf
            .valid_dns_names()
            .any(|n| n.trim_end_matches('.').eq_ignore_ascii_case(alias));
    }
    ServerName::try_from(alias)
        .is_ok_and(|name| leaf.verify_is_valid_for_subject_name(&name).is_ok())
}

/// Lowest TLS version a configuration accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Floor {
    /// TLS 1.2 and 1.3.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

impl Floor {
    fn of(policy: MinimumProtocolVersion) -> Floor {
        match policy {
            MinimumProtocolVersion::TlsV1_3_2025 => Floor::Tls13,
            // TLSv1.2_*: 1.2 and 1.3. SSLv3, TLSv1, TLSv1_2016 and TLSv1.1_2016 would allow
            // older versions, which rustls does not implement: they get 1.2 too (stricter,
            // never weaker).
            _ => Floor::Tls12,
        }
    }
}

/// What ALPN offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Alpn {
    /// `h2`, then `http/1.1`.
    H2,
    /// `http/1.1` only.
    H1,
}

impl Alpn {
    fn of(version: HttpVersion) -> Alpn {
        match version {
            HttpVersion::Http1_1 => Alpn::H1,
            // HTTP/3 needs QUIC, which Brink does not speak yet: http3 and http2and3 offer
            // what http2 does.
            HttpVersion::Http2 | HttpVersion::Http2And3 | HttpVersion::Http3 => Alpn::H2,
        }
    }
}

/// Hands every handshake of one configuration the same certificate; `None` refuses the
/// handshake (rustls answers `access_denied`).
#[derive(Debug)]
struct Fixed(Option<Arc<CertifiedKey>>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.clone()
    }
}

/// What the configurations are built from; shared by all of them.
#[derive(Debug)]
struct Shared {
    provider: Arc<CryptoProvider>,
    sessions: Arc<dyn StoresServerSessions>,
    ticketer: Arc<dyn ProducesTickets>,
}

/// The configurations for one model and one default certificate.
#[derive(Debug)]
struct Table {
    model: Option<Arc<Model>>,
    certs: ModelCerts,
    default_cert: Option<Arc<CertifiedKey>>,
    /// By distribution index: for SNI names that reached the distribution by alias.
    by_alias: Vec<Arc<ServerConfig>>,
    /// By distribution index: for the distribution's own domain name.
    by_domain: Vec<Arc<ServerConfig>>,
    /// No SNI, or a name no distribution has.
    fallback: Arc<ServerConfig>,
}

/// Which certificate a configuration presents: the default one or a listed id.
type CertChoice<'a> = Option<&'a str>;

impl Table {
    fn build(
        shared: &Shared,
        model: Option<Arc<Model>>,
        certs: ModelCerts,
        default_cert: Option<Arc<CertifiedKey>>,
    ) -> Result<Table, rustls::Error> {
        let mut built: HashMap<(Option<String>, Floor, Alpn), Arc<ServerConfig>> = HashMap::new();
        let mut config = |cert: CertChoice<'_>, floor: Floor, alpn: Alpn| {
            let key = (cert.map(str::to_owned), floor, alpn);
            if let Some(c) = built.get(&key) {
                return Ok::<_, rustls::Error>(c.clone());
            }
            let chosen = match cert {
                None => default_cert.clone(),
                Some(id) => certs.by_id.get(id).cloned(),
            };
            let c = Arc::new(server_config(shared, chosen, floor, alpn)?);
            built.insert(key, c.clone());
            Ok(c)
        };
        let fallback = config(None, Floor::Tls12, Alpn::H2)?;
        let mut by_alias = Vec::new();
        let mut by_domain = Vec::new();
        for d in model.as_deref().map_or(&[][..], Model::distributions) {
            let alpn = Alpn::of(d.http_version);
            let cert = match &d.viewer_certificate.source {
                ViewerCertificateSource::Default => None,
                ViewerCertificateSource::Acm(id) | ViewerCertificateSource::Iam(id) => {
                    Some(id.as_str())
                }
            };
            if cert.is_none() && default_cert.is_none() {
                tracing::warn!(
                    distribution = %d.id,
                    "the distribution uses CloudFrontDefaultCertificate but no --tls-cert was \
                     given: TLS handshakes for it are refused"
                );
            }
            by_alias.push(config(
                cert,
                Floor::of(d.viewer_certificate.minimum_protocol_version),
                alpn,
            )?);
            // The distribution's own name is always served with the default certificate,
            // whose security policy is TLSv1 (§8.4), i.e. TLS 1.2+ here.
            by_domain.push(config(None, Floor::Tls12, alpn)?);
        }
        Ok(Table {
            model,
            certs,
            default_cert,
            by_alias,
            by_domain,
            fallback,
        })
    }

    /// The configuration for a ClientHello's server name.
    fn pick(&self, sni: Option<&str>) -> &Arc<ServerConfig> {
        let (Some(name), Some(model)) = (sni, &self.model) else {
            return &self.fallback;
        };
        let Some(idx) = model.router().route(name) else {
            return &self.fallback;
        };
        let i = idx.get();
        let own_name = model.distributions().get(i).is_some_and(|d| {
            name.trim_end_matches('.')
                .eq_ignore_ascii_case(&d.domain_name)
        });
        let list = if own_name {
            &self.by_domain
        } else {
            &self.by_alias
        };
        list.get(i).unwrap_or(&self.fallback)
    }
}

fn server_config(
    shared: &Shared,
    cert: Option<Arc<CertifiedKey>>,
    floor: Floor,
    alpn: Alpn,
) -> Result<ServerConfig, rustls::Error> {
    let versions: &[&'static rustls::SupportedProtocolVersion] = match floor {
        Floor::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        Floor::Tls13 => &[&rustls::version::TLS13],
    };
    let mut cfg = ServerConfig::builder_with_provider(shared.provider.clone())
        .with_protocol_versions(versions)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Fixed(cert)));
    cfg.alpn_protocols = match alpn {
        Alpn::H2 => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        Alpn::H1 => vec![b"http/1.1".to_vec()],
    };
    cfg.session_storage = shared.sessions.clone();
    cfg.ticketer = shared.ticketer.clone();
    Ok(cfg)
}

/// Why viewer TLS could not start or reload.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ViewerTlsError {
    /// `--tls-cert` / `--tls-key`.
    #[error(transparent)]
    Default(#[from] TlsError),
    /// The model's certificates.
    #[error("{}", join(.0))]
    Model(Vec<ConfigError>),
    /// rustls refused a configuration (not expected with the ring provider).
    #[error("TLS setup: {0}")]
    Setup(#[from] rustls::Error),
}

fn join(errors: &[ConfigError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    lines.join("; ")
}

/// Viewer TLS: the acceptor every worker uses, and the reload entry points.
#[derive(Debug)]
pub(crate) struct ViewerTls {
    files: Option<TlsFiles>,
    shared: Shared,
    current: RwLock<Arc<Table>>,
}

impl ViewerTls {
    /// Loads the default certificate (`--tls-cert`, if given) and the model's certificates,
    /// and builds the configurations.
    pub(crate) fn new(
        files: Option<TlsFiles>,
        model: Option<Arc<Model>>,
    ) -> Result<ViewerTls, ViewerTlsError> {
        let provider = Arc::new(ring_provider());
        let shared = Shared {
            sessions: ServerSessionMemoryCache::new(SESSION_CACHE_ENTRIES),
            ticketer: rustls::crypto::ring::Ticketer::new()?,
            provider,
        };
        let default_cert = match &files {
            Some(f) => Some(Arc::new(f.load(&shared.provider)?)),
            None => None,
        };
        let certs = match &model {
            Some(m) => ModelCerts::load(m, &shared.provider).map_err(ViewerTlsError::Model)?,
            None => ModelCerts::default(),
        };
        let table = Table::build(&shared, model, certs, default_cert)?;
        Ok(ViewerTls {
            files,
            shared,
            current: RwLock::new(Arc::new(table)),
        })
    }

    /// Re-reads the default certificate files (SIGHUP); on success new handshakes present
    /// the new certificate. On failure the old one stays. `Ok(false)` when there is no
    /// default certificate to reload.
    pub(crate) fn reload_default(&self) -> Result<bool, ViewerTlsError> {
        let Some(files) = &self.files else {
            return Ok(false);
        };
        let cert = Arc::new(files.load(&self.shared.provider)?);
        let old = self.current.read().clone();
        let table = Table::build(
            &self.shared,
            old.model.clone(),
            old.certs.clone(),
            Some(cert),
        )?;
        *self.current.write() = Arc::new(table);
        Ok(true)
    }

    /// Loads the certificates of a new model and switches new handshakes to it. On failure
    /// (a file that cannot be read, an alias its certificate does not cover) nothing
    /// changes.
    pub(crate) fn install_model(&self, model: &Arc<Model>) -> Result<(), ViewerTlsError> {
        let certs =
            ModelCerts::load(model, &self.shared.provider).map_err(ViewerTlsError::Model)?;
        let default_cert = self.current.read().default_cert.clone();
        let table = Table::build(&self.shared, Some(model.clone()), certs, default_cert)?;
        *self.current.write() = Arc::new(table);
        Ok(())
    }

    /// The default certificate files, if any.
    pub(crate) fn files(&self) -> Option<&TlsFiles> {
        self.files.as_ref()
    }

    /// Runs the server handshake, bounded by [`HANDSHAKE_TIMEOUT`]: reads the ClientHello,
    /// picks the configuration for its server name, and completes the handshake with it.
    /// `None` when it failed or timed out (the connection is then dropped).
    pub(crate) async fn accept(&self, stream: TcpStream) -> Option<Accepted> {
        let peer = stream.peer_addr().ok();
        let handshake = async {
            let start = LazyConfigAcceptor::new(Acceptor::default(), stream).await?;
            let config = {
                let table = self.current.read();
                table.pick(start.client_hello().server_name()).clone()
            };
            start.into_stream(config).await
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(stream)) => {
                let conn = stream.get_ref().1;
                let info = TlsInfo::of(conn);
                let h2 = conn.alpn_protocol() == Some(b"h2");
                tracing::trace!(
                    ?peer,
                    sni = conn.server_name(),
                    protocol = info.protocol,
                    cipher = info.cipher,
                    resumed = info.resumed,
                    h2,
                    "TLS handshake done"
                );
                Some(Accepted { stream, info, h2 })
            }
            Ok(Err(e)) => {
                tracing::debug!(?peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(?peer, "TLS handshake timed out");
                None
            }
        }
    }
}

/// A finished viewer handshake.
pub(crate) struct Accepted {
    /// The encrypted stream.
    pub(crate) stream: TlsStream<TcpStream>,
    /// What the access log records about the session.
    pub(crate) info: TlsInfo,
    /// ALPN chose HTTP/2.
    pub(crate) h2: bool,
}

/// What a viewer connection negotiated, for the access log: built once per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TlsInfo {
    /// `TLSv1.3` or `TLSv1.2`.
    pub(crate) protocol: &'static str,
    /// The cipher suite, named as OpenSSL (and CloudFront's logs) name it.
    pub(crate) cipher: &'static str,
    /// The session was resumed (ticket or session id) rather than fully negotiated.
    pub(crate) resumed: bool,
}

impl TlsInfo {
    fn of(conn: &ServerConnection) -> TlsInfo {
        let protocol = match conn.protocol_version() {
            Some(ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "-",
        };
        let cipher = conn
            .negotiated_cipher_suite()
            .map_or("-", |s| openssl_cipher_name(s.suite()));
        TlsInfo {
            protocol,
            cipher,
            resumed: conn.handshake_kind() == Some(HandshakeKind::Resumed),
        }
    }
}

/// OpenSSL's name for the suites the ring provider offers; the IANA name for anything else.
fn openssl_cipher_name(suite: CipherSuite) -> &'static str {
    match suite {
        CipherSuite::TLS13_AES_128_GCM_SHA256 => "TLS_AES_128_GCM_SHA256",
        CipherSuite::TLS13_AES_256_GCM_SHA384 => "TLS_AES_256_GCM_SHA384",
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256 => "TLS_CHACHA20_POLY1305_SHA256",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
            "ECDHE-ECDSA-CHACHA20-POLY1305"
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        other => other.as_str().unwrap_or("-"),
    }
}

/// Extra trust anchors for HTTPS origins (`--origin-ca`): a PEM bundle of CA certificates.
#[derive(Debug, Clone)]
pub struct OriginCa {
    certs: Arc<[CertificateDer<'static>]>,
}

impl OriginCa {
    /// Reads the bundle; every certificate in it must be usable as a trust anchor.
    ///
    /// # Errors
    /// [`TlsError`] naming `--origin-ca` and the file.
    pub fn load(path: &Path) -> Result<OriginCa, TlsError> {
        let flag = "--origin-ca";
        let pem = read(flag, path)?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::new(flag, path, format!("bad PEM: {e}")))?;
        if certs.is_empty() {
            return Err(TlsError::new(
                flag,
                path,
                "no PEM certificate (-----BEGIN CERTIFICATE-----) found",
            ));
        }
        let mut probe = rustls::RootCertStore::empty();
        let (_, unusable) = probe.add_parsable_certificates(certs.iter().cloned());
        if unusable > 0 {
            return Err(TlsError::new(
                flag,
                path,
                format!(
                    "{unusable} of {} certificates are not valid X.509",
                    certs.len()
                ),
            ));
        }
        Ok(OriginCa {
            certs: certs.into(),
        })
    }

    /// Adds the bundle's certificates to `roots`.
    pub(crate) fn add_to(&self, roots: &mut rustls::RootCertStore) {
        roots.add_parsable_certificates(self.certs.iter().cloned());
    }
}

/// An I/O error carrying a TLS error's message, for `run`'s start-up errors.
pub(crate) fn io_error(e: &impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ring_suite_has_an_openssl_name() {
        for suite in rustls::crypto::ring::ALL_CIPHER_SUITES {
            let name = openssl_cipher_name(suite.suite());
            assert!(
                !name.starts_with("TLS13_") && !name.contains("_WITH_") && name != "-",
                "{:?} has no OpenSSL-style name: {name}",
                suite.suite()
            );
        }
    }

    #[test]
    fn security_policies_and_http_versions_map_to_rustls_settings() {
        use MinimumProtocolVersion as M;
        for old in [M::SslV3, M::TlsV1, M::TlsV1_2016, M::TlsV1_1_2016] {
            // rustls has nothing below TLS 1.2: older floors become 1.2 (never weaker).
            assert_eq!(Floor::of(old), Floor::Tls12, "{old:?}");
        }
        for v12 in [
            M::TlsV1_2_2018,
            M::TlsV1_2_2019,
            M::TlsV1_2_2021,
            M::TlsV1_2_2025,
        ] {
            assert_eq!(Floor::of(v12), Floor::Tls12, "{v12:?}");
        }
        assert_eq!(Floor::of(M::TlsV1_3_2025), Floor::Tls13);
        assert_eq!(Alpn::of(HttpVersion::Http1_1), Alpn::H1);
        for h2 in [
            HttpVersion::Http2,
            HttpVersion::Http2And3,
            HttpVersion::Http3,
        ] {
            assert_eq!(Alpn::of(h2), Alpn::H2, "{h2:?}");
        }
    }

    #[test]
    fn errors_name_the_flag_and_the_file() {
        let files = TlsFiles {
            cert: PathBuf::from("/nonexistent/brink-cert.pem"),
            key: PathBuf::from("/nonexistent/brink-key.pem"),
        };
        let e = files
            .check()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("--tls-cert /nonexistent/brink-cert.pem: cannot read"),
            "{e}"
        );
        let e = OriginCa::load(Path::new("/nonexistent/ca.pem"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("--origin-ca /nonexistent/ca.pem:"), "{e}");
    }
}

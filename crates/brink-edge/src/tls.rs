//! TLS for viewers and trust anchors for origins.
//!
//! Viewer side: one rustls server configuration for the life of the process (TLS 1.2 and
//! 1.3 only, ALPN `h2` then `http/1.1`, stateless tickets from the ring ticketer plus an
//! in-memory session-id cache for TLS 1.2 clients without ticket support). The certificate
//! is not baked into that configuration: a resolver hands out whatever certificate was last
//! loaded, so a reload (SIGHUP) swaps it for the next handshakes without touching open
//! connections, the ticket keys or the session cache.
//!
//! Origin side: [`OriginCa`] is a PEM bundle of extra roots the origin client trusts on top
//! of the webpki roots.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, ServerSessionMemoryCache};
use rustls::sign::CertifiedKey;
use rustls::{CipherSuite, HandshakeKind, ProtocolVersion, ServerConfig, ServerConnection};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

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
        let cert_pem = read("--tls-cert", &self.cert)?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::new("--tls-cert", &self.cert, format!("bad PEM: {e}")))?;
        if chain.is_empty() {
            return Err(TlsError::new(
                "--tls-cert",
                &self.cert,
                "no PEM certificate (-----BEGIN CERTIFICATE-----) found",
            ));
        }
        let key_pem = read("--tls-key", &self.key)?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
            TlsError::new(
                "--tls-key",
                &self.key,
                format!("no usable PEM private key: {e}"),
            )
        })?;
        CertifiedKey::from_der(chain, key, provider).map_err(|e| {
            TlsError::new(
                "--tls-key",
                &self.key,
                format!(
                    "does not fit the certificate in {}: {e}",
                    self.cert.display()
                ),
            )
        })
    }
}

fn read(flag: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::new(flag, path, format!("cannot read: {e}")))
}

fn ring_provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The certificate currently handed to new handshakes; replaced whole on reload.
#[derive(Debug)]
struct CurrentCert(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for CurrentCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.read().clone())
    }
}

/// Viewer TLS: the acceptor every worker uses, and the reload entry point.
#[derive(Debug)]
pub(crate) struct ViewerTls {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: Arc<CurrentCert>,
    config: Arc<ServerConfig>,
}

impl ViewerTls {
    /// Loads the certificate and builds the server configuration.
    pub(crate) fn new(files: TlsFiles) -> Result<ViewerTls, TlsError> {
        let provider = Arc::new(ring_provider());
        let cert = files.load(&provider)?;
        let current = Arc::new(CurrentCert(RwLock::new(Arc::new(cert))));
        let setup = |what: &str, e: rustls::Error| {
            TlsError::new("--tls-cert", &files.cert, format!("{what}: {e}"))
        };
        let mut cfg = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| setup("TLS versions", e))?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        cfg.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_ENTRIES);
        cfg.ticketer = rustls::crypto::ring::Ticketer::new().map_err(|e| setup("ticketer", e))?;
        Ok(ViewerTls {
            files,
            provider,
            current,
            config: Arc::new(cfg),
        })
    }

    /// Re-reads the certificate and key files; on success new handshakes present the new
    /// certificate. On failure the old one stays.
    pub(crate) fn reload(&self) -> Result<(), TlsError> {
        let cert = self.files.load(&self.provider)?;
        *self.current.0.write() = Arc::new(cert);
        Ok(())
    }

    /// The files reloads read.
    pub(crate) fn files(&self) -> &TlsFiles {
        &self.files
    }

    /// Runs the server handshake, bounded by [`HANDSHAKE_TIMEOUT`]. `None` when it failed or
    /// timed out (the connection is then dropped).
    pub(crate) async fn accept(&self, stream: TcpStream) -> Option<Accepted> {
        let peer = stream.peer_addr().ok();
        let acceptor = TlsAcceptor::from(self.config.clone());
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
            Ok(Ok(stream)) => {
                let conn = stream.get_ref().1;
                let info = TlsInfo::of(conn);
                let h2 = conn.alpn_protocol() == Some(b"h2");
                tracing::trace!(
                    ?peer,
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

/// An I/O error carrying a [`TlsError`]'s message, for `run`'s start-up errors.
pub(crate) fn io_error(e: &TlsError) -> io::Error {
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

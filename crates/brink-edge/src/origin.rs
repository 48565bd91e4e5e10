//! The origin client: pooled keep-alive connections over HTTP or HTTPS, with CloudFront's
//! timeouts (cloudfront.md §7.2) and failures classified for 502 vs 504.

use std::sync::Arc;
use std::time::Duration;

use brink_cache::FetchFailure;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::OriginBody;
use crate::config::DEFAULT_ORIGIN_KEEPALIVE;

/// A pooled client for one origin.
#[derive(Debug, Clone)]
pub(crate) struct OriginClient {
    client: Client<HttpsConnector<HttpConnector>, OriginBody>,
    read_timeout: Duration,
}

impl OriginClient {
    pub(crate) fn new(
        connect_timeout: Duration,
        read_timeout: Duration,
        origin_ca: Option<&crate::tls::OriginCa>,
    ) -> OriginClient {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // A private CA adds anchors only: the default verifier still checks the chain and
        // that the certificate names the origin's host.
        if let Some(ca) = origin_ca {
            ca.add_to(&mut roots);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // Only TLS 1.2 and 1.3 are offered (cloudfront.md §7.1 allows older for origins;
        // rustls does not implement them, which is the safer choice).
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| b.with_root_certificates(roots).with_no_client_auth());
        let https = match tls {
            Ok(tls) => hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .wrap_connector(http),
            Err(e) => {
                // Only reachable if the ring provider lacked every protocol version.
                tracing::error!(error = %e, "TLS client config failed; HTTPS origins will not work");
                hyper_rustls::HttpsConnectorBuilder::new()
                    .with_webpki_roots()
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(HttpConnector::new())
            }
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(DEFAULT_ORIGIN_KEEPALIVE)
            .pool_max_idle_per_host(1024)
            .pool_timer(TokioTimer::new())
            .build(https);
        OriginClient {
            client,
            read_timeout,
        }
    }

    /// The read timeout: also applied by callers between body chunks.
    pub(crate) fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// Sends `req` and waits for the response head.
    pub(crate) async fn send(
        &self,
        req: Request<OriginBody>,
    ) -> Result<Response<Incoming>, FetchFailure> {
        match tokio::time::timeout(self.read_timeout, self.client.request(req)).await {
            Err(_) => Err(FetchFailure::Timeout),
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, connect = e.is_connect(), "origin request failed");
                if e.is_connect() {
                    // The connector's own connect timeout surfaces as a connect error whose
                    // cause says "timed out": still a connection failure (502), as
                    // CloudFront reports connect timeouts.
                    Err(FetchFailure::Connect)
                } else {
                    Err(FetchFailure::Protocol)
                }
            }
        }
    }
}

//! Phase 2, route: which origin and which rules a request gets.
//!
//! `brink serve` has one fixed [`Target`]. `brink edge` chooses a distribution by `Host`
//! (its domain name or an alias) and a cache behavior by path pattern (first match in list
//! order, cloudfront.md §1.2), then applies the behavior's viewer protocol policy, allowed
//! methods, default root object and cache-key/forwarding rules. Every `Target` is built once
//! when the configuration is loaded, with its own origin connection pool; nothing is compiled
//! per request.

use std::sync::Arc;

use brink_model::compiled::{Behavior, NameSelection, OriginScheme, OriginTarget};
use brink_model::raw::ViewerProtocolPolicy;
use brink_model::{Model, TtlPolicy};
use http::header::HeaderName;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::EdgeBody;
use crate::config::{EdgeConfig, Origin};
use crate::errors::EdgeError;
use crate::origin::{OriginClient, OriginSettings, OriginTls};
use crate::worker::Edge;

use super::{CacheStatus, Ctx};
use crate::policy::forward::ForwardHeaders;
use crate::policy::{KeyExtras, Rules};

/// Everything the fetch and store phases need about where a request goes.
#[derive(Debug)]
pub(crate) struct Target {
    /// Cache key scope: empty for `brink serve`, the distribution id for `brink edge`.
    pub(crate) scope: Arc<str>,
    pub(crate) ttl: TtlPolicy,
    pub(crate) client: OriginClient,
    pub(crate) origin: Origin,
    pub(crate) host_header: HeaderValue,
    /// `CustomHeaders` of the origin: they override viewer headers of the same name.
    pub(crate) custom_headers: Vec<(HeaderName, HeaderValue)>,
    /// Cache-key and forwarding rules of a behavior (`None`: `brink serve`'s defaults).
    pub(crate) rules: Option<Rules>,
    /// The origin group's secondary, when the behavior targets a group.
    pub(crate) failover: Option<Failover>,
    /// Distribution and behavior for the log phase (`None`: `brink serve`).
    pub(crate) log: Option<Arc<super::log::LogTag>>,
    /// `match-viewer` origins: where HTTPS viewers' requests go, and their `Host` (`origin`
    /// and `host_header` serve HTTP viewers).
    pub(crate) https_origin: Option<(Origin, HeaderValue)>,
    /// The viewer headers cacheable requests forward when there are no `rules`
    /// (`brink serve`'s `--forward-headers`).
    pub(crate) forward: ForwardHeaders,
    /// Origin access control: signs every request to this (S3) origin.
    pub(crate) signer: Option<crate::s3::OacSigner>,
}

impl Target {
    /// The origin address and `Host` for a viewer that used HTTPS (`viewer_https`) or not.
    pub(crate) fn origin_for(&self, viewer_https: bool) -> (&Origin, &HeaderValue) {
        match &self.https_origin {
            Some((o, h)) if viewer_https => (o, h),
            _ => (&self.origin, &self.host_header),
        }
    }
}

/// An origin group's second member (cloudfront.md §7.3): tried for GET/HEAD/OPTIONS when the
/// primary fails to connect, times out, or answers one of `status_codes`.
#[derive(Debug)]
pub(crate) struct Failover {
    pub(crate) status_codes: Vec<u16>,
    pub(crate) secondary: Arc<Target>,
}

/// Where requests to origin `o` go when the viewer used HTTPS (`viewer_https`) or not: the
/// URI's scheme and authority, and the `Host` header (the origin's domain, with the port when
/// it is not the scheme's default).
fn origin_address(
    o: &brink_model::compiled::Origin,
    viewer_https: bool,
    s3: &crate::config::S3Settings,
) -> (Origin, HeaderValue) {
    // `--s3-endpoint`: an S3 origin's bucket name goes path-style to the local store, whose
    // `Host` is the one sent (and signed).
    if let Some(endpoint) = &s3.endpoint {
        if let Some((bucket, _)) = o
            .is_s3()
            .then(|| crate::s3::s3_bucket_region(&o.domain_name))
            .flatten()
        {
            let origin = Origin {
                scheme: endpoint.scheme.clone(),
                authority: endpoint.authority.clone(),
                path: format!("{}/{bucket}{}", endpoint.path, o.origin_path),
            };
            let host = HeaderValue::from_str(endpoint.authority.as_str())
                .unwrap_or(HeaderValue::from_static("invalid.invalid"));
            return (origin, host);
        }
    }
    let (scheme, port) = o.scheme_and_port(viewer_https);
    let default_port = match scheme {
        OriginScheme::Http => 80,
        OriginScheme::Https => 443,
    };
    let authority_text = if port == default_port {
        o.domain_name.clone()
    } else {
        format!("{}:{port}", o.domain_name)
    };
    let authority: Authority = authority_text
        .parse()
        .unwrap_or_else(|_| Authority::from_static("invalid.invalid"));
    let origin = Origin {
        scheme: match scheme {
            OriginScheme::Http => Scheme::HTTP,
            OriginScheme::Https => Scheme::HTTPS,
        },
        authority,
        path: o.origin_path.clone(),
    };
    let host = HeaderValue::from_str(&authority_text)
        .unwrap_or(HeaderValue::from_static("invalid.invalid"));
    (origin, host)
}

impl Failover {
    /// Whether the primary's outcome sends the request to the secondary: a failed connection,
    /// a timeout, a connection the primary reset or closed without an answer (a pooled
    /// connection it dropped: for the safe methods that fail over, the same as a refused
    /// one), or one of the listed statuses.
    pub(crate) fn applies_to<B>(
        &self,
        outcome: &Result<http::Response<B>, brink_cache::FetchFailure>,
    ) -> bool {
        match outcome {
            Err(
                brink_cache::FetchFailure::Connect
                | brink_cache::FetchFailure::Timeout
                | brink_cache::FetchFailure::Protocol,
            ) => true,
            Ok(r) => self.status_codes.contains(&r.status().as_u16()),
            Err(_) => false,
        }
    }
}

/// The target of a streaming (RTMP) distribution: its origin (`host[:port]` over HTTP, or
/// HTTPS on port 443; an S3 bucket at its own HTTPS endpoint), the cache scoped by its id,
/// `brink serve`'s rules (the origin's caching headers and the edge's TTL defaults).
fn streaming_target(
    sd: &brink_model::compiled::StreamingDistribution,
    cfg: &EdgeConfig,
    tls: &OriginTls,
) -> Target {
    use brink_model::compiled::StreamingOrigin;
    let url = match &sd.origin {
        StreamingOrigin::Http { host, port } if *port == 443 => format!("https://{host}"),
        StreamingOrigin::Http { host, port } => format!("http://{host}:{port}"),
        StreamingOrigin::S3 { domain_name, .. } => format!("https://{domain_name}"),
        // A kind added to the model later: nothing to reach (reads fail as 502).
        _ => String::from("http://0.0.0.0:9"),
    };
    let mut origin = Origin::parse(&url).unwrap_or_else(|_| cfg.origin.clone());
    // A bucket by its AWS name reaches the local store path-style (`--s3-endpoint`), as web
    // distributions' S3 origins do. [Not yet] Origin access identities are not signed for.
    if let (StreamingOrigin::S3 { bucket, .. }, Some(store)) = (&sd.origin, &cfg.s3.endpoint) {
        origin = store.clone();
        origin.path = format!("{}/{bucket}", store.path);
    }
    Target {
        scope: sd.id.as_str().into(),
        ttl: cfg.ttl,
        client: OriginClient::new(
            &OriginSettings::serve(cfg.origin_connect_timeout, cfg.origin_read_timeout),
            tls,
        ),
        host_header: HeaderValue::from_str(origin.authority.as_str())
            .unwrap_or(HeaderValue::from_static("localhost")),
        origin,
        custom_headers: Vec::new(),
        rules: None,
        failover: None,
        signer: None,
        log: None,
        https_origin: None,
        forward: ForwardHeaders::None,
    }
}

/// The target of behavior `b` of distribution `d` on origin `origin_index`.
fn target_for(
    d: &brink_model::compiled::Distribution,
    origin_index: usize,
    b: &Behavior,
    clients: &[OriginClient],
    failover: Option<Failover>,
    s3: &crate::config::S3Settings,
) -> Target {
    let o = &d.origins[origin_index];
    // `match-viewer` (cloudfront.md §7.1): HTTP viewers reach the origin over HTTP, HTTPS
    // viewers over HTTPS; the cache key has no scheme, so both share one stored object.
    let (origin, host_header) = origin_address(o, false, s3);
    let https = origin_address(o, true, s3);
    let https_origin = (https.0 != origin).then_some(https);
    let mut key_headers: Vec<HeaderName> = match &b.cache_key.headers {
        NameSelection::Only(names) => names
            .iter()
            .filter_map(|n| HeaderName::from_bytes(n.as_bytes()).ok())
            .collect(),
        _ => Vec::new(),
    };
    key_headers.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    Target {
        scope: d.id.as_str().into(),
        ttl: b.ttl,
        client: clients[origin_index].clone(),
        host_header,
        origin,
        https_origin,
        forward: ForwardHeaders::default(),
        custom_headers: o
            .custom_headers
            .iter()
            .filter_map(|(n, v)| {
                Some((
                    HeaderName::from_bytes(n.as_bytes()).ok()?,
                    HeaderValue::from_str(v).ok()?,
                ))
            })
            .collect(),
        rules: Some(Rules {
            behavior: b.clone(),
            key_headers,
            key_extras: KeyExtras::of(b),
            default_root_object: d.default_root_object.clone(),
            custom_errors: d.custom_error_responses.clone(),
            viewer_headers: crate::policy::viewer_headers::ViewerHeaders::of(b),
        }),
        failover,
        signer: crate::s3::OacSigner::of(o, &d.id, s3.credentials.as_ref()),
        log: Some(Arc::new(super::log::LogTag::new(
            &d.id,
            &d.domain_name,
            b.path_pattern.as_ref().map(|p| p.as_str()),
        ))),
    }
}

impl Target {
    /// Whether `Set-Cookie` is dropped from this target's cacheable responses: always for
    /// `brink serve` unless `--forward-headers` sends `Cookie`, and for behaviors that forward
    /// no cookies (cloudfront.md §3.1).
    pub(crate) fn strips_set_cookie(&self) -> bool {
        match &self.rules {
            None => !self.forward.includes(&http::header::COOKIE),
            Some(r) => r.behavior.forwarding.cookies.is_none(),
        }
    }
}

/// The outcome of routing one request.
#[derive(Debug)]
pub(crate) enum Routed {
    /// Serve it for this target; `path` replaces the request path (default root object).
    Target {
        target: Arc<Target>,
        path: Option<PathAndQuery>,
        cacheable: bool,
    },
    /// Answer `301` to this location (`redirect-to-https`).
    Redirect(HeaderValue),
    /// Refuse it.
    Reject(EdgeError),
}

/// How requests are routed.
#[derive(Debug)]
pub(crate) enum Router {
    /// `brink serve`: one origin.
    Single(Arc<Target>),
    /// `brink edge`: distributions.
    Model {
        model: Arc<Model>,
        /// `targets[distribution][behavior]`.
        targets: Vec<Vec<Arc<Target>>>,
        /// Viewer access checks (signed URLs and cookies, geo restriction).
        access: Arc<Access>,
        /// One target per streaming (RTMP) distribution, in the model's order: its origin,
        /// its cache scope (the distribution id); read by the RTMP front end (`rtmp.rs`).
        streaming: Vec<Arc<Target>>,
    },
}

/// What the viewer-access phase needs, compiled with the model: the trusted keys of every
/// behavior that requires signatures (keys parsed once), and the geo database.
#[derive(Debug)]
pub(crate) struct Access {
    trusted_proxies: Vec<brink_geo::Cidr>,
    signed: brink_signed::SignedBehaviors,
    geo: Option<Arc<brink_geo::WatchedGeoDb>>,
    /// Whether any distribution needs a check at all: when not, the phase costs one branch.
    any: bool,
}

impl Access {
    pub(crate) fn new(model: &Model, cfg: &EdgeConfig) -> Access {
        let geo = cfg.geo.clone();
        let pems: Vec<(String, String)> = model
            .public_keys()
            .iter()
            .map(|k| (k.id.clone(), k.encoded_key.clone()))
            .collect();
        // RSA keys under 2048 bits are refused as on AWS; a key that cannot be used is left
        // out (requests naming it get InvalidKey) and logged once per configuration.
        let ring = match brink_signed::KeyRing::compile(
            pems.iter().map(|(id, pem)| (id.as_str(), pem.as_str())),
            &brink_signed::KeyOptions::default(),
        ) {
            Ok(r) => r,
            Err(errors) => {
                for e in &errors {
                    tracing::error!(key = %e.id, error = %e.message, "public key unusable for signed URLs");
                }
                brink_signed::KeyRing::compile(
                    pems.iter()
                        .filter(|(id, _)| !errors.iter().any(|e| e.id == *id))
                        .map(|(id, pem)| (id.as_str(), pem.as_str())),
                    &brink_signed::KeyOptions::default(),
                )
                .unwrap_or_default()
            }
        };
        let signed = brink_signed::SignedBehaviors::compile(model, &ring);
        let geo_needed = model.distributions().iter().any(|d| {
            !matches!(
                d.geo_restriction,
                brink_model::compiled::GeoRestriction::None
            )
        });
        let signed_needed = model
            .distributions()
            .iter()
            .enumerate()
            .any(|(i, d)| (0..d.behaviors().len()).any(|b| signed.get(i, b).is_some()));
        let headers_needed = model.distributions().iter().any(|d| {
            d.behaviors()
                .iter()
                .any(|b| !crate::policy::viewer_headers::ViewerHeaders::of(b).is_empty())
        });
        Access {
            trusted_proxies: cfg.trusted_proxies.clone(),
            signed,
            geo,
            any: geo_needed || signed_needed || headers_needed,
        }
    }
}

impl Access {
    /// The viewer's address: the TCP peer, or, when the peer is a trusted proxy, the
    /// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
    fn client(&self, viewer: &Viewer<'_>) -> std::net::IpAddr {
        brink_geo::forwarded_client(
            viewer.peer,
            &self.trusted_proxies,
            viewer
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok()),
        )
    }
}

/// The viewer facts the access phase reads.
pub(crate) struct Viewer<'a> {
    pub(crate) host: Option<&'a str>,
    pub(crate) target: &'a PathAndQuery,
    pub(crate) https: bool,
    pub(crate) headers: &'a http::HeaderMap,
    pub(crate) peer: std::net::IpAddr,
    /// Now, Unix seconds (the edge's clock).
    pub(crate) now: u64,
}

impl Router {
    /// Builds the router of one worker (each worker has its own origin pools; the
    /// viewer-access state is shared, built once per model through `models`).
    pub(crate) fn new(cfg: &EdgeConfig, models: &crate::process::Models) -> Router {
        match &cfg.model {
            None => Router::Single(Arc::new(Target {
                scope: "".into(),
                ttl: cfg.ttl,
                client: OriginClient::new(
                    &OriginSettings::serve(cfg.origin_connect_timeout, cfg.origin_read_timeout),
                    &OriginTls::new(cfg.origin_ca.as_ref()),
                ),
                host_header: HeaderValue::from_str(cfg.origin.authority.as_str())
                    .unwrap_or(HeaderValue::from_static("localhost")),
                origin: cfg.origin.clone(),
                custom_headers: Vec::new(),
                rules: None,
                failover: None,
                log: None,
                https_origin: None,
                forward: cfg.forward_headers.clone(),
                signer: None,
            })),
            Some(model) => {
                let tls = OriginTls::new(cfg.origin_ca.as_ref());
                let targets = model
                    .distributions()
                    .iter()
                    .map(|d| {
                        // One pool per origin, shared by the behaviors that target it, with
                        // the origin's timeouts, attempts, keep-alive and HTTP version.
                        let clients: Vec<OriginClient> = d
                            .origins
                            .iter()
                            .map(|o| OriginClient::new(&OriginSettings::of(o), &tls))
                            .collect();
                        d.behaviors()
                            .iter()
                            .map(|b| {
                                let (primary, failover) = match b.target {
                                    OriginTarget::Origin(i) => (i.get(), None),
                                    OriginTarget::Group(g) => {
                                        let group = d.origin_group(g);
                                        let secondary = Arc::new(target_for(
                                            d,
                                            group.secondary.get(),
                                            b,
                                            &clients,
                                            None,
                                            &cfg.s3,
                                        ));
                                        (
                                            group.primary.get(),
                                            Some(Failover {
                                                status_codes: group.failover_status_codes.clone(),
                                                secondary,
                                            }),
                                        )
                                    }
                                };
                                Arc::new(target_for(d, primary, b, &clients, failover, &cfg.s3))
                            })
                            .collect()
                    })
                    .collect();
                let streaming = model
                    .streaming_distributions()
                    .iter()
                    .map(|sd| Arc::new(streaming_target(sd, cfg, &tls)))
                    .collect();
                Router::Model {
                    model: model.clone(),
                    targets,
                    access: models.access_for(model, || Access::new(model, cfg)),
                    streaming,
                }
            }
        }
    }

    /// The log tag of the distribution and behavior `host` and `pq` select, for requests
    /// route answered itself (redirects, refusals) so they are still logged and counted
    /// under their distribution. `None` for `brink serve`, unknown hosts and disabled
    /// distributions.
    pub(crate) fn log_tag(
        &self,
        host: Option<&str>,
        pq: Option<&PathAndQuery>,
    ) -> Option<Arc<super::log::LogTag>> {
        let Router::Model { model, targets, .. } = self else {
            return None;
        };
        let index = host.and_then(|h| model.router().route(h))?;
        let dist = model.distribution(index);
        if !dist.enabled {
            return None;
        }
        let b = dist.select_behavior_index(pq.map_or("/", PathAndQuery::path));
        targets.get(index.get())?.get(b)?.log.clone()
    }

    /// Viewer access (the phase after *route*, cloudfront.md §1 steps 5 and 6): the
    /// distribution's geo restriction by the TCP peer's country (unknown country: allowed),
    /// then, when the behavior trusts key groups or signers, a valid signed URL or signed
    /// cookies. Returns the target to use from here on: `path` (the default root object's),
    /// or the request's, without the signing parameters, which never reach the cache key or
    /// the origin.
    /// Whether the access phase has anything to do under this configuration (`false`:
    /// `brink serve`, or no geo restriction, no trusted key groups and no `CloudFront-*`
    /// viewer header anywhere).
    pub(crate) fn needs_access(&self) -> bool {
        matches!(self, Router::Model { access, .. } if access.any)
    }

    pub(crate) fn check_access(
        &self,
        viewer: &Viewer<'_>,
        path: Option<PathAndQuery>,
    ) -> Result<Option<PathAndQuery>, EdgeError> {
        // The caller skips the phase when `needs_access` is false.
        let Router::Model { model, access, .. } = self else {
            return Ok(path);
        };
        let Some(index) = viewer.host.and_then(|h| model.router().route(h)) else {
            return Ok(path);
        };
        let dist = model.distribution(index);
        let client = access.client(viewer);
        if !matches!(
            dist.geo_restriction,
            brink_model::compiled::GeoRestriction::None
        ) {
            let country = access
                .geo
                .as_ref()
                .and_then(|g| g.current().lookup(client))
                .map(|l| l.country);
            if !dist
                .geo_restriction
                .allows(country.as_ref().map(brink_geo::Country::as_str))
            {
                return Err(EdgeError::GeoBlocked);
            }
        }
        let b = dist.select_behavior_index(viewer.target.path());
        let Some(keys) = access.signed.get(index.get(), b) else {
            return Ok(path);
        };
        let cookies: Vec<&[u8]> = viewer
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        let request = brink_signed::SignedRequest {
            scheme: if viewer.https { "https" } else { "http" },
            host: viewer.host.unwrap_or_default(),
            path: viewer.target.path(),
            query: viewer.target.query(),
            cookies: &cookies,
            peer: client,
            now: viewer.now,
        };
        let verified = keys
            .verify(&request)
            .map_err(|d| EdgeError::Signature(d.code))?;
        let stripped = verified.query();
        if stripped == viewer.target.query() {
            return Ok(path);
        }
        // Rebuild the target without the signing parameters (on the default root object's
        // path when that applies).
        let base = path
            .as_ref()
            .map_or(viewer.target.path(), PathAndQuery::path);
        let rebuilt = match stripped {
            Some(q) if !q.is_empty() => format!("{base}?{q}"),
            _ => base.to_owned(),
        };
        Ok(PathAndQuery::try_from(rebuilt).ok().or(path))
    }

    /// The `CloudFront-*` viewer headers `viewer_headers` asks for (cloudfront.md §3.2), of
    /// the viewer's address as access sees it (a trusted proxy's client, else the peer).
    pub(crate) fn viewer_headers(
        &self,
        wanted: &crate::policy::viewer_headers::ViewerHeaders,
        viewer: &Viewer<'_>,
        conn: (u16, http::Version, Option<&crate::tls::TlsInfo>),
    ) -> Vec<(http::HeaderName, Option<HeaderValue>)> {
        let Router::Model { access, .. } = self else {
            return Vec::new();
        };
        let client = access.client(viewer);
        let (port, version, tls) = conn;
        let facts = crate::policy::viewer_headers::Facts {
            headers: viewer.headers,
            client,
            port: (client == viewer.peer.to_canonical()).then_some(port),
            https: viewer.https,
            version,
            tls: tls.map(|t| (t.protocol, t.cipher, t.resumed)),
            geo: if wanted.needs_geo() {
                access
                    .geo
                    .as_ref()
                    .and_then(|g| g.current().details(client))
            } else {
                None
            },
        };
        wanted.generate(&facts)
    }

    /// Routes a request (phase 2). `https` says whether the viewer connection is TLS.
    pub(crate) fn route(
        &self,
        method: &Method,
        host: Option<&str>,
        pq: Option<&PathAndQuery>,
        https: bool,
    ) -> Routed {
        let (model, targets) = match self {
            Router::Single(t) => {
                return Routed::Target {
                    target: t.clone(),
                    path: None,
                    cacheable: matches!(*method, Method::GET | Method::HEAD),
                }
            }
            Router::Model { model, targets, .. } => (model, targets),
        };
        let Some(index) = host.and_then(|h| model.router().route(h)) else {
            return Routed::Reject(EdgeError::UnknownHost);
        };
        let dist = model.distribution(index);
        if !dist.enabled {
            return Routed::Reject(EdgeError::DistributionDisabled);
        }
        let path = pq.map_or("/", PathAndQuery::path);
        let b_index = dist.select_behavior_index(path);
        let Some(target) = targets.get(index.get()).and_then(|t| t.get(b_index)) else {
            return Routed::Reject(EdgeError::UnknownHost);
        };
        let Some(rules) = &target.rules else {
            return Routed::Reject(EdgeError::UnknownHost);
        };
        let behavior = &rules.behavior;
        if !https {
            match behavior.viewer_protocol_policy {
                ViewerProtocolPolicy::AllowAll => {}
                ViewerProtocolPolicy::HttpsOnly => return Routed::Reject(EdgeError::HttpsRequired),
                ViewerProtocolPolicy::RedirectToHttps => {
                    let host = host.unwrap_or_default();
                    let location =
                        format!("https://{host}{}", pq.map_or("/", PathAndQuery::as_str));
                    return match HeaderValue::from_str(&location) {
                        Ok(v) => Routed::Redirect(v),
                        Err(_) => Routed::Reject(EdgeError::HttpsRequired),
                    };
                }
            }
        }
        if !behavior.allows_method(method.as_str()) {
            return Routed::Reject(EdgeError::MethodNotAllowed);
        }
        // §8.1: the default root object applies to `/` only.
        let path_override = match (&rules.default_root_object, path) {
            (Some(root), "/") => {
                let q = pq
                    .and_then(PathAndQuery::query)
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                PathAndQuery::try_from(format!("/{root}{q}")).ok()
            }
            _ => None,
        };
        let cacheable = matches!(*method, Method::GET | Method::HEAD)
            && behavior.caches_method(method.as_str());
        Routed::Target {
            target: target.clone(),
            path: path_override,
            cacheable,
        }
    }
}

/// Where phase 2 sends a request the lifecycle goes on with. Borrows the request.
pub(super) struct Routing<'a> {
    /// The distribution's behavior (or `brink serve`'s one target).
    pub(super) route: Arc<Target>,
    /// The target to fetch: the request's, or the default root object's.
    pub(super) target: PathAndQuery,
    /// The viewer's host (authority or `Host`), to route a custom error page.
    pub(super) host: Option<&'a str>,
    /// GET/HEAD under a behavior that caches them, and not a WebSocket handshake.
    pub(super) cacheable: bool,
    /// The router that chose it (the access phase asks the same one).
    pub(super) router: Arc<Router>,
    /// The `CloudFront-*` viewer headers to set on the request (`None`: remove), written by
    /// the access phase when the behavior's policies name some.
    pub(super) viewer_headers: Vec<(http::HeaderName, Option<HeaderValue>)>,
}

/// A request route answers by itself.
#[derive(Debug)]
pub(super) enum Answered {
    /// Refused (unknown host, disabled distribution, HTTPS required, method not allowed).
    Refused(EdgeError),
    /// `redirect-to-https`: 301 to this location.
    Redirect(HeaderValue),
}

impl Answered {
    /// The response (or the error that becomes one).
    pub(super) fn into_response(self) -> Result<Response<EdgeBody>, EdgeError> {
        match self {
            Answered::Refused(e) => Err(e),
            Answered::Redirect(location) => Ok(redirect(location)),
        }
    }
}

impl Edge {
    /// Phase 2: chooses the distribution and behavior (`Router::route`) and files `ctx`
    /// under them, also when route answers by itself (`Err`).
    pub(super) fn route<'a>(
        &self,
        req: &'a Request<Incoming>,
        ctx: &mut Ctx,
    ) -> Result<Routing<'a>, Answered> {
        let target = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let host = req.uri().authority().map(|a| a.as_str()).or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
        });
        let router = self.router();
        match router.route(req.method(), host, Some(&target), ctx.https()) {
            Routed::Target {
                target: route,
                path,
                cacheable,
            } => {
                ctx.set_tag(route.log.clone());
                Ok(Routing {
                    route,
                    target: path.unwrap_or(target),
                    host,
                    // WebSocket handshakes go through, never cached (cloudfront.md §8.4).
                    cacheable: cacheable && !super::pass::is_websocket(req),
                    router: router.clone(),
                    viewer_headers: Vec::new(),
                })
            }
            Routed::Reject(e) => {
                ctx.set_tag(router.log_tag(host, Some(&target)));
                Err(Answered::Refused(e))
            }
            Routed::Redirect(location) => {
                ctx.set_tag(router.log_tag(host, Some(&target)));
                ctx.status = CacheStatus::Redirect;
                Err(Answered::Redirect(location))
            }
        }
    }
}

/// `redirect-to-https` (cloudfront.md §1.3): 301 to the HTTPS URL.
fn redirect(location: HeaderValue) -> Response<EdgeBody> {
    let mut r = Response::new(EdgeBody::Empty);
    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
    let h = r.headers_mut();
    h.insert(header::LOCATION, location);
    h.insert(header::SERVER, HeaderValue::from_static("CloudFront"));
    CacheStatus::Redirect.write(h);
    r
}

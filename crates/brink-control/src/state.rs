//! The control plane's state: distributions, invalidations, the edges that report, and the
//! document published to them. Held in memory behind one lock, every change written to the
//! [`Store`] in one transaction before it becomes visible.

use std::collections::BTreeMap;
use std::sync::Arc;

use brink_feed::{EdgeReport, FeedUpdate, Invalidation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::ids;
use crate::store::{Batch, Store};
use crate::time::now_millis;

/// An edge that has not reported for this long no longer holds up `Deployed` and `Completed`
/// (it reports at least every long-poll, 20 s). A dead edge catches up from the feed when it
/// comes back, before it reports again.
pub(crate) const EDGE_LIVENESS_MS: i64 = 60_000;

/// The AWS account id in ARNs (one account per control plane).
pub(crate) const ACCOUNT: &str = "123456789012";

/// A distribution as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DistRecord {
    pub(crate) id: String,
    pub(crate) domain_name: String,
    pub(crate) etag: String,
    pub(crate) last_modified_ms: i64,
    /// The complete `DistributionConfig` (every default filled), in the CLI's JSON shape.
    pub(crate) config: Value,
    /// The document version that carries this configuration.
    pub(crate) config_version: u64,
    #[serde(default)]
    pub(crate) tags: Vec<(String, String)>,
}

impl DistRecord {
    pub(crate) fn arn(&self) -> String {
        format!("arn:aws:cloudfront::{ACCOUNT}:distribution/{}", self.id)
    }
    pub(crate) fn caller_reference(&self) -> &str {
        self.config["CallerReference"].as_str().unwrap_or_default()
    }
    pub(crate) fn enabled(&self) -> bool {
        self.config["Enabled"].as_bool().unwrap_or(false)
    }
    /// The ARN of a streaming distribution (same record type, other resource name).
    pub(crate) fn streaming_arn(&self) -> String {
        format!(
            "arn:aws:cloudfront::{ACCOUNT}:streaming-distribution/{}",
            self.id
        )
    }
}

/// Which of the two distribution kinds a record is (they share [`DistRecord`], and are kept
/// under `dist/` and `sdist/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DistKind {
    /// A web distribution (`DistributionConfig`).
    Web,
    /// An RTMP distribution (`StreamingDistributionConfig`).
    Streaming,
}

impl DistKind {
    /// Store key prefix.
    fn prefix(self) -> &'static str {
        match self {
            DistKind::Web => "dist/",
            DistKind::Streaming => "sdist/",
        }
    }
}

/// An invalidation as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InvRecord {
    pub(crate) id: String,
    pub(crate) distribution_id: String,
    pub(crate) caller_reference: String,
    pub(crate) paths: Vec<String>,
    pub(crate) create_ms: i64,
    pub(crate) seq: u64,
}

/// Counters that survive restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Meta {
    pub(crate) seq: u64,
    pub(crate) config_version: u64,
}

/// What an edge last told us.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EdgeState {
    pub(crate) pop: String,
    pub(crate) address: String,
    pub(crate) config_version: u64,
    pub(crate) seq: u64,
    pub(crate) last_report_ms: i64,
}

/// What a write changes for subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Nothing they see (a resource the document does not carry).
    Quiet,
    /// A new entry of the feed (an invalidation).
    Feed,
    /// A new version of the document.
    Config,
}

impl Change {
    fn of_resource(kind: &crate::resources::Kind) -> Change {
        if kind.doc_key.is_some() {
            Change::Config
        } else {
            Change::Quiet
        }
    }
}

/// Everything, in memory.
pub(crate) struct State {
    store: Arc<dyn Store>,
    cdn_domain: String,
    pub(crate) dists: BTreeMap<String, DistRecord>,
    /// Streaming (RTMP) distributions, `config` being a `StreamingDistributionConfig`.
    pub(crate) streams: BTreeMap<String, DistRecord>,
    /// Keyed by (distribution id, invalidation id).
    pub(crate) invs: BTreeMap<(String, String), InvRecord>,
    pub(crate) meta: Meta,
    pub(crate) edges: BTreeMap<String, EdgeState>,
    /// Imported certificates (ACM), by ARN.
    pub(crate) certs: BTreeMap<String, crate::acm::CertRecord>,
    /// Policies, keys, key groups, OACs: keyed by (kind path, id).
    pub(crate) res: BTreeMap<(String, String), crate::resources::ResRecord>,
    /// The document edges receive, rebuilt on every configuration change.
    document: Arc<Value>,
}

fn to_bytes<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

impl State {
    /// Loads everything from the store.
    pub(crate) fn load(store: Arc<dyn Store>, cdn_domain: String) -> Result<State, ApiError> {
        let mut s = State {
            store: store.clone(),
            cdn_domain,
            dists: BTreeMap::new(),
            streams: BTreeMap::new(),
            invs: BTreeMap::new(),
            meta: Meta::default(),
            edges: BTreeMap::new(),
            res: BTreeMap::new(),
            certs: BTreeMap::new(),
            document: Arc::new(json!({})),
        };
        for (k, v) in store.load_all().map_err(ApiError::internal)? {
            let bad = |e: serde_json::Error| ApiError::internal(format!("record {k}: {e}"));
            if k == "meta" {
                s.meta = serde_json::from_slice(&v).map_err(bad)?;
            } else if k.starts_with("dist/") {
                let d: DistRecord = serde_json::from_slice(&v).map_err(bad)?;
                s.dists.insert(d.id.clone(), d);
            } else if k.starts_with("sdist/") {
                let d: DistRecord = serde_json::from_slice(&v).map_err(bad)?;
                s.streams.insert(d.id.clone(), d);
            } else if k.starts_with("inv/") {
                let i: InvRecord = serde_json::from_slice(&v).map_err(bad)?;
                s.invs.insert((i.distribution_id.clone(), i.id.clone()), i);
            } else if k.starts_with("cert/") {
                let c: crate::acm::CertRecord = serde_json::from_slice(&v).map_err(bad)?;
                s.certs.insert(c.arn.clone(), c);
            } else if k.starts_with("res/") {
                let r: crate::resources::ResRecord = serde_json::from_slice(&v).map_err(bad)?;
                s.res.insert((r.kind.clone(), r.id.clone()), r);
            } else if let Some(pop) = k.strip_prefix("edge/") {
                let e: EdgeState = serde_json::from_slice(&v).map_err(bad)?;
                s.edges.insert(pop.to_owned(), e);
            }
        }
        s.document = Arc::new(s.build_document(Candidate::None));
        Ok(s)
    }

    /// A new (not yet validated or stored) distribution record: an id no web or streaming
    /// distribution has, and a domain name of `label` under the CDN domain.
    pub(crate) fn new_record(
        &self,
        label: String,
        config: Value,
        tags: Vec<(String, String)>,
    ) -> DistRecord {
        let mut id = ids::distribution_id();
        while self.dists.contains_key(&id) || self.streams.contains_key(&id) {
            id = ids::distribution_id();
        }
        DistRecord {
            domain_name: format!("{label}.{}", self.cdn_domain()),
            id,
            etag: ids::etag(),
            last_modified_ms: now_millis(),
            config,
            config_version: 0,
            tags,
        }
    }

    pub(crate) fn cdn_domain(&self) -> &str {
        &self.cdn_domain
    }

    /// The document edges serve, with `candidate` in place of (or added to) the stored
    /// entity of the same id.
    fn build_document(&self, candidate: Candidate<'_>) -> Value {
        let (candidate, stream_candidate, res_candidate) = match candidate {
            Candidate::None => (None, None, None),
            Candidate::Dist(d) => (Some(d), None, None),
            Candidate::Stream(d) => (None, Some(d), None),
            Candidate::Res(k, r) => (None, None, Some((k, r))),
        };
        let mut dists: Vec<Value> = Vec::with_capacity(self.dists.len() + 1);
        for d in self.dists.values() {
            if candidate.is_some_and(|c| c.id == d.id) {
                continue;
            }
            dists.push(edge_entry(d));
        }
        if let Some(c) = candidate {
            dists.push(edge_entry(c));
        }
        let mut doc = json!({ "Distributions": dists });
        let mut streams: Vec<Value> = self
            .streams
            .values()
            .filter(|d| stream_candidate.is_none_or(|c| c.id != d.id))
            .map(streaming_edge_entry)
            .collect();
        if let Some(c) = stream_candidate {
            streams.push(streaming_edge_entry(c));
        }
        if !streams.is_empty() {
            doc["StreamingDistributions"] = Value::Array(streams);
        }
        if !self.certs.is_empty() {
            let certs: Vec<Value> = self
                .certs
                .values()
                .map(|c| {
                    let (cert, key) = cert_files(&c.arn);
                    json!({"Id": c.arn, "CertificateFile": cert, "PrivateKeyFile": key})
                })
                .collect();
            doc["Certificates"] = Value::Array(certs);
        }
        for kind in crate::resources::KINDS {
            let Some(key) = kind.doc_key else { continue };
            let mut items: Vec<Value> = self
                .res_of(kind.path)
                .filter(|r| res_candidate.is_none_or(|(k, c)| k.path != kind.path || c.id != r.id))
                .map(|r| kind.entity_value(r))
                .collect();
            if let Some((k, c)) = res_candidate {
                if k.path == kind.path {
                    items.push(kind.entity_value(c));
                }
            }
            if !items.is_empty() {
                doc[key] = Value::Array(items);
            }
        }
        doc
    }

    /// Stores an imported certificate (a new configuration version: edges receive it).
    pub(crate) fn put_cert(&mut self, c: crate::acm::CertRecord) -> Result<(), ApiError> {
        let mut b = Batch::default();
        b.put(format!("cert/{}", c.arn), to_bytes(&c));
        let meta = self.next_meta(Change::Config);
        self.write(b, meta, |s| {
            s.certs.insert(c.arn.clone(), c);
        })
    }

    /// Removes an imported certificate (the caller checked it is unused).
    pub(crate) fn delete_cert(&mut self, arn: &str) -> Result<(), ApiError> {
        let mut b = Batch::default();
        b.delete(format!("cert/{arn}"));
        let meta = self.next_meta(Change::Config);
        self.write(b, meta, |s| {
            s.certs.remove(arn);
        })
    }

    /// Resources of one kind, in id order.
    pub(crate) fn res_of<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a crate::resources::ResRecord> + 'a {
        self.res.values().filter(move |r| r.kind == kind)
    }

    /// One resource.
    pub(crate) fn resource(&self, kind: &str, id: &str) -> Option<&crate::resources::ResRecord> {
        self.res.get(&(kind.to_owned(), id.to_owned()))
    }

    /// Stores a new or changed resource; one that edges receive is validated with the whole
    /// document first and makes a new configuration version.
    pub(crate) fn put_resource(
        &mut self,
        kind: &'static crate::resources::Kind,
        r: crate::resources::ResRecord,
    ) -> Result<crate::resources::ResRecord, ApiError> {
        if kind.doc_key.is_some() {
            let doc = self.build_document(Candidate::Res(kind, &r));
            self.check_document(doc, kind.doc_key.unwrap_or_default())?;
        }
        let mut b = Batch::default();
        b.put(format!("res/{}/{}", kind.path, r.id), to_bytes(&r));
        let meta = self.next_meta(Change::of_resource(kind));
        let stored = r.clone();
        self.write(b, meta, |s| {
            s.res
                .insert((kind.path.to_owned(), stored.id.clone()), stored);
        })?;
        Ok(r)
    }

    /// Removes a resource (the caller checked it is unused).
    pub(crate) fn delete_resource(
        &mut self,
        kind: &'static crate::resources::Kind,
        id: &str,
    ) -> Result<(), ApiError> {
        let mut b = Batch::default();
        b.delete(format!("res/{}/{id}", kind.path));
        let meta = self.next_meta(Change::of_resource(kind));
        self.write(b, meta, |s| {
            s.res.remove(&(kind.path.to_owned(), id.to_owned()));
        })
    }

    /// Validates a whole document as the edges will; the first problem under `focus` (the
    /// list the caller changed) is reported, else the first.
    fn check_document(&self, doc: Value, focus: &str) -> Result<(), ApiError> {
        let file: brink_model::EdgeFile = serde_json::from_value(doc)
            .map_err(|e| ApiError::bad_request(brink_model::ParseError::CODE, e.to_string()))?;
        let opts = brink_model::ValidateOptions {
            cdn_domain: self.cdn_domain.clone(),
        };
        match brink_model::validate_with(&file, &opts) {
            Ok(_) => Ok(()),
            Err(errors) => {
                let e = errors
                    .iter()
                    .find(|e| e.path.starts_with(focus))
                    .unwrap_or(&errors[0]);
                Err(ApiError::from_model(
                    e.code,
                    format!("{} ({})", e.message, e.path),
                ))
            }
        }
    }

    /// Validates the whole document with `candidate` in it, as every edge will: the model's
    /// own validation, so a file and the API refuse the same mistakes with the same codes.
    /// Returns the candidate's complete configuration (defaults filled).
    pub(crate) fn validate(&self, candidate: &DistRecord) -> Result<Value, ApiError> {
        let complete = self.validate_in_document::<brink_model::raw::DistributionConfig>(
            candidate,
            |c| Candidate::Dist(c),
            ("Distributions", "DistributionConfig"),
            |file| file.distributions.len(),
        )?;
        // An imported certificate must cover every alias (the edge checks the same on load).
        if let Some(arn) = complete["ViewerCertificate"]["ACMCertificateArn"].as_str() {
            if let Some(cert) = self.certs.get(arn) {
                for alias in complete["Aliases"]["Items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let alias = alias.as_str().unwrap_or_default();
                    if !crate::acm::covers(&cert.names, alias) {
                        return Err(ApiError::from_model(
                            "InvalidViewerCertificate",
                            format!(
                                "The certificate {arn} does not cover the alias {alias} (names: {}).",
                                cert.names.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        Ok(complete)
    }

    /// Validates the whole document with the streaming distribution `candidate` in it, as
    /// every edge will. Returns the candidate's complete `StreamingDistributionConfig`.
    pub(crate) fn validate_streaming(&self, candidate: &DistRecord) -> Result<Value, ApiError> {
        self.validate_in_document::<brink_model::raw::StreamingDistributionConfig>(
            candidate,
            |c| Candidate::Stream(c),
            ("StreamingDistributions", "StreamingDistributionConfig"),
            |file| file.streaming_distributions.len(),
        )
    }

    /// The candidate's configuration read as `C` (defaults filled), then the whole document
    /// with it validated by the model. The candidate is the last of `list` in that document:
    /// its own problems are reported first, their paths relative to its `config`.
    fn validate_in_document<C: serde::de::DeserializeOwned + Serialize>(
        &self,
        candidate: &DistRecord,
        place: impl for<'a> Fn(&'a DistRecord) -> Candidate<'a>,
        (list, config): (&str, &str),
        count: impl Fn(&brink_model::EdgeFile) -> usize,
    ) -> Result<Value, ApiError> {
        let parsed: C = serde_json::from_value(candidate.config.clone())
            .map_err(|e| ApiError::bad_request(brink_model::ParseError::CODE, format!("{e}")))?;
        let complete = serde_json::to_value(&parsed).map_err(ApiError::internal)?;
        let mut cand = candidate.clone();
        cand.config = complete.clone();
        let doc = self.build_document(place(&cand));
        let file: brink_model::EdgeFile = serde_json::from_value(doc)
            .map_err(|e| ApiError::bad_request(brink_model::ParseError::CODE, e.to_string()))?;
        let opts = brink_model::ValidateOptions {
            cdn_domain: self.cdn_domain.clone(),
        };
        let Err(errors) = brink_model::validate_with(&file, &opts) else {
            return Ok(complete);
        };
        let mine = format!("{list}[{}]", count(&file).saturating_sub(1));
        let in_config = format!("{mine}.{config}.");
        let Some(e) = errors
            .iter()
            .find(|e| {
                e.path
                    .strip_prefix(&mine)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
            .or(errors.first())
        else {
            return Err(ApiError::internal("validation failed without an error"));
        };
        let field = e.path.strip_prefix(&in_config).unwrap_or(&e.path);
        Err(ApiError::from_model(
            e.code,
            format!("{} ({field})", e.message),
        ))
    }

    fn commit(&mut self, batch: Batch) -> Result<(), ApiError> {
        self.store.write(&batch).map_err(ApiError::internal)
    }

    /// The counters after one more change of this kind.
    fn next_meta(&self, change: Change) -> Meta {
        let mut meta = self.meta.clone();
        if change != Change::Quiet {
            meta.seq += 1;
        }
        if change == Change::Config {
            meta.config_version += 1;
        }
        meta
    }

    /// Writes `b` with the new counters in one transaction; once it is durable, `apply`
    /// updates the memory, and a new configuration version rebuilds the document.
    fn write(
        &mut self,
        mut b: Batch,
        meta: Meta,
        apply: impl FnOnce(&mut Self),
    ) -> Result<(), ApiError> {
        let config = meta.config_version != self.meta.config_version;
        b.put("meta", to_bytes(&meta));
        self.commit(b)?;
        self.meta = meta;
        apply(self);
        if config {
            self.document = Arc::new(self.build_document(Candidate::None));
        }
        Ok(())
    }

    /// Stores a new or changed distribution as a new configuration version.
    pub(crate) fn put_distribution(&mut self, mut d: DistRecord) -> Result<DistRecord, ApiError> {
        let meta = self.next_meta(Change::Config);
        d.config_version = meta.config_version;
        let mut b = Batch::default();
        b.put(format!("dist/{}", d.id), to_bytes(&d));
        let stored = d.clone();
        self.write(b, meta, |s| {
            s.dists.insert(stored.id.clone(), stored);
        })?;
        Ok(d)
    }

    /// Removes a distribution (and its invalidations).
    pub(crate) fn delete_distribution(&mut self, id: &str) -> Result<(), ApiError> {
        let mut b = Batch::default();
        b.delete(format!("dist/{id}"));
        let invs: Vec<(String, String)> =
            self.invs.keys().filter(|(d, _)| d == id).cloned().collect();
        for (d, i) in &invs {
            b.delete(format!("inv/{d}/{i}"));
        }
        let meta = self.next_meta(Change::Config);
        self.write(b, meta, |s| {
            s.dists.remove(id);
            for k in invs {
                s.invs.remove(&k);
            }
        })
    }

    /// Stores a new or changed streaming distribution as a new configuration version.
    pub(crate) fn put_streaming(&mut self, mut d: DistRecord) -> Result<DistRecord, ApiError> {
        let meta = self.next_meta(Change::Config);
        d.config_version = meta.config_version;
        let mut b = Batch::default();
        b.put(format!("sdist/{}", d.id), to_bytes(&d));
        let stored = d.clone();
        self.write(b, meta, |s| {
            s.streams.insert(stored.id.clone(), stored);
        })?;
        Ok(d)
    }

    /// Removes a streaming distribution.
    pub(crate) fn delete_streaming(&mut self, id: &str) -> Result<(), ApiError> {
        let mut b = Batch::default();
        b.delete(format!("sdist/{id}"));
        let meta = self.next_meta(Change::Config);
        self.write(b, meta, |s| {
            s.streams.remove(id);
        })
    }

    /// Only the tags changed: no new configuration version.
    pub(crate) fn put_tags(
        &mut self,
        kind: DistKind,
        id: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), ApiError> {
        let map = match kind {
            DistKind::Web => &self.dists,
            DistKind::Streaming => &self.streams,
        };
        let Some(mut d) = map.get(id).cloned() else {
            return Err(ApiError::no_such_resource());
        };
        d.tags = tags;
        let mut b = Batch::default();
        b.put(format!("{}{id}", kind.prefix()), to_bytes(&d));
        self.commit(b)?;
        match kind {
            DistKind::Web => self.dists.insert(id.to_owned(), d),
            DistKind::Streaming => self.streams.insert(id.to_owned(), d),
        };
        Ok(())
    }

    /// Records an invalidation as the next change of the feed.
    pub(crate) fn add_invalidation(&mut self, mut inv: InvRecord) -> Result<InvRecord, ApiError> {
        let meta = self.next_meta(Change::Feed);
        inv.seq = meta.seq;
        let mut b = Batch::default();
        b.put(
            format!("inv/{}/{}", inv.distribution_id, inv.id),
            to_bytes(&inv),
        );
        let stored = inv.clone();
        self.write(b, meta, |s| {
            s.invs
                .insert((stored.distribution_id.clone(), stored.id.clone()), stored);
        })?;
        Ok(inv)
    }

    /// Edges heard from within [`EDGE_LIVENESS_MS`].
    fn live_edges(&self, now: i64) -> impl Iterator<Item = &EdgeState> {
        self.edges
            .values()
            .filter(move |e| now - e.last_report_ms <= EDGE_LIVENESS_MS)
    }

    /// `Deployed` once every live edge serves this version (at once when no edge is live:
    /// there is nothing to wait for).
    pub(crate) fn dist_status(&self, d: &DistRecord) -> &'static str {
        let now = now_millis();
        if self
            .live_edges(now)
            .all(|e| e.config_version >= d.config_version)
        {
            "Deployed"
        } else {
            "InProgress"
        }
    }

    /// `Completed` once every live edge has applied the feed up to it.
    pub(crate) fn inv_status(&self, i: &InvRecord) -> &'static str {
        let now = now_millis();
        if self.live_edges(now).all(|e| e.seq >= i.seq) {
            "Completed"
        } else {
            "InProgress"
        }
    }

    pub(crate) fn in_progress_invalidations<'a>(
        &'a self,
        dist: &'a str,
    ) -> impl Iterator<Item = &'a InvRecord> + 'a {
        self.invs
            .values()
            .filter(move |i| i.distribution_id == dist && self.inv_status(i) == "InProgress")
    }

    /// What a subscriber that has `after` and `config` needs now; `None` when nothing.
    pub(crate) fn feed_update(&self, after: u64, config: u64) -> Option<FeedUpdate> {
        if self.meta.seq <= after && self.meta.config_version <= config {
            return None;
        }
        let mut invalidations: Vec<Invalidation> = self
            .invs
            .values()
            .filter(|i| i.seq > after)
            .map(|i| Invalidation {
                id: i.id.clone(),
                distribution_id: i.distribution_id.clone(),
                paths: i.paths.clone(),
                seq: i.seq,
            })
            .collect();
        invalidations.sort_by_key(|i| i.seq);
        let send_config = self.meta.config_version > config;
        let files = if send_config {
            self.certs
                .values()
                .flat_map(|c| {
                    let (cert, key) = cert_files(&c.arn);
                    let mut chain = c.certificate_pem.clone();
                    if !chain.ends_with('\n') {
                        chain.push('\n');
                    }
                    chain.push_str(&c.chain_pem);
                    [
                        brink_feed::FeedFile {
                            name: cert,
                            contents: chain,
                        },
                        brink_feed::FeedFile {
                            name: key,
                            contents: c.private_key_pem.clone(),
                        },
                    ]
                })
                .collect()
        } else {
            Vec::new()
        };
        Some(FeedUpdate {
            seq: self.meta.seq,
            config_version: self.meta.config_version,
            config: send_config.then(|| (*self.document).clone()),
            invalidations,
            files,
        })
    }

    /// Records an edge's report (persisted, so a restarted control plane knows its edges).
    pub(crate) fn report(&mut self, r: &EdgeReport) -> Result<(), ApiError> {
        let e = EdgeState {
            pop: r.pop.clone(),
            address: r.address.clone(),
            config_version: r.config_version,
            seq: r.seq,
            last_report_ms: now_millis(),
        };
        let mut b = Batch::default();
        b.put(format!("edge/{}", r.pop), to_bytes(&e));
        self.commit(b)?;
        self.edges.insert(r.pop.clone(), e);
        Ok(())
    }
}

/// Where an imported certificate and its key live on a subscriber (relative to its state
/// directory).
fn cert_files(arn: &str) -> (String, String) {
    let id = arn.rsplit('/').next().unwrap_or("cert");
    (format!("certs/{id}.pem"), format!("certs/{id}.key"))
}

/// What a document is built with besides the stored state (a change being validated).
#[derive(Clone, Copy)]
enum Candidate<'a> {
    /// Only what is stored.
    None,
    /// A web distribution in place of (or added to) the stored one of its id.
    Dist(&'a DistRecord),
    /// A streaming distribution likewise.
    Stream(&'a DistRecord),
    /// A resource likewise.
    Res(&'a crate::resources::Kind, &'a crate::resources::ResRecord),
}

/// A streaming distribution as the edges' document lists it under `StreamingDistributions`
/// (`aws cloudfront get-streaming-distribution`'s shape).
fn streaming_edge_entry(d: &DistRecord) -> Value {
    json!({
        "Id": d.id,
        "ARN": d.streaming_arn(),
        "DomainName": d.domain_name,
        "StreamingDistributionConfig": d.config,
    })
}

/// A distribution as the edges' document lists it (`aws cloudfront get-distribution`'s shape).
fn edge_entry(d: &DistRecord) -> Value {
    json!({
        "Id": d.id,
        "ARN": d.arn(),
        "DomainName": d.domain_name,
        "DistributionConfig": d.config,
    })
}

//! The CloudFront API (2020-05-31, REST-XML): routing, errors, and the distribution,
//! invalidation and tagging operations (cloudfront.md §4, §11).

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::Full;
use serde_json::{json, Value};

use crate::ids;
use crate::state::{DistKind, DistRecord, InvRecord, State};
use crate::time::{iso8601, now_millis};
use crate::xml::{from_xml, to_xml, XmlError};

/// The API's path prefix.
pub(crate) const PREFIX: &str = "/2020-05-31";
/// Largest request body (a distribution with 75 behaviors is well below).
pub(crate) const MAX_BODY: usize = 1 << 20;
/// Invalidation limits per distribution (cloudfront.md §4).
const MAX_PATHS_IN_PROGRESS: usize = 3000;
const MAX_WILDCARDS_IN_PROGRESS: usize = 15;
const MAX_INVALIDATION_PATH: usize = 4000;

/// A response ready to send.
pub(crate) type Resp = http::Response<Full<Bytes>>;

/// An error in CloudFront's shape: HTTP status, code, message.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "An internal error occurred.",
        )
    }

    /// A validation problem from `brink-model`, with the HTTP status CloudFront uses for its
    /// code.
    pub(crate) fn from_model(code: &str, message: impl Into<String>) -> ApiError {
        let status = if code.starts_with("NoSuch") || code == "TrustedKeyGroupDoesNotExist" {
            if code == "TrustedKeyGroupDoesNotExist" {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::NOT_FOUND
            }
        } else if code.ends_with("AlreadyExists") || code.ends_with("InUse") {
            StatusCode::CONFLICT
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::new(status, code, message)
    }

    pub(crate) fn no_such_distribution() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchDistribution",
            "The specified distribution does not exist.",
        )
    }

    pub(crate) fn no_such_resource() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchResource",
            "The specified resource does not exist.",
        )
    }

    pub(crate) fn from_xml(e: XmlError) -> ApiError {
        match e {
            XmlError::Malformed(m) => ApiError::bad_request("MalformedXML", m),
            XmlError::Unexpected(m) => ApiError::bad_request("InvalidArgument", m),
        }
    }

    /// The XML error body (cloudfront.md §11.1).
    pub(crate) fn into_response(self, request_id: &str) -> Resp {
        let body = format!(
            "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"{}\"><Error><Type>Sender</Type>\
             <Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId>\
             </ErrorResponse>",
            crate::xml::NAMESPACE,
            escape(&self.code),
            escape(&self.message)
        );
        let mut r = http::Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = self.status;
        set(&mut r, "content-type", "text/xml");
        set(&mut r, "x-amzn-requestid", request_id);
        r
    }
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

pub(crate) fn set(r: &mut Resp, name: &'static str, value: &str) {
    if let Ok(v) = http::HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// An XML response.
pub(crate) fn xml_response(status: StatusCode, body: String, request_id: &str) -> Resp {
    let mut r = http::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    set(&mut r, "content-type", "text/xml");
    set(&mut r, "x-amzn-requestid", request_id);
    r
}

pub(crate) fn empty(status: StatusCode, request_id: &str) -> Resp {
    let mut r = http::Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    set(&mut r, "x-amzn-requestid", request_id);
    r
}

/// One API request, read whole and authenticated.
pub(crate) struct ApiRequest<'a> {
    pub(crate) method: &'a Method,
    /// The path after [`PREFIX`].
    pub(crate) path: &'a str,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    /// `http://host` the client used, for `Location`.
    pub(crate) base: String,
}

impl ApiRequest<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn has_flag(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }
    /// `MissingBody` for an operation that needs a request body and got none.
    pub(crate) fn require_body(&self) -> Result<(), ApiError> {
        if self.body.is_empty() {
            return Err(ApiError::bad_request(
                "MissingBody",
                "This operation requires a body.",
            ));
        }
        Ok(())
    }
    /// A create operation's configuration, and its tags when it is the `?WithTags` variant
    /// (whose body wraps the configuration with a `Tags` element).
    pub(crate) fn config_and_tags(
        &self,
        config: &str,
        with_tags: &str,
    ) -> Result<(Value, Vec<(String, String)>), ApiError> {
        if self.has_flag("WithTags") {
            let v = from_xml(self.body, with_tags, with_tags).map_err(ApiError::from_xml)?;
            Ok((v[config].clone(), tags_of(&v["Tags"])))
        } else {
            let v = from_xml(self.body, config, config).map_err(ApiError::from_xml)?;
            Ok((v, Vec::new()))
        }
    }
    fn if_match(&self) -> Option<&str> {
        self.headers
            .get(http::header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
    }
}

/// Routes and runs one operation. `state` is locked for its whole duration: operations are
/// short, and one writer at a time keeps ETags and sequence numbers simple.
pub(crate) fn handle(
    state: &mut State,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    let segs: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    let m = req.method;
    match (m, segs.as_slice()) {
        (&Method::POST, ["distribution"]) => create_distribution(state, req, request_id),
        (&Method::GET, ["distribution"]) => list_distributions(state, req, request_id),
        (&Method::GET, ["distribution", id]) => get_distribution(state, id, request_id),
        (&Method::GET, ["distribution", id, "config"]) => get_config(state, id, request_id),
        (&Method::PUT, ["distribution", id, "config"]) => {
            update_distribution(state, id, req, request_id)
        }
        (&Method::DELETE, ["distribution", id]) => delete_distribution(state, id, req, request_id),
        (&Method::POST, ["distribution", id, "invalidation"]) => {
            create_invalidation(state, id, req, request_id)
        }
        (&Method::GET, ["distribution", id, "invalidation"]) => {
            list_invalidations(state, id, req, request_id)
        }
        (&Method::GET, ["distribution", id, "invalidation", inv]) => {
            get_invalidation(state, id, inv, request_id)
        }
        (_, ["streaming-distribution", rest @ ..]) => {
            crate::streaming::handle(state, rest, req, request_id)
        }
        (_, [kind, rest @ ..]) if crate::resources::kind(kind).is_some() => {
            let kind = crate::resources::kind(kind).ok_or_else(ApiError::no_such_resource)?;
            crate::resources::handle(state, kind, rest, req, request_id)
        }
        (&Method::GET, ["tagging"]) => list_tags(state, req, request_id),
        (&Method::POST, ["tagging"]) => change_tags(state, req, request_id),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!(
                "{} {PREFIX}{} is not an operation this endpoint supports",
                m, req.path
            ),
        )),
    }
}

fn dist_value(state: &State, d: &DistRecord) -> Value {
    let key_groups = behaviors(&d.config).any(|b| b["TrustedKeyGroups"]["Enabled"] == true);
    let signers = behaviors(&d.config).any(|b| b["TrustedSigners"]["Enabled"] == true);
    json!({
        "Id": d.id,
        "ARN": d.arn(),
        "Status": state.dist_status(d),
        "LastModifiedTime": iso8601(d.last_modified_ms),
        "InProgressInvalidationBatches": state.in_progress_invalidations(&d.id).count(),
        "DomainName": d.domain_name,
        "ActiveTrustedSigners": {"Enabled": signers, "Quantity": 0},
        "ActiveTrustedKeyGroups": {"Enabled": key_groups, "Quantity": 0},
        "DistributionConfig": d.config,
    })
}

fn behaviors(config: &Value) -> impl Iterator<Item = &Value> {
    std::iter::once(&config["DefaultCacheBehavior"]).chain(
        config["CacheBehaviors"]["Items"]
            .as_array()
            .into_iter()
            .flatten(),
    )
}

pub(crate) fn with_etag(mut r: Resp, etag: &str) -> Resp {
    set(&mut r, "etag", etag);
    r
}

fn create_distribution(
    state: &mut State,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    req.require_body()?;
    let (config, tags) = req.config_and_tags("DistributionConfig", "DistributionConfigWithTags")?;
    let caller_ref = caller_reference(&config)?;
    if let Some(existing) = state
        .dists
        .values()
        .find(|d| d.caller_reference() == caller_ref)
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "DistributionAlreadyExists",
            format!(
                "The caller reference that you are using to create a distribution is associated \
                 with another distribution ({}).",
                existing.id
            ),
        ));
    }
    let mut d = state.new_record(ids::domain_label(), config, tags);
    d.config = state.validate(&d)?;
    let d = state.put_distribution(d)?;
    let body = to_xml(&dist_value(state, &d), "Distribution", "Distribution");
    let mut r = with_etag(xml_response(StatusCode::CREATED, body, request_id), &d.etag);
    set(
        &mut r,
        "location",
        &format!("{}{PREFIX}/distribution/{}", req.base, d.id),
    );
    Ok(r)
}

/// The `CallerReference` of a create request; `InvalidArgument` when it is missing or empty.
pub(crate) fn caller_reference(config: &Value) -> Result<String, ApiError> {
    match config["CallerReference"].as_str() {
        Some(r) if !r.is_empty() => Ok(r.to_owned()),
        _ => Err(ApiError::bad_request(
            "InvalidArgument",
            "CallerReference is required.",
        )),
    }
}

pub(crate) fn tags_of(v: &Value) -> Vec<(String, String)> {
    v["Items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t["Key"].as_str()?.to_owned(),
                t["Value"].as_str().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

fn find<'a>(state: &'a State, id: &str) -> Result<&'a DistRecord, ApiError> {
    state
        .dists
        .get(id)
        .ok_or_else(ApiError::no_such_distribution)
}

fn get_distribution(state: &State, id: &str, request_id: &str) -> Result<Resp, ApiError> {
    let d = find(state, id)?;
    let body = to_xml(&dist_value(state, d), "Distribution", "Distribution");
    Ok(with_etag(
        xml_response(StatusCode::OK, body, request_id),
        &d.etag,
    ))
}

fn get_config(state: &State, id: &str, request_id: &str) -> Result<Resp, ApiError> {
    let d = find(state, id)?;
    let body = to_xml(&d.config, "DistributionConfig", "DistributionConfig");
    Ok(with_etag(
        xml_response(StatusCode::OK, body, request_id),
        &d.etag,
    ))
}

/// `If-Match` against the resource's ETag (cloudfront.md §11.2).
pub(crate) fn check_if_match(req: &ApiRequest<'_>, etag: &str) -> Result<(), ApiError> {
    match req.if_match() {
        None | Some("") => Err(ApiError::bad_request(
            "InvalidIfMatchVersion",
            "The If-Match version is missing or not valid for the resource.",
        )),
        Some(v) if v.trim_matches('"') == etag => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            "The precondition given in one or more of the request-header fields evaluated to \
             false.",
        )),
    }
}

fn update_distribution(
    state: &mut State,
    id: &str,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    let current = find(state, id)?.clone();
    check_if_match(req, &current.etag)?;
    let config = from_xml(req.body, "DistributionConfig", "DistributionConfig")
        .map_err(ApiError::from_xml)?;
    if config["CallerReference"].as_str() != Some(current.caller_reference()) {
        return Err(ApiError::bad_request(
            "IllegalUpdate",
            "The CallerReference of a distribution cannot be changed.",
        ));
    }
    let mut d = DistRecord {
        config,
        etag: ids::etag(),
        last_modified_ms: now_millis(),
        ..current
    };
    d.config = state.validate(&d)?;
    let d = state.put_distribution(d)?;
    let body = to_xml(&dist_value(state, &d), "Distribution", "Distribution");
    Ok(with_etag(
        xml_response(StatusCode::OK, body, request_id),
        &d.etag,
    ))
}

fn delete_distribution(
    state: &mut State,
    id: &str,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    let d = find(state, id)?;
    check_if_match(req, &d.etag)?;
    if d.enabled() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "DistributionNotDisabled",
            "The distribution you are trying to delete has not been disabled.",
        ));
    }
    state.delete_distribution(id)?;
    Ok(empty(StatusCode::NO_CONTENT, request_id))
}

/// `Marker` / `MaxItems` paging over ids in order.
pub(crate) fn page<'a, T>(
    items: impl Iterator<Item = (&'a str, T)>,
    req: &ApiRequest<'_>,
) -> Result<(Vec<T>, Option<String>, u32), ApiError> {
    let max: u32 = match req.param("MaxItems") {
        None | Some("") => 100,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| ApiError::bad_request("InvalidArgument", "MaxItems must be 1–1000."))?,
    };
    let marker = req.param("Marker").unwrap_or_default();
    let mut started = marker.is_empty();
    let mut out = Vec::new();
    let mut last = None;
    let mut truncated = false;
    for (id, item) in items {
        if !started {
            started = id == marker;
            continue;
        }
        if out.len() as u32 == max {
            truncated = true;
            break;
        }
        last = Some(id.to_owned());
        out.push(item);
    }
    Ok((out, truncated.then_some(last).flatten(), max))
}

/// A `…List` body: `Marker`, `NextMarker` when truncated, `MaxItems`, `IsTruncated`,
/// `Quantity`, `Items`.
pub(crate) fn list_value(
    req: &ApiRequest<'_>,
    items: Vec<Value>,
    next: Option<String>,
    max: u32,
) -> Value {
    let mut list = json!({
        "Marker": req.param("Marker").unwrap_or_default(),
        "MaxItems": max,
        "IsTruncated": next.is_some(),
        "Quantity": items.len(),
        "Items": items,
    });
    if let Some(n) = next {
        list["NextMarker"] = Value::String(n);
    }
    list
}

fn list_distributions(
    state: &State,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    let (items, next, max) = page(
        state.dists.values().map(|d| {
            let mut summary = d.config.clone();
            if let Value::Object(m) = &mut summary {
                if let Value::Object(extra) = dist_value(state, d) {
                    for (k, v) in extra {
                        if k != "DistributionConfig" {
                            m.insert(k, v);
                        }
                    }
                }
                m.entry("Staging").or_insert(Value::Bool(false));
            }
            (d.id.as_str(), summary)
        }),
        req,
    )?;
    let list = list_value(req, items, next, max);
    Ok(xml_response(
        StatusCode::OK,
        to_xml(&list, "DistributionList", "DistributionList"),
        request_id,
    ))
}

fn valid_invalidation_path(p: &str) -> bool {
    p.starts_with('/')
        && p.len() <= MAX_INVALIDATION_PATH
        && p.find('*').is_none_or(|i| i == p.len() - 1)
}

fn inv_value(state: &State, i: &InvRecord) -> Value {
    json!({
        "Id": i.id,
        "Status": state.inv_status(i),
        "CreateTime": iso8601(i.create_ms),
        "InvalidationBatch": {
            "Paths": {"Quantity": i.paths.len(), "Items": i.paths},
            "CallerReference": i.caller_reference,
        }
    })
}

fn create_invalidation(
    state: &mut State,
    dist: &str,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    find(state, dist)?;
    let v =
        from_xml(req.body, "InvalidationBatch", "InvalidationBatch").map_err(ApiError::from_xml)?;
    let paths: Vec<String> = v["Paths"]["Items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    let quantity = v["Paths"]["Quantity"].as_u64().unwrap_or(0);
    if quantity != paths.len() as u64 {
        return Err(ApiError::bad_request(
            "InconsistentQuantities",
            "The value of Quantity and the size of Items don't match.",
        ));
    }
    let caller_ref = caller_reference(&v)?;
    if paths.is_empty() || paths.iter().any(|p| !valid_invalidation_path(p)) {
        return Err(ApiError::bad_request(
            "InvalidArgument",
            "Your request contains one or more invalid invalidation paths.",
        ));
    }
    if paths.len() > MAX_PATHS_IN_PROGRESS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BatchTooLarge",
            "Invalidation batch specified is too large.",
        ));
    }
    // Same CallerReference: the same batch returns the existing invalidation.
    if let Some(existing) = state
        .invs
        .values()
        .find(|i| i.distribution_id == dist && i.caller_reference == caller_ref)
    {
        if existing.paths == paths {
            let body = to_xml(&inv_value(state, existing), "Invalidation", "Invalidation");
            return Ok(xml_response(StatusCode::CREATED, body, request_id));
        }
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "InvalidationBatchAlreadyExists",
            "The CallerReference is already used by an invalidation with other paths.",
        ));
    }
    let (mut wild, mut exact) = (0usize, 0usize);
    for i in state.in_progress_invalidations(dist) {
        for p in &i.paths {
            if p.ends_with('*') {
                wild += 1;
            } else {
                exact += 1;
            }
        }
    }
    let new_wild = paths.iter().filter(|p| p.ends_with('*')).count();
    if wild + new_wild > MAX_WILDCARDS_IN_PROGRESS
        || exact + paths.len() - new_wild > MAX_PATHS_IN_PROGRESS
    {
        return Err(ApiError::bad_request(
            "TooManyInvalidationsInProgress",
            "You have exceeded the maximum number of allowable InProgress invalidation batch \
             requests, or invalidation objects.",
        ));
    }
    let inv = state.add_invalidation(InvRecord {
        id: ids::invalidation_id(),
        distribution_id: dist.to_owned(),
        caller_reference: caller_ref,
        paths,
        create_ms: now_millis(),
        seq: 0,
    })?;
    let body = to_xml(&inv_value(state, &inv), "Invalidation", "Invalidation");
    let mut r = xml_response(StatusCode::CREATED, body, request_id);
    set(
        &mut r,
        "location",
        &format!(
            "{}{PREFIX}/distribution/{dist}/invalidation/{}",
            req.base, inv.id
        ),
    );
    Ok(r)
}

fn get_invalidation(
    state: &State,
    dist: &str,
    inv: &str,
    request_id: &str,
) -> Result<Resp, ApiError> {
    find(state, dist)?;
    let i = state
        .invs
        .get(&(dist.to_owned(), inv.to_owned()))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NoSuchInvalidation",
                "The specified invalidation does not exist.",
            )
        })?;
    Ok(xml_response(
        StatusCode::OK,
        to_xml(&inv_value(state, i), "Invalidation", "Invalidation"),
        request_id,
    ))
}

fn list_invalidations(
    state: &State,
    dist: &str,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    find(state, dist)?;
    let mut invs: Vec<&InvRecord> = state
        .invs
        .values()
        .filter(|i| i.distribution_id == dist)
        .collect();
    // Newest first (cloudfront.md §4).
    invs.sort_by_key(|i| std::cmp::Reverse(i.seq));
    let (items, next, max) = page(
        invs.iter().map(|i| {
            (
                i.id.as_str(),
                json!({"Id": i.id, "CreateTime": iso8601(i.create_ms), "Status": state.inv_status(i)}),
            )
        }),
        req,
    )?;
    let list = list_value(req, items, next, max);
    Ok(xml_response(
        StatusCode::OK,
        to_xml(&list, "InvalidationList", "InvalidationList"),
        request_id,
    ))
}

/// The distribution (web or streaming) a tagging ARN names.
fn tagged<'a>(
    state: &'a State,
    req: &ApiRequest<'_>,
) -> Result<(DistKind, &'a DistRecord), ApiError> {
    let arn = req.param("Resource").unwrap_or_default();
    let rest = arn.strip_prefix("arn:aws:cloudfront::").unwrap_or_default();
    let (kind, id) = if let Some((_, id)) = rest.split_once(":distribution/") {
        (DistKind::Web, id)
    } else if let Some((_, id)) = rest.split_once(":streaming-distribution/") {
        (DistKind::Streaming, id)
    } else {
        return Err(ApiError::bad_request(
            "InvalidArgument",
            "Resource is not a distribution ARN.",
        ));
    };
    let map = match kind {
        DistKind::Web => &state.dists,
        DistKind::Streaming => &state.streams,
    };
    map.get(id)
        .map(|d| (kind, d))
        .ok_or_else(ApiError::no_such_resource)
}

fn list_tags(state: &State, req: &ApiRequest<'_>, request_id: &str) -> Result<Resp, ApiError> {
    let (_, d) = tagged(state, req)?;
    let items: Vec<Value> = d
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(xml_response(
        StatusCode::OK,
        to_xml(&json!({"Items": items}), "Tags", "Tags"),
        request_id,
    ))
}

fn change_tags(
    state: &mut State,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    let (kind, d) = tagged(state, req)?;
    let id = d.id.clone();
    let mut tags = d.tags.clone();
    match req.param("Operation") {
        Some("Tag") => {
            let v = from_xml(req.body, "Tags", "Tags").map_err(ApiError::from_xml)?;
            for (k, val) in tags_of(&v) {
                tags.retain(|(x, _)| *x != k);
                tags.push((k, val));
            }
            if tags.len() > 50 {
                return Err(ApiError::bad_request("InvalidTagging", "At most 50 tags."));
            }
        }
        Some("Untag") => {
            let v = from_xml(req.body, "TagKeys", "TagKeys").map_err(ApiError::from_xml)?;
            let keys: Vec<&str> = v["Items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            tags.retain(|(k, _)| !keys.contains(&k.as_str()));
        }
        _ => {
            return Err(ApiError::bad_request(
                "InvalidArgument",
                "Operation must be Tag or Untag.",
            ))
        }
    }
    state.put_tags(kind, &id, tags)?;
    Ok(empty(StatusCode::NO_CONTENT, request_id))
}

//! The API's other resources (cloudfront.md §11.2): cache, origin-request and
//! response-headers policies, public keys, key groups and origin access controls. They share
//! one shape — create (201, `Location`, `ETag`), get, get config, update (`If-Match`), delete
//! (`If-Match`, refused while a distribution uses it), list — so one table describes each.
//! Policies, keys and key groups travel to the edges in the document; the managed policies
//! (`brink-model`'s, under their real ids) are listed with `Type=managed` and immutable.

use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::{ApiError, ApiRequest, Resp};
use crate::ids;
use crate::state::State;
use crate::time::{iso8601, now_millis};
use crate::xml::{from_xml, to_xml};

/// How a list names its items.
#[derive(Debug, Clone, Copy)]
enum Summary {
    /// `{Type, <Entity>}` (policies).
    Typed,
    /// `{<Entity>}` (key groups).
    Wrapped,
    /// The entity's config fields flattened next to `Id` (public keys, OACs).
    Flat,
}

/// One kind of resource.
#[derive(Debug)]
pub(crate) struct Kind {
    /// Path segment and store prefix: `cache-policy`.
    pub(crate) path: &'static str,
    /// `CachePolicy`.
    pub(crate) entity: &'static str,
    /// `CachePolicyConfig`.
    pub(crate) config: &'static str,
    /// `LastModifiedTime` or `CreatedTime` (OACs have none).
    time: Option<&'static str>,
    summary: Summary,
    /// Where the document lists them (`CachePolicies`), if edges need them.
    pub(crate) doc_key: Option<&'static str>,
    /// Update is `PUT /R/{Id}/config` (else `PUT /R/{Id}`).
    update_on_config: bool,
    /// `NoSuchCachePolicy`.
    no_such: &'static str,
    /// `CachePolicyInUse`.
    in_use: &'static str,
    /// `CachePolicyAlreadyExists` (same name).
    exists: &'static str,
    /// Where distributions reference it: a predicate over a distribution's config.
    used_by: fn(&Value, &str) -> bool,
    new_id: fn() -> String,
}

fn behaviors(config: &Value) -> impl Iterator<Item = &Value> {
    std::iter::once(&config["DefaultCacheBehavior"]).chain(
        config["CacheBehaviors"]["Items"]
            .as_array()
            .into_iter()
            .flatten(),
    )
}

fn uses_field(config: &Value, field: &str, id: &str) -> bool {
    behaviors(config).any(|b| b[field] == id)
}

pub(crate) static KINDS: &[Kind] = &[
    Kind {
        path: "cache-policy",
        entity: "CachePolicy",
        config: "CachePolicyConfig",
        time: Some("LastModifiedTime"),
        summary: Summary::Typed,
        doc_key: Some("CachePolicies"),
        update_on_config: false,
        no_such: "NoSuchCachePolicy",
        in_use: "CachePolicyInUse",
        exists: "CachePolicyAlreadyExists",
        used_by: |c, id| uses_field(c, "CachePolicyId", id),
        new_id: ids::uuid,
    },
    Kind {
        path: "origin-request-policy",
        entity: "OriginRequestPolicy",
        config: "OriginRequestPolicyConfig",
        time: Some("LastModifiedTime"),
        summary: Summary::Typed,
        doc_key: Some("OriginRequestPolicies"),
        update_on_config: false,
        no_such: "NoSuchOriginRequestPolicy",
        in_use: "OriginRequestPolicyInUse",
        exists: "OriginRequestPolicyAlreadyExists",
        used_by: |c, id| uses_field(c, "OriginRequestPolicyId", id),
        new_id: ids::uuid,
    },
    Kind {
        path: "response-headers-policy",
        entity: "ResponseHeadersPolicy",
        config: "ResponseHeadersPolicyConfig",
        time: Some("LastModifiedTime"),
        summary: Summary::Typed,
        doc_key: Some("ResponseHeadersPolicies"),
        update_on_config: false,
        no_such: "NoSuchResponseHeadersPolicy",
        in_use: "ResponseHeadersPolicyInUse",
        exists: "ResponseHeadersPolicyAlreadyExists",
        used_by: |c, id| uses_field(c, "ResponseHeadersPolicyId", id),
        new_id: ids::uuid,
    },
    Kind {
        path: "public-key",
        entity: "PublicKey",
        config: "PublicKeyConfig",
        time: Some("CreatedTime"),
        summary: Summary::Flat,
        doc_key: Some("PublicKeys"),
        update_on_config: true,
        no_such: "NoSuchPublicKey",
        in_use: "PublicKeyInUse",
        exists: "PublicKeyAlreadyExists",
        // Public keys are used through key groups (checked in `in_use`).
        used_by: |_, _| false,
        new_id: ids::public_key_id,
    },
    Kind {
        path: "key-group",
        entity: "KeyGroup",
        config: "KeyGroupConfig",
        time: Some("LastModifiedTime"),
        summary: Summary::Wrapped,
        doc_key: Some("KeyGroups"),
        update_on_config: false,
        no_such: "NoSuchResource",
        in_use: "ResourceInUse",
        exists: "KeyGroupAlreadyExists",
        used_by: |c, id| {
            behaviors(c).any(|b| {
                b["TrustedKeyGroups"]["Items"]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|i| i == id))
            })
        },
        new_id: ids::uuid,
    },
    Kind {
        path: "origin-access-control",
        entity: "OriginAccessControl",
        config: "OriginAccessControlConfig",
        time: None,
        summary: Summary::Flat,
        // Edges sign origin requests per the OAC (cloudfront.md §7.5): the document carries
        // them, and a changed OAC is a new configuration version.
        doc_key: Some("OriginAccessControls"),
        update_on_config: true,
        no_such: "NoSuchOriginAccessControl",
        in_use: "OriginAccessControlInUse",
        exists: "OriginAccessControlAlreadyExists",
        used_by: |c, id| {
            c["Origins"]["Items"]
                .as_array()
                .is_some_and(|o| o.iter().any(|o| o["OriginAccessControlId"] == id))
        },
        new_id: ids::oac_id,
    },
];

/// The kind served under `path`.
pub(crate) fn kind(path: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.path == path)
}

/// A stored resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResRecord {
    pub(crate) kind: String,
    pub(crate) id: String,
    pub(crate) etag: String,
    pub(crate) modified_ms: i64,
    pub(crate) config: Value,
}

impl Kind {
    /// The entity as the API and the document show it.
    pub(crate) fn entity_value(&self, r: &ResRecord) -> Value {
        let mut v = json!({ "Id": r.id });
        if let Some(t) = self.time {
            v[t] = Value::String(iso8601(r.modified_ms));
        }
        v[self.config] = r.config.clone();
        v
    }

    fn summary_value(&self, entity: Value, managed: bool) -> Value {
        match self.summary {
            Summary::Typed => {
                json!({"Type": if managed { "managed" } else { "custom" }, self.entity: entity})
            }
            Summary::Wrapped => json!({ self.entity: entity }),
            Summary::Flat => {
                let mut v = entity[self.config].clone();
                v["Id"] = entity["Id"].clone();
                if let Some(t) = self.time {
                    v[t] = entity[t].clone();
                }
                v
            }
        }
    }

    /// Managed resources of this kind (policies only), as entities.
    fn managed(&self) -> Vec<Value> {
        let to = |v: Result<Value, serde_json::Error>| v.unwrap_or(Value::Null);
        match self.path {
            "cache-policy" => brink_model::managed::cache_policies()
                .iter()
                .map(|p| to(serde_json::to_value(p)))
                .collect(),
            "origin-request-policy" => brink_model::managed::origin_request_policies()
                .iter()
                .map(|p| to(serde_json::to_value(p)))
                .collect(),
            "response-headers-policy" => brink_model::managed::response_headers_policies()
                .iter()
                .map(|p| to(serde_json::to_value(p)))
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn xml_resp(status: StatusCode, body: String, request_id: &str, etag: Option<&str>) -> Resp {
    let mut r = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert("content-type", http::HeaderValue::from_static("text/xml"));
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(e) = etag.and_then(|e| http::HeaderValue::from_str(e).ok()) {
        h.insert("etag", e);
    }
    r
}

/// Routes `/<kind>[/<id>[/config]]`.
pub(crate) fn handle(
    state: &mut State,
    kind: &'static Kind,
    rest: &[&str],
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    match (req.method, rest) {
        (&Method::POST, []) => create(state, kind, req, request_id),
        (&Method::GET, []) => list(state, kind, req, request_id),
        (&Method::GET, [id]) => get(state, kind, id, false, request_id),
        (&Method::GET, [id, "config"]) => get(state, kind, id, true, request_id),
        (&Method::PUT, [id]) if !kind.update_on_config => update(state, kind, id, req, request_id),
        (&Method::PUT, [id, "config"]) if kind.update_on_config => {
            update(state, kind, id, req, request_id)
        }
        (&Method::DELETE, [id]) => delete(state, kind, id, req, request_id),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "Not an operation of this resource.",
        )),
    }
}

fn no_such(kind: &Kind) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        kind.no_such,
        format!(
            "The specified {} does not exist.",
            kind.path.replace('-', " ")
        ),
    )
}

fn is_managed(kind: &Kind, id: &str) -> bool {
    kind.doc_key.is_some() && brink_model::managed::is_managed_policy_id(id)
}

fn create(
    state: &mut State,
    kind: &'static Kind,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    req.require_body()?;
    let config = from_xml(req.body, kind.config, kind.config).map_err(ApiError::from_xml)?;
    let name = config["Name"].as_str().unwrap_or_default().to_owned();
    if !name.is_empty()
        && state
            .res_of(kind.path)
            .any(|r| r.config["Name"].as_str() == Some(name.as_str()))
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            kind.exists,
            format!(
                "A {} named {name:?} already exists.",
                kind.path.replace('-', " ")
            ),
        ));
    }
    let record = ResRecord {
        kind: kind.path.to_owned(),
        id: (kind.new_id)(),
        etag: ids::etag(),
        modified_ms: now_millis(),
        config,
    };
    let record = state.put_resource(kind, record)?;
    let body = to_xml(&kind.entity_value(&record), kind.entity, kind.entity);
    let mut r = xml_resp(StatusCode::CREATED, body, request_id, Some(&record.etag));
    if let Ok(v) = http::HeaderValue::from_str(&format!(
        "{}{}/{}/{}",
        req.base,
        crate::api::PREFIX,
        kind.path,
        record.id
    )) {
        r.headers_mut().insert("location", v);
    }
    Ok(r)
}

fn get(
    state: &State,
    kind: &'static Kind,
    id: &str,
    config_only: bool,
    request_id: &str,
) -> Result<Resp, ApiError> {
    let (entity, etag) = if let Some(r) = state.resource(kind.path, id) {
        (kind.entity_value(r), r.etag.clone())
    } else if let Some(m) = kind.managed().into_iter().find(|m| m["Id"] == id) {
        // Managed: one fixed version.
        (m, "E3MANAGEDPOLICY".to_owned())
    } else {
        return Err(no_such(kind));
    };
    let body = if config_only {
        to_xml(&entity[kind.config], kind.config, kind.config)
    } else {
        to_xml(&entity, kind.entity, kind.entity)
    };
    Ok(xml_resp(StatusCode::OK, body, request_id, Some(&etag)))
}

/// The stored resource an update or a delete is about: not a managed policy (`managed`: the
/// code and message if it is), present, and matched by the request's `If-Match`.
fn to_change(
    state: &State,
    (kind, id): (&'static Kind, &str),
    req: &ApiRequest<'_>,
    managed: (&str, &str),
) -> Result<ResRecord, ApiError> {
    if is_managed(kind, id) {
        return Err(ApiError::bad_request(managed.0, managed.1));
    }
    let current = state
        .resource(kind.path, id)
        .ok_or_else(|| no_such(kind))?
        .clone();
    crate::api::check_if_match(req, &current.etag)?;
    Ok(current)
}

fn update(
    state: &mut State,
    kind: &'static Kind,
    id: &str,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    let current = to_change(
        state,
        (kind, id),
        req,
        ("IllegalUpdate", "Managed policies cannot be changed."),
    )?;
    let config = from_xml(req.body, kind.config, kind.config).map_err(ApiError::from_xml)?;
    if kind.path == "public-key" && config["EncodedKey"] != current.config["EncodedKey"] {
        return Err(ApiError::bad_request(
            "IllegalUpdate",
            "The EncodedKey of a public key cannot be changed.",
        ));
    }
    let record = ResRecord {
        config,
        etag: ids::etag(),
        modified_ms: now_millis(),
        ..current
    };
    let record = state.put_resource(kind, record)?;
    let body = to_xml(&kind.entity_value(&record), kind.entity, kind.entity);
    Ok(xml_resp(
        StatusCode::OK,
        body,
        request_id,
        Some(&record.etag),
    ))
}

fn delete(
    state: &mut State,
    kind: &'static Kind,
    id: &str,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    to_change(
        state,
        (kind, id),
        req,
        ("IllegalDelete", "Managed policies cannot be deleted."),
    )?;
    let used = state.dists.values().any(|d| (kind.used_by)(&d.config, id))
        || (kind.path == "public-key"
            && state.res_of("key-group").any(|g| {
                g.config["Items"]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|i| i == id))
            }));
    if used {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            kind.in_use,
            format!("The {} is in use.", kind.path.replace('-', " ")),
        ));
    }
    state.delete_resource(kind, id)?;
    let mut r = http::Response::new(http_body_util::Full::new(bytes::Bytes::new()));
    *r.status_mut() = StatusCode::NO_CONTENT;
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    Ok(r)
}

fn list(
    state: &State,
    kind: &'static Kind,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    let ty = req
        .query
        .iter()
        .find(|(k, _)| k == "Type")
        .map(|(_, v)| v.as_str());
    let mut items: Vec<(String, Value)> = Vec::new();
    if ty != Some("custom") {
        for m in kind.managed() {
            let id = m["Id"].as_str().unwrap_or_default().to_owned();
            items.push((id, kind.summary_value(m, true)));
        }
    }
    if ty != Some("managed") {
        for r in state.res_of(kind.path) {
            items.push((
                r.id.clone(),
                kind.summary_value(kind.entity_value(r), false),
            ));
        }
    }
    let max: usize = req
        .query
        .iter()
        .find(|(k, _)| k == "MaxItems")
        .and_then(|(_, v)| v.parse().ok())
        .filter(|n| (1..=1000).contains(n))
        .unwrap_or(100);
    let marker = req
        .query
        .iter()
        .find(|(k, _)| k == "Marker")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let start = if marker.is_empty() {
        0
    } else {
        items
            .iter()
            .position(|(id, _)| id == marker)
            .map_or(items.len(), |i| i + 1)
    };
    let page: Vec<&(String, Value)> = items.iter().skip(start).take(max).collect();
    let truncated = start + page.len() < items.len();
    let mut list = json!({
        "MaxItems": max,
        "Quantity": page.len(),
        "Items": page.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
    });
    if !matches!(kind.summary, Summary::Typed) {
        list["Marker"] = Value::String(marker.to_owned());
        list["IsTruncated"] = Value::Bool(truncated);
    }
    if truncated {
        if let Some((id, _)) = page.last() {
            list["NextMarker"] = Value::String(id.clone());
        }
    }
    let list_shape = format!("{}List", kind.entity);
    Ok(xml_resp(
        StatusCode::OK,
        to_xml(&list, &list_shape, &list_shape),
        request_id,
        None,
    ))
}

//! RTMP (streaming) distributions in the API: CreateStreamingDistribution(WithTags),
//! GetStreamingDistribution(Config), ListStreamingDistributions, UpdateStreamingDistribution
//! and DeleteStreamingDistribution under `/2020-05-31/streaming-distribution`.
//!
//! They mirror web distributions (`api.rs`): ids `E…`, ETags, `If-Match`, a reused
//! `CallerReference` refused, deletion only once disabled, `Deployed` once every live edge
//! serves the version; the domain name is `s` + 13 + `.` + the CDN domain. Validation is
//! `brink-model`'s, on the whole document the edges will receive (which lists them under
//! `StreamingDistributions`).

use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::api::{
    caller_reference, check_if_match, empty, list_value, page, set, with_etag, xml_response,
    ApiError, ApiRequest, Resp, PREFIX,
};
use crate::ids;
use crate::state::{DistRecord, State};
use crate::time::{iso8601, now_millis};
use crate::xml::{from_xml, to_xml};

const CONFIG: &str = "StreamingDistributionConfig";
const ENTITY: &str = "StreamingDistribution";

/// Routes `/streaming-distribution[/{Id}[/config]]`.
pub(crate) fn handle(
    state: &mut State,
    rest: &[&str],
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    match (req.method, rest) {
        (&Method::POST, []) => create(state, req, request_id),
        (&Method::GET, []) => list(state, req, request_id),
        (&Method::GET, [id]) => get(state, id, request_id),
        (&Method::GET, [id, "config"]) => get_config(state, id, request_id),
        (&Method::PUT, [id, "config"]) => update(state, id, req, request_id),
        (&Method::DELETE, [id]) => delete(state, id, req, request_id),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!(
                "{} {PREFIX}{} is not an operation this endpoint supports",
                req.method, req.path
            ),
        )),
    }
}

fn no_such() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NoSuchStreamingDistribution",
        "The specified streaming distribution does not exist.",
    )
}

fn find<'a>(state: &'a State, id: &str) -> Result<&'a DistRecord, ApiError> {
    state.streams.get(id).ok_or_else(no_such)
}

/// `ActiveTrustedSigners`: with `TrustedSigners` enabled, each signer with the key pairs that
/// may sign for it, which in Brink (one account) are every public key the control plane
/// holds, as the edges trust them.
fn active_signers(state: &State, config: &Value) -> Value {
    let signers = &config["TrustedSigners"];
    if signers["Enabled"] != true {
        return json!({"Enabled": false, "Quantity": 0});
    }
    let keys: Vec<&str> = state.res_of("public-key").map(|k| k.id.as_str()).collect();
    let items: Vec<Value> = signers["Items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|account| {
            let mut ids = json!({"Quantity": keys.len()});
            if !keys.is_empty() {
                ids["Items"] = json!(keys);
            }
            json!({"AwsAccountNumber": account, "KeyPairIds": ids})
        })
        .collect();
    json!({"Enabled": true, "Quantity": items.len(), "Items": items})
}

/// The `StreamingDistribution` entity (Get, Create, Update).
fn value(state: &State, d: &DistRecord) -> Value {
    json!({
        "Id": d.id,
        "ARN": d.streaming_arn(),
        "Status": state.dist_status(d),
        "LastModifiedTime": iso8601(d.last_modified_ms),
        "DomainName": d.domain_name,
        "ActiveTrustedSigners": active_signers(state, &d.config),
        CONFIG: d.config,
    })
}

fn entity_response(state: &State, d: &DistRecord, status: StatusCode, request_id: &str) -> Resp {
    let body = to_xml(&value(state, d), ENTITY, ENTITY);
    with_etag(xml_response(status, body, request_id), &d.etag)
}

fn create(state: &mut State, req: &ApiRequest<'_>, request_id: &str) -> Result<Resp, ApiError> {
    req.require_body()?;
    let (config, tags) = req.config_and_tags(CONFIG, "StreamingDistributionConfigWithTags")?;
    let caller_ref = caller_reference(&config)?;
    if let Some(existing) = state
        .streams
        .values()
        .find(|d| d.caller_reference() == caller_ref)
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "StreamingDistributionAlreadyExists",
            format!(
                "The caller reference that you are using to create a streaming distribution is \
                 associated with another distribution ({}).",
                existing.id
            ),
        ));
    }
    let mut d = state.new_record(ids::streaming_domain_label(), config, tags);
    d.config = state.validate_streaming(&d)?;
    let d = state.put_streaming(d)?;
    let mut r = entity_response(state, &d, StatusCode::CREATED, request_id);
    set(
        &mut r,
        "location",
        &format!("{}{PREFIX}/streaming-distribution/{}", req.base, d.id),
    );
    Ok(r)
}

fn get(state: &State, id: &str, request_id: &str) -> Result<Resp, ApiError> {
    let d = find(state, id)?;
    Ok(entity_response(state, d, StatusCode::OK, request_id))
}

fn get_config(state: &State, id: &str, request_id: &str) -> Result<Resp, ApiError> {
    let d = find(state, id)?;
    let body = to_xml(&d.config, CONFIG, CONFIG);
    Ok(with_etag(
        xml_response(StatusCode::OK, body, request_id),
        &d.etag,
    ))
}

fn update(
    state: &mut State,
    id: &str,
    req: &ApiRequest<'_>,
    request_id: &str,
) -> Result<Resp, ApiError> {
    let current = find(state, id)?.clone();
    check_if_match(req, &current.etag)?;
    req.require_body()?;
    let config = from_xml(req.body, CONFIG, CONFIG).map_err(ApiError::from_xml)?;
    if config["CallerReference"].as_str() != Some(current.caller_reference()) {
        return Err(ApiError::bad_request(
            "IllegalUpdate",
            "The CallerReference of a streaming distribution cannot be changed.",
        ));
    }
    let mut d = DistRecord {
        config,
        etag: ids::etag(),
        last_modified_ms: now_millis(),
        ..current
    };
    d.config = state.validate_streaming(&d)?;
    let d = state.put_streaming(d)?;
    Ok(entity_response(state, &d, StatusCode::OK, request_id))
}

fn delete(
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
            "StreamingDistributionNotDisabled",
            "The streaming distribution you are trying to delete has not been disabled.",
        ));
    }
    state.delete_streaming(id)?;
    Ok(empty(StatusCode::NO_CONTENT, request_id))
}

/// `StreamingDistributionSummary`: the entity's header and the config's listed members.
fn summary(state: &State, d: &DistRecord) -> Value {
    let c = &d.config;
    json!({
        "Id": d.id,
        "ARN": d.streaming_arn(),
        "Status": state.dist_status(d),
        "LastModifiedTime": iso8601(d.last_modified_ms),
        "DomainName": d.domain_name,
        "S3Origin": c["S3Origin"],
        "Aliases": c["Aliases"],
        "TrustedSigners": c["TrustedSigners"],
        "Comment": c["Comment"],
        "PriceClass": c["PriceClass"],
        "Enabled": c["Enabled"],
    })
}

fn list(state: &State, req: &ApiRequest<'_>, request_id: &str) -> Result<Resp, ApiError> {
    let (items, next, max) = page(
        state
            .streams
            .values()
            .map(|d| (d.id.as_str(), summary(state, d))),
        req,
    )?;
    let list = list_value(req, items, next, max);
    let shape = "StreamingDistributionList";
    Ok(xml_response(
        StatusCode::OK,
        to_xml(&list, shape, shape),
        request_id,
    ))
}

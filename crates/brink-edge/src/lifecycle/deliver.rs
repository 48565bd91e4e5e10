//! Phase 6, deliver: a stored object becomes a viewer response — conditionals answered from
//! cache (RFC 9110 §13), ranges cut from the stored body (RFC 9110 §14), `Age` computed
//! (RFC 9111 §5.1), `X-Cache` and `Cache-Status` set.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::SystemTime;

use brink_cache::{BodyReader, Object};
use brink_http::conditional::{self, Precondition};
use brink_http::range::{self, Multipart, RangeOutcome};

use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

use crate::body::{EdgeBody, Part};

use super::CacheStatus;

/// How many headers delivery adds to a stored response at most (`Age`, `X-Cache`, `Via`,
/// `X-Amz-Cf-Pop`, `X-Amz-Cf-Id`, range and length fields…): the response's header map is
/// made with room for them, so adding them never grows it.
pub(super) const ADDED_ON_DELIVERY: usize = 10;

/// Headers a 304 carries (RFC 9110 §15.4.5).
const NOT_MODIFIED_HEADERS: [header::HeaderName; 6] = [
    header::CACHE_CONTROL,
    header::CONTENT_LOCATION,
    header::DATE,
    header::ETAG,
    header::EXPIRES,
    header::VARY,
];

/// Builds the viewer response for `obj`.
pub(crate) fn deliver<B>(
    req: &Request<B>,
    obj: &Arc<Object>,
    served: CacheStatus,
    now: SystemTime,
) -> Response<EdgeBody> {
    let meta = &obj.meta;
    let head = req.method() == Method::HEAD;
    let age = obj.age(now);

    // Conditionals are evaluated against 200 responses only; other statuses are replayed.
    let validated = meta.status == StatusCode::OK;
    if validated {
        // Most requests carry no precondition: the stored validators are read only for
        // those that do.
        let outcome = if conditional::has_preconditions(req.headers()) {
            let last_modified = meta
                .headers
                .get(&header::LAST_MODIFIED)
                .or_else(|| meta.headers.get(&header::DATE));
            conditional::evaluate(
                req.method(),
                req.headers(),
                meta.headers.get(&header::ETAG).as_ref(),
                last_modified.as_ref(),
            )
        } else {
            Precondition::Proceed
        };
        match outcome {
            Precondition::Proceed => {}
            Precondition::NotModified => {
                let mut headers = HeaderMap::with_capacity(10);
                for name in &NOT_MODIFIED_HEADERS {
                    for v in meta.headers.get_all(name) {
                        headers.append(name.clone(), v);
                    }
                }
                return finish(
                    Response::new(EdgeBody::Empty),
                    StatusCode::NOT_MODIFIED,
                    headers,
                    served,
                    age,
                );
            }
            Precondition::Failed => {
                return finish(
                    Response::new(EdgeBody::Empty),
                    StatusCode::PRECONDITION_FAILED,
                    HeaderMap::new(),
                    served,
                    age,
                );
            }
        }
    }

    let mut headers = meta.headers.to_map(ADDED_ON_DELIVERY);
    let mut status = meta.status;
    let known_len = obj.body.known_len();
    let mut body = None;
    if validated && req.method() == Method::GET {
        if let (Some(spec), Some(len)) = (
            req.headers()
                .get(header::RANGE)
                .and_then(|v| range::parse_range(v.as_bytes())),
            known_len,
        ) {
            let etag = meta.headers.get(&header::ETAG);
            let lm = meta.headers.get(&header::LAST_MODIFIED);
            if conditional::if_range_allows(req.headers(), etag.as_ref(), lm.as_ref()) {
                match spec.resolve(len) {
                    RangeOutcome::Full => {}
                    RangeOutcome::Partial(ranges) if ranges.len() == 1 => {
                        let r = ranges[0];
                        status = StatusCode::PARTIAL_CONTENT;
                        set(&mut headers, header::CONTENT_RANGE, &r.content_range(len));
                        set(
                            &mut headers,
                            header::CONTENT_LENGTH,
                            itoa::Buffer::new().format(r.len()),
                        );
                        body = Some(EdgeBody::stored(obj.body.clone(), r.start, Some(r.end + 1)));
                    }
                    RangeOutcome::Partial(ranges) => {
                        let boundary = range::boundary_from_seed(fastrand::u64(..));
                        let ct = meta.headers.get_bytes(&header::CONTENT_TYPE);
                        let mp = Multipart::new(&ranges, len, ct, &boundary);
                        status = StatusCode::PARTIAL_CONTENT;
                        set(&mut headers, header::CONTENT_TYPE, &mp.content_type());
                        set(
                            &mut headers,
                            header::CONTENT_LENGTH,
                            itoa::Buffer::new().format(mp.content_length),
                        );
                        let parts: VecDeque<Part> = mp
                            .parts
                            .iter()
                            .map(|(h, r)| Part {
                                header: h.clone(),
                                reader: BodyReader::new(obj.body.clone(), r.start, Some(r.end + 1)),
                            })
                            .collect();
                        body = Some(EdgeBody::Multipart {
                            parts,
                            header_sent: false,
                            trailer: Some(mp.trailer.clone()),
                            len: mp.content_length,
                        });
                    }
                    RangeOutcome::Unsatisfiable => {
                        status = StatusCode::RANGE_NOT_SATISFIABLE;
                        let mut h = HeaderMap::new();
                        set(
                            &mut h,
                            header::CONTENT_RANGE,
                            &range::unsatisfied_content_range(len),
                        );
                        set(&mut h, header::CONTENT_LENGTH, "0");
                        return finish(Response::new(EdgeBody::Empty), status, h, served, age);
                    }
                }
            }
        }
    }
    if status == meta.status && !headers.contains_key(header::CONTENT_LENGTH) {
        if let Some(len) = obj
            .body
            .frozen()
            .map(|c| c.iter().map(|b| b.len() as u64).sum::<u64>())
        {
            set(
                &mut headers,
                header::CONTENT_LENGTH,
                itoa::Buffer::new().format(len),
            );
        }
    }
    let body = if head {
        EdgeBody::Empty
    } else {
        body.unwrap_or_else(|| EdgeBody::stored(obj.body.clone(), 0, None))
    };
    finish(Response::new(body), status, headers, served, age)
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

fn finish(
    mut resp: Response<EdgeBody>,
    status: StatusCode,
    mut headers: HeaderMap,
    served: CacheStatus,
    age: std::time::Duration,
) -> Response<EdgeBody> {
    // RFC 9111 §5.1: Age says the response was not generated for this request; a miss
    // carries one only when the origin's own response was already aged.
    if served != CacheStatus::Miss || age.as_secs() > 0 {
        headers.insert(header::AGE, HeaderValue::from(age.as_secs()));
    }
    served.write(&mut headers);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}

//! Fuzzes precondition evaluation: the input is split at `\n` into header values that are
//! assigned, in turn, to the stored ETag, the stored Last-Modified and the five conditional
//! request fields. Evaluation must never panic and must only answer 304 to GET/HEAD.
#![no_main]

use brink_http::conditional::{evaluate, if_range_allows, parse_etag, Precondition};
use http::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE};
use http::{HeaderMap, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let method = match selector % 4 {
        0 => Method::GET,
        1 => Method::HEAD,
        2 => Method::POST,
        _ => Method::PUT,
    };
    let mut values = rest
        .split(|&b| b == b'\n')
        .map(|v| HeaderValue::from_bytes(v).ok());
    let etag = values.next().flatten();
    let last_modified = values.next().flatten();
    let names = [
        IF_MATCH,
        IF_NONE_MATCH,
        IF_MODIFIED_SINCE,
        IF_UNMODIFIED_SINCE,
        IF_RANGE,
    ];
    let mut request = HeaderMap::new();
    for (i, value) in values.enumerate() {
        if let Some(value) = value {
            request.append(names[i % names.len()].clone(), value);
        }
    }
    let outcome = evaluate(&method, &request, etag.as_ref(), last_modified.as_ref());
    if outcome == Precondition::NotModified {
        assert!(method == Method::GET || method == Method::HEAD);
    }
    let _ = if_range_allows(&request, etag.as_ref(), last_modified.as_ref());
    let _ = parse_etag(rest);
});

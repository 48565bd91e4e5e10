//! Fuzzes `brink origin`'s bucket-policy compiler (`brink_origin::policy::Policy::parse`) and
//! its evaluator: no input panics, and a compiled policy is evaluated for a few requests
//! (wildcard matching over arbitrary patterns included) without panicking. The owner is
//! always allowed, whatever the policy says.
#![no_main]

use brink_origin::policy::{Policy, Principal, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = Policy::parse(text, "bucket") else {
        return;
    };
    let arn = "arn:aws:cloudfront::123456789012:distribution/E1";
    for principal in [
        Principal::Anonymous,
        Principal::Service("cloudfront.amazonaws.com"),
        Principal::Owner,
    ] {
        for (action, resource) in [
            ("s3:GetObject", "arn:aws:s3:::bucket/a/b*c?.txt"),
            ("s3:ListBucket", "arn:aws:s3:::bucket"),
        ] {
            let req = Request {
                principal,
                action,
                resource,
                source_arn: Some(arn),
                source_account: Some("123456789012"),
                secure_transport: false,
            };
            let allowed = p.allows(&req);
            if principal == Principal::Owner {
                assert!(allowed);
            }
        }
    }
});

//! Fuzzes the custom policy parser (`brink_signed::policy::parse_policy`), round trip: a
//! parsed policy written back the way botocore writes it parses to the same policy; and the
//! resource it carries is matched against a URL without panicking.
#![no_main]

use brink_signed::policy::{custom_policy, parse_policy};
use brink_signed::resource::{resource_matches, UrlParts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = parse_policy(data) else {
        return;
    };
    let url = UrlParts {
        scheme: "https",
        host: "d111111abcdef8.cloudfront.net",
        path: "/images/a?b*c.jpg",
        query: Some("x=1&y=*"),
    };
    if let Some(r) = &p.resource {
        let _ = resource_matches(r, &url);
        let ip = p.ip_address.map(|n| n.to_string());
        let text = custom_policy(r, p.date_less_than, p.date_greater_than, ip.as_deref());
        let again = parse_policy(text.as_bytes()).expect("a written policy parses");
        assert_eq!(again.resource.as_deref(), Some(&**r));
        assert_eq!(again.date_less_than, p.date_less_than);
        assert_eq!(again.date_greater_than, p.date_greater_than);
        assert_eq!(again.ip_address, p.ip_address);
    }
});

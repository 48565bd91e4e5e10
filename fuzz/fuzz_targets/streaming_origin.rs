//! Fuzzes `StreamingOrigin::parse` (a streaming distribution's `S3Origin.DomainName`: an S3
//! bucket endpoint or `host[:port]`): any UTF-8 input must not panic; an S3 origin must give
//! its lowercase domain back and parse again to itself; a host origin must parse again from
//! `host:port` to itself; and whatever parses must also pass as a whole edge file, so the
//! validator and the parser agree.
#![no_main]

use brink_model::{EdgeFile, StreamingOrigin};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(domain) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(origin) = StreamingOrigin::parse(domain) else {
        return;
    };
    let again = match &origin {
        StreamingOrigin::S3 {
            bucket,
            domain_name,
            ..
        } => {
            assert!(domain_name.starts_with(bucket.as_str()), "{origin:?}");
            StreamingOrigin::parse(domain_name)
        }
        StreamingOrigin::Http { host, port } => {
            assert!(*port > 0);
            StreamingOrigin::parse(&format!("{host}:{port}"))
        }
        _ => return,
    };
    assert_eq!(again.as_ref(), Ok(&origin), "{domain:?}");
    let file = serde_json::json!({"StreamingDistributions": [{"Id": "E1",
        "StreamingDistributionConfig": {"CallerReference": "c", "Enabled": true,
            "S3Origin": {"DomainName": domain}}}]});
    let file = EdgeFile::from_json(&file.to_string()).expect("the shape is right");
    let model = brink_model::validate(&file).expect("a parsed origin validates");
    assert_eq!(model.streaming_distributions()[0].origin, origin);
});

//! `EdgeHandle` on a running edge: installing a model puts its distributions in force (the
//! purge scope follows them), and invalidations are refused or applied as the admin purge
//! does. Its own test binary: it ends the edge with SIGTERM to this process, which `run`'s
//! handler catches.

use std::sync::{mpsc, Arc};
use std::time::Duration;

use brink_edge::{EdgeConfig, EdgeHandle, Origin};

const FILE: &str = r#"{"Distributions": [{
    "Id": "EHANDLE1",
    "DomainName": "dhandle1example.cloudfront.net",
    "DistributionConfig": {
        "CallerReference": "handle",
        "Comment": "",
        "Enabled": true,
        "Origins": { "Quantity": 1, "Items": [{
            "Id": "web",
            "DomainName": "127.0.0.1",
            "CustomOriginConfig": {
                "HTTPPort": 8080, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"
            }
        }]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "web",
            "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"
        }
    }
}]}"#;

fn config() -> EdgeConfig {
    let secs = Duration::from_secs;
    EdgeConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        tls_listen: None,
        rtmp_listen: None,
        admin: None,
        origin: Origin::parse("http://127.0.0.1:1").expect("origin"),
        pop: brink_edge::DEFAULT_POP.to_owned(),
        ttl: brink_model::TtlPolicy::new(secs(0), secs(60), secs(600)).expect("ttl"),
        cache: brink_cache::CacheConfig {
            capacity: 1 << 20,
            max_object: 1 << 19,
            memory_files: false,
        },
        geo: None,
        trusted_proxies: Vec::new(),
        model: None,
        model_source: None,
        disk: None,
        access_log: None,
        origin_connect_timeout: secs(1),
        origin_read_timeout: secs(1),
        header_read_timeout: secs(1),
        idle_timeout: secs(1),
        websocket_idle_timeout: secs(1),
        manual_clock: true,
        tls: None,
        origin_ca: None,
        shutdown_grace: secs(1),
        forward_headers: brink_edge::ForwardHeaders::default(),
        range_fill: None,
        s3: brink_edge::S3Settings::default(),
        sendfile: brink_edge::Sendfile::default(),
    }
}

#[test]
fn a_handle_installs_models_and_invalidates() {
    let (tx, rx) = mpsc::channel::<EdgeHandle>();
    let edge = std::thread::spawn(move || {
        brink_edge::run(config(), 1, move |_bound, handle| {
            tx.send(handle).unwrap();
        })
    });
    let handle = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("edge ready");

    // `brink serve`: no distributions, one unnamed scope.
    assert_eq!(handle.invalidate("", "/a"), Ok(0));
    assert_eq!(
        handle.invalidate("EHANDLE1", "/a"),
        Err("brink serve has no distributions".to_owned())
    );
    assert!(
        handle.invalidate("", "no-slash").is_err(),
        "invalid pattern"
    );

    // From another thread, as a control-plane client would.
    let file = brink_model::EdgeFile::from_json(FILE).unwrap();
    let model = brink_model::validate_with(
        &file,
        &brink_model::ValidateOptions {
            cdn_domain: "cloudfront.net".to_owned(),
        },
    )
    .unwrap();
    let h = handle.clone();
    std::thread::spawn(move || h.install_model(Arc::new(model)))
        .join()
        .unwrap()
        .expect("installed");

    // The distributions are in force: invalidations now name one.
    assert_eq!(handle.invalidate("EHANDLE1", "/img/*"), Ok(0));
    assert_eq!(
        handle.invalidate("ENOSUCH", "/a"),
        Err("NoSuchDistribution".to_owned())
    );
    assert_eq!(
        handle.invalidate("", "/a"),
        Err("a distribution id is required".to_owned())
    );

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    edge.join().unwrap().expect("run returns after SIGTERM");
}

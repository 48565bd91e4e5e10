//! A rough cost check of the calls the edge makes per request. Ignored by default (timings
//! mean nothing in a debug build); run with
//! `cargo test --release -p brink-telemetry --test hot_path -- --ignored --nocapture`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use brink_telemetry::access_log::{AccessLog, AccessLogConfig, AccessRecord, ResultType};
use brink_telemetry::metrics::{EdgeMetrics, OriginOutcome};

const N: u32 = 1_000_000;

fn per_op(start: Instant, n: u32) -> f64 {
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn hot_path_cost() {
    let m = EdgeMetrics::new();
    let t = Instant::now();
    for i in 0..N {
        m.observe_request(ResultType::Hit, black_box(200 + (i % 2) as u16), 300, 4000);
    }
    println!("observe_request: {:.1} ns/op", per_op(t, N));
    let dist = m.distribution("EDFDVBD6EXAMPLE");
    let t = Instant::now();
    for i in 0..N {
        m.observe_request_in(
            Some(&dist),
            ResultType::Hit,
            black_box(200 + (i % 2) as u16),
            300,
            4000,
        );
    }
    println!(
        "observe_request_in (distribution): {:.1} ns/op",
        per_op(t, N)
    );
    let t = Instant::now();
    for _ in 0..N {
        m.observe_origin(OriginOutcome::Ok, black_box(Duration::from_micros(1234)));
    }
    println!("observe_origin:  {:.1} ns/op", per_op(t, N));

    let dir = std::env::temp_dir().join(format!("brink-telemetry-hot-{}", std::process::id()));
    let log = AccessLog::start(AccessLogConfig::new(&dir, "HOT1")).unwrap();
    let pop: Arc<str> = Arc::from("HOT1");
    let rec = AccessRecord {
        end: SystemTime::now(),
        edge_location: pop,
        status: 200,
        uri_stem: "/static/app.js".into(),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        request_id: "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==".into(),
        ..AccessRecord::default()
    };
    // Building the record (its Strings) is the caller's cost; time only the log() call, at a
    // steady 500k records/s (the edge does ~130k req/s) so the writer keeps up and memory is
    // recycled as it would be in a running edge.
    let n = 200_000u32;
    let mut inside = Duration::ZERO;
    for _ in 0..n {
        let r = rec.clone();
        let t = Instant::now();
        log.log(r);
        inside += t.elapsed();
        while t.elapsed() < Duration::from_micros(2) {
            std::hint::spin_loop();
        }
    }
    println!(
        "AccessLog::log:  {:.1} ns/op (dropped {})",
        inside.as_nanos() as f64 / f64::from(n),
        log.dropped()
    );
    log.shutdown();

    // Writer throughput: everything fits in the queue, so the time to shut down is the time the
    // writer thread needs to format, (compress) and write all of it.
    for gzip in [false, true] {
        let log = AccessLog::start(AccessLogConfig {
            gzip,
            capacity: 300_000,
            ..AccessLogConfig::new(&dir, "HOT1")
        })
        .unwrap();
        let recs: Vec<AccessRecord> = (0..300_000).map(|_| rec.clone()).collect();
        let n = recs.len() as u32;
        let t = Instant::now();
        for r in recs {
            log.log(r);
        }
        let stats = log.stats();
        log.shutdown();
        assert_eq!(stats.dropped(), 0);
        println!(
            "writer (gzip={gzip}): {:.0} records/s",
            f64::from(n) / t.elapsed().as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

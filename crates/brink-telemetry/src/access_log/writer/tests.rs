//! Tests of the writer: file naming, rotation, gzip, back-pressure and I/O failures.

use super::*;
use crate::access_log::ResultType;
use std::io::Read;
use std::time::SystemTime;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "brink-telemetry-{tag}-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 2024-05-06 10:59:58 UTC.
const T0: u64 = 1_714_993_198;

fn rec(secs: u64, dist: Option<&str>, path: &str) -> AccessRecord {
    AccessRecord {
        end: UNIX_EPOCH + Duration::from_secs(secs),
        edge_location: Arc::from("TST1-C1"),
        client: "192.0.2.1:5555".parse().unwrap(),
        uri_stem: path.into(),
        status: 200,
        result_type: ResultType::Hit,
        response_result_type: ResultType::Hit,
        detailed_result_type: "Hit".into(),
        distribution_id: dist.map(Arc::from),
        ..AccessRecord::default()
    }
}

fn cfg(dir: &Path, gzip: bool) -> AccessLogConfig {
    AccessLogConfig {
        gzip,
        ..AccessLogConfig::new(dir, "TST1-C1")
    }
}

/// (file name, contents) of every file in `dir`, sorted by name, gunzipped when `.gz`.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let raw = std::fs::read(e.path()).unwrap();
            let text = if name.ends_with(".gz") {
                let mut s = String::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_string(&mut s)
                    .unwrap();
                s
            } else {
                String::from_utf8(raw).unwrap()
            };
            (name, text)
        })
        .collect();
    out.sort();
    out
}

fn assert_name(name: &str, prefix: &str, hour: &str, gz: bool) {
    let rest = name
        .strip_prefix(&format!("{prefix}.{hour}."))
        .unwrap_or_else(|| panic!("{name} should start with {prefix}.{hour}."));
    let unique = if gz {
        rest.strip_suffix(".gz")
            .unwrap_or_else(|| panic!("{name} should end in .gz"))
    } else {
        rest
    };
    assert_eq!(unique.len(), 8, "{name}");
    assert!(
        unique
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{name}"
    );
}

fn data_lines(text: &str) -> Vec<&str> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(crate::access_log::VERSION));
    assert_eq!(lines.next(), Some(crate::access_log::FIELDS));
    lines.collect()
}

#[test]
fn rotates_on_the_utc_hour_of_the_record() {
    let tmp = TempDir::new("rotate");
    let log = AccessLog::start(cfg(&tmp.0, false)).unwrap();
    log.log(rec(T0, None, "/a")); // 10:59:58
    log.log(rec(T0 + 1, None, "/b")); // 10:59:59
    log.log(rec(T0 + 2, None, "/c")); // 11:00:00
    log.log(rec(T0 + 1, None, "/straggler")); // queued late, still belongs to 10:00
    log.log(rec(T0 + 3, None, "/d"));
    let stats = log.stats();
    log.shutdown();
    assert_eq!(stats.written(), 5);
    assert_eq!(stats.write_errors(), 0);
    let f = files(&tmp.0);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_name(&f[0].0, "TST1-C1", "2024-05-06-10", false);
    assert_name(&f[1].0, "TST1-C1", "2024-05-06-11", false);
    let first = data_lines(&f[0].1);
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|l| l.starts_with("2024-05-06\t10:59:5")));
    assert!(first[2].contains("\t/straggler\t"));
    let second = data_lines(&f[1].1);
    assert_eq!(second.len(), 2);
    assert!(second.iter().all(|l| l.starts_with("2024-05-06\t11:00:0")));
}

#[test]
fn a_third_hour_closes_the_oldest_other_file() {
    let tmp = TempDir::new("third");
    let log = AccessLog::start(cfg(&tmp.0, false)).unwrap();
    log.log(rec(T0 + 3600, None, "/11h")); // 11:59:58
    log.log(rec(T0 + 7200, None, "/12h")); // 12:59:58
    log.log(rec(T0, None, "/10h")); // 10:59:58, very late
    log.log(rec(T0 + 7201, None, "/12h-again"));
    let stats = log.stats();
    log.shutdown();
    assert_eq!(stats.written(), 4);
    let f = files(&tmp.0);
    assert_eq!(f.len(), 3, "{f:?}");
    assert_name(&f[0].0, "TST1-C1", "2024-05-06-10", false);
    assert_name(&f[1].0, "TST1-C1", "2024-05-06-11", false);
    assert_name(&f[2].0, "TST1-C1", "2024-05-06-12", false);
    assert_eq!(data_lines(&f[2].1).len(), 2);
}

#[test]
fn distributions_get_their_own_files() {
    let tmp = TempDir::new("dist");
    let log = AccessLog::start(cfg(&tmp.0, false)).unwrap();
    log.log(rec(T0, Some("E1ABCDEF"), "/1"));
    log.log(rec(T0, Some("E2GHIJKL"), "/2"));
    log.log(rec(T0, Some("E1ABCDEF"), "/3"));
    log.log(rec(T0, None, "/4"));
    log.log(rec(T0, Some("../evil"), "/5"));
    log.shutdown();
    let f = files(&tmp.0);
    let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(f.len(), 4, "{names:?}");
    assert_name(&f[0].0, "E1ABCDEF", "2024-05-06-10", false);
    assert_name(&f[1].0, "E2GHIJKL", "2024-05-06-10", false);
    assert_name(&f[2].0, "TST1-C1", "2024-05-06-10", false);
    assert_name(&f[3].0, "___evil", "2024-05-06-10", false);
    assert_eq!(data_lines(&f[0].1).len(), 2);
    assert_eq!(data_lines(&f[1].1).len(), 1);
    assert_eq!(data_lines(&f[2].1).len(), 1);
}

#[test]
fn gzip_files_are_complete_streams() {
    let tmp = TempDir::new("gzip");
    let log = AccessLog::start(cfg(&tmp.0, true)).unwrap();
    for i in 0..2000u64 {
        let dist = if i % 2 == 0 { Some("E1ABCDEF") } else { None };
        log.log(rec(T0 + i % 4, dist, &format!("/obj/{i}")));
    }
    let stats = log.stats();
    log.shutdown();
    assert_eq!(stats.dropped(), 0);
    let f = files(&tmp.0);
    assert_eq!(f.len(), 4, "two prefixes x two hours");
    for (name, _) in &f {
        assert!(name.ends_with(".gz"));
    }
    assert_name(&f[0].0, "E1ABCDEF", "2024-05-06-10", true);
    assert_name(&f[1].0, "E1ABCDEF", "2024-05-06-11", true);
    let total: usize = f.iter().map(|(_, t)| data_lines(t).len()).sum();
    assert_eq!(total, 2000);
    for (_, t) in &f {
        for l in data_lines(t) {
            assert_eq!(l.split('\t').count(), 33);
        }
    }
}

#[test]
fn full_queue_drops_and_counts() {
    // No writer drains this queue, so it is full after one record.
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let counters = Arc::new(Counters::default());
    let q = Queue {
        tx,
        counters: Arc::clone(&counters),
    };
    let started = Instant::now();
    for i in 0..1000 {
        q.push(rec(T0, None, &format!("/{i}")));
    }
    assert!(started.elapsed() < Duration::from_secs(5), "push blocked");
    assert_eq!(counters.dropped.load(Ordering::Relaxed), 999);
    assert_eq!(rx.try_recv().unwrap().uri_stem, "/0");
    assert!(rx.try_recv().is_err());
}

#[test]
fn every_record_is_written_or_counted_as_dropped() {
    let tmp = TempDir::new("tiny");
    let log = AccessLog::start(AccessLogConfig {
        capacity: 1,
        ..cfg(&tmp.0, false)
    })
    .unwrap();
    for i in 0..20_000 {
        log.log(rec(T0, None, &format!("/{i}")));
    }
    let stats = log.stats();
    log.shutdown();
    let lines: usize = files(&tmp.0).iter().map(|(_, t)| data_lines(t).len()).sum();
    assert_eq!(lines as u64, stats.written());
    assert_eq!(stats.written() + stats.dropped(), 20_000);
    assert!(stats.dropped() > 0, "a one-slot queue must overflow");
}

#[test]
fn io_errors_are_counted_not_fatal() {
    let tmp = TempDir::new("ioerr");
    let dir = tmp.0.join("logs");
    let log = AccessLog::start(cfg(&dir, false)).unwrap();
    // Replace the log directory by a regular file: every open now fails (ENOTDIR), even
    // for root, which permission bits would not stop.
    std::fs::remove_dir(&dir).unwrap();
    std::fs::write(&dir, b"not a directory").unwrap();
    for i in 0..10 {
        log.log(rec(T0, None, &format!("/{i}")));
    }
    let stats = log.stats();
    log.shutdown();
    assert_eq!(stats.written(), 0);
    assert_eq!(stats.write_errors(), 10);
    assert_eq!(stats.dropped(), 0);
}

#[test]
fn lines_reach_the_file_within_a_second() {
    let tmp = TempDir::new("flush");
    let log = AccessLog::start(cfg(&tmp.0, false)).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    log.log(rec(now, None, "/flushed"));
    let started = Instant::now();
    let mut seen = false;
    // Generous bound for a loaded CI machine; the flush interval itself is 500 ms.
    while started.elapsed() < Duration::from_secs(5) {
        if files(&tmp.0).iter().any(|(_, t)| t.contains("/flushed")) {
            seen = true;
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    assert!(seen, "the line was not flushed while the log stayed open");
    log.shutdown();
}

#[test]
fn shareable_between_request_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<AccessLog>();
    send_sync::<AccessLogStats>();
}

#[test]
fn empty_default_prefix_is_rejected() {
    let tmp = TempDir::new("prefix");
    let err = AccessLog::start(AccessLogConfig::new(&tmp.0, "")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn a_field_selection_shapes_the_header_and_the_lines() {
    let tmp = TempDir::new("fields");
    let fields = crate::access_log::LogFields::parse(
        "date,DistributionId,cs-uri-stem,cache-behavior-path-pattern",
    )
    .unwrap();
    let log = AccessLog::start(AccessLogConfig {
        fields,
        ..cfg(&tmp.0, false)
    })
    .unwrap();
    let mut r = rec(T0, Some("E1"), "/api/x");
    r.behavior_path_pattern = Some(Arc::from("/api/*"));
    log.log(r);
    log.shutdown();
    let files = files(&tmp.0);
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0].1,
        "#Version: 1.0\n#Fields: date DistributionId cs-uri-stem cache-behavior-path-pattern\n\
         2024-05-06\tE1\t/api/x\t/api/*\n"
    );
}

//! RFC 9110 / 9111 / 9213 conformance items of issue 9 part 3, each run in both `brink
//! serve` and `brink edge` (one distribution, a cache policy with MinTTL 0 so the origin's
//! headers decide): an invalid or list-valued `Age` (RFC 9111 §5.1), `Expires` in the
//! obsolete date formats and in the wrong letter case (RFC 9110 §5.6.7, RFC 9111 §4.2), a
//! `CDN-Cache-Control` that is not a valid Structured Field dictionary (RFC 9213 §2.1), and
//! `must-understand` (RFC 9111 §5.2.2.3). Every verdict is checked with the origin's request
//! counter, `X-Cache`, `Age` and the exact body; time moves only through the manual clock.

use serde_json::json;

use crate::testkit::*;

const HOST: &str = "conf.test";

#[derive(Clone, Copy, Debug)]
enum Mode {
    Serve,
    Edge,
}

const MODES: [Mode; 2] = [Mode::Serve, Mode::Edge];

fn edge_config(origin_port: u16) -> String {
    json!({
        "Distributions": [{
            "Id": "ECONFORM1",
            "DomainName": HOST,
            "DistributionConfig": {
                "CallerReference": "conformance",
                "Enabled": true,
                "Origins": { "Quantity": 1, "Items": [{
                    "Id": "web",
                    "DomainName": "127.0.0.1",
                    "CustomOriginConfig": {
                        "HTTPPort": origin_port,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "http-only"
                    }
                }]},
                "DefaultCacheBehavior": {
                    "TargetOriginId": "web",
                    "ViewerProtocolPolicy": "allow-all",
                    "CachePolicyId": "cp-origin-headers"
                }
            }
        }],
        "CachePolicies": [{
            "Id": "cp-origin-headers",
            "CachePolicyConfig": {
                "Name": "origin-headers",
                "MinTTL": 0,
                "DefaultTTL": 86400,
                "MaxTTL": 31536000,
                "ParametersInCacheKeyAndForwardedToOrigin": {
                    "EnableAcceptEncodingGzip": false,
                    "EnableAcceptEncodingBrotli": false,
                    "HeadersConfig": { "HeaderBehavior": "none" },
                    "CookiesConfig": { "CookieBehavior": "none" },
                    "QueryStringsConfig": { "QueryStringBehavior": "none" }
                }
            }
        }]
    })
    .to_string()
}

/// An origin and `brink serve` or `brink edge` in front of it, clocks linked.
struct Rig {
    origin: TestOrigin,
    edge: Edge,
    mode: Mode,
}

impl Rig {
    async fn start(mode: Mode) -> Rig {
        let origin = TestOrigin::start().await;
        let mut edge = match mode {
            Mode::Serve => Edge::start(&origin.url(), &[]).await,
            Mode::Edge => Edge::start_config(&edge_config(origin.port()), &[]).await,
        };
        edge.link_origin_clock(&origin);
        Rig { origin, edge, mode }
    }

    async fn get(&self, path: &str) -> Resp {
        match self.mode {
            Mode::Serve => self.edge.get(path).await,
            Mode::Edge => self.edge.get_with(path, &[("host", HOST)]).await,
        }
    }

    /// GET `path`: a miss that reached the origin once more, with `body`.
    async fn miss(&self, path: &str, body: &[u8], ctx: &str) -> Resp {
        let ctx = format!("{:?}: {ctx}", self.mode);
        let before = self.origin.hits(path);
        let r = self.get(path).await;
        assert_miss(&r, &ctx);
        assert_body(&r, body, &ctx);
        assert_origin_hits(&self.origin, path, before + 1, &ctx);
        r
    }

    /// GET `path`: a hit with `body`, the origin not asked; returns the response (its `Age`).
    async fn hit(&self, path: &str, body: &[u8], ctx: &str) -> Resp {
        let ctx = format!("{:?}: {ctx}", self.mode);
        let before = self.origin.hits(path);
        let r = self.get(path).await;
        assert_hit(&r, &ctx);
        assert_body(&r, body, &ctx);
        assert_origin_hits(&self.origin, path, before, &ctx);
        r
    }

    async fn advance(&self, secs: u64) {
        self.edge.advance_clock(secs).await;
    }
}

#[track_caller]
fn assert_age_within(r: &Resp, lo: u64, hi: u64, ctx: &str) {
    let age = r.age();
    assert!(
        age.is_some_and(|a| (lo..=hi).contains(&a)),
        "{ctx}: Age {:?}, expected {lo}..={hi}",
        r.header("age")
    );
}

/// RFC 9111 §5.1: of a list-valued `Age` the first member counts; an `Age` that is not a
/// delta-seconds (`+50`, `10x`) is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn age_lists_count_their_first_member_and_invalid_ages_are_ignored() {
    for mode in MODES {
        let rig = Rig::start(mode).await;
        let o = &rig.origin;
        o.route(
            "/age/list",
            Reply::cacheable("list", "max-age=100").header("age", "5, 10"),
        );
        o.route(
            "/age/plus",
            Reply::cacheable("plus", "max-age=100").header("age", "+50"),
        );
        o.route(
            "/age/garbage",
            Reply::cacheable("garbage", "max-age=100").header("age", "10x"),
        );
        rig.miss("/age/list", b"list", "first").await;
        rig.miss("/age/plus", b"plus", "first").await;
        rig.miss("/age/garbage", b"garbage", "first").await;

        rig.advance(90).await;
        // 5 (the first member) + 90; one more second at most from `Date`'s granularity.
        let r = rig.hit("/age/list", b"list", "age 95 of 100").await;
        assert_age_within(&r, 95, 96, "list");
        // `+50` and `10x` are ignored: age 90, not 140 (which would be stale).
        let r = rig.hit("/age/plus", b"plus", "Age +50 ignored").await;
        assert_age_within(&r, 90, 91, "plus");
        let r = rig.hit("/age/garbage", b"garbage", "Age 10x ignored").await;
        assert_age_within(&r, 90, 91, "garbage");

        rig.advance(6).await;
        // 5 + 96 = 101 > 100: stale. Had the list been ignored, the age would be 96: fresh.
        rig.miss("/age/list", b"list", "age 101 of 100").await;
        let r = rig.hit("/age/plus", b"plus", "age 96 of 100").await;
        assert_age_within(&r, 96, 97, "plus");
        rig.hit("/age/garbage", b"garbage", "age 96 of 100").await;
    }
}

/// `http_date_from_now(offset)` in RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`).
fn rfc850_from_now(offset: i64) -> String {
    let imf = http_date_from_now(offset);
    let day = match &imf[..3] {
        "Mon" => "Monday",
        "Tue" => "Tuesday",
        "Wed" => "Wednesday",
        "Thu" => "Thursday",
        "Fri" => "Friday",
        "Sat" => "Saturday",
        _ => "Sunday",
    };
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    format!(
        "{day}, {}-{}-{} {} GMT",
        &imf[5..7],
        &imf[8..11],
        &imf[14..16],
        &imf[17..25]
    )
}

/// `http_date_from_now(offset)` in asctime form (`Sun Nov  6 08:49:37 1994`).
fn asctime_from_now(offset: i64) -> String {
    let imf = http_date_from_now(offset);
    let day: u32 = imf[5..7].parse().expect("day");
    format!(
        "{} {} {day:>2} {} {}",
        &imf[..3],
        &imf[8..11],
        &imf[17..25],
        &imf[12..16]
    )
}

/// RFC 9110 §5.6.7 / RFC 9111 §4.2: `Expires` in RFC 850 or asctime form, or in the wrong
/// letter case, is a valid lifetime; a truly invalid one means already expired (§5.3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_in_obsolete_formats_and_any_case_gives_a_lifetime() {
    for mode in MODES {
        let rig = Rig::start(mode).await;
        let o = &rig.origin;
        let cases = [
            ("/exp/rfc850", rfc850_from_now(100)),
            ("/exp/asctime", asctime_from_now(100)),
            ("/exp/lower", http_date_from_now(100).to_ascii_lowercase()),
            ("/exp/upper", http_date_from_now(100).to_ascii_uppercase()),
        ];
        for (path, expires) in &cases {
            o.route(path, Reply::ok(*path).header("expires", expires));
            rig.miss(path, path.as_bytes(), &format!("first, Expires {expires}"))
                .await;
        }
        o.route(
            "/exp/invalid",
            Reply::ok("invalid").header("expires", "soon"),
        );
        rig.miss("/exp/invalid", b"invalid", "first").await;

        rig.advance(50).await;
        for (path, expires) in &cases {
            let r = rig
                .hit(
                    path,
                    path.as_bytes(),
                    &format!("50 s into Expires {expires}"),
                )
                .await;
            assert_age_within(&r, 50, 51, path);
        }
        // An invalid Expires is already expired: never reused.
        rig.miss("/exp/invalid", b"invalid", "Expires: soon").await;

        rig.advance(60).await;
        for (path, expires) in &cases {
            rig.miss(path, path.as_bytes(), &format!("past Expires {expires}"))
                .await;
        }
    }
}

/// RFC 9213 §2.1: a `CDN-Cache-Control` that is not a valid Structured Field dictionary, or
/// gives a directive a value of the wrong type, is ignored as a whole and `Cache-Control`
/// decides; a valid one still wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_cdn_cache_control_is_ignored_as_a_whole() {
    for mode in MODES {
        let rig = Rig::start(mode).await;
        let o = &rig.origin;
        // Each falls back to Cache-Control: max-age=100.
        let invalid = [
            ("/cdn/quoted", "max-age=\"5\""),
            ("/cdn/decimal", "max-age=1.5"),
            ("/cdn/bad-token", "max-age=5, Foo"),
            ("/cdn/bool-as-int", "no-store=1"),
            ("/cdn/trailing-comma", "no-store,"),
        ];
        for (path, cdn) in invalid {
            o.route(
                path,
                Reply::cacheable(path, "max-age=100").header("cdn-cache-control", cdn),
            );
            rig.miss(
                path,
                path.as_bytes(),
                &format!("first, CDN-Cache-Control {cdn}"),
            )
            .await;
        }
        o.route(
            "/cdn/valid",
            Reply::cacheable("valid", "max-age=100").header("cdn-cache-control", "max-age=5;x=?1"),
        );
        rig.miss("/cdn/valid", b"valid", "first").await;

        rig.advance(50).await;
        for (path, cdn) in invalid {
            let r = rig
                .hit(
                    path,
                    path.as_bytes(),
                    &format!("CDN-Cache-Control {cdn} ignored"),
                )
                .await;
            assert!(
                r.header("cdn-cache-control").is_none(),
                "{mode:?}: not passed to the viewer"
            );
        }
        rig.miss(
            "/cdn/valid",
            b"valid",
            "a valid CDN-Cache-Control max-age=5 wins",
        )
        .await;
        rig.advance(51).await;
        for (path, _) in invalid {
            rig.miss(path, path.as_bytes(), "Cache-Control max-age=100 is over")
                .await;
        }
    }
}

/// RFC 9111 §5.2.2.3: with `must-understand`, a status this cache understands is stored per
/// its other directives, `no-store` notwithstanding; a status it does not understand (299
/// here) is not stored, though the same response without `must-understand` is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn must_understand_overrides_no_store_only_for_understood_statuses() {
    for mode in MODES {
        let rig = Rig::start(mode).await;
        let o = &rig.origin;
        o.route(
            "/mu/ok",
            Reply::cacheable("ok", "max-age=100, no-store, must-understand"),
        );
        o.route(
            "/mu/no-store",
            Reply::cacheable("no-store", "max-age=100, no-store"),
        );
        rig.miss("/mu/ok", b"ok", "first").await;
        let r = rig
            .hit(
                "/mu/ok",
                b"ok",
                "200 with must-understand: no-store ignored",
            )
            .await;
        assert_age_within(&r, 0, 1, "just stored");
        rig.miss("/mu/no-store", b"no-store", "first").await;
        rig.miss("/mu/no-store", b"no-store", "no-store alone: never stored")
            .await;

        o.route(
            "/mu/299",
            Reply::status(299, "unknown").header("cache-control", "max-age=100, must-understand"),
        );
        o.route(
            "/mu/299-plain",
            Reply::status(299, "plain").header("cache-control", "max-age=100"),
        );
        for (path, body, stored) in [
            ("/mu/299", "unknown", false),
            ("/mu/299-plain", "plain", true),
        ] {
            let ctx = format!("{mode:?} {path}");
            for i in 0..2 {
                let r = rig.get(path).await;
                assert_eq!(r.status, 299, "{ctx}");
                assert_body(&r, body.as_bytes(), &ctx);
                let want = if i == 1 && stored { HIT } else { MISS };
                assert_x_cache(&r, want, &format!("{ctx} request {i}"));
            }
            assert_origin_hits(o, path, if stored { 1 } else { 2 }, &ctx);
        }
    }
}

/// An origin on a raw socket that answers every request with a `103 Early Hints` (a `Link`
/// header) and then the final `200`; returns its URL and the count of requests it answered.
async fn early_hints_origin() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let answered = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = answered.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                    while let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        head.drain(..end + 4);
                        counter.fetch_add(1, Ordering::SeqCst);
                        let reply =
                            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n\
                            HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCache-Control: max-age=600\r\n\
                            Content-Type: text/plain\r\n\r\nfinal";
                        if s.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, answered)
}

/// RFC 9110 §15.2 / RFC 8297: an interim `103` from the origin is never stored and its
/// fields never merge into the final response. (Forwarding interim responses to viewers is
/// not possible with hyper 1.x's server, which cannot send 1xx other than `100 Continue`:
/// hyperium/hyper PR #4114 is still open. The edge drops them.)
#[tokio::test]
async fn interim_responses_are_neither_stored_nor_merged() {
    let (url, answered) = early_hints_origin().await;
    let edge = Edge::start(&url, &[]).await;
    let r = edge.get("/page").await;
    assert_eq!(r.status, 200);
    assert_body(&r, b"final", "final response after a 103");
    assert!(
        r.header("link").is_none(),
        "103 fields merged: {:?}",
        r.headers
    );
    assert_x_cache(&r, MISS, "first");
    let r = edge.get("/page").await;
    assert_eq!(r.status, 200);
    assert_body(&r, b"final", "stored final response");
    assert!(
        r.header("link").is_none(),
        "103 fields stored: {:?}",
        r.headers
    );
    assert_x_cache(&r, HIT, "second");
    assert_eq!(answered.load(std::sync::atomic::Ordering::SeqCst), 1);
}

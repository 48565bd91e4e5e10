//! Storability and TTL rules, one test per rule of RFC 9111 / cloudfront.md §2.1, §2.3.

use super::*;
use http::HeaderValue;
use std::time::UNIX_EPOCH;

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

const NOW: u64 = 1_700_000_000;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut m = HeaderMap::new();
    for (k, v) in pairs {
        m.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    m
}

fn verdict_with(status: u16, h: &[(&str, &str)], policy: &TtlPolicy, auth: bool) -> Storability {
    let h = headers(h);
    storability(
        &Exchange {
            method: &Method::GET,
            request_has_authorization: auth,
            status: StatusCode::from_u16(status).unwrap(),
            headers: &h,
            response_time: t(NOW),
        },
        policy,
    )
}

fn verdict(status: u16, h: &[(&str, &str)]) -> Storability {
    verdict_with(status, h, &TtlPolicy::default(), false)
}

fn fresh(v: Storability) -> u64 {
    match v {
        Storability::Store(l) => l.fresh.as_secs(),
        Storability::NoStore(r) => panic!("not stored: {r:?}"),
    }
}

fn plain() -> TtlPolicy {
    TtlPolicy::new(
        Duration::ZERO,
        Duration::ZERO,
        Duration::from_secs(31_536_000),
    )
    .unwrap()
}

fn policy(min: u64, default: u64, max: u64) -> TtlPolicy {
    TtlPolicy::new(
        Duration::from_secs(min),
        Duration::from_secs(default),
        Duration::from_secs(max),
    )
    .unwrap()
}

#[test]
fn default_ttl_applies_without_freshness() {
    assert_eq!(fresh(verdict(200, &[])), 86_400);
    assert_eq!(
        fresh(verdict_with(200, &[], &policy(100, 200, 300), false)),
        200
    );
}

#[test]
fn origin_lifetime_is_clamped() {
    let p = policy(60, 100, 600);
    assert_eq!(
        fresh(verdict_with(
            200,
            &[("cache-control", "max-age=10")],
            &p,
            false
        )),
        60
    );
    assert_eq!(
        fresh(verdict_with(
            200,
            &[("cache-control", "max-age=100000")],
            &p,
            false
        )),
        600
    );
    assert_eq!(
        fresh(verdict_with(
            200,
            &[("cache-control", "max-age=300")],
            &p,
            false
        )),
        300
    );
}

#[test]
fn s_maxage_beats_max_age_beats_expires() {
    assert_eq!(
        fresh(verdict(
            200,
            &[("cache-control", "max-age=10, s-maxage=20")]
        )),
        20
    );
    let date = httpdate::fmt_http_date(t(NOW));
    let exp = httpdate::fmt_http_date(t(NOW + 500));
    assert_eq!(
        fresh(verdict(
            200,
            &[
                ("cache-control", "max-age=10"),
                ("expires", &exp),
                ("date", &date)
            ]
        )),
        10
    );
    assert_eq!(
        fresh(verdict(200, &[("expires", &exp), ("date", &date)])),
        500
    );
}

#[test]
fn invalid_expires_means_stale() {
    // Zero lifetime and no validator: nothing worth storing.
    assert_eq!(
        verdict(200, &[("expires", "0")]),
        Storability::NoStore(NoStoreReason::ZeroTtl)
    );
    assert_eq!(
        fresh(verdict(200, &[("expires", "0"), ("etag", "\"x\"")])),
        0
    );
}

#[test]
fn cdn_cache_control_takes_precedence() {
    assert_eq!(
        fresh(verdict(
            200,
            &[
                ("cache-control", "max-age=10"),
                ("cdn-cache-control", "max-age=99")
            ]
        )),
        99
    );
    assert_eq!(
        verdict(
            200,
            &[
                ("cache-control", "max-age=10"),
                ("cdn-cache-control", "no-store")
            ]
        ),
        Storability::NoStore(NoStoreReason::NoStore)
    );
    // The CDN field can also allow what Cache-Control forbids for browsers.
    assert_eq!(
        fresh(verdict(
            200,
            &[
                ("cache-control", "private"),
                ("cdn-cache-control", "max-age=5")
            ]
        )),
        5
    );
}

#[test]
fn no_store_private_no_cache_follow_min_ttl() {
    assert_eq!(
        verdict(200, &[("cache-control", "no-store")]),
        Storability::NoStore(NoStoreReason::NoStore)
    );
    assert_eq!(
        verdict(200, &[("cache-control", "private, max-age=60")]),
        Storability::NoStore(NoStoreReason::Private)
    );
    // no-cache without a validator: nothing to revalidate with.
    assert_eq!(
        verdict(200, &[("cache-control", "no-cache")]),
        Storability::NoStore(NoStoreReason::ZeroTtl)
    );
    // no-cache with a validator: stored, revalidated on every use.
    match verdict(200, &[("cache-control", "no-cache"), ("etag", "\"v1\"")]) {
        Storability::Store(l) => {
            assert_eq!(l.fresh, Duration::ZERO);
            assert!(l.must_revalidate);
        }
        other => panic!("{other:?}"),
    }
    // CloudFront: MinTTL overrides all three.
    let p = policy(30, 100, 600);
    for cc in ["no-store", "private", "no-cache"] {
        assert_eq!(
            fresh(verdict_with(200, &[("cache-control", cc)], &p, false)),
            30,
            "{cc}"
        );
    }
}

#[test]
fn authorization_needs_explicit_permission() {
    let p = TtlPolicy::default();
    assert_eq!(
        verdict_with(200, &[("cache-control", "max-age=60")], &p, true),
        Storability::NoStore(NoStoreReason::Authorization)
    );
    for cc in [
        "public, max-age=60",
        "s-maxage=60",
        "must-revalidate, max-age=60",
    ] {
        assert!(
            matches!(
                verdict_with(200, &[("cache-control", cc)], &p, true),
                Storability::Store(_)
            ),
            "{cc}"
        );
    }
}

#[test]
fn vary_star_and_partial_are_not_stored() {
    assert_eq!(
        verdict(200, &[("vary", "*")]),
        Storability::NoStore(NoStoreReason::VaryStar)
    );
    assert_eq!(
        verdict(206, &[("cache-control", "max-age=60")]),
        Storability::NoStore(NoStoreReason::Status)
    );
    assert_eq!(
        verdict(416, &[("cache-control", "max-age=60")]),
        Storability::NoStore(NoStoreReason::Status)
    );
}

#[test]
fn only_get_is_stored() {
    let h = HeaderMap::new();
    for m in [Method::POST, Method::HEAD, Method::OPTIONS] {
        let v = storability(
            &Exchange {
                method: &m,
                request_has_authorization: false,
                status: StatusCode::OK,
                headers: &h,
                response_time: t(NOW),
            },
            &TtlPolicy::default(),
        );
        assert_eq!(v, Storability::NoStore(NoStoreReason::Method));
    }
}

#[test]
fn error_caching_follows_cloudfront() {
    for code in [404, 414, 500, 501, 502, 503, 504] {
        assert_eq!(fresh(verdict(code, &[])), 10, "{code}");
    }
    // Origin lifetime above the floor wins, capped by MaxTTL.
    assert_eq!(fresh(verdict(404, &[("cache-control", "max-age=60")])), 60);
    assert_eq!(fresh(verdict(503, &[("cache-control", "max-age=1")])), 10);
    // 4xx that need an explicit lifetime.
    assert_eq!(
        verdict(403, &[]),
        Storability::NoStore(NoStoreReason::Status)
    );
    assert_eq!(fresh(verdict(403, &[("cache-control", "max-age=30")])), 30);
    // No-store still wins for errors.
    assert_eq!(
        verdict(500, &[("cache-control", "no-store")]),
        Storability::NoStore(NoStoreReason::NoStore)
    );
}

#[test]
fn redirects_without_freshness_are_not_stored() {
    assert_eq!(
        verdict(302, &[]),
        Storability::NoStore(NoStoreReason::Status)
    );
    assert_eq!(fresh(verdict(302, &[("cache-control", "max-age=5")])), 5);
    assert_eq!(fresh(verdict(301, &[])), 86_400);
}

#[test]
fn plain_rfc_mode_uses_the_heuristic() {
    let p = plain();
    assert_eq!(
        verdict_with(200, &[], &p, false),
        Storability::NoStore(NoStoreReason::ZeroTtl)
    );
    let date = httpdate::fmt_http_date(t(NOW));
    let lm = httpdate::fmt_http_date(t(NOW - 1000));
    assert_eq!(
        fresh(verdict_with(
            200,
            &[("date", &date), ("last-modified", &lm)],
            &p,
            false
        )),
        100
    );
    // No error-caching floor in plain mode.
    assert_eq!(
        verdict_with(500, &[], &p, false),
        Storability::NoStore(NoStoreReason::Status)
    );
    assert_eq!(
        fresh(verdict_with(
            404,
            &[("date", &date), ("last-modified", &lm)],
            &p,
            false
        )),
        100
    );
}

#[test]
fn caching_disabled_stores_nothing() {
    let p = policy(0, 0, 0);
    assert_eq!(
        verdict_with(200, &[("cache-control", "max-age=60")], &p, false),
        Storability::NoStore(NoStoreReason::CachingDisabled)
    );
}

#[test]
fn stale_windows() {
    let Storability::Store(l) = verdict(
        200,
        &[(
            "cache-control",
            "max-age=10, stale-while-revalidate=30, stale-if-error=60",
        )],
    ) else {
        panic!()
    };
    assert_eq!(
        (
            l.fresh.as_secs(),
            l.stale_while_revalidate.as_secs(),
            l.stale_if_error.as_secs()
        ),
        (10, 30, 60)
    );
    assert_eq!(staleness(&l, Duration::from_secs(5)), Staleness::Fresh);
    assert_eq!(
        staleness(&l, Duration::from_secs(10)),
        Staleness::StaleWhileRevalidate
    );
    assert_eq!(staleness(&l, Duration::from_secs(40)), Staleness::Stale);
    assert!(usable_if_error(&l, Duration::from_secs(69)));
    assert!(!usable_if_error(&l, Duration::from_secs(70)));
    // must-revalidate forbids both.
    let Storability::Store(l) = verdict(
        200,
        &[(
            "cache-control",
            "max-age=10, must-revalidate, stale-while-revalidate=30",
        )],
    ) else {
        panic!()
    };
    assert_eq!(l.stale_while_revalidate, Duration::ZERO);
    assert!(!usable_if_error(&l, Duration::from_secs(11)));
    // CloudFront mode serves stale on error by default; plain RFC mode does not.
    let Storability::Store(l) = verdict(200, &[("cache-control", "max-age=10")]) else {
        panic!()
    };
    assert!(usable_if_error(&l, Duration::from_secs(1000)));
    let Storability::Store(l) =
        verdict_with(200, &[("cache-control", "max-age=10")], &plain(), false)
    else {
        panic!()
    };
    assert!(!usable_if_error(&l, Duration::from_secs(11)));
}

#[test]
fn age_follows_rfc9111() {
    // Origin says Age 5; the exchange took 2 s; Date equals the request time.
    let h = headers(&[("age", "5"), ("date", &httpdate::fmt_http_date(t(NOW)))]);
    let base = AgeBase::new(&h, t(NOW), t(NOW + 2));
    assert_eq!(base.initial_age, Duration::from_secs(7));
    assert_eq!(base.current_age(t(NOW + 12)).as_secs(), 17);
    // Date far in the past: apparent age wins.
    let h = headers(&[("date", &httpdate::fmt_http_date(t(NOW - 100)))]);
    assert_eq!(AgeBase::new(&h, t(NOW), t(NOW)).initial_age.as_secs(), 100);
    // Clock going backwards never yields a negative age.
    assert_eq!(
        AgeBase::new(&HeaderMap::new(), t(NOW), t(NOW)).current_age(t(NOW - 50)),
        Duration::ZERO
    );
}

#[test]
fn age_lists_use_the_first_member_and_invalid_values_are_ignored() {
    let age = |v: &[&str]| {
        let mut h = HeaderMap::new();
        for v in v {
            h.append(header::AGE, HeaderValue::from_str(v).unwrap());
        }
        age_value(&h).map(|d| d.as_secs())
    };
    assert_eq!(age(&["10"]), Some(10));
    assert_eq!(age(&[" 10 "]), Some(10));
    // RFC 9111 §5.1: a list's first member counts.
    assert_eq!(age(&["5, 10"]), Some(5));
    assert_eq!(age(&["5,10"]), Some(5));
    assert_eq!(age(&["5", "10"]), Some(5));
    // Not delta-seconds: ignored as if absent.
    for bad in ["10x", "+10", "-1", "1.5", "", ",5", "0x10", "1 0", "ten"] {
        assert_eq!(age(&[bad]), None, "{bad:?}");
    }
    assert_eq!(age(&[]), None);
    // §1.2.2: overflowing values count as 2^31.
    assert_eq!(age(&["99999999999999999999999"]), Some(2_147_483_648));
    // In the age bookkeeping: an ignored Age leaves only the exchange's own delay.
    let h = headers(&[("age", "10x")]);
    assert_eq!(
        AgeBase::new(&h, t(NOW), t(NOW + 1)).initial_age.as_secs(),
        1
    );
    let h = headers(&[("age", "5, 10")]);
    assert_eq!(
        AgeBase::new(&h, t(NOW), t(NOW + 1)).initial_age.as_secs(),
        6
    );
}

#[test]
fn expires_in_obsolete_formats_and_any_case_counts() {
    let date = httpdate::fmt_http_date(t(NOW));
    // NOW + 100 s = 2023-11-14 22:15:00 UTC, a Tuesday.
    for expires in [
        "Tue, 14 Nov 2023 22:15:00 GMT",
        "Tuesday, 14-Nov-23 22:15:00 GMT",
        "Tue Nov 14 22:15:00 2023",
        "tue, 14 nov 2023 22:15:00 gmt",
        "TUESDAY, 14-NOV-23 22:15:00 GMT",
    ] {
        assert_eq!(
            fresh(verdict(200, &[("date", &date), ("expires", expires)])),
            100,
            "{expires}"
        );
    }
    // A lower-case Date is read too: Expires − Date.
    assert_eq!(
        fresh(verdict(
            200,
            &[
                ("date", &date.to_ascii_lowercase()),
                ("expires", "Tue, 14 Nov 2023 22:15:00 GMT")
            ]
        )),
        100
    );
    // Still invalid: already expired (RFC 9111 §5.3).
    for bad in ["soon", "Tue, 14 Nov 2023 22:15:00 UTC", "Tue, 14 Nov 2023"] {
        assert_eq!(
            verdict(200, &[("date", &date), ("expires", bad)]),
            Storability::NoStore(NoStoreReason::ZeroTtl),
            "{bad}"
        );
    }
}

#[test]
fn an_invalid_cdn_cache_control_falls_back_to_cache_control() {
    for bad in [
        "max-age=\"5\"",
        "max-age=1.5",
        "max-age=5, Foo",
        "no-store=1",
        "max-age=5,",
    ] {
        assert_eq!(
            fresh(verdict(
                200,
                &[("cache-control", "max-age=100"), ("cdn-cache-control", bad)]
            )),
            100,
            "{bad}"
        );
    }
    // An invalid one cannot forbid storing either: Cache-Control decides.
    assert_eq!(
        fresh(verdict(
            200,
            &[
                ("cache-control", "max-age=100"),
                ("cdn-cache-control", "no-store, X")
            ]
        )),
        100
    );
    // An empty one is absent.
    assert_eq!(
        fresh(verdict(
            200,
            &[("cache-control", "max-age=100"), ("cdn-cache-control", "")]
        )),
        100
    );
    // A valid one still wins, `none` included (it stores with the default TTL here).
    assert_eq!(
        fresh(verdict(
            200,
            &[
                ("cache-control", "max-age=100"),
                ("cdn-cache-control", "max-age=5;x=1")
            ]
        )),
        5
    );
    assert_eq!(
        verdict(
            200,
            &[
                ("cache-control", "max-age=100"),
                ("cdn-cache-control", "none, no-store")
            ]
        ),
        Storability::NoStore(NoStoreReason::NoStore)
    );
}

#[test]
fn must_understand_stores_understood_statuses_despite_no_store() {
    let mu = [("cache-control", "max-age=60, no-store, must-understand")];
    for status in [200, 203, 204, 300, 301, 302, 307, 308, 404, 410, 500, 503] {
        assert_eq!(fresh(verdict(status, &mu)), 60, "{status}");
        assert_eq!(
            fresh(verdict_with(status, &mu, &plain(), false)),
            60,
            "{status}"
        );
    }
    // Not understood: never stored, with or without no-store, even under a MinTTL.
    let mu_only = [("cache-control", "max-age=60, must-understand")];
    for status in [201, 202, 206, 299, 421, 429, 451, 599] {
        assert_eq!(
            verdict(status, &mu_only),
            Storability::NoStore(NoStoreReason::MustUnderstand),
            "{status}"
        );
        assert_eq!(
            verdict_with(status, &mu, &policy(10, 60, 100), false),
            Storability::NoStore(NoStoreReason::MustUnderstand),
            "{status}"
        );
    }
    // Without must-understand, 201 and 299 with a lifetime are stored as before, and
    // no-store holds.
    assert_eq!(fresh(verdict(201, &[("cache-control", "max-age=60")])), 60);
    assert_eq!(fresh(verdict(299, &[("cache-control", "max-age=60")])), 60);
    assert_eq!(
        verdict(200, &[("cache-control", "max-age=60, no-store")]),
        Storability::NoStore(NoStoreReason::NoStore)
    );
    // The targeted field carries it too.
    assert_eq!(
        fresh(verdict(
            200,
            &[
                ("cache-control", "no-store"),
                ("cdn-cache-control", "max-age=30, no-store, must-understand")
            ]
        )),
        30
    );
    // A malformed must-understand is ignored: no-store holds.
    assert_eq!(
        verdict(
            200,
            &[("cache-control", "max-age=60, no-store, must-understand;x")]
        ),
        Storability::NoStore(NoStoreReason::NoStore)
    );
}

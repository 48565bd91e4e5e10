//! Purge and the admin listener: `POST /purge?path=` removes one exact target (path + query)
//! at once (reporting how many entries it removed) or bans every target under a `*` prefix
//! (nothing is scanned; lookups and the lurker remove them), is effective before it answers,
//! and also stops an in-flight fill from being stored; `/healthz`
//! answers `ok`; a purge without `path` is a 400; the clock endpoint exists only with
//! `--manual-clock`.

use std::time::Duration;

use crate::testkit::*;

/// Fills every target in `targets` (body = the target itself, max-age=600).
async fn fill_all(origin: &TestOrigin, edge: &Edge, targets: &[&str]) {
    for t in targets {
        prime(
            origin,
            edge,
            t,
            Reply::cacheable(t.to_string(), "max-age=600"),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_an_exact_path_forces_a_miss() {
    let (origin, edge) = start(&[]).await;
    fill_all(&origin, &edge, &["/a", "/b"]).await;
    assert_eq!(edge.purge("/a").await, 1, "one entry purged");
    expect_miss(&origin, &edge, "/a", "GET /a after purging it").await;
    expect_hit(&origin, &edge, "/b", b"/b", "/b was not purged").await;
    assert_eq!(
        edge.purge("/never-cached").await,
        0,
        "purging an absent path removes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_a_prefix_removes_only_matching_paths() {
    let (origin, edge) = start(&[]).await;
    fill_all(&origin, &edge, &["/img/1", "/img/2", "/other", "/imgs"]).await;
    assert_eq!(
        edge.purge("/img/*").await,
        0,
        "/img/* is a ban: nothing removed at once"
    );
    expect_miss(&origin, &edge, "/img/1", "/img/1 after /img/*").await;
    expect_miss(&origin, &edge, "/img/2", "/img/2 after /img/*").await;
    expect_hit(
        &origin,
        &edge,
        "/other",
        b"/other",
        "/other survives /img/*",
    )
    .await;
    expect_hit(
        &origin,
        &edge,
        "/imgs",
        b"/imgs",
        "/imgs survives /img/* (prefix is /img/)",
    )
    .await;

    assert_eq!(edge.purge("/img*").await, 0, "/img* is a ban");
    expect_miss(&origin, &edge, "/imgs", "/imgs after /img*").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_purge_includes_the_query() {
    let (origin, edge) = start(&[]).await;
    fill_all(&origin, &edge, &["/a?x=1", "/a?x=2", "/a"]).await;
    assert_eq!(edge.purge("/a?x=1").await, 1, "exact purge of /a?x=1");
    expect_miss(&origin, &edge, "/a?x=1", "/a?x=1 after its purge").await;
    expect_hit(
        &origin,
        &edge,
        "/a?x=2",
        b"/a?x=2",
        "/a?x=2 is another target",
    )
    .await;
    expect_hit(&origin, &edge, "/a", b"/a", "/a is another target").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_everything_with_root_wildcard() {
    let (origin, edge) = start(&[]).await;
    let targets = ["/", "/x", "/deep/er/path?q=1"];
    fill_all(&origin, &edge, &targets).await;
    assert_eq!(edge.purge("/*").await, 0, "/* is a ban");
    for t in targets {
        expect_miss(&origin, &edge, t, &format!("{t} after /*")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_in_flight_during_a_purge_is_not_stored() {
    let (origin, edge) = start(&[]).await;
    let gate = Gate::new();
    origin.route(
        "/f",
        Reply::cacheable("before-", "max-age=600")
            .then_wait(&gate)
            .then_chunk("after"),
    );
    let viewer = tokio::spawn(Req::get(&edge.url("/f")).send());
    let started = origin.wait_for_hits("/f", 1, Duration::from_secs(5)).await;
    assert_eq!(started, 1, "the fill reached the origin");
    edge.purge("/f").await;
    gate.open();
    let resp = within(Duration::from_secs(10), "the in-flight viewer", viewer)
        .await
        .expect("viewer task");
    assert_body(
        &resp,
        b"before-after",
        "the in-flight viewer still gets the whole body",
    );
    let after = edge.get("/f").await;
    assert_eq!(after.status, 200, "GET after the purge");
    assert_origin_hits(
        &origin,
        "/f",
        2,
        "a fill that started before the purge must not be stored",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_ok() {
    let (_origin, edge) = start(&[]).await;
    let resp = Req::get(&edge.admin_url("/healthz")).send().await;
    assert_eq!(resp.status, 200, "GET /healthz");
    assert_body(&resp, b"ok\n", "GET /healthz");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_without_path_is_rejected() {
    let (_origin, edge) = start(&[]).await;
    let resp = Req::new("POST", &edge.admin_url("/purge")).send().await;
    assert_eq!(resp.status, 400, "POST /purge without path: {resp:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_endpoint_requires_manual_clock() {
    let origin = TestOrigin::start().await;
    let edge = Edge::start_without_manual_clock(&origin.url(), &[]).await;
    let resp = Req::new("POST", &edge.admin_url("/debug/clock/advance?seconds=10"))
        .send()
        .await;
    assert_eq!(
        resp.status, 404,
        "the clock endpoint must not exist without --manual-clock: {resp:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wildcard_ban_is_enforced_at_once_and_retired_by_the_lurker() {
    let (origin, edge) = start(&[]).await;
    let targets: Vec<String> = (0..150).map(|i| format!("/w/{i}")).collect();
    let refs: Vec<&str> = targets.iter().map(String::as_str).collect();
    fill_all(&origin, &edge, &refs).await;
    fill_all(&origin, &edge, &["/keep"]).await;
    assert_eq!(
        edge.metric("brink_cache_objects{tier=\"memory\"}").await,
        151.0
    );
    let resp = Req::new("POST", &edge.admin_url("/purge?path=/w/*"))
        .send()
        .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let json: serde_json::Value = serde_json::from_slice(&resp.body).expect("JSON");
    assert_eq!(
        json["purged"], 0,
        "a wildcard removes nothing at once: {json}"
    );
    assert!(json["ban"].is_u64(), "and answers its ban's number: {json}");
    expect_miss(&origin, &edge, "/w/7", "/w/7 right after /w/*").await;
    expect_hit(&origin, &edge, "/keep", b"/keep", "/keep is not under /w/").await;
    // The lurker takes out the rest in the background (it may already have taken /w/7 before
    // the lookup did) and retires the ban.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let active = edge.metric("brink_cache_bans_active").await;
        let lurked = edge
            .metric("brink_cache_ban_removals_total{by=\"lurker\"}")
            .await;
        let looked = edge
            .metric("brink_cache_ban_removals_total{by=\"lookup\"}")
            .await;
        if active == 0.0 && lurked + looked == 150.0 {
            assert!(looked <= 1.0, "only /w/7 was looked up: {looked}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lurker did not finish: {active} bans active, {lurked} + {looked} removed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        edge.metric("brink_cache_objects{tier=\"memory\"}").await,
        2.0,
        "/keep and the refetched /w/7 are left"
    );
    assert_eq!(edge.metric("brink_cache_bans_total").await, 1.0);
    // Once retired, everything under /w/ is still a miss (the objects are gone).
    expect_miss(&origin, &edge, "/w/149", "/w/149 after the lurker").await;
    expect_hit(
        &origin,
        &edge,
        "/w/7",
        b"/w/7",
        "/w/7 stored again after the ban",
    )
    .await;
}

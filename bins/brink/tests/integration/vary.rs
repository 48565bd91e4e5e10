//! `Vary`: one stored variant per value of the selecting request headers (each new value is
//! one origin fetch, a repeated value is a hit with that variant's body), and `Vary: *`
//! responses are never reused.

use crate::testkit::*;

/// The origin answers `/greeting` in the request's language and varies on it.
fn greeting_origin(origin: &TestOrigin) {
    origin.route_fn("/greeting", |req| {
        let lang = req
            .header("accept-language")
            .unwrap_or_else(|| "none".to_owned());
        Reply::cacheable(format!("greeting in {lang}"), "max-age=60")
            .header("vary", "Accept-Language")
    });
}

async fn get_lang(edge: &Edge, lang: Option<&str>) -> Resp {
    match lang {
        Some(lang) => {
            edge.get_with("/greeting", &[("accept-language", lang)])
                .await
        }
        None => edge.get("/greeting").await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vary_keeps_one_variant_per_header_value() {
    let (origin, edge) = start(&[]).await;
    greeting_origin(&origin);

    for lang in ["en", "fr"] {
        let resp = get_lang(&edge, Some(lang)).await;
        assert_miss(&resp, &format!("first {lang}"));
        assert_body(&resp, format!("greeting in {lang}").as_bytes(), lang);
    }
    assert_origin_hits(&origin, "/greeting", 2, "en and fr are two variants");

    for lang in ["en", "fr", "en"] {
        let resp = get_lang(&edge, Some(lang)).await;
        assert_hit(&resp, &format!("repeated {lang}"));
        assert_body(
            &resp,
            format!("greeting in {lang}").as_bytes(),
            &format!("repeated {lang} gets its own variant"),
        );
    }
    assert_origin_hits(&origin, "/greeting", 2, "repeated languages are hits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_selecting_header_is_its_own_variant() {
    let (origin, edge) = start(&[]).await;
    greeting_origin(&origin);
    assert_body(&get_lang(&edge, Some("de")).await, b"greeting in de", "de");
    let none = get_lang(&edge, None).await;
    assert_miss(&none, "no Accept-Language is a different variant from de");
    assert_body(&none, b"greeting in none", "no Accept-Language");
    let none = get_lang(&edge, None).await;
    assert_hit(&none, "repeated request without Accept-Language");
    assert_body(
        &none,
        b"greeting in none",
        "repeated request without Accept-Language",
    );
    assert_origin_hits(&origin, "/greeting", 2, "de and absent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vary_star_is_never_reused() {
    let (origin, edge) = start(&[]).await;
    origin.route(
        "/star",
        Reply::cacheable("varies on everything", "max-age=60").header("vary", "*"),
    );
    for round in 1..=3 {
        let resp = edge.get("/star").await;
        assert_eq!(resp.status, 200, "round {round}");
        assert_ne!(
            resp.x_cache(),
            HIT,
            "Vary: * must never be a hit (round {round})"
        );
        assert_body(&resp, b"varies on everything", "Vary: *");
    }
    assert_origin_hits(
        &origin,
        "/star",
        3,
        "every Vary: * request reaches the origin",
    );
}

use brink_model::{validate, EdgeFile};

use crate::example;

fn model() -> brink_model::Model {
    let file = EdgeFile::from_json(&example("three-distributions.json")).expect("parses");
    validate(&file).expect("valid")
}

#[test]
fn hosts_route_to_their_distribution() {
    let m = model();
    let id = |host: &str| m.route(host).map(|d| d.id.as_str());
    assert_eq!(id("www.example.com"), Some("E1WWWEXAMPLE01"));
    assert_eq!(id("WWW.EXAMPLE.COM:443"), Some("E1WWWEXAMPLE01"));
    assert_eq!(
        id("shop.example.com"),
        Some("E1WWWEXAMPLE01"),
        "wildcard alias"
    );
    assert_eq!(
        id("a.b.example.com"),
        Some("E1WWWEXAMPLE01"),
        "wildcard, deeper"
    );
    assert_eq!(id("example.com"), None, "a wildcard needs a label in front");
    assert_eq!(id("images.example.net"), Some("E2IMAGESEXAMPLE"));
    assert_eq!(
        id("d2imagesexample.cloudfront.net"),
        Some("E2IMAGESEXAMPLE")
    );
    assert_eq!(id("unknown.example.org"), None);

    // Generated domain names route too, disabled distributions included (the edge answers
    // them with 403).
    let old = m.by_id("E3DISABLED0001").unwrap();
    assert_eq!(id(&old.domain_name), Some("E3DISABLED0001"));
    assert!(!m.route(&old.domain_name).unwrap().enabled);
    let idx = m.router().route("www.example.com").unwrap();
    assert_eq!(m.distribution(idx).id, "E1WWWEXAMPLE01");
}

#[test]
fn exact_alias_beats_wildcard_of_another_distribution() {
    let mut file = EdgeFile::from_json(&example("three-distributions.json")).unwrap();
    let mut other = file.distributions[2].clone();
    other.id = "E4SHOP".into();
    other.distribution_config.caller_reference = "shop".into();
    other.distribution_config.enabled = true;
    other.distribution_config.aliases =
        brink_model::raw::List::from_items(vec!["shop.example.com".into()]);
    file.distributions.push(other);
    let m = validate(&file).unwrap();
    assert_eq!(m.route("shop.example.com").unwrap().id, "E4SHOP");
    assert_eq!(m.route("blog.example.com").unwrap().id, "E1WWWEXAMPLE01");
}

#[test]
fn behaviors_first_match_in_list_order_then_default() {
    let m = model();
    let www = m.by_id("E1WWWEXAMPLE01").unwrap();
    let pattern = |path: &str| {
        www.select_behavior(path)
            .path_pattern
            .as_ref()
            .map(|p| p.as_str().to_string())
    };
    assert_eq!(pattern("/api/"), Some("/api/*".into()));
    assert_eq!(pattern("/api"), None, "`/api/*` needs the slash");
    assert_eq!(pattern("/API/x"), None, "case-sensitive");
    assert_eq!(pattern("/static/css/site.css"), Some("static/*".into()));
    assert_eq!(pattern("/private/x/y/z.mp4"), Some("/private/*.mp4".into()));
    assert_eq!(pattern("/index.html"), None);
    assert_eq!(www.select_behavior_index("/index.html"), 3);
    assert_eq!(www.select_behavior_index("/api/x"), 0);
}

#[test]
fn selection_is_fast_with_many_behaviors() {
    // 75 behaviors, the path matching only the default: a smoke check that selection stays
    // in the sub-microsecond range (generous bound to stay stable on slow CI machines).
    let mut file = EdgeFile::from_json(&example("three-distributions.json")).unwrap();
    let cfg = &mut file.distributions[0].distribution_config;
    let template = cfg.cache_behaviors.items()[1].clone();
    let items: Vec<_> = (0..75)
        .map(|i| {
            let mut b = template.clone();
            b.path_pattern = match i % 3 {
                0 => format!("/section{i}/*"),
                1 => format!("*.ext{i}"),
                _ => format!("/a{i}/*/b?/*.js"),
            };
            b
        })
        .collect();
    cfg.cache_behaviors = brink_model::raw::List::from_items(items);
    let m = validate(&file).unwrap();
    let www = m.by_id("E1WWWEXAMPLE01").unwrap();
    assert_eq!(www.select_behavior_index("/a2/x/b1/app.js"), 2);
    let start = std::time::Instant::now();
    let rounds = 20_000;
    let mut hits = 0usize;
    for _ in 0..rounds {
        hits += www.select_behavior_index(std::hint::black_box("/some/deep/path/to/a/file.html"));
    }
    let per_call = start.elapsed() / rounds;
    assert_eq!(hits, 75 * rounds as usize);
    assert!(per_call.as_micros() < 50, "{per_call:?} per selection");
}

#[test]
fn the_model_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<brink_model::Model>();
    shareable::<brink_model::HostRouter>();
}

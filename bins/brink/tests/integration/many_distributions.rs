//! `brink edge` at scale: 3 distributions × 20 behaviors × 3 origins each (a plain HTTP
//! origin, an HTTPS origin signed by a private CA, and an origin group whose primary fails),
//! exercising host routing (domain names, exact and wildcard aliases), path-pattern order
//! (cloudfront.md §1.2), cache keys of managed and custom cache policies (§2.4), `OriginPath`
//! and custom headers, and origin-group failover (§7.3) in one configuration.
//!
//! Every origin answers with its own label, the exact target it received and the keyed header
//! it saw, so a body proves which origin answered and what it was asked; request counters prove
//! misses, hits and failover order.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::testkit::tls::{path_string, PemDir, TestCa};
use crate::testkit::*;

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// A custom cache policy keying (and so forwarding) the query parameter `v` and the header
/// `X-Variant`, nothing else.
const BY_VARIANT: &str = "0b5e55ed-0000-4000-8000-00000000c0de";

/// The three origin roles of a behavior (mapped to origin ids per distribution).
#[derive(Clone, Copy)]
enum Role {
    Plain,
    Tls,
    Group,
}

/// The 19 `CacheBehaviors` every distribution starts from (gamma reorders the first two):
/// overlapping patterns with `*` and `?`, the more specific one first.
const TEMPLATE: [(&str, Role, &str); 19] = [
    ("/img/*.png", Role::Tls, CACHING_OPTIMIZED),
    ("/img/*", Role::Plain, CACHING_OPTIMIZED),
    ("/api/v?/users", Role::Plain, CACHING_DISABLED),
    ("/api/*", Role::Group, CACHING_DISABLED),
    ("/search", Role::Plain, BY_VARIANT),
    ("/static/*.css", Role::Tls, CACHING_OPTIMIZED),
    ("/static/*", Role::Plain, CACHING_OPTIMIZED),
    ("/media/??/*", Role::Tls, CACHING_OPTIMIZED),
    ("/media/*", Role::Group, CACHING_OPTIMIZED),
    ("/fail/*", Role::Group, CACHING_OPTIMIZED),
    ("*.json", Role::Plain, BY_VARIANT),
    ("/docs/v1/*", Role::Tls, CACHING_DISABLED),
    ("/docs/*", Role::Plain, CACHING_OPTIMIZED),
    ("/a?c/*", Role::Tls, CACHING_OPTIMIZED),
    ("/s14/*", Role::Plain, CACHING_OPTIMIZED),
    ("/s15/*.gif", Role::Tls, CACHING_OPTIMIZED),
    ("/s16/*", Role::Group, CACHING_OPTIMIZED),
    ("/s17/*", Role::Plain, CACHING_DISABLED),
    ("/s18/*", Role::Tls, BY_VARIANT),
];

/// One distribution as the test builds it.
struct DistSpec<'a> {
    id: &'a str,
    domain: &'a str,
    aliases: &'a [&'a str],
    /// Origin ids for the plain, TLS and group roles.
    ids: [&'a str; 3],
    /// `CacheBehaviors` in order: (pattern, role, cache policy).
    behaviors: Vec<(&'a str, Role, &'a str)>,
    default_role: Role,
    /// The origins, as `Origins.Items` entries.
    origins: Vec<Value>,
    /// Failover status codes of the group.
    failover_codes: &'a [u16],
}

impl DistSpec<'_> {
    fn origin_id(&self, role: Role) -> &str {
        match role {
            Role::Plain => self.ids[0],
            Role::Tls => self.ids[1],
            Role::Group => self.ids[2],
        }
    }

    fn behavior(&self, pattern: Option<&str>, role: Role, policy: &str) -> Value {
        let mut b = json!({
            "TargetOriginId": self.origin_id(role),
            "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": policy,
        });
        if let Some(p) = pattern {
            b["PathPattern"] = json!(p);
        }
        b
    }

    fn to_json(&self) -> Value {
        let items: Vec<Value> = self
            .behaviors
            .iter()
            .map(|(p, r, c)| self.behavior(Some(p), *r, c))
            .collect();
        assert_eq!(items.len() + 1, 20, "20 behaviors per distribution");
        json!({
            "Id": self.id,
            "DomainName": self.domain,
            "DistributionConfig": {
                "CallerReference": self.id,
                "Comment": "many_distributions test",
                "Enabled": true,
                "Aliases": {"Quantity": self.aliases.len(), "Items": self.aliases},
                "Origins": {"Quantity": self.origins.len(), "Items": self.origins},
                "OriginGroups": {"Quantity": 1, "Items": [{
                    "Id": self.ids[2],
                    "FailoverCriteria": {"StatusCodes": {
                        "Quantity": self.failover_codes.len(), "Items": self.failover_codes}},
                    "Members": {"Quantity": 2, "Items": [
                        {"OriginId": format!("{}-primary", self.ids[2])},
                        {"OriginId": format!("{}-secondary", self.ids[2])}]}
                }]},
                "DefaultCacheBehavior": self.behavior(None, self.default_role, CACHING_OPTIMIZED),
                "CacheBehaviors": {"Quantity": items.len(), "Items": items},
            }
        })
    }
}

/// An `Origins.Items` entry on 127.0.0.1:`port`.
fn origin_json(
    id: &str,
    port: u16,
    https: bool,
    origin_path: Option<&str>,
    custom_header: Option<(&str, &str)>,
) -> Value {
    let mut o = json!({
        "Id": id,
        "DomainName": "127.0.0.1",
        "CustomOriginConfig": {
            "HTTPPort": if https { 80 } else { port },
            "HTTPSPort": if https { port } else { 443 },
            "OriginProtocolPolicy": if https { "https-only" } else { "http-only" },
        },
        "ConnectionAttempts": 1,
        "ConnectionTimeout": 1,
    });
    if let Some(p) = origin_path {
        o["OriginPath"] = json!(p);
    }
    if let Some((name, value)) = custom_header {
        o["CustomHeaders"] =
            json!({"Quantity": 1, "Items": [{"HeaderName": name, "HeaderValue": value}]});
    }
    o
}

fn custom_cache_policy() -> Value {
    json!({
        "Id": BY_VARIANT,
        "CachePolicyConfig": {
            "Name": "by-v-and-variant",
            "Comment": "query v and header X-Variant in the key",
            "MinTTL": 0, "DefaultTTL": 3600, "MaxTTL": 86400,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": false,
                "HeadersConfig": {"HeaderBehavior": "whitelist",
                    "Headers": {"Quantity": 1, "Items": ["X-Variant"]}},
                "CookiesConfig": {"CookieBehavior": "none"},
                "QueryStringsConfig": {"QueryStringBehavior": "whitelist",
                    "QueryStrings": {"Quantity": 1, "Items": ["v"]}},
            }
        }
    })
}

/// What an origin labelled `label` answers for `target`: its label, the target and the
/// `X-Variant` it received (`-` without one).
fn body_of(label: &str, target: &str, variant: Option<&str>) -> String {
    format!("{label} {target} x-variant={}", variant.unwrap_or("-"))
}

/// What a group's secondary answers: its label, the target, and how many times the primary had
/// been asked for `primary_target` when the secondary was asked (the primary goes first).
fn secondary_body(label: &str, target: &str, primary_tries: usize) -> String {
    format!("{label} {target} primary-tries={primary_tries}")
}

/// A named origin (the label is what its bodies carry).
struct Site {
    label: &'static str,
    origin: Arc<TestOrigin>,
}

impl Site {
    /// Answers `target` with [`body_of`] (no Cache-Control: the policy's DefaultTTL applies).
    fn serve(&self, target: &str) {
        let (label, t) = (self.label, target.to_owned());
        self.origin.route_fn(target, move |r| {
            Reply::ok(body_of(label, &t, r.header("x-variant").as_deref()))
        });
    }
}

/// An origin group: a failing primary (a TestOrigin answering `status`, or a refused port)
/// and a TestOrigin secondary.
struct Group {
    primary: Option<Arc<TestOrigin>>,
    primary_status: u16,
    secondary: Site,
}

impl Group {
    /// Routes `primary_target` to the failing status and `secondary_target` to
    /// [`secondary_body`], which counts the primary's tries of `primary_target`.
    fn serve(&self, primary_target: &str, secondary_target: &str) {
        let primary = self.primary.clone();
        if let Some(p) = &primary {
            p.route(
                primary_target,
                Reply::status(self.primary_status, "primary is down"),
            );
        }
        let (label, t, pt) = (
            self.secondary.label,
            secondary_target.to_owned(),
            primary_target.to_owned(),
        );
        self.secondary.origin.route_fn(secondary_target, move |_| {
            let tries = primary.as_ref().map_or(0, |p| p.hits(&pt));
            Reply::ok(secondary_body(label, &t, tries))
        });
    }
}

/// A cache-key case: path and query, extra request headers, whether it must be a hit, and the
/// exact body.
type KeyCase<'a> = (&'a str, &'a [(&'a str, &'a str)], bool, String);

/// Where a routing case must land.
enum To<'a> {
    /// One origin, asked for this target.
    Site(&'a Site, &'a str),
    /// A group: the primary asked for the first target (when it is a TestOrigin), then the
    /// secondary for the second.
    Group(&'a Group, &'a str, &'a str),
}

/// The whole fixture: 3 distributions' origins and the edge.
struct World {
    edge: Edge,
    sites: Vec<Arc<TestOrigin>>,
    alpha_plain: Site,
    alpha_tls: Site,
    alpha_group: Group,
    beta_plain: Site,
    beta_tls: Site,
    beta_group: Group,
    gamma_plain: Site,
    gamma_tls: Site,
    gamma_group: Group,
    _pem: PemDir,
}

impl World {
    fn total(&self) -> usize {
        self.sites.iter().map(|o| o.total()).sum()
    }

    async fn start() -> World {
        let ca = TestCa::new("Many Distributions Origin CA");
        let pem = PemDir::new();
        let ca_path = path_string(&pem.write("origin-ca.pem", &ca.pem()));
        let names = ["localhost", "127.0.0.1"];
        let plain = || async { Arc::new(TestOrigin::start().await) };
        let (ap, bp, gp) = (plain().await, plain().await, plain().await);
        let at = Arc::new(TestOrigin::start_tls(&ca.issue("alpha-tls", &names, 11)).await);
        let bt = Arc::new(TestOrigin::start_tls(&ca.issue("beta-tls", &names, 12)).await);
        let gt = Arc::new(TestOrigin::start_tls(&ca.issue("gamma-tls", &names, 13)).await);
        let (a_pri, a_sec) = (plain().await, plain().await);
        let (g_pri, g_sec) = (plain().await, plain().await);
        let b_sec = plain().await;
        // beta's primary refuses connections: a port that was bound and released.
        let refused = {
            let dead = TestOrigin::start().await;
            let p = dead.port();
            dead.shutdown();
            p
        };
        assert!(
            at.url().starts_with("https://"),
            "the TLS origins speak HTTPS"
        );

        let alpha = DistSpec {
            id: "EALPHAEXAMPLE",
            domain: "alpha.test",
            aliases: &["www.alpha.test"],
            ids: ["a-plain", "a-tls", "a-group"],
            behaviors: TEMPLATE.to_vec(),
            default_role: Role::Plain,
            origins: vec![
                origin_json(
                    "a-plain",
                    ap.port(),
                    false,
                    Some("/alpha-www"),
                    Some(("X-Origin-Secret", "alpha-s3cr3t")),
                ),
                origin_json("a-tls", at.port(), true, None, None),
                origin_json(
                    "a-group-primary",
                    a_pri.port(),
                    false,
                    Some("/primary"),
                    None,
                ),
                origin_json(
                    "a-group-secondary",
                    a_sec.port(),
                    false,
                    Some("/standby"),
                    None,
                ),
            ],
            failover_codes: &[500, 502, 503, 504],
        };
        // beta: the plain and TLS roles swapped, the default on the plain role (so on the
        // TLS origin), a wildcard alias, and a primary that refuses connections.
        let beta = DistSpec {
            id: "EBETAEXAMPLE",
            domain: "beta.test",
            aliases: &["*.beta-cdn.test"],
            ids: ["b-tls", "b-plain", "b-group"],
            behaviors: TEMPLATE.to_vec(),
            default_role: Role::Plain,
            origins: vec![
                origin_json("b-plain", bp.port(), false, None, None),
                origin_json(
                    "b-tls",
                    bt.port(),
                    true,
                    Some("/beta/v2"),
                    Some(("X-From-Edge", "beta")),
                ),
                origin_json("b-group-primary", refused, false, None, None),
                origin_json("b-group-secondary", b_sec.port(), false, None, None),
            ],
            failover_codes: &[503],
        };
        // gamma: `/img/*` before `/img/*.png` (which can then never match), the default on the
        // group, two exact aliases.
        let mut gamma_behaviors = TEMPLATE.to_vec();
        gamma_behaviors.swap(0, 1);
        let gamma = DistSpec {
            id: "EGAMMAEXAMPLE",
            domain: "gamma.test",
            aliases: &["gamma.example", "static.gamma.example"],
            ids: ["g-plain", "g-tls", "g-group"],
            behaviors: gamma_behaviors,
            default_role: Role::Group,
            origins: vec![
                origin_json("g-plain", gp.port(), false, None, Some(("X-Dist", "gamma"))),
                origin_json("g-tls", gt.port(), true, Some("/g"), None),
                origin_json("g-group-primary", g_pri.port(), false, None, None),
                origin_json(
                    "g-group-secondary",
                    g_sec.port(),
                    false,
                    Some("/backup"),
                    None,
                ),
            ],
            failover_codes: &[500, 502, 503, 504],
        };
        let config = json!({
            "Distributions": [alpha.to_json(), beta.to_json(), gamma.to_json()],
            "CachePolicies": [custom_cache_policy()],
        });
        let text = serde_json::to_string_pretty(&config).expect("serialise config");
        // The file is a valid model with 3 × 20 behaviors before the edge ever sees it.
        let model = brink_model::validate(&brink_model::EdgeFile::from_json(&text).expect("parse"))
            .expect("valid model");
        assert_eq!(model.distributions().len(), 3);
        for d in model.distributions() {
            assert_eq!(d.behaviors().len(), 20, "{}", d.id);
        }
        let edge = Edge::start_config(&text, &["--origin-ca", &ca_path]).await;

        let sites = vec![
            ap.clone(),
            at.clone(),
            a_pri.clone(),
            a_sec.clone(),
            bp.clone(),
            bt.clone(),
            b_sec.clone(),
            gp.clone(),
            gt.clone(),
            g_pri.clone(),
            g_sec.clone(),
        ];
        let site = |label, origin| Site { label, origin };
        World {
            edge,
            sites,
            alpha_plain: site("alpha-plain", ap),
            alpha_tls: site("alpha-tls", at),
            alpha_group: Group {
                primary: Some(a_pri),
                primary_status: 503,
                secondary: site("alpha-secondary", a_sec),
            },
            beta_plain: site("beta-plain", bp),
            beta_tls: site("beta-tls", bt),
            beta_group: Group {
                primary: None,
                primary_status: 0,
                secondary: site("beta-secondary", b_sec),
            },
            gamma_plain: site("gamma-plain", gp),
            gamma_tls: site("gamma-tls", gt),
            gamma_group: Group {
                primary: Some(g_pri),
                primary_status: 500,
                secondary: site("gamma-secondary", g_sec),
            },
            _pem: pem,
        }
    }

    async fn get(&self, host: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut all = vec![("host", host)];
        all.extend_from_slice(headers);
        self.edge.get_with(path, &all).await
    }

    /// GETs `host` + `path` twice: the first must be a miss answered through `to` with exactly
    /// one more request at the expected origin(s) and none elsewhere; the second a hit that
    /// reaches no origin (`cached`), or another full trip (CachingDisabled).
    async fn check(&self, host: &str, path: &str, to: To<'_>, cached: bool) {
        match &to {
            To::Site(s, t) => s.serve(t),
            To::Group(g, pt, st) => g.serve(pt, st),
        }
        let mut first_body: Option<bytes::Bytes> = None;
        for round in 0..2 {
            let ctx = format!("GET {host}{path} (request {})", round + 1);
            let before_all = self.total();
            let resp = self.get(host, path, &[]).await;
            let hit = round == 1 && cached;
            if hit {
                assert_hit(&resp, &ctx);
                assert_eq!(self.total(), before_all, "{ctx}: a hit reaches no origin");
                assert_body(&resp, first_body.as_deref().expect("first body"), &ctx);
                continue;
            }
            if cached {
                assert_miss(&resp, &ctx);
            } else {
                // CachingDisabled: straight through (RFC 9211 `fwd=request`), X-Cache Miss.
                assert_eq!(resp.status, 200, "{ctx}: {:?}", resp.headers);
                assert_x_cache(&resp, MISS, &ctx);
            }
            let expected = match &to {
                To::Site(s, t) => {
                    let seen = s.origin.expect_last(t);
                    assert_eq!(
                        s.origin.hits(t),
                        round + 1,
                        "{ctx}: {} asked for {t}",
                        s.label
                    );
                    assert_eq!(
                        seen.header("host").as_deref(),
                        Some(s.origin.authority().as_str()),
                        "{ctx}: Host toward the origin"
                    );
                    assert_eq!(
                        self.total(),
                        before_all + 1,
                        "{ctx}: only {} asked",
                        s.label
                    );
                    body_of(s.label, t, None)
                }
                To::Group(g, pt, st) => {
                    assert_eq!(
                        g.secondary.origin.hits(st),
                        round + 1,
                        "{ctx}: secondary {} asked for {st}",
                        g.secondary.label
                    );
                    assert_eq!(
                        g.secondary.origin.expect_last(st).header("host").as_deref(),
                        Some(g.secondary.origin.authority().as_str()),
                        "{ctx}: Host toward the secondary"
                    );
                    let tries = match &g.primary {
                        Some(p) => {
                            assert_eq!(
                                p.hits(pt),
                                round + 1,
                                "{ctx}: the primary is tried first, every time"
                            );
                            assert_eq!(
                                self.total(),
                                before_all + 2,
                                "{ctx}: primary + secondary only"
                            );
                            p.hits(pt)
                        }
                        None => {
                            assert_eq!(
                                self.total(),
                                before_all + 1,
                                "{ctx}: secondary only (the primary refuses)"
                            );
                            0
                        }
                    };
                    secondary_body(g.secondary.label, st, tries)
                }
            };
            assert_body(&resp, expected.as_bytes(), &ctx);
            first_body = Some(resp.body.clone());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_distributions_of_twenty_behaviors_route_key_and_fail_over() {
    let w = World::start().await;
    let (ap, at, ag) = (&w.alpha_plain, &w.alpha_tls, &w.alpha_group);

    // ---- alpha: the template in order, plain origin with OriginPath + custom header. ----
    w.check(
        "alpha.test",
        "/img/logo.png",
        To::Site(at, "/img/logo.png"),
        true,
    )
    .await;
    w.check(
        "alpha.test",
        "/img/logo.gif",
        To::Site(ap, "/alpha-www/img/logo.gif"),
        true,
    )
    .await;
    let seen = ap.origin.expect_last("/alpha-www/img/logo.gif");
    assert_eq!(
        seen.header("x-origin-secret").as_deref(),
        Some("alpha-s3cr3t"),
        "the origin's custom header"
    );
    // `?` is one character: v1 matches `/api/v?/users` (CachingDisabled), v10 falls through to
    // `/api/*`, the group with CachingDisabled: the failing primary is asked every time.
    w.check(
        "alpha.test",
        "/api/v1/users",
        To::Site(ap, "/alpha-www/api/v1/users"),
        false,
    )
    .await;
    w.check(
        "alpha.test",
        "/api/v10/users",
        To::Group(ag, "/primary/api/v10/users", "/standby/api/v10/users"),
        false,
    )
    .await;
    w.check(
        "alpha.test",
        "/static/site.css",
        To::Site(at, "/static/site.css"),
        true,
    )
    .await;
    w.check(
        "alpha.test",
        "/static/site.js",
        To::Site(ap, "/alpha-www/static/site.js"),
        true,
    )
    .await;
    w.check(
        "alpha.test",
        "/media/hd/clip.mp4",
        To::Site(at, "/media/hd/clip.mp4"),
        true,
    )
    .await;
    w.check(
        "alpha.test",
        "/media/hdr/clip.mp4",
        To::Group(
            ag,
            "/primary/media/hdr/clip.mp4",
            "/standby/media/hdr/clip.mp4",
        ),
        true,
    )
    .await;
    // `*.json` comes before `/docs/*`; `/docs/v1/*` (TLS, CachingDisabled) before `/docs/*`.
    w.check(
        "alpha.test",
        "/docs/a.json",
        To::Site(ap, "/alpha-www/docs/a.json"),
        true,
    )
    .await;
    w.check(
        "alpha.test",
        "/docs/v1/intro",
        To::Site(at, "/docs/v1/intro"),
        false,
    )
    .await;
    w.check(
        "alpha.test",
        "/docs/v2/intro",
        To::Site(ap, "/alpha-www/docs/v2/intro"),
        true,
    )
    .await;
    w.check("alpha.test", "/abc/x", To::Site(at, "/abc/x"), true)
        .await;
    w.check(
        "alpha.test",
        "/abbc/x",
        To::Site(ap, "/alpha-www/abbc/x"),
        true,
    )
    .await;
    w.check("alpha.test", "/s15/a.gif", To::Site(at, "/s15/a.gif"), true)
        .await;
    w.check(
        "alpha.test",
        "/s15/a.png",
        To::Site(ap, "/alpha-www/s15/a.png"),
        true,
    )
    .await;
    w.check("alpha.test", "/", To::Site(ap, "/alpha-www/"), true)
        .await;
    // The alias shares alpha's cache.
    let before = w.total();
    let r = w.get("www.alpha.test", "/img/logo.png", &[]).await;
    assert_hit(&r, "alias www.alpha.test");
    assert_body(
        &r,
        body_of("alpha-tls", "/img/logo.png", None).as_bytes(),
        "alias",
    );
    assert_eq!(w.total(), before, "the alias's hit reaches no origin");

    // ---- beta: roles swapped, wildcard alias, the primary refuses connections. ----
    let (bp, bt, bg) = (&w.beta_plain, &w.beta_tls, &w.beta_group);
    w.check(
        "x.beta-cdn.test",
        "/img/logo.png",
        To::Site(bp, "/img/logo.png"),
        true,
    )
    .await;
    w.check(
        "beta.test",
        "/img/logo.gif",
        To::Site(bt, "/beta/v2/img/logo.gif"),
        true,
    )
    .await;
    assert_eq!(
        bt.origin
            .expect_last("/beta/v2/img/logo.gif")
            .header("x-from-edge")
            .as_deref(),
        Some("beta"),
        "the HTTPS origin's custom header"
    );
    w.check(
        "beta.test",
        "/fail/now",
        To::Group(bg, "", "/fail/now"),
        true,
    )
    .await;
    w.check(
        "a.b.beta-cdn.test",
        "/s16/deep/x",
        To::Group(bg, "", "/s16/deep/x"),
        true,
    )
    .await;
    w.check(
        "beta.test",
        "/api/v2/users",
        To::Site(bt, "/beta/v2/api/v2/users"),
        false,
    )
    .await;
    w.check(
        "beta.test",
        "/unmatched/path",
        To::Site(bt, "/beta/v2/unmatched/path"),
        true,
    )
    .await;
    // Every name of the wildcard reaches the same cache.
    let r = w.get("Other.Beta-CDN.test", "/fail/now", &[]).await;
    assert_hit(&r, "wildcard alias, any label, any case");
    assert_body(
        &r,
        secondary_body("beta-secondary", "/fail/now", 0).as_bytes(),
        "wildcard",
    );

    // ---- gamma: `/img/*` shadows `/img/*.png`; the default behavior is the group. ----
    let (gp, gt, gg) = (&w.gamma_plain, &w.gamma_tls, &w.gamma_group);
    w.check(
        "gamma.test",
        "/img/logo.png",
        To::Site(gp, "/img/logo.png"),
        true,
    )
    .await;
    assert_eq!(
        gp.origin
            .expect_last("/img/logo.png")
            .header("x-dist")
            .as_deref(),
        Some("gamma")
    );
    w.check(
        "static.gamma.example",
        "/img/a/b.png",
        To::Site(gp, "/img/a/b.png"),
        true,
    )
    .await;
    w.check("gamma.example", "/", To::Group(gg, "/", "/backup/"), true)
        .await;
    w.check(
        "gamma.test",
        "/anything/else.html",
        To::Group(gg, "/anything/else.html", "/backup/anything/else.html"),
        true,
    )
    .await;
    w.check(
        "gamma.test",
        "/media/hd/x",
        To::Site(gt, "/g/media/hd/x"),
        true,
    )
    .await;
    w.check(
        "gamma.test",
        "/s17/nocache",
        To::Site(gp, "/s17/nocache"),
        false,
    )
    .await;

    // ---- cache keys: the custom policy keys `v` and `X-Variant`, nothing else. ----
    ap.serve("/alpha-www/search?v=1");
    ap.serve("/alpha-www/search?v=2");
    let key = |q: &str, variant: Option<&str>| body_of("alpha-plain", q, variant);
    let cases: [KeyCase<'_>; 7] = [
        (
            "/search?utm=a&v=1",
            &[],
            false,
            key("/alpha-www/search?v=1", None),
        ),
        // Another `utm` (not keyed) merges; the origin never saw it.
        (
            "/search?v=1&utm=b",
            &[],
            true,
            key("/alpha-www/search?v=1", None),
        ),
        (
            "/search?v=2",
            &[],
            false,
            key("/alpha-www/search?v=2", None),
        ),
        (
            "/search?v=1",
            &[("x-variant", "blue")],
            false,
            key("/alpha-www/search?v=1", Some("blue")),
        ),
        // A header outside the key does not split it.
        (
            "/search?v=1&utm=c",
            &[("x-variant", "blue"), ("x-other", "z")],
            true,
            key("/alpha-www/search?v=1", Some("blue")),
        ),
        (
            "/search?v=1",
            &[("x-variant", "red")],
            false,
            key("/alpha-www/search?v=1", Some("red")),
        ),
        ("/search?v=1", &[], true, key("/alpha-www/search?v=1", None)),
    ];
    for (path, headers, hit, body) in cases {
        let ctx = format!("GET alpha.test{path} {headers:?}");
        let before = w.total();
        let r = w.get("alpha.test", path, headers).await;
        if hit {
            assert_hit(&r, &ctx);
            assert_eq!(w.total(), before, "{ctx}: a hit");
        } else {
            assert_miss(&r, &ctx);
            assert_eq!(w.total(), before + 1, "{ctx}: one origin request");
        }
        assert_body(&r, body.as_bytes(), &ctx);
    }
    assert_eq!(
        ap.origin.hits("/alpha-www/search?v=1"),
        3,
        "none, blue, red"
    );
    assert_eq!(ap.origin.hits("/alpha-www/search?v=2"), 1);
    let seen = ap.origin.expect_last("/alpha-www/search?v=1");
    assert!(
        !seen.has("x-other"),
        "headers outside the policy are not forwarded"
    );
    // CachingOptimized keys no query string and forwards none, nor the X-Variant header.
    let before = w.total();
    let r = w
        .get("alpha.test", "/img/logo.png?x=2", &[("x-variant", "green")])
        .await;
    assert_hit(&r, "CachingOptimized ignores the query and X-Variant");
    assert_body(
        &r,
        body_of("alpha-tls", "/img/logo.png", None).as_bytes(),
        "same object",
    );
    assert_eq!(w.total(), before);
    assert_eq!(
        at.origin
            .requests()
            .iter()
            .filter(|r| r.has("x-variant") || r.target.contains('?'))
            .count(),
        0,
        "nothing outside the key reached the TLS origin"
    );

    // ---- unknown hosts: 403 from the edge, no origin asked. ----
    let before = w.total();
    for host in [
        "nobody.test",
        "beta-cdn.test",
        "alpha.test.evil",
        "xalpha.test",
    ] {
        let r = w.get(host, "/img/logo.png", &[]).await;
        assert_eq!(r.status, 403, "{host}: {:?}", r.headers);
        assert_x_cache(&r, ERROR, host);
    }
    assert_eq!(w.total(), before, "no origin saw an unknown host");
}

//! Bans under arbitrary interleavings: random sequences of fills started and finished,
//! lookups, bans (exact, variants, wildcard), exact purges and lurker steps of any size (so a
//! pass is cut anywhere by the others). After every lookup: an object served was stored by a
//! fill that started after every ban (and exact purge) matching its key. At the end: the
//! lurker retires every ban, and nothing banned is left in the index.

use super::*;
use brink_http::freshness::{AgeBase, Lifetimes};
use brink_http::vary::{VaryNames, VaryValues};
use http::StatusCode;
use proptest::prelude::*;
use std::time::{Duration, UNIX_EPOCH};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn meta() -> Meta {
    Meta::new(
        StatusCode::OK,
        HeaderMap::new().into(),
        Lifetimes {
            fresh: Duration::from_secs(3600),
            stale_while_revalidate: Duration::ZERO,
            stale_if_error: Duration::ZERO,
            must_revalidate: false,
        },
        AgeBase {
            response_time: now(),
            initial_age: Duration::ZERO,
        },
        VaryNames::default(),
        VaryValues::default(),
    )
}

const SCOPES: [&str; 2] = ["A", "B"];
const TARGETS: [&str; 8] = [
    "/x/0",
    "/x/1",
    "/x/1\nh:1",
    "/x/1\nh:2",
    "/x/10",
    "/y/0",
    "/y/0\nh:1\nc:2",
    "/",
];
const PREFIXES: [&str; 5] = ["/", "/x/", "/x/1", "/y", "/z"];

#[derive(Debug, Clone)]
enum Op {
    /// Look up key (scope, target): a hit is checked; a miss starts a fill (kept open).
    Lookup(usize, usize),
    /// Finish the open fill number n (modulo the open ones).
    Finish(usize),
    /// Abandon the open fill number n.
    Abandon(usize),
    /// Ban, in a scope: exact target, its variants, or a wildcard prefix.
    BanExact(usize, usize),
    BanVariants(usize, usize),
    BanPrefix(usize, usize),
    /// `Cache::purge` of an exact target (removed at once, no ban).
    PurgeExact(usize, usize),
    /// The lurker tests this many shards.
    Lurk(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let key = (0..SCOPES.len(), 0..TARGETS.len());
    prop_oneof![
        6 => key.clone().prop_map(|(s, t)| Op::Lookup(s, t)),
        4 => (0usize..8).prop_map(Op::Finish),
        1 => (0usize..8).prop_map(Op::Abandon),
        1 => key.clone().prop_map(|(s, t)| Op::BanExact(s, t)),
        1 => (0..SCOPES.len(), 0..6usize).prop_map(|(s, t)| Op::BanVariants(s, t)),
        1 => (0..SCOPES.len(), 0..PREFIXES.len()).prop_map(|(s, p)| Op::BanPrefix(s, p)),
        1 => key.prop_map(|(s, t)| Op::PurgeExact(s, t)),
        3 => prop_oneof![1usize..40, 200usize..1100].prop_map(Op::Lurk),
    ]
}

/// What the model knows: every ban with the step it was added at; every stored object with
/// the step its fill started at.
#[derive(Default)]
struct Model {
    bans: Vec<(u64, &'static str, BanPattern)>,
    stored: Vec<(Arc<Object>, u64)>,
}

impl Model {
    /// The ban (step, pattern) that should have kept `object` (filled from `started`) out.
    fn violated_by(
        &self,
        object: &Object,
        started: u64,
    ) -> Option<&(u64, &'static str, BanPattern)> {
        self.bans.iter().find(|(at, scope, p)| {
            *at > started && *scope == object.key.scope() && p.matches(object.key.target())
        })
    }

    fn started(&self, object: &Arc<Object>) -> Option<u64> {
        self.stored
            .iter()
            .find(|(o, _)| Arc::ptr_eq(o, object))
            .map(|(_, s)| *s)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_banned_object_is_never_served_and_bans_retire(ops in prop::collection::vec(op(), 1..120)) {
        let cache = Cache::without_lurker(CacheConfig::with_capacity(1 << 24));
        let mut model = Model::default();
        let mut open: Vec<(FillGuard, u64)> = Vec::new();
        let mut cursor = LurkerCursor::default();
        for (step, op) in ops.iter().enumerate() {
            let step = step as u64 + 1;
            match *op {
                Op::Lookup(s, t) => {
                    let key = CacheKey::new(SCOPES[s], TARGETS[t]);
                    match cache.lookup(&key, &HeaderMap::new(), now(), true) {
                        Lookup::Fresh(o) => {
                            let started = model.started(&o);
                            prop_assert!(started.is_some(), "served an object nobody stored");
                            let started = started.unwrap_or(0);
                            if let Some(b) = model.violated_by(&o, started) {
                                return Err(TestCaseError::fail(format!(
                                    "step {step}: served {:?} filled at step {started}, banned at step {} by {:?}",
                                    o.key.target(), b.0, b.2
                                )));
                            }
                        }
                        Lookup::Fetch(g, _) => open.push((g, step)),
                        Lookup::Wait(_) | Lookup::StaleWhileRevalidate(..) => {}
                    }
                }
                Op::Finish(n) if !open.is_empty() => {
                    let (g, started) = open.remove(n % open.len());
                    let o = g.store(meta(), Body::complete(Bytes::from_static(b"x")));
                    model.stored.push((o, started));
                }
                Op::Abandon(n) if !open.is_empty() => {
                    drop(open.remove(n % open.len()));
                }
                Op::Finish(_) | Op::Abandon(_) => {}
                Op::BanExact(s, t) => {
                    let p = BanPattern::Exact(TARGETS[t].to_owned());
                    cache.ban(SCOPES[s], &p);
                    model.bans.push((step, SCOPES[s], p));
                }
                Op::BanVariants(s, t) => {
                    let p = BanPattern::Variants(TARGETS[t].to_owned());
                    cache.ban(SCOPES[s], &p);
                    model.bans.push((step, SCOPES[s], p));
                }
                Op::BanPrefix(s, p) => {
                    let p = BanPattern::Prefix(PREFIXES[p].to_owned());
                    cache.ban(SCOPES[s], &p);
                    model.bans.push((step, SCOPES[s], p));
                }
                Op::PurgeExact(s, t) => {
                    cache.purge(SCOPES[s], &PurgePattern::Exact(TARGETS[t].to_owned()));
                    model.bans.push((step, SCOPES[s], BanPattern::Exact(TARGETS[t].to_owned())));
                }
                Op::Lurk(n) => {
                    cache.lurker_step(&mut cursor, n);
                }
            }
        }
        // Whatever was still in flight finishes now (after every ban).
        for (g, started) in open.drain(..) {
            let o = g.store(meta(), Body::complete(Bytes::from_static(b"x")));
            model.stored.push((o, started));
        }
        // Eventually retired: a bounded number of passes (two: one may have started before
        // the last ban).
        let mut steps = 0;
        while cache.lurker_step(&mut cursor, 64) {
            steps += 1;
            prop_assert!(steps <= 2 * SHARDS / 64 + 2, "the lurker never retires its bans");
        }
        prop_assert_eq!(cache.ban_stats().active, 0);
        // Nothing banned is left in the index, and nothing there is unknown.
        for shard in cache.shards.iter() {
            for slot in shard.read().iter() {
                for o in slot.variants() {
                    let started = model.started(o);
                    prop_assert!(started.is_some());
                    if let Some(b) = model.violated_by(o, started.unwrap_or(0)) {
                        return Err(TestCaseError::fail(format!(
                            "left in the index after retirement: {:?}, banned at step {} by {:?}",
                            o.key.target(), b.0, b.2
                        )));
                    }
                }
            }
        }
        // And every key can still be looked up (a survivor is served, the rest miss).
        for s in SCOPES {
            for t in TARGETS {
                let key = CacheKey::new(s, t);
                if let Lookup::Fresh(o) = cache.lookup(&key, &HeaderMap::new(), now(), false) {
                    let started = model.started(&o).unwrap_or(0);
                    prop_assert!(model.violated_by(&o, started).is_none(), "{t:?} served after retirement");
                }
            }
        }
    }
}

/// The indexed check (hash map per scope, wildcard list) agrees with the patterns' own
/// `matches` for any target, any mark.
#[test]
fn indexed_check_agrees_with_the_patterns() {
    let bans = ban::Bans::default();
    let mut all = Vec::new();
    for (i, t) in TARGETS.iter().enumerate() {
        let p = if i % 2 == 0 {
            BanPattern::Exact((*t).to_owned())
        } else {
            BanPattern::Variants((*t).to_owned())
        };
        all.push((bans.add("A", &p), "A", p));
    }
    for p in PREFIXES.iter().skip(1) {
        let p = BanPattern::Prefix((*p).to_owned());
        all.push((bans.add("B", &p), "B", p));
    }
    for scope in SCOPES {
        for target in TARGETS
            .iter()
            .chain(["/x/1\n", "/x/1\nh:1\nz", "/q"].iter())
        {
            for mark in 0..=all.len() as u64 {
                let expect = all
                    .iter()
                    .any(|(seq, s, p)| *seq > mark && *s == scope && p.matches(target));
                let got = bans.check(scope, target, mark) == ban::Verdict::Banned;
                assert_eq!(got, expect, "{scope} {target:?} mark {mark}");
            }
        }
    }
}

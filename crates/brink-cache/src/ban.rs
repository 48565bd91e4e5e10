//! Invalidation without scanning: bans.
//!
//! A purge that cannot name its keys (a wildcard, or every header/cookie/encoding variant of
//! a path) becomes a *ban*: a (scope, pattern, sequence number) record appended to the cache's
//! [`Bans`] in O(1) (O(log n) for the exact-path map). Every stored object carries a *mark*,
//! the newest ban sequence it is known to survive (at store time: the sequence current when its
//! fill started, checked again on insert). A lookup tests an object only against bans newer than
//! its mark, treats a match as a miss and removes the object; a survivor's mark advances, so each
//! object is tested against each ban at most once. A background *lurker* walks the index one
//! shard at a time (short lock holds) doing the same test for objects nobody asks for, and once
//! a whole pass has started after a ban, that ban is retired: every object older than it has
//! been tested. This is Varnish's ban list with its lurker (`bin/varnishd/cache/cache_ban.c`),
//! reduced to the two pattern kinds CloudFront invalidations have (docs/decisions/0004-bans.md).
//!
//! Exact-target bans (and "every variant of this target", the `<target>\n` prefix) sit in a
//! hash map per scope, so thousands of them cost one or two hash probes per test; only true
//! wildcard bans are walked, newest first, and only those newer than the object's mark.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use brink_http::key::{CacheKey, PurgePattern};
use parking_lot::RwLock;

/// What one ban removes, within its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BanPattern {
    /// Exactly this target.
    Exact(String),
    /// Every variant of this target: targets that start with it followed by `\n` (keyed
    /// headers, cookies and the normalised `Accept-Encoding` follow a `\n` in the key), but not
    /// the target itself.
    Variants(String),
    /// Every target that starts with this prefix.
    Prefix(String),
}

impl BanPattern {
    /// The ban that removes what `pattern` matches. A prefix ending in `\n` is the variants of
    /// one target, kept in the hash map rather than the wildcard list.
    pub fn from_purge(pattern: &PurgePattern) -> BanPattern {
        match pattern {
            PurgePattern::Exact(t) => BanPattern::Exact(t.clone()),
            PurgePattern::Prefix(p) => match p.strip_suffix('\n') {
                Some(base) => BanPattern::Variants(base.to_owned()),
                None => BanPattern::Prefix(p.clone()),
            },
        }
    }

    /// True when `target` is removed by this pattern (the reference the property tests hold
    /// the indexed check to).
    pub fn matches(&self, target: &str) -> bool {
        match self {
            BanPattern::Exact(t) => t == target,
            BanPattern::Variants(t) => target
                .strip_prefix(t.as_str())
                .is_some_and(|rest| rest.starts_with('\n')),
            BanPattern::Prefix(p) => target.starts_with(p.as_str()),
        }
    }
}

/// The newest exact and variants bans of one target.
#[derive(Debug, Default, Clone, Copy)]
struct TargetBans {
    exact: u64,
    variants: u64,
}

/// A wildcard ban.
#[derive(Debug, Clone)]
struct PrefixBan {
    seq: u64,
    scope: Box<str>,
    prefix: Box<str>,
}

/// The active bans. Sequence numbers start at 1; 0 means "no ban".
#[derive(Debug, Default, Clone)]
struct List {
    /// Sequence of the newest ban ever added.
    newest: u64,
    /// Wildcard bans, oldest first.
    prefixes: VecDeque<PrefixBan>,
    /// Exact and variants bans: scope → target → newest sequences.
    targets: HashMap<Box<str>, HashMap<Box<str>, TargetBans>>,
    /// Every hash-map ban in sequence order, to retire them: (seq, scope, target).
    target_order: VecDeque<(u64, Box<str>, Box<str>)>,
}

impl List {
    /// True when a ban newer than `mark` removes `target` in `scope`.
    fn matches(&self, scope: &str, target: &str, mark: u64) -> bool {
        if let Some(map) = self.targets.get(scope) {
            // (A variants ban on the target itself does not match it.)
            if map.get(target).is_some_and(|b| b.exact > mark) {
                return true;
            }
            // A variants ban on `t` matches targets `t\n…`: probe every prefix that ends just
            // before a `\n`.
            for (i, _) in target.match_indices('\n') {
                if let Some(b) = map.get(&target[..i]) {
                    if b.variants > mark {
                        return true;
                    }
                }
            }
        }
        self.prefixes
            .iter()
            .rev()
            .take_while(|b| b.seq > mark)
            .any(|b| &*b.scope == scope && target.starts_with(&*b.prefix))
    }

    fn active(&self) -> usize {
        self.prefixes.len() + self.target_order.len()
    }

    fn oldest(&self) -> Option<u64> {
        let p = self.prefixes.front().map(|b| b.seq);
        let t = self.target_order.front().map(|b| b.0);
        match (p, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A cache's ban list.
#[derive(Debug, Default)]
pub(crate) struct Bans {
    /// The newest sequence, readable without the lock: a lookup of an object whose mark is at
    /// least this tests nothing.
    head: AtomicU64,
    /// Every ban at or below this sequence is retired: an object or a fill whose mark is below
    /// it cannot be tested any more (only the lurker's guarantee covers it).
    retired: AtomicU64,
    /// Copy-on-write: the lurker keeps an `Arc` of the list while it tests a shard, so a ban
    /// added meanwhile never waits for it (the writer copies the list only then).
    list: RwLock<Arc<List>>,
    /// Objects removed by the lurker.
    pub(crate) lurker_removals: AtomicU64,
    /// Objects found banned by a lookup (or an insert) and removed there.
    pub(crate) lookup_removals: AtomicU64,
    /// Bans added since start.
    pub(crate) added: AtomicU64,
}

/// The outcome of testing one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// No ban newer than the mark matches; the object's new mark.
    Survives(u64),
    /// A ban removes it.
    Banned,
}

impl Bans {
    /// The sequence of the newest ban (0: none yet).
    pub(crate) fn head(&self) -> u64 {
        self.head.load(Ordering::Acquire)
    }

    /// Every ban at or below this sequence is retired.
    pub(crate) fn retired(&self) -> u64 {
        self.retired.load(Ordering::Acquire)
    }

    /// Appends a ban; its sequence number. In force for every lookup that starts after this
    /// returns.
    pub(crate) fn add(&self, scope: &str, pattern: &BanPattern) -> u64 {
        let mut guard = self.list.write();
        let list = Arc::make_mut(&mut guard);
        list.newest += 1;
        let seq = list.newest;
        match pattern {
            BanPattern::Prefix(p) => list.prefixes.push_back(PrefixBan {
                seq,
                scope: scope.into(),
                prefix: p.as_str().into(),
            }),
            BanPattern::Exact(t) | BanPattern::Variants(t) => {
                let entry = list
                    .targets
                    .entry(scope.into())
                    .or_default()
                    .entry(t.as_str().into())
                    .or_default();
                if matches!(pattern, BanPattern::Exact(_)) {
                    entry.exact = seq;
                } else {
                    entry.variants = seq;
                }
                list.target_order
                    .push_back((seq, scope.into(), t.as_str().into()));
            }
        }
        self.head.store(seq, Ordering::Release);
        self.added.fetch_add(1, Ordering::Relaxed);
        seq
    }

    /// Tests an object of `scope` + `target` whose mark is `mark` against the bans newer than
    /// it. Cheap (one atomic load) when there are none.
    pub(crate) fn check(&self, scope: &str, target: &str, mark: u64) -> Verdict {
        if mark >= self.head() {
            return Verdict::Survives(mark);
        }
        let list = self.list.read();
        Self::check_in(&list, scope, target, mark)
    }

    fn check_in(list: &List, scope: &str, target: &str, mark: u64) -> Verdict {
        if mark >= list.newest {
            Verdict::Survives(mark)
        } else if list.matches(scope, target, mark) {
            Verdict::Banned
        } else {
            Verdict::Survives(list.newest)
        }
    }

    /// Runs `f` with a checker that holds the list's read lock throughout (the lurker tests a
    /// whole shard under one acquisition).
    pub(crate) fn with_checker<R>(
        &self,
        f: impl FnOnce(&dyn Fn(&CacheKey, u64) -> Verdict) -> R,
    ) -> R {
        let list = self.list.read().clone();
        f(&|key, mark| {
            // An object already past every ban costs one comparison: its key is not read.
            if mark >= list.newest {
                Verdict::Survives(mark)
            } else {
                Self::check_in(&list, key.scope(), key.target(), mark)
            }
        })
    }

    /// Retires every ban at or below `upto`: the lurker finished a pass that started after
    /// they were added. Returns how many were retired.
    pub(crate) fn retire(&self, upto: u64) -> usize {
        let mut guard = self.list.write();
        let list = Arc::make_mut(&mut guard);
        let before = list.active();
        while list.prefixes.front().is_some_and(|b| b.seq <= upto) {
            list.prefixes.pop_front();
        }
        while list.target_order.front().is_some_and(|b| b.0 <= upto) {
            let Some((_, scope, target)) = list.target_order.pop_front() else {
                break;
            };
            let mut empty_scope = false;
            if let Some(map) = list.targets.get_mut(&scope) {
                if let Some(b) = map.get_mut(&target) {
                    if b.exact <= upto {
                        b.exact = 0;
                    }
                    if b.variants <= upto {
                        b.variants = 0;
                    }
                    if b.exact == 0 && b.variants == 0 {
                        map.remove(&target);
                    }
                }
                empty_scope = map.is_empty();
            }
            if empty_scope {
                list.targets.remove(&scope);
            }
        }
        self.retired.fetch_max(upto, Ordering::AcqRel);
        before - list.active()
    }

    /// Bans added and not yet retired.
    pub(crate) fn active(&self) -> usize {
        self.list.read().active()
    }

    /// The oldest active ban's sequence.
    pub(crate) fn oldest_active(&self) -> Option<u64> {
        self.list.read().oldest()
    }

    /// The active bans, oldest first (for the disk tier's ban file).
    pub(crate) fn snapshot(&self) -> Vec<(String, BanPattern)> {
        let list = self.list.read();
        let mut out: Vec<(u64, String, BanPattern)> = list
            .prefixes
            .iter()
            .map(|b| {
                (
                    b.seq,
                    b.scope.to_string(),
                    BanPattern::Prefix(b.prefix.to_string()),
                )
            })
            .collect();
        for (seq, scope, target) in &list.target_order {
            let Some(b) = list.targets.get(scope).and_then(|m| m.get(target)) else {
                continue;
            };
            if b.exact == *seq {
                out.push((
                    *seq,
                    scope.to_string(),
                    BanPattern::Exact(target.to_string()),
                ));
            }
            if b.variants == *seq {
                out.push((
                    *seq,
                    scope.to_string(),
                    BanPattern::Variants(target.to_string()),
                ));
            }
        }
        out.sort_by_key(|b| b.0);
        out.into_iter().map(|(_, s, p)| (s, p)).collect()
    }
}

/// Encodes a ban as one line of the disk tier's ban file: a kind letter, then the scope and
/// the pattern each as `<length>:<bytes>` (so any byte, `\n` included, round-trips).
pub fn encode_line(scope: &str, pattern: &BanPattern) -> String {
    let (kind, text) = match pattern {
        BanPattern::Exact(t) => ('E', t),
        BanPattern::Variants(t) => ('V', t),
        BanPattern::Prefix(p) => ('P', p),
    };
    format!("{kind}{}:{scope}{}:{text}\n", scope.len(), text.len())
}

/// Decodes a ban file's contents; a damaged or truncated tail (a crash mid-append) ends the
/// list.
pub fn decode_lines(mut data: &str) -> Vec<(String, BanPattern)> {
    fn field(data: &str) -> Option<(&str, &str)> {
        let (len, rest) = data.split_once(':')?;
        let len: usize = len.parse().ok()?;
        if rest.len() < len || !rest.is_char_boundary(len) {
            return None;
        }
        Some(rest.split_at(len))
    }
    let mut out = Vec::new();
    while !data.is_empty() {
        let mut chars = data.chars();
        let kind = chars.next();
        let Some((scope, rest)) = field(chars.as_str()) else {
            break;
        };
        let Some((text, rest)) = field(rest) else {
            break;
        };
        let Some(rest) = rest.strip_prefix('\n') else {
            break;
        };
        let pattern = match kind {
            Some('E') => BanPattern::Exact(text.to_owned()),
            Some('V') => BanPattern::Variants(text.to_owned()),
            Some('P') => BanPattern::Prefix(text.to_owned()),
            _ => break,
        };
        out.push((scope.to_owned(), pattern));
        data = rest;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_variants_and_prefix() {
        let bans = Bans::default();
        assert_eq!(bans.check("s", "/a", 0), Verdict::Survives(0));
        let e = bans.add("s", &BanPattern::Exact("/a".into()));
        let v = bans.add("s", &BanPattern::Variants("/b".into()));
        let p = bans.add("s", &BanPattern::Prefix("/img/".into()));
        assert_eq!((e, v, p), (1, 2, 3));
        assert_eq!(bans.check("s", "/a", 0), Verdict::Banned);
        assert_eq!(
            bans.check("t", "/a", 0),
            Verdict::Survives(3),
            "other scope"
        );
        assert_eq!(bans.check("s", "/a\nx", 0), Verdict::Survives(3));
        assert_eq!(bans.check("s", "/b", 0), Verdict::Survives(3));
        assert_eq!(bans.check("s", "/b\nae:gzip", 0), Verdict::Banned);
        assert_eq!(bans.check("s", "/b\nx\ny", 0), Verdict::Banned);
        assert_eq!(bans.check("s", "/bc\nx", 0), Verdict::Survives(3));
        assert_eq!(bans.check("s", "/img/1", 0), Verdict::Banned);
        assert_eq!(
            bans.check("s", "/img/1", 3),
            Verdict::Survives(3),
            "older than the mark"
        );
        assert_eq!(bans.check("s", "/a", 1), Verdict::Survives(3));
        assert_eq!(bans.active(), 3);
        assert_eq!(bans.retire(2), 2);
        assert_eq!(bans.check("s", "/a", 0), Verdict::Survives(3), "retired");
        assert_eq!(bans.check("s", "/img/x", 0), Verdict::Banned);
        assert_eq!(bans.retire(3), 1);
        assert_eq!(bans.active(), 0);
        assert_eq!(bans.oldest_active(), None);
    }

    #[test]
    fn lines_round_trip_and_stop_at_damage() {
        let bans = [
            ("E1".to_owned(), BanPattern::Exact("/a\nb:c".into())),
            (String::new(), BanPattern::Prefix("/".into())),
            ("E2".to_owned(), BanPattern::Variants("/é".into())),
        ];
        let text: String = bans.iter().map(|(s, p)| encode_line(s, p)).collect();
        assert_eq!(decode_lines(&text), bans.to_vec());
        assert_eq!(decode_lines(&text[..text.len() - 3]), bans[..2].to_vec());
        assert_eq!(decode_lines("X1:a1:b\n"), Vec::new());
    }

    #[test]
    fn from_purge_maps_the_variants_prefix() {
        assert_eq!(
            BanPattern::from_purge(&PurgePattern::Prefix("/a\n".into())),
            BanPattern::Variants("/a".into())
        );
        assert_eq!(
            BanPattern::from_purge(&PurgePattern::Prefix("/a".into())),
            BanPattern::Prefix("/a".into())
        );
        for t in ["/a", "/a\n", "/a\nx", "/ab\n", "/"] {
            assert_eq!(
                BanPattern::from_purge(&PurgePattern::Prefix("/a\n".into())).matches(t),
                PurgePattern::Prefix("/a\n".into()).matches(t),
                "{t:?}"
            );
        }
    }
}

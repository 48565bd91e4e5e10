//! Cache keys and purge patterns.
//!
//! A key is a *scope* (empty for `brink serve`; later the distribution and the method class,
//! cloudfront.md §2.4) plus the request target (path and query, exactly as requested). Headers
//! never enter the primary key: `Vary` selects variants under it ([`crate::vary`]), which is how
//! an unkeyed header is kept from poisoning a stored object.

use std::hash::{BuildHasher, Hash, Hasher};

/// A primary cache key with its hash computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    /// `<scope length>:<scope><target>`: the length prefix makes the encoding injective.
    /// Shared, because the index, the object and its fill each hold the key.
    text: std::sync::Arc<str>,
    hash: u64,
}

impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Fixed-seed hasher so that a key's hash is stable within a process run (shard choice) without
/// being attacker-predictable across builds.
fn key_hasher() -> foldhash::quality::FixedState {
    foldhash::quality::FixedState::with_seed(0x6272_696e_6b5f_6b65)
}

impl CacheKey {
    /// The key of `target` (path and query as requested) within `scope`.
    pub fn new(scope: &str, target: &str) -> CacheKey {
        CacheKey::build(scope, target.len(), |text| text.push_str(target))
    }

    /// The key of `scope` and the target `write_target` appends to the buffer it is given
    /// (`capacity`: the expected target length), so a composed target is written once, in
    /// place, instead of being assembled elsewhere and copied in.
    pub fn build(scope: &str, capacity: usize, write_target: impl FnOnce(&mut String)) -> CacheKey {
        let mut text = String::with_capacity(scope.len() + capacity + 4);
        text.push_str(itoa::Buffer::new().format(scope.len()));
        text.push(':');
        text.push_str(scope);
        write_target(&mut text);
        let hash = key_hasher().hash_one(text.as_bytes());
        CacheKey {
            text: text.into(),
            hash,
        }
    }

    /// The key's encoded text (`<scope length>:<scope><target>`), for storage.
    pub fn encoded(&self) -> &str {
        &self.text
    }

    /// Rebuilds a key from [`CacheKey::encoded`] text; `None` if it is not such text.
    pub fn from_encoded(text: &str) -> Option<CacheKey> {
        let (len, rest) = text.split_once(':')?;
        let len: usize = len.parse().ok()?;
        if !rest.is_char_boundary(len.min(rest.len())) || rest.len() < len {
            return None;
        }
        let (scope, target) = rest.split_at(len);
        let key = CacheKey::new(scope, target);
        (key.text.as_ref() == text).then_some(key)
    }

    /// The precomputed hash (used for sharding and the index).
    pub fn hash_value(&self) -> u64 {
        self.hash
    }

    /// The scope part.
    pub fn scope(&self) -> &str {
        let (colon, start) = self.target_start();
        self.text.get(colon + 1..start).unwrap_or_default()
    }

    /// The request target (path and query).
    pub fn target(&self) -> &str {
        self.text.get(self.target_start().1..).unwrap_or_default()
    }

    /// Where the scope's length ends (the colon) and where the target starts, read from the
    /// length prefix (not stored: a key is part of every cached object, and this is a few
    /// digits to read).
    fn target_start(&self) -> (usize, usize) {
        let colon = self.text.find(':').unwrap_or(0);
        let len = self.text[..colon].bytes().fold(0usize, |n, d| {
            n.saturating_mul(10)
                .saturating_add(usize::from(d.wrapping_sub(b'0')))
        });
        (colon, colon + 1 + len)
    }
}

/// What a purge (invalidation) removes: one exact target, or every target starting with a
/// prefix (a pattern ending in `*`, cloudfront.md §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgePattern {
    /// Exactly this target (path and query).
    Exact(String),
    /// Every target that starts with this prefix (`/img/*` → `/img/`, `/*` → `/`).
    Prefix(String),
}

/// Why a purge pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PurgePatternError {
    /// It does not start with `/` (CloudFront answers `InvalidArgument`).
    NoLeadingSlash,
    /// `*` appears before the last character.
    WildcardNotLast,
    /// It is longer than CloudFront's 4,000 characters.
    TooLong,
}

impl std::error::Error for PurgePatternError {}

impl std::fmt::Display for PurgePatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PurgePatternError::NoLeadingSlash => "invalidation path must start with '/'",
            PurgePatternError::WildcardNotLast => "'*' is only allowed as the last character",
            PurgePatternError::TooLong => "invalidation path is longer than 4000 characters",
        })
    }
}

/// CloudFront's limit on one invalidation path.
pub const MAX_PURGE_PATH: usize = 4000;

impl PurgePattern {
    /// Parses `/exact`, `/prefix*` or `/*`.
    ///
    /// # Errors
    /// See [`PurgePatternError`].
    pub fn parse(pattern: &str) -> Result<PurgePattern, PurgePatternError> {
        if pattern.len() > MAX_PURGE_PATH {
            return Err(PurgePatternError::TooLong);
        }
        if !pattern.starts_with('/') {
            return Err(PurgePatternError::NoLeadingSlash);
        }
        match pattern.find('*') {
            None => Ok(PurgePattern::Exact(pattern.to_owned())),
            Some(i) if i == pattern.len() - 1 => Ok(PurgePattern::Prefix(pattern[..i].to_owned())),
            Some(_) => Err(PurgePatternError::WildcardNotLast),
        }
    }

    /// True when `target` is removed by this pattern.
    pub fn matches(&self, target: &str) -> bool {
        match self {
            PurgePattern::Exact(t) => t == target,
            PurgePattern::Prefix(p) => target.starts_with(p.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parts_are_recovered() {
        let k = CacheKey::new("E123", "/a/b?x=1");
        assert_eq!(k.scope(), "E123");
        assert_eq!(k.target(), "/a/b?x=1");
        let k = CacheKey::new("", "/");
        assert_eq!(k.scope(), "");
        assert_eq!(k.target(), "/");
    }

    #[test]
    fn purge_patterns() {
        assert_eq!(
            PurgePattern::parse("/img/*"),
            Ok(PurgePattern::Prefix("/img/".into()))
        );
        assert_eq!(
            PurgePattern::parse("/a"),
            Ok(PurgePattern::Exact("/a".into()))
        );
        assert_eq!(
            PurgePattern::parse("a"),
            Err(PurgePatternError::NoLeadingSlash)
        );
        assert_eq!(
            PurgePattern::parse("/a*b"),
            Err(PurgePatternError::WildcardNotLast)
        );
        let all = PurgePattern::parse("/*").unwrap();
        assert!(all.matches("/") && all.matches("/x?y"));
        let img = PurgePattern::parse("/img*").unwrap();
        assert!(img.matches("/img/1") && img.matches("/imgs") && !img.matches("/other"));
        assert!(!PurgePattern::parse("/a").unwrap().matches("/a?x=1"));
    }

    proptest! {
        /// Distinct (scope, target) pairs never share a key, whatever the bytes.
        #[test]
        fn keys_are_injective(s1 in ".{0,8}", t1 in ".{0,16}", s2 in ".{0,8}", t2 in ".{0,16}") {
            let a = CacheKey::new(&s1, &t1);
            let b = CacheKey::new(&s2, &t2);
            prop_assert_eq!(a == b, s1 == s2 && t1 == t2);
            prop_assert_eq!(a.scope(), s1.as_str());
            prop_assert_eq!(a.target(), t1.as_str());
            if a == b { prop_assert_eq!(a.hash_value(), b.hash_value()); }
            prop_assert_eq!(CacheKey::from_encoded(a.encoded()), Some(a.clone()));
        }

        /// A prefix purge matches exactly the targets a naive byte comparison says it should.
        #[test]
        fn prefix_purge_matches_naive(prefix in "/[a-c/]{0,4}", target in "/[a-c/?=]{0,8}") {
            let p = PurgePattern::parse(&format!("{prefix}*")).unwrap();
            let naive = target.len() >= prefix.len() && target.as_bytes()[..prefix.len()] == *prefix.as_bytes();
            prop_assert_eq!(p.matches(&target), naive);
            let e = PurgePattern::parse(&prefix).unwrap();
            prop_assert_eq!(e.matches(&target), target == prefix);
        }
    }
}

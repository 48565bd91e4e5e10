use brink_model::PathPattern;
use proptest::prelude::*;

/// The obvious recursive definition of §1.2 matching, over characters.
fn reference(p: &[char], s: &[char]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some(('*', rest)) => (0..=s.len()).any(|k| reference(rest, &s[k..])),
        Some(('?', rest)) => !s.is_empty() && reference(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && reference(rest, &s[1..]),
    }
}

fn with_slash(x: &str) -> Vec<char> {
    let mut v: Vec<char> = Vec::new();
    if !x.starts_with('/') {
        v.push('/');
    }
    v.extend(x.chars());
    v
}

fn reference_match(pattern: &str, path: &str) -> bool {
    reference(&with_slash(pattern), &with_slash(path))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn matches_like_the_reference(
        pattern in "[ab/.*?]{1,12}",
        path in "[ab/.]{0,16}",
    ) {
        let compiled = PathPattern::new(&pattern).unwrap();
        prop_assert_eq!(
            compiled.matches(&path),
            reference_match(&pattern, &path),
            "pattern {:?} path {:?}", pattern, path
        );
    }

    #[test]
    fn question_mark_is_one_character_even_when_not_ascii(
        pattern in "[a/*?]{1,8}",
        path in "[a/é€😀]{0,8}",
    ) {
        let compiled = PathPattern::new(&pattern).unwrap();
        prop_assert_eq!(compiled.matches(&path), reference_match(&pattern, &path));
    }

    #[test]
    fn a_literal_pattern_matches_itself(path in "/[a-zA-Z0-9_.~-]{0,20}") {
        prop_assert!(PathPattern::new(&path).unwrap().matches(&path));
    }
}

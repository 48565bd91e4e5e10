//! Property tests of the `Resource` wildcard matcher:
//! - `glob` (iterative, one backtrack point) against a naive recursive matcher;
//! - `resource_matches` (section splitting) against a reference that translates the pattern
//!   into a regular expression over the whole URL string, section rules included.

use brink_signed::resource::{glob, resource_matches, UrlParts};
use proptest::prelude::*;
use regex::Regex;

fn naive(p: &[u8], t: &[u8]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some(b'*') => (0..=t.len()).any(|k| naive(&p[1..], &t[k..])),
        Some(b'?') => !t.is_empty() && naive(&p[1..], &t[1..]),
        Some(b'\\') if p.get(1) == Some(&b'?') => {
            t.first() == Some(&b'?') && naive(&p[2..], &t[1..])
        }
        Some(&c) => t.first() == Some(&c) && naive(&p[1..], &t[1..]),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Reading {
    Escaped,
    AllWildcards,
    FirstQuestionStartsQuery,
}

fn lit(c: char) -> String {
    regex::escape(&c.to_string())
}

/// The pattern as one regex over `scheme://host/path[?query]` (no `?` when the query is
/// empty or absent), or `None` when the pattern cannot match anything.
fn to_regex(p: &str, reading: Reading) -> Option<String> {
    let (scheme, rest) = match p.find("://") {
        Some(i)
            if i > 0
                && p[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '*') =>
        {
            (&p[..i], &p[i + 3..])
        }
        _ if p.starts_with('*') => ("*", p),
        _ => return None,
    };
    let mut re = String::from("^(?i:");
    for c in scheme.chars() {
        re += &match c {
            '*' => "[^:]*".to_string(),
            c => lit(c),
        };
    }
    re += ")://";
    #[derive(PartialEq)]
    enum S {
        Domain,
        Path,
        Query,
    }
    let mut s = S::Domain;
    let mut q = String::new(); // the query's own regex
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    let mut last_domain = None;
    while i < chars.len() {
        let c = chars[i];
        let escaped_q = c == '\\' && chars.get(i + 1) == Some(&'?');
        match s {
            S::Domain => {
                if c == '/' {
                    s = S::Path;
                    re += "/";
                } else if escaped_q {
                    s = S::Query;
                    re += "/";
                    i += 1;
                } else {
                    re += &match c {
                        '*' => "[^/]*".to_string(),
                        '?' => "[^/]".to_string(),
                        c => format!("(?i:{})", lit(c)),
                    };
                    last_domain = Some(c);
                }
            }
            S::Path => {
                if escaped_q {
                    s = S::Query;
                    i += 1;
                } else if c == '?' && reading == Reading::FirstQuestionStartsQuery {
                    s = S::Query;
                } else {
                    re += &match c {
                        '*' if i + 1 == chars.len() => ".*".to_string(),
                        '*' => "[^?]*".to_string(),
                        '?' => "[^?]".to_string(),
                        c => lit(c),
                    };
                }
            }
            S::Query => {
                if escaped_q {
                    q += "\\?";
                    i += 1;
                } else {
                    q += &match c {
                        '*' => ".*".to_string(),
                        '?' => ".".to_string(),
                        c => lit(c),
                    };
                }
            }
        }
        i += 1;
    }
    match s {
        S::Domain if last_domain == Some('*') => re += "/.*$",
        S::Domain => re += "/$",
        S::Path => re += "$",
        S::Query => {
            let empty_ok = Regex::new(&format!("^(?s:{q})$")).ok()?.is_match("");
            re += &if empty_ok {
                format!("(?:\\?(?s:{q}))?$")
            } else {
                format!("\\?(?s:{q})$")
            };
        }
    }
    Some(re)
}

fn reference(p: &str, u: &UrlParts<'_>) -> bool {
    if p == "*" {
        return true;
    }
    let full = format!(
        "{}://{}{}{}",
        u.scheme,
        u.host,
        u.path,
        match u.query {
            Some(q) if !q.is_empty() => format!("?{q}"),
            _ => String::new(),
        }
    );
    let readings: &[Reading] = if p.contains("\\?") {
        &[Reading::Escaped]
    } else {
        &[Reading::AllWildcards, Reading::FirstQuestionStartsQuery]
    };
    readings.iter().any(|&r| {
        to_regex(p, r).is_some_and(|re| Regex::new(&re).expect("valid regex").is_match(&full))
    })
}

fn tokens(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(alphabet), 0..=max).prop_map(|v| v.concat())
}

fn pattern() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["http://", "https://", "*://", "", "HTTPS://"][..]),
        tokens(&["a", "b", ".", "*", "?", "A"], 4),
        prop::option::of(tokens(&["a", "b", "/", "*", "?"], 4)),
        prop::option::of((
            prop::sample::select(&["\\?", "?"][..]),
            tokens(&["a", "=", "&", "*", "?", "\\?"], 4),
        )),
    )
        .prop_map(|(s, d, p, q)| {
            let mut out = format!("{s}{d}");
            if let Some(p) = p {
                out += "/";
                out += &p;
            }
            if let Some((sep, q)) = q {
                out += sep;
                out += &q;
            }
            if out.is_empty() {
                "*".into()
            } else {
                out
            }
        })
}

fn url() -> impl Strategy<Value = (String, String, String, Option<String>)> {
    (
        prop::sample::select(&["http", "https"][..]),
        tokens(&["a", "b", ".", "A"], 4),
        tokens(&["a", "b", "/"], 4),
        prop::option::of(tokens(&["a", "=", "&", "?", "b"], 4)),
    )
        .prop_map(|(s, h, p, q)| (s.to_string(), h, format!("/{p}"), q))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn glob_equals_naive(p in tokens(&["a", "b", "*", "?", "\\?", "\\"], 8), t in tokens(&["a", "b", "?", "\\"], 8)) {
        prop_assert_eq!(glob(p.as_bytes(), t.as_bytes(), false), naive(p.as_bytes(), t.as_bytes()), "{} vs {}", p, t);
    }

    #[test]
    fn resource_equals_regex_reference(p in pattern(), (s, h, path, q) in url()) {
        let u = UrlParts { scheme: &s, host: &h, path: &path, query: q.as_deref() };
        prop_assert_eq!(resource_matches(&p, &u), reference(&p, &u), "pattern {} url {:?}", p, u);
    }
}

#[test]
fn the_reference_agrees_on_documented_examples() {
    let u = UrlParts {
        scheme: "https",
        host: "d.example",
        path: "/images/a.jpg",
        query: Some("size=1"),
    };
    for (p, want) in [
        ("https://d.example/images/*", true),
        ("https://d.example/images/*.jpg", false),
        ("https://d.example/images/*.jpg?size=*", true),
        ("https://d.example/images/*.jpg\\?size=?", true),
        ("*.example/*", true),
        ("https://d.example*", true),
        ("http://d.example/*", false),
    ] {
        assert_eq!(reference(p, &u), want, "reference {p}");
        assert_eq!(resource_matches(p, &u), want, "matcher {p}");
    }
}

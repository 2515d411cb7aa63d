//! Wildcard patterns: Fulcio's "meta issuer" syntax (PROTOCOL.md §2.3), also used for
//! policy values ([`crate::policy`]).
//!
//! A pattern is literal text with `*` placeholders. The whole input must match
//! (anchored at both ends); literal text matches byte for byte (case-sensitive, and no
//! character other than `*` is special: `.` is a dot, `?` a question mark); each `*`
//! matches **one or more** characters of `[-_a-zA-Z0-9]` and nothing else. So
//! `https://oidc.*.example.com` matches `https://oidc.eu-1.example.com` but never
//! `https://oidc.evil.com/x.example.com` (a `*` cannot span `.` or `/`), nor
//! `https://oidc.a.example.com@evil.com` or anything with a trailing `?x`, `#x` or `/x`
//! (the match is anchored).
//!
//! Fulcio builds a regular expression for the same language; here the matcher is a
//! short dynamic program over byte positions (no regex, no backtracking), linear in
//! the input per pattern token.

use std::fmt;

/// The literal character that stands for a run of [`is_wildcard_byte`] characters.
pub const WILDCARD: char = '*';

/// Whether `b` may be matched by a `*`: `[-_a-zA-Z0-9]` (ASCII only).
#[must_use]
pub fn is_wildcard_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// One piece of a parsed pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// Text that must appear exactly.
    Literal(String),
    /// One or more `[-_a-zA-Z0-9]`.
    Star,
}

/// A parsed wildcard pattern. See the module docs for the semantics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    tokens: Vec<Token>,
}

/// Why a pattern was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern is the empty string.
    #[error("the pattern is empty")]
    Empty,
    /// Two `*` follow each other; `**` would mean "two or more", almost certainly a typo.
    #[error("adjacent wildcards `**` at byte {offset}")]
    AdjacentWildcards {
        /// Byte offset of the second `*`.
        offset: usize,
    },
}

impl Pattern {
    /// Parses `text` as a pattern.
    ///
    /// # Errors
    ///
    /// [`PatternError`] if `text` is empty or contains `**`.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        if text.is_empty() {
            return Err(PatternError::Empty);
        }
        let mut tokens = Vec::new();
        let mut literal = String::new();
        for (offset, c) in text.char_indices() {
            if c == WILDCARD {
                if !literal.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut literal)));
                } else if tokens.last() == Some(&Token::Star) {
                    return Err(PatternError::AdjacentWildcards { offset });
                }
                tokens.push(Token::Star);
            } else {
                literal.push(c);
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Ok(Self {
            text: text.to_owned(),
            tokens,
        })
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern contains at least one `*` (otherwise it matches one string only).
    #[must_use]
    pub fn has_wildcard(&self) -> bool {
        self.tokens.contains(&Token::Star)
    }

    /// Whether the whole of `input` matches the pattern.
    #[must_use]
    pub fn matches(&self, input: &str) -> bool {
        let input = input.as_bytes();
        let n = input.len();
        // reach[j]: the tokens consumed so far match exactly input[..j].
        let mut reach = vec![false; n + 1];
        reach[0] = true;
        for token in &self.tokens {
            let mut next = vec![false; n + 1];
            match token {
                Token::Literal(lit) => {
                    let lit = lit.as_bytes();
                    for j in 0..=n {
                        if reach[j] && input[j..].starts_with(lit) {
                            next[j + lit.len()] = true;
                        }
                    }
                }
                Token::Star => {
                    // next[k] iff some reachable j < k has input[j..k] all wildcard bytes.
                    let mut run = false;
                    for k in 1..=n {
                        run = (run || reach[k - 1]) && is_wildcard_byte(input[k - 1]);
                        next[k] = run;
                    }
                }
            }
            if !next.contains(&true) {
                return false;
            }
            reach = next;
        }
        reach[n]
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap()
    }

    /// (pattern, input, expected)
    const CASES: &[(&str, &str, bool)] = &[
        // The canonical meta issuers of Fulcio's own configuration.
        (
            "https://oidc.eks.*.amazonaws.com/id/*",
            "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
            true,
        ),
        (
            "https://container.googleapis.com/v1/projects/*/locations/*/clusters/*",
            "https://container.googleapis.com/v1/projects/my-proj/locations/us-central1/clusters/prod_1",
            true,
        ),
        ("https://token.actions.githubusercontent.com/*", "https://token.actions.githubusercontent.com/octo-ent", true),
        // Host tricks.
        ("https://oidc.*.example.com", "https://oidc.a.example.com", true),
        ("https://oidc.*.example.com", "https://oidc.evil.com/x.example.com", false),
        ("https://oidc.*.example.com", "https://oidc.a.example.com@evil.com", false),
        ("https://oidc.*.example.com", "https://oidc.a.b.example.com", false),
        ("https://oidc.*.example.com", "https://oidc.evil.com?.example.com", false),
        ("https://oidc.*.example.com", "https://oidc.evil.com#.example.com", false),
        ("https://oidc.*.example.com", "https://oidc.evil@a.example.com", false),
        ("https://oidc.*.example.com", "https://oidc.a:443.example.com", false),
        ("https://oidc.*.example.com", "https://oidc.a.example.com:8443", false),
        // Anchoring: nothing may follow.
        ("https://oidc.*.example.com", "https://oidc.a.example.com?x", false),
        ("https://oidc.*.example.com", "https://oidc.a.example.com#x", false),
        ("https://oidc.*.example.com", "https://oidc.a.example.com/", false),
        ("https://oidc.*.example.com", "https://oidc.a.example.com/extra", false),
        ("https://oidc.*.example.com", "https://oidc.a.example.com.evil.com", false),
        ("https://oidc.*.example.com", "https://oidc.a.example.comx", false),
        ("https://issuer/*", "https://issuer/a/b", false),
        ("https://issuer/*", "https://issuer/a?b", false),
        ("https://issuer/*", "https://issuer/a#b", false),
        ("https://issuer/*", "https://issuer/a@b", false),
        ("https://issuer/*", "https://issuer/a.b", false),
        // Anchoring: nothing may precede.
        ("https://oidc.*.example.com", "xhttps://oidc.a.example.com", false),
        ("https://oidc.*.example.com", "http://https://oidc.a.example.com", false),
        // `.` is a literal dot, not "any character".
        ("https://oidc.*.example.com", "https://oidc.aXexample.com", false),
        ("https://oidc.*.example.com", "https://oidc.a.exampleXcom", false),
        // Other regex metacharacters are literal too.
        ("https://x/+*", "https://x/+a", true),
        ("https://x/+*", "https://x/a", false),
        ("https://x/(a|b)*", "https://x/(a|b)c", true),
        ("https://x/(a|b)*", "https://x/ac", false),
        ("https://x/[ab]*", "https://x/[ab]c", true),
        ("https://x/[ab]*", "https://x/ac", false),
        ("https://x/a?", "https://x/a?", true),
        ("https://x/a?", "https://x/a", false),
        ("https://x/^*$", "https://x/^a$", true),
        ("https://x/\\d*", "https://x/\\da", true),
        ("https://x/\\d*", "https://x/1a", false),
        // A `*` needs at least one character.
        ("https://oidc.*.example.com", "https://oidc..example.com", false),
        ("https://issuer/*", "https://issuer/", false),
        ("*", "", false),
        ("a*", "a", false),
        ("*a", "a", false),
        // The character class: letters, digits, `-`, `_`; both cases.
        ("*", "aZ09-_", true),
        ("*", "UPPER", true),
        ("*", "a b", false),
        ("*", "a%2Eb", false),
        ("*", "a~b", false),
        ("*", "a+b", false),
        ("*", "a:b", false),
        ("*", "a\u{0}b", false),
        ("*", "a\nb", false),
        // Non-ASCII never matches `*`, even letters and digits.
        ("*", "caf\u{e9}", false),
        ("*", "\u{661}\u{662}", false),
        ("https://oidc.*.example.com", "https://oidc.\u{430}.example.com", false),
        // Non-ASCII literals match byte for byte.
        ("https://\u{e9}t\u{e9}/*", "https://\u{e9}t\u{e9}/a", true),
        ("https://\u{e9}t\u{e9}/*", "https://ete/a", false),
        // Literal text is case-sensitive.
        ("https://oidc.*.example.com", "https://OIDC.a.example.com", false),
        ("https://oidc.*.example.com", "https://oidc.A.example.com", true),
        ("https://oidc.*.example.com", "HTTPS://oidc.a.example.com", false),
        // Percent-encoding is literal text: `%2F` is three characters, not a `/`.
        ("https://x/a%2F*", "https://x/a%2Fb", true),
        ("https://x/a%2F*", "https://x/a/b", false),
        ("https://x/*", "https://x/a%2Fb", false),
        // Backtracking: the literal after a `*` starts with wildcard characters.
        ("https://x/*-prod", "https://x/eu-west-prod", true),
        ("https://x/*-prod", "https://x/-prod", false),
        ("https://x/*-prod", "https://x/eu-prod-prod", true),
        ("https://x/*a*", "https://x/bab", true),
        ("https://x/*a*", "https://x/ba", false),
        ("https://x/*a*", "https://x/aab", true),
        ("*-*-*", "a-b-c", true),
        ("*-*-*", "a-b", false),
        ("*-*-*", "a---c", true),
        ("*-*-*", "a--c", false),
        ("*-*-*", "a-", false),
        ("*_*", "a_", false),
        ("*_*", "a__", true),
        // No wildcard: exact text only.
        ("https://issuer.example.com", "https://issuer.example.com", true),
        ("https://issuer.example.com", "https://issuer.example.com/", false),
    ];

    #[test]
    fn table() {
        for (pattern, input, want) in CASES {
            assert_eq!(
                p(pattern).matches(input),
                *want,
                "pattern {pattern:?} against {input:?}"
            );
        }
    }

    #[test]
    fn long_inputs_are_cheap() {
        let pattern = p("*a*a*a*a*a*b");
        let input = "a".repeat(100_000);
        assert!(!pattern.matches(&input));
        let mut yes = input.clone();
        yes.push('b');
        assert!(pattern.matches(&yes));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(Pattern::parse(""), Err(PatternError::Empty));
        assert_eq!(
            Pattern::parse("https://**.example.com"),
            Err(PatternError::AdjacentWildcards { offset: 9 })
        );
        assert_eq!(
            Pattern::parse("**"),
            Err(PatternError::AdjacentWildcards { offset: 1 })
        );
    }

    #[test]
    fn accessors() {
        let pattern = p("https://*.example.com");
        assert!(pattern.has_wildcard());
        assert_eq!(pattern.as_str(), "https://*.example.com");
        assert_eq!(pattern.to_string(), "https://*.example.com");
        assert!(!p("https://example.com").has_wildcard());
        for b in 0..=255u8 {
            let want = matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_');
            assert_eq!(is_wildcard_byte(b), want, "byte {b:#04x}");
        }
    }
}

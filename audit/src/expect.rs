//! The expected-signer inventory (`signet audit inventory --expect FILE`): who may sign.
//! Every identity seen in the logs that no rule matches is an alert.
//!
//! File format (JSON):
//!
//! ```json
//! {"signers": [
//!   {"issuer": "https://token.actions.githubusercontent.com",
//!    "sanRegexp": "https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/tags/.*",
//!    "environment": "production"},
//!   {"issuer": "https://accounts.example.com", "san": "releng@example.com"}
//! ]}
//! ```
//!
//! A rule matches an identity when its `issuer` equals the identity's issuer exactly and
//! every other field it gives matches: `san`, `repository`, `ref`, `workflow`,
//! `environment` exactly, or their `…Regexp` forms as a regular expression that must match
//! the whole value (anchored, so `acme` never matches `acme-evil`). A rule naming a claim
//! matches only identities that have it. Unknown fields are refused, so a typo cannot
//! widen a rule.

use regex::Regex;
use serde::Deserialize;

/// Why an expected-signer file is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExpectError {
    /// Not the documented JSON.
    #[error("expected-signer file: {0}")]
    Json(#[source] serde_json::Error),
    /// A rule gives both the exact and the pattern form of a field.
    #[error("expected signer {rule}: give {field} or {field}Regexp, not both")]
    Both {
        /// The rule's position (0-based).
        rule: usize,
        /// The field.
        field: &'static str,
    },
    /// A pattern that does not compile.
    #[error("expected signer {rule}: {field}Regexp: {source}")]
    Pattern {
        /// The rule's position.
        rule: usize,
        /// The field.
        field: &'static str,
        /// Why.
        source: regex::Error,
    },
    /// No rule: every identity would be an alert.
    #[error("expected-signer file lists no signer")]
    Empty,
}

/// An identity as the inventory sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenIdentity {
    /// OIDC issuer.
    pub issuer: String,
    /// Identity SAN.
    pub san: String,
    /// CI: source repository URI.
    pub repository: Option<String>,
    /// CI: git ref.
    pub git_ref: Option<String>,
    /// CI: workflow (build signer URI).
    pub workflow: Option<String>,
    /// CI: deployment environment.
    pub environment: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWire {
    signers: Vec<RuleWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RuleWire {
    issuer: String,
    san: Option<String>,
    san_regexp: Option<String>,
    repository: Option<String>,
    repository_regexp: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    ref_regexp: Option<String>,
    workflow: Option<String>,
    workflow_regexp: Option<String>,
    environment: Option<String>,
    environment_regexp: Option<String>,
}

#[derive(Clone, Debug)]
enum Matcher {
    Any,
    Exact(String),
    Pattern(Regex),
}

impl Matcher {
    fn new(
        rule: usize,
        field: &'static str,
        exact: Option<String>,
        pattern: Option<String>,
    ) -> Result<Self, ExpectError> {
        match (exact, pattern) {
            (Some(_), Some(_)) => Err(ExpectError::Both { rule, field }),
            (Some(e), None) => Ok(Self::Exact(e)),
            (None, Some(p)) => Regex::new(&format!(r"\A(?:{p})\z"))
                .map(Self::Pattern)
                .map_err(|source| ExpectError::Pattern {
                    rule,
                    field,
                    source,
                }),
            (None, None) => Ok(Self::Any),
        }
    }

    fn matches(&self, value: Option<&str>) -> bool {
        match (self, value) {
            (Self::Any, _) => true,
            (_, None) => false,
            (Self::Exact(e), Some(v)) => e == v,
            (Self::Pattern(p), Some(v)) => p.is_match(v),
        }
    }
}

#[derive(Clone, Debug)]
struct Rule {
    issuer: String,
    san: Matcher,
    repository: Matcher,
    git_ref: Matcher,
    workflow: Matcher,
    environment: Matcher,
}

/// A parsed expected-signer inventory.
#[derive(Clone, Debug)]
pub struct ExpectedSigners {
    rules: Vec<Rule>,
}

impl ExpectedSigners {
    /// Parses the file (module documentation).
    ///
    /// # Errors
    /// [`ExpectError`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, ExpectError> {
        let wire: FileWire = serde_json::from_slice(bytes).map_err(ExpectError::Json)?;
        if wire.signers.is_empty() {
            return Err(ExpectError::Empty);
        }
        let rules = wire
            .signers
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                Ok(Rule {
                    issuer: r.issuer,
                    san: Matcher::new(i, "san", r.san, r.san_regexp)?,
                    repository: Matcher::new(i, "repository", r.repository, r.repository_regexp)?,
                    git_ref: Matcher::new(i, "ref", r.git_ref, r.ref_regexp)?,
                    workflow: Matcher::new(i, "workflow", r.workflow, r.workflow_regexp)?,
                    environment: Matcher::new(
                        i,
                        "environment",
                        r.environment,
                        r.environment_regexp,
                    )?,
                })
            })
            .collect::<Result<_, ExpectError>>()?;
        Ok(Self { rules })
    }

    /// The index of the first rule that allows `identity`, or `None` (an alert).
    #[must_use]
    pub fn allowing(&self, identity: &SeenIdentity) -> Option<usize> {
        self.rules.iter().position(|r| {
            r.issuer == identity.issuer
                && r.san.matches(Some(&identity.san))
                && r.repository.matches(identity.repository.as_deref())
                && r.git_ref.matches(identity.git_ref.as_deref())
                && r.workflow.matches(identity.workflow.as_deref())
                && r.environment.matches(identity.environment.as_deref())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ci(san: &str, env: Option<&str>) -> SeenIdentity {
        SeenIdentity {
            issuer: "https://token.actions.githubusercontent.com".to_owned(),
            san: san.to_owned(),
            repository: Some("https://github.com/acme/app".to_owned()),
            git_ref: Some("refs/tags/v1".to_owned()),
            workflow: None,
            environment: env.map(str::to_owned),
        }
    }

    #[test]
    fn rules_match_exactly_and_patterns_are_anchored() {
        let e = ExpectedSigners::from_json(
            br#"{"signers":[
              {"issuer":"https://token.actions.githubusercontent.com",
               "sanRegexp":"https://github\\.com/acme/app/.*","environment":"production"},
              {"issuer":"https://accounts.example.com","san":"releng@example.com"}]}"#,
        )
        .unwrap();
        let good = "https://github.com/acme/app/.github/workflows/r.yml@refs/tags/v1";
        assert_eq!(e.allowing(&ci(good, Some("production"))), Some(0));
        // Missing or different environment, a look-alike repository, another issuer.
        assert_eq!(e.allowing(&ci(good, None)), None);
        assert_eq!(e.allowing(&ci(good, Some("staging"))), None);
        let evil = "https://evil.example/https://github.com/acme/app/x";
        assert_eq!(e.allowing(&ci(evil, Some("production"))), None);
        let mut other = ci(good, Some("production"));
        other.issuer = "https://accounts.example.com".to_owned();
        assert_eq!(e.allowing(&other), None);
        other.san = "releng@example.com".to_owned();
        assert_eq!(e.allowing(&other), Some(1));
        other.san = "releng@example.com.evil".to_owned();
        assert_eq!(e.allowing(&other), None);
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(matches!(
            ExpectedSigners::from_json(br#"{"signers":[]}"#),
            Err(ExpectError::Empty)
        ));
        assert!(matches!(
            ExpectedSigners::from_json(
                br#"{"signers":[{"issuer":"i","san":"a","sanRegexp":"b"}]}"#
            ),
            Err(ExpectError::Both { field: "san", .. })
        ));
        assert!(matches!(
            ExpectedSigners::from_json(br#"{"signers":[{"issuer":"i","sanRegex":"b"}]}"#),
            Err(ExpectError::Json(_))
        ));
        assert!(matches!(
            ExpectedSigners::from_json(br#"{"signers":[{"issuer":"i","sanRegexp":"("}]}"#),
            Err(ExpectError::Pattern { .. })
        ));
    }
}

//! Issuance policy: per issuer, which token claim values may obtain a certificate.
//!
//! A policy is a list of named rules; a rule is a set of conditions `claim → allowed
//! values`. A token is allowed when **all** conditions of **at least one** rule hold, and
//! the decision names that rule ([`AllowedBy`]) so the CA can record it with the
//! certificate. An issuer without rules allows every identity it vouches for, and the
//! decision says so ([`any_identity_rule_name`]). A denial ([`PolicyDenied`]) lists each
//! rule with the first condition that failed, for a useful 403 message.
//!
//! Values: a string claim is compared with its text; a boolean or number claim with its
//! JSON text (`true`, `42`); patterns ([`crate::pattern`]) match string claims only.
//! Absent, `null`, array and object claims satisfy no condition.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{AllowedValueConfig, ConfigError, RuleConfig};
use crate::pattern::Pattern;

/// Longest claim text quoted in a denial message; longer values are cut with `…`.
const MAX_QUOTED_BYTES: usize = 128;

/// The rule name recorded for issuers that have no rules: `*any identity of <issuer>*`.
/// Configured rule names may not start with `*`, so it cannot be confused with one.
#[must_use]
pub fn any_identity_rule_name(issuer: &str) -> String {
    format!("*any identity of {issuer}*")
}

/// One allowed value of a condition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllowedValue {
    /// The claim's text must equal this.
    Exact(String),
    /// A string claim must match this pattern.
    Pattern(Pattern),
}

impl fmt::Display for AllowedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(text) => write!(f, "{text:?}"),
            Self::Pattern(pattern) => write!(f, "pattern {:?}", pattern.as_str()),
        }
    }
}

/// A condition: the claim (top-level name, or `/…` JSON Pointer) and its allowed values.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Condition {
    claim: String,
    allowed: Vec<AllowedValue>,
}

/// A named rule.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    name: String,
    conditions: Vec<Condition>,
}

/// An issuer's validated policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    rules: Vec<Rule>,
}

/// The decision to allow a token: which rule of which issuer allowed it. Recorded with
/// the certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedBy {
    /// The configured issuer (exact URL or wildcard pattern) whose policy allowed it.
    pub issuer: String,
    /// The rule's name, or [`any_identity_rule_name`] for an issuer without rules.
    pub rule: String,
}

/// What a claim looked like to a failed condition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimValue {
    /// Not in the token (or `null`).
    Absent,
    /// An array or object.
    NotScalar,
    /// A string claim.
    String(String),
    /// A boolean or number claim, as JSON text.
    Json(String),
}

impl fmt::Display for ClaimValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absent => f.write_str("absent"),
            Self::NotScalar => f.write_str("an array or object"),
            Self::String(text) => {
                let (shown, cut) = shorten(text);
                write!(f, "{shown:?}{cut}")
            }
            Self::Json(text) => {
                let (shown, cut) = shorten(text);
                write!(f, "{shown}{cut}")
            }
        }
    }
}

/// The first [`MAX_QUOTED_BYTES`] of `text` (on a character boundary), and `…` if cut.
fn shorten(text: &str) -> (&str, &'static str) {
    if text.len() <= MAX_QUOTED_BYTES {
        return (text, "");
    }
    let mut end = MAX_QUOTED_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], "\u{2026}")
}

/// Why one rule did not allow a token: its first failed condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFailure {
    /// The rule's name.
    pub rule: String,
    /// The claim of the first condition that failed.
    pub claim: String,
    /// What that condition allows.
    pub allowed: Vec<AllowedValue>,
    /// What the token had.
    pub actual: ClaimValue,
}

/// A token the issuance policy does not allow (HTTP 403). Lists every rule of the
/// issuer with the first condition that failed in it, in configuration order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct PolicyDenied {
    /// The configured issuer (exact URL or wildcard pattern).
    pub issuer: String,
    /// One entry per rule.
    pub failures: Vec<RuleFailure>,
}

impl fmt::Display for PolicyDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the issuance policy of {} allows no rule for this identity",
            self.issuer
        )?;
        for failure in &self.failures {
            write!(
                f,
                "; rule {:?}: claim {} is {}, allowed: ",
                failure.rule, failure.claim, failure.actual
            )?;
            for (i, value) in failure.allowed.iter().enumerate() {
                if i > 0 {
                    f.write_str(" or ")?;
                }
                write!(f, "{value}")?;
            }
        }
        Ok(())
    }
}

/// Whether an RFC 6901 JSON Pointer's `~` escapes are all `~0` or `~1`.
fn is_valid_pointer(pointer: &str) -> bool {
    let b = pointer.as_bytes();
    b.iter()
        .enumerate()
        .all(|(i, &c)| c != b'~' || matches!(b.get(i + 1), Some(b'0' | b'1')))
}

impl Policy {
    /// Checks an issuer's rules from the configuration.
    pub(crate) fn from_config(issuer: &str, rules: &[RuleConfig]) -> Result<Self, ConfigError> {
        let mut checked: Vec<Rule> = Vec::with_capacity(rules.len());
        for (index, rule) in rules.iter().enumerate() {
            let name = rule.name.clone();
            if name.is_empty() {
                return Err(ConfigError::EmptyRuleName {
                    issuer: issuer.to_owned(),
                    index,
                });
            }
            if name.starts_with('*') {
                return Err(ConfigError::ReservedRuleName {
                    issuer: issuer.to_owned(),
                    rule: name,
                });
            }
            if checked.iter().any(|r| r.name == name) {
                return Err(ConfigError::DuplicateRuleName {
                    issuer: issuer.to_owned(),
                    rule: name,
                });
            }
            if rule.conditions.is_empty() {
                return Err(ConfigError::RuleWithoutConditions {
                    issuer: issuer.to_owned(),
                    rule: name,
                });
            }
            let mut conditions = Vec::with_capacity(rule.conditions.len());
            for (claim, values) in &rule.conditions {
                if claim.is_empty() || (claim.starts_with('/') && !is_valid_pointer(claim)) {
                    return Err(ConfigError::InvalidClaimName {
                        issuer: issuer.to_owned(),
                        rule: name,
                        claim: claim.clone(),
                    });
                }
                if values.is_empty() {
                    return Err(ConfigError::ConditionWithoutValues {
                        issuer: issuer.to_owned(),
                        rule: name,
                        claim: claim.clone(),
                    });
                }
                let mut allowed = Vec::with_capacity(values.len());
                for value in values {
                    allowed.push(match value {
                        AllowedValueConfig::Text(text) => AllowedValue::Exact(text.clone()),
                        AllowedValueConfig::Bool(b) => AllowedValue::Exact(b.to_string()),
                        AllowedValueConfig::Integer(n) => AllowedValue::Exact(n.to_string()),
                        AllowedValueConfig::Pattern(p) => {
                            AllowedValue::Pattern(Pattern::parse(&p.pattern).map_err(
                                |problem| ConfigError::InvalidValuePattern {
                                    issuer: issuer.to_owned(),
                                    rule: name.clone(),
                                    claim: claim.clone(),
                                    problem,
                                },
                            )?)
                        }
                    });
                }
                conditions.push(Condition {
                    claim: claim.clone(),
                    allowed,
                });
            }
            checked.push(Rule { name, conditions });
        }
        Ok(Self { rules: checked })
    }

    /// Whether the policy has no rules, i.e. allows every identity of its issuer.
    #[must_use]
    pub fn allows_any_identity(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule names, in configuration order.
    pub fn rule_names(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.name.as_str())
    }

    /// Decides whether a token with these claims may obtain a certificate. `issuer` is
    /// the configured issuer's id, used in the decision.
    ///
    /// # Errors
    ///
    /// [`PolicyDenied`] when no rule has all its conditions satisfied.
    pub fn evaluate(
        &self,
        issuer: &str,
        claims: &Map<String, Value>,
    ) -> Result<AllowedBy, PolicyDenied> {
        if self.rules.is_empty() {
            return Ok(AllowedBy {
                issuer: issuer.to_owned(),
                rule: any_identity_rule_name(issuer),
            });
        }
        let mut failures = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            match rule.first_failure(claims) {
                None => {
                    return Ok(AllowedBy {
                        issuer: issuer.to_owned(),
                        rule: rule.name.clone(),
                    })
                }
                Some((condition, actual)) => failures.push(RuleFailure {
                    rule: rule.name.clone(),
                    claim: condition.claim.clone(),
                    allowed: condition.allowed.clone(),
                    actual,
                }),
            }
        }
        Err(PolicyDenied {
            issuer: issuer.to_owned(),
            failures,
        })
    }
}

impl Rule {
    /// The first condition that does not hold, with the claim as found; `None` if all hold.
    fn first_failure<'a>(
        &'a self,
        claims: &Map<String, Value>,
    ) -> Option<(&'a Condition, ClaimValue)> {
        self.conditions.iter().find_map(|condition| {
            let actual = lookup(claims, &condition.claim);
            (!condition.holds(&actual)).then_some((condition, actual))
        })
    }
}

impl Condition {
    fn holds(&self, actual: &ClaimValue) -> bool {
        self.allowed.iter().any(|allowed| match (allowed, actual) {
            (AllowedValue::Exact(want), ClaimValue::String(got) | ClaimValue::Json(got)) => {
                want == got
            }
            (AllowedValue::Pattern(pattern), ClaimValue::String(got)) => pattern.matches(got),
            _ => false,
        })
    }
}

/// Finds a claim by top-level name or, for names starting with `/`, by JSON Pointer.
fn lookup(claims: &Map<String, Value>, claim: &str) -> ClaimValue {
    let value = if let Some(pointer) = claim.strip_prefix('/') {
        // The first reference token names a top-level claim; the rest is a pointer into it.
        let (first, rest) = match pointer.find('/') {
            Some(i) => pointer.split_at(i),
            None => (pointer, ""),
        };
        let first = first.replace("~1", "/").replace("~0", "~");
        claims.get(&first).and_then(|v| {
            if rest.is_empty() {
                Some(v)
            } else {
                v.pointer(rest)
            }
        })
    } else {
        claims.get(claim)
    };
    match value {
        None | Some(Value::Null) => ClaimValue::Absent,
        Some(Value::String(s)) => ClaimValue::String(s.clone()),
        Some(v @ (Value::Bool(_) | Value::Number(_))) => ClaimValue::Json(v.to_string()),
        Some(Value::Array(_) | Value::Object(_)) => ClaimValue::NotScalar,
    }
}

//! Claim checks over a decoded payload: pure functions of the claims, the expected issuer
//! and audience, the time and the policy. They run before any key is fetched, so a token
//! with wrong claims never costs a network round trip; the signature is checked after them.
//!
//! Required claims follow what sigstore-python demands before it sends a token
//! (PROTOCOL.md §2.3, Appendix A §2.2): `iss`, `sub`, `aud`, `exp`, `iat`. Times are JWT
//! NumericDates (RFC 7519 §2): seconds since the epoch, possibly fractional.

use serde_json::{Map, Value};

use crate::error::TokenError;

/// What the time checks allow.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimePolicy {
    /// Clock skew tolerated on `exp`, `nbf` and a future `iat`, in seconds.
    pub leeway_secs: u64,
    /// Oldest accepted `iat`, in seconds before now.
    pub max_age_secs: u64,
}

/// The claims every caller needs, taken from a payload that passed [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedClaims {
    pub subject: String,
    pub expires_at: i64,
    pub issued_at: i64,
}

/// Checks, in order: `iss` equals `issuer` exactly; `sub` is a non-empty string; `aud` (a
/// string or an array of strings) contains `audience`; `exp` (RFC 7519 §4.1.4), `nbf`
/// (§4.1.5, optional) and `iat` (§4.1.6, neither in the future nor older than the maximum
/// age), each with the leeway. `now` is Unix seconds.
pub(crate) fn check(
    claims: &Map<String, Value>,
    issuer: &str,
    audience: &str,
    now: i64,
    policy: TimePolicy,
) -> Result<CheckedClaims, TokenError> {
    let iss = required_string(claims, "iss")?;
    if iss != issuer {
        return Err(TokenError::IssuerMismatch {
            expected: issuer.to_owned(),
            got: iss.to_owned(),
        });
    }

    let subject = required_string(claims, "sub")?;
    if subject.is_empty() {
        return Err(TokenError::InvalidClaim {
            name: "sub",
            reason: "empty",
        });
    }

    let audiences = audiences(claims)?;
    if !audiences.iter().any(|aud| aud == audience) {
        return Err(TokenError::AudienceMismatch {
            expected: audience.to_owned(),
            got: audiences,
        });
    }

    let leeway = i64::try_from(policy.leeway_secs).unwrap_or(i64::MAX);
    let leeway_secs = policy.leeway_secs;
    let exp = numeric_date(claims, "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
    if now >= exp.saturating_add(leeway) {
        return Err(TokenError::Expired {
            exp,
            now,
            leeway_secs,
        });
    }
    if let Some(nbf) = numeric_date(claims, "nbf")? {
        if now.saturating_add(leeway) < nbf {
            return Err(TokenError::NotYetValid {
                nbf,
                now,
                leeway_secs,
            });
        }
    }
    let iat = numeric_date(claims, "iat")?.ok_or(TokenError::MissingClaim("iat"))?;
    if iat > now.saturating_add(leeway) {
        return Err(TokenError::IssuedInFuture {
            iat,
            now,
            leeway_secs,
        });
    }
    let max_age = i64::try_from(policy.max_age_secs).unwrap_or(i64::MAX);
    if now.saturating_sub(iat) > max_age {
        return Err(TokenError::TooOld {
            iat,
            now,
            max_age_secs: policy.max_age_secs,
        });
    }

    Ok(CheckedClaims {
        subject: subject.to_owned(),
        expires_at: exp,
        issued_at: iat,
    })
}

fn required_string<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, TokenError> {
    match claims.get(name) {
        None => Err(TokenError::MissingClaim(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(TokenError::InvalidClaim {
            name,
            reason: "not a string",
        }),
    }
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
fn audiences(claims: &Map<String, Value>) -> Result<Vec<String>, TokenError> {
    const NOT_STRINGS: TokenError = TokenError::InvalidClaim {
        name: "aud",
        reason: "not a string or an array of strings",
    };
    match claims.get("aud") {
        None => Err(TokenError::MissingClaim("aud")),
        Some(Value::String(aud)) => Ok(vec![aud.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or(NOT_STRINGS))
            .collect(),
        Some(_) => Err(NOT_STRINGS),
    }
}

/// A NumericDate claim as whole Unix seconds (fractions are floored), or `None` if absent.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, TokenError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let Value::Number(number) = value else {
        return Err(TokenError::InvalidClaim {
            name,
            reason: "not a number",
        });
    };
    if let Some(secs) = number.as_i64() {
        return Ok(Some(secs));
    }
    // Fractional seconds are allowed (RFC 7519 §2); anything outside ±2^53 is nonsense.
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    match number.as_f64() {
        Some(secs) if secs.is_finite() && secs.abs() < LIMIT => Ok(Some(secs.floor() as i64)),
        _ => Err(TokenError::InvalidClaim {
            name,
            reason: "out of range",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://issuer.example";
    const NOW: i64 = 1_700_000_000;
    const POLICY: TimePolicy = TimePolicy {
        leeway_secs: 30,
        max_age_secs: 3600,
    };

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test claims are objects"),
        }
    }

    fn base() -> Value {
        json!({"iss": ISS, "sub": "s", "aud": "sigstore", "exp": NOW + 300, "iat": NOW - 10})
    }

    fn run(value: Value) -> Result<CheckedClaims, TokenError> {
        check(&claims(value), ISS, "sigstore", NOW, POLICY)
    }

    fn with(key: &str, v: Value) -> Value {
        let mut b = base();
        b[key] = v;
        b
    }

    fn without(key: &str) -> Value {
        let mut b = base();
        b.as_object_mut().map(|m| m.remove(key));
        b
    }

    #[test]
    fn accepts_valid_claims() {
        assert_eq!(
            run(base()).unwrap(),
            CheckedClaims {
                subject: "s".into(),
                expires_at: NOW + 300,
                issued_at: NOW - 10
            }
        );
        assert!(run(with("aud", json!(["other", "sigstore"]))).is_ok());
        assert_eq!(
            run(with("exp", json!(NOW as f64 + 300.75)))
                .unwrap()
                .expires_at,
            NOW + 300
        );
    }

    #[test]
    fn time_boundaries_with_leeway() {
        // exp: rejected from exp + leeway on.
        assert!(run(with("exp", json!(NOW - 29))).is_ok());
        assert_eq!(
            run(with("exp", json!(NOW - 30))),
            Err(TokenError::Expired {
                exp: NOW - 30,
                now: NOW,
                leeway_secs: 30
            })
        );
        // nbf: accepted up to leeway early.
        assert!(run(with("nbf", json!(NOW + 30))).is_ok());
        assert_eq!(
            run(with("nbf", json!(NOW + 31))),
            Err(TokenError::NotYetValid {
                nbf: NOW + 31,
                now: NOW,
                leeway_secs: 30
            })
        );
        // iat: future within leeway only; not older than max age.
        assert!(run(with("iat", json!(NOW + 30))).is_ok());
        assert_eq!(
            run(with("iat", json!(NOW + 31))),
            Err(TokenError::IssuedInFuture {
                iat: NOW + 31,
                now: NOW,
                leeway_secs: 30
            })
        );
        assert!(run(with("iat", json!(NOW - 3600))).is_ok());
        assert_eq!(
            run(with("iat", json!(NOW - 3601))),
            Err(TokenError::TooOld {
                iat: NOW - 3601,
                now: NOW,
                max_age_secs: 3600
            })
        );
    }

    #[test]
    fn missing_and_invalid_claims() {
        for name in ["iss", "sub", "aud", "exp", "iat"] {
            assert_eq!(
                run(without(name)),
                Err(TokenError::MissingClaim(name)),
                "{name}"
            );
        }
        assert!(run(without("nbf")).is_ok());
        assert_eq!(
            run(with("exp", json!("soon"))),
            Err(TokenError::InvalidClaim {
                name: "exp",
                reason: "not a number"
            })
        );
        assert_eq!(
            run(with("iat", json!(1e300))),
            Err(TokenError::InvalidClaim {
                name: "iat",
                reason: "out of range"
            })
        );
        assert_eq!(
            run(with("sub", json!(""))),
            Err(TokenError::InvalidClaim {
                name: "sub",
                reason: "empty"
            })
        );
        assert!(matches!(
            run(with("aud", json!(["sigstore", 1]))),
            Err(TokenError::InvalidClaim { name: "aud", .. })
        ));
        assert_eq!(
            run(with("aud", json!(["a", "b"]))),
            Err(TokenError::AudienceMismatch {
                expected: "sigstore".into(),
                got: vec!["a".into(), "b".into()]
            })
        );
        assert_eq!(
            run(with("iss", json!("https://issuer.example/"))),
            Err(TokenError::IssuerMismatch {
                expected: ISS.into(),
                got: "https://issuer.example/".into()
            })
        );
    }
}

//! Typed, size-capped access to a token's claims for the identity mapping.

use serde_json::{Map, Value};

use crate::mapping::{ClaimKind, IdentityError, MAX_CLAIM_BYTES};

/// A claims object (the token's, or a nested one such as `kubernetes.io`).
pub(crate) struct Claims<'a> {
    map: &'a Map<String, Value>,
    /// Prepended to claim names in errors (`kubernetes.io.` for nested claims).
    prefix: String,
}

impl<'a> Claims<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            prefix: String::new(),
        }
    }

    fn name(&self, claim: &str) -> String {
        format!("{}{claim}", self.prefix)
    }

    /// The claim, with `null` taken as absent.
    fn get(&self, claim: &str) -> Option<&'a Value> {
        self.map.get(claim).filter(|v| !v.is_null())
    }

    /// The claim as it is, if present (even `null`).
    pub(crate) fn raw(&self, claim: &str) -> Option<&'a Value> {
        self.map.get(claim)
    }

    fn missing(&self, claim: &str) -> IdentityError {
        IdentityError::MissingClaim {
            claim: self.name(claim),
        }
    }

    fn wrong_type(&self, claim: &str, expected: ClaimKind) -> IdentityError {
        IdentityError::ClaimType {
            claim: self.name(claim),
            expected,
        }
    }

    /// A required, non-empty JSON string.
    pub(crate) fn string(&self, claim: &str) -> Result<&'a str, IdentityError> {
        match self.get(claim) {
            None => Err(self.missing(claim)),
            Some(Value::String(s)) => {
                self.check(claim, s)?;
                Ok(s)
            }
            Some(_) => Err(self.wrong_type(claim, ClaimKind::String)),
        }
    }

    /// A required, non-empty string or integer, as text (integers in decimal,
    /// PROTOCOL.md §3.3: "numeric claims are stringified").
    pub(crate) fn text(&self, claim: &str) -> Result<String, IdentityError> {
        self.optional_text(claim)?.ok_or_else(|| {
            if self.get(claim).is_some() {
                IdentityError::EmptyClaim {
                    claim: self.name(claim),
                }
            } else {
                self.missing(claim)
            }
        })
    }

    /// An optional string or integer, as text; absent, `null` and `""` are `None`.
    pub(crate) fn optional_text(&self, claim: &str) -> Result<Option<String>, IdentityError> {
        let text = match self.get(claim) {
            None => return Ok(None),
            Some(Value::String(s)) if s.is_empty() => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            Some(_) => return Err(self.wrong_type(claim, ClaimKind::StringOrInteger)),
        };
        self.check(claim, &text)?;
        Ok(Some(text))
    }

    /// A required JSON object, as claims whose errors are named `<prefix><claim>.<name>`.
    pub(crate) fn object(&self, claim: &str) -> Result<Claims<'a>, IdentityError> {
        match self.get(claim) {
            None => Err(self.missing(claim)),
            Some(Value::Object(map)) => Ok(Claims {
                map,
                prefix: format!("{}.", self.name(claim)),
            }),
            Some(_) => Err(self.wrong_type(claim, ClaimKind::Object)),
        }
    }

    /// Non-empty, at most [`MAX_CLAIM_BYTES`], no control characters.
    fn check(&self, claim: &str, value: &str) -> Result<(), IdentityError> {
        if value.is_empty() {
            return Err(IdentityError::EmptyClaim {
                claim: self.name(claim),
            });
        }
        if value.len() > MAX_CLAIM_BYTES {
            return Err(IdentityError::ClaimTooLong {
                claim: self.name(claim),
                len: value.len(),
                max: MAX_CLAIM_BYTES,
            });
        }
        if let Some(character) = value.chars().find(|c| c.is_control()) {
            return Err(IdentityError::ControlCharacter {
                claim: self.name(claim),
                character,
            });
        }
        Ok(())
    }
}

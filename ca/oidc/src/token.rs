//! Bounded, unverified decoding of a compact JWS (RFC 7515 §7.1): the size cap and part
//! count come first, then base64url and JSON. Nothing decoded here is trusted; it only
//! routes the token (which issuer, which key) and feeds checks that run before the
//! signature is verified.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::{MalformedReason, Part, TokenError};

/// Default cap on the token length: 16 KiB. Real ID tokens are 1–2 KiB (GitHub Actions,
/// the largest common one, is about 1.5 KiB); a cap well above that costs nothing and stops
/// megabyte tokens before any base64 or JSON work.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Limits applied to a token before any parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLimits {
    /// Longest accepted token, in bytes.
    pub max_bytes: usize,
}

impl Default for TokenLimits {
    fn default() -> Self {
        TokenLimits {
            max_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }
}

/// Reads a token's `iss` claim without verifying anything, so the caller can choose the
/// issuer configuration before calling [`TokenVerifier::verify`](crate::TokenVerifier::verify).
///
/// The size cap and the part count (exactly three, counted with a scan that stops at the
/// fourth) are checked before any decoding.
///
/// # Errors
/// [`TokenError::TooLarge`], [`TokenError::Malformed`], [`TokenError::MissingClaim`]`("iss")`
/// or [`TokenError::InvalidClaim`] when `iss` is not a string.
pub fn peek_issuer(token: &str, limits: &TokenLimits) -> Result<String, TokenError> {
    let [_, payload, _] = split(token, limits.max_bytes)?;
    let claims = decode_json_object(payload, Part::Payload)?;
    match claims.get("iss") {
        None => Err(TokenError::MissingClaim("iss")),
        Some(Value::String(iss)) => Ok(iss.clone()),
        Some(_) => Err(TokenError::InvalidClaim {
            name: "iss",
            reason: "not a string",
        }),
    }
}

/// A token split and decoded, signature not checked.
#[derive(Debug)]
pub(crate) struct UnverifiedToken {
    /// The header's `alg`.
    pub alg: String,
    /// The header's `kid`, if present.
    pub kid: Option<String>,
    /// The payload.
    pub claims: Map<String, Value>,
}

/// Splits and decodes a token: size cap, part count, base64url and JSON, in that order.
pub(crate) fn decode(token: &str, max_bytes: usize) -> Result<UnverifiedToken, TokenError> {
    let [header, payload, signature] = split(token, max_bytes)?;
    let header = decode_json_object(header, Part::Header)?;
    let claims = decode_json_object(payload, Part::Payload)?;
    // An empty signature is what `alg: none` tokens carry: left for the algorithm check.
    if !signature.is_empty() && URL_SAFE_NO_PAD.decode(signature).is_err() {
        return Err(TokenError::Malformed(MalformedReason::Base64 {
            part: Part::Signature,
        }));
    }
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.clone(),
        _ => return Err(TokenError::Malformed(MalformedReason::MissingAlg)),
    };
    let kid = match header.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(TokenError::Malformed(MalformedReason::KidNotString)),
    };
    Ok(UnverifiedToken { alg, kid, claims })
}

/// Size cap, then exactly three `.`-separated parts (RFC 7515 §7.1). The scan stops at the
/// fourth part, so a token made of dots costs no more than its (capped) length.
fn split(token: &str, max_bytes: usize) -> Result<[&str; 3], TokenError> {
    if token.len() > max_bytes {
        return Err(TokenError::TooLarge {
            bytes: token.len(),
            max: max_bytes,
        });
    }
    if token.is_empty() {
        return Err(TokenError::Malformed(MalformedReason::Empty));
    }
    // Stops at the third dot: four parts or more are all the same error.
    let dots = token.bytes().filter(|b| *b == b'.').take(3).count();
    let wrong_count = TokenError::Malformed(MalformedReason::PartCount { found: dots + 1 });
    if dots != 2 {
        return Err(wrong_count);
    }
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature)) => Ok([header, payload, signature]),
        _ => Err(wrong_count),
    }
}

fn decode_json_object(part_text: &str, part: Part) -> Result<Map<String, Value>, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part_text)
        .map_err(|_| TokenError::Malformed(MalformedReason::Base64 { part }))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(TokenError::Malformed(MalformedReason::NotJsonObject {
            part,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn peek_reads_iss_and_checks_shape_first() {
        let token = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"ES256"}"#),
            b64(r#"{"iss":"https://a"}"#)
        );
        assert_eq!(
            peek_issuer(&token, &TokenLimits::default()).unwrap(),
            "https://a"
        );

        let limits = TokenLimits { max_bytes: 10 };
        assert_eq!(
            peek_issuer(&token, &limits),
            Err(TokenError::TooLarge {
                bytes: token.len(),
                max: 10
            })
        );
        assert_eq!(
            peek_issuer("a.b.c.d", &TokenLimits::default()),
            Err(TokenError::Malformed(MalformedReason::PartCount {
                found: 4
            }))
        );
        assert_eq!(
            peek_issuer("a.b", &TokenLimits::default()),
            Err(TokenError::Malformed(MalformedReason::PartCount {
                found: 2
            }))
        );
        assert_eq!(
            peek_issuer("", &TokenLimits::default()),
            Err(TokenError::Malformed(MalformedReason::Empty))
        );
        let no_iss = format!("{}.{}.sig", b64("{}"), b64(r#"{"sub":"x"}"#));
        assert_eq!(
            peek_issuer(&no_iss, &TokenLimits::default()),
            Err(TokenError::MissingClaim("iss"))
        );
        let array = format!("{}.{}.sig", b64("{}"), b64("[1]"));
        assert_eq!(
            peek_issuer(&array, &TokenLimits::default()),
            Err(TokenError::Malformed(MalformedReason::NotJsonObject {
                part: Part::Payload
            }))
        );
    }

    #[test]
    fn decode_reads_alg_and_kid() {
        let token = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256","kid":"k1"}"#),
            b64(r#"{"a":1}"#)
        );
        let t = decode(&token, DEFAULT_MAX_TOKEN_BYTES).unwrap();
        assert_eq!((t.alg.as_str(), t.kid.as_deref()), ("RS256", Some("k1")));
        assert_eq!(t.claims.get("a"), Some(&Value::from(1)));

        let bad_kid = format!("{}.{}.c2ln", b64(r#"{"alg":"RS256","kid":7}"#), b64("{}"));
        assert_eq!(
            decode(&bad_kid, DEFAULT_MAX_TOKEN_BYTES).unwrap_err(),
            TokenError::Malformed(MalformedReason::KidNotString)
        );
        let no_alg = format!("{}.{}.c2ln", b64("{}"), b64("{}"));
        assert_eq!(
            decode(&no_alg, DEFAULT_MAX_TOKEN_BYTES).unwrap_err(),
            TokenError::Malformed(MalformedReason::MissingAlg)
        );
        let bad_sig = format!("{}.{}.***", b64(r#"{"alg":"RS256"}"#), b64("{}"));
        assert_eq!(
            decode(&bad_sig, DEFAULT_MAX_TOKEN_BYTES).unwrap_err(),
            TokenError::Malformed(MalformedReason::Base64 {
                part: Part::Signature
            })
        );
    }
}

//! Why a token was rejected: one variant per check, carrying the values that failed it.
//!
//! The CA answers every token failure with HTTP 400 and Fulcio's generic message
//! (PROTOCOL.md §2.5); the `Display` text of these errors is what it may add after it, so
//! each one names the check and the values (never key material or the token itself).

use std::fmt;

/// A token failed verification. The variant names the check that failed.
///
/// Variants are ordered roughly as [`TokenVerifier::verify`](crate::TokenVerifier::verify)
/// runs the checks; a token that fails several checks reports the first. Every variant
/// before [`TokenError::BadSignature`] in that order is found without the signature being
/// checked yet, so it says nothing about whether the issuer really minted the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than the configured cap (checked before any parsing).
    #[error("token is {bytes} bytes, more than the maximum of {max}")]
    TooLarge {
        /// Length of the token as received.
        bytes: usize,
        /// The cap ([`VerifierConfig::max_token_bytes`](crate::VerifierConfig::max_token_bytes)).
        max: usize,
    },
    /// The token is not a compact JWS with a JSON header and a JSON-object payload.
    #[error("malformed token: {0}")]
    Malformed(MalformedReason),
    /// The header's `alg` is `none`, an HMAC algorithm, or one this verifier does not
    /// implement. Only RS256/384/512, PS256/384/512, ES256, ES384 and EdDSA are accepted.
    #[error("signing algorithm `{alg}` is not allowed")]
    AlgorithmNotAllowed {
        /// The header's `alg` value.
        alg: String,
    },
    /// The header's `alg` is not in the issuer's `id_token_signing_alg_values_supported`.
    #[error(
        "signing algorithm `{alg}` is not advertised by the issuer (it advertises {advertised:?})"
    )]
    AlgorithmNotAdvertised {
        /// The header's `alg` value.
        alg: String,
        /// What the issuer's discovery document lists.
        advertised: Vec<String>,
    },
    /// A required claim (`iss`, `sub`, `aud`, `exp`, `iat`) is absent.
    #[error("required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// A claim is present but has the wrong JSON type or an unusable value.
    #[error("claim `{name}` is invalid: {reason}")]
    InvalidClaim {
        /// Claim name.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The token's `iss` is not the issuer the caller asked to verify against.
    #[error("token issuer `{got}` is not the expected issuer `{expected}`")]
    IssuerMismatch {
        /// The issuer URL the caller configured.
        expected: String,
        /// The token's `iss`.
        got: String,
    },
    /// The issuer URL is not one this verifier will fetch from (see the crate docs' URL rules).
    #[error("issuer URL `{url}` is not allowed: {reason}")]
    IssuerUrlNotAllowed {
        /// The issuer URL.
        url: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// `aud` does not contain the expected audience.
    #[error("audience `{expected}` is not among the token's audiences {got:?}")]
    AudienceMismatch {
        /// The audience the caller expects (the issuer's client ID, usually `sigstore`).
        expected: String,
        /// The token's `aud` values.
        got: Vec<String>,
    },
    /// `exp` has passed (`now >= exp + leeway`).
    #[error("token expired at {exp} (now {now}, leeway {leeway_secs} s; Unix seconds)")]
    Expired {
        /// The token's `exp`, Unix seconds.
        exp: i64,
        /// The verifier's time, Unix seconds.
        now: i64,
        /// Allowed clock skew in seconds.
        leeway_secs: u64,
    },
    /// `nbf` has not been reached yet (`now + leeway < nbf`).
    #[error("token is not valid before {nbf} (now {now}, leeway {leeway_secs} s; Unix seconds)")]
    NotYetValid {
        /// The token's `nbf`, Unix seconds.
        nbf: i64,
        /// The verifier's time, Unix seconds.
        now: i64,
        /// Allowed clock skew in seconds.
        leeway_secs: u64,
    },
    /// `iat` is in the future (`now + leeway < iat`).
    #[error(
        "token is issued in the future at {iat} (now {now}, leeway {leeway_secs} s; Unix seconds)"
    )]
    IssuedInFuture {
        /// The token's `iat`, Unix seconds.
        iat: i64,
        /// The verifier's time, Unix seconds.
        now: i64,
        /// Allowed clock skew in seconds.
        leeway_secs: u64,
    },
    /// `iat` is older than the maximum token age (`now - iat > max_age`).
    #[error("token issued at {iat} is older than {max_age_secs} s (now {now}; Unix seconds)")]
    TooOld {
        /// The token's `iat`, Unix seconds.
        iat: i64,
        /// The verifier's time, Unix seconds.
        now: i64,
        /// The maximum age in seconds.
        max_age_secs: u64,
    },
    /// The issuer's discovery document names a different `issuer` than the URL it was
    /// fetched for (OpenID Connect Discovery 1.0 §4.3).
    #[error("discovery document for `{expected}` names issuer `{got}`")]
    DiscoveryIssuerMismatch {
        /// The issuer URL.
        expected: String,
        /// The document's `issuer`.
        got: String,
    },
    /// The discovery document's `jwks_uri` breaks the URL rules (see the crate docs).
    #[error("jwks_uri `{jwks_uri}` of issuer `{issuer}` is not allowed: {reason}")]
    JwksUrlNotAllowed {
        /// The issuer URL.
        issuer: String,
        /// The document's `jwks_uri`.
        jwks_uri: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A discovery document or JWKS could not be fetched.
    #[error("could not fetch `{url}`: {reason}")]
    IssuerUnavailable {
        /// The URL that was fetched.
        url: String,
        /// What went wrong.
        reason: FetchFailure,
    },
    /// A discovery document or JWKS was fetched but is not valid.
    #[error("invalid document at `{url}`: {reason}")]
    InvalidIssuerDocument {
        /// The URL it was fetched from.
        url: String,
        /// The parse error.
        reason: String,
    },
    /// The token's `kid` is not in the issuer's JWKS, even after the refetch that an unknown
    /// `kid` triggers (at most one per `jwks_min_refetch_interval` per issuer).
    #[error("no key with kid `{kid}` in the issuer's JWKS")]
    UnknownKey {
        /// The header's `kid`.
        kid: String,
    },
    /// No JWKS key fits the token: none of the right type and algorithm (for the `kid`, if
    /// any), or several when the token names no `kid`.
    #[error("no usable key for algorithm `{alg}` (kid {kid:?}): {reason}")]
    NoMatchingKey {
        /// The header's `kid`, if any.
        kid: Option<String>,
        /// The header's `alg`.
        alg: String,
        /// Why no key was chosen.
        reason: String,
    },
    /// The signature does not verify with the issuer's key.
    #[error("signature verification failed: {reason}")]
    BadSignature {
        /// The verifier's reason.
        reason: String,
    },
    /// `openidconnect` rejected the token for a reason the checks above do not cover (for
    /// example a `crit` header or a nested JWT).
    #[error("token rejected: {0}")]
    Rejected(String),
}

/// What is structurally wrong with a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MalformedReason {
    /// The token is empty.
    Empty,
    /// A compact JWS has exactly three `.`-separated parts (RFC 7515 §7.1); counting stops
    /// at the fourth, so `found` is at most 4 ("4 or more").
    PartCount {
        /// Parts seen (capped at 4).
        found: usize,
    },
    /// A part is not unpadded base64url (RFC 7515 §2).
    Base64 {
        /// Which part.
        part: Part,
    },
    /// The header or payload is not a JSON object.
    NotJsonObject {
        /// Which part.
        part: Part,
    },
    /// The header has no string `alg` (RFC 7515 §4.1.1).
    MissingAlg,
    /// The header's `kid` is not a string.
    KidNotString,
    /// `openidconnect` could not parse the token; the text is its reason.
    Unparsable(String),
}

/// A part of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The JOSE header (first part).
    Header,
    /// The claims (second part).
    Payload,
    /// The signature (third part).
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

impl fmt::Display for MalformedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MalformedReason::Empty => f.write_str("empty token"),
            MalformedReason::PartCount { found } if *found > 3 => {
                f.write_str("expected 3 dot-separated parts, found 4 or more")
            }
            MalformedReason::PartCount { found } => {
                write!(f, "expected 3 dot-separated parts, found {found}")
            }
            MalformedReason::Base64 { part } => write!(f, "{part} is not base64url"),
            MalformedReason::NotJsonObject { part } => write!(f, "{part} is not a JSON object"),
            MalformedReason::MissingAlg => f.write_str("header has no string `alg`"),
            MalformedReason::KidNotString => f.write_str("header `kid` is not a string"),
            MalformedReason::Unparsable(reason) => write!(f, "{reason}"),
        }
    }
}

/// Why a discovery or JWKS fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchFailure {
    /// The request did not complete within the fetch timeout (connect or total).
    #[error("timed out")]
    Timeout,
    /// The connection could not be made.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The server answered with a status other than 200 OK.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The server redirected to another origin, which is never followed.
    #[error("redirect to another origin refused (Location: {location:?})")]
    RedirectRefused {
        /// The `Location` header, if any.
        location: Option<String>,
    },
    /// The response body is larger than the limit (by `Content-Length` or as streamed).
    #[error("response larger than {max} bytes")]
    TooLarge {
        /// The limit ([`VerifierConfig::max_response_bytes`](crate::VerifierConfig::max_response_bytes)).
        max: usize,
    },
    /// Any other transport error.
    #[error("{0}")]
    Http(String),
}

/// A [`TokenVerifier`](crate::TokenVerifier) or
/// [`InsecureDevIssuer`](crate::dev_issuer::InsecureDevIssuer) could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The HTTP client (TLS roots, connector) could not be built.
    #[error("building the HTTP client: {0}")]
    HttpClient(String),
    /// A configuration value is unusable.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
}

//! OIDC identity-token verification for Signet's CA (PROTOCOL.md §2.3), and an insecure
//! development issuer.
//!
//! The CA first reads the token's unverified `iss` with [`peek_issuer`], matches it
//! against its configured issuers (exact or wildcard: `signet-ca-identity`'s job, not this
//! crate's), and only then calls [`TokenVerifier::verify`] with that issuer URL and its
//! client ID. So the only URLs ever fetched are the discovery document of an issuer the
//! caller allowed and the `jwks_uri` it names; no URL is taken from a request.
//!
//! * [`peek_issuer`]: size cap and part count before any decoding, then `iss`.
//! * [`TokenVerifier`]: discovery, per-issuer JWKS cache with a rate-limited refetch on an
//!   unknown `kid`, claim checks and the signature check by `openidconnect`. The steps and
//!   their order are listed on [`TokenVerifier::verify`]; each failure is a [`TokenError`]
//!   variant naming the check and its values. openidconnect selects the key and checks the
//!   JWT; the signature itself is verified with aws-lc-rs, through this crate's own JWK type
//!   (keys decoded and parsed once per JWKS fetch).
//! * [`dev_issuer::InsecureDevIssuer`]: an in-process issuer for development only.
//!
//! # URL rules
//!
//! * An **issuer URL** is `https://…`, or `http://…` only on a loopback host
//!   (`127.0.0.0/8`, `::1`, `localhost`: tests and the development issuer); it has no
//!   credentials, query or fragment (OpenID Connect Discovery 1.0 §2). Only
//!   `<issuer>/.well-known/openid-configuration` is fetched from it (§4), and its
//!   `issuer` must equal the issuer URL exactly (§4.3).
//! * A **`jwks_uri`** is `https://…` on any host (Google's is not on its issuer's host), or
//!   `http://…` only when the issuer is an `http` loopback issuer and the `jwks_uri` is on
//!   the same host.
//! * **Redirects** are followed only within the origin (scheme, host, port) first
//!   requested, at most three times; a redirect anywhere else fails the fetch.
//! * Every fetch has a connect and a total timeout, reads the body in chunks and gives up
//!   past the size limit whatever `Content-Length` says, and never uses a proxy for a
//!   loopback URL (others honour `HTTPS_PROXY`/`NO_PROXY`).
//!
//! Not here: issuer configuration and wildcard matching, mapping claims to a certificate
//! identity (`signet-ca-identity`), and any HTTP server other than the development issuer.

mod claims;
pub mod dev_issuer;
mod error;
mod fetch;
mod jwk;
mod jwks;
mod token;
mod verifier;

pub use error::{FetchFailure, MalformedReason, Part, SetupError, TokenError};
pub use token::{peek_issuer, TokenLimits, DEFAULT_MAX_TOKEN_BYTES};
pub use verifier::{TokenVerifier, VerifiedToken, VerifierConfig};

#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `TokenVerifier` against real OIDC issuers on 127.0.0.1, through the full discovery and
//! JWKS path. One test binary; the issuer harness is shared by both groups of tests.

mod algorithms;
mod issuer;
mod support;
mod tokens;

//! OIDC ID tokens, everything the CA reads from an untrusted token before (and in order to
//! choose) the key its signature is checked with, in `Ca::issue`'s order:
//! `signet_oidc::peek_issuer` (size cap, three parts, base64url, JSON, `iss`), the
//! registry lookup (`IssuerRegistry::find`, exact then wildcard issuers), then
//! `TokenVerifier::verify_at`: its offline steps (decode header and claims, `alg`
//! allow-list, issuer URL rules, `iss`/`sub`/`aud`/`exp`/`nbf`/`iat` at a fixed clock).
//! The registry's issuers are loopback URLs where nothing listens
//! (`fixtures::LOOPBACK_ISSUER`), so a token that passes every offline check ends in one
//! refused discovery fetch, never a fetch elsewhere. Input: the token text. Seeds:
//! hand-made tokens of each issuer type with the claims of real CI tokens (`seeds.py`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_fuzz::fixtures::{self, LOOPBACK_REGISTRY, RUNTIME, TOKEN_VERIFIER};
use signet_oidc::peek_issuer;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(iss) = peek_issuer(token, &TOKEN_VERIFIER.limits()) else {
        return;
    };
    let Some(issuer) = LOOPBACK_REGISTRY.find(&iss) else {
        return;
    };
    let _ =
        RUNTIME.block_on(TOKEN_VERIFIER.verify_at(token, &iss, issuer.audience(), fixtures::now()));
});

//! The Fulcio `POST /api/v2/signingCert` body: decoded into the handler's DTO
//! (`signet_ca::wire::SigningCertRequest`, as axum's `Json` does with serde_json), then
//! the parsing `Ca::issue` does with it, in its order: the body token (`peek_issuer`,
//! registry lookup, `TokenVerifier::verify_at`'s offline steps; loopback issuers only, see
//! the `jwt` target), then the key material as `request_key` takes it from the DTO
//! (`certificateSigningRequest` base64 → `parse_csr`, which wins; else
//! `publicKeyRequest`: `proofOfPossession` base64 → `verify_proof_of_possession` of
//! `publicKey.content`). `Ca::issue` checks the key only after the token has verified,
//! which no fuzzed token does; the key step runs here regardless, with the challenge the
//! seeds' email token maps to (`fixtures::POP_CHALLENGE`). Input: the request body. Seeds:
//! the three client shapes (sigstore-python CSR, sigstore-go/js public key + PoP, token in
//! the body or not) built by `seeds.py` with openssl keys.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use signet_ca::wire::SigningCertRequest;
use signet_ca_core::request::{parse_csr, verify_proof_of_possession};
use signet_fuzz::fixtures::{self, LOOPBACK_REGISTRY, POP_CHALLENGE, RUNTIME, TOKEN_VERIFIER};
use signet_oidc::peek_issuer;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<SigningCertRequest>(data) else {
        return;
    };
    let token = req
        .credentials
        .as_ref()
        .and_then(|c| c.oidc_identity_token.as_deref())
        .filter(|t| !t.is_empty());
    if let Some(token) = token {
        if let Ok(iss) = peek_issuer(token, &TOKEN_VERIFIER.limits()) {
            if let Some(issuer) = LOOPBACK_REGISTRY.find(&iss) {
                let _ = RUNTIME.block_on(TOKEN_VERIFIER.verify_at(
                    token,
                    &iss,
                    issuer.audience(),
                    fixtures::now(),
                ));
            }
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Some(csr) = req
        .certificate_signing_request
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        if let Ok(pem) = b64.decode(csr.trim()) {
            let _ = parse_csr(&pem);
        }
    } else if let Some(pk) = &req.public_key_request {
        if let Ok(signature) = b64.decode(pk.proof_of_possession.trim()) {
            let _ = verify_proof_of_possession(
                pk.public_key.content.as_bytes(),
                POP_CHALLENGE,
                &signature,
            );
        }
    }
});

//! Full bundle verification, as sigstore-go's `FuzzVerifier`: `Bundle::from_json`, then
//! `Verifier::verify` against each trusted root of the vectors (public-good production and
//! staging, the TSA test root, sigstore-go's managed-key root) at a fixed clock.
//!
//! The artefact and policy are taken from the bundle itself (its `messageDigest` or
//! in-toto subject digest; the leaf certificate's own SAN and issuer), so that a valid
//! bundle passes every step and a mutated one fails at the step it breaks: every step of
//! the verification path is reached, not only the first. Input: the bundle bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_fuzz::fixtures::{self, MANAGED_KEY, ROOTS};
use signet_verifier::bundle::{Bundle, Content};
use signet_verifier::common::HashAlgorithm;
use signet_verifier::identity::{signer_identity, IdentityPolicy};
use signet_verifier::verify::{Artifact, SignerPolicy};

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_json(data) else {
        return;
    };
    let policy = match bundle.leaf_certificate() {
        Some(leaf) => {
            let (san, issuer) = match signer_identity(leaf) {
                Ok(id) => (
                    id.sans
                        .first()
                        .map(|s| s.value().to_owned())
                        .unwrap_or_default(),
                    id.issuer,
                ),
                Err(_) => (String::new(), String::new()),
            };
            SignerPolicy::Identity(IdentityPolicy::exact(san, issuer))
        }
        None => SignerPolicy::Key(MANAGED_KEY.clone()),
    };
    let digest = artefact_digest(&bundle.content);
    let artifact = match &digest {
        Some(d) => Artifact::Sha256(*d),
        None => Artifact::Bytes(b""),
    };
    for root in ROOTS.iter() {
        let _ = root
            .verifier
            .verify(&bundle, artifact, &policy, fixtures::now());
    }
});

/// The SHA-256 the bundle says it signs: `messageDigest`, or the first in-toto subject's.
fn artefact_digest(content: &Content) -> Option<[u8; 32]> {
    let hex_digest = match content {
        Content::MessageSignature(m) => {
            let d = m.message_digest.as_ref()?;
            return match d.algorithm {
                HashAlgorithm::Sha2_256 => d.digest.as_slice().try_into().ok(),
                _ => None,
            };
        }
        Content::Dsse(d) => {
            let statement: serde_json::Value = serde_json::from_slice(&d.payload).ok()?;
            statement["subject"][0]["digest"]["sha256"]
                .as_str()?
                .to_owned()
        }
        _ => return None,
    };
    hex::decode(hex_digest).ok()?.try_into().ok()
}

//! The signature over the artefact or DSSE PAE, the in-toto subject, and the binding of
//! the log entry to this signature, key and digest (PROTOCOL.md §7.4, §8.1 steps 8–9;
//! CVE-2022-36056 class). A content change is logged and timestamped again, so only the
//! signature or subject check can fail; a body change is logged again (sealed), so only
//! the binding can.

use serde_json::{json, Value};
use signet_ca_core::san::SubjectAltName;
use signet_ca_core::signer::{CaAlgorithm, CaSigner as _};
use signet_verifier::verify::IN_TOTO_PAYLOAD_TYPE;

use super::*;
use crate::mutation_support::pki;

/// The DSSE content replaced by `payload_type`/`payload`, signed by the signer, logged
/// (dsse 0.0.1 naming it) and timestamped again.
fn resign_dsse(w: &World, s: &mut Scene, payload_type: &str, payload: Vec<u8>) {
    let signature = w.sign(&pae(payload_type, &payload));
    let pem = w.leaf_pem(&w.leaf);
    s.parts.entry().body = w.raw_dsse_body(&payload, &[(&signature, &pem)]);
    reseal(w, s);
    s.parts.content = ContentParts::Dsse {
        payload,
        payload_type: payload_type.to_owned(),
        signatures: vec![signature],
    };
    restamp(w, s);
}

/// The message bundle's entry replaced by a raw hashedrekord body, logged.
fn raw_body(w: &World, s: &mut Scene, algorithm: &str, digest_hex: &str, pem_b64: &str) {
    let sig = s.parts.signature();
    let mut body: Value =
        serde_json::from_slice(&w.raw_hashedrekord_body(&sig, digest_hex, pem_b64)).unwrap();
    body["spec"]["data"]["hash"]["algorithm"] = json!(algorithm);
    s.parts.entry().body = serde_json::to_vec(&body).unwrap();
    reseal(w, s);
}

fn artefact_hex() -> String {
    hex::encode(sha256(ARTEFACT))
}

/// A second signer (key and leaf) with the same identity.
fn other_signer(w: &World) -> (signet_ca_core::dev_key::InsecureSoftwareCaKey, Vec<u8>) {
    let key = pki::key(CaAlgorithm::EcdsaP256Sha256);
    let leaf = w.pki.issue(
        key.public_key_der(),
        &identity(SubjectAltName::Email(EMAIL.into())),
        unix(T0),
    );
    (key, leaf)
}

/// The v2 bundle's entry replaced by `body`, logged.
fn v2_body(w: &World, s: &mut Scene, body: Vec<u8>) {
    s.parts.entry().body = body;
    reseal(w, s);
}

#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    vec![
        // Signature over the artefact.
        case!("messageDigest of another artefact", Message => "Signature/MessageDigestMismatch", |w, s| {
            s.parts.content = ContentParts::Message { digest: Some(("SHA2_256".into(), sha256(b"other"))), signature: s.parts.signature() };
        }),
        case!("the caller's artefact is another one", Message => "Signature/MessageDigestMismatch", |w, s| {
            s.artefact = b"another artefact".to_vec();
        }),
        case!("messageDigest SHA-384 checked against a SHA-256 digest", Message => "Signature/DigestAlgorithm", |w, s| {
            s.by_digest = true;
            s.parts.content = ContentParts::Message { digest: Some(("SHA2_384".into(), vec![0; 48])), signature: s.parts.signature() };
        }),
        case!("signature over another artefact, logged and timestamped", Message => "Signature/ArtifactSignature", |w, s| {
            let sig = w.sign(b"another artefact");
            s.parts.content = ContentParts::Message { digest: Some(("SHA2_256".into(), sha256(ARTEFACT))), signature: sig };
            raw_body(w, s, "sha256", &artefact_hex(), &b64(&w.leaf_pem(&w.leaf)));
            restamp(w, s);
        }),
        case!("another artefact without messageDigest", Message => "Signature/ArtifactSignature", |w, s| {
            s.artefact = b"another artefact".to_vec();
            s.parts.content = ContentParts::Message { digest: None, signature: s.parts.signature() };
        }),
        case!("signature by another key of the same identity, logged", Message => "Signature/ArtifactSignature", |w, s| {
            let (key, _) = other_signer(w);
            s.parts.content = ContentParts::Message { digest: Some(("SHA2_256".into(), sha256(ARTEFACT))), signature: key.sign(ARTEFACT).unwrap() };
            raw_body(w, s, "sha256", &artefact_hex(), &b64(&w.leaf_pem(&w.leaf)));
            restamp(w, s);
        }),
        case!("DSSE payload changed, logged, not signed", Dsse => "Signature/DsseSignature", |w, s| {
            let payload = statement(b"other");
            let (sig, pem) = (s.parts.signature(), w.leaf_pem(&w.leaf));
            s.parts.entry().body = w.raw_dsse_body(&payload, &[(&sig, &pem)]);
            reseal(w, s);
            if let ContentParts::Dsse { payload: p, .. } = &mut s.parts.content { *p = payload; }
        }),
        case!("DSSE payloadType changed (outside what was signed)", Dsse => "Signature/DsseSignature", |w, s| {
            if let ContentParts::Dsse { payload_type, .. } = &mut s.parts.content { *payload_type = "application/json".into(); }
        }),
        case!("DSSE payloadType not in-toto, signed and logged", Dsse => "Signature/InToto", |w, s| {
            resign_dsse(w, s, "application/json", statement(ARTEFACT));
        }),
        case!("DSSE payload not JSON, signed and logged (GHSA-w6c6-c85g-mmv6)", Dsse => "Signature/InToto", |w, s| {
            resign_dsse(w, s, IN_TOTO_PAYLOAD_TYPE, b"{\"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": [".to_vec());
        }),
        case!("DSSE statement of an unknown _type, signed and logged", Dsse => "Signature/InToto", |w, s| {
            let mut st: Value = serde_json::from_slice(&statement(ARTEFACT)).unwrap();
            st["_type"] = json!("https://in-toto.io/Statement/v2");
            resign_dsse(w, s, IN_TOTO_PAYLOAD_TYPE, serde_json::to_vec(&st).unwrap());
        }),
        case!("DSSE statement naming another artefact, signed and logged", Dsse => "Signature/SubjectNotFound", |w, s| {
            resign_dsse(w, s, IN_TOTO_PAYLOAD_TYPE, statement(b"other"));
        }),
        case!("DSSE statement with the artefact's digest under another algorithm name", Dsse => "Signature/SubjectNotFound", |w, s| {
            let st = json!({"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a", "digest": {"sha512": artefact_hex()}}], "predicateType": "x", "predicate": {}});
            resign_dsse(w, s, IN_TOTO_PAYLOAD_TYPE, serde_json::to_vec(&st).unwrap());
        }),
        // Binding of the entry to this signing event (CVE-2022-36056, GHSA-whqx-f9j3-ch6m).
        case!("entry for another artefact (valid entry)", Message => "Binding/Field:spec.data.hash.value", |w, s| {
            s.parts.entries = w.build(b"another artefact", &Build::message()).entries;
        }),
        case!("entry for another signature over this artefact (valid entry)", Message => "Binding/Field:spec.signature.content", |w, s| {
            s.parts.entries = w.build(ARTEFACT, &Build::message()).entries;
        }),
        case!("entry naming another key, logged", Message => "Binding/Field:spec.signature.publicKey.content", |w, s| {
            let (_, leaf) = other_signer(w);
            raw_body(w, s, "sha256", &artefact_hex(), &b64(&w.leaf_pem(&leaf)));
        }),
        case!("entry hash algorithm sha512, logged", Message => "Binding/Field:spec.data.hash.algorithm", |w, s| {
            raw_body(w, s, "sha512", &artefact_hex(), &b64(&w.leaf_pem(&w.leaf)));
        }),
        case!("entry key not PEM, logged", Message => "Binding/Key", |w, s| {
            raw_body(w, s, "sha256", &artefact_hex(), &b64(b"not a PEM key"));
        }),
        case!("dsse entry for a message signature (valid entry)", Message => "Binding/WrongKindForContent", |w, s| {
            s.parts.entries = w.build(ARTEFACT, &Build::dsse(statement(ARTEFACT))).entries;
        }),
        case!("hashedrekord entry for a DSSE envelope (valid entry)", Dsse => "Binding/WrongKindForContent", |w, s| {
            s.parts.entries = w.build(ARTEFACT, &Build::message()).entries;
        }),
        case!("dsse entry for another envelope (valid entry)", Dsse => "Binding/Field:spec.payloadHash.value", |w, s| {
            s.parts.entries = w.build(ARTEFACT, &Build::dsse(statement(b"other"))).entries;
        }),
        case!("dsse entry for another signature of this envelope (valid entry)", Dsse => "Binding/Field:spec.signatures[0].signature", |w, s| {
            s.parts.entries = w.build(ARTEFACT, &Build::dsse(statement(ARTEFACT))).entries;
        }),
        case!("dsse entry with two signatures, logged", Dsse => "Binding/Field:spec.signatures", |w, s| {
            let (sig, pem) = (s.parts.signature(), w.leaf_pem(&w.leaf));
            let payload = statement(ARTEFACT);
            s.parts.entry().body = w.raw_dsse_body(&payload, &[(&sig, &pem), (&sig, &pem)]);
            reseal(w, s);
        }),
        case!("dsse entry naming another verifier, logged", Dsse => "Binding/Field:spec.signatures[0].verifier", |w, s| {
            let (_, leaf) = other_signer(w);
            let (sig, pem) = (s.parts.signature(), w.leaf_pem(&leaf));
            s.parts.entry().body = w.raw_dsse_body(&statement(ARTEFACT), &[(&sig, &pem)]);
            reseal(w, s);
        }),
        case!("dsse entry payloadHash sha512, logged", Dsse => "Binding/Field:spec.payloadHash.algorithm", |w, s| {
            let mut body = body_json(&s.parts.entries[0]);
            body["spec"]["payloadHash"]["algorithm"] = json!("sha512");
            s.parts.entry().body = serde_json::to_vec(&body).unwrap();
            reseal(w, s);
        }),
        case!("v2 entry digest of another artefact, logged", V2 => "Binding/Field:spec.hashedRekordV002.data.digest", |w, s| {
            let body = w.v002_body(&s.parts.signature(), &sha256(b"other"), &w.leaf);
            v2_body(w, s, body);
        }),
        case!("v2 entry another signature, logged", V2 => "Binding/Field:spec.hashedRekordV002.signature.content", |w, s| {
            let body = w.v002_body(&w.sign(ARTEFACT), &sha256(ARTEFACT), &w.leaf);
            v2_body(w, s, body);
        }),
        case!("v2 entry another certificate, logged", V2 => "Binding/Field:spec.hashedRekordV002.signature.verifier", |w, s| {
            let (_, leaf) = other_signer(w);
            let body = w.v002_body(&s.parts.signature(), &sha256(ARTEFACT), &leaf);
            v2_body(w, s, body);
        }),
        case!("v2 entry algorithm SHA2_384, logged", V2 => "Binding/Field:spec.hashedRekordV002.data.algorithm", |w, s| {
            let mut body: Value = serde_json::from_slice(&w.v002_body(&s.parts.signature(), &sha256(ARTEFACT), &w.leaf)).unwrap();
            body["spec"]["hashedRekordV002"]["data"]["algorithm"] = json!("SHA2_384");
            v2_body(w, s, serde_json::to_vec(&body).unwrap());
        }),
        case!("managed key: entry naming another key, logged", Key => "Binding/Field:spec.signature.publicKey.content", |w, s| {
            let (key, _) = other_signer(w);
            let pem = signet_rekor::pki::SubmittedKey::from_spki_der(key.public_key_der()).unwrap().canonical_pem_bytes().to_vec();
            raw_body(w, s, "sha256", &artefact_hex(), &b64(&pem));
        }),
    ]
}

//! Bundle shape, version and hard limits (PROTOCOL.md §6.1, §6.2; `common::Limit`): what
//! `Bundle::from_json` refuses before any signature is looked at.

use serde_json::{json, Value};
use signet_verifier::common::{MAX_BUNDLE_BYTES, MAX_DSSE_PAYLOAD_BYTES};

use super::*;

fn vm(v: &mut Value) -> &mut Value {
    &mut v["verificationMaterial"]
}

fn entry0(v: &mut Value) -> &mut Value {
    &mut v["verificationMaterial"]["tlogEntries"][0]
}

#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    vec![
        case!("media type: v0.4", Message => "Parse/UnsupportedMediaType", |w, s| {
            s.parts.media_type = "application/vnd.dev.sigstore.bundle.v0.4+json".into();
        }),
        case!("media type: v0.3 spelling with a trailing space", Message => "Parse/UnsupportedMediaType", |w, s| {
            s.parts.media_type = "application/vnd.dev.sigstore.bundle+json;version=0.3 ".into();
        }),
        case!("json: truncated document", Message => "Parse/Json", |w, s| {
            let json = s.parts.json_bytes();
            s.raw_json = Some(json[..json.len() / 2].to_vec());
        }),
        case!("json: unknown field", Message => "Parse/Json", |w, s| {
            json_edit(s, |v| v["verificationMaterial"]["tlogEntries"][0]["extra"] = json!(1));
        }),
        case!("json: messageSignature.signature missing", Message => "Parse/MissingField", |w, s| {
            json_edit(s, |v| { v["messageSignature"].as_object_mut().unwrap().remove("signature"); });
        }),
        case!("json: signature not base64", Message => "Parse/InvalidField", |w, s| {
            json_edit(s, |v| v["messageSignature"]["signature"] = json!("not base64!"));
        }),
        case!("json: negative logIndex", Message => "Parse/InvalidField", |w, s| {
            json_edit(s, |v| entry0(v)["logIndex"] = json!("-1"));
        }),
        case!("json: rootHash of 31 bytes", Message => "Parse/InvalidField", |w, s| {
            json_edit(s, |v| entry0(v)["inclusionProof"]["rootHash"] = json!(b64(&[7; 31])));
        }),
        case!("json: messageDigest length not the algorithm's", Message => "Parse/InvalidField", |w, s| {
            json_edit(s, |v| v["messageSignature"]["messageDigest"]["algorithm"] = json!("SHA2_512"));
        }),
        case!("oneof: certificate and publicKey", Message => "Parse/NotExactlyOne", |w, s| {
            json_edit(s, |v| vm(v)["publicKey"] = json!({"hint": "k"}));
        }),
        case!("oneof: messageSignature and dsseEnvelope", Message => "Parse/NotExactlyOne", |w, s| {
            json_edit(s, |v| v["dsseEnvelope"] = json!({"payload": "e30=", "payloadType": "x", "signatures": [{"sig": "AA=="}]}));
        }),
        case!("v0.3 with x509CertificateChain", Message => "Parse/CertificateChainInV03", |w, s| {
            s.parts.signer = SignerParts::Chain(vec![w.leaf.clone()]);
        }),
        case!("v0.1 with an empty certificate chain", V01 => "Parse/EmptyCertificateChain", |w, s| {
            s.parts.signer = SignerParts::Chain(Vec::new());
        }),
        case!("no tlog entries", Message => "Parse/NoTlogEntries", |w, s| {
            s.parts.entries.clear();
        }),
        case!("v0.1 without an inclusion promise", V01 => "Parse/MissingInclusionPromise", |w, s| {
            s.parts.entry().set = None;
        }),
        case!("v0.3 without an inclusion proof", Message => "Parse/MissingInclusionProof", |w, s| {
            s.parts.entry().proof = None;
        }),
        case!("v0.3 without a checkpoint", Message => "Parse/MissingCheckpoint", |w, s| {
            s.parts.entry().proof().checkpoint = None;
        }),
        case!("v0.3 with neither SET nor timestamp", Message => "Parse/NoSignedTime", |w, s| {
            s.parts.entry().set = None;
            s.parts.timestamps.clear();
        }),
        case!("proof index not below tree size", Message => "Parse/ProofIndexOutOfRange", |w, s| {
            s.parts.entry().proof().log_index = TREE_SIZE;
        }),
        case!("the same log entry twice", Message => "Parse/DuplicateTlogEntry", |w, s| {
            let e = s.parts.entries[0].clone();
            s.parts.entries.push(e);
        }),
        case!("the same timestamp twice", Message => "Parse/DuplicateTimestamp", |w, s| {
            let t = s.parts.timestamps[0].clone();
            s.parts.timestamps.push(t);
        }),
        case!("DSSE envelope with two signatures", Dsse => "Parse/DsseSignatureCount", |w, s| {
            if let ContentParts::Dsse { signatures, .. } = &mut s.parts.content {
                let second = signatures[0].clone();
                signatures.push(second);
            }
        }),
        case!("DSSE envelope with no signature", Dsse => "Parse/DsseSignatureCount", |w, s| {
            if let ContentParts::Dsse { signatures, .. } = &mut s.parts.content {
                signatures.clear();
            }
        }),
        // Hard limits (GHSA-cq38-jh5f-37mq: sigstore-go's 32 entries, 32 timestamps).
        case!("33 tlog entries", Message => "Parse/LimitExceeded:MAX_TLOG_ENTRIES", |w, s| {
            let e = s.parts.entries[0].clone();
            for i in 1..33 {
                let mut more = e.clone();
                more.log_index += i;
                s.parts.entries.push(more);
            }
        }),
        case!("33 timestamps", Message => "Parse/LimitExceeded:MAX_RFC3161_TIMESTAMPS", |w, s| {
            let sig = s.parts.signature();
            s.parts.timestamps = (0..33).map(|_| w.timestamp(&sig, GEN_TIME)).collect();
        }),
        case!("9 certificates in a v0.1 chain", V01 => "Parse/LimitExceeded:MAX_CERTIFICATE_CHAIN_LEN", |w, s| {
            s.parts.signer = SignerParts::Chain(vec![w.leaf.clone(); 9]);
        }),
        case!("65 inclusion-proof hashes", Message => "Parse/LimitExceeded:MAX_PROOF_HASHES", |w, s| {
            let h = s.parts.entry().proof().hashes[0];
            s.parts.entry().proof().hashes = vec![h; 65];
        }),
        case!("DSSE payload over 16 MiB", Dsse => "Parse/LimitExceeded:MAX_DSSE_PAYLOAD_BYTES", |w, s| {
            if let ContentParts::Dsse { payload, .. } = &mut s.parts.content {
                *payload = vec![b' '; MAX_DSSE_PAYLOAD_BYTES + 1];
            }
        }),
        case!("bundle over 32 MiB", Message => "Parse/LimitExceeded:MAX_BUNDLE_BYTES", |w, s| {
            let mut json = s.parts.json_bytes();
            json.resize(MAX_BUNDLE_BYTES + 1, b' ');
            s.raw_json = Some(json);
        }),
    ]
}

//! The transparency-log entry (PROTOCOL.md §4.2–§4.5, §5.3–§5.5, §8.1 steps 4–6): which
//! log, body kind, RFC 9162 inclusion, checkpoint signature, key ID and root, SET,
//! integrated time.

use serde_json::json;
use signet_tlog_core::hash::Hash;
use signet_tlog_core::keys::{EcdsaP256Signer, Ed25519NoteSigner, KeyError};
use signet_tlog_core::note::NoteSigner;
use signet_verifier::bundle::Signer;

use super::*;

/// A key signing notes under the log's name with a chosen key hint.
struct Hinted<'a> {
    key: &'a EcdsaP256Signer,
    hint: [u8; 4],
}

impl NoteSigner for Hinted<'_> {
    fn name(&self) -> &str {
        LOG_HOST
    }
    fn key_hint(&self) -> [u8; 4] {
        self.hint
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.key.sign(msg)
    }
}

fn hint(id: [u8; 32]) -> [u8; 4] {
    [id[0], id[1], id[2], id[3]]
}

fn other_root() -> Hash {
    Hash([0x42; 32])
}

fn ed25519(name: &str) -> Ed25519NoteSigner {
    Ed25519NoteSigner::from_seed(&Ed25519NoteSigner::generate_seed().unwrap(), name).unwrap()
}

#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    vec![
        case!("two valid entries", Message => "TlogEntryCount", |w, s| {
            let mut second = s.parts.entries[0].clone();
            second.log_index += 1;
            w.seal(&mut second);
            s.parts.entries.push(second);
        }),
        case!("model: no entry", Message => "TlogEntryCount", |w, s| {
            s.model = Some(|b| b.verification_material.tlog_entries.clear());
        }),
        case!("logId of a log the root does not trust", Message => "Tlog/UnknownLog", |w, s| {
            s.parts.entry().log_id[0] ^= 1;
        }),
        case!("root: log key unusable for its keyDetails", Message => "Tlog/UnusableLogKey", |w, s| {
            s.root["tlogs"][0]["publicKey"]["keyDetails"] = json!("PKIX_ED25519");
        }),
        case!("kindVersion names an unknown kind", Message => "Tlog/UnsupportedKind", |w, s| {
            s.parts.entry().kind = "intoto".into();
        }),
        case!("kindVersion names an unknown version", Message => "Tlog/UnsupportedKind", |w, s| {
            s.parts.entry().version = "0.0.3".into();
        }),
        case!("body not JSON, logged", Message => "Tlog/MalformedBody", |w, s| {
            s.parts.entry().body = b"not a JSON body".to_vec();
            reseal(w, s);
        }),
        case!("body of another kind than kindVersion, logged", Message => "Tlog/KindMismatch", |w, s| {
            let mut body = body_json(&s.parts.entries[0]);
            body["kind"] = json!("rekord");
            s.parts.entry().body = serde_json::to_vec(&body).unwrap();
            reseal(w, s);
        }),
        case!("v0.1 without an inclusion proof", V01 => "Tlog/NoInclusionProof", |w, s| {
            s.parts.entry().proof = None;
        }),
        case!("v0.1 proof without a checkpoint", V01 => "Tlog/NoInclusionProof", |w, s| {
            s.parts.entry().proof().checkpoint = None;
        }),
        case!("model: v0.3 proof removed", Message => "Tlog/NoInclusionProof", |w, s| {
            s.model = Some(|b| b.verification_material.tlog_entries[0].inclusion_proof = None);
        }),
        case!("proof hash flipped", Message => "Tlog/Inclusion", |w, s| {
            s.parts.entry().proof().hashes[0].0[0] ^= 1;
        }),
        case!("proof hash dropped", Message => "Tlog/Inclusion", |w, s| {
            s.parts.entry().proof().hashes.pop();
        }),
        case!("proof index moved", Message => "Tlog/Inclusion", |w, s| {
            s.parts.entry().proof().log_index = TREE_INDEX - 1;
        }),
        case!("proof root and checkpoint for another tree, signed", Message => "Tlog/Inclusion", |w, s| {
            let size = TREE_SIZE;
            let p = s.parts.entry().proof();
            p.root = other_root();
            p.checkpoint = Some(w.checkpoint_v1(size, other_root(), &[&w.log]));
        }),
        case!("checkpoint signature flipped", Message => "Tlog/Checkpoint", |w, s| {
            let p = s.parts.entry().proof();
            p.checkpoint = Some(flip_note_signature(p.checkpoint.as_ref().unwrap()));
        }),
        case!("checkpoint signed by an untrusted key named as the log", Message => "Tlog/Checkpoint", |w, s| {
            let p = s.parts.entry().proof();
            p.checkpoint = Some(w.checkpoint_v1(p.tree_size, p.root, &[&w.rogue_log]));
        }),
        case!("checkpoint signed by the log key under another key hint", Message => "Tlog/Checkpoint", |w, s| {
            let p = s.parts.entry().proof();
            let signer = Hinted { key: &w.log, hint: [0, 0, 0, 0] };
            p.checkpoint = Some(w.checkpoint_v1(p.tree_size, p.root, &[&signer]));
        }),
        case!("checkpoint signed by an untrusted key under the log's key hint", Message => "Tlog/Checkpoint", |w, s| {
            let p = s.parts.entry().proof();
            let signer = Hinted { key: &w.rogue_log, hint: hint(w.log.key_id()) };
            p.checkpoint = Some(w.checkpoint_v1(p.tree_size, p.root, &[&signer]));
        }),
        case!("Rekor v1 checkpoint with a second signer", Message => "Tlog/Checkpoint", |w, s| {
            let witness = EcdsaP256Signer::from_pkcs8(&EcdsaP256Signer::generate_pkcs8().unwrap(), "witness.test").unwrap();
            let p = s.parts.entry().proof();
            p.checkpoint = Some(w.checkpoint_v1(p.tree_size, p.root, &[&w.log, &witness]));
        }),
        case!("checkpoint not a signed note", Message => "Tlog/Checkpoint", |w, s| {
            s.parts.entry().proof().checkpoint = Some("not a note\n".into());
        }),
        case!("checkpoint for another root, signed by the log", Message => "Tlog/CheckpointMismatch", |w, s| {
            let p = s.parts.entry().proof();
            p.checkpoint = Some(w.checkpoint_v1(p.tree_size, other_root(), &[&w.log]));
        }),
        case!("checkpoint for another size, signed by the log", Message => "Tlog/CheckpointMismatch", |w, s| {
            let p = s.parts.entry().proof();
            p.checkpoint = Some(w.checkpoint_v1(p.tree_size + 1, p.root, &[&w.log]));
        }),
        case!("v2: checkpoint origin another host, signed under its name", V2 => "Tlog/CheckpointOrigin", |w, s| {
            let evil = ed25519("evil.test");
            let p = s.parts.entry().proof();
            p.checkpoint = Some(w.checkpoint_c2sp("evil.test", p.tree_size, p.root, &[&evil]));
        }),
        case!("v2: checkpoint signed by an untrusted key named as the log", V2 => "Tlog/Checkpoint", |w, s| {
            let rogue = ed25519(LOG_V2_HOST);
            let p = s.parts.entry().proof();
            p.checkpoint = Some(w.checkpoint_c2sp(LOG_V2_HOST, p.tree_size, p.root, &[&rogue]));
        }),
        case!("v2: checkpoint for another root, signed by the log", V2 => "Tlog/CheckpointMismatch", |w, s| {
            let p = s.parts.entry().proof();
            p.checkpoint = Some(w.checkpoint_c2sp(LOG_V2_HOST, p.tree_size, other_root(), &[&w.log_v2]));
        }),
        case!("SET without an integrated time", Message => "Tlog/PromiseWithoutTime", |w, s| {
            s.parts.entry().integrated_time = None;
        }),
        case!("SET byte flipped", Message => "Tlog/SignedEntryTimestamp", |w, s| {
            flip_last(s.parts.entry().set.as_mut().unwrap());
        }),
        case!("SET by an untrusted key", Message => "Tlog/SignedEntryTimestamp", |w, s| {
            let e = s.parts.entry();
            e.set = Some(w.set_by(&w.rogue_log, &e.body, INTEGRATED, e.log_index));
        }),
        case!("SET over another integrated time", Message => "Tlog/SignedEntryTimestamp", |w, s| {
            let e = s.parts.entry();
            e.set = Some(w.set_by(&w.log, &e.body, INTEGRATED - 30, e.log_index));
        }),
        case!("integrated time changed under its SET", Message => "Tlog/SignedEntryTimestamp", |w, s| {
            s.parts.entry().integrated_time = Some(INTEGRATED + 1);
        }),
        case!("SET over another log index", Message => "Tlog/SignedEntryTimestamp", |w, s| {
            let e = s.parts.entry();
            e.set = Some(w.set_by(&w.log, &e.body, INTEGRATED, e.log_index + 1));
        }),
        case!("logIndex changed under its SET", Message => "Tlog/SignedEntryTimestamp", |w, s| {
            s.parts.entry().log_index += 1;
        }),
        case!("SET over another body", Message => "Tlog/SignedEntryTimestamp", |w, s| {
            let e = s.parts.entry();
            e.set = Some(w.set_by(&w.log, b"{}", INTEGRATED, e.log_index));
        }),
        case!("SET on a Rekor v2 (0.0.2) entry", V2 => "Tlog/SignedEntryTimestamp", |w, s| {
            let e = s.parts.entry();
            e.integrated_time = Some(INTEGRATED);
            e.set = Some(w.set_by(&w.log, &e.body, INTEGRATED, e.log_index));
        }),
        case!("integrated time 61 s in the future, signed", Message => "Tlog/IntegratedTimeInFuture", |w, s| {
            s.parts.entry().integrated_time = Some(NOW + 61);
            reseal(w, s);
        }),
        case!("root: log key valid only until before the integrated time", Message => "Tlog/LogKeyOutsideValidity", |w, s| {
            s.root["tlogs"][0]["publicKey"]["validFor"]["end"] = json!(rfc3339(INTEGRATED - 1));
        }),
        case!("root: log key valid only from after the integrated time", Message => "Tlog/LogKeyOutsideValidity", |w, s| {
            s.root["tlogs"][0]["publicKey"]["validFor"]["start"] = json!(rfc3339(INTEGRATED + 1));
        }),
        case!("root: log key expired between integrated time and genTime", Message => "Tlog/LogKeyOutsideValidity", |w, s| {
            s.root["tlogs"][0]["publicKey"]["validFor"]["end"] = json!(rfc3339(INTEGRATED + 10));
        }),
        case!("v2: root log key expired before the timestamp", V2 => "Tlog/LogKeyOutsideValidity", |w, s| {
            s.root["tlogs"][1]["publicKey"]["validFor"]["end"] = json!(rfc3339(GEN_TIME - 1));
        }),
        case!("model: the signer replaced by an empty chain", V01 => "SignerMaterial", |w, s| {
            s.model = Some(|b| b.verification_material.signer = Signer::CertificateChain(Vec::new()));
        }),
    ]
}

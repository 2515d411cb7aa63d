//! A bundle as decoded parts ([`Parts`]), serialised to protobuf JSON (PROTOCOL.md §6).
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use serde_json::{json, Value};
use signet_tlog_core::hash::Hash;

use super::*;

#[derive(Clone, Debug)]
pub enum SignerParts {
    Certificate(Vec<u8>),
    Chain(Vec<Vec<u8>>),
    KeyHint(String),
}

#[derive(Clone, Debug)]
pub enum ContentParts {
    Message {
        /// (algorithm name, digest).
        digest: Option<(String, Vec<u8>)>,
        signature: Vec<u8>,
    },
    Dsse {
        payload: Vec<u8>,
        payload_type: String,
        signatures: Vec<Vec<u8>>,
    },
}

#[derive(Clone, Debug)]
pub struct ProofParts {
    pub log_index: u64,
    pub tree_size: u64,
    pub root: Hash,
    pub hashes: Vec<Hash>,
    pub checkpoint: Option<String>,
}

#[derive(Clone, Debug)]
pub struct EntryParts {
    /// Which log made it (not serialised; [`World::seal`] uses it).
    pub flavor: Flavor,
    pub log_index: u64,
    pub log_id: [u8; 32],
    pub kind: String,
    pub version: String,
    pub integrated_time: Option<u64>,
    pub set: Option<Vec<u8>>,
    pub proof: Option<ProofParts>,
    pub body: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Parts {
    pub media_type: String,
    pub signer: SignerParts,
    pub content: ContentParts,
    pub entries: Vec<EntryParts>,
    pub timestamps: Vec<Vec<u8>>,
}

impl EntryParts {
    pub fn proof(&mut self) -> &mut ProofParts {
        self.proof.as_mut().expect("entry has a proof")
    }

    pub fn to_json(&self) -> Value {
        let mut e = json!({
            "logIndex": self.log_index.to_string(),
            "logId": {"keyId": b64(&self.log_id)},
            "kindVersion": {"kind": self.kind, "version": self.version},
            "canonicalizedBody": b64(&self.body),
        });
        if let Some(t) = self.integrated_time {
            e["integratedTime"] = t.to_string().into();
        }
        if let Some(set) = &self.set {
            e["inclusionPromise"] = json!({"signedEntryTimestamp": b64(set)});
        }
        if let Some(p) = &self.proof {
            let hashes: Vec<String> = p.hashes.iter().map(|h| b64(h.as_bytes())).collect();
            e["inclusionProof"] = json!({
                "logIndex": p.log_index.to_string(),
                "rootHash": b64(p.root.as_bytes()),
                "treeSize": p.tree_size.to_string(),
                "hashes": hashes,
            });
            if let Some(c) = &p.checkpoint {
                e["inclusionProof"]["checkpoint"] = json!({"envelope": c});
            }
        }
        e
    }
}

impl Parts {
    pub fn entry(&mut self) -> &mut EntryParts {
        &mut self.entries[0]
    }

    /// The signature bytes (the message signature, or the DSSE envelope's first).
    pub fn signature(&self) -> Vec<u8> {
        match &self.content {
            ContentParts::Message { signature, .. } => signature.clone(),
            ContentParts::Dsse { signatures, .. } => signatures[0].clone(),
        }
    }

    /// The bundle as protobuf JSON (PROTOCOL.md §6).
    pub fn to_json(&self) -> Value {
        let entries: Vec<Value> = self.entries.iter().map(EntryParts::to_json).collect();
        let mut vm = json!({"tlogEntries": entries});
        match &self.signer {
            SignerParts::Certificate(der) => vm["certificate"] = json!({"rawBytes": b64(der)}),
            SignerParts::Chain(chain) => {
                let certs: Vec<Value> = chain.iter().map(|c| json!({"rawBytes": b64(c)})).collect();
                vm["x509CertificateChain"] = json!({"certificates": certs});
            }
            SignerParts::KeyHint(hint) => vm["publicKey"] = json!({"hint": hint}),
        }
        if !self.timestamps.is_empty() {
            let list: Vec<Value> = self
                .timestamps
                .iter()
                .map(|t| json!({"signedTimestamp": b64(t)}))
                .collect();
            vm["timestampVerificationData"] = json!({"rfc3161Timestamps": list});
        }
        let mut bundle = json!({"mediaType": self.media_type, "verificationMaterial": vm});
        match &self.content {
            ContentParts::Message { digest, signature } => {
                bundle["messageSignature"] = json!({"signature": b64(signature)});
                if let Some((algorithm, d)) = digest {
                    bundle["messageSignature"]["messageDigest"] =
                        json!({"algorithm": algorithm, "digest": b64(d)});
                }
            }
            ContentParts::Dsse {
                payload,
                payload_type,
                signatures,
            } => {
                let sigs: Vec<Value> = signatures
                    .iter()
                    .map(|s| json!({"sig": b64(s), "keyid": ""}))
                    .collect();
                bundle["dsseEnvelope"] = json!({
                    "payload": b64(payload), "payloadType": payload_type, "signatures": sigs,
                });
            }
        }
        bundle
    }

    pub fn json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).unwrap()
    }
}

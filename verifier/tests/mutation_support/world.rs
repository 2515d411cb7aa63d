//! [`World`]: every key a fresh bundle needs, the body, evidence and bundle builders, and
//! the baseline scenes.
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use serde_json::{json, Value};
use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::san::SubjectAltName;
use signet_ca_core::sct as ca_sct;
use signet_ca_core::signer::{CaAlgorithm, CaSigner as _};
use signet_rekor::entry::{canonicalize, EntryLimits};
use signet_rekor::pki::SubmittedKey;
use signet_rekor::set::sign_set;
use signet_tlog_core::checkpoint::{rekor_v1_origin, Checkpoint};
use signet_tlog_core::hash::Hash;
use signet_tlog_core::keys::{EcdsaP256Signer, Ed25519NoteSigner};
use signet_tlog_core::note::NoteSigner;
use signet_verifier::verify::{SignerPolicy, IN_TOTO_PAYLOAD_TYPE};
use x509_cert::der::asn1::BitString;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::Encode as _;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::*;

/// Every key and certificate a fresh bundle needs.
pub struct World {
    pub pki: Pki,
    /// The signer's ephemeral key (P-256), certified by [`World::leaf`].
    pub signer: InsecureSoftwareCaKey,
    pub leaf: Vec<u8>,
    /// The trusted Rekor v1 log key (named [`LOG_HOST`]).
    pub log: EcdsaP256Signer,
    /// An untrusted key that calls itself [`LOG_HOST`] too.
    pub rogue_log: EcdsaP256Signer,
    /// The trusted Rekor v2 log key (named [`LOG_V2_HOST`]).
    pub log_v2: Ed25519NoteSigner,
    pub tsa: Tsa,
    /// A TSA the trusted root does not know.
    pub rogue_tsa: Tsa,
}

fn ecdsa_log() -> EcdsaP256Signer {
    EcdsaP256Signer::from_pkcs8(&EcdsaP256Signer::generate_pkcs8().unwrap(), LOG_HOST).unwrap()
}

/// DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410 §4).
pub fn ed25519_spki(public_key: &[u8; 32]) -> Vec<u8> {
    SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("1.3.101.112"),
            parameters: None,
        },
        subject_public_key: BitString::from_bytes(public_key).unwrap(),
    }
    .to_der()
    .unwrap()
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    pub fn new() -> Self {
        let pki = Pki::new("signet");
        let signer = pki::key(CaAlgorithm::EcdsaP256Sha256);
        let leaf = pki.issue(
            signer.public_key_der(),
            &identity(SubjectAltName::Email(EMAIL.into())),
            unix(T0),
        );
        let seed = Ed25519NoteSigner::generate_seed().unwrap();
        Self {
            pki,
            signer,
            leaf,
            log: ecdsa_log(),
            rogue_log: ecdsa_log(),
            log_v2: Ed25519NoteSigner::from_seed(&seed, LOG_V2_HOST).unwrap(),
            tsa: tsa::make_tsa("Signet TSA", &tsa::ChainSpec::default()),
            rogue_tsa: tsa::make_tsa("Rogue TSA", &tsa::ChainSpec::default()),
        }
    }

    // ---- trust ----

    /// `trusted_root.json` (PROTOCOL.md §7.1) trusting this world's CA, CT log, both logs
    /// and the TSA.
    pub fn root_json(&self) -> Value {
        let tlog = |url: &str, key: &[u8], details: &str, id: &[u8]| {
            json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": b64(key), "keyDetails": details,
                              "validFor": {"start": "2025-01-01T00:00:00Z"}},
                "logId": {"keyId": b64(id)},
            })
        };
        let chain = |certs: &[&[u8]]| {
            let list: Vec<Value> = certs.iter().map(|c| json!({"rawBytes": b64(c)})).collect();
            json!({"certificates": list})
        };
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                tlog(&format!("https://{LOG_HOST}"), self.log.public_key_der(), "PKIX_ECDSA_P256_SHA_256", &self.log.key_id()),
                tlog(&format!("https://{LOG_V2_HOST}"), &ed25519_spki(&self.log_v2.public_key()), "PKIX_ED25519", &self.log_v2.key_id()),
            ],
            "certificateAuthorities": [{
                "subject": {"organization": "signet.test", "commonName": "signet"},
                "uri": "https://ca.signet.test",
                "certChain": chain(&[&self.pki.inter_der, &self.pki.root_der]),
                "validFor": {"start": "2025-01-01T00:00:00Z"},
            }],
            "ctlogs": [tlog("https://ct.signet.test", self.pki.ct.public_key_der(), "PKIX_ECDSA_P256_SHA_256",
                            &ca_sct::log_id(self.pki.ct.public_key_der()))],
            "timestampAuthorities": [{
                "subject": {"organization": "signet.test", "commonName": "signet-tsa"},
                "certChain": chain(&self.tsa.chain.iter().map(Vec::as_slice).collect::<Vec<_>>()),
                "validFor": {"start": "2024-06-01T00:00:00Z"},
            }],
        })
    }

    // ---- content ----

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.signer.sign(message).unwrap()
    }

    /// The canonical PEM the log records for the leaf certificate.
    pub fn leaf_pem(&self, leaf: &[u8]) -> Vec<u8> {
        SubmittedKey::from_certificate_der(leaf)
            .unwrap()
            .canonical_pem_bytes()
            .to_vec()
    }

    pub fn signer_pem(&self) -> Vec<u8> {
        SubmittedKey::from_spki_der(self.signer.public_key_der())
            .unwrap()
            .canonical_pem_bytes()
            .to_vec()
    }

    /// A hashedrekord 0.0.1 body, canonicalised by Signet's log code (which checks the
    /// signature over `digest` with `pem`).
    pub fn hashedrekord_body(&self, signature: &[u8], digest: &[u8], pem: &[u8]) -> Vec<u8> {
        let proposed = json!({
            "apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {
                "signature": {"content": b64(signature), "publicKey": {"content": b64(pem)}},
                "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
            },
        });
        canonicalize(
            &serde_json::to_vec(&proposed).unwrap(),
            &EntryLimits::default(),
        )
        .unwrap()
        .body
    }

    /// A hashedrekord 0.0.1 body written directly (no signature check): for bodies no
    /// log would accept.
    pub fn raw_hashedrekord_body(
        &self,
        signature: &[u8],
        digest_hex: &str,
        pem_b64: &str,
    ) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": digest_hex}},
                "signature": {"content": b64(signature), "publicKey": {"content": pem_b64}},
            },
        }))
        .unwrap()
    }

    /// A dsse 0.0.1 body, canonicalised by Signet's log code.
    pub fn dsse_body(
        &self,
        payload_type: &str,
        payload: &[u8],
        signature: &[u8],
        pem: &[u8],
    ) -> Vec<u8> {
        let envelope = json!({
            "payload": b64(payload), "payloadType": payload_type,
            "signatures": [{"keyid": "", "sig": b64(signature)}],
        });
        let proposed = json!({
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": {"proposedContent": {"envelope": envelope.to_string(), "verifiers": [b64(pem)]}},
        });
        canonicalize(
            &serde_json::to_vec(&proposed).unwrap(),
            &EntryLimits::default(),
        )
        .unwrap()
        .body
    }

    /// A dsse 0.0.1 body written directly: `payloadHash` of `payload` and one
    /// `{signature, verifier}` per `(signature, PEM)`.
    pub fn raw_dsse_body(&self, payload: &[u8], signatures: &[(&[u8], &[u8])]) -> Vec<u8> {
        let sigs: Vec<Value> = signatures
            .iter()
            .map(|(sig, pem)| json!({"signature": b64(sig), "verifier": b64(pem)}))
            .collect();
        serde_json::to_vec(&json!({
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": {
                "payloadHash": {"algorithm": "sha256", "value": hex::encode(sha256(payload))},
                "signatures": sigs,
            },
        }))
        .unwrap()
    }

    /// A hashedrekord 0.0.2 body (Rekor v2): `digest` signed, `verifier` the leaf DER.
    pub fn v002_body(&self, signature: &[u8], digest: &[u8], leaf: &[u8]) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "apiVersion": "0.0.2", "kind": "hashedrekord",
            "spec": {"hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": b64(digest)},
                "signature": {"content": b64(signature),
                              "verifier": {"x509Certificate": {"rawBytes": b64(leaf)},
                                           "keyDetails": "PKIX_ECDSA_P256_SHA_256"}},
            }},
        }))
        .unwrap()
    }

    /// A valid RFC 3161 timestamp over `signature` made at `gen_time`.
    pub fn timestamp(&self, signature: &[u8], gen_time: u64) -> Vec<u8> {
        tsa::respond(&self.tsa, signature, &tsa::Resp::at(unix(gen_time)), None)
    }

    // ---- log evidence ----

    /// A Rekor v1 checkpoint (origin `<host> - <tree ID>`, PROTOCOL.md §4.5) signed by `by`.
    pub fn checkpoint_v1(&self, size: u64, root: Hash, by: &[&dyn NoteSigner]) -> String {
        Checkpoint {
            origin: rekor_v1_origin(LOG_HOST, TREE_ID),
            size,
            root,
            extensions: Vec::new(),
        }
        .sign(by)
        .unwrap()
    }

    /// A C2SP checkpoint with `origin` signed by `by`.
    pub fn checkpoint_c2sp(
        &self,
        origin: &str,
        size: u64,
        root: Hash,
        by: &[&dyn NoteSigner],
    ) -> String {
        Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
        .sign(by)
        .unwrap()
    }

    /// The SET (PROTOCOL.md §4.3) of `body` at `time` and global index `index`, by `key`.
    pub fn set_by(&self, key: &EcdsaP256Signer, body: &[u8], time: u64, index: u64) -> Vec<u8> {
        sign_set(key, &b64(body), i64::try_from(time).unwrap(), index).unwrap()
    }

    /// Recomputes the entry's inclusion proof, checkpoint and (if it has one) SET from its
    /// body, integrated time and index, as its log would have: everything downstream of
    /// the body is validly signed again.
    pub fn seal(&self, e: &mut EntryParts) {
        let p = tree::prove(&e.body, TREE_INDEX, TREE_SIZE);
        let checkpoint = match e.flavor {
            Flavor::V1 => self.checkpoint_v1(p.size, p.root, &[&self.log]),
            Flavor::V2 => self.checkpoint_c2sp(LOG_V2_HOST, p.size, p.root, &[&self.log_v2]),
        };
        e.proof = Some(ProofParts {
            log_index: p.index,
            tree_size: p.size,
            root: p.root,
            hashes: p.hashes,
            checkpoint: Some(checkpoint),
        });
        if e.set.is_some() {
            let time = e.integrated_time.expect("a SET signs an integrated time");
            e.set = Some(self.set_by(&self.log, &e.body, time, e.log_index));
        }
    }

    /// A sealed entry for `body`.
    pub fn entry(&self, kind: Kind, body: Vec<u8>, with_set: bool) -> EntryParts {
        let (flavor, log_id) = match kind {
            Kind::HashedRekordV002 => (Flavor::V2, self.log_v2.key_id()),
            _ => (Flavor::V1, self.log.key_id()),
        };
        let (kind_name, version) = kind.names();
        let mut e = EntryParts {
            flavor,
            log_index: LOG_INDEX,
            log_id,
            kind: kind_name.to_owned(),
            version: version.to_owned(),
            integrated_time: (flavor == Flavor::V1).then_some(INTEGRATED),
            set: (with_set && flavor == Flavor::V1).then(Vec::new),
            proof: None,
            body,
        };
        self.seal(&mut e);
        e
    }

    // ---- whole bundles ----

    /// A valid bundle for `artefact` as `b` describes.
    pub fn build(&self, artefact: &[u8], b: &Build) -> Parts {
        let leaf = b.leaf.clone().unwrap_or_else(|| self.leaf.clone());
        let (content, signature, signed_digest) = match &b.payload {
            Payload::Message => {
                let signature = self.sign(artefact);
                let digest = sha256(artefact);
                let content = ContentParts::Message {
                    digest: Some(("SHA2_256".to_owned(), digest.clone())),
                    signature: signature.clone(),
                };
                (content, signature, digest)
            }
            Payload::Dsse {
                payload_type,
                payload,
            } => {
                let bytes = pae(payload_type, payload);
                let signature = self.sign(&bytes);
                let content = ContentParts::Dsse {
                    payload: payload.clone(),
                    payload_type: payload_type.clone(),
                    signatures: vec![signature.clone()],
                };
                (content, signature, sha256(&bytes))
            }
        };
        let pem = match b.signer {
            SignerForm::Key => self.signer_pem(),
            _ => self.leaf_pem(&leaf),
        };
        let body = match (&b.kind, &b.payload) {
            (Kind::HashedRekordV001, _) => self.hashedrekord_body(&signature, &signed_digest, &pem),
            (
                Kind::DsseV001,
                Payload::Dsse {
                    payload_type,
                    payload,
                },
            ) => self.dsse_body(payload_type, payload, &signature, &pem),
            (Kind::DsseV001, Payload::Message) => panic!("a dsse entry records a DSSE envelope"),
            (Kind::HashedRekordV002, _) => self.v002_body(&signature, &signed_digest, &leaf),
        };
        let entry = self.entry(b.kind, body, b.set);
        let signer = match &b.signer {
            SignerForm::Certificate => SignerParts::Certificate(leaf),
            SignerForm::Chain(rest) => {
                let mut chain = vec![leaf];
                chain.extend(rest.iter().cloned());
                SignerParts::Chain(chain)
            }
            SignerForm::Key => SignerParts::KeyHint("signet-test-key".to_owned()),
        };
        Parts {
            media_type: b.media_type.to_owned(),
            signer,
            content,
            entries: vec![entry],
            timestamps: (0..b.timestamps)
                .map(|_| self.timestamp(&signature, GEN_TIME))
                .collect(),
        }
    }

    fn scene(&self, parts: Parts, policy: SignerPolicy) -> Scene {
        Scene {
            parts,
            artefact: ARTEFACT.to_vec(),
            by_digest: false,
            policy,
            root: self.root_json(),
            now: unix(NOW),
            model: None,
            raw_json: None,
        }
    }

    /// v0.3, certificate, message signature, hashedrekord 0.0.1 with SET, proof and Rekor
    /// v1 checkpoint, and one RFC 3161 timestamp: two signing times.
    pub fn message_scene(&self) -> Scene {
        self.scene(self.build(ARTEFACT, &Build::message()), email_policy())
    }

    /// v0.3, certificate, DSSE in-toto statement naming the artefact, dsse 0.0.1 with SET,
    /// and one timestamp.
    pub fn dsse_scene(&self) -> Scene {
        self.scene(
            self.build(ARTEFACT, &Build::dsse(statement(ARTEFACT))),
            email_policy(),
        )
    }

    /// v0.3, certificate, message signature, hashedrekord 0.0.2 in a Rekor v2 log (C2SP
    /// checkpoint by the Ed25519 log key, no SET), and one timestamp: its only signing time.
    pub fn v2_scene(&self) -> Scene {
        self.scene(self.build(ARTEFACT, &Build::v2()), email_policy())
    }

    /// v0.3, managed key (public-key hint), hashedrekord 0.0.1 with SET, no timestamp.
    pub fn key_scene(&self) -> Scene {
        let b = Build {
            signer: SignerForm::Key,
            timestamps: 0,
            ..Build::message()
        };
        let policy = SignerPolicy::Key(self.signer.public_key_der().to_vec());
        self.scene(self.build(ARTEFACT, &b), policy)
    }

    /// v0.1, `x509CertificateChain` [leaf, intermediate], SET and proof, no timestamp.
    pub fn v01_chain_scene(&self) -> Scene {
        let b = Build {
            media_type: MEDIA_V01,
            signer: SignerForm::Chain(vec![self.pki.inter_der.clone()]),
            timestamps: 0,
            ..Build::message()
        };
        self.scene(self.build(ARTEFACT, &b), email_policy())
    }
}

/// Which log an entry is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Rekor v1: ECDSA log key, `<host> - <tree ID>` checkpoint, SET.
    V1,
    /// Rekor v2: Ed25519 log key, C2SP checkpoint with origin = host, no SET.
    V2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    HashedRekordV001,
    DsseV001,
    HashedRekordV002,
}

impl Kind {
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Kind::HashedRekordV001 => ("hashedrekord", "0.0.1"),
            Kind::DsseV001 => ("dsse", "0.0.1"),
            Kind::HashedRekordV002 => ("hashedrekord", "0.0.2"),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Payload {
    Message,
    Dsse {
        payload_type: String,
        payload: Vec<u8>,
    },
}

#[derive(Clone, Debug)]
pub enum SignerForm {
    Certificate,
    /// `x509CertificateChain`: the leaf, then these.
    Chain(Vec<Vec<u8>>),
    Key,
}

/// What [`World::build`] makes.
#[derive(Clone, Debug)]
pub struct Build {
    pub media_type: &'static str,
    pub signer: SignerForm,
    pub leaf: Option<Vec<u8>>,
    pub payload: Payload,
    pub kind: Kind,
    pub set: bool,
    pub timestamps: usize,
}

impl Build {
    pub fn message() -> Self {
        Self {
            media_type: MEDIA_V03,
            signer: SignerForm::Certificate,
            leaf: None,
            payload: Payload::Message,
            kind: Kind::HashedRekordV001,
            set: true,
            timestamps: 1,
        }
    }

    pub fn dsse(payload: Vec<u8>) -> Self {
        Self {
            payload: Payload::Dsse {
                payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
                payload,
            },
            kind: Kind::DsseV001,
            ..Self::message()
        }
    }

    pub fn v2() -> Self {
        Self {
            kind: Kind::HashedRekordV002,
            set: false,
            ..Self::message()
        }
    }
}

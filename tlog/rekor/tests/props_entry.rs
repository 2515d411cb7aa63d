//! Property tests for Rekor v1 proposed entries (PROTOCOL.md §4.1) and signed entry
//! timestamps (§4.3).
//!
//! * For random artefacts and freshly generated keys of every supported type (ECDSA P-256,
//!   P-384, P-521, RSA PKCS#1 v1.5 and PSS, Ed25519 for DSSE, a P-256 certificate chain),
//!   a hashedrekord 0.0.1 and a dsse 0.0.1 proposed entry canonicalise to RFC 8785 JSON
//!   whose RFC 6962 leaf hash is given, and canonicalisation is idempotent: the canonical
//!   body resubmitted (hashedrekord), or the entry rebuilt from the body's verifiers and
//!   the stored envelope (dsse), gives the same bytes and leaf hash. Sloppy encodings
//!   (PEM line width and CRLF, upper-case hex, JSON member order) canonicalise to the same
//!   body.
//! * The SET signs JCS `{body, integratedTime, logID, logIndex}`: sign → verify succeeds,
//!   and changing any field, the log key or the SET bytes makes it fail.
//! * Mutations of a valid proposed entry either are rejected with a typed `EntryError` or,
//!   if accepted, give a canonical body that verifies on its own; targeted ones (digest,
//!   signature, key, kind, apiVersion, unknown fields, DSSE payload/verifiers) must be
//!   rejected, and never a panic.
//!
//! Failures print a seed; `PROPTEST_CASES` overrides the case counts.

// Helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests;
// a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
mod support;

use std::sync::OnceLock;

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE};
use base64::Engine as _;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use signet_rekor::entry::{
    canonicalize, index_keys_of_body, CanonicalEntry, EntryError, EntryKind, EntryLimits,
};
use signet_rekor::pki::{HashAlgorithm, PkiError, SubmittedKey};
use signet_rekor::set::{set_payload, sign_set, verify_set};
use signet_tlog_core::keys::EcdsaP256Signer;
use support::{RsaPad, TestCa, TestKey};

// ---------------------------------------------------------------------------
// Keys and artefacts
// ---------------------------------------------------------------------------

/// Every key type the crate accepts.
#[derive(Clone, Copy, Debug)]
enum KeyKind {
    P256,
    P384,
    P521,
    Rsa(RsaPad),
    Ed25519,
    /// A P-256 leaf certificate, submitted with 0..=2 CA certificates above it.
    Certificate(u8),
}

fn key_kind() -> impl Strategy<Value = KeyKind> {
    prop_oneof![
        3 => Just(KeyKind::P256),
        1 => Just(KeyKind::P384),
        1 => Just(KeyKind::P521),
        1 => prop_oneof![
            Just(RsaPad::Pkcs1Sha256),
            Just(RsaPad::Pkcs1Sha384),
            Just(RsaPad::Pkcs1Sha512),
            Just(RsaPad::PssSha256),
        ]
        .prop_map(KeyKind::Rsa),
        2 => Just(KeyKind::Ed25519),
        2 => (0u8..=2).prop_map(KeyKind::Certificate),
    ]
}

/// Distinct RSA keys per run: one per DSSE signer position, one for `Targeted::OtherKey`.
const RSA_POOL: usize = 4;

/// RSA-2048 generation is slow in a debug build: a few fresh keys per run, reused; `pick`
/// chooses one (distinct picks, distinct keys).
fn rsa_pool(pad: RsaPad, pick: usize) -> TestKey {
    static POOL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        (0..RSA_POOL)
            .map(|_| {
                let k =
                    aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
                aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&k)
                    .unwrap()
                    .as_ref()
                    .to_vec()
            })
            .collect()
    });
    let der = &pool[pick % pool.len()];
    TestKey::Rsa(aws_lc_rs::rsa::KeyPair::from_pkcs8(der).unwrap(), pad)
}

/// A signing key and the PEM a client submits for it.
struct Signer {
    kind: KeyKind,
    key: TestKey,
    pem: Vec<u8>,
}

impl Signer {
    /// A fresh key of `kind` (RSA from the per-run pool, `pick` choosing which).
    fn new(kind: KeyKind, pick: usize) -> Self {
        let key = match kind {
            KeyKind::P256 => TestKey::p256(),
            KeyKind::P384 => TestKey::p384(),
            KeyKind::P521 => TestKey::p521(),
            KeyKind::Rsa(pad) => rsa_pool(pad, pick),
            KeyKind::Ed25519 => TestKey::ed25519(),
            KeyKind::Certificate(above) => {
                let root = TestCa::root("prop root");
                let mut chain = vec![root.der().to_vec()];
                let issuer = if above == 2 {
                    let inter = TestCa::issued("prop intermediate", &root, true);
                    chain.insert(0, inter.der().to_vec());
                    inter
                } else {
                    root
                };
                let (leaf, key) = issuer.leaf(&["prop@example.com"], &[]);
                chain.insert(0, leaf);
                chain.truncate(usize::from(above) + 1);
                let ders: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
                let pem = support::chain_pem(&ders).into_bytes();
                return Signer { kind, key, pem };
            }
        };
        let pem = key.pem().into_bytes();
        Signer { kind, key, pem }
    }

    /// The digest algorithm the key signs with (`TestKey::sign` hashes with it).
    fn hash(&self) -> HashAlgorithm {
        match self.kind {
            KeyKind::P384 | KeyKind::Rsa(RsaPad::Pkcs1Sha384) => HashAlgorithm::Sha384,
            KeyKind::P521 | KeyKind::Rsa(RsaPad::Pkcs1Sha512) => HashAlgorithm::Sha512,
            _ => HashAlgorithm::Sha256,
        }
    }
}

fn digest(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    match alg {
        HashAlgorithm::Sha384 => Sha384::digest(data).to_vec(),
        HashAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
        _ => Sha256::digest(data).to_vec(),
    }
}

/// Where a dsse proposed entry holds its envelope.
const ENVELOPE: &str = "/spec/proposedContent/envelope";

/// A fresh P-256 log key.
fn log_key() -> EcdsaP256Signer {
    EcdsaP256Signer::from_pkcs8(&EcdsaP256Signer::generate_pkcs8().unwrap(), "log").unwrap()
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn limits() -> EntryLimits {
    EntryLimits::default()
}

/// A hashedrekord 0.0.1 proposed entry over `artefact`.
fn hashedrekord(signer: &Signer, artefact: &[u8]) -> Value {
    let alg = signer.hash();
    support::hashedrekord(
        alg.name(),
        &hex::encode(digest(alg, artefact)),
        &signer.key.sign(artefact),
        &signer.pem,
    )
}

/// An in-toto Statement naming the artefact, or raw bytes under another payload type.
#[derive(Clone, Debug)]
enum Payload {
    InToto,
    Raw(String, Vec<u8>),
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        Just(Payload::InToto),
        (
            "[a-z]{1,8}/[a-z.+-]{1,16}",
            prop::collection::vec(any::<u8>(), 0..200)
        )
            .prop_map(|(t, p)| Payload::Raw(t, p)),
    ]
}

impl Payload {
    fn type_and_bytes(&self, artefact: &[u8]) -> (String, Vec<u8>) {
        match self {
            Payload::InToto => {
                let statement = json!({
                    "_type": "https://in-toto.io/Statement/v1",
                    "subject": [{
                        "name": "artefact",
                        "digest": {"sha256": hex::encode(Sha256::digest(artefact))},
                    }],
                    "predicateType": "https://example.com/prop/v1",
                    "predicate": {},
                });
                (
                    "application/vnd.in-toto+json".to_owned(),
                    to_bytes(&statement),
                )
            }
            Payload::Raw(t, p) => (t.clone(), p.clone()),
        }
    }
}

/// A dsse 0.0.1 proposed entry: every signer signs PAE once and is a verifier.
fn dsse(signers: &[Signer], payload_type: &str, payload: &[u8]) -> (Value, String) {
    let pae = support::pae(payload_type, payload);
    let sigs: Vec<Vec<u8>> = signers.iter().map(|s| s.key.sign(&pae)).collect();
    let envelope = support::envelope(payload_type, payload, &sigs);
    let pems: Vec<Vec<u8>> = signers.iter().map(|s| s.pem.clone()).collect();
    (support::dsse_entry(&envelope, &pems), envelope)
}

// ---------------------------------------------------------------------------
// What an accepted entry must satisfy
// ---------------------------------------------------------------------------

fn str_at<'a>(v: &'a Value, pointer: &str) -> Result<&'a str, String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no string at {pointer}"))
}

fn b64(s: &str) -> Result<Vec<u8>, String> {
    B64.decode(s).map_err(|e| e.to_string())
}

/// An accepted entry stands on its own: its body is RFC 8785 JSON whose RFC 6962 leaf hash
/// is `leaf_hash`, and the signature(s) it records verify with the key(s) it records (over
/// the digest for hashedrekord; over PAE of the stored envelope, which hashes to
/// `envelopeHash`, for dsse). Hashedrekord bodies also canonicalise to themselves.
fn check_entry_stands(entry: &CanonicalEntry) -> Result<(), String> {
    if entry.leaf_hash.0 != support::rfc6962_leaf_hash(&entry.body) {
        return Err("leaf hash is not SHA-256(0x00 || body)".into());
    }
    let body: Value = serde_json::from_slice(&entry.body).map_err(|e| e.to_string())?;
    if serde_json_canonicalizer::to_vec(&body).map_err(|e| e.to_string())? != entry.body {
        return Err("body is not RFC 8785 canonical JSON".into());
    }
    if str_at(&body, "/apiVersion")? != "0.0.1" || str_at(&body, "/kind")? != entry.kind.kind_str()
    {
        return Err("body kind/apiVersion".into());
    }
    match entry.kind {
        EntryKind::HashedRekord => {
            let key =
                SubmittedKey::from_pem(&b64(str_at(&body, "/spec/signature/publicKey/content")?)?)
                    .map_err(|e| e.to_string())?;
            let alg = HashAlgorithm::from_name(str_at(&body, "/spec/data/hash/algorithm")?)
                .ok_or("algorithm")?;
            let d =
                hex::decode(str_at(&body, "/spec/data/hash/value")?).map_err(|e| e.to_string())?;
            let sig = b64(str_at(&body, "/spec/signature/content")?)?;
            key.verify_digest(alg, &d, &sig)
                .map_err(|e| e.to_string())?;
            let again = canonicalize(&entry.body, &limits()).map_err(|e| e.to_string())?;
            if again.body != entry.body || again.leaf_hash != entry.leaf_hash {
                return Err("canonical body does not canonicalise to itself".into());
            }
        }
        _ => {
            let envelope = entry.extra.as_deref().ok_or("dsse without its envelope")?;
            if hex::encode(Sha256::digest(envelope)) != str_at(&body, "/spec/envelopeHash/value")? {
                return Err("envelopeHash".into());
            }
            let env: Value = serde_json::from_slice(envelope).map_err(|e| e.to_string())?;
            let payload_b64 = str_at(&env, "/payload")?;
            let payload = B64
                .decode(payload_b64)
                .or_else(|_| URL_SAFE.decode(payload_b64))
                .map_err(|e| e.to_string())?;
            if hex::encode(Sha256::digest(&payload)) != str_at(&body, "/spec/payloadHash/value")? {
                return Err("payloadHash".into());
            }
            let pae = support::pae(str_at(&env, "/payloadType")?, &payload);
            let in_envelope: Vec<&str> = env["signatures"]
                .as_array()
                .ok_or("signatures")?
                .iter()
                .filter_map(|s| s["sig"].as_str())
                .collect();
            let recorded = body["spec"]["signatures"].as_array().ok_or("signatures")?;
            if recorded.is_empty() {
                return Err("no signatures recorded".into());
            }
            for s in recorded {
                let sig = str_at(s, "/signature")?;
                if !in_envelope.contains(&sig) {
                    return Err("recorded signature not in the envelope".into());
                }
                let key = SubmittedKey::from_pem(&b64(str_at(s, "/verifier")?)?)
                    .map_err(|e| e.to_string())?;
                key.verify_message(&pae, &b64(sig)?)
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// Rebuilds a dsse proposed entry from a canonical body's verifiers and the stored envelope.
fn dsse_from_body(entry: &CanonicalEntry) -> Value {
    let body: Value = serde_json::from_slice(&entry.body).unwrap();
    let verifiers: Vec<Value> = body["spec"]["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["verifier"].clone())
        .collect();
    let envelope = String::from_utf8(entry.extra.clone().unwrap()).unwrap();
    json!({"kind": "dsse", "apiVersion": "0.0.1",
           "spec": {"proposedContent": {"envelope": envelope, "verifiers": verifiers}}})
}

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

/// A random JSON value to put somewhere.
fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!(["x", 1])),
        Just(json!({"content": "eA=="})),
    ]
}

/// A change at some node of a JSON document (nodes in pre-order, picked by `at`).
#[derive(Clone, Debug)]
enum JsonEdit {
    Replace(Index, Value),
    Remove(Index),
    /// A member that no schema defines, added to an object (or to the nearest one above).
    AddUnknown(Index, String, Value),
    /// Byte `i` of a string set to `b` (skipped when not UTF-8).
    StringByte(Index, Index, u8),
    StringTruncate(Index, Index),
    StringUpper(Index),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        (any::<Index>(), json_value()).prop_map(|(i, v)| JsonEdit::Replace(i, v)),
        any::<Index>().prop_map(JsonEdit::Remove),
        (any::<Index>(), "x-[a-zA-Z]{1,8}", json_value())
            .prop_map(|(i, k, v)| JsonEdit::AddUnknown(i, k, v)),
        (any::<Index>(), any::<Index>(), any::<u8>())
            .prop_map(|(i, j, b)| JsonEdit::StringByte(i, j, b)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, j)| JsonEdit::StringTruncate(i, j)),
        any::<Index>().prop_map(JsonEdit::StringUpper),
    ]
}

/// JSON pointers of every node but the root, in pre-order.
fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(child, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(child, &p, out);
            }
        }
        _ => {}
    }
}

impl JsonEdit {
    /// The edited document; `None` if the edit does not apply (e.g. not a string there).
    fn apply(&self, doc: &Value) -> Option<Value> {
        let mut doc = doc.clone();
        let mut ptrs = Vec::new();
        pointers(&doc, "", &mut ptrs);
        let pick = |i: &Index| ptrs[i.index(ptrs.len())].clone();
        match self {
            JsonEdit::Replace(i, v) => *doc.pointer_mut(&pick(i))? = v.clone(),
            JsonEdit::Remove(i) => {
                let p = pick(i);
                let (parent, key) = p.rsplit_once('/')?;
                match doc.pointer_mut(parent)? {
                    Value::Object(m) => {
                        m.remove(&key.replace("~1", "/").replace("~0", "~"))?;
                    }
                    Value::Array(a) => {
                        a.remove(key.parse::<usize>().ok()?);
                    }
                    _ => return None,
                }
            }
            JsonEdit::AddUnknown(i, k, v) => {
                let mut p = pick(i);
                loop {
                    if let Some(Value::Object(m)) = doc.pointer_mut(&p) {
                        m.insert(k.clone(), v.clone());
                        break;
                    }
                    p = p.rsplit_once('/')?.0.to_owned();
                }
            }
            JsonEdit::StringByte(i, j, b) => {
                let Value::String(s) = doc.pointer_mut(&pick(i))? else {
                    return None;
                };
                let mut bytes = s.clone().into_bytes();
                if bytes.is_empty() {
                    return None;
                }
                let at = j.index(bytes.len());
                bytes[at] = *b;
                *s = String::from_utf8(bytes).ok()?;
            }
            JsonEdit::StringTruncate(i, j) => {
                let Value::String(s) = doc.pointer_mut(&pick(i))? else {
                    return None;
                };
                let at = j.index(s.len() + 1);
                if !s.is_char_boundary(at) {
                    return None;
                }
                s.truncate(at);
            }
            JsonEdit::StringUpper(i) => {
                let Value::String(s) = doc.pointer_mut(&pick(i))? else {
                    return None;
                };
                *s = s.to_uppercase();
            }
        }
        Some(doc)
    }
}

/// Targeted mutations with a definite expected outcome.
#[derive(Clone, Debug)]
enum Targeted {
    /// hashedrekord: another digest of the right length (must be rejected).
    OtherDigest([u8; 64]),
    /// hashedrekord: the digest in upper-case hex (same canonical body).
    UpperHex,
    /// hashedrekord: a different supported algorithm with a digest of its length.
    OtherAlgorithm(u8),
    /// A bit of the (first) signature flipped.
    SignatureBit(usize),
    /// The key (first verifier) replaced by a fresh key of the same kind.
    OtherKey,
    /// The PEM re-wrapped at 76 columns with CRLF (same canonical body).
    SloppyPem,
    Kind(String),
    ApiVersion(String),
    /// An unknown member added at one of the document's objects.
    Unknown(Index, String),
    /// dsse: a payload byte changed (or a byte appended to an empty payload).
    PayloadByte(Index, u8),
    /// dsse: another payload type.
    PayloadType(String),
    /// dsse: a verifier of an unrelated fresh key added.
    ExtraVerifier,
    /// dsse: the verifiers in another order (same canonical body).
    ReverseVerifiers,
}

fn targeted() -> impl Strategy<Value = Targeted> {
    prop_oneof![
        any::<[u8; 64]>().prop_map(Targeted::OtherDigest),
        Just(Targeted::UpperHex),
        any::<u8>().prop_map(Targeted::OtherAlgorithm),
        any::<usize>().prop_map(Targeted::SignatureBit),
        Just(Targeted::OtherKey),
        Just(Targeted::SloppyPem),
        prop_oneof![
            Just("intoto".to_owned()),
            Just("rekord".to_owned()),
            "[a-zA-Z]{0,12}"
        ]
        .prop_map(Targeted::Kind),
        prop_oneof![
            Just("0.0.2".to_owned()),
            Just("0.0.1 ".to_owned()),
            "[0-9.]{0,6}"
        ]
        .prop_map(Targeted::ApiVersion),
        (any::<Index>(), "x-[a-zA-Z]{1,8}").prop_map(|(i, k)| Targeted::Unknown(i, k)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Targeted::PayloadByte(i, b)),
        "[a-z]{1,8}/[a-z]{1,8}".prop_map(Targeted::PayloadType),
        Just(Targeted::ExtraVerifier),
        Just(Targeted::ReverseVerifiers),
    ]
}

/// What a targeted mutation must lead to.
#[derive(Debug, PartialEq)]
enum Expect {
    Rejected,
    SameBody,
    /// Does not apply to this entry kind.
    Skip,
}

/// One case's valid entry and what it was made from.
struct Case {
    signers: Vec<Signer>,
    artefact: Vec<u8>,
    payload_type: String,
    payload: Vec<u8>,
    proposed: Value,
    kind: EntryKind,
}

impl Case {
    fn hashedrekord(signer: Signer, artefact: Vec<u8>) -> Self {
        let proposed = hashedrekord(&signer, &artefact);
        Case {
            signers: vec![signer],
            artefact,
            payload_type: String::new(),
            payload: Vec::new(),
            proposed,
            kind: EntryKind::HashedRekord,
        }
    }

    fn dsse(signers: Vec<Signer>, artefact: Vec<u8>, payload: &Payload) -> Self {
        let (payload_type, payload) = payload.type_and_bytes(&artefact);
        let (proposed, _) = dsse(&signers, &payload_type, &payload);
        Case {
            signers,
            artefact,
            payload_type,
            payload,
            proposed,
            kind: EntryKind::Dsse,
        }
    }

    /// Rebuilds the dsse entry from edited parts, signing with the case's keys.
    fn dsse_with(&self, payload_type: &str, payload: &[u8], sign_with_original: bool) -> Value {
        if sign_with_original {
            // Signatures over the original PAE, envelope carrying the edited payload.
            let pae = support::pae(&self.payload_type, &self.payload);
            let sigs: Vec<Vec<u8>> = self.signers.iter().map(|s| s.key.sign(&pae)).collect();
            let envelope = support::envelope(payload_type, payload, &sigs);
            let pems: Vec<Vec<u8>> = self.signers.iter().map(|s| s.pem.clone()).collect();
            return support::dsse_entry(&envelope, &pems);
        }
        dsse(&self.signers, payload_type, payload).0
    }

    /// The targeted mutation applied, and what must come of it.
    fn apply(&self, t: &Targeted) -> (Value, Expect) {
        use Expect::{Rejected, SameBody, Skip};
        let p = &self.proposed;
        let hr = self.kind == EntryKind::HashedRekord;
        let set = |ptr: &str, v: Value| support::with(p, ptr, v);
        match t {
            Targeted::OtherDigest(d) if hr => {
                let len = self.signers[0].hash().digest_len();
                let old = digest(self.signers[0].hash(), &self.artefact);
                if d[..len] == old[..] {
                    return (p.clone(), SameBody);
                }
                (
                    set("/spec/data/hash/value", json!(hex::encode(&d[..len]))),
                    Rejected,
                )
            }
            Targeted::UpperHex if hr => {
                let v = str_at(p, "/spec/data/hash/value").unwrap().to_uppercase();
                (set("/spec/data/hash/value", json!(v)), SameBody)
            }
            Targeted::OtherAlgorithm(n) if hr => {
                let algs = [
                    HashAlgorithm::Sha256,
                    HashAlgorithm::Sha384,
                    HashAlgorithm::Sha512,
                ];
                let alg = algs[usize::from(*n) % 3];
                if alg == self.signers[0].hash() {
                    return (p.clone(), SameBody);
                }
                let v = set("/spec/data/hash/algorithm", json!(alg.name()));
                let d = hex::encode(digest(alg, &self.artefact));
                (
                    support::with(&v, "/spec/data/hash/value", json!(d)),
                    Rejected,
                )
            }
            Targeted::SignatureBit(n) => {
                if hr {
                    let mut sig = b64(str_at(p, "/spec/signature/content").unwrap()).unwrap();
                    let bit = n % (8 * sig.len());
                    sig[bit / 8] ^= 1 << (bit % 8);
                    (
                        set("/spec/signature/content", json!(B64.encode(sig))),
                        Rejected,
                    )
                } else {
                    let env = str_at(p, "/spec/proposedContent/envelope").unwrap();
                    let mut env: Value = serde_json::from_str(env).unwrap();
                    let mut sig = b64(str_at(&env, "/signatures/0/sig").unwrap()).unwrap();
                    let bit = n % (8 * sig.len());
                    sig[bit / 8] ^= 1 << (bit % 8);
                    env["signatures"][0]["sig"] = json!(B64.encode(sig));
                    (
                        set("/spec/proposedContent/envelope", json!(env.to_string())),
                        Rejected,
                    )
                }
            }
            Targeted::OtherKey => {
                let other = Signer::new(self.signers[0].kind, RSA_POOL - 1);
                let pem = json!(B64.encode(&other.pem));
                if hr {
                    (set("/spec/signature/publicKey/content", pem), Rejected)
                } else {
                    let mut v = p.clone();
                    v["spec"]["proposedContent"]["verifiers"][0] = pem;
                    (v, Rejected)
                }
            }
            Targeted::SloppyPem => {
                let sloppy = json!(B64.encode(support::sloppy(&self.signers[0].pem)));
                if hr {
                    (set("/spec/signature/publicKey/content", sloppy), SameBody)
                } else {
                    let mut v = p.clone();
                    v["spec"]["proposedContent"]["verifiers"][0] = sloppy;
                    (v, SameBody)
                }
            }
            Targeted::Kind(k) if k == self.kind.kind_str() => (p.clone(), SameBody),
            Targeted::Kind(k) => (set("/kind", json!(k)), Rejected),
            Targeted::ApiVersion(a) if a == "0.0.1" => (p.clone(), SameBody),
            Targeted::ApiVersion(a) => (set("/apiVersion", json!(a)), Rejected),
            Targeted::Unknown(i, k) => {
                let mut objects = vec![String::new()];
                let mut all = Vec::new();
                pointers(p, "", &mut all);
                objects.extend(
                    all.into_iter()
                        .filter(|ptr| p.pointer(ptr).is_some_and(Value::is_object)),
                );
                let at = &objects[i.index(objects.len())];
                let mut v = p.clone();
                v.pointer_mut(at)
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .insert(k.clone(), json!("x"));
                (v, Rejected)
            }
            Targeted::PayloadByte(i, b) if !hr => {
                let mut payload = self.payload.clone();
                if payload.is_empty() {
                    payload.push(*b);
                } else {
                    let at = i.index(payload.len());
                    if payload[at] == *b {
                        return (p.clone(), SameBody);
                    }
                    payload[at] = *b;
                }
                (self.dsse_with(&self.payload_type, &payload, true), Rejected)
            }
            Targeted::PayloadType(t) if !hr => {
                if *t == self.payload_type {
                    return (p.clone(), SameBody);
                }
                (self.dsse_with(t, &self.payload, true), Rejected)
            }
            Targeted::ExtraVerifier if !hr => {
                let mut v = p.clone();
                let extra = Signer::new(KeyKind::P256, 0);
                v["spec"]["proposedContent"]["verifiers"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!(B64.encode(&extra.pem)));
                (v, Rejected)
            }
            Targeted::ReverseVerifiers if !hr => {
                let mut v = p.clone();
                v["spec"]["proposedContent"]["verifiers"]
                    .as_array_mut()
                    .unwrap()
                    .reverse();
                (v, SameBody)
            }
            _ => (p.clone(), Skip),
        }
    }
}

// ---------------------------------------------------------------------------
// Strategies for whole cases
// ---------------------------------------------------------------------------

fn artefact() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..512)
}

/// Key kinds that can sign a hashedrekord (Ed25519 cannot verify a prehashed digest).
fn hashedrekord_kind() -> impl Strategy<Value = KeyKind> {
    key_kind().prop_filter("prehash-capable", |k| !matches!(k, KeyKind::Ed25519))
}

/// Key kinds for DSSE: RSA only with SHA-256 (Rekor loads DSSE verifiers with SHA-256).
fn dsse_kinds() -> impl Strategy<Value = Vec<KeyKind>> {
    let kind = key_kind().prop_map(|k| match k {
        KeyKind::Rsa(RsaPad::Pkcs1Sha384 | RsaPad::Pkcs1Sha512) => {
            KeyKind::Rsa(RsaPad::Pkcs1Sha256)
        }
        other => other,
    });
    prop::collection::vec(kind, 1..=3)
}

fn make_signers(kinds: &[KeyKind]) -> Vec<Signer> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, k)| Signer::new(*k, i))
        .collect()
}

/// A hashedrekord or dsse case.
fn any_case() -> impl Strategy<Value = (bool, KeyKind, Vec<KeyKind>, Vec<u8>, Payload)> {
    (
        any::<bool>(),
        hashedrekord_kind(),
        dsse_kinds(),
        artefact(),
        payload(),
    )
}

fn build(
    (is_hr, hr_kind, dsse_kinds, artefact, payload): (
        bool,
        KeyKind,
        Vec<KeyKind>,
        Vec<u8>,
        Payload,
    ),
) -> Case {
    if is_hr {
        Case::hashedrekord(Signer::new(hr_kind, 0), artefact)
    } else {
        Case::dsse(make_signers(&dsse_kinds), artefact, &payload)
    }
}

fn config(cases: u32) -> ProptestConfig {
    // Debug builds on a loaded 2-core machine: key generation and signing dominate.
    // `PROPTEST_CASES` (read into the default) still wins, for longer runs by hand.
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        default.cases
    } else {
        cases
    };
    ProptestConfig { cases, ..default }
}

proptest! {
    #![proptest_config(config(128))]

    /// hashedrekord 0.0.1: canonicalises; the body resubmitted gives the same bytes and
    /// leaf hash; sloppy but equivalent submissions give the same body too.
    #[test]
    fn hashedrekord_canonicalisation_is_idempotent(
        kind in hashedrekord_kind(),
        artefact in artefact(),
    ) {
        let case = Case::hashedrekord(Signer::new(kind, 0), artefact);
        let entry = canonicalize(&to_bytes(&case.proposed), &limits()).unwrap();
        prop_assert_eq!(entry.kind, EntryKind::HashedRekord);
        prop_assert!(entry.extra.is_none());
        check_entry_stands(&entry).map_err(TestCaseError::fail)?;
        let again = canonicalize(&entry.body, &limits()).unwrap();
        prop_assert_eq!(&again.body, &entry.body);
        prop_assert_eq!(again.leaf_hash, entry.leaf_hash);
        prop_assert_eq!(&again.index_keys, &entry.index_keys);
        prop_assert_eq!(&index_keys_of_body(&entry.body).unwrap(), &entry.index_keys);
        // Members in another order, other whitespace: same body.
        let reversed = reversed_json(&case.proposed);
        let compact = to_bytes(&case.proposed);
        prop_assert_ne!(reversed.as_bytes(), compact.as_slice());
        let again = canonicalize(reversed.as_bytes(), &limits()).unwrap();
        prop_assert_eq!(again.body, entry.body.clone());
    }

    /// Ed25519 cannot sign a hashedrekord (no prehashed Ed25519): a typed rejection.
    #[test]
    fn hashedrekord_with_ed25519_is_a_typed_rejection(artefact in artefact()) {
        let signer = Signer::new(KeyKind::Ed25519, 0);
        // Sign what a client would have to: the digest itself, as a message.
        let d = Sha256::digest(&artefact);
        let sig = signer.key.sign(&d);
        let proposed = support::hashedrekord("sha256", &hex::encode(d), &sig, &signer.pem);
        let err = canonicalize(&to_bytes(&proposed), &limits()).unwrap_err();
        prop_assert!(
            matches!(err, EntryError::Signature(PkiError::KeyTypeNotAllowed { .. })),
            "{:?}", err
        );
    }

    /// dsse 0.0.1: canonicalises; the entry rebuilt from the body's verifiers and the
    /// stored envelope gives the same bytes and leaf hash; the body itself, resubmitted,
    /// is a typed rejection (its fields are computed by the log).
    #[test]
    fn dsse_canonicalisation_is_idempotent(
        kinds in dsse_kinds(),
        artefact in artefact(),
        payload in payload(),
    ) {
        let case = Case::dsse(make_signers(&kinds), artefact, &payload);
        let entry = canonicalize(&to_bytes(&case.proposed), &limits()).unwrap();
        prop_assert_eq!(entry.kind, EntryKind::Dsse);
        check_entry_stands(&entry).map_err(TestCaseError::fail)?;
        let body: Value = serde_json::from_slice(&entry.body).unwrap();
        prop_assert_eq!(body["spec"]["signatures"].as_array().unwrap().len(), kinds.len());
        let rebuilt = canonicalize(&to_bytes(&dsse_from_body(&entry)), &limits()).unwrap();
        prop_assert_eq!(&rebuilt.body, &entry.body);
        prop_assert_eq!(rebuilt.leaf_hash, entry.leaf_hash);
        prop_assert_eq!(&rebuilt.extra, &entry.extra);
        let resubmitted = canonicalize(&entry.body, &limits()).unwrap_err();
        prop_assert!(
            matches!(resubmitted, EntryError::ServerComputedField { .. }),
            "{:?}",
            resubmitted
        );
        // The index keys derivable from the body are a subset of the entry's.
        for key in index_keys_of_body(&entry.body).unwrap() {
            prop_assert!(entry.index_keys.contains(&key), "{}", key);
        }
        if matches!(payload, Payload::InToto) {
            let subject = format!("sha256:{}", hex::encode(Sha256::digest(&case.artefact)));
            prop_assert!(entry.index_keys.contains(&subject));
        }
    }

    /// Targeted mutations: each is rejected with a typed error, or (for equivalent
    /// encodings) gives exactly the same canonical body.
    #[test]
    fn targeted_mutations_have_their_expected_outcome(
        case in any_case(),
        muts in prop::collection::vec(targeted(), 1..5),
    ) {
        let case = build(case);
        let entry = canonicalize(&to_bytes(&case.proposed), &limits()).unwrap();
        for m in &muts {
            let (mutated, expect) = case.apply(m);
            let got = canonicalize(&to_bytes(&mutated), &limits());
            match expect {
                Expect::Skip => {}
                Expect::Rejected => prop_assert!(got.is_err(), "{:?} accepted: {}", m, mutated),
                Expect::SameBody => {
                    let got = got.map_err(|e| TestCaseError::fail(format!("{m:?}: {e}")))?;
                    prop_assert_eq!(&got.body, &entry.body, "{:?}", m);
                    prop_assert_eq!(got.leaf_hash, entry.leaf_hash);
                }
            }
        }
    }

    /// Random edits anywhere in the proposed entry (and inside a DSSE envelope): a typed
    /// rejection, or an accepted entry that stands on its own. Never a panic.
    #[test]
    fn random_mutations_are_rejected_or_still_verify(
        case in any_case(),
        edits in prop::collection::vec(json_edit(), 1..6),
        in_envelope in prop::collection::vec(json_edit(), 0..3),
    ) {
        let case = build(case);
        let mut docs: Vec<Value> = edits.iter().filter_map(|e| e.apply(&case.proposed)).collect();
        if case.kind == EntryKind::Dsse {
            let envelope = str_at(&case.proposed, ENVELOPE).unwrap();
            let env: Value = serde_json::from_str(envelope).unwrap();
            for e in &in_envelope {
                if let Some(env) = e.apply(&env) {
                    docs.push(support::with(&case.proposed, ENVELOPE, json!(env.to_string())));
                }
            }
        }
        for doc in &docs {
            let bytes = to_bytes(doc);
            match canonicalize(&bytes, &limits()) {
                Ok(entry) => check_entry_stands(&entry)
                    .map_err(|e| TestCaseError::fail(format!("accepted {doc} but {e}")))?,
                // A client error with a message, never the internal-bug variant (HTTP 500).
                Err(e) => prop_assert!(
                    !matches!(e, EntryError::Serialize(_)) && !e.to_string().is_empty(),
                    "{:?}",
                    e
                ),
            }
        }
    }

    /// SET (PROTOCOL.md §4.3): sign → verify over JCS {body, integratedTime, logID,
    /// logIndex}; any changed field, another log key, or a changed SET fails. Times and
    /// indexes stay below 2^53: JCS writes numbers as IEEE-754 doubles (RFC 8785
    /// §3.2.2.3, as Rekor's Go canonicaliser), so above that neighbouring values share a
    /// payload (unreachable for a log: 2^53 entries, or seconds ~285 million years ahead).
    #[test]
    fn set_round_trips_and_binds_every_field(
        body in prop::collection::vec(any::<u8>(), 1..300),
        time in 0i64..(1 << 53),
        index in 0u64..(1 << 53),
        flip in any::<usize>(),
        dt in prop_oneof![Just(1i64), Just(-1i64), any::<i32>().prop_map(i64::from)]
            .prop_filter("changed", |d| *d != 0),
        di in 1u64..(1 << 40),
        cut in any::<Index>(),
    ) {
        let (log, other) = (log_key(), log_key());
        let v = log.verifier();
        let body_b64 = B64.encode(&body);
        let set = sign_set(&log, &body_b64, time, index).unwrap();
        prop_assert!(verify_set(&v, &body_b64, time, index, &set).is_ok());

        // The payload is exactly JCS of the four fields.
        let log_id = hex::encode(Sha256::digest(log.public_key_der()));
        let payload = set_payload(&body_b64, time, &log_id, index).unwrap();
        let want = json!({
            "body": body_b64, "integratedTime": time, "logID": log_id, "logIndex": index,
        });
        prop_assert_eq!(&payload, &serde_json_canonicalizer::to_vec(&want).unwrap());
        // Below 2^53 the JCS numbers (IEEE-754 doubles, RFC 8785 §3.2.2.3) are exact.
        let parsed: Value = serde_json::from_slice(&payload).unwrap();
        prop_assert_eq!(parsed["integratedTime"].as_i64(), Some(time));
        prop_assert_eq!(parsed["logIndex"].as_u64(), Some(index));
        prop_assert!(v.verify(&payload, &set).is_ok());

        let mut changed = body.clone();
        let bit = flip % (8 * changed.len());
        changed[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(verify_set(&v, &B64.encode(&changed), time, index, &set).is_err());
        prop_assert!(verify_set(&v, &body_b64, time.wrapping_add(dt), index, &set).is_err());
        prop_assert!(verify_set(&v, &body_b64, time, index ^ di, &set).is_err());
        prop_assert!(verify_set(&other.verifier(), &body_b64, time, index, &set).is_err());
        let mut bad = set.clone();
        let bit = flip % (8 * bad.len());
        bad[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(verify_set(&v, &body_b64, time, index, &bad).is_err());
        prop_assert!(verify_set(&v, &body_b64, time, index, &set[..cut.index(set.len())]).is_err());
    }
}

/// The same JSON text with every object's members in reverse order (serde_json's map keeps
/// keys sorted, so the text is composed here from serialised keys and leaves).
fn reversed_json(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let members: Vec<String> = m
                .iter()
                .rev()
                .map(|(k, child)| format!("{}: {}", Value::String(k.clone()), reversed_json(child)))
                .collect();
            format!("{{ {} }}", members.join(", "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(reversed_json).collect();
            format!("[ {} ]", items.join(", "))
        }
        other => other.to_string(),
    }
}

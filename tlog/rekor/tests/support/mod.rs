//! Helpers for tests/entries.rs: vectors, PEM text, JSON edits, generated keys and CAs.

use std::path::PathBuf;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use aws_lc_rs::{agreement, rsa};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

// ----- vectors -----

/// `$SIGNET_VECTORS`, else `<workspace root>/../shared/vectors`; missing is a failure.
pub fn vectors_dir() -> PathBuf {
    signet_testdata::vectors_dir()
}

pub fn read_json(rel: &str) -> Value {
    let path = vectors_dir().join(rel);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer}"))
}

/// A bundle's hashedrekord 0.0.1 entry with what a client would submit for it.
pub struct RealHashedRekord {
    /// The canonical body Rekor stored.
    pub body: Vec<u8>,
    pub digest_hex: String,
    pub signature: Vec<u8>,
    /// The signing certificate (from the bundle, or from the body if the bundle lacks it).
    pub cert_der: Vec<u8>,
}

impl RealHashedRekord {
    pub fn load(rel: &str) -> Self {
        let b = read_json(rel);
        let entry = &b["verificationMaterial"]["tlogEntries"][0];
        assert_eq!(str_at(entry, "/kindVersion/kind"), "hashedrekord", "{rel}");
        assert_eq!(str_at(entry, "/kindVersion/version"), "0.0.1", "{rel}");
        assert_eq!(
            str_at(&b, "/messageSignature/messageDigest/algorithm"),
            "SHA2_256",
            "{rel}"
        );
        let body = B64.decode(str_at(entry, "/canonicalizedBody")).unwrap();
        let digest = B64
            .decode(str_at(&b, "/messageSignature/messageDigest/digest"))
            .unwrap();
        let signature = B64
            .decode(str_at(&b, "/messageSignature/signature"))
            .unwrap();
        let mut real = Self {
            body,
            digest_hex: hex::encode(digest),
            signature,
            cert_der: Vec::new(),
        };
        real.cert_der = try_bundle_cert_der(&b).unwrap_or_else(|| pem_body_der(&real.body_pem()));
        real
    }

    /// The PEM (as Go's `pem.Encode` wrote it) inside the stored body.
    pub fn body_pem(&self) -> Vec<u8> {
        let body: Value = serde_json::from_slice(&self.body).unwrap();
        B64.decode(str_at(&body, "/spec/signature/publicKey/content"))
            .unwrap()
    }
}

fn try_bundle_cert_der(b: &Value) -> Option<Vec<u8>> {
    let vm = &b["verificationMaterial"];
    let raw = vm
        .pointer("/certificate/rawBytes")
        .or_else(|| vm.pointer("/x509CertificateChain/certificates/0/rawBytes"))?;
    Some(B64.decode(raw.as_str()?).unwrap())
}

pub fn bundle_cert_der(b: &Value) -> Vec<u8> {
    try_bundle_cert_der(b).expect("bundle has a certificate")
}

/// The decoded body of a bundle's intoto 0.0.2 tlog entry, if that is its kind.
pub fn intoto_body(b: &Value) -> Option<Value> {
    let entry = &b["verificationMaterial"]["tlogEntries"][0];
    (entry["kindVersion"]["kind"] == "intoto").then(|| {
        serde_json::from_slice(&B64.decode(str_at(entry, "/canonicalizedBody")).unwrap()).unwrap()
    })
}

/// The verifier PEM Rekor stored (canonical, from Go) in an intoto 0.0.2 body.
pub fn intoto_public_key_pem(b: &Value) -> Vec<u8> {
    let body = intoto_body(b).expect("intoto tlog entry");
    B64.decode(str_at(
        &body,
        "/spec/content/envelope/signatures/0/publicKey",
    ))
    .unwrap()
}

/// Certificates (DER) of a trusted root's certificate authority.
pub fn ca_chain(rel: &str, index: usize) -> Vec<Vec<u8>> {
    let root = read_json(rel);
    root["certificateAuthorities"][index]["certChain"]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| B64.decode(c["rawBytes"].as_str().unwrap()).unwrap())
        .collect()
}

// ----- encodings -----

pub fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// RFC 6962 §2.1 leaf hash, computed here independently of the crate.
pub fn rfc6962_leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(body);
    h.finalize().into()
}

/// PEM text with a chosen line width, line end and final newline.
pub fn pem(label: &str, der: &[u8], width: usize, eol: &str, trailing_newline: bool) -> String {
    let b64 = B64.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(width.min(b64.len().max(1)))
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let mut out = format!(
        "-----BEGIN {label}-----{eol}{}{eol}-----END {label}-----",
        lines.join(eol)
    );
    if trailing_newline {
        out.push_str(eol);
    }
    out
}

/// Go `pem.Encode` form: 64 columns, `\n`, trailing newline.
pub fn pem64(label: &str, der: &[u8]) -> String {
    pem(label, der, 64, "\n", true)
}

pub fn chain_pem(ders: &[&[u8]]) -> String {
    ders.iter().map(|d| pem64("CERTIFICATE", d)).collect()
}

/// Splits PEM text into (label, DER) blocks.
fn pem_blocks(text: &[u8]) -> Vec<(String, Vec<u8>)> {
    let text = std::str::from_utf8(text).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines().map(str::trim) {
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            current = Some((label.to_owned(), String::new()));
        } else if line.starts_with("-----END ") {
            let (label, b64) = current.take().unwrap();
            blocks.push((label, B64.decode(b64).unwrap()));
        } else if let Some((_, b64)) = current.as_mut() {
            b64.push_str(line);
        }
    }
    blocks
}

/// The DER of the first block of PEM text.
pub fn pem_body_der(text: &[u8]) -> Vec<u8> {
    pem_blocks(text).remove(0).1
}

/// The same blocks in Go `pem.Encode` form.
pub fn pem_to_canonical(text: &[u8]) -> Vec<u8> {
    pem_blocks(text)
        .iter()
        .map(|(label, der)| pem64(label, der))
        .collect::<String>()
        .into_bytes()
}

/// The same blocks re-wrapped at 76 columns with CRLF and no final newline.
pub fn sloppy(text: &[u8]) -> Vec<u8> {
    pem_blocks(text)
        .iter()
        .map(|(label, der)| pem(label, der, 76, "\r\n", false))
        .collect::<Vec<_>>()
        .join("\r\n")
        .into_bytes()
}

/// DSSE v1 PAE (DSSE protocol.md), computed here independently of the crate.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

// ----- proposed entries -----

pub fn hashedrekord(alg: &str, digest_hex: &str, signature: &[u8], pem: &[u8]) -> Value {
    json!({
        "kind": "hashedrekord",
        "apiVersion": "0.0.1",
        "spec": {
            "signature": {"content": B64.encode(signature), "publicKey": {"content": B64.encode(pem)}},
            "data": {"hash": {"algorithm": alg, "value": digest_hex}},
        },
    })
}

pub fn envelope(payload_type: &str, payload: &[u8], sigs: &[Vec<u8>]) -> String {
    let signatures: Vec<Value> = sigs
        .iter()
        .map(|s| json!({"keyid": "", "sig": B64.encode(s)}))
        .collect();
    json!({"payload": B64.encode(payload), "payloadType": payload_type, "signatures": signatures})
        .to_string()
}

pub fn dsse_entry(envelope: &str, verifiers: &[Vec<u8>]) -> Value {
    let verifiers: Vec<String> = verifiers.iter().map(|v| B64.encode(v)).collect();
    json!({
        "kind": "dsse",
        "apiVersion": "0.0.1",
        "spec": {"proposedContent": {"envelope": envelope, "verifiers": verifiers}},
    })
}

/// A valid P-256 hashedrekord over SHA-256("hello").
pub fn valid_hashedrekord() -> (Value, TestKey) {
    let key = TestKey::p256();
    let v = hashedrekord(
        "sha256",
        &hex::encode(Sha256::digest(b"hello")),
        &key.sign(b"hello"),
        key.pem().as_bytes(),
    );
    (v, key)
}

/// `v` with the value at JSON pointer `pointer` set (a missing last member is added).
pub fn with(v: &Value, pointer: &str, new: Value) -> Value {
    let mut v = v.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match v.pointer_mut(parent).unwrap() {
        Value::Object(map) => {
            map.insert(key.to_owned(), new);
        }
        other => panic!("{parent} is not an object: {other}"),
    }
    v
}

/// `v` without member `key` of the object at `parent`.
pub fn without(v: &Value, parent: &str, key: &str) -> Value {
    let mut v = v.clone();
    v.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key);
    v
}

// ----- keys -----

#[derive(Clone, Copy, Debug)]
pub enum RsaPad {
    Pkcs1Sha256,
    Pkcs1Sha384,
    Pkcs1Sha512,
    PssSha256,
}

pub enum TestKey {
    Ec(EcdsaKeyPair),
    Rsa(rsa::KeyPair, RsaPad),
    Ed(Ed25519KeyPair),
}

impl TestKey {
    fn ec(alg: &'static sig::EcdsaSigningAlgorithm) -> Self {
        Self::Ec(EcdsaKeyPair::generate(alg).unwrap())
    }
    pub fn p256() -> Self {
        Self::ec(&sig::ECDSA_P256_SHA256_ASN1_SIGNING)
    }
    pub fn p384() -> Self {
        Self::ec(&sig::ECDSA_P384_SHA384_ASN1_SIGNING)
    }
    pub fn p521() -> Self {
        Self::ec(&sig::ECDSA_P521_SHA512_ASN1_SIGNING)
    }
    /// P-521 signing with SHA-256 (not the curve's conventional hash).
    pub fn p521_with_sha256() -> Self {
        Self::ec(&sig::ECDSA_P521_SHA256_ASN1_SIGNING)
    }
    pub fn rsa(pad: RsaPad) -> Self {
        Self::Rsa(rsa::KeyPair::generate(rsa::KeySize::Rsa2048).unwrap(), pad)
    }
    pub fn ed25519() -> Self {
        Self::Ed(Ed25519KeyPair::generate().unwrap())
    }
    pub fn from_p256_pkcs8(der: &[u8]) -> Self {
        Self::Ec(EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, der).unwrap())
    }

    pub fn kind(&self) -> String {
        match self {
            Self::Ec(_) => "ecdsa".into(),
            Self::Rsa(_, pad) => format!("rsa {pad:?}"),
            Self::Ed(_) => "ed25519".into(),
        }
    }

    pub fn spki_der(&self) -> Vec<u8> {
        match self {
            Self::Ec(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
            Self::Rsa(k, _) => k.public_key().as_der().unwrap().as_ref().to_vec(),
            Self::Ed(k) => k.public_key().as_der().unwrap().as_ref().to_vec(),
        }
    }

    /// Canonical (Go `pem.Encode`) PEM of the public key.
    pub fn pem(&self) -> String {
        pem64("PUBLIC KEY", &self.spki_der())
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            Self::Ec(k) => k.sign(&rng, msg).unwrap().as_ref().to_vec(),
            Self::Ed(k) => k.sign(msg).as_ref().to_vec(),
            Self::Rsa(k, pad) => {
                let enc: &'static dyn sig::RsaEncoding = match pad {
                    RsaPad::Pkcs1Sha256 => &sig::RSA_PKCS1_SHA256,
                    RsaPad::Pkcs1Sha384 => &sig::RSA_PKCS1_SHA384,
                    RsaPad::Pkcs1Sha512 => &sig::RSA_PKCS1_SHA512,
                    RsaPad::PssSha256 => &sig::RSA_PSS_SHA256,
                };
                let mut out = vec![0; k.public_modulus_len()];
                k.sign(enc, &rng, msg, &mut out).unwrap();
                out
            }
        }
    }

    /// A PEM SPKI on secp256k1 (not allowed).
    pub fn secp256k1_pem() -> String {
        let k = EcdsaKeyPair::generate(&sig::ECDSA_P256K1_SHA256_ASN1_SIGNING).unwrap();
        pem64("PUBLIC KEY", k.public_key().as_der().unwrap().as_ref())
    }

    /// A PEM SPKI of an X25519 key-agreement key (not a signature key).
    pub fn x25519_pem() -> String {
        let k = agreement::PrivateKey::generate(&agreement::X25519).unwrap();
        let public = k.compute_public_key().unwrap();
        pem64("PUBLIC KEY", public.as_der().unwrap().as_ref())
    }
}

/// A PEM SubjectPublicKeyInfo built field by field (for malformed-key cases).
pub fn spki_pem(oid: &str, parameters: Option<spki::der::Any>, key: &[u8]) -> String {
    use spki::der::Encode as _;
    let spki = spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: spki::ObjectIdentifier::new(oid).unwrap(),
            parameters,
        },
        subject_public_key: spki::der::asn1::BitString::from_bytes(key).unwrap(),
    };
    pem64("PUBLIC KEY", &spki.to_der().unwrap())
}

/// The subjectPublicKey bits of a DER SubjectPublicKeyInfo.
pub fn spki_key_bits(der: &[u8]) -> Vec<u8> {
    use spki::der::Decode as _;
    let spki = spki::SubjectPublicKeyInfoOwned::from_der(der).unwrap();
    spki.subject_public_key.raw_bytes().to_vec()
}

/// A PKCS#1 RSAPublicKey with a 1024-bit modulus and e = 65537 (RFC 8017 A.1.1).
pub fn rsa_1024_pkcs1() -> Vec<u8> {
    let mut n = vec![0x00, 0x80];
    n.extend(std::iter::repeat_n(0x01, 127));
    let mut body = vec![0x02, 0x81, 0x81];
    body.extend(n);
    body.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
    let mut out = vec![0x30, 0x81, u8::try_from(body.len()).unwrap()];
    out.extend(body);
    out
}

// ----- certificates -----

pub struct TestCa {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

fn params(common_name: &str, is_ca: bool) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.is_ca = if is_ca {
        rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained)
    } else {
        rcgen::IsCa::ExplicitNoCa
    };
    params
}

impl TestCa {
    pub fn root(name: &str) -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params(name, true).self_signed(&key).unwrap();
        Self { cert, key }
    }

    /// A certificate issued by `issuer`, a CA or not.
    pub fn issued(name: &str, issuer: &TestCa, is_ca: bool) -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params(name, is_ca)
            .signed_by(&key, &issuer.cert, &issuer.key)
            .unwrap();
        Self { cert, key }
    }

    pub fn der(&self) -> &[u8] {
        self.cert.der()
    }

    /// An end-entity certificate with email and URI SANs, and its signing key.
    pub fn leaf(&self, emails: &[&str], uris: &[&str]) -> (Vec<u8>, TestKey) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = params("leaf", false);
        p.subject_alt_names = emails
            .iter()
            .map(|e| rcgen::SanType::Rfc822Name((*e).try_into().unwrap()))
            .chain(
                uris.iter()
                    .map(|u| rcgen::SanType::URI((*u).try_into().unwrap())),
            )
            .collect();
        let cert = p.signed_by(&key, &self.cert, &self.key).unwrap();
        (
            cert.der().to_vec(),
            TestKey::from_p256_pkcs8(&key.serialize_der()),
        )
    }
}

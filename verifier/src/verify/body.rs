//! The transparency-log entry body: parsed by kind, then bound to the bundle
//! (PROTOCOL.md §4.1, §5.1, §8.1 step 9, §8.2 step 1).
//!
//! A log entry proves only what its body says. A bundle whose entry records another
//! signature, key or digest must fail even if every signature in it verifies
//! (CVE-2022-36056): every field the body carries about the signing event is compared
//! with the bundle — the signature bytes, the signer's certificate or key, and the digest.
//!
//! Kinds: `hashedrekord` 0.0.1 (Rekor v1), `dsse` 0.0.1 (Rekor v1; `envelopeHash` is not
//! compared: the envelope's JSON serialisation is not canonical, and sigstore-python does
//! not compare it either), `hashedrekord` 0.0.2 (Rekor v2, for a message signature or a
//! DSSE envelope, whose digest is then H(PAE)).

use base64::Engine as _;
use serde::Deserialize;
use signet_rekor::pki::SubmittedKey;

use super::error::{BindingError, TlogError};
use crate::common::HashAlgorithm;

/// A parsed entry body.
#[derive(Debug)]
pub(crate) enum EntryBody {
    HashedRekordV001(HashedRekordV001),
    DsseV001(DsseV001),
    HashedRekordV002(HashedRekordV002),
}

#[derive(Debug, Deserialize)]
struct Envelope<S> {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    spec: S,
}

#[derive(Debug, Deserialize)]
pub(crate) struct HashedRekordV001 {
    data: V001Data,
    signature: V001Signature,
}
#[derive(Debug, Deserialize)]
struct V001Data {
    hash: V001Hash,
}
#[derive(Debug, Deserialize)]
struct V001Hash {
    algorithm: String,
    value: String,
}
#[derive(Debug, Deserialize)]
struct V001Signature {
    content: String,
    #[serde(rename = "publicKey")]
    public_key: V001Key,
}
#[derive(Debug, Deserialize)]
struct V001Key {
    content: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DsseV001 {
    /// Read by the auditor only (bundles cannot be bound by it: the envelope's JSON
    /// serialisation is not canonical).
    #[serde(rename = "envelopeHash")]
    envelope_hash: Option<V001Hash>,
    #[serde(rename = "payloadHash")]
    payload_hash: V001Hash,
    signatures: Vec<DsseV001Signature>,
}
#[derive(Debug, Deserialize)]
struct DsseV001Signature {
    signature: String,
    verifier: String,
}

#[derive(Debug, Deserialize)]
struct V002Spec {
    #[serde(rename = "hashedRekordV002")]
    hashed_rekord_v002: HashedRekordV002,
}
#[derive(Debug, Deserialize)]
pub(crate) struct HashedRekordV002 {
    data: V002Data,
    signature: V002Signature,
}
#[derive(Debug, Deserialize)]
struct V002Data {
    algorithm: String,
    digest: String,
}
#[derive(Debug, Deserialize)]
struct V002Signature {
    content: String,
    verifier: V002Verifier,
}
#[derive(Debug, Deserialize)]
struct V002Verifier {
    #[serde(rename = "x509Certificate")]
    x509_certificate: Option<V002Raw>,
    #[serde(rename = "publicKey")]
    public_key: Option<V002Raw>,
}
#[derive(Debug, Deserialize)]
struct V002Raw {
    #[serde(rename = "rawBytes")]
    raw_bytes: String,
}

impl HashedRekordV001 {
    /// `(hash algorithm, hex digest, base64 signature, base64 PEM of the key or certificate)`.
    pub(crate) fn parts(&self) -> (&str, &str, &str, &str) {
        (
            &self.data.hash.algorithm,
            &self.data.hash.value,
            &self.signature.content,
            &self.signature.public_key.content,
        )
    }
}

impl DsseV001 {
    /// `(algorithm, hex)` of `envelopeHash`, if the body has one.
    pub(crate) fn envelope_hash(&self) -> Option<(&str, &str)> {
        self.envelope_hash
            .as_ref()
            .map(|h| (h.algorithm.as_str(), h.value.as_str()))
    }

    /// `(algorithm, hex)` of `payloadHash`.
    pub(crate) fn payload_hash(&self) -> (&str, &str) {
        (&self.payload_hash.algorithm, &self.payload_hash.value)
    }

    /// `(base64 signature, base64 PEM verifier)` of each signature.
    pub(crate) fn signatures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.signatures
            .iter()
            .map(|s| (s.signature.as_str(), s.verifier.as_str()))
    }
}

/// Parses `canonicalizedBody` as the entry `kindVersion` names; the body's own `kind` and
/// `apiVersion` must agree with it.
pub(crate) fn parse(kind: &str, version: &str, body: &[u8]) -> Result<EntryBody, TlogError> {
    let malformed = |e: serde_json::Error| TlogError::MalformedBody {
        kind: kind.to_owned(),
        reason: e.to_string(),
    };
    let check = |body_kind: &str, body_version: &str| {
        if body_kind == kind && body_version == version {
            Ok(())
        } else {
            Err(TlogError::KindMismatch {
                kind: kind.to_owned(),
                version: version.to_owned(),
                body_kind: body_kind.to_owned(),
                body_version: body_version.to_owned(),
            })
        }
    };
    match (kind, version) {
        ("hashedrekord", "0.0.1") => {
            let e: Envelope<HashedRekordV001> = serde_json::from_slice(body).map_err(malformed)?;
            check(&e.kind, &e.api_version)?;
            Ok(EntryBody::HashedRekordV001(e.spec))
        }
        ("dsse", "0.0.1") => {
            let e: Envelope<DsseV001> = serde_json::from_slice(body).map_err(malformed)?;
            check(&e.kind, &e.api_version)?;
            Ok(EntryBody::DsseV001(e.spec))
        }
        ("hashedrekord", "0.0.2") => {
            let e: Envelope<V002Spec> = serde_json::from_slice(body).map_err(malformed)?;
            check(&e.kind, &e.api_version)?;
            Ok(EntryBody::HashedRekordV002(e.spec.hashed_rekord_v002))
        }
        _ => Err(TlogError::UnsupportedKind {
            kind: kind.to_owned(),
            version: version.to_owned(),
        }),
    }
}

/// What the bundle says was signed, computed by the signature step.
#[derive(Debug)]
pub(crate) enum Signed<'a> {
    /// A message signature over `digest` (algorithm `algorithm`).
    Message {
        algorithm: HashAlgorithm,
        digest: &'a [u8],
        signature: &'a [u8],
    },
    /// A DSSE envelope: its PAE bytes, the payload, and the one signature.
    Dsse {
        pae: &'a [u8],
        payload: &'a [u8],
        signature: &'a [u8],
    },
}

/// Who the bundle says signed.
#[derive(Debug)]
pub(crate) struct SignerMaterial<'a> {
    /// The signer's key (canonical PEM of the leaf certificate or of the managed key).
    pub key: &'a SubmittedKey,
    /// The leaf certificate's DER, or the managed key's DER SPKI.
    pub der: &'a [u8],
    /// Whether `der` is a certificate or a bare key.
    pub form: SignerForm,
}

/// The form the signer takes in a bundle and in a Rekor v2 verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignerForm {
    Certificate,
    PublicKey,
}

fn field(field: &'static str) -> BindingError {
    BindingError::Field { field }
}

fn b64_eq(b64: &str, bytes: &[u8], name: &'static str) -> Result<(), BindingError> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| field(name))?;
    if decoded == bytes {
        Ok(())
    } else {
        Err(field(name))
    }
}

/// The body's base64 PEM names the same key (or certificate) as the bundle.
fn pem_eq(
    b64_pem: &str,
    signer: &SignerMaterial<'_>,
    name: &'static str,
) -> Result<(), BindingError> {
    let pem = base64::engine::general_purpose::STANDARD
        .decode(b64_pem)
        .map_err(|_| field(name))?;
    // Logs store the canonical PEM (Go `pem.Encode`), the form `canonical_pem_bytes` has:
    // equal bytes are the same certificate or key. Otherwise parse and re-encode.
    if pem == signer.key.canonical_pem_bytes() {
        return Ok(());
    }
    let body_key = SubmittedKey::from_pem(&pem).map_err(BindingError::Key)?;
    if body_key.canonical_pem_bytes() == signer.key.canonical_pem_bytes() {
        Ok(())
    } else {
        Err(field(name))
    }
}

fn rekor_v1_name(algorithm: HashAlgorithm) -> Option<&'static str> {
    match algorithm {
        HashAlgorithm::Sha2_256 => Some("sha256"),
        HashAlgorithm::Sha2_384 => Some("sha384"),
        HashAlgorithm::Sha2_512 => Some("sha512"),
        _ => None,
    }
}

/// Checks that `body` records exactly this signing event.
pub(crate) fn bind(
    body: &EntryBody,
    signed: &Signed<'_>,
    signer: &SignerMaterial<'_>,
) -> Result<(), BindingError> {
    let wrong_kind = |kind: &str, content: &'static str| BindingError::WrongKindForContent {
        kind: kind.to_owned(),
        version: "0.0.1".to_owned(),
        content,
    };
    match (body, signed) {
        (
            EntryBody::HashedRekordV001(b),
            Signed::Message {
                algorithm,
                digest,
                signature,
            },
        ) => {
            if Some(b.data.hash.algorithm.as_str()) != rekor_v1_name(*algorithm) {
                return Err(field("spec.data.hash.algorithm"));
            }
            if !b.data.hash.value.eq_ignore_ascii_case(&hex::encode(digest)) {
                return Err(field("spec.data.hash.value"));
            }
            b64_eq(&b.signature.content, signature, "spec.signature.content")?;
            pem_eq(
                &b.signature.public_key.content,
                signer,
                "spec.signature.publicKey.content",
            )
        }
        (EntryBody::HashedRekordV001(_), Signed::Dsse { .. }) => {
            Err(wrong_kind("hashedrekord", "DSSE envelope"))
        }
        (
            EntryBody::DsseV001(b),
            Signed::Dsse {
                payload, signature, ..
            },
        ) => {
            if b.payload_hash.algorithm != "sha256" {
                return Err(field("spec.payloadHash.algorithm"));
            }
            let want = hex::encode(aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA256,
                payload,
            ));
            if !b.payload_hash.value.eq_ignore_ascii_case(&want) {
                return Err(field("spec.payloadHash.value"));
            }
            let [one] = b.signatures.as_slice() else {
                return Err(field("spec.signatures"));
            };
            b64_eq(&one.signature, signature, "spec.signatures[0].signature")?;
            pem_eq(&one.verifier, signer, "spec.signatures[0].verifier")
        }
        (EntryBody::DsseV001(_), Signed::Message { .. }) => {
            Err(wrong_kind("dsse", "message signature"))
        }
        (EntryBody::HashedRekordV002(b), signed) => bind_v002(b, signed, signer),
    }
}

/// hashedrekord 0.0.2: `data` is the digest signed (the artefact's, or H(PAE) for DSSE),
/// `signature.content` the signature, `verifier` the leaf DER or the key's SPKI.
fn bind_v002(
    b: &HashedRekordV002,
    signed: &Signed<'_>,
    signer: &SignerMaterial<'_>,
) -> Result<(), BindingError> {
    let algorithm = HashAlgorithm::from_proto_name(&b.data.algorithm)
        .ok_or_else(|| field("spec.hashedRekordV002.data.algorithm"))?;
    let (digest, signature) = match signed {
        Signed::Message {
            algorithm: bundle_algorithm,
            digest,
            signature,
        } => {
            if *bundle_algorithm != algorithm {
                return Err(field("spec.hashedRekordV002.data.algorithm"));
            }
            (digest.to_vec(), *signature)
        }
        Signed::Dsse { pae, signature, .. } => {
            let aws = match algorithm {
                HashAlgorithm::Sha2_256 => &aws_lc_rs::digest::SHA256,
                HashAlgorithm::Sha2_384 => &aws_lc_rs::digest::SHA384,
                HashAlgorithm::Sha2_512 => &aws_lc_rs::digest::SHA512,
                _ => return Err(field("spec.hashedRekordV002.data.algorithm")),
            };
            (
                aws_lc_rs::digest::digest(aws, pae).as_ref().to_vec(),
                *signature,
            )
        }
    };
    b64_eq(&b.data.digest, &digest, "spec.hashedRekordV002.data.digest")?;
    b64_eq(
        &b.signature.content,
        signature,
        "spec.hashedRekordV002.signature.content",
    )?;
    let verifier = match signer.form {
        SignerForm::Certificate => b.signature.verifier.x509_certificate.as_ref(),
        SignerForm::PublicKey => b.signature.verifier.public_key.as_ref(),
    };
    let verifier = verifier.ok_or_else(|| field("spec.hashedRekordV002.signature.verifier"))?;
    b64_eq(
        &verifier.raw_bytes,
        signer.der,
        "spec.hashedRekordV002.signature.verifier",
    )
}

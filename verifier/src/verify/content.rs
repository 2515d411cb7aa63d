//! The signature over the artefact (PROTOCOL.md §8.1 step 8, §8.2 step 5): a message
//! signature over the artefact's digest, or a DSSE signature over PAE(payloadType,
//! payload) whose in-toto statement names the artefact's digest (§7.4).

use serde::Deserialize;
use signet_rekor::pki::{HashAlgorithm as RekorHash, SubmittedKey};

use super::{error::SignatureError, Artifact};
use crate::{
    bundle::{Content, DsseEnvelope, MessageSignature},
    common::{HashAlgorithm, MAX_INTOTO_DIGESTS_PER_SUBJECT, MAX_INTOTO_SUBJECTS},
};

/// The in-toto payload type (PROTOCOL.md §7.4).
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// In-toto statement types accepted (v1, and v0.1 which older clients still emit).
const IN_TOTO_STATEMENT_TYPES: [&str; 2] = [
    "https://in-toto.io/Statement/v1",
    "https://in-toto.io/Statement/v0.1",
];

/// What the signature step computed, for binding to the log entry.
#[derive(Debug)]
pub(crate) enum Computed {
    /// The artefact digest the message signature verified over.
    Message {
        algorithm: HashAlgorithm,
        digest: Vec<u8>,
    },
    /// PAE(payloadType, payload) the DSSE signature verified over.
    Dsse { pae: Vec<u8> },
}

/// Verifies the bundle's signature with `key` for `artifact`.
pub(crate) fn check_content(
    content: &Content,
    artifact: Artifact<'_>,
    key: &SubmittedKey,
) -> Result<Computed, SignatureError> {
    match content {
        Content::MessageSignature(m) => check_message(m, artifact, key),
        Content::Dsse(d) => check_dsse(d, artifact, key),
    }
}

fn aws_digest(
    algorithm: HashAlgorithm,
) -> Option<(&'static aws_lc_rs::digest::Algorithm, RekorHash)> {
    match algorithm {
        HashAlgorithm::Sha2_256 => Some((&aws_lc_rs::digest::SHA256, RekorHash::Sha256)),
        HashAlgorithm::Sha2_384 => Some((&aws_lc_rs::digest::SHA384, RekorHash::Sha384)),
        HashAlgorithm::Sha2_512 => Some((&aws_lc_rs::digest::SHA512, RekorHash::Sha512)),
        _ => None,
    }
}

fn check_message(
    m: &MessageSignature,
    artifact: Artifact<'_>,
    key: &SubmittedKey,
) -> Result<Computed, SignatureError> {
    // The digest is computed from what the caller gave; `messageDigest` only names its
    // algorithm and must then agree (sigstore-python ≥ 4.2, sigstore-go).
    let algorithm = m
        .message_digest
        .as_ref()
        .map_or(HashAlgorithm::Sha2_256, |d| d.algorithm);
    let (aws, rekor) = aws_digest(algorithm).ok_or(SignatureError::DigestAlgorithm {
        algorithm: algorithm.proto_name(),
    })?;
    let digest = match artifact {
        Artifact::Bytes(bytes) => aws_lc_rs::digest::digest(aws, bytes).as_ref().to_vec(),
        Artifact::Sha256(d) => {
            if algorithm != HashAlgorithm::Sha2_256 {
                return Err(SignatureError::DigestAlgorithm {
                    algorithm: algorithm.proto_name(),
                });
            }
            d.to_vec()
        }
    };
    if let Some(given) = &m.message_digest {
        if given.digest != digest {
            return Err(SignatureError::MessageDigestMismatch);
        }
    }
    key.verify_digest(rekor, &digest, &m.signature)
        .map_err(|_| SignatureError::ArtifactSignature)?;
    Ok(Computed::Message { algorithm, digest })
}

/// PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body (PROTOCOL.md §7.4).
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    statement_type: String,
    subject: Vec<Subject>,
}

#[derive(Deserialize)]
struct Subject {
    #[serde(default)]
    digest: std::collections::BTreeMap<String, String>,
}

fn check_dsse(
    d: &DsseEnvelope,
    artifact: Artifact<'_>,
    key: &SubmittedKey,
) -> Result<Computed, SignatureError> {
    let pae = pae(&d.payload_type, &d.payload);
    key.verify_message(&pae, &d.signature)
        .map_err(|_| SignatureError::DsseSignature)?;
    if d.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(SignatureError::InToto(format!(
            "payloadType {:?} is not {IN_TOTO_PAYLOAD_TYPE}",
            d.payload_type
        )));
    }
    let statement: Statement = serde_json::from_slice(&d.payload)
        .map_err(|e| SignatureError::InToto(format!("not an in-toto statement: {e}")))?;
    if !IN_TOTO_STATEMENT_TYPES.contains(&statement.statement_type.as_str()) {
        return Err(SignatureError::InToto(format!(
            "_type {:?} is not an in-toto statement type",
            statement.statement_type
        )));
    }
    if statement.subject.len() > MAX_INTOTO_SUBJECTS {
        return Err(SignatureError::InToto(format!(
            "{} subjects exceed MAX_INTOTO_SUBJECTS ({MAX_INTOTO_SUBJECTS})",
            statement.subject.len()
        )));
    }
    if let Some((i, s)) = statement
        .subject
        .iter()
        .enumerate()
        .find(|(_, s)| s.digest.len() > MAX_INTOTO_DIGESTS_PER_SUBJECT)
    {
        return Err(SignatureError::InToto(format!(
            "subject {i} has {} digests, more than MAX_INTOTO_DIGESTS_PER_SUBJECT ({MAX_INTOTO_DIGESTS_PER_SUBJECT})",
            s.digest.len()
        )));
    }
    // The artefact's digests the caller can vouch for: SHA-256 always; SHA-512 too when
    // the bytes are given (npm provenance names its tarballs by SHA-512 only).
    let (sha256, sha512) = match artifact {
        Artifact::Bytes(bytes) => (
            hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)),
            Some(hex::encode(aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA512,
                bytes,
            ))),
        ),
        Artifact::Sha256(d) => (hex::encode(d), None),
    };
    let names = |s: &Subject, algorithm: &str, want: &str| {
        s.digest
            .get(algorithm)
            .is_some_and(|v| v.eq_ignore_ascii_case(want))
    };
    let found = statement.subject.iter().any(|s| {
        names(s, "sha256", &sha256) || sha512.as_deref().is_some_and(|w| names(s, "sha512", w))
    });
    if !found {
        return Err(SignatureError::SubjectNotFound { digest: sha256 });
    }
    Ok(Computed::Dsse { pae })
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::{
        encoding::AsDer as _,
        rand::SystemRandom,
        signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING},
    };

    use super::*;

    /// A DSSE envelope over `statement`, signed with a fresh key; and that key.
    fn signed(statement: &str) -> (DsseEnvelope, SubmittedKey) {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
        let payload = statement.as_bytes().to_vec();
        let signature = key
            .sign(&rng, &pae(IN_TOTO_PAYLOAD_TYPE, &payload))
            .unwrap()
            .as_ref()
            .to_vec();
        let spki = key.public_key().as_der().unwrap();
        let envelope = DsseEnvelope {
            payload,
            payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
            signature,
            keyid: String::new(),
        };
        (
            envelope,
            SubmittedKey::from_spki_der(spki.as_ref()).unwrap(),
        )
    }

    #[test]
    fn dsse_subjects_match_by_sha256_or_by_sha512_of_the_bytes() {
        let bytes = b"artefact";
        let sha256 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
        let sha512 = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, bytes));
        let statement = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a","digest":{{"sha512":"{sha512}"}}}}],"predicateType":"x","predicate":{{}}}}"#
        );
        let (envelope, key) = signed(&statement);
        check_dsse(&envelope, Artifact::Bytes(bytes), &key).unwrap();
        // Only a SHA-256 digest given: a SHA-512-only subject cannot be matched.
        let digest: [u8; 32] = sha256.as_ref().try_into().unwrap();
        assert!(matches!(
            check_dsse(&envelope, Artifact::Sha256(digest), &key),
            Err(SignatureError::SubjectNotFound { .. })
        ));
        assert!(matches!(
            check_dsse(&envelope, Artifact::Bytes(b"other"), &key),
            Err(SignatureError::SubjectNotFound { .. })
        ));
        // The signature covers the payload type too.
        let mut retyped = envelope.clone();
        retyped.payload_type = "application/json".to_owned();
        assert!(matches!(
            check_dsse(&retyped, Artifact::Bytes(bytes), &key),
            Err(SignatureError::DsseSignature)
        ));
    }

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // DSSE protocol.md: PAE("http://example.com/HelloWorld", "hello world").
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}

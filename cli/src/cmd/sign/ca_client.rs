//! The CA client: an ephemeral P-256 key and its short-lived certificate
//! (`POST {ca}/api/v2/signingCert`, PROTOCOL.md §2.1, §2.4).
//!
//! The key is generated in memory by aws-lc-rs, is never serialised, and is dropped with
//! its [`Credential`]. The request carries a PKCS#10 CSR (as sigstore-python sends it,
//! §2.1): the CA checks the CSR's self-signature, which proves possession of the key
//! without the client having to guess which claim (`email` or `sub`) the CA's issuer
//! configuration challenges (§2.2). The token goes in `Authorization: Bearer`.
//!
//! The answer is checked before the certificate is used: a chain of at least one PEM
//! certificate (the embedded-SCT form, or the detached one), whose leaf carries exactly
//! the key just generated.

use std::time::SystemTime;

use anyhow::{anyhow, bail, Context as _, Result};
use aws_lc_rs::{
    digest::Digest,
    encoding::AsDer as _,
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING},
};
use base64::Engine as _;
use reqwest_tls::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use x509_cert::{
    der::{
        asn1::{BitString, ObjectIdentifier},
        pem::LineEnding,
        Decode as _, DecodePem as _, Encode as _, EncodePem as _,
    },
    name::Name,
    request::{CertReq, CertReqInfo, Version},
    spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned},
    Certificate,
};

use super::{
    config::Endpoints,
    http::{Body, Http},
    token::IdentityToken,
};

/// ecdsa-with-SHA256 (RFC 5758 §3.2).
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// A CA answer larger than this is refused.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// An ephemeral key with the certificate the CA issued for it.
pub struct Credential {
    key: EcdsaKeyPair,
    leaf_der: Vec<u8>,
    leaf_pem: String,
    not_after: SystemTime,
}

impl std::fmt::Debug for Credential {
    // The private key never appears in output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl Credential {
    /// The leaf certificate, DER (what a v0.3 bundle carries).
    pub fn leaf_der(&self) -> &[u8] {
        &self.leaf_der
    }

    /// The leaf certificate, PEM with 64-column lines and a final newline (what the log
    /// stores and sigstore-python rebuilds, Appendix A §2.4).
    pub fn leaf_pem(&self) -> &str {
        &self.leaf_pem
    }

    /// The certificate's notAfter.
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// ECDSA P-256 over a SHA-256 digest (prehashed, as sigstore-python signs artefacts):
    /// DER signature.
    pub fn sign_digest(&self, digest: &Digest) -> Result<Vec<u8>> {
        let sig = self
            .key
            .sign_digest(digest)
            .map_err(|_| anyhow!("signing the digest with the ephemeral key failed"))?;
        Ok(sig.as_ref().to_vec())
    }

    /// ECDSA P-256 / SHA-256 over `message`: DER signature.
    pub fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>> {
        let sig = self
            .key
            .sign(&SystemRandom::new(), message)
            .map_err(|_| anyhow!("signing with the ephemeral key failed"))?;
        Ok(sig.as_ref().to_vec())
    }
}

/// `CreateSigningCertificateRequest`, CSR form (§2.1).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SigningCertRequest {
    /// Base64 of the PEM CSR (proto `bytes`).
    certificate_signing_request: String,
}

/// `SigningCertificate` (§2.4): either form.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SigningCertificate {
    #[serde(default)]
    signed_certificate_embedded_sct: Option<WithChain>,
    #[serde(default)]
    signed_certificate_detached_sct: Option<WithChain>,
}

#[derive(Deserialize)]
struct WithChain {
    chain: Chain,
}

#[derive(Deserialize)]
struct Chain {
    certificates: Vec<String>,
}

/// Generates a key and obtains its certificate from the CA.
///
/// # Errors
/// One line naming what failed: key generation, the connection, the CA's refusal (with
/// its message), or an answer that is not a certificate for this key.
pub fn request_certificate(
    http: &Http,
    endpoints: &Endpoints,
    token: &IdentityToken,
) -> Result<Credential> {
    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
        .map_err(|_| anyhow!("generating the ephemeral P-256 key failed"))?;
    let spki = key
        .public_key()
        .as_der()
        .map_err(|_| anyhow!("encoding the ephemeral public key failed"))?;
    let spki = spki.as_ref().to_vec();
    let csr = build_csr(&key, &spki)?;
    let body = serde_json::to_vec(&SigningCertRequest {
        certificate_signing_request: base64::engine::general_purpose::STANDARD.encode(csr),
    })?;
    let url = endpoints.signing_cert_url();
    let reply = http
        .send(
            Method::POST,
            &url,
            Body::Json(&body),
            Some(token.raw()),
            MAX_RESPONSE_BYTES,
        )
        .map_err(|e| anyhow!("requesting a certificate from the CA: {e}"))?;
    // Fulcio answers 200 (v2); some deployments 201 (Appendix A §5.1).
    if !matches!(reply.status, StatusCode::OK | StatusCode::CREATED) {
        let message = reply.error_message();
        bail!(match reply.status.as_u16() {
            400 | 401 | 403 => format!(
                "the CA at {} refused the identity token from {} ({}): {message}",
                endpoints.ca,
                token.source(),
                reply.status_text()
            ),
            _ => format!(
                "the CA at {} failed to issue a certificate ({}): {message}",
                endpoints.ca,
                reply.status_text()
            ),
        });
    }
    let answer: SigningCertificate = serde_json::from_slice(&reply.body)
        .with_context(|| format!("the CA at {} answered, but not with a certificate", url))?;
    let chain = answer
        .signed_certificate_embedded_sct
        .or(answer.signed_certificate_detached_sct)
        .ok_or_else(|| anyhow!("the CA at {} answered without a certificate chain", url))?
        .chain
        .certificates;
    let leaf_text = chain
        .first()
        .ok_or_else(|| anyhow!("the CA at {} answered with an empty certificate chain", url))?;
    credential(key, &spki, leaf_text).with_context(|| format!("the certificate from {url}"))
}

/// A self-signed PKCS#10 request for `spki` (RFC 2986): empty subject, no attributes (the
/// CA uses only the key and the signature, §2.1).
fn build_csr(key: &EcdsaKeyPair, spki: &[u8]) -> Result<String> {
    let info = CertReqInfo {
        version: Version::V1,
        subject: Name::default(),
        public_key: SubjectPublicKeyInfoOwned::from_der(spki)
            .context("decoding the ephemeral public key")?,
        attributes: Default::default(),
    };
    let tbs = info.to_der().context("encoding the CSR")?;
    let signature = key
        .sign(&SystemRandom::new(), &tbs)
        .map_err(|_| anyhow!("signing the CSR failed"))?;
    let request = CertReq {
        info,
        algorithm: AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
        signature: BitString::from_bytes(signature.as_ref()).context("encoding the CSR")?,
    };
    request.to_pem(LineEnding::LF).context("encoding the CSR")
}

/// The leaf of the CA's answer, checked to carry `spki`.
fn credential(key: EcdsaKeyPair, spki: &[u8], leaf_pem: &str) -> Result<Credential> {
    let leaf = Certificate::from_pem(leaf_pem.trim().as_bytes())
        .or_else(|_| Certificate::from_pem(format!("{}\n", leaf_pem.trim()).as_bytes()))
        .context("the leaf is not a PEM certificate")?;
    let leaf_spki = leaf
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .context("re-encoding the leaf's public key")?;
    if leaf_spki != spki {
        bail!("the leaf certificate is not for the key this request sent");
    }
    let not_after = leaf.tbs_certificate.validity.not_after.to_system_time();
    let leaf_der = leaf.to_der().context("re-encoding the leaf")?;
    let leaf_pem = leaf
        .to_pem(LineEnding::LF)
        .context("re-encoding the leaf as PEM")?;
    Ok(Credential {
        key,
        leaf_der,
        leaf_pem,
        not_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csr_is_self_signed_by_the_key_with_an_empty_subject() {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
        let spki = key.public_key().as_der().unwrap().as_ref().to_vec();
        let pem = build_csr(&key, &spki).unwrap();
        assert!(
            pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"),
            "{pem}"
        );
        let csr = CertReq::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(csr.algorithm.oid, ECDSA_WITH_SHA256);
        assert!(csr.info.subject.0.is_empty());
        assert_eq!(csr.info.public_key.to_der().unwrap(), spki);
        // The signature verifies over the DER CertificationRequestInfo with this key.
        let tbs = csr.info.to_der().unwrap();
        let verifier = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
            key.public_key().as_ref(),
        );
        verifier
            .verify(&tbs, csr.signature.raw_bytes())
            .expect("CSR self-signature");
    }

    #[test]
    fn an_answer_that_is_not_a_certificate_is_refused() {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
        let spki = key.public_key().as_der().unwrap().as_ref().to_vec();
        let err = match credential(key, &spki, "not a certificate") {
            Ok(_) => panic!("accepted garbage"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("not a PEM certificate"), "{err}");
    }
}

//! A CA issued on the spot with `signet-ca-core` (the CA Signet runs), its CT log key, and
//! leaves with embedded SCTs, for the chain/SCT/identity tests.
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::profile::{self, CaSubject, IssuerCertificate, LeafRequest, ValidityPeriod};
use signet_ca_core::request::CheckedPublicKey;
use signet_ca_core::san::{CertIdentity, FulcioExtension, SubjectAltName};
use signet_ca_core::sct::{self, sign_sct};
use signet_ca_core::signer::{CaAlgorithm, CaSigner};
use signet_verifier::chain::{
    CertFailure, CertRole, ChainError, TrustedCa, ValidityPeriod as Window, VerifiedChain,
};
use signet_verifier::sct::CtLogKey;
use x509_cert::der::asn1::BitString;
use x509_cert::der::{Decode as _, Encode as _};

pub const ISSUER: &str = "https://accounts.example.com";
pub const EMAIL: &str = "alice@example.com";

/// 2025-06-01T12:00:00Z.
pub fn issued() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_748_779_200)
}

pub fn key(algorithm: CaAlgorithm) -> InsecureSoftwareCaKey {
    InsecureSoftwareCaKey::generate(algorithm).unwrap()
}

pub fn subject(cn: &str) -> CaSubject {
    CaSubject {
        organization: "signet.test".into(),
        common_name: cn.into(),
    }
}

pub fn ca_validity() -> ValidityPeriod {
    ValidityPeriod {
        not_before: issued() - Duration::from_secs(86_400),
        not_after: issued() + Duration::from_secs(365 * 86_400),
    }
}

/// A root and an intermediate, both P-384 like the public-good instance. Two calls give
/// CAs with the same names and different keys.
pub struct Ca {
    pub root_der: Vec<u8>,
    pub inter_key: InsecureSoftwareCaKey,
    pub inter_der: Vec<u8>,
    pub inter: IssuerCertificate,
}

pub fn ca() -> Ca {
    let root_key = key(CaAlgorithm::EcdsaP384Sha384);
    let root_der =
        profile::root_certificate(&root_key, &subject("signet-root"), ca_validity()).unwrap();
    let root = IssuerCertificate::from_der(&root_der).unwrap();
    let inter_key = key(CaAlgorithm::EcdsaP384Sha384);
    let inter_der = profile::intermediate_certificate(
        &root,
        &root_key,
        inter_key.public_key_der(),
        &subject("signet-intermediate"),
        ca_validity(),
    )
    .unwrap();
    let inter = IssuerCertificate::from_der(&inter_der).unwrap();
    Ca {
        root_der,
        inter_key,
        inter_der,
        inter,
    }
}

impl Ca {
    /// The CA as the one trusted CA.
    pub fn trusted(&self) -> Vec<TrustedCa> {
        vec![TrustedCa::new(&[&self.inter_der, &self.root_der], None).unwrap()]
    }
}

pub fn identity(san: SubjectAltName, issuer_v1: &str) -> CertIdentity {
    CertIdentity {
        san,
        extensions: vec![
            FulcioExtension {
                arc: 1,
                value: issuer_v1.into(),
            },
            FulcioExtension {
                arc: 8,
                value: ISSUER.into(),
            },
        ],
    }
}

/// A fresh P-256 requester key (as sigstore clients use).
pub fn requester() -> CheckedPublicKey {
    CheckedPublicKey::from_spki_der(key(CaAlgorithm::EcdsaP256Sha256).public_key_der()).unwrap()
}

pub fn email_id() -> CertIdentity {
    identity(SubjectAltName::Email(EMAIL.into()), ISSUER)
}

/// A final leaf issued by `issuer`, with one SCT from each of `cts`.
pub fn leaf_with_scts(
    issuer: &IssuerCertificate,
    signer: &InsecureSoftwareCaKey,
    cts: &[&InsecureSoftwareCaKey],
    id: &CertIdentity,
) -> Vec<u8> {
    let public = requester();
    let request = LeafRequest::new(&public, id, issued());
    let precert = profile::precertificate(issuer, signer, &request).unwrap();
    let entry = precert.ct_entry().unwrap();
    let scts: Vec<_> = cts
        .iter()
        .map(|ct| sign_sct(*ct, &entry, 1_748_779_200_123).unwrap())
        .collect();
    profile::final_certificate(issuer, signer, &precert, &scts).unwrap()
}

pub fn leaf_with_sct(
    issuer: &IssuerCertificate,
    signer: &InsecureSoftwareCaKey,
    ct: &InsecureSoftwareCaKey,
    id: &CertIdentity,
) -> Vec<u8> {
    leaf_with_scts(issuer, signer, &[ct], id)
}

pub fn email_leaf(ca: &Ca, ct: &InsecureSoftwareCaKey) -> Vec<u8> {
    leaf_with_sct(&ca.inter, &ca.inter_key, ct, &email_id())
}

pub fn log(ct: &InsecureSoftwareCaKey) -> CtLogKey {
    let window = Window {
        start: issued() - Duration::from_secs(3600),
        end: None,
    };
    CtLogKey::new(
        sct::log_id(ct.public_key_der()),
        ct.public_key_der(),
        window,
    )
    .unwrap()
}

pub fn at() -> SystemTime {
    issued() + Duration::from_secs(1)
}

pub fn failure(result: Result<VerifiedChain, ChainError>) -> (CertRole, CertFailure) {
    match result {
        Err(ChainError::Certificate { role, failure }) => (role, failure),
        other => panic!("expected a certificate failure, got {other:?}"),
    }
}

/// `der` with its TBS changed by `edit` and signed again by `signer`.
pub fn resign(
    der: &[u8],
    signer: &dyn CaSigner,
    edit: impl FnOnce(&mut x509_cert::TbsCertificate),
) -> Vec<u8> {
    let mut cert = x509_cert::Certificate::from_der(der).unwrap();
    edit(&mut cert.tbs_certificate);
    let signature = signer
        .sign(&cert.tbs_certificate.to_der().unwrap())
        .unwrap();
    cert.signature = BitString::from_bytes(&signature).unwrap();
    cert.to_der().unwrap()
}

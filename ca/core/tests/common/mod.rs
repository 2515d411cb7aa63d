//! Shared test fixtures: a root + intermediate CA held in software keys, identities for
//! every SAN type, requester keys.
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::profile::{self, CaSubject, IssuerCertificate, ValidityPeriod};
use signet_ca_core::request::CheckedPublicKey;
use signet_ca_core::san::{CertIdentity, FulcioExtension, SubjectAltName};
use signet_ca_core::signer::{CaAlgorithm, CaSigner};

/// A fixed, whole-second issuance time (2025-06-01T12:00:00Z).
pub fn issuance_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_748_779_200)
}

pub struct Ca {
    pub root_key: InsecureSoftwareCaKey,
    pub root_der: Vec<u8>,
    pub root: IssuerCertificate,
    pub intermediate_key: InsecureSoftwareCaKey,
    pub intermediate_der: Vec<u8>,
    pub intermediate: IssuerCertificate,
}

pub fn ca_validity() -> ValidityPeriod {
    ValidityPeriod {
        not_before: issuance_time() - Duration::from_secs(86_400),
        not_after: issuance_time() + Duration::from_secs(10 * 365 * 86_400),
    }
}

/// Root and intermediate, both with keys of `algorithm`.
pub fn ca(algorithm: CaAlgorithm) -> Ca {
    let root_key = InsecureSoftwareCaKey::generate(algorithm).unwrap();
    let root_der = profile::root_certificate(
        &root_key,
        &CaSubject {
            organization: "signet.test".into(),
            common_name: "signet-root".into(),
        },
        ca_validity(),
    )
    .unwrap();
    let root = IssuerCertificate::from_der(&root_der).unwrap();
    let intermediate_key = InsecureSoftwareCaKey::generate(algorithm).unwrap();
    let intermediate_der = profile::intermediate_certificate(
        &root,
        &root_key,
        intermediate_key.public_key_der(),
        &CaSubject {
            organization: "signet.test".into(),
            common_name: "signet-intermediate".into(),
        },
        ca_validity(),
    )
    .unwrap();
    let intermediate = IssuerCertificate::from_der(&intermediate_der).unwrap();
    Ca {
        root_key,
        root_der,
        root,
        intermediate_key,
        intermediate_der,
        intermediate,
    }
}

pub const ISSUER: &str = "https://token.actions.githubusercontent.com";

pub fn identity(san: SubjectAltName) -> CertIdentity {
    CertIdentity {
        san,
        extensions: vec![
            FulcioExtension {
                arc: 1,
                value: ISSUER.into(),
            },
            FulcioExtension {
                arc: 8,
                value: ISSUER.into(),
            },
            FulcioExtension {
                arc: 6,
                value: "refs/heads/main".into(),
            },
            FulcioExtension {
                arc: 15,
                value: "123456".into(),
            },
            FulcioExtension {
                arc: 24,
                value: "repo:octo/demo:ref:refs/heads/main".into(),
            },
        ],
    }
}

pub fn all_sans() -> Vec<SubjectAltName> {
    vec![
        SubjectAltName::Email("alice@example.com".into()),
        SubjectAltName::Uri(
            "https://github.com/octo/demo/.github/workflows/release.yml@refs/heads/main".into(),
        ),
        SubjectAltName::Username("alice!example.com".into()),
    ]
}

/// A requester key (P-256, as sigstore clients use).
pub fn requester_key() -> (InsecureSoftwareCaKey, CheckedPublicKey) {
    let key = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256).unwrap();
    let checked = CheckedPublicKey::from_spki_der(key.public_key_der()).unwrap();
    (key, checked)
}

//! Chains, SCTs and identities of certificates issued on the spot by `signet-ca-core`
//! (the CA Signet runs): what verifies, and which defect each altered variant reports.
#![allow(clippy::expect_used, clippy::unwrap_used)] // in tests a failed expectation is the failure report

mod fresh_ca;

use std::time::Duration;

use fresh_ca::*;
use signet_ca_core::profile::{self, IssuerCertificate, LeafRequest, CT_POISON_OID};
use signet_ca_core::san::SubjectAltName;
use signet_ca_core::sct;
use signet_ca_core::signer::{CaAlgorithm, CaSigner as _};
use signet_verifier::chain::{
    check_bundle_chain_excludes_roots, check_chain_times, check_chain_times_of, verify_chain,
    CertFailure, CertRole, ChainError, LeafValidity, TrustedCa,
};
use signet_verifier::identity::{signer_identity, verify_identity, IdentityError, IdentityPolicy};
use signet_verifier::sct::{verify_embedded_scts, SctCheckError, SkipReason};
use x509_cert::der::oid::AssociatedOid as _;
use x509_cert::ext::pkix::ExtendedKeyUsage;

#[test]
fn issued_leaf_verifies_end_to_end() {
    let (ca, ct) = (ca(), key(CaAlgorithm::EcdsaP256Sha256));
    let leaf = email_leaf(&ca, &ct);
    let chain = verify_chain(&leaf, &ca.trusted(), at()).unwrap();
    assert_eq!(
        chain.path,
        vec![leaf.clone(), ca.inter_der.clone(), ca.root_der.clone()]
    );
    let scts = verify_embedded_scts(&leaf, chain.issuer_der(), &[log(&ct)]).unwrap();
    assert_eq!(scts[0].timestamp_ms, 1_748_779_200_123);
    let id = verify_identity(&leaf, &IdentityPolicy::exact(EMAIL, ISSUER)).unwrap();
    assert_eq!(id.sans, vec![SubjectAltName::Email(EMAIL.into())]);
    // Ten minutes of validity (PROTOCOL.md §3.1), then no more.
    assert!(verify_chain(&leaf, &ca.trusted(), issued() + Duration::from_secs(600)).is_ok());
    let (role, f) = failure(verify_chain(
        &leaf,
        &ca.trusted(),
        issued() + Duration::from_secs(601),
    ));
    assert!(
        role == CertRole::Leaf && matches!(f, CertFailure::NotValidAt { .. }),
        "{f}"
    );
}

/// The time checks of a certificate already verified, from its kept validity window,
/// agree with the full chain verification at every edge: before issuance, both ends of
/// the ten minutes (inclusive), just after.
#[test]
fn time_checks_from_a_kept_validity_window_agree_with_the_full_chain() {
    let (ca, ct) = (ca(), key(CaAlgorithm::EcdsaP256Sha256));
    let leaf = email_leaf(&ca, &ct);
    let trusted = ca.trusted();
    let validity = LeafValidity::of(&leaf).unwrap();
    assert_eq!(validity.not_before, issued());
    assert_eq!(validity.not_after, issued() + Duration::from_secs(600));
    let second = Duration::from_secs(1);
    for at in [
        issued() - second,
        issued(),
        issued() + Duration::from_secs(300),
        issued() + Duration::from_secs(600),
        issued() + Duration::from_secs(601),
    ] {
        let full = verify_chain(&leaf, &trusted, at).map(|_| ());
        let kept = check_chain_times_of(validity, &trusted, 0, at);
        let parsed = check_chain_times(&leaf, &trusted, 0, at);
        assert_eq!(
            full.is_ok(),
            kept.is_ok(),
            "at {at:?}: {full:?} vs {kept:?}"
        );
        assert_eq!(
            format!("{full:?}"),
            format!("{kept:?}"),
            "at {at:?}: the same error"
        );
        assert_eq!(format!("{kept:?}"), format!("{parsed:?}"));
    }
    assert!(matches!(
        check_chain_times_of(validity, &trusted, 1, issued()),
        Err(ChainError::NoTrustedCa)
    ));
    assert!(LeafValidity::of(b"not a certificate").is_err());
}

#[test]
fn wrong_root_or_wrong_issuer_key_fails() {
    let (ca, other, ct) = (ca(), ca(), key(CaAlgorithm::EcdsaP256Sha256));
    let leaf = email_leaf(&ca, &ct);
    // Our intermediate under a root of the same name but another key.
    let wrong_root = [TrustedCa::new(&[&ca.inter_der, &other.root_der], None).unwrap()];
    let (role, f) = failure(verify_chain(&leaf, &wrong_root, at()));
    assert!(
        role == CertRole::Intermediate(1) && matches!(f, CertFailure::SignatureInvalid),
        "{role}: {f}"
    );
    // A leaf signed by a key other than our intermediate's (same issuer name).
    let foreign = email_leaf(&other, &ct);
    let (role, f) = failure(verify_chain(&foreign, &ca.trusted(), at()));
    assert!(
        role == CertRole::Leaf && matches!(f, CertFailure::SignatureInvalid),
        "{role}: {f}"
    );
    // Both CAs trusted: the leaf finds its own; with only the other, every failure is listed.
    let both = [other.trusted().remove(0), ca.trusted().remove(0)];
    assert_eq!(verify_chain(&leaf, &both, at()).unwrap().ca_index, 1);
    let twice = [other.trusted().remove(0), other.trusted().remove(0)];
    match verify_chain(&leaf, &twice, at()) {
        Err(ChainError::NoCaVerifies { failures }) => assert_eq!(failures.len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn leaf_profile_defects_fail() {
    let (ca, ct) = (ca(), key(CaAlgorithm::EcdsaP256Sha256));
    let leaf = email_leaf(&ca, &ct);
    // Control: signing the unchanged TBS again still verifies.
    let same = resign(&leaf, &ca.inter_key, |_| {});
    verify_chain(&same, &ca.trusted(), at()).unwrap();

    let no_eku = resign(&leaf, &ca.inter_key, |tbs| {
        tbs.extensions
            .as_mut()
            .unwrap()
            .retain(|e| e.extn_id != ExtendedKeyUsage::OID);
    });
    let (role, f) = failure(verify_chain(&no_eku, &ca.trusted(), at()));
    assert!(
        role == CertRole::Leaf && matches!(f, CertFailure::ExtendedKeyUsageMissing),
        "{f}"
    );

    // A precertificate is not a leaf: its CT poison is an unknown critical extension.
    let public = requester();
    let id = email_id();
    let precert = profile::precertificate(
        &ca.inter,
        &ca.inter_key,
        &LeafRequest::new(&public, &id, issued()),
    )
    .unwrap();
    let (role, f) = failure(verify_chain(precert.der(), &ca.trusted(), at()));
    assert!(
        role == CertRole::Leaf
            && matches!(f, CertFailure::UnknownCriticalExtension { oid } if oid == CT_POISON_OID),
        "{f}"
    );
}

#[test]
fn path_length_constraint_is_enforced() {
    let (ca, ct) = (ca(), key(CaAlgorithm::EcdsaP256Sha256));
    // A second intermediate under the first, whose pathLenConstraint is 0.
    let sub_key = key(CaAlgorithm::EcdsaP384Sha384);
    let sub_der = profile::intermediate_certificate(
        &ca.inter,
        &ca.inter_key,
        sub_key.public_key_der(),
        &subject("signet-sub"),
        ca_validity(),
    )
    .unwrap();
    let sub = IssuerCertificate::from_der(&sub_der).unwrap();
    let leaf = leaf_with_sct(&sub, &sub_key, &ct, &email_id());
    let cas = [TrustedCa::new(&[&sub_der, &ca.inter_der, &ca.root_der], None).unwrap()];
    let (role, f) = failure(verify_chain(&leaf, &cas, at()));
    assert_eq!(role, CertRole::Intermediate(2), "{f}");
    assert!(
        matches!(
            f,
            CertFailure::PathLengthExceeded {
                path_len: 0,
                intermediates_below: 1
            }
        ),
        "{f}"
    );
}

#[test]
fn sct_must_come_from_a_trusted_log() {
    let (ca, ct, unknown) = (
        ca(),
        key(CaAlgorithm::EcdsaP256Sha256),
        key(CaAlgorithm::EcdsaP256Sha256),
    );
    let leaf = email_leaf(&ca, &unknown);
    match verify_embedded_scts(&leaf, &ca.inter_der, &[log(&ct)]) {
        Err(SctCheckError::NoTrustedSct { skipped }) => {
            assert_eq!(skipped.len(), 1);
            assert_eq!(skipped[0].log_id, sct::log_id(unknown.public_key_der()));
            assert_eq!(skipped[0].reason, SkipReason::UnknownLog);
        }
        other => panic!("{other:?}"),
    }
    // SCTs from an unknown and a trusted log: the unknown one is ignored.
    let both = leaf_with_scts(&ca.inter, &ca.inter_key, &[&unknown, &ct], &email_id());
    let verified = verify_embedded_scts(&both, &ca.inter_der, &[log(&ct)]).unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].log_id, sct::log_id(ct.public_key_der()));
    // No SCT at all.
    let public = requester();
    let id = email_id();
    let bare = profile::leaf_certificate(
        &ca.inter,
        &ca.inter_key,
        &LeafRequest::new(&public, &id, issued()),
    )
    .unwrap();
    verify_chain(&bare, &ca.trusted(), at()).unwrap();
    assert!(matches!(
        verify_embedded_scts(&bare, &ca.inter_der, &[log(&ct)]),
        Err(SctCheckError::NoSct)
    ));
}

#[test]
fn bundle_chain_with_root_fails() {
    let (ours, stranger, ct) = (ca(), ca(), key(CaAlgorithm::EcdsaP256Sha256));
    let leaf = email_leaf(&ours, &ct);
    let cas = ours.trusted();
    check_bundle_chain_excludes_roots(&[&leaf], &cas).unwrap();
    check_bundle_chain_excludes_roots(&[&leaf, &ours.inter_der], &cas).unwrap();
    assert!(matches!(
        check_bundle_chain_excludes_roots(&[&leaf, &ours.inter_der, &ours.root_der], &cas),
        Err(ChainError::RootInBundle { index: 2 })
    ));
    // A self-signed root that is not even trusted.
    assert!(matches!(
        check_bundle_chain_excludes_roots(&[&leaf, &stranger.root_der], &cas),
        Err(ChainError::RootInBundle { index: 1 })
    ));
}

#[test]
fn identity_policies() {
    let (ca, ct) = (ca(), key(CaAlgorithm::EcdsaP256Sha256));
    let uri = "https://github.com/octo/demo/.github/workflows/release.yml@refs/heads/main";
    let uri_leaf = leaf_with_sct(
        &ca.inter,
        &ca.inter_key,
        &ct,
        &identity(SubjectAltName::Uri(uri.into()), ISSUER),
    );
    let ok = |p: IdentityPolicy| verify_identity(&uri_leaf, &p).is_ok();
    assert!(ok(IdentityPolicy::exact(uri, ISSUER)));
    assert!(ok(IdentityPolicy::pattern(
        r"https://github\.com/octo/demo/.*@refs/heads/main",
        ISSUER
    )
    .unwrap()));
    // Anchored: a pattern matching only part of the identity does not match.
    assert!(!ok(IdentityPolicy::pattern(
        r"https://github\.com/octo",
        ISSUER
    )
    .unwrap()));
    assert!(!ok(
        IdentityPolicy::pattern(r"octo/demo/.*", ISSUER).unwrap()
    ));
    assert!(!ok(IdentityPolicy::pattern(
        r"https://github\.com/octo/demo/.*@refs/heads/main|x",
        "https://other"
    )
    .unwrap()));
    assert!(matches!(
        IdentityPolicy::pattern("(", ISSUER),
        Err(IdentityError::InvalidPattern(_))
    ));

    match verify_identity(&uri_leaf, &IdentityPolicy::exact(EMAIL, ISSUER)) {
        Err(IdentityError::IdentityMismatch { expected, found }) => {
            assert_eq!(expected, format!("{EMAIL:?}"));
            assert_eq!(found, vec![uri.to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    match verify_identity(&uri_leaf, &IdentityPolicy::exact(uri, "https://other")) {
        Err(IdentityError::IssuerMismatch { expected, found }) => {
            assert_eq!(
                (expected.as_str(), found.as_str()),
                ("https://other", ISSUER)
            );
        }
        other => panic!("{other:?}"),
    }

    let user = leaf_with_sct(
        &ca.inter,
        &ca.inter_key,
        &ct,
        &identity(SubjectAltName::Username("alice!example.com".into()), ISSUER),
    );
    assert_eq!(
        signer_identity(&user).unwrap().sans,
        vec![SubjectAltName::Username("alice!example.com".into())]
    );

    // `.1` and `.8` saying different issuers.
    let split = leaf_with_sct(
        &ca.inter,
        &ca.inter_key,
        &ct,
        &identity(SubjectAltName::Email(EMAIL.into()), "https://evil.example"),
    );
    match signer_identity(&split) {
        Err(IdentityError::IssuerExtensionsDisagree { v1, v2 }) => {
            assert_eq!((v1.as_str(), v2.as_str()), ("https://evil.example", ISSUER));
        }
        other => panic!("{other:?}"),
    }
}

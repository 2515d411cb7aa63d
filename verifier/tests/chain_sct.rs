//! Real Fulcio leaves from public Sigstore bundles (staging, public-good, sigstore-go's
//! scaffolding) chain to their trusted roots at a time inside their validity and not
//! outside it, their embedded SCTs verify against the roots' CT logs, and their identities
//! are the ones the certificates carry. sigstore-python's bogus chains fail with the
//! specific error of their defect.
#![allow(clippy::expect_used, clippy::unwrap_used)] // in tests a failed expectation is the failure report

mod public_trust;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use public_trust::*;
use signet_ca_core::san::SubjectAltName;
use signet_verifier::chain::{
    check_bundle_chain_excludes_roots, verify_chain, CertFailure, CertRole, ChainError, TrustedCa,
    ValidityPeriod,
};
use signet_verifier::identity::{signer_identity, verify_identity, IdentityPolicy};
use signet_verifier::sct::{verify_embedded_scts, CtLogKey, SctCheckError, SkipReason};
use x509_cert::der::{DecodePem as _, Encode as _};

fn assert_leaf_not_valid(result: Result<signet_verifier::chain::VerifiedChain, ChainError>) {
    match result {
        Err(ChainError::Certificate {
            role: CertRole::Leaf,
            failure: CertFailure::NotValidAt { .. },
        }) => {}
        other => panic!("expected the leaf to be outside its validity, got {other:?}"),
    }
}

struct Case {
    bundle: &'static str,
    root: &'static str,
    ca_index: usize,
    san: SubjectAltName,
    issuer: &'static str,
}

fn cases() -> Vec<Case> {
    use SubjectAltName::{Email, Uri, Username};
    let c = |bundle, root, ca_index, san, issuer| Case {
        bundle,
        root,
        ca_index,
        san,
        issuer,
    };
    vec![
        c("sigstore-python/bundle.txt.sigstore", STAGING, 0, Email("a@tny.town".into()), GITHUB_OAUTH),
        c("sigstore-python/bundle_v3.txt.sigstore", STAGING, 0, Email("william@yossarian.net".into()), GITHUB_OAUTH),
        c("sigstore-python/bundle_v3_alt.txt.sigstore", STAGING, 0, Email("william@yossarian.net".into()), GITHUB_OAUTH),
        c("sigstore-python/staging-rekor-v2.txt.sigstore.json", STAGING, 0, Email("jku@goto.fi".into()), GITHUB_OAUTH),
        c("sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json", STAGING, 0,
          Uri("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main".into()),
          GITHUB_ACTIONS),
        c("sigstore-python/bundle_v3_github.whl.sigstore", PRODUCTION, 1,
          Uri("https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2".into()),
          GITHUB_ACTIONS),
        // Issuer only in the deprecated `.1` extension: the fallback.
        c("sigstore-python/bundle_no_log_entry.txt.sigstore", PRODUCTION, 1,
          Email("alex.cameron@trailofbits.com".into()), "https://accounts.google.com"),
        c("sigstore-go/pkg/testing/data/bundles/dsse.sigstore.json", PRODUCTION, 1,
          Email("brian@dehamer.com".into()), GITHUB_OAUTH),
        c("sigstore-go/examples/bundle-provenance.json", PRODUCTION, 1,
          Uri("https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main".into()),
          GITHUB_ACTIONS),
        // RSA root signing the leaf directly; username OtherName SAN.
        c("sigstore-go/pkg/testing/data/bundles/othername.sigstore.json", SCAFFOLDING, 0,
          Username("foo!oidc.local".into()), "http://oidc.local:8080"),
    ]
}

#[test]
fn real_leaves_verify_at_signing_time_and_not_outside_it() {
    for case in cases() {
        let (cas, logs) = trusted_root(case.root);
        let certs = bundle_certs(case.bundle);
        let leaf = &certs[0];
        let (not_before, not_after) = validity(leaf);

        let chain = verify_chain(leaf, &cas, not_before + Duration::from_secs(1))
            .unwrap_or_else(|e| panic!("{}: {e}", case.bundle));
        assert_eq!(chain.ca_index, case.ca_index, "{}", case.bundle);
        assert_eq!(chain.leaf_der(), leaf.as_slice());
        assert_eq!(chain.path.last().unwrap(), cas[case.ca_index].root_der());
        assert!(
            verify_chain(leaf, &cas, not_after).is_ok(),
            "notAfter is inclusive"
        );

        assert_leaf_not_valid(verify_chain(leaf, &cas, not_after + Duration::from_secs(1)));
        assert_leaf_not_valid(verify_chain(
            leaf,
            &cas,
            not_before - Duration::from_secs(1),
        ));
        assert_leaf_not_valid(verify_chain(leaf, &cas, SystemTime::now()));

        let scts = verify_embedded_scts(leaf, chain.issuer_der(), &logs)
            .unwrap_or_else(|e| panic!("{}: SCT: {e}", case.bundle));
        assert_eq!(scts.len(), 1, "{}", case.bundle);
        assert!(logs.iter().any(|l| *l.log_id() == scts[0].log_id));
        // The SCT is issued at issuance, within the leaf's first minute.
        let sct_time = UNIX_EPOCH + Duration::from_millis(scts[0].timestamp_ms);
        assert!(sct_time >= not_before - Duration::from_secs(60) && sct_time <= not_after);
        // Signed over the issuer's key: another issuer (the root) does not verify.
        if chain.path.len() > 2 {
            assert!(matches!(
                verify_embedded_scts(leaf, chain.path.last().unwrap(), &logs),
                Err(SctCheckError::InvalidSct { .. })
            ));
        }

        let identity = signer_identity(leaf).unwrap();
        assert_eq!(identity.sans, vec![case.san.clone()], "{}", case.bundle);
        assert_eq!(identity.issuer, case.issuer, "{}", case.bundle);
        let value = match &case.san {
            SubjectAltName::Email(v) | SubjectAltName::Uri(v) | SubjectAltName::Username(v) => v,
        };
        verify_identity(leaf, &IdentityPolicy::exact(value.clone(), case.issuer)).unwrap();
        assert!(
            verify_identity(leaf, &IdentityPolicy::exact(value.clone(), "https://other")).is_err()
        );
    }
}

#[test]
fn staging_leaf_does_not_verify_against_production_or_outside_ca_window() {
    let leaf = &bundle_certs("sigstore-python/bundle_v3.txt.sigstore")[0];
    let at = validity(leaf).0 + Duration::from_secs(1);
    let (production, production_logs) = trusted_root(PRODUCTION);
    // Same CA names (O=sigstore.dev, CN=sigstore-intermediate), other keys.
    match verify_chain(leaf, &production, at) {
        Err(ChainError::Certificate {
            role: CertRole::Leaf,
            failure: CertFailure::SignatureInvalid,
        }) => {}
        other => panic!("{other:?}"),
    }
    let (staging, _) = trusted_root(STAGING);
    let issuer = verify_chain(leaf, &staging, at)
        .unwrap()
        .issuer_der()
        .to_vec();
    match verify_embedded_scts(leaf, &issuer, &production_logs) {
        Err(SctCheckError::NoTrustedSct { skipped }) => {
            assert_eq!(skipped.len(), 1);
            assert_eq!(skipped[0].reason, SkipReason::UnknownLog);
        }
        other => panic!("{other:?}"),
    }

    // The CA's validFor window bounds the signing time too.
    let chain: Vec<Vec<u8>> = {
        let root = signet_testdata::read_json(STAGING);
        root["certificateAuthorities"][0]["certChain"]["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| b64(&c["rawBytes"]))
            .collect()
    };
    let ended = ValidityPeriod {
        start: UNIX_EPOCH,
        end: Some(at - Duration::from_secs(2)),
    };
    match verify_chain(leaf, &[TrustedCa::new(&chain, Some(ended)).unwrap()], at) {
        Err(ChainError::CaOutsideValidFor { ca_index: 0, .. }) => {}
        other => panic!("{other:?}"),
    }
    // An intermediate alone, without its root, is not a path to a trust anchor.
    match verify_chain(leaf, &[TrustedCa::new(&chain[1..], None).unwrap()], at) {
        Err(ChainError::UnknownIssuer { issuer }) => {
            assert!(issuer.contains("sigstore-intermediate"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sct_checks_on_real_leaf() {
    let (cas, logs) = trusted_root(STAGING);
    let leaf = bundle_certs("sigstore-python/bundle_v3.txt.sigstore").remove(0);
    let at = validity(&leaf).0 + Duration::from_secs(1);
    let issuer = verify_chain(&leaf, &cas, at).unwrap().issuer_der().to_vec();

    // The log key's window must contain the SCT time (2024): a key that ended in 2023 is
    // skipped, leaving no trusted SCT.
    let key = signet_testdata::read_json(STAGING)["ctlogs"][2].clone();
    let id: [u8; 32] = b64(&key["logId"]["keyId"]).try_into().unwrap();
    let raw = b64(&key["publicKey"]["rawBytes"]);
    let ended = ValidityPeriod {
        start: UNIX_EPOCH,
        end: Some(rfc3339("2023-01-01T00:00:00Z")),
    };
    let expired = [CtLogKey::new(id, &raw, ended).unwrap()];
    match verify_embedded_scts(&leaf, &issuer, &expired) {
        Err(SctCheckError::NoTrustedSct { skipped }) => {
            assert_eq!(skipped[0].log_id, id);
            assert_eq!(skipped[0].reason, SkipReason::OutsideKeyValidity);
        }
        other => panic!("{other:?}"),
    }
    // A log ID that is not the key's hash is refused when the key is loaded.
    let mut wrong = id;
    wrong[0] ^= 1;
    assert!(matches!(
        CtLogKey::new(wrong, &raw, ended),
        Err(SctCheckError::LogIdMismatch { .. })
    ));

    // One changed byte in the TBS (the issuer extension): the SCT no longer verifies,
    // and neither does the leaf's signature.
    let needle = GITHUB_OAUTH.as_bytes();
    let at_byte = leaf
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let mut tampered = leaf.clone();
    tampered[at_byte + 8] = b'G'; // "github" -> "Github"
    match verify_embedded_scts(&tampered, &issuer, &logs) {
        Err(SctCheckError::InvalidSct { log_id, .. }) => assert_eq!(log_id, id),
        other => panic!("{other:?}"),
    }
    match verify_chain(&tampered, &cas, at) {
        Err(ChainError::Certificate {
            role: CertRole::Leaf,
            failure: CertFailure::SignatureInvalid,
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn bundle_chains_with_a_root_are_rejected() {
    let (cas, _) = trusted_root(PRODUCTION);
    // sigstore-js 1.x v0.1 bundle: leaf, intermediate, root.
    let certs = bundle_certs("sigstore-go/pkg/testing/data/bundles/dsse.sigstore.json");
    assert_eq!(certs.len(), 3);
    match check_bundle_chain_excludes_roots(&certs, &cas) {
        Err(ChainError::RootInBundle { index: 2 }) => {}
        other => panic!("{other:?}"),
    }
    // The same root is found as self-signed without any trusted root to compare with.
    assert!(matches!(
        check_bundle_chain_excludes_roots(&certs, &[]),
        Err(ChainError::RootInBundle { index: 2 })
    ));
    check_bundle_chain_excludes_roots(&certs[..2], &cas).unwrap();
    check_bundle_chain_excludes_roots(
        &bundle_certs("sigstore-python/bundle_v3.txt.sigstore"),
        &cas,
    )
    .unwrap();
}

fn pem(name: &str) -> Vec<u8> {
    let text = signet_testdata::read(&format!("sigstore-python/x509/{name}.pem"));
    x509_cert::Certificate::from_pem(&text)
        .expect("PEM")
        .to_der()
        .expect("DER")
}

/// The bogus certificates are valid 2023–3022 and all named `CN=sigstore-python-bogus-cert`;
/// the leaves are signed by the root key directly.
fn bogus(leaf: &str, chain: &[&str]) -> Result<signet_verifier::chain::VerifiedChain, ChainError> {
    let chain: Vec<Vec<u8>> = chain.iter().map(|n| pem(n)).collect();
    let ca = TrustedCa::new(&chain, None).unwrap();
    verify_chain(&pem(leaf), &[ca], rfc3339("2024-06-01T00:00:00Z"))
}

fn failure(
    result: Result<signet_verifier::chain::VerifiedChain, ChainError>,
) -> (CertRole, CertFailure) {
    match result {
        Err(ChainError::Certificate { role, failure }) => (role, failure),
        other => panic!("expected a certificate failure, got {other:?}"),
    }
}

/// Whether a failure is the expected one.
type IsFailure = fn(&CertFailure) -> bool;

#[test]
fn sigstore_python_bogus_chains_fail_for_their_defect() {
    // Control: the well-formed pair verifies, so each failure below is the defect's.
    bogus("bogus-leaf", &["bogus-root"]).unwrap();

    let cases: [(&str, &[&str], CertRole, IsFailure); 8] = [
        (
            "bogus-leaf",
            &["bogus-root-noncritical-bc"],
            CertRole::Root,
            |f| matches!(f, CertFailure::BasicConstraintsNotCritical),
        ),
        (
            "bogus-leaf",
            &["bogus-root-invalid-ku"],
            CertRole::Root,
            |f| matches!(f, CertFailure::KeyCertSignMissing),
        ),
        (
            "bogus-leaf",
            &["bogus-root-missing-ku"],
            CertRole::Root,
            |f| matches!(f, CertFailure::KeyUsageMissing),
        ),
        (
            "bogus-leaf-invalid-ku",
            &["bogus-root"],
            CertRole::Leaf,
            |f| matches!(f, CertFailure::DigitalSignatureMissing),
        ),
        (
            "bogus-leaf-missing-eku",
            &["bogus-root"],
            CertRole::Leaf,
            |f| matches!(f, CertFailure::ExtendedKeyUsageMissing),
        ),
        (
            "bogus-leaf-invalid-eku",
            &["bogus-root"],
            CertRole::Leaf,
            |f| matches!(f, CertFailure::CodeSigningMissing),
        ),
        ("bogus-intermediate", &["bogus-root"], CertRole::Leaf, |f| {
            matches!(f, CertFailure::LeafIsCa)
        }),
        // The intermediate's key did not sign the leaf (the root's did).
        (
            "bogus-leaf",
            &["bogus-intermediate", "bogus-root"],
            CertRole::Leaf,
            |f| matches!(f, CertFailure::SignatureInvalid),
        ),
    ];
    for (leaf, chain, want_role, want) in cases {
        let (role, got) = failure(bogus(leaf, chain));
        assert_eq!(role, want_role, "{leaf} / {chain:?}: {got}");
        assert!(want(&got), "{leaf} / {chain:?}: {got}");
    }
}

//! RFC 3161 timestamp verification (`signet_verifier::tsa`) against real Sigstore
//! timestamps from the public vectors, and mutations of them that must each fail the check
//! they break; and generated TSAs (module `generated`) for the certificate-profile and
//! response-shape cases no real vector has.
#![allow(clippy::expect_used, clippy::unwrap_used)] // in tests a failed expectation is the failure report

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::Value;
use signet_verifier::bundle::Bundle;
use signet_verifier::chain::{CertFailure, CertRole};
use signet_verifier::trusted_root::{CertificateAuthority, TrustedRoot};
use signet_verifier::tsa::{
    verify_rfc3161, Asn1Part, SignedAttribute, TimestampError, MAX_TIMESTAMP_RESPONSE_BYTES,
};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn unix(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

// genTimes read independently with `openssl ts -reply -in X -text` ("Time stamp:"), then
// converted to Unix seconds.
/// bundle.txt.sigstore timestamp 0 (SHA-256 imprint): Oct 31 10:23:39 2024 GMT.
const BUNDLE_TXT_TS0: u64 = 1_730_370_219;
/// bundle.txt.sigstore timestamp 1 (SHA-512 imprint): Oct 31 13:31:44 2024 GMT.
const BUNDLE_TXT_TS1: u64 = 1_730_381_504;
/// bundle.txt.late_timestamp.sigstore: May 12 19:00:27 2025 GMT.
const LATE_TS: u64 = 1_747_076_427;
/// staging-rekor-v2.txt.sigstore.json (staging TSA, embedded leaf): Jun 9 11:57:38 2025 GMT.
const STAGING_V2_TS: u64 = 1_749_470_258;
/// a.dsse.staging-rekor-v2.txt.sigstore.json (DSSE): May 13 19:23:33 2026 GMT.
const STAGING_DSSE_TS: u64 = 1_778_700_213;
/// tsa/issue1482-timestamp-with-no-cert (empty `certificates`): Jul 25 19:53:04 2025 GMT.
const ISSUE1482_TS: u64 = 1_753_473_184;

fn bundle(rel: &str) -> Bundle {
    Bundle::from_json(&signet_testdata::read(rel)).expect(rel)
}

/// The test TSA of sigstore-python's `TestVerifierWithTimestamp`: `tsa/ca.json` put in
/// place of `tsa/trust_config.json`'s timestamp authorities (whose `validFor` starts a
/// week after these timestamps were made; see [`shipped_window_does_not_cover_gen_time`]).
fn test_tsa_root() -> TrustedRoot {
    let mut config = signet_testdata::read_json("sigstore-python/tsa/trust_config.json");
    let ca = signet_testdata::read_json("sigstore-python/tsa/ca.json");
    let root = config.get_mut("trustedRoot").unwrap();
    root["timestampAuthorities"] = Value::Array(vec![ca]);
    TrustedRoot::from_json(&serde_json::to_vec(root).unwrap()).unwrap()
}

fn staging_root() -> TrustedRoot {
    TrustedRoot::from_json(&signet_testdata::read("trust/staging-trusted_root.json")).unwrap()
}

fn production_root() -> TrustedRoot {
    TrustedRoot::from_json(&signet_testdata::read("trust/production-trusted_root.json")).unwrap()
}

fn tsas(root: &TrustedRoot) -> &[CertificateAuthority] {
    &root.timestamp_authorities
}

/// bundle.txt.sigstore's first timestamp and signature.
fn bundle_txt() -> (Vec<u8>, Vec<u8>) {
    let b = bundle("sigstore-python/tsa/bundle.txt.sigstore");
    (
        b.verification_material.rfc3161_timestamps[0].clone(),
        b.signature().to_vec(),
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    let mut hits = haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i);
    let first = hits.next().expect("pattern present");
    assert!(hits.next().is_none(), "pattern unique");
    first
}

#[test]
fn real_timestamps_verify_with_their_gen_time() {
    let root = test_tsa_root();
    let b = bundle("sigstore-python/tsa/bundle.txt.sigstore");
    let stamps = &b.verification_material.rfc3161_timestamps;
    assert_eq!(stamps.len(), 2);
    let v = verify_rfc3161(&stamps[0], b.signature(), tsas(&root)).unwrap();
    assert_eq!(v.gen_time, unix(BUNDLE_TXT_TS0));
    assert_eq!(v.authority_index, 0);
    // The first timestamp was taken in the same second as the entry's integratedTime.
    assert_eq!(
        b.verification_material.tlog_entries[0].integrated_time,
        Some(BUNDLE_TXT_TS0)
    );
    // The second one's SHA-512 imprint (openssl: 9b71d224…) is over the bytes "hello",
    // not this bundle's signature: sigstore-python, which needs only one, skips it.
    assert!(matches!(
        verify_rfc3161(&stamps[1], b.signature(), tsas(&root)),
        Err(TimestampError::ImprintMismatch)
    ));
    let v = verify_rfc3161(&stamps[1], b"hello", tsas(&root)).unwrap();
    assert_eq!(v.gen_time, unix(BUNDLE_TXT_TS1));

    // Made 12 minutes after the entry: a valid timestamp (it is the Fulcio leaf it
    // outlives, a chain-step failure), by the staging TSA (embedded leaf CN=sigstore-tsa).
    let late = bundle("sigstore-python/tsa/bundle.txt.late_timestamp.sigstore");
    let v = verify_rfc3161(
        &late.verification_material.rfc3161_timestamps[0],
        late.signature(),
        tsas(&staging_root()),
    )
    .unwrap();
    assert_eq!(v.gen_time, unix(LATE_TS));
    let integrated = late.verification_material.tlog_entries[0]
        .integrated_time
        .unwrap();
    assert!(LATE_TS >= integrated + 12 * 60);
}

#[test]
fn staging_timestamps_verify_against_the_staging_root() {
    let staging = staging_root();
    for (rel, want) in [
        (
            "sigstore-python/staging-rekor-v2.txt.sigstore.json",
            STAGING_V2_TS,
        ),
        // DSSE: the imprint covers the envelope's one signature.
        (
            "sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json",
            STAGING_DSSE_TS,
        ),
    ] {
        let b = bundle(rel);
        let der = &b.verification_material.rfc3161_timestamps[0];
        let v = verify_rfc3161(der, b.signature(), tsas(&staging)).expect(rel);
        assert_eq!(v.gen_time, unix(want), "{rel}");
        assert_eq!(v.authority_index, 0);
    }
}

/// sigstore-python issue 1482: `certificates` present but empty; the leaf comes from the
/// trusted root.
#[test]
fn timestamp_without_embedded_certificate_verifies_from_the_root() {
    let der = signet_testdata::read("sigstore-python/tsa/issue1482-timestamp-with-no-cert");
    let message = signet_testdata::read("sigstore-python/tsa/issue1482-message");
    let v = verify_rfc3161(&der, &message, tsas(&staging_root())).unwrap();
    assert_eq!(v.gen_time, unix(ISSUE1482_TS));
}

/// The bundle parser refuses this bundle (two identical timestamps); each timestamp on its
/// own is the SHA-512 "hello" timestamp of bundle.txt.sigstore, or another like it.
#[test]
fn duplicate_bundle_timestamps_each_verify() {
    let root = test_tsa_root();
    let json = signet_testdata::read_json("sigstore-python/tsa/bundle.duplicate.sigstore");
    let stamps = json["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .unwrap();
    assert_eq!(stamps.len(), 3);
    for stamp in stamps {
        let der = B64
            .decode(stamp["signedTimestamp"].as_str().unwrap())
            .unwrap();
        let v = verify_rfc3161(&der, b"hello", tsas(&root)).unwrap();
        assert_eq!(v.gen_time, unix(BUNDLE_TXT_TS1));
    }
}

#[test]
fn the_authority_that_verifies_is_named_among_several() {
    let staging = staging_root();
    let test = test_tsa_root();
    let both: Vec<CertificateAuthority> =
        tsas(&staging).iter().chain(tsas(&test)).cloned().collect();
    let (der, sig) = bundle_txt();
    let v = verify_rfc3161(&der, &sig, &both).unwrap();
    assert_eq!(v.authority_index, both.len() - 1);
}

#[test]
fn imprint_over_other_bytes_is_refused() {
    let (der, mut sig) = bundle_txt();
    let root = test_tsa_root();
    sig[10] ^= 1;
    assert!(matches!(
        verify_rfc3161(&der, &sig, tsas(&root)),
        Err(TimestampError::ImprintMismatch)
    ));
    assert!(matches!(
        verify_rfc3161(&der, b"", tsas(&root)),
        Err(TimestampError::ImprintMismatch)
    ));
    // The SHA-512 timestamp of the same bundle, against another bundle's signature.
    let other = bundle("sigstore-python/tsa/bundle.txt.late_timestamp.sigstore");
    let b = bundle("sigstore-python/tsa/bundle.txt.sigstore");
    assert!(matches!(
        verify_rfc3161(
            &b.verification_material.rfc3161_timestamps[1],
            other.signature(),
            tsas(&root)
        ),
        Err(TimestampError::ImprintMismatch)
    ));
}

#[test]
fn flipped_signature_byte_is_refused() {
    let (mut der, sig) = bundle_txt();
    // The SignerInfo is last and has no unsigned attributes: the response ends with the
    // DER ECDSA signature, whose last bytes are inside `s`.
    let n = der.len();
    der[n - 3] ^= 0x01;
    assert!(matches!(
        verify_rfc3161(&der, &sig, tsas(&test_tsa_root())),
        Err(TimestampError::SignatureInvalid)
    ));
}

#[test]
fn flipped_tst_info_byte_is_refused() {
    let (der, sig) = bundle_txt();
    let root = test_tsa_root();
    // TSTInfo serialNumber (openssl: 0x27C361DF…), right after the imprint.
    let serial = hex::decode("27c361dfdde116a02ca94b824229282d95dbe471").unwrap();
    let at = find(&der, &serial);
    let mut bad = der.clone();
    bad[at + 5] ^= 0x01;
    assert!(matches!(
        verify_rfc3161(&bad, &sig, tsas(&root)),
        Err(TimestampError::MessageDigestMismatch)
    ));
    // genTime 20241031102339Z → 20241031102338Z: a different time, same shape.
    let at = find(&der, b"20241031102339Z");
    let mut bad = der.clone();
    bad[at + 13] = b'8';
    assert!(matches!(
        verify_rfc3161(&bad, &sig, tsas(&root)),
        Err(TimestampError::MessageDigestMismatch)
    ));
}

#[test]
fn flipped_signed_attribute_byte_is_refused() {
    let (der, sig) = bundle_txt();
    let root = test_tsa_root();
    // signingTime (1.2.840.113549.1.9.5) value UTCTime 241031102339Z: not checked by
    // itself, only covered by the signature.
    let at = find(&der, b"\x17\x0d241031102339Z");
    let mut bad = der.clone();
    bad[at + 13] = b'2';
    assert!(matches!(
        verify_rfc3161(&bad, &sig, tsas(&root)),
        Err(TimestampError::SignatureInvalid)
    ));
    // content-type value id-ct-TSTInfo (…9.16.1.4) → …9.16.1.5, in the attribute only
    // (the eContentType is the same OID and comes first).
    let oid = [
        0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
    ];
    let hits: Vec<usize> = der
        .windows(oid.len())
        .enumerate()
        .filter(|(_, w)| *w == oid)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 2);
    let mut bad = der.clone();
    bad[hits[1] + oid.len() - 1] = 0x05;
    assert!(matches!(
        verify_rfc3161(&bad, &sig, tsas(&root)),
        Err(TimestampError::ContentTypeAttributeMismatch { .. })
    ));
    // message-digest value (openssl asn1parse: 8C2D4814…).
    let md =
        hex::decode("8c2d4814762b22680e3c86020c15a2422d21cbfa3595dcaba5acadd67bc66d9e").unwrap();
    let at = find(&der, &md);
    let mut bad = der.clone();
    bad[at] ^= 0x80;
    assert!(matches!(
        verify_rfc3161(&bad, &sig, tsas(&root)),
        Err(TimestampError::MessageDigestMismatch)
    ));
    // The ESSCertIDv2 certHash of the TSA leaf.
    let leaf_hash =
        hex::decode("7a67ee5b26fb72265485616cc595d3310b9b782c098e29100ef18dc700b8c039").unwrap();
    let at = find(&der, &leaf_hash);
    let mut bad = der.clone();
    bad[at] ^= 0x01;
    assert!(matches!(
        verify_rfc3161(&bad, &sig, tsas(&root)),
        Err(TimestampError::SigningCertificateMismatch {
            attribute: SignedAttribute::SigningCertificateV2
        })
    ));
}

#[test]
fn another_roots_tsa_is_refused() {
    // bundle.txt's test-TSA timestamp against the staging TSA: not its signer.
    let (der, sig) = bundle_txt();
    assert!(matches!(
        verify_rfc3161(&der, &sig, tsas(&staging_root())),
        Err(TimestampError::SignerIdentifierMismatch)
    ));
    // A staging timestamp against the test TSA.
    let b = bundle("sigstore-python/staging-rekor-v2.txt.sigstore.json");
    let staging_der = &b.verification_material.rfc3161_timestamps[0];
    assert!(matches!(
        verify_rfc3161(staging_der, b.signature(), tsas(&test_tsa_root())),
        Err(TimestampError::SignerIdentifierMismatch)
    ));
    // Several authorities, none right: each failure is reported.
    let production = production_root();
    let wrong: Vec<CertificateAuthority> = tsas(&production)
        .iter()
        .chain(tsas(&staging_root()))
        .cloned()
        .collect();
    match verify_rfc3161(&der, &sig, &wrong) {
        Err(TimestampError::NoAuthorityVerifies { failures }) => {
            assert_eq!(failures.len(), 2);
            assert_eq!(failures[0].0, 0);
            assert_eq!(failures[1].0, 1);
            assert!(failures
                .iter()
                .all(|(_, e)| matches!(e, TimestampError::SignerIdentifierMismatch)));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        verify_rfc3161(&der, &sig, &[]),
        Err(TimestampError::NoTimestampAuthority)
    ));
}

/// The test TSA with its `validFor` replaced.
fn test_tsa_root_valid_for(start: &str, end: Option<&str>) -> TrustedRoot {
    let mut config = signet_testdata::read_json("sigstore-python/tsa/trust_config.json");
    let mut ca = signet_testdata::read_json("sigstore-python/tsa/ca.json");
    ca["validFor"] = match end {
        Some(end) => serde_json::json!({ "start": start, "end": end }),
        None => serde_json::json!({ "start": start }),
    };
    let root = config.get_mut("trustedRoot").unwrap();
    root["timestampAuthorities"] = Value::Array(vec![ca]);
    TrustedRoot::from_json(&serde_json::to_vec(root).unwrap()).unwrap()
}

#[test]
fn authority_window_must_cover_gen_time() {
    let (der, sig) = bundle_txt();
    // sigstore-python's test_verifier_outside_validity_range: the window ends before.
    let ended = test_tsa_root_valid_for("2024-10-01T00:00:00Z", Some("2024-10-31T00:00:00Z"));
    match verify_rfc3161(&der, &sig, tsas(&ended)) {
        Err(TimestampError::OutsideValidFor { gen_time, window }) => {
            assert_eq!(gen_time, unix(BUNDLE_TXT_TS0));
            assert!(window.end.unwrap() < gen_time);
        }
        other => panic!("{other:?}"),
    }
    // Starts one second after genTime (10:23:39).
    let later = test_tsa_root_valid_for("2024-10-31T10:23:40Z", None);
    assert!(matches!(
        verify_rfc3161(&der, &sig, tsas(&later)),
        Err(TimestampError::OutsideValidFor { .. })
    ));
    // Bounds: start is inclusive, end exclusive (sigstore-python).
    let starts_at = test_tsa_root_valid_for("2024-10-31T10:23:39Z", None);
    assert!(verify_rfc3161(&der, &sig, tsas(&starts_at)).is_ok());
    let ends_at = test_tsa_root_valid_for("2024-10-01T00:00:00Z", Some("2024-10-31T10:23:39Z"));
    assert!(matches!(
        verify_rfc3161(&der, &sig, tsas(&ends_at)),
        Err(TimestampError::OutsideValidFor { .. })
    ));
    let ends_after = test_tsa_root_valid_for("2024-10-01T00:00:00Z", Some("2024-10-31T10:23:40Z"));
    assert!(verify_rfc3161(&der, &sig, tsas(&ends_after)).is_ok());
}

/// `tsa/trust_config.json` as shipped names a TSA of the same name whose certificate was
/// re-issued a week later: not the signer of these timestamps.
#[test]
fn same_named_reissued_tsa_is_refused() {
    let shipped = TrustedRoot::from_client_trust_config_json(&signet_testdata::read(
        "sigstore-python/tsa/trust_config.json",
    ))
    .unwrap();
    assert_eq!(tsas(&shipped)[0].common_name, "Test TSA Timestamping");
    let (der, sig) = bundle_txt();
    assert!(matches!(
        verify_rfc3161(&der, &sig, tsas(&shipped)),
        Err(TimestampError::SignerIdentifierMismatch)
    ));
}

#[test]
fn truncated_responses_are_refused() {
    let (der, sig) = bundle_txt();
    let root = test_tsa_root();
    for len in 0..der.len() {
        assert!(
            matches!(
                verify_rfc3161(&der[..len], &sig, tsas(&root)),
                Err(TimestampError::Malformed {
                    part: Asn1Part::TimeStampResp,
                    ..
                })
            ),
            "prefix of {len} bytes"
        );
    }
    // Trailing bytes after the response are refused too.
    let mut long = der.clone();
    long.push(0);
    assert!(matches!(
        verify_rfc3161(&long, &sig, tsas(&root)),
        Err(TimestampError::Malformed {
            part: Asn1Part::TimeStampResp,
            ..
        })
    ));
}

#[test]
fn garbage_and_oversized_input_is_refused() {
    let root = test_tsa_root();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for len in [1usize, 2, 16, 100, 1000, 4096] {
        let garbage: Vec<u8> = (0..len)
            .map(|_| {
                // xorshift64: deterministic bytes.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        assert!(matches!(
            verify_rfc3161(&garbage, b"sig", tsas(&root)),
            Err(TimestampError::Malformed { .. })
        ));
    }
    let big = vec![0x30; MAX_TIMESTAMP_RESPONSE_BYTES + 1];
    assert!(matches!(
        verify_rfc3161(&big, b"sig", tsas(&root)),
        Err(TimestampError::TooLarge { size }) if size == MAX_TIMESTAMP_RESPONSE_BYTES + 1
    ));
}

/// Every single-bit flip (0x01 and 0x80) of a real response is either refused or, in one of
/// the few fields no check reads (status granted → grantedWithMods, CMS versions, the
/// SignedData's digest-algorithm list), still yields the same genTime; nothing panics.
/// Every flip inside the TSTInfo, or from the signed attributes to the end (signature
/// algorithm and signature), is refused.
#[test]
fn every_bit_flip_is_refused_or_harmless() {
    let (der, sig) = bundle_txt();
    let root = test_tsa_root();
    // openssl asn1parse: the TSTInfo is the 3 + 0xb9 bytes from `30 81 b9 02 01 01`; the
    // signed attributes start at `a0 81 f3` followed by the content-type attribute.
    let tst = find(&der, &[0x30, 0x81, 0xb9, 0x02, 0x01, 0x01]);
    let tst = tst..tst + 3 + 0xb9;
    let attrs = find(
        &der,
        &hex::decode("a081f3301a06092a864886f70d010903").unwrap(),
    );
    let mut accepted = Vec::new();
    for i in 0..der.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = der.clone();
            bad[i] ^= bit;
            if let Ok(v) = verify_rfc3161(&bad, &sig, tsas(&root)) {
                assert!(!tst.contains(&i) && i < attrs, "flip at {i} accepted");
                assert_eq!(v.gen_time, unix(BUNDLE_TXT_TS0));
                accepted.push(i);
            }
        }
    }
    // openssl asn1parse offsets of the fields no check reads: PKIStatus value 0 → 1
    // (grantedWithMods) at 8, SignedData version at 34, the SignedData digestAlgorithms
    // OID at 41..=49, SignerInfo version at 738.
    let unread = |i: usize| i == 8 || i == 34 || (41..=49).contains(&i) || i == 738;
    assert!(
        accepted.iter().all(|&i| unread(i)),
        "flips accepted at {accepted:?}"
    );
    assert!(accepted.contains(&8), "grantedWithMods is a granted status");
}

#[test]
fn errors_say_which_check_failed() {
    let e = TimestampError::Certificate {
        role: CertRole::Leaf,
        failure: CertFailure::SignatureInvalid,
    };
    assert_eq!(
        e.to_string(),
        "TSA leaf certificate: signature does not verify with the issuer's public key"
    );
    let (der, sig) = bundle_txt();
    let e = verify_rfc3161(&der, &sig, tsas(&staging_root())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the SignerInfo sid does not name the authority's TSA certificate"
    );
}

/// TSAs generated here (rcgen certificates, CMS built with the `cms` / `x509-tsp` types
/// and signed with aws-lc-rs), for the certificate-profile and shape cases no real vector
/// has. The baseline response verifies, so each case's failure is its own.
mod generated {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING,
        RSA_PKCS1_SHA256,
    };
    use cmpv2::status::{PkiStatus, PkiStatusInfo};
    use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
    use cms::content_info::{CmsVersion, ContentInfo};
    use cms::signed_data::{
        CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo,
        SignerInfos,
    };
    use rcgen::{
        BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, KeyPair,
        KeyUsagePurpose, RsaKeySize, SignatureAlgorithm,
    };
    use x509_cert::attr::Attribute;
    use x509_cert::der::asn1::{GeneralizedTime, Int, OctetString, SetOfVec};
    use x509_cert::der::oid::ObjectIdentifier;
    use x509_cert::der::{Any, Decode as _, Encode as _};
    use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectKeyIdentifier};
    use x509_cert::spki::AlgorithmIdentifierOwned;
    use x509_tsp::{MessageImprint, TimeStampResp, TspVersion, TstInfo};

    use super::*;

    const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
    const ID_CT_TST_INFO: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
    const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
    const ID_MESSAGE_DIGEST: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
    const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
    const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
    const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
    const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
    const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
    const EKU_OID: &[u64] = &[2, 5, 29, 37];
    const LEAF_SKI: [u8; 20] = [0x11; 20];

    /// 2025-01-01T00:00:00Z: the certificates are valid 2024–2026.
    const GEN_TIME: u64 = 1_735_689_600;
    const SIGNED: &[u8] = b"the bundle's signature bytes";

    fn sha(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid,
            parameters: None,
        }
    }

    fn at(year: i32) -> time::OffsetDateTime {
        time::Date::from_calendar_date(year, time::Month::January, 1)
            .unwrap()
            .midnight()
            .assume_utc()
    }

    fn eku_extension(purposes: &[ObjectIdentifier], critical: bool) -> CustomExtension {
        let content = ExtendedKeyUsage(purposes.to_vec()).to_der().unwrap();
        let mut ext = CustomExtension::from_oid_content(EKU_OID, content);
        ext.set_criticality(critical);
        ext
    }

    /// The leaf's key and how its CMS signature is made.
    enum Key {
        P256,
        P384,
        Rsa,
    }

    /// How to make one TSA chain.
    struct ChainSpec {
        key: Key,
        /// The leaf's extKeyUsage purposes (none: no extension) and criticality.
        leaf_eku: Option<(Vec<ObjectIdentifier>, bool)>,
        /// The intermediate's extKeyUsage, if any.
        intermediate_eku: Option<Vec<ObjectIdentifier>>,
        /// The leaf's notAfter year.
        leaf_until: i32,
    }

    impl Default for ChainSpec {
        fn default() -> Self {
            Self {
                key: Key::P256,
                leaf_eku: Some((vec![TIME_STAMPING], true)),
                intermediate_eku: None,
                leaf_until: 2026,
            }
        }
    }

    struct Tsa {
        /// Leaf, intermediate, root (DER).
        chain: Vec<Vec<u8>>,
        leaf_key: KeyPair,
        key: Key,
    }

    fn ca_params(name: &str, eku: Option<&[ObjectIdentifier]>) -> CertificateParams {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.not_before = at(2024);
        p.not_after = at(2030);
        if let Some(eku) = eku {
            p.custom_extensions.push(eku_extension(eku, false));
        }
        p
    }

    fn make_tsa(spec: ChainSpec) -> Tsa {
        let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let root = ca_params("Generated TSA Root", None)
            .self_signed(&root_key)
            .unwrap();
        let int_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let int = ca_params(
            "Generated TSA Intermediate",
            spec.intermediate_eku.as_deref(),
        )
        .signed_by(&int_key, &root, &root_key)
        .unwrap();
        let leaf_key = match spec.key {
            Key::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
            Key::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
            Key::Rsa => {
                let alg: &'static SignatureAlgorithm = &rcgen::PKCS_RSA_SHA256;
                KeyPair::generate_rsa_for(alg, RsaKeySize::_2048).unwrap()
            }
        };
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "Generated TSA Timestamping");
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.not_before = at(2024);
        p.not_after = at(spec.leaf_until);
        // rcgen writes no subjectKeyIdentifier on end-entity certificates.
        let ski = SubjectKeyIdentifier(OctetString::new(LEAF_SKI.to_vec()).unwrap());
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &[2, 5, 29, 14],
            ski.to_der().unwrap(),
        ));
        if let Some((purposes, critical)) = &spec.leaf_eku {
            p.custom_extensions.push(eku_extension(purposes, *critical));
        }
        let leaf = p.signed_by(&leaf_key, &int, &int_key).unwrap();
        Tsa {
            chain: vec![leaf.der().to_vec(), int.der().to_vec(), root.der().to_vec()],
            leaf_key,
            key: spec.key,
        }
    }

    /// A trusted root whose one TSA is `chain`, valid from 2024 on.
    fn root_for(chain: &[Vec<u8>]) -> TrustedRoot {
        let mut config = signet_testdata::read_json("sigstore-python/tsa/trust_config.json");
        let certs: Vec<Value> = chain
            .iter()
            .map(|der| serde_json::json!({ "rawBytes": B64.encode(der) }))
            .collect();
        let root = config.get_mut("trustedRoot").unwrap();
        root["timestampAuthorities"] = serde_json::json!([{
            "subject": { "organization": "test", "commonName": "generated" },
            "certChain": { "certificates": certs },
            "validFor": { "start": "2024-01-01T00:00:00Z" },
        }]);
        TrustedRoot::from_json(&serde_json::to_vec(root).unwrap()).unwrap()
    }

    /// How to shape one response.
    struct Resp {
        status: PkiStatus,
        token: bool,
        signers: usize,
        signed_attrs: bool,
        sid_by_ski: Option<Vec<u8>>,
        embed: Vec<Vec<u8>>,
        /// Sign with this key instead of the leaf's.
        impostor: Option<KeyPair>,
        /// signatureAlgorithm rsaEncryption (hash from digestAlgorithm), as OpenSSL writes.
        bare_rsa: bool,
    }

    impl Default for Resp {
        fn default() -> Self {
            Self {
                status: PkiStatus::Accepted,
                token: true,
                signers: 1,
                signed_attrs: true,
                sid_by_ski: None,
                embed: Vec::new(),
                impostor: None,
                bare_rsa: false,
            }
        }
    }

    fn sign(key: &Key, pair: &KeyPair, msg: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        let pkcs8 = pair.serialize_der();
        match key {
            Key::P256 => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8)
                .unwrap()
                .sign(&rng, msg)
                .unwrap()
                .as_ref()
                .to_vec(),
            Key::P384 => EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, &pkcs8)
                .unwrap()
                .sign(&rng, msg)
                .unwrap()
                .as_ref()
                .to_vec(),
            Key::Rsa => {
                let kp = RsaKeyPair::from_pkcs8(&pkcs8).unwrap();
                let mut sig = vec![0; kp.public_modulus_len()];
                kp.sign(&RSA_PKCS1_SHA256, &rng, msg, &mut sig).unwrap();
                sig
            }
        }
    }

    fn respond(tsa: &Tsa, signed_bytes: &[u8], resp: Resp) -> Vec<u8> {
        let (digest_oid, digest_alg) = match tsa.key {
            Key::P384 => (SHA384, &aws_lc_rs::digest::SHA384),
            Key::P256 | Key::Rsa => (SHA256, &aws_lc_rs::digest::SHA256),
        };
        let digest = |data: &[u8]| {
            aws_lc_rs::digest::digest(digest_alg, data)
                .as_ref()
                .to_vec()
        };
        let tst = TstInfo {
            version: TspVersion::V1,
            policy: ObjectIdentifier::new_unwrap("1.2.3.4"),
            message_imprint: MessageImprint {
                hash_algorithm: sha(SHA256),
                hashed_message: OctetString::new(
                    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, signed_bytes).as_ref(),
                )
                .unwrap(),
            },
            serial_number: Int::new(&[0x01, 0x02]).unwrap(),
            gen_time: GeneralizedTime::from_system_time(unix(GEN_TIME)).unwrap(),
            accuracy: None,
            ordering: false,
            nonce: None,
            tsa: None,
            extensions: None,
        };
        let tst_der = tst.to_der().unwrap();
        let attribute = |oid, value: Any| Attribute {
            oid,
            values: SetOfVec::try_from(vec![value]).unwrap(),
        };
        let attrs = SetOfVec::try_from(vec![
            attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_CT_TST_INFO).unwrap()),
            attribute(
                ID_MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(digest(&tst_der)).unwrap()).unwrap(),
            ),
        ])
        .unwrap();
        let signing_key = resp.impostor.as_ref().unwrap_or(&tsa.leaf_key);
        let signature = sign(&tsa.key, signing_key, &attrs.to_der().unwrap());
        let leaf = x509_cert::Certificate::from_der(&tsa.chain[0]).unwrap();
        let sid = match &resp.sid_by_ski {
            Some(ski) => SignerIdentifier::SubjectKeyIdentifier(SubjectKeyIdentifier(
                OctetString::new(ski.clone()).unwrap(),
            )),
            None => SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: leaf.tbs_certificate.issuer.clone(),
                serial_number: leaf.tbs_certificate.serial_number.clone(),
            }),
        };
        let signature_algorithm = match (&tsa.key, resp.bare_rsa) {
            (Key::Rsa, true) => AlgorithmIdentifierOwned {
                oid: RSA_ENCRYPTION,
                parameters: Some(Any::null()),
            },
            (Key::Rsa, false) => AlgorithmIdentifierOwned {
                oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
                parameters: Some(Any::null()),
            },
            (Key::P256, _) => sha(ECDSA_SHA256),
            (Key::P384, _) => sha(ECDSA_SHA384),
        };
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid,
            digest_alg: sha(digest_oid),
            signed_attrs: resp.signed_attrs.then_some(attrs),
            signature_algorithm,
            signature: OctetString::new(signature).unwrap(),
            unsigned_attrs: None,
        };
        let mut signers = vec![signer.clone(); resp.signers];
        // A set of equal elements is not DER: make the copies differ.
        for (i, s) in signers.iter_mut().enumerate().skip(1) {
            s.signature = OctetString::new(vec![u8::try_from(i).unwrap(); 8]).unwrap();
        }
        let certificates = (!resp.embed.is_empty()).then(|| {
            CertificateSet::try_from(
                resp.embed
                    .iter()
                    .map(|der| {
                        CertificateChoices::Certificate(
                            x509_cert::Certificate::from_der(der).unwrap(),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .unwrap()
        });
        let signed_data = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![sha(digest_oid)]).unwrap(),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_CT_TST_INFO,
                econtent: Some(Any::encode_from(&OctetString::new(tst_der).unwrap()).unwrap()),
            },
            certificates,
            crls: None,
            signer_infos: SignerInfos::try_from(signers).unwrap(),
        };
        let token = ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::encode_from(&signed_data).unwrap(),
        };
        TimeStampResp {
            status: PkiStatusInfo {
                status: resp.status,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: resp.token.then_some(token),
        }
        .to_der()
        .unwrap()
    }

    fn verify(
        tsa: &Tsa,
        der: &[u8],
    ) -> Result<signet_verifier::tsa::VerifiedTimestamp, TimestampError> {
        let root = root_for(&tsa.chain);
        verify_rfc3161(der, SIGNED, tsas(&root))
    }

    #[test]
    fn baseline_generated_timestamps_verify() {
        for key in [Key::P256, Key::P384, Key::Rsa] {
            let tsa = make_tsa(ChainSpec {
                key,
                ..ChainSpec::default()
            });
            let v = verify(&tsa, &respond(&tsa, SIGNED, Resp::default())).unwrap();
            assert_eq!(v.gen_time, unix(GEN_TIME));
        }
        // RSA with signatureAlgorithm rsaEncryption: the hash is the digestAlgorithm's.
        let tsa = make_tsa(ChainSpec {
            key: Key::Rsa,
            ..ChainSpec::default()
        });
        let resp = Resp {
            bare_rsa: true,
            ..Resp::default()
        };
        assert!(verify(&tsa, &respond(&tsa, SIGNED, resp)).is_ok());
    }

    #[test]
    fn leaf_eku_must_be_critical_and_only_time_stamping() {
        let case = |leaf_eku| {
            let tsa = make_tsa(ChainSpec {
                leaf_eku,
                ..ChainSpec::default()
            });
            verify(&tsa, &respond(&tsa, SIGNED, Resp::default()))
        };
        assert!(matches!(
            case(Some((vec![TIME_STAMPING], false))),
            Err(TimestampError::TimestampingEkuNotCritical)
        ));
        assert!(matches!(
            case(None),
            Err(TimestampError::TimestampingEkuMissing)
        ));
        match case(Some((vec![TIME_STAMPING, CODE_SIGNING], true))) {
            Err(TimestampError::TimestampingEkuNotSole { found }) => {
                assert_eq!(found, vec![TIME_STAMPING, CODE_SIGNING]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            case(Some((vec![CODE_SIGNING], true))),
            Err(TimestampError::TimestampingEkuNotSole { .. })
        ));
    }

    #[test]
    fn ca_eku_must_allow_time_stamping() {
        let tsa = make_tsa(ChainSpec {
            intermediate_eku: Some(vec![CODE_SIGNING]),
            ..ChainSpec::default()
        });
        assert!(matches!(
            verify(&tsa, &respond(&tsa, SIGNED, Resp::default())),
            Err(TimestampError::CaTimestampingNotAllowed {
                role: CertRole::Intermediate(1)
            })
        ));
        let tsa = make_tsa(ChainSpec {
            intermediate_eku: Some(vec![TIME_STAMPING]),
            ..ChainSpec::default()
        });
        assert!(verify(&tsa, &respond(&tsa, SIGNED, Resp::default())).is_ok());
    }

    #[test]
    fn leaf_must_be_valid_at_gen_time() {
        // notAfter 2025-01-01T00:00:00Z = genTime is still inside (inclusive); 2024 is not.
        let tsa = make_tsa(ChainSpec {
            leaf_until: 2024,
            ..ChainSpec::default()
        });
        assert!(matches!(
            verify(&tsa, &respond(&tsa, SIGNED, Resp::default())),
            Err(TimestampError::Certificate {
                role: CertRole::Leaf,
                failure: CertFailure::NotValidAt { .. }
            })
        ));
    }

    #[test]
    fn signer_must_be_the_trusted_leaf() {
        let tsa = make_tsa(ChainSpec::default());
        // Same sid, another key: an impostor naming the trusted leaf.
        let impostor = Resp {
            impostor: Some(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()),
            ..Resp::default()
        };
        assert!(matches!(
            verify(&tsa, &respond(&tsa, SIGNED, impostor)),
            Err(TimestampError::SignatureInvalid)
        ));
        // sid by subject key identifier: the leaf's verifies, another does not.
        let leaf = x509_cert::Certificate::from_der(&tsa.chain[0]).unwrap();
        let (_, ski) = leaf
            .tbs_certificate
            .get::<SubjectKeyIdentifier>()
            .unwrap()
            .unwrap();
        assert_eq!(ski.0.as_bytes(), LEAF_SKI);
        let by_ski = Resp {
            sid_by_ski: Some(ski.0.as_bytes().to_vec()),
            ..Resp::default()
        };
        assert!(verify(&tsa, &respond(&tsa, SIGNED, by_ski)).is_ok());
        let wrong_ski = Resp {
            sid_by_ski: Some(vec![0x42; 20]),
            ..Resp::default()
        };
        assert!(matches!(
            verify(&tsa, &respond(&tsa, SIGNED, wrong_ski)),
            Err(TimestampError::SignerIdentifierMismatch)
        ));
        // The timestamp of one generated TSA against another's chain.
        let other = make_tsa(ChainSpec::default());
        assert!(matches!(
            verify(&other, &respond(&tsa, SIGNED, Resp::default())),
            Err(TimestampError::SignerIdentifierMismatch)
        ));
    }

    #[test]
    fn embedded_certificates_never_replace_the_trusted_leaf() {
        let tsa = make_tsa(ChainSpec::default());
        let with_leaf = Resp {
            embed: vec![tsa.chain[0].clone(), tsa.chain[1].clone()],
            ..Resp::default()
        };
        assert!(verify(&tsa, &respond(&tsa, SIGNED, with_leaf)).is_ok());
        // A token that embeds another leaf (here: one whose own chain would verify it).
        let other = make_tsa(ChainSpec::default());
        let with_other = Resp {
            embed: vec![other.chain[0].clone()],
            ..Resp::default()
        };
        assert!(matches!(
            verify(&tsa, &respond(&tsa, SIGNED, with_other)),
            Err(TimestampError::EmbeddedCertificateMismatch)
        ));
        // Embedding its own certificate does not let a TSA outside the root in.
        let self_vouching = Resp {
            embed: vec![other.chain[0].clone()],
            ..Resp::default()
        };
        assert!(matches!(
            verify(&tsa, &respond(&other, SIGNED, self_vouching)),
            Err(TimestampError::SignerIdentifierMismatch)
        ));
    }

    #[test]
    fn response_shape_is_checked() {
        let tsa = make_tsa(ChainSpec::default());
        let rejected = Resp {
            status: PkiStatus::Rejection,
            ..Resp::default()
        };
        assert!(matches!(
            verify(&tsa, &respond(&tsa, SIGNED, rejected)),
            Err(TimestampError::NotGranted { status: 2 })
        ));
        let with_mods = Resp {
            status: PkiStatus::GrantedWithMods,
            ..Resp::default()
        };
        assert!(verify(&tsa, &respond(&tsa, SIGNED, with_mods)).is_ok());
        let no_token = Resp {
            token: false,
            ..Resp::default()
        };
        assert!(matches!(
            verify(&tsa, &respond(&tsa, SIGNED, no_token)),
            Err(TimestampError::MissingToken)
        ));
        let two = Resp {
            signers: 2,
            ..Resp::default()
        };
        assert!(matches!(
            verify(&tsa, &respond(&tsa, SIGNED, two)),
            Err(TimestampError::SignerInfoCount { count: 2 })
        ));
        let unsigned = Resp {
            signed_attrs: false,
            ..Resp::default()
        };
        assert!(matches!(
            verify(&tsa, &respond(&tsa, SIGNED, unsigned)),
            Err(TimestampError::MissingSignedAttributes)
        ));
        assert!(matches!(
            verify(&tsa, &respond(&tsa, b"other bytes", Resp::default())),
            Err(TimestampError::ImprintMismatch)
        ));
    }

    #[test]
    fn authority_chain_needs_a_leaf_and_a_root() {
        let tsa = make_tsa(ChainSpec::default());
        let der = respond(&tsa, SIGNED, Resp::default());
        // Leaf and intermediate only: the intermediate is taken as the root (trust anchor).
        let root = root_for(&tsa.chain[..2]);
        assert!(verify_rfc3161(&der, SIGNED, tsas(&root)).is_ok());
        let root = root_for(&tsa.chain[..1]);
        assert!(matches!(
            verify_rfc3161(&der, SIGNED, tsas(&root)),
            Err(TimestampError::AuthorityChainTooShort { len: 1 })
        ));
        // Chain out of order: the leaf is not signed by the next certificate.
        let swapped = vec![
            tsa.chain[0].clone(),
            tsa.chain[2].clone(),
            tsa.chain[1].clone(),
        ];
        assert!(matches!(
            verify_rfc3161(&der, SIGNED, tsas(&root_for(&swapped))),
            Err(TimestampError::Certificate {
                role: CertRole::Leaf,
                failure: CertFailure::IssuerNameMismatch { .. }
            })
        ));
    }
}

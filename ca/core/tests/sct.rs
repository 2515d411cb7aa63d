//! RFC 6962 SCTs: encoding, the precert → SCT → final round trip, tampering, and real
//! Fulcio certificates with embedded SCTs from the public vectors.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use common::{ca, identity, issuance_time, requester_key, Ca};
use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::profile::{self, LeafRequest, Precertificate, ProfileError};
use signet_ca_core::san::SubjectAltName;
use signet_ca_core::sct::{self, PrecertEntry, Sct, SctError};
use signet_ca_core::signer::{CaAlgorithm, CaSigner};
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

const TIMESTAMP_MS: u64 = 1_748_779_200_456;

fn precert(ca: &Ca) -> Precertificate {
    let (_, key) = requester_key();
    let id = identity(SubjectAltName::Email("alice@example.com".into()));
    let request = LeafRequest::new(&key, &id, issuance_time());
    profile::precertificate(&ca.intermediate, &ca.intermediate_key, &request).unwrap()
}

fn ct_key() -> InsecureSoftwareCaKey {
    InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256).unwrap()
}

#[test]
fn sct_wire_format() {
    let sct = Sct {
        log_id: [0xab; 32],
        timestamp_ms: 0x0102_0304_0506_0708,
        extensions: vec![0xee],
        hash_algorithm: sct::HASH_SHA256,
        signature_algorithm: sct::SIGNATURE_ECDSA,
        signature: vec![0x30, 0x01, 0x02],
    };
    let bytes = sct.to_bytes().unwrap();
    // RFC 6962 §3.2: version, log id, u64 timestamp, u16 ext, hash, sig alg, u16 sig.
    let mut want = vec![0u8];
    want.extend([0xab; 32]);
    want.extend([1, 2, 3, 4, 5, 6, 7, 8]);
    want.extend([0, 1, 0xee]);
    want.extend([4, 3]);
    want.extend([0, 3, 0x30, 0x01, 0x02]);
    assert_eq!(bytes, want);
    assert_eq!(Sct::from_bytes(&bytes).unwrap(), sct);

    // The list: u16 total, then u16-prefixed SCTs.
    let list = sct::encode_sct_list(&[sct.clone(), sct.clone()]).unwrap();
    let one = bytes.len();
    assert_eq!(list.len(), 2 + 2 * (2 + one));
    assert_eq!(
        u16::from_be_bytes([list[0], list[1]]) as usize,
        2 * (2 + one)
    );
    assert_eq!(u16::from_be_bytes([list[2], list[3]]) as usize, one);
    assert_eq!(
        sct::parse_sct_list(&list).unwrap(),
        vec![sct.clone(), sct.clone()]
    );
    // Extension value: one more OCTET STRING around the list.
    let value = sct::sct_list_extension_value(std::slice::from_ref(&sct)).unwrap();
    assert_eq!(value[0], 0x04);
    assert_eq!(value[1] as usize, value.len() - 2);
    assert_eq!(
        sct::parse_sct_list_extension_value(&value).unwrap(),
        vec![sct.clone()]
    );

    // Malformed inputs.
    assert!(matches!(
        Sct::from_bytes(&bytes[..bytes.len() - 1]),
        Err(SctError::Malformed(_))
    ));
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(
        Sct::from_bytes(&trailing),
        Err(SctError::TrailingData { .. })
    ));
    let mut v2 = bytes.clone();
    v2[0] = 1;
    assert!(matches!(
        Sct::from_bytes(&v2),
        Err(SctError::Version { version: 1 })
    ));
    let mut bad_list = list.clone();
    bad_list[1] += 1;
    assert!(sct::parse_sct_list(&bad_list).is_err());
    assert!(matches!(
        sct::parse_sct_list_extension_value(&list),
        Err(SctError::ExtensionValue(_))
    ));
    let huge = Sct {
        signature: vec![0; 70_000],
        ..sct
    };
    assert!(matches!(
        huge.to_bytes(),
        Err(SctError::TooLong {
            len: 70_000,
            max: 65_535,
            ..
        })
    ));
}

#[test]
fn signed_data_and_merkle_leaf_layout() {
    let entry = PrecertEntry {
        issuer_key_hash: [0x11; 32],
        tbs_certificate: vec![0x30, 0x03, 0x02, 0x01, 0x05],
    };
    // RFC 6962 §3.2: sct_version 0, signature_type 0, timestamp, entry_type 1,
    // issuer_key_hash, u24 TBS, u16 extensions.
    let mut want = vec![0u8, 0];
    want.extend(TIMESTAMP_MS.to_be_bytes());
    want.extend([0, 1]);
    want.extend([0x11; 32]);
    want.extend([0, 0, 5, 0x30, 0x03, 0x02, 0x01, 0x05]);
    want.extend([0, 2, 0xaa, 0xbb]);
    assert_eq!(
        sct::precert_signed_data(&entry, TIMESTAMP_MS, &[0xaa, 0xbb]).unwrap(),
        want
    );
    // RFC 6962 §3.4: version 0, leaf_type timestamped_entry 0, then the TimestampedEntry —
    // for v1 precert entries the same bytes.
    assert_eq!(
        sct::merkle_tree_leaf(&entry, TIMESTAMP_MS, &[0xaa, 0xbb]).unwrap(),
        want
    );
    let big = PrecertEntry {
        issuer_key_hash: [0; 32],
        tbs_certificate: vec![0; 1 << 24],
    };
    assert!(matches!(
        sct::precert_signed_data(&big, 0, &[]),
        Err(SctError::TooLong {
            field: "TBSCertificate",
            ..
        })
    ));
    assert!(matches!(
        sct::merkle_tree_leaf(&entry, 0, &[0; 65_536]),
        Err(SctError::TooLong {
            field: "CT extensions",
            ..
        })
    ));

    // The auditor's read side: the leaf parses back; anything else is refused.
    let parsed = sct::parse_merkle_tree_leaf(&want).unwrap();
    assert_eq!(parsed.entry, entry);
    assert_eq!(parsed.timestamp_ms, TIMESTAMP_MS);
    assert_eq!(parsed.extensions, vec![0xaa, 0xbb]);
    let mut trailing = want.clone();
    trailing.push(0);
    assert!(matches!(
        sct::parse_merkle_tree_leaf(&trailing),
        Err(SctError::TrailingData { .. })
    ));
    assert!(matches!(
        sct::parse_merkle_tree_leaf(&want[..want.len() - 1]),
        Err(SctError::Malformed(_))
    ));
    let mut x509_entry = want.clone();
    x509_entry[11] = 0; // entry_type x509_entry
    assert!(matches!(
        sct::parse_merkle_tree_leaf(&x509_entry),
        Err(SctError::LeafType { entry_type: 0, .. })
    ));
    let mut v2 = want.clone();
    v2[0] = 1;
    assert!(matches!(
        sct::parse_merkle_tree_leaf(&v2),
        Err(SctError::Version { version: 1 })
    ));

    assert_eq!(sct::log_id(b"abc"), sct::issuer_key_hash(b"abc"));
    assert_eq!(
        hex(&sct::log_id(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn precert_sct_final_round_trip() {
    for algorithm in [CaAlgorithm::EcdsaP384Sha384, CaAlgorithm::EcdsaP256Sha256] {
        let ca = ca(algorithm);
        let ct = ct_key();
        let precert = precert(&ca);
        let entry = precert.ct_entry().unwrap();
        assert_eq!(
            entry.issuer_key_hash,
            sct::issuer_key_hash(ca.intermediate.spki_der())
        );
        assert_eq!(
            entry.tbs_certificate,
            profile::precert_tbs_from_precert(precert.der()).unwrap()
        );

        let sct = sct::sign_sct(&ct, &entry, TIMESTAMP_MS).unwrap();
        assert_eq!(sct.log_id, sct::log_id(ct.public_key_der()));
        assert_eq!((sct.hash_algorithm, sct.signature_algorithm), (4, 3));
        assert!(sct.extensions.is_empty());
        sct::verify_sct(&sct, &entry, ct.public_key_der()).unwrap();

        let final_der = profile::final_certificate(
            &ca.intermediate,
            &ca.intermediate_key,
            &precert,
            std::slice::from_ref(&sct),
        )
        .unwrap();
        let verified =
            sct::verify_embedded_sct(&final_der, &ca.intermediate_der, ct.public_key_der())
                .unwrap();
        assert_eq!(verified, sct);
    }
}

#[test]
fn tampering_is_detected() {
    let ca = ca(CaAlgorithm::EcdsaP384Sha384);
    let ct = ct_key();
    let first = precert(&ca);
    let sct = sct::sign_sct(&ct, &first.ct_entry().unwrap(), TIMESTAMP_MS).unwrap();
    let good = profile::final_certificate(
        &ca.intermediate,
        &ca.intermediate_key,
        &first,
        std::slice::from_ref(&sct),
    )
    .unwrap();
    sct::verify_embedded_sct(&good, &ca.intermediate_der, ct.public_key_der()).unwrap();

    // A different TBS (another precert: other serial and key) carrying the first one's SCT.
    let second = precert(&ca);
    let swapped = profile::final_certificate(
        &ca.intermediate,
        &ca.intermediate_key,
        &second,
        std::slice::from_ref(&sct),
    )
    .unwrap();
    assert!(matches!(
        sct::verify_embedded_sct(&swapped, &ca.intermediate_der, ct.public_key_der()),
        Err(SctError::SignatureInvalid)
    ));
    // The wrong issuer certificate (issuer_key_hash differs).
    assert!(matches!(
        sct::verify_embedded_sct(&good, &ca.root_der, ct.public_key_der()),
        Err(SctError::SignatureInvalid)
    ));
    // The wrong CT key.
    let other_ct = ct_key();
    assert!(matches!(
        sct::verify_embedded_sct(&good, &ca.intermediate_der, other_ct.public_key_der()),
        Err(SctError::LogIdMismatch)
    ));
    // A forged SCT: right log ID, signature by another key.
    let mut forged = sct::sign_sct(&other_ct, &first.ct_entry().unwrap(), TIMESTAMP_MS).unwrap();
    forged.log_id = sct.log_id;
    let forged_der =
        profile::final_certificate(&ca.intermediate, &ca.intermediate_key, &first, &[forged])
            .unwrap();
    assert!(matches!(
        sct::verify_embedded_sct(&forged_der, &ca.intermediate_der, ct.public_key_der()),
        Err(SctError::SignatureInvalid)
    ));
    // A changed timestamp.
    let mut later = sct.clone();
    later.timestamp_ms += 1;
    let later_der =
        profile::final_certificate(&ca.intermediate, &ca.intermediate_key, &first, &[later])
            .unwrap();
    assert!(matches!(
        sct::verify_embedded_sct(&later_der, &ca.intermediate_der, ct.public_key_der()),
        Err(SctError::SignatureInvalid)
    ));
    // Two SCTs (sigstore-python requires exactly one).
    let two = profile::final_certificate(
        &ca.intermediate,
        &ca.intermediate_key,
        &first,
        &[sct.clone(), sct.clone()],
    )
    .unwrap();
    assert!(matches!(
        sct::verify_embedded_sct(&two, &ca.intermediate_der, ct.public_key_der()),
        Err(SctError::SctCount { count: 2 })
    ));
    // Hash and signature algorithms must be SHA-256 / match the key.
    for (hash, sig_alg) in [(5u8, 3u8), (4, 1)] {
        let mut odd = sct.clone();
        odd.hash_algorithm = hash;
        odd.signature_algorithm = sig_alg;
        let der =
            profile::final_certificate(&ca.intermediate, &ca.intermediate_key, &first, &[odd])
                .unwrap();
        let err =
            sct::verify_embedded_sct(&der, &ca.intermediate_der, ct.public_key_der()).unwrap_err();
        assert!(
            matches!(
                err,
                SctError::HashAlgorithm { found: 5 }
                    | SctError::SignatureAlgorithm { found: 1, .. }
            ),
            "{err}"
        );
    }
    // No SCT at all; the precertificate itself.
    let (_, key) = requester_key();
    let id = identity(SubjectAltName::Uri("https://example.com/ci".into()));
    let plain = profile::leaf_certificate(
        &ca.intermediate,
        &ca.intermediate_key,
        &LeafRequest::new(&key, &id, issuance_time()),
    )
    .unwrap();
    for der in [plain.as_slice(), first.der()] {
        assert!(matches!(
            sct::verify_embedded_sct(der, &ca.intermediate_der, ct.public_key_der()),
            Err(SctError::Certificate(ProfileError::ExtensionCount {
                count: 0,
                ..
            }))
        ));
    }
    // A byte flipped inside the TBS (the SAN) after the fact.
    let mut flipped = good.clone();
    let at = flipped.windows(5).position(|w| w == b"alice").unwrap();
    flipped[at] = b'b';
    assert!(matches!(
        sct::verify_embedded_sct(&flipped, &ca.intermediate_der, ct.public_key_der()),
        Err(SctError::SignatureInvalid)
    ));
    // Garbage issuer certificate; CT signer with the wrong algorithm.
    assert!(matches!(
        sct::verify_embedded_sct(&good, b"\x30\x00", ct.public_key_der()),
        Err(SctError::IssuerCertificate(_))
    ));
    let p384 = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP384Sha384).unwrap();
    assert!(matches!(
        sct::sign_sct(&p384, &first.ct_entry().unwrap(), TIMESTAMP_MS),
        Err(SctError::CtSignerAlgorithm { .. })
    ));
}

// --- Real Fulcio certificates (public staging and production instances) ---------------

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// The leaf certificate DER of a bundle (v0.1–v0.3).
fn bundle_leaf(rel: &str) -> Vec<u8> {
    let bundle = signet_testdata::read_json(rel);
    let vm = &bundle["verificationMaterial"];
    let raw = vm["certificate"]["rawBytes"]
        .as_str()
        .or_else(|| vm["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
        .unwrap_or_else(|| panic!("{rel}: no certificate"));
    b64(raw)
}

/// Verifies the embedded SCT of `bundle`'s leaf with the issuer and CT key from `root`
/// (chosen the way verifiers choose: issuer by subject + AKI, CT key by log ID).
fn verify_real(bundle: &str, trusted_root: &str) -> Sct {
    let leaf_der = bundle_leaf(bundle);
    let root = signet_testdata::read_json(trusted_root);
    let (_, leaf) = X509Certificate::from_der(&leaf_der).unwrap();
    let aki = leaf
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
        .unwrap();
    let issuer_der = root["certificateAuthorities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|ca| ca["certChain"]["certificates"].as_array().unwrap().iter())
        .map(|c| b64(c["rawBytes"].as_str().unwrap()))
        .find(|der| {
            let (_, c) = X509Certificate::from_der(der).unwrap();
            let ski = c
                .extensions()
                .iter()
                .find_map(|e| match e.parsed_extension() {
                    ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                    _ => None,
                });
            c.subject().as_raw() == leaf.issuer().as_raw() && ski.as_deref() == Some(aki.as_slice())
        })
        .unwrap_or_else(|| panic!("{bundle}: issuer not in {trusted_root}"));
    let sct_log_id = leaf
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SCT(list) => Some(list[0].id.key_id.to_vec()),
            _ => None,
        })
        .unwrap();
    let ct_key = root["ctlogs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| b64(l["logId"]["keyId"].as_str().unwrap()) == sct_log_id)
        .map(|l| b64(l["publicKey"]["rawBytes"].as_str().unwrap()))
        .unwrap_or_else(|| panic!("{bundle}: CT log not in {trusted_root}"));
    // The trusted root's logId is our log_id() of its key.
    assert_eq!(sct::log_id(&ct_key).to_vec(), sct_log_id);

    let sct = sct::verify_embedded_sct(&leaf_der, &issuer_der, &ct_key)
        .unwrap_or_else(|e| panic!("{bundle}: {e}"));
    // The rebuilt precert TBS is the final TBS minus exactly the SCT-list extension.
    let tbs = profile::precert_tbs_from_final(&leaf_der).unwrap();
    assert!(tbs.len() < leaf.tbs_certificate.as_ref().len());

    // Any flipped bit in the certificate's TBS breaks the SCT.
    let tbs_raw = leaf.tbs_certificate.as_ref();
    let offset = leaf_der
        .windows(tbs_raw.len())
        .position(|w| w == tbs_raw)
        .unwrap();
    let mut tampered = leaf_der.clone();
    tampered[offset + tbs_raw.len() / 3] ^= 0x01;
    assert!(sct::verify_embedded_sct(&tampered, &issuer_der, &ct_key).is_err());
    sct
}

#[test]
fn real_fulcio_scts_verify() {
    let staging = "trust/staging-trusted_root.json";
    for bundle in [
        "sigstore-python/bundle.txt.sigstore",
        "sigstore-python/bundle_v3.txt.sigstore",
        "sigstore-python/staging-rekor-v2.txt.sigstore.json",
        "sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json",
    ] {
        let sct = verify_real(bundle, staging);
        assert_eq!((sct.hash_algorithm, sct.signature_algorithm), (4, 3));
    }
    verify_real(
        "sigstore-go/examples/bundle-provenance.json",
        "trust/production-trusted_root.json",
    );
    verify_real(
        "sigstore-go/pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json",
        "trust/production-trusted_root.json",
    );
}

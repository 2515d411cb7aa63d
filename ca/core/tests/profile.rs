//! The certificate profile (PROTOCOL.md §3.1, §3.2, §3.6), checked with an independent
//! parser (`x509-parser`) and signatures checked with aws-lc.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use common::{ca, identity, issuance_time, requester_key, Ca, ISSUER};
use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::profile::{
    self, CaSubject, IssuerCertificate, LeafRequest, ProfileError, ValidityPeriod,
};
use signet_ca_core::san::{FulcioExtension, SubjectAltName};
use signet_ca_core::sct::{self, Sct};
use signet_ca_core::signer::{CaAlgorithm, CaSigner, SignError};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate, X509Extension};

const KU: &str = "2.5.29.15";
const EKU: &str = "2.5.29.37";
const BC: &str = "2.5.29.19";
const SKI: &str = "2.5.29.14";
const AKI: &str = "2.5.29.35";
const SAN: &str = "2.5.29.17";
const POISON: &str = "1.3.6.1.4.1.11129.2.4.3";
const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";

fn parse(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = X509Certificate::from_der(der).expect("x509-parser accepts it");
    assert!(rest.is_empty(), "trailing bytes after the certificate");
    cert
}

fn ext<'a>(cert: &'a X509Certificate<'_>, oid: &str) -> &'a X509Extension<'a> {
    let found: Vec<_> = cert
        .extensions()
        .iter()
        .filter(|e| e.oid.to_id_string() == oid)
        .collect();
    assert_eq!(found.len(), 1, "exactly one {oid} extension");
    found[0]
}

fn oids(cert: &X509Certificate<'_>) -> Vec<String> {
    cert.extensions()
        .iter()
        .map(|e| e.oid.to_id_string())
        .collect()
}

fn key_id(e: &X509Extension<'_>) -> Vec<u8> {
    match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(k) => k.0.to_vec(),
        other => panic!("not an SKI: {other:?}"),
    }
}

/// Checks `cert`'s signature with `issuer`'s public key (aws-lc), by the signature
/// algorithm the certificate names.
fn assert_signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) {
    let alg: &dyn VerificationAlgorithm =
        match cert.signature_algorithm.algorithm.to_id_string().as_str() {
            ECDSA_SHA256 => &sig::ECDSA_P256_SHA256_ASN1,
            ECDSA_SHA384 => &sig::ECDSA_P384_SHA384_ASN1,
            other => panic!("unexpected signature algorithm {other}"),
        };
    assert!(
        cert.signature_algorithm.parameters.is_none(),
        "ECDSA parameters must be absent"
    );
    assert_eq!(
        cert.signature_algorithm.algorithm,
        cert.tbs_certificate.signature.algorithm
    );
    UnparsedPublicKey::new(alg, issuer.public_key().raw)
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .expect("signature verifies with the issuer key");
}

/// `YYMMDDHHMMSSZ` of a Unix time: how a UTCTime must encode it.
fn utc_time_bytes(unix: i64) -> Vec<u8> {
    let t = x509_parser::time::ASN1Time::from_timestamp(unix)
        .unwrap()
        .to_datetime();
    let s = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let mut out = vec![0x17, 13];
    out.extend(s.as_bytes());
    out
}

fn count_subslice(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[test]
fn root_and_intermediate_follow_section_3_2() {
    for (algorithm, sig_oid) in [
        (CaAlgorithm::EcdsaP384Sha384, ECDSA_SHA384),
        (CaAlgorithm::EcdsaP256Sha256, ECDSA_SHA256),
    ] {
        let Ca {
            root_der,
            intermediate_der,
            ..
        } = ca(algorithm);
        let root = parse(&root_der);
        let inter = parse(&intermediate_der);

        // Root: self-signed, O + CN.
        assert_eq!(root.version().0, 2, "v3");
        assert_eq!(root.subject().as_raw(), root.issuer().as_raw());
        let org: Vec<_> = root
            .subject()
            .iter_organization()
            .map(|a| a.as_str().unwrap())
            .collect();
        let cn: Vec<_> = root
            .subject()
            .iter_common_name()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(org, ["signet.test"]);
        assert_eq!(cn, ["signet-root"]);
        assert_eq!(oids(&root), [KU, BC, SKI]);
        let ku = root.key_usage().unwrap().unwrap();
        assert!(ku.critical);
        assert!(ku.value.key_cert_sign() && ku.value.crl_sign());
        assert!(!ku.value.digital_signature());
        let bc = root.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && bc.value.ca);
        assert_eq!(bc.value.path_len_constraint, Some(1));
        assert!(!ext(&root, SKI).critical);
        assert_eq!(root.signature_algorithm.algorithm.to_id_string(), sig_oid);
        assert_signed_by(&root, &root);

        // Intermediate: issued by the root, pathlen 0, EKU codeSigning, AKI = root SKI.
        assert_eq!(inter.version().0, 2);
        assert_eq!(inter.issuer().as_raw(), root.subject().as_raw());
        let cn: Vec<_> = inter
            .subject()
            .iter_common_name()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(cn, ["signet-intermediate"]);
        assert_eq!(oids(&inter), [KU, EKU, BC, SKI, AKI]);
        let ku = inter.key_usage().unwrap().unwrap();
        assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign());
        let bc = inter.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && bc.value.ca);
        assert_eq!(bc.value.path_len_constraint, Some(0));
        let eku = inter.extended_key_usage().unwrap().unwrap();
        assert!(!eku.critical);
        assert!(eku.value.code_signing && eku.value.other.is_empty() && !eku.value.any);
        let aki = ext(&inter, AKI);
        assert!(!aki.critical);
        let ParsedExtension::AuthorityKeyIdentifier(aki) = aki.parsed_extension() else {
            panic!("AKI not parsed");
        };
        assert_eq!(
            aki.key_identifier.as_ref().unwrap().0,
            key_id(ext(&root, SKI))
        );
        assert!(aki.authority_cert_issuer.is_none() && aki.authority_cert_serial.is_none());
        assert_ne!(key_id(ext(&inter, SKI)), key_id(ext(&root, SKI)));
        assert_signed_by(&inter, &root);

        // Validity as given, UTCTime.
        let v = common::ca_validity();
        let nb = v
            .not_before
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let na = v
            .not_after
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        for cert in [&root, &inter] {
            assert_eq!(cert.validity().not_before.timestamp(), nb);
            assert_eq!(cert.validity().not_after.timestamp(), na);
            assert_eq!(
                count_subslice(cert.tbs_certificate.as_ref(), &utc_time_bytes(nb)),
                1
            );
        }
    }
}

#[test]
fn leaf_follows_section_3_1_for_every_san_type() {
    let ca = ca(CaAlgorithm::EcdsaP384Sha384);
    let root = parse(&ca.root_der);
    let inter = parse(&ca.intermediate_der);
    for san in common::all_sans() {
        let (_, key) = requester_key();
        let id = identity(san.clone());
        let request = LeafRequest::new(&key, &id, issuance_time());
        let der =
            profile::leaf_certificate(&ca.intermediate, &ca.intermediate_key, &request).unwrap();
        let leaf = parse(&der);

        assert_eq!(leaf.version().0, 2, "v3");
        // Serial: positive, at most 20 octets, random.
        let serial = leaf.raw_serial();
        assert!(
            serial.len() <= 20 && !serial.is_empty(),
            "serial length {}",
            serial.len()
        );
        assert!(serial[0] & 0x80 == 0, "serial must be positive");
        // Empty subject, issuer = the intermediate's subject (byte for byte).
        assert_eq!(leaf.subject().as_raw(), [0x30, 0x00]);
        assert_eq!(leaf.issuer().as_raw(), inter.subject().as_raw());
        // Validity: notBefore = issuance time, 600 s, UTCTime.
        let nb = issuance_time()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert_eq!(leaf.validity().not_before.timestamp(), nb);
        assert_eq!(
            leaf.validity().not_after.timestamp() - leaf.validity().not_before.timestamp(),
            600
        );
        let tbs = leaf.tbs_certificate.as_ref();
        assert_eq!(count_subslice(tbs, &utc_time_bytes(nb)), 1);
        assert_eq!(count_subslice(tbs, &utc_time_bytes(nb + 600)), 1);
        // The requested key, unchanged.
        assert_eq!(leaf.public_key().raw, key.spki_der());

        // Extensions, in order.
        assert_eq!(
            oids(&leaf),
            [
                KU,
                EKU,
                SKI,
                AKI,
                SAN,
                "1.3.6.1.4.1.57264.1.1",
                "1.3.6.1.4.1.57264.1.8",
                "1.3.6.1.4.1.57264.1.6",
                "1.3.6.1.4.1.57264.1.15",
                "1.3.6.1.4.1.57264.1.24",
            ]
        );
        let ku = leaf.key_usage().unwrap().unwrap();
        assert!(ku.critical);
        assert_eq!(ku.value.flags, 1, "digitalSignature only");
        let eku = leaf.extended_key_usage().unwrap().unwrap();
        assert!(!eku.critical);
        assert!(eku.value.code_signing && eku.value.other.is_empty());
        assert!(!eku.value.server_auth && !eku.value.any);
        assert!(leaf.basic_constraints().unwrap().is_none());
        assert!(!ext(&leaf, SKI).critical);
        assert_eq!(key_id(ext(&leaf, SKI)).len(), 20);
        let aki = ext(&leaf, AKI);
        assert!(!aki.critical);
        let ParsedExtension::AuthorityKeyIdentifier(aki) = aki.parsed_extension() else {
            panic!("AKI not parsed");
        };
        assert_eq!(
            aki.key_identifier.as_ref().unwrap().0,
            key_id(ext(&inter, SKI))
        );
        assert!(aki.authority_cert_issuer.is_none() && aki.authority_cert_serial.is_none());

        // The one SAN, critical.
        let san_ext = leaf.subject_alternative_name().unwrap().unwrap();
        assert!(san_ext.critical);
        assert_eq!(san_ext.value.general_names.len(), 1);
        match (&san, &san_ext.value.general_names[0]) {
            (SubjectAltName::Email(e), GeneralName::RFC822Name(got)) => assert_eq!(e, got),
            (SubjectAltName::Uri(u), GeneralName::URI(got)) => assert_eq!(u, got),
            (SubjectAltName::Username(u), GeneralName::OtherName(oid, value)) => {
                assert_eq!(oid.to_id_string(), "1.3.6.1.4.1.57264.1.7");
                // [0] EXPLICIT UTF8String
                let mut want = vec![0xa0, (u.len() + 2) as u8, 0x0c, u.len() as u8];
                want.extend(u.as_bytes());
                assert_eq!(*value, want.as_slice());
            }
            (want, got) => panic!("SAN {want:?} encoded as {got:?}"),
        }

        // Sigstore extensions: non-critical; .1–.6 raw, .8+ DER UTF8String.
        for e in leaf
            .extensions()
            .iter()
            .filter(|e| e.oid.to_id_string().starts_with("1.3.6.1.4.1.57264."))
        {
            assert!(!e.critical, "{} must be non-critical", e.oid);
        }
        assert_eq!(ext(&leaf, "1.3.6.1.4.1.57264.1.1").value, ISSUER.as_bytes());
        assert_eq!(
            ext(&leaf, "1.3.6.1.4.1.57264.1.6").value,
            b"refs/heads/main"
        );
        let mut der8 = vec![0x0c, ISSUER.len() as u8];
        der8.extend(ISSUER.as_bytes());
        assert_eq!(ext(&leaf, "1.3.6.1.4.1.57264.1.8").value, der8.as_slice());
        assert_eq!(
            ext(&leaf, "1.3.6.1.4.1.57264.1.15").value,
            b"\x0c\x06123456"
        );

        // No critical extension other than KU and SAN (cryptography rejects unknown ones).
        let critical: Vec<_> = leaf
            .extensions()
            .iter()
            .filter(|e| e.critical)
            .map(|e| e.oid.to_id_string())
            .collect();
        assert_eq!(critical, [KU, SAN]);

        // Chain: leaf ← intermediate ← root.
        assert_eq!(
            leaf.signature_algorithm.algorithm.to_id_string(),
            ECDSA_SHA384
        );
        assert_signed_by(&leaf, &inter);
        assert_signed_by(&inter, &root);
    }
}

#[test]
fn serials_are_random_and_validity_is_configurable() {
    let ca = ca(CaAlgorithm::EcdsaP256Sha256);
    let (_, key) = requester_key();
    let id = identity(SubjectAltName::Email("a@b.c".into()));
    let mut request = LeafRequest::new(&key, &id, issuance_time());
    request.validity = Duration::from_secs(1200);
    let a = profile::leaf_certificate(&ca.intermediate, &ca.intermediate_key, &request).unwrap();
    let b = profile::leaf_certificate(&ca.intermediate, &ca.intermediate_key, &request).unwrap();
    let (a, b) = (parse(&a), parse(&b));
    assert_ne!(a.raw_serial(), b.raw_serial());
    assert_eq!(
        a.validity().not_after.timestamp() - a.validity().not_before.timestamp(),
        1200
    );
    assert_eq!(a.signature_algorithm.algorithm.to_id_string(), ECDSA_SHA256);
    assert_signed_by(&a, &parse(&ca.intermediate_der));
}

#[test]
fn precert_and_final_differ_only_in_the_last_extension() {
    let ca = ca(CaAlgorithm::EcdsaP384Sha384);
    let ct_key = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256).unwrap();
    let inter = parse(&ca.intermediate_der);
    for san in common::all_sans() {
        let (_, key) = requester_key();
        let id = identity(san);
        let request = LeafRequest::new(&key, &id, issuance_time());
        let precert =
            profile::precertificate(&ca.intermediate, &ca.intermediate_key, &request).unwrap();
        let entry = precert.ct_entry().unwrap();
        let sct = sct::sign_sct(&ct_key, &entry, 1_748_779_200_123).unwrap();
        let final_der = profile::final_certificate(
            &ca.intermediate,
            &ca.intermediate_key,
            &precert,
            std::slice::from_ref(&sct),
        )
        .unwrap();

        let pre = parse(precert.der());
        let fin = parse(&final_der);
        assert_signed_by(&pre, &inter);
        assert_signed_by(&fin, &inter);

        // Poison: last, critical, NULL.
        let pre_oids = oids(&pre);
        assert_eq!(pre_oids.last().unwrap(), POISON);
        let poison = pre.extensions().last().unwrap();
        assert!(poison.critical);
        assert_eq!(poison.value, [0x05, 0x00]);
        // SCT list: same position, non-critical, double OCTET STRING.
        let fin_oids = oids(&fin);
        assert_eq!(fin_oids.last().unwrap(), SCT_LIST);
        assert_eq!(
            pre_oids[..pre_oids.len() - 1],
            fin_oids[..fin_oids.len() - 1]
        );
        let list = fin.extensions().last().unwrap();
        assert!(!list.critical);
        let tls = sct::encode_sct_list(std::slice::from_ref(&sct)).unwrap();
        assert!(tls.len() < 128);
        let mut want = vec![0x04, tls.len() as u8];
        want.extend(&tls);
        assert_eq!(
            list.value,
            want.as_slice(),
            "extnValue = OCTET STRING {{ TLS list }}"
        );
        // x509-parser reads the SCT back.
        let ParsedExtension::SCT(parsed) = list.parsed_extension() else {
            panic!("SCT list not parsed");
        };
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].id.key_id, &sct.log_id);
        assert_eq!(parsed[0].timestamp, 1_748_779_200_123);
        assert_eq!(parsed[0].signature.hash_alg_id, 4);
        assert_eq!(parsed[0].signature.sign_alg_id, 3);

        // Same serial, validity, names, key.
        assert_eq!(pre.raw_serial(), fin.raw_serial());
        assert_eq!(pre.validity(), fin.validity());
        assert_eq!(pre.subject().as_raw(), fin.subject().as_raw());
        assert_eq!(pre.issuer().as_raw(), fin.issuer().as_raw());
        assert_eq!(pre.public_key().raw, fin.public_key().raw);
        for (a, b) in pre
            .extensions()
            .iter()
            .zip(fin.extensions())
            .take(pre_oids.len() - 1)
        {
            assert_eq!((a.critical, a.value), (b.critical, b.value));
        }

        // Both TBS reductions give the logged precert TBS.
        let from_final = profile::precert_tbs_from_final(&final_der).unwrap();
        let from_precert = profile::precert_tbs_from_precert(precert.der()).unwrap();
        assert_eq!(from_final, from_precert);
        assert_eq!(from_final, entry.tbs_certificate);
        // ... which parses as a TBS without either CT extension, shorter than both.
        assert!(from_final.len() < pre.tbs_certificate.as_ref().len());
        assert!(!from_final
            .windows(10)
            .any(|w| w == [0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02]));
        assert_eq!(
            entry.issuer_key_hash,
            sct::issuer_key_hash(inter.public_key().raw)
        );
    }
}

#[test]
fn ca_validity_after_2049_uses_generalized_time() {
    let key = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256).unwrap();
    let nb = std::time::UNIX_EPOCH + Duration::from_secs(2_000_000_000); // 2033
    let na = std::time::UNIX_EPOCH + Duration::from_secs(2_600_000_000); // 2052
    let der = profile::root_certificate(
        &key,
        &CaSubject {
            organization: "o".into(),
            common_name: "cn".into(),
        },
        ValidityPeriod {
            not_before: nb,
            not_after: na,
        },
    )
    .unwrap();
    let cert = parse(&der);
    assert_eq!(cert.validity().not_after.timestamp(), 2_600_000_000);
    let tbs = cert.tbs_certificate.as_ref();
    assert_eq!(count_subslice(tbs, &utc_time_bytes(2_000_000_000)), 1);
    assert_eq!(
        count_subslice(tbs, b"\x18\x0f20520522141320Z"),
        1,
        "GeneralizedTime 2052-05-22"
    );
}

/// A signer that returns a well-formed but wrong signature.
struct LyingSigner(InsecureSoftwareCaKey);

impl CaSigner for LyingSigner {
    fn algorithm(&self) -> CaAlgorithm {
        self.0.algorithm()
    }
    fn public_key_der(&self) -> &[u8] {
        self.0.public_key_der()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut other = message.to_vec();
        other.push(0);
        self.0.sign(&other)
    }
}

/// A signer that always fails.
struct BrokenSigner(InsecureSoftwareCaKey);

impl CaSigner for BrokenSigner {
    fn algorithm(&self) -> CaAlgorithm {
        self.0.algorithm()
    }
    fn public_key_der(&self) -> &[u8] {
        self.0.public_key_der()
    }
    fn sign(&self, _: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError {
            reason: "token removed".into(),
        })
    }
}

#[test]
fn rejects_bad_inputs() {
    let ca = ca(CaAlgorithm::EcdsaP256Sha256);
    let (_, key) = requester_key();
    let email = identity(SubjectAltName::Email("a@b.c".into()));
    let request = LeafRequest::new(&key, &email, issuance_time());
    let leaf = |id: &signet_ca_core::san::CertIdentity| {
        profile::leaf_certificate(
            &ca.intermediate,
            &ca.intermediate_key,
            &LeafRequest::new(&key, id, issuance_time()),
        )
    };

    // Wrong signer for the issuer.
    assert!(matches!(
        profile::leaf_certificate(&ca.intermediate, &ca.root_key, &request),
        Err(ProfileError::SignerMismatch)
    ));
    // A signer that lies or fails.
    let liar = LyingSigner(
        InsecureSoftwareCaKey::from_pkcs8_pem(&ca.intermediate_key.to_pkcs8_pem().unwrap())
            .unwrap(),
    );
    assert!(matches!(
        profile::leaf_certificate(&ca.intermediate, &liar, &request),
        Err(ProfileError::BadSignerSignature)
    ));
    let broken = BrokenSigner(
        InsecureSoftwareCaKey::from_pkcs8_pem(&ca.intermediate_key.to_pkcs8_pem().unwrap())
            .unwrap(),
    );
    let err = profile::leaf_certificate(&ca.intermediate, &broken, &request).unwrap_err();
    assert!(err.to_string().contains("token removed"), "{err}");

    // Issuer extensions .1 and .8 are mandatory; arcs 0/7, duplicates and empty values are not.
    let mut id = email.clone();
    id.extensions.retain(|e| e.arc != 1);
    assert!(matches!(
        leaf(&id),
        Err(ProfileError::MissingIssuerExtension { arc: 1 })
    ));
    let mut id = email.clone();
    id.extensions.retain(|e| e.arc != 8);
    assert!(matches!(
        leaf(&id),
        Err(ProfileError::MissingIssuerExtension { arc: 8 })
    ));
    let mut id = email.clone();
    id.extensions.push(FulcioExtension {
        arc: 7,
        value: "x".into(),
    });
    assert!(matches!(
        leaf(&id),
        Err(ProfileError::InvalidExtension { arc: 7, .. })
    ));
    let mut id = email.clone();
    id.extensions.push(FulcioExtension {
        arc: 24,
        value: "again".into(),
    });
    assert!(matches!(
        leaf(&id),
        Err(ProfileError::DuplicateExtension { arc: 24 })
    ));
    let mut id = email.clone();
    id.extensions.push(FulcioExtension {
        arc: 12,
        value: String::new(),
    });
    assert!(matches!(
        leaf(&id),
        Err(ProfileError::InvalidExtension { arc: 12, .. })
    ));

    // SANs that cannot be encoded.
    for san in [
        SubjectAltName::Email("ålice@example.com".into()),
        SubjectAltName::Email(String::new()),
        SubjectAltName::Uri(String::new()),
        SubjectAltName::Username(String::new()),
    ] {
        assert!(matches!(
            leaf(&identity(san)),
            Err(ProfileError::InvalidSan { .. })
        ));
    }

    // Validity: zero, or outside the issuer's.
    let mut zero = request;
    zero.validity = Duration::ZERO;
    assert!(matches!(
        profile::leaf_certificate(&ca.intermediate, &ca.intermediate_key, &zero),
        Err(ProfileError::InvalidValidity { .. })
    ));
    let mut late = request;
    late.not_before = issuance_time() + Duration::from_secs(20 * 365 * 86_400);
    assert!(matches!(
        profile::leaf_certificate(&ca.intermediate, &ca.intermediate_key, &late),
        Err(ProfileError::OutsideIssuerValidity)
    ));

    // An issuer that is not a CA.
    let leaf_der =
        profile::leaf_certificate(&ca.intermediate, &ca.intermediate_key, &request).unwrap();
    assert!(matches!(
        IssuerCertificate::from_der(&leaf_der),
        Err(ProfileError::IssuerNotCa)
    ));
    assert!(matches!(
        IssuerCertificate::from_der(b"\x30\x00"),
        Err(ProfileError::MalformedIssuer(_))
    ));

    // CA keys must be ECDSA P-256/P-384.
    let ed = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
    let ed_spki = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
        aws_lc_rs::signature::KeyPair::public_key(&ed),
    )
    .unwrap();
    let subject = CaSubject {
        organization: "o".into(),
        common_name: "cn".into(),
    };
    assert!(matches!(
        profile::intermediate_certificate(
            &ca.root,
            &ca.root_key,
            ed_spki.as_ref(),
            &subject,
            common::ca_validity()
        ),
        Err(ProfileError::UnsupportedCaKey)
    ));
    // Intermediate outliving the root; empty subject fields; reversed validity.
    let mut long = common::ca_validity();
    long.not_after += Duration::from_secs(86_400);
    assert!(matches!(
        profile::intermediate_certificate(
            &ca.root,
            &ca.root_key,
            ca.intermediate_key.public_key_der(),
            &subject,
            long
        ),
        Err(ProfileError::OutsideIssuerValidity)
    ));
    let empty = CaSubject {
        organization: String::new(),
        common_name: "cn".into(),
    };
    assert!(matches!(
        profile::root_certificate(&ca.root_key, &empty, common::ca_validity()),
        Err(ProfileError::EmptySubjectField {
            field: "organization"
        })
    ));
    let reversed = ValidityPeriod {
        not_before: common::ca_validity().not_after,
        not_after: common::ca_validity().not_before,
    };
    assert!(matches!(
        profile::root_certificate(&ca.root_key, &subject, reversed),
        Err(ProfileError::InvalidValidity { .. })
    ));

    // Final certificates: need SCTs, and the precert's own issuer.
    let precert =
        profile::precertificate(&ca.intermediate, &ca.intermediate_key, &request).unwrap();
    assert!(matches!(
        profile::final_certificate(&ca.intermediate, &ca.intermediate_key, &precert, &[]),
        Err(ProfileError::NoScts)
    ));
    let dummy = Sct {
        log_id: [7; 32],
        timestamp_ms: 1,
        extensions: Vec::new(),
        hash_algorithm: 4,
        signature_algorithm: 3,
        signature: vec![1, 2, 3],
    };
    assert!(matches!(
        profile::final_certificate(
            &ca.root,
            &ca.root_key,
            &precert,
            std::slice::from_ref(&dummy)
        ),
        Err(ProfileError::PrecertIssuerMismatch)
    ));
    // A lying signer: its precertificate signature is not relied on (only the TBS goes
    // into the CT leaf), but the final certificate's is checked, so no certificate comes
    // out of it.
    let liar = LyingSigner(
        InsecureSoftwareCaKey::from_pkcs8_pem(&ca.intermediate_key.to_pkcs8_pem().unwrap())
            .unwrap(),
    );
    let lied = profile::precertificate(&ca.intermediate, &liar, &request).unwrap();
    assert!(matches!(
        profile::final_certificate(&ca.intermediate, &liar, &lied, std::slice::from_ref(&dummy)),
        Err(ProfileError::BadSignerSignature)
    ));
    // Taking apart certificates without the CT extension.
    assert!(matches!(
        profile::precert_tbs_from_final(&leaf_der),
        Err(ProfileError::ExtensionCount { count: 0, .. })
    ));
    assert!(matches!(
        profile::precert_tbs_from_precert(&leaf_der),
        Err(ProfileError::ExtensionCount { count: 0, .. })
    ));
    assert!(matches!(
        profile::precert_tbs_from_final(b"\x30\x03\x02\x01\x00"),
        Err(ProfileError::MalformedCertificate(_))
    ));
}

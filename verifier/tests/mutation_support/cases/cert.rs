//! The certificate at the signing times (PROTOCOL.md §3.1–§3.7, §8.1 steps 1–3): chain
//! to a trusted CA, CA and leaf profile, root in the bundle, embedded SCT, identity and
//! issuer. A re-issued leaf carries a fresh SCT over its new TBS and the intermediate's
//! signature (`Pki::reissue`), so only the profile or identity check it breaks can fail.

use serde_json::json;
use signet_ca_core::profile::SCT_LIST_OID;
use signet_ca_core::san::SubjectAltName;
use signet_ca_core::signer::CaSigner as _;
use signet_verifier::identity::IdentityPolicy;
use signet_verifier::verify::SignerPolicy;
use x509_cert::der::asn1::{Null, Utf8StringRef};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};

use super::*;
use crate::mutation_support::pki::{ext_value, push_ext, remove_ext, set_ext, Pki, Sct};

const KU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const BC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");

fn ku(usages: impl Into<x509_cert::der::flagset::FlagSet<KeyUsages>>) -> Vec<u8> {
    KeyUsage(usages.into()).to_der().unwrap()
}

/// The message bundle around our leaf re-issued with `edit`.
fn reissued(w: &World, s: &mut Scene, edit: impl FnOnce(&mut x509_cert::TbsCertificate)) {
    let leaf = w.pki.reissue(&w.leaf, edit);
    with_leaf(w, s, leaf);
}

/// The trusted CA's intermediate re-issued by the root with `edit`.
fn ca_edited(w: &World, s: &mut Scene, edit: impl FnOnce(&mut x509_cert::TbsCertificate)) {
    let inter = w.pki.inter_edited(edit);
    trust_ca(s, &[&inter, &w.pki.root_der]);
}

fn root_ca(pki: &Pki) -> Value {
    json!({
        "subject": {"organization": "signet.test", "commonName": "other"},
        "certChain": {"certificates": [{"rawBytes": b64(&pki.inter_der)}, {"rawBytes": b64(&pki.root_der)}]},
        "validFor": {"start": "2025-01-01T00:00:00Z"},
    })
}

#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    vec![
        // Signer material (step 1).
        case!("managed-key bundle under an identity policy", Key => "SignerMaterial", |w, s| {
            s.policy = email_policy();
        }),
        case!("certificate bundle under a key policy", Message => "SignerMaterial", |w, s| {
            s.policy = SignerPolicy::Key(w.signer.public_key_der().to_vec());
        }),
        case!("leaf certificate not DER", Message => "Signature/SignerKey", |w, s| {
            s.parts.signer = SignerParts::Certificate(b"not a certificate".to_vec());
        }),
        case!("key policy not a public key", Key => "Signature/SignerKey", |w, s| {
            s.policy = SignerPolicy::Key(b"not a key".to_vec());
        }),
        case!("v0.1 chain carrying the root", V01 => "BundleChain/RootInBundle", |w, s| {
            s.parts.signer = SignerParts::Chain(vec![w.leaf.clone(), w.pki.inter_der.clone(), w.pki.root_der.clone()]);
        }),
        case!("v0.1 chain with a certificate that is not DER", V01 => "BundleChain/Certificate/Malformed", |w, s| {
            s.parts.signer = SignerParts::Chain(vec![w.leaf.clone(), b"garbage".to_vec()]);
        }),
        // Chain to a trusted CA at the signing time.
        case!("leaf's CA signature flipped", Message => "Chain/Certificate/SignatureInvalid", |w, s| {
            let mut cert = x509_cert::Certificate::from_der(&w.leaf).unwrap();
            let mut sig = cert.signature.raw_bytes().to_vec();
            flip_last(&mut sig);
            cert.signature = x509_cert::der::asn1::BitString::from_bytes(&sig).unwrap();
            with_leaf(w, s, cert.to_der().unwrap());
        }),
        case!("leaf from another CA of the same names", Message => "Chain/Certificate/SignatureInvalid", |w, s| {
            let other = Pki::new("signet");
            let leaf = other.issue(w.signer.public_key_der(), &identity(SubjectAltName::Email(EMAIL.into())), unix(T0));
            with_leaf(w, s, leaf);
        }),
        case!("leaf from a CA the root does not know", Message => "Chain/UnknownIssuer", |w, s| {
            let other = Pki::new("elsewhere");
            let leaf = other.issue(w.signer.public_key_der(), &identity(SubjectAltName::Email(EMAIL.into())), unix(T0));
            with_leaf(w, s, leaf);
        }),
        case!("root: no certificate authority", Message => "Chain/NoTrustedCa", |w, s| {
            s.root["certificateAuthorities"] = json!([]);
        }),
        case!("root: CA validFor starts after the signing times", Message => "Chain/CaOutsideValidFor", |w, s| {
            s.root["certificateAuthorities"][0]["validFor"]["start"] = json!(rfc3339(GEN_TIME + 1));
        }),
        case!("root: two CAs of our names, neither ours", Message => "Chain/NoCaVerifies", |w, s| {
            s.root["certificateAuthorities"] = json!([root_ca(&Pki::new("signet")), root_ca(&Pki::new("signet"))]);
        }),
        case!("root: our intermediate under an unrelated root", Message => "Chain/Certificate/IssuerNameMismatch", |w, s| {
            let other = Pki::new("elsewhere");
            trust_ca(s, &[&w.pki.inter_der, &other.root_der]);
        }),
        // The leaf's profile.
        case!("leaf EKU serverAuth", Message => "Chain/Certificate/CodeSigningMissing", |w, s| {
            reissued(w, s, |t| set_ext(t, EKU, false, ExtendedKeyUsage(vec![SERVER_AUTH]).to_der().unwrap()));
        }),
        case!("leaf without EKU", Message => "Chain/Certificate/ExtendedKeyUsageMissing", |w, s| {
            reissued(w, s, |t| remove_ext(t, EKU));
        }),
        case!("leaf KU without digitalSignature", Message => "Chain/Certificate/DigitalSignatureMissing", |w, s| {
            reissued(w, s, |t| set_ext(t, KU, true, ku(KeyUsages::KeyEncipherment)));
        }),
        case!("leaf KU with keyCertSign", Message => "Chain/Certificate/LeafKeyCertSign", |w, s| {
            reissued(w, s, |t| set_ext(t, KU, true, ku(KeyUsages::DigitalSignature | KeyUsages::KeyCertSign)));
        }),
        case!("leaf without KU", Message => "Chain/Certificate/KeyUsageMissing", |w, s| {
            reissued(w, s, |t| remove_ext(t, KU));
        }),
        case!("leaf basicConstraints CA:TRUE", Message => "Chain/Certificate/LeafIsCa", |w, s| {
            reissued(w, s, |t| push_ext(t, BC, true, BasicConstraints { ca: true, path_len_constraint: None }.to_der().unwrap()));
        }),
        case!("leaf with an unknown critical extension", Message => "Chain/Certificate/UnknownCriticalExtension", |w, s| {
            reissued(w, s, |t| push_ext(t, ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"), true, Null.to_der().unwrap()));
        }),
        case!("leaf with EKU twice", Message => "Chain/Certificate/DuplicateExtension", |w, s| {
            reissued(w, s, |t| { let v = ext_value(t, EKU); push_ext(t, EKU, false, v); });
        }),
        case!("leaf with two SCT lists", Message => "Chain/Certificate/DuplicateExtension", |w, s| {
            let leaf = w.pki.reissue(&w.leaf, |t| push_ext(t, SCT_LIST_OID, false, ext_value(&x509_cert::Certificate::from_der(&w.leaf).unwrap().tbs_certificate, SCT_LIST_OID)));
            with_leaf(w, s, leaf);
        }),
        case!("leaf KU value not DER", Message => "Chain/Certificate/MalformedExtension", |w, s| {
            reissued(w, s, |t| set_ext(t, KU, true, vec![0x01, 0x02]));
        }),
        case!("leaf TBS signature algorithm differs from the outer one", Message => "Chain/Certificate/SignatureAlgorithmMismatch", |w, s| {
            reissued(w, s, |t| t.signature.oid = ECDSA_SHA256);
        }),
        case!("leaf signed with ecdsa-with-SHA1", Message => "Chain/Certificate/UnsupportedSignatureAlgorithm", |w, s| {
            let leaf = w.pki.reissue(&w.leaf, |t| t.signature.oid = ECDSA_SHA1);
            let mut cert = x509_cert::Certificate::from_der(&leaf).unwrap();
            cert.signature_algorithm.oid = ECDSA_SHA1;
            with_leaf(w, s, cert.to_der().unwrap());
        }),
        // The trusted CA's profile (intermediate re-issued by the root).
        case!("CA without basicConstraints", Message => "Chain/Certificate/NotCa", |w, s| {
            ca_edited(w, s, |t| remove_ext(t, BC));
        }),
        case!("CA basicConstraints not critical", Message => "Chain/Certificate/BasicConstraintsNotCritical", |w, s| {
            ca_edited(w, s, |t| { let v = ext_value(t, BC); set_ext(t, BC, false, v); });
        }),
        case!("CA without keyUsage", Message => "Chain/Certificate/KeyUsageMissing", |w, s| {
            ca_edited(w, s, |t| remove_ext(t, KU));
        }),
        case!("CA keyUsage without keyCertSign", Message => "Chain/Certificate/KeyCertSignMissing", |w, s| {
            ca_edited(w, s, |t| set_ext(t, KU, true, ku(KeyUsages::CRLSign)));
        }),
        case!("CA EKU serverAuth only", Message => "Chain/Certificate/CaCodeSigningNotAllowed", |w, s| {
            ca_edited(w, s, |t| set_ext(t, EKU, false, ExtendedKeyUsage(vec![SERVER_AUTH]).to_der().unwrap()));
        }),
        // Embedded SCT.
        case!("leaf without SCT", Message => "Sct/NoSct", |w, s| {
            let leaf = w.pki.reissue_with(&w.leaf, Sct::None, |_| {});
            with_leaf(w, s, leaf);
        }),
        case!("leaf SCT list not parseable", Message => "Sct/MalformedSctList", |w, s| {
            let leaf = w.pki.reissue_with(&w.leaf, Sct::Garbage, |_| {});
            with_leaf(w, s, leaf);
        }),
        case!("leaf TBS changed under its SCT, CA-signed", Message => "Sct/InvalidSct", |w, s| {
            let leaf = w.pki.resign_keeping_sct(&w.leaf, |t| {
                t.serial_number = x509_cert::serial_number::SerialNumber::new(&[0x01, 0x23]).unwrap();
            });
            with_leaf(w, s, leaf);
        }),
        case!("root: no CT log", Message => "Sct/NoTrustedSct", |w, s| {
            s.root["ctlogs"] = json!([]);
        }),
        case!("root: CT key valid only after the SCT", Message => "Sct/NoTrustedSct", |w, s| {
            s.root["ctlogs"][0]["publicKey"]["validFor"]["start"] = json!(rfc3339(T0 + 1));
        }),
        // Identity and issuer.
        case!("policy: another identity", Message => "Identity/IdentityMismatch", |w, s| {
            s.policy = SignerPolicy::Identity(IdentityPolicy::exact("mallory@example.com", ISSUER));
        }),
        case!("policy: pattern matching only a prefix", Message => "Identity/IdentityMismatch", |w, s| {
            s.policy = SignerPolicy::Identity(IdentityPolicy::pattern("alice@example", ISSUER).unwrap());
        }),
        case!("policy: another issuer", Message => "Identity/IssuerMismatch", |w, s| {
            s.policy = SignerPolicy::Identity(IdentityPolicy::exact(EMAIL, "https://accounts.example.com.evil.com"));
        }),
        case!("leaf issuer .1 and .8 disagree", Message => "Identity/IssuerExtensionsDisagree", |w, s| {
            reissued(w, s, |t| set_ext(t, ISSUER_V1, false, b"https://evil.example.com".to_vec()));
        }),
        case!("leaf without issuer extensions", Message => "Identity/NoIssuer", |w, s| {
            reissued(w, s, |t| { remove_ext(t, ISSUER_V1); remove_ext(t, ISSUER_V2); });
        }),
        case!("leaf issuer .8 not a UTF8String", Message => "Identity/MalformedIssuer", |w, s| {
            reissued(w, s, |t| set_ext(t, ISSUER_V2, false, ISSUER.as_bytes().to_vec()));
        }),
        case!("leaf without SAN", Message => "Identity/NoIdentity", |w, s| {
            reissued(w, s, |t| remove_ext(t, SAN));
        }),
        case!("leaf SAN not DER", Message => "Identity/Malformed", |w, s| {
            reissued(w, s, |t| set_ext(t, SAN, true, vec![0x30, 0x03, 0x01]));
        }),
        case!("leaf issuer .8 another issuer (both agree)", Message => "Identity/IssuerMismatch", |w, s| {
            let other = "https://evil.example.com";
            reissued(w, s, |t| {
                set_ext(t, ISSUER_V1, false, other.as_bytes().to_vec());
                set_ext(t, ISSUER_V2, false, Utf8StringRef::new(other).unwrap().to_der().unwrap());
            });
        }),
        // The trusted root itself.
        case!("root: CA certificate not DER", Message => "TrustedRoot", |w, s| {
            s.root["certificateAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"] = json!(b64(b"garbage"));
        }),
        case!("root: CT log ID not the hash of its key", Message => "TrustedRoot", |w, s| {
            s.root["ctlogs"][0]["logId"]["keyId"] = json!(b64(&[9; 32]));
        }),
    ]
}

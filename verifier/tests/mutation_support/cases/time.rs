//! RFC 3161 timestamps against the trusted TSAs, over the bundle's signature (PROTOCOL.md
//! §7.5, RFC 3161 §2.4.2, RFC 5652 §5.3–§5.4), and the signing times the certificate is
//! checked at (§8.1 step 0): each case is a response that is otherwise valid and signed.

use cmpv2::status::PkiStatus;
use serde_json::json;

use super::*;
use crate::mutation_support::tsa::{Attrs, ChainSpec, Resp};

fn resp() -> Resp {
    Resp::at(unix(GEN_TIME))
}

#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    vec![
        case!("timestamp over another signature", Message => "Timestamp/ImprintMismatch", |w, s| {
            s.parts.timestamps = vec![w.timestamp(&w.sign(b"another signature's message"), GEN_TIME)];
        }),
        case!("timestamp not DER", Message => "Timestamp/Malformed", |w, s| {
            s.parts.timestamps = vec![b"not a TimeStampResp".to_vec()];
        }),
        case!("timestamp over 64 KiB", Message => "Timestamp/TooLarge", |w, s| {
            s.parts.timestamps = vec![vec![0x30; 64 * 1024 + 1]];
        }),
        case!("timestamp status rejection", Message => "Timestamp/NotGranted", |w, s| {
            stamp_with(w, s, &Resp { status: PkiStatus::Rejection, ..resp() });
        }),
        case!("timestamp without token", Message => "Timestamp/MissingToken", |w, s| {
            stamp_with(w, s, &Resp { token: false, ..resp() });
        }),
        case!("token content type id-data", Message => "Timestamp/NotSignedData", |w, s| {
            stamp_with(w, s, &Resp { content_type: tsa::ID_DATA, ..resp() });
        }),
        case!("encapsulated content id-data", Message => "Timestamp/NotTstInfo", |w, s| {
            stamp_with(w, s, &Resp { econtent_type: tsa::ID_DATA, ..resp() });
        }),
        case!("detached TSTInfo", Message => "Timestamp/MissingTstInfo", |w, s| {
            stamp_with(w, s, &Resp { econtent: false, ..resp() });
        }),
        case!("TSTInfo version 2", Message => "Timestamp/UnsupportedVersion", |w, s| {
            stamp_with(w, s, &Resp { tst_version: 2, ..resp() });
        }),
        case!("imprint by SHA-1", Message => "Timestamp/UnsupportedHashAlgorithm", |w, s| {
            stamp_with(w, s, &Resp { imprint_alg: tsa::SHA1, ..resp() });
        }),
        case!("two SignerInfos", Message => "Timestamp/SignerInfoCount", |w, s| {
            stamp_with(w, s, &Resp { signers: 2, ..resp() });
        }),
        case!("no SignerInfo", Message => "Timestamp/SignerInfoCount", |w, s| {
            stamp_with(w, s, &Resp { signers: 0, ..resp() });
        }),
        case!("no signed attributes", Message => "Timestamp/MissingSignedAttributes", |w, s| {
            stamp_with(w, s, &Resp { signed_attrs: false, ..resp() });
        }),
        case!("no message-digest attribute", Message => "Timestamp/MissingAttribute", |w, s| {
            stamp_with(w, s, &Resp { attrs: Attrs::NoMessageDigest, ..resp() });
        }),
        case!("content-type attribute twice", Message => "Timestamp/DuplicateAttribute", |w, s| {
            stamp_with(w, s, &Resp { attrs: Attrs::DuplicateContentType, ..resp() });
        }),
        case!("content-type attribute with two values", Message => "Timestamp/AttributeValueCount", |w, s| {
            stamp_with(w, s, &Resp { attrs: Attrs::TwoContentTypeValues, ..resp() });
        }),
        case!("content-type attribute id-data", Message => "Timestamp/ContentTypeAttributeMismatch", |w, s| {
            stamp_with(w, s, &Resp { attrs: Attrs::WrongContentType, ..resp() });
        }),
        case!("message-digest attribute over other bytes", Message => "Timestamp/MessageDigestMismatch", |w, s| {
            stamp_with(w, s, &Resp { attrs: Attrs::WrongMessageDigest, ..resp() });
        }),
        case!("sid names another serial number", Message => "Timestamp/SignerIdentifierMismatch", |w, s| {
            stamp_with(w, s, &Resp { wrong_sid: true, ..resp() });
        }),
        case!("timestamp by a TSA the root does not trust", Message => "Timestamp/SignerIdentifierMismatch", |w, s| {
            let sig = s.parts.signature();
            s.parts.timestamps = vec![tsa::respond(&w.rogue_tsa, &sig, &resp(), None)];
        }),
        case!("embedded certificate not the trusted TSA leaf", Message => "Timestamp/EmbeddedCertificateMismatch", |w, s| {
            stamp_with(w, s, &Resp { embed: vec![w.rogue_tsa.chain[0].clone()], ..resp() });
        }),
        case!("signature algorithm Ed25519 for a P-256 TSA key", Message => "Timestamp/UnsupportedSignatureAlgorithm", |w, s| {
            stamp_with(w, s, &Resp { signature_alg: tsa::ED25519, ..resp() });
        }),
        case!("signed by another key in the trusted TSA's name", Message => "Timestamp/SignatureInvalid", |w, s| {
            stamp_with(w, s, &Resp { impostor: true, ..resp() });
        }),
        case!("root: no timestamp authority", Message => "Timestamp/NoTimestampAuthority", |w, s| {
            s.root["timestampAuthorities"] = json!([]);
        }),
        case!("root: TSA chain of the leaf alone", Message => "Timestamp/AuthorityChainTooShort", |w, s| {
            trust_tsa(s, &w.tsa.chain[..1]);
        }),
        case!("root: two TSAs, neither the signer", Message => "Timestamp/NoAuthorityVerifies", |w, s| {
            let sig = s.parts.signature();
            s.parts.timestamps = vec![tsa::respond(&w.rogue_tsa, &sig, &resp(), None)];
            let tsa = s.root["timestampAuthorities"][0].clone();
            s.root["timestampAuthorities"] = json!([tsa.clone(), tsa]);
        }),
        case!("root: TSA validFor starts after genTime", Message => "Timestamp/OutsideValidFor", |w, s| {
            s.root["timestampAuthorities"][0]["validFor"]["start"] = json!(rfc3339(GEN_TIME + 1));
        }),
        case!("root: TSA validFor ends at genTime (end exclusive)", Message => "Timestamp/OutsideValidFor", |w, s| {
            s.root["timestampAuthorities"][0]["validFor"]["end"] = json!(rfc3339(GEN_TIME));
        }),
        case!("TSA leaf not valid at genTime", Message => "Timestamp/Certificate/NotValidAt", |w, s| {
            stamp_by(w, s, &ChainSpec { leaf_years: (2026, 2030), ..ChainSpec::default() });
        }),
        case!("TSA leaf without extKeyUsage", Message => "Timestamp/TimestampingEkuMissing", |w, s| {
            stamp_by(w, s, &ChainSpec { leaf_eku: None, ..ChainSpec::default() });
        }),
        case!("TSA leaf extKeyUsage also codeSigning", Message => "Timestamp/TimestampingEkuNotSole", |w, s| {
            stamp_by(w, s, &ChainSpec { leaf_eku: Some((vec![tsa::TIME_STAMPING, tsa::CODE_SIGNING], true)), ..ChainSpec::default() });
        }),
        case!("TSA leaf extKeyUsage not critical", Message => "Timestamp/TimestampingEkuNotCritical", |w, s| {
            stamp_by(w, s, &ChainSpec { leaf_eku: Some((vec![tsa::TIME_STAMPING], false)), ..ChainSpec::default() });
        }),
        case!("TSA intermediate extKeyUsage codeSigning only", Message => "Timestamp/CaTimestampingNotAllowed", |w, s| {
            stamp_by(w, s, &ChainSpec { intermediate_eku: Some(vec![tsa::CODE_SIGNING]), ..ChainSpec::default() });
        }),
        case!("model: neither SET nor timestamp", Message => "NoSigningTime", |w, s| {
            s.model = Some(|b| {
                b.verification_material.tlog_entries[0].signed_entry_timestamp = None;
                b.verification_material.rfc3161_timestamps.clear();
            });
        }),
        case!("signed times after the leaf expired", Message => "Chain/Certificate/NotValidAt", |w, s| {
            s.parts.entry().integrated_time = Some(T0 + 601);
            reseal(w, s);
            let sig = s.parts.signature();
            s.parts.timestamps = vec![w.timestamp(&sig, T0 + 601)];
        }),
        case!("signed times before the leaf's notBefore", Message => "Chain/Certificate/NotValidAt", |w, s| {
            s.parts.entry().integrated_time = Some(T0 - 1);
            reseal(w, s);
            let sig = s.parts.signature();
            s.parts.timestamps = vec![w.timestamp(&sig, T0 - 1)];
        }),
    ]
}

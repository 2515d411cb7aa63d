//! A generated RFC 3161 timestamp authority: an rcgen chain (root, intermediate, P-256
//! TSA leaf) and `TimeStampResp`s assembled with `cms`/`x509-tsp` and signed with
//! aws-lc-rs, as `tests/tsa.rs` (module `generated`) builds them. [`Resp`] has a knob for
//! every check of `signet_verifier::tsa` that a response can fail on its own (RFC 3161
//! §2.4.2, RFC 5652 §5.3–§5.4, §11.1–§11.2), each producing an otherwise valid, signed
//! response.
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::time::SystemTime;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use cmpv2::status::{PkiStatus, PkiStatusInfo};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use x509_cert::attr::Attribute;
use x509_cert::der::asn1::{GeneralizedTime, Int, OctetString, SetOfVec};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Any, Decode as _, Encode as _};
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectKeyIdentifier};
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_tsp::{MessageImprint, TimeStampResp, TspVersion, TstInfo};

pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
pub const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
pub const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
pub const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
pub const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const EKU_OID: &[u64] = &[2, 5, 29, 37];
const LEAF_SKI: [u8; 20] = [0x22; 20];

fn year(y: i32) -> time::OffsetDateTime {
    time::Date::from_calendar_date(y, time::Month::January, 1)
        .unwrap()
        .midnight()
        .assume_utc()
}

fn alg(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

fn eku_extension(purposes: &[ObjectIdentifier], critical: bool) -> CustomExtension {
    let content = ExtendedKeyUsage(purposes.to_vec()).to_der().unwrap();
    let mut ext = CustomExtension::from_oid_content(EKU_OID, content);
    ext.set_criticality(critical);
    ext
}

/// How to make a TSA chain.
#[derive(Clone)]
pub struct ChainSpec {
    /// The leaf's extKeyUsage purposes and criticality (`None`: no extension).
    pub leaf_eku: Option<(Vec<ObjectIdentifier>, bool)>,
    /// The intermediate's extKeyUsage (`None`: no extension).
    pub intermediate_eku: Option<Vec<ObjectIdentifier>>,
    /// The leaf's validity, in whole years.
    pub leaf_years: (i32, i32),
}

impl Default for ChainSpec {
    fn default() -> Self {
        Self {
            leaf_eku: Some((vec![TIME_STAMPING], true)),
            intermediate_eku: None,
            leaf_years: (2024, 2030),
        }
    }
}

/// A TSA: its chain (leaf, intermediate, root; DER) and the leaf's key.
pub struct Tsa {
    pub chain: Vec<Vec<u8>>,
    leaf_key: KeyPair,
}

fn ca_params(name: &str, eku: Option<&[ObjectIdentifier]>) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = year(2024);
    p.not_after = year(2030);
    if let Some(eku) = eku {
        p.custom_extensions.push(eku_extension(eku, false));
    }
    p
}

/// A new TSA named `name` (used in every certificate's common name).
pub fn make_tsa(name: &str, spec: &ChainSpec) -> Tsa {
    let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let root = ca_params(&format!("{name} root"), None)
        .self_signed(&root_key)
        .unwrap();
    let int_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let int = ca_params(
        &format!("{name} intermediate"),
        spec.intermediate_eku.as_deref(),
    )
    .signed_by(&int_key, &root, &root_key)
    .unwrap();
    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, format!("{name} timestamping"));
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.not_before = year(spec.leaf_years.0);
    p.not_after = year(spec.leaf_years.1);
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
    }
}

/// The signed attributes, as a response carries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attrs {
    /// content-type (id-ct-TSTInfo) and message-digest, once each.
    Normal,
    /// No message-digest.
    NoMessageDigest,
    /// content-type twice.
    DuplicateContentType,
    /// content-type with two values.
    TwoContentTypeValues,
    /// content-type id-data instead of id-ct-TSTInfo.
    WrongContentType,
    /// message-digest over other bytes than the TSTInfo.
    WrongMessageDigest,
}

/// How to shape one response; [`Resp::at`] is a valid one.
#[derive(Clone)]
pub struct Resp {
    pub gen_time: SystemTime,
    pub status: PkiStatus,
    pub token: bool,
    pub content_type: ObjectIdentifier,
    pub econtent_type: ObjectIdentifier,
    pub econtent: bool,
    /// TSTInfo version (patched into the DER; x509-tsp encodes only v1).
    pub tst_version: u8,
    pub imprint_alg: ObjectIdentifier,
    pub signers: usize,
    pub signed_attrs: bool,
    pub attrs: Attrs,
    /// Name another serial number in the SignerInfo's `sid`.
    pub wrong_sid: bool,
    pub embed: Vec<Vec<u8>>,
    pub signature_alg: ObjectIdentifier,
    /// Sign with this TSA's leaf key instead (a key the trusted leaf does not have).
    pub impostor: bool,
}

impl Resp {
    /// A valid response made at `gen_time`.
    pub fn at(gen_time: SystemTime) -> Self {
        Self {
            gen_time,
            status: PkiStatus::Accepted,
            token: true,
            content_type: ID_SIGNED_DATA,
            econtent_type: ID_CT_TST_INFO,
            econtent: true,
            tst_version: 1,
            imprint_alg: SHA256,
            signers: 1,
            signed_attrs: true,
            attrs: Attrs::Normal,
            wrong_sid: false,
            embed: Vec::new(),
            signature_alg: ECDSA_SHA256,
            impostor: false,
        }
    }
}

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

fn sign(pair: &KeyPair, msg: &[u8]) -> Vec<u8> {
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pair.serialize_der())
        .unwrap()
        .sign(&SystemRandom::new(), msg)
        .unwrap()
        .as_ref()
        .to_vec()
}

fn tst_info_der(signed_bytes: &[u8], resp: &Resp) -> Vec<u8> {
    let hashed = if resp.imprint_alg == SHA1 {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, signed_bytes)
            .as_ref()
            .to_vec()
    } else {
        sha256(signed_bytes)
    };
    let tst = TstInfo {
        version: TspVersion::V1,
        policy: ObjectIdentifier::new_unwrap("1.2.3.4"),
        message_imprint: MessageImprint {
            hash_algorithm: alg(resp.imprint_alg),
            hashed_message: OctetString::new(hashed).unwrap(),
        },
        serial_number: Int::new(&[0x01, 0x02]).unwrap(),
        gen_time: GeneralizedTime::from_system_time(resp.gen_time).unwrap(),
        accuracy: None,
        ordering: false,
        nonce: None,
        tsa: None,
        extensions: None,
    };
    let mut der = tst.to_der().unwrap();
    if resp.tst_version != 1 {
        // The first INTEGER 1 (02 01 01) is the version, right after the SEQUENCE header.
        let at = der
            .windows(3)
            .position(|w| w == [0x02, 0x01, 0x01])
            .unwrap();
        der[at + 2] = resp.tst_version;
    }
    der
}

fn signed_attributes(tst_der: &[u8], attrs: Attrs) -> SetOfVec<Attribute> {
    let attribute = |oid, values: Vec<Any>| Attribute {
        oid,
        values: SetOfVec::try_from(values).unwrap(),
    };
    let content_type = |oid: ObjectIdentifier| Any::encode_from(&oid).unwrap();
    let digest = |data: &[u8]| Any::encode_from(&OctetString::new(sha256(data)).unwrap()).unwrap();
    let ct = attribute(ID_CONTENT_TYPE, vec![content_type(ID_CT_TST_INFO)]);
    let md = attribute(ID_MESSAGE_DIGEST, vec![digest(tst_der)]);
    let list = match attrs {
        Attrs::Normal => vec![ct, md],
        Attrs::NoMessageDigest => vec![ct],
        // A SET OF needs distinct elements: the two content-types differ in value.
        Attrs::DuplicateContentType => vec![
            ct,
            attribute(ID_CONTENT_TYPE, vec![content_type(ID_DATA)]),
            md,
        ],
        Attrs::TwoContentTypeValues => vec![
            attribute(
                ID_CONTENT_TYPE,
                vec![content_type(ID_CT_TST_INFO), content_type(ID_DATA)],
            ),
            md,
        ],
        Attrs::WrongContentType => {
            vec![attribute(ID_CONTENT_TYPE, vec![content_type(ID_DATA)]), md]
        }
        Attrs::WrongMessageDigest => vec![ct, attribute(ID_MESSAGE_DIGEST, vec![digest(b"other")])],
    };
    SetOfVec::try_from(list).unwrap()
}

/// A `TimeStampResp` by `tsa` over `signed_bytes` (the bundle's signature), shaped by `resp`.
/// `impostor` signs with `other`'s leaf key.
pub fn respond(tsa: &Tsa, signed_bytes: &[u8], resp: &Resp, other: Option<&Tsa>) -> Vec<u8> {
    let tst_der = tst_info_der(signed_bytes, resp);
    let attrs = signed_attributes(&tst_der, resp.attrs);
    let key = match (resp.impostor, other) {
        (true, Some(o)) => &o.leaf_key,
        _ => &tsa.leaf_key,
    };
    let signature = sign(key, &attrs.to_der().unwrap());
    let leaf = x509_cert::Certificate::from_der(&tsa.chain[0]).unwrap();
    let mut serial = leaf.tbs_certificate.serial_number.clone();
    if resp.wrong_sid {
        serial = x509_cert::serial_number::SerialNumber::new(&[0x7f, 0x01]).unwrap();
    }
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: leaf.tbs_certificate.issuer.clone(),
            serial_number: serial,
        }),
        digest_alg: alg(SHA256),
        signed_attrs: resp.signed_attrs.then_some(attrs),
        signature_algorithm: alg(resp.signature_alg),
        signature: OctetString::new(signature).unwrap(),
        unsigned_attrs: None,
    };
    let mut signers = vec![signer; resp.signers];
    for (i, s) in signers.iter_mut().enumerate().skip(1) {
        s.signature = OctetString::new(vec![u8::try_from(i).unwrap(); 8]).unwrap();
    }
    let certificates = (!resp.embed.is_empty()).then(|| {
        let certs: Vec<_> = resp
            .embed
            .iter()
            .map(|der| {
                CertificateChoices::Certificate(x509_cert::Certificate::from_der(der).unwrap())
            })
            .collect();
        CertificateSet::try_from(certs).unwrap()
    });
    let signed_data = SignedData {
        version: CmsVersion::V3,
        digest_algorithms: SetOfVec::try_from(vec![alg(SHA256)]).unwrap(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: resp.econtent_type,
            econtent: resp
                .econtent
                .then(|| Any::encode_from(&OctetString::new(tst_der).unwrap()).unwrap()),
        },
        certificates,
        crls: None,
        signer_infos: SignerInfos::try_from(signers).unwrap(),
    };
    let token = ContentInfo {
        content_type: resp.content_type,
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

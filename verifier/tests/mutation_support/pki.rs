//! A Fulcio-like CA made with `signet-ca-core` (root, intermediate, CT log key), keeping
//! every private key so that a leaf or the intermediate can be re-issued with exactly one
//! defect and everything else valid: a re-issued leaf gets a fresh SCT over its new TBS
//! (RFC 6962 §3.2) and the intermediate's signature, so only the check that guards the
//! defect can fail.
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::time::SystemTime;

use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::profile::{
    self, CaSubject, IssuerCertificate, LeafRequest, ValidityPeriod, SCT_LIST_OID,
};
use signet_ca_core::request::CheckedPublicKey;
use signet_ca_core::san::CertIdentity;
use signet_ca_core::sct::{self, PrecertEntry};
use signet_ca_core::signer::{CaAlgorithm, CaSigner};
use x509_cert::der::asn1::{BitString, OctetString};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::Extension;
use x509_cert::TbsCertificate;

/// The SCT timestamp of every leaf: 1 ms after [`super::T0`] (inside the CT key's window).
pub const SCT_MS: u64 = super::T0 * 1000 + 1;

pub fn key(algorithm: CaAlgorithm) -> InsecureSoftwareCaKey {
    InsecureSoftwareCaKey::generate(algorithm).unwrap()
}

pub struct Pki {
    pub root_key: InsecureSoftwareCaKey,
    pub root_der: Vec<u8>,
    pub inter_key: InsecureSoftwareCaKey,
    pub inter_der: Vec<u8>,
    pub inter: IssuerCertificate,
    pub ct: InsecureSoftwareCaKey,
}

fn subject(cn: &str) -> CaSubject {
    CaSubject {
        organization: "signet.test".into(),
        common_name: cn.into(),
    }
}

impl Pki {
    /// A P-384 root and intermediate named `<prefix>-root`, `<prefix>-intermediate`, and
    /// a P-256 CT log key.
    pub fn new(prefix: &str) -> Self {
        let validity = ValidityPeriod {
            not_before: super::unix(super::T0 - 86_400),
            not_after: super::unix(super::T0 + 365 * 86_400),
        };
        let root_key = key(CaAlgorithm::EcdsaP384Sha384);
        let root_der =
            profile::root_certificate(&root_key, &subject(&format!("{prefix}-root")), validity)
                .unwrap();
        let root = IssuerCertificate::from_der(&root_der).unwrap();
        let inter_key = key(CaAlgorithm::EcdsaP384Sha384);
        let inter_der = profile::intermediate_certificate(
            &root,
            &root_key,
            inter_key.public_key_der(),
            &subject(&format!("{prefix}-intermediate")),
            validity,
        )
        .unwrap();
        let inter = IssuerCertificate::from_der(&inter_der).unwrap();
        Self {
            root_key,
            root_der,
            inter_key,
            inter_der,
            inter,
            ct: key(CaAlgorithm::EcdsaP256Sha256),
        }
    }

    /// A leaf for `public_key_der` with `id`, valid 10 minutes from `not_before`, with one
    /// embedded SCT from this CA's CT log.
    pub fn issue(
        &self,
        public_key_der: &[u8],
        id: &CertIdentity,
        not_before: SystemTime,
    ) -> Vec<u8> {
        let public = CheckedPublicKey::from_spki_der(public_key_der).unwrap();
        let request = LeafRequest::new(&public, id, not_before);
        let precert = profile::precertificate(&self.inter, &self.inter_key, &request).unwrap();
        let entry = precert.ct_entry().unwrap();
        let sct = sct::sign_sct(&self.ct, &entry, SCT_MS).unwrap();
        profile::final_certificate(&self.inter, &self.inter_key, &precert, &[sct]).unwrap()
    }

    /// `leaf` with its TBS (without the SCT list) changed by `edit`, then `sct` applied and
    /// signed again by the intermediate.
    pub fn reissue_with(
        &self,
        leaf: &[u8],
        sct: Sct,
        edit: impl FnOnce(&mut TbsCertificate),
    ) -> Vec<u8> {
        let mut cert = x509_cert::Certificate::from_der(leaf).unwrap();
        let tbs = &mut cert.tbs_certificate;
        remove_ext(tbs, SCT_LIST_OID);
        edit(tbs);
        let value = match sct {
            Sct::Fresh => {
                let entry = PrecertEntry {
                    issuer_key_hash: sct::issuer_key_hash(self.inter.spki_der()),
                    tbs_certificate: tbs.to_der().unwrap(),
                };
                let sct = sct::sign_sct(&self.ct, &entry, SCT_MS).unwrap();
                Some(sct::sct_list_extension_value(&[sct]).unwrap())
            }
            Sct::Garbage => Some(
                OctetString::new(vec![0x00, 0x05, 0xff])
                    .unwrap()
                    .to_der()
                    .unwrap(),
            ),
            Sct::None => None,
        };
        if let Some(value) = value {
            push_ext(tbs, SCT_LIST_OID, false, value);
        }
        self.sign_leaf(cert)
    }

    /// [`Pki::reissue_with`] with a fresh SCT.
    pub fn reissue(&self, leaf: &[u8], edit: impl FnOnce(&mut TbsCertificate)) -> Vec<u8> {
        self.reissue_with(leaf, Sct::Fresh, edit)
    }

    /// `leaf` with its TBS changed by `edit` (SCT list kept as it was: now stale) and signed
    /// again by the intermediate.
    pub fn resign_keeping_sct(
        &self,
        leaf: &[u8],
        edit: impl FnOnce(&mut TbsCertificate),
    ) -> Vec<u8> {
        let mut cert = x509_cert::Certificate::from_der(leaf).unwrap();
        edit(&mut cert.tbs_certificate);
        self.sign_leaf(cert)
    }

    fn sign_leaf(&self, mut cert: x509_cert::Certificate) -> Vec<u8> {
        let signature = self
            .inter_key
            .sign(&cert.tbs_certificate.to_der().unwrap())
            .unwrap();
        cert.signature = BitString::from_bytes(&signature).unwrap();
        cert.to_der().unwrap()
    }

    /// The intermediate with its TBS changed by `edit`, signed again by the root.
    pub fn inter_edited(&self, edit: impl FnOnce(&mut TbsCertificate)) -> Vec<u8> {
        let mut cert = x509_cert::Certificate::from_der(&self.inter_der).unwrap();
        edit(&mut cert.tbs_certificate);
        let signature = self
            .root_key
            .sign(&cert.tbs_certificate.to_der().unwrap())
            .unwrap();
        cert.signature = BitString::from_bytes(&signature).unwrap();
        cert.to_der().unwrap()
    }
}

/// What a re-issued leaf carries in place of its SCT list.
#[derive(Clone, Copy, Debug)]
pub enum Sct {
    /// A new SCT over the new TBS.
    Fresh,
    /// An SCT-list extension whose value does not parse.
    Garbage,
    /// No SCT-list extension.
    None,
}

pub fn remove_ext(tbs: &mut TbsCertificate, oid: ObjectIdentifier) {
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id != oid);
    }
}

pub fn push_ext(tbs: &mut TbsCertificate, oid: ObjectIdentifier, critical: bool, value: Vec<u8>) {
    tbs.extensions.get_or_insert_with(Vec::new).push(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).unwrap(),
    });
}

/// Replaces the value (and criticality) of extension `oid`, keeping its position.
pub fn set_ext(tbs: &mut TbsCertificate, oid: ObjectIdentifier, critical: bool, value: Vec<u8>) {
    let exts = tbs.extensions.get_or_insert_with(Vec::new);
    let ext = exts
        .iter_mut()
        .find(|e| e.extn_id == oid)
        .expect("extension present");
    ext.critical = critical;
    ext.extn_value = OctetString::new(value).unwrap();
}

/// The DER value of extension `oid`.
pub fn ext_value(tbs: &TbsCertificate, oid: ObjectIdentifier) -> Vec<u8> {
    tbs.extensions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|e| e.extn_id == oid)
        .expect("extension present")
        .extn_value
        .as_bytes()
        .to_vec()
}

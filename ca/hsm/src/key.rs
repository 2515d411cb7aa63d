//! A CA key held in the token: looking it up, its public half as a DER
//! SubjectPublicKeyInfo, signing, and the start-up self-test.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::{digest, signature};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use der::asn1::{BitString, OctetStringRef, UintRef};
use der::{Any, Decode, Encode};
use signet_ca_core::signer::{CaAlgorithm, CaSigner, SignError};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};

use crate::hsm::Token;
use crate::{EcCurve, HsmError, Operation};

/// The message the self-test signs. Any message would do: the test is that the token
/// signs with the key and that the signature verifies under the key's public half.
const SELF_TEST_MESSAGE: &[u8] =
    b"signet-hsm self-test: sign with the CA key, verify with its public key";

/// A private EC key in the token, with its public half read out.
///
/// Cheap to clone (an `Arc`), `Send + Sync`, and usable from many threads at once:
/// each signature borrows a session from the pool of the [`crate::Hsm`] it came from,
/// which it keeps alive. Signing blocks; see the crate docs.
#[derive(Clone)]
pub struct HsmKey {
    inner: Arc<KeyInner>,
}

struct KeyInner {
    token: Arc<Token>,
    label: String,
    id: Vec<u8>,
    private: ObjectHandle,
    curve: EcCurve,
    /// Uncompressed SEC1 point `04 || X || Y`.
    point: Vec<u8>,
    /// DER SubjectPublicKeyInfo (RFC 5480 §2).
    spki: Vec<u8>,
}

impl fmt::Debug for HsmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HsmKey")
            .field("token", &self.inner.token.label)
            .field("label", &self.inner.label)
            .field("id", &hex::encode(&self.inner.id))
            .field("curve", &self.inner.curve)
            .finish_non_exhaustive()
    }
}

impl HsmKey {
    /// The key's `CKA_LABEL`.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// The key's `CKA_ID` (empty if the key has none).
    #[must_use]
    pub fn id(&self) -> &[u8] {
        &self.inner.id
    }

    /// The key's curve.
    #[must_use]
    pub fn curve(&self) -> EcCurve {
        self.inner.curve
    }

    /// Signs `message`: hashes it with the curve's hash (SHA-256 for P-256, SHA-384
    /// for P-384), has the token sign the digest with `CKM_ECDSA`, and returns the
    /// ASN.1 DER `ECDSA-Sig-Value` (RFC 5480 §2.2 / RFC 3279 §2.2.3). Blocks while all
    /// pooled sessions are busy.
    ///
    /// # Errors
    /// [`HsmError::Pkcs11`] if the token refuses (e.g. the key was deleted or the
    /// token removed), [`HsmError::BadSignatureLength`] if its answer is not `r || s`
    /// for the curve.
    pub fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>, HsmError> {
        let inner = &self.inner;
        let hash = match inner.curve {
            EcCurve::P256 => &digest::SHA256,
            EcCurve::P384 => &digest::SHA384,
        };
        let digest = digest::digest(hash, message);
        let raw = {
            let session = inner.token.pool.get();
            session
                .sign(&Mechanism::Ecdsa, inner.private, digest.as_ref())
                .map_err(|source| inner.token.error(Operation::Sign, source))?
        };
        der_signature(&raw, inner.curve).ok_or_else(|| HsmError::BadSignatureLength {
            label: inner.label.clone(),
            len: raw.len(),
            expected: 2 * inner.curve.field_len(),
        })
    }

    /// The start-up self-test: the CA refuses to serve unless this passes.
    ///
    /// Checks, in order, that the key is still in the token under its label and is
    /// the same key as when it was loaded; that it is sensitive, non-extractable and
    /// allowed to sign; that its public key equals `expected_spki_der` (the DER
    /// SubjectPublicKeyInfo of the CA certificate, when given); and that a signature
    /// made by the token verifies under the public key with aws-lc-rs.
    ///
    /// # Errors
    /// The first failed check: [`HsmError::KeyNotFound`], [`HsmError::KeyReplaced`],
    /// [`HsmError::KeyExportable`], [`HsmError::KeyCannotSign`],
    /// [`HsmError::ExpectedKeyMalformed`], [`HsmError::PublicKeyMismatch`],
    /// [`HsmError::SelfTestVerify`], or an error from reading or signing.
    pub fn self_test(&self, expected_spki_der: Option<&[u8]>) -> Result<(), HsmError> {
        let inner = &self.inner;
        {
            let session = inner.token.pool.get();
            // Present, and not replaced by another key under the same label.
            let now = load(&inner.token, &session, &inner.label)?.ok_or_else(|| {
                HsmError::KeyNotFound {
                    label: inner.label.clone(),
                    token: inner.token.label.clone(),
                }
            })?;
            if now.inner.private != inner.private || now.inner.spki != inner.spki {
                return Err(HsmError::KeyReplaced {
                    label: inner.label.clone(),
                    token: inner.token.label.clone(),
                });
            }
            self.check_custody(&session)?;
        }
        if let Some(expected) = expected_spki_der {
            self.check_expected(expected)?;
        }
        let signature = self.sign_message(SELF_TEST_MESSAGE)?;
        let algorithm = match inner.curve {
            EcCurve::P256 => &signature::ECDSA_P256_SHA256_ASN1,
            EcCurve::P384 => &signature::ECDSA_P384_SHA384_ASN1,
        };
        signature::UnparsedPublicKey::new(algorithm, &inner.point)
            .verify(SELF_TEST_MESSAGE, &signature)
            .map_err(|_| HsmError::SelfTestVerify {
                label: inner.label.clone(),
            })
    }

    /// `CKA_SENSITIVE`, `CKA_EXTRACTABLE` and `CKA_SIGN` of the private key.
    fn check_custody(&self, session: &Session) -> Result<(), HsmError> {
        let inner = &self.inner;
        let attributes = session
            .get_attributes(
                inner.private,
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::Sign,
                ],
            )
            .map_err(|source| inner.token.error(Operation::ReadAttributes, source))?;
        let (mut sensitive, mut extractable, mut sign) = (None, None, None);
        for attribute in attributes {
            match attribute {
                Attribute::Sensitive(v) => sensitive = Some(v),
                Attribute::Extractable(v) => extractable = Some(v),
                Attribute::Sign(v) => sign = Some(v),
                _ => {}
            }
        }
        let missing = |attribute| HsmError::MissingAttribute {
            label: inner.label.clone(),
            attribute,
        };
        let sensitive = sensitive.ok_or_else(|| missing("CKA_SENSITIVE"))?;
        let extractable = extractable.ok_or_else(|| missing("CKA_EXTRACTABLE"))?;
        if !sensitive || extractable {
            return Err(HsmError::KeyExportable {
                label: inner.label.clone(),
                sensitive,
                extractable,
            });
        }
        if sign != Some(true) {
            return Err(HsmError::KeyCannotSign {
                label: inner.label.clone(),
            });
        }
        Ok(())
    }

    /// Compares the key's SubjectPublicKeyInfo with `expected` field by field (the
    /// algorithm with its curve, and the public key bits).
    fn check_expected(&self, expected: &[u8]) -> Result<(), HsmError> {
        let inner = &self.inner;
        let expected = SubjectPublicKeyInfoRef::from_der(expected).map_err(|source| {
            HsmError::ExpectedKeyMalformed {
                label: inner.label.clone(),
                source,
            }
        })?;
        // Our own encoding; it decodes.
        let ours = SubjectPublicKeyInfoRef::from_der(&inner.spki).map_err(|source| {
            HsmError::Encoding {
                what: "the key's SubjectPublicKeyInfo",
                source,
            }
        })?;
        if expected.algorithm != ours.algorithm
            || expected.subject_public_key != ours.subject_public_key
        {
            return Err(HsmError::PublicKeyMismatch {
                label: inner.label.clone(),
                token: inner.token.label.clone(),
            });
        }
        Ok(())
    }
}

impl CaSigner for HsmKey {
    fn algorithm(&self) -> CaAlgorithm {
        self.inner.curve.algorithm()
    }

    fn public_key_der(&self) -> &[u8] {
        &self.inner.spki
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.sign_message(message).map_err(|e| SignError {
            reason: e.to_string(),
        })
    }
}

/// Looks up the private key labelled `label` and reads its public half.
///
/// The public key object is the `CKO_PUBLIC_KEY` with the private key's `CKA_ID`
/// (the usual PKCS#11 pairing), or with the same label if the key has no ID.
///
/// # Errors
/// [`HsmError::KeyAmbiguous`] if several private keys carry the label, and the
/// errors of a key that is not a usable P-256/P-384 key.
pub(crate) fn load(
    token: &Arc<Token>,
    session: &Session,
    label: &str,
) -> Result<Option<HsmKey>, HsmError> {
    let p11 = |operation| move |source| token.error(operation, source);
    let label_attr = Attribute::Label(label.as_bytes().to_vec());
    let private = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            label_attr.clone(),
        ])
        .map_err(p11(Operation::FindObjects))?;
    let private = match private.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        many => {
            return Err(HsmError::KeyAmbiguous {
                label: label.to_owned(),
                token: token.label.clone(),
                count: many.len(),
            })
        }
    };

    let mut key_type = None;
    let mut id = Vec::new();
    for attribute in session
        .get_attributes(private, &[AttributeType::KeyType, AttributeType::Id])
        .map_err(p11(Operation::ReadAttributes))?
    {
        match attribute {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::Id(v) => id = v,
            _ => {}
        }
    }
    if key_type != Some(KeyType::EC) {
        return Err(HsmError::NotAnEcKey {
            label: label.to_owned(),
        });
    }

    let pairing = if id.is_empty() {
        label_attr
    } else {
        Attribute::Id(id.clone())
    };
    let public = session
        .find_objects(&[Attribute::Class(ObjectClass::PUBLIC_KEY), pairing])
        .map_err(p11(Operation::FindObjects))?;
    let [public] = public.as_slice() else {
        return Err(HsmError::PublicKeyObject {
            label: label.to_owned(),
            count: public.len(),
        });
    };
    let (mut params, mut point) = (None, None);
    for attribute in session
        .get_attributes(*public, &[AttributeType::EcParams, AttributeType::EcPoint])
        .map_err(p11(Operation::ReadAttributes))?
    {
        match attribute {
            Attribute::EcParams(v) => params = Some(v),
            Attribute::EcPoint(v) => point = Some(v),
            _ => {}
        }
    }
    let missing = |attribute| HsmError::MissingAttribute {
        label: label.to_owned(),
        attribute,
    };
    let params = params.ok_or_else(|| missing("CKA_EC_PARAMS"))?;
    let point = point.ok_or_else(|| missing("CKA_EC_POINT"))?;
    let curve = curve_of(&params).ok_or_else(|| HsmError::UnsupportedKeyCurve {
        label: label.to_owned(),
        ec_params: params.clone(),
    })?;
    let point = uncompressed_point(&point, curve).ok_or(HsmError::MalformedPublicPoint {
        label: label.to_owned(),
        len: point.len(),
    })?;
    let spki = spki_der(curve, &point).map_err(|source| HsmError::Encoding {
        what: "the key's SubjectPublicKeyInfo",
        source,
    })?;
    Ok(Some(HsmKey {
        inner: Arc::new(KeyInner {
            token: Arc::clone(token),
            label: label.to_owned(),
            id,
            private,
            curve,
            point,
            spki,
        }),
    }))
}

/// The curve named by `CKA_EC_PARAMS`: DER `ECParameters`, of which we accept the
/// `namedCurve` choice (RFC 5480 §2.1.1: "MUST use namedCurve").
fn curve_of(ec_params: &[u8]) -> Option<EcCurve> {
    let oid = const_oid::ObjectIdentifier::from_der(ec_params).ok()?;
    EcCurve::from_oid(&oid)
}

/// The uncompressed point `04 || X || Y` from `CKA_EC_POINT`.
///
/// PKCS#11 v2.40 §2.3.3 defines the value as the DER OCTET STRING wrapping the point
/// (SoftHSM2 does this); some modules return the bare point, which is accepted too.
fn uncompressed_point(ec_point: &[u8], curve: EcCurve) -> Option<Vec<u8>> {
    let is_point = |p: &[u8]| p.len() == 1 + 2 * curve.field_len() && p.first() == Some(&0x04);
    if let Ok(wrapped) = OctetStringRef::from_der(ec_point) {
        if is_point(wrapped.as_bytes()) {
            return Some(wrapped.as_bytes().to_vec());
        }
    }
    is_point(ec_point).then(|| ec_point.to_vec())
}

/// DER SubjectPublicKeyInfo of an EC public key: `id-ecPublicKey` with the named
/// curve as parameters, and the uncompressed point as the key bits (RFC 5480 §2).
fn spki_der(curve: EcCurve, point: &[u8]) -> Result<Vec<u8>, der::Error> {
    SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ID_EC_PUBLIC_KEY,
            parameters: Some(Any::encode_from(&curve.oid())?),
        },
        subject_public_key: BitString::from_bytes(point)?,
    }
    .to_der()
}

/// `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 §2.2.3, used by
/// RFC 5480 §2.2 and X.509 signatures).
#[derive(der::Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// DER `Ecdsa-Sig-Value` from `CKM_ECDSA`'s output, `r || s` with each half as long
/// as the curve's field (PKCS#11 v2.40 Mechanisms §2.3.1). `None` if the length is
/// wrong.
fn der_signature(raw: &[u8], curve: EcCurve) -> Option<Vec<u8>> {
    let n = curve.field_len();
    if raw.len() != 2 * n {
        return None;
    }
    let (r, s) = raw.split_at(n);
    // UintRef strips leading zeros and adds the sign byte when the top bit is set.
    EcdsaSigValue {
        r: UintRef::new(r).ok()?,
        s: UintRef::new(s).ok()?,
    }
    .to_der()
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair};

    /// A software key pair to check the encodings against aws-lc-rs.
    fn software_key(curve: EcCurve) -> EcdsaKeyPair {
        let fixed = match curve {
            EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        };
        EcdsaKeyPair::generate(fixed).unwrap()
    }

    #[test]
    fn raw_signatures_become_der_that_aws_lc_verifies() {
        for curve in [EcCurve::P256, EcCurve::P384] {
            let key = software_key(curve);
            let verify = match curve {
                EcCurve::P256 => &signature::ECDSA_P256_SHA256_ASN1,
                EcCurve::P384 => &signature::ECDSA_P384_SHA384_ASN1,
            };
            let rng = SystemRandom::new();
            // Enough signatures that some r or s has a leading zero byte or a high bit.
            for i in 0..64u8 {
                let message = [i; 40];
                let raw = key.sign(&rng, &message).unwrap();
                let der = der_signature(raw.as_ref(), curve).unwrap();
                signature::UnparsedPublicKey::new(verify, key.public_key().as_ref())
                    .verify(&message, &der)
                    .unwrap();
            }
        }
    }

    #[test]
    fn der_signature_encodes_integers_minimally() {
        // r = 0x00..01 (leading zeros stripped), s = 0x80.. (sign byte added).
        let mut raw = vec![0u8; 64];
        raw[31] = 1;
        raw[32] = 0x80;
        let der = der_signature(&raw, EcCurve::P256).unwrap();
        assert_eq!(&der[..7], &[0x30, 0x26, 0x02, 0x01, 0x01, 0x02, 0x21]);
        assert_eq!(der[7], 0x00);
        assert_eq!(der[8], 0x80);
        assert_eq!(der.len(), 2 + 3 + 35);
        assert_eq!(der_signature(&raw[..63], EcCurve::P256), None);
        assert_eq!(der_signature(&raw, EcCurve::P384), None);
    }

    #[test]
    fn spki_matches_aws_lc_public_key_encoding() {
        for curve in [EcCurve::P256, EcCurve::P384] {
            let key = software_key(curve);
            let point = key.public_key().as_ref().to_vec();
            let ours = spki_der(curve, &point).unwrap();
            // aws-lc-rs's own DER SubjectPublicKeyInfo for the same key.
            let theirs =
                aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der<'_>>::as_der(
                    key.public_key(),
                )
                .unwrap();
            assert_eq!(ours, theirs.as_ref(), "{curve}");
        }
    }

    #[test]
    fn ec_point_accepts_wrapped_and_bare_points_only() {
        let key = software_key(EcCurve::P256);
        let point = key.public_key().as_ref().to_vec();
        let wrapped = OctetStringRef::new(&point).unwrap().to_der().unwrap();
        assert_eq!(
            uncompressed_point(&wrapped, EcCurve::P256),
            Some(point.clone())
        );
        assert_eq!(
            uncompressed_point(&point, EcCurve::P256),
            Some(point.clone())
        );
        // Wrong curve length, compressed point, garbage.
        assert_eq!(uncompressed_point(&wrapped, EcCurve::P384), None);
        let mut compressed = point[..33].to_vec();
        compressed[0] = 0x02;
        assert_eq!(uncompressed_point(&compressed, EcCurve::P256), None);
        assert_eq!(uncompressed_point(&[0x04, 0x01, 0x00], EcCurve::P256), None);
    }

    #[test]
    fn ec_params_name_the_curve() {
        for curve in [EcCurve::P256, EcCurve::P384] {
            assert_eq!(curve_of(&curve.oid().to_der().unwrap()), Some(curve));
        }
        let p521 = const_oid::db::rfc5912::SECP_521_R_1.to_der().unwrap();
        assert_eq!(curve_of(&p521), None);
        assert_eq!(curve_of(&[0x05, 0x00]), None); // NULL: implicitCA, not accepted
    }
}

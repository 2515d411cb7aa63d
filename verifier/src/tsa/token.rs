//! Steps 1–5: the response on its own, before any authority is consulted.

use std::time::SystemTime;

use aws_lc_rs::digest;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerInfo};
use x509_cert::attr::Attributes;
use x509_cert::der::asn1::{OctetString, OctetStringRef};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{self as der, Any, Decode as _, Encode as _, Reader as _, SliceReader};
use x509_cert::ext::pkix::name::GeneralNames;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_tsp::{TimeStampResp, TstInfo};

use super::{Asn1Part, HashField, SignedAttribute, TimestampError, MAX_TIMESTAMP_RESPONSE_BYTES};

// RFC 5652 §5.1, §11.1, §11.2: id-signedData, id-contentType, id-messageDigest.
pub(super) const ID_SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub(super) const ID_CONTENT_TYPE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
pub(super) const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
// RFC 3161 §2.4.2: id-ct-TSTInfo.
pub(super) const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
// RFC 2634 §5.4 (id-aa-signingCertificate), RFC 5035 §3 (id-aa-signingCertificateV2).
pub(super) const ID_AA_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
pub(super) const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
// RFC 5754 §2: SHA-2 digest algorithms (parameters absent or NULL).
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// A SHA-2 hash accepted for the imprint, the SignerInfo digest and ESSCertIDv2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sha2 {
    Sha256,
    Sha384,
    Sha512,
}

impl Sha2 {
    /// The algorithm if it is SHA-256/384/512 with absent or NULL parameters (RFC 5754 §2).
    fn from_algorithm(
        alg: &AlgorithmIdentifierOwned,
        field: HashField,
    ) -> Result<Self, TimestampError> {
        let unsupported = TimestampError::UnsupportedHashAlgorithm {
            field,
            algorithm: alg.oid,
        };
        let hash = match alg.oid {
            ID_SHA256 => Self::Sha256,
            ID_SHA384 => Self::Sha384,
            ID_SHA512 => Self::Sha512,
            _ => return Err(unsupported),
        };
        if alg.parameters.as_ref().is_some_and(|p| !p.is_null()) {
            return Err(unsupported);
        }
        Ok(hash)
    }

    pub(super) fn digest(self, data: &[u8]) -> Vec<u8> {
        let algorithm = match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        };
        digest::digest(algorithm, data).as_ref().to_vec()
    }
}

/// The hash of an ESSCertID (always SHA-1, RFC 2634 §5.4) or ESSCertIDv2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CertHash {
    Sha1,
    Sha2(Sha2),
}

impl CertHash {
    pub(super) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            // RFC 2634 §5.4 fixes SHA-1 for ESSCertID: it identifies, it does not secure
            // (the path and signature checks do).
            Self::Sha1 => digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, data)
                .as_ref()
                .to_vec(),
            Self::Sha2(h) => h.digest(data),
        }
    }
}

/// `IssuerSerial` (RFC 5035 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct IssuerSerial {
    pub(super) issuer: GeneralNames,
    pub(super) serial_number: SerialNumber,
}

/// The first `ESSCertID` (RFC 2634 §5.4.1) or `ESSCertIDv2` (RFC 5035 §4) of a
/// `SigningCertificate` / `SigningCertificateV2` attribute value:
///
/// ```text
/// SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2),
///                                       policies SEQUENCE OF PolicyInformation OPTIONAL }
/// ESSCertID   ::= SEQUENCE { certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
/// ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {id-sha256},
///                            certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
/// IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
/// ```
///
/// Every ESSCertID must decode; `None` if `certs` is empty. (Decoded with `der`'s reader:
/// no RustCrypto crate has these types.)
type EssCertId = (
    Option<AlgorithmIdentifierOwned>,
    Vec<u8>,
    Option<IssuerSerial>,
);

fn first_ess_cert_id(value: &Any, version: EssVersion) -> der::Result<Option<EssCertId>> {
    let tlv = value.to_der()?;
    let mut reader = SliceReader::new(&tlv)?;
    let first = reader.sequence(|r| {
        let first = r.sequence(|certs| {
            let mut first = None;
            while !certs.is_finished() {
                let id = certs.sequence(|c| {
                    let hash_algorithm = match version {
                        EssVersion::V1 => None,
                        EssVersion::V2 => Option::<AlgorithmIdentifierOwned>::decode(c)?,
                    };
                    let cert_hash = OctetString::decode(c)?.into_bytes();
                    let issuer_serial = if c.is_finished() {
                        None
                    } else {
                        Some(c.sequence(|is| {
                            Ok(IssuerSerial {
                                issuer: GeneralNames::decode(is)?,
                                serial_number: SerialNumber::decode(is)?,
                            })
                        })?)
                    };
                    Ok((hash_algorithm, cert_hash, issuer_serial))
                })?;
                first.get_or_insert(id);
            }
            Ok(first)
        })?;
        // policies (RFC 2634 §5.4): not used for identification.
        if !r.is_finished() {
            Vec::<Any>::decode(r)?;
        }
        Ok(first)
    })?;
    reader.finish(first)
}

#[derive(Clone, Copy)]
enum EssVersion {
    V1,
    V2,
}

/// The certificate a signing-certificate attribute names first (the signer's, RFC 5035
/// §3), or `None` if its list is empty.
#[derive(Clone, Debug)]
pub(super) struct NamedCert {
    pub(super) attribute: SignedAttribute,
    pub(super) first: Option<(CertHash, Vec<u8>, Option<IssuerSerial>)>,
}

/// A response that passed steps 1–5.
#[derive(Clone, Debug)]
pub(super) struct Token {
    /// `TSTInfo.genTime`.
    pub(super) gen_time: SystemTime,
    /// The one SignerInfo.
    pub(super) signer: SignerInfo,
    /// Its digest algorithm.
    pub(super) digest: Sha2,
    /// The DER `SET OF` signed attributes: what the signature covers (RFC 5652 §5.4).
    pub(super) signed_attrs_der: Vec<u8>,
    /// The certificates the token embeds (untrusted).
    pub(super) embedded: Vec<x509_cert::Certificate>,
    /// Signing-certificate attributes present.
    pub(super) named: Vec<NamedCert>,
}

fn malformed(part: Asn1Part) -> impl FnOnce(der::Error) -> TimestampError {
    move |source| TimestampError::Malformed { part, source }
}

impl Token {
    /// Steps 1–5 of the module documentation.
    pub(super) fn parse(response_der: &[u8], signed_bytes: &[u8]) -> Result<Self, TimestampError> {
        if response_der.len() > MAX_TIMESTAMP_RESPONSE_BYTES {
            return Err(TimestampError::TooLarge {
                size: response_der.len(),
            });
        }
        let response =
            TimeStampResp::from_der(response_der).map_err(malformed(Asn1Part::TimeStampResp))?;
        // RFC 3161 §2.4.2: granted (0) and grantedWithMods (1) carry a token.
        let status = response.status.status as u8;
        if status > 1 {
            return Err(TimestampError::NotGranted { status });
        }
        let content: ContentInfo = response
            .time_stamp_token
            .ok_or(TimestampError::MissingToken)?;
        if content.content_type != ID_SIGNED_DATA {
            return Err(TimestampError::NotSignedData {
                content_type: content.content_type,
            });
        }
        let signed_data: SignedData = content
            .content
            .decode_as()
            .map_err(malformed(Asn1Part::SignedData))?;
        let encap = &signed_data.encap_content_info;
        if encap.econtent_type != ID_CT_TST_INFO {
            return Err(TimestampError::NotTstInfo {
                content_type: encap.econtent_type,
            });
        }
        let econtent = encap
            .econtent
            .as_ref()
            .ok_or(TimestampError::MissingTstInfo)?;
        let tst_der = econtent
            .decode_as::<OctetStringRef<'_>>()
            .map_err(malformed(Asn1Part::EContent))?
            .as_bytes();
        let tst_info = decode_tst_info(tst_der)?;
        check_imprint(&tst_info, signed_bytes)?;

        let signers = signed_data.signer_infos.0.as_slice();
        let [signer] = signers else {
            return Err(TimestampError::SignerInfoCount {
                count: signers.len(),
            });
        };
        let digest = Sha2::from_algorithm(&signer.digest_alg, HashField::SignerDigest)?;
        let attrs = signer
            .signed_attrs
            .as_ref()
            .ok_or(TimestampError::MissingSignedAttributes)?;
        check_content_type(attrs)?;
        check_message_digest(attrs, digest, tst_der)?;
        let named = named_certificates(attrs)?;
        let signed_attrs_der = attrs
            .to_der()
            .map_err(malformed(Asn1Part::SignedAttributes))?;

        let embedded = signed_data
            .certificates
            .as_ref()
            .map(|set| {
                set.0
                    .iter()
                    .filter_map(|c| match c {
                        cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                        cms::cert::CertificateChoices::Other(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            gen_time: tst_info.gen_time.to_system_time(),
            signer: signer.clone(),
            digest,
            signed_attrs_der,
            embedded,
            named,
        })
    }
}

/// `TSTInfo`; one of another version is named as such (x509-tsp decodes only v1).
fn decode_tst_info(der: &[u8]) -> Result<TstInfo, TimestampError> {
    TstInfo::from_der(der).map_err(|source| match peek_version(der) {
        Some(version) if version != 1 => TimestampError::UnsupportedVersion { version },
        _ => TimestampError::Malformed {
            part: Asn1Part::TstInfo,
            source,
        },
    })
}

/// The first field of a SEQUENCE, read as an unsigned INTEGER.
fn peek_version(der: &[u8]) -> Option<u64> {
    let mut reader = SliceReader::new(der).ok()?;
    reader
        .sequence(|r| {
            let version = u64::decode(r)?;
            r.read_slice(r.remaining_len())?;
            Ok(version)
        })
        .ok()
}

/// Step 4: the imprint is a SHA-2 hash of the signed bytes.
fn check_imprint(tst_info: &TstInfo, signed_bytes: &[u8]) -> Result<(), TimestampError> {
    let imprint = &tst_info.message_imprint;
    let hash = Sha2::from_algorithm(&imprint.hash_algorithm, HashField::MessageImprint)?;
    if imprint.hashed_message.as_bytes() != hash.digest(signed_bytes).as_slice() {
        return Err(TimestampError::ImprintMismatch);
    }
    Ok(())
}

/// The single value of `attribute` if it is present once with one value.
fn single_value(
    attrs: &Attributes,
    attribute: SignedAttribute,
) -> Result<Option<&Any>, TimestampError> {
    let oid = attribute.oid();
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(attr) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(TimestampError::DuplicateAttribute { attribute });
    }
    match attr.values.as_slice() {
        [value] => Ok(Some(value)),
        values => Err(TimestampError::AttributeValueCount {
            attribute,
            count: values.len(),
        }),
    }
}

fn required_value(attrs: &Attributes, attribute: SignedAttribute) -> Result<&Any, TimestampError> {
    single_value(attrs, attribute)?.ok_or(TimestampError::MissingAttribute { attribute })
}

/// RFC 5652 §11.1: content-type equals the eContentType, id-ct-TSTInfo.
fn check_content_type(attrs: &Attributes) -> Result<(), TimestampError> {
    let attribute = SignedAttribute::ContentType;
    let content_type: ObjectIdentifier = required_value(attrs, attribute)?
        .decode_as()
        .map_err(malformed(Asn1Part::Attribute(attribute)))?;
    if content_type != ID_CT_TST_INFO {
        return Err(TimestampError::ContentTypeAttributeMismatch { content_type });
    }
    Ok(())
}

/// RFC 5652 §5.4, §11.2: message-digest is the hash of the eContent octets.
fn check_message_digest(
    attrs: &Attributes,
    digest: Sha2,
    tst_der: &[u8],
) -> Result<(), TimestampError> {
    let attribute = SignedAttribute::MessageDigest;
    let value: OctetStringRef<'_> = required_value(attrs, attribute)?
        .decode_as()
        .map_err(malformed(Asn1Part::Attribute(attribute)))?;
    if value.as_bytes() != digest.digest(tst_der).as_slice() {
        return Err(TimestampError::MessageDigestMismatch);
    }
    Ok(())
}

/// The signing-certificate attributes present, each with the certificate it names first.
fn named_certificates(attrs: &Attributes) -> Result<Vec<NamedCert>, TimestampError> {
    let mut named = Vec::new();
    for (attribute, version) in [
        (SignedAttribute::SigningCertificate, EssVersion::V1),
        (SignedAttribute::SigningCertificateV2, EssVersion::V2),
    ] {
        let Some(value) = single_value(attrs, attribute)? else {
            continue;
        };
        let first =
            first_ess_cert_id(value, version).map_err(malformed(Asn1Part::Attribute(attribute)))?;
        let first = match first {
            None => None,
            Some((alg, cert_hash, issuer_serial)) => {
                let hash = match (version, alg) {
                    (EssVersion::V1, _) => CertHash::Sha1,
                    (EssVersion::V2, None) => CertHash::Sha2(Sha2::Sha256),
                    (EssVersion::V2, Some(alg)) => {
                        CertHash::Sha2(Sha2::from_algorithm(&alg, HashField::EssCertIdV2)?)
                    }
                };
                Some((hash, cert_hash, issuer_serial))
            }
        };
        named.push(NamedCert { attribute, first });
    }
    Ok(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha2_accepts_absent_or_null_parameters_only() {
        let absent = AlgorithmIdentifierOwned {
            oid: ID_SHA384,
            parameters: None,
        };
        assert_eq!(
            Sha2::from_algorithm(&absent, HashField::MessageImprint).ok(),
            Some(Sha2::Sha384)
        );
        let null = AlgorithmIdentifierOwned {
            oid: ID_SHA512,
            parameters: Some(Any::null()),
        };
        assert_eq!(
            Sha2::from_algorithm(&null, HashField::MessageImprint).ok(),
            Some(Sha2::Sha512)
        );
        let with_params = AlgorithmIdentifierOwned {
            oid: ID_SHA256,
            parameters: Some(Any::from(ID_SHA256)),
        };
        assert!(matches!(
            Sha2::from_algorithm(&with_params, HashField::SignerDigest),
            Err(TimestampError::UnsupportedHashAlgorithm {
                field: HashField::SignerDigest,
                ..
            })
        ));
        // SHA-1 (1.3.14.3.2.26) is refused for imprints and SignerInfo digests.
        let sha1 = AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("1.3.14.3.2.26"),
            parameters: None,
        };
        assert!(matches!(
            Sha2::from_algorithm(&sha1, HashField::MessageImprint),
            Err(TimestampError::UnsupportedHashAlgorithm { .. })
        ));
    }

    #[test]
    fn digests_have_the_right_lengths() {
        assert_eq!(Sha2::Sha256.digest(b"x").len(), 32);
        assert_eq!(Sha2::Sha384.digest(b"x").len(), 48);
        assert_eq!(Sha2::Sha512.digest(b"x").len(), 64);
        assert_eq!(CertHash::Sha1.digest(b"x").len(), 20);
    }

    #[test]
    fn peek_version_reads_the_first_integer() {
        // SEQUENCE { INTEGER 2, INTEGER 7 }, encoded by der.
        let mut seq = der::asn1::SequenceOf::<u64, 2>::new();
        seq.add(2).unwrap();
        seq.add(7).unwrap();
        let bytes = seq.to_der().unwrap();
        assert_eq!(peek_version(&bytes), Some(2));
        assert_eq!(peek_version(b"\x04\x00"), None);
    }

    #[test]
    fn oversized_responses_are_refused_before_parsing() {
        let big = vec![0u8; MAX_TIMESTAMP_RESPONSE_BYTES + 1];
        assert!(matches!(
            Token::parse(&big, b""),
            Err(TimestampError::TooLarge { size }) if size == MAX_TIMESTAMP_RESPONSE_BYTES + 1
        ));
    }
}

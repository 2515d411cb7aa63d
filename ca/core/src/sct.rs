//! Signed certificate timestamps for precertificates (RFC 6962 §3.1–§3.4, PROTOCOL.md §3.6).
//!
//! * [`Sct`]: a serialized SCT (§3.2) and the `SignedCertificateTimestampList` (§3.3) that
//!   goes, wrapped in a second DER OCTET STRING, into the certificate extension;
//! * [`PrecertEntry`]: the `PreCert` a CT log signs and stores: [`precert_signed_data`]
//!   (§3.2 `digitally-signed struct`) and [`merkle_tree_leaf`] (§3.4);
//! * [`sign_sct`] with a CT log key, and [`verify_embedded_sct`], which checks an
//!   embedded SCT as sigstore-python does (exactly one SCT, SHA-256, precert TBS rebuilt
//!   from the final certificate, issuer key hash, log ID, signature).
//!
//! The TLS presentation-language encoding (RFC 5246 §4: big-endian integers, vectors
//! prefixed with their byte length) is `tls_codec`'s.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use tls_codec::{
    DeserializeBytes, Serialize as _, TlsByteSliceU16, TlsByteSliceU24, TlsByteVecU16,
    TlsByteVecU24, TlsDeserializeBytes, TlsSerialize, TlsSize,
};
use x509_cert::der::asn1::OctetString;
use x509_cert::der::{Decode, Encode};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use crate::profile::{self, ProfileError, RawCertificate, SCT_LIST_OID};
use crate::request::{CheckedPublicKey, KeyType, RequestError, EC_PUBLIC_KEY, RSA_ENCRYPTION};
use crate::signer::{CaAlgorithm, CaSigner, SignError};

/// RFC 6962 §3.2 `Version`: v1.
pub const SCT_VERSION_V1: u8 = 0;
/// RFC 5246 §7.4.1.4.1 `HashAlgorithm`: sha256.
pub const HASH_SHA256: u8 = 4;
/// RFC 5246 §7.4.1.4.1 `SignatureAlgorithm`: rsa.
pub const SIGNATURE_RSA: u8 = 1;
/// RFC 5246 §7.4.1.4.1 `SignatureAlgorithm`: ecdsa.
pub const SIGNATURE_ECDSA: u8 = 3;
/// RFC 6962 §3.2 `SignatureType`: certificate_timestamp.
const SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP: u8 = 0;
/// RFC 6962 §3.1 `LogEntryType`: precert_entry.
const ENTRY_TYPE_PRECERT: u16 = 1;
/// RFC 6962 §3.4 `MerkleLeafType`: timestamped_entry.
const LEAF_TYPE_TIMESTAMPED_ENTRY: u8 = 0;
/// Largest `opaque<0..2^16-1>` (RFC 5246 §4.3).
const MAX_U16_VECTOR: usize = 0xffff;
/// Largest `opaque<1..2^24-1>` (RFC 6962 §3.2 `TBSCertificate`).
const MAX_U24_VECTOR: usize = 0xff_ffff;

/// Checked before encoding: `tls_codec` only reports an overlong vector as an error in
/// release builds (it debug-asserts first).
fn check_len(field: &'static str, len: usize, max: usize) -> Result<(), SctError> {
    if len > max {
        return Err(SctError::TooLong { field, len, max });
    }
    Ok(())
}

/// Why an SCT could not be made, encoded, parsed or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SctError {
    /// A field longer than its TLS length prefix allows.
    #[error("{field} is {len} bytes, more than the {max} its length prefix allows")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The largest encodable length.
        max: usize,
    },
    /// The TLS encoder failed.
    #[error("SCT encoding failed: {0}")]
    Encode(#[source] tls_codec::Error),
    /// Bytes that are not a valid SCT or SCT list.
    #[error("malformed SCT: {0}")]
    Malformed(#[source] tls_codec::Error),
    /// Bytes left after a complete structure.
    #[error("malformed SCT: trailing bytes after {what}")]
    TrailingData {
        /// Which structure.
        what: &'static str,
    },
    /// A CT leaf that is not a `timestamped_entry` of a precertificate.
    #[error("CT leaf is not a precertificate timestamped_entry (leaf type {leaf_type}, entry type {entry_type})")]
    LeafType {
        /// `MerkleLeafType`.
        leaf_type: u8,
        /// `LogEntryType`.
        entry_type: u16,
    },
    /// An SCT version other than v1.
    #[error("unsupported SCT version {version}")]
    Version {
        /// The version byte.
        version: u8,
    },
    /// The SCT-list extension's value is not a DER OCTET STRING.
    #[error("SCT list extension is not a DER OCTET STRING: {0}")]
    ExtensionValue(#[source] x509_cert::der::Error),
    /// The certificate to check has no SCT-list extension, or a bad one.
    #[error("certificate: {0}")]
    Certificate(#[source] ProfileError),
    /// The issuer certificate is not valid DER.
    #[error("issuer certificate is not a valid X.509 certificate: {0}")]
    IssuerCertificate(#[source] x509_cert::der::Error),
    /// The issuer key is not RSA or EC (sigstore-python's SCT check requires one).
    #[error("issuer key must be RSA or EC for SCT verification")]
    IssuerKeyType,
    /// Not exactly one embedded SCT (sigstore-python requires exactly one).
    #[error("expected exactly one embedded SCT, found {count}")]
    SctCount {
        /// How many were found.
        count: usize,
    },
    /// The CT log key is unusable.
    #[error("CT log key: {0}")]
    CtKey(#[source] RequestError),
    /// The CT log key type cannot verify SCTs here (ECDSA P-256/P-384 or RSA only).
    #[error("CT log key type {key_type} is not supported for SCTs")]
    CtKeyType {
        /// The key's type.
        key_type: KeyType,
    },
    /// The CT log signer is not ECDSA P-256 (RFC 6962 logs sign with SHA-256).
    #[error("CT log signer must be ECDSA P-256 with SHA-256, not {algorithm:?}")]
    CtSignerAlgorithm {
        /// The signer's algorithm.
        algorithm: CaAlgorithm,
    },
    /// The SCT's log ID is not SHA-256 of the CT key.
    #[error("SCT log ID does not match the CT log key")]
    LogIdMismatch,
    /// The SCT's hash algorithm is not SHA-256.
    #[error("SCT hash algorithm {found} is not SHA-256 (4)")]
    HashAlgorithm {
        /// The hash algorithm byte.
        found: u8,
    },
    /// The SCT's signature algorithm does not match the CT key.
    #[error("SCT signature algorithm {found} does not match the {key_type} CT log key")]
    SignatureAlgorithm {
        /// The signature algorithm byte.
        found: u8,
        /// The CT key's type.
        key_type: KeyType,
    },
    /// The SCT signature does not verify.
    #[error("SCT signature does not verify over the precertificate entry")]
    SignatureInvalid,
    /// The CT log signer failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// A signed certificate timestamp, version 1 (RFC 6962 §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sct {
    /// SHA-256 of the log's DER SubjectPublicKeyInfo.
    pub log_id: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// `CtExtensions` (opaque, normally empty).
    pub extensions: Vec<u8>,
    /// RFC 5246 `HashAlgorithm` ([`HASH_SHA256`]).
    pub hash_algorithm: u8,
    /// RFC 5246 `SignatureAlgorithm` ([`SIGNATURE_ECDSA`] or [`SIGNATURE_RSA`]).
    pub signature_algorithm: u8,
    /// The signature (DER `ECDSA-Sig-Value` for ECDSA).
    pub signature: Vec<u8>,
}

/// RFC 6962 §3.2 `SignedCertificateTimestamp`, wire form.
#[derive(TlsSerialize, TlsDeserializeBytes, TlsSize)]
struct SctWire {
    version: u8,
    log_id: [u8; 32],
    timestamp: u64,
    extensions: TlsByteVecU16,
    // RFC 5246 §4.7 `digitally-signed`: SignatureAndHashAlgorithm, opaque<0..2^16-1>.
    hash_algorithm: u8,
    signature_algorithm: u8,
    signature: TlsByteVecU16,
}

impl Sct {
    /// The TLS encoding (RFC 6962 §3.2): `version ‖ log_id ‖ u64 timestamp ‖ u16-prefixed
    /// extensions ‖ hash ‖ signature algorithm ‖ u16-prefixed signature`.
    ///
    /// # Errors
    /// [`SctError::TooLong`] if extensions or signature exceed 65535 bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SctError> {
        check_len("SCT extensions", self.extensions.len(), MAX_U16_VECTOR)?;
        check_len("SCT signature", self.signature.len(), MAX_U16_VECTOR)?;
        SctWire {
            version: SCT_VERSION_V1,
            log_id: self.log_id,
            timestamp: self.timestamp_ms,
            extensions: TlsByteVecU16::from_slice(&self.extensions),
            hash_algorithm: self.hash_algorithm,
            signature_algorithm: self.signature_algorithm,
            signature: TlsByteVecU16::from_slice(&self.signature),
        }
        .tls_serialize_detached()
        .map_err(SctError::Encode)
    }

    /// Parses exactly one serialized v1 SCT.
    ///
    /// # Errors
    /// [`SctError::Malformed`], [`SctError::TrailingData`] or [`SctError::Version`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SctError> {
        let (wire, rest) = SctWire::tls_deserialize_bytes(bytes).map_err(SctError::Malformed)?;
        if !rest.is_empty() {
            return Err(SctError::TrailingData { what: "SCT" });
        }
        if wire.version != SCT_VERSION_V1 {
            return Err(SctError::Version {
                version: wire.version,
            });
        }
        Ok(Self {
            log_id: wire.log_id,
            timestamp_ms: wire.timestamp,
            extensions: wire.extensions.into_vec(),
            hash_algorithm: wire.hash_algorithm,
            signature_algorithm: wire.signature_algorithm,
            signature: wire.signature.into_vec(),
        })
    }
}

/// RFC 6962 §3.3 `SignedCertificateTimestampList`: `u16 total ‖ (u16 len ‖ SCT)+`.
///
/// # Errors
/// [`SctError::TooLong`] if an SCT or the list exceeds 65535 bytes.
pub fn encode_sct_list(scts: &[Sct]) -> Result<Vec<u8>, SctError> {
    let mut body = Vec::new();
    for sct in scts {
        let bytes = sct.to_bytes()?;
        check_len("SCT", bytes.len(), MAX_U16_VECTOR)?;
        body.extend(
            TlsByteVecU16::new(bytes)
                .tls_serialize_detached()
                .map_err(SctError::Encode)?,
        );
    }
    check_len("SCT list", body.len(), MAX_U16_VECTOR)?;
    TlsByteVecU16::new(body)
        .tls_serialize_detached()
        .map_err(SctError::Encode)
}

/// Parses a TLS `SignedCertificateTimestampList` (RFC 6962 §3.3).
///
/// # Errors
/// [`SctError`] if the list or one of its SCTs is malformed.
pub fn parse_sct_list(bytes: &[u8]) -> Result<Vec<Sct>, SctError> {
    let (list, rest) = TlsByteVecU16::tls_deserialize_bytes(bytes).map_err(SctError::Malformed)?;
    if !rest.is_empty() {
        return Err(SctError::TrailingData { what: "SCT list" });
    }
    let mut remaining = list.as_slice();
    let mut scts = Vec::new();
    while !remaining.is_empty() {
        let (one, rest) =
            TlsByteVecU16::tls_deserialize_bytes(remaining).map_err(SctError::Malformed)?;
        scts.push(Sct::from_bytes(one.as_slice())?);
        remaining = rest;
    }
    Ok(scts)
}

/// The content of the SCT-list extension's extnValue: the TLS list wrapped in a DER OCTET
/// STRING (RFC 6962 §3.3, PROTOCOL.md §3.6 item 4). The certificate's own extnValue OCTET
/// STRING wraps this again, hence `04 .. 04 .. <list>`.
///
/// # Errors
/// [`SctError::TooLong`] if the list cannot be encoded.
pub fn sct_list_extension_value(scts: &[Sct]) -> Result<Vec<u8>, SctError> {
    let list = encode_sct_list(scts)?;
    OctetString::new(list)
        .and_then(|o| o.to_der())
        .map_err(SctError::ExtensionValue)
}

/// The inverse of [`sct_list_extension_value`].
///
/// # Errors
/// [`SctError::ExtensionValue`] or a list parse error.
pub fn parse_sct_list_extension_value(extn_value: &[u8]) -> Result<Vec<Sct>, SctError> {
    let inner = OctetString::from_der(extn_value).map_err(SctError::ExtensionValue)?;
    parse_sct_list(inner.as_bytes())
}

/// SHA-256 of a DER SubjectPublicKeyInfo: the RFC 6962 `issuer_key_hash` of an issuer key.
#[must_use]
pub fn issuer_key_hash(issuer_spki_der: &[u8]) -> [u8; 32] {
    sha256(issuer_spki_der)
}

/// SHA-256 of a DER SubjectPublicKeyInfo: the RFC 6962 §3.2 `LogID` of a CT log key.
#[must_use]
pub fn log_id(ct_spki_der: &[u8]) -> [u8; 32] {
    sha256(ct_spki_der)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, bytes).as_ref());
    out
}

/// RFC 6962 §3.2 `PreCert`: what an SCT over a precertificate covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrecertEntry {
    /// SHA-256 of the issuing CA's DER SubjectPublicKeyInfo.
    pub issuer_key_hash: [u8; 32],
    /// The precert TBSCertificate DER, without poison and without SCT list.
    pub tbs_certificate: Vec<u8>,
}

/// The two RFC 6962 structures over a precert entry share one layout: the
/// `digitally-signed struct` an SCT signs (§3.2: `sct_version`, `signature_type`) and the
/// `MerkleTreeLeaf` a log hashes (§3.4: `version`, `leaf_type`), each followed by the
/// `TimestampedEntry` fields. For v1 both leading bytes are 0 in both.
#[derive(TlsSerialize, TlsSize)]
struct PrecertTimestamped<'a> {
    version: u8,
    kind: u8,
    timestamp: u64,
    entry_type: u16,
    issuer_key_hash: [u8; 32],
    tbs_certificate: TlsByteSliceU24<'a>,
    extensions: TlsByteSliceU16<'a>,
}

fn precert_timestamped(
    kind: u8,
    entry: &PrecertEntry,
    timestamp_ms: u64,
    extensions: &[u8],
) -> Result<Vec<u8>, SctError> {
    check_len(
        "TBSCertificate",
        entry.tbs_certificate.len(),
        MAX_U24_VECTOR,
    )?;
    check_len("CT extensions", extensions.len(), MAX_U16_VECTOR)?;
    PrecertTimestamped {
        version: SCT_VERSION_V1,
        kind,
        timestamp: timestamp_ms,
        entry_type: ENTRY_TYPE_PRECERT,
        issuer_key_hash: entry.issuer_key_hash,
        tbs_certificate: TlsByteSliceU24(&entry.tbs_certificate),
        extensions: TlsByteSliceU16(extensions),
    }
    .tls_serialize_detached()
    .map_err(SctError::Encode)
}

/// The bytes an SCT signature covers (RFC 6962 §3.2): `sct_version=0 ‖ signature_type=0 ‖
/// u64 timestamp ‖ u16 entry_type=1 ‖ issuer_key_hash ‖ u24-prefixed TBS ‖ u16-prefixed
/// extensions`.
///
/// # Errors
/// [`SctError::TooLong`] if the TBS exceeds 2^24−1 bytes or the extensions 65535.
pub fn precert_signed_data(
    entry: &PrecertEntry,
    timestamp_ms: u64,
    extensions: &[u8],
) -> Result<Vec<u8>, SctError> {
    precert_timestamped(
        SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP,
        entry,
        timestamp_ms,
        extensions,
    )
}

/// The `MerkleTreeLeaf` a CT log hashes for a precert entry (RFC 6962 §3.4): `version=0 ‖
/// leaf_type=0 ‖ u64 timestamp ‖ u16 entry_type=1 ‖ issuer_key_hash ‖ u24-prefixed TBS ‖
/// u16-prefixed extensions`.
///
/// # Errors
/// [`SctError::TooLong`] if the TBS exceeds 2^24−1 bytes or the extensions 65535.
pub fn merkle_tree_leaf(
    entry: &PrecertEntry,
    timestamp_ms: u64,
    extensions: &[u8],
) -> Result<Vec<u8>, SctError> {
    precert_timestamped(LEAF_TYPE_TIMESTAMPED_ENTRY, entry, timestamp_ms, extensions)
}

/// A precert `MerkleTreeLeaf` as a CT log stores it (RFC 6962 §3.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrecertLeaf {
    /// The precertificate entry.
    pub entry: PrecertEntry,
    /// The leaf's timestamp (the SCT's), milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The `CtExtensions` bytes.
    pub extensions: Vec<u8>,
}

/// RFC 6962 §3.4 `MerkleTreeLeaf` of a precert entry, wire form (read side).
#[derive(TlsDeserializeBytes, TlsSize)]
struct PrecertLeafWire {
    version: u8,
    leaf_type: u8,
    timestamp: u64,
    entry_type: u16,
    issuer_key_hash: [u8; 32],
    tbs_certificate: TlsByteVecU24,
    extensions: TlsByteVecU16,
}

/// Parses a CT log leaf that must be a v1 `timestamped_entry` of type `precert_entry`
/// (RFC 6962 §3.4; the only kind a Fulcio CA logs), with nothing after it.
///
/// # Errors
/// [`SctError::Malformed`], [`SctError::TrailingData`], [`SctError::Version`] for a leaf
/// version other than v1, or [`SctError::LeafType`] for another leaf or entry type.
pub fn parse_merkle_tree_leaf(leaf: &[u8]) -> Result<PrecertLeaf, SctError> {
    let (wire, rest) = PrecertLeafWire::tls_deserialize_bytes(leaf).map_err(SctError::Malformed)?;
    if !rest.is_empty() {
        return Err(SctError::TrailingData {
            what: "MerkleTreeLeaf",
        });
    }
    if wire.version != SCT_VERSION_V1 {
        return Err(SctError::Version {
            version: wire.version,
        });
    }
    if wire.leaf_type != LEAF_TYPE_TIMESTAMPED_ENTRY || wire.entry_type != ENTRY_TYPE_PRECERT {
        return Err(SctError::LeafType {
            leaf_type: wire.leaf_type,
            entry_type: wire.entry_type,
        });
    }
    Ok(PrecertLeaf {
        entry: PrecertEntry {
            issuer_key_hash: wire.issuer_key_hash,
            tbs_certificate: wire.tbs_certificate.into_vec(),
        },
        timestamp_ms: wire.timestamp,
        extensions: wire.extensions.into_vec(),
    })
}

/// Issues an SCT for `entry` at `timestamp_ms` with no extensions, signed by a CT log key
/// that must be ECDSA P-256 (`hash_alg=4`, `sig_alg=3`, DER signature).
///
/// # Errors
/// [`SctError::CtSignerAlgorithm`], [`SctError::TooLong`] or [`SctError::Sign`].
pub fn sign_sct(
    ct_key: &dyn CaSigner,
    entry: &PrecertEntry,
    timestamp_ms: u64,
) -> Result<Sct, SctError> {
    if ct_key.algorithm() != CaAlgorithm::EcdsaP256Sha256 {
        return Err(SctError::CtSignerAlgorithm {
            algorithm: ct_key.algorithm(),
        });
    }
    let signed = precert_signed_data(entry, timestamp_ms, &[])?;
    let signature = ct_key.sign(&signed)?;
    Ok(Sct {
        log_id: log_id(ct_key.public_key_der()),
        timestamp_ms,
        extensions: Vec::new(),
        hash_algorithm: HASH_SHA256,
        signature_algorithm: SIGNATURE_ECDSA,
        signature,
    })
}

/// Verifies `sct` over `entry` with the CT log key `ct_public_key_der` (DER SPKI): log ID
/// = SHA-256 of that key, SHA-256 hash, a signature algorithm matching the key (ECDSA
/// P-256/P-384 or RSA PKCS#1 v1.5), valid signature.
///
/// # Errors
/// The [`SctError`] of the first failed check.
pub fn verify_sct(
    sct: &Sct,
    entry: &PrecertEntry,
    ct_public_key_der: &[u8],
) -> Result<(), SctError> {
    let key = CheckedPublicKey::from_spki_der(ct_public_key_der).map_err(SctError::CtKey)?;
    if sct.log_id != log_id(key.spki_der()) {
        return Err(SctError::LogIdMismatch);
    }
    if sct.hash_algorithm != HASH_SHA256 {
        return Err(SctError::HashAlgorithm {
            found: sct.hash_algorithm,
        });
    }
    let key_type = key.key_type();
    let (expected, alg): (u8, &'static dyn VerificationAlgorithm) = match key_type {
        KeyType::EcdsaP256 => (SIGNATURE_ECDSA, &sig::ECDSA_P256_SHA256_ASN1),
        KeyType::EcdsaP384 => (SIGNATURE_ECDSA, &sig::ECDSA_P384_SHA256_ASN1),
        KeyType::Rsa { .. } => (SIGNATURE_RSA, &sig::RSA_PKCS1_2048_8192_SHA256),
        _ => return Err(SctError::CtKeyType { key_type }),
    };
    if sct.signature_algorithm != expected {
        return Err(SctError::SignatureAlgorithm {
            found: sct.signature_algorithm,
            key_type,
        });
    }
    let signed = precert_signed_data(entry, sct.timestamp_ms, &sct.extensions)?;
    UnparsedPublicKey::new(alg, key.raw())
        .verify(&signed, &sct.signature)
        .map_err(|_| SctError::SignatureInvalid)
}

/// Checks the embedded SCT of a final certificate as sigstore-python does
/// (`_internal/sct.py`, PROTOCOL.md §3.7, §12 item 1): exactly one SCT in the SCT-list
/// extension; its signature verifies over the precert entry rebuilt from the final
/// certificate (TBS minus the SCT list; `issuer_key_hash` = SHA-256 of the issuer's SPKI,
/// which must be RSA or EC); hash SHA-256; log ID = SHA-256 of the CT key. Returns the SCT.
///
/// # Errors
/// The [`SctError`] of the first failed check.
pub fn verify_embedded_sct(
    final_cert_der: &[u8],
    issuer_cert_der: &[u8],
    ct_public_key_der: &[u8],
) -> Result<Sct, SctError> {
    let raw = RawCertificate::parse(final_cert_der).map_err(SctError::Certificate)?;
    let lists: Vec<_> = raw
        .extensions
        .iter()
        .filter(|e| e.extn_id == SCT_LIST_OID)
        .collect();
    let [list] = lists.as_slice() else {
        return Err(SctError::Certificate(ProfileError::ExtensionCount {
            name: "SCT list",
            count: lists.len(),
        }));
    };
    let mut scts = parse_sct_list_extension_value(list.extn_value.as_bytes())?;
    if scts.len() != 1 {
        return Err(SctError::SctCount { count: scts.len() });
    }
    let sct = scts.remove(0);

    let issuer =
        x509_cert::Certificate::from_der(issuer_cert_der).map_err(SctError::IssuerCertificate)?;
    let issuer_spki: &SubjectPublicKeyInfoOwned = &issuer.tbs_certificate.subject_public_key_info;
    let issuer_key_oid = issuer_spki.algorithm.oid;
    if issuer_key_oid != EC_PUBLIC_KEY && issuer_key_oid != RSA_ENCRYPTION {
        return Err(SctError::IssuerKeyType);
    }
    let issuer_spki_der = issuer_spki.to_der().map_err(SctError::IssuerCertificate)?;
    let entry = PrecertEntry {
        issuer_key_hash: issuer_key_hash(&issuer_spki_der),
        tbs_certificate: profile::precert_tbs_from_final(final_cert_der)
            .map_err(SctError::Certificate)?,
    };
    verify_sct(&sct, &entry, ct_public_key_der)?;
    Ok(sct)
}

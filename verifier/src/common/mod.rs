//! What the bundle ([`crate::bundle`]) and trusted-root ([`crate::trusted_root`]) models
//! share: `sigstore_common.proto` enums and log IDs, the hard limits both parsers enforce,
//! why a field was rejected, and the proto3 JSON decoding rules (PROTOCOL.md §1):
//!
//! * `bytes` are base64, standard or URL-safe alphabet, padding optional (as protojson);
//! * `int64` arrives as a JSON string (what producers emit) or a JSON number;
//! * enums arrive by name; the `*_UNSPECIFIED` zero value is never accepted;
//! * `google.protobuf.Timestamp` is an RFC 3339 string.

use std::fmt;
use std::time::SystemTime;

use time::OffsetDateTime;

mod protojson;

pub(crate) use protojson::{
    clip, decode_b64, decode_b64_fixed, parse_rfc3339, Bounded, JsonInt, RawCertificate,
    RawCertificateChain, RawLogId,
};

/// Largest bundle accepted, in bytes of JSON. Sized for [`MAX_DSSE_PAYLOAD_BYTES`] in
/// base64 (×4/3) plus the largest verification material the other limits allow.
pub const MAX_BUNDLE_BYTES: usize = 32 * 1024 * 1024;
/// Most transparency-log entries in one bundle: sigstore-go's `MaxAllowedTlogEntries`.
pub const MAX_TLOG_ENTRIES: usize = 32;
/// Most RFC 3161 timestamps in one bundle: sigstore-go's `MaxAllowedTimestamps`, and
/// sigstore-python's bound (PROTOCOL.md §6.2).
pub const MAX_RFC3161_TIMESTAMPS: usize = 32;
/// Most certificates in one chain (a v0.1/v0.2 bundle's `x509CertificateChain`, a trusted
/// root's `certChain`): leaf or issuing CA, up to 6 intermediates (webpki's bound on
/// intermediates) and the root. Real Sigstore chains have 1 to 3.
pub const MAX_CERTIFICATE_CHAIN_LEN: usize = 8;
/// Most hashes in one inclusion proof: a proof in a tree of at most 2⁶⁴ leaves has at
/// most 64 (RFC 9162 §2.1.3.1).
pub const MAX_PROOF_HASHES: usize = 64;
/// Largest DSSE payload, in decoded bytes: 16 MiB, the size limit of GitHub's
/// `attest-sbom` (the largest in-toto statements in practice are SBOMs).
pub const MAX_DSSE_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;
/// Most subjects in an in-toto statement a DSSE bundle carries (the digest check scans
/// them). SLSA provenance for a release names tens; 1,024 leaves room for large ones.
pub const MAX_INTOTO_SUBJECTS: usize = 1024;
/// Most digests one in-toto subject may carry (sigstore-go's bound after GHSA-cq38-jh5f-37mq;
/// real subjects name one to three algorithms).
pub const MAX_INTOTO_DIGESTS_PER_SUBJECT: usize = 32;

/// Largest `trusted_root.json` (or `ClientTrustConfig`), in bytes of JSON. The
/// public-good root is about 7 KiB.
pub const MAX_TRUSTED_ROOT_BYTES: usize = 1024 * 1024;
/// Most entries in a trusted root's `tlogs`, and separately in its `ctlogs`.
pub const MAX_TRUSTED_LOGS: usize = 64;
/// Most entries in a trusted root's `certificateAuthorities`, and separately in its
/// `timestampAuthorities`.
pub const MAX_TRUSTED_AUTHORITIES: usize = 64;

/// One of the hard limits above; an error names the one that was exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`MAX_BUNDLE_BYTES`].
    BundleBytes,
    /// [`MAX_TLOG_ENTRIES`].
    TlogEntries,
    /// [`MAX_RFC3161_TIMESTAMPS`].
    Rfc3161Timestamps,
    /// [`MAX_CERTIFICATE_CHAIN_LEN`].
    CertificateChainLen,
    /// [`MAX_PROOF_HASHES`].
    ProofHashes,
    /// [`MAX_DSSE_PAYLOAD_BYTES`].
    DssePayloadBytes,
    /// [`MAX_INTOTO_SUBJECTS`].
    InTotoSubjects,
    /// [`MAX_TRUSTED_ROOT_BYTES`].
    TrustedRootBytes,
    /// [`MAX_TRUSTED_LOGS`].
    TrustedLogs,
    /// [`MAX_TRUSTED_AUTHORITIES`].
    TrustedAuthorities,
}

impl Limit {
    /// The limit's value.
    #[must_use]
    pub const fn max(self) -> usize {
        match self {
            Limit::BundleBytes => MAX_BUNDLE_BYTES,
            Limit::TlogEntries => MAX_TLOG_ENTRIES,
            Limit::Rfc3161Timestamps => MAX_RFC3161_TIMESTAMPS,
            Limit::CertificateChainLen => MAX_CERTIFICATE_CHAIN_LEN,
            Limit::ProofHashes => MAX_PROOF_HASHES,
            Limit::DssePayloadBytes => MAX_DSSE_PAYLOAD_BYTES,
            Limit::InTotoSubjects => MAX_INTOTO_SUBJECTS,
            Limit::TrustedRootBytes => MAX_TRUSTED_ROOT_BYTES,
            Limit::TrustedLogs => MAX_TRUSTED_LOGS,
            Limit::TrustedAuthorities => MAX_TRUSTED_AUTHORITIES,
        }
    }

    /// The constant's name, e.g. `MAX_TLOG_ENTRIES`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Limit::BundleBytes => "MAX_BUNDLE_BYTES",
            Limit::TlogEntries => "MAX_TLOG_ENTRIES",
            Limit::Rfc3161Timestamps => "MAX_RFC3161_TIMESTAMPS",
            Limit::CertificateChainLen => "MAX_CERTIFICATE_CHAIN_LEN",
            Limit::ProofHashes => "MAX_PROOF_HASHES",
            Limit::DssePayloadBytes => "MAX_DSSE_PAYLOAD_BYTES",
            Limit::InTotoSubjects => "MAX_INTOTO_SUBJECTS",
            Limit::TrustedRootBytes => "MAX_TRUSTED_ROOT_BYTES",
            Limit::TrustedLogs => "MAX_TRUSTED_LOGS",
            Limit::TrustedAuthorities => "MAX_TRUSTED_AUTHORITIES",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.max())
    }
}

/// Why a present field's value was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldProblem {
    /// Not base64 (standard or URL-safe alphabet).
    #[error("not base64")]
    NotBase64,
    /// Decodes to the wrong number of bytes.
    #[error("{actual} bytes where {expected} are required")]
    WrongLength {
        /// Required length.
        expected: usize,
        /// Decoded length.
        actual: usize,
    },
    /// Not an int64 given as a JSON number or a decimal string.
    #[error("not an int64 (a JSON number or a decimal string)")]
    NotInt64,
    /// Negative where only non-negative values make sense.
    #[error("negative ({0})")]
    Negative(i64),
    /// Not a name of the proto enum (or its `*_UNSPECIFIED` zero value).
    #[error("unknown enum value {0:?}")]
    UnknownEnumValue(String),
    /// A valid value that this verifier (or the strictest client) does not accept.
    #[error("{value:?} is not supported (expected {expected})")]
    Unsupported {
        /// The value given.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// Not an RFC 3339 timestamp.
    #[error("not an RFC 3339 timestamp: {0:?}")]
    NotRfc3339(String),
}

/// Defines a proto enum with its JSON names.
macro_rules! proto_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $proto:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", $proto, "`")] $variant,)+
        }

        impl $name {
            /// Parses the proto enum name (the protobuf JSON form). `None` for anything
            /// else, including the `*_UNSPECIFIED` zero value.
            #[must_use]
            pub fn from_proto_name(name: &str) -> Option<Self> {
                match name {
                    $($proto => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The proto enum name.
            #[must_use]
            pub const fn proto_name(self) -> &'static str {
                match self {
                    $(Self::$variant => $proto,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.proto_name())
            }
        }
    };
}

proto_enum! {
    /// `dev.sigstore.common.v1.HashAlgorithm`.
    HashAlgorithm {
        Sha2_256 = "SHA2_256",
        Sha2_384 = "SHA2_384",
        Sha2_512 = "SHA2_512",
        Sha3_256 = "SHA3_256",
        Sha3_384 = "SHA3_384",
    }
}

impl HashAlgorithm {
    /// Length in bytes of this algorithm's digests.
    #[must_use]
    pub const fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha2_256 | HashAlgorithm::Sha3_256 => 32,
            HashAlgorithm::Sha2_384 | HashAlgorithm::Sha3_384 => 48,
            HashAlgorithm::Sha2_512 => 64,
        }
    }
}

proto_enum! {
    /// `dev.sigstore.common.v1.PublicKeyDetails`: key encoding and signature algorithm.
    /// Every name in protobuf-specs, including the deprecated ones; which are usable is
    /// the signature step's decision (PROTOCOL.md §7.1).
    PublicKeyDetails {
        Pkcs1RsaPkcs1v5 = "PKCS1_RSA_PKCS1V5",
        Pkcs1RsaPss = "PKCS1_RSA_PSS",
        PkixRsaPkcs1v5 = "PKIX_RSA_PKCS1V5",
        PkixRsaPss = "PKIX_RSA_PSS",
        PkixRsaPkcs1v15_2048Sha256 = "PKIX_RSA_PKCS1V15_2048_SHA256",
        PkixRsaPkcs1v15_3072Sha256 = "PKIX_RSA_PKCS1V15_3072_SHA256",
        PkixRsaPkcs1v15_4096Sha256 = "PKIX_RSA_PKCS1V15_4096_SHA256",
        PkixRsaPss2048Sha256 = "PKIX_RSA_PSS_2048_SHA256",
        PkixRsaPss3072Sha256 = "PKIX_RSA_PSS_3072_SHA256",
        PkixRsaPss4096Sha256 = "PKIX_RSA_PSS_4096_SHA256",
        PkixEcdsaP256HmacSha256 = "PKIX_ECDSA_P256_HMAC_SHA_256",
        PkixEcdsaP256Sha256 = "PKIX_ECDSA_P256_SHA_256",
        PkixEcdsaP384Sha384 = "PKIX_ECDSA_P384_SHA_384",
        PkixEcdsaP521Sha512 = "PKIX_ECDSA_P521_SHA_512",
        PkixEd25519 = "PKIX_ED25519",
        PkixEd25519Ph = "PKIX_ED25519_PH",
        PkixEcdsaP384Sha256 = "PKIX_ECDSA_P384_SHA_256",
        PkixEcdsaP521Sha256 = "PKIX_ECDSA_P521_SHA_256",
        LmsSha256 = "LMS_SHA256",
        LmotsSha256 = "LMOTS_SHA256",
        MlDsa44 = "ML_DSA_44",
        MlDsa65 = "ML_DSA_65",
        MlDsa87 = "ML_DSA_87",
    }
}

/// Size of a log ID: every Sigstore log ID is a SHA-256 hash (PROTOCOL.md §4.2, §5.4).
pub const LOG_ID_SIZE: usize = 32;

/// A transparency or CT log's ID (`logId.keyId`): v1 logs and CT logs use
/// SHA-256(DER SPKI), Rekor v2 the C2SP key hash (PROTOCOL.md §4.2, §5.4).
///
/// `Debug` and `Display` print it as lowercase hex (how sigstore-go keys its log maps).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogId(pub [u8; LOG_ID_SIZE]);

impl LogId {
    /// The raw 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; LOG_ID_SIZE] {
        &self.0
    }

    /// The 4-byte key hint that signed-note signature lines carry (`logId[:4]`).
    #[must_use]
    pub fn key_hint(&self) -> [u8; 4] {
        [self.0[0], self.0[1], self.0[2], self.0[3]]
    }
}

impl fmt::Display for LogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for LogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogId({self})")
    }
}

/// A validity window (protobuf-specs `TimeRange`, e.g. a trusted root's `validFor`):
/// `[start, end]`, both ends included (as sigstore-go checks them), open-ended when `end`
/// is `None`. The one window type of the verifier: trusted-root keys and CAs, and the
/// chain and SCT steps that check against them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidityPeriod {
    /// First instant inside the window.
    pub start: SystemTime,
    /// Last instant inside the window; `None`: still valid.
    pub end: Option<SystemTime>,
}

impl ValidityPeriod {
    /// Whether `at` is inside the period, both ends included (sigstore-python treats a
    /// TSA's end as exclusive, a check for the TSA step).
    #[must_use]
    pub fn contains(&self, at: impl Into<SystemTime>) -> bool {
        let at = at.into();
        self.start <= at && self.end.is_none_or(|end| at <= end)
    }
}

impl fmt::Display for ValidityPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let start = OffsetDateTime::from(self.start);
        match self.end {
            Some(end) => write!(f, "[{start}, {}]", OffsetDateTime::from(end)),
            None => write!(f, "[{start}, open)"),
        }
    }
}

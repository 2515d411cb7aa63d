//! The signer identity a Fulcio leaf carries, and the policy it must satisfy
//! (PROTOCOL.md §3.3, §3.4, §3.5, §8.1 step 3, §8.2 step 6).
//!
//! * Identity: every subjectAltName that names a Sigstore identity — rfc822Name (email),
//!   uniformResourceIdentifier (CI workflows, SPIFFE, Kubernetes, URI identities) and the
//!   OtherName with type-id `1.3.6.1.4.1.57264.1.7` (username identities, a UTF8String
//!   `<sub>!<domain>`). Other SAN types are not identities and are ignored.
//! * OIDC issuer: extension `1.3.6.1.4.1.57264.1.8` (a DER UTF8String), else the
//!   deprecated `1.3.6.1.4.1.57264.1.1` (the raw UTF-8 bytes). Fulcio writes the same
//!   string in both; a leaf in which they differ is rejected, since sigstore-python reads
//!   only `.1` and sigstore-go/js prefer `.8`, and the two would see different issuers.
//!
//! A policy ([`IdentityPolicy`]) matches if *any* identity SAN equals the expected
//! identity (as sigstore-python) or fully matches the expected pattern, and the issuer
//! equals the expected issuer exactly.

use regex::Regex;
use signet_ca_core::san::{SubjectAltName, USERNAME_OTHER_NAME_OID};
use x509_cert::der::asn1::Utf8StringRef;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{self, Decode as _};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName as SanExtension;
use x509_cert::TbsCertificate;

/// `1.3.6.1.4.1.57264.1.1`: OIDC issuer, raw UTF-8 bytes (deprecated).
const ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// `1.3.6.1.4.1.57264.1.8`: OIDC issuer, DER UTF8String.
const ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const USERNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap(USERNAME_OTHER_NAME_OID);

/// Why a leaf's identity could not be read or does not satisfy the policy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The leaf is not a valid certificate, or its SAN extension does not decode.
    #[error("leaf certificate is not valid DER: {0}")]
    Malformed(#[source] der::Error),
    /// An issuer extension whose value is not what its OID requires (`.8`: DER
    /// UTF8String; `.1`: UTF-8).
    #[error("OIDC issuer extension {oid} is malformed")]
    MalformedIssuer {
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// The `.1` and `.8` issuer extensions disagree.
    #[error("OIDC issuer extensions disagree: .1 says {v1:?}, .8 says {v2:?}")]
    IssuerExtensionsDisagree {
        /// `.1` (raw).
        v1: String,
        /// `.8` (DER).
        v2: String,
    },
    /// No email, URI or username SAN.
    #[error("the leaf has no identity subjectAltName (email, URI or username)")]
    NoIdentity,
    /// No issuer extension.
    #[error("the leaf has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1)")]
    NoIssuer,
    /// An identity pattern that is not a valid regular expression.
    #[error("invalid identity pattern: {0}")]
    InvalidPattern(#[source] regex::Error),
    /// No identity SAN matches the policy.
    #[error("identity mismatch: expected {expected}, found {found:?}")]
    IdentityMismatch {
        /// The policy's identity (`"…"` for an exact value, `/…/` for a pattern).
        expected: String,
        /// The leaf's identity SANs.
        found: Vec<String>,
    },
    /// The issuer is not the policy's.
    #[error("issuer mismatch: expected {expected:?}, found {found:?}")]
    IssuerMismatch {
        /// The policy's issuer.
        expected: String,
        /// The leaf's issuer.
        found: String,
    },
}

/// Who signed, as the leaf says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerIdentity {
    /// The identity SANs, in certificate order (Fulcio issues exactly one).
    pub sans: Vec<SubjectAltName>,
    /// The OIDC issuer (`.8`, else `.1`).
    pub issuer: String,
}

/// Reads the signer identity and OIDC issuer of a leaf (module documentation).
///
/// # Errors
/// [`IdentityError::NoIdentity`], [`IdentityError::NoIssuer`], a malformed certificate or
/// extension, or [`IdentityError::IssuerExtensionsDisagree`].
pub fn signer_identity(leaf_der: &[u8]) -> Result<SignerIdentity, IdentityError> {
    let cert = x509_cert::Certificate::from_der(leaf_der).map_err(IdentityError::Malformed)?;
    signer_identity_of_tbs(&cert.tbs_certificate)
}

/// [`signer_identity`] of a `TBSCertificate` (a CT log's precertificate entry holds only
/// the TBS).
///
/// # Errors
/// As [`signer_identity`].
pub fn signer_identity_of_tbs(tbs: &TbsCertificate) -> Result<SignerIdentity, IdentityError> {
    let mut sans = Vec::new();
    if let Some((_, SanExtension(names))) = tbs
        .get::<SanExtension>()
        .map_err(IdentityError::Malformed)?
    {
        for name in names {
            match name {
                GeneralName::Rfc822Name(v) => sans.push(SubjectAltName::Email(v.to_string())),
                GeneralName::UniformResourceIdentifier(v) => {
                    sans.push(SubjectAltName::Uri(v.to_string()));
                }
                GeneralName::OtherName(other) if other.type_id == USERNAME => {
                    // PROTOCOL.md §3.4: value [0] EXPLICIT UTF8String (x509-cert strips
                    // the explicit tag).
                    let value: Utf8StringRef<'_> =
                        other.value.decode_as().map_err(IdentityError::Malformed)?;
                    sans.push(SubjectAltName::Username(value.as_str().to_owned()));
                }
                _ => {}
            }
        }
    }
    if sans.is_empty() {
        return Err(IdentityError::NoIdentity);
    }

    let extension = |oid: ObjectIdentifier| {
        tbs.extensions
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|e| e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes())
    };
    let malformed = |oid| IdentityError::MalformedIssuer { oid };
    let v2 = extension(ISSUER_V2)
        .map(|v| {
            Utf8StringRef::from_der(v)
                .map(|s| s.as_str().to_owned())
                .map_err(|_| malformed(ISSUER_V2))
        })
        .transpose()?;
    let v1 = extension(ISSUER_V1)
        .map(|v| {
            std::str::from_utf8(v)
                .map(str::to_owned)
                .map_err(|_| malformed(ISSUER_V1))
        })
        .transpose()?;
    let issuer = match (v1, v2) {
        (Some(v1), Some(v2)) if v1 != v2 => {
            return Err(IdentityError::IssuerExtensionsDisagree { v1, v2 })
        }
        (_, Some(v2)) => v2,
        (Some(v1), None) => v1,
        (None, None) => return Err(IdentityError::NoIssuer),
    };
    Ok(SignerIdentity { sans, issuer })
}

/// What a CI identity's certificate says was built (PROTOCOL.md §3.3), for inventories.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CiClaims {
    /// `.12` Source Repository URI.
    pub repository: Option<String>,
    /// `.14` Source Repository Ref.
    pub git_ref: Option<String>,
    /// `.9` Build Signer URI (the workflow that signed, `…/x.yml@ref`).
    pub workflow: Option<String>,
    /// `.23` Deployment Environment.
    pub environment: Option<String>,
}

impl CiClaims {
    /// Whether no CI claim is present (not a CI identity).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Reads the CI claims of a leaf's TBS; claims whose extension is absent or not a DER
/// UTF8String (`.8`–`.24`, PROTOCOL.md §3.3) are `None`.
#[must_use]
pub fn ci_claims_of_tbs(tbs: &TbsCertificate) -> CiClaims {
    let utf8 = |arc: &str| -> Option<String> {
        let oid = ObjectIdentifier::new(&format!("1.3.6.1.4.1.57264.1.{arc}")).ok()?;
        let ext = tbs
            .extensions
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|e| e.extn_id == oid)?;
        Utf8StringRef::from_der(ext.extn_value.as_bytes())
            .ok()
            .map(|s| s.as_str().to_owned())
    };
    CiClaims {
        repository: utf8("12"),
        git_ref: utf8("14"),
        workflow: utf8("9"),
        environment: utf8("23"),
    }
}

/// How the identity SAN must look.
#[derive(Clone, Debug)]
enum IdentityMatcher {
    Exact(String),
    /// Compiled as `\A(?:<pattern>)\z`.
    Pattern(Regex, String),
}

/// The identity a verifier expects: an identity (exact or pattern) and an exact issuer.
#[derive(Clone, Debug)]
pub struct IdentityPolicy {
    identity: IdentityMatcher,
    issuer: String,
}

impl IdentityPolicy {
    /// Any identity SAN must equal `identity` exactly, and the issuer must equal `issuer`.
    #[must_use]
    pub fn exact(identity: impl Into<String>, issuer: impl Into<String>) -> Self {
        Self {
            identity: IdentityMatcher::Exact(identity.into()),
            issuer: issuer.into(),
        }
    }

    /// Any identity SAN must match the regular expression `pattern` (`regex` crate syntax)
    /// **in full**: the pattern is anchored at both ends (compiled as
    /// `\A(?:pattern)\z`), unlike sigstore-go/cosign, whose patterns are unanchored unless
    /// written with `^…$`. So `https://github\.com/octo/.*` does not match a URI that
    /// merely contains it. The issuer must equal `issuer` exactly.
    ///
    /// # Errors
    /// [`IdentityError::InvalidPattern`].
    pub fn pattern(pattern: &str, issuer: impl Into<String>) -> Result<Self, IdentityError> {
        let anchored = format!(r"\A(?:{pattern})\z");
        let regex = Regex::new(&anchored).map_err(IdentityError::InvalidPattern)?;
        Ok(Self {
            identity: IdentityMatcher::Pattern(regex, pattern.to_owned()),
            issuer: issuer.into(),
        })
    }

    /// Checks an identity read by [`signer_identity`].
    ///
    /// # Errors
    /// [`IdentityError::IdentityMismatch`] or [`IdentityError::IssuerMismatch`], each
    /// showing what was expected and what was found.
    pub fn check(&self, identity: &SignerIdentity) -> Result<(), IdentityError> {
        let values = identity.sans.iter().map(SubjectAltName::value);
        let matched = match &self.identity {
            IdentityMatcher::Exact(want) => values.clone().any(|v| v == want),
            IdentityMatcher::Pattern(regex, _) => values.clone().any(|v| regex.is_match(v)),
        };
        if !matched {
            let expected = match &self.identity {
                IdentityMatcher::Exact(want) => format!("{want:?}"),
                IdentityMatcher::Pattern(_, pattern) => format!("/{pattern}/"),
            };
            return Err(IdentityError::IdentityMismatch {
                expected,
                found: values.map(str::to_owned).collect(),
            });
        }
        if identity.issuer != self.issuer {
            return Err(IdentityError::IssuerMismatch {
                expected: self.issuer.clone(),
                found: identity.issuer.clone(),
            });
        }
        Ok(())
    }
}

/// Reads the leaf's identity ([`signer_identity`]) and checks it against `policy`.
///
/// # Errors
/// As [`signer_identity`] and [`IdentityPolicy::check`].
pub fn verify_identity(
    leaf_der: &[u8],
    policy: &IdentityPolicy,
) -> Result<SignerIdentity, IdentityError> {
    let identity = signer_identity(leaf_der)?;
    policy.check(&identity)?;
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> SignerIdentity {
        SignerIdentity {
            sans: vec![
                SubjectAltName::Uri("https://example.com/a".into()),
                SubjectAltName::Email("bob@example.com".into()),
            ],
            issuer: "https://issuer.example".into(),
        }
    }

    #[test]
    fn any_san_may_match_and_patterns_match_in_full() {
        let id = signer();
        let issuer = "https://issuer.example";
        IdentityPolicy::exact("bob@example.com", issuer)
            .check(&id)
            .unwrap();
        IdentityPolicy::pattern(r"[a-z]+@example\.com", issuer)
            .unwrap()
            .check(&id)
            .unwrap();
        for partial in [
            "bob",
            r"example\.com",
            "https://example.com/",
            "^bob@example",
        ] {
            let err = IdentityPolicy::pattern(partial, issuer)
                .unwrap()
                .check(&id)
                .unwrap_err();
            assert!(
                matches!(&err, IdentityError::IdentityMismatch { found, .. } if found.len() == 2),
                "{partial}: {err}"
            );
        }
        // Anchors the caller writes are harmless.
        IdentityPolicy::pattern(r"^bob@example\.com$", issuer)
            .unwrap()
            .check(&id)
            .unwrap();
        // An alternation cannot escape the anchors.
        assert!(IdentityPolicy::pattern("zzz|bob", issuer)
            .unwrap()
            .check(&id)
            .is_err());
        // Issuers compare exactly.
        assert!(
            IdentityPolicy::exact("bob@example.com", "https://issuer.example/")
                .check(&id)
                .is_err()
        );
    }
}

//! The identity a certificate carries: its one subjectAltName and its Sigstore
//! extensions (PROTOCOL.md §3.3, §3.4). Shared by the identity mapping
//! (`signet-ca-identity`, claims → [`CertIdentity`]) and the certificate profile.

/// Sigstore's OID arc for Fulcio extensions: `1.3.6.1.4.1.57264.1.<n>`.
pub const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1";

/// The OtherName type-id for username identities (`1.3.6.1.4.1.57264.1.7`).
pub const USERNAME_OTHER_NAME_OID: &str = "1.3.6.1.4.1.57264.1.7";

/// The single subjectAltName of a leaf certificate (PROTOCOL.md §3.4). The subject is
/// always empty, so the SAN extension is critical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectAltName {
    /// rfc822Name: an email address.
    Email(String),
    /// uniformResourceIdentifier: CI workflow URIs, SPIFFE IDs, Kubernetes service
    /// accounts, URI identities.
    Uri(String),
    /// OtherName with type-id [`USERNAME_OTHER_NAME_OID`] and value
    /// `[0] EXPLICIT UTF8String "<sub>!<subjectDomain>"`; this holds that string.
    Username(String),
}

impl SubjectAltName {
    /// The identity string, whatever its SAN type.
    #[must_use]
    pub fn value(&self) -> &str {
        match self {
            Self::Email(v) | Self::Uri(v) | Self::Username(v) => v,
        }
    }
}

/// One Sigstore extension `1.3.6.1.4.1.57264.1.<arc>`.
///
/// Encoding is fixed by the arc (PROTOCOL.md §3.3): arcs 1–6 carry the raw UTF-8 bytes as
/// the extnValue; arcs 8 and above carry a DER UTF8String. Arc 7 is not an extension
/// (it is the username OtherName type-id) and is never produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FulcioExtension {
    /// The last OID component, e.g. 8 for `1.3.6.1.4.1.57264.1.8` (issuer v2).
    pub arc: u32,
    /// The value, as text.
    pub value: String,
}

impl FulcioExtension {
    /// Whether the extnValue is the raw bytes (arcs 1–6) rather than a DER UTF8String.
    #[must_use]
    pub fn is_raw(&self) -> bool {
        (1..=6).contains(&self.arc)
    }

    /// The dotted OID of this extension.
    #[must_use]
    pub fn oid(&self) -> String {
        format!("{FULCIO_ARC}.{}", self.arc)
    }
}

/// Everything identity-related that goes into a leaf certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertIdentity {
    /// The one SAN.
    pub san: SubjectAltName,
    /// Sigstore extensions in the order they are written. Always includes arcs 1 and 8
    /// (the issuer, raw and DER) so that every real verifier finds the issuer.
    pub extensions: Vec<FulcioExtension>,
}

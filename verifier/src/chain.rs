//! Certificate-chain verification of a Fulcio leaf at a given time (PROTOCOL.md §3.1,
//! §3.2, §8.1 step 1, §8.2 step 3).
//!
//! The path is built only from the trusted root: the leaf, then one trusted CA's
//! `certChain` (intermediates, then the root). Certificates a bundle carries besides its
//! leaf are never used to build the path (protobuf-specs `VerificationMaterial`: verifiers
//! may consider them untrusted); [`check_bundle_chain_excludes_roots`] rejects a bundle
//! chain that carries a root.
//!
//! The time is the signing time the caller established (an integrated time with its SET,
//! or an RFC 3161 timestamp), never the wall clock: a Fulcio leaf lives ten minutes, so a
//! verification "now" always fails.
//!
//! Checks, and the [`CertFailure`] each reports: every certificate parses, has no
//! duplicate or unknown critical extension and is valid at the time (RFC 5280 §4.1.2.5,
//! both ends inclusive); each certificate's issuer name equals the next one's subject and
//! its signature verifies with the next one's key (ECDSA P-256/P-384/P-521 with SHA-2, RSA
//! PKCS#1 v1.5 with SHA-2; the root is the trust anchor and its self-signature is not
//! checked); every CA has basicConstraints CA:TRUE marked critical, keyUsage keyCertSign, a
//! pathLenConstraint (if any) not exceeded, and an extKeyUsage (if any) allowing code
//! signing; the trusted CA's `validFor` window (if given) contains the time. The leaf
//! (§3.1, §8.1 step 3): keyUsage digitalSignature without keyCertSign, extKeyUsage
//! codeSigning, not a CA.

use std::time::SystemTime;

use x509_cert::der::Decode as _;

pub(crate) mod checks; // pub(crate): the TSA chain (`crate::tsa`) reuses the per-certificate checks

use checks::{
    check_ca, check_extensions, check_leaf, check_signed_by, check_validity, is_self_issued,
};
pub use checks::{CertFailure, CertRole};

pub use crate::common::ValidityPeriod;

/// Why a leaf does not chain to a trusted CA at the given time.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// One certificate failed one check.
    #[error("{role}: {failure}")]
    Certificate {
        /// Which certificate.
        role: CertRole,
        /// Which check, and why.
        failure: CertFailure,
    },
    /// A trusted CA with an empty `certChain`.
    #[error("trusted CA has an empty certificate chain")]
    EmptyCaChain,
    /// No trusted CA was given.
    #[error("no trusted CA to verify against")]
    NoTrustedCa,
    /// No trusted CA's first certificate is named as the leaf's issuer.
    #[error("no trusted CA has the leaf's issuer name {issuer}")]
    UnknownIssuer {
        /// The leaf's issuer name (RFC 4514).
        issuer: String,
    },
    /// The trusted CA's `validFor` window does not contain the time.
    #[error("trusted CA {ca_index} is not valid at the signing time (validFor {window:?})")]
    CaOutsideValidFor {
        /// Index of the CA in the list given.
        ca_index: usize,
        /// Its window.
        window: ValidityPeriod,
    },
    /// Several trusted CAs carry the leaf's issuer name and none verifies it.
    #[error("no trusted CA verifies the leaf: {}", list(failures))]
    NoCaVerifies {
        /// Each candidate CA's index and its failure.
        failures: Vec<(usize, ChainError)>,
    },
    /// A bundle's certificate chain contains a root (self-signed or trusted) certificate;
    /// signers must not include one (protobuf-specs `VerificationMaterial`).
    #[error("bundle certificate {index} is a root CA certificate")]
    RootInBundle {
        /// Its position in the bundle chain (0 = the leaf).
        index: usize,
    },
}

fn list(failures: &[(usize, ChainError)]) -> String {
    let parts: Vec<String> = failures
        .iter()
        .map(|(i, e)| format!("CA {i}: {e}"))
        .collect();
    parts.join("; ")
}

fn cert_error(role: CertRole, failure: CertFailure) -> ChainError {
    ChainError::Certificate { role, failure }
}

/// A certificate kept with its DER.
#[derive(Clone, Debug)]
struct Parsed {
    der: Vec<u8>,
    cert: x509_cert::Certificate,
}

impl Parsed {
    fn new(der: &[u8], role: CertRole) -> Result<Self, ChainError> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| cert_error(role, CertFailure::Malformed(e)))?;
        Ok(Self {
            der: der.to_vec(),
            cert,
        })
    }
}

/// One trusted certificate authority, as a trusted root's `certificateAuthorities[]`
/// entry: its `certChain` (intermediates first, the root last) and `validFor`.
#[derive(Clone, Debug)]
pub struct TrustedCa {
    chain: Vec<Parsed>,
    valid_for: Option<ValidityPeriod>,
    /// Whether every certificate of `chain` is signed by the next one, checked once
    /// here: signatures do not depend on the time, so per-leaf verification checks only
    /// the leaf's. When false, [`verify_chain`] re-checks to report which link fails.
    links_verified: bool,
}

impl TrustedCa {
    /// Parses a CA chain, DER certificates ordered from the one issuing leaves to the root.
    ///
    /// # Errors
    /// [`ChainError::EmptyCaChain`], or [`CertFailure::Malformed`] naming the certificate.
    pub fn new<C: AsRef<[u8]>>(
        cert_chain: &[C],
        valid_for: Option<ValidityPeriod>,
    ) -> Result<Self, ChainError> {
        if cert_chain.is_empty() {
            return Err(ChainError::EmptyCaChain);
        }
        let n = cert_chain.len();
        let chain = cert_chain
            .iter()
            .enumerate()
            .map(|(i, der)| Parsed::new(der.as_ref(), CertRole::in_ca_chain(i, n)))
            .collect::<Result<Vec<Parsed>, _>>()?;
        let links_verified = chain
            .windows(2)
            .all(|w| check_signed_by(&w[0].cert, &w[0].der, &w[1].cert).is_ok());
        Ok(Self {
            chain,
            valid_for,
            links_verified,
        })
    }

    /// The root (last) certificate's DER.
    #[must_use]
    pub fn root_der(&self) -> &[u8] {
        self.chain.last().map_or(&[], |p| p.der.as_slice())
    }
}

/// A leaf that chains to a trusted CA at the given time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedChain {
    /// Index, in the list given to [`verify_chain`], of the CA the leaf chains to.
    pub ca_index: usize,
    /// The path as DER: the leaf, then the CA chain up to and including the root.
    pub path: Vec<Vec<u8>>,
}

impl VerifiedChain {
    /// The leaf's DER.
    #[must_use]
    pub fn leaf_der(&self) -> &[u8] {
        self.path.first().map_or(&[], Vec::as_slice)
    }

    /// The DER of the certificate that issued the leaf: whose key hash an embedded SCT
    /// signs ([`crate::sct::verify_embedded_scts`]).
    #[must_use]
    pub fn issuer_der(&self) -> &[u8] {
        self.path.get(1).map_or(&[], Vec::as_slice)
    }
}

/// Verifies that `leaf_der` is a Fulcio code-signing leaf chaining to one of `cas` at time
/// `at` (the established signing time). The module documentation lists the checks.
///
/// The trusted CAs whose first certificate is named as the leaf's issuer are tried in
/// order; the first that verifies wins.
///
/// # Errors
/// [`ChainError::Certificate`] for a leaf that fails its own checks, or the failure of the
/// one candidate CA; [`ChainError::NoCaVerifies`] with each failure when several were
/// tried; [`ChainError::UnknownIssuer`] or [`ChainError::NoTrustedCa`] when none could be.
pub fn verify_chain(
    leaf_der: &[u8],
    cas: &[TrustedCa],
    at: SystemTime,
) -> Result<VerifiedChain, ChainError> {
    let leaf = Parsed::new(leaf_der, CertRole::Leaf)?;
    check_leaf(&leaf.cert).map_err(|f| cert_error(CertRole::Leaf, f))?;
    if cas.is_empty() {
        return Err(ChainError::NoTrustedCa);
    }
    let issuer = &leaf.cert.tbs_certificate.issuer;
    let mut failures = Vec::new();
    for (ca_index, ca) in cas.iter().enumerate() {
        let Some(first) = ca.chain.first() else {
            continue;
        };
        if first.cert.tbs_certificate.subject != *issuer {
            continue;
        }
        match verify_path(&leaf, ca, ca_index, at) {
            Ok(()) => {
                let mut path = vec![leaf.der.clone()];
                path.extend(ca.chain.iter().map(|p| p.der.clone()));
                return Ok(VerifiedChain { ca_index, path });
            }
            Err(e) => failures.push((ca_index, e)),
        }
    }
    match failures.len() {
        0 => Err(ChainError::UnknownIssuer {
            issuer: issuer.to_string(),
        }),
        1 => Err(failures.remove(0).1),
        _ => Err(ChainError::NoCaVerifies { failures }),
    }
}

/// A leaf's validity window (RFC 5280 §4.1.2.5), read once so that the time checks of a
/// certificate already verified need not parse it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeafValidity {
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
}

impl LeafValidity {
    /// The validity of the leaf `leaf_der`.
    ///
    /// # Errors
    /// [`CertFailure::Malformed`] for a leaf that does not parse.
    pub fn of(leaf_der: &[u8]) -> Result<Self, ChainError> {
        let leaf = Parsed::new(leaf_der, CertRole::Leaf)?;
        let validity = &leaf.cert.tbs_certificate.validity;
        Ok(Self {
            not_before: validity.not_before.to_system_time(),
            not_after: validity.not_after.to_system_time(),
        })
    }
}

/// The time-dependent part of [`verify_chain`] alone, for a leaf that already verified
/// under `cas[ca_index]` at another time: the leaf and every CA certificate valid at `at`,
/// and the trusted CA's `validFor` containing it. Signatures and profiles do not depend
/// on the time, so an auditor re-verifying many entries signed with one certificate
/// checks them once per certificate and this once per entry.
///
/// # Errors
/// [`ChainError::Certificate`] (not valid at `at`), [`ChainError::CaOutsideValidFor`], or
/// [`ChainError::NoTrustedCa`] for an index out of range.
pub fn check_chain_times(
    leaf_der: &[u8],
    cas: &[TrustedCa],
    ca_index: usize,
    at: SystemTime,
) -> Result<(), ChainError> {
    check_chain_times_of(LeafValidity::of(leaf_der)?, cas, ca_index, at)
}

/// [`check_chain_times`] with the leaf's validity already read ([`LeafValidity::of`]).
///
/// # Errors
/// As [`check_chain_times`].
pub fn check_chain_times_of(
    leaf: LeafValidity,
    cas: &[TrustedCa],
    ca_index: usize,
    at: SystemTime,
) -> Result<(), ChainError> {
    let ca = cas.get(ca_index).ok_or(ChainError::NoTrustedCa)?;
    if let Some(window) = ca.valid_for.filter(|w| !w.contains(at)) {
        return Err(ChainError::CaOutsideValidFor { ca_index, window });
    }
    if at < leaf.not_before || at > leaf.not_after {
        return Err(cert_error(
            CertRole::Leaf,
            CertFailure::NotValidAt {
                at,
                not_before: leaf.not_before,
                not_after: leaf.not_after,
            },
        ));
    }
    let n = ca.chain.len();
    for (i, ca_cert) in ca.chain.iter().enumerate() {
        check_validity(&ca_cert.cert, at)
            .map_err(|f| cert_error(CertRole::in_ca_chain(i, n), f))?;
    }
    Ok(())
}

/// Which trusted CA signed a precertificate (RFC 6962 §3.1), as an auditor reads a CT
/// log: the CA whose first certificate is named as issuer and whose key verifies the
/// precertificate's signature. Only the signature is checked: a precertificate carries the
/// critical poison extension, so the leaf profile does not apply, and the final
/// certificate's own checks happen where it is used. Returns the CA's index and the
/// issuing certificate's DER (whose key hash the CT leaf must name).
///
/// # Errors
/// [`ChainError::Certificate`] for a malformed precertificate or a bad signature;
/// [`ChainError::UnknownIssuer`] or [`ChainError::NoTrustedCa`] when no CA is named.
pub fn verify_precertificate_signature<'a>(
    precert_der: &[u8],
    cas: &'a [TrustedCa],
) -> Result<(usize, &'a [u8]), ChainError> {
    let precert = Parsed::new(precert_der, CertRole::Leaf)?;
    if cas.is_empty() {
        return Err(ChainError::NoTrustedCa);
    }
    let issuer = &precert.cert.tbs_certificate.issuer;
    let mut failure = None;
    for (ca_index, ca) in cas.iter().enumerate() {
        let Some(first) = ca.chain.first() else {
            continue;
        };
        if first.cert.tbs_certificate.subject != *issuer {
            continue;
        }
        match check_signed_by(&precert.cert, &precert.der, &first.cert) {
            Ok(()) => return Ok((ca_index, &first.der)),
            Err(f) => failure = Some(cert_error(CertRole::Leaf, f)),
        }
    }
    Err(failure.unwrap_or(ChainError::UnknownIssuer {
        issuer: issuer.to_string(),
    }))
}

/// The path leaf → `ca.chain[0]` → … → root at `at`.
fn verify_path(
    leaf: &Parsed,
    ca: &TrustedCa,
    ca_index: usize,
    at: SystemTime,
) -> Result<(), ChainError> {
    if let Some(window) = ca.valid_for.filter(|w| !w.contains(at)) {
        return Err(ChainError::CaOutsideValidFor { ca_index, window });
    }
    let n = ca.chain.len();
    check_validity(&leaf.cert, at).map_err(|f| cert_error(CertRole::Leaf, f))?;
    for (i, ca_cert) in ca.chain.iter().enumerate() {
        let role = CertRole::in_ca_chain(i, n);
        check_extensions(&ca_cert.cert)
            .and_then(|()| check_validity(&ca_cert.cert, at))
            .map_err(|f| cert_error(role, f))?;
    }
    // Non-self-issued intermediates between the current CA and the leaf (RFC 5280
    // §6.1.4 (l), (m)): what a pathLenConstraint limits.
    let mut intermediates_below = 0usize;
    let mut subject = (CertRole::Leaf, leaf);
    for (i, issuer) in ca.chain.iter().enumerate() {
        let role = CertRole::in_ca_chain(i, n);
        // The leaf's signature always; the CA chain's own links only if they were not
        // all verified when the trusted CA was prepared (then to say which one fails).
        if i == 0 || !ca.links_verified {
            check_signed_by(&subject.1.cert, &subject.1.der, &issuer.cert)
                .map_err(|f| cert_error(subject.0, f))?;
        }
        if i > 0 && !is_self_issued(&subject.1.cert) {
            intermediates_below += 1;
        }
        check_ca(&issuer.cert, intermediates_below).map_err(|f| cert_error(role, f))?;
        subject = (role, issuer);
    }
    // The last issuer is the root: the trust anchor, whose self-signature is not checked.
    Ok(())
}

/// Checks that a bundle's certificate chain (`x509CertificateChain`, leaf first) carries
/// no root: no certificate that is self-signed or equal to a trusted CA's root. Signers
/// must not include roots (protobuf-specs `VerificationMaterial`); the path is built from
/// the trusted root only, so this is a conformance check on the bundle.
///
/// Note: some old v0.1 bundles (sigstore-js 1.x, in the sigstore-go vectors) include the
/// root and fail this check.
///
/// # Errors
/// [`ChainError::RootInBundle`], or [`CertFailure::Malformed`] for a certificate that does
/// not parse.
pub fn check_bundle_chain_excludes_roots<C: AsRef<[u8]>>(
    bundle_chain: &[C],
    cas: &[TrustedCa],
) -> Result<(), ChainError> {
    for (index, der) in bundle_chain.iter().enumerate() {
        let der = der.as_ref();
        let role = if index == 0 {
            CertRole::Leaf
        } else {
            CertRole::Bundle(index)
        };
        let parsed = Parsed::new(der, role)?;
        let trusted_root = cas.iter().any(|ca| ca.root_der() == der);
        let self_signed = is_self_issued(&parsed.cert)
            && check_signed_by(&parsed.cert, der, &parsed.cert).is_ok();
        if trusted_root || self_signed {
            return Err(ChainError::RootInBundle { index });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn window_ends_are_inclusive() {
        let t = |s| UNIX_EPOCH + Duration::from_secs(s);
        let closed = ValidityPeriod {
            start: t(10),
            end: Some(t(20)),
        };
        assert!(!closed.contains(t(9)));
        assert!(closed.contains(t(10)) && closed.contains(t(20)));
        assert!(!closed.contains(t(20) + Duration::from_millis(1)));
        let open = ValidityPeriod {
            start: t(10),
            end: None,
        };
        assert!(open.contains(t(u64::from(u32::MAX))) && !open.contains(t(9)));
    }

    #[test]
    fn roles_name_the_certificate() {
        assert_eq!(CertRole::in_ca_chain(0, 1), CertRole::Root);
        assert_eq!(CertRole::in_ca_chain(0, 3), CertRole::Intermediate(1));
        assert_eq!(CertRole::in_ca_chain(1, 3), CertRole::Intermediate(2));
        assert_eq!(CertRole::in_ca_chain(2, 3), CertRole::Root);
        let e = cert_error(CertRole::Intermediate(2), CertFailure::SignatureInvalid);
        assert_eq!(
            e.to_string(),
            "intermediate certificate 2: signature does not verify with the issuer's public key"
        );
    }

    #[test]
    fn empty_and_malformed_input_is_refused() {
        assert!(matches!(
            TrustedCa::new::<Vec<u8>>(&[], None),
            Err(ChainError::EmptyCaChain)
        ));
        assert!(matches!(
            TrustedCa::new(&[[0x30, 0x00]], None),
            Err(ChainError::Certificate {
                role: CertRole::Root,
                failure: CertFailure::Malformed(_)
            })
        ));
        assert!(matches!(
            verify_chain(b"not a certificate", &[], UNIX_EPOCH),
            Err(ChainError::Certificate {
                role: CertRole::Leaf,
                failure: CertFailure::Malformed(_)
            })
        ));
    }
}

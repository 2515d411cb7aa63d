//! Step 9: the authority's chain, TSA leaf → intermediates → root, at genTime.

use std::time::SystemTime;

use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::Certificate;

use super::{role, TimestampError};
use crate::chain::checks::{
    check_extensions, check_signed_by, check_validity, extension, is_self_issued,
};
use crate::chain::{CertFailure, CertRole};

// RFC 3161 §2.3 / RFC 5280 §4.2.1.12: id-kp-timeStamping; anyExtendedKeyUsage.
const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const ANY_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// `chain` (parsed) and `ders` (the same certificates as DER) verify at `at`: every
/// certificate's own checks, each signed by the next (the root is the trust anchor), each
/// CA a time-stamping CA, and the leaf a TSA leaf.
pub(super) fn check<D: AsRef<[u8]>>(
    chain: &[Certificate],
    ders: &[D],
    at: SystemTime,
) -> Result<(), TimestampError> {
    let n = chain.len();
    let fail = |i: usize| {
        move |failure: CertFailure| TimestampError::Certificate {
            role: role(i, n),
            failure,
        }
    };
    for (i, cert) in chain.iter().enumerate() {
        check_extensions(cert).map_err(fail(i))?;
        check_validity(cert, at).map_err(fail(i))?;
        if let (Some(issuer), Some(der)) = (chain.get(i + 1), ders.get(i)) {
            check_signed_by(cert, der.as_ref(), issuer).map_err(fail(i))?;
        }
        if i > 0 {
            // Non-self-issued intermediates between this CA and the leaf (RFC 5280 §6.1.4).
            let below = chain[1..i].iter().filter(|c| !is_self_issued(c)).count();
            check_ca(cert, below, role(i, n))?;
        }
    }
    match chain.first() {
        Some(leaf) => check_tsa_leaf(leaf),
        None => Err(TimestampError::AuthorityChainTooShort { len: 0 }),
    }
}

/// A CA of a TSA chain: basicConstraints CA:TRUE, critical, pathLenConstraint honoured;
/// keyUsage keyCertSign; an extKeyUsage, if any, allowing time stamping (as Go's
/// `x509.Verify` with `ExtKeyUsageTimeStamping`, used by sigstore-go).
fn check_ca(
    cert: &Certificate,
    intermediates_below: usize,
    role: CertRole,
) -> Result<(), TimestampError> {
    let fail = |failure| TimestampError::Certificate { role, failure };
    let Some((critical, bc)) = extension::<BasicConstraints>(cert).map_err(fail)? else {
        return Err(fail(CertFailure::NotCa));
    };
    if !bc.ca {
        return Err(fail(CertFailure::NotCa));
    }
    if !critical {
        return Err(fail(CertFailure::BasicConstraintsNotCritical));
    }
    if let Some(path_len) = bc.path_len_constraint {
        if intermediates_below > usize::from(path_len) {
            return Err(fail(CertFailure::PathLengthExceeded {
                path_len,
                intermediates_below,
            }));
        }
    }
    let Some((_, ku)) = extension::<KeyUsage>(cert).map_err(fail)? else {
        return Err(fail(CertFailure::KeyUsageMissing));
    };
    if !ku.0.contains(KeyUsages::KeyCertSign) {
        return Err(fail(CertFailure::KeyCertSignMissing));
    }
    if let Some((_, eku)) = extension::<ExtendedKeyUsage>(cert).map_err(fail)? {
        if !eku.0.iter().any(|p| *p == TIME_STAMPING || *p == ANY_EKU) {
            return Err(TimestampError::CaTimestampingNotAllowed { role });
        }
    }
    Ok(())
}

/// RFC 3161 §2.3: "The corresponding certificate MUST contain only one instance of the
/// extended key usage field extension ... with KeyPurposeID having value:
/// id-kp-timeStamping. This extension MUST be critical."
fn check_tsa_leaf(leaf: &Certificate) -> Result<(), TimestampError> {
    let eku =
        extension::<ExtendedKeyUsage>(leaf).map_err(|failure| TimestampError::Certificate {
            role: CertRole::Leaf,
            failure,
        })?;
    let Some((critical, eku)) = eku else {
        return Err(TimestampError::TimestampingEkuMissing);
    };
    if eku.0.as_slice() != [TIME_STAMPING] {
        return Err(TimestampError::TimestampingEkuNotSole { found: eku.0 });
    }
    if !critical {
        return Err(TimestampError::TimestampingEkuNotCritical);
    }
    Ok(())
}

//! RFC 3161 `TimeStampResp` (`signet_verifier::tsa::verify_rfc3161`: status, CMS
//! SignedData, TSTInfo, message imprint, signed attributes, signer and chain at `genTime`,
//! EKU, `validFor`) against the timestamp authorities of every trusted root, over each
//! signature a timestamp of the vectors covers. Input: the DER response. Seeds: every
//! RFC 3161 timestamp of the vectors (the TSA test bundles, the Rekor v2 bundles,
//! sigstore-python's issue-1482 response).
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_fuzz::fixtures::{ROOTS, TIMESTAMPED_SIGNATURES};
use signet_verifier::tsa::verify_rfc3161;

fuzz_target!(|data: &[u8]| {
    for signed in TIMESTAMPED_SIGNATURES.iter() {
        // The roots that have timestamp authorities (the response is parsed before any
        // authority is tried, so the others would only repeat that).
        for root in ROOTS.iter() {
            let authorities = &root.verifier.trusted_root().timestamp_authorities;
            if !authorities.is_empty() {
                let _ = verify_rfc3161(data, signed, authorities);
            }
        }
    }
});

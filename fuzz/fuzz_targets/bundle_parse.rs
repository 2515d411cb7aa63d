//! Sigstore bundle JSON (v0.1–v0.3): `signet_verifier::bundle::Bundle::from_json`, what
//! `signet verify` runs on a bundle file before anything else. Input: the bundle bytes.
//! Seeds: every bundle of the vectors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_verifier::bundle::Bundle;

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_json(data) else {
        return;
    };
    // The accessors the verifier uses on every parsed bundle.
    let _ = bundle.leaf_certificate();
    let _ = bundle.signature();
    // Parsing is a function of the bytes alone.
    assert_eq!(Bundle::from_json(data).ok().as_ref(), Some(&bundle));
});

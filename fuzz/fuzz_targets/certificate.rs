//! X.509 certificates from outside: a bundle's leaf, a submitted Rekor certificate, a CT
//! log's precertificate. Every parser that takes one:
//!
//! * verifier: `identity::signer_identity` (SAN, OIDC issuer), `chain::verify_chain`
//!   against each trusted root's CAs at the leaf's own notBefore, `sct::verify_embedded_scts`
//!   with each CA's issuer and the CT keys, `chain::verify_precertificate_signature`,
//!   `chain::check_bundle_chain_excludes_roots`, `chain::TrustedCa::new`;
//! * signet-rekor: `SubmittedKey::from_certificate_der`, `from_spki_der` and `from_pem`
//!   (a PEM chain; its canonical PEM must read back the same);
//! * signet-ca-core: `profile::precert_tbs_from_final`, `precert_tbs_from_precert`,
//!   `IssuerCertificate::from_der`, `sct::parse_sct_list_extension_value`,
//!   `sct::parse_merkle_tree_leaf` (CT leaves), `sth::DigitallySigned::from_bytes`.
//!
//! Input: the bytes (DER, or PEM for `from_pem`). Seeds: every certificate of the vectors
//! (bundle leaves and chains, trusted-root CAs, the bogus x509 chains), PEM and DER.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use signet_ca_core::profile::{
    precert_tbs_from_final, precert_tbs_from_precert, IssuerCertificate,
};
use signet_ca_core::sct::{parse_merkle_tree_leaf, parse_sct_list_extension_value};
use signet_ca_core::sth::DigitallySigned;
use signet_fuzz::fixtures::{self, ROOTS};
use signet_rekor::pki::SubmittedKey;
use signet_verifier::chain::{
    check_bundle_chain_excludes_roots, verify_chain, verify_precertificate_signature, TrustedCa,
};
use signet_verifier::identity::signer_identity;
use signet_verifier::sct::verify_embedded_scts;
use x509_cert::der::Decode;

fuzz_target!(|data: &[u8]| {
    // The leaf's own notBefore (+1 s), where a genuine leaf verifies; else the clock.
    let at = x509_cert::Certificate::from_der(data)
        .ok()
        .map(|c| c.tbs_certificate.validity.not_before.to_unix_duration())
        .map_or_else(fixtures::now, |d| UNIX_EPOCH + d + Duration::from_secs(1));

    let _ = signer_identity(data);
    for root in ROOTS.iter() {
        if let Ok(chain) = verify_chain(data, &root.cas, at) {
            let _ = verify_embedded_scts(data, chain.issuer_der(), &root.ct_keys);
        }
        let _ = verify_precertificate_signature(data, &root.cas);
        let _ = check_bundle_chain_excludes_roots(&[data], &root.cas);
    }
    let _ = TrustedCa::new(&[data], None);

    let _ = SubmittedKey::from_certificate_der(data);
    let _ = SubmittedKey::from_spki_der(data);
    if let Ok(key) = SubmittedKey::from_pem(data) {
        let _ = key.subjects();
        let canonical = key.canonical_pem();
        let again = SubmittedKey::from_pem(&canonical).expect("canonical PEM parses");
        assert_eq!(
            again.canonical_pem(),
            canonical,
            "canonical PEM is not a fixed point"
        );
    }

    let _ = precert_tbs_from_final(data);
    let _ = precert_tbs_from_precert(data);
    let _ = IssuerCertificate::from_der(data);
    let _ = parse_sct_list_extension_value(data);
    let _ = parse_merkle_tree_leaf(data);
    let _ = DigitallySigned::from_bytes(data);
});

//! The key material of a Fulcio signing request (`signet_ca_core::request`): a PKCS#10
//! CSR, PEM or DER (`parse_csr`: caps, PEM, strict DER, key strength, self-signature), a
//! public key (`CheckedPublicKey::from_spki_der`) and the proof of possession
//! (`verify_proof_of_possession`: PEM `PUBLIC KEY` or DER, then the signature over the
//! challenge). Input: `signature length: u16 BE`, the signature, then the CSR or key
//! bytes (the PoP check gets the signature and the challenge `fixtures::POP_CHALLENGE`;
//! the CSR and SPKI parsers get the key bytes). Seeds: CSRs and keys made with openssl
//! (P-256, P-384, RSA, Ed25519) with their PoP signatures, and the SPKIs of the vectors'
//! certificates (`seeds.py`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use signet_ca_core::request::{parse_csr, verify_proof_of_possession, CheckedPublicKey};
use signet_fuzz::fixtures::POP_CHALLENGE;
use signet_fuzz::frame::take_u16;

fuzz_target!(|data: &[u8]| {
    let (sig_len, rest) = take_u16(data);
    let (signature, key) = rest.split_at(usize::from(sig_len).min(rest.len()));
    let _ = parse_csr(key);
    let _ = CheckedPublicKey::from_spki_der(key);
    let _ = verify_proof_of_possession(key, POP_CHALLENGE, signature);
});

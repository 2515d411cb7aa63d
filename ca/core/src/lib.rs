//! Pure certificate-authority logic for Signet (no I/O, no async runtime, no HSM):
//! what goes into a certificate, how precertificates and embedded SCTs are built and
//! checked (RFC 6962), and how the key material of a request is checked.
//!
//! * [`request`]: CSR and proof-of-possession checks, key strength (PROTOCOL.md §2.1, §2.2);
//! * [`san`]: the identity a leaf carries (§3.3, §3.4);
//! * [`profile`]: CA certificates for the key ceremony (§3.2), leaf certificates (§3.1),
//!   precertificates and final certificates with embedded SCTs (§3.6);
//! * [`sct`]: RFC 6962 SCTs, SCT lists, precert signed data and Merkle leaves;
//! * [`sth`]: RFC 6962 signed tree heads (`get-sth`);
//! * [`signer`]: the CA key as something that signs ([`signer::CaSigner`]);
//! * [`dev_key`]: an in-memory CA key for development and tests only.
//!
//! `PROTOCOL.md` §2 (Fulcio v2) and §3 (certificate profile) are the reference.

pub mod dev_key;
mod pem;
pub mod profile;
pub mod request;
pub mod san;
pub mod sct;
pub mod signer;
pub mod sth;

pub use pem::PemError;

//! The CA key as the certificate code sees it: something that signs. The key itself
//! lives in an HSM (`signet-hsm`, PKCS#11) or, for development only, in software; this
//! crate never knows which.

/// Signature algorithms a Signet CA key may use. Ed25519 is deliberately absent:
/// sigstore-python rejects Ed25519 CA keys (PROTOCOL.md §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CaAlgorithm {
    /// ECDSA over P-256 with SHA-256 (`ecdsa-with-SHA256`).
    EcdsaP256Sha256,
    /// ECDSA over P-384 with SHA-384 (`ecdsa-with-SHA384`).
    EcdsaP384Sha384,
}

/// Why a signing operation failed.
#[derive(Debug, thiserror::Error)]
#[error("CA signing failed: {reason}")]
pub struct SignError {
    /// What the key holder reported.
    pub reason: String,
}

/// Where a signer's work happens, which tells async callers where to run [`CaSigner::sign`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignerLatency {
    /// A computation in this process of some tens of microseconds (a software key):
    /// cheaper to run in place than to hand to another thread.
    InProcess,
    /// A round trip to a device or service that may block (an HSM through PKCS#11): run it
    /// off the async runtime's threads.
    MayBlock,
}

/// A CA signing key.
///
/// `sign` takes the whole message (e.g. a DER TBSCertificate) and hashes it with the
/// algorithm's hash itself; it returns an ASN.1 DER `ECDSA-Sig-Value`. Implementations
/// may block (an HSM round trip): callers on an async runtime run them off its threads
/// unless [`CaSigner::latency`] says the work is in-process.
pub trait CaSigner: Send + Sync {
    /// The signature algorithm.
    fn algorithm(&self) -> CaAlgorithm;
    /// The key's public half as a DER SubjectPublicKeyInfo.
    fn public_key_der(&self) -> &[u8];
    /// Signs `message`, returning a DER ECDSA signature.
    ///
    /// # Errors
    /// [`SignError`] when the key holder refuses or fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
    /// Where the signing work happens. Defaults to [`SignerLatency::MayBlock`], the safe
    /// answer for any key holder outside this process.
    fn latency(&self) -> SignerLatency {
        SignerLatency::MayBlock
    }
}

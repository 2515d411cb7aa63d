//! The one verification path: a bundle is valid only if [`Verifier::verify`] returns
//! `Ok`, and it returns `Ok` only after every required step passed (PROTOCOL.md §8).
//!
//! Steps, in order, each with its own error ([`VerifyError`] names the step):
//!
//! 1. **Signer material** fits the policy: a certificate for an identity policy (no root
//!    in a v0.1/v0.2 chain), a key hint for a managed key.
//! 2. **Log entry** ([`tlog`]): exactly one; a trusted log by `logId`; the body is the
//!    kind `kindVersion` names; RFC 9162 inclusion under the proof's root; a checkpoint
//!    signed by that log with the same size and root; the signed entry timestamp, if
//!    any, by the log's key; its integrated time not in the future and inside the log
//!    key's validity.
//! 3. **Timestamps** ([`crate::tsa`]): every RFC 3161 timestamp verifies against the
//!    trusted timestamp authorities, over the bundle's signature.
//! 4. **Signing times**: the SET's integrated time and the timestamps' `genTime`s. At
//!    least one is required for a certificate: an integrated time without a signed source
//!    is never used, and "now" never is.
//! 5. **Certificate** at every signing time: chain to a trusted CA (valid then), profile
//!    (KU, EKU), embedded SCT from a trusted CT log, identity and issuer against policy.
//! 6. **Signature** ([`content`]): over the artefact's digest, or over DSSE PAE with the
//!    artefact's digest among the in-toto subjects.
//! 7. **Binding** ([`body`]): the log entry records this signature, this certificate or
//!    key, and this digest.

pub(crate) mod body;
pub(crate) mod content;
pub(crate) mod error;
pub(crate) mod log_key;
pub(crate) mod memo;
pub(crate) mod tlog;

use std::time::SystemTime;

use signet_rekor::pki::SubmittedKey;

pub use content::IN_TOTO_PAYLOAD_TYPE;
pub use error::{BindingError, SignatureError, TlogError, VerifyError};
pub use memo::DEFAULT_MEMO_CAPACITY;
pub use tlog::INTEGRATED_TIME_CLOCK_SKEW;

use crate::{
    bundle::{Bundle, Content, Signer},
    chain::{self, TrustedCa},
    common::LogId,
    identity::{self, IdentityPolicy, SignerIdentity},
    sct::{self, CtLogKey},
    trusted_root::TrustedRoot,
    tsa,
};
use body::{Signed, SignerForm, SignerMaterial};
use log_key::LogKey;
use memo::Memo;

/// What was signed, as the verifier's caller knows it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Artifact<'a> {
    /// The artefact's bytes.
    Bytes(&'a [u8]),
    /// The artefact's SHA-256 digest (`sha256:<hex>` on the command line).
    Sha256([u8; 32]),
}

/// Who must have signed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SignerPolicy {
    /// A Fulcio certificate whose identity and issuer match.
    Identity(IdentityPolicy),
    /// A managed key (DER SubjectPublicKeyInfo); the bundle names it by a key hint.
    Key(Vec<u8>),
}

/// What a verified bundle proves.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedBundle {
    /// Every verified signing time: the SET's integrated time, then each RFC 3161
    /// `genTime`.
    pub signing_times: Vec<SystemTime>,
    /// The certificate's identity (`None` for a managed key).
    pub identity: Option<SignerIdentity>,
    /// The log that recorded the signature.
    pub log_id: LogId,
    /// The entry's index in that log.
    pub log_index: u64,
}

/// A trusted root prepared for verifying many bundles: CA chains parsed, CT and log keys
/// decoded once, and a bounded memo of time-independent facts already established (a
/// certificate's chain signatures and SCT, a checkpoint's signature; [`memo`]), so that
/// bundles sharing a certificate or a checkpoint do not repeat those signature checks.
/// Everything that depends on the bundle's signing time, artefact or the policy is
/// checked on every call. A `Verifier` may be shared between threads.
#[derive(Debug)]
pub struct Verifier {
    root: TrustedRoot,
    cas: Vec<TrustedCa>,
    ct_keys: Vec<CtLogKey>,
    /// One per `root.tlogs` entry; an unusable key fails only the bundles that use it.
    log_keys: Vec<Result<LogKey, String>>,
    memo: Memo,
}

impl Verifier {
    /// Prepares `root`.
    ///
    /// # Errors
    /// [`VerifyError::TrustedRoot`] for a CA chain or CT log key that cannot be used.
    pub fn new(root: TrustedRoot) -> Result<Self, VerifyError> {
        let cas = root
            .certificate_authorities
            .iter()
            .map(|ca| TrustedCa::new(&ca.cert_chain, Some(ca.valid_for)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| VerifyError::TrustedRoot(format!("certificate authority: {e}")))?;
        let ct_keys = root
            .ctlogs
            .iter()
            .map(|l| CtLogKey::new(*l.log_id.as_bytes(), &l.public_key, l.valid_for))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| VerifyError::TrustedRoot(format!("CT log: {e}")))?;
        let log_keys = root
            .tlogs
            .iter()
            .map(|l| LogKey::new(&l.public_key, l.key_details))
            .collect();
        Ok(Self {
            root,
            cas,
            ct_keys,
            log_keys,
            memo: Memo::new(DEFAULT_MEMO_CAPACITY),
        })
    }

    /// The same verifier remembering at most `capacity` facts ([`DEFAULT_MEMO_CAPACITY`]
    /// by default); 0 makes every verification do every signature check (benchmarks of
    /// the worst case, where no two bundles share a certificate or checkpoint).
    #[must_use]
    pub fn with_memo_capacity(self, capacity: usize) -> Self {
        Self {
            memo: Memo::new(capacity),
            ..self
        }
    }

    /// How many facts the memo holds now.
    #[must_use]
    pub fn memo_len(&self) -> usize {
        self.memo.len()
    }

    /// The trusted root this verifier was made from.
    #[must_use]
    pub fn trusted_root(&self) -> &TrustedRoot {
        &self.root
    }

    /// The prepared CAs, CT log keys and log keys (in trusted-root order), for the
    /// auditor ([`crate::audit`]), which checks log contents with the same steps.
    pub(crate) fn parts(&self) -> (&[TrustedCa], &[CtLogKey], &[Result<LogKey, String>]) {
        (&self.cas, &self.ct_keys, &self.log_keys)
    }

    /// Verifies `bundle` for `artifact` under `policy`. `now` is the verifier's clock,
    /// used only to reject integrated times in the future; certificates are checked at
    /// the signing times the bundle proves, never at `now`.
    ///
    /// # Errors
    /// The first failing step's [`VerifyError`].
    pub fn verify(
        &self,
        bundle: &Bundle,
        artifact: Artifact<'_>,
        policy: &SignerPolicy,
        now: SystemTime,
    ) -> Result<VerifiedBundle, VerifyError> {
        // 1. Signer material.
        let signer = self.signer_material(bundle, policy)?;
        let key = match &signer {
            SignerDer::Certificate(der) => SubmittedKey::from_certificate_der(der),
            SignerDer::Key(der) => SubmittedKey::from_spki_der(der),
        }
        .map_err(SignatureError::SignerKey)?;

        // 2. The log entry.
        let entries = &bundle.verification_material.tlog_entries;
        let [entry] = entries.as_slice() else {
            return Err(VerifyError::TlogEntryCount {
                count: entries.len(),
            });
        };
        let checked = tlog::check_entry(entry, &self.root, &self.log_keys, &self.memo, now)?;

        // 3. Timestamps.
        let mut signing_times: Vec<SystemTime> =
            checked.signed_integrated_time.into_iter().collect();
        for (index, response) in bundle
            .verification_material
            .rfc3161_timestamps
            .iter()
            .enumerate()
        {
            let verified = tsa::verify_rfc3161(
                response,
                bundle.signature(),
                &self.root.timestamp_authorities,
            )
            .map_err(|source| VerifyError::Timestamp { index, source })?;
            // The entry's log key must have been valid when the timestamp was made.
            self.root
                .tlog_at(&entry.log_id, verified.gen_time)
                .map_err(TlogError::LogKeyOutsideValidity)?;
            signing_times.push(verified.gen_time);
        }

        // 4–5. Signing times and the certificate at each.
        let identity = match &signer {
            SignerDer::Certificate(leaf) => {
                if signing_times.is_empty() {
                    return Err(VerifyError::NoSigningTime);
                }
                Some(self.check_certificate(leaf, &signing_times, policy)?)
            }
            SignerDer::Key(_) => None,
        };

        // 6. The signature over the artefact.
        let computed = content::check_content(&bundle.content, artifact, &key)?;

        // 7. The log entry records this signing event.
        let signed = match (&computed, &bundle.content) {
            (content::Computed::Message { algorithm, digest }, _) => Signed::Message {
                algorithm: *algorithm,
                digest,
                signature: bundle.signature(),
            },
            (content::Computed::Dsse { pae }, Content::Dsse(d)) => Signed::Dsse {
                pae,
                payload: &d.payload,
                signature: &d.signature,
            },
            (content::Computed::Dsse { .. }, Content::MessageSignature(_)) => {
                return Err(VerifyError::SignerMaterial(
                    "internal: DSSE result for a message signature",
                ))
            }
        };
        let material = match &signer {
            SignerDer::Certificate(der) => SignerMaterial {
                key: &key,
                der,
                form: SignerForm::Certificate,
            },
            SignerDer::Key(der) => SignerMaterial {
                key: &key,
                der,
                form: SignerForm::PublicKey,
            },
        };
        body::bind(&checked.body, &signed, &material)?;

        Ok(VerifiedBundle {
            signing_times,
            identity,
            log_id: checked.log.log_id,
            log_index: entry.log_index,
        })
    }

    /// Step 1: the bundle's signer material as the policy requires.
    fn signer_material<'b>(
        &self,
        bundle: &'b Bundle,
        policy: &'b SignerPolicy,
    ) -> Result<SignerDer<'b>, VerifyError> {
        match (&bundle.verification_material.signer, policy) {
            (Signer::Certificate(der), SignerPolicy::Identity(_)) => {
                Ok(SignerDer::Certificate(der))
            }
            (Signer::CertificateChain(chain), SignerPolicy::Identity(_)) => {
                chain::check_bundle_chain_excludes_roots(chain, &self.cas)
                    .map_err(|e| VerifyError::BundleChain(Box::new(e)))?;
                chain
                    .first()
                    .map(|leaf| SignerDer::Certificate(leaf))
                    .ok_or(VerifyError::SignerMaterial("empty certificate chain"))
            }
            (Signer::PublicKeyHint(_), SignerPolicy::Identity(_)) => Err(
                VerifyError::SignerMaterial("the bundle is signed with a managed key, not a certificate; verify it with a key"),
            ),
            (Signer::PublicKeyHint(_), SignerPolicy::Key(spki)) => Ok(SignerDer::Key(spki)),
            (_, SignerPolicy::Key(_)) => Err(VerifyError::SignerMaterial(
                "the bundle is signed with a certificate, not a managed key; verify it with an identity",
            )),
        }
    }

    /// Step 5: chain at every signing time, SCT, identity.
    fn check_certificate(
        &self,
        leaf: &[u8],
        signing_times: &[SystemTime],
        policy: &SignerPolicy,
    ) -> Result<SignerIdentity, VerifyError> {
        let SignerPolicy::Identity(identity_policy) = policy else {
            return Err(VerifyError::SignerMaterial(
                "an identity policy is required",
            ));
        };
        if !self.certificate_known_valid_at(leaf, signing_times) {
            self.check_certificate_fully(leaf, signing_times)?;
        }
        Ok(identity::verify_identity(leaf, identity_policy)?)
    }

    /// Whether the memo knows `leaf` passed its time-independent checks and it, with the
    /// CA it chains to, is valid at every signing time. `false` sends the caller down the
    /// full path, which also reports the exact error.
    fn certificate_known_valid_at(&self, leaf: &[u8], signing_times: &[SystemTime]) -> bool {
        self.memo
            .certificate(leaf)
            .is_some_and(|(ca_index, validity)| {
                signing_times.iter().all(|&at| {
                    chain::check_chain_times_of(validity, &self.cas, ca_index, at).is_ok()
                })
            })
    }

    /// Chain at every signing time and the embedded SCT, every signature checked; on
    /// success the memo remembers the certificate.
    fn check_certificate_fully(
        &self,
        leaf: &[u8],
        signing_times: &[SystemTime],
    ) -> Result<(), VerifyError> {
        let mut issuer = None;
        for &at in signing_times {
            let verified =
                chain::verify_chain(leaf, &self.cas, at).map_err(|source| VerifyError::Chain {
                    at,
                    source: Box::new(source),
                })?;
            issuer.get_or_insert(verified);
        }
        let chain = issuer.ok_or(VerifyError::NoSigningTime)?;
        sct::verify_embedded_scts(leaf, chain.issuer_der(), &self.ct_keys)?;
        if let Ok(validity) = chain::LeafValidity::of(leaf) {
            self.memo
                .remember_certificate(leaf, chain.ca_index, validity);
        }
        Ok(())
    }
}

/// The signer as the bundle (or, for a managed key, the caller) gives it.
enum SignerDer<'a> {
    Certificate(&'a [u8]),
    Key(&'a [u8]),
}

//! One signing session: a token, where to sign, and the current certificate.
//!
//! Each signature goes: certificate (reused while at least [`MIN_VALIDITY_LEFT`] of it
//! remains, else a new key and certificate) → signature (over the artefact's SHA-256, or
//! over DSSE PAE) → log entry (hashedrekord or dsse 0.0.1, checked) → bundle v0.3,
//! parsed back by the verifier and, with a trusted root, verified for the identity the
//! certificate names ([`self_check`]) before it is handed out.

use std::time::{Duration, SystemTime};

use anyhow::{anyhow, Context as _, Result};
use aws_lc_rs::digest::Digest;
use base64::Engine as _;
use signet_verifier::verify::{Artifact, Verifier};

use super::{
    bundle::{self_check, BundleJson, DsseEnvelopeJson, DsseSignatureJson},
    ca_client::{request_certificate, Credential},
    config::{Endpoints, Target},
    http::Http,
    rekor::{self, Expected},
    token::IdentityToken,
};

/// A certificate is reused only while at least this much of its validity remains
/// (signing, logging and a verifier's clock skew must all fit in what is left).
pub const MIN_VALIDITY_LEFT: Duration = Duration::from_secs(30);

/// What one signature produced.
#[derive(Debug)]
pub struct Signed {
    /// The bundle JSON, checked by the verifier's parser.
    pub json: Vec<u8>,
    /// The entry's global index in the transparency log.
    pub log_index: u64,
}

/// A signing session (module documentation).
pub struct Signer {
    http: Http,
    token: IdentityToken,
    endpoints: Endpoints,
    root: Option<Trust>,
    credential: Option<Credential>,
    certificates: usize,
}

/// The trusted root, raw (for the log-answer checks) and prepared (for the self-check).
struct Trust {
    root: signet_verifier::trusted_root::TrustedRoot,
    verifier: Verifier,
}

/// What a DSSE signature is about, for the self-check: the verifier checks the payload
/// against an artefact digest among the statement's subjects.
#[derive(Clone, Copy, Debug)]
pub enum DsseSubject {
    /// A subject's SHA-256: the bundle is verified for it.
    Sha256([u8; 32]),
    /// No SHA-256 subject is known: only the bundle's shape is checked.
    NotKnown,
}

/// Whether the certificate (valid until `not_after`, `None` when there is none yet) must
/// be replaced at `now`: less than [`MIN_VALIDITY_LEFT`] remains.
fn renewal_due(not_after: Option<SystemTime>, now: SystemTime) -> bool {
    not_after.is_none_or(|end| {
        end.duration_since(now)
            .map_or(true, |left| left < MIN_VALIDITY_LEFT)
    })
}

impl Signer {
    /// A session signing with `token` at `target`.
    ///
    /// # Errors
    /// The trusted root has a CA or key the verifier cannot use.
    pub fn new(http: Http, token: IdentityToken, target: Target) -> Result<Self> {
        let root = match target.trusted_root {
            Some(root) => Some(Trust {
                verifier: Verifier::new(root.clone())
                    .map_err(|e| anyhow!("preparing the trusted root: {e}"))?,
                root,
            }),
            None => None,
        };
        Ok(Self {
            http,
            token,
            endpoints: target.endpoints,
            root,
            credential: None,
            certificates: 0,
        })
    }

    /// How many certificates this session requested.
    pub fn certificates_requested(&self) -> usize {
        self.certificates
    }

    /// The current credential, renewed when due.
    fn credential(&mut self) -> Result<&Credential> {
        let now = SystemTime::now();
        if renewal_due(self.credential.as_ref().map(Credential::not_after), now) {
            // The old key is dropped before a new one is made.
            self.credential = None;
            let fresh = request_certificate(&self.http, &self.endpoints, &self.token)?;
            self.certificates += 1;
            if renewal_due(Some(fresh.not_after()), now) {
                return Err(anyhow!(
                    "the CA at {} issued a certificate valid for less than {} s",
                    self.endpoints.ca,
                    MIN_VALIDITY_LEFT.as_secs()
                ));
            }
            self.credential = Some(fresh);
        }
        self.credential
            .as_ref()
            .ok_or_else(|| anyhow!("no signing certificate"))
    }

    /// Signs an artefact by its SHA-256 (prehashed ECDSA) and logs a hashedrekord entry.
    ///
    /// # Errors
    /// Any step's one-line error.
    pub fn sign_artifact(&mut self, sha256: &Digest) -> Result<Signed> {
        self.credential()?;
        let credential = self.session_credential()?;
        let signature = credential.sign_digest(sha256)?;
        let proposal = signet_rekor::api::hashedrekord_proposal(
            &signature,
            credential.leaf_pem().as_bytes(),
            "sha256",
            sha256.as_ref(),
        );
        let expected = Expected::HashedRekord {
            sha256: sha256.as_ref(),
            signature: &signature,
        };
        let logged = rekor::record(
            &self.http,
            &self.endpoints,
            &proposal,
            expected,
            self.root.as_ref().map(|t| &t.root),
        )?;
        let bundle = BundleJson::message_signature(
            credential.leaf_der(),
            logged.to_bundle_entry()?,
            sha256.as_ref(),
            &signature,
        );
        let (json, parsed) = bundle.encode()?;
        if let Some(trust) = &self.root {
            let digest: [u8; 32] = sha256
                .as_ref()
                .try_into()
                .map_err(|_| anyhow!("the artefact digest is not SHA-256"))?;
            self_check(
                &trust.verifier,
                &parsed,
                credential.leaf_der(),
                Artifact::Sha256(digest),
                SystemTime::now(),
            )?;
        }
        Ok(Signed {
            json,
            log_index: logged.entry.log_index,
        })
    }

    /// Signs `payload` of `payload_type` as a DSSE envelope and logs a dsse entry.
    ///
    /// # Errors
    /// Any step's one-line error.
    pub fn sign_dsse(
        &mut self,
        payload_type: &str,
        payload: &[u8],
        subject: DsseSubject,
    ) -> Result<Signed> {
        self.credential()?;
        let credential = self.session_credential()?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let signature = credential.sign_message(&super::intoto::pae(payload_type, payload))?;
        let envelope = DsseEnvelopeJson {
            payload: b64.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: vec![DsseSignatureJson {
                sig: b64.encode(&signature),
            }],
        };
        // dsse 0.0.1 `ProposedEntry` (§4.1): the envelope as a JSON string, the leaf as
        // b64(PEM).
        let envelope_text =
            serde_json::to_string(&envelope).context("encoding the DSSE envelope")?;
        let proposal = serde_json::json!({
            "kind": "dsse",
            "apiVersion": "0.0.1",
            "spec": {
                "proposedContent": {
                    "envelope": envelope_text,
                    "verifiers": [b64.encode(credential.leaf_pem())]
                }
            }
        });
        let payload_sha256 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, payload);
        let expected = Expected::Dsse {
            payload_sha256: payload_sha256.as_ref(),
            signature: &signature,
        };
        let logged = rekor::record(
            &self.http,
            &self.endpoints,
            &proposal,
            expected,
            self.root.as_ref().map(|t| &t.root),
        )?;
        let bundle = BundleJson::dsse(credential.leaf_der(), logged.to_bundle_entry()?, envelope);
        let (json, parsed) = bundle.encode()?;
        if let (Some(trust), DsseSubject::Sha256(digest)) = (&self.root, subject) {
            self_check(
                &trust.verifier,
                &parsed,
                credential.leaf_der(),
                Artifact::Sha256(digest),
                SystemTime::now(),
            )?;
        }
        Ok(Signed {
            json,
            log_index: logged.entry.log_index,
        })
    }

    /// The credential [`Signer::credential`] made current (borrowed alongside the other
    /// fields).
    fn session_credential(&self) -> Result<&Credential> {
        self.credential
            .as_ref()
            .ok_or_else(|| anyhow!("no signing certificate"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_are_renewed_with_less_than_30_s_left() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let s = Duration::from_secs;
        assert!(renewal_due(None, now));
        assert!(!renewal_due(Some(now + s(600)), now));
        assert!(!renewal_due(Some(now + s(30)), now));
        assert!(renewal_due(Some(now + s(29)), now));
        assert!(renewal_due(Some(now), now));
        assert!(renewal_due(Some(now - s(1)), now));
    }
}

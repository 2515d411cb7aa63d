//! Issuing a certificate (PROTOCOL.md §2): the one domain function behind
//! `POST /api/v2/signingCert`, plus the two read endpoints' answers.
//!
//! Order of checks, cheapest and least trusting first: token present and within its size
//! cap → its (unverified) issuer is a configured one → signature, audience and times
//! (`signet-oidc`; only now is anything fetched, and only for a configured issuer) →
//! claims map to an identity of the issuer's type → the issuance policy allows it → the
//! key material (CSR self-signature, or proof of possession over the challenge claim,
//! and key strength) → precertificate signed by the CA key (off the async threads) →
//! logged in the CT log, SCT signed → final certificate with the SCT embedded.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use serde::Serialize;
use signet_ca_core::{
    profile::{self, LeafRequest},
    request::{self, CheckedPublicKey},
    san::CertIdentity,
    signer::{CaSigner, SignerLatency},
};
use signet_ca_identity::{map_identity, AllowedBy, Configuration, IdentitySummary, IssuerRegistry};
use signet_oidc::{peek_issuer, TokenVerifier};
use signet_tlog::ratelimit::{KeyedLimit, Rate};

use crate::{
    ct::{CtError, CtLog},
    error::CaError,
    keys::CaKeys,
    wire::{Chain, EmbeddedSct, SigningCertRequest, SigningCertificate, TrustBundle},
};

/// What is recorded beside each certificate's CT entry: who got it and which policy rule
/// allowed it (the issue's "recorded with the issuance").
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuanceRecord<'a> {
    /// The identity.
    pub identity: &'a IdentitySummary,
    /// The rule that allowed it.
    pub allowed_by: &'a AllowedBy,
    /// Unix seconds of notBefore.
    pub not_before: i64,
    /// Certificate lifetime, seconds.
    pub validity_secs: u64,
}

/// The certificate authority.
pub struct Ca {
    registry: IssuerRegistry,
    verifier: TokenVerifier,
    keys: CaKeys,
    ct: CtLog,
    validity: Duration,
    identity_limit: Option<KeyedLimit<String>>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field("keys", &self.keys)
            .field("ct", &self.ct)
            .finish_non_exhaustive()
    }
}

impl Ca {
    /// A CA issuing `validity`-long certificates (10 minutes by default,
    /// [`profile::DEFAULT_LEAF_VALIDITY`]).
    #[must_use]
    pub fn new(
        registry: IssuerRegistry,
        verifier: TokenVerifier,
        keys: CaKeys,
        ct: CtLog,
        validity: Duration,
    ) -> Self {
        Self {
            registry,
            verifier,
            keys,
            ct,
            validity,
            identity_limit: None,
        }
    }

    /// Limits how many certificates one identity (issuer and SAN, after the token
    /// verified) may obtain per period; beyond it [`CaError::RateLimited`] (429).
    #[must_use]
    pub fn with_identity_rate_limit(mut self, rate: Rate) -> Self {
        self.identity_limit = Some(KeyedLimit::new(rate));
        self
    }

    /// The loaded CA keys and chain.
    #[must_use]
    pub fn keys(&self) -> &CaKeys {
        &self.keys
    }

    /// The CT log.
    #[must_use]
    pub fn ct(&self) -> &CtLog {
        &self.ct
    }

    /// `GET /api/v2/trustBundle`.
    #[must_use]
    pub fn trust_bundle(&self) -> TrustBundle {
        TrustBundle {
            chains: vec![Chain {
                certificates: self.keys.chain_pem.clone(),
            }],
        }
    }

    /// `GET /api/v2/configuration`.
    #[must_use]
    pub fn configuration(&self) -> Configuration {
        self.registry.configuration()
    }

    /// `POST /api/v2/signingCert`: `bearer` is the `Authorization: Bearer` token, used
    /// only when the body carries none (§2.1).
    ///
    /// # Errors
    /// [`CaError`] naming the first check that failed; nothing is logged or issued then.
    pub async fn issue(
        &self,
        req: SigningCertRequest,
        bearer: Option<&str>,
    ) -> Result<SigningCertificate, CaError> {
        let body_token = req
            .credentials
            .as_ref()
            .and_then(|c| c.oidc_identity_token.as_deref())
            .filter(|t| !t.is_empty());
        let token = body_token
            .or(bearer.filter(|t| !t.is_empty()))
            .ok_or(CaError::MissingToken)?;
        let iss = peek_issuer(token, &self.verifier.limits())?;
        let issuer = self
            .registry
            .find(&iss)
            .ok_or_else(|| CaError::IssuerNotAllowed {
                issuer: iss.clone(),
            })?;
        let verified = self.verifier.verify(token, &iss, issuer.audience()).await?;
        let mapped = map_identity(issuer, &iss, &verified.claims)?;
        let allowed = issuer.check_policy(&verified.claims)?;
        if let Some(limit) = &self.identity_limit {
            let identity = format!("{} {}", mapped.summary.issuer, mapped.summary.san);
            limit
                .check(&identity)
                .map_err(|retry_after| CaError::RateLimited {
                    identity,
                    rate: limit.rate(),
                    retry_after,
                })?;
        }
        let key = request_key(&req, &mapped.challenge)?;

        let now = SystemTime::now();
        let not_before = unix_secs(now);
        let record = serde_json::to_vec(&IssuanceRecord {
            identity: &mapped.summary,
            allowed_by: &allowed,
            not_before,
            validity_secs: self.validity.as_secs(),
        })
        .map_err(|e| CaError::Signing(format!("issuance record: {e}")))?;
        let search_keys = vec![
            format!("san:{}", mapped.summary.san),
            format!("issuer:{}", mapped.summary.issuer),
        ];

        let issuer_cert = self.keys.issuer.clone();
        let signer = self.keys.signer.clone();
        let identity: CertIdentity = mapped.cert;
        let validity = self.validity;
        let latency = signer.latency();
        let precert = with_signer(latency, move || {
            let mut leaf = LeafRequest::new(&key, &identity, now);
            leaf.validity = validity;
            profile::precertificate(&issuer_cert, signer.as_ref(), &leaf)
                .map_err(|e| CaError::Signing(e.to_string()))
        })
        .await?;

        let logged = self
            .ct
            .add_pre_chain(&precert, record, search_keys, unix_millis(now))
            .await
            .map_err(|e| match e {
                // Nothing was logged, so nothing is issued: the client may retry.
                CtError::Log(
                    signet_tlog::LogError::Overloaded
                    | signet_tlog::LogError::ShuttingDown
                    | signet_tlog::LogError::Storage(_)
                    | signet_tlog::LogError::WriteFailed { .. },
                ) => CaError::Unavailable(e.to_string()),
                other => CaError::Ct(other.to_string()),
            })?;

        let issuer_cert = self.keys.issuer.clone();
        let signer: Arc<dyn CaSigner> = self.keys.signer.clone();
        let leaf_der = with_signer(latency, move || {
            profile::final_certificate(&issuer_cert, signer.as_ref(), &precert, &[logged.sct])
                .map_err(|e| CaError::Signing(e.to_string()))
        })
        .await?;
        tracing::info!(
            san = %mapped.summary.san,
            issuer = %mapped.summary.issuer,
            rule = %allowed.rule,
            ct_index = logged.index,
            "issued certificate"
        );
        let mut certificates = Vec::with_capacity(3);
        certificates.push(pem_certificate(&leaf_der)?);
        certificates.extend(self.keys.chain_pem.iter().cloned());
        Ok(SigningCertificate {
            signed_certificate_embedded_sct: EmbeddedSct {
                chain: Chain { certificates },
            },
        })
    }
}

/// The request's public key, possession proven: the CSR variant wins when present
/// (§2.1), else the public key with its proof of possession over `challenge` (§2.2).
fn request_key(req: &SigningCertRequest, challenge: &str) -> Result<CheckedPublicKey, CaError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Some(csr) = req
        .certificate_signing_request
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        let pem = b64.decode(csr.trim()).map_err(|e| {
            CaError::BadRequest(format!("certificateSigningRequest is not base64: {e}"))
        })?;
        return Ok(request::parse_csr(&pem)?);
    }
    let pk = req.public_key_request.as_ref().ok_or_else(|| {
        CaError::BadRequest(
            "the request has neither certificateSigningRequest nor publicKeyRequest".to_owned(),
        )
    })?;
    let signature = b64
        .decode(pk.proof_of_possession.trim())
        .map_err(|e| CaError::BadRequest(format!("proofOfPossession is not base64: {e}")))?;
    Ok(request::verify_proof_of_possession(
        pk.public_key.content.as_bytes(),
        challenge,
        &signature,
    )?)
}

/// Runs CA-key work on the blocking pool: an HSM call must not hold an async worker.
/// Runs `f`, which signs with a key of this `latency`: in place for an in-process key
/// (a thread hand-off would cost more than the signature), on the blocking pool for one
/// that may block (an HSM round trip must not stall the async threads).
async fn with_signer<T: Send + 'static>(
    latency: SignerLatency,
    f: impl FnOnce() -> Result<T, CaError> + Send + 'static,
) -> Result<T, CaError> {
    match latency {
        SignerLatency::InProcess => f(),
        _ => tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| CaError::Signing(format!("signing task failed: {e}")))?,
    }
}

/// PEM of a certificate this CA just encoded (no need to parse it again).
fn pem_certificate(der: &[u8]) -> Result<String, CaError> {
    use x509_cert::der::pem::{encode_string, LineEnding};
    encode_string("CERTIFICATE", LineEnding::LF, der)
        .map_err(|e| CaError::Signing(format!("encoding the certificate: {e}")))
}

fn unix_secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

//! The issuance workload: `POST /api/v2/signingCert` (PROTOCOL.md §2.1) against the CA of
//! `signet serve`, end to end: token verification, identity and policy, the key proof,
//! the precertificate, the CT log append, the SCT and the final certificate.
//!
//! Tokens come from the server's insecure development issuer (`--insecure-dev-issuer`,
//! `POST /dev-issuer/token`), minted once before the run for `identities` email
//! identities. Keys are P-256, generated before the run; each request body pairs one
//! token with one key, as a CSR (what sigstore-python sends) or as a public key with a
//! proof of possession over the email (sigstore-go, sigstore-js). The bodies are sent
//! round-robin: the CA keeps no per-token or per-key state, so a repeated body costs it
//! exactly what a fresh one would (every certificate gets a fresh serial and its own CT
//! entry), while the load generator spends no CPU making keys during the run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::drive::Workload;
use crate::http::LogClient;
use crate::stats::Outcome;

/// How a request proves possession of its key (PROTOCOL.md §2.1–2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RequestForm {
    /// `certificateSigningRequest`: base64 of a PEM PKCS#10 CSR.
    Csr,
    /// `publicKeyRequest` with `proofOfPossession` over the email.
    Pop,
}

/// A minted token and the identity it names.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The JWT.
    pub token: String,
    /// Its `email` claim, the proof-of-possession challenge.
    pub email: String,
}

/// Mints `count` tokens of `lifetime_secs` from the development issuer's `token_url`.
///
/// # Errors
/// A failed request or an answer without a token.
pub async fn mint_identities(
    client: &LogClient,
    token_url: &str,
    count: usize,
    lifetime_secs: u64,
) -> anyhow::Result<Vec<Identity>> {
    #[derive(Deserialize)]
    struct Minted {
        token: String,
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let email = format!("bench-{i}@signet-bench.test");
        let body = json!({"sub": email, "email": email, "lifetime_secs": lifetime_secs});
        let resp = client
            .http()
            .post(token_url)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {token_url}"))?;
        let status = resp.status();
        let text = resp.bytes().await?;
        anyhow::ensure!(
            status.is_success(),
            "POST {token_url}: status {status}: {} (is the server running with \
             --insecure-dev-issuer?)",
            String::from_utf8_lossy(&text)
        );
        let minted: Minted = serde_json::from_slice(&text)
            .with_context(|| format!("POST {token_url}: no token in the answer"))?;
        out.push(Identity {
            token: minted.token,
            email,
        });
    }
    Ok(out)
}

/// `keys` request bodies of the given `form`, key `i` paired with identity
/// `i % identities.len()`.
///
/// # Errors
/// Key generation, CSR encoding or signing failed, or `identities` is empty.
pub fn request_bodies(
    identities: &[Identity],
    keys: usize,
    form: RequestForm,
) -> anyhow::Result<Vec<Vec<u8>>> {
    anyhow::ensure!(!identities.is_empty(), "no identities");
    let rng = SystemRandom::new();
    (0..keys)
        .map(|i| {
            let id = &identities[i % identities.len()];
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                .map_err(|_| anyhow::anyhow!("P-256 key generation failed"))?;
            let rc = rcgen::KeyPair::try_from(pkcs8.as_ref()).context("rcgen key")?;
            let body = match form {
                RequestForm::Csr => {
                    let params = rcgen::CertificateParams::new(Vec::<String>::new())?;
                    let csr = params.serialize_request(&rc)?.pem()?;
                    json!({
                        "credentials": {"oidcIdentityToken": id.token},
                        "certificateSigningRequest": B64.encode(csr),
                    })
                }
                RequestForm::Pop => {
                    let key =
                        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
                            .map_err(|_| anyhow::anyhow!("P-256 key"))?;
                    let sig = key
                        .sign(&rng, id.email.as_bytes())
                        .map_err(|_| anyhow::anyhow!("proof of possession signature"))?;
                    json!({
                        "credentials": {"oidcIdentityToken": id.token},
                        "publicKeyRequest": {
                            "publicKey": {"algorithm": "ECDSA", "content": rc.public_key_pem()},
                            "proofOfPossession": B64.encode(sig.as_ref()),
                        },
                    })
                }
            };
            Ok(serde_json::to_vec(&body)?)
        })
        .collect()
}

/// Sends the bodies round-robin; 200 with a three-certificate PEM chain is success.
#[derive(Debug)]
pub struct Issue {
    client: Arc<LogClient>,
    url: String,
    bodies: Vec<Vec<u8>>,
    next: AtomicUsize,
}

impl Issue {
    /// Issues against the CA at `client`'s base URL.
    ///
    /// # Errors
    /// `bodies` is empty.
    pub fn new(client: Arc<LogClient>, bodies: Vec<Vec<u8>>) -> anyhow::Result<Self> {
        anyhow::ensure!(!bodies.is_empty(), "no request bodies");
        let url = client.target().join("/api/v2/signingCert");
        Ok(Self {
            client,
            url,
            bodies,
            next: AtomicUsize::new(0),
        })
    }
}

impl Workload for Issue {
    async fn send(&self) -> Option<Outcome> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.bodies.len();
        let body = self.bodies[i].clone();
        Some(
            self.client
                .post_checked(&self.url, body, 200, check_issued)
                .await,
        )
    }
}

#[derive(Deserialize)]
struct IssuedMin<'a> {
    #[serde(rename = "signedCertificateEmbeddedSct", borrow)]
    sct: ChainHolder<'a>,
}

#[derive(Deserialize)]
struct ChainHolder<'a> {
    #[serde(borrow)]
    chain: ChainMin<'a>,
}

#[derive(Deserialize)]
struct ChainMin<'a> {
    #[serde(borrow)]
    certificates: Vec<std::borrow::Cow<'a, str>>,
}

/// True if `body` is a `signedCertificateEmbeddedSct` answer (PROTOCOL.md §2.4) whose
/// chain is three PEM certificates (leaf, intermediate, root).
pub fn check_issued(body: &[u8]) -> bool {
    match serde_json::from_slice::<IssuedMin<'_>>(body) {
        Ok(r) => {
            r.sct.chain.certificates.len() == 3
                && r.sct
                    .chain
                    .certificates
                    .iter()
                    .all(|c| c.starts_with("-----BEGIN CERTIFICATE-----"))
        }
        Err(_) => false,
    }
}

/// The CT log's tree size from its C2SP checkpoint at `<base>/ct/checkpoint` (second
/// line of the note).
///
/// # Errors
/// Transport errors, a non-200 status, or a malformed note.
pub async fn ct_tree_size(client: &LogClient) -> anyhow::Result<u64> {
    let url = client.target().join("/ct/checkpoint");
    let resp = client.http().get(&url).send().await?;
    let status = resp.status();
    let text = resp.text().await?;
    anyhow::ensure!(status.is_success(), "GET {url}: status {status}");
    text.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .with_context(|| format!("GET {url}: no tree size in the checkpoint"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_check_wants_three_pem_certificates() {
        let pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
        let ok =
            json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [pem, pem, pem]}}});
        assert!(check_issued(&serde_json::to_vec(&ok).unwrap_or_default()));
        let short =
            json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [pem, pem]}}});
        assert!(!check_issued(
            &serde_json::to_vec(&short).unwrap_or_default()
        ));
        let not_pem =
            json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [pem, pem, "x"]}}});
        assert!(!check_issued(
            &serde_json::to_vec(&not_pem).unwrap_or_default()
        ));
        assert!(!check_issued(b"{\"code\":16,\"message\":\"expired\"}"));
    }

    #[test]
    fn bodies_pair_keys_with_identities_in_both_forms() {
        let ids = vec![
            Identity {
                token: "t0".into(),
                email: "a@x.test".into(),
            },
            Identity {
                token: "t1".into(),
                email: "b@x.test".into(),
            },
        ];
        for form in [RequestForm::Csr, RequestForm::Pop] {
            let bodies = request_bodies(&ids, 3, form).unwrap_or_default();
            assert_eq!(bodies.len(), 3);
            let tokens: Vec<String> = bodies
                .iter()
                .map(|b| {
                    let v: serde_json::Value = serde_json::from_slice(b).unwrap_or_default();
                    v["credentials"]["oidcIdentityToken"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect();
            assert_eq!(tokens, ["t0", "t1", "t0"]);
            let v: serde_json::Value = serde_json::from_slice(&bodies[0]).unwrap_or_default();
            match form {
                RequestForm::Csr => assert!(v["certificateSigningRequest"].is_string()),
                RequestForm::Pop => {
                    assert!(v["publicKeyRequest"]["proofOfPossession"].is_string());
                }
            }
        }
        assert!(request_bodies(&[], 1, RequestForm::Csr).is_err());
    }
}

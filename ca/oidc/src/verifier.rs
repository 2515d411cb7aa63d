//! [`TokenVerifier`]: checks an OIDC identity token against one issuer (PROTOCOL.md §2.3).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use openidconnect::core::{CoreIdToken, CoreJwsSigningAlgorithm};
use openidconnect::{
    ClaimsVerificationError, ClientId, IdTokenVerifier, IssuerUrl, JsonWebKey as _, Nonce,
    SignatureVerificationError,
};
use serde_json::{Map, Value};

use crate::claims::{self, TimePolicy};
use crate::error::{MalformedReason, SetupError, TokenError};
use crate::fetch::{self, Fetcher};
use crate::jwk::{jose_name, AwsLcJsonWebKey};
use crate::jwks::{IssuerKeys, KeyCache, KeySet, Refetched};
use crate::token::{self, TokenLimits, DEFAULT_MAX_TOKEN_BYTES};

/// Settings of a [`TokenVerifier`]. [`Default`] gives the values documented on each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// Longest accepted token, checked before any parsing. Default 16 KiB
    /// ([`DEFAULT_MAX_TOKEN_BYTES`]).
    pub max_token_bytes: usize,
    /// Clock skew tolerated on `exp`, `nbf` and a future `iat`. Default 30 s: tokens are
    /// stamped by the issuer's clock and checked against the CA's, and a token is often
    /// presented within a second of being minted (GitHub Actions sets `nbf` to the minting
    /// time), so a CA clock a few seconds behind would otherwise reject fresh tokens. 30 s
    /// absorbs ordinary NTP and VM drift while extending a token's life by at most 30 s,
    /// small against issuer lifetimes of 5–60 minutes. (sigstore-python's own pre-check
    /// uses 5 s, PROTOCOL.md §2.3; a CA stricter than that would reject tokens the client
    /// just accepted.)
    pub leeway: Duration,
    /// Oldest accepted `iat`. Default 24 h: long enough for every CI issuer's token
    /// lifetime (Kubernetes projected tokens live 1 h by default and are refreshed at 80%;
    /// GitLab's live as long as the job), short enough that a leaked token from an issuer
    /// that mints long-lived ones cannot be used for days.
    pub max_token_age: Duration,
    /// Connect timeout of each discovery or JWKS fetch. Default 5 s.
    pub connect_timeout: Duration,
    /// Total timeout of each discovery or JWKS fetch, body included. Default 10 s.
    pub fetch_timeout: Duration,
    /// Largest discovery document or JWKS read; the body is abandoned past it. Default
    /// 256 KiB (real ones are 1–20 KiB).
    pub max_response_bytes: usize,
    /// Minimum time between two JWKS refetches of one issuer triggered by an unknown `kid`,
    /// and how long a failed fetch is remembered. Default 30 s.
    pub jwks_min_refetch_interval: Duration,
    /// How long a fetched discovery document and JWKS are used before being fetched again.
    /// Default 1 h.
    pub cache_ttl: Duration,
    /// Most issuers whose keys are cached at once. Default 64.
    pub max_cached_issuers: usize,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            leeway: Duration::from_secs(30),
            max_token_age: Duration::from_secs(24 * 60 * 60),
            connect_timeout: Duration::from_secs(5),
            fetch_timeout: Duration::from_secs(10),
            max_response_bytes: 256 * 1024,
            jwks_min_refetch_interval: Duration::from_secs(30),
            cache_ttl: Duration::from_secs(60 * 60),
            max_cached_issuers: 64,
        }
    }
}

/// A token whose signature and claims passed every check.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VerifiedToken {
    /// `iss`: equal to the issuer URL verified against.
    pub issuer: String,
    /// `sub`: non-empty.
    pub subject: String,
    /// `exp`, Unix seconds (fractions floored).
    pub expires_at: i64,
    /// `iat`, Unix seconds (fractions floored).
    pub issued_at: i64,
    /// Every claim of the payload, unchanged (custom claims such as `job_workflow_ref`,
    /// `repository_owner` or `kubernetes.io` included), for the identity mapper.
    pub claims: Map<String, Value>,
}

/// Verifies identity tokens against OIDC issuers' published keys, caching each issuer's
/// discovery document and JWKS. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct TokenVerifier {
    config: VerifierConfig,
    cache: KeyCache,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// Builds a verifier and its HTTP clients.
    ///
    /// # Errors
    /// [`SetupError::HttpClient`] if the TLS or HTTP client cannot be built;
    /// [`SetupError::InvalidConfig`] for a zero size limit or cache capacity.
    pub fn new(config: VerifierConfig) -> Result<Self, SetupError> {
        if config.max_token_bytes == 0 || config.max_response_bytes == 0 {
            return Err(SetupError::InvalidConfig("size limits must be positive"));
        }
        if config.max_cached_issuers == 0 {
            return Err(SetupError::InvalidConfig(
                "max_cached_issuers must be positive",
            ));
        }
        let fetcher = Fetcher::new(
            config.connect_timeout,
            config.fetch_timeout,
            config.max_response_bytes,
        )?;
        let cache = KeyCache::new(
            fetcher,
            config.max_cached_issuers,
            config.cache_ttl,
            config.jwks_min_refetch_interval,
        );
        Ok(TokenVerifier { config, cache })
    }

    /// The configuration this verifier was built with.
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// The limits to give [`peek_issuer`](crate::peek_issuer) so it caps tokens as
    /// [`verify`](Self::verify) does.
    pub fn limits(&self) -> TokenLimits {
        TokenLimits {
            max_bytes: self.config.max_token_bytes,
        }
    }

    /// Verifies `token` as an ID token of `issuer` for `audience`, at the current time.
    ///
    /// `issuer` must be an issuer the caller trusts (it is fetched from); the token's `iss`
    /// must equal it exactly.
    ///
    /// Checks, in this order (the first failure is returned):
    /// 1. size cap, three parts, base64url and JSON ([`TokenError::TooLarge`],
    ///    [`TokenError::Malformed`]);
    /// 2. `alg` is one of RS256/384/512, PS256/384/512, ES256, ES384, EdDSA — never `none`
    ///    or HMAC ([`TokenError::AlgorithmNotAllowed`]);
    /// 3. the issuer URL obeys the URL rules ([`TokenError::IssuerUrlNotAllowed`]);
    /// 4. claims: `iss` equals `issuer`, `sub` present, `aud` contains `audience`, `exp` and
    ///    `nbf` with the leeway, `iat` present, not in the future beyond the leeway nor older
    ///    than the maximum age;
    /// 5. the issuer's discovery document (whose `issuer` must equal `issuer`) and JWKS, from
    ///    the cache or fetched;
    /// 6. the `kid` is in the JWKS, after at most one rate-limited refetch of discovery and
    ///    JWKS ([`TokenError::UnknownKey`]);
    /// 7. `alg` is advertised by the issuer ([`TokenError::AlgorithmNotAdvertised`]);
    /// 8. the signature, by openidconnect's ID-token verifier (which also re-checks `iss`,
    ///    `aud` and `exp`) with the key's signature check done by aws-lc-rs
    ///    ([`TokenError::BadSignature`]; RSA keys must have 2048 to 8192 bits).
    ///
    /// Steps 1–4 use no network, so a token with wrong claims costs no fetch.
    ///
    /// # Errors
    /// The [`TokenError`] of the first failed check.
    pub async fn verify(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<VerifiedToken, TokenError> {
        self.verify_at(token, issuer, audience, SystemTime::now())
            .await
    }

    /// [`verify`](Self::verify) with an explicit current time, for deterministic tests.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub async fn verify_at(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
        now: SystemTime,
    ) -> Result<VerifiedToken, TokenError> {
        let unverified = token::decode(token, self.config.max_token_bytes)?;
        let alg = allowed_algorithm(&unverified.alg)?;
        let issuer_url = fetch::issuer_url(issuer)?;
        let now_secs = unix_seconds(now);
        let policy = TimePolicy {
            leeway_secs: self.config.leeway.as_secs(),
            max_age_secs: self.config.max_token_age.as_secs(),
        };
        let checked = claims::check(&unverified.claims, issuer, audience, now_secs, policy)?;

        let mut keys = self.cache.keys(issuer, &issuer_url).await?;
        if let Some(kid) = &unverified.kid {
            if !keys.has_kid(kid) {
                keys = match self
                    .cache
                    .refetch_for_unknown_kid(issuer, &issuer_url, &keys)
                    .await?
                {
                    Refetched::Keys(new) if new.has_kid(kid) => new,
                    Refetched::Keys(_) | Refetched::RateLimited => {
                        return Err(TokenError::UnknownKey { kid: kid.clone() })
                    }
                };
            }
        }
        // OpenID Connect Core 1.0 §3.1.3.7 step 7: the alg should be the one the issuer uses.
        if !keys.advertised_algs.contains(&unverified.alg) {
            return Err(TokenError::AlgorithmNotAdvertised {
                alg: unverified.alg,
                advertised: keys.advertised_algs.clone(),
            });
        }

        let signature_check = SignatureCheck {
            issuer,
            audience,
            alg,
            kid: unverified.kid.as_deref(),
            // openidconnect rejects when its time >= exp; shifting it back by the leeway makes
            // its exp check the same as ours.
            time: now_secs.saturating_sub(i64::try_from(policy.leeway_secs).unwrap_or(i64::MAX)),
        };
        signature_check.run(token, &keys)?;

        Ok(VerifiedToken {
            issuer: issuer.to_owned(),
            subject: checked.subject,
            expires_at: checked.expires_at,
            issued_at: checked.issued_at,
            claims: unverified.claims,
        })
    }
}

/// The algorithms accepted: the asymmetric ones openidconnect implements. `none` and the
/// HMAC algorithms are never accepted (with a public issuer, an HMAC "key" is public too).
fn allowed_algorithm(alg: &str) -> Result<CoreJwsSigningAlgorithm, TokenError> {
    Ok(match alg {
        "RS256" => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        "RS384" => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
        "RS512" => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
        "PS256" => CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        "PS384" => CoreJwsSigningAlgorithm::RsaSsaPssSha384,
        "PS512" => CoreJwsSigningAlgorithm::RsaSsaPssSha512,
        "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        "ES384" => CoreJwsSigningAlgorithm::EcdsaP384Sha384,
        "EdDSA" => CoreJwsSigningAlgorithm::EdDsa,
        _ => {
            return Err(TokenError::AlgorithmNotAllowed {
                alg: alg.to_owned(),
            })
        }
    })
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The signature step, run by openidconnect's `IdTokenVerifier` over [`AwsLcJsonWebKey`]s.
struct SignatureCheck<'a> {
    issuer: &'a str,
    audience: &'a str,
    alg: CoreJwsSigningAlgorithm,
    kid: Option<&'a str>,
    time: i64,
}

impl SignatureCheck<'_> {
    fn run(&self, token: &str, keys: &IssuerKeys) -> Result<(), TokenError> {
        let id_token: CoreIdToken = token.parse().map_err(|e: serde_json::Error| {
            TokenError::Malformed(MalformedReason::Unparsable(e.to_string()))
        })?;
        let issuer_url = IssuerUrl::new(self.issuer.to_owned()).map_err(|_| {
            TokenError::IssuerUrlNotAllowed {
                url: self.issuer.to_owned(),
                reason: "not a URL",
            }
        })?;
        // Only the keys with the token's kid (if it has one) are candidates. openidconnect's
        // verifier owns its key set; a key clone is a reference count (the parsed key material
        // is shared), so this copies pointers, not keys.
        let candidates = KeySet::new(
            keys.jwks
                .keys()
                .iter()
                .filter(|key| match self.kid {
                    Some(kid) => key.key_id().is_some_and(|id| id.as_str() == kid),
                    None => true,
                })
                .cloned()
                .collect(),
        );
        let time =
            DateTime::<Utc>::from_timestamp(self.time, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
        let verifier = IdTokenVerifier::<AwsLcJsonWebKey>::new_public_client(
            ClientId::new(self.audience.to_owned()),
            issuer_url,
            candidates,
        )
        .set_allowed_algs([self.alg.clone()])
        // `typ` is not a security property here (aud and iss are checked), and
        // issuers vary ("JWT", none); Fulcio does not check it either.
        .allow_all_jose_types()
        // `aud` may hold other audiences besides ours (checked in claims::check).
        .set_other_audience_verifier_fn(|_| true)
        .set_time_fn(move || time);
        // Workload tokens carry no nonce: there is no authorization request to bind it to.
        let no_nonce = |_: Option<&Nonce>| Ok(());
        match id_token.claims(&verifier, no_nonce) {
            Ok(_) => Ok(()),
            Err(error) => Err(self.map_error(error)),
        }
    }

    fn map_error(&self, error: ClaimsVerificationError) -> TokenError {
        let alg = || jose_name(&self.alg);
        let kid = || self.kid.map(str::to_owned);
        match error {
            ClaimsVerificationError::SignatureVerification(error) => match error {
                SignatureVerificationError::NoMatchingKey => TokenError::NoMatchingKey {
                    kid: kid(),
                    alg: alg(),
                    reason: "no key of the type and algorithm the token needs".to_owned(),
                },
                SignatureVerificationError::AmbiguousKeyId(reason) => TokenError::NoMatchingKey {
                    kid: kid(),
                    alg: alg(),
                    reason,
                },
                SignatureVerificationError::DisallowedAlg(_)
                | SignatureVerificationError::UnsupportedAlg(_) => {
                    TokenError::AlgorithmNotAllowed { alg: alg() }
                }
                other => TokenError::BadSignature {
                    reason: other.to_string(),
                },
            },
            other => TokenError::Rejected(other.to_string()),
        }
    }
}

//! Per-issuer cache of the discovery document and JWKS (the I/O half of verification).
//!
//! * Each issuer has a slot: a snapshot of its keys, read without waiting, and an async lock
//!   that serialises its fetches, so concurrent verifications for an issuer whose keys are
//!   missing or stale share one fetch (the waiters find the fresh snapshot when they get the
//!   lock).
//! * A snapshot older than the cache TTL is refetched (discovery and JWKS) before use; if
//!   that fails, verification fails (fail closed: keys the issuer may have withdrawn are not
//!   used past the TTL).
//! * A failed fetch is remembered for the minimum refetch interval: verifications in that
//!   window get the same error without touching the network, so a down issuer does not turn
//!   every request into a timeout.
//! * An unknown `kid` triggers a refetch (discovery too, since a rotation may come with a
//!   new algorithm or `jwks_uri`), at most once per minimum refetch interval per issuer; the
//!   interval is measured between such refetches, so the first unknown `kid` after a
//!   normal fetch is always looked up.
//! * The number of issuers is bounded (wildcard issuer patterns could otherwise grow the
//!   cache without limit); the least useful slots are evicted (quick_cache's S3-FIFO).
//!
//! The discovery document is read into a minimal struct rather than openidconnect's
//! `CoreProviderMetadata`, which requires `authorization_endpoint`: GitHub Actions and
//! Kubernetes service-account issuers do not publish one (openidconnect-rs issue #201).

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use openidconnect::{JsonWebKey as _, JsonWebKeySet};
use reqwest::Url;
use serde::Deserialize;

use crate::error::TokenError;
use crate::fetch::{self, Fetcher};
use crate::jwk::AwsLcJsonWebKey;

/// A JWKS as parsed: openidconnect's set, of keys verified with aws-lc-rs (entries
/// openidconnect cannot parse are skipped; see [`crate::jwk`] for keys that parse but are
/// unusable).
pub(crate) type KeySet = JsonWebKeySet<AwsLcJsonWebKey>;

/// The discovery fields this crate uses (OpenID Connect Discovery 1.0 §3; all three are
/// REQUIRED there).
#[derive(Debug, Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
    id_token_signing_alg_values_supported: Vec<String>,
}

/// One issuer's discovery facts and keys, as last fetched.
#[derive(Debug)]
pub(crate) struct IssuerKeys {
    /// `id_token_signing_alg_values_supported`, verbatim.
    pub advertised_algs: Vec<String>,
    /// The keys, their material decoded and parsed (entries openidconnect cannot parse are
    /// skipped).
    pub jwks: KeySet,
    /// When the discovery document was fetched (the TTL runs from here).
    pub discovered_at: Instant,
    /// Bumped on every successful fetch of this issuer, to detect a refetch by another task.
    pub generation: u64,
}

impl IssuerKeys {
    pub(crate) fn has_kid(&self, kid: &str) -> bool {
        self.jwks
            .keys()
            .iter()
            .any(|key| key.key_id().is_some_and(|id| id.as_str() == kid))
    }
}

#[derive(Default)]
struct Slot {
    current: Mutex<Option<Arc<IssuerKeys>>>,
    fetch: tokio::sync::Mutex<FetchState>,
}

#[derive(Default)]
struct FetchState {
    generation: u64,
    last_kid_refetch: Option<Instant>,
    last_failure: Option<(Instant, TokenError)>,
}

impl Slot {
    fn snapshot(&self) -> Option<Arc<IssuerKeys>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn store(&self, keys: Arc<IssuerKeys>) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(keys);
    }
}

/// What an unknown-`kid` refetch produced.
pub(crate) enum Refetched {
    /// New keys (fetched now, or by another task since the caller's snapshot).
    Keys(Arc<IssuerKeys>),
    /// No refetch: the last one for this issuer was less than the minimum interval ago.
    RateLimited,
}

pub(crate) struct KeyCache {
    slots: quick_cache::sync::Cache<String, Arc<Slot>>,
    fetcher: Fetcher,
    ttl: Duration,
    min_refetch_interval: Duration,
}

impl KeyCache {
    pub(crate) fn new(
        fetcher: Fetcher,
        max_issuers: usize,
        ttl: Duration,
        min_refetch_interval: Duration,
    ) -> Self {
        KeyCache {
            slots: quick_cache::sync::Cache::new(max_issuers),
            fetcher,
            ttl,
            min_refetch_interval,
        }
    }

    fn slot(&self, issuer: &str) -> Arc<Slot> {
        let created = self
            .slots
            .get_or_insert_with(issuer, || Ok::<_, Infallible>(Arc::default()));
        match created {
            Ok(slot) => slot,
            Err(never) => match never {},
        }
    }

    fn fresh(&self, keys: &IssuerKeys) -> bool {
        keys.discovered_at.elapsed() < self.ttl
    }

    /// The issuer's keys: cached if younger than the TTL, else fetched (discovery, then JWKS).
    ///
    /// # Errors
    /// Any fetch or document error; a failure is returned again, without a fetch, for the
    /// minimum refetch interval.
    pub(crate) async fn keys(
        &self,
        issuer: &str,
        issuer_url: &Url,
    ) -> Result<Arc<IssuerKeys>, TokenError> {
        let slot = self.slot(issuer);
        if let Some(keys) = slot.snapshot().filter(|k| self.fresh(k)) {
            return Ok(keys);
        }
        let mut state = slot.fetch.lock().await;
        if let Some(keys) = slot.snapshot().filter(|k| self.fresh(k)) {
            return Ok(keys); // fetched by another task while this one waited
        }
        if let Some((at, error)) = &state.last_failure {
            if at.elapsed() < self.min_refetch_interval {
                return Err(error.clone());
            }
        }
        match self.discover(issuer, issuer_url).await {
            Ok((advertised_algs, jwks)) => {
                state.generation += 1;
                state.last_failure = None;
                let keys = Arc::new(IssuerKeys {
                    advertised_algs,
                    jwks,
                    discovered_at: Instant::now(),
                    generation: state.generation,
                });
                slot.store(keys.clone());
                Ok(keys)
            }
            Err(error) => {
                tracing::warn!(issuer, %error, "OIDC issuer discovery failed");
                state.last_failure = Some((Instant::now(), error.clone()));
                Err(error)
            }
        }
    }

    /// Refetches the discovery document and JWKS after a token named a `kid` that `seen`
    /// lacks, unless another task already did since `seen` was taken, or the last such
    /// refetch was less than the minimum interval ago.
    ///
    /// # Errors
    /// Any fetch or document error (the cached keys stay as they were).
    pub(crate) async fn refetch_for_unknown_kid(
        &self,
        issuer: &str,
        issuer_url: &Url,
        seen: &IssuerKeys,
    ) -> Result<Refetched, TokenError> {
        let slot = self.slot(issuer);
        let mut state = slot.fetch.lock().await;
        if let Some(current) = slot.snapshot() {
            if current.generation != seen.generation {
                return Ok(Refetched::Keys(current));
            }
        }
        if state
            .last_kid_refetch
            .is_some_and(|at| at.elapsed() < self.min_refetch_interval)
        {
            return Ok(Refetched::RateLimited);
        }
        state.last_kid_refetch = Some(Instant::now());
        tracing::info!(
            issuer,
            "unknown kid: refetching discovery document and JWKS"
        );
        let (advertised_algs, jwks) = self.discover(issuer, issuer_url).await?;
        state.generation += 1;
        let keys = Arc::new(IssuerKeys {
            advertised_algs,
            jwks,
            discovered_at: Instant::now(),
            generation: state.generation,
        });
        slot.store(keys.clone());
        Ok(Refetched::Keys(keys))
    }

    /// Fetches and checks the discovery document, then fetches the JWKS it names.
    async fn discover(
        &self,
        issuer: &str,
        issuer_url: &Url,
    ) -> Result<(Vec<String>, KeySet), TokenError> {
        let url = fetch::discovery_url(issuer)?;
        tracing::debug!(issuer, %url, "fetching OIDC discovery document");
        let body = self.fetcher.get(&url).await?;
        let doc: DiscoveryDocument =
            serde_json::from_slice(&body).map_err(|e| TokenError::InvalidIssuerDocument {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        // OpenID Connect Discovery 1.0 §4.3: the issuer value returned MUST be identical to
        // the issuer URL that was used as the prefix to /.well-known/openid-configuration.
        if doc.issuer != issuer {
            return Err(TokenError::DiscoveryIssuerMismatch {
                expected: issuer.to_owned(),
                got: doc.issuer,
            });
        }
        let jwks_uri = fetch::jwks_url(issuer_url, &doc.jwks_uri)?;
        let jwks = self.fetch_jwks(&jwks_uri).await?;
        Ok((doc.id_token_signing_alg_values_supported, jwks))
    }

    async fn fetch_jwks(&self, url: &Url) -> Result<KeySet, TokenError> {
        tracing::debug!(%url, "fetching JWKS");
        let body = self.fetcher.get(url).await?;
        serde_json::from_slice(&body).map_err(|e| TokenError::InvalidIssuerDocument {
            url: url.to_string(),
            reason: e.to_string(),
        })
    }
}

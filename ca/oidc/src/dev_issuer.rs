//! **Insecure, development only**: an in-process OIDC issuer that mints tokens for anyone
//! who asks.
//!
//! `signet serve --insecure-dev-issuer` nests [`InsecureDevIssuer::router`] under a path of
//! the server's own loopback address (e.g. `http://127.0.0.1:3000/dev-issuer`) and trusts it
//! as an issuer, so a developer can sign without a real identity provider:
//! `signet dev-token --server URL --sub SUB` posts a [`MintRequest`] to `<issuer>/token`.
//! Whoever can reach that endpoint can obtain a certificate for **any** identity, which is
//! why the issuer is off by default, named `Insecure…`, and its base URL must be `https` or
//! loopback `http` (the crate docs' URL rules, as for every issuer).
//!
//! The signing key is a P-256 key generated at construction and never stored: tokens stop
//! verifying when the process restarts. Tokens are ES256 JWS (signed by `jsonwebtoken` on
//! aws-lc-rs) with `iss` = the base URL, `aud` = `sigstore`, and `iat`, `nbf`, `exp` set.
//!
//! Routes, relative to where the router is nested:
//! * `GET /.well-known/openid-configuration`: discovery (OpenID Connect Discovery 1.0 §3);
//! * `GET /jwks`: the public key;
//! * `POST /token`: a [`MintRequest`] as JSON; answers a [`MintResponse`].

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::TokenError;

/// The audience of every minted token: Fulcio's conventional client ID (PROTOCOL.md §2.3).
pub const DEV_AUDIENCE: &str = "sigstore";

/// Lifetime of a token minted through `POST /token` without `lifetime_secs`: 10 minutes.
pub const DEFAULT_MINT_LIFETIME: Duration = Duration::from_secs(600);

/// Longest lifetime `mint` accepts: 1 hour.
pub const MAX_MINT_LIFETIME: Duration = Duration::from_secs(3600);

/// Claims the issuer sets itself; `extra_claims` may not override them.
const RESERVED: [&str; 6] = ["iss", "sub", "aud", "iat", "nbf", "exp"];

/// Why the development issuer could not be created or could not mint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DevIssuerError {
    /// The base URL breaks the issuer URL rules.
    #[error(transparent)]
    BaseUrl(TokenError),
    /// Key generation or JWK derivation failed.
    #[error("generating the signing key: {0}")]
    Key(String),
    /// `extra_claims` tried to set a claim the issuer sets itself.
    #[error("claim `{0}` is set by the issuer and cannot be overridden")]
    ReservedClaim(String),
    /// `sub` is empty.
    #[error("`sub` must not be empty")]
    EmptySubject,
    /// The lifetime is zero or longer than [`MAX_MINT_LIFETIME`].
    #[error("lifetime of {secs} s is outside 1..={max} s", max = MAX_MINT_LIFETIME.as_secs())]
    Lifetime {
        /// The requested lifetime.
        secs: u64,
    },
    /// Signing failed.
    #[error("signing the token: {0}")]
    Signing(String),
}

/// Body of `POST <issuer>/token` (what `signet dev-token` sends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MintRequest {
    /// `sub` of the token.
    pub sub: String,
    /// `email` (with `email_verified: true`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Further claims (not `iss`, `sub`, `aud`, `iat`, `nbf`, `exp`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub claims: Map<String, Value>,
    /// Lifetime in seconds; [`DEFAULT_MINT_LIFETIME`] if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_secs: Option<u64>,
}

/// Answer of `POST <issuer>/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintResponse {
    /// The signed token (compact JWS).
    pub token: String,
}

/// An OIDC issuer for development only. **Insecure**: it signs any claims for anyone; see
/// the module docs. Cheap to clone (the key is shared).
#[derive(Clone)]
pub struct InsecureDevIssuer {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    kid: String,
    key: EncodingKey,
    jwk: Value,
}

impl std::fmt::Debug for InsecureDevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsecureDevIssuer")
            .field("issuer", &self.inner.issuer)
            .field("kid", &self.inner.kid)
            .finish_non_exhaustive()
    }
}

impl InsecureDevIssuer {
    /// Creates an issuer at `base_url` (where [`router`](Self::router) will be served,
    /// e.g. `http://127.0.0.1:3000/dev-issuer`) with a freshly generated P-256 key.
    ///
    /// # Errors
    /// [`DevIssuerError::BaseUrl`] if `base_url` breaks the issuer URL rules (https, or http
    /// on loopback); [`DevIssuerError::Key`] if key generation fails.
    pub fn generate(base_url: &str) -> Result<Self, DevIssuerError> {
        crate::fetch::issuer_url(base_url).map_err(DevIssuerError::BaseUrl)?;
        let issuer = base_url.trim_end_matches('/').to_owned();
        let key_error = |e: &dyn std::fmt::Display| DevIssuerError::Key(e.to_string());
        let pair =
            EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|e| key_error(&e))?;
        let pkcs8 = pair.to_pkcs8v1().map_err(|e| key_error(&e))?;
        let key = EncodingKey::from_ec_der(pkcs8.as_ref());
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).map_err(|e| key_error(&e))?;
        // RFC 7638 thumbprint as the key ID: stable for the key, unique across restarts.
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| key_error(&e))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let jwk = serde_json::to_value(&jwk).map_err(|e| key_error(&e))?;
        Ok(InsecureDevIssuer {
            inner: Arc::new(Inner {
                issuer,
                kid,
                key,
                jwk,
            }),
        })
    }

    /// The issuer URL: the base URL without a trailing `/`. Tokens carry it as `iss`.
    pub fn issuer_url(&self) -> &str {
        &self.inner.issuer
    }

    /// The discovery document served at `/.well-known/openid-configuration`.
    pub fn discovery_document(&self) -> Value {
        json!({
            "issuer": self.inner.issuer,
            "jwks_uri": format!("{}/jwks", self.inner.issuer),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "email", "email_verified"],
        })
    }

    /// The JWKS served at `/jwks`: the one public key.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.inner.jwk] })
    }

    /// Mints a token: `iss` = [`issuer_url`](Self::issuer_url), `aud` = [`DEV_AUDIENCE`],
    /// `sub`, `email` with `email_verified: true` if given, `iat` = `nbf` = now,
    /// `exp` = now + `lifetime`, then `extra_claims` (which may override `email` and
    /// `email_verified`, e.g. to test an unverified email, but not the reserved claims).
    ///
    /// # Errors
    /// [`DevIssuerError::EmptySubject`], [`DevIssuerError::ReservedClaim`],
    /// [`DevIssuerError::Lifetime`] (zero or over [`MAX_MINT_LIFETIME`]),
    /// [`DevIssuerError::Signing`].
    pub fn mint(
        &self,
        sub: &str,
        email: Option<&str>,
        extra_claims: &Map<String, Value>,
        lifetime: Duration,
    ) -> Result<String, DevIssuerError> {
        if sub.is_empty() {
            return Err(DevIssuerError::EmptySubject);
        }
        if lifetime.is_zero() || lifetime > MAX_MINT_LIFETIME {
            return Err(DevIssuerError::Lifetime {
                secs: lifetime.as_secs(),
            });
        }
        if let Some(name) = extra_claims.keys().find(|k| RESERVED.contains(&k.as_str())) {
            return Err(DevIssuerError::ReservedClaim(name.clone()));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut claims = Map::new();
        claims.insert("iss".into(), self.inner.issuer.clone().into());
        claims.insert("sub".into(), sub.into());
        claims.insert("aud".into(), DEV_AUDIENCE.into());
        claims.insert("iat".into(), now.into());
        claims.insert("nbf".into(), now.into());
        claims.insert("exp".into(), (now + lifetime.as_secs()).into());
        if let Some(email) = email {
            claims.insert("email".into(), email.into());
            claims.insert("email_verified".into(), true.into());
        }
        claims.extend(extra_claims.iter().map(|(k, v)| (k.clone(), v.clone())));

        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.inner.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.inner.key)
            .map_err(|e| DevIssuerError::Signing(e.to_string()))
    }

    /// The routes (see the module docs), to be nested at the base URL's path.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(mint))
            .with_state(self.clone())
    }
}

async fn discovery(State(issuer): State<InsecureDevIssuer>) -> Json<Value> {
    Json(issuer.discovery_document())
}

async fn jwks(State(issuer): State<InsecureDevIssuer>) -> Json<Value> {
    Json(issuer.jwks())
}

async fn mint(
    State(issuer): State<InsecureDevIssuer>,
    Json(request): Json<MintRequest>,
) -> Response {
    let lifetime = request
        .lifetime_secs
        .map_or(DEFAULT_MINT_LIFETIME, Duration::from_secs);
    match issuer.mint(
        &request.sub,
        request.email.as_deref(),
        &request.claims,
        lifetime,
    ) {
        Ok(token) => Json(MintResponse { token }).into_response(),
        Err(error @ DevIssuerError::Signing(_)) => {
            (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mint_rejects_bad_requests() {
        let issuer = InsecureDevIssuer::generate("http://127.0.0.1:1/dev-issuer/").unwrap();
        assert_eq!(issuer.issuer_url(), "http://127.0.0.1:1/dev-issuer");
        let none = Map::new();
        let ten_min = Duration::from_secs(600);
        assert_eq!(
            issuer.mint("", None, &none, ten_min),
            Err(DevIssuerError::EmptySubject)
        );
        assert_eq!(
            issuer.mint("s", None, &none, Duration::ZERO),
            Err(DevIssuerError::Lifetime { secs: 0 })
        );
        assert_eq!(
            issuer.mint("s", None, &none, Duration::from_secs(3601)),
            Err(DevIssuerError::Lifetime { secs: 3601 })
        );
        let mut aud = Map::new();
        aud.insert("aud".into(), "other".into());
        assert_eq!(
            issuer.mint("s", None, &aud, ten_min),
            Err(DevIssuerError::ReservedClaim("aud".into()))
        );
        assert!(matches!(
            InsecureDevIssuer::generate("http://192.0.2.1/dev"),
            Err(DevIssuerError::BaseUrl(
                TokenError::IssuerUrlNotAllowed { .. }
            ))
        ));
    }

    #[test]
    fn jwks_names_the_signing_key() {
        let issuer = InsecureDevIssuer::generate("http://127.0.0.1:1").unwrap();
        let jwks = issuer.jwks();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["crv"], "P-256");
        assert_eq!(key["alg"], "ES256");
        let token = issuer
            .mint("s", None, &Map::new(), Duration::from_secs(60))
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), key["kid"].as_str());
        assert_eq!(header.alg, Algorithm::ES256);
    }
}

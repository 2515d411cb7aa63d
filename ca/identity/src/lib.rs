//! Pure issuance identity for Signet's CA: which OIDC issuers are trusted, what identity
//! a token of each proves, what the certificate says about it, and whether the
//! issuance policy allows it.
//!
//! What is here:
//! - [`config`]: the operator's configuration (serde; JSON or TOML) and its errors;
//! - [`issuer`]: validated issuers and [`IssuerRegistry::find`] from a token's `iss`
//!   (exact URL first, then wildcard patterns), plus the `GET /api/v2/configuration`
//!   body (PROTOCOL.md §2.7);
//! - [`pattern`]: the anchored `*` = `[-_a-zA-Z0-9]+` wildcard matcher (§2.3);
//! - [`mapping`]: claims → SAN + Sigstore extensions (§3.3, §3.4), the proof-of-possession
//!   challenge (§2.2) and an audit summary, for email, GitHub Actions, GitLab CI,
//!   Kubernetes, SPIFFE, URI and username identities;
//! - [`policy`]: per-issuer named rules over claim values, whose decision names the rule
//!   that allowed a certificate, or every rule that failed (403).
//!
//! What is not here: no I/O, no async runtime, no HTTP, no JWT handling. Tokens are
//! verified (signature, `aud`, `exp`) by `signet-oidc` before their claims reach this
//! crate; certificates are built by `signet-ca-core`.
//!
//! Typical use by the CA, for a verified token:
//! ```
//! # use signet_ca_identity::{config::IdentityConfig, IssuerRegistry, map_identity};
//! # let config: IdentityConfig = serde_json::from_str(r#"{"issuers": [
//! #   {"issuer_url": "https://accounts.example.com", "issuer_type": "email"}]}"#).unwrap();
//! # let claims = serde_json::json!({"iss": "https://accounts.example.com", "sub": "1",
//! #   "email": "alice@example.com", "email_verified": true});
//! # let claims = claims.as_object().unwrap();
//! let registry = IssuerRegistry::from_config(&config)?;
//! let issuer = registry.find("https://accounts.example.com").expect("trusted issuer");
//! let identity = map_identity(issuer, "https://accounts.example.com", claims)?; // 400 on error
//! let allowed = issuer.check_policy(claims)?;                                   // 403 on error
//! assert_eq!(identity.challenge, "alice@example.com");
//! assert_eq!(allowed.rule, "*any identity of https://accounts.example.com*");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ci;
mod claims;
pub mod config;
pub mod issuer;
pub mod mapping;
pub mod pattern;
pub mod policy;
mod syntax;

pub use config::{ConfigError, IdentityConfig, IssuerConfig, IssuerType};
pub use issuer::{Configuration, ConfigurationIssuer, EmailVerification, Issuer, IssuerRegistry};
pub use mapping::{map_identity, IdentityError, IdentitySummary, MappedIdentity};
pub use policy::{AllowedBy, PolicyDenied};

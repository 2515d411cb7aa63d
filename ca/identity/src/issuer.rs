//! Validated issuers, the lookup from a token's `iss` to its issuer (PROTOCOL.md §2.3),
//! and the body of `GET /api/v2/configuration` (§2.7).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::config::{ConfigError, IdentityConfig, IssuerConfig, IssuerType, UrlProblem};
use crate::pattern::Pattern;
use crate::policy::{AllowedBy, Policy, PolicyDenied};
use crate::syntax;

/// Whether email issuers must have verified the address (PROTOCOL.md §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmailVerification {
    /// `email_verified` must be `true` (the default).
    Required,
    /// Configured with `dangerous_skip_email_verification`.
    DangerouslySkipped,
}

/// How an issuer is matched against a token's `iss`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum IssuerMatcher {
    Exact(String),
    Wildcard(Pattern),
}

/// One trusted issuer, checked. Built by [`IssuerRegistry::from_config`].
#[derive(Clone, Debug)]
pub struct Issuer {
    matcher: IssuerMatcher,
    issuer_type: IssuerType,
    audience: String,
    challenge_claim: String,
    subject_domain: Option<String>,
    /// `uri` issuers: the parsed subject domain (scheme, host, port compared).
    subject_origin: Option<Url>,
    spiffe_trust_domain: Option<String>,
    email_verification: EmailVerification,
    policy: Policy,
}

impl Issuer {
    /// The configured issuer URL or wildcard pattern; names the issuer in errors, policy
    /// decisions and audit records.
    #[must_use]
    pub fn id(&self) -> &str {
        match &self.matcher {
            IssuerMatcher::Exact(url) => url,
            IssuerMatcher::Wildcard(pattern) => pattern.as_str(),
        }
    }

    /// The exact issuer URL, for an exact issuer.
    #[must_use]
    pub fn issuer_url(&self) -> Option<&str> {
        match &self.matcher {
            IssuerMatcher::Exact(url) => Some(url),
            IssuerMatcher::Wildcard(_) => None,
        }
    }

    /// The pattern, for a wildcard issuer.
    #[must_use]
    pub fn wildcard_issuer_url(&self) -> Option<&str> {
        match &self.matcher {
            IssuerMatcher::Exact(_) => None,
            IssuerMatcher::Wildcard(pattern) => Some(pattern.as_str()),
        }
    }

    /// Whether a token with this `iss` belongs to this issuer.
    #[must_use]
    pub fn matches(&self, iss: &str) -> bool {
        match &self.matcher {
            IssuerMatcher::Exact(url) => url == iss,
            IssuerMatcher::Wildcard(pattern) => pattern.matches(iss),
        }
    }

    /// The kind of identity.
    #[must_use]
    pub fn issuer_type(&self) -> IssuerType {
        self.issuer_type
    }

    /// The `aud` tokens must carry.
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The claim the proof of possession signs (PROTOCOL.md §2.2).
    #[must_use]
    pub fn challenge_claim(&self) -> &str {
        &self.challenge_claim
    }

    /// `uri` and `username` issuers: the subject domain.
    #[must_use]
    pub fn subject_domain(&self) -> Option<&str> {
        self.subject_domain.as_deref()
    }

    pub(crate) fn subject_origin(&self) -> Option<&Url> {
        self.subject_origin.as_ref()
    }

    /// `spiffe` issuers: the trust domain.
    #[must_use]
    pub fn spiffe_trust_domain(&self) -> Option<&str> {
        self.spiffe_trust_domain.as_deref()
    }

    /// Whether email addresses must be verified.
    #[must_use]
    pub fn email_verification(&self) -> EmailVerification {
        self.email_verification
    }

    /// The issuance policy.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Runs the issuance policy on a token's claims.
    ///
    /// # Errors
    ///
    /// [`PolicyDenied`] naming every rule and the first condition that failed in each.
    pub fn check_policy(&self, claims: &Map<String, Value>) -> Result<AllowedBy, PolicyDenied> {
        self.policy.evaluate(self.id(), claims)
    }

    /// This issuer's entry in `GET /api/v2/configuration`.
    #[must_use]
    pub fn configuration(&self) -> ConfigurationIssuer {
        ConfigurationIssuer {
            issuer_url: self.issuer_url().map(str::to_owned),
            wildcard_issuer_url: self.wildcard_issuer_url().map(str::to_owned),
            audience: self.audience.clone(),
            challenge_claim: self.challenge_claim.clone(),
            spiffe_trust_domain: self.spiffe_trust_domain.clone(),
            issuer_type: self.issuer_type,
            subject_domain: self.subject_domain.clone(),
            skip_email_verification: self.email_verification
                == EmailVerification::DangerouslySkipped,
        }
    }

    fn from_config(index: usize, config: &IssuerConfig) -> Result<Self, ConfigError> {
        let (matcher, issuer_url) = match (&config.issuer_url, &config.wildcard_issuer_url) {
            (None, None) => return Err(ConfigError::MissingIssuerUrl { index }),
            (Some(url), Some(pattern)) => {
                return Err(ConfigError::BothIssuerUrls {
                    index,
                    issuer_url: url.clone(),
                    wildcard_issuer_url: pattern.clone(),
                })
            }
            (Some(url), None) => {
                let parsed = syntax::check_issuer_url(url).map_err(|problem| {
                    ConfigError::InvalidIssuerUrl {
                        issuer: url.clone(),
                        problem,
                    }
                })?;
                (IssuerMatcher::Exact(url.clone()), Some(parsed))
            }
            (None, Some(text)) => (IssuerMatcher::Wildcard(check_wildcard(text)?), None),
        };
        let issuer = match &matcher {
            IssuerMatcher::Exact(url) => url.clone(),
            IssuerMatcher::Wildcard(pattern) => pattern.as_str().to_owned(),
        };
        let issuer_type = config.issuer_type;

        if config.audience.is_empty() {
            return Err(ConfigError::EmptyAudience { issuer });
        }
        let challenge_claim = match &config.challenge_claim {
            Some(claim) => {
                if claim.is_empty() || claim.chars().any(char::is_control) {
                    return Err(ConfigError::InvalidChallengeClaim {
                        issuer,
                        claim: claim.clone(),
                    });
                }
                claim.clone()
            }
            None if issuer_type == IssuerType::Email => "email".to_owned(),
            None => "sub".to_owned(),
        };

        let subject_origin =
            check_subject_domain(&issuer, issuer_type, config, issuer_url.as_ref())?;

        match (issuer_type, &config.spiffe_trust_domain) {
            (IssuerType::Spiffe, None) => {
                return Err(ConfigError::MissingSpiffeTrustDomain { issuer })
            }
            (IssuerType::Spiffe, Some(td)) if !syntax::is_spiffe_trust_domain(td) => {
                return Err(ConfigError::InvalidSpiffeTrustDomain {
                    issuer,
                    trust_domain: td.clone(),
                })
            }
            (IssuerType::Spiffe, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                return Err(ConfigError::UnexpectedSpiffeTrustDomain {
                    issuer,
                    issuer_type,
                })
            }
        }

        let email_verification = if config.dangerous_skip_email_verification {
            if issuer_type != IssuerType::Email {
                return Err(ConfigError::SkipEmailVerificationNotEmail {
                    issuer,
                    issuer_type,
                });
            }
            EmailVerification::DangerouslySkipped
        } else {
            EmailVerification::Required
        };

        let policy = Policy::from_config(&issuer, &config.policy)?;

        Ok(Self {
            matcher,
            issuer_type,
            audience: config.audience.clone(),
            challenge_claim,
            subject_domain: config.subject_domain.clone(),
            subject_origin,
            spiffe_trust_domain: config.spiffe_trust_domain.clone(),
            email_verification,
            policy,
        })
    }
}

/// A wildcard issuer pattern must parse, contain a `*`, and with every `*` replaced by a
/// letter be an acceptable issuer URL (so `?`, `#`, `@`, spaces and non-https schemes
/// are refused in its literal text).
fn check_wildcard(text: &str) -> Result<Pattern, ConfigError> {
    let pattern = Pattern::parse(text).map_err(|problem| ConfigError::InvalidPattern {
        issuer: text.to_owned(),
        problem,
    })?;
    if !pattern.has_wildcard() {
        return Err(ConfigError::NoWildcard {
            issuer: text.to_owned(),
        });
    }
    // The host's last label must be literal and contain a letter: then no IP literal
    // (decimal, hex or dotted) and no other domain can match.
    let authority = text
        .split_once("://")
        .map_or(text, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or("");
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let tld = host.rsplit('.').next().unwrap_or("");
    if tld.contains(crate::pattern::WILDCARD) || !tld.bytes().any(|b| b.is_ascii_alphabetic()) {
        return Err(ConfigError::WildcardHost {
            issuer: text.to_owned(),
        });
    }
    let example = text.replace(crate::pattern::WILDCARD, "a");
    syntax::check_issuer_url(&example).map_err(|problem| ConfigError::InvalidIssuerUrl {
        issuer: text.to_owned(),
        problem,
    })?;
    Ok(pattern)
}

/// Checks `subject_domain` for the issuer type; returns the parsed origin of a `uri`
/// issuer. `issuer_url` is `None` for wildcard issuers.
fn check_subject_domain(
    issuer: &str,
    issuer_type: IssuerType,
    config: &IssuerConfig,
    issuer_url: Option<&Url>,
) -> Result<Option<Url>, ConfigError> {
    let needs_domain = matches!(issuer_type, IssuerType::Uri | IssuerType::Username);
    let Some(domain) = &config.subject_domain else {
        if needs_domain {
            return Err(ConfigError::MissingSubjectDomain {
                issuer: issuer.to_owned(),
                issuer_type,
            });
        }
        return Ok(None);
    };
    if !needs_domain {
        return Err(ConfigError::UnexpectedSubjectDomain {
            issuer: issuer.to_owned(),
            issuer_type,
        });
    }
    let Some(issuer_url) = issuer_url else {
        return Err(ConfigError::WildcardNotAllowed {
            issuer: issuer.to_owned(),
            issuer_type,
        });
    };
    let invalid = |problem| ConfigError::InvalidSubjectDomain {
        issuer: issuer.to_owned(),
        subject_domain: domain.clone(),
        problem,
    };
    let not_owned = || ConfigError::SubjectDomainNotOwned {
        issuer: issuer.to_owned(),
        subject_domain: domain.clone(),
    };
    let issuer_host = issuer_url.host_str().unwrap_or_default();
    if issuer_type == IssuerType::Uri {
        let origin = syntax::check_origin(domain).map_err(invalid)?;
        let host = origin.host_str().unwrap_or_default();
        if origin.scheme() != issuer_url.scheme()
            || !syntax::same_registered_domain(host, issuer_host)
        {
            return Err(not_owned());
        }
        Ok(Some(origin))
    } else {
        if !syntax::is_host_name(domain) {
            return Err(invalid(UrlProblem::NotAHostName));
        }
        if !syntax::same_registered_domain(domain, issuer_host) {
            return Err(not_owned());
        }
        Ok(None)
    }
}

/// All trusted issuers, looked up by a token's `iss`.
#[derive(Clone, Debug)]
pub struct IssuerRegistry {
    issuers: Vec<Issuer>,
    /// Exact issuer URL → index in `issuers`.
    exact: HashMap<String, usize>,
    /// Indexes of wildcard issuers, in configuration order.
    wildcards: Vec<usize>,
}

impl IssuerRegistry {
    /// Checks the configuration and builds the registry.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] found, naming the issuer (and rule) concerned.
    pub fn from_config(config: &IdentityConfig) -> Result<Self, ConfigError> {
        if config.issuers.is_empty() {
            return Err(ConfigError::NoIssuers);
        }
        let mut issuers = Vec::with_capacity(config.issuers.len());
        let mut exact = HashMap::new();
        let mut wildcards = Vec::new();
        let mut seen_patterns = HashSet::new();
        for (index, issuer_config) in config.issuers.iter().enumerate() {
            let issuer = Issuer::from_config(index, issuer_config)?;
            let duplicate = match &issuer.matcher {
                IssuerMatcher::Exact(url) => exact.insert(url.clone(), index).is_some(),
                IssuerMatcher::Wildcard(pattern) => {
                    wildcards.push(index);
                    !seen_patterns.insert(pattern.as_str().to_owned())
                }
            };
            if duplicate {
                return Err(ConfigError::DuplicateIssuer {
                    issuer: issuer.id().to_owned(),
                });
            }
            issuers.push(issuer);
        }
        Ok(Self {
            issuers,
            exact,
            wildcards,
        })
    }

    /// The issuer for a token's `iss`: an exact issuer URL first, then the wildcard
    /// patterns in configuration order. `None` when no issuer is trusted for it.
    #[must_use]
    pub fn find(&self, iss: &str) -> Option<&Issuer> {
        if iss.len() > syntax::MAX_URL_BYTES {
            return None;
        }
        if let Some(&i) = self.exact.get(iss) {
            return Some(&self.issuers[i]);
        }
        self.wildcards
            .iter()
            .map(|&i| &self.issuers[i])
            .find(|issuer| issuer.matches(iss))
    }

    /// All issuers, in configuration order.
    #[must_use]
    pub fn issuers(&self) -> &[Issuer] {
        &self.issuers
    }

    /// The body of `GET /api/v2/configuration`.
    #[must_use]
    pub fn configuration(&self) -> Configuration {
        Configuration {
            issuers: self.issuers.iter().map(Issuer::configuration).collect(),
        }
    }
}

/// The body of `GET /api/v2/configuration` (PROTOCOL.md §2.7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// One entry per trusted issuer, in configuration order.
    pub issuers: Vec<ConfigurationIssuer>,
}

/// One issuer in `GET /api/v2/configuration`, with Fulcio's camelCase field names.
/// Unset fields are omitted, as proto3 JSON does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationIssuer {
    /// `issuerUrl`, for exact issuers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_url: Option<String>,
    /// `wildcardIssuerUrl`, for pattern issuers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wildcard_issuer_url: Option<String>,
    /// `audience`.
    pub audience: String,
    /// `challengeClaim`: `email` or `sub` by default.
    pub challenge_claim: String,
    /// `spiffeTrustDomain`, for spiffe issuers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spiffe_trust_domain: Option<String>,
    /// `issuerType`.
    pub issuer_type: IssuerType,
    /// `subjectDomain`, for uri and username issuers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_domain: Option<String>,
    /// `skipEmailVerification`, present only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_email_verification: bool,
}

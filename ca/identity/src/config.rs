//! The identity configuration as written by an operator (JSON or TOML), and the errors
//! found when checking it.
//!
//! These are plain serde types, read by the CA binary; [`crate::IssuerRegistry::from_config`]
//! checks them once and turns them into the validated [`crate::Issuer`]s (parse, don't
//! validate). Field names follow Fulcio's configuration where it has one, in snake_case.
//!
//! ```toml
//! [[issuers]]
//! issuer_url = "https://token.actions.githubusercontent.com"
//! issuer_type = "github-workflow"
//!
//! [[issuers.policy]]
//! name = "releases of octo-org"
//! conditions = { repository_owner = ["octo-org"], ref_protected = ["true"] }
//!
//! [[issuers]]
//! wildcard_issuer_url = "https://oidc.eks.*.amazonaws.com/id/*"
//! issuer_type = "kubernetes"
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::pattern::PatternError;

/// The audience tokens must carry unless an issuer says otherwise (PROTOCOL.md §2.3).
pub const DEFAULT_AUDIENCE: &str = "sigstore";

/// The whole identity configuration: the OIDC issuers the CA trusts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// The trusted issuers. A token whose `iss` matches none of them is refused.
    pub issuers: Vec<IssuerConfig>,
}

/// One trusted OIDC issuer (Fulcio's `oidc-issuers` / `meta-issuers` entries).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The exact issuer URL, compared byte for byte with the token's `iss`. Exactly one
    /// of this and [`Self::wildcard_issuer_url`] is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_url: Option<String>,
    /// A pattern for many issuers (Fulcio's "meta issuer"): anchored, and each `*`
    /// matches one or more of `[-_a-zA-Z0-9]` (see [`crate::pattern`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wildcard_issuer_url: Option<String>,
    /// What kind of identity the issuer vouches for; decides the certificate contents.
    pub issuer_type: IssuerType,
    /// The `aud` tokens must carry for this issuer.
    #[serde(default = "default_audience")]
    pub audience: String,
    /// `uri` issuers: the `scheme://host[:port]` every subject must have. `username`
    /// issuers: the host name appended after `!`. Must be under the issuer's own domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_domain: Option<String>,
    /// `spiffe` issuers: the trust domain every SPIFFE ID must belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spiffe_trust_domain: Option<String>,
    /// The claim whose value the proof of possession signs (PROTOCOL.md §2.2). Default:
    /// `email` for email issuers, `sub` for all others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_claim: Option<String>,
    /// Email issuers only: issue certificates for addresses the issuer has NOT verified
    /// (`email_verified` not `true`). Anyone who can create an account at that issuer
    /// with someone else's address then gets a certificate naming it. Fulcio's
    /// `skip-email-verification`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dangerous_skip_email_verification: bool,
    /// Which tokens of this issuer may obtain a certificate. Empty: every identity the
    /// issuer vouches for. Otherwise a token is allowed when all conditions of at least
    /// one rule hold ([`crate::policy`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<RuleConfig>,
}

fn default_audience() -> String {
    DEFAULT_AUDIENCE.to_owned()
}

/// The kinds of identity (PROTOCOL.md §2.7, §3.4), named as in Fulcio's
/// `/api/v2/configuration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum IssuerType {
    /// A person's verified email address (rfc822Name SAN).
    Email,
    /// A GitHub Actions workflow run (URI SAN + CI extensions).
    GithubWorkflow,
    /// A GitLab CI pipeline job (URI SAN + CI extensions).
    GitlabPipeline,
    /// A Kubernetes service account (URI SAN).
    Kubernetes,
    /// A SPIFFE workload (URI SAN = the SPIFFE ID).
    Spiffe,
    /// A URI under the issuer's subject domain (URI SAN = `sub`).
    Uri,
    /// A user name at the issuer's subject domain (OtherName SAN `sub!domain`).
    Username,
}

impl IssuerType {
    /// The kebab-case name used in configuration and `/api/v2/configuration`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::GithubWorkflow => "github-workflow",
            Self::GitlabPipeline => "gitlab-pipeline",
            Self::Kubernetes => "kubernetes",
            Self::Spiffe => "spiffe",
            Self::Uri => "uri",
            Self::Username => "username",
        }
    }
}

impl fmt::Display for IssuerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One named policy rule: claim → allowed values. All conditions must hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The rule's name, recorded with every certificate it allows and quoted in denials.
    pub name: String,
    /// Claim name (a top-level claim, or an RFC 6901 JSON Pointer starting with `/` for
    /// a nested one, e.g. `/kubernetes.io/namespace`) → the values it may have.
    pub conditions: BTreeMap<String, Vec<AllowedValueConfig>>,
}

/// An allowed claim value as written in the configuration.
///
/// Strings, booleans and integers are compared with the claim's text (a string claim's
/// value, or a boolean/number claim's JSON text: `true`, `42`). `{ pattern = "…" }`
/// matches string claims with the [`crate::pattern`] semantics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AllowedValueConfig {
    /// Exact text.
    Text(String),
    /// A boolean claim value.
    Bool(bool),
    /// An integer claim value.
    Integer(i64),
    /// A wildcard pattern.
    Pattern(PatternValueConfig),
}

/// `{ pattern = "…" }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternValueConfig {
    /// The pattern text.
    pub pattern: String,
}

/// Why a URL in the configuration or a token was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlProblem {
    /// Longer than the cap.
    #[error("{len} bytes, more than {max}")]
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// A character outside RFC 3986's URI characters (space, `\`, `"`, non-ASCII, ...).
    #[error("character {character:?} is not allowed in a URI")]
    Character {
        /// The first offending character.
        character: char,
    },
    /// The URL parser refused it.
    #[error("not a URL: {0}")]
    Parse(#[source] url::ParseError),
    /// The scheme is not the one required here.
    #[error("scheme {scheme:?} is not allowed here (https, or http on a loopback host only)")]
    Scheme {
        /// The scheme found.
        scheme: String,
    },
    /// There is no host.
    #[error("no host")]
    NoHost,
    /// A `user:password@` part.
    #[error("user information (`user@`) is not allowed")]
    Userinfo,
    /// A `?query`.
    #[error("a query (`?`) is not allowed")]
    Query,
    /// A `#fragment`.
    #[error("a fragment (`#`) is not allowed")]
    Fragment,
    /// A path where only `scheme://host[:port]` is allowed.
    #[error("a path is not allowed, only scheme://host[:port]")]
    Path,
    /// The URL is not written the way the URL standard writes it (upper-case host,
    /// default port, `..` segments, ...), so byte comparisons would be unreliable.
    #[error("not in canonical form; write it as {canonical:?}")]
    NotCanonical {
        /// The canonical spelling.
        canonical: String,
    },
    /// Not a DNS host name (letters, digits and `-` in dot-separated labels).
    #[error("not a DNS host name")]
    NotAHostName,
}

/// A mistake in the identity configuration. `issuer` fields hold the configured issuer
/// URL or pattern.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No issuer at all: the CA could not issue anything.
    #[error("no issuers configured")]
    NoIssuers,
    /// An issuer with neither `issuer_url` nor `wildcard_issuer_url`.
    #[error("issuer #{index}: set issuer_url or wildcard_issuer_url")]
    MissingIssuerUrl {
        /// 0-based position in `issuers`.
        index: usize,
    },
    /// An issuer with both.
    #[error("issuer #{index}: both issuer_url {issuer_url:?} and wildcard_issuer_url {wildcard_issuer_url:?} are set; use one")]
    BothIssuerUrls {
        /// 0-based position in `issuers`.
        index: usize,
        /// The exact URL given.
        issuer_url: String,
        /// The pattern given.
        wildcard_issuer_url: String,
    },
    /// The issuer URL (or the pattern with each `*` replaced by a letter) is not an
    /// acceptable issuer URL.
    #[error("issuer {issuer}: invalid issuer URL: {problem}")]
    InvalidIssuerUrl {
        /// The issuer.
        issuer: String,
        /// What is wrong.
        #[source]
        problem: UrlProblem,
    },
    /// The wildcard pattern does not parse.
    #[error("issuer {issuer}: invalid wildcard pattern: {problem}")]
    InvalidPattern {
        /// The issuer.
        issuer: String,
        /// What is wrong.
        #[source]
        problem: PatternError,
    },
    /// A wildcard pattern whose host does not end in a literal top-level label: its `*`
    /// could match an IP address (`https://*` matches `https://2130706433`, 127.0.0.1)
    /// or any host (GHSA-59jp-pj84-45mr's outcome).
    #[error("issuer {issuer}: the host of a wildcard_issuer_url must end in a literal top-level label with a letter, e.g. https://*.example.com; a `*` there could match an IP address or any host")]
    WildcardHost {
        /// The issuer.
        issuer: String,
    },
    /// A `wildcard_issuer_url` without `*`.
    #[error("issuer {issuer}: wildcard_issuer_url has no `*`; use issuer_url for a single issuer")]
    NoWildcard {
        /// The issuer.
        issuer: String,
    },
    /// A wildcard for a type whose subject domain must be checked against a fixed host.
    #[error("issuer {issuer}: {issuer_type} issuers need a fixed issuer_url (their subject_domain is checked against its host)")]
    WildcardNotAllowed {
        /// The issuer.
        issuer: String,
        /// Its type.
        issuer_type: IssuerType,
    },
    /// The same issuer URL or pattern twice.
    #[error("issuer {issuer} is configured twice")]
    DuplicateIssuer {
        /// The issuer.
        issuer: String,
    },
    /// An empty `audience`.
    #[error("issuer {issuer}: empty audience")]
    EmptyAudience {
        /// The issuer.
        issuer: String,
    },
    /// An empty or non-printable `challenge_claim`.
    #[error("issuer {issuer}: invalid challenge_claim {claim:?}")]
    InvalidChallengeClaim {
        /// The issuer.
        issuer: String,
        /// The claim name given.
        claim: String,
    },
    /// A `uri` or `username` issuer without `subject_domain`.
    #[error("issuer {issuer}: {issuer_type} issuers need subject_domain")]
    MissingSubjectDomain {
        /// The issuer.
        issuer: String,
        /// Its type.
        issuer_type: IssuerType,
    },
    /// `subject_domain` on a type that does not use it.
    #[error(
        "issuer {issuer}: subject_domain is only for uri and username issuers, not {issuer_type}"
    )]
    UnexpectedSubjectDomain {
        /// The issuer.
        issuer: String,
        /// Its type.
        issuer_type: IssuerType,
    },
    /// A malformed `subject_domain`.
    #[error("issuer {issuer}: invalid subject_domain {subject_domain:?}: {problem}")]
    InvalidSubjectDomain {
        /// The issuer.
        issuer: String,
        /// The value given.
        subject_domain: String,
        /// What is wrong.
        #[source]
        problem: UrlProblem,
    },
    /// A `subject_domain` outside the issuer's own domain: an issuer may only vouch for
    /// names under its registered domain (scheme and the last two DNS labels match, as
    /// Fulcio's `validateAllowedDomain`).
    #[error("issuer {issuer}: subject_domain {subject_domain:?} is not under the issuer's domain")]
    SubjectDomainNotOwned {
        /// The issuer.
        issuer: String,
        /// The value given.
        subject_domain: String,
    },
    /// A `spiffe` issuer without `spiffe_trust_domain`.
    #[error("issuer {issuer}: spiffe issuers need spiffe_trust_domain")]
    MissingSpiffeTrustDomain {
        /// The issuer.
        issuer: String,
    },
    /// `spiffe_trust_domain` on a non-SPIFFE issuer.
    #[error("issuer {issuer}: spiffe_trust_domain is only for spiffe issuers, not {issuer_type}")]
    UnexpectedSpiffeTrustDomain {
        /// The issuer.
        issuer: String,
        /// Its type.
        issuer_type: IssuerType,
    },
    /// A trust domain that is not `[a-z0-9._-]+`.
    #[error("issuer {issuer}: invalid spiffe_trust_domain {trust_domain:?} (lower-case letters, digits, `.`, `-`, `_`)")]
    InvalidSpiffeTrustDomain {
        /// The issuer.
        issuer: String,
        /// The value given.
        trust_domain: String,
    },
    /// `dangerous_skip_email_verification` on a non-email issuer.
    #[error("issuer {issuer}: dangerous_skip_email_verification applies only to email issuers, not {issuer_type}")]
    SkipEmailVerificationNotEmail {
        /// The issuer.
        issuer: String,
        /// Its type.
        issuer_type: IssuerType,
    },
    /// A policy rule without a name.
    #[error("issuer {issuer}: policy rule #{index} has an empty name")]
    EmptyRuleName {
        /// The issuer.
        issuer: String,
        /// 0-based position in `policy`.
        index: usize,
    },
    /// A rule name starting with `*`, which is reserved for
    /// [`crate::policy::any_identity_rule_name`].
    #[error("issuer {issuer}: policy rule name {rule:?} is reserved (names starting with `*` are not allowed)")]
    ReservedRuleName {
        /// The issuer.
        issuer: String,
        /// The rule name.
        rule: String,
    },
    /// Two rules with the same name: the audit record could not tell them apart.
    #[error("issuer {issuer}: two policy rules are named {rule:?}")]
    DuplicateRuleName {
        /// The issuer.
        issuer: String,
        /// The rule name.
        rule: String,
    },
    /// A rule with no conditions (it would allow everything; leave `policy` empty instead).
    #[error("issuer {issuer}: policy rule {rule:?} has no conditions (to allow every identity, leave policy empty)")]
    RuleWithoutConditions {
        /// The issuer.
        issuer: String,
        /// The rule name.
        rule: String,
    },
    /// A condition with an empty list of allowed values (it could never hold).
    #[error("issuer {issuer}: policy rule {rule:?}: claim {claim:?} has no allowed values")]
    ConditionWithoutValues {
        /// The issuer.
        issuer: String,
        /// The rule name.
        rule: String,
        /// The claim.
        claim: String,
    },
    /// An empty claim name, or a `/…` JSON Pointer with a bad `~` escape.
    #[error("issuer {issuer}: policy rule {rule:?}: invalid claim name {claim:?}")]
    InvalidClaimName {
        /// The issuer.
        issuer: String,
        /// The rule name.
        rule: String,
        /// The claim name given.
        claim: String,
    },
    /// An allowed-value pattern that does not parse.
    #[error("issuer {issuer}: policy rule {rule:?}: claim {claim:?}: invalid pattern: {problem}")]
    InvalidValuePattern {
        /// The issuer.
        issuer: String,
        /// The rule name.
        rule: String,
        /// The claim.
        claim: String,
        /// What is wrong.
        #[source]
        problem: PatternError,
    },
}

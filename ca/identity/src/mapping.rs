//! Token claims → certificate identity (PROTOCOL.md §3.3, §3.4), the proof-of-possession
//! challenge (§2.2), and an audit summary.
//!
//! Every certificate carries the issuer as `.1` (raw) and `.8` (DER UTF8String), and the
//! token subject as `.24`; GitHub Actions and GitLab CI identities add the build
//! extensions their Fulcio ci-provider templates define.
//! Extensions are emitted in ascending arc order and empty values are omitted.
//!
//! The claims must already be signature-, audience- and expiry-checked (that is
//! `signet-oidc`'s job); this module only reads them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use signet_ca_core::san::{CertIdentity, FulcioExtension, SubjectAltName};

use crate::ci;
use crate::claims::Claims;
use crate::config::{IssuerType, UrlProblem};
use crate::issuer::{EmailVerification, Issuer};
use crate::syntax;

/// Cap on every claim value the mapping reads (bytes).
pub const MAX_CLAIM_BYTES: usize = 2048;

/// A token's identity, ready for the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedIdentity {
    /// SAN and Sigstore extensions.
    pub cert: CertIdentity,
    /// The text the proof of possession must sign: the issuer's `challengeClaim` value.
    pub challenge: String,
    /// What to record about the identity in the audit log.
    pub summary: IdentitySummary,
}

/// The kind of subjectAltName, for the audit summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SanType {
    /// rfc822Name.
    Email,
    /// uniformResourceIdentifier.
    Uri,
    /// OtherName `1.3.6.1.4.1.57264.1.7`.
    Username,
}

/// The identity as recorded with an issuance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySummary {
    /// The token's `iss`.
    pub issuer: String,
    /// The issuer's type.
    pub issuer_type: IssuerType,
    /// The token's `sub`.
    pub subject: String,
    /// The kind of SAN.
    pub san_type: SanType,
    /// The SAN value (for usernames, `sub!domain`).
    pub san: String,
    /// CI identities: what was built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<CiSummary>,
}

/// What a CI identity built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiSummary {
    /// The source repository (`owner/name`, or GitLab's project path).
    pub repository: String,
    /// The git ref built (`refs/heads/…`, `refs/tags/…`, ...).
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The top-level workflow / pipeline definition (`…/.github/workflows/x.yml@ref`).
    pub workflow: String,
    /// The deployment environment, if the job had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// What a claim should have been.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimKind {
    /// A JSON string.
    String,
    /// A JSON string or integer.
    StringOrInteger,
    /// A JSON object.
    Object,
}

impl std::fmt::Display for ClaimKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::String => "a string",
            Self::StringOrInteger => "a string or an integer",
            Self::Object => "an object",
        })
    }
}

/// Why a subject is not a SPIFFE ID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpiffeIdProblem {
    /// Longer than the cap.
    #[error("{len} bytes, more than {max}")]
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Does not start with `spiffe://`.
    #[error("does not start with spiffe://")]
    Scheme,
    /// The trust domain is empty or has characters other than `[a-z0-9._-]`.
    #[error("the trust domain is not [a-z0-9._-]+")]
    TrustDomain,
    /// No workload path after the trust domain.
    #[error("no path after the trust domain")]
    NoPath,
    /// An empty, `.` or `..` path segment (or a trailing `/`).
    #[error("empty, `.` or `..` path segment")]
    Segment,
    /// A path character other than `[a-zA-Z0-9._-]`.
    #[error("character {character:?} is not allowed in the path")]
    Character {
        /// The first offending character.
        character: char,
    },
}

/// Why a token's claims cannot become a certificate identity (the CA answers 400).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// `map_identity` was called with an issuer that does not match `iss`.
    #[error("token issuer {iss} does not match the configured issuer {issuer}")]
    IssuerMismatch {
        /// The configured issuer.
        issuer: String,
        /// The verified `iss`.
        iss: String,
    },
    /// The claims' `iss` differs from the verified issuer passed alongside.
    #[error("the token's iss claim {claim} differs from the verified issuer {iss}")]
    IssClaimMismatch {
        /// The verified `iss`.
        iss: String,
        /// The claim, as JSON text.
        claim: String,
    },
    /// A required claim is absent (or `null`).
    #[error("the token has no {claim} claim")]
    MissingClaim {
        /// The claim (`a.b` for nested claims).
        claim: String,
    },
    /// A required claim is the empty string.
    #[error("the token's {claim} claim is empty")]
    EmptyClaim {
        /// The claim.
        claim: String,
    },
    /// A claim has the wrong JSON type.
    #[error("the token's {claim} claim is not {expected}")]
    ClaimType {
        /// The claim.
        claim: String,
        /// What it should be.
        expected: ClaimKind,
    },
    /// A claim is larger than [`MAX_CLAIM_BYTES`].
    #[error("the token's {claim} claim is {len} bytes, more than {max}")]
    ClaimTooLong {
        /// The claim.
        claim: String,
        /// Its length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// A claim contains a control character.
    #[error("the token's {claim} claim contains control character {character:?}")]
    ControlCharacter {
        /// The claim.
        claim: String,
        /// The character.
        character: char,
    },
    /// An email issuer's token whose `email_verified` is not `true`.
    #[error("the email address {email} is not verified by the issuer (email_verified is {email_verified})")]
    EmailNotVerified {
        /// The address.
        email: String,
        /// `email_verified` as JSON text, or `absent`.
        email_verified: String,
    },
    /// The `email` claim is not a plain `local@domain` address.
    #[error("{email:?} is not a valid email address")]
    InvalidEmail {
        /// The claim value.
        email: String,
    },
    /// A URI SAN built from claims is not a valid URI.
    #[error("the certificate URI {uri:?} built from the {claim} claim is invalid: {problem}")]
    InvalidSanUri {
        /// The claim the URI was built from.
        claim: String,
        /// The URI.
        uri: String,
        /// What is wrong.
        #[source]
        problem: UrlProblem,
    },
    /// GitHub's `server_url` claim is not an `https://host` origin.
    #[error("the server_url claim {value:?} is invalid: {problem}")]
    InvalidServerUrl {
        /// The claim value.
        value: String,
        /// What is wrong.
        #[source]
        problem: UrlProblem,
    },
    /// GitLab's `ref_type` is neither `branch` nor `tag`.
    #[error("the ref_type claim {ref_type:?} is neither branch nor tag")]
    UnexpectedRefType {
        /// The claim value.
        ref_type: String,
    },
    /// A Kubernetes namespace or service account name that is not a DNS label/subdomain.
    #[error("the {claim} claim {value:?} is not a valid Kubernetes name")]
    InvalidKubernetesName {
        /// The claim.
        claim: String,
        /// Its value.
        value: String,
    },
    /// A SPIFFE issuer's subject that is not a SPIFFE ID.
    #[error("the subject {sub:?} is not a SPIFFE ID: {problem}")]
    InvalidSpiffeId {
        /// The subject.
        sub: String,
        /// What is wrong.
        #[source]
        problem: SpiffeIdProblem,
    },
    /// A SPIFFE ID of another trust domain.
    #[error("the SPIFFE ID {sub} is not in the trust domain {trust_domain}")]
    WrongTrustDomain {
        /// The subject.
        sub: String,
        /// The configured trust domain.
        trust_domain: String,
    },
    /// A `uri` or `username` subject that is (or looks like) an email address.
    #[error(
        "the subject {sub:?} looks like an email address, which a {issuer_type} identity must not"
    )]
    SubjectLooksLikeEmail {
        /// The subject.
        sub: String,
        /// The issuer type.
        issuer_type: IssuerType,
    },
    /// A `uri` subject that is not a canonical absolute URI.
    #[error("the subject {sub:?} is not a valid URI: {problem}")]
    InvalidUriSubject {
        /// The subject.
        sub: String,
        /// What is wrong.
        #[source]
        problem: UrlProblem,
    },
    /// A `uri` subject whose scheme, host or port differs from the subject domain's.
    #[error("the subject {sub} is outside the subject domain {subject_domain}")]
    SubjectOutsideDomain {
        /// The subject.
        sub: String,
        /// The configured subject domain.
        subject_domain: String,
    },
    /// A `username` subject containing `!`, the separator before the domain.
    #[error("the username {sub:?} contains `!`")]
    UsernameSeparator {
        /// The subject.
        sub: String,
    },
}

/// Maps a token's claims to the certificate identity for `issuer`.
///
/// `iss` is the token's verified issuer (for wildcard issuers it differs from
/// [`Issuer::id`]); it goes into extensions `.1` and `.8`.
///
/// # Errors
///
/// [`IdentityError`] naming the claim or check that failed.
pub fn map_identity(
    issuer: &Issuer,
    iss: &str,
    claims: &Map<String, Value>,
) -> Result<MappedIdentity, IdentityError> {
    if !issuer.matches(iss) {
        return Err(IdentityError::IssuerMismatch {
            issuer: issuer.id().to_owned(),
            iss: iss.to_owned(),
        });
    }
    match claims.get("iss") {
        None => {}
        Some(Value::String(claim)) if claim == iss => {}
        Some(other) => {
            return Err(IdentityError::IssClaimMismatch {
                iss: iss.to_owned(),
                claim: other.to_string(),
            })
        }
    }
    let claims = Claims::new(claims);
    let sub = claims.string("sub")?;
    let challenge = claims.text(issuer.challenge_claim())?;

    let (san, mut extensions, ci) = match issuer.issuer_type() {
        IssuerType::Email => (email(issuer, &claims)?, Vec::new(), None),
        IssuerType::GithubWorkflow => {
            let build = ci::github(&claims)?;
            (
                SubjectAltName::Uri(build.san),
                build.extensions,
                Some(build.summary),
            )
        }
        IssuerType::GitlabPipeline => {
            let build = ci::gitlab(iss, &claims)?;
            (
                SubjectAltName::Uri(build.san),
                build.extensions,
                Some(build.summary),
            )
        }
        IssuerType::Kubernetes => (kubernetes(&claims)?, Vec::new(), None),
        IssuerType::Spiffe => (spiffe(issuer, sub)?, Vec::new(), None),
        IssuerType::Uri => (uri(issuer, sub)?, Vec::new(), None),
        IssuerType::Username => (username(issuer, sub)?, Vec::new(), None),
    };

    // PROTOCOL.md §3.3: `.1` and `.8` always (sigstore-python reads only `.1`), `.24` = sub.
    extensions.push(extension(1, iss));
    extensions.push(extension(8, iss));
    extensions.push(extension(24, sub));
    extensions.retain(|e| !e.value.is_empty());
    extensions.sort_by_key(|e| e.arc);

    let (san_type, san_text) = match &san {
        SubjectAltName::Email(v) => (SanType::Email, v.clone()),
        SubjectAltName::Uri(v) => (SanType::Uri, v.clone()),
        SubjectAltName::Username(v) => (SanType::Username, v.clone()),
    };
    Ok(MappedIdentity {
        cert: CertIdentity { san, extensions },
        challenge,
        summary: IdentitySummary {
            issuer: iss.to_owned(),
            issuer_type: issuer.issuer_type(),
            subject: sub.to_owned(),
            san_type,
            san: san_text,
            ci,
        },
    })
}

/// One extension `1.3.6.1.4.1.57264.1.<arc>`.
pub(crate) fn extension(arc: u32, value: impl Into<String>) -> FulcioExtension {
    FulcioExtension {
        arc,
        value: value.into(),
    }
}

/// Checks a URI SAN built from a claim: URI characters only (rfc3986; the SAN is an
/// IA5String), a URL, no user information (no `host@evil` confusion).
pub(crate) fn uri_san(claim: &str, uri: String) -> Result<String, IdentityError> {
    let invalid = |uri: String, problem| IdentityError::InvalidSanUri {
        claim: claim.to_owned(),
        uri,
        problem,
    };
    if let Some(character) = syntax::first_non_uri_char(&uri) {
        return Err(invalid(uri, UrlProblem::Character { character }));
    }
    match url::Url::parse(&uri) {
        Err(e) => Err(invalid(uri, UrlProblem::Parse(e))),
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            Err(invalid(uri, UrlProblem::Userinfo))
        }
        Ok(url) if url.host().is_none() => Err(invalid(uri, UrlProblem::NoHost)),
        Ok(_) => Ok(uri),
    }
}

/// Email identities (PROTOCOL.md §2.3, §3.4): rfc822Name = `email`, which must be
/// verified unless the issuer dangerously skips that, and syntactically valid.
fn email(issuer: &Issuer, claims: &Claims<'_>) -> Result<SubjectAltName, IdentityError> {
    let email = claims.string("email")?;
    if issuer.email_verification() == EmailVerification::Required {
        let verified = claims.raw("email_verified");
        if verified != Some(&Value::Bool(true)) {
            return Err(IdentityError::EmailNotVerified {
                email: email.to_owned(),
                email_verified: verified.map_or_else(|| "absent".to_owned(), Value::to_string),
            });
        }
    }
    if !syntax::is_valid_email(email) {
        return Err(IdentityError::InvalidEmail {
            email: email.to_owned(),
        });
    }
    Ok(SubjectAltName::Email(email.to_owned()))
}

/// Kubernetes service accounts: `https://kubernetes.io/namespaces/<ns>/serviceaccounts/<sa>`
/// from the `kubernetes.io` claim object.
fn kubernetes(claims: &Claims<'_>) -> Result<SubjectAltName, IdentityError> {
    let k8s = claims.object("kubernetes.io")?;
    let namespace = k8s.string("namespace")?;
    if !syntax::is_kubernetes_label(namespace) {
        return Err(IdentityError::InvalidKubernetesName {
            claim: "kubernetes.io.namespace".to_owned(),
            value: namespace.to_owned(),
        });
    }
    let account = k8s.object("serviceaccount")?.string("name")?;
    if !syntax::is_kubernetes_subdomain(account) {
        return Err(IdentityError::InvalidKubernetesName {
            claim: "kubernetes.io.serviceaccount.name".to_owned(),
            value: account.to_owned(),
        });
    }
    Ok(SubjectAltName::Uri(format!(
        "https://kubernetes.io/namespaces/{namespace}/serviceaccounts/{account}"
    )))
}

/// SPIFFE: URI SAN = `sub`, a SPIFFE ID in exactly the configured trust domain.
fn spiffe(issuer: &Issuer, sub: &str) -> Result<SubjectAltName, IdentityError> {
    let trust_domain =
        syntax::parse_spiffe_id(sub).map_err(|problem| IdentityError::InvalidSpiffeId {
            sub: sub.to_owned(),
            problem,
        })?;
    let configured = issuer.spiffe_trust_domain().unwrap_or_default();
    if trust_domain != configured {
        return Err(IdentityError::WrongTrustDomain {
            sub: sub.to_owned(),
            trust_domain: configured.to_owned(),
        });
    }
    Ok(SubjectAltName::Uri(sub.to_owned()))
}

/// URI: URI SAN = `sub`, not an email, canonical, with the subject domain's scheme,
/// host and port.
fn uri(issuer: &Issuer, sub: &str) -> Result<SubjectAltName, IdentityError> {
    if syntax::is_valid_email(sub) {
        return Err(IdentityError::SubjectLooksLikeEmail {
            sub: sub.to_owned(),
            issuer_type: IssuerType::Uri,
        });
    }
    let url =
        syntax::parse_canonical_url(sub).map_err(|problem| IdentityError::InvalidUriSubject {
            sub: sub.to_owned(),
            problem,
        })?;
    let inside = issuer.subject_origin().is_some_and(|origin| {
        url.scheme() == origin.scheme()
            && url.host_str().is_some()
            && url.host_str() == origin.host_str()
            && url.port() == origin.port()
    });
    if !inside {
        return Err(IdentityError::SubjectOutsideDomain {
            sub: sub.to_owned(),
            subject_domain: issuer.subject_domain().unwrap_or_default().to_owned(),
        });
    }
    Ok(SubjectAltName::Uri(sub.to_owned()))
}

/// Username: OtherName SAN `<sub>!<subject domain>`; `sub` has no `!` and no `@`.
fn username(issuer: &Issuer, sub: &str) -> Result<SubjectAltName, IdentityError> {
    if sub.contains('!') {
        return Err(IdentityError::UsernameSeparator {
            sub: sub.to_owned(),
        });
    }
    if sub.contains('@') {
        return Err(IdentityError::SubjectLooksLikeEmail {
            sub: sub.to_owned(),
            issuer_type: IssuerType::Username,
        });
    }
    let domain = issuer.subject_domain().unwrap_or_default();
    Ok(SubjectAltName::Username(format!("{sub}!{domain}")))
}

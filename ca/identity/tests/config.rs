#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Configuration parsing (JSON and TOML), validation errors, issuer lookup and the
//! `GET /api/v2/configuration` body.

mod common;

use common::registry;
use serde_json::{json, Value};
use signet_ca_identity::config::{AllowedValueConfig, PatternValueConfig, UrlProblem};
use signet_ca_identity::pattern::PatternError;
use signet_ca_identity::{
    ConfigError, EmailVerification, IdentityConfig, IssuerRegistry, IssuerType,
};

const TOML: &str = r#"
[[issuers]]
issuer_url = "https://token.actions.githubusercontent.com"
issuer_type = "github-workflow"

[[issuers.policy]]
name = "releases of octo-org"
conditions = { repository_owner = ["octo-org"], ref_protected = [true], run_attempt = [1, { pattern = "*" }] }

[[issuers]]
wildcard_issuer_url = "https://oidc.eks.*.amazonaws.com/id/*"
issuer_type = "kubernetes"
audience = "signet"

[[issuers]]
issuer_url = "https://accounts.example.com"
issuer_type = "email"
dangerous_skip_email_verification = true

[[issuers]]
issuer_url = "https://spire.example.org"
issuer_type = "spiffe"
spiffe_trust_domain = "example.org"

[[issuers]]
issuer_url = "https://accounts.example.com/users"
issuer_type = "uri"
subject_domain = "https://users.example.com"
challenge_claim = "sub"

[[issuers]]
issuer_url = "https://accounts.example.com/logins"
issuer_type = "username"
subject_domain = "example.com"
"#;

#[test]
fn toml_and_json_read_the_same() {
    let from_toml: IdentityConfig = toml::from_str(TOML).unwrap();
    let json_text = serde_json::to_string(&from_toml).unwrap();
    let from_json: IdentityConfig = serde_json::from_str(&json_text).unwrap();
    assert_eq!(from_toml, from_json);

    let rule = &from_toml.issuers[0].policy[0];
    assert_eq!(rule.name, "releases of octo-org");
    assert_eq!(
        rule.conditions["repository_owner"],
        vec![AllowedValueConfig::Text("octo-org".into())]
    );
    assert_eq!(
        rule.conditions["ref_protected"],
        vec![AllowedValueConfig::Bool(true)]
    );
    assert_eq!(
        rule.conditions["run_attempt"],
        vec![
            AllowedValueConfig::Integer(1),
            AllowedValueConfig::Pattern(PatternValueConfig {
                pattern: "*".into()
            })
        ]
    );

    let registry = IssuerRegistry::from_config(&from_toml).unwrap();
    assert_eq!(registry.issuers().len(), 6);
}

#[test]
fn defaults() {
    let config: IdentityConfig = toml::from_str(TOML).unwrap();
    let registry = IssuerRegistry::from_config(&config).unwrap();
    let github = registry
        .find("https://token.actions.githubusercontent.com")
        .unwrap();
    assert_eq!(github.audience(), "sigstore");
    assert_eq!(github.challenge_claim(), "sub");
    assert_eq!(github.issuer_type(), IssuerType::GithubWorkflow);
    assert_eq!(github.email_verification(), EmailVerification::Required);
    assert!(!github.policy().allows_any_identity());
    assert_eq!(
        github.policy().rule_names().collect::<Vec<_>>(),
        ["releases of octo-org"]
    );

    let eks = registry
        .find("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123")
        .unwrap();
    assert_eq!(eks.audience(), "signet");
    assert_eq!(eks.id(), "https://oidc.eks.*.amazonaws.com/id/*");
    assert_eq!(eks.issuer_url(), None);
    assert!(eks.policy().allows_any_identity());

    let email = registry.find("https://accounts.example.com").unwrap();
    assert_eq!(email.challenge_claim(), "email");
    assert_eq!(
        email.email_verification(),
        EmailVerification::DangerouslySkipped
    );
}

#[test]
fn configuration_endpoint_body() {
    let config: IdentityConfig = toml::from_str(TOML).unwrap();
    let registry = IssuerRegistry::from_config(&config).unwrap();
    let body = serde_json::to_value(registry.configuration()).unwrap();
    assert_eq!(
        body,
        json!({ "issuers": [
            { "issuerUrl": "https://token.actions.githubusercontent.com", "audience": "sigstore",
              "challengeClaim": "sub", "issuerType": "github-workflow" },
            { "wildcardIssuerUrl": "https://oidc.eks.*.amazonaws.com/id/*", "audience": "signet",
              "challengeClaim": "sub", "issuerType": "kubernetes" },
            { "issuerUrl": "https://accounts.example.com", "audience": "sigstore",
              "challengeClaim": "email", "issuerType": "email", "skipEmailVerification": true },
            { "issuerUrl": "https://spire.example.org", "audience": "sigstore",
              "challengeClaim": "sub", "spiffeTrustDomain": "example.org", "issuerType": "spiffe" },
            { "issuerUrl": "https://accounts.example.com/users", "audience": "sigstore",
              "challengeClaim": "sub", "issuerType": "uri", "subjectDomain": "https://users.example.com" },
            { "issuerUrl": "https://accounts.example.com/logins", "audience": "sigstore",
              "challengeClaim": "sub", "issuerType": "username", "subjectDomain": "example.com" }
        ]})
    );
}

#[test]
fn unknown_fields_and_types_are_refused() {
    for bad in [
        json!({ "issuers": [], "extra": 1 }),
        json!({ "issuers": [{ "issuer_url": "https://a.example.com", "issuer_type": "email", "client_id": "x" }] }),
        json!({ "issuers": [{ "issuer_url": "https://a.example.com", "issuer_type": "buildkite-job" }] }),
        json!({ "issuers": [{ "issuer_url": "https://a.example.com" }] }),
        json!({ "issuers": [{ "issuer_url": "https://a.example.com", "issuer_type": "email",
                              "policy": [{ "name": "r", "conditions": {}, "extra": 1 }] }] }),
        json!({ "issuers": [{ "issuer_url": "https://a.example.com", "issuer_type": "email",
                              "policy": [{ "name": "r", "conditions": { "c": [{ "pattern": "x", "flags": "i" }] } }] }] }),
        json!({ "issuers": [{ "issuer_url": "https://a.example.com", "issuer_type": "email",
                              "policy": [{ "name": "r", "conditions": { "c": [1.5] } }] }] }),
    ] {
        assert!(
            serde_json::from_value::<IdentityConfig>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

/// Validates one issuer entry and returns the error.
fn error(issuer: Value) -> ConfigError {
    let config: IdentityConfig =
        serde_json::from_value(json!({ "issuers": [issuer] })).expect("parses");
    IssuerRegistry::from_config(&config).expect_err("must not validate")
}

#[test]
fn issuer_url_errors() {
    assert_eq!(
        IssuerRegistry::from_config(&IdentityConfig::default()).unwrap_err(),
        ConfigError::NoIssuers
    );
    assert_eq!(
        error(json!({ "issuer_type": "email" })),
        ConfigError::MissingIssuerUrl { index: 0 }
    );
    assert_eq!(
        error(
            json!({ "issuer_url": "https://a.example.com", "wildcard_issuer_url": "https://*.example.com",
                      "issuer_type": "email" })
        ),
        ConfigError::BothIssuerUrls {
            index: 0,
            issuer_url: "https://a.example.com".into(),
            wildcard_issuer_url: "https://*.example.com".into()
        }
    );
    for (url, problem) in [
        (
            "http://accounts.example.com",
            UrlProblem::Scheme {
                scheme: "http".into(),
            },
        ),
        ("https://accounts.example.com/?x=1", UrlProblem::Query),
        ("https://accounts.example.com/#x", UrlProblem::Fragment),
        ("https://user@accounts.example.com", UrlProblem::Userinfo),
        (
            "https://accounts.example.com/a b",
            UrlProblem::Character { character: ' ' },
        ),
        (
            "https://Accounts.example.com",
            UrlProblem::NotCanonical {
                canonical: "https://accounts.example.com/".into(),
            },
        ),
    ] {
        assert_eq!(
            error(json!({ "issuer_url": url, "issuer_type": "email" })),
            ConfigError::InvalidIssuerUrl {
                issuer: url.into(),
                problem
            },
            "{url}"
        );
    }
    // Loopback HTTP issuers are fine (tests, local development).
    registry(
        json!({ "issuers": [{ "issuer_url": "http://127.0.0.1:8080", "issuer_type": "email" }] }),
    );
}

#[test]
fn wildcard_errors() {
    assert_eq!(
        error(
            json!({ "wildcard_issuer_url": "https://accounts.example.com", "issuer_type": "email" })
        ),
        ConfigError::NoWildcard {
            issuer: "https://accounts.example.com".into()
        }
    );
    assert_eq!(
        error(json!({ "wildcard_issuer_url": "https://**.example.com", "issuer_type": "email" })),
        ConfigError::InvalidPattern {
            issuer: "https://**.example.com".into(),
            problem: PatternError::AdjacentWildcards { offset: 9 }
        }
    );
    // GHSA-59jp-pj84-45mr's outcome: a `*` in (or as) the top-level label could match an
    // IP literal such as https://2130706433 (127.0.0.1) or any host.
    for pattern in [
        "https://*",
        "https://*.*",
        "https://*/id/*",
        "https://example.*",
        "https://*.*.*.*",
        "https://10.0.0.*",
        "https://192.168.0.1/*",
        "https://*:8443",
    ] {
        assert_eq!(
            error(json!({ "wildcard_issuer_url": pattern, "issuer_type": "kubernetes" })),
            ConfigError::WildcardHost {
                issuer: pattern.into()
            },
            "{pattern}"
        );
    }
    for (pattern, problem) in [
        ("https://*.example.com/?x=*", UrlProblem::Query),
        ("https://*.example.com/#*", UrlProblem::Fragment),
        ("https://*@example.com", UrlProblem::Userinfo),
        (
            "http://*.example.com",
            UrlProblem::Scheme {
                scheme: "http".into(),
            },
        ),
        (
            "*://issuer.example.com",
            UrlProblem::Scheme { scheme: "a".into() },
        ),
        (
            "https://*.example.com/a b",
            UrlProblem::Character { character: ' ' },
        ),
    ] {
        assert_eq!(
            error(json!({ "wildcard_issuer_url": pattern, "issuer_type": "kubernetes" })),
            ConfigError::InvalidIssuerUrl {
                issuer: pattern.into(),
                problem
            },
            "{pattern}"
        );
    }
    for issuer_type in ["uri", "username"] {
        assert_eq!(
            error(
                json!({ "wildcard_issuer_url": "https://*.example.com", "issuer_type": issuer_type,
                          "subject_domain": "example.com" })
            ),
            ConfigError::WildcardNotAllowed {
                issuer: "https://*.example.com".into(),
                issuer_type: serde_json::from_value(json!(issuer_type)).unwrap()
            }
        );
    }
}

#[test]
fn duplicates() {
    let dup = |a: Value, b: Value| {
        let config: IdentityConfig = serde_json::from_value(json!({ "issuers": [a, b] })).unwrap();
        IssuerRegistry::from_config(&config).unwrap_err()
    };
    assert_eq!(
        dup(
            json!({ "issuer_url": "https://a.example.com", "issuer_type": "email" }),
            json!({ "issuer_url": "https://a.example.com", "issuer_type": "kubernetes" })
        ),
        ConfigError::DuplicateIssuer {
            issuer: "https://a.example.com".into()
        }
    );
    assert_eq!(
        dup(
            json!({ "wildcard_issuer_url": "https://*.example.com", "issuer_type": "email" }),
            json!({ "wildcard_issuer_url": "https://*.example.com", "issuer_type": "kubernetes" })
        ),
        ConfigError::DuplicateIssuer {
            issuer: "https://*.example.com".into()
        }
    );
}

#[test]
fn per_type_field_errors() {
    let i = "https://accounts.example.com";
    assert_eq!(
        error(json!({ "issuer_url": i, "issuer_type": "email", "audience": "" })),
        ConfigError::EmptyAudience { issuer: i.into() }
    );
    assert_eq!(
        error(json!({ "issuer_url": i, "issuer_type": "email", "challenge_claim": "" })),
        ConfigError::InvalidChallengeClaim {
            issuer: i.into(),
            claim: String::new()
        }
    );
    for t in ["uri", "username"] {
        assert_eq!(
            error(json!({ "issuer_url": i, "issuer_type": t })),
            ConfigError::MissingSubjectDomain {
                issuer: i.into(),
                issuer_type: serde_json::from_value(json!(t)).unwrap()
            }
        );
    }
    assert_eq!(
        error(json!({ "issuer_url": i, "issuer_type": "email", "subject_domain": "example.com" })),
        ConfigError::UnexpectedSubjectDomain {
            issuer: i.into(),
            issuer_type: IssuerType::Email
        }
    );
    assert_eq!(
        error(
            json!({ "issuer_url": i, "issuer_type": "uri", "subject_domain": "https://example.com/users" })
        ),
        ConfigError::InvalidSubjectDomain {
            issuer: i.into(),
            subject_domain: "https://example.com/users".into(),
            problem: UrlProblem::Path
        }
    );
    assert_eq!(
        error(
            json!({ "issuer_url": i, "issuer_type": "username", "subject_domain": "https://example.com" })
        ),
        ConfigError::InvalidSubjectDomain {
            issuer: i.into(),
            subject_domain: "https://example.com".into(),
            problem: UrlProblem::NotAHostName
        }
    );
    for (t, domain) in [
        ("uri", "https://example.org"),
        ("uri", "http://example.com"),
        ("uri", "https://evilexample.com"),
        ("username", "example.org"),
        ("username", "com"),
    ] {
        assert_eq!(
            error(json!({ "issuer_url": i, "issuer_type": t, "subject_domain": domain })),
            ConfigError::SubjectDomainNotOwned {
                issuer: i.into(),
                subject_domain: domain.into()
            },
            "{t} {domain}"
        );
    }
    assert_eq!(
        error(json!({ "issuer_url": i, "issuer_type": "spiffe" })),
        ConfigError::MissingSpiffeTrustDomain { issuer: i.into() }
    );
    assert_eq!(
        error(
            json!({ "issuer_url": i, "issuer_type": "spiffe", "spiffe_trust_domain": "Example.org" })
        ),
        ConfigError::InvalidSpiffeTrustDomain {
            issuer: i.into(),
            trust_domain: "Example.org".into()
        }
    );
    assert_eq!(
        error(
            json!({ "issuer_url": i, "issuer_type": "kubernetes", "spiffe_trust_domain": "example.org" })
        ),
        ConfigError::UnexpectedSpiffeTrustDomain {
            issuer: i.into(),
            issuer_type: IssuerType::Kubernetes
        }
    );
    assert_eq!(
        error(
            json!({ "issuer_url": i, "issuer_type": "github-workflow", "dangerous_skip_email_verification": true })
        ),
        ConfigError::SkipEmailVerificationNotEmail {
            issuer: i.into(),
            issuer_type: IssuerType::GithubWorkflow
        }
    );
}

#[test]
fn policy_errors() {
    let i = "https://accounts.example.com";
    let with_policy =
        |policy: Value| error(json!({ "issuer_url": i, "issuer_type": "email", "policy": policy }));
    assert_eq!(
        with_policy(json!([{ "name": "", "conditions": { "a": ["b"] } }])),
        ConfigError::EmptyRuleName {
            issuer: i.into(),
            index: 0
        }
    );
    assert_eq!(
        with_policy(json!([{ "name": "*any identity of x*", "conditions": { "a": ["b"] } }])),
        ConfigError::ReservedRuleName {
            issuer: i.into(),
            rule: "*any identity of x*".into()
        }
    );
    assert_eq!(
        with_policy(json!([
            { "name": "r", "conditions": { "a": ["b"] } },
            { "name": "r", "conditions": { "a": ["c"] } }
        ])),
        ConfigError::DuplicateRuleName {
            issuer: i.into(),
            rule: "r".into()
        }
    );
    assert_eq!(
        with_policy(json!([{ "name": "r", "conditions": {} }])),
        ConfigError::RuleWithoutConditions {
            issuer: i.into(),
            rule: "r".into()
        }
    );
    assert_eq!(
        with_policy(json!([{ "name": "r", "conditions": { "a": [] } }])),
        ConfigError::ConditionWithoutValues {
            issuer: i.into(),
            rule: "r".into(),
            claim: "a".into()
        }
    );
    for claim in ["", "/a~2b", "/a~"] {
        assert_eq!(
            with_policy(json!([{ "name": "r", "conditions": { claim: ["x"] } }])),
            ConfigError::InvalidClaimName {
                issuer: i.into(),
                rule: "r".into(),
                claim: claim.into()
            }
        );
    }
    assert_eq!(
        with_policy(json!([{ "name": "r", "conditions": { "a": [{ "pattern": "" }] } }])),
        ConfigError::InvalidValuePattern {
            issuer: i.into(),
            rule: "r".into(),
            claim: "a".into(),
            problem: PatternError::Empty
        }
    );
}

#[test]
fn errors_read_well() {
    assert_eq!(
        error(json!({ "issuer_url": "https://a.example.com", "issuer_type": "uri" })).to_string(),
        "issuer https://a.example.com: uri issuers need subject_domain"
    );
    assert_eq!(
        error(json!({ "wildcard_issuer_url": "https://*.example.com/?x", "issuer_type": "email" }))
            .to_string(),
        "issuer https://*.example.com/?x: invalid issuer URL: a query (`?`) is not allowed"
    );
}

#[test]
fn find_exact_before_patterns_and_in_order() {
    let registry = registry(json!({ "issuers": [
        { "wildcard_issuer_url": "https://*.example.com", "issuer_type": "kubernetes" },
        { "wildcard_issuer_url": "https://oidc.*.com", "issuer_type": "spiffe", "spiffe_trust_domain": "example.com" },
        { "issuer_url": "https://oidc.example.com", "issuer_type": "email" }
    ]}));
    // Exact wins although two patterns also match.
    assert_eq!(
        registry
            .find("https://oidc.example.com")
            .unwrap()
            .issuer_type(),
        IssuerType::Email
    );
    // Otherwise the first matching pattern in configuration order.
    assert_eq!(
        registry
            .find("https://eu.example.com")
            .unwrap()
            .issuer_type(),
        IssuerType::Kubernetes
    );
    assert_eq!(
        registry.find("https://oidc.net.com").unwrap().issuer_type(),
        IssuerType::Spiffe
    );
    assert!(registry.find("https://example.com").is_none());
    assert!(registry
        .find(&format!("https://{}.example.com", "a".repeat(5000)))
        .is_none());
}

#[test]
fn find_refuses_pattern_tricks() {
    let registry = registry(json!({ "issuers": [
        { "wildcard_issuer_url": "https://oidc.*.example.com", "issuer_type": "kubernetes" },
        { "wildcard_issuer_url": "https://token.actions.githubusercontent.com/*", "issuer_type": "github-workflow" }
    ]}));
    for iss in [
        "https://oidc.eu-1.example.com",
        "https://oidc.EU_1.example.com",
        "https://token.actions.githubusercontent.com/octo-enterprise",
    ] {
        assert!(registry.find(iss).is_some(), "{iss}");
    }
    for iss in [
        "https://oidc.evil.com/x.example.com",
        "https://oidc.a.example.com@evil.com",
        "https://oidc.evil.com@a.example.com",
        "https://oidc.a.example.com?x",
        "https://oidc.a.example.com#x",
        "https://oidc.a.example.com/",
        "https://oidc.a.example.com/extra",
        "https://oidc.a.example.com.evil.com",
        "https://oidc.a.b.example.com",
        "https://oidc..example.com",
        "https://oidc.a%2Eevil.example.com",
        "https://oidc.\u{e9}.example.com",
        "https://OIDC.a.example.com",
        "https://oidc.a.example.com:443",
        " https://oidc.a.example.com",
        "https://oidc.a.example.com\n",
        "https://token.actions.githubusercontent.com",
        "https://token.actions.githubusercontent.com/",
        "https://token.actions.githubusercontent.com/a/b",
        "https://token.actions.githubusercontent.com/a?b",
        "https://token.actions.githubusercontent.com/a#b",
        "https://token.actions.githubusercontent.com/a@evil.com",
        "https://token.actions.githubusercontent.com/..",
        "https://token.actions.githubusercontent.com.evil.com/a",
    ] {
        assert!(registry.find(iss).is_none(), "{iss:?}");
    }
}

#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Email, Kubernetes, SPIFFE, URI and username claims → certificate identity.

mod common;

use common::{claims, fixture, only, single};
use serde_json::json;
use signet_ca_core::san::{FulcioExtension, SubjectAltName};
use signet_ca_identity::config::{IssuerType, UrlProblem};
use signet_ca_identity::mapping::{ClaimKind, SanType, SpiffeIdProblem};
use signet_ca_identity::{map_identity, IdentityError, IssuerRegistry};

const ACCOUNTS: &str = "https://accounts.example.com";

fn ext(list: &[(u32, &str)]) -> Vec<FulcioExtension> {
    list.iter()
        .map(|(arc, value)| FulcioExtension {
            arc: *arc,
            value: (*value).to_owned(),
        })
        .collect()
}

fn email_issuer(extra: serde_json::Value) -> IssuerRegistry {
    let mut issuer = json!({ "issuer_url": ACCOUNTS, "issuer_type": "email" });
    issuer
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    single(issuer)
}

fn email_claims() -> serde_json::Map<String, serde_json::Value> {
    claims(json!({
        "iss": ACCOUNTS,
        "aud": "sigstore",
        "sub": "1093784920174",
        "email": "alice@example.com",
        "email_verified": true,
        "iat": 1_718_000_000,
        "exp": 1_718_000_600
    }))
}

#[test]
fn email_identity() {
    let registry = email_issuer(json!({}));
    let mapped = map_identity(only(&registry), ACCOUNTS, &email_claims()).unwrap();
    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Email("alice@example.com".into())
    );
    assert_eq!(
        mapped.cert.extensions,
        ext(&[(1, ACCOUNTS), (8, ACCOUNTS), (24, "1093784920174")])
    );
    assert_eq!(mapped.challenge, "alice@example.com");
    assert_eq!(mapped.summary.san_type, SanType::Email);
    assert_eq!(mapped.summary.san, "alice@example.com");
    assert_eq!(mapped.summary.issuer_type, IssuerType::Email);
    assert_eq!(mapped.summary.ci, None);
}

#[test]
fn email_must_be_verified() {
    let registry = email_issuer(json!({}));
    let issuer = only(&registry);
    for (value, shown) in [
        (Some(json!(false)), "false"),
        (Some(json!("true")), "\"true\""),
        (Some(json!(1)), "1"),
        (Some(json!(null)), "null"),
        (None, "absent"),
    ] {
        let mut c = email_claims();
        match value {
            Some(v) => c.insert("email_verified".into(), v),
            None => c.remove("email_verified"),
        };
        assert_eq!(
            map_identity(issuer, ACCOUNTS, &c),
            Err(IdentityError::EmailNotVerified {
                email: "alice@example.com".into(),
                email_verified: shown.into()
            })
        );
    }
}

#[test]
fn email_verification_can_be_skipped_loudly() {
    let registry = email_issuer(json!({ "dangerous_skip_email_verification": true }));
    let mut c = email_claims();
    c.insert("email_verified".into(), json!(false));
    let mapped = map_identity(only(&registry), ACCOUNTS, &c).unwrap();
    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Email("alice@example.com".into())
    );
    // Still a valid address.
    c.insert("email".into(), json!("alice"));
    assert_eq!(
        map_identity(only(&registry), ACCOUNTS, &c),
        Err(IdentityError::InvalidEmail {
            email: "alice".into()
        })
    );
}

#[test]
fn email_errors() {
    let registry = email_issuer(json!({}));
    let issuer = only(&registry);
    for bad in [
        "alice",
        "alice@",
        "Alice <alice@example.com>",
        "alice@example.com, bob@example.com",
        "\"alice\"@example.com",
        "alice@[192.0.2.1]",
        "al\u{ef}ce@example.com",
    ] {
        let mut c = email_claims();
        c.insert("email".into(), json!(bad));
        assert_eq!(
            map_identity(issuer, ACCOUNTS, &c),
            Err(IdentityError::InvalidEmail { email: bad.into() }),
            "{bad}"
        );
    }
    let mut c = email_claims();
    c.remove("email");
    assert_eq!(
        map_identity(issuer, ACCOUNTS, &c),
        Err(IdentityError::MissingClaim {
            claim: "email".into()
        })
    );
    c.insert("email".into(), json!(["alice@example.com"]));
    assert_eq!(
        map_identity(issuer, ACCOUNTS, &c),
        Err(IdentityError::ClaimType {
            claim: "email".into(),
            expected: ClaimKind::StringOrInteger
        })
    );
    let mut c = email_claims();
    c.remove("sub");
    assert_eq!(
        map_identity(issuer, ACCOUNTS, &c),
        Err(IdentityError::MissingClaim {
            claim: "sub".into()
        })
    );
}

#[test]
fn challenge_claim_override() {
    let registry = email_issuer(json!({ "challenge_claim": "sub" }));
    let mapped = map_identity(only(&registry), ACCOUNTS, &email_claims()).unwrap();
    assert_eq!(mapped.challenge, "1093784920174");
    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Email("alice@example.com".into())
    );

    let registry = email_issuer(json!({ "challenge_claim": "preferred_username" }));
    assert_eq!(
        map_identity(only(&registry), ACCOUNTS, &email_claims()),
        Err(IdentityError::MissingClaim {
            claim: "preferred_username".into()
        })
    );
}

const EKS: &str = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

fn kubernetes() -> IssuerRegistry {
    single(json!({
        "wildcard_issuer_url": "https://oidc.eks.*.amazonaws.com/id/*",
        "issuer_type": "kubernetes"
    }))
}

#[test]
fn kubernetes_identity() {
    let registry = kubernetes();
    let issuer = registry.find(EKS).unwrap();
    let mapped = map_identity(issuer, EKS, &fixture("kubernetes-eks.json")).unwrap();
    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Uri(
            "https://kubernetes.io/namespaces/build/serviceaccounts/release-signer".into()
        )
    );
    assert_eq!(
        mapped.cert.extensions,
        ext(&[
            (1, EKS),
            (8, EKS),
            (24, "system:serviceaccount:build:release-signer")
        ])
    );
    assert_eq!(
        mapped.challenge,
        "system:serviceaccount:build:release-signer"
    );
}

#[test]
fn kubernetes_errors() {
    let registry = kubernetes();
    let issuer = registry.find(EKS).unwrap();
    let with = |path: &[&str], value: Option<serde_json::Value>| {
        let mut c = serde_json::Value::Object(fixture("kubernetes-eks.json"));
        let (last, parents) = path.split_last().unwrap();
        let mut at = &mut c;
        for p in parents {
            at = at.get_mut(*p).unwrap();
        }
        let obj = at.as_object_mut().unwrap();
        match value {
            Some(v) => obj.insert((*last).to_owned(), v),
            None => obj.remove(*last),
        };
        map_identity(issuer, EKS, c.as_object().unwrap())
    };
    assert_eq!(
        with(&["kubernetes.io"], None),
        Err(IdentityError::MissingClaim {
            claim: "kubernetes.io".into()
        })
    );
    assert_eq!(
        with(&["kubernetes.io"], Some(json!("build"))),
        Err(IdentityError::ClaimType {
            claim: "kubernetes.io".into(),
            expected: ClaimKind::Object
        })
    );
    assert_eq!(
        with(&["kubernetes.io", "namespace"], None),
        Err(IdentityError::MissingClaim {
            claim: "kubernetes.io.namespace".into()
        })
    );
    assert_eq!(
        with(&["kubernetes.io", "serviceaccount"], None),
        Err(IdentityError::MissingClaim {
            claim: "kubernetes.io.serviceaccount".into()
        })
    );
    assert_eq!(
        with(
            &["kubernetes.io", "serviceaccount", "name"],
            Some(json!(""))
        ),
        Err(IdentityError::EmptyClaim {
            claim: "kubernetes.io.serviceaccount.name".into()
        })
    );
    for bad in ["a/../b", "Build", "build/x", "-x", "a b"] {
        assert_eq!(
            with(&["kubernetes.io", "namespace"], Some(json!(bad))),
            Err(IdentityError::InvalidKubernetesName {
                claim: "kubernetes.io.namespace".into(),
                value: bad.into()
            })
        );
    }
    assert_eq!(
        with(
            &["kubernetes.io", "serviceaccount", "name"],
            Some(json!("x/../../admin"))
        ),
        Err(IdentityError::InvalidKubernetesName {
            claim: "kubernetes.io.serviceaccount.name".into(),
            value: "x/../../admin".into()
        })
    );
}

const SPIRE: &str = "https://spire.example.org";

fn spiffe() -> IssuerRegistry {
    single(json!({
        "issuer_url": SPIRE,
        "issuer_type": "spiffe",
        "spiffe_trust_domain": "example.org"
    }))
}

fn spiffe_map(sub: &str) -> Result<signet_ca_identity::MappedIdentity, IdentityError> {
    let registry = spiffe();
    map_identity(
        only(&registry),
        SPIRE,
        &claims(json!({ "iss": SPIRE, "sub": sub })),
    )
}

#[test]
fn spiffe_identity() {
    let mapped = spiffe_map("spiffe://example.org/ns/prod/sa/web").unwrap();
    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Uri("spiffe://example.org/ns/prod/sa/web".into())
    );
    assert_eq!(
        mapped.cert.extensions,
        ext(&[
            (1, SPIRE),
            (8, SPIRE),
            (24, "spiffe://example.org/ns/prod/sa/web")
        ])
    );
    assert_eq!(mapped.challenge, "spiffe://example.org/ns/prod/sa/web");
}

#[test]
fn spiffe_errors() {
    for (sub, problem) in [
        ("https://example.org/web", SpiffeIdProblem::Scheme),
        ("spiffe://example.org", SpiffeIdProblem::NoPath),
        ("spiffe://example.org/a/../b", SpiffeIdProblem::Segment),
        ("spiffe://EXAMPLE.org/web", SpiffeIdProblem::TrustDomain),
        (
            "spiffe://example.org@evil.org/web",
            SpiffeIdProblem::TrustDomain,
        ),
        (
            "spiffe://example.org/web?x",
            SpiffeIdProblem::Character { character: '?' },
        ),
    ] {
        assert_eq!(
            spiffe_map(sub).unwrap_err(),
            IdentityError::InvalidSpiffeId {
                sub: sub.into(),
                problem
            },
            "{sub}"
        );
    }
    for sub in [
        "spiffe://evil.org/web",
        "spiffe://evil.example.org/web",
        "spiffe://example.org.evil.com/web",
        "spiffe://example.orgx/web",
    ] {
        assert_eq!(
            spiffe_map(sub).unwrap_err(),
            IdentityError::WrongTrustDomain {
                sub: sub.into(),
                trust_domain: "example.org".into()
            },
            "{sub}"
        );
    }
}

fn uri_map(sub: &str) -> Result<signet_ca_identity::MappedIdentity, IdentityError> {
    let registry = single(json!({
        "issuer_url": ACCOUNTS,
        "issuer_type": "uri",
        "subject_domain": "https://example.com"
    }));
    map_identity(
        only(&registry),
        ACCOUNTS,
        &claims(json!({ "iss": ACCOUNTS, "sub": sub })),
    )
}

#[test]
fn uri_identity() {
    let mapped = uri_map("https://example.com/users/alice").unwrap();
    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Uri("https://example.com/users/alice".into())
    );
    assert_eq!(
        mapped.cert.extensions,
        ext(&[
            (1, ACCOUNTS),
            (8, ACCOUNTS),
            (24, "https://example.com/users/alice")
        ])
    );
    assert_eq!(mapped.challenge, "https://example.com/users/alice");
    assert!(uri_map("https://example.com/users/@alice").is_ok());
}

#[test]
fn uri_errors() {
    assert_eq!(
        uri_map("alice@example.com").unwrap_err(),
        IdentityError::SubjectLooksLikeEmail {
            sub: "alice@example.com".into(),
            issuer_type: IssuerType::Uri
        }
    );
    for sub in [
        "http://example.com/users/alice",
        "https://example.com:8443/users/alice",
        "https://evil.com/users/alice",
        "https://a.example.com/users/alice",
        "https://example.com.evil.com/users/alice",
        "ftp://example.com/users/alice",
    ] {
        assert_eq!(
            uri_map(sub).unwrap_err(),
            IdentityError::SubjectOutsideDomain {
                sub: sub.into(),
                subject_domain: "https://example.com".into()
            },
            "{sub}"
        );
    }
    assert_eq!(
        uri_map("https://example.com@evil.com/x").unwrap_err(),
        IdentityError::InvalidUriSubject {
            sub: "https://example.com@evil.com/x".into(),
            problem: UrlProblem::Userinfo
        }
    );
    assert_eq!(
        uri_map("https://example.com\\@evil.com/x").unwrap_err(),
        IdentityError::InvalidUriSubject {
            sub: "https://example.com\\@evil.com/x".into(),
            problem: UrlProblem::Character { character: '\\' }
        }
    );
    assert!(matches!(
        uri_map("https://EXAMPLE.com/x").unwrap_err(),
        IdentityError::InvalidUriSubject {
            problem: UrlProblem::NotCanonical { .. },
            ..
        }
    ));
    assert!(matches!(
        uri_map("https://example.com/a/../x").unwrap_err(),
        IdentityError::InvalidUriSubject {
            problem: UrlProblem::NotCanonical { .. },
            ..
        }
    ));
    assert!(matches!(
        uri_map("users/alice").unwrap_err(),
        IdentityError::InvalidUriSubject {
            problem: UrlProblem::Parse(_),
            ..
        }
    ));
}

fn username_map(sub: &str) -> Result<signet_ca_identity::MappedIdentity, IdentityError> {
    let registry = single(json!({
        "issuer_url": ACCOUNTS,
        "issuer_type": "username",
        "subject_domain": "example.com"
    }));
    map_identity(
        only(&registry),
        ACCOUNTS,
        &claims(json!({ "iss": ACCOUNTS, "sub": sub })),
    )
}

#[test]
fn username_identity() {
    let mapped = username_map("alice").unwrap();
    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Username("alice!example.com".into())
    );
    assert_eq!(
        mapped.cert.extensions,
        ext(&[(1, ACCOUNTS), (8, ACCOUNTS), (24, "alice")])
    );
    assert_eq!(mapped.challenge, "alice");
    assert_eq!(mapped.summary.san_type, SanType::Username);
    assert_eq!(mapped.summary.san, "alice!example.com");
}

#[test]
fn username_errors() {
    assert_eq!(
        username_map("alice!evil.com").unwrap_err(),
        IdentityError::UsernameSeparator {
            sub: "alice!evil.com".into()
        }
    );
    assert_eq!(
        username_map("alice@example.com").unwrap_err(),
        IdentityError::SubjectLooksLikeEmail {
            sub: "alice@example.com".into(),
            issuer_type: IssuerType::Username
        }
    );
    assert_eq!(
        username_map("alice\n").unwrap_err(),
        IdentityError::ControlCharacter {
            claim: "sub".into(),
            character: '\n'
        }
    );
    assert_eq!(
        username_map("").unwrap_err(),
        IdentityError::EmptyClaim {
            claim: "sub".into()
        }
    );
}

#[test]
fn errors_read_well() {
    let e = IdentityError::MissingClaim {
        claim: "job_workflow_ref".into(),
    };
    assert_eq!(e.to_string(), "the token has no job_workflow_ref claim");
    let e = IdentityError::EmailNotVerified {
        email: "alice@example.com".into(),
        email_verified: "false".into(),
    };
    assert_eq!(
        e.to_string(),
        "the email address alice@example.com is not verified by the issuer (email_verified is false)"
    );
}

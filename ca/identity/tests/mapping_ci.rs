#![allow(clippy::expect_used, clippy::unwrap_used)]
//! GitHub Actions and GitLab CI claims → certificate identity, against realistic token
//! claim sets (`tests/data/`), every extension arc asserted.

mod common;

use common::{fixture, only, single};
use serde_json::{json, Value};
use signet_ca_core::san::{FulcioExtension, SubjectAltName};
use signet_ca_identity::mapping::{ClaimKind, SanType};
use signet_ca_identity::{map_identity, IdentityError, IssuerRegistry};

const GITHUB: &str = "https://token.actions.githubusercontent.com";

fn github() -> IssuerRegistry {
    single(json!({ "issuer_url": GITHUB, "issuer_type": "github-workflow" }))
}

fn gitlab(iss: &str) -> IssuerRegistry {
    single(json!({ "issuer_url": iss, "issuer_type": "gitlab-pipeline" }))
}

fn ext(list: &[(u32, &str)]) -> Vec<FulcioExtension> {
    list.iter()
        .map(|(arc, value)| FulcioExtension {
            arc: *arc,
            value: (*value).to_owned(),
        })
        .collect()
}

const GITHUB_EXTENSIONS: &[(u32, &str)] = &[
    (1, GITHUB),
    (2, "push"),
    (3, "9a0c1e2f3b4d5a6978877665544332211a0b1c2d"),
    (4, "Release"),
    (5, "octo-org/octo-repo"),
    (6, "refs/heads/main"),
    (8, GITHUB),
    (
        9,
        "https://github.com/octo-org/octo-automation/.github/workflows/sign.yml@refs/tags/v1.2.0",
    ),
    (10, "1f2e3d4c5b6a79880a9b8c7d6e5f4a3b2c1d0e9f"),
    (11, "github-hosted"),
    (12, "https://github.com/octo-org/octo-repo"),
    (13, "9a0c1e2f3b4d5a6978877665544332211a0b1c2d"),
    (14, "refs/heads/main"),
    (15, "123456789"),
    (16, "https://github.com/octo-org"),
    (17, "65432"),
    (
        18,
        "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
    ),
    (19, "9a0c1e2f3b4d5a6978877665544332211a0b1c2d"),
    (20, "push"),
    (
        21,
        "https://github.com/octo-org/octo-repo/actions/runs/10012345678/attempts/2",
    ),
    (22, "public"),
    (23, "production"),
    (24, "repo:octo-org/octo-repo:environment:production"),
];

#[test]
fn github_full_token_maps_every_extension() {
    let registry = github();
    let claims = fixture("github-actions.json");
    let mapped = map_identity(only(&registry), GITHUB, &claims).unwrap();

    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Uri(
            "https://github.com/octo-org/octo-automation/.github/workflows/sign.yml@refs/tags/v1.2.0"
                .into()
        )
    );
    assert_eq!(mapped.cert.extensions, ext(GITHUB_EXTENSIONS));
    // Encodings (PROTOCOL.md §3.3): arcs 1–6 raw, 8 and above DER UTF8String.
    for e in &mapped.cert.extensions {
        assert_eq!(e.is_raw(), e.arc <= 6, "arc {}", e.arc);
    }
    assert_eq!(
        mapped.challenge,
        "repo:octo-org/octo-repo:environment:production"
    );

    let summary = &mapped.summary;
    assert_eq!(summary.issuer, GITHUB);
    assert_eq!(summary.san_type, SanType::Uri);
    assert_eq!(
        summary.subject,
        "repo:octo-org/octo-repo:environment:production"
    );
    let ci = summary.ci.as_ref().unwrap();
    assert_eq!(ci.repository, "octo-org/octo-repo");
    assert_eq!(ci.git_ref, "refs/heads/main");
    assert_eq!(
        ci.workflow,
        "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main"
    );
    assert_eq!(ci.environment.as_deref(), Some("production"));
    assert_eq!(
        serde_json::to_value(summary).unwrap(),
        json!({
            "issuer": GITHUB,
            "issuer_type": "github-workflow",
            "subject": "repo:octo-org/octo-repo:environment:production",
            "san_type": "uri",
            "san": "https://github.com/octo-org/octo-automation/.github/workflows/sign.yml@refs/tags/v1.2.0",
            "ci": {
                "repository": "octo-org/octo-repo",
                "ref": "refs/heads/main",
                "workflow": "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
                "environment": "production"
            }
        })
    );
    let back: signet_ca_identity::IdentitySummary =
        serde_json::from_value(serde_json::to_value(summary).unwrap()).unwrap();
    assert_eq!(&back, summary);
}

const GITHUB_REQUIRED: &[&str] = &[
    "sub",
    "job_workflow_ref",
    "event_name",
    "sha",
    "workflow",
    "repository",
    "ref",
    "job_workflow_sha",
    "runner_environment",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "workflow_ref",
    "workflow_sha",
    "run_id",
    "run_attempt",
    "repository_visibility",
];

#[test]
fn github_missing_required_claims_are_named() {
    let registry = github();
    for claim in GITHUB_REQUIRED {
        let mut claims = fixture("github-actions.json");
        claims.remove(*claim);
        assert_eq!(
            map_identity(only(&registry), GITHUB, &claims),
            Err(IdentityError::MissingClaim {
                claim: (*claim).to_owned()
            }),
            "without {claim}"
        );
        claims.insert((*claim).to_owned(), Value::Null);
        assert_eq!(
            map_identity(only(&registry), GITHUB, &claims),
            Err(IdentityError::MissingClaim {
                claim: (*claim).to_owned()
            }),
            "{claim}: null"
        );
        claims.insert((*claim).to_owned(), json!(""));
        assert_eq!(
            map_identity(only(&registry), GITHUB, &claims),
            Err(IdentityError::EmptyClaim {
                claim: (*claim).to_owned()
            }),
            "{claim}: empty"
        );
    }
}

#[test]
fn github_without_environment_omits_arc_23() {
    let registry = github();
    for environment in [None, Some(json!("")), Some(Value::Null)] {
        let mut claims = fixture("github-actions.json");
        match environment {
            None => {
                claims.remove("environment");
            }
            Some(v) => {
                claims.insert("environment".into(), v);
            }
        }
        let mapped = map_identity(only(&registry), GITHUB, &claims).unwrap();
        let want: Vec<_> = GITHUB_EXTENSIONS
            .iter()
            .copied()
            .filter(|(arc, _)| *arc != 23)
            .collect();
        assert_eq!(mapped.cert.extensions, ext(&want));
        assert_eq!(mapped.summary.ci.unwrap().environment, None);
    }
}

#[test]
fn github_numeric_claims_are_stringified() {
    let registry = github();
    let mut claims = fixture("github-actions.json");
    claims.insert("run_id".into(), json!(10_012_345_678_u64));
    claims.insert("run_attempt".into(), json!(2));
    claims.insert("repository_id".into(), json!(123_456_789));
    claims.insert("repository_owner_id".into(), json!(65432));
    let mapped = map_identity(only(&registry), GITHUB, &claims).unwrap();
    assert_eq!(mapped.cert.extensions, ext(GITHUB_EXTENSIONS));

    for bad in [json!(2.5), json!(true), json!(["2"]), json!({"n": 2})] {
        claims.insert("run_attempt".into(), bad.clone());
        assert_eq!(
            map_identity(only(&registry), GITHUB, &claims),
            Err(IdentityError::ClaimType {
                claim: "run_attempt".into(),
                expected: ClaimKind::StringOrInteger
            }),
            "run_attempt {bad}"
        );
    }
}

#[test]
fn github_enterprise_server_url() {
    let registry = github();
    let mut claims = fixture("github-actions.json");
    claims.insert("server_url".into(), json!("https://github.example.com/"));
    let mapped = map_identity(only(&registry), GITHUB, &claims).unwrap();
    let want: Vec<(u32, String)> = GITHUB_EXTENSIONS
        .iter()
        .map(|(arc, v)| {
            (
                *arc,
                v.replace("https://github.com", "https://github.example.com"),
            )
        })
        .collect();
    let want: Vec<(u32, &str)> = want.iter().map(|(a, v)| (*a, v.as_str())).collect();
    assert_eq!(mapped.cert.extensions, ext(&want));
    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Uri(
            "https://github.example.com/octo-org/octo-automation/.github/workflows/sign.yml@refs/tags/v1.2.0"
                .into()
        )
    );

    for bad in [
        "https://github.example.com/evil",
        "https://user@github.example.com",
        "https://github.example.com/?x",
        "github.example.com",
        "https://GITHUB.example.com",
    ] {
        claims.insert("server_url".into(), json!(bad));
        assert!(
            matches!(
                map_identity(only(&registry), GITHUB, &claims),
                Err(IdentityError::InvalidServerUrl { ref value, .. }) if value == bad
            ),
            "server_url {bad}"
        );
    }
}

#[test]
fn github_bad_values() {
    let registry = github();
    let issuer = only(&registry);

    let mut claims = fixture("github-actions.json");
    claims.insert(
        "job_workflow_ref".into(),
        json!("octo-org/x/.github/workflows/a b.yml@refs/heads/main"),
    );
    assert!(matches!(
        map_identity(issuer, GITHUB, &claims),
        Err(IdentityError::InvalidSanUri { ref claim, .. }) if claim == "job_workflow_ref"
    ));

    let mut claims = fixture("github-actions.json");
    claims.insert("ref".into(), json!("refs/heads/a\u{0}b"));
    assert_eq!(
        map_identity(issuer, GITHUB, &claims),
        Err(IdentityError::ControlCharacter {
            claim: "ref".into(),
            character: '\u{0}'
        })
    );

    let mut claims = fixture("github-actions.json");
    claims.insert("workflow".into(), json!("w".repeat(2049)));
    assert_eq!(
        map_identity(issuer, GITHUB, &claims),
        Err(IdentityError::ClaimTooLong {
            claim: "workflow".into(),
            len: 2049,
            max: 2048
        })
    );

    let mut claims = fixture("github-actions.json");
    claims.insert("sub".into(), json!(12));
    assert_eq!(
        map_identity(issuer, GITHUB, &claims),
        Err(IdentityError::ClaimType {
            claim: "sub".into(),
            expected: ClaimKind::String
        })
    );
}

#[test]
fn github_wildcard_issuer_records_the_token_issuer() {
    let registry = single(json!({
        "wildcard_issuer_url": "https://token.actions.githubusercontent.com/*",
        "issuer_type": "github-workflow"
    }));
    let iss = "https://token.actions.githubusercontent.com/octo-enterprise";
    let mut claims = fixture("github-actions.json");
    claims.insert("iss".into(), json!(iss));
    let issuer = registry.find(iss).unwrap();
    let mapped = map_identity(issuer, iss, &claims).unwrap();
    let arcs: Vec<_> = mapped
        .cert
        .extensions
        .iter()
        .filter(|e| e.arc == 1 || e.arc == 8)
        .collect();
    assert_eq!(arcs.len(), 2);
    assert!(arcs.iter().all(|e| e.value == iss));
    assert_eq!(mapped.summary.issuer, iss);

    // The wildcard issuer is not the plain one.
    assert!(registry.find(GITHUB).is_none());
    assert_eq!(
        map_identity(issuer, GITHUB, &fixture("github-actions.json")),
        Err(IdentityError::IssuerMismatch {
            issuer: "https://token.actions.githubusercontent.com/*".into(),
            iss: GITHUB.into()
        })
    );
}

#[test]
fn iss_claim_must_agree_with_the_verified_issuer() {
    let registry = github();
    let mut claims = fixture("github-actions.json");
    claims.insert("iss".into(), json!("https://evil.example.com"));
    assert_eq!(
        map_identity(only(&registry), GITHUB, &claims),
        Err(IdentityError::IssClaimMismatch {
            iss: GITHUB.into(),
            claim: "\"https://evil.example.com\"".into()
        })
    );
    claims.remove("iss");
    assert!(map_identity(only(&registry), GITHUB, &claims).is_ok());
}

const GITLAB_EXTENSIONS: &[(u32, &str)] = &[
    (1, "https://gitlab.com"),
    (8, "https://gitlab.com"),
    (
        9,
        "https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
    ),
    (10, "714a629c0b401fdce83e847fc9589983fc6f46bc"),
    (11, "gitlab-hosted"),
    (12, "https://gitlab.com/my-group/my-project"),
    (13, "714a629c0b401fdce83e847fc9589983fc6f46bc"),
    (14, "refs/heads/main"),
    (15, "20"),
    (16, "https://gitlab.com/my-group"),
    (17, "72"),
    (
        18,
        "https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
    ),
    (19, "714a629c0b401fdce83e847fc9589983fc6f46bc"),
    (20, "push"),
    (21, "https://gitlab.com/my-group/my-project/-/jobs/302"),
    (22, "public"),
    (23, "production"),
    (
        24,
        "project_path:my-group/my-project:ref_type:branch:ref:main",
    ),
];

#[test]
fn gitlab_full_token_maps_every_extension() {
    let registry = gitlab("https://gitlab.com");
    let claims = fixture("gitlab-ci.json");
    let mapped = map_identity(only(&registry), "https://gitlab.com", &claims).unwrap();
    assert_eq!(
        mapped.cert.san,
        SubjectAltName::Uri(
            "https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main".into()
        )
    );
    assert_eq!(mapped.cert.extensions, ext(GITLAB_EXTENSIONS));
    assert_eq!(
        mapped.challenge,
        "project_path:my-group/my-project:ref_type:branch:ref:main"
    );
    let ci = mapped.summary.ci.unwrap();
    assert_eq!(ci.repository, "my-group/my-project");
    assert_eq!(ci.git_ref, "refs/heads/main");
    assert_eq!(
        ci.workflow,
        "gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main"
    );
    assert_eq!(ci.environment.as_deref(), Some("production"));
}

#[test]
fn gitlab_tags_self_managed_and_optional_claims() {
    let iss = "https://gitlab.example.com";
    let registry = gitlab(iss);
    let mut claims = fixture("gitlab-ci.json");
    claims.insert("iss".into(), json!(iss));
    claims.insert("ref".into(), json!("v1.0.0"));
    claims.insert("ref_type".into(), json!("tag"));
    claims.insert(
        "ci_config_ref_uri".into(),
        json!("gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/tags/v1.0.0"),
    );
    claims.remove("ci_config_sha");
    claims.remove("project_visibility");
    claims.remove("environment");
    claims.insert("job_id".into(), json!(302));
    let mapped = map_identity(only(&registry), iss, &claims).unwrap();
    let cfg = "https://gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/tags/v1.0.0";
    assert_eq!(
        mapped.cert.extensions,
        ext(&[
            (1, iss),
            (8, iss),
            (9, cfg),
            (11, "gitlab-hosted"),
            (12, "https://gitlab.example.com/my-group/my-project"),
            (13, "714a629c0b401fdce83e847fc9589983fc6f46bc"),
            (14, "refs/tags/v1.0.0"),
            (15, "20"),
            (16, "https://gitlab.example.com/my-group"),
            (17, "72"),
            (18, cfg),
            (20, "push"),
            (
                21,
                "https://gitlab.example.com/my-group/my-project/-/jobs/302"
            ),
            (
                24,
                "project_path:my-group/my-project:ref_type:branch:ref:main"
            ),
        ])
    );
    assert_eq!(mapped.cert.san, SubjectAltName::Uri(cfg.into()));
}

#[test]
fn gitlab_errors() {
    let registry = gitlab("https://gitlab.com");
    let issuer = only(&registry);
    for claim in [
        "ci_config_ref_uri",
        "project_path",
        "namespace_path",
        "namespace_id",
        "project_id",
        "sha",
        "ref",
        "ref_type",
        "pipeline_source",
        "job_id",
        "runner_environment",
    ] {
        let mut claims = fixture("gitlab-ci.json");
        claims.remove(claim);
        assert_eq!(
            map_identity(issuer, "https://gitlab.com", &claims),
            Err(IdentityError::MissingClaim {
                claim: claim.into()
            }),
            "without {claim}"
        );
    }

    let mut claims = fixture("gitlab-ci.json");
    claims.insert("ref_type".into(), json!("merge_request"));
    assert_eq!(
        map_identity(issuer, "https://gitlab.com", &claims),
        Err(IdentityError::UnexpectedRefType {
            ref_type: "merge_request".into()
        })
    );

    let mut claims = fixture("gitlab-ci.json");
    claims.insert(
        "ci_config_ref_uri".into(),
        json!("gitlab.com@evil.example.com/x//.gitlab-ci.yml@refs/heads/main"),
    );
    assert!(matches!(
        map_identity(issuer, "https://gitlab.com", &claims),
        Err(IdentityError::InvalidSanUri { ref claim, .. }) if claim == "ci_config_ref_uri"
    ));
}

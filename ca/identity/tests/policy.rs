#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Issuance policy: allow with the rule named, deny with each rule's first failed
//! condition.

mod common;

use common::{claims, fixture, only, single};
use serde_json::{json, Value};
use signet_ca_identity::pattern::Pattern;
use signet_ca_identity::policy::{any_identity_rule_name, AllowedValue, ClaimValue, RuleFailure};
use signet_ca_identity::{AllowedBy, IssuerRegistry, PolicyDenied};

const GITHUB: &str = "https://token.actions.githubusercontent.com";

fn github_with(policy: Value) -> IssuerRegistry {
    single(json!({ "issuer_url": GITHUB, "issuer_type": "github-workflow", "policy": policy }))
}

fn exact(s: &str) -> AllowedValue {
    AllowedValue::Exact(s.into())
}

fn pattern(s: &str) -> AllowedValue {
    AllowedValue::Pattern(Pattern::parse(s).unwrap())
}

/// Owners in a list, only protected refs, only the production environment.
fn release_policy() -> IssuerRegistry {
    github_with(json!([
        { "name": "release",
          "conditions": {
              "repository_owner": ["octo-org", "octo-labs"],
              "ref_protected": ["true"],
              "environment": ["production"] } },
        { "name": "nightly builds",
          "conditions": {
              "repository": [{ "pattern": "octo-org/nightly-*" }],
              "event_name": ["schedule"] } }
    ]))
}

#[test]
fn allowed_names_the_rule() {
    let registry = release_policy();
    let decision = only(&registry).check_policy(&fixture("github-actions.json"));
    assert_eq!(
        decision,
        Ok(AllowedBy {
            issuer: GITHUB.into(),
            rule: "release".into()
        })
    );

    let mut c = fixture("github-actions.json");
    c.insert("repository".into(), json!("octo-org/nightly-tools"));
    c.insert("event_name".into(), json!("schedule"));
    c.insert("environment".into(), json!("staging"));
    assert_eq!(
        only(&registry).check_policy(&c).unwrap().rule,
        "nightly builds"
    );
}

#[test]
fn denied_lists_first_failure_of_each_rule() {
    let registry = release_policy();
    let mut c = fixture("github-actions.json");
    c.insert("repository_owner".into(), json!("evil-org"));
    c.insert("repository".into(), json!("evil-org/nightly-tools"));
    let denied = only(&registry).check_policy(&c).unwrap_err();
    assert_eq!(
        denied,
        PolicyDenied {
            issuer: GITHUB.into(),
            failures: vec![
                // Conditions are checked in claim-name order: environment holds, then
                // ref_protected holds, then repository_owner fails.
                RuleFailure {
                    rule: "release".into(),
                    claim: "repository_owner".into(),
                    allowed: vec![exact("octo-org"), exact("octo-labs")],
                    actual: ClaimValue::String("evil-org".into()),
                },
                RuleFailure {
                    rule: "nightly builds".into(),
                    claim: "event_name".into(),
                    allowed: vec![exact("schedule")],
                    actual: ClaimValue::String("push".into()),
                },
            ]
        }
    );
    assert_eq!(
        denied.to_string(),
        "the issuance policy of https://token.actions.githubusercontent.com allows no rule for \
         this identity; rule \"release\": claim repository_owner is \"evil-org\", allowed: \
         \"octo-org\" or \"octo-labs\"; rule \"nightly builds\": claim event_name is \"push\", \
         allowed: \"schedule\""
    );
}

#[test]
fn unprotected_ref_and_wrong_environment() {
    let registry = release_policy();
    let issuer = only(&registry);

    let mut c = fixture("github-actions.json");
    c.insert("ref_protected".into(), json!("false"));
    let denied = issuer.check_policy(&c).unwrap_err();
    assert_eq!(denied.failures[0].claim, "ref_protected");
    assert_eq!(
        denied.failures[0].actual,
        ClaimValue::String("false".into())
    );

    let mut c = fixture("github-actions.json");
    c.remove("environment");
    let denied = issuer.check_policy(&c).unwrap_err();
    assert_eq!(denied.failures[0].claim, "environment");
    assert_eq!(denied.failures[0].actual, ClaimValue::Absent);
    assert!(denied.to_string().contains("claim environment is absent"));
}

#[test]
fn no_rules_allows_any_identity_explicitly() {
    let registry = single(json!({ "issuer_url": GITHUB, "issuer_type": "github-workflow" }));
    let decision = only(&registry).check_policy(&claims(json!({}))).unwrap();
    assert_eq!(decision.issuer, GITHUB);
    assert_eq!(decision.rule, any_identity_rule_name(GITHUB));
    assert_eq!(
        decision.rule,
        "*any identity of https://token.actions.githubusercontent.com*"
    );
    assert_eq!(
        serde_json::to_value(&decision).unwrap(),
        json!({ "issuer": GITHUB, "rule": "*any identity of https://token.actions.githubusercontent.com*" })
    );
}

#[test]
fn wildcard_issuer_decisions_name_the_pattern() {
    let registry = single(json!({
        "wildcard_issuer_url": "https://oidc.eks.*.amazonaws.com/id/*",
        "issuer_type": "kubernetes",
        "policy": [{ "name": "build namespace", "conditions": {
            "/kubernetes.io/namespace": ["build"],
            "/kubernetes.io/serviceaccount/name": [{ "pattern": "release-*" }]
        }}]
    }));
    let iss = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    let issuer = registry.find(iss).unwrap();
    assert_eq!(
        issuer.check_policy(&fixture("kubernetes-eks.json")),
        Ok(AllowedBy {
            issuer: "https://oidc.eks.*.amazonaws.com/id/*".into(),
            rule: "build namespace".into()
        })
    );

    let mut c = fixture("kubernetes-eks.json");
    c["kubernetes.io"]["serviceaccount"]["name"] = json!("default");
    let denied = issuer.check_policy(&c).unwrap_err();
    assert_eq!(
        denied.failures,
        vec![RuleFailure {
            rule: "build namespace".into(),
            claim: "/kubernetes.io/serviceaccount/name".into(),
            allowed: vec![pattern("release-*")],
            actual: ClaimValue::String("default".into()),
        }]
    );
    assert!(denied
        .to_string()
        .contains("allowed: pattern \"release-*\""));
}

#[test]
fn json_pointer_escapes() {
    let registry = github_with(json!([
        { "name": "r", "conditions": { "/a~1b/c~0d": ["x"] } }
    ]));
    let c = claims(json!({ "a/b": { "c~d": "x" } }));
    assert_eq!(only(&registry).check_policy(&c).unwrap().rule, "r");
    let c = claims(json!({ "a": { "b": { "c~d": "x" } } }));
    assert!(only(&registry).check_policy(&c).is_err());
}

#[test]
fn value_kinds() {
    let registry = github_with(json!([
        { "name": "r", "conditions": {
            "flag": [true],
            "count": [3],
            "name": [{ "pattern": "svc-*" }]
        }}
    ]));
    let issuer = only(&registry);
    let ok = claims(json!({ "flag": true, "count": 3, "name": "svc-a" }));
    assert_eq!(issuer.check_policy(&ok).unwrap().rule, "r");

    let fail = |c: Value| {
        let denied = issuer.check_policy(&claims(c)).unwrap_err();
        assert_eq!(denied.failures.len(), 1);
        let f = denied.failures.into_iter().next().unwrap();
        (f.claim, f.actual)
    };
    // Bool and number claims compare as JSON text: "true" (a string) is also accepted
    // for `[true]`, since GitHub sends booleans as strings.
    assert_eq!(
        issuer
            .check_policy(&claims(
                json!({ "flag": "true", "count": "3", "name": "svc-a" })
            ))
            .unwrap()
            .rule,
        "r"
    );
    assert_eq!(
        fail(json!({ "flag": false, "count": 3, "name": "svc-a" })),
        ("flag".into(), ClaimValue::Json("false".into()))
    );
    assert_eq!(
        fail(json!({ "flag": true, "count": 3.0, "name": "svc-a" })),
        ("count".into(), ClaimValue::Json("3.0".into()))
    );
    assert_eq!(
        fail(json!({ "flag": true, "count": [3], "name": "svc-a" })),
        ("count".into(), ClaimValue::NotScalar)
    );
    assert_eq!(
        fail(json!({ "flag": true, "count": 3, "name": null })),
        ("name".into(), ClaimValue::Absent)
    );
    // Patterns match string claims only, with the anchored `*` semantics.
    assert_eq!(
        fail(json!({ "flag": true, "count": 3, "name": "svc-a/b" })),
        ("name".into(), ClaimValue::String("svc-a/b".into()))
    );
    assert_eq!(
        fail(json!({ "flag": true, "count": 3, "name": "svc-" })),
        ("name".into(), ClaimValue::String("svc-".into()))
    );
    assert_eq!(
        fail(json!({ "flag": true, "count": 3, "name": "xsvc-a" })),
        ("name".into(), ClaimValue::String("xsvc-a".into()))
    );
}

#[test]
fn patterns_do_not_match_numbers() {
    let registry = github_with(json!([
        { "name": "r", "conditions": { "id": [{ "pattern": "*" }] } }
    ]));
    let denied = only(&registry)
        .check_policy(&claims(json!({ "id": 42 })))
        .unwrap_err();
    assert_eq!(denied.failures[0].actual, ClaimValue::Json("42".into()));
    assert!(only(&registry)
        .check_policy(&claims(json!({ "id": "42" })))
        .is_ok());
}

#[test]
fn long_values_are_shortened_in_messages() {
    let registry = github_with(json!([
        { "name": "r", "conditions": { "repository": ["octo-org/octo-repo"] } }
    ]));
    let long = "x".repeat(10_000);
    let denied = only(&registry)
        .check_policy(&claims(json!({ "repository": long })))
        .unwrap_err();
    let message = denied.to_string();
    assert!(message.len() < 400, "{} bytes", message.len());
    assert!(message.contains(&format!("\"{}\"\u{2026}", "x".repeat(128))));
    // The typed failure keeps the full value.
    assert_eq!(denied.failures[0].actual, ClaimValue::String(long));
}

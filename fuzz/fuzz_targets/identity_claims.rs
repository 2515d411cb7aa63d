//! Token claims → certificate identity (`signet-ca-identity`): `map_identity` (SAN and
//! Fulcio extensions for each issuer type: email, GitHub Actions, GitLab CI, Kubernetes,
//! SPIFFE, URI, username) and `Issuer::check_policy` (policy rules over top-level and JSON
//! Pointer claims, exact and wildcard values). These claims have passed signature checks
//! in the CA, but much of their content (repository and branch names, workflow paths,
//! namespaces) is chosen by whoever runs the CI job. The issuer is looked up by the claims'
//! `iss` in a registry with one issuer of each type (the configuration documented in
//! `ca/identity`). Input: the claims JSON object. Seeds: the claims fixtures of
//! `ca/identity/tests/data` and hand-made claims for the other types (`seeds.py`).
//!
//! A mapped identity is then issued as the CA issues it (`profile::leaf_certificate`, by
//! a throwaway software CA) and read back as every verifier reads it
//! (`signet_verifier::identity::signer_identity`): the SAN and issuer read must be the
//! ones mapped, or a claim value would name someone else once in a certificate.
#![no_main]

use std::sync::LazyLock;

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use signet_ca_core::dev_key::InsecureSoftwareCaKey;
use signet_ca_core::profile::{
    leaf_certificate, root_certificate, CaSubject, IssuerCertificate, LeafRequest, ValidityPeriod,
};
use signet_ca_core::request::CheckedPublicKey;
use signet_ca_core::signer::{CaAlgorithm, CaSigner};
use signet_ca_identity::{map_identity, IssuerRegistry};
use signet_fuzz::fixtures::{self, registry};
use signet_verifier::identity::signer_identity;

/// A throwaway software CA (key, its self-signed certificate) and a requester key.
struct TestCa {
    key: InsecureSoftwareCaKey,
    issuer: IssuerCertificate,
    requester: CheckedPublicKey,
}

static CA: LazyLock<TestCa> = LazyLock::new(|| {
    let key = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256).expect("CA key");
    let day = Duration::from_secs(86_400);
    let subject = CaSubject {
        organization: "signet-fuzz".to_owned(),
        common_name: "signet-fuzz-ca".to_owned(),
    };
    let validity = ValidityPeriod {
        not_before: fixtures::now() - day,
        not_after: fixtures::now() + day,
    };
    let root = root_certificate(&key, &subject, validity).expect("CA certificate");
    let issuer = IssuerCertificate::from_der(&root).expect("CA certificate parses");
    let requester = CheckedPublicKey::from_spki_der(key.public_key_der()).expect("key");
    TestCa {
        key,
        issuer,
        requester,
    }
});

static REGISTRY: LazyLock<IssuerRegistry> = LazyLock::new(|| {
    registry(json!({ "issuers": [
        { "issuer_url": "https://token.actions.githubusercontent.com",
          "issuer_type": "github-workflow",
          "policy": [
            { "name": "releases of octo-org",
              "conditions": { "repository_owner": ["octo-org"], "ref_protected": [true],
                              "run_attempt": [1, { "pattern": "*" }] } },
            { "name": "any environment",
              "conditions": { "/environment": [{ "pattern": "prod*" }] } } ] },
        { "issuer_url": "https://gitlab.com", "issuer_type": "gitlab-pipeline" },
        { "wildcard_issuer_url": "https://oidc.eks.*.amazonaws.com/id/*",
          "issuer_type": "kubernetes", "audience": "signet",
          "policy": [ { "name": "ns", "conditions": {
              "/kubernetes.io/namespace": ["default", { "pattern": "team-*" }] } } ] },
        { "issuer_url": "https://accounts.example.com", "issuer_type": "email" },
        { "issuer_url": "https://accounts.example.net", "issuer_type": "email",
          "dangerous_skip_email_verification": true },
        { "issuer_url": "https://spire.example.org", "issuer_type": "spiffe",
          "spiffe_trust_domain": "example.org" },
        { "issuer_url": "https://accounts.example.com/users", "issuer_type": "uri",
          "subject_domain": "https://users.example.com" },
        { "issuer_url": "https://accounts.example.com/logins", "issuer_type": "username",
          "subject_domain": "example.com" },
    ]}))
});

fuzz_target!(|data: &[u8]| {
    let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(data) else {
        return;
    };
    let Some(Value::String(iss)) = claims.get("iss") else {
        return;
    };
    let Some(issuer) = REGISTRY.find(iss) else {
        return;
    };
    let _ = issuer.check_policy(&claims);
    let Ok(mapped) = map_identity(issuer, iss, &claims) else {
        return;
    };
    let ca = &*CA;
    let request = LeafRequest::new(&ca.requester, &mapped.cert, fixtures::now());
    let Ok(leaf) = leaf_certificate(&ca.issuer, &ca.key, &request) else {
        return;
    };
    let read = signer_identity(&leaf).expect("the verifier reads what the CA issued");
    assert_eq!(
        read.sans,
        vec![mapped.cert.san.clone()],
        "SAN changed in the certificate"
    );
    assert_eq!(&read.issuer, iss, "issuer changed in the certificate");
});

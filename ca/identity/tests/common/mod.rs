//! Shared helpers for the integration tests: registries from inline JSON configuration,
//! claim fixtures from `tests/data/`.

#![allow(dead_code)] // each test binary uses a subset

use serde_json::{Map, Value};
use signet_ca_identity::{IdentityConfig, Issuer, IssuerRegistry};

/// A registry from a JSON configuration; panics if it does not validate.
pub fn registry(config: Value) -> IssuerRegistry {
    let config: IdentityConfig = serde_json::from_value(config).expect("config parses");
    IssuerRegistry::from_config(&config).expect("config validates")
}

/// A registry holding one issuer, and that issuer.
pub fn single(issuer: Value) -> IssuerRegistry {
    registry(serde_json::json!({ "issuers": [issuer] }))
}

/// The one issuer of a registry built by [`single`].
pub fn only(registry: &IssuerRegistry) -> &Issuer {
    assert_eq!(registry.issuers().len(), 1);
    &registry.issuers()[0]
}

/// A claims fixture from `tests/data/<name>`.
pub fn fixture(name: &str) -> Map<String, Value> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    match serde_json::from_str(&text).expect("fixture is JSON") {
        Value::Object(map) => map,
        other => panic!("fixture {name} is not an object: {other}"),
    }
}

/// An object literal as a claims map.
pub fn claims(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

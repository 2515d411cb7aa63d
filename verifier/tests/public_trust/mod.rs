//! Reading the public vectors: trusted roots (CAs and CT logs) and bundle certificates,
//! parsed minimally with serde_json for the chain/SCT/identity tests.
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use signet_verifier::chain::{TrustedCa, ValidityPeriod};
use signet_verifier::sct::CtLogKey;
use x509_cert::der::{DateTime, Decode as _};

pub const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;
pub const STAGING: &str = "trust/staging-trusted_root.json";
pub const PRODUCTION: &str = "trust/production-trusted_root.json";
pub const SCAFFOLDING: &str = "sigstore-go/pkg/testing/data/trusted-roots/scaffolding.json";
/// The GitHub OAuth issuer (email identities).
pub const GITHUB_OAUTH: &str = "https://github.com/login/oauth";
/// The GitHub Actions OIDC issuer (workflow identities).
pub const GITHUB_ACTIONS: &str = "https://token.actions.githubusercontent.com";

pub fn b64(v: &serde_json::Value) -> Vec<u8> {
    B64.decode(v.as_str().expect("base64 string"))
        .expect("base64")
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` (the trusted root's `validFor` timestamps).
pub fn rfc3339(s: &str) -> SystemTime {
    let n = |r: std::ops::Range<usize>| s[r].parse::<u16>().expect("digits");
    let secs = DateTime::new(
        n(0..4),
        n(5..7) as u8,
        n(8..10) as u8,
        n(11..13) as u8,
        n(14..16) as u8,
        n(17..19) as u8,
    )
    .expect("date")
    .unix_duration();
    let millis = s[19..]
        .strip_prefix('.')
        .map_or(0, |f| f.trim_end_matches('Z').parse::<u64>().expect("ms"));
    UNIX_EPOCH + secs + Duration::from_millis(millis)
}

pub fn window(v: &serde_json::Value) -> ValidityPeriod {
    ValidityPeriod {
        start: rfc3339(v["start"].as_str().expect("start")),
        end: v["end"].as_str().map(rfc3339),
    }
}

/// The trusted CAs and CT logs of a trusted_root.json.
pub fn trusted_root(rel: &str) -> (Vec<TrustedCa>, Vec<CtLogKey>) {
    let root = signet_testdata::read_json(rel);
    let cas = root["certificateAuthorities"]
        .as_array()
        .expect("CAs")
        .iter()
        .map(|ca| {
            let chain: Vec<Vec<u8>> = ca["certChain"]["certificates"]
                .as_array()
                .expect("chain")
                .iter()
                .map(|c| b64(&c["rawBytes"]))
                .collect();
            TrustedCa::new(&chain, Some(window(&ca["validFor"]))).expect("CA chain parses")
        })
        .collect();
    let logs = root["ctlogs"]
        .as_array()
        .expect("ctlogs")
        .iter()
        .map(|log| {
            let id: [u8; 32] = b64(&log["logId"]["keyId"]).try_into().expect("32-byte ID");
            let key = &log["publicKey"];
            CtLogKey::new(id, &b64(&key["rawBytes"]), window(&key["validFor"]))
                .unwrap_or_else(|e| panic!("{rel}: {}: {e}", log["baseUrl"]))
        })
        .collect();
    (cas, logs)
}

/// The bundle's certificates: `certificate` (v0.3) or `x509CertificateChain` (v0.1/0.2).
pub fn bundle_certs(rel: &str) -> Vec<Vec<u8>> {
    let bundle = signet_testdata::read_json(rel);
    let vm = &bundle["verificationMaterial"];
    if let Some(chain) = vm["x509CertificateChain"]["certificates"].as_array() {
        return chain.iter().map(|c| b64(&c["rawBytes"])).collect();
    }
    vec![b64(&vm["certificate"]["rawBytes"])]
}

/// (notBefore, notAfter) of a certificate.
pub fn validity(der: &[u8]) -> (SystemTime, SystemTime) {
    let cert = x509_cert::Certificate::from_der(der).expect("certificate");
    let v = cert.tbs_certificate.validity;
    (v.not_before.to_system_time(), v.not_after.to_system_time())
}

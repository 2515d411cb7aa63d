//! `signing_config.json` v0.2, alone (`--signing-config`) and inside a `ClientTrustConfig`
//! (`--trust-config`), as `signet sign` reads them: `SigningConfig::from_json`,
//! `SigningConfig::from_client_trust_config_json`, then `select` at the fixtures' clock and
//! at every service's own start and end. Asserts what `select` promises: the chosen CA and
//! log have `majorApiVersion` 1, are valid at the time asked, and no other such service
//! started later. Input: the JSON. Seeds: every trusted root, trust config and signing
//! config of the vectors (those of `trusted_root`).
#![no_main]

use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;
use signet_fuzz::fixtures;
use signet_verifier::signing_config::{Service, SigningConfig};

fn check_choice(chosen: &Service, list: &[Service], at: SystemTime) {
    assert_eq!(chosen.major_api_version, 1);
    assert!(chosen.valid_at(at));
    assert!(list
        .iter()
        .filter(|s| s.major_api_version == 1 && s.valid_at(at))
        .all(|s| s.start <= chosen.start));
}

fuzz_target!(|data: &[u8]| {
    for parsed in [
        SigningConfig::from_json(data),
        SigningConfig::from_client_trust_config_json(data),
    ] {
        let Ok(config) = parsed else {
            continue;
        };
        let mut times = vec![fixtures::now()];
        for s in config.ca_urls.iter().chain(&config.rekor_tlog_urls) {
            times.push(s.start);
            times.extend(s.end);
        }
        for at in times {
            if let Ok(chosen) = config.select(at) {
                check_choice(chosen.ca, &config.ca_urls, at);
                check_choice(chosen.rekor, &config.rekor_tlog_urls, at);
            }
        }
    }
});

//! `trusted_root.json` and the `ClientTrustConfig` wrapper (trusted root + signing config),
//! as `signet verify --trusted-root/--trust-config` and `signet sign` read them:
//! `TrustedRoot::from_json`, `TrustedRoot::from_client_trust_config_json`, then what a
//! verifier and an auditor prepare from a root (`Verifier::new`: CA chains parsed, CT and
//! log keys decoded; `Auditor::new`) and the lookups by log ID and time. Input: the JSON.
//! Seeds: every trusted root, trust config and signing config of the vectors.
//! The signing config (alone or inside a `ClientTrustConfig`) has its own target,
//! `signing_config`.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use signet_fuzz::fixtures;
use signet_verifier::audit::Auditor;
use signet_verifier::trusted_root::TrustedRoot;
use signet_verifier::verify::Verifier;

fuzz_target!(|data: &[u8]| {
    for parsed in [
        TrustedRoot::from_json(data),
        TrustedRoot::from_client_trust_config_json(data),
    ] {
        let Ok(root) = parsed else {
            continue;
        };
        let at = fixtures::now();
        for log in root.tlogs.iter().chain(&root.ctlogs) {
            for t in [at, log.valid_for.start] {
                let _ = root.tlog_at(&log.log_id, t);
                let _ = root.ctlog_at(&log.log_id, t);
            }
            let _ = root.tlog(&log.log_id);
            let _ = root.ctlog(&log.log_id);
        }
        let _ = root.certificate_authorities_at(at).count();
        let _ = root.timestamp_authorities_at(at).count();
        if let Ok(verifier) = Verifier::new(root) {
            let _ = Auditor::new(Arc::new(verifier));
        }
    }
});

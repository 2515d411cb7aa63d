//! Where verification's trust comes from: a `trusted_root.json`, the `trustedRoot` of a
//! ClientTrustConfig (`trust_config.json` as `signet serve` writes it), or the built-in
//! public-good roots (`cli/trust/`, production or staging). Nothing is fetched.

use std::path::Path;

use anyhow::{Context, Result};
use signet_verifier::{common::MAX_TRUSTED_ROOT_BYTES, trusted_root::TrustedRoot};

/// The Sigstore public-good production trusted root (sigstore-python 4.5.1's TUF target).
const PRODUCTION_TRUSTED_ROOT: &[u8] =
    include_bytes!("../../../trust/production-trusted_root.json");
/// The Sigstore public-good staging trusted root.
const STAGING_TRUSTED_ROOT: &[u8] = include_bytes!("../../../trust/staging-trusted_root.json");

/// Which built-in root applies when no file is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicGood {
    /// The production instance.
    Production,
    /// The staging instance (`--staging`).
    Staging,
}

/// Loads the trusted root: `trusted_root` if given, else `trust_config`'s, else the
/// built-in public-good root.
pub fn load(
    trusted_root: Option<&Path>,
    trust_config: Option<&Path>,
    public_good: PublicGood,
) -> Result<TrustedRoot> {
    if let Some(path) = trusted_root {
        let json = read_limited(path)?;
        return TrustedRoot::from_json(&json)
            .with_context(|| format!("trusted root {}", path.display()));
    }
    if let Some(path) = trust_config {
        let json = read_limited(path)?;
        return TrustedRoot::from_client_trust_config_json(&json)
            .with_context(|| format!("trust config {}", path.display()));
    }
    let (json, what) = match public_good {
        PublicGood::Production => (PRODUCTION_TRUSTED_ROOT, "built-in public-good trusted root"),
        PublicGood::Staging => (STAGING_TRUSTED_ROOT, "built-in staging trusted root"),
    };
    TrustedRoot::from_json(json).context(what)
}

/// Reads a trust file, refusing anything larger than the parser accepts.
fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if len > MAX_TRUSTED_ROOT_BYTES as u64 {
        anyhow::bail!(
            "{} is {len} bytes, more than the {MAX_TRUSTED_ROOT_BYTES} a trusted root may have",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roots_parse() {
        for which in [PublicGood::Production, PublicGood::Staging] {
            let root = load(None, None, which).unwrap();
            assert!(!root.tlogs.is_empty() && !root.certificate_authorities.is_empty());
        }
    }
}

//! `signet verify` and `signet verify-bundle` (the Sigstore conformance-suite form):
//! offline verification of a bundle for a file or a `sha256:<hex>` digest.
//!
//! Both only read files: the bundle, the artefact, the trust root (or the built-in
//! public-good one), and a key for managed-key bundles. No network connection is ever
//! opened. All checks are [`signet_verifier::verify::Verifier::verify`]'s; exit code 0
//! means every required check passed, anything else prints one line naming the check that
//! failed and why.

pub mod trust;

use std::{
    fs::File,
    io::Read as _,
    path::{Path, PathBuf},
    time::SystemTime,
};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use signet_verifier::{
    bundle::{Bundle, Content},
    common::{HashAlgorithm, MAX_BUNDLE_BYTES},
    identity::IdentityPolicy,
    verify::{Artifact, SignerPolicy, VerifiedBundle, Verifier},
};
use x509_cert::{
    der::{DecodePem as _, Encode as _},
    spki::SubjectPublicKeyInfoOwned,
};

use trust::PublicGood;

/// `signet verify` arguments.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The artefact, or its digest as `sha256:<hex>`.
    #[arg(value_name = "FILE")]
    file: String,
    /// The bundle [default: FILE.sigstore.json].
    #[arg(long, value_name = "B")]
    bundle: Option<PathBuf>,
    /// The signer's identity (certificate SAN), exactly.
    #[arg(long, value_name = "ID", conflicts_with_all = ["certificate_identity_regexp", "key"])]
    certificate_identity: Option<String>,
    /// The signer's identity as a regular expression, matched against the whole SAN.
    #[arg(long, value_name = "RE", conflicts_with = "key")]
    certificate_identity_regexp: Option<String>,
    /// The OIDC issuer that vouched for the identity, exactly.
    #[arg(long, value_name = "ISS", conflicts_with = "key")]
    certificate_oidc_issuer: Option<String>,
    /// A PEM public key, for bundles signed with a managed key instead of a certificate.
    #[arg(long, value_name = "KEY.pem")]
    key: Option<PathBuf>,
    /// trusted_root.json to verify against.
    #[arg(long, value_name = "F", conflicts_with = "trust_config")]
    trusted_root: Option<PathBuf>,
    /// ClientTrustConfig (e.g. `trust_config.json` written by `signet serve`) whose
    /// trusted root to verify against.
    #[arg(long, value_name = "F")]
    trust_config: Option<PathBuf>,
    /// Without --trusted-root/--trust-config, use the built-in public-good staging root
    /// instead of production.
    #[arg(long)]
    staging: bool,
}

/// `signet verify-bundle` arguments, exactly as the sigstore-conformance suite passes them.
#[derive(Args, Debug)]
pub struct VerifyBundleArgs {
    /// The artefact, or its digest as `sha256:<hex>`.
    #[arg(value_name = "FILE_OR_DIGEST")]
    file: String,
    /// The bundle.
    #[arg(long, value_name = "B")]
    bundle: PathBuf,
    /// The signer's identity (certificate SAN), exactly.
    #[arg(
        long,
        value_name = "I",
        requires = "certificate_oidc_issuer",
        conflicts_with = "key"
    )]
    certificate_identity: Option<String>,
    /// The OIDC issuer, exactly.
    #[arg(long, value_name = "U", requires = "certificate_identity")]
    certificate_oidc_issuer: Option<String>,
    /// A PEM public key, for managed-key bundles.
    #[arg(long, value_name = "PEM")]
    key: Option<PathBuf>,
    /// trusted_root.json [default: the built-in public-good root].
    #[arg(long, value_name = "F")]
    trusted_root: Option<PathBuf>,
    /// Use the built-in staging root when no --trusted-root is given.
    #[arg(long)]
    staging: bool,
}

/// Runs `signet verify`.
pub fn run_verify(args: VerifyArgs) -> Result<()> {
    let policy = signer_policy(
        args.certificate_identity.as_deref(),
        args.certificate_identity_regexp.as_deref(),
        args.certificate_oidc_issuer.as_deref(),
        args.key.as_deref(),
    )?;
    let bundle_path = match (&args.bundle, args.file.strip_prefix("sha256:")) {
        (Some(b), _) => b.clone(),
        (None, Some(_)) => bail!("--bundle is required when verifying a digest"),
        (None, None) => PathBuf::from(format!("{}.sigstore.json", args.file)),
    };
    let root = trust::load(
        args.trusted_root.as_deref(),
        args.trust_config.as_deref(),
        public_good(args.staging),
    )?;
    let verified = verify(&args.file, &bundle_path, root, &policy)?;
    report(&args.file, &verified);
    Ok(())
}

/// Runs `signet verify-bundle`.
pub fn run_verify_bundle(args: VerifyBundleArgs) -> Result<()> {
    let policy = signer_policy(
        args.certificate_identity.as_deref(),
        None,
        args.certificate_oidc_issuer.as_deref(),
        args.key.as_deref(),
    )?;
    let root = trust::load(
        args.trusted_root.as_deref(),
        None,
        public_good(args.staging),
    )?;
    let verified = verify(&args.file, &args.bundle, root, &policy)?;
    report(&args.file, &verified);
    Ok(())
}

fn public_good(staging: bool) -> PublicGood {
    if staging {
        PublicGood::Staging
    } else {
        PublicGood::Production
    }
}

/// The signer policy from the flags: an identity (exact or pattern) with its issuer, or
/// a managed key.
fn signer_policy(
    identity: Option<&str>,
    identity_regexp: Option<&str>,
    issuer: Option<&str>,
    key: Option<&Path>,
) -> Result<SignerPolicy> {
    if let Some(path) = key {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read key {}", path.display()))?;
        let spki = SubjectPublicKeyInfoOwned::from_pem(pem.as_bytes())
            .map_err(|e| anyhow!("{} is not a PEM public key: {e}", path.display()))?;
        let der = spki.to_der().context("re-encoding the public key")?;
        return Ok(SignerPolicy::Key(der));
    }
    let issuer = issuer.ok_or_else(|| {
        anyhow!("--certificate-oidc-issuer is required (or --key for a managed-key bundle)")
    })?;
    match (identity, identity_regexp) {
        (Some(id), None) => Ok(SignerPolicy::Identity(IdentityPolicy::exact(id, issuer))),
        (None, Some(re)) => Ok(SignerPolicy::Identity(
            IdentityPolicy::pattern(re, issuer).context("--certificate-identity-regexp")?,
        )),
        _ => bail!(
            "exactly one of --certificate-identity or --certificate-identity-regexp is required"
        ),
    }
}

/// Reads everything, then runs the one verification path.
fn verify(
    file: &str,
    bundle_path: &Path,
    root: signet_verifier::trusted_root::TrustedRoot,
    policy: &SignerPolicy,
) -> Result<VerifiedBundle> {
    let json = read_bundle(bundle_path)?;
    let bundle =
        Bundle::from_json(&json).map_err(|e| anyhow!("bundle {}: {e}", bundle_path.display()))?;
    let verifier = Verifier::new(root)?;
    let verified = match parse_digest(file)? {
        Some(digest) => {
            verifier.verify(&bundle, Artifact::Sha256(digest), policy, SystemTime::now())
        }
        None => {
            let path = Path::new(file);
            if needs_whole_file(&bundle) {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                verifier.verify(&bundle, Artifact::Bytes(&bytes), policy, SystemTime::now())
            } else {
                let digest = sha256_file(path)?;
                verifier.verify(&bundle, Artifact::Sha256(digest), policy, SystemTime::now())
            }
        }
    };
    verified.map_err(|e| anyhow!("verification failed: {e}"))
}

/// A message digest other than SHA-256 must be recomputed from the bytes, and in-toto
/// subjects may name the artefact by SHA-512; a SHA-256 message signature needs only the
/// file's SHA-256, hashed as a stream.
fn needs_whole_file(bundle: &Bundle) -> bool {
    match &bundle.content {
        Content::MessageSignature(m) => m
            .message_digest
            .as_ref()
            .is_some_and(|d| d.algorithm != HashAlgorithm::Sha2_256),
        _ => true,
    }
}

/// `sha256:<64 hex>` → the digest; anything else is a file name.
fn parse_digest(file: &str) -> Result<Option<[u8; 32]>> {
    let Some(hex_digest) = file.strip_prefix("sha256:") else {
        return Ok(None);
    };
    let bytes = hex::decode(hex_digest)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| anyhow!("{file:?} is not sha256: followed by 64 hex digits"))?;
    Ok(Some(bytes))
}

fn read_bundle(path: &Path) -> Result<Vec<u8>> {
    let file =
        File::open(path).with_context(|| format!("cannot read bundle {}", path.display()))?;
    let mut json = Vec::new();
    file.take(MAX_BUNDLE_BYTES as u64 + 1)
        .read_to_end(&mut json)
        .with_context(|| format!("cannot read bundle {}", path.display()))?;
    if json.len() > MAX_BUNDLE_BYTES {
        bail!(
            "bundle {} is larger than {MAX_BUNDLE_BYTES} bytes",
            path.display()
        );
    }
    Ok(json)
}

fn sha256_file(path: &Path) -> Result<[u8; 32]> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    ctx.finish()
        .as_ref()
        .try_into()
        .map_err(|_| anyhow!("SHA-256 digest is not 32 bytes"))
}

fn report(file: &str, verified: &VerifiedBundle) {
    let signer = verified.identity.as_ref().map_or_else(
        || "the given key".to_owned(),
        |id| {
            let sans: Vec<String> = id.sans.iter().map(|s| s.value().to_owned()).collect();
            format!("{} (issuer {})", sans.join(", "), id.issuer)
        },
    );
    println!(
        "OK: {file} was signed by {signer}; recorded at index {} of log {}",
        verified.log_index, verified.log_id
    );
}

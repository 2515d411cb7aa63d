//! `signet sign`, `signet attest`, `signet sign-bundle`: keyless signing (issue 4).
//!
//! Every command goes: local checks (inputs readable and hashed, bundle paths writable,
//! trust files parsed) → identity token ([`token`]) → ephemeral key and certificate from
//! the CA ([`ca_client`]) → signature → transparency-log entry, checked ([`rekor`]) →
//! bundle v0.3, parsed back and self-verified ([`bundle`]) → written atomically. The key
//! lives only in memory; one certificate serves every file of one invocation while at
//! least 30 s of it remain ([`signer`]).
//!
//! * `signet sign FILE... [--bundle OUT]`: one bundle per file, `FILE.sigstore.json` by
//!   default (`--bundle` only with a single FILE).
//! * `signet attest --predicate FILE --type URI SUBJECT... [--bundle OUT]`: one in-toto
//!   Statement v1 about every SUBJECT ([`intoto`]) signed as DSSE; the bundle defaults to
//!   `SUBJECT.intoto.sigstore.json` with a single subject (`--bundle` is required with
//!   several), so that it never collides with `signet sign`'s `SUBJECT.sigstore.json`.
//! * `signet sign-bundle`: the sigstore-conformance client protocol; public-good
//!   endpoints unless `--signing-config` names others.
//!
//! Existing bundles are not replaced without `--overwrite` (`sign-bundle` always
//! replaces, as the conformance suite expects).

mod bundle;
mod ca_client;
mod config;
pub(crate) mod http;
mod intoto;
mod rekor;
mod signer;
mod token;

use std::{
    collections::HashSet,
    ffi::OsString,
    io::Read as _,
    path::{Path, PathBuf},
    time::SystemTime,
};

use anyhow::{bail, Context as _, Result};
use aws_lc_rs::digest::{Context as DigestContext, Digest, SHA256};
use clap::Args;
use signet_verifier::common::{MAX_DSSE_PAYLOAD_BYTES, MAX_INTOTO_SUBJECTS};

use bundle::Overwrite;
use config::{PublicGood, Target, TargetArgs};
use signer::{DsseSubject, Signer};
use token::{IdentityToken, TokenArgs, TokenSource};

/// `signet sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    /// Files to sign; each gets its own bundle.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Where to write the bundle (only with a single FILE) [default: FILE.sigstore.json].
    #[arg(long, value_name = "OUT")]
    bundle: Option<PathBuf>,
    /// Replace bundles that already exist.
    #[arg(long)]
    overwrite: bool,
    #[command(flatten)]
    token: TokenArgs,
    #[command(flatten)]
    target: TargetArgs,
}

/// `signet attest`.
#[derive(Args, Debug)]
pub struct AttestArgs {
    /// The predicate: a JSON object.
    #[arg(long, value_name = "FILE")]
    predicate: PathBuf,
    /// The predicate type URI, e.g. https://slsa.dev/provenance/v1.
    #[arg(long = "type", value_name = "URI")]
    predicate_type: String,
    /// Files the statement is about (name = file name, digest = SHA-256).
    #[arg(required = true, value_name = "SUBJECT")]
    subjects: Vec<PathBuf>,
    /// Where to write the bundle [default: SUBJECT.intoto.sigstore.json; required with
    /// several subjects].
    #[arg(long, value_name = "OUT")]
    bundle: Option<PathBuf>,
    /// Replace a bundle that already exists.
    #[arg(long)]
    overwrite: bool,
    #[command(flatten)]
    token: TokenArgs,
    #[command(flatten)]
    target: TargetArgs,
}

/// `signet sign-bundle` (sigstore-conformance client protocol).
#[derive(Args, Debug)]
pub struct SignBundleArgs {
    /// Without --signing-config, sign with the public-good staging instance instead of
    /// production.
    #[arg(long)]
    staging: bool,
    /// FILE is an in-toto statement: sign it as a DSSE envelope.
    #[arg(long)]
    in_toto: bool,
    /// OIDC identity token (JWT).
    #[arg(long, value_name = "TOKEN")]
    identity_token: String,
    /// Where to write the bundle (replaced if it exists).
    #[arg(long, value_name = "OUT")]
    bundle: PathBuf,
    /// Trusted root that the log's answer and the bundle are checked against [default:
    /// only the bundle's shape is checked].
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// Signing config naming the CA and Rekor v1 log [default: public-good production,
    /// or staging with --staging].
    #[arg(long, value_name = "FILE")]
    signing_config: Option<PathBuf>,
    /// The file to sign.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// Runs `signet sign`.
///
/// # Errors
/// One line naming the file and the step that failed.
pub fn run_sign(args: SignArgs) -> Result<()> {
    let now = SystemTime::now();
    if args.bundle.is_some() && args.files.len() != 1 {
        bail!(
            "--bundle names one bundle: give it with a single FILE (otherwise each FILE gets \
             FILE.sigstore.json)"
        );
    }
    let overwrite = overwrite_flag(args.overwrite);
    let outputs: Vec<PathBuf> = match &args.bundle {
        Some(out) => vec![out.clone()],
        None => args
            .files
            .iter()
            .map(|f| with_suffix(f, ".sigstore.json"))
            .collect(),
    };
    check_outputs(&outputs, overwrite)?;
    let target = args.target.load(now)?;
    let digests = args
        .files
        .iter()
        .map(|f| hash_file(f))
        .collect::<Result<Vec<_>>>()?;
    let mut signer = start(&args.token, target, now)?;
    for ((file, digest), out) in args.files.iter().zip(&digests).zip(&outputs) {
        let signed = signer
            .sign_artifact(digest)
            .with_context(|| format!("signing {}", file.display()))?;
        bundle::write(out, &signed.json, overwrite)?;
        eprintln!(
            "signed {} -> {} (transparency log index {})",
            file.display(),
            out.display(),
            signed.log_index
        );
    }
    eprintln!(
        "{} file(s) signed with {} certificate(s)",
        args.files.len(),
        signer.certificates_requested()
    );
    Ok(())
}

/// Runs `signet attest`.
///
/// # Errors
/// One line naming the step that failed.
pub fn run_attest(args: AttestArgs) -> Result<()> {
    let now = SystemTime::now();
    let overwrite = overwrite_flag(args.overwrite);
    let out = match (&args.bundle, args.subjects.as_slice()) {
        (Some(out), _) => out.clone(),
        (None, [only]) => with_suffix(only, ".intoto.sigstore.json"),
        (None, _) => bail!(
            "give --bundle OUT: one statement covers all {} subjects, so there is no \
             per-subject default",
            args.subjects.len()
        ),
    };
    if args.subjects.len() > MAX_INTOTO_SUBJECTS {
        bail!(
            "{} subjects: verifiers accept at most {MAX_INTOTO_SUBJECTS}",
            args.subjects.len()
        );
    }
    check_outputs(std::slice::from_ref(&out), overwrite)?;
    let target = args.target.load(now)?;
    let predicate_bytes = read_limited(&args.predicate, MAX_DSSE_PAYLOAD_BYTES, "predicate")?;
    let predicate: serde_json::Value = serde_json::from_slice(&predicate_bytes)
        .with_context(|| format!("predicate {} is not JSON", args.predicate.display()))?;
    let mut subjects = Vec::with_capacity(args.subjects.len());
    let mut first_sha256 = None;
    for path in &args.subjects {
        let digest = hash_file(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .with_context(|| format!("subject {} has no file name", path.display()))?;
        first_sha256.get_or_insert_with(|| sha256_array(&digest));
        subjects.push(intoto::Subject {
            name,
            digest: intoto::SubjectDigest {
                sha256: hex::encode(digest.as_ref()),
            },
        });
    }
    let statement = intoto::Statement::new(subjects, &args.predicate_type, predicate)
        .with_context(|| format!("predicate {}", args.predicate.display()))?;
    let payload = statement.to_payload()?;
    check_payload_size(payload.len())?;
    let subject = first_sha256.map_or(DsseSubject::NotKnown, DsseSubject::Sha256);
    let mut signer = start(&args.token, target, now)?;
    let signed = signer
        .sign_dsse(intoto::PAYLOAD_TYPE, &payload, subject)
        .context("signing the attestation")?;
    bundle::write(&out, &signed.json, overwrite)?;
    eprintln!(
        "attested {} subject(s) -> {} (transparency log index {})",
        args.subjects.len(),
        out.display(),
        signed.log_index
    );
    Ok(())
}

/// Runs `signet sign-bundle`.
///
/// # Errors
/// One line naming the step that failed.
pub fn run_sign_bundle(args: SignBundleArgs) -> Result<()> {
    let now = SystemTime::now();
    let overwrite = Overwrite::Replace;
    bundle::check_writable(&args.bundle, overwrite)?;
    let endpoints = match &args.signing_config {
        Some(path) => config::load_signing_config(path, now)?,
        None if args.staging => PublicGood::Staging.endpoints()?,
        None => PublicGood::Production.endpoints()?,
    };
    // The bundle is verified before it is written: against --trusted-root, or, when
    // signing with the public-good instance, against its built-in root.
    let public_good = if args.staging {
        crate::cmd::verify::trust::PublicGood::Staging
    } else {
        crate::cmd::verify::trust::PublicGood::Production
    };
    let trusted_root = match (&args.trusted_root, &args.signing_config) {
        (Some(path), _) => Some(config::load_trusted_root(path)?),
        (None, None) => Some(crate::cmd::verify::trust::load(None, None, public_good)?),
        (None, Some(_)) => None,
    };
    let target = Target {
        endpoints,
        trusted_root,
    };
    let token = IdentityToken::parse(&args.identity_token, TokenSource::Flag, now)?;
    let signed = if args.in_toto {
        let payload = read_limited(&args.file, MAX_DSSE_PAYLOAD_BYTES, "in-toto statement")?;
        intoto::check_statement(&payload).with_context(|| format!("{}", args.file.display()))?;
        let subject = first_subject_sha256(&payload);
        let mut signer = Signer::new(http::Http::new()?, token, target)?;
        signer
            .sign_dsse(intoto::PAYLOAD_TYPE, &payload, subject)
            .with_context(|| format!("signing {}", args.file.display()))?
    } else {
        let digest = hash_file(&args.file)?;
        let mut signer = Signer::new(http::Http::new()?, token, target)?;
        signer
            .sign_artifact(&digest)
            .with_context(|| format!("signing {}", args.file.display()))?
    };
    bundle::write(&args.bundle, &signed.json, overwrite)
}

/// The token (in the documented order), then a session.
fn start(token_args: &TokenArgs, target: Target, now: SystemTime) -> Result<Signer> {
    let http = http::Http::new()?;
    let token = token::obtain(token_args, &|k| std::env::var(k).ok(), &http, now)?;
    let claims = token.claims();
    let who = claims
        .email
        .as_deref()
        .or(claims.sub.as_deref())
        .unwrap_or("(no sub)");
    eprintln!(
        "identity token from {}: {who} (issuer {})",
        token.source(),
        claims.iss
    );
    Signer::new(http, token, target)
}

fn overwrite_flag(flag: bool) -> Overwrite {
    if flag {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    }
}

/// `path` with `suffix` appended to its file name (`a.txt` → `a.txt.sigstore.json`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// No two outputs are the same path, and each may be written.
fn check_outputs(outputs: &[PathBuf], overwrite: Overwrite) -> Result<()> {
    let mut seen = HashSet::new();
    for out in outputs {
        if !seen.insert(out) {
            bail!(
                "{} would be written twice (a FILE is given twice)",
                out.display()
            );
        }
        bundle::check_writable(out, overwrite)?;
    }
    Ok(())
}

/// SHA-256 of a file, streamed.
fn hash_file(path: &Path) -> Result<Digest> {
    let what = || format!("reading {}", path.display());
    let mut file = std::fs::File::open(path).with_context(what)?;
    let mut ctx = DigestContext::new(&SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).with_context(what)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(ctx.finish())
}

fn sha256_array(digest: &Digest) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

fn read_limited(path: &Path, limit: usize, what: &str) -> Result<Vec<u8>> {
    let ctx = || format!("reading {what} {}", path.display());
    let file = std::fs::File::open(path).with_context(ctx)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(ctx)?;
    if bytes.len() > limit {
        bail!("{what} {}: larger than {limit} bytes", path.display());
    }
    Ok(bytes)
}

fn check_payload_size(len: usize) -> Result<()> {
    if len > MAX_DSSE_PAYLOAD_BYTES {
        bail!("the statement is {len} bytes: verifiers accept at most {MAX_DSSE_PAYLOAD_BYTES}");
    }
    Ok(())
}

/// The first `subject[].digest.sha256` of a statement, for the self-check.
fn first_subject_sha256(payload: &[u8]) -> DsseSubject {
    let value: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
    value
        .get("subject")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| s.pointer("/digest/sha256").and_then(|d| d.as_str()))
        .find_map(|h| {
            hex::decode(h)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
        })
        .map_or(DsseSubject::NotKnown, DsseSubject::Sha256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bundle_paths_append_to_the_file_name() {
        assert_eq!(
            with_suffix(Path::new("dir/a.tar.gz"), ".sigstore.json"),
            PathBuf::from("dir/a.tar.gz.sigstore.json")
        );
    }

    #[test]
    fn outputs_are_distinct_and_not_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.sigstore.json");
        let b = dir.path().join("b.sigstore.json");
        check_outputs(&[a.clone(), b.clone()], Overwrite::Refuse).unwrap();
        let err = check_outputs(&[a.clone(), a.clone()], Overwrite::Refuse)
            .unwrap_err()
            .to_string();
        assert!(err.contains("written twice"), "{err}");
        std::fs::write(&b, "{}").unwrap();
        let err = check_outputs(&[a.clone(), b.clone()], Overwrite::Refuse)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--overwrite"), "{err}");
        check_outputs(&[a, b], Overwrite::Replace).unwrap();
        assert!(check_outputs(&[dir.path().to_path_buf()], Overwrite::Replace).is_err());
    }

    #[test]
    fn files_are_hashed_with_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"abc").unwrap();
        assert_eq!(
            hex::encode(hash_file(&f).unwrap().as_ref()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let err = format!("{:#}", hash_file(&dir.path().join("nope")).unwrap_err());
        assert!(err.contains("reading"), "{err}");
    }

    #[test]
    fn the_self_check_subject_is_the_first_sha256_subject() {
        let h = "ab".repeat(32);
        let statement = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "x", "digest": {"sha512": "00"}},
                        {"name": "y", "digest": {"sha256": h}}],
            "predicateType": "t", "predicate": {}
        });
        match first_subject_sha256(statement.to_string().as_bytes()) {
            DsseSubject::Sha256(d) => assert_eq!(d, [0xab; 32]),
            DsseSubject::NotKnown => panic!("subject not found"),
        }
        assert!(matches!(first_subject_sha256(b"{}"), DsseSubject::NotKnown));
    }
}

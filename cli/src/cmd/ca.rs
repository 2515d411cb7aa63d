//! `signet ca`: administration of the certificate authority.
//!
//! `signet ca init` is the key ceremony: a thin wrapper over [`signet_ca::keys::init`]
//! that creates the root and intermediate (issuing) keys and certificates and records them
//! in the data directory (`ca-chain.pem`, `ca-keys.json`; see [`signet_ca::keys`]). The keys
//! go into exactly one store:
//!
//! * a PKCS#11 token (`--pkcs11-module`, `--token-label`), where they are generated
//!   non-extractable. The user PIN comes from the environment (`SIGNET_HSM_PIN`), never
//!   from a flag: flags end up in `ps` output and shell history.
//! * `--insecure-software-keys-for-development`: software keys, the intermediate key in a
//!   file of the data directory. Anyone who can read that file can issue certificates.
//!
//! The ceremony never overwrites a CA (the library refuses when any of its files exists, and
//! the token refuses an existing key label), and it refuses to run while a `signet serve`
//! holds the data directory's lock. It ends by loading the new CA and running the same
//! self-test the server runs at start, then prints what it created, with the SHA-256
//! fingerprints an operator compares against what verifiers are given.

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{anyhow, Context, Result};
use clap::{builder::NonEmptyStringValueParser, ArgGroup, Args, Subcommand};
use signet_ca::keys::{self, CeremonyKeys, CeremonyParams, KeyStore};
use signet_hsm::{HsmConfig, Pin};
use x509_cert::der::Decode;

/// The environment variable holding the PKCS#11 token's user PIN.
const PIN_ENV: &str = "SIGNET_HSM_PIN";

/// `signet ca` arguments.
#[derive(Args, Debug)]
pub struct CaArgs {
    #[command(subcommand)]
    command: CaCommand,
}

#[derive(Subcommand, Debug)]
enum CaCommand {
    /// Key ceremony: create the CA's root and intermediate keys and certificates in the
    /// data directory. Refuses to overwrite an existing CA.
    Init(InitArgs),
}

/// `signet ca init` arguments.
#[derive(Args, Debug)]
#[command(group(
    ArgGroup::new("key_store")
        .required(true)
        .args(["pkcs11_module", "insecure_software_keys_for_development"])
))]
struct InitArgs {
    /// Directory holding all state (the same as `signet serve --data-dir`).
    #[arg(long, default_value = "signet-data")]
    data_dir: PathBuf,
    /// PKCS#11 module (shared library) of the HSM that generates and keeps the CA keys.
    /// The token's user PIN is read from the environment variable SIGNET_HSM_PIN.
    #[arg(long, value_name = "PATH", requires = "token_label")]
    pkcs11_module: Option<PathBuf>,
    /// Label of the token holding the CA keys (unique among the module's tokens).
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module",
          value_parser = NonEmptyStringValueParser::new())]
    token_label: Option<String>,
    /// Key labels in the token are PREFIX-root and PREFIX-intermediate [default: signet].
    #[arg(long, value_name = "PREFIX", requires = "pkcs11_module",
          value_parser = NonEmptyStringValueParser::new())]
    key_label_prefix: Option<String>,
    /// DEVELOPMENT ONLY: software keys, with the intermediate key in a file of the data
    /// directory. Anyone who can read that file can issue certificates.
    #[arg(long)]
    insecure_software_keys_for_development: bool,
    /// Organisation (O) in both CA subjects.
    #[arg(long, default_value_t = CeremonyParams::default().organization,
          value_parser = NonEmptyStringValueParser::new())]
    organization: String,
    /// Common name (CN) of the root certificate.
    #[arg(long, default_value_t = CeremonyParams::default().root_common_name,
          value_parser = NonEmptyStringValueParser::new())]
    root_common_name: String,
    /// Common name (CN) of the intermediate (issuing) certificate.
    #[arg(long, default_value_t = CeremonyParams::default().intermediate_common_name,
          value_parser = NonEmptyStringValueParser::new())]
    intermediate_common_name: String,
}

/// Key labels are `<prefix>-root` and `<prefix>-intermediate`.
const DEFAULT_KEY_LABEL_PREFIX: &str = "signet";

/// Runs a `signet ca` subcommand.
pub fn run(args: CaArgs) -> Result<()> {
    match args.command {
        CaCommand::Init(args) => init(args),
    }
}

fn init(args: InitArgs) -> Result<()> {
    // Everything that can be refused without side effects is checked before the data
    // directory is created or the token touched.
    let (ceremony_keys, pin) = match (&args.pkcs11_module, &args.token_label) {
        (Some(module), Some(token_label)) => {
            let pin = pin_from_env()?;
            let keys = CeremonyKeys::Pkcs11 {
                hsm: HsmConfig {
                    module: module.clone(),
                    token_label: token_label.clone(),
                    user_pin: pin.clone(),
                },
                label_prefix: args
                    .key_label_prefix
                    .clone()
                    .unwrap_or_else(|| DEFAULT_KEY_LABEL_PREFIX.to_owned()),
            };
            (keys, Some(pin))
        }
        // clap enforces exactly one store, and --token-label with --pkcs11-module.
        (None, None) if args.insecure_software_keys_for_development => {
            (CeremonyKeys::InsecureSoftwareKeysForDevelopment, None)
        }
        _ => {
            return Err(anyhow!(
                "give exactly one key store: --pkcs11-module with --token-label, or \
                 --insecure-software-keys-for-development"
            ))
        }
    };
    let params = CeremonyParams {
        organization: args.organization,
        root_common_name: args.root_common_name,
        intermediate_common_name: args.intermediate_common_name,
        ..CeremonyParams::default()
    };

    let dir = &args.data_dir;
    fs::create_dir_all(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))?;
    let _lock = super::data_dir::lock(dir)?;
    // The library's messages already include their causes: flattened to one line, not
    // repeated by the error chain.
    let store =
        keys::init(dir, &ceremony_keys, &params).map_err(|e| anyhow!("key ceremony: {e}"))?;
    // The same load and self-test as at server start: a CA that would not start is
    // reported now, at the ceremony, not at the first `signet serve`.
    let ca = keys::load(dir, pin, 1).map_err(|e| anyhow!("the new CA does not load: {e}"))?;
    print!("{}", report(dir, &store, &ca.chain_der)?);
    if matches!(store, KeyStore::InsecureSoftwareKeyForDevelopment { .. }) {
        eprintln!("{}", insecure_warning(dir));
    }
    Ok(())
}

/// The token's user PIN, from [`PIN_ENV`].
fn pin_from_env() -> Result<Pin> {
    match std::env::var(PIN_ENV) {
        Ok(pin) if !pin.is_empty() => Ok(Pin::new(pin)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Err(anyhow!(
            "the PKCS#11 key store needs the token's user PIN: set {PIN_ENV} (the PIN is never \
             taken from a flag, which would show in ps output and shell history)"
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(anyhow!("{PIN_ENV} is not valid UTF-8")),
    }
}

fn insecure_warning(dir: &Path) -> String {
    format!(
        "signet: WARNING: --insecure-software-keys-for-development: the CA's issuing key is \
         stored unencrypted in {}. Anyone who can read it can issue certificates for any \
         identity. Never use this CA outside development.",
        dir.join(keys::INSECURE_KEY_FILE).display()
    )
}

/// What the ceremony created, for the operator's record.
fn report(dir: &Path, store: &KeyStore, chain_der: &[Vec<u8>]) -> Result<String> {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "Created a Signet CA in {}:", dir.display());
    let _ = writeln!(
        out,
        "  {}: the intermediate (issuing) certificate, then the root",
        dir.join(keys::CHAIN_FILE).display()
    );
    let _ = writeln!(
        out,
        "  {}: where the keys are (no PIN)",
        dir.join(keys::KEYS_FILE).display()
    );
    match store {
        KeyStore::Pkcs11 {
            module,
            token_label,
            root_key_label,
            intermediate_key_label,
        } => {
            let _ = writeln!(
                out,
                "Key store: PKCS#11 module {}, token {token_label:?}",
                module.display()
            );
            let _ = writeln!(
                out,
                "  keys {root_key_label:?} (root) and {intermediate_key_label:?} (intermediate): \
                 non-extractable, generated in the token"
            );
        }
        KeyStore::InsecureSoftwareKeyForDevelopment {
            intermediate_key_file,
        } => {
            let _ = writeln!(
                out,
                "Key store: INSECURE software key for development: {}",
                dir.join(intermediate_key_file).display()
            );
            let _ = writeln!(
                out,
                "  the root key was discarded after signing the intermediate"
            );
        }
    }
    let [intermediate, root] = chain_der else {
        return Err(anyhow!(
            "the new chain has {} certificates, expected 2",
            chain_der.len()
        ));
    };
    for (role, der) in [("Root", root), ("Intermediate", intermediate)] {
        let cert = x509_cert::Certificate::from_der(der)
            .with_context(|| format!("parsing the new {role} certificate"))?;
        let tbs = &cert.tbs_certificate;
        let _ = writeln!(out, "{role} certificate:");
        let _ = writeln!(out, "  subject: {}", tbs.subject);
        let _ = writeln!(out, "  SHA-256 fingerprint: {}", fingerprint(der));
        let _ = writeln!(
            out,
            "  valid from {} until {}",
            tbs.validity.not_before, tbs.validity.not_after
        );
    }
    let _ = writeln!(
        out,
        "Self-test: passed (the issuing key signs, and its signatures verify under the \
         intermediate certificate's key)"
    );
    Ok(out)
}

/// SHA-256 of the DER certificate as colon-separated upper-case hex, the form
/// `openssl x509 -noout -fingerprint -sha256` prints.
fn fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_openssl_style() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            fingerprint(b"abc"),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }
}

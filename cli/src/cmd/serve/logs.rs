//! Opening a log kept in the data directory: its key, its database and the marker that
//! says it was created. The transparency log and the CT log use the same procedure under
//! different file names.
//!
//! For a log with stem `S`:
//!
//! * `S-key.pem`: the log's ECDSA P-256 key (PKCS#8, mode 0600), generated on first start.
//! * `S-created`: marker written once the log exists in the database; from then on a
//!   missing log in the database is an error, never a reason to create a new one.
//! * `S.sqlite` (+ `-wal`, `-shm`): the SQLite database (default backend).

use std::{
    fs::{self, File, OpenOptions},
    io::Write,
    path::Path,
};

use anyhow::{bail, Context, Result};
use signet_tlog::{storage::Storage, IfMissing, Log, LogConfig};
use signet_tlog_core::keys::EcdsaP256Signer;

/// The file-name stem of one log in the data directory.
#[derive(Clone, Copy, Debug)]
pub struct Stem(&'static str);

/// The Rekor transparency log.
pub const TLOG: Stem = Stem("tlog");
/// The CA's certificate-transparency log.
pub const CT: Stem = Stem("ct");

impl Stem {
    /// The `S-created` marker's file name.
    pub fn created_marker(self) -> String {
        format!("{}-created", self.0)
    }
}

/// The signing key of an opened log, loaded again from its file (for the CT front-end,
/// which signs SCTs with the log's key).
pub fn load_log_key(data_dir: &Path, stem: Stem, log: &Log) -> Result<EcdsaP256Signer> {
    let Stem(name) = stem;
    let host = log
        .meta()
        .origin
        .rsplit_once(" - ")
        .map(|(h, _)| h.to_owned())
        .unwrap_or_default();
    load_key(&data_dir.join(format!("{name}-key.pem")), &host)
}

/// The DER SubjectPublicKeyInfo of a log's key.
pub fn public_key_der(log: &Log) -> Result<Vec<u8>> {
    let verifier =
        signet_tlog_core::keys::EcdsaP256Verifier::from_pem(&log.public_key_pem(), "log")
            .context("reading the log's public key")?;
    Ok(verifier.public_key_der().to_vec())
}

/// Opens (creating on first start) the log `stem` in `data_dir`: SQLite there unless
/// `database_url` names another database.
pub async fn open(
    data_dir: &Path,
    stem: Stem,
    database_url: Option<&str>,
    config: &LogConfig,
) -> Result<Log> {
    let Stem(name) = stem;
    let url = match database_url {
        Some(u) => u.to_owned(),
        None => format!(
            "sqlite:{}",
            data_dir.join(format!("{name}.sqlite")).display()
        ),
    };
    let storage = Storage::open(&url)
        .await
        .with_context(|| format!("opening the {name} database"))?;
    let key_path = data_dir.join(format!("{name}-key.pem"));
    let marker = data_dir.join(format!("{name}-created"));
    let meta = storage
        .meta()
        .await
        .with_context(|| format!("reading {name} metadata"))?;
    let has_log = meta.is_some();
    // The note key name is the origin's host, fixed when the log was created.
    let key_name = meta
        .as_ref()
        .and_then(|m| m.origin.rsplit_once(" - ").map(|(host, _)| host.to_owned()))
        .unwrap_or_else(|| config.origin_host.clone());
    let (signer, if_missing) = match (key_path.exists(), has_log) {
        (true, _) => (load_key(&key_path, &key_name)?, creation_allowed(&marker)),
        (false, false) => (create_key(&key_path, &key_name)?, IfMissing::Create),
        (false, true) => bail!(
            "the database holds a log but {} is missing; refusing to start with a new key",
            key_path.display()
        ),
    };
    let log = Log::start(storage, signer, config, if_missing)
        .await
        .with_context(|| format!("starting the {name} log"))?;
    if !marker.exists() {
        fs::write(&marker, format!("{}\n", log.meta().tree_id))
            .with_context(|| format!("writing {}", marker.display()))?;
    }
    Ok(log)
}

/// A log may be created only before it was ever created from this directory.
fn creation_allowed(marker: &Path) -> IfMissing {
    if marker.exists() {
        IfMissing::Refuse
    } else {
        IfMissing::Create
    }
}

fn load_key(path: &Path, name: &str) -> Result<EcdsaP256Signer> {
    let pem = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    EcdsaP256Signer::from_pkcs8_pem(&pem, name)
        .with_context(|| format!("loading log key {}", path.display()))
}

fn create_key(path: &Path, name: &str) -> Result<EcdsaP256Signer> {
    let der = EcdsaP256Signer::generate_pkcs8().context("generating the log key")?;
    let pem = EcdsaP256Signer::pkcs8_pem(&der).context("encoding the log key")?;
    let tmp = path.with_extension("pem.tmp");
    {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(pem.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path).with_context(|| format!("installing {}", path.display()))?;
    if let Some(dir) = path.parent() {
        File::open(dir).and_then(|d| d.sync_all()).ok();
    }
    tracing::info!(path = %path.display(), "generated a new log key");
    EcdsaP256Signer::from_pkcs8(&der, name).context("loading the new log key")
}

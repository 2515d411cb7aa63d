//! The CA's keys and certificates on disk, the key ceremony (`signet ca init`) and the
//! start-up self-test.
//!
//! Data directory layout:
//!
//! * `ca-chain.pem`: the issuing (intermediate) certificate, then the root.
//! * `ca-keys.json`: where the keys are ([`KeyStore`]): PKCS#11 module, token and key
//!   labels, or — for development only — the file of an insecure software key. Never a
//!   PIN: the PIN comes from the environment (`SIGNET_HSM_PIN`) at each start.
//! * `ca-intermediate-key.INSECURE-DEV.pem`: only with the insecure software key store.
//!
//! The ceremony refuses to overwrite any of these, and the HSM refuses to create a key
//! under a label that exists. At start the CA refuses to serve unless the key is present,
//! the chain matches it, and a sign/verify round trip succeeds.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use serde::{Deserialize, Serialize};
use signet_ca_core::{
    dev_key::InsecureSoftwareCaKey,
    profile::{self, CaSubject, IssuerCertificate, ValidityPeriod},
    signer::{CaAlgorithm, CaSigner},
};
use signet_hsm::{EcCurve, Hsm, HsmConfig, Pin};
use x509_cert::der::{Decode, Encode};

/// `ca-chain.pem`.
pub const CHAIN_FILE: &str = "ca-chain.pem";
/// `ca-keys.json`.
pub const KEYS_FILE: &str = "ca-keys.json";
/// The insecure software intermediate key (development only).
pub const INSECURE_KEY_FILE: &str = "ca-intermediate-key.INSECURE-DEV.pem";

/// Why the CA keys could not be created or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The ceremony found an existing CA.
    #[error("a CA already exists in {dir} ({file} is present); refusing to overwrite it")]
    AlreadyExists {
        /// The data directory.
        dir: PathBuf,
        /// The file found.
        file: &'static str,
    },
    /// No CA in the data directory.
    #[error("no CA in {dir}: run `signet ca init` first ({file} is missing)")]
    NotInitialised {
        /// The data directory.
        dir: PathBuf,
        /// The file missing.
        file: &'static str,
    },
    /// A file's content is not what the CA wrote.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The HSM refused or failed.
    #[error("HSM: {0}")]
    Hsm(#[from] signet_hsm::HsmError),
    /// Building a CA certificate failed.
    #[error("building the CA certificates: {0}")]
    Profile(#[from] profile::ProfileError),
    /// The software key failed.
    #[error("software key: {0}")]
    DevKey(#[from] signet_ca_core::dev_key::DevKeyError),
    /// The PKCS#11 store needs a PIN and none was given.
    #[error("the CA key is in a PKCS#11 token: set SIGNET_HSM_PIN to its user PIN")]
    PinRequired,
    /// The self-test failed: the CA must not start.
    #[error("CA self-test failed: {0}")]
    SelfTest(String),
}

/// Where the CA keys are, as recorded in `ca-keys.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum KeyStore {
    /// Non-extractable keys in a PKCS#11 token.
    Pkcs11 {
        /// The module (shared library) path.
        module: PathBuf,
        /// The token label.
        token_label: String,
        /// Label of the root key (used only by the ceremony).
        root_key_label: String,
        /// Label of the intermediate (issuing) key.
        intermediate_key_label: String,
    },
    /// A software key in a file of the data directory. Development only: anyone who can
    /// read the file can issue certificates.
    InsecureSoftwareKeyForDevelopment {
        /// File name, relative to the data directory.
        intermediate_key_file: String,
    },
}

/// What the ceremony creates the keys in.
#[derive(Clone, Debug)]
pub enum CeremonyKeys {
    /// A PKCS#11 token (root and intermediate keys generated inside it).
    Pkcs11 {
        /// Token to use.
        hsm: HsmConfig,
        /// Label prefix; keys are `<prefix>-root` and `<prefix>-intermediate`.
        label_prefix: String,
    },
    /// Software keys (development only): the root key is discarded after signing the
    /// intermediate; the intermediate key is written to the data directory.
    InsecureSoftwareKeysForDevelopment,
}

/// Names and lifetimes for the ceremony.
#[derive(Clone, Debug)]
pub struct CeremonyParams {
    /// Organisation in both CA subjects.
    pub organization: String,
    /// Root common name.
    pub root_common_name: String,
    /// Intermediate common name.
    pub intermediate_common_name: String,
    /// Root validity from now.
    pub root_validity: Duration,
    /// Intermediate validity from now (within the root's).
    pub intermediate_validity: Duration,
}

impl Default for CeremonyParams {
    fn default() -> Self {
        const YEAR: u64 = 365 * 24 * 3600;
        Self {
            organization: "signet".to_owned(),
            root_common_name: "signet-root".to_owned(),
            intermediate_common_name: "signet-intermediate".to_owned(),
            root_validity: Duration::from_secs(10 * YEAR),
            intermediate_validity: Duration::from_secs(5 * YEAR),
        }
    }
}

/// The loaded, self-tested CA.
#[derive(Clone)]
pub struct CaKeys {
    /// The issuing certificate.
    pub issuer: IssuerCertificate,
    /// Its key.
    pub signer: Arc<dyn CaSigner>,
    /// DER chain `[intermediate, root]`.
    pub chain_der: Vec<Vec<u8>>,
    /// The same as PEM.
    pub chain_pem: Vec<String>,
    /// Root subject organisation and common name (for the trusted root).
    pub root_subject: (String, String),
    /// notBefore of the intermediate, Unix seconds.
    pub valid_from: i64,
}

impl std::fmt::Debug for CaKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaKeys")
            .field("root_subject", &self.root_subject)
            .field("valid_from", &self.valid_from)
            .finish_non_exhaustive()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The key ceremony: creates the root and intermediate keys and certificates and records
/// them in `data_dir`. Refuses if a CA exists there (or a key label exists in the token).
///
/// # Errors
/// [`KeyError::AlreadyExists`], HSM, certificate and I/O errors.
pub fn init(
    data_dir: &Path,
    keys: &CeremonyKeys,
    params: &CeremonyParams,
) -> Result<KeyStore, KeyError> {
    for file in [CHAIN_FILE, KEYS_FILE, INSECURE_KEY_FILE] {
        if data_dir.join(file).exists() {
            return Err(KeyError::AlreadyExists {
                dir: data_dir.to_owned(),
                file,
            });
        }
    }
    fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let now = SystemTime::now();
    let root_subject = CaSubject {
        organization: params.organization.clone(),
        common_name: params.root_common_name.clone(),
    };
    let int_subject = CaSubject {
        organization: params.organization.clone(),
        common_name: params.intermediate_common_name.clone(),
    };
    let root_validity = ValidityPeriod {
        not_before: now,
        not_after: now + params.root_validity,
    };
    let int_validity = ValidityPeriod {
        not_before: now,
        not_after: now + params.intermediate_validity.min(params.root_validity),
    };
    let (store, root_signer, int_signer, dev_key_pem): (
        KeyStore,
        Box<dyn CaSigner>,
        Box<dyn CaSigner>,
        Option<String>,
    ) = match keys {
        CeremonyKeys::Pkcs11 { hsm, label_prefix } => {
            let session = Hsm::open(hsm, 1)?;
            let root_label = format!("{label_prefix}-root");
            let int_label = format!("{label_prefix}-intermediate");
            // P-256: SoftHSM2's P-384 signs ~20x slower (PERFORMANCE.md §2.2), and every
            // verifier accepts ECDSA P-256/SHA-256 chains (PROTOCOL.md §3.1).
            let root = session.generate_ec_key(&root_label, EcCurve::P256)?;
            let int = session.generate_ec_key(&int_label, EcCurve::P256)?;
            (
                KeyStore::Pkcs11 {
                    module: hsm.module.clone(),
                    token_label: hsm.token_label.clone(),
                    root_key_label: root_label,
                    intermediate_key_label: int_label,
                },
                Box::new(root),
                Box::new(int),
                None,
            )
        }
        CeremonyKeys::InsecureSoftwareKeysForDevelopment => {
            let root = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256)?;
            let int = InsecureSoftwareCaKey::generate(CaAlgorithm::EcdsaP256Sha256)?;
            let pem = int.to_pkcs8_pem()?;
            (
                KeyStore::InsecureSoftwareKeyForDevelopment {
                    intermediate_key_file: INSECURE_KEY_FILE.to_owned(),
                },
                Box::new(root),
                Box::new(int),
                Some(pem),
            )
        }
    };
    let root_der = profile::root_certificate(root_signer.as_ref(), &root_subject, root_validity)?;
    let root = IssuerCertificate::from_der(&root_der)?;
    let int_der = profile::intermediate_certificate(
        &root,
        root_signer.as_ref(),
        int_signer.public_key_der(),
        &int_subject,
        int_validity,
    )?;
    if let Some(pem) = dev_key_pem {
        write_new(
            &data_dir.join(INSECURE_KEY_FILE),
            pem.as_bytes(),
            Secret::Yes,
        )?;
    }
    let chain = format!("{}{}", to_pem(&int_der)?, to_pem(&root_der)?);
    write_new(&data_dir.join(CHAIN_FILE), chain.as_bytes(), Secret::No)?;
    let json = serde_json::to_vec_pretty(&store).map_err(|e| KeyError::Corrupt {
        path: data_dir.join(KEYS_FILE),
        reason: e.to_string(),
    })?;
    // Written last: its presence is what marks the CA as created.
    write_new(&data_dir.join(KEYS_FILE), &json, Secret::No)?;
    Ok(store)
}

/// Whether a file holds a secret (mode 0600).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Secret {
    Yes,
    No,
}

fn write_new(path: &Path, bytes: &[u8], secret: Secret) -> Result<(), KeyError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if secret == Secret::Yes {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

fn to_pem(der: &[u8]) -> Result<String, KeyError> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| KeyError::Corrupt {
        path: PathBuf::from(CHAIN_FILE),
        reason: e.to_string(),
    })?;
    use x509_cert::der::EncodePem;
    cert.to_pem(x509_cert::der::pem::LineEnding::LF)
        .map_err(|e| KeyError::Corrupt {
            path: PathBuf::from(CHAIN_FILE),
            reason: e.to_string(),
        })
}

/// Loads the CA from `data_dir` and runs the start-up self-test: the key is present, the
/// issuing certificate's public key is the key's, and a sign/verify round trip succeeds.
/// `sessions` is the PKCS#11 session pool size (ignored for the software key).
///
/// # Errors
/// [`KeyError::NotInitialised`], [`KeyError::PinRequired`], [`KeyError::SelfTest`], ...
pub fn load(data_dir: &Path, pin: Option<Pin>, sessions: usize) -> Result<CaKeys, KeyError> {
    let keys_path = data_dir.join(KEYS_FILE);
    let chain_path = data_dir.join(CHAIN_FILE);
    for (path, file) in [(&keys_path, KEYS_FILE), (&chain_path, CHAIN_FILE)] {
        if !path.exists() {
            return Err(KeyError::NotInitialised {
                dir: data_dir.to_owned(),
                file,
            });
        }
    }
    let store: KeyStore = serde_json::from_slice(&fs::read(&keys_path).map_err(io(&keys_path))?)
        .map_err(|e| KeyError::Corrupt {
            path: keys_path.clone(),
            reason: e.to_string(),
        })?;
    let chain_text = fs::read(&chain_path).map_err(io(&chain_path))?;
    let chain_der = read_chain(&chain_text).map_err(|reason| KeyError::Corrupt {
        path: chain_path.clone(),
        reason,
    })?;
    let [int_der, root_der] =
        <[Vec<u8>; 2]>::try_from(chain_der.clone()).map_err(|c| KeyError::Corrupt {
            path: chain_path.clone(),
            reason: format!(
                "want 2 certificates (intermediate, root), found {}",
                c.len()
            ),
        })?;
    let issuer = IssuerCertificate::from_der(&int_der)?;
    let signer: Arc<dyn CaSigner> = match &store {
        KeyStore::Pkcs11 {
            module,
            token_label,
            intermediate_key_label,
            ..
        } => {
            let pin = pin.ok_or(KeyError::PinRequired)?;
            let hsm = Hsm::open(
                &HsmConfig {
                    module: module.clone(),
                    token_label: token_label.clone(),
                    user_pin: pin,
                },
                sessions.max(1),
            )?;
            let key = hsm.find_key(intermediate_key_label)?.ok_or_else(|| {
                KeyError::SelfTest(format!(
                    "key {intermediate_key_label:?} is not in token {token_label:?}"
                ))
            })?;
            key.self_test(Some(issuer.spki_der()))?;
            Arc::new(key)
        }
        KeyStore::InsecureSoftwareKeyForDevelopment {
            intermediate_key_file,
        } => {
            let path = data_dir.join(intermediate_key_file);
            let pem = fs::read_to_string(&path).map_err(io(&path))?;
            Arc::new(InsecureSoftwareCaKey::from_pkcs8_pem(&pem)?)
        }
    };
    self_test(signer.as_ref(), &issuer)?;
    let root = x509_cert::Certificate::from_der(&root_der).map_err(|e| KeyError::Corrupt {
        path: chain_path.clone(),
        reason: e.to_string(),
    })?;
    let root_subject = subject_o_cn(&root);
    let int_cert = x509_cert::Certificate::from_der(&int_der).map_err(|e| KeyError::Corrupt {
        path: chain_path.clone(),
        reason: e.to_string(),
    })?;
    let valid_from = int_cert
        .tbs_certificate
        .validity
        .not_before
        .to_unix_duration()
        .as_secs() as i64;
    let chain_pem = chain_der
        .iter()
        .map(|d| to_pem(d))
        .collect::<Result<_, _>>()?;
    Ok(CaKeys {
        issuer,
        signer,
        chain_der,
        chain_pem,
        root_subject,
        valid_from,
    })
}

/// The issuing certificate must carry this key, and the key must produce signatures that
/// verify with it (catches a swapped key or a broken token before any certificate is
/// issued).
fn self_test(signer: &dyn CaSigner, issuer: &IssuerCertificate) -> Result<(), KeyError> {
    if signer.public_key_der() != issuer.spki_der() {
        return Err(KeyError::SelfTest(
            "the issuing certificate's public key is not the CA key's".to_owned(),
        ));
    }
    let probe = b"signet CA self-test";
    let sig = signer
        .sign(probe)
        .map_err(|e| KeyError::SelfTest(e.to_string()))?;
    let alg: &'static dyn aws_lc_rs::signature::VerificationAlgorithm = match signer.algorithm() {
        CaAlgorithm::EcdsaP384Sha384 => &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1,
        _ => &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
    };
    let spki = spki::SubjectPublicKeyInfoRef::from_der(issuer.spki_der())
        .map_err(|e| KeyError::SelfTest(e.to_string()))?;
    aws_lc_rs::signature::UnparsedPublicKey::new(alg, spki.subject_public_key.raw_bytes())
        .verify(probe, &sig)
        .map_err(|_| KeyError::SelfTest("signature round trip did not verify".to_owned()))
}

fn read_chain(text: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let certs = x509_cert::Certificate::load_pem_chain(text).map_err(|e| e.to_string())?;
    certs
        .iter()
        .map(|c| c.to_der().map_err(|e| e.to_string()))
        .collect()
}

fn subject_o_cn(cert: &x509_cert::Certificate) -> (String, String) {
    use const_oid::db::rfc4519::{CN, O};
    let mut o = String::new();
    let mut cn = String::new();
    for rdn in cert.tbs_certificate.subject.0.iter() {
        for atv in rdn.0.iter() {
            let value = x509_cert::der::asn1::Utf8StringRef::try_from(&atv.value)
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    x509_cert::der::asn1::PrintableStringRef::try_from(&atv.value)
                        .map(|s| s.as_str().to_owned())
                })
                .unwrap_or_default();
            if atv.oid == O {
                o = value;
            } else if atv.oid == CN {
                cn = value;
            }
        }
    }
    (o, cn)
}

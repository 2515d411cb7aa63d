//! Opening a token with a pool of logged-in sessions, and the key ceremony's key
//! generation.

use std::sync::{Arc, Mutex, PoisonError};

use cryptoki::context::Pkcs11;
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::Attribute;
use cryptoki::slot::Slot;
use der::Encode;

use crate::key::{self, HsmKey};
use crate::pool::SessionPool;
use crate::{module, EcCurve, HsmConfig, HsmError, Operation};

/// Bytes of a new key's random `CKA_ID`.
const KEY_ID_LEN: usize = 16;

/// An open token: a pool of sessions logged in as the normal user.
///
/// Cheap to clone; clones share the pool. Keys found or generated through it keep the
/// pool open after the `Hsm` itself is dropped.
#[derive(Clone)]
pub struct Hsm {
    token: Arc<Token>,
}

/// What an `Hsm` and its keys share.
pub(crate) struct Token {
    pub(crate) label: String,
    slot: Slot,
    ctx: Pkcs11,
    pub(crate) pool: SessionPool,
    /// Serialises key generation in this process, so that the "label is free" check
    /// and the generation are one step (other processes are not excluded: run the
    /// key ceremony alone).
    keygen: Mutex<()>,
}

impl Token {
    /// An [`HsmError::Pkcs11`] for this token.
    pub(crate) fn error(&self, operation: Operation, source: CkError) -> HsmError {
        HsmError::Pkcs11 {
            token: self.label.clone(),
            operation,
            source,
        }
    }

    /// Fails unless the token supports `mechanism`.
    fn require(&self, mechanism: MechanismType, name: &'static str) -> Result<(), HsmError> {
        require_mechanism(&self.ctx, self.slot, &self.label, mechanism, name)
    }
}

impl std::fmt::Debug for Hsm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hsm")
            .field("token", &self.token.label)
            .field("sessions", &self.token.pool.size())
            .finish_non_exhaustive()
    }
}

impl Hsm {
    /// Loads the module, finds the token by label, logs in as the normal user and
    /// opens `sessions` read/write sessions for the pool. Signing runs on at most
    /// `sessions` threads at once; size it to the cores (or, for a network HSM, to
    /// the signatures wanted in flight).
    ///
    /// # Errors
    /// [`HsmError::NoSessions`] for `sessions == 0`; [`HsmError::ModuleLoad`] /
    /// [`HsmError::ModuleInit`]; [`HsmError::TokenNotFound`] (listing the labels
    /// present) or [`HsmError::TokenAmbiguous`]; [`HsmError::MechanismUnsupported`] if
    /// the token cannot do `CKM_ECDSA`; [`HsmError::WrongPin`] /
    /// [`HsmError::PinLocked`]; [`HsmError::Pkcs11`] (e.g. too many sessions).
    pub fn open(config: &HsmConfig, sessions: usize) -> Result<Self, HsmError> {
        if sessions == 0 {
            return Err(HsmError::NoSessions);
        }
        let ctx = module::context(&config.module)?;
        let label = config.token_label.clone();
        let p11 = |operation| {
            let label = label.clone();
            move |source| HsmError::Pkcs11 {
                token: label,
                operation,
                source,
            }
        };
        let (slot, serial) = find_token(&ctx, config)?;
        require_mechanism(&ctx, slot, &label, MechanismType::ECDSA, "CKM_ECDSA")?;

        let first = ctx
            .open_rw_session(slot)
            .map_err(p11(Operation::OpenSession))?;
        module::login(&first, &config.module, &serial, &label, &config.user_pin)?;
        let mut pool = Vec::with_capacity(sessions);
        pool.push(first);
        // Login state is per token and process (PKCS#11 v2.40 §5.6): sessions opened
        // now are logged in too.
        for _ in 1..sessions {
            pool.push(
                ctx.open_rw_session(slot)
                    .map_err(p11(Operation::OpenSession))?,
            );
        }
        Ok(Self {
            token: Arc::new(Token {
                label,
                slot,
                ctx,
                pool: SessionPool::new(pool),
                keygen: Mutex::new(()),
            }),
        })
    }

    /// The token's label.
    #[must_use]
    pub fn token_label(&self) -> &str {
        &self.token.label
    }

    /// The number of pooled sessions.
    #[must_use]
    pub fn sessions(&self) -> usize {
        self.token.pool.size()
    }

    /// Generates an EC key pair in the token for the key ceremony.
    ///
    /// Both halves are token objects labelled `label` with a fresh random `CKA_ID`.
    /// The private key is `CKA_PRIVATE`, `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`, and
    /// may only sign; its value can never be read out of the token.
    ///
    /// # Errors
    /// [`HsmError::EmptyKeyLabel`]; [`HsmError::KeyExists`] if any object already
    /// carries `label` (nothing is overwritten);
    /// [`HsmError::MechanismUnsupported`] / [`HsmError::CurveUnsupported`] if the
    /// token cannot make such a key; [`HsmError::Pkcs11`].
    pub fn generate_ec_key(&self, label: &str, curve: EcCurve) -> Result<HsmKey, HsmError> {
        if label.is_empty() {
            return Err(HsmError::EmptyKeyLabel);
        }
        let token = &self.token;
        let _one_at_a_time = token.keygen.lock().unwrap_or_else(PoisonError::into_inner);
        token.require(MechanismType::ECC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN")?;
        let session = token.pool.get();

        let label_attr = Attribute::Label(label.as_bytes().to_vec());
        let existing = session
            .find_objects(std::slice::from_ref(&label_attr))
            .map_err(|source| token.error(Operation::FindObjects, source))?;
        if !existing.is_empty() {
            return Err(HsmError::KeyExists {
                label: label.to_owned(),
                token: token.label.clone(),
            });
        }

        let id = session
            .generate_random_vec(KEY_ID_LEN as u32)
            .map_err(|source| token.error(Operation::GenerateRandom, source))?;
        let ec_params = curve.oid().to_der().map_err(|source| HsmError::Encoding {
            what: "CKA_EC_PARAMS",
            source,
        })?;
        // PKCS#11 v2.40 Mechanisms §2.3.5: CKA_EC_PARAMS goes in the public template.
        let public = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::EcParams(ec_params),
            label_attr.clone(),
            Attribute::Id(id.clone()),
        ];
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Derive(false),
            label_attr,
            Attribute::Id(id),
        ];
        session
            .generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
            .map_err(|source| match source {
                CkError::Pkcs11(RvError::CurveNotSupported | RvError::DomainParamsInvalid, _) => {
                    HsmError::CurveUnsupported {
                        token: token.label.clone(),
                        curve,
                    }
                }
                source => token.error(Operation::GenerateKeyPair, source),
            })?;
        key::load(token, &session, label)?.ok_or_else(|| HsmError::KeyNotFound {
            label: label.to_owned(),
            token: token.label.clone(),
        })
    }

    /// Finds the private key labelled `label` and reads its public key.
    ///
    /// # Errors
    /// [`HsmError::KeyAmbiguous`] if several private keys carry the label;
    /// [`HsmError::NotAnEcKey`], [`HsmError::PublicKeyObject`],
    /// [`HsmError::UnsupportedKeyCurve`], [`HsmError::MalformedPublicPoint`] for a key
    /// the CA cannot use; [`HsmError::Pkcs11`].
    pub fn find_key(&self, label: &str) -> Result<Option<HsmKey>, HsmError> {
        let session = self.token.pool.get();
        key::load(&self.token, &session, label)
    }
}

/// The slot of the one initialised token labelled `config.token_label`, and the
/// token's serial number.
fn find_token(ctx: &Pkcs11, config: &HsmConfig) -> Result<(Slot, String), HsmError> {
    let p11 = |source| HsmError::Pkcs11 {
        token: config.token_label.clone(),
        operation: Operation::ListTokens,
        source,
    };
    let mut present = Vec::new();
    let mut matches = Vec::new();
    for slot in ctx.get_slots_with_initialized_token().map_err(p11)? {
        let info = ctx.get_token_info(slot).map_err(p11)?;
        // CK_TOKEN_INFO.label is blank-padded to 32 bytes.
        let label = info.label().trim_end_matches(' ');
        if label == config.token_label {
            matches.push((slot, info.serial_number().trim_end_matches(' ').to_owned()));
        }
        present.push(label.to_owned());
    }
    match matches.len() {
        0 => Err(HsmError::TokenNotFound {
            label: config.token_label.clone(),
            module: config.module.clone(),
            present,
        }),
        1 => Ok(matches.swap_remove(0)),
        count => Err(HsmError::TokenAmbiguous {
            label: config.token_label.clone(),
            count,
        }),
    }
}

/// Fails unless the token in `slot` lists `mechanism`.
fn require_mechanism(
    ctx: &Pkcs11,
    slot: Slot,
    token: &str,
    mechanism: MechanismType,
    name: &'static str,
) -> Result<(), HsmError> {
    let supported = ctx
        .get_mechanism_list(slot)
        .map_err(|source| HsmError::Pkcs11 {
            token: token.to_owned(),
            operation: Operation::ListMechanisms,
            source,
        })?;
    if supported.contains(&mechanism) {
        Ok(())
    } else {
        Err(HsmError::MechanismUnsupported {
            token: token.to_owned(),
            mechanism: name,
        })
    }
}

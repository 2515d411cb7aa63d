//! Process-wide PKCS#11 state: loaded modules and who logged in to which token.
//!
//! PKCS#11 state is per *application* (process), not per handle (PKCS#11 v2.40 §5.1,
//! §6.6.7): a module is initialised once per process (`C_Initialize` a second time
//! returns `CKR_CRYPTOKI_ALREADY_INITIALIZED`), `C_Finalize` would close every session
//! of every user of the module, and a login applies to all sessions the process has
//! with that token. So this module keeps one initialised context per module path for
//! the life of the process (it never finalises) and remembers, per token, a digest of
//! the PIN that logged in, so that a second [`crate::Hsm::open`] of an already
//! logged-in token still has its PIN checked instead of riding on the first login.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use aws_lc_rs::digest;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::{Session, UserType};
use secrecy::ExposeSecret;

use crate::{HsmError, Operation, Pin};

/// Identifies one token across `Hsm` instances: the module and the token's serial
/// number (slot IDs may be renumbered; labels are not guaranteed unique).
type TokenKey = (PathBuf, String);

#[derive(Default)]
struct Registry {
    modules: HashMap<PathBuf, Pkcs11>,
    /// SHA-256 of the PIN of the login in force, per token.
    logins: HashMap<TokenKey, digest::Digest>,
}

fn registry() -> MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(Mutex::default)
        .lock()
        // The lock is never held across a panic-prone section; a poisoned registry
        // still holds consistent maps.
        .unwrap_or_else(PoisonError::into_inner)
}

/// The key under which `path` is registered: the canonical path when it exists, so
/// that two spellings of one module share a context.
pub(crate) fn module_key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// Whether this process has initialised the module at `path` already.
#[cfg(feature = "test-util")]
pub(crate) fn is_loaded(path: &Path) -> bool {
    registry().modules.contains_key(&module_key(path))
}

/// The process's initialised context for the module at `path`, loading and
/// initialising it on first use.
///
/// # Errors
/// [`HsmError::ModuleLoad`] if the library cannot be loaded, [`HsmError::ModuleInit`]
/// if `C_Initialize` fails.
pub(crate) fn context(path: &Path) -> Result<Pkcs11, HsmError> {
    let key = module_key(path);
    let mut reg = registry();
    if let Some(ctx) = reg.modules.get(&key) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(&key).map_err(|source| HsmError::ModuleLoad {
        path: path.to_owned(),
        source,
    })?;
    // OS locking: the pool uses several sessions from several threads at once.
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        // Already initialised: another loader in this process (e.g. cryptoki used
        // directly by a test) got there first; the library state is shared.
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(source) => {
            return Err(HsmError::ModuleInit {
                path: path.to_owned(),
                source,
            })
        }
    }
    reg.modules.insert(key, ctx.clone());
    Ok(ctx)
}

/// Logs `session` in as the normal user with `pin`.
///
/// If this process is already logged in to the token (through another `Hsm`), the
/// module does not check the PIN again (`CKR_USER_ALREADY_LOGGED_IN`), so the PIN is
/// compared with the one that logged in instead.
///
/// # Errors
/// [`HsmError::WrongPin`], [`HsmError::PinLocked`], or [`HsmError::Pkcs11`].
pub(crate) fn login(
    session: &Session,
    module: &Path,
    serial: &str,
    token_label: &str,
    pin: &Pin,
) -> Result<(), HsmError> {
    let key = (module_key(module), serial.to_owned());
    let pin_digest = digest::digest(&digest::SHA256, pin.0.expose_secret().as_bytes());
    // Held across C_Login so that two threads opening the same token agree on who
    // logged in with which PIN.
    let mut reg = registry();
    match session.login(UserType::User, Some(&pin.0)) {
        Ok(()) => {
            reg.logins.insert(key, pin_digest);
            Ok(())
        }
        Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {
            let same = reg.logins.get(&key).is_some_and(|known| {
                aws_lc_rs::constant_time::verify_slices_are_equal(
                    known.as_ref(),
                    pin_digest.as_ref(),
                )
                .is_ok()
            });
            if same {
                Ok(())
            } else {
                // Either another PIN, or a login this crate did not make: either way
                // this PIN has not been shown to be right.
                Err(HsmError::WrongPin {
                    token: token_label.to_owned(),
                })
            }
        }
        Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _)) => {
            Err(HsmError::WrongPin {
                token: token_label.to_owned(),
            })
        }
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(HsmError::PinLocked {
            token: token_label.to_owned(),
        }),
        Err(source) => Err(HsmError::Pkcs11 {
            token: token_label.to_owned(),
            operation: Operation::Login,
            source,
        }),
    }
}

//! Throwaway SoftHSM2 tokens for tests (feature `test-util`; never in production).
//!
//! [`softhsm_token`] returns the [`HsmConfig`] of a fresh, initialised token with a
//! unique label. The tokens of one process live in one temporary directory: SoftHSM2
//! reads its configuration (`SOFTHSM2_CONF`) once, when the module is initialised, and
//! this crate never finalises it, so the first call writes a `softhsm2.conf` pointing
//! at that directory and sets `SOFTHSM2_CONF` for the whole process. Call it before
//! anything else in the process initialises the module. The directory is left behind
//! when the process exits (a few KiB per token).
//!
//! The module is `SIGNET_PKCS11_MODULE` if set, else SoftHSM2 at its Debian paths.
//! When there is none, the helpers panic with a message saying to install softhsm2:
//! HSM tests fail rather than skip.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use cryptoki::session::UserType;
use secrecy::SecretString;
use tempfile::TempDir;

use crate::{module, HsmConfig, Pin};

/// The user PIN of every test token.
pub const TEST_USER_PIN: &str = "signet-test-user-pin";
/// The security officer PIN of every test token.
pub const TEST_SO_PIN: &str = "signet-test-so-pin";
/// Environment variable naming the PKCS#11 module to test with.
pub const MODULE_ENV: &str = "SIGNET_PKCS11_MODULE";

/// Where Debian and Ubuntu install SoftHSM2's module.
const DEBIAN_MODULES: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
];

/// The PKCS#11 module to test with: `$SIGNET_PKCS11_MODULE`, or SoftHSM2 at a Debian
/// path.
///
/// # Panics
/// If `SIGNET_PKCS11_MODULE` names a missing file, or it is unset and SoftHSM2 is not
/// installed.
#[must_use]
pub fn module_path() -> PathBuf {
    if let Some(path) = std::env::var_os(MODULE_ENV) {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "{MODULE_ENV}={} does not exist; point it at a PKCS#11 module such as SoftHSM2's libsofthsm2.so",
            path.display()
        );
        return path;
    }
    DEBIAN_MODULES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "no PKCS#11 module for the HSM tests: install SoftHSM2 (`apt-get install softhsm2`) \
                 or set {MODULE_ENV} to a module's path (looked in {})",
                DEBIAN_MODULES.join(", ")
            )
        })
}

/// The process's token directory, created (and `SOFTHSM2_CONF` set) on first use.
///
/// # Panics
/// If the module was initialised before, with whatever configuration was in force
/// then: test tokens would land in that configuration's directory (for SoftHSM2 by
/// default a system directory).
fn token_dir(module: &Path) -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        assert!(
            !module::is_loaded(module),
            "{} was initialised before the first test token was made, so it does not use the \
             test token directory: call signet_hsm::testing::softhsm_token before Hsm::open",
            module.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("signet-softhsm-")
            .tempdir()
            .unwrap_or_else(|e| panic!("creating a SoftHSM2 token directory: {e}"));
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens)
            .unwrap_or_else(|e| panic!("creating {}: {e}", tokens.display()));
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                tokens.display()
            ),
        )
        .unwrap_or_else(|e| panic!("writing {}: {e}", conf.display()));
        // Before the module's first C_Initialize in this process: token_dir() runs
        // before module::context() in softhsm_token().
        std::env::set_var("SOFTHSM2_CONF", &conf);
        dir
    })
    .path()
}

/// Creates a SoftHSM2 token labelled after `name` (plus a counter, so every call gets
/// its own token), with [`TEST_SO_PIN`] and user PIN [`TEST_USER_PIN`], and returns
/// its configuration.
///
/// # Panics
/// If there is no module (see [`module_path()`]) or the token cannot be initialised.
#[must_use]
pub fn softhsm_token(name: &str) -> HsmConfig {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // Token creation takes the module's one free slot; one creation at a time.
    static CREATE: Mutex<()> = Mutex::new(());

    let module = module_path();
    token_dir(&module);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // CK_TOKEN_INFO.label holds 32 bytes.
    let suffix = format!("-{n}");
    let mut prefix: String = name.chars().filter(char::is_ascii).collect();
    prefix.truncate(32 - suffix.len());
    let label = format!("{prefix}{suffix}");

    let _one_at_a_time = CREATE.lock().unwrap_or_else(PoisonError::into_inner);
    let ctx = module::context(&module).unwrap_or_else(|e| panic!("{e}"));
    let fail = |step: &str, e: &dyn std::fmt::Display| -> ! {
        panic!("creating SoftHSM2 test token {label:?}: {step}: {e}")
    };
    let free = ctx
        .get_slots_with_token()
        .unwrap_or_else(|e| fail("listing slots", &e))
        .into_iter()
        .find(|slot| {
            ctx.get_token_info(*slot)
                .is_ok_and(|info| !info.token_initialized())
        })
        .unwrap_or_else(|| {
            fail(
                "finding a free slot",
                &"the module has no uninitialised token",
            )
        });
    let so_pin = SecretString::from(TEST_SO_PIN);
    ctx.init_token(free, &so_pin, &label)
        .unwrap_or_else(|e| fail("C_InitToken", &e));
    // SoftHSM2 moves an initialised token to a slot numbered after its serial: find it
    // again by label.
    let slot = ctx
        .get_slots_with_initialized_token()
        .unwrap_or_else(|e| fail("listing slots", &e))
        .into_iter()
        .find(|slot| {
            ctx.get_token_info(*slot)
                .is_ok_and(|info| info.label().trim_end_matches(' ') == label)
        })
        .unwrap_or_else(|| fail("finding the new token", &"not listed after C_InitToken"));
    let session = ctx
        .open_rw_session(slot)
        .unwrap_or_else(|e| fail("C_OpenSession", &e));
    session
        .login(UserType::So, Some(&so_pin))
        .unwrap_or_else(|e| fail("C_Login as SO", &e));
    session
        .init_pin(&SecretString::from(TEST_USER_PIN))
        .unwrap_or_else(|e| fail("C_InitPIN", &e));
    session.logout().unwrap_or_else(|e| fail("C_Logout", &e));
    drop(session);

    HsmConfig {
        module,
        token_label: label,
        user_pin: Pin::new(TEST_USER_PIN),
    }
}

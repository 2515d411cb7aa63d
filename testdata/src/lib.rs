//! Test-only access to fixtures. The public vectors (Merkle proofs, real Sigstore bundles,
//! trusted roots, C2SP examples) live in `../shared/vectors` beside the repository and are
//! never copied into it; `SIGNET_VECTORS` overrides the location.
//!
//! A missing vectors folder is a test failure, never a silent skip.
#![allow(clippy::panic)] // test support: a missing fixture must fail the test loudly

use std::path::PathBuf;

/// The public vectors folder: `$SIGNET_VECTORS`, else `<repo>/../shared/vectors`.
///
/// # Panics
/// If the folder does not exist.
pub fn vectors_dir() -> PathBuf {
    let dir = match std::env::var_os("SIGNET_VECTORS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"),
    };
    if !dir.is_dir() {
        panic!(
            "public test vectors not found at {} (set SIGNET_VECTORS to the shared/vectors folder)",
            dir.display()
        );
    }
    dir
}

/// Bytes of a vector file, by path relative to [`vectors_dir`].
///
/// # Panics
/// If the file cannot be read.
pub fn read(rel: &str) -> Vec<u8> {
    let path = vectors_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A JSON vector file, by path relative to [`vectors_dir`].
///
/// # Panics
/// If the file cannot be read or is not JSON.
pub fn read_json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

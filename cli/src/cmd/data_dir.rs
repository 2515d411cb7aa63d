//! The data directory's process lock, shared by every command that changes its state.

use std::{
    fs::{File, OpenOptions},
    path::Path,
};

use anyhow::{anyhow, Context, Result};

/// Locks `DIR/lock` for as long as the returned file lives, so that two signet processes
/// (a server, a key ceremony) never work on one data directory at once.
pub fn lock(dir: &Path) -> Result<File> {
    let path = dir.join("lock");
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.try_lock()
        .map_err(|_| anyhow!("{} is in use by another signet process", dir.display()))?;
    Ok(f)
}

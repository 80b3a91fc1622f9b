//! The admin listener: how command-line tools reach a running daemon that holds the store.
//!
//! sled admits one process, so while `serve` runs, `doorman audit ...` cannot open the store.
//! Instead `serve` listens on a loopback address (`[admin] listen`) and writes the address and a
//! random bearer token to `{storage}/admin.token`, readable by its owner only. A command that
//! finds the file asks the daemon; one that finds none (or a stale one whose daemon is gone)
//! opens the store itself.

mod client;
mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use client::{AdminClient, AdminError, export_filter as export_filter_from_args};
pub use server::router;

/// The token file's name inside the storage folder.
pub const TOKEN_FILE: &str = "admin.token";

/// What the token file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenFile {
    pub address: SocketAddr,
    pub token: String,
    pub pid: u32,
}

pub fn token_path(storage: &Path) -> PathBuf {
    storage.join(TOKEN_FILE)
}

/// A fresh random bearer token for the admin listener.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Writes the token file with owner-only permissions, replacing any stale one atomically.
pub fn write_token_file(
    storage: &Path,
    address: SocketAddr,
    token: &str,
) -> std::io::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = token_path(storage);
    let temporary = storage.join(format!("{TOKEN_FILE}.{}", std::process::id()));
    let contents = serde_json::to_vec(&TokenFile {
        address,
        token: token.to_owned(),
        pid: std::process::id(),
    })
    .map_err(std::io::Error::other)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(&contents)?;
    file.sync_all()?;
    std::fs::rename(&temporary, &path)?;
    Ok(path)
}

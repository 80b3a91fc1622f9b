//! The admin listener: how command-line tools reach a running daemon that holds the store.
//!
//! sled admits one process, so while `serve` runs, `doorman audit ...` cannot open the store.
//! Instead `serve` listens on a loopback address (`[admin] listen`) and writes the address and a
//! random bearer token to `{storage}/admin.token`, readable by its owner only. A command that
//! finds the file asks the daemon; one that finds none (or a stale one whose daemon is gone)
//! opens the store itself.
//!
//! The daemon is asked for data, never for verdicts: `audit verify` fetches the raw chain and
//! checks it with its own copy of `[security] audit_key`, so whatever answers on the admin
//! address cannot make a broken chain pass.
//!
//! The same listener serves the operator's `/healthz`, `/readyz` (every check with its detail)
//! and `/metrics` without the token, for probes and scrapers that cannot read the token file;
//! those routes are the app's (`app::routes::operations`), merged beside these.

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
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenFile {
    pub address: SocketAddr,
    pub token: String,
}

impl std::fmt::Debug for TokenFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFile")
            .field("address", &self.address)
            .field("token", &"[REDACTED]")
            .finish()
    }
}

/// One stored entry of the audit chain, as the admin listener streams it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainLine {
    /// `heads` or `records`.
    pub tree: String,
    /// The key, hex.
    pub key: String,
    /// The stored bytes, base64.
    pub value: String,
}

pub fn token_path(storage: &Path) -> PathBuf {
    storage.join(TOKEN_FILE)
}

/// A fresh random bearer token for the admin listener.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Writes the token file with owner-only permissions, replacing any stale one atomically. The
/// temporary file is created fresh (never opened through an existing file or link), so its
/// mode is the one asked for.
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
    })
    .map_err(std::io::Error::other)?;
    match std::fs::remove_file(&temporary) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(&contents)?;
    file.sync_all()?;
    std::fs::rename(&temporary, &path)?;
    Ok(path)
}

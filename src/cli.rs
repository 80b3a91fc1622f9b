//! The commands behind the `doorman` binary. `main.rs` parses the command line and maps each
//! command's [`Outcome`] to an exit status; everything else lives here, testable.
//!
//! Commands that answer in JSON print exactly one document on standard output; logs and
//! human-readable text go to standard error.

pub mod audit;
pub mod bench;
pub mod demo;
pub mod grants;
pub mod healthcheck;
pub mod intent;
pub mod policy;
pub mod serve;
pub mod sim;
pub mod teams_package;

use std::path::Path;
use std::process::ExitCode;

use crate::app::{AppError, catalog_source};
use crate::catalog::Catalog;
use crate::catalog::service::SnapshotSource;
use crate::config::{Config, ConfigError};

/// How a command ended, as an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The command ran and the answer is "no" (a broken audit chain).
    Failure,
    /// The configuration is invalid (EX_CONFIG-like usage error, 64).
    BadConfig,
    /// Something outside the command failed (store, network).
    Unavailable,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failure => ExitCode::from(1),
            Outcome::BadConfig => ExitCode::from(64),
            Outcome::Unavailable => ExitCode::from(69),
        }
    }
}

/// Loads the config, or prints one line naming the bad key.
pub fn load_config(path: &Path) -> Result<Config, Outcome> {
    Config::load(path, std::env::vars()).map_err(|error: ConfigError| {
        eprintln!("doorman: {error}");
        Outcome::BadConfig
    })
}

/// The tenant's catalog as the daemon would serve it: Graph read with the app-only token, the
/// catalog file applied. `command` names the command in error lines.
pub async fn read_catalog(config: &Config, command: &str) -> Result<Catalog, Outcome> {
    let (source, file) = match catalog_source(config) {
        Ok(parts) => parts,
        Err(error @ AppError::CatalogFile(_)) => {
            eprintln!("doorman {command}: {error}");
            return Err(Outcome::BadConfig);
        }
        Err(error) => {
            eprintln!("doorman {command}: {error}");
            return Err(Outcome::Unavailable);
        }
    };
    let snapshot = match source.read().await {
        Ok(snapshot) => snapshot,
        Err(error) => {
            eprintln!("doorman {command}: cannot read the catalog from Graph: {error}");
            return Err(Outcome::Unavailable);
        }
    };
    let (snapshot, warnings) = file.apply(snapshot);
    for warning in warnings {
        tracing::warn!(%warning, "catalog file");
    }
    Ok(Catalog::build(snapshot.resources, snapshot.people))
}

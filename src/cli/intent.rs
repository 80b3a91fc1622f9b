//! `doorman intent --config FILE --as UPN --text "..."`: the intent JSON of DESIGN.md section 7
//! for one message, resolved against the configured tenant's catalog.
//!
//! The catalog is read from Graph with the app-only token (no person need be signed in) and the
//! catalog file applied, exactly as the daemon does; nothing is written and the store is not
//! opened, so the command works beside a running daemon. Exactly one JSON document goes to
//! standard output; logs and errors go to standard error.

use std::path::Path;

use super::{Outcome, load_config};
use crate::app::{AppError, catalog_source};
use crate::catalog::Catalog;
use crate::catalog::service::SnapshotSource;
use crate::config::LogFormat;
use crate::intent::{Asker, understand};

pub async fn run(config_path: &Path, upn: &str, text: &str) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    let (source, file) = match catalog_source(&config) {
        Ok(parts) => parts,
        Err(error @ AppError::CatalogFile(_)) => {
            eprintln!("doorman intent: {error}");
            return Outcome::BadConfig;
        }
        Err(error) => {
            eprintln!("doorman intent: {error}");
            return Outcome::Unavailable;
        }
    };
    let snapshot = match source.read().await {
        Ok(snapshot) => snapshot,
        Err(error) => {
            eprintln!("doorman intent: cannot read the catalog from Graph: {error}");
            return Outcome::Unavailable;
        }
    };
    let (snapshot, warnings) = file.apply(snapshot);
    for warning in warnings {
        tracing::warn!(%warning, "catalog file");
    }
    let catalog = Catalog::build(snapshot.resources, snapshot.people);
    let intent = understand(
        text,
        Asker {
            upn,
            now: chrono::Utc::now(),
        },
        &catalog,
    );
    println!("{}", intent.to_json());
    Outcome::Success
}

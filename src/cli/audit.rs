//! `doorman audit verify|export --config FILE`: through the running daemon's admin listener when
//! one holds the store, otherwise on the store directly.

use std::path::Path;
use std::sync::Arc;

use super::{Outcome, load_config};
use crate::admin::{AdminClient, AdminError, export_filter_from_args};
use crate::audit::{
    AuditLog, ExportFilter, HeadSigner, TrustedSigners, VerifyReport, verify_entries,
};
use crate::config::{Config, LogFormat};
use crate::store::{SledStore, Store, StoreError};

pub async fn verify(config_path: &Path) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    let through = through_daemon(&config, |client| async move { client.chain().await }).await;
    let report = match through {
        // The daemon hands over the stored entries; the verdict is reached here, with this
        // command's own copy of the key.
        Some(Ok((heads, records))) => {
            let signer = HeadSigner::new(&config.security.audit_key);
            let trusted = TrustedSigners::new(&signer, &config.security.previous_audit_public_keys);
            verify_entries(
                records.into_iter().map(Ok),
                heads.into_iter().map(Ok),
                &trusted,
            )
            .map_err(|error| error.to_string())
        }
        Some(Err(error)) => Err(error.to_string()),
        None => open_locally(&config).and_then(|audit| {
            audit
                .verify_trusting(&config.security.previous_audit_public_keys)
                .map_err(|error| error.to_string())
        }),
    };
    match report {
        Ok(report) => print_report(&report),
        Err(message) => {
            eprintln!("doorman audit verify: {message}");
            Outcome::Unavailable
        }
    }
}

/// `doorman audit public-key --config FILE`: prints the public half of `[security]
/// audit_key` (hex), to be listed in `previous_audit_public_keys` once the key is replaced.
/// Reads no store and asks no daemon.
pub fn public_key(config_path: &Path) -> Outcome {
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    println!(
        "{}",
        HeadSigner::new(&config.security.audit_key).public_key()
    );
    Outcome::Success
}

fn print_report(report: &VerifyReport) -> Outcome {
    println!("{report}");
    if report.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    }
}

pub async fn export(config_path: &Path, since: Option<&str>, request: Option<String>) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    let filter = match export_filter_from_args(since, request) {
        Ok(filter) => filter,
        Err(message) => {
            eprintln!("doorman audit export: {message}");
            return Outcome::BadConfig;
        }
    };
    let through = {
        let filter = filter.clone();
        through_daemon(&config, |client| async move {
            client.export(&filter, &mut std::io::stdout()).await
        })
        .await
    };
    let exported = match through {
        Some(result) => result.map_err(|error| error.to_string()),
        None => open_locally(&config).and_then(|audit| write_locally(&audit, &filter)),
    };
    match exported {
        Ok(()) => Outcome::Success,
        Err(message) => {
            eprintln!("doorman audit export: {message}");
            Outcome::Unavailable
        }
    }
}

fn write_locally(audit: &AuditLog, filter: &ExportFilter) -> Result<(), String> {
    audit
        .export(filter, &mut std::io::stdout().lock())
        .map(drop)
        .map_err(|error| error.to_string())
}

/// Asks the daemon announced in the storage folder, if one answers. `None` means no daemon
/// holds the store (no token file, or a stale one), so the caller should open it itself.
async fn through_daemon<T, F, Fut>(config: &Config, ask: F) -> Option<Result<T, AdminError>>
where
    F: FnOnce(AdminClient) -> Fut,
    Fut: std::future::Future<Output = Result<T, AdminError>>,
{
    match AdminClient::discover(&config.storage.path) {
        Ok(None) => None,
        Ok(Some(client)) => match ask(client).await {
            Err(AdminError::Unreachable(address)) => {
                tracing::info!(%address, "no daemon answers at the address in the token file; reading the store directly");
                None
            }
            answer => Some(answer),
        },
        Err(error) => Some(Err(error)),
    }
}

fn open_locally(config: &Config) -> Result<AuditLog, String> {
    let store: Arc<dyn Store> = match SledStore::open(&config.storage.path) {
        Ok(store) => Arc::new(store),
        Err(StoreError::Locked { path }) => {
            return Err(format!(
                "the store at {path} is held by another process and no daemon answers on its admin listener"
            ));
        }
        Err(error) => return Err(error.to_string()),
    };
    AuditLog::open(store, &config.security.audit_key).map_err(|error| error.to_string())
}

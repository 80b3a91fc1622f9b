//! What `/readyz` reports: one named check per precondition of serving.
//!
//! Some checks are settled at start (the store is open, the config and policy file are valid);
//! the catalog's is live, read from the catalog service each time: not ready until the first sync
//! has succeeded, then ready for good, with a detail that says when the catalog was read or that
//! the last sync failed and an older catalog is being served.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;

use crate::catalog::CatalogService;
use crate::config::Config;
use crate::metrics::Metrics;

/// One precondition and whether it holds.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// The daemon is ready when every check holds.
pub struct Readiness {
    settled: Vec<Check>,
    catalog: Arc<CatalogService>,
}

impl Readiness {
    /// Settles the checks made once at start: the store is open by the time this runs, and the
    /// config was typed and validated by loading it. Until the policy engine exists, a
    /// configured policy file must at least be valid TOML. The catalog is checked live.
    pub fn evaluate(config: &Config, catalog: Arc<CatalogService>) -> Self {
        let mut settled = vec![
            Check {
                name: "store",
                ok: true,
                detail: format!("open at {}", config.storage.path.display()),
            },
            Check {
                name: "config",
                ok: true,
                detail: "valid".into(),
            },
        ];
        settled.push(match &config.policy.file {
            None => Check {
                name: "policy",
                ok: true,
                detail: "no policy file: every request will be denied".into(),
            },
            Some(path) => match std::fs::read_to_string(path) {
                Err(error) => Check {
                    name: "policy",
                    ok: false,
                    detail: format!("cannot read {}: {error}", path.display()),
                },
                Ok(text) => match text.parse::<toml::Table>() {
                    Ok(_) => Check {
                        name: "policy",
                        ok: true,
                        detail: format!("{} parses", path.display()),
                    },
                    Err(error) => Check {
                        name: "policy",
                        ok: false,
                        detail: format!(
                            "{} is not valid TOML: {}",
                            path.display(),
                            error.message()
                        ),
                    },
                },
            },
        });
        Readiness { settled, catalog }
    }

    /// Every check as it stands now.
    pub fn checks(&self) -> Vec<Check> {
        let status = self.catalog.status();
        let mut checks = self.settled.clone();
        checks.push(Check {
            name: "catalog",
            ok: status.has_catalog(),
            detail: status.to_string(),
        });
        checks
    }

    pub fn is_ready(&self) -> bool {
        self.checks().iter().all(|check| check.ok)
    }
}

/// Keeps the `ready` gauge equal to what `/readyz` would answer, updating it as catalog syncs
/// succeed and fail, until `stopped` turns true.
pub(super) async fn publish(
    readiness: Arc<Readiness>,
    metrics: Arc<Metrics>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut status = readiness.catalog.watch_status();
    loop {
        metrics.ready.set(i64::from(readiness.is_ready()));
        tokio::select! {
            changed = status.changed() => if changed.is_err() { return },
            _ = stopped.wait_for(|stop| *stop) => return,
        }
    }
}

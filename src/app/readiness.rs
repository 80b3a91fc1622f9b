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
use crate::policy::Policy;

/// The configured policy, with its readiness check. A file that cannot be read or has problems
/// leaves the daemon unready and serving no policy at all, so every request is denied until it
/// is fixed; no policy file configured is ready, and denies everything too.
pub fn load_policy(config: &Config) -> (Option<Arc<Policy>>, Check) {
    let Some(path) = &config.policy.file else {
        return (
            None,
            Check {
                name: "policy",
                ok: true,
                detail: "no policy file: every request will be denied".into(),
            },
        );
    };
    match Policy::load(path) {
        Ok(policy) => {
            let detail = format!(
                "{}: {} target rules, {} department rules, {} action rules",
                path.display(),
                policy.targets.len(),
                policy.departments.len(),
                policy.actions.len()
            );
            (
                Some(Arc::new(policy)),
                Check {
                    name: "policy",
                    ok: true,
                    detail,
                },
            )
        }
        Err(error) => {
            tracing::error!(%error, "the policy file is invalid: every request will be denied");
            let count = error.problems.len();
            let first = error
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            let detail = if count > 1 {
                format!("{first} (and {} more; run doorman policy check)", count - 1)
            } else {
                first
            };
            (
                None,
                Check {
                    name: "policy",
                    ok: false,
                    detail,
                },
            )
        }
    }
}

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
    /// Settles the checks made once at start: the store is open by the time this runs, the
    /// config was typed and validated by loading it, and `policy` is the policy file's check
    /// ([`load_policy`]). The catalog is checked live.
    pub fn evaluate(config: &Config, policy: Check, catalog: Arc<CatalogService>) -> Self {
        let settled = vec![
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
            policy,
        ];
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

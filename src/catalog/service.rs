//! The catalog the daemon serves, and keeping it fresh.
//!
//! Owns the current [`Catalog`] (readers take a cheap `Arc` with [`CatalogService::current`]), the
//! sync status that `/readyz` reports, and the background loop that syncs every `[catalog]
//! refresh`. A sync reads a whole snapshot, applies the catalog file, builds the catalog and only
//! then swaps it in, so readers see the old catalog or the new one, never a mix; a failed sync
//! swaps nothing, and the last good catalog stays in use. Must not: serve half a tenant, or hold
//! a lock readers wait on while Graph is read.

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::BoxFuture;
use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

use super::Catalog;
use super::file::CatalogFile;
use super::sync::{FetchSettings, ListOwners, Snapshot, SyncError, fetch_with};
use crate::graph::{AppTokenSource, GraphClient};
use crate::metrics::Metrics;

/// After a failed sync the next one comes this soon, doubling with each further failure up to
/// the refresh interval: a Graph outage at start should not leave the daemon unready for a
/// whole interval once Graph is back.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// Where snapshots come from: Graph in the daemon, a stand-in in tests.
pub trait SnapshotSource: Send + Sync {
    /// Reads a whole snapshot, or fails without one.
    fn read(&self) -> BoxFuture<'_, Result<Snapshot, SyncError>>;
}

/// Snapshots read from Graph with the app-only token.
pub struct GraphSource {
    graph: GraphClient,
    tokens: AppTokenSource,
    /// Where lists' owners are read: Exchange, when configured.
    lists: Option<ListOwners>,
    settings: FetchSettings,
}

impl GraphSource {
    pub fn new(graph: GraphClient, tokens: AppTokenSource, settings: FetchSettings) -> Self {
        GraphSource {
            graph,
            tokens,
            lists: None,
            settings,
        }
    }
}

impl GraphSource {
    /// Reads lists' owners from Exchange, where Graph lists none.
    pub fn with_lists(mut self, lists: ListOwners) -> Self {
        self.lists = Some(lists);
        self
    }
}

impl SnapshotSource for GraphSource {
    fn read(&self) -> BoxFuture<'_, Result<Snapshot, SyncError>> {
        Box::pin(fetch_with(
            &self.graph,
            &self.tokens,
            self.lists.as_ref(),
            self.settings,
        ))
    }
}

/// A sync that succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncSuccess {
    pub at: DateTime<Utc>,
    pub resources: usize,
    pub people: usize,
}

/// A sync that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncFailure {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// Where syncing stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncStatus {
    /// No sync has succeeded yet; the catalog is empty. `last_failure` is the last attempt's,
    /// if one has failed.
    NeverSynced { last_failure: Option<SyncFailure> },
    /// The last sync succeeded.
    Synced(SyncSuccess),
    /// The last sync failed; the catalog of the last successful one is being served.
    Stale {
        serving: SyncSuccess,
        failure: SyncFailure,
    },
}

impl SyncStatus {
    /// Whether a catalog read from Graph is being served (possibly an old one).
    pub fn has_catalog(&self) -> bool {
        !matches!(self, SyncStatus::NeverSynced { .. })
    }

    fn failed(&self, failure: SyncFailure) -> SyncStatus {
        match self {
            SyncStatus::NeverSynced { .. } => SyncStatus::NeverSynced {
                last_failure: Some(failure),
            },
            SyncStatus::Synced(serving) | SyncStatus::Stale { serving, .. } => SyncStatus::Stale {
                serving: serving.clone(),
                failure,
            },
        }
    }
}

impl fmt::Display for SyncStatus {
    /// What `/readyz` says: "synced at 2026-09-01T08:00:00Z, 31 resources and 12 people".
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncStatus::NeverSynced { last_failure: None } => {
                formatter.write_str("never synced: the first sync from Graph has not finished")
            }
            SyncStatus::NeverSynced {
                last_failure: Some(failure),
            } => write!(
                formatter,
                "never synced: the last attempt failed at {}: {}",
                moment(failure.at),
                failure.reason
            ),
            SyncStatus::Synced(success) => write!(
                formatter,
                "synced at {}, {} resources and {} people",
                moment(success.at),
                success.resources,
                success.people
            ),
            SyncStatus::Stale { serving, failure } => write!(
                formatter,
                "last sync failed at {}: {}; serving the catalog from {} ({} resources)",
                moment(failure.at),
                failure.reason,
                moment(serving.at),
                serving.resources
            ),
        }
    }
}

/// The catalog being served, and its syncing.
pub struct CatalogService {
    source: Arc<dyn SnapshotSource>,
    file: CatalogFile,
    /// `[catalog] refresh`.
    interval: Duration,
    metrics: Arc<Metrics>,
    current: watch::Sender<Arc<Catalog>>,
    status: watch::Sender<SyncStatus>,
    /// Held for a whole sync, so that a refresh asked for while the loop syncs waits for it
    /// instead of reading Graph a second time alongside.
    syncing: Mutex<()>,
}

impl CatalogService {
    /// A service serving the empty catalog until its first sync; `file` is applied to every
    /// snapshot, and [`CatalogService::run`] syncs every `refresh`.
    pub fn new(
        source: Arc<dyn SnapshotSource>,
        file: CatalogFile,
        refresh: Duration,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        Arc::new(CatalogService {
            source,
            file,
            interval: refresh,
            metrics,
            current: watch::Sender::new(Catalog::empty()),
            status: watch::Sender::new(SyncStatus::NeverSynced { last_failure: None }),
            syncing: Mutex::new(()),
        })
    }

    /// The catalog to resolve against now. Cheap: an `Arc` clone; keep it for a whole turn of
    /// a conversation so every lookup in that turn sees the same catalog.
    pub fn current(&self) -> Arc<Catalog> {
        Arc::clone(&self.current.borrow())
    }

    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Resolves once the first sync has succeeded (at once when it has).
    pub async fn loaded(&self) {
        let mut status = self.watch_status();
        // The sender lives as long as `self`, so the wait ends only with a catalog.
        let _ = status.wait_for(SyncStatus::has_catalog).await;
    }

    /// Follows the status as syncs succeed and fail.
    pub fn watch_status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    /// Syncs once: reads Graph, applies the catalog file, and swaps the new catalog in. On
    /// failure the catalog being served stays, and the status says so.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self) -> Result<SyncSuccess, SyncError> {
        let _one_at_a_time = self.syncing.lock().await;
        let started = Instant::now();
        let outcome = self.source.read().await;
        let elapsed = started.elapsed();
        self.metrics
            .catalog_sync_duration
            .observe(elapsed.as_secs_f64());
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok(snapshot) => {
                let (snapshot, warnings) = self.file.apply(snapshot);
                for warning in &warnings {
                    tracing::warn!(line = warning.line, "catalog file: {}", warning.message);
                }
                // Building the index is synchronous work on plain data; it takes milliseconds
                // even for a large tenant, far less than the reads before it.
                let catalog = Arc::new(Catalog::build(snapshot.resources, snapshot.people));
                let success = SyncSuccess {
                    at: Utc::now(),
                    resources: catalog.len(),
                    people: catalog.people().len(),
                };
                self.current.send_replace(catalog);
                self.status
                    .send_replace(SyncStatus::Synced(success.clone()));
                self.metrics
                    .catalog_resources
                    .set(i64::try_from(success.resources).unwrap_or(i64::MAX));
                self.metrics
                    .catalog_last_success
                    .set(success.at.timestamp());
                tracing::info!(
                    resources = success.resources,
                    people = success.people,
                    elapsed_ms,
                    "catalog synced"
                );
                Ok(success)
            }
            Err(error) => {
                self.metrics.catalog_sync_failures.inc();
                let failure = SyncFailure {
                    at: Utc::now(),
                    reason: error.to_string(),
                };
                self.status
                    .send_modify(|status| *status = status.failed(failure));
                tracing::warn!(%error, elapsed_ms, "catalog sync failed; the last good catalog stays in use");
                Err(error)
            }
        }
    }

    /// Syncs now, then every refresh interval (sooner after a failure) until `stopped` turns
    /// true. A sync under way when it does is abandoned; it only reads.
    pub async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let mut failures: u32 = 0;
        loop {
            let wait = tokio::select! {
                outcome = self.refresh() => match outcome {
                    Ok(_) => {
                        failures = 0;
                        self.interval
                    }
                    Err(_) => {
                        failures = failures.saturating_add(1);
                        retry_wait(failures, self.interval)
                    }
                },
                () = until_stopped(&mut stopped) => return,
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = until_stopped(&mut stopped) => return,
            }
        }
    }
}

/// How long to wait after `failures` failed syncs in a row: [`RETRY_AFTER_FAILURE`], doubling,
/// never longer than the refresh interval.
pub fn retry_wait(failures: u32, refresh: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    RETRY_AFTER_FAILURE
        .saturating_mul(1_u32 << doublings)
        .min(refresh)
}

async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens once the daemon is stopping.
    let _ = stopped.wait_for(|stop| *stop).await;
}

fn moment(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

//! The service seen from its readers and from `/readyz`: what is served before, between and after
//! syncs, and when the loop syncs, with a scripted snapshot source and paused time.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::watch;

use super::{CatalogService, RETRY_AFTER_FAILURE, SnapshotSource, SyncStatus, retry_wait};
use crate::catalog::Resource;
use crate::catalog::file::CatalogFile;
use crate::catalog::sync::{Snapshot, SyncError};
use crate::domain::resource::ResourceKind;
use crate::graph::{GraphError, GraphFailure};
use crate::metrics::Metrics;

/// Answers each read with the next scripted outcome (the last one repeats), counting reads.
struct Scripted {
    outcomes: Mutex<VecDeque<Result<usize, &'static str>>>,
    reads: Mutex<usize>,
}

impl Scripted {
    /// `Ok(n)`: a snapshot of n groups; `Err(reason)`: Graph unavailable.
    fn new(outcomes: &[Result<usize, &'static str>]) -> Arc<Self> {
        Arc::new(Scripted {
            outcomes: Mutex::new(outcomes.iter().copied().collect()),
            reads: Mutex::new(0),
        })
    }

    fn reads(&self) -> usize {
        *self.reads.lock().expect("lock")
    }
}

impl SnapshotSource for Scripted {
    fn read(&self) -> BoxFuture<'_, Result<Snapshot, SyncError>> {
        *self.reads.lock().expect("lock") += 1;
        let outcome = {
            let mut outcomes = self.outcomes.lock().expect("lock");
            let next = outcomes.front().copied().unwrap_or(Err("nothing scripted"));
            if outcomes.len() > 1 {
                outcomes.pop_front();
            }
            next
        };
        Box::pin(async move {
            match outcome {
                Ok(groups) => Ok(Snapshot {
                    resources: (0..groups)
                        .map(|n| {
                            Resource::new(
                                ResourceKind::Group,
                                format!("g{n}"),
                                format!("Group {n}"),
                            )
                        })
                        .collect(),
                    people: Vec::new(),
                }),
                Err(reason) => Err(SyncError::Graph {
                    step: "listing groups".into(),
                    source: GraphError::Transient(GraphFailure {
                        status: Some(503),
                        message: Some(reason.into()),
                        ..GraphFailure::default()
                    }),
                }),
            }
        })
    }
}

fn service(source: &Arc<Scripted>, file: &str) -> (Arc<CatalogService>, Arc<Metrics>) {
    let metrics = Metrics::new();
    let file = CatalogFile::parse(file, Path::new("catalog.toml")).expect("valid file");
    let service = CatalogService::new(
        Arc::clone(source) as Arc<dyn SnapshotSource>,
        file,
        Duration::from_secs(15 * 60),
        Arc::clone(&metrics),
    );
    (service, metrics)
}

#[tokio::test]
async fn before_the_first_sync_nothing_is_served_and_the_status_says_so() {
    let (service, _) = service(&Scripted::new(&[Ok(3)]), "");
    assert!(service.current().is_empty());
    let status = service.status();
    assert!(!status.has_catalog());
    assert!(status.to_string().starts_with("never synced"), "{status}");
}

#[tokio::test]
async fn a_failed_sync_keeps_serving_the_last_good_catalog_and_says_which() {
    let source = Scripted::new(&[Ok(3), Err("graph is down"), Ok(4)]);
    let (service, metrics) = service(&source, "");
    let first = service.refresh().await.expect("first sync");
    assert_eq!(first.resources, 3);
    let served = service.current();
    assert_eq!(served.len(), 3);
    assert!(matches!(service.status(), SyncStatus::Synced(_)));
    assert!(
        service.status().to_string().contains("3 resources"),
        "{}",
        service.status()
    );

    let failed = service.refresh().await;
    assert!(failed.is_err());
    assert!(
        Arc::ptr_eq(&served, &service.current()),
        "the same catalog is still served"
    );
    let status = service.status();
    assert!(status.has_catalog(), "a stale catalog is still a catalog");
    let said = status.to_string();
    assert!(said.starts_with("last sync failed at "), "{said}");
    assert!(
        said.contains("listing groups") && said.contains("graph is down"),
        "{said}"
    );
    assert!(
        said.contains("serving the catalog from") && said.contains("(3 resources)"),
        "{said}"
    );

    service.refresh().await.expect("graph is back");
    assert_eq!(service.current().len(), 4);
    assert!(matches!(service.status(), SyncStatus::Synced(_)));
    let exposition = metrics.encode();
    assert!(
        exposition.contains("doorman_catalog_resources 4"),
        "{exposition}"
    );
    assert!(
        exposition.contains("doorman_catalog_sync_failures_total 1"),
        "{exposition}"
    );
    assert!(
        exposition.contains("doorman_catalog_sync_duration_seconds_count 3"),
        "{exposition}"
    );
}

#[tokio::test]
async fn a_first_sync_that_fails_leaves_the_daemon_without_a_catalog_and_says_why() {
    let (service, _) = service(&Scripted::new(&[Err("no route to graph")]), "");
    assert!(service.refresh().await.is_err());
    let status = service.status();
    assert!(!status.has_catalog());
    let said = status.to_string();
    assert!(
        said.starts_with("never synced: the last attempt failed at "),
        "{said}"
    );
    assert!(said.contains("no route to graph"), "{said}");
    assert!(service.current().is_empty());
}

#[tokio::test]
async fn the_catalog_file_is_applied_to_every_sync() {
    let source = Scripted::new(&[Ok(2), Ok(2)]);
    let (service, _) = service(
        &source,
        "[[resource]]\nmatch = { kind = \"group\", name = \"Group 1\" }\naliases = [\"the first one\"]\n\
         [[resource]]\nmatch = { name = \"Nowhere\" }\ntags = [\"x\"]\n",
    );
    for _ in 0..2 {
        service.refresh().await.expect("sync");
        let catalog = service.current();
        let annotated = catalog
            .resources()
            .iter()
            .find(|entry| entry.id == "g1")
            .expect("g1");
        assert_eq!(annotated.aliases, vec!["the first one"]);
    }
}

#[tokio::test(start_paused = true)]
async fn the_loop_syncs_at_once_then_every_interval_and_sooner_after_a_failure() {
    let source = Scripted::new(&[Ok(1), Err("down"), Err("down"), Ok(1)]);
    let (service, _) = service(&source, "");
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(Arc::clone(&service).run(stopped));
    let settle = || tokio::time::sleep(Duration::from_millis(1));
    settle().await;
    assert_eq!(source.reads(), 1, "the first sync starts at once");
    assert!(service.status().has_catalog());

    tokio::time::sleep(Duration::from_secs(15 * 60)).await;
    settle().await;
    assert_eq!(source.reads(), 2, "then every refresh interval");
    tokio::time::sleep(RETRY_AFTER_FAILURE).await;
    settle().await;
    assert_eq!(source.reads(), 3, "a failure is retried sooner");
    tokio::time::sleep(RETRY_AFTER_FAILURE).await;
    settle().await;
    assert_eq!(source.reads(), 3, "and the wait doubles after another");
    tokio::time::sleep(RETRY_AFTER_FAILURE).await;
    settle().await;
    assert_eq!(source.reads(), 4);
    assert!(matches!(service.status(), SyncStatus::Synced(_)));

    stop.send(true).expect("the loop listens");
    tokio::time::timeout(Duration::from_secs(1), running)
        .await
        .expect("the loop stops when told")
        .expect("the loop does not panic");
}

#[test]
fn retries_back_off_up_to_the_refresh_interval() {
    let refresh = Duration::from_secs(15 * 60);
    let waits: Vec<u64> = (1..=7)
        .map(|failures| retry_wait(failures, refresh).as_secs())
        .collect();
    assert_eq!(waits, vec![30, 60, 120, 240, 480, 900, 900]);
    assert_eq!(
        retry_wait(1, Duration::from_secs(60)),
        RETRY_AFTER_FAILURE,
        "never longer than the interval, never shorter than the first retry"
    );
    assert_eq!(retry_wait(u32::MAX, refresh), refresh);
}

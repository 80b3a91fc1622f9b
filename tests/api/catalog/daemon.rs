//! The catalog inside a running daemon: `/readyz` before and after the first sync and after a
//! failed one, the catalog file applied end to end, and an invalid file refused at start.

use std::sync::Arc;

use doorman::app::App;
use doorman::catalog::{CatalogService, Origin, SyncStatus};
use doorman::config::Config;
use doorman::domain::resource::ResourceKind;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::owner_upns;
use crate::cli::{TestConfig, doorman};
use crate::helpers::TestSim;
use crate::serve::{microsoft_of, ready_body};

/// A daemon built in-process against `sim`, with its catalog service at hand.
struct Daemon {
    url: String,
    /// The admin listener, where `/readyz` says what each check found.
    admin: String,
    catalog: Arc<CatalogService>,
    stop: Option<oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<()>>,
    _config: TestConfig,
}

impl Daemon {
    async fn start(sim: &TestSim, extra: &str) -> Daemon {
        let config = TestConfig::with_extra(extra);
        let loaded = Config::load(&config.path, microsoft_of(sim)).expect("config");
        let app = App::build(loaded).await.expect("app builds");
        let url = format!("http://{}", app.address());
        let admin = format!("http://{}", app.admin_address());
        let catalog = app.catalog();
        let (stop, stopped) = oneshot::channel::<()>();
        let running = tokio::spawn(async move {
            app.run_until(async {
                let _ = stopped.await;
            })
            .await
            .expect("app runs");
        });
        Daemon {
            url,
            admin,
            catalog,
            stop: Some(stop),
            running: Some(running),
            _config: config,
        }
    }

    async fn readyz(&self) -> (u16, Value) {
        let answer = reqwest::get(format!("{}/readyz", self.admin))
            .await
            .expect("readyz");
        let status = answer.status().as_u16();
        (status, answer.json().await.expect("json"))
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            running.await.expect("stops");
        }
    }
}

fn catalog_check(body: &Value) -> &Value {
    body["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|check| check["name"] == "catalog"))
        .unwrap_or_else(|| panic!("no catalog check in {body}"))
}

#[tokio::test]
async fn readyz_waits_for_the_first_sync_then_says_when_it_read_how_much() {
    let sim = TestSim::start().await;
    // Slow Graph down so that the first sync is surely still running when readyz is asked.
    sim.faults(json!({"latency_ms": 1500})).await;
    let daemon = Daemon::start(&sim, "").await;
    let (status, body) = daemon.readyz().await;
    assert_eq!(status, 503, "{body}");
    let check = catalog_check(&body);
    assert_eq!(check["ok"], false);
    assert!(
        check["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("never synced"),
        "{check}"
    );
    assert!(daemon.catalog.current().is_empty());

    sim.faults(json!({"latency_ms": 0})).await;
    let body = ready_body(&daemon.admin).await;
    let check = catalog_check(&body);
    assert_eq!(check["ok"], true);
    let detail = check["detail"].as_str().unwrap_or_default();
    let served = daemon.catalog.current();
    assert!(detail.starts_with("synced at "), "{detail}");
    assert!(
        detail.contains(&format!("{} resources", served.len())),
        "{detail}"
    );
    assert!(served.len() > 20, "the whole tenant: {}", served.len());
    let metrics = reqwest::get(format!("{}/metrics", daemon.admin))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("doorman_ready 1"), "{metrics}");
    assert!(
        metrics.contains(&format!("doorman_catalog_resources {}", served.len())),
        "{metrics}"
    );
    daemon.stop().await;
}

#[tokio::test]
async fn a_failed_sync_keeps_the_last_good_catalog_and_readyz_says_so() {
    let sim = TestSim::start().await;
    let daemon = Daemon::start(&sim, "").await;
    ready_body(&daemon.url).await;
    let good = daemon.catalog.current();

    sim.faults(json!({"error_rate": 1.0})).await;
    let failed = daemon.catalog.refresh().await;
    assert!(failed.is_err(), "Graph answers only 503 and 504");
    sim.faults(json!({"error_rate": 0.0})).await;

    assert!(
        Arc::ptr_eq(&good, &daemon.catalog.current()),
        "the last good catalog is still served"
    );
    let (status, body) = daemon.readyz().await;
    assert_eq!(status, 200, "a stale catalog still serves: {body}");
    let detail = catalog_check(&body)["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.starts_with("last sync failed at "), "{detail}");
    assert!(detail.contains("temporarily unavailable"), "{detail}");
    assert!(
        detail.contains(&format!(
            "serving the catalog from {}",
            match daemon.catalog.status() {
                SyncStatus::Stale { serving, .. } => serving
                    .at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                other => panic!("expected a stale status, not {other:?}"),
            }
        )),
        "{detail}"
    );

    daemon.catalog.refresh().await.expect("Graph is back");
    let (_, body) = daemon.readyz().await;
    let detail = catalog_check(&body)["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.starts_with("synced at "), "{detail}");
    daemon.stop().await;
}

#[tokio::test]
async fn the_catalog_file_adds_aliases_owners_and_declared_mailboxes_to_what_graph_lists() {
    let sim = TestSim::start().await;
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        file.path(),
        r#"
[[resource]]
match = { kind = "group", name = "GRP-FINANCE-BI-READ" }
aliases = ["Finance BI", "BI dashboards"]
tags = ["finance"]

[[resource]]
match = { kind = "mailbox", name = "Support" }
owners = ["priya.nair@contoso.com"]

[[resource]]
declare = { kind = "mailbox", id = "44444444-0000-4000-8000-000000000001", name = "Payroll", mail = "payroll@contoso.com", owners = ["david.okafor@contoso.com"], classification = "Confidential" }
aliases = ["payroll inbox"]
"#,
    )
    .expect("write");
    let daemon = Daemon::start(
        &sim,
        &format!("[catalog]\nfile = \"{}\"\n", file.path().display()),
    )
    .await;
    ready_body(&daemon.url).await;
    let catalog = daemon.catalog.current();
    let find = |kind: ResourceKind, name: &str| {
        catalog
            .resources()
            .iter()
            .find(|entry| entry.kind == kind && entry.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    };
    let bi = find(ResourceKind::Group, "GRP-FINANCE-BI-READ");
    assert_eq!(bi.aliases, vec!["Finance BI", "BI dashboards"]);
    assert_eq!(bi.tags, vec!["finance"]);
    let support = find(ResourceKind::Mailbox, "Support");
    assert_eq!(owner_upns(&support), vec!["priya.nair@contoso.com"]);
    assert_eq!(support.owners[0].id, sim.user_id("priya.nair@contoso.com"));
    let payroll = find(ResourceKind::Mailbox, "Payroll");
    assert_eq!(payroll.origin, Origin::File);
    assert_eq!(owner_upns(&payroll), vec!["david.okafor@contoso.com"]);
    daemon.stop().await;
}

#[test]
fn serve_refuses_an_invalid_catalog_file_as_a_configuration_error() {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        file.path(),
        "[[resource]]\nmatch = { kind = \"group\", name = \"VPN Users\" }\nalias = [\"vpn\"]\n",
    )
    .expect("write");
    let config = TestConfig::with_extra(&format!(
        "[catalog]\nfile = \"{}\"\n",
        file.path().display()
    ));
    let output = doorman(&["serve", "--config", config.arg()]);
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("doorman: "))
        .collect();
    assert_eq!(said.len(), 1, "{stderr}");
    assert!(
        said[0].contains("line 3") && said[0].contains("resource #1") && said[0].contains("alias"),
        "{stderr}"
    );
}

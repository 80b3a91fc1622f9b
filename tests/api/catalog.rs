//! The catalog read from the simulated tenants, as the conversation will rely on it: what is
//! there, what belongs to what, who owns it; the same catalog whatever paging and throttling
//! Graph applies; the last good catalog kept when Graph fails; `/readyz` telling which.

use std::sync::Arc;
use std::time::Duration;

use doorman::app::App;
use doorman::catalog::sync::{FetchSettings, Snapshot, fetch_with};
use doorman::catalog::{CatalogService, Person, Resource};
use doorman::config::Config;
use doorman::domain::resource::ResourceKind;
use doorman::graph::{AppTokenSource, GraphClient, RetryPolicy};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::cli::{TestConfig, doorman};
use crate::helpers::{FABRIKAM, TestSim};
use crate::serve::{microsoft_of, ready_body};

/// Patient enough for 30% throttling, whose `Retry-After` is at least a second.
fn patient() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 12,
        max_elapsed: Duration::from_secs(90),
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    }
}

/// The Graph client and the app-only token source a daemon wired to `sim` would use.
pub fn graph_for(sim: &TestSim, policy: RetryPolicy) -> (GraphClient, AppTokenSource) {
    let registration = sim.state.registration.clone();
    let tokens = AppTokenSource::new(
        &sim.authority(),
        &sim.tenant_id(),
        registration.client_id,
        SecretString::from(registration.client_secret),
    )
    .expect("token source");
    let graph = GraphClient::new(sim.graph_base(), policy).expect("client");
    (graph, tokens)
}

async fn read(sim: &TestSim, policy: RetryPolicy, settings: FetchSettings) -> Snapshot {
    let (graph, tokens) = graph_for(sim, policy);
    fetch_with(&graph, &tokens, settings)
        .await
        .expect("the catalog is read")
}

fn entry<'s>(snapshot: &'s Snapshot, kind: ResourceKind, name: &str) -> &'s Resource {
    snapshot
        .resources
        .iter()
        .find(|entry| entry.kind == kind && entry.name == name)
        .unwrap_or_else(|| panic!("no {kind} named {name:?}"))
}

fn names(snapshot: &Snapshot, kind: ResourceKind) -> Vec<&str> {
    let mut names: Vec<&str> = snapshot
        .resources
        .iter()
        .filter(|entry| entry.kind == kind)
        .map(|entry| entry.name.as_str())
        .collect();
    names.sort_unstable();
    names
}

fn owner_upns(entry: &Resource) -> Vec<&str> {
    entry
        .owners
        .iter()
        .filter_map(|owner| owner.upn.as_deref())
        .collect()
}

fn person<'s>(snapshot: &'s Snapshot, upn: &str) -> Option<&'s Person> {
    snapshot.people.iter().find(|person| person.upn == upn)
}

#[tokio::test]
async fn contoso_reads_as_the_groups_teams_channels_sites_libraries_and_mailboxes_people_ask_for() {
    let sim = TestSim::start().await;
    let catalog = read(&sim, RetryPolicy::default(), FetchSettings::default()).await;

    let finance_site = entry(&catalog, ResourceKind::Site, "Finance");
    let finance_group = sim.group_id("Finance");
    assert_eq!(
        finance_site.group_id.as_deref(),
        Some(finance_group.as_str())
    );
    assert_eq!(owner_upns(finance_site), vec!["david.okafor@contoso.com"]);
    assert_eq!(finance_site.classification.as_deref(), Some("Confidential"));
    assert_eq!(
        finance_site.web_url.as_deref(),
        Some("https://contoso.sharepoint.com/sites/Finance")
    );

    let brand = entry(&catalog, ResourceKind::Library, "Brand Assets");
    let parent = brand.parent.as_ref().expect("a library has its site");
    assert_eq!(
        (parent.kind, parent.name.as_str()),
        (ResourceKind::Site, "Marketing")
    );
    assert_eq!(
        brand.owners,
        entry(&catalog, ResourceKind::Site, "Marketing").owners
    );

    let launch = entry(&catalog, ResourceKind::Channel, "Product Launch");
    let team = launch.parent.as_ref().expect("a channel has its team");
    assert_eq!(
        (team.kind, team.name.as_str()),
        (ResourceKind::Team, "Marketing")
    );
    assert_eq!(launch.visibility.as_deref(), Some("private"));
    assert_eq!(owner_upns(launch), vec!["maria.garcia@contoso.com"]);
    assert_eq!(
        launch.group_id.as_deref(),
        Some(sim.group_id("Marketing").as_str())
    );
    assert!(
        !names(&catalog, ResourceKind::Channel).contains(&"General"),
        "standard channels are the team itself"
    );

    assert_eq!(
        names(&catalog, ResourceKind::Mailbox),
        vec!["Finance Inbox", "Sales", "Support"]
    );
    assert_eq!(
        entry(&catalog, ResourceKind::Mailbox, "Support")
            .mail
            .as_deref(),
        Some("support@contoso.com")
    );
    let liam = person(&catalog, "liam.ward@contoso.com").expect("a disabled person is a person");
    assert_eq!(liam.display_name, "Liam Ward");
    assert!(person(&catalog, "support@contoso.com").is_none());

    assert_eq!(
        names(&catalog, ResourceKind::DistributionList),
        vec!["all-hands", "all-sales"]
    );
    assert_eq!(
        names(&catalog, ResourceKind::Team),
        vec!["Finance", "Marketing", "Project Atlas"]
    );
    let groups = names(&catalog, ResourceKind::Group);
    for group in [
        "Finance",
        "GRP-FINANCE-BI-READ",
        "Customer Support",
        "VPN Users",
    ] {
        assert!(groups.contains(&group), "{group} in {groups:?}");
    }
    assert_eq!(
        entry(&catalog, ResourceKind::Site, "Project Atlas").aliases,
        vec!["Atlas".to_owned()],
        "the site's URL name is an alias"
    );
    assert_eq!(catalog.people.len(), 12);
    let log = sim.state.graph_log.entries();
    assert!(
        log.iter()
            .all(|call| call.method == "GET" && call.user.as_deref() == Some("app"))
    );
}

#[tokio::test]
async fn small_pages_and_thirty_percent_throttling_give_the_same_catalog() {
    let sim = TestSim::start().await;
    let baseline = read(&sim, RetryPolicy::default(), FetchSettings::default()).await;
    let before = sim.state.graph_log.len();

    let paged = read(
        &sim,
        RetryPolicy::default(),
        FetchSettings {
            page_size: 2,
            concurrency: 8,
        },
    )
    .await;
    assert_eq!(paged, baseline);
    let log = sim.state.graph_log.entries();
    let followed: Vec<&str> = log[before..]
        .iter()
        .filter(|call| call.path.contains("skiptoken"))
        .map(|call| call.path.as_str())
        .collect();
    assert!(
        followed.iter().any(|path| path.starts_with("/groups?"))
            && followed.iter().any(|path| path.starts_with("/users?")),
        "groups and users were read page by page: {followed:?}"
    );

    sim.faults(json!({"throttle_rate": 0.3, "retry_after_seconds": 1}))
        .await;
    let before = sim.state.graph_log.len();
    let throttled = read(&sim, patient(), FetchSettings::default()).await;
    assert_eq!(throttled, baseline);
    let log = sim.state.graph_log.entries();
    assert!(
        log[before..].iter().any(|call| call.status == 429),
        "throttling really happened"
    );
}

#[tokio::test]
async fn a_sync_that_cannot_finish_fails_whole_and_names_the_read() {
    let sim = TestSim::start().await;
    sim.faults(json!({"error_rate": 1.0})).await;
    let impatient = RetryPolicy {
        max_attempts: 2,
        max_elapsed: Duration::from_secs(5),
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
    let (graph, tokens) = graph_for(&sim, impatient);
    let failed = fetch_with(&graph, &tokens, FetchSettings::default()).await;
    let message = failed.expect_err("no half catalog").to_string();
    assert!(
        ["listing groups", "listing users", "searching sites"]
            .iter()
            .any(|step| message.starts_with(step)),
        "{message}"
    );
    assert!(message.contains("temporarily unavailable"), "{message}");
}

#[tokio::test]
async fn fabrikam_reads_with_its_url_named_site_groupless_intranet_and_shared_channel() {
    let sim = TestSim::start_with(FABRIKAM).await;
    let catalog = read(&sim, RetryPolicy::default(), FetchSettings::default()).await;

    let plant = entry(&catalog, ResourceKind::Site, "Plant Floor");
    assert_eq!(plant.aliases, vec!["PlantFloor".to_owned()]);
    assert_eq!(owner_upns(plant), vec!["ines.moreau@fabrikam.net"]);
    let intranet = entry(&catalog, ResourceKind::Site, "Intranet");
    assert!(intranet.group_id.is_none() && intranet.owners.is_empty());
    let procedures = entry(&catalog, ResourceKind::Library, "Standard Procedures");
    assert_eq!(
        procedures
            .parent
            .as_ref()
            .map(|parent| parent.name.as_str()),
        Some("Plant Floor")
    );

    let suppliers = entry(&catalog, ResourceKind::Channel, "Suppliers");
    assert_eq!(suppliers.visibility.as_deref(), Some("shared"));
    assert_eq!(owner_upns(suppliers), vec!["ines.moreau@fabrikam.net"]);
    assert_eq!(
        entry(&catalog, ResourceKind::Channel, "Incidents")
            .visibility
            .as_deref(),
        Some("private")
    );

    assert_eq!(
        names(&catalog, ResourceKind::Team),
        vec!["Leadership", "Plant Floor"]
    );
    let leadership = entry(&catalog, ResourceKind::Team, "Leadership");
    assert!(
        leadership.role_assignable,
        "a team on a role-assignable group"
    );
    assert_eq!(leadership.classification.as_deref(), Some("Restricted"));
    assert_eq!(
        names(&catalog, ResourceKind::DistributionList),
        vec!["everyone-news"]
    );
    assert!(names(&catalog, ResourceKind::Group).contains(&"Badge Readers"));
    assert_eq!(names(&catalog, ResourceKind::Mailbox), vec!["Orders"]);
    assert!(person(&catalog, "old.timer@fabrikam.net").is_some());
    assert!(person(&catalog, "orders@fabrikam.net").is_none());
}

/// A daemon built in-process against `sim`, with its catalog service at hand.
struct Daemon {
    url: String,
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
            catalog,
            stop: Some(stop),
            running: Some(running),
            _config: config,
        }
    }

    async fn readyz(&self) -> (u16, Value) {
        let answer = reqwest::get(format!("{}/readyz", self.url))
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
    let body = ready_body(&daemon.url).await;
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
    let metrics = reqwest::get(format!("{}/metrics", daemon.url))
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
                doorman::catalog::SyncStatus::Stale { serving, .. } => serving
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
    assert_eq!(payroll.origin, doorman::catalog::Origin::File);
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

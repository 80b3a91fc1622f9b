//! The catalog read from the simulated tenants, as the conversation will rely on it: what is
//! there, what belongs to what, who owns it; the same catalog whatever paging and throttling
//! Graph applies; the last good catalog kept when Graph fails; `/readyz` telling which.

mod daemon;

use std::time::Duration;

use doorman::catalog::sync::{FetchSettings, ListOwners, Snapshot, fetch_with};
use doorman::catalog::{Person, Resource};
use doorman::domain::resource::ResourceKind;
use doorman::graph::{AppTokenSource, GraphClient, RetryPolicy};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{FABRIKAM, TestSim};

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
    fetch_with(&graph, &tokens, None, settings)
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

pub fn owner_upns(entry: &Resource) -> Vec<&str> {
    entry
        .owners
        .iter()
        .filter_map(|owner| owner.upn.as_deref())
        .collect()
}

fn person<'s>(snapshot: &'s Snapshot, upn: &str) -> Option<&'s Person> {
    snapshot.people.iter().find(|person| person.upn == upn)
}

/// Exchange's `ManagedBy` of lists, read with the app's Exchange access from `sim`.
fn list_owners_of(sim: &TestSim) -> ListOwners {
    let registration = sim.state.registration.clone();
    let tokens = AppTokenSource::new(
        &sim.authority(),
        &sim.tenant_id(),
        registration.client_id,
        SecretString::from(registration.client_secret),
    )
    .expect("token source")
    .for_scope("https://outlook.office365.com/.default");
    let settings = doorman::exchange::ExchangeSettings {
        url: url::Url::parse(&sim.url).expect("sim url"),
        ..Default::default()
    };
    let exchange =
        doorman::exchange::ExchangeClient::new(reqwest::Client::new(), settings, &sim.tenant_id())
            .expect("exchange client");
    ListOwners::new(exchange, tokens)
}

#[tokio::test]
async fn a_lists_owners_are_exchanges_managed_by_graph_lists_none() {
    let sim = TestSim::start().await;
    let (graph, tokens) = graph_for(&sim, RetryPolicy::default());
    let graph_only = fetch_with(&graph, &tokens, None, FetchSettings::default())
        .await
        .expect("read");
    assert!(
        entry(&graph_only, ResourceKind::DistributionList, "all-sales")
            .owners
            .is_empty(),
        "Graph lists no owners for a group made in Exchange"
    );
    let lists = list_owners_of(&sim);
    let catalog = fetch_with(&graph, &tokens, Some(&lists), FetchSettings::default())
        .await
        .expect("read");
    assert_eq!(
        owner_upns(entry(&catalog, ResourceKind::DistributionList, "all-sales")),
        vec!["maria.garcia@contoso.com"]
    );
    assert_eq!(
        owner_upns(entry(&catalog, ResourceKind::Team, "Marketing")),
        vec!["maria.garcia@contoso.com"],
        "a Microsoft 365 group's owners are still Graph's"
    );
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
        log[before..].iter().any(|call| call.status == Some(429)),
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
    let failed = fetch_with(&graph, &tokens, None, FetchSettings::default()).await;
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
    // A mail-enabled security group is a list too: Exchange changes its members, not Graph,
    // and policy governs it as `distribution_list` alone.
    assert_eq!(
        names(&catalog, ResourceKind::DistributionList),
        vec!["Badge Readers", "everyone-news"]
    );
    assert!(!names(&catalog, ResourceKind::Group).contains(&"Badge Readers"));
    assert_eq!(
        entry(&catalog, ResourceKind::DistributionList, "Badge Readers").membership,
        doorman::catalog::Membership::Exchange
    );
    assert_eq!(
        entry(&catalog, ResourceKind::Group, "SCADA Operators").membership,
        doorman::catalog::Membership::Assigned
    );
    assert_eq!(names(&catalog, ResourceKind::Mailbox), vec!["Orders"]);
    assert!(person(&catalog, "old.timer@fabrikam.net").is_some());
    assert!(person(&catalog, "orders@fabrikam.net").is_none());
}

#[tokio::test]
async fn a_room_mailbox_is_offered_as_a_room_not_as_a_shared_mailbox() {
    let mut tenant: serde_json::Value =
        serde_json::from_str(crate::helpers::CONTOSO).expect("contoso");
    let mailboxes = tenant["mailboxes"].as_array_mut().expect("mailboxes");
    mailboxes.push(json!({
        "id": "33333333-0000-4000-8000-0000000000f1",
        "displayName": "Board Room",
        "mail": "boardroom@contoso.com",
        "type": "room",
        "owners": ["maria.garcia@contoso.com"],
        "fullAccess": [],
        "sendAs": []
    }));
    let sim = TestSim::start_with(&tenant.to_string()).await;
    let app = sim.app_token().await;
    let purpose = sim
        .get(
            &app,
            "/users/boardroom@contoso.com/mailboxSettings/userPurpose",
        )
        .await;
    assert_eq!(
        purpose.body["value"], "room",
        "Graph says what the mailbox is for"
    );

    let catalog = read(&sim, RetryPolicy::default(), FetchSettings::default()).await;
    let mailboxes = names(&catalog, ResourceKind::Mailbox);
    assert!(mailboxes.contains(&"Support"), "{mailboxes:?}");
    // The room's delegates ask for it as for a shared mailbox.
    let room = entry(&catalog, ResourceKind::Mailbox, "Board Room");
    assert_eq!(
        room.describe(),
        "the Board Room room mailbox (boardroom@contoso.com)"
    );
}

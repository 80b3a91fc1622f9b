//! The catalog read from the simulated tenants, as the conversation will rely on it: what is
//! there, what belongs to what, who owns it; the same catalog whatever paging and throttling
//! Graph applies; the last good catalog kept when Graph fails; `/readyz` telling which.

use doorman::catalog::sync::{FetchSettings, Snapshot, fetch_with};
use doorman::catalog::{Person, Resource};
use doorman::domain::resource::ResourceKind;
use doorman::graph::{AppTokenSource, GraphClient, RetryPolicy};
use secrecy::SecretString;

use crate::helpers::TestSim;

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

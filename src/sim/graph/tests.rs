//! Graph's side of Exchange's objects: lists show no owners, addresses are found only through
//! advanced queries, the tenant's domains are served.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::sim::testing::{CONTOSO, TestSim};

fn names(answer: &Value, key: &str) -> Vec<String> {
    answer["value"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn group_id(sim: &TestSim, name: &str) -> String {
    sim.state
        .directory()
        .groups
        .iter()
        .find(|group| group.display_name() == name)
        .map(|group| group.id.clone())
        .expect("the group exists")
}

#[tokio::test]
async fn graph_lists_no_owners_for_lists_and_keeps_them_for_other_groups() {
    let sim = TestSim::new();
    let app = sim.app_token("https://graph.microsoft.com").await;
    let list = group_id(&sim, "all-sales");
    let owners = sim
        .graph(
            &app,
            Method::GET,
            &format!("/groups/{list}/owners"),
            None,
            &[],
        )
        .await;
    assert_eq!(owners.status, StatusCode::OK, "{}", owners.body);
    assert!(
        names(&owners.body, "userPrincipalName").is_empty(),
        "{}",
        owners.body
    );
    let vpn = group_id(&sim, "VPN Users");
    let owners = sim
        .graph(
            &app,
            Method::GET,
            &format!("/groups/{vpn}/owners"),
            None,
            &[],
        )
        .await;
    assert_eq!(
        names(&owners.body, "userPrincipalName"),
        vec!["nina.patel@contoso.com"]
    );
}

#[tokio::test]
async fn a_filter_on_proxy_addresses_needs_consistency_level_eventual_and_count() {
    let sim = TestSim::new();
    let app = sim.app_token("https://graph.microsoft.com").await;
    let filter = "$filter=proxyAddresses/any(x:x%20eq%20%27smtp:tom.becker@contoso.com%27)";
    let plain = sim
        .graph(&app, Method::GET, &format!("/users?{filter}"), None, &[])
        .await;
    assert_eq!(plain.status, StatusCode::BAD_REQUEST);
    assert_eq!(plain.body["error"]["code"], "Request_UnsupportedQuery");
    let eventual = [("ConsistencyLevel", "eventual")];
    let uncounted = sim
        .graph(
            &app,
            Method::GET,
            &format!("/users?{filter}"),
            None,
            &eventual,
        )
        .await;
    assert_eq!(
        uncounted.status,
        StatusCode::BAD_REQUEST,
        "$count=true is needed too"
    );
    let found = sim
        .graph(
            &app,
            Method::GET,
            &format!("/users?{filter}&$count=true&$select=userPrincipalName"),
            None,
            &eventual,
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(
        names(&found.body, "userPrincipalName"),
        vec!["tom.becker@contoso.com"]
    );
    let list =
        "$filter=proxyAddresses/any(x:x%20eq%20%27smtp:all-sales@contoso.com%27)&$count=true";
    let groups = sim
        .graph(
            &app,
            Method::GET,
            &format!("/groups?{list}"),
            None,
            &eventual,
        )
        .await;
    assert_eq!(
        names(&groups.body, "displayName"),
        vec!["all-sales"],
        "{}",
        groups.body
    );
}

#[tokio::test]
async fn the_tenants_domains_are_served_verified() {
    let tenant = CONTOSO.replacen(
        "\"domain\": \"contoso.com\",",
        "\"domain\": \"contoso.com\", \"domains\": [\"contoso.onmicrosoft.com\"],",
        1,
    );
    assert_ne!(tenant, CONTOSO, "the fixture's tenant block changed shape");
    let sim = TestSim::with(&tenant);
    let app = sim.app_token("https://graph.microsoft.com").await;
    let domains = sim.graph(&app, Method::GET, "/domains", None, &[]).await;
    assert_eq!(domains.status, StatusCode::OK, "{}", domains.body);
    assert_eq!(
        names(&domains.body, "id"),
        vec!["contoso.com", "contoso.onmicrosoft.com"]
    );
    assert_eq!(domains.body["value"][0]["isVerified"], true);
    assert_eq!(domains.body["value"][0]["isDefault"], true);
    let one = sim
        .graph(
            &app,
            Method::GET,
            "/domains/contoso.onmicrosoft.com",
            None,
            &[],
        )
        .await;
    assert_eq!(one.body["isDefault"], false);
    let other = sim
        .graph(&app, Method::GET, "/domains/fabrikam.com", None, &[])
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

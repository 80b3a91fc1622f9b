//! Graph: owner changes need `Group.ReadWrite.All`, the last owner of a security group stays,
//! and the response shapes the official SDKs read (`@odata.context`, `businessPhones`).

use reqwest::Method;

use crate::helpers::{MEMBER_SCOPES, TestSim};

const OWNER_SCOPES: &str = "openid offline_access User.Read Group.ReadWrite.All";

#[tokio::test]
async fn adding_or_removing_an_owner_with_only_the_member_scope_is_forbidden() {
    let sim = TestSim::start().await;
    let group = sim.group_id("VPN Users");
    let jordan_id = sim.user_id("jordan.lee@contoso.com");
    let jordan = sim.reference(&jordan_id);
    let weak = sim
        .access_token("nina.patel@contoso.com", MEMBER_SCOPES)
        .await;
    let refused = sim
        .graph(
            &weak,
            Method::POST,
            &format!("/groups/{group}/owners/$ref"),
            Some(jordan.clone()),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.error_code(), "Authorization_RequestDenied");
    let strong = sim
        .access_token("nina.patel@contoso.com", OWNER_SCOPES)
        .await;
    let added = sim
        .graph(
            &strong,
            Method::POST,
            &format!("/groups/{group}/owners/$ref"),
            Some(jordan),
        )
        .await;
    assert_eq!(added.status, 204, "{}", added.text);
    let path = format!("/groups/{group}/owners/{jordan_id}/$ref");
    let refused = sim.graph(&weak, Method::DELETE, &path, None).await;
    assert_eq!(
        refused.status, 403,
        "removing an owner needs the owner scope"
    );
    let removed = sim.graph(&strong, Method::DELETE, &path, None).await;
    assert_eq!(removed.status, 204, "{}", removed.text);
}

#[tokio::test]
async fn binding_owners_in_a_patch_needs_the_owner_scope_but_members_do_not() {
    let sim = TestSim::start().await;
    let group = sim.group_id("VPN Users");
    let url = format!(
        "https://graph.microsoft.com/v1.0/directoryObjects/{}",
        sim.user_id("tom.becker@contoso.com")
    );
    let weak = sim
        .access_token("nina.patel@contoso.com", MEMBER_SCOPES)
        .await;
    let owners = serde_json::json!({"owners@odata.bind": [url.clone()]});
    let refused = sim
        .graph(
            &weak,
            Method::PATCH,
            &format!("/groups/{group}"),
            Some(owners),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let members = serde_json::json!({"members@odata.bind": [url]});
    let added = sim
        .graph(
            &weak,
            Method::PATCH,
            &format!("/groups/{group}"),
            Some(members),
        )
        .await;
    assert_eq!(added.status, 204, "{}", added.text);
}

#[tokio::test]
async fn the_last_owner_of_a_security_group_cannot_be_removed() {
    let sim = TestSim::start().await;
    for (name, owner) in [
        ("VPN Users", "nina.patel@contoso.com"),
        ("Project Atlas", "nina.patel@contoso.com"),
    ] {
        let group = sim.group_id(name);
        let token = sim.access_token(owner, OWNER_SCOPES).await;
        let refused = sim
            .graph(
                &token,
                Method::DELETE,
                &format!("/groups/{group}/owners/{}/$ref", sim.user_id(owner)),
                None,
            )
            .await;
        assert_eq!(refused.status, 400, "{name}: {}", refused.text);
        assert_eq!(refused.error_code(), "Request_BadRequest");
    }
    let state = sim.control(Method::GET, "state", None).await.body;
    let vpn = state["groups"]
        .as_array()
        .and_then(|groups| groups.iter().find(|g| g["displayName"] == "VPN Users"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(vpn["owners"], serde_json::json!(["nina.patel@contoso.com"]));
}

#[tokio::test]
async fn answers_carry_their_odata_context_and_empty_collections_are_arrays() {
    let sim = TestSim::start().await;
    let app = sim.app_token().await;
    let users = sim.get(&app, "/users?$top=2").await;
    assert_eq!(users.status, 200, "{}", users.text);
    assert_eq!(
        users.body["@odata.context"],
        format!("{}/v1.0/$metadata#users", sim.url)
    );
    let first = &users.body["value"][0];
    assert_eq!(first["businessPhones"], serde_json::json!([]), "{first}");
    let id = sim.user_id("nina.patel@contoso.com");
    let one = sim
        .get(&app, &format!("/users/{id}?$select=id,businessPhones"))
        .await;
    assert_eq!(
        one.body["@odata.context"],
        format!(
            "{}/v1.0/$metadata#users('{id}')(id,businessPhones)/$entity",
            sim.url
        )
    );
    assert_eq!(one.body["businessPhones"], serde_json::json!([]));
    let group = sim.group_id("VPN Users");
    let members = sim.get(&app, &format!("/groups/{group}/members")).await;
    assert_eq!(
        members.body["@odata.context"],
        format!("{}/v1.0/$metadata#groups('{group}')/members", sim.url)
    );
}

//! Multi-resource sign-ins: one consent for Graph and Exchange Online, one resource per access
//! token, refresh tokens bound to the whole consent, app-only Exchange tokens.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sim::testing::{EXCHANGE_SCOPES, OPERATOR_SCOPES, TestSim, claims};

const OPERATOR: &str = "helpdesk.ops@contoso.com";

fn refresh_token(answer: &Value) -> String {
    answer["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

#[tokio::test]
async fn a_token_request_naming_two_resources_is_refused_with_aadsts28000() {
    let sim = TestSim::new();
    let both = "User.Read https://outlook.office365.com/Exchange.Manage";
    let answer = sim.redeem(OPERATOR, OPERATOR_SCOPES, Some(both)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.body["error"], "invalid_scope");
    assert_eq!(answer.body["error_codes"], json!([28000]));
    let description = answer.body["error_description"]
        .as_str()
        .unwrap_or_default();
    assert!(description.starts_with("AADSTS28000: Provided value for the input parameter scope is not valid because it contains more than one resource."), "{description}");
}

#[tokio::test]
async fn a_code_redeemed_without_scope_is_for_the_first_resource_consented() {
    let sim = TestSim::new();
    let answer = sim.redeem(OPERATOR, OPERATOR_SCOPES, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let access = claims(answer.body["access_token"].as_str().unwrap_or_default());
    assert_eq!(access["aud"], "https://graph.microsoft.com");
    assert_eq!(access["scp"], "User.Read GroupMember.ReadWrite.All");
    assert_eq!(
        answer.body["scope"],
        "User.Read GroupMember.ReadWrite.All openid offline_access"
    );
}

#[tokio::test]
async fn an_exchange_token_names_exchange_online_and_its_permissions() {
    let sim = TestSim::new();
    let scope = format!("{EXCHANGE_SCOPES} offline_access");
    let answer = sim.redeem(OPERATOR, OPERATOR_SCOPES, Some(&scope)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let access = claims(answer.body["access_token"].as_str().unwrap_or_default());
    assert_eq!(access["aud"], "https://outlook.office365.com");
    assert_eq!(access["scp"], "Exchange.Manage Exchange.ManageV2");
    assert_eq!(access["upn"], OPERATOR);
    assert_eq!(access["tid"], sim.state.tenant_id.as_str());
    let wids = access["wids"].as_array().cloned().unwrap_or_default();
    assert!(
        wids.contains(&json!("31392ffb-586c-42d1-9346-e59415a2cc4e")),
        "{wids:?}"
    );
    assert_eq!(
        answer.body["scope"],
        "https://outlook.office365.com/Exchange.Manage https://outlook.office365.com/Exchange.ManageV2 offline_access"
    );
    assert!(
        answer.body.get("id_token").is_none(),
        "openid was not asked this time"
    );
}

#[tokio::test]
async fn a_refresh_for_exchange_keeps_what_the_next_refresh_may_ask() {
    let sim = TestSim::new();
    let first = sim
        .redeem(OPERATOR, OPERATOR_SCOPES, Some("User.Read"))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let exchange = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token(&first.body)),
            ("scope", EXCHANGE_SCOPES),
        ])
        .await;
    assert_eq!(exchange.status, StatusCode::OK, "{}", exchange.body);
    let access = claims(exchange.body["access_token"].as_str().unwrap_or_default());
    assert_eq!(access["aud"], "https://outlook.office365.com");
    let graph = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token(&exchange.body)),
            ("scope", "GroupMember.ReadWrite.All offline_access"),
        ])
        .await;
    assert_eq!(
        graph.status,
        StatusCode::OK,
        "the consent outlives the narrower refresh: {}",
        graph.body
    );
    let access = claims(graph.body["access_token"].as_str().unwrap_or_default());
    assert_eq!(access["aud"], "https://graph.microsoft.com");
    assert_eq!(access["scp"], "GroupMember.ReadWrite.All");
    let unconsented = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token(&graph.body)),
            ("scope", "Group.ReadWrite.All"),
        ])
        .await;
    assert_eq!(unconsented.status, StatusCode::BAD_REQUEST);
    assert_eq!(unconsented.body["error_codes"], json!([65001]));
}

#[tokio::test]
async fn exchange_permissions_exist_only_under_exchanges_name() {
    let sim = TestSim::new();
    let location = sim
        .authorize(
            OPERATOR,
            "openid Exchange.Manage",
            "challenge-challenge-challenge-challenge-1234",
        )
        .await;
    let error: Vec<(String, String)> = location
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(
        error
            .iter()
            .any(|(k, v)| k == "error" && v == "invalid_scope"),
        "{location}"
    );
}

#[tokio::test]
async fn client_credentials_for_exchange_give_an_app_only_token_graph_refuses() {
    let sim = TestSim::new();
    let token = sim.app_token("https://outlook.office365.com").await;
    let access = claims(&token);
    assert_eq!(access["aud"], "https://outlook.office365.com");
    assert_eq!(access["roles"], json!(["Exchange.ManageAsApp"]));
    assert_eq!(access["idtyp"], "app");
    let graph = sim.graph(&token, Method::GET, "/users", None, &[]).await;
    assert_eq!(graph.status, StatusCode::UNAUTHORIZED);
}

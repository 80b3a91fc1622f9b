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

/// The step-up request Doorman sends: context `c1`, a fresh sign-in.
const STEP_UP: [(&str, &str); 2] = [
    (
        "claims",
        r#"{"id_token":{"acrs":{"essential":true,"value":"c1"}}}"#,
    ),
    ("prompt", "login"),
];

/// Signs `upn` in with `extra` authorize parameters and redeems the code: the token answer, or
/// the authorize redirect's query when it carried no code.
async fn sign_in_with(
    sim: &TestSim,
    upn: &str,
    extra: &[(&str, &str)],
) -> Result<Value, Vec<(String, String)>> {
    let verifier = format!("verifier-{upn}-{}", uuid::Uuid::new_v4());
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let answer = sim
        .authorize_with(upn, "openid offline_access User.Read", &challenge, extra)
        .await;
    let location = answer
        .headers
        .get("location")
        .and_then(|value| value.to_str().ok())
        .and_then(|location| url::Url::parse(location).ok())
        .expect("authorize redirects");
    let pairs: Vec<(String, String)> = location
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let Some((_, code)) = pairs.iter().find(|(name, _)| name == "code") else {
        return Err(pairs);
    };
    let registration = &sim.state.registration;
    let token = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &registration.redirect_uri),
            ("code_verifier", &verifier),
        ])
        .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    Ok(claims(
        token.body["id_token"].as_str().expect("an ID token"),
    ))
}

#[tokio::test]
async fn a_step_up_with_a_passwordless_method_carries_the_context_and_a_fresh_auth_time() {
    let sim = TestSim::new();
    let before = chrono::Utc::now().timestamp();
    let id = sign_in_with(&sim, "priya.nair@contoso.com", &STEP_UP)
        .await
        .expect("Authenticator completes the step-up");
    assert_eq!(id["acrs"], json!(["c1"]));
    let auth_time = id["auth_time"].as_i64().expect("auth_time");
    assert!(auth_time >= before && auth_time <= chrono::Utc::now().timestamp());
    assert!(id.get("amr").is_none(), "v2 ID tokens carry no amr");
    let fido = sign_in_with(&sim, "nina.patel@contoso.com", &STEP_UP)
        .await
        .expect("a FIDO2 key completes the step-up");
    assert_eq!(fido["acrs"], json!(["c1"]));
}

#[tokio::test]
async fn a_step_up_without_a_passwordless_method_goes_back_with_interaction_required() {
    let sim = TestSim::new();
    let refused = sign_in_with(&sim, "jordan.lee@contoso.com", &STEP_UP)
        .await
        .expect_err("a password alone cannot satisfy the context");
    let value = |name: &str| {
        refused
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    assert_eq!(value("error").as_deref(), Some("interaction_required"));
    assert_eq!(value("state").as_deref(), Some("s1"));
    assert!(value("error_description").is_some_and(|text| text.starts_with("AADSTS50079")));
}

#[tokio::test]
async fn a_locked_out_account_is_refused_a_step_up_as_any_sign_in() {
    let sim = TestSim::new();
    let answer = sim
        .authorize_with(
            "sarah.chen@contoso.com",
            "openid",
            "challenge-challenge-challenge-challenge-1234",
            &STEP_UP,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.headers.get("location").is_none());
}

#[tokio::test]
async fn without_a_step_up_the_id_token_has_no_acrs_and_auth_time_only_after_prompt_login() {
    let sim = TestSim::new();
    let plain = sign_in_with(&sim, "priya.nair@contoso.com", &[])
        .await
        .expect("signs in");
    assert!(plain.get("acrs").is_none() && plain.get("auth_time").is_none());
    let fresh = sign_in_with(&sim, "jordan.lee@contoso.com", &[("prompt", "login")])
        .await
        .expect("signs in");
    assert!(fresh.get("acrs").is_none());
    assert!(fresh["auth_time"].is_i64());
}

#[tokio::test]
async fn the_step_up_control_can_leave_out_the_context_or_date_the_sign_in_back() {
    let sim = TestSim::new();
    let set = |mode: &'static str| {
        let request = axum::http::Request::post("/_sim/login/step_up")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(json!({ "mode": mode }).to_string()))
            .expect("request");
        sim.send(request)
    };
    assert_eq!(set("omit_acrs").await.status, StatusCode::OK);
    let omitted = sign_in_with(&sim, "priya.nair@contoso.com", &STEP_UP)
        .await
        .expect("signs in");
    assert!(omitted.get("acrs").is_none() && omitted["auth_time"].is_i64());
    assert_eq!(set("stale").await.body, json!({"mode": "stale"}));
    let stale = sign_in_with(&sim, "priya.nair@contoso.com", &STEP_UP)
        .await
        .expect("signs in");
    assert_eq!(stale["acrs"], json!(["c1"]));
    let age = chrono::Utc::now().timestamp() - stale["auth_time"].as_i64().unwrap_or_default();
    assert!(age > 600, "{age}");
    assert_eq!(set("sometimes").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(sim.control("login/step_up").await, json!({"mode": "stale"}));
}

#[tokio::test]
async fn discovery_lists_the_step_up_claims() {
    let sim = TestSim::new();
    let request = axum::http::Request::get(format!(
        "/{}/v2.0/.well-known/openid-configuration",
        sim.state.tenant_id
    ))
    .body(axum::body::Body::empty())
    .expect("request");
    let metadata = sim.send(request).await.body;
    let supported = metadata["claims_supported"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for claim in ["acrs", "auth_time"] {
        assert!(supported.contains(&json!(claim)), "{claim}");
    }
    assert!(!supported.contains(&json!("amr")));
}

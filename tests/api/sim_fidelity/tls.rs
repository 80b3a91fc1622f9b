//! `doorman sim --tls`: HTTPS with a certificate served at `/_sim/ca.pem`, every URL handed out
//! `https://`, lost answers still lost under TLS, and Doorman working against it with the
//! certificate the handed-out configuration names.

use reqwest::Method;
use serde_json::json;

use crate::app::{TestApp, until_said, words};
use crate::helpers::{CONTOSO, MEMBER_SCOPES, TestSim};

async fn https_sim() -> TestSim {
    let bot = url::Url::parse("http://127.0.0.1:3978").expect("bot url");
    TestSim::start_over(CONTOSO, bot, doorman::sim::Scheme::Https).await
}

#[tokio::test]
async fn the_simulator_serves_https_hands_out_https_urls_and_its_certificate() {
    let sim = https_sim().await;
    assert!(sim.url.starts_with("https://127.0.0.1:"), "{}", sim.url);
    let pem = sim.control(Method::GET, "ca.pem", None).await;
    assert_eq!(pem.status, 200);
    assert!(
        pem.text.starts_with("-----BEGIN CERTIFICATE-----"),
        "{}",
        pem.text
    );
    let config_text = sim.control(Method::GET, "doorman.toml", None).await.text;
    let config = doorman::config::Config::from_toml(&config_text, Vec::new())
        .expect("the handed-out configuration loads, its ca_file included");
    let teams = config.teams.expect("[teams]");
    let slack = config.slack.expect("[slack]");
    for url in [
        &config.microsoft.authority,
        &config.microsoft.graph_url,
        &teams.openid_metadata_url,
        &teams.token_url,
        &teams.service_url,
        &slack.api_url,
    ] {
        assert_eq!(url.scheme(), "https", "{url}");
    }
    assert!(!config.security.ca_file.is_empty(), "{config_text}");
    let metadata = sim
        .http
        .get(format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            sim.url,
            sim.tenant_id()
        ))
        .send()
        .await
        .expect("metadata answers")
        .json::<serde_json::Value>()
        .await
        .expect("JSON");
    for key in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
    ] {
        let url = metadata[key].as_str().unwrap_or_default();
        assert!(url.starts_with("https://"), "{key}: {url}");
    }
    let plain = reqwest::Client::new()
        .get(format!(
            "{}/_sim/state",
            sim.url.replacen("https", "http", 1)
        ))
        .send()
        .await;
    assert!(
        plain.map_or(true, |answer| !answer.status().is_success()),
        "plain http is not served on the https port"
    );
    let untrusting = reqwest::Client::new()
        .get(format!("{}/_sim/state", sim.url))
        .send()
        .await;
    assert!(
        untrusting.is_err(),
        "a client that does not trust the certificate is refused"
    );
}

#[tokio::test]
async fn a_plain_simulator_has_no_certificate_to_give() {
    let sim = TestSim::start().await;
    assert_eq!(sim.control(Method::GET, "ca.pem", None).await.status, 404);
    let config_text = sim.control(Method::GET, "doorman.toml", None).await.text;
    assert!(!config_text.contains("ca_file"), "{config_text}");
}

#[tokio::test]
async fn tokens_and_graph_work_over_https_and_a_lost_answer_is_still_lost() {
    let sim = https_sim().await;
    let app = sim.app_token().await;
    let users = sim.get(&app, "/users?$top=1").await;
    assert_eq!(users.status, 200, "{}", users.text);
    assert!(
        users.body["@odata.nextLink"]
            .as_str()
            .is_some_and(|link| link.starts_with("https://")),
        "{}",
        users.body
    );
    let owner = sim
        .access_token("nina.patel@contoso.com", MEMBER_SCOPES)
        .await;
    sim.faults(json!({"lose_next_writes": 1})).await;
    let group = sim.group_id("VPN Users");
    let lost = sim
        .http
        .post(format!("{}/v1.0/groups/{group}/members/$ref", sim.url))
        .bearer_auth(&owner)
        .json(&sim.reference(&sim.user_id("tom.becker@contoso.com")))
        .send()
        .await;
    assert!(
        lost.is_err(),
        "the connection closed without an answer: {lost:?}"
    );
    assert!(
        sim.members("VPN Users")
            .await
            .contains(&"tom.becker@contoso.com".to_owned()),
        "the write was carried out"
    );
    let log = sim.control(Method::GET, "graph/log", None).await.body;
    let last = log
        .as_array()
        .and_then(|log| log.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["status"], serde_json::Value::Null, "{last}");
}

#[tokio::test]
async fn doorman_works_against_the_https_simulator_with_the_certificate_it_is_handed() {
    let app = TestApp::spawn_over_https().await;
    assert!(app.sim.url.starts_with("https://"));
    app.slack("U04TOM", "who am I").await;
    let prompt = app.more_than(0, || app.slack_seen("U04TOM")).await;
    let links = app.sign_in_links(&prompt);
    assert_eq!(links.len(), 1, "{prompt:?}");
    let (status, page) = app.follow(&links[0]).await;
    assert_eq!(status, 200, "{page}");
    let seen = until_said(|| app.slack_seen("U04TOM"), "You're Tom Becker").await;
    assert!(
        seen.iter()
            .any(|m| words(m).contains("tom.becker@contoso.com"))
    );
    app.teams("maria.garcia@contoso.com", "help").await;
    let replies = app
        .more_than(0, || app.teams_seen("maria.garcia@contoso.com"))
        .await;
    assert!(!replies.is_empty());
}

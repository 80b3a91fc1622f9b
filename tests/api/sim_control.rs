//! The simulator's control API: state, faults, the Graph log, the config it hands out.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{CONTOSO, FABRIKAM, MEMBER_SCOPES, TestSim};

#[tokio::test]
async fn the_state_has_the_tenant_files_shape_and_loads_again() {
    for tenant in [CONTOSO, FABRIKAM] {
        let sim = TestSim::start_with(tenant).await;
        let state = sim.control(Method::GET, "state", None).await.body;
        let original: Value = serde_json::from_str(tenant).expect("fixture JSON");
        for key in ["users", "groups", "teams", "sites", "mailboxes"] {
            assert_eq!(
                state[key].as_array().map(Vec::len),
                original[key].as_array().map(Vec::len),
                "{key}"
            );
        }
        for (now, then) in state["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(original["groups"].as_array().into_iter().flatten())
        {
            assert_eq!(now["members"], then["members"], "{}", then["displayName"]);
            assert_eq!(now["owners"], then["owners"], "{}", then["displayName"]);
        }
        let reloaded = doorman::sim::directory::Directory::load(&state.to_string());
        assert!(
            reloaded.is_ok(),
            "the state is itself a valid tenant file: {:?}",
            reloaded.err()
        );
    }
}

#[tokio::test]
async fn sim_only_facts_never_appear_among_graph_properties() {
    let sim = TestSim::start().await;
    let token = sim
        .access_token("grace.admin@contoso.com", "User.Read.All Group.Read.All")
        .await;
    let users = sim.get(&token, "/users?$select=*").await;
    for forbidden in [
        "slackUserId",
        "roles",
        "password",
        "lockedOut",
        "passwordExpired",
        "signIns",
        "authenticationMethods",
        "\"manager\"",
    ] {
        assert!(
            !users.text.contains(forbidden),
            "{forbidden} leaked into /users"
        );
    }
    let groups = sim.get(&token, "/groups").await;
    assert!(!groups.text.contains("\"owners\"") && !groups.text.contains("\"members\""));
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after_and_can_be_switched_off() {
    let sim = TestSim::start().await;
    let token = sim
        .access_token("tom.becker@contoso.com", MEMBER_SCOPES)
        .await;
    sim.faults(serde_json::json!({"throttle_rate": 1.0, "retry_after_seconds": 7}))
        .await;
    let throttled = sim.get(&token, "/me").await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("7"));
    sim.faults(serde_json::json!({"throttle_rate": 0.0})).await;
    assert_eq!(sim.get(&token, "/me").await.status, 200);
    let bad = sim
        .control(
            Method::POST,
            "faults",
            Some(serde_json::json!({"throttle_rate": 3})),
        )
        .await;
    assert_eq!(bad.status, 400);
    let unknown = sim
        .control(
            Method::POST,
            "faults",
            Some(serde_json::json!({"chaos": true})),
        )
        .await;
    assert_eq!(unknown.status, 400);
}

#[tokio::test]
async fn errors_and_latency_are_injected_on_demand() {
    let sim = TestSim::start().await;
    let token = sim
        .access_token("tom.becker@contoso.com", MEMBER_SCOPES)
        .await;
    sim.faults(serde_json::json!({"error_rate": 1.0})).await;
    let failed = sim.get(&token, "/me").await;
    assert!(matches!(failed.status, 503 | 504), "{}", failed.status);
    sim.faults(serde_json::json!({"error_rate": 0.0, "latency_ms": 300}))
        .await;
    let started = std::time::Instant::now();
    assert_eq!(sim.get(&token, "/me").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn replication_lag_hides_a_new_membership_from_reads_for_a_while() {
    let sim = TestSim::start().await;
    let owner = sim
        .access_token("nina.patel@contoso.com", MEMBER_SCOPES)
        .await;
    let group = sim.group_id("VPN Users");
    let tom = sim.user_id("tom.becker@contoso.com");
    sim.faults(serde_json::json!({"replication_lag_ms": 1500}))
        .await;
    let added = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/groups/{group}/members/$ref"),
            Some(sim.reference(&tom)),
        )
        .await;
    assert_eq!(added.status, 204);
    let members = sim
        .get(&owner, &format!("/groups/{group}/members?$select=id"))
        .await;
    assert!(
        !members.text.contains(&tom),
        "a fresh membership is not visible yet"
    );
    let duplicate = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/groups/{group}/members/$ref"),
            Some(sim.reference(&tom)),
        )
        .await;
    assert_eq!(duplicate.status, 400, "writes see the membership at once");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let members = sim
        .get(&owner, &format!("/groups/{group}/members?$select=id"))
        .await;
    assert!(members.text.contains(&tom), "after the lag, reads see it");
}

#[tokio::test]
async fn the_graph_log_records_every_call_with_its_caller_and_bodies() {
    let sim = TestSim::start().await;
    let owner = sim
        .access_token("nina.patel@contoso.com", MEMBER_SCOPES)
        .await;
    let group = sim.group_id("VPN Users");
    sim.graph(
        &owner,
        Method::POST,
        &format!("/groups/{group}/members/$ref"),
        Some(sim.reference(&sim.user_id("tom.becker@contoso.com"))),
    )
    .await;
    sim.get("garbage", "/me").await;
    let log = sim.control(Method::GET, "graph/log", None).await.body;
    let entries = log.as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["method"], "POST");
    assert_eq!(entries[0]["path"], format!("/groups/{group}/members/$ref"));
    assert_eq!(entries[0]["user"], "nina.patel@contoso.com");
    assert_eq!(entries[0]["status"], 204);
    assert!(entries[0]["request"]["@odata.id"].is_string());
    assert!(entries[0]["response"].is_null());
    assert_eq!(entries[1]["status"], 401);
    assert!(entries[1]["user"].is_null());
}

#[tokio::test]
async fn the_handed_out_config_loads_as_a_doorman_config() {
    let sim = TestSim::start().await;
    let text = sim.control(Method::GET, "doorman.toml", None).await.text;
    let config =
        doorman::config::Config::from_toml(&text, Vec::new()).expect("the sim's config is valid");
    assert_eq!(config.microsoft.client_id, sim.state.registration.client_id);
    assert_eq!(config.microsoft.tenant_id, sim.tenant_id());
    assert_eq!(
        config.microsoft.graph_url.as_str(),
        format!("{}/v1.0", sim.url)
    );
    assert_eq!(config.server.listen.port(), 3978);
    let teams = config.teams.expect("a [teams] section");
    assert_eq!(teams.app_id, sim.state.registration.client_id);
    assert_eq!(
        teams.openid_metadata_url.as_str(),
        format!(
            "{}/botframework/v1/.well-known/openidconfiguration",
            sim.url
        )
    );
    assert_eq!(
        teams.token_url.as_str(),
        format!("{}/{}/oauth2/v2.0/token", sim.url, sim.tenant_id())
    );
    assert_eq!(teams.service_url.as_str(), format!("{}/teams/", sim.url));
    assert_eq!(teams.allowed_tenants, vec![sim.tenant_id()]);
    let slack = config.slack.expect("a [slack] section");
    assert_eq!(slack.api_url.as_str(), format!("{}/slack/api", sim.url));
    assert_eq!(slack.team_id, "T0CONTOSO");
    assert_eq!(slack.app_id, "A0DOORMAN");
    assert!(
        secrecy::ExposeSecret::expose_secret(&slack.bot_token).starts_with("xoxb-"),
        "a bot token"
    );
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&slack.signing_secret),
        sim.state.slack.signing_secret
    );
}

#[tokio::test]
async fn a_lost_answer_carries_the_write_out_and_closes_the_connection_with_no_response() {
    let sim = TestSim::start().await;
    let owner = sim
        .access_token("nina.patel@contoso.com", MEMBER_SCOPES)
        .await;
    let (group, tom) = (
        sim.group_id("VPN Users"),
        sim.user_id("tom.becker@contoso.com"),
    );
    let set = sim
        .control(
            Method::POST,
            "faults",
            Some(serde_json::json!({"lose_next_writes": 1})),
        )
        .await;
    assert_eq!(set.body["lose_next_writes"], 1, "{}", set.text);
    // Reads, and read-only actions, are answered as ever.
    let read = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/users/{tom}/checkMemberGroups"),
            Some(serde_json::json!({"groupIds": [group]})),
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text);

    let lost = sim
        .http
        .post(format!("{}/v1.0/groups/{group}/members/$ref", sim.url))
        .bearer_auth(&owner)
        .json(&sim.reference(&tom))
        .send()
        .await;
    let error = lost.expect_err("no answer comes back");
    assert!(!error.is_connect(), "the connection was made: {error}");
    assert!(
        sim.members("VPN Users")
            .await
            .contains(&"tom.becker@contoso.com".to_owned()),
        "the write was carried out"
    );
    let log = sim.control(Method::GET, "graph/log", None).await.body;
    let last = log
        .as_array()
        .and_then(|entries| entries.last().cloned())
        .unwrap_or_default();
    assert_eq!(last["method"], "POST");
    assert!(last["status"].is_null(), "{last}");
    assert!(last["response"].is_null(), "{last}");

    // Counted off: the retry is answered, and says the member is there.
    let faults = sim.control(Method::GET, "faults", None).await.body;
    assert_eq!(faults["lose_next_writes"], 0);
    let retry = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/groups/{group}/members/$ref"),
            Some(sim.reference(&tom)),
        )
        .await;
    assert_eq!(retry.status, 400, "{}", retry.text);
    assert!(retry.text.contains("already exist"), "{}", retry.text);
}

#[tokio::test]
async fn lost_answers_are_bounded_like_every_fault() {
    let sim = TestSim::start().await;
    let refused = sim
        .control(
            Method::POST,
            "faults",
            Some(serde_json::json!({"lose_next_writes": 1_000_000})),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(
        refused.text.contains("lose_next_writes"),
        "{}",
        refused.text
    );
}

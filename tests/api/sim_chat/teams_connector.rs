//! Teams, outbound: the fake bot gets a connector token from the simulated Entra and sends,
//! replies, updates, deletes and starts conversations through the Bot Connector; the control API
//! shows each person's 1:1 chat as they would see it.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::{Value, json};

use super::fake_bot::sim_with_bot;
use crate::helpers::{Answer, MEMBER_SCOPES, TestSim, answer};

/// A conversation id as it goes into a connector path.
pub fn encoded(id: &str) -> String {
    utf8_percent_encode(id, NON_ALPHANUMERIC).to_string()
}

/// The bot's token for the Bot Connector: client credentials for the Bot Framework scope.
pub async fn connector_token(sim: &TestSim) -> String {
    let issued = sim
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://api.botframework.com/.default"),
        ])
        .await;
    assert_eq!(issued.status, 200, "{}", issued.text);
    issued.body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// A Bot Connector call relative to the service URL, with `token` as the bearer.
pub async fn connector(
    sim: &TestSim,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = sim
        .http
        .request(method, format!("{}{path}", sim.state.teams_service_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.expect("the connector answers")).await
}

async fn conversation_of(sim: &TestSim, upn: &str) -> Value {
    let seen = sim
        .control(Method::GET, &format!("teams/conversations/{upn}"), None)
        .await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    seen.body
}

#[tokio::test]
async fn the_bots_replies_updates_and_proactive_messages_show_in_the_persons_chat() {
    let (sim, bot) = sim_with_bot().await;
    sim.control(
        Method::POST,
        "teams/message",
        Some(json!({"from": "tom.becker@contoso.com", "text": "help"})),
    )
    .await;
    let activity = bot.only("/api/messages").json();
    let token = connector_token(&sim).await;
    let conversation = activity["conversation"]["id"].as_str().expect("an id");
    let activities = format!("v3/conversations/{}/activities", encoded(conversation));
    let reply_path = format!("{activities}/{}", activity["id"].as_str().expect("an id"));
    let reply = json!({"type": "message", "text": "Working on it", "replyToId": activity["id"]});
    let first = connector(&sim, Some(&token), Method::POST, &reply_path, Some(reply)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let first_id = first.body["id"].as_str().expect("an id").to_owned();
    let second = connector(
        &sim,
        Some(&token),
        Method::POST,
        &activities,
        Some(json!({"type": "message", "text": "typo"})),
    )
    .await;
    let second_id = second.body["id"].as_str().expect("an id").to_owned();
    let updated = connector(
        &sim,
        Some(&token),
        Method::PUT,
        &format!("{activities}/{first_id}"),
        Some(json!({"type": "message", "text": "Done: you are in VPN Users"})),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let deleted = connector(
        &sim,
        Some(&token),
        Method::DELETE,
        &format!("{activities}/{second_id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, 200);
    let typing = json!({"type": "typing"});
    let typed = connector(&sim, Some(&token), Method::POST, &activities, Some(typing)).await;
    assert_eq!(typed.status, 200, "typing is accepted and not shown");
    let tom = conversation_of(&sim, "tom.becker@contoso.com").await;
    assert_eq!(
        tom,
        json!([{
            "id": first_id,
            "text": "Done: you are in VPN Users",
            "attachments": [],
            "replyToId": activity["id"],
        }])
    );

    // Proactive: a 29: id the sim issued and an Entra object id name the same person.
    let by_teams_id = connector(
        &sim,
        Some(&token),
        Method::POST,
        "v3/conversations",
        Some(json!({
            "bot": {"id": format!("28:{}", sim.state.registration.client_id)},
            "members": [{"id": activity["from"]["id"]}],
            "channelData": {"tenant": {"id": sim.tenant_id()}},
            "tenantId": sim.tenant_id(),
            "isGroup": false,
        })),
    )
    .await;
    assert_eq!(by_teams_id.status, 201, "{}", by_teams_id.text);
    assert_eq!(by_teams_id.body["id"], conversation);
    let nina = sim.user_id("nina.patel@contoso.com");
    let created = connector(
        &sim,
        Some(&token),
        Method::POST,
        "v3/conversations",
        Some(json!({"members": [{"id": nina}], "tenantId": sim.tenant_id()})),
    )
    .await;
    let nina_chat = created.body["id"].as_str().expect("an id");
    assert!(nina_chat.starts_with("a:"));
    let card = json!({
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"type": "AdaptiveCard", "version": "1.5", "body": []},
    });
    let path = format!("v3/conversations/{}/activities", encoded(nina_chat));
    let message = json!({"type": "message", "attachments": [card]});
    let posted = connector(&sim, Some(&token), Method::POST, &path, Some(message)).await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let nina_sees = conversation_of(&sim, "nina.patel@contoso.com").await;
    assert_eq!(nina_sees[0]["attachments"][0], card);
    assert_eq!(nina_sees[0]["id"], posted.body["id"]);
    assert!(
        sim.state.graph_log.is_empty(),
        "chat traffic stays out of the Graph log"
    );
}

#[tokio::test]
async fn connector_calls_without_a_valid_connector_token_get_401() {
    let (sim, _bot) = sim_with_bot().await;
    let conversation = doorman::sim::teams::personal_conversation_id(
        &sim.tenant_id(),
        &sim.user_id("tom.becker@contoso.com"),
    );
    let path = format!("v3/conversations/{}/activities", encoded(&conversation));
    let message = json!({"type": "message", "text": "hi"});
    let graph_app = sim.app_token().await;
    let delegated = sim
        .access_token("nina.patel@contoso.com", MEMBER_SCOPES)
        .await;
    for token in [
        None,
        Some("garbage"),
        Some(graph_app.as_str()),
        Some(delegated.as_str()),
    ] {
        let refused = connector(&sim, token, Method::POST, &path, Some(message.clone())).await;
        assert_eq!(refused.status, 401, "{token:?}");
    }
    let refused = connector(
        &sim,
        None,
        Method::POST,
        "v3/conversations",
        Some(json!({})),
    )
    .await;
    assert_eq!(refused.status, 401);
    let token = connector_token(&sim).await;
    let accepted = connector(
        &sim,
        Some(&token),
        Method::POST,
        &path,
        Some(message.clone()),
    )
    .await;
    assert_eq!(accepted.status, 201, "{}", accepted.text);
    let unknown = connector(
        &sim,
        Some(&token),
        Method::POST,
        &format!("v3/conversations/{}/activities", encoded("a:nobody")),
        Some(message.clone()),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error_code(), "ConversationNotFound");
    let stranger = connector(
        &sim,
        Some(&token),
        Method::POST,
        "v3/conversations",
        Some(json!({"members": [{"id": "00000000-0000-4000-8000-00000000beef"}]})),
    )
    .await;
    assert_eq!(stranger.status, 404);
    assert_eq!(stranger.error_code(), "BadArgument");
    let missing = connector(
        &sim,
        Some(&token),
        Method::PUT,
        &format!("{path}/42"),
        Some(message),
    )
    .await;
    assert_eq!(missing.status, 404);
    let malformed = sim
        .http
        .post(format!("{}{path}", sim.state.teams_service_url()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .expect("answers");
    assert_eq!(malformed.status(), 400);
}

#[tokio::test]
async fn the_member_of_a_personal_chat_is_read_by_object_id_teams_id_or_upn() {
    let sim = TestSim::start().await;
    let token = connector_token(&sim).await;
    let nina = sim.user_id("nina.patel@contoso.com");
    let created = connector(
        &sim,
        Some(&token),
        Method::POST,
        "v3/conversations",
        Some(json!({"members": [{"id": nina}], "tenantId": sim.tenant_id()})),
    )
    .await;
    let chat = encoded(created.body["id"].as_str().expect("an id"));
    let listed = connector(
        &sim,
        Some(&token),
        Method::GET,
        &format!("v3/conversations/{chat}/members"),
        None,
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let member = listed.body[0].clone();
    assert_eq!(member["aadObjectId"], nina.as_str());
    assert_eq!(member["userPrincipalName"], "nina.patel@contoso.com");
    let teams_id = member["id"].as_str().expect("a 29: id").to_owned();
    assert!(teams_id.starts_with("29:"));
    for named in [nina.as_str(), teams_id.as_str(), "nina.patel@contoso.com"] {
        let one = connector(
            &sim,
            Some(&token),
            Method::GET,
            &format!("v3/conversations/{chat}/members/{}", encoded(named)),
            None,
        )
        .await;
        assert_eq!(one.status, 200, "{named}: {}", one.text);
        assert_eq!(one.body, member);
    }
    // Someone else is not a member of Nina's chat; without a token nobody reads it.
    let other = sim.user_id("tom.becker@contoso.com");
    let refused = connector(
        &sim,
        Some(&token),
        Method::GET,
        &format!("v3/conversations/{chat}/members/{other}"),
        None,
    )
    .await;
    assert_eq!(refused.status, 404, "{}", refused.text);
    assert_eq!(
        refused.body["error"]["code"],
        "MemberNotFoundInConversation"
    );
    let anonymous = connector(
        &sim,
        None,
        Method::GET,
        &format!("v3/conversations/{chat}/members"),
        None,
    )
    .await;
    assert_eq!(anonymous.status, 401);
}

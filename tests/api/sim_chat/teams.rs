//! Teams, inbound: what the simulated Teams delivers to `/api/messages`, verified as a bot must
//! (reference/chat-protocols.md A4), and the Teams control API's answers.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Method;
use serde_json::{Value, json};

use super::fake_bot::{Received, refreshed_card, sim_with_bot};
use super::teams_connector::{connector, connector_token, encoded};
use crate::helpers::TestSim;

/// Verifies an activity's JWT the way the Bot Framework SDKs do, with the keys the simulator's
/// Bot Framework metadata names; the token's claims.
pub async fn verify_activity(sim: &TestSim, delivery: &Received) -> Value {
    let activity = delivery.json();
    let token = delivery
        .header("authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .expect("a bearer token");
    let metadata: Value = sim
        .http
        .get(format!(
            "{}/botframework/v1/.well-known/openidconfiguration",
            sim.url
        ))
        .send()
        .await
        .expect("metadata answers")
        .json()
        .await
        .expect("metadata is JSON");
    assert_eq!(metadata["issuer"], "https://api.botframework.com");
    let keys: Value = sim
        .http
        .get(metadata["jwks_uri"].as_str().expect("jwks_uri"))
        .send()
        .await
        .expect("keys answer")
        .json()
        .await
        .expect("keys are JSON");
    let header = jsonwebtoken::decode_header(token).expect("a JWT header");
    assert_eq!(header.alg, Algorithm::RS256);
    let key = keys["keys"]
        .as_array()
        .and_then(|keys| {
            keys.iter()
                .find(|key| key["kid"].as_str() == header.kid.as_deref())
        })
        .expect("the token's kid is published");
    let endorsements = key["endorsements"].as_array().expect("endorsements");
    assert!(
        endorsements.contains(&activity["channelId"]),
        "the key is endorsed for {}",
        activity["channelId"]
    );
    let decoding = DecodingKey::from_rsa_components(
        key["n"].as_str().expect("n"),
        key["e"].as_str().expect("e"),
    )
    .expect("an RSA key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[sim.state.registration.client_id.as_str()]);
    validation.set_issuer(&["https://api.botframework.com"]);
    validation.leeway = 300;
    validation.validate_nbf = true;
    let claims = jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .expect("the activity's token verifies")
        .claims;
    assert_eq!(claims["serviceurl"], activity["serviceUrl"]);
    claims
}

#[tokio::test]
async fn a_teams_message_reaches_the_bot_signed_like_the_bot_connector() {
    let (sim, bot) = sim_with_bot().await;
    let answer = sim
        .control(
            Method::POST,
            "teams/message",
            Some(json!({"from": "tom.becker@contoso.com", "text": "I need the VPN"})),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], 200);
    let delivery = bot.only("/api/messages");
    let activity = delivery.json();
    assert_eq!(answer.body["activityId"], activity["id"]);
    assert_eq!(activity["type"], "message");
    assert_eq!(activity["text"], "I need the VPN");
    assert_eq!(activity["channelId"], "msteams");
    assert_eq!(activity["serviceUrl"], format!("{}/teams/", sim.url));
    assert_eq!(activity["locale"], "en-US");
    assert!(activity["timestamp"].is_string());
    let tom = sim.user_id("tom.becker@contoso.com");
    assert_eq!(activity["from"]["aadObjectId"], tom.as_str());
    assert_eq!(activity["from"]["name"], "Tom Becker");
    assert!(
        activity["from"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("29:"))
    );
    assert_eq!(activity["conversation"]["conversationType"], "personal");
    assert_eq!(
        activity["conversation"]["tenantId"],
        sim.tenant_id().as_str()
    );
    assert!(
        activity["conversation"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("a:"))
    );
    let app_id = &sim.state.registration.client_id;
    assert_eq!(activity["recipient"]["id"], format!("28:{app_id}"));
    assert_eq!(activity["recipient"]["name"], "Doorman");
    assert_eq!(
        activity["channelData"]["tenant"]["id"],
        sim.tenant_id().as_str()
    );
    verify_activity(&sim, &delivery).await;
}

#[tokio::test]
async fn the_activity_token_is_not_signed_with_entras_keys() {
    let (sim, bot) = sim_with_bot().await;
    sim.control(
        Method::POST,
        "teams/message",
        Some(json!({"from": "tom.becker@contoso.com", "text": "hi"})),
    )
    .await;
    let delivery = bot.only("/api/messages");
    let token = delivery
        .header("authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .expect("a bearer token");
    let kid = jsonwebtoken::decode_header(token).expect("header").kid;
    let entra: Value = sim
        .http
        .get(format!(
            "{}/{}/discovery/v2.0/keys",
            sim.url,
            sim.tenant_id()
        ))
        .send()
        .await
        .expect("keys answer")
        .json()
        .await
        .expect("JSON");
    assert!(
        entra["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|key| key["kid"].as_str() != kid.as_deref()),
        "the Bot Framework's key is its own"
    );
}

#[tokio::test]
async fn ids_are_stable_for_the_same_tenant_across_simulator_runs() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (sim, bot) = sim_with_bot().await;
        sim.control(
            Method::POST,
            "teams/message",
            Some(json!({"from": "maria.garcia@contoso.com", "text": "hi"})),
        )
        .await;
        let activity = bot.only("/api/messages").json();
        ids.push((
            activity["from"]["id"].clone(),
            activity["conversation"]["id"].clone(),
        ));
    }
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test]
async fn a_mention_in_a_channel_reaches_the_bot_with_the_mention_entity() {
    let (sim, bot) = sim_with_bot().await;
    let answer = sim
        .control(
            Method::POST,
            "teams/message",
            Some(json!({"from": "tom.becker@contoso.com", "text": "help", "mention": true})),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let delivery = bot.only("/api/messages");
    let activity = delivery.json();
    assert_eq!(activity["text"], "<at>Doorman</at> help");
    assert_eq!(activity["conversation"]["conversationType"], "channel");
    let conversation = activity["conversation"]["id"].as_str().expect("id");
    assert!(conversation.starts_with("19:general-marketing@thread.tacv2;messageid="));
    let mention = &activity["entities"][0];
    assert_eq!(mention["type"], "mention");
    assert_eq!(mention["mentioned"]["id"], activity["recipient"]["id"]);
    assert_eq!(mention["text"], "<at>Doorman</at>");
    assert_eq!(
        activity["channelData"]["team"]["aadGroupId"],
        sim.group_id("Marketing").as_str()
    );
    verify_activity(&sim, &delivery).await;
    let token = connector_token(&sim).await;
    let path = format!("v3/conversations/{}/activities", encoded(conversation));
    let reply = json!({"type": "message", "text": "Here is what I can do."});
    let sent = connector(&sim, Some(&token), Method::POST, &path, Some(reply)).await;
    assert_eq!(sent.status, 201, "the thread is known: {}", sent.text);
}

#[tokio::test]
async fn a_card_an_invoke_returns_replaces_the_clicked_card_only_for_the_clicker() {
    let (sim, bot) = sim_with_bot().await;
    let token = connector_token(&sim).await;
    let approve = json!({"type": "Action.Execute", "verb": "approve", "data": {"request": "r1"}});
    let card = json!({
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"type": "AdaptiveCard", "version": "1.5", "actions": [approve]},
    });
    let mut sent = Vec::new();
    for upn in ["maria.garcia@contoso.com", "david.okafor@contoso.com"] {
        let created = connector(
            &sim,
            Some(&token),
            Method::POST,
            "v3/conversations",
            Some(json!({"members": [{"id": sim.user_id(upn)}], "isGroup": false})),
        )
        .await;
        let path = format!(
            "v3/conversations/{}/activities",
            encoded(created.body["id"].as_str().expect("a conversation id"))
        );
        let activity = json!({"type": "message", "attachments": [card]});
        let posted = connector(&sim, Some(&token), Method::POST, &path, Some(activity)).await;
        sent.push(
            posted.body["id"]
                .as_str()
                .expect("an activity id")
                .to_owned(),
        );
    }
    let clicked = sim
        .control(
            Method::POST,
            "teams/invoke",
            Some(json!({
                "from": "maria.garcia@contoso.com",
                "replyToId": sent[0],
                "action": approve,
                "inputs": {"comment": "fine"},
            })),
        )
        .await;
    assert_eq!(clicked.status, 200, "{}", clicked.text);
    assert_eq!(clicked.body["status"], 200);
    assert_eq!(clicked.body["body"]["statusCode"], 200);
    let delivery = bot.only("/api/messages");
    let invoke = delivery.json();
    assert_eq!(invoke["type"], "invoke");
    assert_eq!(invoke["name"], "adaptiveCard/action");
    assert_eq!(invoke["replyToId"], sent[0].as_str());
    assert_eq!(invoke["value"]["trigger"], "manual");
    assert_eq!(invoke["value"]["action"]["verb"], "approve");
    assert_eq!(
        invoke["value"]["action"]["data"],
        json!({"request": "r1", "comment": "fine"})
    );
    assert_eq!(
        invoke["from"]["aadObjectId"],
        sim.user_id("maria.garcia@contoso.com").as_str()
    );
    verify_activity(&sim, &delivery).await;
    let seen = |upn: &'static str| {
        let sim = &sim;
        async move {
            let path = format!("teams/conversations/{upn}");
            sim.control(Method::GET, &path, None).await.body
        }
    };
    let maria = seen("maria.garcia@contoso.com").await;
    assert_eq!(maria[0]["attachments"][0]["content"], refreshed_card());
    let david = seen("david.okafor@contoso.com").await;
    assert_eq!(
        david[0]["attachments"][0], card,
        "david's copy is untouched"
    );
    let replayed = sim
        .control(
            Method::POST,
            "teams/invoke",
            Some(
                json!({"from": "tom.becker@contoso.com", "replyToId": sent[1], "action": approve}),
            ),
        )
        .await;
    assert_eq!(replayed.status, 200, "a forged click still reaches the bot");
    let david = seen("david.okafor@contoso.com").await;
    assert_eq!(
        david[0]["attachments"][0], card,
        "a stranger's click changes nothing"
    );
    assert_eq!(seen("tom.becker@contoso.com").await, json!([]));
}

#[tokio::test]
async fn the_teams_control_api_answers_unknown_people_and_bad_input_with_clear_errors() {
    let (sim, _bot) = sim_with_bot().await;
    let post = |path: &'static str, body: Value| {
        let sim = &sim;
        async move { sim.control(Method::POST, path, Some(body)).await }
    };
    let unknown = post(
        "teams/message",
        json!({"from": "nobody@contoso.com", "text": "hi"}),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("nobody@contoso.com"))
    );
    let disabled = post(
        "teams/message",
        json!({"from": "liam.ward@contoso.com", "text": "hi"}),
    )
    .await;
    assert_eq!(disabled.status, 403);
    let mailbox = post(
        "teams/message",
        json!({"from": "support@contoso.com", "text": "hi"}),
    )
    .await;
    assert_eq!(mailbox.status, 404, "a shared mailbox does not use Teams");
    assert_eq!(
        post("teams/message", json!({"from": "tom.becker@contoso.com"}))
            .await
            .status,
        400
    );
    let nowhere = post(
        "teams/message",
        json!({"from": "grace.admin@contoso.com", "text": "x", "mention": true}),
    )
    .await;
    assert_eq!(nowhere.status, 409, "grace is in no team: {}", nowhere.text);
    let malformed = sim
        .http
        .post(format!("{}/_sim/teams/message", sim.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answers");
    assert_eq!(malformed.status(), 400);
    let action = json!({"type": "Action.Execute", "verb": "approve", "data": {}});
    let never_sent = post(
        "teams/invoke",
        json!({"from": "tom.becker@contoso.com", "replyToId": "1", "action": action}),
    )
    .await;
    assert_eq!(never_sent.status, 404);
    let submit = json!({"type": "Action.Submit", "data": {}});
    let wrong_kind = post(
        "teams/invoke",
        json!({"from": "tom.becker@contoso.com", "replyToId": "1", "action": submit}),
    )
    .await;
    assert_eq!(wrong_kind.status, 400);
    let nobody = sim
        .control(Method::GET, "teams/conversations/nobody@contoso.com", None)
        .await;
    assert_eq!(nobody.status, 404);
    let quiet = sim
        .control(
            Method::GET,
            "teams/conversations/tom.becker@contoso.com",
            None,
        )
        .await;
    assert_eq!((quiet.status, quiet.body), (200, json!([])));
    let guest = sim
        .control(
            Method::GET,
            "teams/conversations/vendor_fabrikam.com%23EXT%23@contoso.com",
            None,
        )
        .await;
    assert_eq!(guest.status, 200, "a guest's UPN works percent-encoded");
}

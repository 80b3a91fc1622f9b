//! Slack, inbound: events and button clicks the simulated Slack delivers, verified as a bot
//! must (reference/chat-protocols.md B1-B3), and the Slack control API's answers.

use aws_lc_rs::hmac;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::fake_bot::{Received, sim_with_bot};
use super::slack_api::{as_sent, slack_call, slack_config};
use crate::helpers::TestSim;

/// Checks a delivery's Slack signature with the configured signing secret over the raw body.
fn verify_signature(delivery: &Received, secret: &str) {
    let timestamp = delivery
        .header("x-slack-request-timestamp")
        .expect("a timestamp");
    let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().expect("seconds");
    assert!(age.abs() <= 300, "a fresh timestamp");
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = format!("v0:{timestamp}:").into_bytes();
    signed.extend_from_slice(&delivery.body);
    let expected = format!("v0={}", hex::encode(hmac::sign(&key, &signed).as_ref()));
    assert_eq!(
        delivery.header("x-slack-signature"),
        Some(expected.as_str())
    );
}

async fn say(sim: &TestSim, body: Value) -> crate::helpers::Answer {
    sim.control(Method::POST, "slack/message", Some(body)).await
}

#[tokio::test]
async fn a_slack_message_reaches_the_bot_signed_with_the_signing_secret() {
    let (sim, bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    let answer = say(&sim, json!({"user": "U04TOM", "text": "I need the VPN"})).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], 200);
    let delivery = bot.only("/slack/events");
    verify_signature(&delivery, config.signing_secret.expose_secret());
    let envelope = delivery.json();
    assert_eq!(envelope["type"], "event_callback");
    assert_eq!(envelope["event_id"], answer.body["event_id"]);
    assert!(
        envelope["event_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("Ev"))
    );
    assert_eq!(envelope["team_id"], config.team_id.as_str());
    assert_eq!(envelope["api_app_id"], config.app_id.as_str());
    assert!(envelope["event_time"].is_i64());
    assert_eq!(envelope["authorizations"][0]["user_id"], "U0DOORMAN");
    assert_eq!(envelope["authorizations"][0]["is_bot"], true);
    let event = &envelope["event"];
    assert_eq!(event["type"], "message");
    assert_eq!(event["channel_type"], "im");
    assert_eq!(event["user"], "U04TOM");
    assert_eq!(event["text"], "I need the VPN");
    assert_eq!(event["ts"], event["event_ts"]);
    assert!(
        event["channel"]
            .as_str()
            .is_some_and(|c| c.starts_with('D'))
    );
    let by_upn = say(
        &sim,
        json!({"user": "tom.becker@contoso.com", "text": "again"}),
    )
    .await;
    assert_eq!(by_upn.status, 200);
    let second = bot.received("/slack/events")[1].json();
    assert_eq!(second["event"]["user"], "U04TOM");
    assert_eq!(second["event"]["channel"], event["channel"]);
    assert_ne!(second["event_id"], envelope["event_id"]);
}

#[tokio::test]
async fn a_redelivered_event_carries_the_same_event_id_and_the_retry_number() {
    let (sim, bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    let first = say(&sim, json!({"user": "U03MARIA", "text": "help"})).await;
    let event_id = first.body["event_id"].clone();
    let again = say(
        &sim,
        json!({"user": "U03MARIA", "text": "help", "event_id": event_id, "retry": 1}),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["event_id"], event_id);
    let deliveries = bot.received("/slack/events");
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].header("x-slack-retry-num"), None);
    assert_eq!(deliveries[1].header("x-slack-retry-num"), Some("1"));
    assert_eq!(
        deliveries[1].header("x-slack-retry-reason"),
        Some("http_timeout")
    );
    assert_eq!(
        deliveries[0].body, deliveries[1].body,
        "a retry is the same event"
    );
    verify_signature(&deliveries[1], config.signing_secret.expose_secret());
    let chosen = say(
        &sim,
        json!({"user": "U03MARIA", "text": "x", "event_id": "EvCHOSEN01"}),
    )
    .await;
    assert_eq!(chosen.body["event_id"], "EvCHOSEN01");
}

#[tokio::test]
async fn a_button_click_arrives_as_a_signed_block_actions_payload() {
    let (sim, bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    let blocks = json!([
        {"type": "section", "text": {"type": "mrkdwn", "text": "Tom asks for VPN Users"}},
        {"type": "input", "block_id": "reason", "optional": true,
         "element": {"type": "plain_text_input", "action_id": "reason_input"},
         "label": {"type": "plain_text", "text": "Reason"}},
        {"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "action_id": "approve", "value": "r1",
             "text": {"type": "plain_text", "text": "Approve"}},
        ]},
    ]);
    let posted = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.postMessage",
        json!({"channel": "U08NINA", "text": "Approval needed", "blocks": blocks}),
    )
    .await;
    let ts = posted["ts"].as_str().expect("a ts");
    let click = sim
        .control(
            Method::POST,
            "slack/action",
            Some(json!({
                "user": "nina.patel@contoso.com",
                "message_ts": ts,
                "action_id": "approve",
                "inputs": {"reason_input": "looks right"},
            })),
        )
        .await;
    assert_eq!(click.status, 200, "{}", click.text);
    assert_eq!(click.body["status"], 200);
    let delivery = bot.only("/slack/interactions");
    verify_signature(&delivery, config.signing_secret.expose_secret());
    assert!(
        delivery
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
    );
    let payload: Value = url::form_urlencoded::parse(&delivery.body)
        .find(|(name, _)| name == "payload")
        .map(|(_, json)| serde_json::from_str(&json).expect("JSON payload"))
        .expect("a payload field");
    assert_eq!(payload["type"], "block_actions");
    assert_eq!(payload["user"]["id"], "U08NINA");
    assert_eq!(payload["team"]["id"], config.team_id.as_str());
    assert_eq!(payload["api_app_id"], "A0DOORMAN");
    assert_eq!(payload["container"]["message_ts"], ts);
    assert_eq!(payload["container"]["channel_id"], posted["channel"]);
    assert_eq!(payload["channel"]["id"], posted["channel"]);
    assert_eq!(payload["message"]["ts"], ts);
    assert_eq!(as_sent(&payload["message"]["blocks"], &blocks), blocks);
    let action = &payload["actions"][0];
    assert_eq!(
        (
            &action["action_id"],
            &action["block_id"],
            &action["value"],
            &action["type"]
        ),
        (
            &json!("approve"),
            &json!("decide"),
            &json!("r1"),
            &json!("button")
        )
    );
    assert_eq!(
        payload["state"]["values"]["reason"]["reason_input"]["value"],
        "looks right"
    );

    // The trigger opens one modal; the response URL replaces the clicked message.
    let view = json!({"type": "modal", "callback_id": "deny", "title": {"type": "plain_text", "text": "Deny"}, "blocks": []});
    let trigger = payload["trigger_id"].clone();
    let opened = slack_call(
        &sim,
        &config,
        Method::POST,
        "views.open",
        json!({"trigger_id": trigger, "view": view}),
    )
    .await;
    assert_eq!(opened["ok"], true, "{opened}");
    assert!(
        opened["view"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with('V'))
    );
    let twice = json!({"trigger_id": trigger, "view": view});
    let twice = slack_call(&sim, &config, Method::POST, "views.open", twice).await;
    assert_eq!(twice["error"], "exchanged_trigger_id");
    let response_url = payload["response_url"].as_str().expect("a response_url");
    let replaced = sim
        .http
        .post(response_url)
        .json(&json!({"replace_original": true, "text": "Approved by Nina"}))
        .send()
        .await
        .expect("the response_url answers");
    assert_eq!(replaced.status(), 200);
    let seen = sim
        .control(Method::GET, "slack/messages?user=U08NINA", None)
        .await;
    assert_eq!(
        seen.body,
        json!([{"ts": ts, "text": "Approved by Nina", "blocks": []}])
    );
}

#[tokio::test]
async fn the_slack_control_api_answers_unknown_people_and_bad_input_with_clear_errors() {
    let (sim, _bot) = sim_with_bot().await;
    let unknown = say(&sim, json!({"user": "UNOBODY", "text": "hi"})).await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("UNOBODY"))
    );
    let no_slack = say(
        &sim,
        json!({"user": "helpdesk.ops@contoso.com", "text": "hi"}),
    )
    .await;
    assert_eq!(no_slack.status, 404, "helpdesk.ops has no Slack account");
    let deactivated = say(&sim, json!({"user": "U12LIAM", "text": "hi"})).await;
    assert_eq!(deactivated.status, 403);
    assert_eq!(say(&sim, json!({"user": "U04TOM"})).await.status, 400);
    let malformed = sim
        .http
        .post(format!("{}/_sim/slack/action", sim.url))
        .header("content-type", "application/json")
        .body("[")
        .send()
        .await
        .expect("answers");
    assert_eq!(malformed.status(), 400);
    let no_message = sim
        .control(
            Method::POST,
            "slack/action",
            Some(json!({"user": "U04TOM", "message_ts": "1.000001", "action_id": "approve"})),
        )
        .await;
    assert_eq!(no_message.status, 404);
    let no_user = sim.control(Method::GET, "slack/messages", None).await;
    assert_eq!(no_user.status, 400);
    let nobody = sim
        .control(Method::GET, "slack/messages?user=UNOBODY", None)
        .await;
    assert_eq!(nobody.status, 404);
    let quiet = sim
        .control(Method::GET, "slack/messages?user=U04TOM", None)
        .await;
    assert_eq!((quiet.status, quiet.body), (200, json!([])));
}

/// The payload of a form-encoded interaction.
fn payload_of(delivery: &Received) -> Value {
    url::form_urlencoded::parse(&delivery.body)
        .find(|(name, _)| name == "payload")
        .map(|(_, json)| serde_json::from_str(&json).expect("JSON payload"))
        .expect("a payload field")
}

#[tokio::test]
async fn a_modal_is_opened_within_slacks_limits_and_submitted_once_by_its_person() {
    let (sim, bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    let blocks = json!([{"type": "actions", "block_id": "decide", "elements": [
        {"type": "button", "action_id": "deny", "value": "r1", "text": {"type": "plain_text", "text": "Deny"}},
    ]}]);
    let posted = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.postMessage",
        json!({"channel": "U08NINA", "text": "Approval needed", "blocks": blocks}),
    )
    .await;
    let click = json!({"user": "U08NINA", "message_ts": posted["ts"], "action_id": "deny"});
    let click = sim.control(Method::POST, "slack/action", Some(click)).await;
    assert_eq!(click.status, 200, "{}", click.text);
    let trigger = payload_of(&bot.only("/slack/interactions"))["trigger_id"].clone();

    let modal = |title: &str, metadata: usize| {
        json!({
            "type": "modal", "callback_id": "doorman_inputs",
            "title": {"type": "plain_text", "text": title},
            "submit": {"type": "plain_text", "text": "Deny"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": "m".repeat(metadata),
            "blocks": [{"type": "input", "block_id": "deny_reason", "optional": true,
                        "label": {"type": "plain_text", "text": "Reason"},
                        "element": {"type": "plain_text_input", "action_id": "deny_reason", "multiline": true}}],
        })
    };
    for (title, metadata) in [("A title longer than 24 chars", 10), ("Deny request", 3001)] {
        let refused = slack_call(
            &sim,
            &config,
            Method::POST,
            "views.open",
            json!({"trigger_id": trigger, "view": modal(title, metadata)}),
        )
        .await;
        assert_eq!(refused["error"], "invalid_arguments", "{title}, {metadata}");
    }
    let opened = slack_call(
        &sim,
        &config,
        Method::POST,
        "views.open",
        json!({"trigger_id": trigger, "view": modal("Deny request", 3000)}),
    )
    .await;
    assert_eq!(
        opened["ok"], true,
        "a refused view leaves the trigger unused: {opened}"
    );
    let view_id = opened["view"]["id"].as_str().expect("a view id").to_owned();
    assert!(opened["view"]["hash"].is_string());
    let views = sim.control(Method::GET, "slack/views", None).await.body;
    assert_eq!(views[0]["user"], "U08NINA");
    assert_eq!(views[0]["closed"], false);

    let submit =
        |user: &str, values: Value| json!({"user": user, "view_id": view_id, "values": values});
    let someone_else = sim
        .control(
            Method::POST,
            "slack/view",
            Some(submit("U04TOM", json!({}))),
        )
        .await;
    assert_eq!(someone_else.status, 403, "{}", someone_else.text);
    let no_such_input = submit("U08NINA", json!({"note": "x"}));
    let no_such_input = sim
        .control(Method::POST, "slack/view", Some(no_such_input))
        .await;
    assert_eq!(no_such_input.status, 404, "{}", no_such_input.text);
    let never = json!({"user": "U08NINA", "view_id": view_id, "redeliver": true});
    assert_eq!(
        sim.control(Method::POST, "slack/view", Some(never))
            .await
            .status,
        409
    );

    let submitted = submit("nina.patel@contoso.com", json!({"deny_reason": "not now"}));
    let submitted = sim
        .control(Method::POST, "slack/view", Some(submitted))
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.text);
    assert_eq!(submitted.body, json!({"status": 200, "body": null}));
    let delivery = bot
        .received("/slack/interactions")
        .pop()
        .expect("delivered");
    verify_signature(&delivery, config.signing_secret.expose_secret());
    let payload = payload_of(&delivery);
    assert_eq!(payload["type"], "view_submission");
    assert_eq!(payload["team"]["id"], config.team_id.as_str());
    assert_eq!(payload["user"]["id"], "U08NINA");
    assert_eq!(payload["user"]["team_id"], config.team_id.as_str());
    assert_eq!(payload["api_app_id"], config.app_id.as_str());
    assert_eq!(payload["response_urls"], json!([]));
    assert_ne!(payload["trigger_id"], trigger, "a fresh trigger");
    let view = &payload["view"];
    assert_eq!(
        (&view["id"], &view["hash"]),
        (&opened["view"]["id"], &opened["view"]["hash"])
    );
    assert_eq!(view["callback_id"], "doorman_inputs");
    assert_eq!(view["private_metadata"], "m".repeat(3000));
    assert_eq!(
        view["state"]["values"]["deny_reason"]["deny_reason"],
        json!({"type": "plain_text_input", "value": "not now"})
    );
    // Parsed as the bot's Slack library reads it.
    let parsed: Result<slack_morphism::prelude::SlackInteractionEvent, _> =
        serde_json::from_value(payload.clone());
    assert!(parsed.is_ok(), "{parsed:?}");

    // The fake bot answered an empty 200, which closes the view: it cannot be submitted again,
    // though the same request can be replayed.
    let views = sim.control(Method::GET, "slack/views", None).await.body;
    assert_eq!(views[0]["closed"], true);
    let again = submit("U08NINA", json!({"deny_reason": "really not"}));
    assert_eq!(
        sim.control(Method::POST, "slack/view", Some(again))
            .await
            .status,
        409
    );
    let replay = json!({"user": "U08NINA", "view_id": view_id, "redeliver": true});
    let replay = sim.control(Method::POST, "slack/view", Some(replay)).await;
    assert_eq!(replay.status, 200, "{}", replay.text);
    let deliveries = bot.received("/slack/interactions");
    assert_eq!(deliveries.len(), 3);
    assert_eq!(deliveries[2].body, deliveries[1].body, "byte for byte");
    let unknown = json!({"user": "U08NINA", "view_id": "VNOSUCH", "values": {}});
    assert_eq!(
        sim.control(Method::POST, "slack/view", Some(unknown))
            .await
            .status,
        404
    );
}

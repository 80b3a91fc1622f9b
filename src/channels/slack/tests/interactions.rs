//! `POST /slack/interactions`: button clicks become [`ChatAction`]s, and the handler's card
//! replaces the clicked message.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::*;
use crate::domain::chat::{Card, ChatAction, Message, SentMessage, Verb};

const INTERACTIONS: &str = "/slack/interactions";
const CARD_TS: &str = "1700000000.000500";
const TRIGGER: &str = "13345224609.738474920.8088930838d88f008e0";

fn button(action_id: &str, value: &str) -> Value {
    json!({
        "action_id": action_id, "block_id": "b1", "type": "button",
        "text": {"type": "plain_text", "text": "Approve", "emoji": true},
        "value": value, "style": "primary", "action_ts": "1700000001.000600"
    })
}

/// A `block_actions` payload for a click on Doorman's card in a direct conversation.
fn block_actions(actions: Vec<Value>) -> Value {
    json!({
        "type": "block_actions",
        "user": {"id": "U2147483697", "username": "ana", "name": "ana", "team_id": TEAM},
        "api_app_id": APP,
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": CARD_TS, "channel_id": "D024BE91L", "is_ephemeral": false},
        "trigger_id": TRIGGER,
        "team": {"id": TEAM, "domain": "contoso"},
        "enterprise": null,
        "is_enterprise_install": false,
        "channel": {"id": "D024BE91L", "name": "directmessage"},
        "message": {"type": "message", "user": BOT_USER, "bot_id": "B0123", "text": "Approve?", "ts": CARD_TS},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T0DOORMAN/1/abc",
        "actions": actions
    })
}

async fn next_action(harness: &mut Harness) -> Result<ChatAction, Box<dyn std::error::Error>> {
    match harness.next_call().await {
        Some(Inbound::Action(action)) => Ok(action),
        other => Err(format!("expected an action, got {other:?}").into()),
    }
}

fn decided() -> Message {
    Message::with_card(
        "Approved by Ana",
        Card {
            title: "Edit access to Finance".into(),
            ..Card::default()
        },
    )
}

#[tokio::test]
async fn a_click_on_a_verb_button_is_handed_on_and_the_clicked_message_replaced() -> TestResult {
    let slack_api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.update"))
        .and(header("authorization", format!("Bearer {BOT_TOKEN}").as_str()))
        .and(body_partial_json(json!({"channel": "D024BE91L", "ts": CARD_TS})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true, "channel": "D024BE91L", "ts": CARD_TS, "message": {"text": "Approved by Ana"}
        })))
        .expect(1)
        .mount(&slack_api)
        .await;
    let behaviour = Behaviour {
        held: None,
        answer: Some(decided()),
    };
    let mut harness = Harness::start(&format!("{}/api", slack_api.uri()), behaviour)?;
    let payload = block_actions(vec![button("approve", r#"{"request":"R1","stage":1}"#)]);
    let (status, body) = harness.send(signed(INTERACTIONS, &form(&payload))).await?;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));

    let action = next_action(&mut harness).await?;
    assert_eq!(action.verb, Verb::Approve);
    assert_eq!(action.data, json!({"request": "R1", "stage": 1}));
    assert_eq!(action.id, format!("{TRIGGER}:0"));
    assert_eq!(action.sender.user.id, "U2147483697");
    assert_eq!(action.sender.user.tenant, TEAM);
    assert_eq!(action.sender.entra, None);
    assert_eq!(action.place.reference, json!({"channel": "D024BE91L"}));
    let Some(SentMessage { place, id }) = action.card else {
        return Err("the clicked message is not named".into());
    };
    assert_eq!(
        (place.reference, id.as_str()),
        (json!({"channel": "D024BE91L"}), CARD_TS)
    );

    for _ in 0..200 {
        let updates = slack_api.received_requests().await.unwrap_or_default();
        if let Some(update) = updates.first() {
            let sent: Value = serde_json::from_slice(&update.body)?;
            assert_eq!(sent["text"], "Approved by Ana");
            assert_eq!(sent["blocks"][0]["type"], "header");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err("the clicked message was never updated".into())
}

#[tokio::test]
async fn link_buttons_unknown_action_ids_and_values_that_are_not_json_are_ignored() -> TestResult {
    let mut harness = Harness::quiet()?;
    let mut sign_in = button("sign_in", "");
    if let Some(object) = sign_in.as_object_mut() {
        object.remove("value");
        object.insert(
            "url".into(),
            json!("https://doorman.example.com/auth/start?s=1"),
        );
    }
    let payload = block_actions(vec![
        sign_in,
        button("overflow_menu", r#"{"request":"R1"}"#),
        button("deny", "R1"),
        button("extend", r#"{"grant":"G7"}"#),
    ]);
    let (status, _) = harness.send(signed(INTERACTIONS, &form(&payload))).await?;
    assert_eq!(status, StatusCode::OK);
    let action = next_action(&mut harness).await?;
    assert_eq!(
        (action.verb, action.data),
        (Verb::Extend, json!({"grant": "G7"}))
    );
    assert_eq!(
        action.id,
        format!("{TRIGGER}:3"),
        "the key keeps the action's position"
    );
    assert!(harness.no_more_calls().await);
    Ok(())
}

#[tokio::test]
async fn interactions_with_a_wrong_signature_are_refused_and_not_handled() -> TestResult {
    let mut harness = Harness::quiet()?;
    let body = form(&block_actions(vec![button(
        "approve",
        r#"{"request":"R1"}"#,
    )]));
    let stale = signed_at(INTERACTIONS, &body, now() - 360);
    assert_eq!(harness.send(stale).await?.0, StatusCode::UNAUTHORIZED);
    let headers = [
        ("x-slack-request-timestamp", now().to_string()),
        ("x-slack-signature", sign(b"payload=%7B%7D", now())),
    ];
    let wrong = request_with(INTERACTIONS, &body, &headers);
    assert_eq!(harness.send(wrong).await?.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        harness
            .send(request_with(INTERACTIONS, &body, &[]))
            .await?
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert!(harness.no_more_calls().await);
    Ok(())
}

#[tokio::test]
async fn a_replayed_click_is_handed_on_once() -> TestResult {
    let mut harness = Harness::quiet()?;
    let body = form(&block_actions(vec![button("deny", r#"{"request":"R1"}"#)]));
    assert_eq!(
        harness.send(signed(INTERACTIONS, &body)).await?.0,
        StatusCode::OK
    );
    assert_eq!(
        harness.send(signed(INTERACTIONS, &body)).await?.0,
        StatusCode::OK
    );
    assert_eq!(next_action(&mut harness).await?.verb, Verb::Deny);
    assert!(harness.no_more_calls().await);
    Ok(())
}

#[tokio::test]
async fn clicks_of_another_workspace_or_app_and_other_interactions_are_acknowledged_and_ignored()
-> TestResult {
    let mut harness = Harness::quiet()?;
    let mut other_team = block_actions(vec![button("approve", r#"{"request":"R1"}"#)]);
    other_team["team"]["id"] = json!("T0OTHER");
    let mut other_app = block_actions(vec![button("approve", r#"{"request":"R1"}"#)]);
    other_app["api_app_id"] = json!("A0OTHER");
    // A submission of a modal some other code opened (not Doorman's callback id).
    let submission = json!({
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "contoso"},
        "user": {"id": "U2147483697", "username": "ana", "name": "ana", "team_id": TEAM},
        "api_app_id": APP,
        "view": {"id": "V1", "team_id": TEAM, "type": "modal", "callback_id": "deny_reason",
                  "private_metadata": "R1", "hash": "1700000002.abcd1234", "blocks": [],
                  "title": {"type": "plain_text", "text": "Deny"},
                  "state": {"values": {"reason": {"reason_input": {"type": "plain_text_input", "value": "no"}}}}}
    });
    let shortcut = json!({"type": "shortcut", "callback_id": "doorman", "trigger_id": TRIGGER,
                          "team": {"id": TEAM}, "user": {"id": "U2147483697"}});
    for payload in [other_team, other_app, submission, shortcut] {
        let (status, _) = harness.send(signed(INTERACTIONS, &form(&payload))).await?;
        assert_eq!(status, StatusCode::OK);
    }
    assert!(harness.no_more_calls().await);
    Ok(())
}

#[tokio::test]
async fn values_typed_into_the_message_arrive_as_inputs() -> TestResult {
    let mut harness = Harness::quiet()?;
    let mut payload = block_actions(vec![button("deny", r#"{"request":"R1"}"#)]);
    payload["state"] = json!({"values": {"reason_block": {"reason": {"type": "plain_text_input", "value": "not needed"}}}});
    harness.send(signed(INTERACTIONS, &form(&payload))).await?;
    let action = next_action(&mut harness).await?;
    assert_eq!(action.inputs.get("reason"), Some(&json!("not needed")));
    Ok(())
}

#[tokio::test]
async fn a_signed_form_without_a_payload_is_a_bad_request() -> TestResult {
    let harness = Harness::quiet()?;
    let (status, _) = harness.send(signed(INTERACTIONS, "something=else")).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

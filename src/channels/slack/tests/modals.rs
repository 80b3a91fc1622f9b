//! `POST /slack/interactions`, modals: a click on a button that asks first opens a modal
//! (`views.open`) and is not handed on; the modal's `view_submission` becomes the click it
//! stands for, with what was typed.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::*;
use crate::channels::slack::blocks::render;
use crate::channels::slack::modal::CALLBACK_ID;
use crate::domain::chat::{
    ButtonStyle, Card, CardButton, CardInput, ChatAction, SentMessage, Verb,
};

const INTERACTIONS: &str = "/slack/interactions";
const CARD_TS: &str = "1700000000.000500";
const THREAD_TS: &str = "1700000000.000100";
const TRIGGER: &str = "13345224609.738474920.8088930838d88f008e0";
const DM: &str = "D024BE91L";

/// The Deny button's value as Doorman renders it on an approval card, and the card's data.
fn deny_value() -> (String, Value) {
    let data = json!({"request": "R-1", "stage": 0});
    let card = Card {
        title: "Access request R-1".into(),
        inputs: vec![CardInput {
            id: "deny_reason".into(),
            label: "Reason if you deny (optional)".into(),
            placeholder: "Why not?".into(),
            for_verb: Some(Verb::Deny),
            max_length: None,
            choices: Vec::new(),
        }],
        buttons: vec![CardButton::Execute {
            title: "Deny".into(),
            verb: Verb::Deny,
            data: data.clone(),
            style: ButtonStyle::Destructive,
        }],
        ..Card::default()
    };
    let blocks = serde_json::to_value(render(&card, "")).unwrap_or_default();
    let value = blocks[1]["elements"][0]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (value, data)
}

/// A click on the Deny button of a card in a DM, in a thread when `thread` is given.
fn deny_click(thread: Option<&str>) -> Value {
    let (value, _) = deny_value();
    let mut message = json!({"type": "message", "user": BOT_USER, "bot_id": "B0123", "text": "Approve?", "ts": CARD_TS});
    if let Some(thread) = thread {
        message["thread_ts"] = json!(thread);
    }
    json!({
        "type": "block_actions",
        "user": {"id": "U2147483697", "username": "ana", "name": "ana", "team_id": TEAM},
        "api_app_id": APP,
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": CARD_TS, "channel_id": DM, "is_ephemeral": false},
        "trigger_id": TRIGGER,
        "team": {"id": TEAM, "domain": "contoso"},
        "is_enterprise_install": false,
        "channel": {"id": DM, "name": "directmessage"},
        "message": message,
        "state": {"values": {}},
        "actions": [{
            "action_id": "deny", "block_id": "b1", "type": "button", "value": value,
            "text": {"type": "plain_text", "text": "Deny"}, "action_ts": "1700000001.000600"
        }]
    })
}

/// Slack's answer to `views.open`: the view as it keeps it.
fn opened(view_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "ok": true,
        "view": {
            "id": view_id, "team_id": TEAM, "type": "modal", "hash": "1700000002.abcd1234",
            "title": {"type": "plain_text", "text": "Deny request"}, "blocks": [],
            "private_metadata": "", "callback_id": CALLBACK_ID, "state": {"values": {}},
            "app_id": APP, "bot_id": "B0123"
        }
    }))
}

/// Opens the modal through a click against a fake Slack; returns the view Doorman sent.
async fn open_modal(
    harness: &mut Harness,
    slack_api: &MockServer,
    thread: Option<&str>,
) -> Result<Value, Box<dyn std::error::Error>> {
    let click = form(&deny_click(thread));
    let (status, body) = harness.send(signed(INTERACTIONS, &click)).await?;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    let requests = slack_api.received_requests().await.unwrap_or_default();
    let call = requests
        .iter()
        .find(|request| request.url.path() == "/api/views.open")
        .ok_or("views.open was not called before Slack was answered")?;
    let sent: Value = serde_json::from_slice(&call.body)?;
    assert_eq!(sent["trigger_id"], TRIGGER);
    Ok(sent["view"].clone())
}

/// The `view_submission` of `view` by `user`, with `typed` in the reason input.
fn submission(view: &Value, user: &str, typed: Option<&str>) -> Value {
    let mut view = view.clone();
    view["id"] = json!("V0MODAL1");
    view["team_id"] = json!(TEAM);
    view["hash"] = json!("1700000002.abcd1234");
    view["app_id"] = json!(APP);
    view["state"] = json!({"values": {"deny_reason": {"deny_reason": {"type": "plain_text_input", "value": typed}}}});
    json!({
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "contoso"},
        "user": {"id": user, "username": "ana", "name": "ana", "team_id": TEAM},
        "api_app_id": APP,
        "token": "legacy-verification-token",
        "trigger_id": "13345224610.738474920.aaaa",
        "view": view,
        "response_urls": [],
        "is_enterprise_install": false
    })
}

async fn next_action(harness: &mut Harness) -> Result<ChatAction, Box<dyn std::error::Error>> {
    match harness.next_call().await {
        Some(Inbound::Action(action)) => Ok(action),
        other => Err(format!("expected an action, got {other:?}").into()),
    }
}

async fn fake_slack_opening() -> MockServer {
    let slack_api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/views.open"))
        .respond_with(opened("V0MODAL1"))
        .mount(&slack_api)
        .await;
    slack_api
}

#[test]
fn a_button_that_asks_first_carries_its_data_and_what_to_ask_well_under_slacks_limit() {
    let (value, data) = deny_value();
    assert!(value.len() < 500, "{value}");
    assert_eq!(
        serde_json::from_str::<Value>(&value).ok(),
        Some(json!({
            "doorman.ask": {"title": "Deny", "inputs": [{"id": "deny_reason",
                "label": "Reason if you deny (optional)", "placeholder": "Why not?"}]},
            "data": data,
        }))
    );
}

#[tokio::test]
async fn a_click_that_asks_first_opens_a_modal_and_is_not_handed_on() -> TestResult {
    let slack_api = fake_slack_opening().await;
    let mut harness = Harness::start(&format!("{}/api", slack_api.uri()), Behaviour::default())?;
    let view = open_modal(&mut harness, &slack_api, None).await?;
    assert_eq!(view["type"], "modal");
    assert_eq!(view["callback_id"], CALLBACK_ID);
    assert_eq!(view["title"]["text"], "Deny request");
    assert_eq!(view["submit"]["text"], "Deny");
    assert_eq!(view["blocks"][0]["block_id"], "deny_reason");
    assert_eq!(view["blocks"][0]["optional"], true);
    assert_eq!(view["blocks"][0]["element"]["max_length"], 500);
    let metadata: Value =
        serde_json::from_str(view["private_metadata"].as_str().unwrap_or("null"))?;
    assert_eq!(
        metadata,
        json!({"verb": "deny", "data": {"request": "R-1", "stage": 0},
               "inputs": ["deny_reason"], "channel": DM, "ts": CARD_TS})
    );
    assert!(harness.no_more_calls().await, "the click is not handed on");
    Ok(())
}

#[tokio::test]
async fn a_submitted_modal_is_handed_on_as_the_click_with_the_reason_and_answered_empty()
-> TestResult {
    let slack_api = fake_slack_opening().await;
    let mut harness = Harness::start(&format!("{}/api", slack_api.uri()), Behaviour::default())?;
    let view = open_modal(&mut harness, &slack_api, Some(THREAD_TS)).await?;
    let submitted = form(&submission(
        &view,
        "U2147483697",
        Some("use the office network"),
    ));
    let (status, body) = harness.send(signed(INTERACTIONS, &submitted)).await?;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, ""),
        "closes the modal"
    );

    let action = next_action(&mut harness).await?;
    assert_eq!(action.verb, Verb::Deny);
    assert_eq!(action.data, json!({"request": "R-1", "stage": 0}));
    assert_eq!(
        action.inputs.get("deny_reason"),
        Some(&json!("use the office network"))
    );
    assert_eq!(action.id, "view:V0MODAL1:1700000002.abcd1234");
    assert_eq!(
        (
            action.sender.user.id.as_str(),
            action.sender.user.tenant.as_str()
        ),
        ("U2147483697", TEAM)
    );
    assert_eq!(action.sender.entra, None);
    assert_eq!(
        action.place.reference,
        json!({"channel": DM, "thread_ts": THREAD_TS}),
        "answered in the clicked message's thread"
    );
    let Some(SentMessage { place, id }) = action.card else {
        return Err("the clicked message is not named".into());
    };
    assert_eq!(
        (place.reference, id.as_str()),
        (json!({"channel": DM}), CARD_TS)
    );

    // Replayed, the same signed submission is handed on no more.
    let (status, _) = harness.send(signed(INTERACTIONS, &submitted)).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(harness.no_more_calls().await);
    Ok(())
}

#[tokio::test]
async fn an_empty_or_blank_reason_is_no_input_and_the_submitter_is_the_signed_user() -> TestResult {
    let slack_api = fake_slack_opening().await;
    let mut harness = Harness::start(&format!("{}/api", slack_api.uri()), Behaviour::default())?;
    let view = open_modal(&mut harness, &slack_api, None).await?;
    for (hash, typed) in [("1.a", None), ("1.b", Some("  \n "))] {
        let mut payload = submission(&view, "U0SOMEONE", typed);
        payload["view"]["hash"] = json!(hash);
        let (status, _) = harness.send(signed(INTERACTIONS, &form(&payload))).await?;
        assert_eq!(status, StatusCode::OK);
        let action = next_action(&mut harness).await?;
        assert!(action.inputs.is_empty(), "{:?}", action.inputs);
        assert_eq!(action.sender.user.id, "U0SOMEONE");
    }
    Ok(())
}

#[tokio::test]
async fn a_reason_past_500_characters_keeps_the_modal_open_with_an_error_on_the_input() -> TestResult
{
    let slack_api = fake_slack_opening().await;
    let mut harness = Harness::start(&format!("{}/api", slack_api.uri()), Behaviour::default())?;
    let view = open_modal(&mut harness, &slack_api, None).await?;
    let long = "é".repeat(501);
    let payload = submission(&view, "U2147483697", Some(&long));
    let (status, body) = harness.send(signed(INTERACTIONS, &form(&payload))).await?;
    assert_eq!(status, StatusCode::OK);
    let answer: Value = serde_json::from_str(&body)?;
    assert_eq!(answer["response_action"], "errors");
    assert!(answer["errors"]["deny_reason"].is_string(), "{answer}");
    assert!(harness.no_more_calls().await);
    // Exactly 500 characters is fine.
    let mut payload = submission(&view, "U2147483697", Some(&"é".repeat(500)));
    payload["view"]["hash"] = json!("2.a");
    let (status, body) = harness.send(signed(INTERACTIONS, &form(&payload))).await?;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    assert_eq!(next_action(&mut harness).await?.verb, Verb::Deny);
    Ok(())
}

#[tokio::test]
async fn submissions_of_another_app_workspace_or_modal_are_ignored_and_garbled_metadata_refused()
-> TestResult {
    let slack_api = fake_slack_opening().await;
    let mut harness = Harness::start(&format!("{}/api", slack_api.uri()), Behaviour::default())?;
    let view = open_modal(&mut harness, &slack_api, None).await?;
    let ours = submission(&view, "U2147483697", Some("no"));
    let mut other_app = ours.clone();
    other_app["api_app_id"] = json!("A0OTHER");
    let mut other_team = ours.clone();
    other_team["team"]["id"] = json!("T0OTHER");
    let mut other_modal = ours.clone();
    other_modal["view"]["callback_id"] = json!("someone_elses");
    for payload in [other_app, other_team, other_modal] {
        let (status, body) = harness.send(signed(INTERACTIONS, &form(&payload))).await?;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    }
    for metadata in ["R-1", "{\"verb\":\"deny\"}", ""] {
        let mut garbled = ours.clone();
        garbled["view"]["private_metadata"] = json!(metadata);
        let (status, _) = harness.send(signed(INTERACTIONS, &form(&garbled))).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{metadata}");
    }
    let mut shapeless = ours.clone();
    shapeless["view"] = json!("not a view");
    let (status, _) = harness
        .send(signed(INTERACTIONS, &form(&shapeless)))
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(harness.no_more_calls().await);
    Ok(())
}

#[tokio::test]
async fn when_slack_opens_no_modal_the_clicker_is_told_and_nothing_is_handed_on() -> TestResult {
    let slack_api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/views.open"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": false, "error": "expired_trigger_id"})),
        )
        .mount(&slack_api)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .and(body_partial_json(json!({"channel": DM})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"ok": true, "channel": DM, "ts": "1700000003.000100", "message": {"text": "x"}}),
        ))
        .expect(1)
        .mount(&slack_api)
        .await;
    let mut harness = Harness::start(&format!("{}/api", slack_api.uri()), Behaviour::default())?;
    open_modal(&mut harness, &slack_api, None).await?;
    for _ in 0..200 {
        let requests = slack_api.received_requests().await.unwrap_or_default();
        if let Some(post) = requests
            .iter()
            .find(|request| request.url.path() == "/api/chat.postMessage")
        {
            let sent: Value = serde_json::from_slice(&post.body)?;
            let text = sent["text"].as_str().unwrap_or_default();
            assert!(text.contains("nothing has changed"), "{text}");
            assert!(harness.no_more_calls().await, "nothing is decided");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err("the clicker was never told".into())
}

#[tokio::test]
async fn a_replayed_click_whose_trigger_opened_a_modal_already_says_nothing() -> TestResult {
    let slack_api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/views.open"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": false, "error": "exchanged_trigger_id"})),
        )
        .mount(&slack_api)
        .await;
    let mut harness = Harness::start(&format!("{}/api", slack_api.uri()), Behaviour::default())?;
    open_modal(&mut harness, &slack_api, None).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let requests = slack_api.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .all(|request| request.url.path() == "/api/views.open"),
        "nothing is posted"
    );
    assert!(harness.no_more_calls().await);
    Ok(())
}

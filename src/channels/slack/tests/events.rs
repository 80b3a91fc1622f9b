//! `POST /slack/events`: signatures, URL verification, which events are handed on, the ledger
//! and the early answer.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::support::*;
use crate::channels::slack::events::strip_mentions;
use crate::domain::chat::{Channel, ChatUser};
use crate::graph::tests::tracing_capture::CapturedLog;

const EVENTS: &str = "/slack/events";

/// An `event_callback` envelope as Slack sends it, around `event`.
fn callback(event_id: &str, event: Value) -> Value {
    json!({
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": APP,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_700_000_000,
        "authorizations": [
            {"enterprise_id": null, "team_id": TEAM, "user_id": BOT_USER, "is_bot": true, "is_enterprise_install": false}
        ],
        "is_ext_shared_channel": false,
        "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ"
    })
}

fn direct_message(text: &str) -> Value {
    json!({
        "type": "message",
        "channel": "D024BE91L",
        "channel_type": "im",
        "user": "U2147483697",
        "text": text,
        "ts": "1700000000.000100",
        "event_ts": "1700000000.000100",
        "client_msg_id": "5f3a1c2e-0000-4000-8000-000000000001"
    })
}

fn mention(text: &str) -> Value {
    json!({
        "type": "app_mention",
        "user": "U2147483697",
        "text": text,
        "ts": "1700000000.000200",
        "channel": "C0LAN2Q65",
        "event_ts": "1700000000.000200"
    })
}

fn with(mut event: Value, key: &str, value: Value) -> Value {
    if let Some(object) = event.as_object_mut() {
        object.insert(key.to_owned(), value);
    }
    event
}

#[tokio::test]
async fn a_signed_direct_message_is_handed_on_with_its_sender_and_place() -> TestResult {
    let mut harness = Harness::quiet()?;
    let body = callback("Ev01", direct_message("I need edit access to Finance")).to_string();
    let (status, _) = harness.send(signed(EVENTS, &body)).await?;
    assert_eq!(status, StatusCode::OK);
    let Some(Inbound::Message(message)) = harness.next_call().await else {
        return Err("the message was not handed on".into());
    };
    assert_eq!(message.id, "Ev01");
    assert_eq!(message.text, "I need edit access to Finance");
    assert_eq!(
        message.sender.user,
        ChatUser {
            channel: Channel::Slack,
            tenant: TEAM.into(),
            id: "U2147483697".into()
        }
    );
    assert_eq!(message.sender.entra, None, "identity is resolved later");
    assert_eq!(message.place.channel, Channel::Slack);
    assert_eq!(message.place.reference, json!({"channel": "D024BE91L"}));
    Ok(())
}

#[tokio::test]
async fn requests_with_a_wrong_signature_or_missing_headers_are_refused_and_not_handled()
-> TestResult {
    let mut harness = Harness::quiet()?;
    let body = callback("Ev02", direct_message("hello")).to_string();
    let timestamp = now().to_string();
    let wrong = "v0=0000000000000000000000000000000000000000000000000000000000000000".to_owned();
    let cases = [
        vec![
            ("x-slack-request-timestamp", timestamp.clone()),
            ("x-slack-signature", wrong),
        ],
        vec![("x-slack-request-timestamp", timestamp.clone())],
        vec![("x-slack-signature", sign(body.as_bytes(), now()))],
        vec![],
    ];
    for headers in cases {
        let (status, _) = harness.send(request_with(EVENTS, &body, &headers)).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "headers {headers:?}");
    }
    assert!(harness.no_more_calls().await);
    Ok(())
}

#[tokio::test]
async fn a_timestamp_six_minutes_old_or_ahead_is_refused() -> TestResult {
    let mut harness = Harness::quiet()?;
    for (offset, event_id) in [(-360, "Ev03"), (360, "Ev04")] {
        let body = callback(event_id, direct_message("hello")).to_string();
        let (status, _) = harness
            .send(signed_at(EVENTS, &body, now() + offset))
            .await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "offset {offset}");
    }
    assert!(harness.no_more_calls().await);
    let body = callback("Ev05", direct_message("hello")).to_string();
    let (status, _) = harness.send(signed_at(EVENTS, &body, now() - 240)).await?;
    assert_eq!(status, StatusCode::OK, "four minutes is within the window");
    Ok(())
}

#[tokio::test]
async fn the_signature_covers_the_raw_bytes_so_reserialised_json_is_refused() -> TestResult {
    let mut harness = Harness::quiet()?;
    let original = serde_json::to_string_pretty(&callback("Ev06", direct_message("hello")))?;
    let timestamp = now();
    let signature = sign(original.as_bytes(), timestamp);
    let reserialised = serde_json::from_str::<Value>(&original)?.to_string();
    assert_ne!(reserialised, original);
    let headers = [
        ("x-slack-request-timestamp", timestamp.to_string()),
        ("x-slack-signature", signature),
    ];
    let (status, _) = harness
        .send(request_with(EVENTS, &reserialised, &headers))
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(harness.no_more_calls().await);
    let (status, _) = harness
        .send(request_with(EVENTS, &original, &headers))
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(matches!(
        harness.next_call().await,
        Some(Inbound::Message(_))
    ));
    Ok(())
}

#[tokio::test]
async fn url_verification_echoes_the_challenge() -> TestResult {
    let harness = Harness::quiet()?;
    let body = json!({
        "token": "legacy-verification-token",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification"
    })
    .to_string();
    let (status, answer) = harness.send(signed(EVENTS, &body)).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&answer)?,
        json!({"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
    );
    let unsigned = request_with(EVENTS, &body, &[]);
    assert_eq!(harness.send(unsigned).await?.0, StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn bot_posts_edits_system_messages_and_doormans_own_words_are_ignored() -> TestResult {
    let mut harness = Harness::quiet()?;
    let dm = direct_message("hello");
    let edited = json!({
        "type": "message", "subtype": "message_changed", "hidden": true,
        "channel": "D024BE91L", "channel_type": "im", "ts": "1700000000.000300",
        "message": {"type": "message", "user": "U2147483697", "text": "hello again", "ts": "1700000000.000100",
                    "edited": {"user": "U2147483697", "ts": "1700000000.000300"}},
        "previous_message": {"type": "message", "user": "U2147483697", "text": "hello", "ts": "1700000000.000100"},
        "event_ts": "1700000000.000300"
    });
    let ignored = [
        with(dm.clone(), "bot_id", json!("B0123")),
        with(
            with(dm.clone(), "subtype", json!("bot_message")),
            "bot_id",
            json!("B0123"),
        ),
        with(dm.clone(), "subtype", json!("me_message")),
        with(
            dm.clone(),
            "subtype",
            json!("a_subtype_slack_invents_later"),
        ),
        with(dm.clone(), "hidden", json!(true)),
        edited,
        with(dm.clone(), "user", json!(BOT_USER)),
        with(dm.clone(), "channel_type", json!("channel")),
        with(mention("<@UBOTDOOR> hi"), "bot_id", json!("B0123")),
        // Fields the mention model leaves out, of any type, are still read.
        with(mention("<@UBOTDOOR> hi"), "bot_id", json!({"id": "B0123"})),
        with(mention("<@UBOTDOOR> hi"), "subtype", json!(5)),
        json!({"type": "reaction_added", "user": "U2147483697", "reaction": "thumbsup",
               "item": {"type": "message", "channel": "C0LAN2Q65", "ts": "1700000000.000100"},
               "event_ts": "1700000000.000400"}),
    ];
    for (index, event) in ignored.into_iter().enumerate() {
        let body = callback(&format!("EvIgnored{index}"), event).to_string();
        let (status, _) = harness.send(signed(EVENTS, &body)).await?;
        assert_eq!(status, StatusCode::OK, "case {index}");
    }
    assert!(harness.no_more_calls().await);
    Ok(())
}

#[tokio::test]
async fn a_null_bot_id_or_subtype_or_a_false_hidden_flag_leaves_a_persons_message() -> TestResult {
    let mut harness = Harness::quiet()?;
    let cases = [
        with(direct_message("hello"), "bot_id", Value::Null),
        with(direct_message("hello"), "subtype", Value::Null),
        with(direct_message("hello"), "hidden", json!(false)),
    ];
    for (index, event) in cases.into_iter().enumerate() {
        let body = callback(&format!("EvPerson{index}"), event).to_string();
        harness.send(signed(EVENTS, &body)).await?;
        let Some(Inbound::Message(message)) = harness.next_call().await else {
            return Err(format!("case {index} was not handed on").into());
        };
        assert_eq!(message.text, "hello", "case {index}");
    }
    Ok(())
}

#[tokio::test]
async fn a_mention_is_handed_on_without_the_mention_and_answered_in_its_thread() -> TestResult {
    let mut harness = Harness::quiet()?;
    let body = callback("Ev07", mention("<@UBOTDOOR> give me Send As on support@")).to_string();
    harness.send(signed(EVENTS, &body)).await?;
    let Some(Inbound::Message(message)) = harness.next_call().await else {
        return Err("the mention was not handed on".into());
    };
    assert_eq!(message.text, "give me Send As on support@");
    assert_eq!(
        message.place.reference,
        json!({"channel": "C0LAN2Q65", "thread_ts": "1700000000.000200"})
    );
    Ok(())
}

#[test]
fn only_doormans_mentions_are_stripped() {
    let cases = [
        ("<@UBOTDOOR> hi", Some(BOT_USER), "hi"),
        ("  <@UBOTDOOR|doorman>   hi ", Some(BOT_USER), "hi"),
        (
            "ask <@UBOTDOOR> for <@U999>",
            Some(BOT_USER),
            "ask  for <@U999>",
        ),
        ("<@U999> hi", Some(BOT_USER), "<@U999> hi"),
        ("<@U999> hi <@U888>", None, "hi <@U888>"),
        ("a < b <@UBOTDOOR", Some(BOT_USER), "a < b <@UBOTDOOR"),
        ("<@UBOTDOOR>", Some(BOT_USER), ""),
    ];
    for (text, bot, expected) in cases {
        assert_eq!(strip_mentions(text, bot), expected, "{text:?}");
    }
}

#[tokio::test]
async fn events_of_another_workspace_or_app_are_acknowledged_and_ignored() -> TestResult {
    let mut harness = Harness::quiet()?;
    let log = CapturedLog::default();
    let guard = tracing::subscriber::set_default(log.clone());
    for round in 0..3 {
        for (key, value) in [("team_id", "T0OTHER"), ("api_app_id", "A0OTHER")] {
            let body = with(
                callback(&format!("Ev{key}{round}"), direct_message("hi")),
                key,
                json!(value),
            );
            let (status, _) = harness.send(signed(EVENTS, &body.to_string())).await?;
            assert_eq!(status, StatusCode::OK);
        }
    }
    drop(guard);
    assert!(harness.no_more_calls().await);
    // A misconfiguration is told once for each workspace and app, not for every event.
    let told = log
        .contents()
        .matches("are ignored: [slack] team_id")
        .count();
    assert_eq!(told, 2, "{}", log.contents());
    Ok(())
}

#[tokio::test]
async fn a_redelivered_event_is_handed_on_once() -> TestResult {
    let mut harness = Harness::quiet()?;
    let body = callback("Ev08", direct_message("hello")).to_string();
    assert_eq!(harness.send(signed(EVENTS, &body)).await?.0, StatusCode::OK);
    assert_eq!(harness.send(signed(EVENTS, &body)).await?.0, StatusCode::OK);
    let mut retry = signed(EVENTS, &body);
    retry
        .headers_mut()
        .insert("x-slack-retry-num", "1".parse()?);
    retry
        .headers_mut()
        .insert("x-slack-retry-reason", "http_timeout".parse()?);
    assert_eq!(harness.send(retry).await?.0, StatusCode::OK);
    assert!(matches!(
        harness.next_call().await,
        Some(Inbound::Message(_))
    ));
    assert!(harness.no_more_calls().await, "one delivery, one call");
    Ok(())
}

#[tokio::test]
async fn slack_is_answered_while_the_handler_is_still_working() -> TestResult {
    let hold = Arc::new(Notify::new());
    let behaviour = Behaviour {
        held: Some(Arc::clone(&hold)),
        answer: None,
    };
    let mut harness = Harness::start("http://127.0.0.1:9/api", behaviour)?;
    let body = callback("Ev09", direct_message("hello")).to_string();
    let (status, _) = harness.send(signed(EVENTS, &body)).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(matches!(
        harness.next_call().await,
        Some(Inbound::Message(_))
    ));
    assert_eq!(
        harness.finished(),
        0,
        "the answer came before the handler finished"
    );
    hold.notify_one();
    for _ in 0..100 {
        if harness.finished() == 1 {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Err("the handler never finished".into())
}

#[tokio::test]
async fn a_signed_body_that_is_not_json_is_a_bad_request() -> TestResult {
    let harness = Harness::quiet()?;
    let (status, _) = harness.send(signed(EVENTS, "not json")).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

/// The bot's own post in an IM as Slack sends it back: its user, `bot_id`, `app_id`, profile
/// and blocks (with a block id Slack generated).
fn own_post() -> Value {
    json!({
        "type": "message", "user": BOT_USER, "bot_id": "B0123", "app_id": APP,
        "bot_profile": {"id": "B0123", "app_id": APP, "name": "Doorman", "deleted": false, "team_id": TEAM},
        "text": "On it", "ts": "1700000000.000500", "team": TEAM,
        "blocks": [{"type": "section", "block_id": "Zx9q", "text": {"type": "mrkdwn", "text": "On it"}},
                   {"type": "actions", "block_id": "a1B2", "elements": [
                       {"type": "button", "action_id": "revoke", "value": "{\"request\":\"R-1\"}",
                        "text": {"type": "plain_text", "text": "Remove"}, "style": "danger"}]}],
        "channel": "D024BE91L", "event_ts": "1700000000.000500", "channel_type": "im"
    })
}

#[tokio::test]
async fn doormans_own_post_coming_back_is_read_and_left_by_its_bot_id() -> TestResult {
    let body = callback("EvOwnPost", own_post());
    // The shape is one slack-morphism reads, so the `bot_id` filter is what leaves it, not
    // the fallback for payloads of an unknown shape.
    serde_json::from_value::<slack_morphism::prelude::SlackPushEvent>(body.clone())?;
    let mut harness = Harness::quiet()?;
    let (status, _) = harness.send(signed(EVENTS, &body.to_string())).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(harness.no_more_calls().await);
    let typed = with(
        direct_message("add me to VPN Users"),
        "blocks",
        json!([{"type": "rich_text", "block_id": "k3Lm", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "add me to VPN Users"}]}]}]),
    );
    let body = callback("EvTyped", typed);
    serde_json::from_value::<slack_morphism::prelude::SlackPushEvent>(body.clone())?;
    harness.send(signed(EVENTS, &body.to_string())).await?;
    assert!(
        matches!(harness.next_call().await, Some(Inbound::Message(_))),
        "a person's message with rich_text blocks is handed on"
    );
    Ok(())
}

//! The Web API client against a fake Slack on loopback (`http://127.0.0.1:PORT/api`): each call
//! reaches `{base}/{method}` with the bot token, `ok: false` is an error, 429 is waited out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::*;
use crate::channels::slack::SlackWeb;
use crate::domain::chat::{
    ButtonStyle, Card, CardButton, Channel, ChatError, ChatPort, ChatUser, Contact, Message, Place,
    SentMessage, Verb,
};

async fn fake_slack() -> Result<(MockServer, Arc<SlackWeb>), Box<dyn std::error::Error>> {
    let server = MockServer::start().await;
    let web = SlackWeb::new(
        &config(&format!("{}/api", server.uri()))?,
        &crate::config::TrustedRoots::default(),
    )?;
    Ok((server, web))
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// Slack's answer to a caller over its rate: 429, `Retry-After` in seconds, an `ok: false` body.
fn rate_limited(seconds: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("retry-after", seconds)
        .set_body_json(json!({"ok": false, "error": "ratelimited"}))
}

fn bearer() -> String {
    format!("Bearer {BOT_TOKEN}")
}

fn direct(channel: &str) -> Place {
    Place {
        channel: Channel::Slack,
        reference: json!({"channel": channel}),
    }
}

fn ana() -> ChatUser {
    ChatUser {
        channel: Channel::Slack,
        tenant: TEAM.into(),
        id: "U2147483697".into(),
    }
}

fn approval_card() -> Card {
    Card {
        title: "Edit access to Finance".into(),
        buttons: vec![CardButton::Execute {
            title: "Approve".into(),
            verb: Verb::Approve,
            data: json!({"request": "R1"}),
            style: ButtonStyle::Positive,
        }],
        ..Card::default()
    }
}

async fn only_request(
    server: &MockServer,
) -> Result<wiremock::Request, Box<dyn std::error::Error>> {
    let mut requests = server.received_requests().await.unwrap_or_default();
    match (requests.pop(), requests.is_empty()) {
        (Some(request), true) => Ok(request),
        _ => Err("expected exactly one request".into()),
    }
}

#[tokio::test]
async fn send_posts_the_message_and_returns_the_channel_and_ts_slack_gives() -> TestResult {
    let (server, web) = fake_slack().await?;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .and(header("authorization", bearer().as_str()))
        .and(body_partial_json(
            json!({"channel": "U2147483697", "text": "Approve this?"}),
        ))
        .respond_with(ok(json!({
            "ok": true, "channel": "D024BE91L", "ts": "1700000000.000700",
            "message": {"type": "message", "text": "Approve this?", "ts": "1700000000.000700"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let message = Message::with_card("Approve this?", approval_card());
    let sent = web.send(&direct("U2147483697"), &message).await?;
    assert_eq!(
        sent,
        SentMessage {
            place: direct("D024BE91L"),
            id: "1700000000.000700".into()
        }
    );
    let body: Value = serde_json::from_slice(&only_request(&server).await?.body)?;
    // Header, the message's text (Slack shows `text` only in notifications), then the buttons.
    assert_eq!(body["blocks"][1]["text"]["text"], "Approve this?");
    assert_eq!(body["blocks"][2]["elements"][0]["action_id"], "approve");
    Ok(())
}

#[tokio::test]
async fn send_into_a_thread_keeps_the_thread() -> TestResult {
    let (server, web) = fake_slack().await?;
    Mock::given(path("/api/chat.postMessage"))
        .and(body_partial_json(
            json!({"channel": "C0LAN2Q65", "thread_ts": "1700000000.000200"}),
        ))
        .respond_with(ok(json!({
            "ok": true, "channel": "C0LAN2Q65", "ts": "1700000000.000800",
            "message": {"text": "On it", "ts": "1700000000.000800"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let thread = Place {
        channel: Channel::Slack,
        reference: json!({"channel": "C0LAN2Q65", "thread_ts": "1700000000.000200"}),
    };
    let sent = web.send(&thread, &Message::text("On it")).await?;
    assert_eq!(sent.place, thread);
    let body: Value = serde_json::from_slice(&only_request(&server).await?.body)?;
    assert_eq!(
        body.get("blocks"),
        None,
        "a message without a card is plain text"
    );
    Ok(())
}

#[tokio::test]
async fn update_replaces_the_message_by_channel_and_ts_and_clears_old_buttons() -> TestResult {
    let (server, web) = fake_slack().await?;
    Mock::given(method("POST"))
        .and(path("/api/chat.update"))
        .and(header("authorization", bearer().as_str()))
        .and(body_partial_json(json!({
            "channel": "D024BE91L", "ts": "1700000000.000700", "text": "Approved by Ana", "blocks": []
        })))
        .respond_with(ok(json!({
            "ok": true, "channel": "D024BE91L", "ts": "1700000000.000700", "message": {"text": "Approved by Ana"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sent = SentMessage {
        place: direct("D024BE91L"),
        id: "1700000000.000700".into(),
    };
    web.update(&sent, &Message::text("Approved by Ana")).await?;
    Ok(())
}

#[tokio::test]
async fn open_direct_opens_the_conversation_with_the_person() -> TestResult {
    let (server, web) = fake_slack().await?;
    Mock::given(method("POST"))
        .and(path("/api/conversations.open"))
        .and(header("authorization", bearer().as_str()))
        .and(body_partial_json(json!({"users": ["U2147483697"]})))
        .respond_with(ok(json!({"ok": true, "channel": {"id": "D069C7QFK"}})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(web.open_direct(&ana()).await?, direct("D069C7QFK"));
    Ok(())
}

#[tokio::test]
async fn contact_reads_name_and_email_from_users_info() -> TestResult {
    let (server, web) = fake_slack().await?;
    Mock::given(method("GET"))
        .and(path("/api/users.info"))
        .and(query_param("user", "U2147483697"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ok(json!({"ok": true, "user": {
            "id": "U2147483697", "team_id": TEAM, "name": "ana", "deleted": false, "real_name": "Ana Ruiz",
            "is_bot": false,
            "profile": {"real_name": "Ana Ruiz", "display_name": "", "email": "ana@contoso.com"}
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let contact = web.contact(&ana()).await?;
    assert_eq!(
        contact,
        Contact {
            display_name: Some("Ana Ruiz".into()),
            email: Some("ana@contoso.com".into())
        }
    );
    Ok(())
}

#[tokio::test]
async fn an_ok_false_answer_is_an_error_naming_slacks_code_and_not_the_token() -> TestResult {
    let (server, web) = fake_slack().await?;
    Mock::given(path("/api/chat.postMessage"))
        .respond_with(ok(json!({"ok": false, "error": "channel_not_found"})))
        .mount(&server)
        .await;
    let Err(error) = web.send(&direct("C404"), &Message::text("hi")).await else {
        return Err("ok: false must be an error".into());
    };
    assert!(matches!(
        error,
        ChatError::Failed {
            channel: Channel::Slack,
            ..
        }
    ));
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("channel_not_found"), "{shown}");
    assert!(!shown.contains(BOT_TOKEN));
    Ok(())
}

#[tokio::test]
async fn a_rate_limited_call_waits_for_retry_after_and_tries_again() -> TestResult {
    let (server, web) = fake_slack().await?;
    Mock::given(path("/api/conversations.open"))
        .respond_with(rate_limited("1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/conversations.open"))
        .respond_with(ok(json!({"ok": true, "channel": {"id": "D069C7QFK"}})))
        .mount(&server)
        .await;
    let started = Instant::now();
    assert_eq!(web.open_direct(&ana()).await?, direct("D069C7QFK"));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retry-after was honoured"
    );
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        2
    );
    Ok(())
}

#[tokio::test]
async fn a_call_still_rate_limited_after_a_few_retries_fails() -> TestResult {
    let (server, web) = fake_slack().await?;
    Mock::given(path("/api/users.info"))
        .respond_with(rate_limited("0"))
        .mount(&server)
        .await;
    assert!(web.contact(&ana()).await.is_err());
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        4
    );
    Ok(())
}

#[tokio::test]
async fn typing_sends_nothing_because_slack_bots_have_no_typing_indicator() -> TestResult {
    let (server, web) = fake_slack().await?;
    web.typing(&direct("D024BE91L")).await?;
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn places_and_people_of_another_channel_are_refused_without_a_call() -> TestResult {
    let (server, web) = fake_slack().await?;
    let teams_place = Place {
        channel: Channel::Teams,
        reference: json!({"channel": "D024BE91L"}),
    };
    assert!(web.send(&teams_place, &Message::text("hi")).await.is_err());
    let teams_person = ChatUser {
        channel: Channel::Teams,
        ..ana()
    };
    assert!(web.open_direct(&teams_person).await.is_err());
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    Ok(())
}

#[test]
fn debug_output_shows_no_secret() -> TestResult {
    let harness = Harness::quiet()?;
    // The adapter's output includes its Web API client's.
    let shown = format!("{:?}", harness.slack);
    assert!(shown.contains("SlackWeb"), "{shown}");
    assert!(!shown.contains(BOT_TOKEN), "{shown}");
    assert!(!shown.contains(SIGNING_SECRET), "{shown}");
    Ok(())
}

//! Slack sends a bot's own IM posts back to it as message events with `bot_id`, and a person's
//! message event carries the `rich_text` blocks Slack's clients add. Doorman leaves its own posts
//! be: no reply to itself, no loop.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::app::TestApp;
use crate::sim_chat::fake_bot::sim_with_bot;
use crate::sim_chat::slack_api::{slack_call, slack_config};

#[tokio::test]
async fn a_post_in_an_im_comes_back_to_the_bot_as_a_signed_message_event_with_its_bot_id() {
    let (sim, bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "On it"}}]);
    let posted = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.postMessage",
        json!({"channel": "U04TOM", "text": "On it", "blocks": blocks}),
    )
    .await;
    assert_eq!(posted["ok"], true, "{posted}");
    let mut events = Vec::new();
    for _ in 0..50 {
        events = bot.received("/slack/events");
        if !events.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(events.len(), 1, "the post comes back once");
    assert!(events[0].header("x-slack-signature").is_some(), "signed");
    let envelope = events[0].json();
    let event = &envelope["event"];
    assert_eq!(envelope["type"], "event_callback");
    assert_eq!(event["type"], "message");
    assert_eq!(event["bot_id"], "B0DOORMAN");
    assert_eq!(event["user"], "U0DOORMAN");
    assert_eq!(event["channel_type"], "im");
    assert_eq!(event["channel"], posted["channel"]);
    assert_eq!(event["ts"], posted["ts"]);
    assert_eq!(event["text"], "On it");
    assert_eq!(event["blocks"], posted["message"]["blocks"]);
    let updated = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.update",
        json!({"channel": posted["channel"], "ts": posted["ts"], "text": "Done"}),
    )
    .await;
    assert_eq!(updated["ok"], true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        bot.received("/slack/events").len(),
        1,
        "an update is not a new post"
    );
}

#[tokio::test]
async fn a_persons_message_event_carries_its_text_as_rich_text_blocks() {
    let (sim, bot) = sim_with_bot().await;
    sim.control(
        Method::POST,
        "slack/message",
        Some(json!({"user": "U04TOM", "text": "add me to VPN Users"})),
    )
    .await;
    let event = bot.only("/slack/events").json()["event"].clone();
    let block = &event["blocks"][0];
    assert_eq!(block["type"], "rich_text");
    assert!(block["block_id"].is_string());
    assert_eq!(
        block["elements"][0]["elements"][0],
        json!({"type": "text", "text": "add me to VPN Users"})
    );
}

/// What the sim delivered to the bot (`GET /_sim/slack/log`).
async fn delivered(app: &TestApp) -> Vec<Value> {
    app.sim
        .control(Method::GET, "slack/log", None)
        .await
        .body
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn doorman_receives_its_own_posts_back_and_does_not_answer_them() {
    let app = TestApp::spawn().await;
    app.slack("U04TOM", "help").await;
    let replies = app.more_than(0, || app.slack_seen("U04TOM")).await;
    let mut own = Vec::new();
    for _ in 0..50 {
        own = delivered(&app)
            .await
            .into_iter()
            .filter(|entry| entry["bot_id"] == "B0DOORMAN")
            .collect();
        if own.len() >= replies.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        own.len() >= replies.len(),
        "each post came back to Doorman: {own:?}"
    );
    assert!(
        own.iter().all(|entry| entry["status"] == 200),
        "Doorman acknowledged them: {own:?}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = app.slack_seen("U04TOM").await;
    assert_eq!(
        after.len(),
        replies.len(),
        "Doorman did not answer its own posts: {after:?}"
    );
    let from_people = delivered(&app)
        .await
        .into_iter()
        .filter(|entry| entry["path"] == "/slack/events" && entry["bot_id"].is_null())
        .count();
    assert_eq!(from_people, 1, "only Tom's message came from a person");
}

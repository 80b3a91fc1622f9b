//! Slack refuses invalid Block Kit: `chat.postMessage` and `chat.update` answer
//! `invalid_blocks` with the problems in `response_metadata.messages`, `views.open` answers
//! `invalid_arguments` the same way, and nothing of a refused message reaches the DM. Blocks
//! that came without an id are given one.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestSim;
use crate::sim_chat::fake_bot::sim_with_bot;
use crate::sim_chat::slack_api::{slack_call, slack_config};

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text})
}

fn actions(elements: Value) -> Value {
    json!([{"type": "actions", "elements": elements}])
}

/// What Slack refuses, and the JSON pointer its message names.
fn invalid() -> Vec<(&'static str, Value, &'static str)> {
    let section = json!({"type": "section", "text": plain("x")});
    vec![
        (
            "51 blocks",
            Value::Array(vec![section; 51]),
            "[json-pointer:/blocks]",
        ),
        (
            "a 3,001-character section",
            json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}}]),
            "[json-pointer:/blocks/0/text/text]",
        ),
        (
            "an unknown block type",
            json!([{"type": "nonsense"}]),
            "[json-pointer:/blocks/0/type]",
        ),
        (
            "a 76-character button",
            actions(json!([{"type": "button", "action_id": "a", "text": plain(&"y".repeat(76))}])),
            "[json-pointer:/blocks/0/elements/0/text/text]",
        ),
        (
            "a button without text",
            actions(json!([{"type": "button", "action_id": "a"}])),
            "[json-pointer:/blocks/0/elements/0]",
        ),
        (
            "two elements with the same action_id",
            actions(json!([
                {"type": "button", "action_id": "a", "text": plain("One")},
                {"type": "button", "action_id": "a", "text": plain("Two")}
            ])),
            "[json-pointer:/blocks/0/elements/1/action_id]",
        ),
        (
            "mrkdwn in a button",
            actions(
                json!([{"type": "button", "action_id": "a", "text": {"type": "mrkdwn", "text": "*Go*"}}]),
            ),
            "[json-pointer:/blocks/0/elements/0/text/type]",
        ),
    ]
}

fn names(answer: &Value, pointer: &str) -> bool {
    answer["response_metadata"]["messages"]
        .as_array()
        .is_some_and(|messages| {
            messages.iter().any(|message| {
                message.as_str().is_some_and(|message| {
                    message.starts_with("[ERROR] ") && message.ends_with(pointer)
                })
            })
        })
}

async fn dm(sim: &TestSim) -> Vec<Value> {
    sim.control(Method::GET, "slack/messages?user=U04TOM", None)
        .await
        .body
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn chat_post_message_refuses_what_slacks_block_kit_limits_refuse() {
    let (sim, _bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    for (what, blocks, pointer) in invalid() {
        let args = json!({"channel": "U04TOM", "text": "t", "blocks": blocks});
        let answer = slack_call(&sim, &config, Method::POST, "chat.postMessage", args).await;
        assert_eq!(answer["ok"], false, "{what}: {answer}");
        assert_eq!(answer["error"], "invalid_blocks", "{what}: {answer}");
        assert!(names(&answer, pointer), "{what}: {answer}");
    }
    assert!(dm(&sim).await.is_empty(), "nothing refused was posted");
}

#[tokio::test]
async fn chat_update_refuses_them_too_and_keeps_the_message_as_it_was() {
    let (sim, _bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    let posted = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.postMessage",
        json!({"channel": "U04TOM", "text": "hello", "blocks": [{"type": "section", "text": plain("hello")}]}),
    )
    .await;
    assert_eq!(posted["ok"], true, "{posted}");
    let block_id = posted["message"]["blocks"][0]["block_id"].clone();
    assert!(
        block_id.as_str().is_some_and(|id| !id.is_empty()),
        "Slack names a block that came without an id: {posted}"
    );
    for (what, blocks, pointer) in invalid() {
        let args = json!({"channel": posted["channel"], "ts": posted["ts"], "text": "t", "blocks": blocks});
        let answer = slack_call(&sim, &config, Method::POST, "chat.update", args).await;
        assert_eq!(answer["error"], "invalid_blocks", "{what}: {answer}");
        assert!(names(&answer, pointer), "{what}: {answer}");
    }
    let shown = dm(&sim).await;
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["text"], "hello");
    assert_eq!(shown[0]["blocks"][0]["block_id"], block_id);
}

#[tokio::test]
async fn views_open_refuses_a_modal_whose_blocks_break_the_limits() {
    let (sim, bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    let posted = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.postMessage",
        json!({"channel": "U04TOM", "text": "t", "blocks": actions(json!([{"type": "button", "action_id": "deny", "text": plain("Deny"), "value": "{}"}]))}),
    )
    .await;
    let mut triggers = Vec::new();
    for _ in 0..2 {
        sim.control(
            Method::POST,
            "slack/action",
            Some(json!({"user": "U04TOM", "message_ts": posted["ts"], "action_id": "deny"})),
        )
        .await;
        let clicks = bot.received("/slack/interactions");
        let payload = url::form_urlencoded::parse(&clicks[clicks.len() - 1].body)
            .find(|(key, _)| key == "payload")
            .map(|(_, value)| value.into_owned())
            .expect("a payload");
        let payload: Value = serde_json::from_str(&payload).expect("JSON");
        triggers.push(payload["trigger_id"].clone());
    }
    let modal = |blocks: Value| json!({"type": "modal", "title": plain("Deny"), "submit": plain("Deny"), "blocks": blocks});
    let too_many = Value::Array(vec![json!({"type": "divider"}); 101]);
    let refused = slack_call(
        &sim,
        &config,
        Method::POST,
        "views.open",
        json!({"trigger_id": triggers[0], "view": modal(too_many)}),
    )
    .await;
    assert_eq!(refused["error"], "invalid_arguments", "{refused}");
    assert!(names(&refused, "[json-pointer:/view/blocks]"), "{refused}");
    let input = json!([{"type": "input", "block_id": "reason", "label": plain("Why?"),
        "element": {"type": "plain_text_input", "action_id": "reason_input"}}]);
    let opened = slack_call(
        &sim,
        &config,
        Method::POST,
        "views.open",
        json!({"trigger_id": triggers[1], "view": modal(input)}),
    )
    .await;
    assert_eq!(opened["ok"], true, "{opened}");
}

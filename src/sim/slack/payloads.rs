//! What Slack sends an app, built as Slack builds it (reference/chat-protocols.md B1-B3): an
//! Events API `event_callback` for a DM (a person's message, with the `rich_text` blocks Slack's
//! clients add, or the bot's own post coming back), a `block_actions` interaction for a button click, a
//! `view_submission` for a submitted modal, and the request signature over the raw body.

use aws_lc_rs::hmac;
use serde_json::{Map, Value, json};

use super::records::Message;
use super::{APP_ID, BOT_ID, BOT_USER_ID, SlackState, SlackUser};

/// `v0=` and the hex HMAC-SHA256 of `v0:{timestamp}:{body}` under the signing secret.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut context = hmac::Context::with_key(&key);
    context.update(format!("v0:{timestamp}:").as_bytes());
    context.update(body);
    format!("v0={}", hex::encode(context.sign().as_ref()))
}

/// A fresh event id: `Ev` and ten uppercase alphanumerics.
pub fn event_id() -> String {
    format!("Ev{}", hex::encode_upper(rand::random::<[u8; 5]>()))
}

/// What a person typed, in their DM with the bot or in a channel, before it is an event.
pub struct Typed<'a> {
    pub event_id: &'a str,
    pub user: &'a SlackUser,
    pub channel: &'a str,
    pub text: &'a str,
    pub ts: &'a str,
}

/// A person's message in their IM with the bot: a `message` event of `channel_type` `im`.
pub fn event_callback(slack: &SlackState, message: &Typed<'_>) -> Value {
    let event = json!({
        "type": "message",
        "client_msg_id": uuid::Uuid::new_v4().to_string(),
        "user": message.user.id,
        "text": message.text,
        "blocks": typed_blocks(message.text),
        "ts": message.ts,
        "team": slack.team_id,
        "channel": message.channel,
        "event_ts": message.ts,
        "channel_type": "im",
    });
    envelope(slack, message.event_id, message.ts, event)
}

/// A person's post in a channel that @mentions the bot: Slack sends it as `app_mention`, the
/// mention in the text as `<@bot user id>` (and no `channel_type`, which only `message` events
/// carry).
pub fn mention_callback(slack: &SlackState, message: &Typed<'_>) -> Value {
    let text = format!("<@{BOT_USER_ID}> {}", message.text);
    let event = json!({
        "type": "app_mention",
        "client_msg_id": uuid::Uuid::new_v4().to_string(),
        "user": message.user.id,
        "text": text,
        "blocks": typed_blocks(&text),
        "ts": message.ts,
        "team": slack.team_id,
        "channel": message.channel,
        "event_ts": message.ts,
    });
    envelope(slack, message.event_id, message.ts, event)
}

/// The bot's own post in an IM, as Slack sends it back to the app (DESIGN.md section 8): the
/// bot's user id with its `bot_id`, `app_id` and profile, the text and blocks as posted. A
/// bot must recognise its own posts by `bot_id` and leave them be, or it talks to itself.
pub fn bot_post_callback(
    slack: &SlackState,
    event_id: &str,
    channel: &str,
    message: &Message,
) -> Value {
    let event = json!({
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "bot_profile": {
            "id": BOT_ID,
            "app_id": APP_ID,
            "name": "Doorman",
            "deleted": false,
            "team_id": slack.team_id,
        },
        "text": message.text,
        "blocks": message.blocks,
        "ts": message.ts,
        "team": slack.team_id,
        "channel": channel,
        "event_ts": message.ts,
        "channel_type": "im",
    });
    envelope(slack, event_id, &message.ts, event)
}

/// What a person's typed message carries as blocks: one `rich_text` section of the text, as
/// Slack's clients send it.
fn typed_blocks(text: &str) -> Value {
    json!([{
        "type": "rich_text",
        "block_id": crate::sim::login::random_token(4),
        "elements": [{
            "type": "rich_text_section",
            "elements": [{"type": "text", "text": text}],
        }],
    }])
}

/// The Events API's `event_callback` around one event that happened at `ts`.
fn envelope(slack: &SlackState, event_id: &str, ts: &str, event: Value) -> Value {
    let event_time = ts
        .split('.')
        .next()
        .and_then(|seconds| seconds.parse::<i64>().ok())
        .unwrap_or_default();
    json!({
        "token": slack.verification_token,
        "team_id": slack.team_id,
        "context_team_id": slack.team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [{
            "enterprise_id": null,
            "team_id": slack.team_id,
            "user_id": BOT_USER_ID,
            "is_bot": true,
            "is_enterprise_install": false,
        }],
        "is_ext_shared_channel": false,
        "event_context": format!("4-{}", crate::sim::login::random_token(24)),
    })
}

/// A click on a button of a message the bot posted in someone's DM.
pub struct Click<'a> {
    pub user: &'a SlackUser,
    pub channel: &'a str,
    pub message: &'a Message,
    pub action_id: &'a str,
    /// The button's value: the one the test gave, else the one on the button.
    pub value: Option<Value>,
    /// What the person typed or picked in the message's inputs, as `state.values`.
    pub state: Map<String, Value>,
    pub trigger_id: &'a str,
    pub response_url: &'a str,
    pub action_ts: &'a str,
}

pub fn block_actions(slack: &SlackState, click: Click<'_>) -> Value {
    let element = find_element(&click.message.blocks, click.action_id);
    let block_id = element
        .as_ref()
        .map(|(block_id, _)| block_id.clone())
        .unwrap_or_else(|| click.action_id.to_owned());
    let button = element.map(|(_, element)| element).unwrap_or_default();
    let mut action = json!({
        "action_id": click.action_id,
        "block_id": block_id,
        "type": button.get("type").cloned().unwrap_or_else(|| json!("button")),
        "action_ts": click.action_ts,
    });
    if let Some(text) = button.get("text") {
        action["text"] = text.clone();
    }
    if let Some(value) = click.value.or_else(|| button.get("value").cloned()) {
        action["value"] = value;
    }
    json!({
        "type": "block_actions",
        "user": {
            "id": click.user.id,
            "username": click.user.name,
            "name": click.user.name,
            "team_id": slack.team_id,
        },
        "api_app_id": APP_ID,
        "token": slack.verification_token,
        "container": {
            "type": "message",
            "message_ts": click.message.ts,
            "channel_id": click.channel,
            "is_ephemeral": false,
        },
        "trigger_id": click.trigger_id,
        "team": {"id": slack.team_id, "domain": slack.team_domain},
        "enterprise": null,
        "is_enterprise_install": false,
        "channel": {"id": click.channel, "name": "directmessage"},
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": slack.team_id,
            "ts": click.message.ts,
            "text": click.message.text,
            "blocks": click.message.blocks,
        },
        "state": {"values": click.state},
        "response_url": click.response_url,
        "actions": [action],
    })
}

/// A modal someone submitted, with what they typed.
pub struct Submission<'a> {
    pub user: &'a SlackUser,
    /// The view as Slack keeps it, `id`, `hash` and all.
    pub view: &'a Value,
    /// The view's `state.values`, from [`view_state`].
    pub state: Map<String, Value>,
    pub trigger_id: &'a str,
}

pub fn view_submission(slack: &SlackState, submission: Submission<'_>) -> Value {
    let mut view = submission.view.clone();
    view["state"] = json!({"values": submission.state});
    json!({
        "type": "view_submission",
        "team": {"id": slack.team_id, "domain": slack.team_domain},
        "user": {
            "id": submission.user.id,
            "username": submission.user.name,
            "name": submission.user.name,
            "team_id": slack.team_id,
        },
        "api_app_id": APP_ID,
        "token": slack.verification_token,
        "trigger_id": submission.trigger_id,
        "view": view,
        "response_urls": [],
        "is_enterprise_install": false,
        "enterprise": null,
    })
}

/// Why what a test typed does not fit a view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the view has no input with action_id {0}")]
pub struct NoSuchInput(pub String);

/// A view's `state.values` once someone typed `values` (`{action_id: text}`) into its `input`
/// blocks: every input block is there, under its `block_id` and its element's `action_id`,
/// with `value: null` where nothing was typed, as Slack sends it.
pub fn view_state(
    blocks: &Value,
    values: &Map<String, Value>,
) -> Result<Map<String, Value>, NoSuchInput> {
    let mut state = Map::new();
    let mut used = 0;
    for block in blocks.as_array().into_iter().flatten() {
        if block["type"] != "input" {
            continue;
        }
        let (Some(block_id), Some(action_id)) = (
            block["block_id"].as_str(),
            block["element"]["action_id"].as_str(),
        ) else {
            continue;
        };
        let kind = block["element"]["type"].clone();
        let entry = match values.get(action_id) {
            Some(Value::Object(fields)) => {
                let mut entry = fields.clone();
                entry.entry("type").or_insert(kind);
                Value::Object(entry)
            }
            Some(given) => json!({"type": kind, "value": given}),
            None => json!({"type": kind, "value": null}),
        };
        used += usize::from(values.contains_key(action_id));
        let mut element = Map::new();
        element.insert(action_id.to_owned(), entry);
        state.insert(block_id.to_owned(), Value::Object(element));
    }
    if used < values.len() {
        let known: Vec<&str> = state
            .values()
            .filter_map(Value::as_object)
            .flat_map(|element| element.keys().map(String::as_str))
            .collect();
        let unknown = values
            .keys()
            .find(|action_id| !known.contains(&action_id.as_str()))
            .cloned()
            .unwrap_or_default();
        return Err(NoSuchInput(unknown));
    }
    Ok(state)
}

/// `state.values` for typed inputs given as `{action_id: value}`: each is filed under the
/// block holding the element with that action id, with the element's type.
pub fn state_values(blocks: &Value, inputs: &Map<String, Value>) -> Map<String, Value> {
    let mut values = Map::new();
    for (action_id, given) in inputs {
        let (block_id, element) =
            find_element(blocks, action_id).unwrap_or_else(|| (action_id.clone(), Map::new()));
        let kind = element
            .get("type")
            .cloned()
            .unwrap_or_else(|| json!("plain_text_input"));
        let entry = match given {
            Value::Object(fields) => {
                let mut entry = fields.clone();
                entry.entry("type").or_insert(kind);
                Value::Object(entry)
            }
            other => json!({"type": kind, "value": other}),
        };
        let block = values
            .entry(block_id)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(block) = block.as_object_mut() {
            block.insert(action_id.clone(), entry);
        }
    }
    values
}

/// Whether a message's blocks hold an interactive element with this `action_id`.
pub fn has_element(blocks: &Value, action_id: &str) -> bool {
    find_element(blocks, action_id).is_some()
}

/// The interactive element with this `action_id` in a message's blocks, with its block's id:
/// in an `actions` block's `elements`, a section's `accessory`, or an `input` block's `element`.
fn find_element(blocks: &Value, action_id: &str) -> Option<(String, Map<String, Value>)> {
    blocks.as_array()?.iter().find_map(|block| {
        let elements = block
            .get("elements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(block.get("accessory"))
            .chain(block.get("element"));
        let found = elements
            .filter_map(Value::as_object)
            .find(|element| element.get("action_id").and_then(Value::as_str) == Some(action_id))?;
        let block_id = block
            .get("block_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| action_id.to_owned());
        Some((block_id, found.clone()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_slacks_documented_example() {
        // From Slack's "Verifying requests from Slack" walkthrough.
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(
            signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }

    #[test]
    fn a_views_state_holds_every_input_and_refuses_unknown_ones() {
        let blocks = json!([
            {"type": "section", "text": {"type": "mrkdwn", "text": "Deny?"}},
            {"type": "input", "block_id": "deny_reason", "label": {"type": "plain_text", "text": "Reason"},
             "element": {"type": "plain_text_input", "action_id": "deny_reason"}},
            {"type": "input", "block_id": "b2", "label": {"type": "plain_text", "text": "Note"},
             "element": {"type": "plain_text_input", "action_id": "note"}},
        ]);
        let mut typed = Map::new();
        typed.insert("deny_reason".into(), json!("not now"));
        let state = view_state(&blocks, &typed).expect("fits");
        assert_eq!(
            Value::Object(state),
            json!({
                "deny_reason": {"deny_reason": {"type": "plain_text_input", "value": "not now"}},
                "b2": {"note": {"type": "plain_text_input", "value": null}},
            })
        );
        typed.insert("nope".into(), json!("x"));
        assert_eq!(view_state(&blocks, &typed), Err(NoSuchInput("nope".into())));
    }

    #[test]
    fn inputs_are_filed_under_their_blocks() {
        let blocks = json!([
            {"type": "input", "block_id": "reason", "element": {"type": "plain_text_input", "action_id": "reason_input"}},
            {"type": "actions", "block_id": "decide", "elements": [{"type": "button", "action_id": "deny", "value": "r1"}]},
        ]);
        let mut inputs = Map::new();
        inputs.insert("reason_input".into(), json!("not now"));
        let values = state_values(&blocks, &inputs);
        assert_eq!(
            values["reason"]["reason_input"],
            json!({"type": "plain_text_input", "value": "not now"})
        );
        let (block, button) = find_element(&blocks, "deny").expect("found");
        assert_eq!(block, "decide");
        assert_eq!(button["value"], "r1");
    }
}

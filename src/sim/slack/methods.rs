//! The Web API methods the simulator serves, with Slack's arguments, answers and error words
//! (reference/chat-protocols.md B4): `auth.test`, `chat.postMessage`, `chat.update`,
//! `conversations.open`, `users.info`, `users.lookupByEmail`, `views.open` (a modal within
//! Slack's limits, else `invalid_arguments`).
//!
//! Each is a plain function from the call's arguments to Slack's answer; the token has been
//! checked already. Only DMs with the bot exist: a channel is a `D…` id from
//! `conversations.open`. `chat.postMessage` also takes a user id (Slack posts to the app's DM
//! with them); `chat.update` and `conversations.open`'s `channel` do not, and answer
//! `channel_not_found` for one, as Slack does (`conversations.open` takes people as `users`).

use serde_json::{Map, Value, json};

use super::records::{Message, OpenedView};
use super::web_api::{Args, failure, structured, text};
use super::{APP_ID, BOT_ID, BOT_USER_ID, SlackUser};
use crate::sim::SimState;

pub fn auth_test(sim: &SimState, _args: &Args) -> Value {
    let slack = &sim.slack;
    json!({
        "ok": true,
        "url": format!("https://{}.slack.com/", slack.team_domain),
        "team": slack.team_name,
        "user": "doorman",
        "team_id": slack.team_id,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "is_enterprise_install": false,
    })
}

/// The person whose DM with the bot `channel` names: a `D…` id or, for `chat.postMessage`
/// only, their user id.
fn dm_partner(sim: &SimState, channel: &str) -> Option<SlackUser> {
    if channel.starts_with('D') {
        sim.slack_user_by_dm(channel)
    } else {
        sim.slack_user_by_id(channel)
    }
}

/// The `text` and `blocks` of a message call; `Err` carries Slack's error word.
fn content(args: &Args) -> Result<(Option<String>, Option<Value>), &'static str> {
    let blocks = match structured(args, "blocks") {
        Ok(None) => None,
        Ok(Some(Value::Array(blocks))) => Some(Value::Array(blocks)),
        Ok(Some(_)) | Err(_) => return Err("invalid_blocks"),
    };
    let text = text(args, "text").map(str::to_owned);
    if text.is_none() && blocks.is_none() {
        return Err("no_text");
    }
    Ok((text, blocks))
}

/// A message as Slack's answers show one the bot posted.
fn shown(sim: &SimState, message: &Message) -> Value {
    json!({
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": sim.slack.team_id,
        "ts": message.ts,
        "text": message.text,
        "blocks": message.blocks,
    })
}

pub fn chat_post_message(sim: &SimState, args: &Args) -> Value {
    let Some(partner) = text(args, "channel").and_then(|channel| dm_partner(sim, channel)) else {
        return failure("channel_not_found");
    };
    let (text, blocks) = match content(args) {
        Ok(content) => content,
        Err(error) => return failure(error),
    };
    let channel = sim.slack.dm_id(&partner.id);
    let message = {
        let mut records = sim.slack.records();
        let message = Message {
            ts: records.next_ts(),
            text: text.unwrap_or_default(),
            blocks: blocks.unwrap_or_else(|| json!([])),
        };
        records.post(&channel, message.clone());
        message
    };
    json!({
        "ok": true,
        "channel": channel,
        "ts": message.ts,
        "message": shown(sim, &message),
    })
}

pub fn chat_update(sim: &SimState, args: &Args) -> Value {
    let Some(partner) = text(args, "channel").and_then(|channel| sim.slack_user_by_dm(channel))
    else {
        return failure("channel_not_found");
    };
    let Some(ts) = text(args, "ts") else {
        return failure("message_not_found");
    };
    let (text, blocks) = match content(args) {
        Ok(content) => content,
        Err(error) => return failure(error),
    };
    let channel = sim.slack.dm_id(&partner.id);
    let updated = sim.slack.records().update(&channel, ts, text, blocks);
    match updated {
        Some(message) => json!({
            "ok": true,
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": shown(sim, &message),
        }),
        None => failure("message_not_found"),
    }
}

pub fn conversations_open(sim: &SimState, args: &Args) -> Value {
    if let Some(channel) = text(args, "channel") {
        // `channel` resumes a conversation by its id; a person is named in `users`.
        return match sim.slack_user_by_dm(channel) {
            Some(partner) => json!({"ok": true, "channel": {"id": sim.slack.dm_id(&partner.id)}}),
            None => failure("channel_not_found"),
        };
    }
    let users: Vec<String> = match args.get("users") {
        Some(Value::String(list)) => list
            .split(',')
            .map(str::trim)
            .filter(|user| !user.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    match users.as_slice() {
        [] => failure("users_list_not_supplied"),
        [user] => match sim.slack_user_by_id(user) {
            Some(partner) if partner.deleted => failure("user_disabled"),
            Some(partner) => json!({"ok": true, "channel": {"id": sim.slack.dm_id(&partner.id)}}),
            None => failure("user_not_found"),
        },
        // Group DMs are not part of Doorman's conversations, so the simulator has none.
        _ => json!({
            "ok": false,
            "error": "not_supported",
            "detail": "the simulator opens DMs with one person only",
        }),
    }
}

/// A user object as `users.info` and `users.lookupByEmail` return it.
fn user_object(sim: &SimState, user: &SlackUser) -> Value {
    json!({
        "id": user.id,
        "team_id": sim.slack.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": "Etc/UTC",
        "is_admin": false,
        "is_owner": false,
        "is_bot": false,
        "is_app_user": false,
        "profile": {
            "email": user.email,
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.real_name,
            "display_name_normalized": user.real_name,
            "team": sim.slack.team_id,
        },
    })
}

/// The bot's own user object: Slack answers `users.info` for it too.
fn bot_user_object(sim: &SimState) -> Value {
    json!({
        "id": BOT_USER_ID,
        "team_id": sim.slack.team_id,
        "name": "doorman",
        "deleted": false,
        "real_name": "Doorman",
        "is_bot": true,
        "is_app_user": false,
        "profile": {
            "bot_id": BOT_ID,
            "real_name": "Doorman",
            "display_name": "Doorman",
            "team": sim.slack.team_id,
        },
    })
}

pub fn users_info(sim: &SimState, args: &Args) -> Value {
    let Some(id) = text(args, "user") else {
        return failure("user_not_found");
    };
    if id == BOT_USER_ID {
        return json!({"ok": true, "user": bot_user_object(sim)});
    }
    match sim.slack_user_by_id(id) {
        Some(user) => json!({"ok": true, "user": user_object(sim, &user)}),
        None => failure("user_not_found"),
    }
}

pub fn users_lookup_by_email(sim: &SimState, args: &Args) -> Value {
    let found = text(args, "email").and_then(|email| sim.slack_user_by_email(email));
    match found {
        Some(user) => json!({"ok": true, "user": user_object(sim, &user)}),
        None => failure("users_not_found"),
    }
}

// Slack's limits on a modal view (the `view` of `views.open`).
const VIEW_TITLE_MAX: usize = 24;
const VIEW_BUTTON_MAX: usize = 24;
const CALLBACK_ID_MAX: usize = 255;
const PRIVATE_METADATA_MAX: usize = 3000;
const VIEW_BLOCKS_MAX: usize = 100;
const INPUT_LABEL_MAX: usize = 2000;

/// A `plain_text` object of at most `max` characters, not blank.
fn plain_text_within(text: Option<&Value>, max: usize) -> bool {
    text.is_some_and(|text| {
        text["type"] == "plain_text"
            && text["text"]
                .as_str()
                .is_some_and(|text| !text.trim().is_empty() && text.chars().count() <= max)
    })
}

/// Whether a modal view is one Slack opens: `type: modal`, a title, blocks, and Slack's limits
/// on the texts, `callback_id` and `private_metadata`. A view with an `input` block needs a
/// `submit` button, and every `input` block a label and an element.
fn is_openable_modal(view: &Map<String, Value>) -> bool {
    let within = |name: &str, max: usize| match view.get(name) {
        None | Some(Value::Null) => true,
        Some(Value::String(text)) => text.chars().count() <= max,
        Some(_) => false,
    };
    let Some(blocks) = view.get("blocks").and_then(Value::as_array) else {
        return false;
    };
    let has_input = blocks.iter().any(|block| block["type"] == "input");
    let inputs_whole = blocks
        .iter()
        .filter(|block| block["type"] == "input")
        .all(|block| {
            plain_text_within(block.get("label"), INPUT_LABEL_MAX) && block["element"].is_object()
        });
    let button = |name: &str| match view.get(name) {
        None => true,
        given => plain_text_within(given, VIEW_BUTTON_MAX),
    };
    view.get("type").and_then(Value::as_str) == Some("modal")
        && plain_text_within(view.get("title"), VIEW_TITLE_MAX)
        && blocks.len() <= VIEW_BLOCKS_MAX
        && inputs_whole
        && (!has_input || view.contains_key("submit"))
        && button("submit")
        && button("close")
        && within("callback_id", CALLBACK_ID_MAX)
        && within("private_metadata", PRIVATE_METADATA_MAX)
}

/// Slack names blocks and elements that came without an id.
fn name_unnamed(blocks: &mut Value) {
    for block in blocks.as_array_mut().into_iter().flatten() {
        if block.get("block_id").is_none() {
            block["block_id"] = json!(random_id());
        }
        if let Some(element) = block
            .get_mut("element")
            .filter(|element| element.is_object())
        {
            if element.get("action_id").is_none() {
                element["action_id"] = json!(random_id());
            }
        }
    }
}

fn random_id() -> String {
    crate::sim::login::random_token(5)
}

pub fn views_open(sim: &SimState, args: &Args) -> Value {
    let Some(trigger_id) = text(args, "trigger_id") else {
        return failure("invalid_arguments");
    };
    let view = match structured(args, "view") {
        Ok(Some(Value::Object(view))) => view,
        _ => return failure("invalid_arguments"),
    };
    if !is_openable_modal(&view) {
        return failure("invalid_arguments");
    }
    let id = format!("V{}", hex::encode_upper(rand::random::<[u8; 5]>()));
    let mut opened = json!({
        "private_metadata": "",
        "callback_id": "",
        "external_id": "",
        "clear_on_close": false,
        "notify_on_close": false,
        "close": null,
        "submit": null,
    });
    for (name, value) in view {
        opened[name] = value;
    }
    name_unnamed(&mut opened["blocks"]);
    opened["id"] = json!(id);
    opened["team_id"] = json!(sim.slack.team_id);
    opened["app_id"] = json!(APP_ID);
    opened["app_installed_team_id"] = json!(sim.slack.team_id);
    opened["bot_id"] = json!(BOT_ID);
    opened["state"] = json!({"values": {}});
    opened["hash"] = json!(view_hash());
    opened["previous_view_id"] = Value::Null;
    opened["root_view_id"] = json!(id);
    {
        let mut records = sim.slack.records();
        let user = match records.redeem_trigger(trigger_id) {
            Ok(user) => user,
            Err(error) => return failure(&error.to_string()),
        };
        records.open_view(OpenedView {
            id,
            user,
            view: opened.clone(),
            closed: false,
            submission: None,
        });
    }
    json!({"ok": true, "view": opened})
}

/// A view's `hash`, in Slack's `seconds.hex` shape: it changes whenever the view does.
fn view_hash() -> String {
    format!(
        "{}.{}",
        chrono::Utc::now().timestamp(),
        hex::encode(rand::random::<[u8; 4]>())
    )
}

//! The Web API methods the simulator serves, with Slack's arguments, answers and error words
//! (reference/chat-protocols.md B4): `auth.test`, `chat.postMessage`, `chat.update`,
//! `conversations.open`, `users.info`, `users.lookupByEmail`, and `views.open` ([`view`]).
//!
//! Blocks are held to Slack's Block Kit limits ([`block_kit`]): a message that breaks one is
//! refused whole with `invalid_blocks` and the problems in `response_metadata.messages`, as
//! Slack answers. Blocks and elements that came without an id get one, as Slack names them.
//!
//! Each is a plain function from the call's arguments to Slack's answer; the token has been
//! checked already. Only DMs with the bot exist: a channel is a `D…` id from
//! `conversations.open`. `chat.postMessage` also takes a user id (Slack posts to the app's DM
//! with them); `chat.update` and `conversations.open`'s `channel` do not, and answer
//! `channel_not_found` for one, as Slack does (`conversations.open` takes people as `users`).

mod view;

use serde_json::{Value, json};

use super::block_kit::{self, Surface};
use super::records::Message;
use super::web_api::{Args, failure, structured, text};
use super::{APP_ID, BOT_ID, BOT_USER_ID, GENERAL_CHANNEL, SlackUser};
use crate::sim::SimState;
pub use view::views_open;

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

/// The `text` and `blocks` of a message call, the blocks named; `Err` carries Slack's answer.
fn content(args: &Args) -> Result<(Option<String>, Option<Value>), Value> {
    let blocks = match structured(args, "blocks") {
        Ok(None) => None,
        Ok(Some(Value::Array(blocks))) => Some(Value::Array(blocks)),
        Ok(Some(_)) | Err(_) => return Err(failure("invalid_blocks_format")),
    };
    if let Some(blocks) = &blocks {
        let problems = block_kit::problems(blocks, Surface::Message, "/blocks");
        if !problems.is_empty() {
            return Err(refusal("invalid_blocks", &problems));
        }
    }
    let text = text(args, "text").map(str::to_owned);
    if text.is_none() && blocks.is_none() {
        return Err(failure("no_text"));
    }
    Ok((text, blocks.map(named)))
}

/// Slack's answer to arguments it refuses in detail: the error word, the problems, and the
/// same again as `response_metadata.messages`, where the SDKs look.
pub(super) fn refusal(error: &str, problems: &[String]) -> Value {
    let messages: Vec<String> = problems
        .iter()
        .map(|problem| format!("[ERROR] {problem}"))
        .collect();
    json!({
        "ok": false,
        "error": error,
        "errors": problems,
        "response_metadata": {"messages": messages},
    })
}

/// The blocks with a generated `block_id` on each block that came without one, and an
/// `action_id` on each interactive element that came without one, as Slack names them.
pub(super) fn named(mut blocks: Value) -> Value {
    for block in blocks.as_array_mut().into_iter().flatten() {
        if block.get("block_id").is_none_or(Value::is_null) {
            block["block_id"] = json!(random_id());
        }
        match block.get("type").and_then(Value::as_str) {
            Some("actions") => {
                let elements = block.get_mut("elements").and_then(Value::as_array_mut);
                for element in elements.into_iter().flatten() {
                    name_element(element);
                }
            }
            Some("section") => {
                if let Some(accessory) = block.get_mut("accessory") {
                    name_element(accessory);
                }
            }
            Some("input") => {
                if let Some(element) = block.get_mut("element") {
                    name_element(element);
                }
            }
            _ => {}
        }
    }
    blocks
}

/// An element without an `action_id` gets one, unless it is an image (which takes no action).
fn name_element(element: &mut Value) {
    let is_image = element.get("type").and_then(Value::as_str) == Some("image");
    if !is_image && element.is_object() && element.get("action_id").is_none_or(Value::is_null) {
        element["action_id"] = json!(random_id());
    }
}

/// Five characters, the shape of the ids Slack generates for blocks and actions.
fn random_id() -> String {
    crate::sim::login::random_token(5)
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
    let channel = match text(args, "channel") {
        Some(GENERAL_CHANNEL) => GENERAL_CHANNEL.to_owned(),
        Some(channel) => match dm_partner(sim, channel) {
            Some(partner) => sim.slack.dm_id(&partner.id),
            None => return failure("channel_not_found"),
        },
        None => return failure("channel_not_found"),
    };
    let (text, blocks) = match content(args) {
        Ok(content) => content,
        Err(refused) => return refused,
    };
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
        Err(refused) => return refused,
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

//! `views.open`: a modal within Slack's limits opens for the person whose click gave the
//! `trigger_id`; anything else is `invalid_arguments` with the problems in
//! `response_metadata.messages` (Slack lists no `invalid_blocks` for `views.open`; a view's
//! blocks are among its arguments).
//!
//! A modal needs `type: modal` and a plain-text title of at most 24 characters; its submit and
//! close buttons are plain text of at most 24; `callback_id` is at most 255 characters and
//! `private_metadata` 3,000; a view with an `input` block needs a submit button; its blocks
//! keep the Block Kit limits of a modal (at most 100).

use serde_json::{Map, Value, json};

use super::super::block_kit::{self, Surface};
use super::super::records::OpenedView;
use super::super::web_api::{Args, failure, structured, text};
use super::super::{APP_ID, BOT_ID};
use super::{named, refusal};
use crate::sim::SimState;

/// A modal's title and its submit and close buttons.
const VIEW_TEXT_MAX: usize = 24;
const CALLBACK_ID_MAX: usize = 255;
const PRIVATE_METADATA_MAX: usize = 3000;

/// Every way `view` is not a modal Slack opens, in Slack's words.
fn problems(view: &Map<String, Value>) -> Vec<String> {
    let mut found = Vec::new();
    let mut fail = |pointer: &str, message: String| {
        found.push(format!("{message} [json-pointer:/view{pointer}]"));
    };
    if view.get("type").and_then(Value::as_str) != Some("modal") {
        fail("/type", "must be modal".to_owned());
    }
    let plain = |name: &str, required: bool| -> Option<String> {
        match view.get(name) {
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => Some(format!("missing required field: {name}")),
            Some(text) if text["type"] != "plain_text" => Some("must be plain_text".to_owned()),
            Some(text) => match text["text"].as_str().map(|text| text.chars().count()) {
                Some(0) | None => Some("must be more than 0 characters".to_owned()),
                Some(count) if count > VIEW_TEXT_MAX => Some(format!(
                    "must be less than {} characters",
                    VIEW_TEXT_MAX + 1
                )),
                Some(_) => None,
            },
        }
    };
    for (name, required) in [("title", true), ("submit", false), ("close", false)] {
        if let Some(message) = plain(name, required) {
            fail(&format!("/{name}"), message);
        }
    }
    for (name, max) in [
        ("callback_id", CALLBACK_ID_MAX),
        ("private_metadata", PRIVATE_METADATA_MAX),
    ] {
        match view.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(value)) if value.chars().count() <= max => {}
            Some(Value::String(_)) => {
                fail(
                    &format!("/{name}"),
                    format!("must be less than {} characters", max + 1),
                );
            }
            Some(_) => fail(&format!("/{name}"), "must be a string".to_owned()),
        }
    }
    let blocks = view.get("blocks").cloned().unwrap_or(Value::Null);
    let has_input = blocks
        .as_array()
        .is_some_and(|blocks| blocks.iter().any(|block| block["type"] == "input"));
    if has_input && view.get("submit").is_none_or(Value::is_null) {
        fail(
            "/submit",
            "must provide a submit button when the view has input blocks".to_owned(),
        );
    }
    found.extend(block_kit::problems(&blocks, Surface::Modal, "/view/blocks"));
    found
}

pub fn views_open(sim: &SimState, args: &Args) -> Value {
    let Some(trigger_id) = text(args, "trigger_id") else {
        return failure("invalid_arguments");
    };
    let view = match structured(args, "view") {
        Ok(Some(Value::Object(view))) => view,
        _ => return failure("invalid_arguments"),
    };
    let problems = problems(&view);
    if !problems.is_empty() {
        return refusal("invalid_arguments", &problems);
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
    opened["blocks"] = named(opened["blocks"].take());
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

//! The bot's own IM posts, sent back to it (DESIGN.md section 8): Slack delivers a `message`
//! event for every message in an IM the app subscribes to (`message.im`), the app's own posts
//! included, marked with its `bot_id`. That is why bots filter on `bot_id` (Bolt's
//! `ignoreSelf`); sending them here keeps Doorman's own filter tested.
//!
//! The event goes out after `chat.postMessage` has answered, on its own task, signed like every
//! delivery; a bot that cannot be reached just misses it, as with Slack.

use std::sync::Arc;

use serde_json::Value;

use super::control::deliver;
use super::payloads;
use super::records::Message;
use crate::sim::SimState;

/// Sends the message a successful `chat.postMessage` answered with back to the bot as an
/// Events API callback; `answer` is that call's answer.
pub(super) fn send_back(sim: &Arc<SimState>, answer: &Value) {
    let (Some(channel), Some(posted)) = (answer["channel"].as_str(), answer.get("message")) else {
        return;
    };
    let message = Message {
        ts: posted["ts"].as_str().unwrap_or_default().to_owned(),
        text: posted["text"].as_str().unwrap_or_default().to_owned(),
        blocks: posted["blocks"].clone(),
    };
    let event_id = payloads::event_id();
    let raw = payloads::bot_post_callback(&sim.slack, &event_id, channel, &message)
        .to_string()
        .into_bytes();
    sim.slack.records().remember_event(&event_id, raw.clone());
    let sim = Arc::clone(sim);
    tokio::spawn(async move {
        let delivered = deliver(&sim, "/slack/events", "application/json", raw, Vec::new()).await;
        if let Err(error) = delivered {
            tracing::debug!(%error, "the bot's own post was not sent back to it");
        }
    });
}

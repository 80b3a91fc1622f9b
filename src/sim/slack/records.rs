//! What Slack remembers between calls: each DM's messages from the bot (updates applied in
//! place), the events delivered (so a test can redeliver one byte for byte) and a log of every
//! delivery with the bot's answer, the `trigger_id`s
//! and `response_url`s handed to the bot with interactions, and the modals it opened, whether
//! each is still open, and the last submission of each (so a test can replay one).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

/// A `trigger_id` is good for one `views.open` within three seconds, as in Slack.
const TRIGGER_LIFETIME: Duration = Duration::from_secs(3);
/// A `response_url` is good for five uses within thirty minutes, as in Slack.
const RESPONSE_URL_LIFETIME: Duration = Duration::from_secs(30 * 60);
const RESPONSE_URL_USES: u32 = 5;

/// Slack's memory, behind one lock.
#[derive(Debug, Default)]
pub struct Records {
    /// DM channel id → the bot's messages there, oldest first.
    dms: HashMap<String, Vec<Message>>,
    /// Event id → the exact body delivered.
    events: HashMap<String, Vec<u8>>,
    triggers: HashMap<String, Trigger>,
    response_urls: HashMap<String, ResponseUrl>,
    views: Vec<OpenedView>,
    /// Every event and interaction delivered to the bot, oldest first.
    delivered: Vec<Delivered>,
    last_ts_micros: i64,
}

/// One delivery to the bot, as `GET /_sim/slack/log` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivered {
    /// `/slack/events` or `/slack/interactions`.
    pub path: String,
    /// The event's id (events only).
    pub event_id: Option<String>,
    /// Who the event or interaction is from: a Slack user id, the bot's own included.
    pub user: Option<String>,
    /// Set when the event is one of the bot's own posts.
    pub bot_id: Option<String>,
    /// The bot's HTTP status; `None` when it could not be reached.
    pub status: Option<u16>,
}

/// One message the bot posted, as `GET /_sim/slack/messages` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub ts: String,
    pub text: String,
    pub blocks: Value,
}

/// A modal the bot opened with `views.open`.
#[derive(Debug, Clone, Serialize)]
pub struct OpenedView {
    pub id: String,
    /// The Slack id of the person whose click gave the trigger: the only one who sees it.
    pub user: String,
    /// The view as Slack keeps it (with `id`, `hash`, `state`, ...).
    pub view: Value,
    /// Whether the person has closed it, or submitted it and the bot let it close.
    pub closed: bool,
    /// The exact body of the last `view_submission` delivered for it.
    #[serde(skip)]
    pub submission: Option<Vec<u8>>,
}

#[derive(Debug)]
struct Trigger {
    user_id: String,
    issued: Instant,
    used: bool,
}

#[derive(Debug)]
struct ResponseUrl {
    channel: String,
    message_ts: String,
    issued: Instant,
    uses: u32,
}

/// Why a `trigger_id` cannot open a view, in Slack's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error("invalid_trigger_id")]
    Invalid,
    #[error("expired_trigger_id")]
    Expired,
    #[error("exchanged_trigger_id")]
    Exchanged,
}

impl Records {
    /// A fresh message timestamp, `seconds.micros`, strictly increasing (a ts names a message).
    pub fn next_ts(&mut self) -> String {
        let now = Utc::now().timestamp_micros();
        self.last_ts_micros = now.max(self.last_ts_micros + 1);
        format!(
            "{}.{:06}",
            self.last_ts_micros / 1_000_000,
            self.last_ts_micros % 1_000_000
        )
    }

    pub fn post(&mut self, channel: &str, message: Message) {
        self.dms
            .entry(channel.to_owned())
            .or_default()
            .push(message);
    }

    /// Changes a message's text and blocks; either left out keeps what it was, as
    /// `chat.update` does. The message as it now is.
    pub fn update(
        &mut self,
        channel: &str,
        ts: &str,
        text: Option<String>,
        blocks: Option<Value>,
    ) -> Option<Message> {
        let message = self
            .dms
            .get_mut(channel)?
            .iter_mut()
            .find(|message| message.ts == ts)?;
        if let Some(text) = text {
            message.text = text;
        }
        if let Some(blocks) = blocks {
            message.blocks = blocks;
        }
        Some(message.clone())
    }

    pub fn delete(&mut self, channel: &str, ts: &str) -> bool {
        let Some(messages) = self.dms.get_mut(channel) else {
            return false;
        };
        let before = messages.len();
        messages.retain(|message| message.ts != ts);
        messages.len() != before
    }

    pub fn message(&self, channel: &str, ts: &str) -> Option<Message> {
        self.dms
            .get(channel)?
            .iter()
            .find(|message| message.ts == ts)
            .cloned()
    }

    pub fn messages(&self, channel: &str) -> Vec<Message> {
        self.dms.get(channel).cloned().unwrap_or_default()
    }

    pub fn remember_event(&mut self, event_id: &str, body: Vec<u8>) {
        self.events.insert(event_id.to_owned(), body);
    }

    pub fn event(&self, event_id: &str) -> Option<Vec<u8>> {
        self.events.get(event_id).cloned()
    }

    /// A `trigger_id` for an interaction by `user_id`, in Slack's `n.n.hex` shape.
    pub fn issue_trigger(&mut self, user_id: &str) -> String {
        let id = format!(
            "{}.{}.{}",
            rand::random_range(1_000_000_000_u64..10_000_000_000),
            rand::random_range(100_000_000_u64..1_000_000_000),
            hex::encode(rand::random::<[u8; 16]>())
        );
        self.triggers.insert(
            id.clone(),
            Trigger {
                user_id: user_id.to_owned(),
                issued: Instant::now(),
                used: false,
            },
        );
        id
    }

    /// Uses a `trigger_id` up; the Slack id of the person it was issued for.
    pub fn redeem_trigger(&mut self, id: &str) -> Result<String, TriggerError> {
        let trigger = self.triggers.get_mut(id).ok_or(TriggerError::Invalid)?;
        if trigger.used {
            return Err(TriggerError::Exchanged);
        }
        if trigger.issued.elapsed() > TRIGGER_LIFETIME {
            return Err(TriggerError::Expired);
        }
        trigger.used = true;
        Ok(trigger.user_id.clone())
    }

    /// A token for a `response_url` that acts on one message.
    pub fn issue_response_url(&mut self, channel: &str, message_ts: &str) -> String {
        let token = hex::encode(rand::random::<[u8; 16]>());
        self.response_urls.insert(
            token.clone(),
            ResponseUrl {
                channel: channel.to_owned(),
                message_ts: message_ts.to_owned(),
                issued: Instant::now(),
                uses: 0,
            },
        );
        token
    }

    /// Uses a `response_url` once: the channel and message it acts on, unless it is unknown,
    /// used up or expired.
    pub fn use_response_url(&mut self, token: &str) -> Option<(String, String)> {
        let url = self.response_urls.get_mut(token)?;
        if url.uses >= RESPONSE_URL_USES || url.issued.elapsed() > RESPONSE_URL_LIFETIME {
            return None;
        }
        url.uses += 1;
        Some((url.channel.clone(), url.message_ts.clone()))
    }

    pub fn log_delivery(&mut self, delivered: Delivered) {
        self.delivered.push(delivered);
    }

    pub fn deliveries(&self) -> Vec<Delivered> {
        self.delivered.clone()
    }

    pub fn open_view(&mut self, view: OpenedView) {
        self.views.push(view);
    }

    pub fn views(&self) -> Vec<OpenedView> {
        self.views.clone()
    }

    pub fn view(&self, id: &str) -> Option<OpenedView> {
        self.views.iter().find(|view| view.id == id).cloned()
    }

    /// Keeps the body of a submission of view `id`, and closes the view when `closes`.
    pub fn submitted(&mut self, id: &str, body: Vec<u8>, closes: bool) {
        if let Some(view) = self.views.iter_mut().find(|view| view.id == id) {
            view.submission = Some(body);
            view.closed |= closes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(ts: &str, text: &str) -> Message {
        Message {
            ts: ts.to_owned(),
            text: text.to_owned(),
            blocks: json!([]),
        }
    }

    #[test]
    fn an_update_keeps_what_it_leaves_out() {
        let mut records = Records::default();
        records.post("D1", message("1.000001", "hello"));
        let blocks = json!([{"type": "section"}]);
        let updated = records
            .update("D1", "1.000001", None, Some(blocks.clone()))
            .expect("exists");
        assert_eq!(updated.text, "hello");
        assert_eq!(updated.blocks, blocks);
        assert!(
            records
                .update("D1", "2.000000", Some("x".into()), None)
                .is_none()
        );
        assert!(
            records
                .update("D2", "1.000001", Some("x".into()), None)
                .is_none()
        );
    }

    #[test]
    fn timestamps_are_unique_and_shaped_like_slacks() {
        let mut records = Records::default();
        let first = records.next_ts();
        let second = records.next_ts();
        assert_ne!(first, second);
        let (seconds, micros) = first.split_once('.').expect("a dot");
        assert!(seconds.len() >= 10 && micros.len() == 6);
    }

    #[test]
    fn a_trigger_opens_one_view_only() {
        let mut records = Records::default();
        let trigger = records.issue_trigger("U1");
        assert_eq!(records.redeem_trigger(&trigger), Ok("U1".to_owned()));
        assert_eq!(
            records.redeem_trigger(&trigger),
            Err(TriggerError::Exchanged)
        );
        assert_eq!(records.redeem_trigger("nope"), Err(TriggerError::Invalid));
    }

    #[test]
    fn a_response_url_works_five_times() {
        let mut records = Records::default();
        let token = records.issue_response_url("D1", "1.000001");
        for _ in 0..5 {
            assert!(records.use_response_url(&token).is_some());
        }
        assert!(records.use_response_url(&token).is_none());
    }
}

//! What each Teams conversation shows: the activities the bot sent, with its updates applied in
//! place and its deletions removed, plus a log of every delivery in both directions.
//!
//! Only the bot's own activities are kept here; what people "typed" is in the log. A card an
//! invoke answer returns replaces the clicked card only in the clicker's record, as Teams shows
//! it only to the person who clicked.

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

/// Every conversation the connector knows and every delivery so far.
#[derive(Debug, Default)]
pub struct Records {
    conversations: HashMap<String, Conversation>,
    log: Vec<LogEntry>,
    last_activity_id: i64,
}

/// One conversation and what the bot sent into it, oldest first.
#[derive(Debug)]
struct Conversation {
    kind: ConversationKind,
    activities: Vec<SentActivity>,
}

/// Whose conversation it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationKind {
    /// A person's 1:1 chat with the bot; `user_id` is their Entra object id.
    Personal { user_id: String },
    /// A channel thread started by a message that @mentioned the bot.
    ChannelThread { channel_id: String },
}

/// One activity the bot sent, as `GET /_sim/teams/conversations/{upn}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SentActivity {
    pub id: String,
    pub text: Option<String>,
    pub attachments: Vec<Value>,
    #[serde(rename = "replyToId")]
    pub reply_to_id: Option<String>,
}

/// Which way a logged activity went.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ToBot,
    FromBot,
}

/// One entry of `GET /_sim/teams/log`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub direction: Direction,
    /// The activity's `type` (`message`, `invoke`, `typing`), or the connector operation
    /// (`update`, `delete`, `createConversation`).
    #[serde(rename = "type")]
    pub kind: String,
    pub conversation_id: String,
    pub activity_id: Option<String>,
    /// The UPN of the person who sent it (deliveries to the bot only).
    pub from: Option<String>,
    /// The bot's HTTP status for a delivery; the connector's own for what the bot sent.
    pub status: Option<u16>,
    pub text: Option<String>,
}

/// Why an activity could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("conversation {0} is unknown")]
    NoConversation(String),
    #[error("activity {0} is not in this conversation")]
    NoActivity(String),
}

impl Records {
    /// A fresh activity id. Teams uses epoch milliseconds; these are too, made strictly
    /// increasing so that two activities in the same millisecond still differ.
    pub fn next_activity_id(&mut self) -> String {
        let now = Utc::now().timestamp_millis();
        self.last_activity_id = now.max(self.last_activity_id + 1);
        self.last_activity_id.to_string()
    }

    /// Makes a conversation known (once), so the connector accepts the bot's activities in it.
    pub fn open(&mut self, conversation_id: &str, kind: ConversationKind) {
        self.conversations
            .entry(conversation_id.to_owned())
            .or_insert_with(|| Conversation {
                kind,
                activities: Vec::new(),
            });
    }

    pub fn kind_of(&self, conversation_id: &str) -> Option<ConversationKind> {
        self.conversations
            .get(conversation_id)
            .map(|conversation| conversation.kind.clone())
    }

    /// Records an activity the bot sent; the conversation must be open.
    pub fn append(
        &mut self,
        conversation_id: &str,
        activity: SentActivity,
    ) -> Result<(), RecordError> {
        self.conversation_mut(conversation_id)?
            .activities
            .push(activity);
        Ok(())
    }

    /// Replaces an activity's text and attachments (a PUT carries the whole new activity).
    pub fn update(
        &mut self,
        conversation_id: &str,
        activity_id: &str,
        text: Option<String>,
        attachments: Vec<Value>,
    ) -> Result<(), RecordError> {
        let activity = self.activity_mut(conversation_id, activity_id)?;
        activity.text = text;
        activity.attachments = attachments;
        Ok(())
    }

    pub fn delete(&mut self, conversation_id: &str, activity_id: &str) -> Result<(), RecordError> {
        let conversation = self.conversation_mut(conversation_id)?;
        let before = conversation.activities.len();
        conversation
            .activities
            .retain(|activity| activity.id != activity_id);
        if conversation.activities.len() == before {
            return Err(RecordError::NoActivity(activity_id.to_owned()));
        }
        Ok(())
    }

    /// Shows `attachments` in place of an activity's, in one conversation only.
    pub fn replace_attachments(
        &mut self,
        conversation_id: &str,
        activity_id: &str,
        attachments: Vec<Value>,
    ) -> Result<(), RecordError> {
        self.activity_mut(conversation_id, activity_id)?.attachments = attachments;
        Ok(())
    }

    /// Whether the bot sent an activity with this id anywhere (and has not deleted it).
    pub fn was_sent(&self, activity_id: &str) -> bool {
        self.conversations.values().any(|conversation| {
            conversation
                .activities
                .iter()
                .any(|activity| activity.id == activity_id)
        })
    }

    /// What a conversation shows, oldest first; empty for one the bot never wrote to.
    pub fn activities(&self, conversation_id: &str) -> Vec<SentActivity> {
        self.conversations
            .get(conversation_id)
            .map(|conversation| conversation.activities.clone())
            .unwrap_or_default()
    }

    pub fn log(&mut self, entry: LogEntry) {
        self.log.push(entry);
    }

    pub fn log_entries(&self) -> Vec<LogEntry> {
        self.log.clone()
    }

    fn conversation_mut(
        &mut self,
        conversation_id: &str,
    ) -> Result<&mut Conversation, RecordError> {
        self.conversations
            .get_mut(conversation_id)
            .ok_or_else(|| RecordError::NoConversation(conversation_id.to_owned()))
    }

    fn activity_mut(
        &mut self,
        conversation_id: &str,
        activity_id: &str,
    ) -> Result<&mut SentActivity, RecordError> {
        self.conversation_mut(conversation_id)?
            .activities
            .iter_mut()
            .find(|activity| activity.id == activity_id)
            .ok_or_else(|| RecordError::NoActivity(activity_id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sent(id: &str, text: &str) -> SentActivity {
        SentActivity {
            id: id.to_owned(),
            text: Some(text.to_owned()),
            attachments: Vec::new(),
            reply_to_id: None,
        }
    }

    #[test]
    fn updates_apply_in_place_and_deletions_remove() {
        let mut records = Records::default();
        let personal = ConversationKind::Personal {
            user_id: "u".into(),
        };
        records.open("a:1", personal);
        assert!(records.append("a:2", sent("1", "x")).is_err());
        records.append("a:1", sent("1", "one")).expect("open");
        records.append("a:1", sent("2", "two")).expect("open");
        records
            .update("a:1", "1", Some("uno".into()), vec![json!({"k": 1})])
            .expect("exists");
        records.delete("a:1", "2").expect("exists");
        assert!(records.delete("a:1", "2").is_err());
        let shown = records.activities("a:1");
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].text.as_deref(), Some("uno"));
        assert!(records.was_sent("1") && !records.was_sent("2"));
    }

    #[test]
    fn activity_ids_strictly_increase() {
        let mut records = Records::default();
        let first: i64 = records.next_activity_id().parse().expect("number");
        let second: i64 = records.next_activity_id().parse().expect("number");
        assert!(second > first);
    }
}

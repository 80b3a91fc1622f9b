//! What a Slack [`Place`] reference holds: `{"channel": "D…"}`, plus `"thread_ts"` when Doorman
//! answers inside a thread (a mention in a channel is answered in its thread).
//!
//! Owns the only reading and writing of that JSON, so the conversation can keep passing it back
//! untouched. Must not: accept a place made by another channel.

use serde_json::{Map, Value};

use crate::domain::chat::{Channel, ChatError, Place};

/// A Slack conversation, and the thread in it when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Conversation {
    pub(super) channel: String,
    pub(super) thread_ts: Option<String>,
}

impl Conversation {
    pub(super) fn new(channel: impl Into<String>) -> Self {
        Conversation {
            channel: channel.into(),
            thread_ts: None,
        }
    }

    pub(super) fn in_thread(self, thread_ts: Option<String>) -> Self {
        Conversation { thread_ts, ..self }
    }

    pub(super) fn place(&self) -> Place {
        let mut reference = Map::new();
        reference.insert("channel".to_owned(), Value::String(self.channel.clone()));
        if let Some(thread_ts) = &self.thread_ts {
            reference.insert("thread_ts".to_owned(), Value::String(thread_ts.clone()));
        }
        Place {
            channel: Channel::Slack,
            reference: Value::Object(reference),
        }
    }

    /// Reads a place this channel made; anything else is a caller's mistake, reported as a
    /// failure rather than sent somewhere unintended.
    pub(super) fn from_place(place: &Place) -> Result<Self, ChatError> {
        if place.channel != Channel::Slack {
            return Err(failed("the place belongs to another channel"));
        }
        let text = |key: &str| {
            place
                .reference
                .get(key)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let channel = text("channel").ok_or_else(|| failed("the place names no slack channel"))?;
        Ok(Conversation::new(channel).in_thread(text("thread_ts")))
    }
}

fn failed(reason: &str) -> ChatError {
    ChatError::Failed {
        channel: Channel::Slack,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_place_reads_back_as_the_conversation_it_was_made_from() {
        let direct = Conversation::new("D1");
        assert_eq!(direct.place().reference, json!({"channel": "D1"}));
        assert_eq!(Conversation::from_place(&direct.place()).ok(), Some(direct));

        let thread = Conversation::new("C1").in_thread(Some("1700000000.000100".into()));
        assert_eq!(
            thread.place().reference,
            json!({"channel": "C1", "thread_ts": "1700000000.000100"})
        );
        assert_eq!(Conversation::from_place(&thread.place()).ok(), Some(thread));
    }

    #[test]
    fn places_of_other_channels_or_without_a_channel_are_refused() {
        let teams = Place {
            channel: Channel::Teams,
            reference: json!({"channel": "D1"}),
        };
        assert!(Conversation::from_place(&teams).is_err());
        let empty = Place {
            channel: Channel::Slack,
            reference: json!({}),
        };
        assert!(Conversation::from_place(&empty).is_err());
    }
}

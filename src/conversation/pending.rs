//! Messages that arrived before their sender could be served (no sign-in yet). They are kept
//! durably, per chat user, and carried on by themselves once the person has signed in.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{Duration, Utc};

use crate::domain::chat::{ChatMessage, ChatUser};
use crate::store::{Domain, Store, StoreError, Table};

/// At most this many messages wait per person; older ones give way to newer.
const MAX_WAITING: usize = 5;

/// A message older than this is not carried on: the person has moved on, and acting on an
/// hour-old request out of the blue would surprise them more than help.
const CARRY_ON_WITHIN: Duration = Duration::hours(1);

#[derive(Clone)]
pub struct Pending {
    store: Arc<dyn Store>,
    waiting: Table<String, Vec<ChatMessage>>,
    /// Keeping and taking read and write one entry: one at a time, so that a message kept
    /// while another task takes is neither lost nor carried on twice.
    lock: Arc<Mutex<()>>,
}

impl Pending {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let waiting = Table::open(store.as_ref(), Domain::Pending)?;
        Ok(Pending {
            store,
            waiting,
            lock: Arc::new(Mutex::new(())),
        })
    }

    /// Keeps `message` for its sender; returns how many now wait. Written, not flushed: the
    /// sign-in link that always follows is flushed before it is sent, and that flush covers
    /// this write too (one flush per message instead of two, each a hand-off to the store's I/O
    /// threads). A crash before then loses nothing: the delivery is still accepted in the
    /// ledger and is handled again at the next start.
    pub fn keep(&self, message: &ChatMessage) -> Result<usize, StoreError> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let key = message.sender.user.key();
        let horizon = Utc::now() - CARRY_ON_WITHIN;
        let mut messages = self.waiting.get(&key)?.unwrap_or_default();
        messages.retain(|kept| kept.received_at >= horizon);
        if !messages.iter().any(|kept| kept.id == message.id) {
            messages.push(message.clone());
        }
        if messages.len() > MAX_WAITING {
            messages.drain(..messages.len() - MAX_WAITING);
        }
        self.waiting.insert(&key, &messages)?;
        Ok(messages.len())
    }

    /// Takes every waiting message of `user` that is still fresh, oldest first.
    pub fn take(&self, user: &ChatUser) -> Result<Vec<ChatMessage>, StoreError> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = self.waiting.remove(&user.key())?.unwrap_or_default();
        if !taken.is_empty() {
            self.store.flush()?;
        }
        let horizon = Utc::now() - CARRY_ON_WITHIN;
        Ok(taken
            .into_iter()
            .filter(|kept| kept.received_at >= horizon)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chat::{Channel, Place, Sender};
    use crate::store::SledStore;

    fn message(id: &str, received_at: chrono::DateTime<Utc>) -> ChatMessage {
        ChatMessage {
            id: id.into(),
            sender: Sender {
                user: ChatUser {
                    channel: Channel::Slack,
                    tenant: "T1".into(),
                    id: "U1".into(),
                },
                entra: None,
                display_name: None,
            },
            place: Place {
                channel: Channel::Slack,
                reference: serde_json::json!({"channel": "D1"}),
            },
            text: "add me to the VPN".into(),
            received_at,
        }
    }

    #[test]
    fn fresh_messages_are_carried_on_once_and_stale_ones_never() {
        let dir = tempfile::tempdir().expect("dir");
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("store"));
        let pending = Pending::open(store).expect("open");
        let now = Utc::now();
        pending
            .keep(&message("old", now - Duration::hours(2)))
            .expect("keep");
        pending.keep(&message("new", now)).expect("keep");
        assert_eq!(pending.keep(&message("new", now)).expect("keep"), 1, "once");
        let user = message("x", now).sender.user;
        let taken: Vec<String> = pending
            .take(&user)
            .expect("take")
            .into_iter()
            .map(|kept| kept.id)
            .collect();
        assert_eq!(taken, ["new"]);
        assert!(pending.take(&user).expect("take").is_empty(), "taken once");
    }
}

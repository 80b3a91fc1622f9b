//! Messages that arrived before their sender could be served (no sign-in yet). They are kept
//! durably, per chat user, and carried on by themselves once the person has signed in.

use std::sync::Arc;

use crate::domain::chat::{ChatMessage, ChatUser};
use crate::store::{Domain, Store, StoreError, Table};

/// At most this many messages wait per person; older ones give way to newer.
const MAX_WAITING: usize = 5;

#[derive(Clone)]
pub struct Pending {
    store: Arc<dyn Store>,
    waiting: Table<String, Vec<ChatMessage>>,
}

impl Pending {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let waiting = Table::open(store.as_ref(), Domain::Pending)?;
        Ok(Pending { store, waiting })
    }

    /// Keeps `message` for its sender; returns how many now wait.
    pub fn keep(&self, message: &ChatMessage) -> Result<usize, StoreError> {
        let key = message.sender.user.key();
        let mut messages = self.waiting.get(&key)?.unwrap_or_default();
        if !messages.iter().any(|kept| kept.id == message.id) {
            messages.push(message.clone());
        }
        if messages.len() > MAX_WAITING {
            messages.drain(..messages.len() - MAX_WAITING);
        }
        self.waiting.insert(&key, &messages)?;
        self.store.flush()?;
        Ok(messages.len())
    }

    /// Takes every waiting message of `user`, oldest first.
    pub fn take(&self, user: &ChatUser) -> Result<Vec<ChatMessage>, StoreError> {
        let taken = self.waiting.remove(&user.key())?.unwrap_or_default();
        self.store.flush()?;
        Ok(taken)
    }
}

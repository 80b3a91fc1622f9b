//! Teams conversation references: where to reach a conversation, and the 1:1 conversation of
//! each person, kept in [`Domain::TeamsConversations`] by Entra object id.
//!
//! Owns [`ConversationRef`] (what a Teams [`Place`] carries) and the set of service URLs the bot
//! token may be sent to. Must not: learn a service URL from anything but an authenticated
//! activity or the configuration, take a reference from a [`Place`] on trust for where to send
//! the token (see [`Conversations::is_trusted`]), or write the table anywhere but
//! [`Conversations::remember`] (what it keeps in memory mirrors the table only so).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::domain::chat::{Channel, Place};
use crate::store::{Domain, Store, StoreError, Table};

/// Where a Teams conversation is reached: what [`Place::reference`] holds for Teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ConversationRef {
    /// The Bot Connector base URL for this conversation, as the activity gave it.
    pub service_url: String,
    pub conversation_id: String,
    /// The person's `29:` id in a 1:1 conversation; absent in channels and group chats, and in
    /// a 1:1 conversation Doorman opened before the person wrote.
    #[serde(default)]
    pub user_id: Option<String>,
    pub tenant_id: String,
    /// `28:<appId>`.
    pub bot_id: String,
}

/// What is stored per person: their 1:1 conversation and the name Teams last gave them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct PersonalConversation {
    #[serde(flatten)]
    pub reference: ConversationRef,
    #[serde(default)]
    pub user_name: Option<String>,
}

/// How many people's stored conversations [`Conversations::remember`] keeps in memory, to tell
/// a message from a known conversation without reading the store: about 300 bytes each.
const REMEMBERED_IN_MEMORY: usize = 10_000;

pub(super) struct Conversations {
    store: Arc<dyn Store>,
    table: Table<String, PersonalConversation>,
    /// What the table holds for the people who wrote lately. Only [`Conversations::remember`]
    /// writes the table, and after each write it reads the table into here (see
    /// [`Conversations::read_into_memory`]).
    stored: Mutex<HashMap<String, PersonalConversation>>,
    configured_service_url: String,
    /// Service URLs of authenticated activities (since start, and of every stored reference).
    trusted: RwLock<HashSet<String>>,
}

impl ConversationRef {
    pub fn place(&self) -> Place {
        Place {
            channel: Channel::Teams,
            // Serializing a struct of strings cannot fail; `Null` would only make sends fail.
            reference: serde_json::to_value(self).unwrap_or_default(),
        }
    }

    /// The reference inside a Teams place, or `None` for another channel's or a malformed one.
    pub fn of(place: &Place) -> Option<ConversationRef> {
        if place.channel != Channel::Teams {
            return None;
        }
        serde_json::from_value(place.reference.clone()).ok()
    }
}

impl Conversations {
    pub fn open(store: Arc<dyn Store>, configured_service_url: &str) -> Result<Self, StoreError> {
        let table: Table<String, PersonalConversation> =
            Table::open(store.as_ref(), Domain::TeamsConversations)?;
        let mut trusted = HashSet::new();
        for entry in table.iter() {
            let (_, stored) = entry?;
            trusted.insert(stored.reference.service_url);
        }
        Ok(Conversations {
            store,
            table,
            stored: Mutex::new(HashMap::new()),
            configured_service_url: configured_service_url.to_owned(),
            trusted: RwLock::new(trusted),
        })
    }

    /// The configured service URL, for conversations Doorman opens itself.
    pub fn configured_service_url(&self) -> &str {
        &self.configured_service_url
    }

    /// Records that an authenticated activity came from `service_url`.
    pub fn trust(&self, service_url: &str) {
        if self.is_trusted(service_url) {
            return;
        }
        if let Ok(mut trusted) = self.trusted.write() {
            if !trusted.contains(service_url) {
                trusted.insert(service_url.to_owned());
            }
        }
    }

    /// Whether the bot token may be sent to `service_url`: the configured one, or one an
    /// authenticated activity came from.
    pub fn is_trusted(&self, service_url: &str) -> bool {
        service_url == self.configured_service_url
            || self
                .trusted
                .read()
                .is_ok_and(|trusted| trusted.contains(service_url))
    }

    /// Stores `person`'s 1:1 conversation (flushed) unless the stored one is the same already.
    pub fn remember(
        &self,
        person: &str,
        conversation: &PersonalConversation,
    ) -> Result<(), StoreError> {
        let key = key_of(person);
        if self.is_in_memory(&key, conversation) {
            return Ok(());
        }
        let stored = self.store_unless_same(&key, conversation);
        self.read_into_memory(key);
        stored
    }

    /// Writes `conversation` for `key` and flushes, unless the store holds it already.
    fn store_unless_same(
        &self,
        key: &String,
        conversation: &PersonalConversation,
    ) -> Result<(), StoreError> {
        if self.table.get(key)?.as_ref() == Some(conversation) {
            return Ok(());
        }
        self.table.insert(key, conversation)?;
        self.trust(&conversation.reference.service_url);
        self.store.flush()
    }

    /// Whether memory says the store holds `conversation` for `key`.
    fn is_in_memory(&self, key: &str, conversation: &PersonalConversation) -> bool {
        self.stored
            .lock()
            .is_ok_and(|stored| stored.get(key) == Some(conversation))
    }

    /// Sets what memory holds for `key` to what the store holds, read under the memory's lock:
    /// whichever of two writers of different conversations reads last reads the last write, so
    /// memory ends as the store ends. At the cap, one other person makes room.
    fn read_into_memory(&self, key: String) {
        let Ok(mut stored) = self.stored.lock() else {
            return;
        };
        match self.table.get(&key) {
            Ok(Some(conversation)) => {
                if stored.len() >= REMEMBERED_IN_MEMORY && !stored.contains_key(&key) {
                    let other = stored.keys().next().cloned();
                    if let Some(other) = other {
                        stored.remove(&other);
                    }
                }
                stored.insert(key, conversation);
            }
            Ok(None) | Err(_) => {
                stored.remove(&key);
            }
        }
    }

    /// The 1:1 conversation with the person whose Entra object id is `person`.
    pub fn find(&self, person: &str) -> Result<Option<PersonalConversation>, StoreError> {
        self.table.get(&key_of(person))
    }
}

/// Object ids are GUIDs; Teams sends them in lower case, and so is the key, whatever the caller
/// has.
fn key_of(person: &str) -> String {
    person.to_ascii_lowercase()
}

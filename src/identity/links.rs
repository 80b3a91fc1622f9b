//! Chat accounts linked to Entra users. Teams needs none (a verified activity carries the Entra
//! object id); a Slack user is linked once, by signing in, keyed by (workspace, user).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::chat::{Channel, ChatUser, EntraUser};
use crate::store::{Domain, Store, StoreError, Table};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Link {
    pub chat_user: ChatUser,
    pub entra: EntraUser,
    pub linked: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Links {
    store: Arc<dyn Store>,
    links: Table<String, Link>,
}

impl Links {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let links = Table::open(store.as_ref(), Domain::Links)?;
        Ok(Links { store, links })
    }

    pub fn get(&self, chat_user: &ChatUser) -> Result<Option<Link>, StoreError> {
        self.links.get(&chat_user.key())
    }

    pub fn put(&self, chat_user: &ChatUser, entra: &EntraUser) -> Result<(), StoreError> {
        let link = Link {
            chat_user: chat_user.clone(),
            entra: entra.clone(),
            linked: Utc::now(),
        };
        self.links.insert(&chat_user.key(), &link)?;
        self.store.flush()
    }

    pub fn remove(&self, chat_user: &ChatUser) -> Result<(), StoreError> {
        self.links.remove(&chat_user.key())?;
        self.store.flush()
    }

    /// The chat account on `channel` linked to an Entra user, if any.
    pub fn chat_user_of(
        &self,
        channel: Channel,
        entra_id: &str,
    ) -> Result<Option<ChatUser>, StoreError> {
        for entry in self.links.iter() {
            let (_, link) = entry?;
            if link.chat_user.channel == channel && link.entra.id.eq_ignore_ascii_case(entra_id) {
                return Ok(Some(link.chat_user));
            }
        }
        Ok(None)
    }
}

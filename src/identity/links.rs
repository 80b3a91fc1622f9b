//! Chat accounts linked to Entra users. Teams needs none (a verified activity carries the Entra
//! object id); a Slack user is linked once, by signing in, keyed by (workspace, user).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::chat::{ChatUser, EntraUser};
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
}

//! Which delivery started which request. A delivery acknowledged before a crash is handled
//! again at the next start; the request it started then is found here, so it goes on instead
//! of a second request (and a second grant) being made from one message.
//!
//! The id is reserved for the delivery (on disk) before the request is written under it, so a
//! crash between the two leaves a reservation that the handling again fills in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Requests;
use crate::domain::request::{RequestRecord, new_id};
use crate::store::StoreError;

/// A delivery and the request id it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Origin {
    pub request: String,
    pub at: DateTime<Utc>,
}

/// What a delivery's reservation found.
pub(super) enum Reserved {
    /// The delivery started this request already.
    Started(Box<RequestRecord>),
    /// The id the request it starts is written under.
    Id(String),
}

impl Requests {
    /// The request `origin` (a chat user's delivery) started already, or the id to start it
    /// under, reserved on disk.
    pub(super) fn reserve(&self, origin: Option<&str>) -> Result<Reserved, StoreError> {
        let Some(origin) = origin else {
            return Ok(Reserved::Id(self.unused_id()?));
        };
        if let Some(found) = self.origins.get(&origin.to_owned())? {
            return Ok(match self.get(&found.request)? {
                Some(record) => Reserved::Started(Box::new(record)),
                // Reserved, and the process stopped before the request was written.
                None => Reserved::Id(found.request),
            });
        }
        let id = self.unused_id()?;
        let reserved = Origin {
            request: id.clone(),
            at: self.now(),
        };
        self.origins.insert(&origin.to_owned(), &reserved)?;
        self.store.flush()?;
        Ok(Reserved::Id(id))
    }

    /// Points `origin` at the id its request was finally written under (a reserved id that
    /// clashed was replaced).
    pub(super) fn settle_origin(&self, origin: Option<&str>, id: &str) -> Result<(), StoreError> {
        let Some(origin) = origin else {
            return Ok(());
        };
        let key = origin.to_owned();
        if self
            .origins
            .get(&key)?
            .is_some_and(|found| found.request == id)
        {
            return Ok(());
        }
        self.origins.insert(
            &key,
            &Origin {
                request: id.to_owned(),
                at: self.now(),
            },
        )?;
        self.store.flush()
    }

    /// Forgets deliveries older than `before`: chat services stop redelivering within a day,
    /// and the delivery ledger forgets them then too.
    pub(super) fn forget_origins_before(&self, before: DateTime<Utc>) -> Result<(), StoreError> {
        let stale: Vec<String> = self
            .origins
            .iter()
            .filter_map(|entry| match entry {
                Ok((key, origin)) if origin.at < before => Some(Ok(key)),
                Ok(_) => None,
                Err(error) => Some(Err(error)),
            })
            .collect::<Result<_, _>>()?;
        for key in stale {
            self.origins.remove(&key)?;
        }
        Ok(())
    }

    fn unused_id(&self) -> Result<String, StoreError> {
        loop {
            let id = new_id();
            if self.get(&id)?.is_none() {
                return Ok(id);
            }
        }
    }
}

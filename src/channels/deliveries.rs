//! The ledger of deliveries already handled, so that a retried or redelivered event (a Slack
//! retry, a Bot Framework redelivery) has exactly one effect, also across a restart.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::{Domain, Store, StoreError, Table};

/// Delivery ids already handled, with when they were first seen.
#[derive(Clone)]
pub struct Deliveries {
    store: Arc<dyn Store>,
    seen: Table<String, DateTime<Utc>>,
}

impl Deliveries {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let seen = Table::open(store.as_ref(), Domain::Deliveries)?;
        Ok(Deliveries { store, seen })
    }

    /// Records `key` (prefix it with the platform: `slack:Ev123`) and says whether this is its
    /// first delivery. The record is flushed to disk before this returns, so a crash right after
    /// cannot make the next delivery look new.
    pub fn first_time(&self, key: &str) -> Result<bool, StoreError> {
        let fresh = self.seen.insert_new(&key.to_owned(), &Utc::now())?;
        if fresh {
            self.store.flush()?;
        }
        Ok(fresh)
    }

    /// Forgets deliveries first seen longer ago than `age` (services stop retrying within
    /// minutes; a day is generous). Returns how many were forgotten.
    pub fn forget_older_than(&self, age: Duration) -> Result<usize, StoreError> {
        let horizon =
            Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::days(1));
        let old: Vec<String> = self
            .seen
            .iter()
            .filter_map(Result::ok)
            .filter(|(_, seen)| *seen < horizon)
            .map(|(key, _)| key)
            .collect();
        for key in &old {
            self.seen.remove(key)?;
        }
        Ok(old.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;

    #[test]
    fn a_delivery_is_new_once_even_after_reopening_the_store() {
        let dir = tempfile::tempdir().expect("dir");
        {
            let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("store"));
            let deliveries = Deliveries::open(store).expect("open");
            assert!(deliveries.first_time("slack:Ev1").expect("record"));
            assert!(!deliveries.first_time("slack:Ev1").expect("record"));
            assert!(
                deliveries.first_time("teams:Ev1").expect("record"),
                "platforms do not collide"
            );
        }
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("reopen"));
        let deliveries = Deliveries::open(store).expect("open");
        assert!(
            !deliveries.first_time("slack:Ev1").expect("record"),
            "a restart remembers"
        );
        assert_eq!(
            deliveries
                .forget_older_than(Duration::from_secs(3600))
                .expect("forget"),
            0
        );
        assert_eq!(
            deliveries
                .forget_older_than(Duration::ZERO)
                .expect("forget"),
            2
        );
    }
}

//! How many requests each person made in the last hour, for the policy's
//! `[runtime] max_requests_per_hour`. Kept in the store, so a restart does not reset anyone's
//! count, and pruned as entries age out.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::store::{Domain, Store, StoreError, Table};

/// The span the rate limit counts over.
pub const WINDOW: Duration = Duration::hours(1);

pub struct RequestRate {
    times: Table<String, Vec<DateTime<Utc>>>,
}

impl RequestRate {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        Ok(RequestRate {
            times: Table::open(store.as_ref(), Domain::RequestTimes)?,
        })
    }

    /// Requests `who` made in the hour before `now`.
    pub fn recent(&self, who: &str, now: DateTime<Utc>) -> Result<u32, StoreError> {
        let times = self.times.get(&who.to_owned())?.unwrap_or_default();
        let count = times.iter().filter(|at| **at > now - WINDOW).count();
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Counts a request by `who` at `now`.
    pub fn record(&self, who: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.times.update(&who.to_owned(), |times| {
            let mut times: Vec<DateTime<Utc>> = times
                .unwrap_or_default()
                .into_iter()
                .filter(|at| *at > now - WINDOW)
                .collect();
            times.push(now);
            (Some(times), ())
        })
    }

    /// Drops the counts of people whose every request is older than `cutoff`.
    pub fn forget_before(&self, cutoff: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut stale = Vec::new();
        for entry in self.times.iter() {
            let (who, times) = entry?;
            if times.iter().all(|at| *at <= cutoff) {
                stale.push(who);
            }
        }
        for who in &stale {
            self.times.remove(who)?;
        }
        Ok(stale.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;

    #[test]
    fn counts_the_last_hour_only_and_forgets_the_idle() {
        let folder = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(SledStore::open(folder.path()).expect("store"));
        let rate = RequestRate::open(store).expect("rate");
        let start = Utc::now();
        for minutes in [0, 10, 50] {
            rate.record("aad:1", start + Duration::minutes(minutes))
                .expect("record");
        }
        assert_eq!(
            rate.recent("aad:1", start + Duration::minutes(55))
                .expect("count"),
            3
        );
        assert_eq!(
            rate.recent("aad:1", start + Duration::minutes(65))
                .expect("count"),
            2
        );
        assert_eq!(rate.recent("aad:2", start).expect("count"), 0);
        assert_eq!(
            rate.forget_before(start + Duration::minutes(20))
                .expect("forget"),
            0
        );
        assert_eq!(
            rate.forget_before(start + Duration::minutes(51))
                .expect("forget"),
            1
        );
        assert_eq!(
            rate.recent("aad:1", start + Duration::minutes(55))
                .expect("count"),
            0
        );
    }
}

//! The kept requests and their indexes, and the one way a kept request changes: a
//! compare-and-swap of the stored record, flushed before it returns. A step reads the stored
//! record, says what it becomes (or why it does not), and nothing is written when the record is
//! not where the step expects it, so two steps that race (two clicks, a click and a timer) make
//! one change. `.ci/run` checks that nothing else in `requests` writes the table.
//!
//! Three indexes let the daemon's periodic work cost what is in flight rather than everything
//! ever asked: requests in flight (resumed every minute), active grants (reconciled), and each
//! requester's requests ("my requests", "what access do I have?"). An index entry is written
//! before the record that needs it and removed after the record that no longer does, so an index
//! may hold a stale entry after a crash (readers check the record, and drop the entry) but
//! never misses a record. Indexes missing from an older store are built once when it opens.

use chrono::{DateTime, Utc};

use crate::domain::request::{RequestRecord, State};
use crate::store::{Domain, Store, StoreError, Table};

/// Which periodic work a state concerns.
fn in_flight(state: &State) -> bool {
    !state.is_final() && *state != State::Active
}

fn active(state: &State) -> bool {
    *state == State::Active
}

/// A requester's index key: their name, then the request's creation time and id, so a scan of
/// one requester's prefix lists their requests oldest first.
fn requester_key(record: &RequestRecord) -> String {
    format!(
        "{}|{}|{}",
        record.requester.upn.to_lowercase(),
        stamp(record.created_at),
        record.id
    )
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%S%.6fZ").to_string()
}

/// The requests, by id, with their indexes.
#[derive(Clone)]
pub(crate) struct RequestTable {
    records: Table<String, RequestRecord>,
    in_flight: Table<String, bool>,
    active: Table<String, bool>,
    by_requester: Table<String, String>,
}

impl RequestTable {
    /// Opens the requests and their indexes, building the indexes once for a store kept before
    /// they existed.
    pub(crate) fn open(store: &dyn Store) -> Result<Self, StoreError> {
        let table = RequestTable {
            records: Table::open(store, Domain::Requests)?,
            in_flight: Table::open(store, Domain::RequestsInFlight)?,
            active: Table::open(store, Domain::RequestsActive)?,
            by_requester: Table::open(store, Domain::RequestsByRequester)?,
        };
        // Every request has a requester entry: none at all means the indexes were never built.
        if table.by_requester.is_empty() && !table.records.is_empty() {
            for entry in table.records.iter() {
                let (_, record) = entry?;
                table.index(&record)?;
            }
            store.flush()?;
        }
        Ok(table)
    }

    pub(crate) fn get(&self, id: &str) -> Result<Option<RequestRecord>, StoreError> {
        self.records.get(&id.to_owned())
    }

    /// Every request, oldest id first: a full scan, for what has to see them all.
    pub(crate) fn all(&self) -> Result<Vec<RequestRecord>, StoreError> {
        self.records
            .iter()
            .map(|entry| entry.map(|(_, record)| record))
            .collect()
    }

    /// The requests in flight: waiting for approval, being made, undone or taken away.
    pub(crate) fn in_flight(&self) -> Result<Vec<RequestRecord>, StoreError> {
        self.indexed(&self.in_flight, in_flight)
    }

    /// The active grants.
    pub(crate) fn active(&self) -> Result<Vec<RequestRecord>, StoreError> {
        self.indexed(&self.active, active)
    }

    /// `upn`'s requests, oldest first.
    pub(crate) fn of(&self, upn: &str) -> Result<Vec<RequestRecord>, StoreError> {
        let prefix = format!("{}|", upn.to_lowercase());
        let mut found = Vec::new();
        for entry in self.by_requester.scan_prefix(&prefix) {
            let (_, id) = entry?;
            if let Some(record) = self.get(&id)? {
                found.push(record);
            }
        }
        Ok(found)
    }

    /// Changes request `id` under compare-and-swap, on disk before it returns. `change` gets
    /// the stored record and returns the next one (with anything else the step found out), or
    /// why it does not apply (then nothing is written). An unknown id is `Err(None)`.
    pub(crate) fn change<T, R>(
        &self,
        store: &dyn Store,
        id: &str,
        change: impl Fn(RequestRecord) -> Result<(RequestRecord, T), R>,
    ) -> Result<Result<(RequestRecord, T), Option<R>>, StoreError> {
        let outcome = self
            .records
            .update(&id.to_owned(), |current| match current {
                None => (None, Err(None)),
                Some(current) => match change(current.clone()) {
                    Ok((next, found)) => (Some(next.clone()), Ok((current, next, found))),
                    Err(why) => (None, Err(Some(why))),
                },
            })?;
        let (before, after, found) = match outcome {
            Ok(changed) => changed,
            Err(why) => return Ok(Err(why)),
        };
        // The new state's entries; then the record is durable; then the old state's go.
        self.index(&after)?;
        store.flush()?;
        self.unindex_left(&before, &after)?;
        Ok(Ok((after, found)))
    }

    /// Keeps a new request: under its id if that is free, else a fresh one until one is (a
    /// clash never overwrites another request). On disk before it returns.
    pub(crate) fn create(
        &self,
        store: &dyn Store,
        mut record: RequestRecord,
        fresh_id: impl Fn() -> String,
    ) -> Result<RequestRecord, StoreError> {
        loop {
            self.index(&record)?;
            if self.records.insert_new(&record.id, &record)? {
                break;
            }
            // Someone else's id: this entry is stale, and the next id is tried.
            self.by_requester.remove(&requester_key(&record))?;
            record.id = fresh_id();
        }
        store.flush()?;
        Ok(record)
    }

    /// The index entries `record` needs.
    fn index(&self, record: &RequestRecord) -> Result<(), StoreError> {
        self.by_requester
            .insert(&requester_key(record), &record.id)?;
        if in_flight(&record.state) {
            self.in_flight.insert(&record.id, &true)?;
        }
        if active(&record.state) {
            self.active.insert(&record.id, &true)?;
        }
        Ok(())
    }

    /// Drops the entries `before` needed and `after` does not.
    fn unindex_left(
        &self,
        before: &RequestRecord,
        after: &RequestRecord,
    ) -> Result<(), StoreError> {
        if in_flight(&before.state) && !in_flight(&after.state) {
            self.in_flight.remove(&before.id)?;
        }
        if active(&before.state) && !active(&after.state) {
            self.active.remove(&before.id)?;
        }
        Ok(())
    }

    /// The records an index names whose state still belongs there; stale entries are dropped.
    fn indexed(
        &self,
        index: &Table<String, bool>,
        belongs: fn(&State) -> bool,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let mut found = Vec::new();
        let mut stale = Vec::new();
        for entry in index.iter() {
            let (id, _) = entry?;
            match self.get(&id)? {
                Some(record) if belongs(&record.state) => found.push(record),
                _ => stale.push(id),
            }
        }
        for id in stale {
            index.remove(&id)?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests;

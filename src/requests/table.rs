//! The one way a kept request changes: a compare-and-swap of the stored record, flushed before
//! it returns. A step reads the stored record, says what it becomes (or why it does not), and
//! nothing is written when the record is not where the step expects it, so two steps that race
//! (two clicks, a click and a timer) make one change. `.ci/run` checks that nothing else in
//! `requests` writes the table.

use crate::domain::request::RequestRecord;
use crate::store::{Store, StoreError, Table};

/// The requests, by id.
pub(crate) type RequestTable = Table<String, RequestRecord>;

/// Changes request `id` under compare-and-swap, on disk before it returns. `change` gets the
/// stored record and returns the next one (with anything else the step found out), or why it
/// does not apply (then nothing is written). An unknown id is `Err(None)`.
pub(crate) fn change<T, R>(
    table: &RequestTable,
    store: &dyn Store,
    id: &str,
    change: impl Fn(RequestRecord) -> Result<(RequestRecord, T), R>,
) -> Result<Result<(RequestRecord, T), Option<R>>, StoreError> {
    let outcome = table.update(&id.to_owned(), |current| match current {
        None => (None, Err(None)),
        Some(current) => match change(current) {
            Ok((next, found)) => (Some(next.clone()), Ok((next, found))),
            Err(why) => (None, Err(Some(why))),
        },
    })?;
    if outcome.is_ok() {
        store.flush()?;
    }
    Ok(outcome)
}

/// Keeps a new request: under its id if that is free, else a fresh one until one is (a clash
/// never overwrites another request). On disk before it returns.
pub(crate) fn create(
    table: &RequestTable,
    store: &dyn Store,
    mut record: RequestRecord,
    fresh_id: impl Fn() -> String,
) -> Result<RequestRecord, StoreError> {
    while !table.insert_new(&record.id, &record)? {
        record.id = fresh_id();
    }
    store.flush()?;
    Ok(record)
}

//! The indexes follow every change through the one write path, never miss a record, drop
//! stale entries, and are built once for a store kept before them.

use std::sync::Arc;

use chrono::{TimeZone, Utc};

use super::RequestTable;
use crate::domain::request::{Acting, EndCause, RequestRecord, State};
use crate::store::{Domain, SledStore, Store, Table};

fn record(id: &str, upn: &str, minute: u32, state: State) -> RequestRecord {
    let mut record = crate::domain::request::example::request(Vec::new());
    record.id = id.into();
    record.requester.upn = upn.into();
    record.requester.entra_id = format!("id-{upn}");
    record.requester.chat_user.id = format!("id-{upn}");
    record.acting = Acting::Operator;
    record.duration_seconds = None;
    record.state = state;
    record.created_at = Utc
        .with_ymd_and_hms(2026, 12, 1, 9, minute, 0)
        .single()
        .unwrap_or_default();
    record
}

fn store() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let store: Arc<dyn Store> =
        Arc::new(SledStore::open(dir.path()).unwrap_or_else(|error| panic!("store: {error}")));
    (dir, store)
}

fn ids(records: Vec<RequestRecord>) -> Vec<String> {
    records.into_iter().map(|record| record.id).collect()
}

fn set(table: &RequestTable, store: &dyn Store, id: &str, state: State) {
    let changed = table.change(store, id, |mut current| {
        current.state = state.clone();
        Ok::<_, ()>((current, ()))
    });
    assert!(matches!(changed, Ok(Ok(_))), "{id} changes");
}

#[test]
fn the_indexes_follow_each_request_through_its_states() -> Result<(), crate::store::StoreError> {
    let (_dir, store) = store();
    let table = RequestTable::open(store.as_ref())?;
    let fresh = || "R-UNUSED".to_owned();
    table.create(
        store.as_ref(),
        record("R-A", "jo@x.com", 1, State::AwaitingApproval { stage: 0 }),
        fresh,
    )?;
    table.create(
        store.as_ref(),
        record(
            "R-B",
            "jo@x.com",
            2,
            State::Provisioning { waiting_for: None },
        ),
        fresh,
    )?;
    table.create(
        store.as_ref(),
        record("R-C", "al@x.com", 3, State::AwaitingApproval { stage: 0 }),
        fresh,
    )?;
    assert_eq!(ids(table.in_flight()?), vec!["R-A", "R-B", "R-C"]);
    assert!(table.active()?.is_empty());

    set(&table, store.as_ref(), "R-B", State::Active);
    assert_eq!(ids(table.in_flight()?), vec!["R-A", "R-C"]);
    assert_eq!(ids(table.active()?), vec!["R-B"]);

    let ended = State::Ended {
        cause: EndCause::Expired,
        at: Utc::now(),
    };
    set(&table, store.as_ref(), "R-B", ended);
    set(
        &table,
        store.as_ref(),
        "R-A",
        State::Denied {
            by: "x".into(),
            reason: None,
        },
    );
    assert_eq!(ids(table.in_flight()?), vec!["R-C"]);
    assert!(table.active()?.is_empty());
    // A requester's history keeps everything, oldest first, and only theirs.
    assert_eq!(ids(table.of("JO@x.com")?), vec!["R-A", "R-B"]);
    assert_eq!(ids(table.of("al@x.com")?), vec!["R-C"]);
    Ok(())
}

#[test]
fn a_stale_entry_left_by_a_crash_is_read_past_and_dropped() -> Result<(), crate::store::StoreError>
{
    let (_dir, store) = store();
    let table = RequestTable::open(store.as_ref())?;
    table.create(
        store.as_ref(),
        record("R-A", "jo@x.com", 1, State::Active),
        || "R-UNUSED".to_owned(),
    )?;
    // A crash after the record became final, before its entry went.
    let records: Table<String, RequestRecord> = Table::open(store.as_ref(), Domain::Requests)?;
    let ended = record("R-A", "jo@x.com", 1, State::Failed { why: "x".into() });
    records.insert(&"R-A".to_owned(), &ended)?;
    assert!(table.active()?.is_empty());
    let index: Table<String, bool> = Table::open(store.as_ref(), Domain::RequestsActive)?;
    assert!(index.is_empty(), "the stale entry is gone");
    Ok(())
}

#[test]
fn a_store_kept_before_the_indexes_gets_them_when_it_opens() -> Result<(), crate::store::StoreError>
{
    let (_dir, store) = store();
    let records: Table<String, RequestRecord> = Table::open(store.as_ref(), Domain::Requests)?;
    records.insert(
        &"R-OLD1".to_owned(),
        &record("R-OLD1", "jo@x.com", 1, State::Active),
    )?;
    records.insert(
        &"R-OLD2".to_owned(),
        &record(
            "R-OLD2",
            "jo@x.com",
            2,
            State::AwaitingApproval { stage: 0 },
        ),
    )?;
    let table = RequestTable::open(store.as_ref())?;
    assert_eq!(ids(table.active()?), vec!["R-OLD1"]);
    assert_eq!(ids(table.in_flight()?), vec!["R-OLD2"]);
    assert_eq!(ids(table.of("jo@x.com")?), vec!["R-OLD1", "R-OLD2"]);
    Ok(())
}

use super::*;

fn open() -> (tempfile::TempDir, SledStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::open(dir.path()).expect("opens");
    (dir, store)
}

#[test]
fn typed_tables_round_trip_and_sort_numeric_keys_numerically() {
    let (_dir, store) = open();
    let table: Table<u64, String> = Table::open(&store, Domain::Audit).expect("table");
    for seq in [300_u64, 2, 10] {
        table
            .insert(&seq, &format!("record {seq}"))
            .expect("insert");
    }
    let keys: Vec<u64> = table.iter().map(|item| item.expect("decodes").0).collect();
    assert_eq!(keys, vec![2, 10, 300]);
    assert_eq!(table.last().expect("last").map(|(k, _)| k), Some(300));
    assert_eq!(table.get(&10).expect("get").as_deref(), Some("record 10"));
    let from_ten: Vec<u64> = table
        .scan_from(&10)
        .map(|item| item.expect("decodes").0)
        .collect();
    assert_eq!(from_ten, vec![10, 300]);
}

#[test]
fn insert_new_refuses_to_overwrite() {
    let (_dir, store) = open();
    let table: Table<String, u64> = Table::open(&store, Domain::AuditHeads).expect("table");
    assert!(table.insert_new(&"a".to_owned(), &1).expect("first"));
    assert!(!table.insert_new(&"a".to_owned(), &2).expect("second"));
    assert_eq!(table.get(&"a".to_owned()).expect("get"), Some(1));
}

#[test]
fn update_decides_on_the_current_value_and_can_leave_it_alone() {
    let (_dir, store) = open();
    let table: Table<String, u64> = Table::open(&store, Domain::AuditHeads).expect("table");
    let key = "a".to_owned();
    let absent = table
        .update(&key, |current| (None, current))
        .expect("update");
    assert_eq!(absent, None, "nothing is written when change says so");
    assert_eq!(table.get(&key).expect("get"), None);
    let first = table
        .update(&key, |current| (Some(current.unwrap_or(0) + 1), "written"))
        .expect("update");
    assert_eq!(first, "written");
    table
        .update(&key, |current| (current.map(|n| n + 1), ()))
        .expect("update");
    assert_eq!(table.get(&key).expect("get"), Some(2));
}

#[test]
fn a_garbled_value_is_reported_as_corrupt_not_a_panic() {
    let (_dir, store) = open();
    let raw = store.tree(Domain::Audit).expect("tree");
    raw.insert(&7_u64.to_key(), b"{not json")
        .expect("raw insert");
    let table: Table<u64, serde_json::Value> = Table::open(&store, Domain::Audit).expect("table");
    assert!(matches!(table.get(&7), Err(StoreError::Corrupt { .. })));
}

#[test]
fn data_survives_reopening_after_a_flush() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = SledStore::open(dir.path()).expect("opens");
        let table: Table<u64, String> = Table::open(&store, Domain::Audit).expect("table");
        table.insert(&1, &"kept".to_owned()).expect("insert");
        store.flush().expect("flush");
    }
    let store = SledStore::open(dir.path()).expect("reopens");
    let table: Table<u64, String> = Table::open(&store, Domain::Audit).expect("table");
    assert_eq!(table.get(&1).expect("get").as_deref(), Some("kept"));
}

#[test]
fn a_store_held_elsewhere_is_reported_as_locked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _held = SledStore::open(dir.path()).expect("opens");
    assert!(matches!(
        SledStore::open(dir.path()),
        Err(StoreError::Locked { .. })
    ));
}

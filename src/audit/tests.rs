use std::sync::Arc;

use chrono::TimeZone;
use serde_json::{Value, json};

use super::*;
use crate::store::SledStore;

fn key(byte: u8) -> SecretKey {
    SecretKey::from_bytes([byte; 32])
}

fn open_log(dir: &std::path::Path, key_byte: u8) -> (Arc<dyn Store>, AuditLog) {
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir).expect("store opens"));
    let log = AuditLog::open(Arc::clone(&store), &key(key_byte)).expect("audit opens");
    (store, log)
}

fn record(request: &str, kind: AuditKind) -> NewRecord {
    NewRecord {
        request_id: Some(request.to_owned()),
        kind,
        actor: "sarah.chen@contoso.com".into(),
        data: json!({"resource": "Finance", "n": 1.5, "ünïcode": "✓"}),
    }
}

fn fill(log: &AuditLog, count: u64) {
    for n in 0..count {
        let request = if n % 2 == 0 { "R-1" } else { "R-2" };
        log.append(record(request, AuditKind::Received))
            .expect("append");
    }
}

fn raw_records(store: &Arc<dyn Store>) -> Arc<dyn Tree> {
    store.tree(Domain::Audit).expect("tree")
}

#[test]
fn records_chain_from_sixty_four_zeros() {
    let dir = tempfile::tempdir().expect("dir");
    let (_store, log) = open_log(dir.path(), 1);
    let first = log
        .append(record("R-1", AuditKind::Received))
        .expect("append");
    let second = log
        .append(record("R-1", AuditKind::Understood))
        .expect("append");
    assert_eq!(first.seq, 1);
    assert_eq!(first.prev, GENESIS_PREV);
    assert_eq!(second.prev, first.hash);
    assert_eq!(first.hash.len(), 64);
    let report = log.verify().expect("verify runs");
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.records, 2);
}

#[test]
fn the_hash_is_sha256_of_prev_and_canonical_json_of_the_rest() {
    let at = chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 9, 30, 0)
        .single()
        .expect("valid time");
    let sealed = AuditRecord::seal(
        1,
        at,
        NewRecord {
            request_id: None,
            kind: AuditKind::SignedIn,
            actor: "a@b".into(),
            data: json!({"b": 1, "a": [true]}),
        },
        GENESIS_PREV,
    );
    // Canonical JSON sorts keys and drops whitespace; computed independently here.
    let canonical = r#"{"actor":"a@b","at":"2026-11-22T09:30:00.000Z","data":{"a":[true],"b":1},"kind":"signed_in","request_id":null,"seq":1}"#;
    let mut hasher = Sha256::new();
    hasher.update(GENESIS_PREV.as_bytes());
    hasher.update(canonical.as_bytes());
    assert_eq!(sealed.hash, hex::encode(hasher.finalize()));
}

use sha2::{Digest, Sha256};

#[test]
fn a_tampered_record_is_named_by_verify() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, log) = open_log(dir.path(), 1);
    fill(&log, 5);
    let tree = raw_records(&store);
    let key = 3_u64.to_key();
    let mut value: Value =
        serde_json::from_slice(&tree.get(&key).expect("get").expect("present")).expect("json");
    value["actor"] = json!("mallory@contoso.com");
    tree.insert(&key, &serde_json::to_vec(&value).expect("encode"))
        .expect("tamper");
    let report = log.verify().expect("verify runs");
    let broken = report.broken.expect("tampering is detected");
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("altered"), "{}", broken.reason);
}

#[test]
fn a_removed_record_breaks_the_chain_where_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, log) = open_log(dir.path(), 1);
    fill(&log, 4);
    raw_records(&store).remove(&2_u64.to_key()).expect("remove");
    assert_eq!(log.verify().expect("runs").broken.map(|b| b.seq), Some(2));
}

#[test]
fn a_consistently_rewritten_history_fails_against_the_signed_head() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, log) = open_log(dir.path(), 1);
    fill(&log, 3);
    log.sign_head().expect("sign").expect("something to sign");
    // Rewrite record 2 and recompute every hash after it, as an attacker with store access would.
    let tree = raw_records(&store);
    let mut prev = GENESIS_PREV.to_owned();
    for seq in 1..=3_u64 {
        let mut value: Value =
            serde_json::from_slice(&tree.get(&seq.to_key()).expect("get").expect("present"))
                .expect("json");
        if seq == 2 {
            value["data"] = json!({"resource": "Helpdesk Admins"});
        }
        let mut rest = value.as_object().cloned().expect("object");
        rest.remove("prev");
        rest.remove("hash");
        let hash = record::chain_hash(&prev, &Value::Object(rest));
        value["prev"] = json!(prev);
        value["hash"] = json!(hash);
        tree.insert(&seq.to_key(), &serde_json::to_vec(&value).expect("encode"))
            .expect("rewrite");
        prev = hash;
    }
    let broken = log
        .verify()
        .expect("runs")
        .broken
        .expect("rewrite is detected");
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("rewritten"), "{}", broken.reason);
}

#[test]
fn cutting_records_off_a_signed_tail_is_detected() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, log) = open_log(dir.path(), 1);
    fill(&log, 3);
    log.sign_head().expect("sign");
    raw_records(&store).remove(&3_u64.to_key()).expect("remove");
    let broken = log
        .verify()
        .expect("runs")
        .broken
        .expect("truncation is detected");
    assert!(broken.reason.contains("removed"), "{}", broken.reason);
}

#[test]
fn a_head_signed_with_another_key_does_not_verify() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let (_store, log) = open_log(dir.path(), 1);
        fill(&log, 2);
        log.sign_head().expect("sign");
    }
    let (_store, log) = open_log(dir.path(), 2);
    let broken = log
        .verify()
        .expect("runs")
        .broken
        .expect("foreign key is detected");
    assert!(broken.reason.contains("audit_key"), "{}", broken.reason);
}

#[test]
fn after_a_rotation_heads_of_a_listed_previous_key_verify_and_new_heads_use_the_new_key() {
    let dir = tempfile::tempdir().expect("dir");
    let old_public = HeadSigner::new(&key(1)).public_key();
    {
        let (_store, log) = open_log(dir.path(), 1);
        fill(&log, 2);
        log.sign_head().expect("sign");
    }
    let (_store, log) = open_log(dir.path(), 2);
    fill(&log, 1);
    let head = log.sign_head().expect("sign").expect("a new head");
    assert_eq!(
        head.public_key,
        HeadSigner::new(&key(2)).public_key().to_string()
    );

    let report = log
        .verify_trusting(std::slice::from_ref(&old_public))
        .expect("runs");
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.signed_heads, 2);
    let roles: Vec<(KeyRole, u64)> = report
        .signers
        .iter()
        .map(|signer| (signer.key, signer.heads))
        .collect();
    assert_eq!(roles, [(KeyRole::Previous, 1), (KeyRole::Current, 1)]);
    assert_eq!(report.signers[0].public_key, old_public.to_string());

    // Another key's public half vouches for nothing; nor does the key the head names.
    let stranger = HeadSigner::new(&key(3)).public_key();
    let broken = log
        .verify_trusting(&[stranger])
        .expect("runs")
        .broken
        .expect("the old head does not verify");
    assert_eq!(broken.seq, 2);
    assert!(
        broken.reason.contains("the signed head at seq 2")
            && broken.reason.contains(&old_public.to_string()),
        "{}",
        broken.reason
    );
}

#[test]
fn the_head_is_signed_every_sign_every_records_and_survives_reopening() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let (_store, log) = open_log(dir.path(), 1);
        fill(&log, SIGN_EVERY + 1);
        assert!(log.sign_head().expect("sign").is_some());
        assert!(
            log.sign_head().expect("sign").is_none(),
            "nothing new to sign"
        );
    }
    let (_store, log) = open_log(dir.path(), 1);
    assert_eq!(log.len(), SIGN_EVERY + 1);
    log.append(record("R-9", AuditKind::Verified))
        .expect("append after reopen");
    let report = log.verify().expect("runs");
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.signed_heads, 2);
    assert_eq!(report.last_signed_seq, SIGN_EVERY + 1);
}

#[test]
fn export_filters_by_request_and_time() {
    let dir = tempfile::tempdir().expect("dir");
    let (_store, log) = open_log(dir.path(), 1);
    fill(&log, 5);
    let mut out = Vec::new();
    let filter = ExportFilter {
        request_id: Some("R-2".into()),
        since: None,
    };
    assert_eq!(log.export(&filter, &mut out).expect("export"), 2);
    let lines: Vec<Value> = String::from_utf8(out)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert!(lines.iter().all(|line| line["request_id"] == "R-2"));
    let future = ExportFilter {
        since: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        request_id: None,
    };
    assert_eq!(log.export(&future, &mut Vec::new()).expect("export"), 0);
}

fn raw_heads(store: &Arc<dyn Store>) -> Arc<dyn Tree> {
    store.tree(Domain::AuditHeads).expect("tree")
}

#[test]
fn stripping_every_signed_head_from_a_long_chain_is_detected() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, log) = open_log(dir.path(), 1);
    fill(&log, SIGN_EVERY * 2 + 5);
    let heads = raw_heads(&store);
    let keys: Vec<Vec<u8>> = heads
        .scan_prefix(&[])
        .map(|item| item.expect("entry").0)
        .collect();
    assert_eq!(
        keys.len(),
        2,
        "the head was signed at every {SIGN_EVERY} records"
    );
    for key in keys {
        heads.remove(&key).expect("strip");
    }
    let broken = log
        .verify()
        .expect("runs")
        .broken
        .expect("stripped heads are detected");
    assert_eq!(broken.seq, 1);
    assert!(
        broken.reason.contains("no signed head"),
        "{}",
        broken.reason
    );
}

#[test]
fn removing_a_signed_head_in_the_middle_is_detected() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, log) = open_log(dir.path(), 1);
    fill(&log, SIGN_EVERY * 2);
    log.append(record("R-3", AuditKind::Verified))
        .expect("append");
    log.sign_head().expect("sign").expect("a third head");
    raw_heads(&store)
        .remove(&(SIGN_EVERY * 2).to_key())
        .expect("remove the middle head");
    let broken = log
        .verify()
        .expect("runs")
        .broken
        .expect("a removed head is detected");
    assert_eq!(broken.seq, SIGN_EVERY * 2 + 1);
    assert!(
        broken.reason.contains("signed head was removed"),
        "{}",
        broken.reason
    );
}

#[test]
fn an_unreadable_signed_head_breaks_the_chain_instead_of_failing_verification() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, log) = open_log(dir.path(), 1);
    fill(&log, 3);
    log.sign_head().expect("sign");
    raw_heads(&store)
        .insert(&3_u64.to_key(), b"garbage")
        .expect("garble");
    let report = log.verify().expect("verification itself succeeds");
    assert_eq!(report.broken.map(|b| b.seq), Some(3));
}

#[test]
fn a_store_cut_behind_its_last_signed_head_still_opens_and_reports_it() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let (store, log) = open_log(dir.path(), 1);
        fill(&log, 5);
        log.sign_head().expect("sign");
        let tree = raw_records(&store);
        tree.remove(&5_u64.to_key()).expect("cut");
        tree.remove(&4_u64.to_key()).expect("cut");
    }
    let (_store, log) = open_log(dir.path(), 1);
    log.append(record("R-9", AuditKind::Received))
        .expect("appending does not panic");
    assert!(log.verify().expect("runs").broken.is_some());
}

#[test]
fn a_short_unsigned_tail_is_reported_but_not_broken() {
    let dir = tempfile::tempdir().expect("dir");
    let (_store, log) = open_log(dir.path(), 1);
    fill(&log, 3);
    let report = log.verify().expect("runs");
    assert!(report.is_ok());
    assert_eq!(report.unsigned_tail(), 3);
    assert!(
        report.to_string().starts_with("audit chain ok: 3 records"),
        "{report}"
    );
}

#[test]
fn appends_from_many_threads_at_once_form_one_unbroken_chain() {
    let dir = tempfile::tempdir().expect("dir");
    let (_store, log) = open_log(dir.path(), 1);
    let log = Arc::new(log);
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                (0..40)
                    .map(|_| {
                        log.append(record(&format!("R-{writer}"), AuditKind::Received))
                            .expect("append")
                            .seq
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seqs: Vec<u64> = writers
        .into_iter()
        .flat_map(|writer| writer.join().expect("writer"))
        .collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=320).collect::<Vec<_>>(),
        "every append got its own place"
    );
    let report = log.verify().expect("verify runs");
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.records, 320);
}

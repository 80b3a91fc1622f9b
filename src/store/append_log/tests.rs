//! The log's framing, its recovery from a torn or garbled tail, compaction, and a failed batch.

use super::*;

fn log_in(dir: &Path) -> PathBuf {
    dir.join("records.log")
}

/// Opens the log at `path` keeping every record it holds; returns it and those records.
fn reopen(path: &Path) -> (AppendLog, Vec<Vec<u8>>, u64) {
    let recovered = AppendLog::recover(path).expect("recover");
    let records = recovered.records().to_vec();
    let cut = recovered.cut;
    (
        recovered.start(records.clone()).expect("start"),
        records,
        cut,
    )
}

#[tokio::test]
async fn records_appended_are_read_back_in_order_after_reopening() {
    let dir = tempfile::tempdir().expect("dir");
    let path = log_in(dir.path());
    let (log, records, _) = reopen(&path);
    assert!(records.is_empty());
    let first = log.append(b"one".to_vec());
    let second = log.append(b"two".to_vec());
    log.append_unawaited(b"three".to_vec()).expect("queued");
    first.durable().await.expect("one");
    second.durable().await.expect("two");
    drop(log);
    let (_log, records, cut) = reopen(&path);
    assert_eq!(
        records,
        vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
    );
    assert_eq!(cut, 0);
}

#[tokio::test]
async fn a_torn_last_record_is_cut_and_the_log_goes_on_after_it() {
    let dir = tempfile::tempdir().expect("dir");
    let path = log_in(dir.path());
    let (log, _, _) = reopen(&path);
    log.append(b"kept".to_vec()).durable().await.expect("kept");
    log.append(b"torn by a crash".to_vec())
        .durable()
        .await
        .expect("torn");
    drop(log);
    let length = std::fs::metadata(&path).expect("metadata").len();
    let file = OpenOptions::new().write(true).open(&path).expect("open");
    file.set_len(length - 3).expect("tear");
    drop(file);

    let (log, records, cut) = reopen(&path);
    assert_eq!(records, vec![b"kept".to_vec()]);
    assert_eq!(cut, (HEADER + b"torn by a crash".len() - 3) as u64);
    log.append(b"after".to_vec())
        .durable()
        .await
        .expect("after");
    drop(log);
    let (_log, records, cut) = reopen(&path);
    assert_eq!(records, vec![b"kept".to_vec(), b"after".to_vec()]);
    assert_eq!(cut, 0);
}

#[test]
fn a_garbled_record_ends_what_is_read() {
    let mut bytes = Vec::new();
    frame(&mut bytes, b"good");
    let garbled_at = bytes.len() + HEADER;
    frame(&mut bytes, b"garbled");
    frame(&mut bytes, b"after the garbled one");
    bytes[garbled_at] ^= 0xff;
    let (records, intact) = parse(&bytes);
    assert_eq!(records, vec![b"good".to_vec()]);
    assert_eq!(intact, HEADER + 4);
}

#[test]
fn a_length_beyond_reason_is_garbage_not_an_allocation() {
    let mut bytes = u32::MAX.to_le_bytes().to_vec();
    bytes.extend_from_slice(&[0; 12]);
    assert_eq!(parse(&bytes), (Vec::new(), 0));
}

#[tokio::test]
async fn a_rewrite_keeps_only_what_it_is_given_and_appends_continue_after_it() {
    let dir = tempfile::tempdir().expect("dir");
    let path = log_in(dir.path());
    let (log, _, _) = reopen(&path);
    for record in [b"old 1", b"old 2"] {
        log.append_unawaited(record.to_vec()).expect("queued");
    }
    log.rewrite(vec![b"live".to_vec()])
        .durable()
        .await
        .expect("rewrite");
    log.append(b"new".to_vec()).durable().await.expect("new");
    drop(log);
    let (_log, records, _) = reopen(&path);
    assert_eq!(records, vec![b"live".to_vec(), b"new".to_vec()]);
    assert!(!path.with_extension("new").exists(), "no file left behind");
}

#[tokio::test]
async fn a_failed_batch_is_refused_and_never_comes_back() {
    let dir = tempfile::tempdir().expect("dir");
    let path = log_in(dir.path());
    let (log, _, _) = reopen(&path);
    log.fail_writes(true);
    assert!(log.append(b"refused".to_vec()).durable().await.is_err());
    log.fail_writes(false);
    log.append(b"taken".to_vec())
        .durable()
        .await
        .expect("taken");
    drop(log);
    let (_log, records, _) = reopen(&path);
    assert_eq!(records, vec![b"taken".to_vec()]);
}

#[tokio::test]
async fn a_batch_that_failed_halfway_after_a_rewrite_leaves_no_gap_before_the_next() {
    let dir = tempfile::tempdir().expect("dir");
    let path = log_in(dir.path());
    let (log, _, _) = reopen(&path);
    // After a rewrite the log writes through a file of its own making, not opened to append.
    log.rewrite(vec![b"live".to_vec()])
        .durable()
        .await
        .expect("rewrite");
    log.fail_writes(true);
    assert!(
        log.append(b"refused halfway".to_vec())
            .durable()
            .await
            .is_err()
    );
    log.fail_writes(false);
    log.append(b"taken".to_vec())
        .durable()
        .await
        .expect("taken");
    log.append(b"and after".to_vec())
        .durable()
        .await
        .expect("after");
    drop(log);
    let (_log, records, _) = reopen(&path);
    assert_eq!(
        records,
        vec![b"live".to_vec(), b"taken".to_vec(), b"and after".to_vec()]
    );
}

#[test]
fn a_gap_of_zeros_ends_what_is_read() {
    let mut bytes = Vec::new();
    frame(&mut bytes, b"good");
    bytes.extend_from_slice(&[0; 16]);
    frame(&mut bytes, b"past the gap");
    assert_eq!(parse(&bytes), (vec![b"good".to_vec()], HEADER + 4));
}

#[tokio::test]
async fn an_unawaited_record_reaches_the_file_at_once_and_an_awaited_one_after_it_is_kept_too() {
    let dir = tempfile::tempdir().expect("dir");
    let path = log_in(dir.path());
    let (log, _, _) = reopen(&path);
    log.append_unawaited(b"done mark".to_vec()).expect("queued");
    // Written without waiting for a sync or for anything after it: a process killed now
    // leaves it in the file (only the machine's crash before the sync loses it).
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = parse(&std::fs::read(&path).expect("read")).0;
        if !seen.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(seen, vec![b"done mark".to_vec()]);
    log.append(b"accepted".to_vec())
        .durable()
        .await
        .expect("synced");
    let seen = parse(&std::fs::read(&path).expect("read")).0;
    assert_eq!(seen, vec![b"done mark".to_vec(), b"accepted".to_vec()]);
}

#[tokio::test]
async fn a_steady_stream_of_unawaited_records_is_still_synced_within_the_bound() {
    let dir = tempfile::tempdir().expect("dir");
    let path = log_in(dir.path());
    let (log, _, _) = reopen(&path);
    let before = log.syncs();
    // One record every 20 ms for a second: never a quiet moment of SYNC_UNAWAITED_WITHIN
    // (200 ms), and nobody waits for any of them.
    for n in 0..50_u32 {
        log.append_unawaited(n.to_le_bytes().to_vec())
            .expect("queued");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let during = log.syncs() - before;
    assert!(
        during >= 2,
        "records nobody waits for stayed unsynced while the stream went on ({during} syncs)"
    );
}

#[tokio::test]
async fn a_failing_sync_of_unawaited_records_is_tried_again_at_the_bound_not_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let path = log_in(dir.path());
    let (log, _, _) = reopen(&path);
    let empty = std::fs::metadata(&path).map_or(0, |file| file.len());
    log.append_unawaited(b"done".to_vec()).expect("queued");
    // Written (not synced) before the disk starts failing, however busy the machine.
    for _ in 0..500 {
        if std::fs::metadata(&path).map_or(0, |file| file.len()) > empty {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    log.fail_writes(true);
    let before = log.syncs();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let tried = log.syncs() - before;
    log.fail_writes(false);
    // Due once at 200 ms, then once every 200 ms after each failure: three or four tries.
    assert!(
        (1..=5).contains(&tried),
        "the sync of records nobody waits for was tried {tried} times in 700 ms"
    );
}

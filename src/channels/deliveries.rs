//! The delivery ledger: every delivery a chat service makes (a Slack event or click, a Teams
//! activity) is handed to the [`InboundHandler`] once, across retries, redeliveries and
//! restarts, and none is lost once Doorman has acknowledged it.
//!
//! An entry has two states. **accepted**: the adapter verified and normalised the delivery and
//! recorded it here together with the normalised item ([`Inbound`]), synced to disk before the
//! chat service gets its acknowledgement. **done**: the handler has finished with it (the item
//! is then dropped, so what people wrote does not stay on disk longer than needed). A retry or
//! redelivery of a key in either state is dropped. If recording fails, the key is taken out
//! again and the adapter refuses the delivery, so the service's retry is handled rather than
//! swallowed.
//!
//! Adapters acknowledge at once and run the handler on a task tracked here
//! ([`Deliveries::spawn`]), which marks the entry done when the handler returns. The one
//! exception is a Teams `invoke` (a card click): its HTTP answer is the handler's result, so
//! the click is recorded and then handled within the invoke's own exchange (still on a tracked
//! task, which finishes even when the invoke's time runs out).
//!
//! A delivery accepted by a run that stopped before it was done (a crash, or a shutdown that
//! outlasted its grace period, [`Deliveries::wait_idle`]) is handed to the handler again once
//! at the next start ([`Deliveries::unfinished`], [`Deliveries::replay`]). So, without crashes,
//! each delivery has exactly one effect; a handler interrupted midway by a crash sees its item
//! a second time, and must tolerate that for whatever it had already done.
//!
//! Where it is kept: an in-memory index (key → state, when first seen, the item while accepted)
//! answers "seen before?" without I/O, and every change is appended to `deliveries.log` in the
//! storage folder ([`AppendLog`]), whose one writer thread syncs each batch of records with one
//! `fdatasync`. Not in sled: each sled flush hands its write to sled's I/O threads, and under
//! load that hand-off cost more than the rest of an acknowledgement. At start the log is read
//! (a record torn by a crash cut off), entries an older build kept in sled's `deliveries` tree
//! are taken over, and the log is rewritten with the live entries only; the periodic
//! [`Deliveries::forget_older_than`] rewrites it too once it has grown.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::metrics::counter::Counter;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::domain::chat::{ChatPort, Inbound, InboundHandler};
use crate::store::{AppendLog, Domain, Store, StoreError};

/// The ledger's file in the storage folder.
pub const LOG_FILE: &str = "deliveries.log";

/// Where a delivery is in its handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Accepted,
    Done,
}

/// One delivery as the ledger keeps it (and as older builds kept it in sled).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    state: State,
    /// The normalised delivery, kept while it is accepted so that it can be handled again.
    /// Boxed: the index holds a day of entries, nearly all done, and an empty box is one word
    /// where an `Inbound` in place would be hundreds of bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    item: Option<Box<Inbound>>,
    /// When the delivery was first accepted.
    seen: DateTime<Utc>,
}

/// One record of the log: the entry of `key` from now on (the last record of a key wins).
#[derive(Serialize)]
struct RecordOut<'a> {
    key: &'a str,
    entry: &'a Entry,
}

#[derive(Deserialize)]
struct RecordIn {
    key: String,
    entry: Entry,
}

/// Why the ledger could not record or read a delivery. A delivery that cannot be recorded is
/// refused (the service delivers it again later) rather than handled without a record.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An earlier delivery of the same key is still being written: whether it will be on
    /// disk is not known yet, so this one is refused and the service delivers it again.
    #[error("an earlier delivery of it is still being recorded")]
    StillRecording,
}

/// The ledger, and the handler tasks running for it.
#[derive(Clone)]
pub struct Deliveries {
    ledger: Arc<Ledger>,
    /// How many handler tasks are running, so shutdown can wait for them.
    running: Arc<watch::Sender<usize>>,
    /// Room for handler tasks: [`HANDLERS_IN_FLIGHT`] permits, one held by each running task.
    /// A new delivery is recorded (and so acknowledged) only once there is room, so a service
    /// sending faster than Doorman can answer is slowed at the door instead of piling up tasks
    /// (under load, an unbounded pile made every task wait behind all the others: replies
    /// stalled while acknowledgements ran ahead and memory grew).
    room: Arc<Semaphore>,
    /// Deliveries dropped as seen before. A counter rather than a log line each: a service
    /// retrying in a loop would otherwise fill the log.
    redelivered: Counter,
}

/// The index and the log behind it. Changes to the index and the records that say them are
/// made under one lock, so the log's order is the index's order (a rewrite queued under the
/// lock holds exactly what was recorded before it).
struct Ledger {
    index: Mutex<Index>,
    log: AppendLog,
}

/// A key being recorded, taken off [`Index::recording`] when dropped.
struct Recording<'a> {
    ledger: &'a Ledger,
    key: &'a str,
}

impl Drop for Recording<'_> {
    fn drop(&mut self) {
        self.ledger.index().recording.remove(self.key);
    }
}

struct Index {
    entries: HashMap<String, Entry>,
    /// Keys whose accepted record is being written: not yet known to be on disk.
    recording: HashSet<String>,
    /// Records in the log file: the live entries it was last rewritten with, and every record
    /// appended since. Once more than half of them are superseded or forgotten, housekeeping
    /// rewrites the file.
    in_file: usize,
}

impl Deliveries {
    /// Opens the ledger kept in `folder` (the storage folder), taking over the entries an older
    /// build kept in `store`'s `deliveries` tree.
    pub fn open(store: Arc<dyn Store>, folder: &Path) -> Result<Self, StoreError> {
        let recovered = AppendLog::recover(&folder.join(LOG_FILE))?;
        if recovered.cut > 0 {
            tracing::warn!(
                bytes = recovered.cut,
                "the delivery ledger ended in a record torn by a crash; cut it off"
            );
        }
        let mut entries = HashMap::new();
        for bytes in recovered.records() {
            match serde_json::from_slice::<RecordIn>(bytes) {
                Ok(record) => {
                    entries.insert(record.key, record.entry);
                }
                Err(error) => tracing::warn!(%error, "an unreadable delivery record, skipped"),
            }
        }
        let older = store.tree(Domain::Deliveries)?;
        let mut taken_over = Vec::new();
        for found in older.scan_prefix(&[]) {
            let (key, bytes) = found?;
            match (
                String::from_utf8(key.clone()),
                serde_json::from_slice::<Entry>(&bytes),
            ) {
                // What the log says is newer than what an older build left in sled.
                (Ok(name), Ok(entry)) => {
                    entries.entry(name).or_insert(entry);
                }
                _ => tracing::warn!("an unreadable delivery entry in the store, dropped"),
            }
            taken_over.push(key);
        }
        let live = encode_all(&entries)?;
        let live_count = live.len();
        let log = recovered.start(live)?;
        // On disk in the log now: only then out of sled.
        if !taken_over.is_empty() {
            tracing::info!(
                count = taken_over.len(),
                "took over the deliveries an older build recorded in the store"
            );
            for key in &taken_over {
                older.remove(key)?;
            }
            store.flush()?;
        }
        Ok(Deliveries {
            ledger: Arc::new(Ledger {
                index: Mutex::new(Index {
                    entries,
                    recording: HashSet::new(),
                    in_file: live_count,
                }),
                log,
            }),
            running: Arc::new(watch::Sender::new(0)),
            room: Arc::new(Semaphore::new(HANDLERS_IN_FLIGHT)),
            redelivered: Counter::default(),
        })
    }

    /// Counts the deliveries dropped as seen before in `counter` (a metric) from now on.
    pub fn counting_redeliveries(self, counter: Counter) -> Self {
        Deliveries {
            redelivered: counter,
            ..self
        }
    }

    /// Records `key` (prefixed with the platform: `slack:Ev123`) as accepted with `item`, and
    /// says whether this is its first delivery. The record is synced to disk before this
    /// returns, so neither a redelivery nor a restart can make it look new again. While it is
    /// being written, a concurrent duplicate is refused ([`LedgerError::StillRecording`]): were
    /// it acknowledged as seen and the write then failed, the delivery would be lost. If the
    /// write fails, the key is taken back, so the service's retry is new.
    pub async fn accept(&self, key: &str, item: &Inbound) -> Result<bool, LedgerError> {
        // Wait for room, without holding it: the handler task takes its own permit. Deliveries
        // arriving together may overshoot the bound by their number, which stays small.
        if let Ok(room) = self.room.acquire().await {
            drop(room);
        }
        let entry = Entry {
            state: State::Accepted,
            item: Some(Box::new(item.clone())),
            seen: Utc::now(),
        };
        let record = encode(key, &entry)?;
        let written = {
            let mut index = self.ledger.index();
            if index.recording.contains(key) {
                return Err(LedgerError::StillRecording);
            }
            if index.entries.contains_key(key) {
                drop(index);
                self.redelivered.inc();
                return Ok(false);
            }
            index.entries.insert(key.to_owned(), entry);
            index.recording.insert(key.to_owned());
            index.in_file += 1;
            self.ledger.log.append(record)
        };
        // Taken off `recording` however this ends, a dropped request included.
        let recording = Recording {
            ledger: &self.ledger,
            key,
        };
        let outcome = written.durable().await;
        drop(recording);
        if let Err(error) = outcome {
            let mut index = self.ledger.index();
            // Not on disk, the delivery must not look seen: the service's retry is then new.
            if index
                .entries
                .get(key)
                .is_some_and(|entry| entry.state == State::Accepted)
            {
                index.entries.remove(key);
            }
            return Err(error.into());
        }
        Ok(true)
    }

    /// Marks `key` done and drops its item. The mark joins the log's next batch without being
    /// waited for: nothing user-visible depends on it, and a crash before it is synced only
    /// means the delivery is handed on once more at the next start.
    pub async fn done(&self, key: &str) -> Result<(), LedgerError> {
        let mut index = self.ledger.index();
        // Forgotten meanwhile (a day old): nothing to mark.
        let Some(entry) = index.entries.get_mut(key) else {
            return Ok(());
        };
        entry.state = State::Done;
        entry.item = None;
        let record = encode(key, entry)?;
        index.in_file += 1;
        self.ledger.log.append_unawaited(record)?;
        Ok(())
    }

    /// Runs `work`, the handling of the accepted delivery `key`, on a task of its own and marks
    /// the delivery done when it returns. The task is counted, so shutdown can wait for it, and
    /// keeps the caller's span.
    pub fn spawn<T, F>(&self, key: String, work: F) -> JoinHandle<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let running = Running::start(Arc::clone(&self.running));
        // Never refused for want of room: the wait was at the door ([`Deliveries::accept`]).
        let room = Arc::clone(&self.room).try_acquire_owned().ok();
        let ledger = self.clone();
        tokio::spawn(
            async move {
                let _running = (running, room);
                let outcome = work.await;
                if let Err(error) = ledger.done(&key).await {
                    // It stays accepted, so the next start hands it on once more.
                    tracing::error!(%error, "cannot mark a delivery done");
                }
                outcome
            }
            .in_current_span(),
        )
    }

    /// The deliveries accepted and not done, in the order they were accepted: what an earlier
    /// run acknowledged but did not finish. Read this before serving, so that nothing this run
    /// accepts is among them.
    pub async fn unfinished(&self) -> Result<Vec<(String, Inbound)>, LedgerError> {
        let index = self.ledger.index();
        let mut unfinished: Vec<_> = index
            .entries
            .iter()
            .filter_map(|(key, entry)| match entry {
                Entry {
                    state: State::Accepted,
                    item: Some(item),
                    seen,
                } => Some((*seen, key.clone(), Inbound::clone(item))),
                _ => None,
            })
            .collect();
        drop(index);
        unfinished.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Ok(unfinished
            .into_iter()
            .map(|(_, key, item)| (key, item))
            .collect())
    }

    /// Hands each of `unfinished` to `handler` once more, one after the other in the order
    /// they were accepted, marking each done; a click's answer replaces its card through `port`.
    pub async fn replay(
        &self,
        unfinished: Vec<(String, Inbound)>,
        handler: Arc<dyn InboundHandler>,
        port: Arc<dyn ChatPort>,
    ) {
        if !unfinished.is_empty() {
            tracing::info!(
                count = unfinished.len(),
                "handling deliveries an earlier run accepted but did not finish"
            );
        }
        for (key, item) in unfinished {
            let span = tracing::info_span!("replayed_delivery", %key);
            let handler = Arc::clone(&handler);
            let port = Arc::clone(&port);
            let work = async move { hand_on(item, handler.as_ref(), port.as_ref()).await };
            let handled = span.in_scope(|| self.spawn(key, work.in_current_span()));
            if let Err(error) = handled.await {
                tracing::error!(%error, "a replayed delivery's handler failed");
            }
        }
    }

    /// Waits until no handler task is running, for at most `grace`, and then until their done
    /// marks are on disk; says whether they all finished. What is still running then is handled
    /// again at the next start.
    pub async fn wait_idle(&self, grace: Duration) -> bool {
        let mut running = self.running.subscribe();
        let idle = matches!(
            tokio::time::timeout(grace, running.wait_for(|count| *count == 0)).await,
            Ok(Ok(_))
        );
        if let Err(error) = self.ledger.log.sync().durable().await {
            tracing::error!(%error, "cannot sync the delivery ledger");
        }
        idle
    }

    /// Forgets deliveries first seen longer ago than `age` (services stop retrying within
    /// minutes; a day is generous). Returns how many were forgotten. The log is rewritten with
    /// the entries left once most of its records are superseded or forgotten.
    pub async fn forget_older_than(&self, age: Duration) -> Result<usize, LedgerError> {
        let horizon =
            Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::days(1));
        let (forgotten, rewritten) = {
            let mut index = self.ledger.index();
            let before = index.entries.len();
            index.entries.retain(|_, entry| entry.seen >= horizon);
            let forgotten = before - index.entries.len();
            // Forgetting is in memory; the file is rewritten only once it is mostly dead
            // records, not at every housekeeping once the first day's entries start to age.
            if index.in_file <= 2 * index.entries.len() {
                return Ok(forgotten);
            }
            let live = encode_all(&index.entries)?;
            index.in_file = index.entries.len();
            (forgotten, self.ledger.log.rewrite(live))
        };
        rewritten.durable().await?;
        Ok(forgotten)
    }
}

impl Ledger {
    fn index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The log records that say `entries`.
fn encode_all(entries: &HashMap<String, Entry>) -> Result<Vec<Vec<u8>>, StoreError> {
    entries
        .iter()
        .map(|(key, entry)| encode(key, entry))
        .collect()
}

/// The log record that says `key` is now `entry`.
fn encode(key: &str, entry: &Entry) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&RecordOut { key, entry }).map_err(|error| StoreError::Encode {
        domain: Domain::Deliveries.tree_name(),
        reason: error.to_string(),
    })
}

/// Hands `item` to `handler`. A click's answer, when the handler has one and the platform said
/// which message was clicked, replaces that message through `port`.
pub async fn hand_on(item: Inbound, handler: &dyn InboundHandler, port: &dyn ChatPort) {
    match item {
        Inbound::Message(message) => handler.message(message).await,
        Inbound::Installed { sender, place } => handler.installed(sender, place).await,
        Inbound::Action(action) => {
            let card = action.card.clone();
            let Some(answer) = handler.action(action).await else {
                return;
            };
            let Some(card) = card else {
                tracing::debug!("no clicked message to update");
                return;
            };
            if let Err(error) = port.update(&card, &answer).await {
                tracing::warn!(%error, "cannot update the clicked message");
            }
        }
    }
}

/// How many deliveries may be handled at once before new ones wait to be accepted.
const HANDLERS_IN_FLIGHT: usize = 256;

/// One running handler task, counted from start until dropped (finished, failed or aborted).
struct Running(Arc<watch::Sender<usize>>);

impl Running {
    fn start(running: Arc<watch::Sender<usize>>) -> Self {
        running.send_modify(|count| *count += 1);
        Running(running)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count = count.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests;

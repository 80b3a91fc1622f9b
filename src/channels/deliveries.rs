//! The delivery ledger: every delivery a chat service makes (a Slack event or click, a Teams
//! activity) is handed to the [`InboundHandler`] once, across retries, redeliveries and
//! restarts, and none is lost once Doorman has acknowledged it.
//!
//! An entry has two states. **accepted**: the adapter verified and normalised the delivery and
//! recorded it here together with the normalised item ([`Inbound`]), flushed to disk before the
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

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::metrics::counter::Counter;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::domain::chat::{ChatPort, Inbound, InboundHandler};
use crate::store::{Domain, Store, StoreError, Table};

/// Where a delivery is in its handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Accepted,
    Done,
}

/// One delivery as the ledger keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    state: State,
    /// The normalised delivery, kept while it is accepted so that it can be handled again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    item: Option<Inbound>,
    /// When the delivery was first accepted.
    seen: DateTime<Utc>,
}

/// Why the ledger could not record or read a delivery. A delivery that cannot be recorded is
/// refused (the service delivers it again later) rather than handled without a record.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the ledger task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The ledger, and the handler tasks running for it.
#[derive(Clone)]
pub struct Deliveries {
    store: Arc<dyn Store>,
    entries: Table<String, Entry>,
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

impl Deliveries {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let entries = Table::open(store.as_ref(), Domain::Deliveries)?;
        Ok(Deliveries {
            store,
            entries,
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
    /// says whether this is its first delivery. The record is flushed to disk before this
    /// returns, so neither a redelivery nor a restart can make it look new again.
    pub async fn accept(&self, key: &str, item: &Inbound) -> Result<bool, LedgerError> {
        // Wait for room, without holding it: the handler task takes its own permit. Deliveries
        // arriving together may overshoot the bound by their number, which stays small.
        if let Ok(room) = self.room.acquire().await {
            drop(room);
        }
        let ledger = self.clone();
        let key = key.to_owned();
        let entry = Entry {
            state: State::Accepted,
            item: Some(item.clone()),
            seen: Utc::now(),
        };
        let first = tokio::task::spawn_blocking(move || ledger.accept_now(&key, &entry)).await??;
        if !first {
            self.redelivered.inc();
        }
        Ok(first)
    }

    fn accept_now(&self, key: &String, entry: &Entry) -> Result<bool, StoreError> {
        if !self.entries.insert_new(key, entry)? {
            return Ok(false);
        }
        if let Err(error) = self.store.flush() {
            // Not on disk, the delivery must not look seen: the service's retry is then new.
            if let Err(undo) = self.entries.remove(key) {
                tracing::error!(error = %undo, "cannot take back an unrecorded delivery");
            }
            return Err(error);
        }
        Ok(true)
    }

    /// Marks `key` done (flushed) and drops its item.
    pub async fn done(&self, key: &str) -> Result<(), LedgerError> {
        let ledger = self.clone();
        let key = key.to_owned();
        Ok(tokio::task::spawn_blocking(move || ledger.done_now(&key)).await??)
    }

    fn done_now(&self, key: &String) -> Result<(), StoreError> {
        self.entries.update(key, |current| match current {
            Some(entry) => {
                let done = Entry {
                    state: State::Done,
                    item: None,
                    seen: entry.seen,
                };
                (Some(done), ())
            }
            // Forgotten meanwhile (a day old): nothing to mark.
            None => (None, ()),
        })?;
        self.store.flush()
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
        let ledger = self.clone();
        Ok(tokio::task::spawn_blocking(move || ledger.unfinished_now()).await??)
    }

    fn unfinished_now(&self) -> Result<Vec<(String, Inbound)>, StoreError> {
        let mut unfinished = Vec::new();
        for entry in self.entries.iter() {
            match entry {
                Ok((
                    key,
                    Entry {
                        state: State::Accepted,
                        item: Some(item),
                        seen,
                    },
                )) => unfinished.push((seen, key, item)),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "an unreadable delivery entry, skipped"),
            }
        }
        unfinished.sort_by_key(|(seen, _, _)| *seen);
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

    /// Waits until no handler task is running, for at most `grace`; says whether they all
    /// finished. What is still running then is handled again at the next start.
    pub async fn wait_idle(&self, grace: Duration) -> bool {
        let mut running = self.running.subscribe();
        matches!(
            tokio::time::timeout(grace, running.wait_for(|count| *count == 0)).await,
            Ok(Ok(_))
        )
    }

    /// Forgets deliveries first seen longer ago than `age` (services stop retrying within
    /// minutes; a day is generous). Returns how many were forgotten.
    pub async fn forget_older_than(&self, age: Duration) -> Result<usize, LedgerError> {
        let ledger = self.clone();
        Ok(tokio::task::spawn_blocking(move || ledger.forget_now(age)).await??)
    }

    fn forget_now(&self, age: Duration) -> Result<usize, StoreError> {
        let horizon =
            Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::days(1));
        let old: Vec<String> = self
            .entries
            .iter()
            .filter_map(Result::ok)
            .filter(|(_, entry)| entry.seen < horizon)
            .map(|(key, _)| key)
            .collect();
        for key in &old {
            self.entries.remove(key)?;
        }
        Ok(old.len())
    }
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

//! Durable timers: jobs kept in the store by due time, run at least once, surviving restarts.
//!
//! A job has an id that names what it is for (`expire:R-7K3QX2`), so scheduling it again moves
//! it rather than adding a second one, and cancelling needs only the id. Jobs that fell due while
//! the bot was down run as soon as it is back. A job is removed only after its handler says it
//! is done, so a crash in between runs it again: handlers must be idempotent (they check the
//! request's state before acting). The same job never runs twice at once.
//!
//! Time comes from a [`Clock`], so tests can move it forward instead of waiting.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::chat::BoxFuture;
use crate::store::{Domain, Store, StoreError, Table, TableKey};

/// How often the scheduler looks for due jobs.
const TICK: Duration = Duration::from_millis(500);

/// What time it is, for everything that schedules.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock moved forward by an offset that can grow: how tests make an hour pass.
#[derive(Default)]
pub struct ShiftedClock {
    offset_ms: AtomicI64,
}

impl ShiftedClock {
    pub fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// Something to do later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// Revoke a time-bound grant at its end.
    Expire { request: String },
    /// Tell the requester their grant ends soon, with an Extend button.
    RemindEnd { request: String },
    /// Remind the approvers of a stage that still waits.
    RemindApprovers { request: String, stage: usize },
    /// Ask the stage's escalation approvers too.
    Escalate { request: String, stage: usize },
    /// End a request whose stage waited too long.
    TimeOut { request: String, stage: usize },
    /// Compare Doorman's grants with the tenant, and repair drift (one timer, run again and
    /// again).
    Reconcile,
    /// Take back what a request that failed had made, until nothing of it is left.
    Undo { request: String },
    /// Replace the message that carried an account recovery's password or pass with
    /// "(removed)".
    RemoveSecret { request: String },
}

impl Job {
    /// The id that names this job: one timer per id.
    pub fn id(&self) -> String {
        match self {
            Job::Expire { request } => format!("expire:{request}"),
            Job::RemindEnd { request } => format!("remind_end:{request}"),
            Job::RemindApprovers { request, stage } => format!("remind:{request}:{stage}"),
            Job::Escalate { request, stage } => format!("escalate:{request}:{stage}"),
            Job::TimeOut { request, stage } => format!("time_out:{request}:{stage}"),
            Job::Reconcile => "reconcile".to_owned(),
            Job::Undo { request } => format!("undo:{request}"),
            Job::RemoveSecret { request } => format!("remove_secret:{request}"),
        }
    }
}

/// What a handler made of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Finished (or nothing left to do): the timer goes.
    Done,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
}

/// Runs due jobs.
pub trait JobHandler: Send + Sync {
    fn run(&self, job: Job) -> BoxFuture<'_, Outcome>;
}

/// A timer's key: the due time in milliseconds (big-endian, so keys sort by time), then the job
/// id.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DueKey {
    at_ms: u64,
    id: String,
}

impl TableKey for DueKey {
    fn to_key(&self) -> Vec<u8> {
        let mut key = self.at_ms.to_be_bytes().to_vec();
        key.extend_from_slice(self.id.as_bytes());
        key
    }

    fn from_key(bytes: &[u8]) -> Option<Self> {
        let (at, id) = bytes.split_at_checked(8)?;
        Some(DueKey {
            at_ms: u64::from_be_bytes(at.try_into().ok()?),
            id: String::from_utf8(id.to_vec()).ok()?,
        })
    }
}

fn millis(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp_millis()).unwrap_or(0)
}

/// The durable timers.
pub struct Scheduler {
    store: Arc<dyn Store>,
    /// Jobs by due time.
    due: Table<DueKey, Job>,
    /// When each job id is due, to move or cancel it.
    by_id: Table<String, u64>,
    clock: Arc<dyn Clock>,
    /// One change to the timers at a time, so an id never ends up with two.
    writing: Mutex<()>,
    running: Mutex<HashSet<String>>,
}

impl Scheduler {
    pub fn open(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<Arc<Self>, StoreError> {
        Ok(Arc::new(Scheduler {
            due: Table::open(store.as_ref(), Domain::Timers)?,
            by_id: Table::open(store.as_ref(), Domain::TimerIds)?,
            store,
            clock,
            writing: Mutex::new(()),
            running: Mutex::new(HashSet::new()),
        }))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The clock the timers go by, for others that keep time with them.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// Runs `job` at `at` (now, if that has passed), replacing a timer with the same id; on
    /// disk before it returns.
    pub fn schedule(&self, at: DateTime<Utc>, job: Job) -> Result<(), StoreError> {
        let id = job.id();
        let _one = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(before) = self.by_id.get(&id)? {
            self.due.remove(&DueKey {
                at_ms: before,
                id: id.clone(),
            })?;
        }
        let at_ms = millis(at);
        self.due.insert(
            &DueKey {
                at_ms,
                id: id.clone(),
            },
            &job,
        )?;
        self.by_id.insert(&id, &at_ms)?;
        self.store.flush()
    }

    /// Drops the timer of this job id, if any.
    pub fn cancel(&self, id: &str) -> Result<(), StoreError> {
        let _one = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at_ms) = self.by_id.remove(&id.to_owned())? {
            self.due.remove(&DueKey {
                at_ms,
                id: id.to_owned(),
            })?;
            self.store.flush()?;
        }
        Ok(())
    }

    /// When the job with this id is due, if it is scheduled.
    pub fn due_at(&self, id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .by_id
            .get(&id.to_owned())?
            .and_then(|at| DateTime::from_timestamp_millis(i64::try_from(at).ok()?)))
    }

    /// The jobs due now, oldest first.
    fn due_now(&self) -> Result<Vec<(DueKey, Job)>, StoreError> {
        let now = millis(self.clock.now());
        let start = DueKey {
            at_ms: 0,
            id: String::new(),
        };
        let mut jobs = Vec::new();
        for entry in self.due.scan_from(&start) {
            let (key, job) = entry?;
            if key.at_ms > now {
                break;
            }
            jobs.push((key, job));
        }
        Ok(jobs)
    }

    /// Removes a finished job's timer, unless it was moved meanwhile (then it runs again then).
    fn finish(&self, key: &DueKey, outcome: Outcome, job: &Job) -> Result<(), StoreError> {
        let current = {
            let _one = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
            let current = self.by_id.get(&key.id)?;
            if current == Some(key.at_ms) {
                self.due.remove(key)?;
                self.by_id.remove(&key.id)?;
                self.store.flush()?;
            }
            current
        };
        if let (Outcome::RetryAt(at), Some(at_ms)) = (outcome, current) {
            if at_ms == key.at_ms {
                self.schedule(at, job.clone())?;
            }
        }
        Ok(())
    }

    /// Runs due jobs until the process stops: each on its own task, never the same id twice at
    /// once; a job whose handler is still busy waits for the next tick.
    pub async fn run(self: Arc<Self>, handler: Arc<dyn JobHandler>) {
        loop {
            match self.due_now() {
                Ok(jobs) => {
                    for (key, job) in jobs {
                        let fresh = self
                            .running
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(key.id.clone());
                        if !fresh {
                            continue;
                        }
                        let scheduler = Arc::clone(&self);
                        let handler = Arc::clone(&handler);
                        tokio::spawn(async move {
                            let outcome = handler.run(job.clone()).await;
                            if let Err(error) = scheduler.finish(&key, outcome, &job) {
                                tracing::error!(%error, job = %key.id, "cannot record a finished job");
                            }
                            scheduler
                                .running
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .remove(&key.id);
                        });
                    }
                }
                Err(error) => tracing::error!(%error, "cannot read the timers"),
            }
            tokio::time::sleep(TICK).await;
        }
    }
}

#[cfg(test)]
mod tests;

//! Timers kept on disk: run when due, moved not doubled, kept across a reopen, retried until
//! done, and never the same job twice at once.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::store::SledStore;

struct Counting {
    runs: Mutex<Vec<Job>>,
    /// Answer `RetryAt` this many times first.
    failures: AtomicUsize,
    retry_in: TimeDelta,
    clock: Arc<dyn Clock>,
}

impl JobHandler for Counting {
    fn run(&self, job: Job) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            self.runs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(job);
            if self.failures.load(Ordering::SeqCst) > 0 {
                self.failures.fetch_sub(1, Ordering::SeqCst);
                return Outcome::RetryAt(self.clock.now() + self.retry_in);
            }
            Outcome::Done
        })
    }
}

fn expire(request: &str) -> Job {
    Job::Expire {
        request: request.to_owned(),
    }
}

fn counting(clock: &Arc<ShiftedClock>, failures: usize) -> Arc<Counting> {
    Arc::new(Counting {
        runs: Mutex::new(Vec::new()),
        failures: AtomicUsize::new(failures),
        retry_in: TimeDelta::minutes(5),
        clock: Arc::clone(clock) as Arc<dyn Clock>,
    })
}

fn runs(handler: &Counting) -> Vec<Job> {
    handler
        .runs
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

async fn settle() {
    tokio::time::sleep(TICK * 3).await;
}

#[tokio::test]
async fn a_job_runs_once_when_due_and_not_before() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path())?);
    let clock = Arc::new(ShiftedClock::default());
    let scheduler = Scheduler::open(store, Arc::clone(&clock) as Arc<dyn Clock>)?;
    let handler = counting(&clock, 0);
    scheduler.schedule(clock.now() + TimeDelta::hours(1), expire("R-1"))?;
    // Scheduled again: moved, not doubled.
    scheduler.schedule(clock.now() + TimeDelta::hours(2), expire("R-1"))?;
    tokio::spawn(Arc::clone(&scheduler).run(Arc::clone(&handler) as Arc<dyn JobHandler>));
    settle().await;
    assert!(runs(&handler).is_empty(), "not due yet");
    clock.advance(Duration::from_secs(3600 + 60));
    settle().await;
    assert!(runs(&handler).is_empty(), "moved to two hours");
    clock.advance(Duration::from_secs(3600));
    settle().await;
    assert_eq!(runs(&handler), [expire("R-1")]);
    settle().await;
    assert_eq!(runs(&handler).len(), 1, "done means gone");
    assert_eq!(scheduler.due_at(&expire("R-1").id())?, None);
    Ok(())
}

#[tokio::test]
async fn jobs_due_while_down_run_after_a_reopen_and_a_cancelled_one_never()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(ShiftedClock::default());
    {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path())?);
        let scheduler = Scheduler::open(store, Arc::clone(&clock) as Arc<dyn Clock>)?;
        scheduler.schedule(clock.now() + TimeDelta::minutes(1), expire("R-1"))?;
        scheduler.schedule(clock.now() + TimeDelta::minutes(2), expire("R-2"))?;
        scheduler.schedule(clock.now() + TimeDelta::minutes(3), expire("R-3"))?;
        scheduler.cancel(&expire("R-2").id())?;
    }
    clock.advance(Duration::from_secs(600));
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path())?);
    let scheduler = Scheduler::open(store, Arc::clone(&clock) as Arc<dyn Clock>)?;
    let handler = counting(&clock, 0);
    tokio::spawn(Arc::clone(&scheduler).run(Arc::clone(&handler) as Arc<dyn JobHandler>));
    settle().await;
    assert_eq!(
        runs(&handler),
        [expire("R-1"), expire("R-3")],
        "oldest first"
    );
    Ok(())
}

#[tokio::test]
async fn a_job_that_asks_is_retried_later_until_done() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path())?);
    let clock = Arc::new(ShiftedClock::default());
    let scheduler = Scheduler::open(store, Arc::clone(&clock) as Arc<dyn Clock>)?;
    let handler = counting(&clock, 2);
    scheduler.schedule(clock.now(), expire("R-1"))?;
    tokio::spawn(Arc::clone(&scheduler).run(Arc::clone(&handler) as Arc<dyn JobHandler>));
    settle().await;
    assert_eq!(runs(&handler).len(), 1);
    assert!(
        scheduler.due_at(&expire("R-1").id())?.is_some(),
        "kept for a retry"
    );
    for expected in [2, 3] {
        clock.advance(Duration::from_secs(301));
        settle().await;
        assert_eq!(runs(&handler).len(), expected);
    }
    clock.advance(Duration::from_secs(301));
    settle().await;
    assert_eq!(runs(&handler).len(), 3, "done after the third");
    Ok(())
}

#[test]
fn due_keys_sort_by_time_then_id_and_read_back() {
    let early = DueKey {
        at_ms: 5,
        id: "b".into(),
    };
    let late = DueKey {
        at_ms: 256,
        id: "a".into(),
    };
    assert!(early.to_key() < late.to_key());
    assert_eq!(DueKey::from_key(&late.to_key()), Some(late));
    assert_eq!(DueKey::from_key(&[1, 2]), None);
}

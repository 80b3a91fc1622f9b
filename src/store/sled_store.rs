//! The sled implementation of [`Store`].

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use super::{Domain, Entry, Store, StoreError, Tree};

/// A sled database in one folder. sled locks the folder, so one process at a time opens it.
#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
    flushes: Arc<GroupFlush>,
}

impl SledStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        // A store closed a moment ago in this process may still be locked: sled's flusher
        // thread lets go of the folder shortly after the last handle is dropped. Waiting
        // briefly makes an in-process restart (tests, `serve` rebuilt) reliable; another live
        // process still gets `Locked` after the wait.
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match Self::try_open(path) {
                Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                outcome => return outcome,
            }
        }
    }

    fn try_open(path: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(path)
            // Doorman's data is small; a modest cache keeps the daemon's memory predictable.
            .cache_capacity(64 * 1024 * 1024)
            .open()
            .map_err(|error| match error {
                // sled reports a held lock as a plain I/O error with this message; matching it
                // is the only way to tell "in use" from "broken".
                sled::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("could not acquire lock") =>
                {
                    StoreError::Locked {
                        path: path.display().to_string(),
                    }
                }
                other => StoreError::Io(other.to_string()),
            })?;
        Ok(SledStore {
            db,
            flushes: Arc::new(GroupFlush::default()),
        })
    }
}

/// How long opening waits for a lock held by a store that is just closing.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl Store for SledStore {
    fn tree(&self, domain: Domain) -> Result<Arc<dyn Tree>, StoreError> {
        let tree = self.db.open_tree(domain.tree_name()).map_err(io)?;
        Ok(Arc::new(SledTree { tree }))
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.flushes.flush(|| self.db.flush().map(drop).map_err(io))
    }
}

/// Group commit: callers that ask for a flush while one is running share the next one, so a
/// burst of N writes costs a few flushes rather than N, and each caller still returns only once a
/// flush that began after its call (and so after its writes) has finished.
///
/// A flush that is already running when a caller arrives may have started before that caller's
/// writes, so it does not count for them; the caller waits for it to end and then either leads
/// the next flush itself or finds that another waiter already did. When the last flush served
/// more than one caller (writes are arriving concurrently), the next leader waits
/// [`GATHER_WINDOW`] before it starts, so that the writes landing meanwhile share its flush:
/// under load every flush (sled hands its write to its I/O threads and waits for them, a few
/// thread wake-ups each time) then covers many deliveries, at the price of that window in
/// latency. A lone writer is flushed at once.
#[derive(Default)]
struct GroupFlush {
    state: Mutex<FlushState>,
    finished: Condvar,
}

/// How long a flush leader waits for other writers when writes are arriving concurrently.
const GATHER_WINDOW: std::time::Duration = std::time::Duration::from_micros(500);

#[derive(Default)]
struct FlushState {
    /// Flushes started so far; the number of the latest one.
    started: u64,
    /// The number of the latest flush that finished.
    finished: u64,
    /// A leader is gathering or flushing.
    running: bool,
    /// Callers that arrived since the latest flush started.
    arrived: u64,
    /// How many callers the latest started flush serves.
    batch: u64,
    /// Why the latest finished flush failed, if it did (as a message: a `StoreError` cannot
    /// be handed to every waiter).
    failure: Option<String>,
}

impl GroupFlush {
    fn flush(&self, flush: impl FnOnce() -> Result<(), StoreError>) -> Result<(), StoreError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.arrived += 1;
        // The next flush to start begins after this call, so it covers our writes.
        let needed = state.started + 1;
        loop {
            if state.finished >= needed {
                return match &state.failure {
                    None => Ok(()),
                    Some(reason) => Err(StoreError::Io(reason.clone())),
                };
            }
            if !state.running {
                state.running = true;
                let gather = state.batch > 1;
                drop(state);
                if gather {
                    std::thread::sleep(GATHER_WINDOW);
                }
                let number = {
                    let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                    state.started += 1;
                    state.batch = std::mem::take(&mut state.arrived);
                    state.started
                };
                let outcome = flush();
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                state.running = false;
                state.finished = number;
                state.failure = match &outcome {
                    Ok(()) => None,
                    Err(StoreError::Io(reason)) => Some(reason.clone()),
                    Err(other) => Some(other.to_string()),
                };
                self.finished.notify_all();
                return outcome;
            }
            state = self
                .finished
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

struct SledTree {
    tree: sled::Tree,
}

fn io(error: sled::Error) -> StoreError {
    StoreError::Io(error.to_string())
}

fn entry(item: sled::Result<(sled::IVec, sled::IVec)>) -> Result<Entry, StoreError> {
    item.map(|(key, value)| (key.to_vec(), value.to_vec()))
        .map_err(io)
}

impl Tree for SledTree {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree.get(key).map_err(io)?.map(|value| value.to_vec()))
    }

    fn insert(&self, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree
            .insert(key, value)
            .map_err(io)?
            .map(|value| value.to_vec()))
    }

    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree
            .remove(key)
            .map_err(io)?
            .map(|value| value.to_vec()))
    }

    fn compare_and_swap(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .tree
            .compare_and_swap(key, expected, new)
            .map_err(io)?
            .is_ok())
    }

    fn scan_from(&self, start: &[u8]) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + '_> {
        Box::new(self.tree.range(start.to_vec()..).map(entry))
    }

    fn scan_prefix(
        &self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + '_> {
        Box::new(self.tree.scan_prefix(prefix).map(entry))
    }

    fn last(&self) -> Result<Option<Entry>, StoreError> {
        self.tree
            .last()
            .map_err(io)
            .map(|found| found.map(|(k, v)| (k.to_vec(), v.to_vec())))
    }

    fn len(&self) -> usize {
        self.tree.len()
    }
}

#[cfg(test)]
mod group_flush_tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// Every caller returns only after a flush that saw its write, however the callers
    /// interleave: the flush records how many writes existed when it began.
    #[test]
    fn every_caller_is_covered_by_a_flush_that_began_after_its_write() {
        let group = Arc::new(GroupFlush::default());
        let written = Arc::new(AtomicU64::new(0));
        let durable = Arc::new(AtomicU64::new(0));
        let flushes = Arc::new(AtomicU64::new(0));
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let (group, written, durable, flushes) = (
                    Arc::clone(&group),
                    Arc::clone(&written),
                    Arc::clone(&durable),
                    Arc::clone(&flushes),
                );
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let mine = written.fetch_add(1, Ordering::SeqCst) + 1;
                        group
                            .flush(|| {
                                flushes.fetch_add(1, Ordering::SeqCst);
                                durable.fetch_max(written.load(Ordering::SeqCst), Ordering::SeqCst);
                                Ok(())
                            })
                            .map_err(|error| error.to_string())?;
                        if durable.load(Ordering::SeqCst) < mine {
                            return Err(format!("write {mine} acknowledged before a flush saw it"));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.join().ok(), Some(Ok(())));
        }
        assert!(flushes.load(Ordering::SeqCst) <= 16 * 50);
    }

    #[test]
    fn a_failed_flush_fails_its_caller_and_the_next_one_can_succeed() {
        let group = GroupFlush::default();
        let failed = group.flush(|| Err(StoreError::Io("disk full".into())));
        assert!(matches!(failed, Err(StoreError::Io(reason)) if reason == "disk full"));
        assert!(group.flush(|| Ok(())).is_ok());
    }
}

//! The sled implementation of [`Store`].

use std::path::Path;
use std::sync::Arc;

use super::{Domain, Entry, Store, StoreError, Tree};

/// A sled database in one folder. sled locks the folder, so one process at a time opens it.
#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
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
        Ok(SledStore { db })
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
        self.db.flush().map(drop).map_err(io)
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

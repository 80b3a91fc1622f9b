//! Typed access to one tree: keys through [`TableKey`], values as JSON.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Domain, Store, StoreError, Tree};

/// A key that sorts in the tree the way it sorts as a value.
pub trait TableKey: Sized {
    fn to_key(&self) -> Vec<u8>;
    fn from_key(bytes: &[u8]) -> Option<Self>;
}

/// Big-endian, so that sequence numbers sort numerically.
impl TableKey for u64 {
    fn to_key(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }

    fn from_key(bytes: &[u8]) -> Option<Self> {
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    }
}

impl TableKey for String {
    fn to_key(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    fn from_key(bytes: &[u8]) -> Option<Self> {
        String::from_utf8(bytes.to_vec()).ok()
    }
}

/// A tree of `K -> V`, values stored as JSON.
pub struct Table<K, V> {
    domain: Domain,
    tree: Arc<dyn Tree>,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        Table {
            domain: self.domain,
            tree: Arc::clone(&self.tree),
            _types: PhantomData,
        }
    }
}

impl<K: TableKey, V: Serialize + DeserializeOwned> Table<K, V> {
    pub fn open(store: &dyn Store, domain: Domain) -> Result<Self, StoreError> {
        Ok(Table {
            domain,
            tree: store.tree(domain)?,
            _types: PhantomData,
        })
    }

    pub fn get(&self, key: &K) -> Result<Option<V>, StoreError> {
        let raw_key = key.to_key();
        self.tree
            .get(&raw_key)?
            .map(|bytes| self.decode(&raw_key, &bytes))
            .transpose()
    }

    pub fn insert(&self, key: &K, value: &V) -> Result<(), StoreError> {
        self.tree
            .insert(&key.to_key(), &self.encode(value)?)
            .map(drop)
    }

    /// Inserts only when `key` is absent; `Ok(false)` when it was already there.
    pub fn insert_new(&self, key: &K, value: &V) -> Result<bool, StoreError> {
        self.tree
            .compare_and_swap(&key.to_key(), None, Some(&self.encode(value)?))
    }

    /// Changes the entry at `key` atomically. `change` sees the current value (`None` when
    /// absent) and returns the value to store (`None` leaves the entry as it is) and what to
    /// answer. When another writer changed the entry in between, `change` runs again on what
    /// that writer stored, so no write is lost and no decision rests on a stale read.
    pub fn update<R>(
        &self,
        key: &K,
        mut change: impl FnMut(Option<V>) -> (Option<V>, R),
    ) -> Result<R, StoreError> {
        let raw_key = key.to_key();
        loop {
            let raw = self.tree.get(&raw_key)?;
            let current = raw
                .as_deref()
                .map(|bytes| self.decode(&raw_key, bytes))
                .transpose()?;
            let (new, answer) = change(current);
            let Some(new) = new else {
                return Ok(answer);
            };
            let swapped =
                self.tree
                    .compare_and_swap(&raw_key, raw.as_deref(), Some(&self.encode(&new)?))?;
            if swapped {
                return Ok(answer);
            }
        }
    }

    pub fn remove(&self, key: &K) -> Result<Option<V>, StoreError> {
        let raw_key = key.to_key();
        self.tree
            .remove(&raw_key)?
            .map(|bytes| self.decode(&raw_key, &bytes))
            .transpose()
    }

    /// Every entry from `start` on, in key order.
    pub fn scan_from(&self, start: &K) -> impl Iterator<Item = Result<(K, V), StoreError>> + '_ {
        self.tree
            .scan_from(&start.to_key())
            .map(|item| self.typed(item?))
    }

    /// Every entry whose key starts with `prefix` (as bytes), in key order.
    pub fn scan_prefix(
        &self,
        prefix: &str,
    ) -> impl Iterator<Item = Result<(K, V), StoreError>> + '_ {
        self.tree
            .scan_prefix(prefix.as_bytes())
            .map(|item| self.typed(item?))
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> impl Iterator<Item = Result<(K, V), StoreError>> + '_ {
        self.tree.scan_prefix(&[]).map(|item| self.typed(item?))
    }

    pub fn last(&self) -> Result<Option<(K, V)>, StoreError> {
        self.tree.last()?.map(|entry| self.typed(entry)).transpose()
    }

    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    fn typed(&self, (raw_key, bytes): (Vec<u8>, Vec<u8>)) -> Result<(K, V), StoreError> {
        let key = K::from_key(&raw_key).ok_or_else(|| StoreError::Corrupt {
            domain: self.domain.tree_name(),
            key: hex::encode(&raw_key),
            reason: "malformed key".into(),
        })?;
        Ok((key, self.decode(&raw_key, &bytes)?))
    }

    fn encode(&self, value: &V) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(value).map_err(|error| StoreError::Encode {
            domain: self.domain.tree_name(),
            reason: error.to_string(),
        })
    }

    fn decode(&self, raw_key: &[u8], bytes: &[u8]) -> Result<V, StoreError> {
        serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt {
            domain: self.domain.tree_name(),
            key: hex::encode(raw_key),
            reason: error.to_string(),
        })
    }
}

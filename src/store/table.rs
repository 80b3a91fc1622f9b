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

//! The audit trail: append-only records chained by SHA-256, with the chain's head signed now and
//! then by a key kept outside the store (DESIGN.md section 5).
//!
//! Record `n` stores `prev` (record `n-1`'s hash; 64 zeros for the first) and `hash =
//! SHA-256(prev || JCS(rest))`, where `rest` is the record without `prev` and `hash`, and JCS is
//! RFC 8785 canonical JSON. Changing any stored byte breaks that record's hash or the next
//! record's `prev`; rewriting the whole tail consistently still fails against the last signed
//! head, which only the holder of `[security] audit_key` can produce.
//!
//! Records are written and flushed before [`AuditLog::append`] returns, so a caller that appends
//! before a side effect never performs an unrecorded one. Concurrent appends share a flush (the
//! store's group commit): the chain order is fixed under a lock, the wait for the disk is not.
//! A record that guards no side effect may be appended without the wait
//! ([`AuditLog::append_soon`]). This module never records a token, secret or password: callers
//! pass only what a reviewer needs.

mod export;
mod record;
mod signing;
mod verify;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::config::{AuditPublicKey, SecretKey};
use crate::store::{Domain, Entry, Store, StoreError, Table, TableKey, Tree};

pub use export::ExportFilter;
pub use record::{AuditKind, AuditRecord, GENESIS_PREV, NewRecord};
pub use signing::{Checkpoint, HeadSigner, KeyRole, TrustedSigners};
pub use verify::{Broken, SignedBy, VerifyReport, verify_entries};

/// Sign the head after this many unsigned records, besides the daemon's periodic signing and
/// the signature made on shutdown.
pub const SIGN_EVERY: u64 = 64;

/// The audit chain stored in one [`Store`].
pub struct AuditLog {
    store: Arc<dyn Store>,
    records: Arc<dyn Tree>,
    heads: Table<u64, Checkpoint>,
    raw_heads: Arc<dyn Tree>,
    signer: HeadSigner,
    head: Mutex<Head>,
}

/// Where the chain ends now. Guarded by a mutex so that sequence numbers and `prev` links are
/// assigned in exactly one order.
#[derive(Debug, Clone)]
struct Head {
    last_seq: u64,
    last_hash: String,
    last_signed_seq: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the audit chain's last record cannot be read: {0}")]
    UnreadableHead(String),
    #[error("cannot write export: {0}")]
    Export(#[from] std::io::Error),
}

impl AuditLog {
    pub fn open(store: Arc<dyn Store>, audit_key: &SecretKey) -> Result<Self, AuditError> {
        let records = store.tree(Domain::Audit)?;
        let heads: Table<u64, Checkpoint> = Table::open(store.as_ref(), Domain::AuditHeads)?;
        let head = match records.last()? {
            None => Head {
                last_seq: 0,
                last_hash: GENESIS_PREV.to_owned(),
                last_signed_seq: 0,
            },
            Some((key, bytes)) => {
                let seq = u64::from_key(&key)
                    .ok_or_else(|| AuditError::UnreadableHead("malformed key".into()))?;
                let record: AuditRecord = serde_json::from_slice(&bytes)
                    .map_err(|error| AuditError::UnreadableHead(error.to_string()))?;
                let last_signed_seq = heads.last()?.map(|(seq, _)| seq).unwrap_or(0);
                Head {
                    last_seq: seq,
                    last_hash: record.hash,
                    last_signed_seq,
                }
            }
        };
        Ok(AuditLog {
            raw_heads: store.tree(Domain::AuditHeads)?,
            store,
            records,
            heads,
            signer: HeadSigner::new(audit_key),
            head: Mutex::new(head),
        })
    }

    /// Appends one record, flushes it to disk and returns it. An `Err` means the record may not
    /// be durable, so the caller must not go on to the side effect the record guards.
    pub fn append(&self, new: NewRecord) -> Result<AuditRecord, AuditError> {
        self.append_at(new, Utc::now())
    }

    fn append_at(&self, new: NewRecord, at: DateTime<Utc>) -> Result<AuditRecord, AuditError> {
        let record = self.extend(new, at)?;
        // A failed flush leaves the record in place: a later record may already be chained on
        // it, and taking it back would break the chain. The caller is told it is not durable.
        self.store.flush()?;
        self.sign_when_due();
        Ok(record)
    }

    /// Appends one record without waiting for the disk: it is durable with the next flush, that
    /// of any later [`AuditLog::append`] or the store's own (sled flushes every half second).
    /// For records that guard no side effect, such as what a message was understood as: a
    /// flush per chat message cost more than the rest of its handling. A crash in that window
    /// may lose the record; the chain stays whole, since nothing after it was written either.
    pub fn append_soon(&self, new: NewRecord) -> Result<AuditRecord, AuditError> {
        let record = self.extend(new, Utc::now())?;
        self.sign_when_due();
        Ok(record)
    }

    /// Seals `new` as the chain's next record and writes it to the store, unflushed. The chain
    /// is extended under the lock; the flush is not, so appends made meanwhile (and the
    /// delivery ledger's writes) share one flush instead of queueing for one each.
    fn extend(&self, new: NewRecord, at: DateTime<Utc>) -> Result<AuditRecord, AuditError> {
        let mut head = self.lock();
        let record = AuditRecord::seal(head.last_seq + 1, at, new, &head.last_hash);
        let bytes = serde_json::to_vec(&record).map_err(|error| StoreError::Encode {
            domain: "audit",
            reason: error.to_string(),
        })?;
        self.records.insert(&record.seq.to_key(), &bytes)?;
        head.last_seq = record.seq;
        head.last_hash.clone_from(&record.hash);
        Ok(record)
    }

    /// Signs the head once [`SIGN_EVERY`] records have been appended since the last signature.
    fn sign_when_due(&self) {
        let mut head = self.lock();
        if head.last_seq.saturating_sub(head.last_signed_seq) >= SIGN_EVERY {
            // The records are in the store whatever happens here; a failed signature is
            // retried at the next append or tick, and verification reports a tail left too
            // long unsigned.
            if let Err(error) = self.sign_locked(&mut head) {
                tracing::error!(%error, "could not sign the audit chain's head");
            }
        }
    }

    /// Signs the current head when records were appended since the last signature.
    pub fn sign_head(&self) -> Result<Option<Checkpoint>, AuditError> {
        let mut head = self.lock();
        if head.last_seq == head.last_signed_seq {
            return Ok(None);
        }
        self.sign_locked(&mut head).map(Some)
    }

    fn sign_locked(&self, head: &mut Head) -> Result<Checkpoint, AuditError> {
        let checkpoint = self.signer.sign(
            head.last_seq,
            &head.last_hash,
            head.last_signed_seq,
            Utc::now(),
        );
        self.heads.insert(&checkpoint.seq, &checkpoint)?;
        self.store.flush()?;
        head.last_signed_seq = checkpoint.seq;
        Ok(checkpoint)
    }

    /// Recomputes the whole chain and every signed head, trusting only the current key.
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        self.verify_trusting(&[])
    }

    /// Recomputes the whole chain and every signed head, trusting heads signed by the current
    /// key or by one of `previous` (the public halves of the keys it replaced).
    pub fn verify_trusting(&self, previous: &[AuditPublicKey]) -> Result<VerifyReport, AuditError> {
        Ok(verify_entries(
            self.records.scan_prefix(&[]),
            self.raw_heads.scan_prefix(&[]),
            &TrustedSigners::new(&self.signer, previous),
        )?)
    }

    /// The stored records, raw, in order: what a remote verifier checks.
    pub fn raw_records(&self) -> impl Iterator<Item = Result<Entry, StoreError>> + '_ {
        self.records.scan_prefix(&[])
    }

    /// The stored signed heads, raw, in order.
    pub fn raw_heads(&self) -> impl Iterator<Item = Result<Entry, StoreError>> + '_ {
        self.raw_heads.scan_prefix(&[])
    }

    /// The sequence number of the last signed head (0 when none).
    pub fn last_signed_seq(&self) -> u64 {
        self.lock().last_signed_seq
    }

    /// Writes the records that pass `filter` as JSON lines.
    pub fn export(
        &self,
        filter: &ExportFilter,
        out: &mut dyn std::io::Write,
    ) -> Result<u64, AuditError> {
        export::export(self.records.as_ref(), filter, out)
    }

    /// The number of records in the chain.
    pub fn len(&self) -> u64 {
        self.lock().last_seq
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Head> {
        // A panic while holding this lock can only come from a bug between two plain field
        // updates; the head it leaves is still a consistent (seq, hash) pair, so recover it.
        self.head
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

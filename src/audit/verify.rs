//! Recomputes the chain from the first record and checks every signed head.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AuditError;
use super::record::{GENESIS_PREV, chain_hash};
use super::signing::{Checkpoint, HeadSigner};
use crate::store::{Table, TableKey, Tree};

/// The outcome of a verification: the chain holds, or where it first breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub records: u64,
    pub signed_heads: u64,
    /// The last sequence number covered by a valid signature (0 when none).
    pub last_signed_seq: u64,
    pub broken: Option<Broken>,
}

/// The first record at which the chain stops holding, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broken {
    pub seq: u64,
    pub reason: String,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "audit chain broken at seq {}: {}", self.seq, self.reason)
    }
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.broken.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.broken {
            Some(broken) => broken.fmt(f),
            None => write!(
                f,
                "audit chain ok: {} records, {} signed heads (last signed seq {})",
                self.records, self.signed_heads, self.last_signed_seq
            ),
        }
    }
}

pub(super) fn verify(
    records: &dyn Tree,
    heads: &Table<u64, Checkpoint>,
    signer: &HeadSigner,
) -> Result<VerifyReport, AuditError> {
    let mut checkpoints = BTreeMap::new();
    for item in heads.iter() {
        let (seq, checkpoint) = item?;
        checkpoints.insert(seq, checkpoint);
    }
    let mut report = VerifyReport {
        records: 0,
        signed_heads: 0,
        last_signed_seq: 0,
        broken: None,
    };
    let mut prev = GENESIS_PREV.to_owned();
    let mut expected_seq = 1_u64;
    for item in records.scan_prefix(&[]) {
        let (key, bytes) = item?;
        if let Err(reason) = check_record(&key, &bytes, expected_seq, &prev) {
            report.broken = Some(Broken {
                seq: expected_seq,
                reason,
            });
            return Ok(report);
        }
        let hash = stored_hash(&bytes);
        if let Some(checkpoint) = checkpoints.remove(&expected_seq) {
            if let Err(reason) = check_checkpoint(&checkpoint, &hash, signer) {
                report.broken = Some(Broken {
                    seq: expected_seq,
                    reason,
                });
                return Ok(report);
            }
            report.signed_heads += 1;
            report.last_signed_seq = expected_seq;
        }
        prev = hash;
        report.records = expected_seq;
        expected_seq += 1;
    }
    // A signed head past the end means records were cut off the tail.
    if let Some((seq, _)) = checkpoints.into_iter().next() {
        report.broken = Some(Broken {
            seq: expected_seq,
            reason: format!(
                "the chain ends at seq {} but a signed head covers seq {seq}: records were removed",
                report.records
            ),
        });
    }
    Ok(report)
}

fn check_record(key: &[u8], bytes: &[u8], expected_seq: u64, prev: &str) -> Result<(), String> {
    let seq_in_key = u64::from_key(key).ok_or("malformed key")?;
    if seq_in_key != expected_seq {
        return Err(format!(
            "record missing (next stored record is seq {seq_in_key})"
        ));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|_| "record is not valid JSON")?;
    let Value::Object(mut fields) = value else {
        return Err("record is not a JSON object".into());
    };
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    if names
        != [
            "actor",
            "at",
            "data",
            "hash",
            "kind",
            "prev",
            "request_id",
            "seq",
        ]
    {
        return Err(format!(
            "record has fields {names:?}, not the eight of an audit record"
        ));
    }
    if fields.get("seq").and_then(Value::as_u64) != Some(expected_seq) {
        return Err("record's seq does not match its position".into());
    }
    let stored_prev = fields
        .remove("prev")
        .and_then(|v| v.as_str().map(str::to_owned));
    let stored_hash = fields
        .remove("hash")
        .and_then(|v| v.as_str().map(str::to_owned));
    if stored_prev.as_deref() != Some(prev) {
        return Err("prev does not match the previous record's hash".into());
    }
    let recomputed = chain_hash(prev, &Value::Object(fields));
    if stored_hash.as_deref() != Some(recomputed.as_str()) {
        return Err("hash does not match the record's content (the record was altered)".into());
    }
    Ok(())
}

fn stored_hash(bytes: &[u8]) -> String {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|value| value.get("hash").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

fn check_checkpoint(
    checkpoint: &Checkpoint,
    hash: &str,
    signer: &HeadSigner,
) -> Result<(), String> {
    if checkpoint.hash != hash {
        return Err(
            "the signed head's hash differs from the record's hash (history was rewritten)".into(),
        );
    }
    if !signer.verifies(checkpoint) {
        return Err("the head signature does not verify with [security] audit_key".into());
    }
    Ok(())
}

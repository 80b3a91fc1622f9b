//! Recomputes the chain from the first record and checks every signed head.
//!
//! Verification works on raw stored entries (key and value bytes), so that it judges exactly
//! what is on disk, and so that a command-line tool can verify entries streamed from a running
//! daemon with its own copy of the key, trusting nothing the daemon says about them.
//!
//! What it proves: every record's content and position (hash chain); every signed head, and
//! that no signed head was removed (each signs its predecessor's position); that no record after
//! a signed head was cut off; and that the unsigned tail is shorter than the daemon ever leaves
//! it ([`SIGN_EVERY`]), so stripping signatures from a chain of any length is visible too.
//! What it cannot prove: that the newest records written after the last signed head, or the
//! newest signed heads with them, were not removed together; the signed-head metric
//! (`doorman_audit_signed_seq`) lets monitoring notice such a step back.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SIGN_EVERY;
use super::record::{GENESIS_PREV, chain_hash};
use super::signing::{Checkpoint, KeyRole, TrustedSigners};
use crate::store::{Entry, StoreError, TableKey};

/// The outcome of a verification: the chain holds, or where it first breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub records: u64,
    pub signed_heads: u64,
    /// The last sequence number covered by a valid signature (0 when none).
    pub last_signed_seq: u64,
    pub broken: Option<Broken>,
    /// Which trusted keys signed the heads verified, in the order first met.
    #[serde(default)]
    pub signers: Vec<SignedBy>,
}

/// How many of the verified heads one trusted key signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedBy {
    /// The key's public half, hex.
    pub public_key: String,
    pub key: KeyRole,
    pub heads: u64,
}

impl fmt::Display for SignedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let which = match self.key {
            KeyRole::Current => "[security] audit_key",
            KeyRole::Previous => "previous key",
        };
        write!(f, "{} by {which} {}", self.heads, self.public_key)
    }
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

    /// Records written after the last signed head.
    pub fn unsigned_tail(&self) -> u64 {
        self.records.saturating_sub(self.last_signed_seq)
    }

    /// Counts one verified head signed by `key`.
    fn count_signer(&mut self, key: String, role: KeyRole) {
        match self
            .signers
            .iter_mut()
            .find(|signer| signer.public_key == key)
        {
            Some(signer) => signer.heads += 1,
            None => self.signers.push(SignedBy {
                public_key: key,
                key: role,
                heads: 1,
            }),
        }
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(broken) = &self.broken {
            return broken.fmt(f);
        }
        write!(
            f,
            "audit chain ok: {} records, {} signed heads",
            self.records, self.signed_heads
        )?;
        let tail = self.unsigned_tail();
        if tail > 0 {
            write!(f, ", {tail} newest not yet signed")?;
        }
        if !self.signers.is_empty() {
            let signers: Vec<String> = self.signers.iter().map(ToString::to_string).collect();
            write!(f, "; heads signed: {}", signers.join(", "))?;
        }
        Ok(())
    }
}

/// Verifies the chain in `records` against the signed heads in `heads` (raw entries, in key
/// order, as the store holds them), each of which must verify with one of `trusted`.
pub fn verify_entries(
    records: impl Iterator<Item = Result<Entry, StoreError>>,
    heads: impl Iterator<Item = Result<Entry, StoreError>>,
    trusted: &TrustedSigners,
) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport {
        records: 0,
        signed_heads: 0,
        last_signed_seq: 0,
        broken: None,
        signers: Vec::new(),
    };
    let checkpoints = match read_checkpoints(heads)? {
        Ok(checkpoints) => checkpoints,
        Err(broken) => {
            report.broken = Some(broken);
            return Ok(report);
        }
    };
    let mut checkpoints = checkpoints.into_iter().peekable();
    let mut prev = GENESIS_PREV.to_owned();
    let mut expected_seq = 1_u64;
    for item in records {
        let (key, bytes) = item?;
        let hash = match check_record(&key, &bytes, expected_seq, &prev) {
            Ok(hash) => hash,
            Err(reason) => {
                report.broken = Some(Broken {
                    seq: expected_seq,
                    reason,
                });
                return Ok(report);
            }
        };
        if let Some((_, checkpoint)) = checkpoints.next_if(|(seq, _)| *seq == expected_seq) {
            match check_checkpoint(&checkpoint, &hash, report.last_signed_seq, trusted) {
                Ok((key, role)) => report.count_signer(key, role),
                Err(reason) => {
                    report.broken = Some(Broken {
                        seq: expected_seq,
                        reason,
                    });
                    return Ok(report);
                }
            }
            report.signed_heads += 1;
            report.last_signed_seq = expected_seq;
        }
        prev = hash;
        report.records = expected_seq;
        expected_seq += 1;
    }
    if let Some((seq, _)) = checkpoints.next() {
        report.broken = Some(Broken {
            seq: expected_seq,
            reason: format!(
                "the chain ends at seq {} but a signed head covers seq {seq}: records were removed",
                report.records
            ),
        });
    } else if report.unsigned_tail() >= SIGN_EVERY {
        report.broken = Some(Broken {
            seq: report.last_signed_seq + 1,
            reason: format!(
                "{} records from here on carry no signed head, more than the daemon ever leaves unsigned ({}): signed heads were removed",
                report.unsigned_tail(),
                SIGN_EVERY - 1
            ),
        });
    }
    Ok(report)
}

/// Decodes every checkpoint, in order; an unreadable one breaks the chain where it stands.
fn read_checkpoints(
    heads: impl Iterator<Item = Result<Entry, StoreError>>,
) -> Result<Result<BTreeMap<u64, Checkpoint>, Broken>, StoreError> {
    let mut checkpoints = BTreeMap::new();
    for item in heads {
        let (key, bytes) = item?;
        let Some(seq) = u64::from_key(&key) else {
            return Ok(Err(Broken {
                seq: 0,
                reason: "a signed head is stored under a malformed key".into(),
            }));
        };
        match serde_json::from_slice::<Checkpoint>(&bytes) {
            Ok(checkpoint) if checkpoint.seq == seq => {
                checkpoints.insert(seq, checkpoint);
            }
            _ => {
                return Ok(Err(Broken {
                    seq,
                    reason: "the signed head stored for this record cannot be read".into(),
                }));
            }
        }
    }
    Ok(Ok(checkpoints))
}

/// Checks one record in place; returns its hash.
fn check_record(key: &[u8], bytes: &[u8], expected_seq: u64, prev: &str) -> Result<String, String> {
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
    Ok(recomputed)
}

/// Checks one signed head; returns the public key (hex) that signed it and its role.
fn check_checkpoint(
    checkpoint: &Checkpoint,
    hash: &str,
    previous_signed: u64,
    trusted: &TrustedSigners,
) -> Result<(String, KeyRole), String> {
    let Some((key, role)) = trusted.signer_of(checkpoint) else {
        return Err(format!(
            "the signed head at seq {} does not verify with [security] audit_key or any of previous_audit_public_keys (the head names {} as its signer; list that public key in previous_audit_public_keys if it was your audit_key)",
            checkpoint.seq,
            named_signer(&checkpoint.public_key)
        ));
    };
    if checkpoint.hash != hash {
        return Err(
            "the signed head's hash differs from the record's hash (history was rewritten)".into(),
        );
    }
    if checkpoint.prev_signed_seq != previous_signed {
        return Err(format!(
            "this signed head follows one at seq {}, but the previous signed head is at seq {previous_signed}: a signed head was removed",
            checkpoint.prev_signed_seq
        ));
    }
    Ok((key.to_string(), role))
}

/// The public key a head names, as it may be quoted: only hex digits, so a rewritten store
/// cannot put arbitrary text into the report.
fn named_signer(public_key: &str) -> String {
    if !public_key.is_empty()
        && public_key.len() <= 128
        && public_key.bytes().all(|b| b.is_ascii_hexdigit())
    {
        public_key.to_owned()
    } else {
        "an unreadable key".to_owned()
    }
}

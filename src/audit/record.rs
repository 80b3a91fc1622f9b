//! One audit record and how its hash is computed.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The `prev` of the first record.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened. Stored as snake_case text (`approval_requested`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    Received,
    Understood,
    Resolved,
    Decided,
    ApprovalRequested,
    Approved,
    Denied,
    Provisioned,
    Verified,
    Failed,
    RolledBack,
    Expired,
    Revoked,
    /// An active grant was taken over by an approved extension.
    Extended,
    SignedIn,
    /// A person's stored sign-in opened with no configured `token_key`: they are asked to sign
    /// in again.
    TokenUnreadable,
}

/// A record as a caller describes it, before it is numbered and chained.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub request_id: Option<String>,
    pub kind: AuditKind,
    /// Who acted: a UPN, `doorman` for the daemon itself, or `app` for app-only reads.
    pub actor: String,
    pub data: Value,
}

/// A stored audit record, field for field as DESIGN.md section 5 names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    pub seq: u64,
    /// RFC 3339, UTC, milliseconds: the exact text that was hashed.
    pub at: String,
    pub request_id: Option<String>,
    pub kind: AuditKind,
    pub actor: String,
    pub data: Value,
    pub prev: String,
    pub hash: String,
}

impl AuditRecord {
    /// Numbers and chains `new` after the record whose hash is `prev`.
    pub(super) fn seal(seq: u64, at: DateTime<Utc>, new: NewRecord, prev: &str) -> Self {
        let at = at.to_rfc3339_opts(SecondsFormat::Millis, true);
        let kind_text = serde_json::to_value(new.kind).unwrap_or(Value::Null);
        let rest = json!({
            "seq": seq,
            "at": at,
            "request_id": new.request_id,
            "kind": kind_text,
            "actor": new.actor,
            "data": new.data,
        });
        let hash = chain_hash(prev, &rest);
        AuditRecord {
            seq,
            at,
            request_id: new.request_id,
            kind: new.kind,
            actor: new.actor,
            data: new.data,
            prev: prev.to_owned(),
            hash,
        }
    }

    /// When the record was written.
    pub fn at(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.at)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }
}

/// `hex(SHA-256(prev || JCS(rest)))`. `rest` is the record without `prev` and `hash`.
pub(super) fn chain_hash(prev: &str, rest: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    // serde_jcs fails only on non-finite floats, which serde_json::Value cannot hold.
    hasher.update(serde_jcs::to_vec(rest).unwrap_or_default());
    hex::encode(hasher.finalize())
}

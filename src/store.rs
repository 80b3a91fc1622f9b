//! Durable storage behind a narrow trait. This is the only module that touches sled.
//!
//! A [`Store`] hands out ordered byte-keyed [`Tree`]s, one per [`Domain`]; [`Table`] puts typed
//! keys and JSON values on top. The trait is small on purpose (get, insert, remove,
//! compare-and-swap, ordered scans, flush) so that a server database can stand behind it later
//! without the rest of Doorman noticing. Writes reach sled's cache at once; [`Store::flush`]
//! makes them durable, and callers flush before any side effect the data guards.
//!
//! Beside the trees, [`AppendLog`] is a plain append-only file of checksummed records with
//! group commit, for data written on every chat delivery (the delivery ledger), where sled's
//! per-flush hand-off to its I/O threads would be the largest cost.

mod append_log;
mod sled_store;
mod table;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use append_log::{AppendLog, Recovered, Written};
pub use sled_store::SledStore;
pub use table::{Table, TableKey};

/// The trees Doorman keeps, one per domain. Adding a domain means adding a variant here, so
/// every tree name in the store is listed in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// Audit records by sequence number.
    Audit,
    /// Signed checkpoints of the audit chain's head, by the sequence number they sign.
    AuditHeads,
    /// Delivery ids (Teams activity ids, Slack event ids) already handled, with when.
    Deliveries,
    /// Chat accounts linked to Entra users (Slack), by chat user key.
    Links,
    /// Encrypted delegated refresh tokens, by Entra object id.
    Tokens,
    /// Sign-ins in progress, by their single-use state.
    SignIns,
    /// Messages waiting for their sender to sign in, by chat user key.
    Pending,
    /// Teams conversation references (for proactive messages), by Entra object id.
    TeamsConversations,
    /// Questions "which one did you mean?" awaiting a click, by question id.
    Clarifications,
    /// Understood requests waiting for their reason, by chat user key.
    AwaitingReasons,
    /// When each person made their recent requests, for the policy's rate limit.
    RequestTimes,
    /// Access requests and where they stand, by request id.
    Requests,
    /// The chat account each person last talked to Doorman from, by Entra object id.
    LastSeen,
    /// Standing approvals an owner gave ("approve always"), by owner, resource and level.
    StandingApprovals,
    /// Scheduled jobs, by due time and job id.
    Timers,
    /// When each scheduled job is due, by job id.
    TimerIds,
    /// The grant ledger: what each person had before Doorman wrote a fact, and which grants
    /// cover it, by person and fact.
    Holdings,
    /// The request each recent chat delivery started, by delivery.
    RequestOrigins,
    /// The plan of each grant, fixed when it was started, by request id.
    Plans,
    /// The requests in flight (waiting, being made, undone or taken away), by id.
    RequestsInFlight,
    /// The active grants, by request id.
    RequestsActive,
    /// Each requester's requests, by requester, creation time and id.
    RequestsByRequester,
}

impl Domain {
    pub const ALL: [Domain; 22] = [
        Domain::Audit,
        Domain::AuditHeads,
        Domain::Deliveries,
        Domain::Links,
        Domain::Tokens,
        Domain::SignIns,
        Domain::Pending,
        Domain::TeamsConversations,
        Domain::Clarifications,
        Domain::AwaitingReasons,
        Domain::RequestTimes,
        Domain::Requests,
        Domain::LastSeen,
        Domain::StandingApprovals,
        Domain::Timers,
        Domain::TimerIds,
        Domain::Holdings,
        Domain::RequestOrigins,
        Domain::Plans,
        Domain::RequestsInFlight,
        Domain::RequestsActive,
        Domain::RequestsByRequester,
    ];

    pub fn tree_name(self) -> &'static str {
        match self {
            Domain::Audit => "audit",
            Domain::AuditHeads => "audit_heads",
            Domain::Deliveries => "deliveries",
            Domain::Links => "links",
            Domain::Tokens => "tokens",
            Domain::SignIns => "sign_ins",
            Domain::Pending => "pending",
            Domain::TeamsConversations => "teams_conversations",
            Domain::Clarifications => "clarifications",
            Domain::AwaitingReasons => "awaiting_reasons",
            Domain::RequestTimes => "request_times",
            Domain::Requests => "requests",
            Domain::LastSeen => "last_seen",
            Domain::StandingApprovals => "standing_approvals",
            Domain::Timers => "timers",
            Domain::TimerIds => "timer_ids",
            Domain::Holdings => "holdings",
            Domain::RequestOrigins => "request_origins",
            Domain::Plans => "plans",
            Domain::RequestsInFlight => "requests_in_flight",
            Domain::RequestsActive => "requests_active",
            Domain::RequestsByRequester => "requests_by_requester",
        }
    }
}

/// A key-value store made of ordered trees.
pub trait Store: Send + Sync + 'static {
    fn tree(&self, domain: Domain) -> Result<Arc<dyn Tree>, StoreError>;
    /// Makes every write so far durable on disk.
    fn flush(&self) -> Result<(), StoreError>;
}

/// One ordered map from byte keys to byte values.
pub trait Tree: Send + Sync {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key`, returning the previous value.
    fn insert(&self, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Replaces `expected` by `new` atomically (`None` means absent). `Ok(false)` when the
    /// current value was not `expected`: someone else won the race.
    fn compare_and_swap(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError>;
    /// Entries with `start <= key`, in key order.
    fn scan_from(&self, start: &[u8]) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + '_>;
    /// Entries whose key starts with `prefix`, in key order.
    fn scan_prefix(
        &self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + '_>;
    /// The entry with the greatest key.
    fn last(&self) -> Result<Option<Entry>, StoreError>;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A raw key and value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store at {path} is in use by another process")]
    Locked { path: String },
    #[error("store i/o failed: {0}")]
    Io(String),
    #[error("stored {domain} entry {key} cannot be decoded: {reason}")]
    Corrupt {
        domain: &'static str,
        key: String,
        reason: String,
    },
    #[error("cannot encode a {domain} entry: {reason}")]
    Encode {
        domain: &'static str,
        reason: String,
    },
}

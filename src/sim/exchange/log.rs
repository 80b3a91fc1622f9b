//! The Exchange log: every admin API call, in order, as `GET /_sim/exchange/log` serves it.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// One admin API call.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeLogEntry {
    /// The cmdlet's canonical name (as the caller wrote it when it is unknown); null when the
    /// body named none.
    pub cmdlet: Option<String>,
    /// `CmdletInput.Parameters` as sent.
    pub parameters: Option<Value>,
    /// The UPN whose delegated token made the call, `app` for an app-only token, or null when
    /// the call carried no valid token (as the Graph log names callers).
    pub user: Option<String>,
    /// The status answered; null when the answer was lost (`lose_next_writes`).
    pub status: Option<u16>,
    /// The body answered, or null.
    pub response: Option<Value>,
    /// `InvokeCommand`, or the v2.0 endpoint called.
    pub endpoint: String,
    #[serde(rename = "request-id")]
    pub request_id: String,
    /// When the call arrived, before any latency (as the Graph log's `received`).
    pub received: DateTime<Utc>,
}

/// Every call so far. Entries are only ever appended, so a test may remember a length and read
/// what came after it.
#[derive(Debug, Default)]
pub struct ExchangeLog {
    entries: Mutex<Vec<ExchangeLogEntry>>,
}

impl ExchangeLog {
    pub fn push(&self, entry: ExchangeLogEntry) {
        self.lock().push(entry);
    }

    pub fn entries(&self) -> Vec<ExchangeLogEntry> {
        self.lock().clone()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ExchangeLogEntry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

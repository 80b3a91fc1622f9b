//! The Graph log: every call with its bodies, in order, as `GET /_sim/graph/log` serves it. Its
//! entries are the input format of `graph-shape-check`.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// One Graph call.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub method: String,
    /// The path after `/v1.0`, with its query string.
    pub path: String,
    /// The UPN whose delegated token made the call, `app` for an app-only token, or null when
    /// the call carried no valid token.
    pub user: Option<String>,
    /// The status answered; null when the answer was lost (`lose_next_writes`).
    pub status: Option<u16>,
    pub request: Option<Value>,
    pub response: Option<Value>,
    #[serde(rename = "request-id")]
    pub request_id: String,
    /// When the call arrived, before any latency: a call that arrived before a caller died was
    /// sent by it, however late it was carried out.
    pub received: DateTime<Utc>,
}

/// Every call so far. Entries are only ever appended, so a test may remember a length and read
/// what came after it.
#[derive(Debug, Default)]
pub struct GraphLog {
    entries: Mutex<Vec<LogEntry>>,
}

impl GraphLog {
    pub fn push(&self, entry: LogEntry) {
        self.lock().push(entry);
    }

    pub fn entries(&self) -> Vec<LogEntry> {
        self.lock().clone()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LogEntry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

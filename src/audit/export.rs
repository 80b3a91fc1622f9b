//! Writes audit records as JSON lines, filtered by time or request.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::AuditError;
use crate::store::Tree;

/// Which records to export. Empty means all of them.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// Records written at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Records of this request only.
    pub request_id: Option<String>,
}

impl ExportFilter {
    fn admits(&self, record: &Value) -> bool {
        if let Some(request_id) = &self.request_id {
            if record.get("request_id").and_then(Value::as_str) != Some(request_id.as_str()) {
                return false;
            }
        }
        if let Some(since) = self.since {
            let at = record
                .get("at")
                .and_then(Value::as_str)
                .and_then(|text| DateTime::parse_from_rfc3339(text).ok());
            if at.is_none_or(|at| at.with_timezone(&Utc) < since) {
                return false;
            }
        }
        true
    }
}

/// Writes every admitted record, exactly as stored, one per line; returns how many.
pub(super) fn export(
    records: &dyn Tree,
    filter: &ExportFilter,
    out: &mut dyn std::io::Write,
) -> Result<u64, AuditError> {
    let mut written = 0;
    for item in records.scan_prefix(&[]) {
        let (_, bytes) = item?;
        // A record that no longer parses is still exported as it is: export shows the store,
        // verify judges it.
        let admitted = match serde_json::from_slice::<Value>(&bytes) {
            Ok(record) => filter.admits(&record),
            Err(_) => filter.request_id.is_none() && filter.since.is_none(),
        };
        if admitted {
            out.write_all(&bytes)?;
            out.write_all(b"\n")?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

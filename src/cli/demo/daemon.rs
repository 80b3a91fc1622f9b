//! What the demo's web chat shows of the daemon beside the tenant: its active grants, read
//! through the admin listener as `doorman grants list` reads them, and its audit trail as
//! `doorman audit export` writes it, so the page sees what an operator would.

use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::admin::AdminClient;
use crate::audit::{AuditLog, ExportFilter};
use crate::sim::webchat::DaemonView;

/// The daemon whose store is at `storage`, found through the token file it writes there, and
/// its audit log (the demo runs it in this process).
pub struct AdminView {
    pub storage: PathBuf,
    pub audit: Arc<AuditLog>,
}

impl AdminView {
    fn client(&self) -> Result<AdminClient, String> {
        AdminClient::discover(&self.storage)
            .map_err(|error| error.to_string())?
            .ok_or_else(|| "Doorman has not started yet".to_owned())
    }
}

impl DaemonView for AdminView {
    fn grants(&self) -> BoxFuture<'_, Result<Value, String>> {
        Box::pin(async move {
            let grants = self
                .client()?
                .grants()
                .await
                .map_err(|error| error.to_string())?;
            serde_json::to_value(grants).map_err(|error| error.to_string())
        })
    }

    fn audit(&self) -> BoxFuture<'_, Result<Value, String>> {
        let audit = Arc::clone(&self.audit);
        Box::pin(async move {
            let exported = tokio::task::spawn_blocking(move || {
                let mut lines = Vec::new();
                audit
                    .export(&ExportFilter::default(), &mut lines)
                    .map(|_| lines)
            })
            .await
            .map_err(|error| error.to_string())?;
            records(&exported.map_err(|error| error.to_string())?)
        })
    }
}

/// The exported JSON lines as one array, oldest first.
fn records(lines: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(lines).map_err(|error| error.to_string())?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).map_err(|error| error.to_string()))
        .collect::<Result<Vec<Value>, String>>()
        .map(Value::Array)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn exported_lines_become_one_array_in_order() {
        let lines =
            b"{\"seq\":1,\"kind\":\"request_created\"}\n\n{\"seq\":2,\"kind\":\"decided\"}\n";
        assert_eq!(
            super::records(lines),
            Ok(json!([
                {"seq": 1, "kind": "request_created"},
                {"seq": 2, "kind": "decided"}
            ]))
        );
    }

    #[test]
    fn a_line_that_is_not_json_is_an_error() {
        assert!(super::records(b"{\"seq\":1}\nnot json\n").is_err());
    }
}

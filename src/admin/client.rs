//! The command-line side: find a running daemon through its token file and ask it.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{ChainLine, TokenFile, token_path};
use crate::audit::ExportFilter;
use crate::store::Entry;

/// A connection to a running daemon's admin listener.
pub struct AdminClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Nothing answers at the address in the token file: the daemon is gone.
    #[error("the daemon's admin listener at {0} does not answer")]
    Unreachable(String),
    #[error("the daemon refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("cannot read the admin token file: {0}")]
    TokenFile(String),
    #[error("unexpected answer from the daemon: {0}")]
    BadAnswer(String),
}

impl AdminClient {
    /// The daemon announced in `storage`'s token file, if there is one. A file others may
    /// read or write is not trusted: the daemon never writes one.
    pub fn discover(storage: &Path) -> Result<Option<AdminClient>, AdminError> {
        use std::os::unix::fs::PermissionsExt;
        let path = token_path(storage);
        let metadata = match std::fs::symlink_metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(AdminError::TokenFile(error.to_string())),
        };
        if !metadata.is_file() || metadata.permissions().mode() & 0o077 != 0 {
            return Err(AdminError::TokenFile(format!(
                "{} is not a private regular file (mode must be 0600); remove it if no daemon is running",
                path.display()
            )));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|error| AdminError::TokenFile(error.to_string()))?;
        let file: TokenFile = serde_json::from_str(&text)
            .map_err(|error| AdminError::TokenFile(error.to_string()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(300))
            .no_proxy()
            .build()
            .map_err(|error| AdminError::BadAnswer(error.to_string()))?;
        Ok(Some(AdminClient {
            base: format!("http://{}", file.address),
            token: file.token,
            http,
        }))
    }

    /// The stored audit chain: its signed heads and its records, raw, in order.
    pub async fn chain(&self) -> Result<(Vec<Entry>, Vec<Entry>), AdminError> {
        let response = self.get("/admin/audit/chain", &[]).await?;
        let body = response
            .text()
            .await
            .map_err(|error| AdminError::BadAnswer(error.to_string()))?;
        let (mut heads, mut records) = (Vec::new(), Vec::new());
        for line in body.lines().filter(|line| !line.is_empty()) {
            let line: ChainLine = serde_json::from_str(line)
                .map_err(|error| AdminError::BadAnswer(error.to_string()))?;
            let key =
                hex::decode(&line.key).map_err(|error| AdminError::BadAnswer(error.to_string()))?;
            let value = STANDARD
                .decode(&line.value)
                .map_err(|error| AdminError::BadAnswer(error.to_string()))?;
            match line.tree.as_str() {
                "heads" => heads.push((key, value)),
                "records" => records.push((key, value)),
                other => return Err(AdminError::BadAnswer(format!("unknown tree '{other}'"))),
            }
        }
        Ok((heads, records))
    }

    /// Streams the daemon's export into `out`.
    pub async fn export(
        &self,
        filter: &ExportFilter,
        out: &mut dyn std::io::Write,
    ) -> Result<(), AdminError> {
        let response = self.get("/admin/audit/export", &filter.to_query()).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|error| AdminError::BadAnswer(error.to_string()))?;
        out.write_all(&bytes)
            .and_then(|()| out.flush())
            .map_err(|error| AdminError::BadAnswer(error.to_string()))
    }

    /// The active grants the daemon holds.
    pub async fn grants(&self) -> Result<Vec<crate::requests::RequestRecord>, AdminError> {
        self.get("/admin/grants", &[])
            .await?
            .json()
            .await
            .map_err(|error| AdminError::BadAnswer(error.to_string()))
    }

    /// Asks the daemon to end an active grant now.
    pub async fn revoke(&self, id: &str) -> Result<crate::requests::RequestRecord, AdminError> {
        let id = url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>();
        let request = self
            .http
            .post(format!("{}/admin/grants/{id}/revoke", self.base));
        self.send(request)
            .await?
            .json()
            .await
            .map_err(|error| AdminError::BadAnswer(error.to_string()))
    }

    async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<reqwest::Response, AdminError> {
        let request = self.http.get(format!("{}{path}", self.base)).query(query);
        self.send(request).await
    }

    /// Sends `request` with the admin token; a refusal carries the daemon's status and words.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, AdminError> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|error| {
                if error.is_connect() {
                    AdminError::Unreachable(self.base.clone())
                } else {
                    AdminError::BadAnswer(error.to_string())
                }
            })?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            let message = response.text().await.unwrap_or_default();
            return Err(AdminError::Refused { status, message });
        }
        Ok(response)
    }
}

/// An export filter from the command line's (or the admin query's) text: `since` is an RFC 3339
/// instant or a date (midnight UTC).
pub fn export_filter(
    since: Option<&str>,
    request_id: Option<String>,
) -> Result<ExportFilter, String> {
    let since = match since {
        None => None,
        Some(text) => Some(
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .or_else(|_| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map(|date| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
                })
                .map_err(|_| {
                    format!("--since '{text}' is neither an RFC 3339 time nor a YYYY-MM-DD date")
                })?,
        ),
    };
    Ok(ExportFilter { since, request_id })
}

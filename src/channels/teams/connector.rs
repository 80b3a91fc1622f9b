//! Calls to the Bot Connector REST API with the bot token: retries, throttling and errors.
//!
//! Owns [`Connector`] (one JSON request, retried on 429, 412, 502, 503, 504 and connection
//! failures with jittered backoff that honours `Retry-After`) and [`ConnectorError`]. Must not:
//! decide where a request goes (that is [`super::outbound`], which checks the service URL), retry
//! a 403 (a blocked bot stays blocked), or keep a response body in an error.

use std::time::SystemTime;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

use super::token::{BotTokenSource, TokenError};
use crate::graph::RetryPolicy;
use crate::graph::retry::parse_retry_after;

pub(super) struct Connector {
    http: reqwest::Client,
    tokens: BotTokenSource,
    retry: RetryPolicy,
}

/// Why a Bot Connector call failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum ConnectorError {
    #[error("no bot token: {0}")]
    Token(#[from] TokenError),
    /// No connection could be made, so nothing was sent.
    #[error("the bot connector is unreachable: {0}")]
    Unreachable(String),
    /// The request failed after it may have reached the connector (a timeout, a reset).
    #[error("the bot connector call failed: {0}")]
    Interrupted(String),
    /// The connector answered with an error status; `code` is its error code (and Teams'
    /// `subCode`, such as `MessageWritesBlocked`) when the body names one.
    #[error("the bot connector answered {status}{}", describe(.code))]
    Status {
        status: StatusCode,
        code: Option<String>,
    },
    #[error("the bot connector answered with an unreadable body")]
    Unreadable,
}

impl Connector {
    pub fn new(http: reqwest::Client, tokens: BotTokenSource, retry: RetryPolicy) -> Self {
        Connector {
            http,
            tokens,
            retry,
        }
    }

    /// Sends `body` to `url` and returns the JSON answer (`Null` for an empty one).
    pub async fn call(
        &self,
        method: Method,
        url: &str,
        body: &Value,
    ) -> Result<Value, ConnectorError> {
        let started = Instant::now();
        let mut failed_attempts = 0_u32;
        loop {
            let token = self.tokens.token().await?;
            let request = self
                .http
                .request(method.clone(), url)
                .bearer_auth(token.expose());
            // `Null` is no body at all (a GET), not the JSON `null`.
            let request = if body.is_null() {
                request
            } else {
                request.json(body)
            };
            let sent = request.send().await;
            let (error, retry_after) = match sent {
                Ok(response) if response.status().is_success() => return read_body(response).await,
                Ok(response) => {
                    let status = response.status();
                    if status == StatusCode::UNAUTHORIZED {
                        // A revoked or rotated token: the next call fetches a new one.
                        self.tokens.forget().await;
                    }
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| parse_retry_after(value, SystemTime::now()));
                    let code = error_code(response).await;
                    (ConnectorError::Status { status, code }, retry_after)
                }
                Err(error) if error.is_connect() => {
                    (ConnectorError::Unreachable(error.to_string()), None)
                }
                Err(error) => (ConnectorError::Interrupted(error.to_string()), None),
            };
            failed_attempts += 1;
            if !is_retryable(&error) {
                return Err(error);
            }
            let Some(wait) = self
                .retry
                .next_wait(failed_attempts, started.elapsed(), retry_after)
            else {
                return Err(error);
            };
            tracing::debug!(%error, wait_ms = wait.as_millis() as u64, "retrying a bot connector call");
            tokio::time::sleep(wait).await;
        }
    }
}

/// Throttling (429, and 412 which Teams also uses for it), gateway failures and connection
/// failures are worth another try; a request that timed out is not, because it may have been
/// carried out and a second message would be a duplicate.
fn is_retryable(error: &ConnectorError) -> bool {
    match error {
        ConnectorError::Status { status, .. } => {
            matches!(status.as_u16(), 429 | 412 | 502 | 503 | 504)
        }
        ConnectorError::Unreachable(_) => true,
        ConnectorError::Token(_) | ConnectorError::Interrupted(_) | ConnectorError::Unreadable => {
            false
        }
    }
}

async fn read_body(response: reqwest::Response) -> Result<Value, ConnectorError> {
    let bytes = response
        .bytes()
        .await
        .map_err(|error| ConnectorError::Interrupted(error.to_string()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|_| ConnectorError::Unreadable)
}

/// The error code of an error body such as
/// `{"error":{"code":"BotDisabledByAdmin","message":"..."}}` or Teams'
/// `{"error":{"code":"Forbidden","subCode":"MessageWritesBlocked"}}`.
async fn error_code(response: reqwest::Response) -> Option<String> {
    let body: Value = response.json().await.ok()?;
    let error = body.get("error")?;
    let code = error.get("code").and_then(Value::as_str);
    let sub_code = error.get("subCode").and_then(Value::as_str);
    match (code, sub_code) {
        (Some(code), Some(sub_code)) => Some(format!("{code}/{sub_code}")),
        (Some(code), None) => Some(code.to_owned()),
        (None, Some(sub_code)) => Some(sub_code.to_owned()),
        (None, None) => None,
    }
}

fn describe(code: &Option<String>) -> String {
    code.as_ref()
        .map(|code| format!(": {code}"))
        .unwrap_or_default()
}

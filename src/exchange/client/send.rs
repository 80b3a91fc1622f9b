//! The one place a request leaves Doorman for Exchange: headers, retries, error mapping.
//!
//! Owns the retry loop and what each failure means for replaying. Every cmdlet Doorman runs has
//! the effect of running it once when run twice (a repeated add answers "already there", a
//! repeated removal "not there", a `Set-Mailbox` sets the same value), so writes are retried like
//! reads; a failure that follows an attempt which may have been carried out says so. Must not:
//! log a token or a body, or send to another origin than the configured one.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, RETRY_AFTER};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use super::ExchangeClient;
use super::request::{Access, CmdletCall};
use crate::exchange::error::{ExchangeError, ExchangeFailure, error_from_answer, header_text};
use crate::graph::retry::parse_retry_after;

/// A success answer, before it is decoded. `Debug` shows only the body's length.
pub(in crate::exchange) struct RawAnswer {
    pub(in crate::exchange) status: StatusCode,
    pub(in crate::exchange) request_id: Option<String>,
    pub(in crate::exchange) client_request_id: String,
    pub(in crate::exchange) after_uncertain_attempt: bool,
    pub(in crate::exchange) body: Vec<u8>,
}

impl std::fmt::Debug for RawAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAnswer")
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field("client_request_id", &self.client_request_id)
            .field("after_uncertain_attempt", &self.after_uncertain_attempt)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl RawAnswer {
    /// The fields a failure about this answer starts from.
    pub(in crate::exchange) fn failure_base(&self, call: &CmdletCall) -> ExchangeFailure {
        ExchangeFailure {
            cmdlet: call.operation.cmdlet(),
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
            after_uncertain_attempt: self.after_uncertain_attempt,
            ..ExchangeFailure::default()
        }
    }
}

impl ExchangeClient {
    /// Sends `call` to `url` until it is answered with success, fails for good, or the retry
    /// budget runs out. Every attempt carries `client_request_id`.
    pub(super) async fn send(
        &self,
        access: Access<'_>,
        call: &CmdletCall,
        url: &Url,
        client_request_id: &str,
    ) -> Result<RawAnswer, ExchangeError> {
        let (token, token_kind) = match access {
            Access::Read(bearer) => (bearer.expose(), bearer.kind_name()),
            Access::Write(token) => (token.expose(), "delegated"),
        };
        let span = tracing::info_span!(
            "exchange_call",
            cmdlet = call.operation.cmdlet(),
            route = call.operation.route().kind_name(),
            path = %url.path(),
            token_kind,
            client_request_id,
            attempt = tracing::field::Empty,
            request_id = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let attempt = Attempt {
            token,
            call,
            url,
            client_request_id,
            anchor: call.anchor.header_value(&self.tenant_id),
            body: call.body(),
        };
        self.send_with_retries(&attempt, &span)
            .instrument(span.clone())
            .await
    }

    async fn send_with_retries(
        &self,
        attempt: &Attempt<'_>,
        span: &tracing::Span,
    ) -> Result<RawAnswer, ExchangeError> {
        let started = Instant::now();
        let mut number: u32 = 0;
        // Whether an attempt so far may have been carried out without its answer arriving.
        let mut uncertain = false;
        loop {
            number += 1;
            span.record("attempt", number);
            let remaining = self.policy.max_elapsed.saturating_sub(started.elapsed());
            let timeout = self
                .request_timeout
                .min(remaining)
                .max(Duration::from_millis(1));
            let mut failed = match self.send_once(attempt, timeout, span).await {
                Ok(mut answer) => {
                    answer.after_uncertain_attempt = uncertain;
                    return Ok(answer);
                }
                Err(failed) => failed,
            };
            if uncertain {
                failed.error = failed.error.after_uncertain_attempt();
            }
            uncertain |= failed.retry == RetryClass::MayHaveBeenCarriedOut;
            let wait = if failed.retry == RetryClass::Never {
                None
            } else {
                self.policy
                    .next_wait(number, started.elapsed(), failed.retry_after)
            };
            let Some(wait) = wait else {
                tracing::debug!(attempt = number, error = %failed.error, "exchange call failed");
                return Err(failed.error);
            };
            tracing::debug!(
                attempt = number,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %failed.error,
                "exchange call will be retried"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        attempt: &Attempt<'_>,
        timeout: Duration,
        span: &tracing::Span,
    ) -> Result<RawAnswer, FailedAttempt> {
        let base = ExchangeFailure {
            cmdlet: attempt.call.operation.cmdlet(),
            client_request_id: attempt.client_request_id.to_owned(),
            ..ExchangeFailure::default()
        };
        let response = self
            .http
            .post(attempt.url.clone())
            .bearer_auth(attempt.token)
            .header("X-AnchorMailbox", attempt.anchor.as_str())
            .header("client-request-id", attempt.client_request_id)
            .header(ACCEPT, "application/json")
            .json(&attempt.body)
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| FailedAttempt::from_transport(&error, base.clone()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = header_text(&headers, "request-id");
        span.record("status", status.as_u16());
        if let Some(request_id) = &request_id {
            span.record("request_id", request_id.as_str());
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| FailedAttempt::from_transport(&error, base.clone()))?
            .to_vec();
        // A redirect is not followed (the client refuses them) and is no success either.
        if status.is_success() {
            return Ok(RawAnswer {
                status,
                request_id,
                client_request_id: attempt.client_request_id.to_owned(),
                after_uncertain_attempt: false,
                body,
            });
        }
        let retry_after = match status.as_u16() {
            429 | 503 | 504 => header_text(&headers, RETRY_AFTER.as_str())
                .and_then(|value| parse_retry_after(&value, std::time::SystemTime::now())),
            _ => None,
        };
        let error = error_from_answer(status, &headers, &body, base, retry_after);
        let retry = match status.as_u16() {
            // The cmdlet's own verdict on the object is not retried, whatever the status.
            _ if error.is_verdict() => RetryClass::Never,
            429 | 503 => RetryClass::NotCarriedOut,
            500 | 502 | 504 => RetryClass::MayHaveBeenCarriedOut,
            _ => RetryClass::Never,
        };
        Err(FailedAttempt {
            error,
            retry,
            retry_after,
        })
    }
}

/// What every attempt of one call sends.
struct Attempt<'a> {
    token: &'a str,
    call: &'a CmdletCall,
    url: &'a Url,
    client_request_id: &'a str,
    anchor: String,
    body: serde_json::Value,
}

/// Whether a failed attempt may be tried again, and whether it may have been carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RetryClass {
    Never,
    NotCarriedOut,
    MayHaveBeenCarriedOut,
}

struct FailedAttempt {
    error: ExchangeError,
    retry: RetryClass,
    retry_after: Option<Duration>,
}

impl FailedAttempt {
    fn from_transport(error: &reqwest::Error, base: ExchangeFailure) -> Self {
        let failure = Box::new(ExchangeFailure {
            message: Some(describe_transport_error(error)),
            ..base
        });
        if error.is_timeout() {
            Self {
                error: ExchangeError::Unavailable(failure),
                retry: RetryClass::MayHaveBeenCarriedOut,
                retry_after: None,
            }
        } else if error.is_connect() {
            Self {
                error: ExchangeError::Network(failure),
                retry: RetryClass::NotCarriedOut,
                retry_after: None,
            }
        } else {
            Self {
                error: ExchangeError::Network(failure),
                retry: RetryClass::MayHaveBeenCarriedOut,
                retry_after: None,
            }
        }
    }
}

/// Describes a transport error with its causes. reqwest's messages name the URL and the
/// failure, never a header, so the bearer token cannot appear.
fn describe_transport_error(error: &reqwest::Error) -> String {
    let mut message = if error.is_timeout() {
        "request timed out".to_owned()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

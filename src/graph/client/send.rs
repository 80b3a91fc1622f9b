//! The one place a request leaves Doorman for Graph: headers, retries, error mapping.
//!
//! Owns the retry loop and what each failure means for replaying. Must not: log a token or a
//! body, follow a URL outside the base URL's origin, or replay a request that may already have
//! been carried out unless it is marked harmless to replay.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, LOCATION, RETRY_AFTER};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use super::GraphClient;
use super::request::{Access, GraphRequest, RawAnswer, Replay, Target};
use crate::graph::error::{GraphError, GraphFailure, error_from_answer, header_text};
use crate::graph::retry::parse_retry_after;

impl GraphClient {
    /// The one place a request leaves Doorman for Graph.
    pub(super) async fn send(
        &self,
        access: Access<'_>,
        request: &GraphRequest,
    ) -> Result<RawAnswer, GraphError> {
        let url = self.resolve(&request.target)?;
        let (token, token_kind) = match access {
            Access::Read(bearer) => (bearer.expose(), bearer.kind_name()),
            Access::Write(token) => (token.expose(), "delegated"),
        };
        let span = tracing::info_span!(
            "graph_call",
            method = %request.method,
            path = %url.path(),
            token_kind,
            attempt = tracing::field::Empty,
            client_request_id = tracing::field::Empty,
            request_id = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        self.send_with_retries(token, request, url, &span)
            .instrument(span.clone())
            .await
    }

    async fn send_with_retries(
        &self,
        token: &str,
        request: &GraphRequest,
        url: Url,
        span: &tracing::Span,
    ) -> Result<RawAnswer, GraphError> {
        let started = Instant::now();
        let mut attempt: u32 = 0;
        // Whether an attempt so far may have been carried out without its answer arriving.
        let mut uncertain = false;
        loop {
            attempt += 1;
            let client_request_id = uuid::Uuid::new_v4().to_string();
            span.record("attempt", attempt);
            span.record("client_request_id", client_request_id.as_str());
            let remaining = self.policy.max_elapsed.saturating_sub(started.elapsed());
            let timeout = self
                .request_timeout
                .min(remaining)
                .max(Duration::from_millis(1));
            let outcome = self
                .send_once(token, request, &url, &client_request_id, timeout, span)
                .await;
            let mut failed = match outcome {
                Ok(answer) => return Ok(answer),
                Err(failed) => failed,
            };
            if uncertain {
                failed.error = failed.error.after_uncertain_attempt();
            }
            uncertain |= failed.retry == RetryClass::MayHaveBeenCarriedOut;
            let may_retry = match request.replay {
                Replay::Harmless => failed.retry != RetryClass::Never,
                Replay::OnlyIfNotCarriedOut => failed.retry == RetryClass::NotCarriedOut,
            };
            let wait = if may_retry {
                self.policy
                    .next_wait(attempt, started.elapsed(), failed.retry_after)
            } else {
                None
            };
            let Some(wait) = wait else {
                tracing::debug!(attempt, error = %failed.error, "graph call failed");
                return Err(failed.error);
            };
            tracing::debug!(
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %failed.error,
                "graph call will be retried"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        token: &str,
        request: &GraphRequest,
        url: &Url,
        client_request_id: &str,
        timeout: Duration,
        span: &tracing::Span,
    ) -> Result<RawAnswer, FailedAttempt> {
        let mut builder = self
            .http
            .request(request.method.clone(), url.clone())
            .bearer_auth(token)
            .header("client-request-id", client_request_id)
            .header(ACCEPT, "application/json")
            .timeout(timeout);
        if request.eventual_consistency {
            builder = builder.header("ConsistencyLevel", "eventual");
        }
        builder = match &request.body {
            Some(body) => builder.json(body),
            // Graph answers 411 to a POST without Content-Length, so an empty body is explicit.
            None if request.method == Method::POST => builder.header(CONTENT_LENGTH, "0"),
            None => builder,
        };
        let response = builder
            .send()
            .await
            .map_err(|error| FailedAttempt::from_transport(&error, client_request_id))?;
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
            .map_err(|error| FailedAttempt::from_transport(&error, client_request_id))?
            .to_vec();
        if status.is_success() {
            return Ok(RawAnswer {
                status,
                request_id,
                client_request_id: client_request_id.to_owned(),
                location: header_text(&headers, LOCATION.as_str()),
                body,
            });
        }
        // Retry-After is honoured on the statuses Graph documents it for.
        let retry_after = match status.as_u16() {
            429 | 503 | 504 => header_text(&headers, RETRY_AFTER.as_str())
                .and_then(|value| parse_retry_after(&value, std::time::SystemTime::now())),
            _ => None,
        };
        let retry = match status.as_u16() {
            429 | 503 => RetryClass::NotCarriedOut,
            500 | 502 | 504 => RetryClass::MayHaveBeenCarriedOut,
            _ => RetryClass::Never,
        };
        Err(FailedAttempt {
            error: error_from_answer(status, &headers, &body, client_request_id, retry_after),
            retry,
            retry_after,
        })
    }

    fn resolve(&self, target: &Target) -> Result<Url, GraphError> {
        match target {
            Target::Relative(path) => {
                let joined = format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path);
                if !path.starts_with('/') {
                    return Err(GraphError::InvalidRequest {
                        reason: format!("relative graph path {path:?} must start with '/'"),
                    });
                }
                Url::parse(&joined).map_err(|error| GraphError::InvalidRequest {
                    reason: format!("graph path {path:?} does not form a url: {error}"),
                })
            }
            Target::NextLink(url) if url.origin() == self.base_url.origin() => Ok(url.clone()),
            Target::NextLink(url) => Err(GraphError::ForeignNextLink {
                origin: url.origin().ascii_serialization(),
            }),
        }
    }
}

/// Whether a failed attempt may be tried again, and under which replay rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RetryClass {
    Never,
    NotCarriedOut,
    MayHaveBeenCarriedOut,
}

struct FailedAttempt {
    error: GraphError,
    retry: RetryClass,
    retry_after: Option<Duration>,
}

impl FailedAttempt {
    fn from_transport(error: &reqwest::Error, client_request_id: &str) -> Self {
        let failure = transport_failure(error, Some(client_request_id));
        if error.is_timeout() {
            Self {
                error: GraphError::Transient(failure),
                retry: RetryClass::MayHaveBeenCarriedOut,
                retry_after: None,
            }
        } else if error.is_connect() {
            Self {
                error: GraphError::Network(failure),
                retry: RetryClass::NotCarriedOut,
                retry_after: None,
            }
        } else {
            Self {
                error: GraphError::Network(failure),
                retry: RetryClass::MayHaveBeenCarriedOut,
                retry_after: None,
            }
        }
    }
}

/// Describes a transport error with its causes. reqwest's messages name the URL and the
/// failure, never a header, so the bearer token cannot appear.
pub(super) fn transport_failure(
    error: &reqwest::Error,
    client_request_id: Option<&str>,
) -> GraphFailure {
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
    GraphFailure {
        status: None,
        code: None,
        message: Some(message),
        request_id: None,
        client_request_id: client_request_id.map(str::to_owned),
        after_uncertain_attempt: false,
    }
}

//! How a failed Graph call is described to the rest of Doorman.
//!
//! Owns [`GraphError`], [`GraphFailure`] and the mapping from an HTTP answer to them. Must not:
//! branch on Graph's human-readable `message` (the single documented exception is the duplicate
//! `$ref` add), or put a token, a request body or a response value into an error.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

/// Graph's error `code` for a missing object (also used when a user has no manager).
pub const CODE_RESOURCE_NOT_FOUND: &str = "Request_ResourceNotFound";
/// Graph's error `code` on a rejected directory request, including a duplicate `$ref` add.
pub const CODE_BAD_REQUEST: &str = "Request_BadRequest";

/// Graph answers a second add of the same member or owner with 400 `Request_BadRequest` and this
/// text ("One or more added object references already exist for the following modified
/// properties: 'members'."). There is no dedicated code, so this is the one place where the
/// message is read.
const DUPLICATE_REFERENCE_MESSAGE: &str = "added object references already exist";

/// What Graph (or the transport) said about a failed call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphFailure {
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// Graph's `error.code`, such as `Request_ResourceNotFound` or `Authorization_RequestDenied`.
    pub code: Option<String>,
    /// Graph's `error.message`, or a description of the transport failure.
    pub message: Option<String>,
    /// The response `request-id` (header, else `error.innerError.request-id`), for support cases.
    pub request_id: Option<String>,
    /// The `client-request-id` Doorman sent on the failing attempt.
    pub client_request_id: Option<String>,
    /// An earlier attempt of the same call may have been carried out (its answer never came,
    /// or was a 500, 502 or 504) before this answer: "already exists" then may be that
    /// attempt's own doing.
    pub after_uncertain_attempt: bool,
}

/// A failed Graph call, by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// 404: the object does not exist, or not yet (directory writes replicate lazily).
    #[error("graph object not found: {0}")]
    NotFound(GraphFailure),
    /// 403: the signed-in person lacks the role or the token lacks the scope.
    #[error("graph refused access: {0}")]
    Forbidden(GraphFailure),
    /// 401: the token is missing, expired or not meant for Graph.
    #[error("graph rejected the token: {0}")]
    Unauthorized(GraphFailure),
    /// 409, or a `$ref` add of a member or owner who is already there.
    #[error("graph object already exists: {0}")]
    AlreadyExists(GraphFailure),
    /// 400 other than the duplicate add.
    #[error("graph rejected the request: {0}")]
    BadRequest(GraphFailure),
    /// 429 still answered when the retry budget ran out.
    #[error("graph throttled the request{}: {failure}", describe_retry_after(.retry_after))]
    Throttled {
        retry_after: Option<Duration>,
        failure: GraphFailure,
    },
    /// 500, 502, 503, 504 or a timeout still failing when the retry budget ran out.
    #[error("graph is temporarily unavailable: {0}")]
    Transient(GraphFailure),
    /// The connection could not be made or broke off.
    #[error("could not reach graph: {0}")]
    Network(GraphFailure),
    /// A success answer did not match the model.
    #[error("graph answer did not match the model: {0}")]
    Decode(GraphFailure),
    /// Any other status.
    #[error("graph answered status {status}: {failure}")]
    Other { status: u16, failure: GraphFailure },
    /// A page's `@odata.nextLink` pointed away from the configured Graph origin; it was not
    /// followed, so the token never left for another host.
    #[error("refused to follow a next link to another origin ({origin})")]
    ForeignNextLink { origin: String },
    /// Paging went on past the page limit.
    #[error("paging stopped after {pages} pages")]
    TooManyPages { pages: usize },
    /// The caller's arguments cannot form a valid Graph request; nothing was sent.
    #[error("invalid graph request: {reason}")]
    InvalidRequest { reason: String },
}

impl GraphError {
    /// Graph's `request-id` for the failed call, where an answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        self.failure()
            .and_then(|failure| failure.request_id.as_deref())
    }

    /// Graph's `error.code`, where the answer carried one.
    pub fn code(&self) -> Option<&str> {
        self.failure().and_then(|failure| failure.code.as_deref())
    }

    /// Whether the write this answers was certainly not carried out by an earlier attempt of
    /// the same call: "already exists" on a first-hand answer means someone else's change.
    pub fn is_first_hand(&self) -> bool {
        self.failure()
            .is_none_or(|failure| !failure.after_uncertain_attempt)
    }

    fn failure_mut(&mut self) -> Option<&mut GraphFailure> {
        match self {
            GraphError::NotFound(failure)
            | GraphError::Forbidden(failure)
            | GraphError::Unauthorized(failure)
            | GraphError::AlreadyExists(failure)
            | GraphError::BadRequest(failure)
            | GraphError::Transient(failure)
            | GraphError::Network(failure)
            | GraphError::Decode(failure)
            | GraphError::Throttled { failure, .. }
            | GraphError::Other { failure, .. } => Some(failure),
            GraphError::ForeignNextLink { .. }
            | GraphError::TooManyPages { .. }
            | GraphError::InvalidRequest { .. } => None,
        }
    }

    /// Marks the error as following an attempt that may have been carried out.
    pub(in crate::graph) fn after_uncertain_attempt(mut self) -> Self {
        if let Some(failure) = self.failure_mut() {
            failure.after_uncertain_attempt = true;
        }
        self
    }

    /// The common fields, for every variant that describes an answer or a transport failure.
    pub fn failure(&self) -> Option<&GraphFailure> {
        match self {
            GraphError::NotFound(failure)
            | GraphError::Forbidden(failure)
            | GraphError::Unauthorized(failure)
            | GraphError::AlreadyExists(failure)
            | GraphError::BadRequest(failure)
            | GraphError::Transient(failure)
            | GraphError::Network(failure)
            | GraphError::Decode(failure)
            | GraphError::Throttled { failure, .. }
            | GraphError::Other { failure, .. } => Some(failure),
            GraphError::ForeignNextLink { .. }
            | GraphError::TooManyPages { .. }
            | GraphError::InvalidRequest { .. } => None,
        }
    }

    /// Whether trying again later may succeed: throttling, 5xx, timeouts and broken connections.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            GraphError::Throttled { .. } | GraphError::Transient(_) | GraphError::Network(_)
        )
    }
}

impl fmt::Display for GraphFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("status {status}"));
        }
        if let Some(code) = &self.code {
            parts.push(format!("code {code}"));
        }
        if let Some(request_id) = &self.request_id {
            parts.push(format!("request-id {request_id}"));
        }
        if let Some(client_request_id) = &self.client_request_id {
            parts.push(format!("client-request-id {client_request_id}"));
        }
        let summary = parts.join(", ");
        match &self.message {
            Some(message) if summary.is_empty() => formatter.write_str(message),
            Some(message) => write!(formatter, "{message} ({summary})"),
            None => formatter.write_str(&summary),
        }
    }
}

/// Builds the error for a non-success answer. `retry_after` is the parsed `Retry-After` header.
pub(in crate::graph) fn error_from_answer(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    client_request_id: &str,
    retry_after: Option<Duration>,
) -> GraphError {
    let envelope: Option<ErrorEnvelope> = serde_json::from_slice(body).ok();
    let detail = envelope.map(|envelope| envelope.error).unwrap_or_default();
    let request_id = header_text(headers, "request-id").or_else(|| {
        detail
            .inner_error
            .as_ref()
            .and_then(|inner| inner.request_id.clone())
    });
    let failure = GraphFailure {
        status: Some(status.as_u16()),
        code: detail.code,
        message: detail.message,
        request_id,
        client_request_id: Some(client_request_id.to_owned()),
        after_uncertain_attempt: false,
    };
    match status.as_u16() {
        400 if is_duplicate_reference(&failure) => GraphError::AlreadyExists(failure),
        400 => GraphError::BadRequest(failure),
        401 => GraphError::Unauthorized(failure),
        403 => GraphError::Forbidden(failure),
        404 => GraphError::NotFound(failure),
        409 => GraphError::AlreadyExists(failure),
        429 => GraphError::Throttled {
            retry_after,
            failure,
        },
        500 | 502 | 503 | 504 => GraphError::Transient(failure),
        other => GraphError::Other {
            status: other,
            failure,
        },
    }
}

/// Describes a body that did not match the model without quoting it: serde's messages can
/// contain the offending value, which may be a generated password or a Temporary Access Pass.
pub(in crate::graph) fn decode_error(
    error: &serde_json::Error,
    status: StatusCode,
    request_id: Option<String>,
    client_request_id: &str,
) -> GraphError {
    let text = error.to_string();
    let message = if text.starts_with("missing field") || text.starts_with("duplicate field") {
        text
    } else {
        format!(
            "{} error at line {} column {}",
            match error.classify() {
                serde_json::error::Category::Io => "io",
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "end of input",
            },
            error.line(),
            error.column()
        )
    };
    GraphError::Decode(GraphFailure {
        status: Some(status.as_u16()),
        code: None,
        message: Some(message),
        request_id,
        client_request_id: Some(client_request_id.to_owned()),
        after_uncertain_attempt: false,
    })
}

/// Reads a header as text, ignoring values that are not visible ASCII.
pub(in crate::graph) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn is_duplicate_reference(failure: &GraphFailure) -> bool {
    failure.code.as_deref() == Some(CODE_BAD_REQUEST)
        && failure
            .message
            .as_deref()
            .is_some_and(|message| message.contains(DUPLICATE_REFERENCE_MESSAGE))
}

fn describe_retry_after(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(" (retry after {} s)", wait.as_secs()),
        None => String::new(),
    }
}

/// Graph's error body: `{"error": {"code", "message", "innerError": {"request-id", ...}}}`.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorDetail,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDetail {
    code: Option<String>,
    message: Option<String>,
    // Directory endpoints spell it `innerError`, some workloads `innererror`.
    #[serde(alias = "innererror")]
    inner_error: Option<InnerError>,
}

#[derive(Deserialize)]
struct InnerError {
    #[serde(rename = "request-id")]
    request_id: Option<String>,
}

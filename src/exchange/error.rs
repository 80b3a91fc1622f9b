//! How a failed Exchange call is described to the rest of Doorman.
//!
//! Owns [`ExchangeError`], [`ExchangeFailure`] and the mapping from an answer to them. Exchange
//! wraps every cmdlet failure alike (`error.message` is generic); what failed is the exception
//! type inside `error.details[].message` (`"Ex6F9304|Microsoft.Exchange....SomeException|text"`),
//! which the reference calls the stable part. Must not: branch on a human-readable message, or
//! put a token or a request's parameters into an error.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

/// Exception types that say the entry to add is already there.
const ALREADY_THERE: [&str; 2] = [
    "MemberAlreadyExistsException",
    "UserAlreadyExistsInPermissionEntryException",
];
/// Exception types that say the entry to remove is not there.
const NOT_THERE: [&str; 2] = [
    "MemberNotFoundException",
    "UserNotFoundInPermissionEntryException",
];
/// Exception types that say an identity named in the parameters is unknown.
const NOT_FOUND: [&str; 1] = ["ManagementObjectNotFoundException"];
/// Exception types that say the caller may not do this.
const FORBIDDEN: [&str; 1] = ["OperationRequiresGroupManagerException"];

/// What Exchange (or the transport) said about a failed call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExchangeFailure {
    /// The cmdlet that was run.
    pub cmdlet: &'static str,
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// Exchange's `error.code`, or the first detail's `code` when the error has none.
    pub code: Option<String>,
    /// The exception's type name without its namespace, such as `MemberNotFoundException`.
    pub exception: Option<String>,
    /// The cmdlet's own reason (the detail message's text after the exception type), else
    /// `error.message`, else a description of the transport failure.
    pub message: Option<String>,
    /// The answer's `request-id` header, for support cases.
    pub request_id: Option<String>,
    /// The `client-request-id` every attempt of this call carried; the audit keeps it.
    pub client_request_id: String,
    /// An earlier attempt of the same call may have been carried out (its answer never came,
    /// or was a 500, 502 or 504) before this answer: "already there" then may be its own doing.
    pub after_uncertain_attempt: bool,
}

/// A failed Exchange call, by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The entry to add is already there (`MemberAlreadyExistsException`). A typed write never
    /// returns it: it answers [`super::Outcome::AlreadyThere`] instead, however Exchange said so.
    #[error("exchange says it is already there: {0}")]
    AlreadyThere(Box<ExchangeFailure>),
    /// The entry to remove is not there (`MemberNotFoundException`). A typed write never returns
    /// it: it answers [`super::Outcome::NotThere`] instead, however Exchange said so.
    #[error("exchange says there is nothing to remove: {0}")]
    NotThere(Box<ExchangeFailure>),
    /// An identity in the parameters is unknown (`ManagementObjectNotFoundException`), or not
    /// visible yet. A 404 without that exception is [`ExchangeError::Other`]: it may be a wrong
    /// path, and must not read as "gone".
    #[error("exchange does not know the identity: {0}")]
    NotFound(Box<ExchangeFailure>),
    /// 403, or `OperationRequiresGroupManagerException`: the caller's role or ownership does not
    /// allow the cmdlet on this object.
    #[error("exchange refused the caller: {0}")]
    Forbidden(Box<ExchangeFailure>),
    /// 401: the token is missing, expired, or not for this route's scope.
    #[error("exchange rejected the token: {0}")]
    Unauthorized(Box<ExchangeFailure>),
    /// 429 still answered when the retry budget ran out.
    #[error("exchange throttled the request{}: {failure}", describe_retry_after(.retry_after))]
    Throttled {
        retry_after: Option<Duration>,
        failure: Box<ExchangeFailure>,
    },
    /// 500, 502, 503, 504 or a timeout still failing when the retry budget ran out.
    #[error("exchange is temporarily unavailable: {0}")]
    Unavailable(Box<ExchangeFailure>),
    /// The connection could not be made or broke off.
    #[error("could not reach exchange: {0}")]
    Network(Box<ExchangeFailure>),
    /// A success answer was not the JSON the model expects.
    #[error("exchange answer did not match the model: {0}")]
    Decode(Box<ExchangeFailure>),
    /// Any other failure; `code`, `exception` and `message` say what Exchange said.
    #[error("exchange refused the cmdlet: {0}")]
    Other(Box<ExchangeFailure>),
    /// A page's `@odata.nextLink` pointed away from the configured origin; it was not followed,
    /// so the token never left for another host.
    #[error("refused to follow a next link to another origin ({origin})")]
    ForeignNextLink { origin: String },
    /// Paging went on past the page limit.
    #[error("paging stopped after {pages} pages")]
    TooManyPages { pages: usize },
    /// The arguments or settings cannot form a valid request; nothing was sent.
    #[error("invalid exchange request: {reason}")]
    InvalidRequest { reason: String },
}

impl ExchangeError {
    /// The common fields, for every variant that describes an answer or a transport failure.
    pub fn failure(&self) -> Option<&ExchangeFailure> {
        match self {
            ExchangeError::AlreadyThere(failure)
            | ExchangeError::NotThere(failure)
            | ExchangeError::NotFound(failure)
            | ExchangeError::Forbidden(failure)
            | ExchangeError::Unauthorized(failure)
            | ExchangeError::Unavailable(failure)
            | ExchangeError::Network(failure)
            | ExchangeError::Decode(failure)
            | ExchangeError::Other(failure)
            | ExchangeError::Throttled { failure, .. } => Some(failure.as_ref()),
            ExchangeError::ForeignNextLink { .. }
            | ExchangeError::TooManyPages { .. }
            | ExchangeError::InvalidRequest { .. } => None,
        }
    }

    fn failure_mut(&mut self) -> Option<&mut ExchangeFailure> {
        match self {
            ExchangeError::AlreadyThere(failure)
            | ExchangeError::NotThere(failure)
            | ExchangeError::NotFound(failure)
            | ExchangeError::Forbidden(failure)
            | ExchangeError::Unauthorized(failure)
            | ExchangeError::Unavailable(failure)
            | ExchangeError::Network(failure)
            | ExchangeError::Decode(failure)
            | ExchangeError::Other(failure)
            | ExchangeError::Throttled { failure, .. } => Some(failure.as_mut()),
            ExchangeError::ForeignNextLink { .. }
            | ExchangeError::TooManyPages { .. }
            | ExchangeError::InvalidRequest { .. } => None,
        }
    }

    /// The `client-request-id` the call carried, where a request was sent.
    pub fn client_request_id(&self) -> Option<&str> {
        self.failure()
            .map(|failure| failure.client_request_id.as_str())
    }

    /// Exchange's `request-id` for the failed call, where an answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        self.failure()
            .and_then(|failure| failure.request_id.as_deref())
    }

    /// The exception type the answer named, such as `ManagementObjectNotFoundException`.
    pub fn exception(&self) -> Option<&str> {
        self.failure()
            .and_then(|failure| failure.exception.as_deref())
    }

    /// Whether no earlier attempt of the same call may have been carried out.
    pub fn is_first_hand(&self) -> bool {
        self.failure()
            .is_none_or(|failure| !failure.after_uncertain_attempt)
    }

    /// Whether trying again later may succeed: throttling, 5xx, timeouts and broken connections.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ExchangeError::Throttled { .. }
                | ExchangeError::Unavailable(_)
                | ExchangeError::Network(_)
        )
    }

    /// Whether the answer is the cmdlet's own verdict on this object, which a second attempt
    /// would only repeat.
    pub(in crate::exchange) fn is_verdict(&self) -> bool {
        matches!(
            self,
            ExchangeError::AlreadyThere(_)
                | ExchangeError::NotThere(_)
                | ExchangeError::NotFound(_)
                | ExchangeError::Forbidden(_)
        )
    }

    /// Marks the error as following an attempt that may have been carried out.
    pub(in crate::exchange) fn after_uncertain_attempt(mut self) -> Self {
        if let Some(failure) = self.failure_mut() {
            failure.after_uncertain_attempt = true;
        }
        self
    }
}

impl fmt::Display for ExchangeFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = vec![format!("cmdlet {}", self.cmdlet)];
        if let Some(status) = self.status {
            parts.push(format!("status {status}"));
        }
        if let Some(exception) = &self.exception {
            parts.push(format!("exception {exception}"));
        }
        if let Some(code) = &self.code {
            parts.push(format!("code {code}"));
        }
        if let Some(request_id) = &self.request_id {
            parts.push(format!("request-id {request_id}"));
        }
        parts.push(format!("client-request-id {}", self.client_request_id));
        if self.after_uncertain_attempt {
            parts.push("after an attempt that may have been carried out".to_owned());
        }
        let summary = parts.join(", ");
        match &self.message {
            Some(message) => write!(formatter, "{message} ({summary})"),
            None => formatter.write_str(&summary),
        }
    }
}

/// Maps a failure answer. `base` carries the cmdlet and the client request id; the body may be
/// anything (a proxy's HTML page, nothing at all), so it is read leniently.
pub(in crate::exchange) fn error_from_answer(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    base: ExchangeFailure,
    retry_after: Option<Duration>,
) -> ExchangeError {
    let detail = serde_json::from_slice::<ErrorEnvelope>(body)
        .map(|envelope| envelope.error)
        .unwrap_or_default();
    let details = detail.details.unwrap_or_default();
    let named = details.iter().find_map(|item| {
        let message = item.message.as_deref()?;
        Some((exception_type(message)?, item))
    });
    let exception = named.map(|(name, _)| name.to_owned());
    let reason = named
        .and_then(|(_, item)| item.message.as_deref())
        .or_else(|| details.iter().find_map(|item| item.message.as_deref()))
        .map(reason_of)
        .or(detail.message);
    let failure = ExchangeFailure {
        status: Some(status.as_u16()),
        code: detail
            .code
            .or_else(|| details.iter().find_map(|item| item.code.clone())),
        exception,
        message: reason,
        request_id: header_text(headers, "request-id"),
        ..base
    };
    let named = |names: &[&str]| {
        failure
            .exception
            .as_deref()
            .is_some_and(|exception| names.contains(&exception))
    };
    let verdict: Option<fn(Box<ExchangeFailure>) -> ExchangeError> = if named(&ALREADY_THERE) {
        Some(ExchangeError::AlreadyThere)
    } else if named(&NOT_THERE) {
        Some(ExchangeError::NotThere)
    } else if named(&NOT_FOUND) {
        Some(ExchangeError::NotFound)
    } else if named(&FORBIDDEN) {
        Some(ExchangeError::Forbidden)
    } else {
        None
    };
    let failure = Box::new(failure);
    match (status.as_u16(), verdict) {
        (401, _) => ExchangeError::Unauthorized(failure),
        (429, _) => ExchangeError::Throttled {
            retry_after,
            failure,
        },
        (_, Some(verdict)) => verdict(failure),
        (403, None) => ExchangeError::Forbidden(failure),
        (500 | 502 | 503 | 504, None) => ExchangeError::Unavailable(failure),
        (_, None) => ExchangeError::Other(failure),
    }
}

/// The exception type named in a detail message, without its namespace: the last dotted part of
/// the first `|`-separated segment that is a type name ending in `Exception`.
pub fn exception_type(detail_message: &str) -> Option<&str> {
    detail_message
        .split('|')
        .map(str::trim)
        .find_map(|segment| {
            let name = segment.rsplit('.').next()?;
            let is_type_name = name.len() > "Exception".len()
                && name.ends_with("Exception")
                && segment
                    .chars()
                    .all(|character| character.is_ascii_alphanumeric() || "._".contains(character));
            is_type_name.then_some(name)
        })
}

/// The human-readable part of a detail message: what follows its last `|`.
fn reason_of(detail_message: &str) -> String {
    detail_message
        .rsplit('|')
        .next()
        .unwrap_or(detail_message)
        .trim()
        .to_owned()
}

/// Describes a body that did not match the model without quoting it: serde's messages can
/// contain the offending value, and an answer is not something to copy into logs.
pub(in crate::exchange) fn decode_error(
    error: &serde_json::Error,
    status: StatusCode,
    base: ExchangeFailure,
) -> ExchangeError {
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
    ExchangeError::Decode(Box::new(ExchangeFailure {
        status: Some(status.as_u16()),
        message: Some(message),
        ..base
    }))
}

/// Reads a header as text, ignoring values that are not visible ASCII.
pub(in crate::exchange) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn describe_retry_after(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(" (retry after {} s)", wait.as_secs()),
        None => String::new(),
    }
}

/// Exchange's error body: `{"error": {"code", "message", "details": [{"code", "target",
/// "message"}]}}`.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Default, Deserialize)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
    details: Option<Vec<ErrorDetail>>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: Option<String>,
    message: Option<String>,
}

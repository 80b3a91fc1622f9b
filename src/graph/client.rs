//! The one HTTP path to Microsoft Graph: URL building, headers, retries, error mapping, paging.
//!
//! Owns [`GraphClient`], [`Graphed`] and the private `send` every operation goes through. Must
//! not: log a token or a body, follow a next link or a redirect to another origin (the bearer
//! token would go with it), or replay a request that may already have been carried out unless
//! the operation says replaying it is harmless.

use std::time::Duration;

use serde::de::DeserializeOwned;
use url::Url;

use crate::config::TrustedRoots;

use super::error::{GraphError, GraphFailure, decode_error};
use super::model::Collection;
use super::retry::RetryPolicy;

mod request;
mod send;

use self::request::Target;
pub(in crate::graph) use self::request::{Access, GraphRequest, RawAnswer};
use self::send::transport_failure;

/// How many pages [`GraphClient`] follows for one listing unless told otherwise. At Graph's
/// largest page size (999) this is about half a million objects; a listing that goes on past it
/// is far more likely a loop than a real directory.
pub const DEFAULT_MAX_PAGES: usize = 500;

/// The longest a single request may take; each attempt is also cut to the call's remaining budget.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long establishing a connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A Microsoft Graph client over one shared connection pool.
#[derive(Clone, Debug)]
pub struct GraphClient {
    http: reqwest::Client,
    base_url: Url,
    policy: RetryPolicy,
    max_pages: usize,
    request_timeout: Duration,
}

/// A successful answer with Graph's `request-id`, which the audit trail keeps so that Microsoft
/// support can find the call.
#[derive(Clone, Debug, PartialEq)]
pub struct Graphed<T> {
    pub value: T,
    pub request_id: Option<String>,
}

impl<T> Graphed<T> {
    /// Replaces the value and keeps the request id.
    pub fn map<U>(self, transform: impl FnOnce(T) -> U) -> Graphed<U> {
        Graphed {
            value: transform(self.value),
            request_id: self.request_id,
        }
    }
}

impl GraphClient {
    /// A client for `base_url` (such as `https://graph.microsoft.com/v1.0`, or a national
    /// cloud's Graph root) that retries by `policy`.
    pub fn new(base_url: Url, policy: RetryPolicy) -> Result<Self, GraphError> {
        Self::new_trusting(base_url, policy, &TrustedRoots::default())
    }

    /// Like [`GraphClient::new`], trusting `roots` besides the usual ones (`[security]
    /// ca_file`).
    pub fn new_trusting(
        base_url: Url,
        policy: RetryPolicy,
        roots: &TrustedRoots,
    ) -> Result<Self, GraphError> {
        if !matches!(base_url.scheme(), "https" | "http") || base_url.host_str().is_none() {
            return Err(GraphError::InvalidRequest {
                reason: format!("graph base url {base_url} is not an http(s) url with a host"),
            });
        }
        // Redirects are not followed: Graph does not redirect the calls made here, and a
        // redirect to another host must never carry the bearer token along.
        let http = roots
            .http_client()
            .user_agent(concat!("doorman/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| GraphError::Network(transport_failure(&error, None)))?;
        Ok(Self {
            http,
            base_url,
            policy,
            max_pages: DEFAULT_MAX_PAGES,
            request_timeout: REQUEST_TIMEOUT,
        })
    }

    /// The same client with another limit on the pages one listing may follow.
    pub fn with_page_limit(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// The same client with another limit on one request (default [`REQUEST_TIMEOUT`]). Each
    /// attempt is still cut to what remains of the call's time budget.
    pub fn with_request_timeout(mut self, request_timeout: Duration) -> Self {
        self.request_timeout = request_timeout;
        self
    }

    /// The Graph root every relative path is joined to.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The retry policy each call follows.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

impl GraphClient {
    /// Sends a request and decodes the JSON answer as `T`.
    pub(in crate::graph) async fn call_json<T: DeserializeOwned>(
        &self,
        access: Access<'_>,
        request: GraphRequest,
    ) -> Result<Graphed<T>, GraphError> {
        let answer = self.send(access, &request).await?;
        let value = decode_answer(&answer)?;
        Ok(Graphed {
            value,
            request_id: answer.request_id,
        })
    }

    /// Sends a request whose answer body, if any, carries nothing Doorman needs.
    pub(in crate::graph) async fn call_without_answer(
        &self,
        access: Access<'_>,
        request: GraphRequest,
    ) -> Result<Graphed<()>, GraphError> {
        let answer = self.send(access, &request).await?;
        Ok(Graphed {
            value: (),
            request_id: answer.request_id,
        })
    }

    /// Sends a request and returns the undecoded answer, for operations that read headers.
    pub(in crate::graph) async fn call_raw(
        &self,
        access: Access<'_>,
        request: GraphRequest,
    ) -> Result<RawAnswer, GraphError> {
        self.send(access, &request).await
    }

    /// Reads every page of a collection, following `@odata.nextLink` as Graph wrote it until a
    /// page has none. A next link to another origin than the base URL is refused. The returned
    /// request id is the first page's.
    pub(in crate::graph) async fn list_all<T: DeserializeOwned>(
        &self,
        access: Access<'_>,
        first_page: GraphRequest,
    ) -> Result<Graphed<Vec<T>>, GraphError> {
        let mut request = first_page;
        let mut values = Vec::new();
        let mut first_request_id = None;
        for page_number in 1..=self.max_pages {
            let answer = self.send(access, &request).await?;
            let page: Collection<T> = decode_answer(&answer)?;
            if page_number == 1 {
                first_request_id = answer.request_id.clone();
            }
            values.extend(page.value);
            let Some(next_link) = page.next_link else {
                return Ok(Graphed {
                    value: values,
                    request_id: first_request_id,
                });
            };
            let next_url = Url::parse(&next_link).map_err(|_| {
                GraphError::Decode(GraphFailure {
                    status: Some(answer.status.as_u16()),
                    message: Some("@odata.nextLink is not an absolute url".to_owned()),
                    request_id: answer.request_id.clone(),
                    client_request_id: Some(answer.client_request_id.clone()),
                    ..GraphFailure::default()
                })
            })?;
            request.target = Target::NextLink(next_url);
            request.body = None;
        }
        Err(GraphError::TooManyPages {
            pages: self.max_pages,
        })
    }
}

fn decode_answer<T: DeserializeOwned>(answer: &RawAnswer) -> Result<T, GraphError> {
    serde_json::from_slice(&answer.body).map_err(|error| {
        decode_error(
            &error,
            answer.status,
            answer.request_id.clone(),
            &answer.client_request_id,
        )
    })
}

//! A Graph request before it is sent, and a success answer before it is decoded.
//!
//! Owns which token a call carries ([`Access`]) and whether it may be replayed ([`Replay`]).
//! Must not: let a write carry anything but a person's token.

use reqwest::{Method, StatusCode};
use url::Url;

use crate::graph::token::{Bearer, DelegatedToken};

/// Which token a call carries. Reads (including read-only actions such as `checkMemberGroups`)
/// accept any [`Bearer`]; writes carry a person's token and nothing else.
#[derive(Clone, Copy, Debug)]
pub(in crate::graph) enum Access<'a> {
    Read(Bearer<'a>),
    Write(&'a DelegatedToken),
}

/// Whether a request may be sent again after it may have reached Graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::graph) enum Replay {
    /// Sending it twice has the effect of sending it once (reads, `$ref` adds whose repeat is
    /// reported as already existing, deletes, invites): retry throttling, 5xx, timeouts and
    /// broken connections.
    Harmless,
    /// A second copy would create a second object (an inbox rule, a calendar share): retry only
    /// what Graph certainly did not carry out, i.e. 429, 503 and failed connects.
    OnlyIfNotCarriedOut,
}

/// A request before it is sent.
#[derive(Clone, Debug)]
pub(in crate::graph) struct GraphRequest {
    pub(super) method: Method,
    pub(super) target: Target,
    pub(super) body: Option<serde_json::Value>,
    pub(super) eventual_consistency: bool,
    pub(super) replay: Replay,
}

/// A success answer, before it is decoded. Its body may hold a generated password or a
/// temporary access pass, so `Debug` shows only its length.
pub(in crate::graph) struct RawAnswer {
    pub(in crate::graph) status: StatusCode,
    pub(in crate::graph) request_id: Option<String>,
    pub(in crate::graph) client_request_id: String,
    pub(in crate::graph) location: Option<String>,
    pub(in crate::graph) body: Vec<u8>,
}

impl std::fmt::Debug for RawAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAnswer")
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field("client_request_id", &self.client_request_id)
            .field("location", &self.location)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

#[derive(Clone, Debug)]
pub(super) enum Target {
    Relative(String),
    NextLink(Url),
}

impl GraphRequest {
    /// `GET {base}{path}`; `path` starts with `/` and may carry a query string.
    pub(in crate::graph) fn get(path: String) -> Self {
        Self::new(Method::GET, path, None)
    }

    /// `POST {base}{path}` with a JSON body, or with an empty body when `body` is `None`.
    pub(in crate::graph) fn post(path: String, body: Option<serde_json::Value>) -> Self {
        Self::new(Method::POST, path, body)
    }

    /// `PATCH {base}{path}` with a JSON body: setting properties to given values, so sending it
    /// twice has the effect of sending it once.
    pub(in crate::graph) fn patch(path: String, body: serde_json::Value) -> Self {
        Self::new(Method::PATCH, path, Some(body))
    }

    /// `DELETE {base}{path}`.
    pub(in crate::graph) fn delete(path: String) -> Self {
        Self::new(Method::DELETE, path, None)
    }

    /// Adds `ConsistencyLevel: eventual`, which `$search`, `$count` and advanced `$filter`
    /// queries on directory objects require.
    pub(in crate::graph) fn with_eventual_consistency(mut self) -> Self {
        self.eventual_consistency = true;
        self
    }

    /// Marks the request as creating a new object each time it is carried out.
    pub(in crate::graph) fn creating_a_new_object(mut self) -> Self {
        self.replay = Replay::OnlyIfNotCarriedOut;
        self
    }

    fn new(method: Method, path: String, body: Option<serde_json::Value>) -> Self {
        Self {
            method,
            target: Target::Relative(path),
            body,
            eventual_consistency: false,
            replay: Replay::Harmless,
        }
    }
}

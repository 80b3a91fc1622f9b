//! One Graph call as a handler sees it: who calls, the captured path parameters, the query and
//! body; and what a handler answers: a [`Reply`] or a [`GraphErr`] in Graph's own error shape.

use std::time::{Duration, Instant};

use axum::http::{HeaderName, StatusCode};
use serde_json::{Map, Value, json};

use crate::sim::directory::{Directory, Link, User};
use crate::sim::odata::Query;
use crate::sim::roles::Right;

/// Who holds the bearer token.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A delegated token: a person, through the app, with these scopes.
    User {
        id: String,
        upn: String,
        scopes: Vec<String>,
    },
    /// An app-only token with these application roles.
    App { roles: Vec<String> },
}

impl Caller {
    /// How the Graph log names the caller: the UPN, or `app`.
    pub fn label(&self) -> String {
        match self {
            Caller::User { upn, .. } => upn.clone(),
            Caller::App { .. } => "app".to_owned(),
        }
    }
}

/// The Microsoft service behind a route; error codes differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Directory,
    Teams,
    SharePoint,
    Exchange,
}

/// A Graph error: status, `error.code`, `error.message`.
#[derive(Debug, Clone)]
pub struct GraphErr {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl GraphErr {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        GraphErr {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// The object a path names does not exist.
    pub fn not_found(service: Service, id: &str) -> Self {
        match service {
            Service::Directory => Self::new(
                StatusCode::NOT_FOUND,
                "Request_ResourceNotFound",
                format!(
                    "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
                ),
            ),
            Service::Teams => Self::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("No team or channel found with id '{id}'."),
            ),
            Service::SharePoint => Self::new(
                StatusCode::NOT_FOUND,
                "itemNotFound",
                "The resource could not be found.",
            ),
            Service::Exchange => Self::new(
                StatusCode::NOT_FOUND,
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            ),
        }
    }

    /// The caller may not do this: missing scope, not an owner, no fitting role.
    pub fn forbidden(service: Service) -> Self {
        match service {
            Service::Directory => Self::new(
                StatusCode::FORBIDDEN,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
            Service::Teams => Self::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "Forbidden: the caller is not allowed to perform this operation on this team or channel.",
            ),
            Service::SharePoint => Self::new(
                StatusCode::FORBIDDEN,
                "accessDenied",
                "Access denied. You do not have permission to perform this action or access this resource.",
            ),
            Service::Exchange => Self::new(
                StatusCode::FORBIDDEN,
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
            ),
        }
    }

    /// The body Graph sends, with `innerError` carrying the request's correlation ids.
    pub fn body(&self, request_id: &str, client_request_id: Option<&str>) -> Value {
        let mut inner = json!({
            "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
            "request-id": request_id,
        });
        if let Some(client_request_id) = client_request_id {
            inner["client-request-id"] = json!(client_request_id);
        }
        json!({"error": {"code": self.code, "message": self.message, "innerError": inner}})
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Body,
    pub headers: Vec<(HeaderName, String)>,
}

#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Json(Value),
    /// A `$count` segment's bare integer (text/plain).
    Count(usize),
}

impl Reply {
    pub fn ok(body: Value) -> Self {
        Reply {
            status: StatusCode::OK,
            body: Body::Json(body),
            headers: Vec::new(),
        }
    }

    pub fn created(body: Value) -> Self {
        Reply {
            status: StatusCode::CREATED,
            body: Body::Json(body),
            headers: Vec::new(),
        }
    }

    pub fn no_content() -> Self {
        Reply {
            status: StatusCode::NO_CONTENT,
            body: Body::Empty,
            headers: Vec::new(),
        }
    }

    pub fn count(count: usize) -> Self {
        Reply {
            status: StatusCode::OK,
            body: Body::Count(count),
            headers: Vec::new(),
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

pub type Outcome = Result<Reply, GraphErr>;

/// Everything a handler may use.
pub struct Call<'a> {
    pub caller: &'a Caller,
    pub dir: &'a mut Directory,
    pub params: super::route::Params,
    pub query: Query,
    pub body: Option<Value>,
    /// The request carried `ConsistencyLevel: eventual`.
    pub eventual: bool,
    pub now: Instant,
    /// How long a new membership stays invisible to reads.
    pub lag: Duration,
    /// `http://127.0.0.1:PORT/v1.0`, for links the simulator writes into bodies.
    pub graph_base: &'a str,
    /// The request path after `/v1.0`, without the query string.
    pub path: &'a str,
    /// The raw query string, for links that must keep it.
    pub raw_query: &'a str,
}

impl Call<'_> {
    /// A captured path parameter (`{id}` in the route pattern).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_default()
    }

    /// The user a `/users/{id}/...` route names, or the caller for `/me/...` routes.
    pub fn target_user_id(&self) -> Result<String, GraphErr> {
        match (
            self.params.iter().find(|(key, _)| *key == "user"),
            self.caller,
        ) {
            (Some((_, key)), _) => match self.dir.user(key) {
                Some(user) => Ok(user.id.clone()),
                None => Err(GraphErr::not_found(Service::Directory, key)),
            },
            (None, Caller::User { id, .. }) => Ok(id.clone()),
            (None, Caller::App { .. }) => Err(GraphErr::bad_request(
                "BadRequest",
                "/me request is only valid with delegated authentication flow.",
            )),
        }
    }

    pub fn target_user(&self) -> Result<&User, GraphErr> {
        let id = self.target_user_id()?;
        self.dir
            .user(&id)
            .ok_or_else(|| GraphErr::not_found(Service::Directory, &id))
    }

    /// The caller's user id, when a person is calling.
    pub fn caller_id(&self) -> Option<&str> {
        match self.caller {
            Caller::User { id, .. } => Some(id),
            Caller::App { .. } => None,
        }
    }

    /// Whether the token carries one of `accepted` (as a delegated scope or an app role).
    pub fn has_scope(&self, accepted: &[&str]) -> bool {
        let granted = match self.caller {
            Caller::User { scopes, .. } => scopes,
            Caller::App { roles } => roles,
        };
        granted
            .iter()
            .any(|have| accepted.iter().any(|want| want.eq_ignore_ascii_case(have)))
    }

    /// Refuses the call unless the token carries one of `accepted`.
    pub fn require_scope(&self, service: Service, accepted: &[&str]) -> Result<(), GraphErr> {
        if self.has_scope(accepted) {
            Ok(())
        } else {
            Err(GraphErr::forbidden(service))
        }
    }

    /// Refuses app-only callers and tokens without one of `accepted`; returns the acting user.
    /// Only delegated write scopes are ever listed, and no app-only token carries one.
    pub fn require_delegated_write(
        &self,
        service: Service,
        accepted: &[&str],
    ) -> Result<String, GraphErr> {
        self.require_scope(service, accepted)?;
        self.caller_id()
            .map(str::to_owned)
            .ok_or_else(|| GraphErr::forbidden(service))
    }

    /// Whether the calling person holds a directory role granting `right`.
    pub fn caller_has(&self, right: Right) -> bool {
        self.caller_id().is_some_and(|id| {
            self.dir
                .roles_of(id)
                .any(|role| role.template.rights.contains(&right))
        })
    }

    /// The request body as a JSON object, or Graph's 400.
    pub fn body_object(&self) -> Result<&Map<String, Value>, GraphErr> {
        self.body
            .as_ref()
            .and_then(Value::as_object)
            .ok_or_else(|| {
                GraphErr::bad_request("BadRequest", "Empty Payload. JSON content expected.")
            })
    }

    /// Links that reads can see now (the simulated replication lag hides newer ones).
    pub fn visible<'l>(&self, links: &'l [Link]) -> impl Iterator<Item = &'l Link> + 'l {
        let now = self.now;
        links.iter().filter(move |link| link.is_visible(now))
    }

    /// When a link written now becomes visible to reads.
    pub fn new_link(&self, id: &str) -> Link {
        Link {
            id: id.to_owned(),
            visible_at: self.now + self.lag,
        }
    }
}

//! The simulated Microsoft Graph v1.0: every request under `/v1.0` goes through [`handle`], which
//! applies the faults in force, checks the bearer token as Graph would, routes by the table in
//! [`route`], and records the call with its bodies in the [`GraphLog`].
//!
//! Handlers are plain synchronous functions over the directory, run under its lock, so every
//! call sees and leaves a consistent tenant.

mod audit;
mod call;
mod collection;
mod domains;
mod faults;
mod groups;
mod log;
mod mail;
mod methods;
pub mod route;
mod schema;
mod sites;
mod teams;
mod users;
mod views;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use super::SimState;
use super::login::{AccessClaims, GRAPH_AUDIENCES};
use super::odata::Query;
use super::severable::Severance;
use axum::extract::ConnectInfo;
use call::{Body, Call, Caller, GraphErr, Reply};
pub use faults::{ChatFailure, Faults, FaultsUpdate};
pub use log::{GraphLog, LogEntry};

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new().route("/v1.0/{*path}", any(handle))
}

/// POSTs that read and change nothing: never counted as writes (`lose_next_writes`).
const READ_ONLY_ACTIONS: [&str; 7] = [
    "checkMemberGroups",
    "checkMemberObjects",
    "getMemberGroups",
    "getMemberObjects",
    "getByIds",
    "$batch",
    "validateProperties",
];

/// Whether a call may change the tenant, as `graph/log` counts writes.
fn is_write(method: &Method, path: &str) -> bool {
    let changes = [Method::POST, Method::PATCH, Method::PUT, Method::DELETE].contains(method);
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    changes && !READ_ONLY_ACTIONS.contains(&last)
}

async fn handle(
    State(state): State<Arc<SimState>>,
    extensions: axum::http::Extensions,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received = chrono::Utc::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let faults = state.faults();
    // Latency is the request's way in and the answer's way out: half before the call is carried
    // out, half after, so a caller that gives up (or dies) late may have changed the tenant
    // without hearing so, as on a real network.
    let (way_in, way_out) = faults.latency_halves();
    if !way_in.is_zero() {
        tokio::time::sleep(way_in).await;
    }
    let path = uri
        .path()
        .strip_prefix("/v1.0")
        .unwrap_or_default()
        .to_owned();
    let raw_query = uri.query().unwrap_or_default().to_owned();
    let logged_path = if raw_query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{raw_query}")
    };
    let request_json: Option<Value> = if body.is_empty() {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };

    let caller = authenticate(&state, &headers);
    let mut dispatched = false;
    let outcome: Result<Reply, GraphErr> = match &caller {
        Err(error) => Err(error.clone()),
        Ok(_) if faults.throttles_now() => Err(GraphErr::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests are being made to this resource. Wait and retry after the time in the Retry-After header.",
        )),
        Ok(_) if faults.fails_now() => Err(if rand::random::<bool>() {
            GraphErr::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry.",
            )
        } else {
            GraphErr::new(
                StatusCode::GATEWAY_TIMEOUT,
                "gatewayTimeout",
                "The gateway did not receive a timely response.",
            )
        }),
        Ok(caller) => {
            let incoming = Incoming {
                method: &method,
                path: &path,
                raw_query: &raw_query,
                headers: &headers,
                body: &body,
            };
            dispatched = true;
            dispatch(&state, caller, incoming, request_json.clone(), &faults)
        }
    };
    if dispatched && is_write(&method, &path) && state.take_lost_write() {
        // Carried out, and then the answer is lost: the log says nobody heard.
        state.graph_log.push(LogEntry {
            method: method.to_string(),
            path: logged_path,
            user: caller.as_ref().ok().map(Caller::label),
            status: None,
            request: request_json,
            response: None,
            request_id,
            received,
        });
        return lose_answer(&extensions).await;
    }
    let mut finished = match outcome {
        Ok(reply) => reply,
        Err(error) => {
            let mut headers = Vec::new();
            if error.status == StatusCode::TOO_MANY_REQUESTS {
                headers.push((header::RETRY_AFTER, faults.retry_after().to_string()));
            }
            if error.status == StatusCode::UNAUTHORIZED {
                headers.push((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"".to_owned(),
                ));
            }
            Reply {
                status: error.status,
                body: Body::Json(error.body(&request_id, client_request_id.as_deref())),
                headers,
            }
        }
    };
    let logged_response = match &finished.body {
        Body::Empty => None,
        Body::Json(value) => Some(value.clone()),
        Body::Count(count) => Some(Value::from(*count)),
    };
    state.graph_log.push(LogEntry {
        method: method.to_string(),
        path: logged_path,
        user: caller.as_ref().ok().map(Caller::label),
        status: Some(finished.status.as_u16()),
        request: request_json,
        response: logged_response,
        request_id: request_id.clone(),
        received,
    });
    if !way_out.is_zero() {
        tokio::time::sleep(way_out).await;
    }
    finished
        .headers
        .push((header::HeaderName::from_static("request-id"), request_id));
    if let Some(client_request_id) = client_request_id {
        finished.headers.push((
            header::HeaderName::from_static("client-request-id"),
            client_request_id,
        ));
    }
    respond(finished)
}

/// Closes the connection of the call being answered without a response. Served without a
/// severable listener (a router driven in-process), the call is simply never answered.
pub(super) async fn lose_answer(extensions: &axum::http::Extensions) -> Response {
    match extensions.get::<ConnectInfo<Severance>>() {
        Some(ConnectInfo(severance)) => {
            severance.sever();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        None => std::future::pending().await,
    }
}

/// The parts of an HTTP request routing needs.
struct Incoming<'r> {
    method: &'r Method,
    /// After `/v1.0`, without the query string.
    path: &'r str,
    raw_query: &'r str,
    headers: &'r HeaderMap,
    body: &'r Bytes,
}

fn dispatch(
    state: &SimState,
    caller: &Caller,
    incoming: Incoming<'_>,
    request_json: Option<Value>,
    faults: &Faults,
) -> Result<Reply, GraphErr> {
    let Incoming {
        method,
        path,
        raw_query,
        headers,
        body,
    } = incoming;
    if !body.is_empty() && request_json.is_none() {
        return Err(GraphErr::bad_request(
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        ));
    }
    let segments = path_segments(path);
    let (found, params) = route::find(method, &segments).map_err(|missing| match missing {
        route::NoRoute::UnknownSegment(segment) => GraphErr::bad_request(
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        ),
        route::NoRoute::MethodNotAllowed => GraphErr::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            format!("The HTTP method '{method}' is not allowed for this resource."),
        ),
    })?;
    let query = Query::parse(raw_query)
        .map_err(|error| GraphErr::bad_request("BadRequest", error.to_string()))?;
    let eventual = headers
        .get("consistencylevel")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("eventual"));
    let graph_base = format!("{}/v1.0", state.base_url);
    let mut directory = state.directory();
    let mut call = Call {
        caller,
        dir: &mut directory,
        params,
        query,
        body: request_json,
        eventual,
        now: Instant::now(),
        lag: faults.replication_lag(),
        graph_base: &graph_base,
        path,
        raw_query,
    };
    (found.handler)(&mut call)
}

/// The decoded segments of a Graph path, with OData key syntax (`users('$x@y.com')`) turned
/// into the segment form (`users/$x@y.com`) the route table uses.
fn path_segments(path: &str) -> Vec<String> {
    let mut segments = Vec::new();
    for raw in path.trim_start_matches('/').split('/') {
        let segment = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        let keyed = segment
            .strip_suffix("')")
            .and_then(|rest| rest.split_once("('"))
            .filter(|(name, key)| {
                !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric())
                    && !key.is_empty()
            });
        match keyed {
            Some((name, key)) => {
                segments.push(name.to_owned());
                segments.push(key.replace("''", "'"));
            }
            None => segments.push(segment),
        }
    }
    segments
}

/// Checks the bearer token as Graph does: signature, audience, issuer, lifetime and tenant.
fn authenticate(state: &SimState, headers: &HeaderMap) -> Result<Caller, GraphErr> {
    let unauthorized = |message: &str| {
        GraphErr::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| unauthorized("Access token is empty."))?;
    if token.split('.').count() != 3 {
        return Err(unauthorized(
            "IDX14100: JWT is not well formed, there are no dots (.).",
        ));
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&GRAPH_AUDIENCES);
    validation.set_issuer(&[format!("https://sts.windows.net/{}/", state.tenant_id)]);
    validation.leeway = 30;
    let claims: AccessClaims =
        state
            .keys
            .verify(token, &validation)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    unauthorized("Lifetime validation failed, the token is expired.")
                }
                jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                    unauthorized("Invalid audience.")
                }
                jsonwebtoken::errors::ErrorKind::InvalidIssuer => {
                    unauthorized("Invalid issuer: the token was not issued for this tenant.")
                }
                _ => unauthorized("Access token validation failure."),
            })?;
    if claims.tid != state.tenant_id {
        return Err(unauthorized("Invalid tenant."));
    }
    if claims.idtyp.as_deref() == Some("app") || claims.scp.is_none() {
        if claims.oid != state.registration.service_principal_id {
            return Err(unauthorized(
                "Access token validation failure: unknown application.",
            ));
        }
        return Ok(Caller::App {
            roles: claims.roles,
        });
    }
    let directory = state.directory();
    let user = directory
        .user(&claims.oid)
        .ok_or_else(|| unauthorized("The user of this token no longer exists."))?;
    Ok(Caller::User {
        id: user.id.clone(),
        upn: user.upn.clone(),
        scopes: claims
            .scp
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    })
}

fn respond(finished: Reply) -> Response {
    let mut response = match finished.body {
        Body::Empty => finished.status.into_response(),
        Body::Json(value) => {
            let mut response = (finished.status, value.to_string()).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
            );
            response
        }
        Body::Count(count) => {
            let mut response = (finished.status, count.to_string()).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain;charset=utf-8"),
            );
            response
        }
    };
    for (name, value) in finished.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

//! The simulated Exchange Online admin API (DESIGN.md section 10): `POST
//! /adminapi/beta/{tenant}/InvokeCommand`, which runs any cmdlet of [`cmdlets::CMDLETS`] the
//! caller's role allows, and the documented `POST /adminapi/v2.0/{tenant}/{Endpoint}` endpoints,
//! each running its own few cmdlets ([`cmdlets::ENDPOINTS`]).
//!
//! Every call goes through [`handle`]: the bearer token (audience Exchange Online; the route's
//! permission, `Exchange.Manage` or `Exchange.ManageV2`, or an app's `Exchange.ManageAsApp`), the
//! `X-AnchorMailbox` routing header, the faults in force, binding the body to a cmdlet
//! ([`bind`]), running it under the directory's lock with Exchange's role rules ([`run`]), and
//! the [`ExchangeLog`]. Answers, warnings and errors have Exchange's shapes ([`answer`]).
//!
//! It holds no tenant state of its own: what a cmdlet changes is the directory's, so Graph and
//! `/_sim/state` see it. It serves no Graph path, and Graph accepts none of its tokens.

mod answer;
mod bind;
mod caller;
mod cmdlets;
mod folders;
mod inbox;
mod lists;
mod log;
mod mailboxes;
mod permissions;
mod recipients;
mod request;
mod run;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

use super::SimState;
use super::graph::Faults;
use answer::{Exception, ExoError};
use caller::Caller;
use cmdlets::{Cmdlet, Endpoint};
pub use log::{ExchangeLog, ExchangeLogEntry};
use request::{Command, command, names_tenant, select};

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route(
            "/adminapi/beta/{tenant}/InvokeCommand",
            post(invoke_command),
        )
        .route("/adminapi/v2.0/{tenant}/{endpoint}", post(v2_endpoint))
}

/// Which route was called.
#[derive(Debug, Clone, Copy)]
enum Route {
    InvokeCommand,
    V2(&'static Endpoint),
}

impl Route {
    /// The delegated permission the route takes.
    fn scope(self) -> &'static str {
        match self {
            Route::InvokeCommand => "Exchange.Manage",
            Route::V2(_) => "Exchange.ManageV2",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Route::InvokeCommand => "InvokeCommand",
            Route::V2(endpoint) => endpoint.name,
        }
    }
}

/// The parts of an HTTP request a call needs.
struct Incoming {
    tenant: String,
    /// `None`: a v2.0 endpoint that does not exist (named here).
    route: Result<Route, String>,
    headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
}

async fn invoke_command(
    State(state): State<Arc<SimState>>,
    Path(tenant): Path<String>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let route = Ok(Route::InvokeCommand);
    let incoming = Incoming {
        tenant,
        route,
        headers,
        query,
        body,
    };
    handle(state, extensions, incoming).await
}

async fn v2_endpoint(
    State(state): State<Arc<SimState>>,
    Path((tenant, endpoint)): Path<(String, String)>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let route = cmdlets::endpoint(&endpoint).map(Route::V2).ok_or(endpoint);
    let incoming = Incoming {
        tenant,
        route,
        headers,
        query,
        body,
    };
    handle(state, extensions, incoming).await
}

/// What a call that ran a cmdlet (or failed before) comes to.
struct Finished {
    outcome: Result<Value, ExoError>,
    /// The cmdlet that ran, when one did.
    ran: Option<&'static Cmdlet>,
}

async fn handle(
    state: Arc<SimState>,
    extensions: axum::http::Extensions,
    incoming: Incoming,
) -> Response {
    let received = chrono::Utc::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let faults = state.faults();
    let (way_in, way_out) = faults.latency_halves();
    if !way_in.is_zero() {
        tokio::time::sleep(way_in).await;
    }
    let asked = command(&incoming.body);
    let caller = caller::authenticate(&state, &incoming.headers);
    let finished = match &caller {
        Err(error) => Finished {
            outcome: Err(error.clone()),
            ran: None,
        },
        Ok(caller) => call(&state, caller, &incoming, asked.as_ref(), &faults),
    };
    let endpoint = match &incoming.route {
        Ok(route) => route.name().to_owned(),
        Err(unknown) => unknown.clone(),
    };
    let mut entry = ExchangeLogEntry {
        cmdlet: finished
            .ran
            .map(|cmdlet| cmdlet.name.to_owned())
            .or_else(|| asked.as_ref().map(|command| command.name.clone())),
        parameters: asked
            .as_ref()
            .map(|command| Value::Object(command.parameters.clone())),
        user: caller.as_ref().ok().map(Caller::label),
        status: None,
        response: None,
        endpoint,
        request_id: request_id.clone(),
        received,
    };
    let wrote = finished.ran.is_some_and(|cmdlet| !cmdlet.reads());
    if wrote && state.take_lost_write() {
        // Carried out, and then the answer is lost: the log says nobody heard.
        state.exchange_log.push(entry);
        return super::graph::lose_answer(&extensions).await;
    }
    let (status, body) = match &finished.outcome {
        Ok(body) => (StatusCode::OK, body.clone()),
        Err(error) => (error.status, error.body()),
    };
    entry.status = Some(status.as_u16());
    entry.response = Some(body.clone());
    state.exchange_log.push(entry);
    if !way_out.is_zero() {
        tokio::time::sleep(way_out).await;
    }
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert("request-id", value);
    }
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(caller::CHALLENGE),
        );
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(faults.retry_after()));
    }
    response
}

/// Everything after the token: route, permission, routing header, faults, binding, roles, and
/// the cmdlet itself.
fn call(
    state: &SimState,
    caller: &Caller,
    incoming: &Incoming,
    asked: Option<&Command>,
    faults: &Faults,
) -> Finished {
    let failed = |error: ExoError| Finished {
        outcome: Err(error),
        ran: None,
    };
    let route = match (&incoming.route, names_tenant(state, &incoming.tenant)) {
        (_, false) => {
            return failed(ExoError::request(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("The tenant '{}' was not found.", incoming.tenant),
            ));
        }
        (Err(unknown), true) => {
            return failed(ExoError::request(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("Resource not found for the segment '{unknown}'."),
            ));
        }
        (Ok(route), true) => *route,
    };
    if !caller.may_use(route.scope()) {
        return failed(ExoError::request(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "The access token does not grant {} (delegated) or Exchange.ManageAsApp (application), which {} requires.",
                route.scope(),
                route.name()
            ),
        ));
    }
    let anchored = incoming
        .headers
        .get("x-anchormailbox")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| !value.trim().is_empty());
    if !anchored {
        return failed(ExoError::request(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The X-AnchorMailbox header is required: UPN:<the target mailbox's address>, or a system mailbox of the tenant.",
        ));
    }
    if faults.throttles_now() {
        return failed(ExoError::request(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests are being made: wait for the time in the Retry-After header, then retry.",
        ));
    }
    if faults.fails_now() {
        return failed(ExoError::request(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is temporarily unavailable. Please retry.",
        ));
    }
    let Some(asked) = asked else {
        return failed(ExoError::request(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The body must be {\"CmdletInput\": {\"CmdletName\": \"...\", \"Parameters\": {...}}}.",
        ));
    };
    let cmdlet = match cmdlets::find(&asked.name) {
        Some(cmdlet) => cmdlet,
        None => {
            return failed(ExoError::cmdlet(
                Exception::CommandNotFound,
                format!(
                    "The term '{}' is not recognized as a name of a cmdlet, function, script file, or executable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
                    asked.name
                ),
            ));
        }
    };
    let allowed = match route {
        Route::InvokeCommand => None,
        Route::V2(endpoint) => {
            match endpoint
                .cmdlets
                .iter()
                .find(|(name, _)| *name == cmdlet.name)
            {
                Some((_, params)) => Some(*params),
                None => {
                    let runs: Vec<&str> = endpoint.cmdlets.iter().map(|(name, _)| *name).collect();
                    return failed(ExoError::cmdlet(
                        Exception::CommandNotFound,
                        format!(
                            "The cmdlet '{}' isn't available on the endpoint '{}', which runs {}.",
                            cmdlet.name,
                            endpoint.name,
                            runs.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let params = match bind::bind(cmdlet.params, allowed, &asked.parameters) {
        Ok(params) => params,
        Err(error) => return failed(error),
    };
    let mut directory = state.directory();
    let mut run = run::Run {
        caller,
        cmdlet: cmdlet.name,
        params: &params,
        dir: &mut directory,
        now: Instant::now(),
        lag: faults.replication_lag(),
        warnings: Vec::new(),
    };
    let outcome = (cmdlet.run)(&mut run).map(|value| {
        let value = select(incoming.query.as_deref(), value);
        let context = match route {
            Route::InvokeCommand => format!(
                "{}/adminapi/beta/{}/$metadata#Collection(Exchange.GenericHashTable)",
                state.base_url, incoming.tenant
            ),
            Route::V2(endpoint) => format!(
                "{}/adminapi/v2.0/{}/$metadata#{}",
                state.base_url, incoming.tenant, endpoint.name
            ),
        };
        answer::success(&context, value, &run.warnings)
    });
    Finished {
        outcome,
        ran: Some(cmdlet),
    }
}

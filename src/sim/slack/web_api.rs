//! Slack's Web API under `{sim}/slack/api/{method}`: reading the arguments, checking the bot
//! token, and answering as Slack does, always HTTP 200 with `ok` (and `error` when it failed).
//!
//! Arguments come from the query string and from a JSON or form body, as Slack accepts them
//! (slack-morphism sends JSON POSTs for `chat.*` and `conversations.open` and GETs for
//! `users.*`). The token comes from `Authorization: Bearer` or a `token` argument.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::methods;
use crate::sim::SimState;
use crate::sim::graph::ChatFailure;

/// The arguments of one call, by name.
pub type Args = Map<String, Value>;

/// One Web API method: the call's arguments in, Slack's answer out.
type Method = fn(&SimState, &Args) -> Value;

/// The methods the simulator serves.
const METHODS: &[(&str, Method)] = &[
    ("auth.test", methods::auth_test),
    ("chat.postMessage", methods::chat_post_message),
    ("chat.update", methods::chat_update),
    ("conversations.open", methods::conversations_open),
    ("users.info", methods::users_info),
    ("users.lookupByEmail", methods::users_lookup_by_email),
    ("views.open", methods::views_open),
];

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new().route("/slack/api/{method}", any(call))
}

/// Slack's failure answer.
pub fn failure(error: &str) -> Value {
    json!({"ok": false, "error": error})
}

async fn call(
    State(sim): State<Arc<SimState>>,
    Path(method): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((_, run)) = METHODS.iter().find(|(name, _)| *name == method) else {
        return Json(failure("unknown_method")).into_response();
    };
    // The chat faults in force: Slack's rate limit, or a moment's outage, before anything.
    match sim.faults().chat_failure().await {
        None => {}
        Some(ChatFailure::Throttled) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                Json(failure("ratelimited")),
            )
                .into_response();
        }
        Some(ChatFailure::Unavailable) => {
            return Json(failure("service_unavailable")).into_response();
        }
    }
    let args = match arguments(&uri, &headers, &body) {
        Ok(args) => args,
        Err(error) => return Json(failure(error)).into_response(),
    };
    if let Err(error) = check_token(&sim, &headers, &args) {
        return Json(failure(error)).into_response();
    }
    let answer = run(&sim, &args);
    // Only IM posts come back: the app subscribes to `message.im`, not to channel messages.
    let in_im = answer["channel"]
        .as_str()
        .is_some_and(|channel| channel.starts_with('D'));
    if method == "chat.postMessage" && answer["ok"] == true && in_im {
        super::echo::send_back(&sim, &answer);
    }
    Json(answer).into_response()
}

/// The query string's arguments, then the body's (which win, as in Slack).
fn arguments(uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Result<Args, &'static str> {
    let mut args = Args::new();
    let pairs = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes());
    for (name, value) in pairs {
        args.insert(name.into_owned(), Value::String(value.into_owned()));
    }
    if body.is_empty() {
        return Ok(args);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/json") {
        match serde_json::from_slice(body) {
            Ok(Value::Object(fields)) => args.extend(fields),
            _ => return Err("invalid_json"),
        }
    } else {
        for (name, value) in url::form_urlencoded::parse(body) {
            args.insert(name.into_owned(), Value::String(value.into_owned()));
        }
    }
    Ok(args)
}

/// The bot token must be this workspace's: `not_authed` without one, `invalid_auth` for
/// another.
fn check_token(sim: &SimState, headers: &HeaderMap, args: &Args) -> Result<(), &'static str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let token = bearer
        .or_else(|| args.get("token").and_then(Value::as_str))
        .filter(|token| !token.is_empty())
        .ok_or("not_authed")?;
    let expected = sim.slack.bot_token.as_bytes();
    aws_lc_rs::constant_time::verify_slices_are_equal(token.as_bytes(), expected)
        .map_err(|_| "invalid_auth")
}

/// A string argument.
pub fn text<'a>(args: &'a Args, name: &str) -> Option<&'a str> {
    args.get(name)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
}

/// An argument that should have held JSON and did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJson;

/// A JSON argument: given as JSON in a JSON body, or as a JSON string in a form.
pub fn structured(args: &Args, name: &str) -> Result<Option<Value>, NotJson> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(encoded)) if encoded.is_empty() => Ok(None),
        Some(Value::String(encoded)) => {
            serde_json::from_str(encoded).map(Some).map_err(|_| NotJson)
        }
        Some(other) => Ok(Some(other.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_and_query_arguments_are_read_and_json_blocks_decoded() {
        let uri: Uri = "/slack/api/chat.postMessage?channel=D1"
            .parse()
            .expect("uri");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().expect("value"),
        );
        let body = Bytes::from_static(b"text=hi&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D");
        let args = arguments(&uri, &headers, &body).expect("parses");
        assert_eq!(text(&args, "channel"), Some("D1"));
        assert_eq!(text(&args, "text"), Some("hi"));
        let blocks = structured(&args, "blocks").expect("JSON").expect("given");
        assert_eq!(blocks[0]["type"], "divider");
    }

    #[test]
    fn a_json_body_that_is_not_an_object_is_invalid_json() {
        let uri: Uri = "/slack/api/chat.postMessage".parse().expect("uri");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/json".parse().expect("value"),
        );
        let body = Bytes::from_static(b"[1]");
        assert_eq!(arguments(&uri, &headers, &body), Err("invalid_json"));
    }
}

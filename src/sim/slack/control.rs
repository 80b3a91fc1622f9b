//! The control API for Slack under `/_sim/slack/` (DESIGN.md section 8): a person types in
//! their DM with the bot (or in #general, mentioning it), clicks a button on one of its messages or submits a modal it opened
//! ([`view`]), and a test reads the DM, the modals and the log of what was delivered to the bot
//! (`GET /_sim/slack/log`: `[{path, event_id, user, bot_id, status}]`).
//!
//! `user` is a Slack user id or a UPN. Every answer is JSON; an unknown person, a deactivated
//! account, a malformed body, a message or button that is not in the person's DM, a modal that
//! was not opened for the person or is closed, or a bot that cannot be reached gets a
//! `{"error"}` answer with a 4xx or 502 status.

mod view;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::SlackUser;
use super::payloads::{self, Click, Typed};
use super::records::Delivered;
use crate::sim::SimState;
use crate::sim::bot::{BotAnswer, Delivery, Unreachable};
use crate::sim::control::problem;

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/_sim/slack/message", post(message))
        .route("/_sim/slack/action", post(action))
        .route("/_sim/slack/messages", get(messages))
        .route("/_sim/slack/log", get(log))
        .route("/_sim/slack/views", get(views))
        .route("/_sim/slack/view", post(submit_view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageRequest {
    user: String,
    text: String,
    /// Redeliver the event with this id (the same body, as Slack's retries are); a new event
    /// gets this id when none was delivered with it yet.
    #[serde(default)]
    event_id: Option<String>,
    /// Deliver as Slack's retry number `retry` (`X-Slack-Retry-Num`).
    #[serde(default)]
    retry: Option<u32>,
    /// Post it in #general, @mentioning the bot (an `app_mention` event), instead of the DM.
    #[serde(default)]
    mention: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRequest {
    user: String,
    message_ts: String,
    action_id: String,
    /// The button's value; by default the one on the button.
    #[serde(default)]
    value: Option<Value>,
    /// Typed inputs as `{action_id: value}`, sent as `state.values`.
    #[serde(default)]
    inputs: Option<Map<String, Value>>,
}

/// Why a control request was refused.
#[derive(Debug, thiserror::Error)]
enum ControlError {
    #[error("invalid request: {0}")]
    Malformed(String),
    #[error("{0} is not a Slack user of this workspace")]
    UnknownUser(String),
    #[error("{0}'s Slack account is deactivated")]
    Deactivated(String),
    #[error("there is no message {0} from the bot in this person's DM")]
    UnknownMessage(String),
    #[error("there is no element with action_id {0}")]
    UnknownAction(String),
    #[error("the bot opened no view {0}")]
    UnknownView(String),
    #[error("view {0} was opened for someone else")]
    NotTheirView(String),
    #[error("view {0} is closed")]
    ViewClosed(String),
    #[error("view {0} was never submitted, so there is nothing to deliver again")]
    NeverSubmitted(String),
    #[error(transparent)]
    Unreachable(#[from] Unreachable),
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match &self {
            ControlError::Malformed(_) => StatusCode::BAD_REQUEST,
            ControlError::UnknownUser(_)
            | ControlError::UnknownMessage(_)
            | ControlError::UnknownAction(_)
            | ControlError::UnknownView(_) => StatusCode::NOT_FOUND,
            ControlError::Deactivated(_) | ControlError::NotTheirView(_) => StatusCode::FORBIDDEN,
            ControlError::ViewClosed(_) | ControlError::NeverSubmitted(_) => StatusCode::CONFLICT,
            ControlError::Unreachable(_) => StatusCode::BAD_GATEWAY,
        };
        problem(status, &self.to_string())
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ControlError> {
    serde_json::from_slice(body).map_err(|error| ControlError::Malformed(error.to_string()))
}

/// The person named by `user`, who must have an active Slack account.
fn sender(sim: &SimState, user: &str) -> Result<SlackUser, ControlError> {
    let found = sim
        .slack_user(user)
        .ok_or_else(|| ControlError::UnknownUser(user.to_owned()))?;
    if found.deleted {
        return Err(ControlError::Deactivated(found.upn));
    }
    Ok(found)
}

/// POSTs a body to the bot, signed with the signing secret over its raw bytes.
pub(super) async fn deliver(
    sim: &SimState,
    path: &str,
    content_type: &'static str,
    body: Vec<u8>,
    mut headers: Vec<(HeaderName, String)>,
) -> Result<BotAnswer, Unreachable> {
    let timestamp = Utc::now().timestamp().to_string();
    let signature = payloads::signature(&sim.slack.signing_secret, &timestamp, &body);
    headers.push((
        HeaderName::from_static("x-slack-request-timestamp"),
        timestamp,
    ));
    headers.push((HeaderName::from_static("x-slack-signature"), signature));
    let mut delivered = described(path, &body);
    let delivery = Delivery {
        path,
        content_type,
        headers,
        body,
    };
    let answer = sim.bot.post(delivery).await;
    delivered.status = answer.as_ref().ok().map(|answer| answer.status);
    sim.slack.records().log_delivery(delivered);
    answer
}

/// The log entry of a delivery: who it is from, read from the body that goes out.
fn described(path: &str, body: &[u8]) -> Delivered {
    let event: Option<Value> = serde_json::from_slice(body).ok();
    let interaction: Option<Value> = url::form_urlencoded::parse(body)
        .find(|(name, _)| name == "payload")
        .and_then(|(_, payload)| serde_json::from_str(&payload).ok());
    let field = |value: &Value| value.as_str().map(str::to_owned);
    Delivered {
        path: path.to_owned(),
        event_id: event.as_ref().and_then(|event| field(&event["event_id"])),
        user: event
            .as_ref()
            .and_then(|event| field(&event["event"]["user"]))
            .or_else(|| interaction.and_then(|payload| field(&payload["user"]["id"]))),
        bot_id: event.and_then(|event| field(&event["event"]["bot_id"])),
        status: None,
    }
}

async fn message(State(sim): State<Arc<SimState>>, body: Bytes) -> Response {
    match send_message(&sim, &body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn send_message(sim: &SimState, body: &Bytes) -> Result<Value, ControlError> {
    let request: MessageRequest = parse(body)?;
    let user = sender(sim, &request.user)?;
    let channel = if request.mention {
        super::GENERAL_CHANNEL.to_owned()
    } else {
        sim.slack.dm_id(&user.id)
    };
    let earlier = request
        .event_id
        .as_deref()
        .and_then(|id| sim.slack.records().event(id));
    let (event_id, raw) = match (request.event_id, earlier) {
        (Some(id), Some(raw)) => (id, raw),
        (given, _) => {
            let event_id = given.unwrap_or_else(payloads::event_id);
            let ts = sim.slack.records().next_ts();
            let typed = Typed {
                event_id: &event_id,
                user: &user,
                channel: &channel,
                text: &request.text,
                ts: &ts,
            };
            let event = if request.mention {
                payloads::mention_callback(&sim.slack, &typed)
            } else {
                payloads::event_callback(&sim.slack, &typed)
            };
            let raw = event.to_string().into_bytes();
            sim.slack.records().remember_event(&event_id, raw.clone());
            (event_id, raw)
        }
    };
    let ts = serde_json::from_slice::<Value>(&raw)
        .ok()
        .and_then(|event| event["event"]["ts"].as_str().map(str::to_owned));
    let mut headers = Vec::new();
    if let Some(retry) = request.retry {
        headers.push((
            HeaderName::from_static("x-slack-retry-num"),
            retry.to_string(),
        ));
        headers.push((
            HeaderName::from_static("x-slack-retry-reason"),
            "http_timeout".to_owned(),
        ));
    }
    let answer = deliver(sim, "/slack/events", "application/json", raw, headers).await?;
    Ok(json!({
        "status": answer.status,
        "event_id": event_id,
        "channel": channel,
        "ts": ts,
    }))
}

async fn action(State(sim): State<Arc<SimState>>, body: Bytes) -> Response {
    match click(&sim, &body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn click(sim: &SimState, body: &Bytes) -> Result<Value, ControlError> {
    let request: ActionRequest = parse(body)?;
    let user = sender(sim, &request.user)?;
    let channel = sim.slack.dm_id(&user.id);
    let payload = {
        let mut records = sim.slack.records();
        let message = records
            .message(&channel, &request.message_ts)
            .ok_or_else(|| ControlError::UnknownMessage(request.message_ts.clone()))?;
        if !payloads::has_element(&message.blocks, &request.action_id) {
            return Err(ControlError::UnknownAction(request.action_id));
        }
        let state = request
            .inputs
            .map(|inputs| payloads::state_values(&message.blocks, &inputs))
            .unwrap_or_default();
        let trigger_id = records.issue_trigger(&user.id);
        let token = records.issue_response_url(&channel, &message.ts);
        let response_url = format!("{}/slack/respond/{token}", sim.base_url);
        let action_ts = records.next_ts();
        payloads::block_actions(
            &sim.slack,
            Click {
                user: &user,
                channel: &channel,
                message: &message,
                action_id: &request.action_id,
                value: request.value,
                state,
                trigger_id: &trigger_id,
                response_url: &response_url,
                action_ts: &action_ts,
            },
        )
    };
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    let answer = deliver(
        sim,
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        form.into_bytes(),
        Vec::new(),
    )
    .await?;
    Ok(json!({"status": answer.status}))
}

async fn submit_view(State(sim): State<Arc<SimState>>, body: Bytes) -> Response {
    match view::submit(&sim, &body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn messages(
    State(sim): State<Arc<SimState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    // `channel=general`: what is posted in #general, where people mention the bot.
    if query.get("channel").map(String::as_str) == Some("general") {
        let shown = sim.slack.records().messages(super::GENERAL_CHANNEL);
        return Json(shown).into_response();
    }
    let Some(who) = query.get("user") else {
        return ControlError::Malformed(
            "the user or channel query parameter is required".to_owned(),
        )
        .into_response();
    };
    let Some(user) = sim.slack_user(who) else {
        return ControlError::UnknownUser(who.clone()).into_response();
    };
    let channel = sim.slack.dm_id(&user.id);
    let shown = sim.slack.records().messages(&channel);
    Json(shown).into_response()
}

async fn log(State(sim): State<Arc<SimState>>) -> Response {
    Json(sim.slack.records().deliveries()).into_response()
}

async fn views(State(sim): State<Arc<SimState>>) -> Response {
    let opened = sim.slack.records().views();
    Json(opened).into_response()
}

//! The Bot Connector REST API under `{sim}/teams/` (the activities' `serviceUrl`): create a 1:1
//! conversation, send, reply, update and delete activities, and read a conversation's members
//! (Teams answers a member by `29:` id, object id or UPN, as a `TeamsChannelAccount`).
//!
//! Every call needs the bot's connector token (client credentials for
//! `https://api.botframework.com/.default` at the simulated Entra): signed with Entra's key,
//! audience the Bot Framework, unexpired, issued to this registration. Anything else gets the
//! connector's 401. Conversation ids arrive percent-encoded (they hold `:`, `@` and `;`); the
//! path extractor decodes them. A person's 1:1 conversation exists from the start, since the
//! app counts as installed for everyone in the tenant.
//!
//! Messages are held to what the connector accepts ([`message`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::{Map, Value, json};

mod message;

use super::records::{ConversationKind, Direction, LogEntry, RecordError, SentActivity};
use super::{TeamsUser, bot_account_id};
use crate::sim::SimState;
use crate::sim::graph::ChatFailure;
use crate::sim::login::{BOT_CONNECTOR_AUDIENCE, graph_issuer};
pub use message::MESSAGE_SIZE_MAX;
use message::content;

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/teams/v3/conversations", post(create_conversation))
        .route(
            "/teams/v3/conversations/{conversation}/activities",
            post(send),
        )
        .route(
            "/teams/v3/conversations/{conversation}/activities/{activity}",
            post(reply).put(update).delete(delete),
        )
        .route(
            "/teams/v3/conversations/{conversation}/members",
            get(members),
        )
        .route(
            "/teams/v3/conversations/{conversation}/members/{member}",
            get(member),
        )
}

/// The claims of a connector token the connector reads.
#[derive(Deserialize)]
struct ConnectorClaims {
    #[serde(default)]
    appid: Option<String>,
    #[serde(default)]
    azp: Option<String>,
}

/// Why the connector refused a call.
#[derive(Debug, thiserror::Error)]
enum ConnectorError {
    #[error("authorization has been denied for this request")]
    Unauthorized,
    #[error("{0}")]
    BadArgument(String),
    #[error("the message is {0} bytes; Teams takes at most {MESSAGE_SIZE_MAX}")]
    TooLarge(usize),
    #[error("member {0} is not a user of this tenant")]
    UnknownMember(String),
    #[error("member {0} is not in the conversation")]
    NotAMember(String),
    #[error(transparent)]
    Missing(#[from] RecordError),
    /// `chat_error_rate` in the simulator's faults.
    #[error("the service is busy; retry later")]
    Throttled,
    #[error("the service is temporarily unavailable")]
    Unavailable,
}

impl IntoResponse for ConnectorError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ConnectorError::Unauthorized => {
                return (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"message": "Authorization has been denied for this request."})),
                )
                    .into_response();
            }
            ConnectorError::BadArgument(_) => (StatusCode::BAD_REQUEST, "BadArgument"),
            ConnectorError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "MessageSizeTooBig"),
            ConnectorError::UnknownMember(_) => (StatusCode::NOT_FOUND, "BadArgument"),
            ConnectorError::NotAMember(_) => {
                (StatusCode::NOT_FOUND, "MemberNotFoundInConversation")
            }
            ConnectorError::Missing(RecordError::NoConversation(_)) => {
                (StatusCode::NOT_FOUND, "ConversationNotFound")
            }
            ConnectorError::Missing(RecordError::NoActivity(_)) => {
                (StatusCode::NOT_FOUND, "ActivityNotFound")
            }
            ConnectorError::Throttled => {
                let body = json!({"error": {"code": "Throttled", "message": self.to_string()}});
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "1")],
                    Json(body),
                )
                    .into_response();
            }
            ConnectorError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        };
        let body = json!({"error": {"code": code, "message": self.to_string()}});
        (status, Json(body)).into_response()
    }
}

fn bad_argument(message: &str) -> ConnectorError {
    ConnectorError::BadArgument(message.to_owned())
}

/// The chat faults in force (`chat_latency_ms`, `chat_error_rate`): the wait, then for the
/// calls that fail, the connector's throttling or outage answer before anything is done.
async fn chat_faults(sim: &SimState) -> Result<(), ConnectorError> {
    match sim.faults().chat_failure().await {
        None => Ok(()),
        Some(ChatFailure::Throttled) => Err(ConnectorError::Throttled),
        Some(ChatFailure::Unavailable) => Err(ConnectorError::Unavailable),
    }
}

/// Checks the bot's connector token.
fn authorize(sim: &SimState, headers: &HeaderMap) -> Result<(), ConnectorError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or(ConnectorError::Unauthorized)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[BOT_CONNECTOR_AUDIENCE]);
    validation.set_issuer(&[graph_issuer(&sim.tenant_id)]);
    validation.set_required_spec_claims(&["exp", "aud", "iss"]);
    validation.validate_nbf = true;
    let claims: ConnectorClaims = sim
        .keys
        .verify(token, &validation)
        .map_err(|_| ConnectorError::Unauthorized)?;
    let app_id = claims.appid.or(claims.azp);
    if app_id.as_deref() != Some(sim.registration.client_id.as_str()) {
        return Err(ConnectorError::Unauthorized);
    }
    Ok(())
}

/// The request body as a JSON object.
fn object(body: &Bytes) -> Result<Map<String, Value>, ConnectorError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(bad_argument("the body must be a JSON object")),
        Err(error) => Err(bad_argument(&format!(
            "the body is not valid JSON: {error}"
        ))),
    }
}

/// Checks that the connector knows the conversation; a person's 1:1 becomes known the first
/// time it is named.
fn known_conversation(sim: &SimState, conversation_id: &str) -> Result<(), ConnectorError> {
    let recorded = sim.teams.records().kind_of(conversation_id);
    if recorded.is_some() {
        return Ok(());
    }
    let user = sim
        .teams_user_by_conversation(conversation_id)
        .ok_or_else(|| RecordError::NoConversation(conversation_id.to_owned()))?;
    open_personal(sim, &user);
    Ok(())
}

/// The person of a 1:1 conversation, as `GET …/members` lists them.
async fn members(
    State(sim): State<Arc<SimState>>,
    Path(conversation): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ConnectorError> {
    chat_faults(&sim).await?;
    authorize(&sim, &headers)?;
    let user = personal_user(&sim, &conversation)?;
    Ok(Json(json!([channel_account(&sim, &user)])).into_response())
}

/// One member of a conversation, named by `29:` id, object id or UPN.
async fn member(
    State(sim): State<Arc<SimState>>,
    Path((conversation, member)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ConnectorError> {
    chat_faults(&sim).await?;
    authorize(&sim, &headers)?;
    let user = personal_user(&sim, &conversation)?;
    let named = member.eq_ignore_ascii_case(&user.teams_id)
        || member.eq_ignore_ascii_case(&user.object_id)
        || member.eq_ignore_ascii_case(&user.upn);
    if !named {
        return Err(ConnectorError::NotAMember(member));
    }
    Ok(Json(channel_account(&sim, &user)).into_response())
}

fn personal_user(sim: &SimState, conversation: &str) -> Result<TeamsUser, ConnectorError> {
    sim.teams_user_by_conversation(conversation)
        .ok_or_else(|| RecordError::NoConversation(conversation.to_owned()).into())
}

/// A `TeamsChannelAccount`.
fn channel_account(sim: &SimState, user: &TeamsUser) -> Value {
    json!({
        "id": user.teams_id,
        "name": user.name,
        "aadObjectId": user.object_id,
        "userPrincipalName": user.upn,
        "email": user.upn,
        "tenantId": sim.tenant_id,
        "userRole": "user",
    })
}

fn open_personal(sim: &SimState, user: &TeamsUser) {
    sim.teams.records().open(
        &user.conversation_id,
        ConversationKind::Personal {
            user_id: user.object_id.clone(),
        },
    );
}

fn log_sent(sim: &SimState, kind: &str, conversation_id: &str, activity_id: Option<&str>) {
    log_sent_text(sim, kind, conversation_id, activity_id, None);
}

/// Logs what the bot sent; `text` is an update's new text.
fn log_sent_text(
    sim: &SimState,
    kind: &str,
    conversation_id: &str,
    activity_id: Option<&str>,
    text: Option<String>,
) {
    sim.teams.records().log(LogEntry {
        direction: Direction::FromBot,
        kind: kind.to_owned(),
        conversation_id: conversation_id.to_owned(),
        activity_id: activity_id.map(str::to_owned),
        from: None,
        status: Some(200),
        text,
    });
}

async fn create_conversation(
    State(sim): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConnectorError> {
    chat_faults(&sim).await?;
    authorize(&sim, &headers)?;
    let request = object(&body)?;
    if request.get("isGroup").and_then(Value::as_bool) == Some(true) {
        return Err(bad_argument(
            "bots cannot create group conversations in Teams",
        ));
    }
    let bot = request.get("bot").and_then(|bot| bot.get("id"));
    if bot.is_some_and(|id| id.as_str() != Some(&bot_account_id(&sim.registration.client_id))) {
        return Err(bad_argument("bot.id is not this bot"));
    }
    let tenant = request.get("tenantId").or_else(|| {
        request
            .get("channelData")
            .and_then(|data| data.get("tenant"))
            .and_then(|tenant| tenant.get("id"))
    });
    if tenant.is_some_and(|id| {
        !id.as_str()
            .is_some_and(|id| id.eq_ignore_ascii_case(&sim.tenant_id))
    }) {
        return Err(bad_argument(
            "the tenant is not the one this bot is installed in",
        ));
    }
    let member = match request.get("members").and_then(Value::as_array) {
        Some(members) if members.len() == 1 => members[0].get("id").and_then(Value::as_str),
        _ => return Err(bad_argument("members must name exactly one person")),
    };
    let member = member
        .filter(|id| id.starts_with("29:") || uuid::Uuid::parse_str(id).is_ok())
        .ok_or_else(|| bad_argument("a member id must be a 29: id or an Entra object id"))?;
    let user = sim
        .teams_user(member)
        .ok_or_else(|| ConnectorError::UnknownMember(member.to_owned()))?;
    open_personal(&sim, &user);
    log_sent(&sim, "createConversation", &user.conversation_id, None);
    let mut answer = json!({"id": user.conversation_id});
    if let Some(Value::Object(activity)) = request.get("activity") {
        let id = record_message(&sim, &user.conversation_id, activity, None)?;
        answer["activityId"] = json!(id);
    }
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

async fn send(
    State(sim): State<Arc<SimState>>,
    Path(conversation): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConnectorError> {
    chat_faults(&sim).await?;
    post_activity(&sim, &conversation, None, &headers, &body)
}

async fn reply(
    State(sim): State<Arc<SimState>>,
    Path((conversation, activity)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConnectorError> {
    chat_faults(&sim).await?;
    post_activity(&sim, &conversation, Some(&activity), &headers, &body)
}

fn post_activity(
    sim: &SimState,
    conversation_id: &str,
    reply_to: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ConnectorError> {
    authorize(sim, headers)?;
    let activity = object(body)?;
    known_conversation(sim, conversation_id)?;
    match activity.get("type").and_then(Value::as_str) {
        Some("message") => {
            let id = record_message(sim, conversation_id, &activity, reply_to)?;
            Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
        }
        // Typing indicators show for a moment and are not part of the conversation.
        Some("typing") => {
            log_sent(sim, "typing", conversation_id, None);
            Ok((StatusCode::OK, Json(json!({}))).into_response())
        }
        Some(other) => Err(bad_argument(&format!(
            "a bot cannot send a {other} activity"
        ))),
        None => Err(bad_argument("the activity has no type")),
    }
}

/// Records a message the bot sent into a known conversation; its new id.
fn record_message(
    sim: &SimState,
    conversation_id: &str,
    activity: &Map<String, Value>,
    reply_to: Option<&str>,
) -> Result<String, ConnectorError> {
    let (text, attachments) = content(activity)?;
    let reply_to_id = reply_to.map(str::to_owned).or_else(|| {
        activity
            .get("replyToId")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let mut records = sim.teams.records();
    let id = records.next_activity_id();
    records.append(
        conversation_id,
        SentActivity {
            id: id.clone(),
            text: text.clone(),
            attachments,
            reply_to_id,
        },
    )?;
    records.log(LogEntry {
        direction: Direction::FromBot,
        kind: "message".to_owned(),
        conversation_id: conversation_id.to_owned(),
        activity_id: Some(id.clone()),
        from: None,
        status: Some(201),
        text,
    });
    Ok(id)
}

async fn update(
    State(sim): State<Arc<SimState>>,
    Path((conversation, activity_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConnectorError> {
    chat_faults(&sim).await?;
    authorize(&sim, &headers)?;
    let activity = object(&body)?;
    known_conversation(&sim, &conversation)?;
    let (text, attachments) = content(&activity)?;
    sim.teams
        .records()
        .update(&conversation, &activity_id, text.clone(), attachments)?;
    log_sent_text(&sim, "update", &conversation, Some(&activity_id), text);
    Ok(Json(json!({"id": activity_id})).into_response())
}

async fn delete(
    State(sim): State<Arc<SimState>>,
    Path((conversation, activity_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ConnectorError> {
    chat_faults(&sim).await?;
    authorize(&sim, &headers)?;
    known_conversation(&sim, &conversation)?;
    sim.teams.records().delete(&conversation, &activity_id)?;
    log_sent(&sim, "delete", &conversation, Some(&activity_id));
    Ok(StatusCode::OK.into_response())
}

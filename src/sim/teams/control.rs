//! The control API for Teams under `/_sim/teams/` (DESIGN.md section 8): a person types a
//! message or clicks a card action, and a test reads what the bot sent them.
//!
//! `POST refresh {user, activityId}` stands for the person looking at a card in their 1:1 chat:
//! as Teams does, a card whose `refresh.userIds` names them (or leaves `userIds` out, in a chat
//! this small) is fetched again with an automatic `adaptiveCard/action` invoke of its refresh
//! action, and the returned card is shown to them in its place. (Teams skips cards younger than
//! a minute; the sim refreshes at any age so tests need not wait.)
//!
//! Every answer is JSON. A person the tenant does not know, a disabled account, a malformed
//! body or a bot that cannot be reached gets a `{"error"}` answer with a 4xx or 502 status.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::TeamsUser;
use super::activity::{self, ChannelPlace, Place};
use super::records::{ConversationKind, Direction, LogEntry};
use crate::sim::SimState;
use crate::sim::bot::{BotAnswer, Delivery, Unreachable};
use crate::sim::control::problem;

/// The content type of an Adaptive Card, in attachments and invoke answers.
const ADAPTIVE_CARD: &str = "application/vnd.microsoft.card.adaptive";

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/_sim/teams/message", post(message))
        .route("/_sim/teams/invoke", post(invoke))
        .route("/_sim/teams/refresh", post(refresh))
        .route("/_sim/teams/conversations/{user}", get(conversation))
        .route("/_sim/teams/log", get(log))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageRequest {
    from: String,
    text: String,
    /// Post it in a channel of one of the sender's teams, @mentioning the bot.
    #[serde(default)]
    mention: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct InvokeRequest {
    from: String,
    reply_to_id: String,
    action: Value,
    #[serde(default)]
    inputs: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RefreshRequest {
    user: String,
    activity_id: String,
}

/// Why a control request was refused.
#[derive(Debug, thiserror::Error)]
enum ControlError {
    #[error("invalid request: {0}")]
    Malformed(String),
    #[error("{0} is not a Teams user of this tenant")]
    UnknownUser(String),
    #[error("{0} is disabled and cannot use Teams")]
    Disabled(String),
    #[error("{0} is a member of no team with a standard channel to post in")]
    NoTeam(String),
    #[error("the bot has sent no activity {0} that could be clicked")]
    UnknownActivity(String),
    #[error(transparent)]
    Unreachable(#[from] Unreachable),
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match &self {
            ControlError::Malformed(_) => StatusCode::BAD_REQUEST,
            ControlError::UnknownUser(_) | ControlError::UnknownActivity(_) => {
                StatusCode::NOT_FOUND
            }
            ControlError::Disabled(_) => StatusCode::FORBIDDEN,
            ControlError::NoTeam(_) => StatusCode::CONFLICT,
            ControlError::Unreachable(_) => StatusCode::BAD_GATEWAY,
        };
        problem(status, &self.to_string())
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ControlError> {
    serde_json::from_slice(body).map_err(|error| ControlError::Malformed(error.to_string()))
}

/// The person named by `from`, who must be able to use Teams.
fn sender(sim: &SimState, from: &str) -> Result<TeamsUser, ControlError> {
    let user = sim
        .teams_user(from)
        .ok_or_else(|| ControlError::UnknownUser(from.to_owned()))?;
    if !user.enabled {
        return Err(ControlError::Disabled(user.upn));
    }
    Ok(user)
}

async fn message(State(sim): State<Arc<SimState>>, body: Bytes) -> Response {
    match send_message(&sim, &body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn send_message(sim: &SimState, body: &Bytes) -> Result<Value, ControlError> {
    let request: MessageRequest = parse(body)?;
    let user = sender(sim, &request.from)?;
    let id = sim.teams.records().next_activity_id();
    let (place, kind) = if request.mention {
        let channel = channel_place(sim, &user, &id)?;
        let kind = ConversationKind::ChannelThread {
            channel_id: channel.channel_id.clone(),
        };
        (Place::Channel(channel), kind)
    } else {
        let kind = ConversationKind::Personal {
            user_id: user.object_id.clone(),
        };
        (Place::Personal, kind)
    };
    let conversation_id = match &place {
        Place::Personal => user.conversation_id.clone(),
        Place::Channel(channel) => channel.conversation_id.clone(),
    };
    sim.teams.records().open(&conversation_id, kind);
    let activity = activity::message(sim, &id, &user, &request.text, &place);
    let answer = deliver(sim, &activity, &user, &conversation_id).await?;
    Ok(json!({
        "activityId": id,
        "status": answer.status,
        "conversationId": conversation_id,
    }))
}

/// A new thread in the General (else the first standard) channel of the first team the person
/// belongs to.
fn channel_place(
    sim: &SimState,
    user: &TeamsUser,
    root_id: &str,
) -> Result<ChannelPlace, ControlError> {
    let directory = sim.directory();
    directory
        .teams
        .iter()
        .find_map(|team| {
            let group = directory.group(&team.group_id)?;
            if !group.has_member(&user.object_id) && !group.has_owner(&user.object_id) {
                return None;
            }
            let standard: Vec<_> = team
                .channels
                .iter()
                .filter(|channel| channel.membership_type() == "standard")
                .collect();
            let name = |channel: &crate::sim::directory::Channel| {
                channel
                    .props
                    .get("displayName")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let channel = standard
                .iter()
                .find(|channel| name(channel) == "General")
                .or_else(|| standard.first())?;
            Some(ChannelPlace {
                conversation_id: format!("{};messageid={root_id}", channel.id),
                channel_id: channel.id.clone(),
                channel_name: name(channel),
                team_thread_id: channel.id.clone(),
                team_name: group.display_name().to_owned(),
                group_id: group.id.clone(),
            })
        })
        .ok_or_else(|| ControlError::NoTeam(user.upn.clone()))
}

/// POSTs an activity to `{bot}/api/messages` with a fresh connector JWT, and logs it.
async fn deliver(
    sim: &SimState,
    activity: &Value,
    from: &TeamsUser,
    conversation_id: &str,
) -> Result<BotAnswer, ControlError> {
    let token = activity::connector_jwt(sim);
    let outcome = sim
        .bot
        .post(Delivery {
            path: "/api/messages",
            content_type: "application/json; charset=utf-8",
            headers: vec![(header::AUTHORIZATION, format!("Bearer {token}"))],
            body: activity.to_string().into_bytes(),
        })
        .await;
    sim.teams.records().log(LogEntry {
        direction: Direction::ToBot,
        kind: activity["type"].as_str().unwrap_or_default().to_owned(),
        conversation_id: conversation_id.to_owned(),
        activity_id: activity["id"].as_str().map(str::to_owned),
        from: Some(from.upn.clone()),
        status: outcome.as_ref().ok().map(|answer| answer.status),
        text: activity["text"].as_str().map(str::to_owned),
    });
    Ok(outcome?)
}

async fn invoke(State(sim): State<Arc<SimState>>, body: Bytes) -> Response {
    match click(&sim, &body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn click(sim: &SimState, body: &Bytes) -> Result<Value, ControlError> {
    let request: InvokeRequest = parse(body)?;
    let user = sender(sim, &request.from)?;
    let action = executed_action(&request.action, request.inputs)?;
    let reply_to_id = request.reply_to_id;
    let (id, sent) = {
        let mut records = sim.teams.records();
        (records.next_activity_id(), records.was_sent(&reply_to_id))
    };
    if !sent {
        return Err(ControlError::UnknownActivity(reply_to_id));
    }
    // The click is delivered even when the card is in someone else's chat: a forged client
    // can send that, and the bot must refuse it on its own.
    let activity = activity::card_action(sim, &id, &user, &reply_to_id, action, "manual");
    let answer = deliver(sim, &activity, &user, &user.conversation_id).await?;
    if let Some(card) = returned_card(&answer) {
        let attachment = json!({"contentType": ADAPTIVE_CARD, "content": card});
        // Teams shows the returned card only to the clicker; when the clicked card is not in
        // their 1:1 chat there is nothing of theirs to replace.
        let _ = sim.teams.records().replace_attachments(
            &user.conversation_id,
            &reply_to_id,
            vec![attachment],
        );
    }
    Ok(json!({"status": answer.status, "body": answer.body}))
}

async fn refresh(State(sim): State<Arc<SimState>>, body: Bytes) -> Response {
    match shown(&sim, &body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The person looks at a card in their 1:1 chat.
async fn shown(sim: &SimState, body: &Bytes) -> Result<Value, ControlError> {
    let request: RefreshRequest = parse(body)?;
    let user = sender(sim, &request.user)?;
    let card = sim
        .teams
        .records()
        .activities(&user.conversation_id)
        .into_iter()
        .find(|activity| activity.id == request.activity_id)
        .ok_or_else(|| ControlError::UnknownActivity(request.activity_id.clone()))?
        .attachments
        .into_iter()
        .find(|attachment| attachment["contentType"] == ADAPTIVE_CARD)
        .map(|attachment| attachment["content"].clone())
        .unwrap_or(Value::Null);
    let refresh = &card["refresh"];
    let action = &refresh["action"];
    let for_them = match refresh.get("userIds") {
        None => true,
        Some(Value::Array(ids)) => ids.iter().any(|id| id == user.teams_id.as_str()),
        Some(_) => false,
    };
    if !action.is_object() || !for_them {
        return Ok(json!({"refreshed": false}));
    }
    let action = executed_action(action, None)?;
    let id = sim.teams.records().next_activity_id();
    let activity =
        activity::card_action(sim, &id, &user, &request.activity_id, action, "automatic");
    let answer = deliver(sim, &activity, &user, &user.conversation_id).await?;
    let returned = returned_card(&answer);
    if let Some(card) = &returned {
        let attachment = json!({"contentType": ADAPTIVE_CARD, "content": card});
        let _ = sim.teams.records().replace_attachments(
            &user.conversation_id,
            &request.activity_id,
            vec![attachment],
        );
    }
    Ok(json!({
        "refreshed": returned.is_some(),
        "status": answer.status,
        "body": answer.body,
    }))
}

/// The invoke's `value.action`: the card's `Action.Execute` with the typed inputs merged into
/// its `data`, as Teams merges them.
fn executed_action(
    action: &Value,
    inputs: Option<Map<String, Value>>,
) -> Result<Value, ControlError> {
    let malformed = |message: &str| ControlError::Malformed(message.to_owned());
    let fields = action
        .as_object()
        .ok_or_else(|| malformed("action must be the action object from the card"))?;
    if fields.get("type").and_then(Value::as_str) != Some("Action.Execute") {
        return Err(malformed(
            "only an Action.Execute arrives as an adaptiveCard/action invoke",
        ));
    }
    let mut data = fields.get("data").cloned().unwrap_or_else(|| json!({}));
    if let Some(inputs) = inputs {
        let Some(merged) = data.as_object_mut() else {
            return Err(malformed("inputs can be merged only into object data"));
        };
        merged.extend(inputs);
    }
    let mut executed = json!({"type": "Action.Execute", "data": data});
    for name in ["id", "verb"] {
        if let Some(value) = fields.get(name) {
            executed[name] = value.clone();
        }
    }
    Ok(executed)
}

/// The card in an invoke answer of the form Universal Actions use to refresh the clicked card.
fn returned_card(answer: &BotAnswer) -> Option<Value> {
    let body = &answer.body;
    let is_card = answer.status == 200
        && body["statusCode"].as_u64() == Some(200)
        && body["type"].as_str() == Some(ADAPTIVE_CARD)
        && body["value"].is_object();
    is_card.then(|| body["value"].clone())
}

async fn conversation(State(sim): State<Arc<SimState>>, Path(user): Path<String>) -> Response {
    let Some(person) = sim.teams_user(&user) else {
        return ControlError::UnknownUser(user).into_response();
    };
    let activities = sim.teams.records().activities(&person.conversation_id);
    Json(activities).into_response()
}

async fn log(State(sim): State<Arc<SimState>>) -> Response {
    let entries = sim.teams.records().log_entries();
    Json(entries).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_merged_into_the_actions_data() {
        let action = json!({"type": "Action.Execute", "verb": "deny", "data": {"request": "r1"}});
        let mut inputs = Map::new();
        inputs.insert("reason".into(), json!("not now"));
        let executed = executed_action(&action, Some(inputs)).expect("valid");
        assert_eq!(executed["verb"], "deny");
        assert_eq!(
            executed["data"],
            json!({"request": "r1", "reason": "not now"})
        );
        assert!(executed.get("id").is_none());
    }

    #[test]
    fn only_action_execute_can_be_invoked() {
        let submit = json!({"type": "Action.Submit", "data": {}});
        assert!(executed_action(&submit, None).is_err());
        assert!(executed_action(&json!("approve"), None).is_err());
        let scalar = json!({"type": "Action.Execute", "data": "x"});
        assert!(executed_action(&scalar, Some(Map::new())).is_err());
        assert!(executed_action(&scalar, None).is_ok());
    }
}

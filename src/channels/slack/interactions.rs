//! `POST /slack/interactions`: clicks on Doorman's buttons. The body is a form with one field,
//! `payload`, holding JSON; the signature covers the raw form body.
//!
//! Owns turning a signed `block_actions` click on a verb button into a [`ChatAction`], the
//! delivery key of a click, and replacing the clicked message with the handler's answer
//! (`chat.update`). Must not: take identity from a button's value (it carries ids only), hand on
//! a click twice (a replayed request has the same `trigger_id`), or wait for the handler before
//! answering Slack. Each click is recorded in the ledger as accepted before Slack is answered,
//! and handled on a task the ledger tracks and marks done.
//!
//! The delivery key of a click is `<trigger_id>:<n>`, `n` being the action's position in the
//! payload: Slack mints a new `trigger_id` for every interaction, and a replay of the same
//! signed request carries the same one. Link buttons (`sign_in`) report clicks too and are
//! ignored, as is every action id that is not a verb.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use slack_morphism::prelude::*;
use tracing::Instrument;

use super::Slack;
use super::place::Conversation;
use crate::channels::deliveries::hand_on;
use crate::domain::chat::{
    Channel, ChatAction, ChatUser, Inbound, Place, Sender, SentMessage, Verb,
};

pub(super) async fn receive(
    State(slack): State<Arc<Slack>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(rejection) = slack.signature.check(&headers, &body) {
        tracing::warn!(%rejection, "slack interaction refused");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let payload = url::form_urlencoded::parse(&body)
        .find(|(key, _)| key == "payload")
        .map(|(_, value)| value.into_owned());
    let Some(raw) = payload.and_then(|payload| serde_json::from_str::<Value>(&payload).ok()) else {
        tracing::warn!("slack interaction without a json payload");
        return StatusCode::BAD_REQUEST.into_response();
    };
    match raw.get("type").and_then(Value::as_str) {
        Some("block_actions") => match SlackInteractionEvent::deserialize(&raw) {
            Ok(SlackInteractionEvent::BlockActions(event)) => on_block_actions(&slack, event).await,
            Ok(_) => StatusCode::OK.into_response(),
            Err(_) => {
                // The parse error is not logged, because it may quote what someone typed.
                tracing::warn!("slack block_actions of an unknown shape");
                StatusCode::BAD_REQUEST.into_response()
            }
        },
        // Deny reasons will come back from a modal as `view_submission` (answered with an
        // empty 200 to close it, or `response_action: errors`); nothing opens that modal yet.
        Some("view_submission") => {
            tracing::debug!("view submission before modals exist, ignored");
            StatusCode::OK.into_response()
        }
        other => {
            tracing::debug!(
                kind = other.unwrap_or("none"),
                "interaction type not handled, ignored"
            );
            StatusCode::OK.into_response()
        }
    }
}

async fn on_block_actions(
    slack: &Arc<Slack>,
    event: SlackInteractionBlockActionsEvent,
) -> Response {
    let span = tracing::info_span!("slack_interaction", team_id = %event.team.id);
    let actions = span.in_scope(|| clicks(slack, &event));
    for action in actions {
        let key = format!("slack:{}", action.id);
        let verb = action.verb;
        let click = Inbound::Action(action);
        match slack
            .deliveries
            .accept(&key, &click)
            .instrument(span.clone())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                span.in_scope(|| {
                    tracing::info!(verb = verb.as_str(), "click delivered before, ignored")
                });
                continue;
            }
            Err(error) => {
                span.in_scope(|| tracing::error!(%error, "cannot record the slack click"));
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
        // The handler's answer replaces the clicked message (`chat.update`).
        let adapter = Arc::clone(slack);
        slack.deliveries.spawn(
            key,
            async move { hand_on(click, adapter.handler.as_ref(), adapter.as_ref()).await }
                .instrument(span.clone()),
        );
    }
    // An empty 200 within 3 s is all Slack wants; the answer comes as a `chat.update`.
    StatusCode::OK.into_response()
}

/// The verb clicks of a `block_actions` payload from the workspace and app this deployment
/// serves, in the order Slack lists them.
fn clicks(slack: &Slack, event: &SlackInteractionBlockActionsEvent) -> Vec<ChatAction> {
    if !slack.serves(&event.team.id.0, &event.api_app_id.0) {
        tracing::info!(app_id = %event.api_app_id, "click for another workspace or app, ignored");
        return Vec::new();
    }
    let Some(user) = &event.user else {
        tracing::debug!("click without a user, ignored");
        return Vec::new();
    };
    let Some((place, card)) = clicked_message(event) else {
        // Buttons in modals (a `view` container) come with the modals themselves.
        tracing::debug!("click outside a message, ignored");
        return Vec::new();
    };
    let sender = Sender {
        user: ChatUser {
            channel: Channel::Slack,
            tenant: event.team.id.0.clone(),
            id: user.id.0.clone(),
        },
        // Who this is in Entra is for identity to say, from a link made at sign-in.
        entra: None,
        display_name: None,
    };
    let inputs = inputs(event.state.as_ref());
    let mut clicks = Vec::new();
    for (index, action) in event.actions.iter().flatten().enumerate() {
        let Some(verb) = Verb::parse(&action.action_id.0) else {
            tracing::debug!(action_id = %action.action_id, "not a verb (a link button), ignored");
            continue;
        };
        let data = action
            .value
            .as_deref()
            .and_then(|value| serde_json::from_str::<Value>(value).ok());
        let Some(data) = data else {
            tracing::warn!(verb = verb.as_str(), "button value is not json, ignored");
            continue;
        };
        clicks.push(ChatAction {
            id: format!("{}:{index}", event.trigger_id.0),
            sender: sender.clone(),
            place: place.clone(),
            verb,
            data,
            inputs: inputs.clone(),
            card: Some(card.clone()),
        });
    }
    clicks
}

/// Where to answer (the clicked message's conversation, in its thread when it is in one) and
/// the clicked message itself, for `chat.update`.
fn clicked_message(event: &SlackInteractionBlockActionsEvent) -> Option<(Place, SentMessage)> {
    let SlackInteractionActionContainer::Message(container) = &event.container else {
        return None;
    };
    let channel = container
        .channel_id
        .as_ref()
        .or(event.channel.as_ref().map(|channel| &channel.id))?;
    let thread_ts = event
        .message
        .as_ref()
        .and_then(|message| message.origin.thread_ts.as_ref())
        .map(|ts| ts.0.clone());
    let conversation = Conversation::new(channel.0.clone());
    let card = SentMessage {
        place: conversation.place(),
        id: container.message_ts.0.clone(),
    };
    Some((conversation.in_thread(thread_ts).place(), card))
}

/// The values of inputs in the clicked message, by action id.
fn inputs(state: Option<&SlackActionState>) -> Map<String, Value> {
    let mut inputs = Map::new();
    for (action_id, value) in state
        .iter()
        .flat_map(|state| state.values.values())
        .flatten()
    {
        let text = value.value.clone().or_else(|| {
            value
                .selected_option
                .as_ref()
                .map(|option| option.value.clone())
        });
        if let Some(text) = text {
            inputs.insert(action_id.0.clone(), Value::String(text));
        }
    }
    inputs
}

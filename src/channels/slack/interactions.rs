//! `POST /slack/interactions`: clicks on Doorman's buttons and submissions of its modals. The
//! body is a form with one field, `payload`, holding JSON; the signature covers the raw form
//! body.
//!
//! Owns turning a signed `block_actions` click on a verb button into a [`ChatAction`], opening
//! the modal of a button that asks first ([`modal`]) and turning that modal's signed
//! `view_submission` into the [`ChatAction`] the click would have been, the delivery keys of
//! both, and replacing the clicked message with the handler's answer (`chat.update`). Must not:
//! take identity from a button's value or a modal's metadata (they carry ids only), hand on a
//! click or a submission twice (a replayed request has the same `trigger_id`, or the same view
//! id and hash), hand on the click that opens a modal at all (the submission stands for it), or
//! wait for the handler before answering Slack. Each click or submission is recorded in the
//! ledger as accepted before Slack is answered, and handled on a task the ledger tracks and
//! marks done.
//!
//! The delivery key of a click is `<trigger_id>:<n>`, `n` being the action's position in the
//! payload: Slack mints a new `trigger_id` for every interaction, and a replay of the same
//! signed request carries the same one. The key of a submission is `view:<view id>:<hash>`.
//! Link buttons (`sign_in`) report clicks too and are ignored, as is every action id that is not
//! a verb.
//!
//! A click that opens a modal waits for `views.open` before Slack is answered, because the
//! trigger expires in about three seconds. A submission is answered with an empty 200, which
//! closes the modal, or with `response_action: errors` naming an input whose text is too long,
//! which keeps it open.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use slack_morphism::prelude::*;
use tracing::Instrument;

use super::Slack;
use super::blocks::{Ask, ButtonValue, read_button_value};
use super::modal::{self, Submission};
use super::place::Conversation;
use crate::channels::deliveries::hand_on;
use crate::domain::chat::{
    Channel, ChatAction, ChatUser, Inbound, Place, Sender, SentMessage, Verb,
};
use crate::telemetry::untrusted;

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
        Some("view_submission") => match SlackInteractionEvent::deserialize(&raw) {
            Ok(SlackInteractionEvent::ViewSubmission(event)) => {
                // slack-morphism's model has no `api_app_id` for submissions; the signed
                // payload does.
                let app_id = raw.get("api_app_id").and_then(Value::as_str);
                on_view_submission(&slack, app_id.unwrap_or_default(), event).await
            }
            Ok(_) => StatusCode::OK.into_response(),
            Err(_) => {
                tracing::warn!("slack view_submission of an unknown shape");
                StatusCode::BAD_REQUEST.into_response()
            }
        },
        other => {
            tracing::debug!(
                kind = %untrusted(other.unwrap_or("none")),
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
    let span = tracing::info_span!("slack_interaction", team_id = %untrusted(&event.team.id.0));
    let clicked = span.in_scope(|| clicks(slack, &event));
    let mut trigger_used = false;
    for Clicked { action, ask } in clicked {
        if let Some(ask) = ask {
            // A trigger opens one view; Slack reports one button click per payload anyway.
            if std::mem::replace(&mut trigger_used, true) {
                span.in_scope(|| tracing::info!("a second modal in one payload, ignored"));
                continue;
            }
            // The submission stands for this click, so the click itself is not handed on.
            modal::open(slack, &event.trigger_id.0, &action, &ask)
                .instrument(span.clone())
                .await;
            continue;
        }
        if let Err(refused) = hand_on_later(slack, action, &span).await {
            return refused;
        }
    }
    // An empty 200 within 3 s is all Slack wants; the answer comes as a `chat.update`.
    StatusCode::OK.into_response()
}

async fn on_view_submission(
    slack: &Arc<Slack>,
    app_id: &str,
    event: SlackInteractionViewSubmissionEvent,
) -> Response {
    let span = tracing::info_span!("slack_interaction", team_id = %untrusted(&event.team.id.0));
    if !slack.serves(&event.team.id.0, app_id) {
        span.in_scope(|| {
            tracing::info!(
                app_id = %untrusted(app_id),
                "view submission for another workspace or app, ignored"
            )
        });
        return StatusCode::OK.into_response();
    }
    match modal::read(&event) {
        Submission::Action(action) => match hand_on_later(slack, *action, &span).await {
            // The empty 200 closes the modal; the answer comes as a `chat.update`.
            Ok(()) => StatusCode::OK.into_response(),
            Err(refused) => refused,
        },
        Submission::TooLong(errors) => {
            span.in_scope(|| tracing::info!("view submission with text too long, kept open"));
            let errors =
                SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(errors));
            Json(errors).into_response()
        }
        Submission::NotOurs => {
            span.in_scope(|| tracing::debug!("submission of another modal, ignored"));
            StatusCode::OK.into_response()
        }
        Submission::Garbled => {
            span.in_scope(|| tracing::warn!("doorman modal with unreadable metadata, refused"));
            StatusCode::BAD_REQUEST.into_response()
        }
    }
}

/// Records `action` in the ledger and hands it on, on a task the ledger tracks; the handler's
/// answer replaces the clicked message (`chat.update`). A delivery seen before is dropped. When
/// the ledger cannot record it, the answer for Slack is an error, so that nothing acknowledged
/// is lost.
async fn hand_on_later(
    slack: &Arc<Slack>,
    action: ChatAction,
    span: &tracing::Span,
) -> Result<(), Response> {
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
                tracing::debug!(verb = verb.as_str(), "click delivered before, ignored")
            });
            return Ok(());
        }
        Err(error) => {
            span.in_scope(|| tracing::error!(%error, "cannot record the slack click"));
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    }
    let adapter = Arc::clone(slack);
    slack.deliveries.spawn(
        key,
        async move { hand_on(click, adapter.handler.as_ref(), adapter.as_ref()).await }
            .instrument(span.clone()),
    );
    Ok(())
}

/// A verb click, and what its button asks first when it does.
struct Clicked {
    action: ChatAction,
    ask: Option<Ask>,
}

/// The verb clicks of a `block_actions` payload from the workspace and app this deployment
/// serves, in the order Slack lists them.
fn clicks(slack: &Slack, event: &SlackInteractionBlockActionsEvent) -> Vec<Clicked> {
    if !slack.serves(&event.team.id.0, &event.api_app_id.0) {
        tracing::info!(app_id = %untrusted(&event.api_app_id.0), "click for another workspace or app, ignored");
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
            tracing::debug!(action_id = %untrusted(&action.action_id.0), "not a verb (a link button), ignored");
            continue;
        };
        let (data, ask) = match action.value.as_deref().and_then(read_button_value) {
            Some(ButtonValue::Data(data)) => (data, None),
            Some(ButtonValue::AskFirst(ask_first)) => (ask_first.data, Some(ask_first.ask)),
            None => {
                tracing::warn!(verb = verb.as_str(), "button value is not json, ignored");
                continue;
            }
        };
        let action = ChatAction {
            id: format!("{}:{index}", event.trigger_id.0),
            sender: sender.clone(),
            place: place.clone(),
            verb,
            data,
            inputs: inputs.clone(),
            card: Some(card.clone()),
        };
        clicks.push(Clicked { action, ask });
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

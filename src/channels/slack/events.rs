//! `POST /slack/events`: the Events API. Verifies the signature, answers `url_verification`,
//! keeps the direct messages (`message` with `channel_type: "im"`) and mentions (`app_mention`)
//! that people send to Doorman, records each `event_id` with its message in the ledger as
//! accepted, answers 200 at once and hands the message on from a task the ledger tracks.
//!
//! Must not: process anything before the signature is checked, hand on a delivery twice (Slack
//! retries on a slow answer, with `X-Slack-Retry-Num`), hand on what bots, edits or Doorman
//! itself wrote, or log the text of a message.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use slack_morphism::prelude::*;
use tracing::Instrument;

use super::Slack;
use super::place::Conversation;
use crate::channels::deliveries::hand_on;
use crate::domain::chat::{Channel, ChatMessage, ChatUser, Inbound, Sender};
use crate::telemetry::untrusted;

/// What a person said to Doorman, as read from a kept event.
#[derive(Debug, PartialEq, Eq)]
struct Said {
    user: String,
    conversation: Conversation,
    text: String,
}

pub(super) async fn receive(
    State(slack): State<Arc<Slack>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(rejection) = slack.signature.check(&headers, &body) {
        tracing::warn!(%rejection, "slack event refused");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    // Read straight into slack-morphism's model, and once more for the few fields it leaves
    // out (who wrote the event): one tree of the whole body fewer than reading it into a
    // `Value` first and the model out of that.
    let push = match serde_json::from_slice::<SlackPushEvent>(&body) {
        Ok(push) => push,
        Err(_) => {
            let Ok(raw) = serde_json::from_slice::<Value>(&body) else {
                tracing::warn!("slack event body is not json");
                return StatusCode::BAD_REQUEST.into_response();
            };
            // A signed payload of a shape slack-morphism does not know is Slack's news, not an
            // attack: acknowledging it keeps Slack from retrying and disabling the subscription.
            // The parse error is not logged, because it may quote what someone wrote.
            let kind = raw.get("type").and_then(Value::as_str).unwrap_or("none");
            tracing::warn!(kind = %untrusted(kind), "slack event of an unknown shape, ignored");
            return StatusCode::OK.into_response();
        }
    };
    match push {
        SlackPushEvent::UrlVerification(verification) => {
            Json(json!({"challenge": verification.challenge})).into_response()
        }
        SlackPushEvent::EventCallback(callback) => {
            let retry = headers
                .get("x-slack-retry-num")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            // The model takes events of shapes it does not know (as `Unknown`), so this can
            // fail where it did not (`"event": null`, a key given twice): such an event is
            // taken for no person's.
            let authorship = serde_json::from_slice::<Envelope>(&body)
                .map(|envelope| envelope.event)
                .unwrap_or(Authorship::UNREADABLE);
            on_callback(&slack, callback, &authorship, retry).await
        }
        SlackPushEvent::AppRateLimited(limited) => {
            tracing::warn!(team_id = %untrusted(&limited.team_id), "slack dropped events: app rate limited");
            StatusCode::OK.into_response()
        }
    }
}

async fn on_callback(
    slack: &Arc<Slack>,
    callback: SlackPushEventCallback,
    authorship: &Authorship,
    retry: Option<String>,
) -> Response {
    let team_id = callback.team_id.0.clone();
    let event_id = callback.event_id.0.clone();
    // Signed by Slack, yet written into the log escaped and cut short all the same.
    let span = tracing::info_span!(
        "slack_event",
        event_id = %untrusted(&event_id),
        team_id = %untrusted(&team_id),
        retry = retry.as_deref().map(untrusted).map(tracing::field::display),
    );
    let kept = span.in_scope(|| {
        let app_id = &callback.api_app_id.0;
        if !slack.serves(&team_id, app_id) {
            if slack.first_sight(&team_id, app_id) {
                tracing::warn!(
                    app_id = %untrusted(app_id),
                    "events for another workspace or app are ignored: [slack] team_id and app_id \
                     name the ones served (told once for each)"
                );
            } else {
                tracing::debug!(app_id = %untrusted(app_id), "event for another workspace or app, ignored");
            }
            return None;
        }
        said_to_doorman(&callback, authorship)
    });
    let Some(said) = kept else {
        return StatusCode::OK.into_response();
    };
    let key = format!("slack:{event_id}");
    let message = Inbound::Message(ChatMessage {
        id: event_id,
        sender: Sender {
            user: ChatUser {
                channel: Channel::Slack,
                tenant: team_id,
                id: said.user,
            },
            // Who this is in Entra is for identity to say, from a link made at sign-in.
            entra: None,
            display_name: None,
        },
        place: said.conversation.place(),
        text: said.text,
        received_at: Utc::now(),
    });
    match slack
        .deliveries
        .accept(&key, &message)
        .instrument(span.clone())
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            span.in_scope(|| tracing::debug!("event delivered before, ignored"));
            return StatusCode::OK.into_response();
        }
        Err(error) => {
            // Without a record the event could be handed on twice, or lost in a crash;
            // refusing makes Slack deliver it again once the store is back.
            span.in_scope(|| tracing::error!(%error, "cannot record the slack event"));
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    // Slack wants its answer within 3 s; the conversation may take longer. The ledger holds
    // the message as accepted until the handler has finished, so a crash before then hands it
    // on again at the next start, while Slack's retries of it are dropped.
    let adapter = Arc::clone(slack);
    slack.deliveries.spawn(
        key,
        async move { hand_on(message, adapter.handler.as_ref(), adapter.as_ref()).await }
            .instrument(span),
    );
    StatusCode::OK.into_response()
}

/// The person's words when the event is one Doorman answers: a direct message or a mention,
/// written by a person other than Doorman, and not an edit, a deletion or other system event.
fn said_to_doorman(callback: &SlackPushEventCallback, authorship: &Authorship) -> Option<Said> {
    // Read apart from the model, because slack-morphism's mention model has no `bot_id`.
    if let Some(reason) = authorship.not_a_person() {
        tracing::debug!(reason, "event not written by a person, ignored");
        return None;
    }
    let bot_user = callback
        .authorizations
        .iter()
        .flatten()
        .find(|authorization| authorization.is_bot == Some(true))
        .map(|authorization| authorization.user_id.0.as_str());
    let (user, conversation, text) = match &callback.event {
        SlackEventCallbackBody::Message(message) => {
            let direct = message
                .origin
                .channel_type
                .as_ref()
                .is_some_and(|kind| kind.0 == "im");
            if !direct {
                tracing::debug!("message outside a direct conversation, ignored");
                return None;
            }
            let conversation = Conversation::new(message.origin.channel.as_ref()?.0.clone())
                .in_thread(message.origin.thread_ts.as_ref().map(|ts| ts.0.clone()));
            let text = message.content.as_ref()?.text.as_deref()?;
            (message.sender.user.as_ref()?.0.clone(), conversation, text)
        }
        SlackEventCallbackBody::AppMention(mention) => {
            // A mention in a channel is answered in its thread, so the channel stays quiet.
            let thread = mention
                .origin
                .thread_ts
                .as_ref()
                .unwrap_or(&mention.origin.ts);
            let conversation =
                Conversation::new(mention.channel.0.clone()).in_thread(Some(thread.0.clone()));
            let text = mention.content.text.as_deref()?;
            (mention.user.0.clone(), conversation, text)
        }
        _ => {
            tracing::debug!("event type not handled, ignored");
            return None;
        }
    };
    if bot_user == Some(user.as_str()) {
        tracing::debug!("event written by doorman itself, ignored");
        return None;
    }
    let text = strip_mentions(text, bot_user);
    if text.is_empty() {
        return None;
    }
    Some(Said {
        user,
        conversation,
        text,
    })
}

/// The envelope of an event callback, read only for [`Authorship`].
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    event: Authorship,
}

/// What of an event says who wrote it, beyond slack-morphism's model. Each field is read
/// whatever its type, so that no shape of these fields makes the event a person's by failing.
#[derive(Deserialize, Default)]
struct Authorship {
    #[serde(default)]
    bot_id: Option<IgnoredAny>,
    #[serde(default)]
    subtype: Option<IgnoredAny>,
    #[serde(default)]
    hidden: Option<Value>,
    /// Set only when the envelope could not be read.
    #[serde(skip)]
    unreadable: bool,
}

impl Authorship {
    const UNREADABLE: Authorship = Authorship {
        bot_id: None,
        subtype: None,
        hidden: None,
        unreadable: true,
    };

    /// Why the event is not a person's words: Slack marks bot posts with `bot_id`, and edits,
    /// deletions, joins and the like with a `subtype` (some also `hidden`).
    fn not_a_person(&self) -> Option<&'static str> {
        if self.unreadable {
            Some("unreadable")
        } else if self.bot_id.is_some() {
            Some("bot_id")
        } else if self.subtype.is_some() {
            Some("subtype")
        } else if self.hidden.as_ref().and_then(Value::as_bool) == Some(true) {
            Some("hidden")
        } else {
            None
        }
    }
}

/// `text` without Doorman's own mentions (`<@UBOT>` or `<@UBOT|name>`), trimmed. When Slack
/// did not say which user Doorman is, only a leading mention is taken as Doorman's, as in an
/// `app_mention`.
pub(super) fn strip_mentions(text: &str, bot_user: Option<&str>) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut rest = text.trim_start();
    let mut leading = true;
    while let Some(start) = rest.find("<@") {
        let Some(length) = rest[start..].find('>') else {
            break;
        };
        let end = start + length;
        let user = rest[start + 2..end].split('|').next().unwrap_or_default();
        let doormans = match bot_user {
            Some(bot) => user == bot,
            None => leading && start == 0,
        };
        kept.push_str(&rest[..start]);
        if !doormans {
            kept.push_str(&rest[start..=end]);
        }
        rest = &rest[end + 1..];
        leading = false;
    }
    kept.push_str(rest);
    kept.trim().to_owned()
}

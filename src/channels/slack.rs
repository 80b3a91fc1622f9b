//! The Slack channel: the Events API endpoint (`POST /slack/events`), the interactivity endpoint
//! (`POST /slack/interactions`) and the Web API client behind the [`ChatPort`].
//!
//! Owns the Slack wire: request signatures, payload parsing (slack-morphism's models), which
//! events count as a person talking to Doorman, the delivery ledger keys, Block Kit rendering and
//! the Web API calls. Must not: resolve who a Slack user is in Entra (that is `identity`'s job,
//! so every [`Sender`](crate::domain::chat::Sender) leaves here with `entra: None`), decide
//! anything about a request, or log a secret or the text people write.
//!
//! Every inbound request is answered at once (Slack wants a 2xx within 3 s): the delivery is
//! recorded as accepted in the ledger ([`Deliveries`]) first, and the [`InboundHandler`] runs on
//! a task the ledger tracks and marks done. The one wait is a click that opens a modal (a deny
//! reason, [`modal`]): its answer waits, at most two seconds, for `views.open`, because the
//! click's `trigger_id` expires with Slack's patience.

mod blocks;
mod events;
mod interactions;
mod modal;
mod place;
mod signature;
mod web;

#[cfg(test)]
mod tests;

/// The `chat.postMessage` content `message` is sent as, and the modal each of its buttons that
/// asks first opens (`views.open`'s view, by the button's verb): what the test of every card
/// checks.
#[cfg(test)]
pub(crate) fn payloads_for_test(
    message: &Message,
) -> (serde_json::Value, Vec<(String, serde_json::Value)>) {
    let content = serde_json::to_value(blocks::new_message(message)).unwrap_or_default();
    let mut buttons = Vec::new();
    collect_buttons(&content, &mut buttons);
    let modals = buttons
        .into_iter()
        .filter_map(|(verb, value)| {
            let blocks::ButtonValue::AskFirst(asked) = blocks::read_button_value(&value)? else {
                return None;
            };
            let pending = modal::Pending {
                verb: crate::domain::chat::Verb::parse(&verb)?,
                data: asked.data.clone(),
                inputs: asked
                    .ask
                    .inputs
                    .iter()
                    .map(|input| input.id.clone())
                    .collect(),
                channel: "D0TEST".to_owned(),
                ts: "1700000000.000100".to_owned(),
                thread_ts: None,
            };
            let view = modal::view(&asked.ask, &pending)?;
            Some((verb, serde_json::to_value(view).ok()?))
        })
        .collect();
    (content, modals)
}

/// Every button's `action_id` and `value` in rendered blocks.
#[cfg(test)]
fn collect_buttons(value: &serde_json::Value, found: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(fields) => {
            if fields.get("type").and_then(serde_json::Value::as_str) == Some("button") {
                let text = |key: &str| fields.get(key).and_then(serde_json::Value::as_str);
                if let (Some(verb), Some(value)) = (text("action_id"), text("value")) {
                    found.push((verb.to_owned(), value.to_owned()));
                }
            }
            fields
                .values()
                .for_each(|inner| collect_buttons(inner, found));
        }
        serde_json::Value::Array(items) => {
            items.iter().for_each(|inner| collect_buttons(inner, found))
        }
        _ => {}
    }
}

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::post;
use secrecy::ExposeSecret;

use crate::channels::Deliveries;
use crate::config::{SlackConfig, TrustedRoots};
use crate::domain::chat::{
    BoxFuture, Channel, ChatError, ChatPort, ChatUser, Colleague, Contact, InboundHandler, Message,
    Place, SentMessage,
};
use signature::RequestSignature;
pub use web::SlackWeb;

/// The Slack adapter: verifies and normalises what Slack sends, and talks back through
/// [`SlackWeb`].
pub struct Slack {
    team_id: String,
    app_id: String,
    signature: RequestSignature,
    deliveries: Deliveries,
    handler: Arc<dyn InboundHandler>,
    web: Arc<SlackWeb>,
    /// The other workspaces and apps whose events came here, each warned about once.
    strangers: Mutex<HashSet<(String, String)>>,
}

/// How many other workspaces and apps [`Slack::first_sight`] remembers; past it, no more
/// warnings (a misconfiguration is long since told).
const STRANGERS_REMEMBERED: usize = 64;

/// Why the Slack adapter cannot be built. Messages never carry the secrets themselves.
#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    #[error("the slack signing secret is empty")]
    EmptySigningSecret,
    #[error("the slack bot token is empty")]
    EmptyBotToken,
    #[error("cannot load the trusted root certificates for the slack web api")]
    Roots(#[source] std::io::Error),
    #[error("cannot trust the configured certificate authorities for the slack web api")]
    ExtraRoots(#[source] rustls::Error),
}

impl Slack {
    /// Builds the adapter with its own Web API client.
    pub fn new(
        config: &SlackConfig,
        roots: &TrustedRoots,
        deliveries: Deliveries,
        handler: Arc<dyn InboundHandler>,
    ) -> Result<Arc<Slack>, SlackError> {
        let web = SlackWeb::new(config, roots)?;
        let secret = config.signing_secret.expose_secret();
        if secret.is_empty() {
            return Err(SlackError::EmptySigningSecret);
        }
        Ok(Arc::new(Slack {
            team_id: config.team_id.clone(),
            app_id: config.app_id.clone(),
            signature: RequestSignature::new(secret),
            deliveries,
            handler,
            web,
            strangers: Mutex::new(HashSet::new()),
        }))
    }

    /// Whether a payload comes from the workspace and app this deployment serves. Slack signs
    /// every app's requests with that app's own secret, so a mismatch means a misrouted or
    /// misconfigured install, never a person to serve.
    fn serves(&self, team_id: &str, app_id: &str) -> bool {
        team_id == self.team_id && app_id == self.app_id
    }

    /// Whether this is the first event from `team_id` and `app_id`, not both of them served, so
    /// that a misconfiguration is told once and not logged again for each event Slack sends.
    fn first_sight(&self, team_id: &str, app_id: &str) -> bool {
        let Ok(mut strangers) = self.strangers.lock() else {
            return false;
        };
        strangers.len() < STRANGERS_REMEMBERED
            && strangers.insert((team_id.to_owned(), app_id.to_owned()))
    }
}

/// The two Slack endpoints. Both read the raw body themselves, because the signature covers
/// the exact bytes Slack sent.
pub fn routes(slack: Arc<Slack>) -> Router {
    Router::new()
        .route("/slack/events", post(events::receive))
        .route("/slack/interactions", post(interactions::receive))
        .with_state(slack)
}

impl fmt::Debug for Slack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slack")
            .field("team_id", &self.team_id)
            .field("app_id", &self.app_id)
            .field("web", &self.web)
            .finish_non_exhaustive()
    }
}

// === impl ChatPort for Slack ===

/// The adapter answers through its Web API client, so whoever holds the adapter holds the port.
impl ChatPort for Slack {
    fn send<'a>(
        &'a self,
        place: &'a Place,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<SentMessage, ChatError>> {
        self.web.send(place, message)
    }

    fn update<'a>(
        &'a self,
        sent: &'a SentMessage,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<(), ChatError>> {
        self.web.update(sent, message)
    }

    fn open_direct<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Place, ChatError>> {
        self.web.open_direct(person)
    }

    fn contact<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Contact, ChatError>> {
        self.web.contact(person)
    }

    fn reach<'a>(
        &'a self,
        channel: Channel,
        person: &'a Colleague,
    ) -> BoxFuture<'a, Result<Option<ChatUser>, ChatError>> {
        Box::pin(async move {
            if channel != Channel::Slack {
                return Ok(None);
            }
            let found = self.web.user_id_by_email(&person.email).await?;
            Ok(found.map(|id| ChatUser {
                channel: Channel::Slack,
                tenant: self.team_id.clone(),
                id,
            }))
        })
    }

    fn typing<'a>(&'a self, place: &'a Place) -> BoxFuture<'a, Result<(), ChatError>> {
        self.web.typing(place)
    }

    fn is_direct(&self, place: &Place) -> bool {
        self.web.is_direct(place)
    }
}

//! The modal that asks for a card's inputs before a click counts (a deny reason): opened with
//! `views.open` and the click's `trigger_id` while Slack waits for its answer, and read back from
//! its `view_submission`.
//!
//! Owns the modal's Block Kit, its `callback_id` ([`CALLBACK_ID`]) and its `private_metadata`
//! ([`Pending`]): the clicked button's verb and data and where the clicked message is, so that a
//! submission becomes the [`ChatAction`] the click would have been. Must not: keep anything
//! identity-like in the metadata (who submitted is the signed payload's `user.id`), decide
//! anything (a modal that cannot be opened changes nothing, and the clicker is told so), or log
//! what people typed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use slack_morphism::prelude::*;
use tracing::Instrument;

use super::Slack;
use super::blocks::{Ask, clip};
use super::place::Conversation;
use super::web::ViewNotOpened;
use crate::domain::chat::{
    Channel, ChatAction, ChatPort, ChatUser, Message, Place, Sender, SentMessage, Verb,
};

/// The `callback_id` of Doorman's modals.
pub(super) const CALLBACK_ID: &str = "doorman_inputs";
/// The most characters one input takes. Slack's client holds people to it (`max_length`); a
/// submission past it all the same is answered with an error on that input.
pub(super) const TEXT_MAX: usize = 500;
/// How long the click's answer waits for `views.open`: Slack wants its answer within 3 s, and
/// the trigger expires about then too.
const OPEN_WITHIN: Duration = Duration::from_secs(2);

// Slack's limits on a modal.
const TITLE_MAX: usize = 24;
const BUTTON_MAX: usize = 24;
const PRIVATE_METADATA_MAX: usize = 3000;

/// What a modal remembers of the click that opened it, as its `private_metadata`: ids and
/// where the clicked message is, never who clicked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Pending {
    pub(super) verb: Verb,
    /// The clicked button's data.
    pub(super) data: Value,
    /// The ids of the inputs asked for: each is an `input` block whose `block_id` and element
    /// `action_id` are this id.
    pub(super) inputs: Vec<String>,
    /// The clicked message: its conversation and `ts`, and the thread it is in, if any.
    pub(super) channel: String,
    pub(super) ts: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) thread_ts: Option<String>,
}

impl Pending {
    /// What to remember of `click`, a click on a button that asks `ask` first; `None` when the
    /// click names no message of a Slack conversation.
    pub(super) fn of(click: &ChatAction, ask: &Ask) -> Option<Pending> {
        let card = click.card.as_ref()?;
        let conversation = Conversation::from_place(&click.place).ok()?;
        Some(Pending {
            verb: click.verb,
            data: click.data.clone(),
            inputs: ask.inputs.iter().map(|input| input.id.clone()).collect(),
            channel: conversation.channel,
            ts: card.id.clone(),
            thread_ts: conversation.thread_ts,
        })
    }

    /// Where the answer goes: the clicked message's conversation, in its thread if it has one.
    fn place(&self) -> Place {
        Conversation::new(self.channel.clone())
            .in_thread(self.thread_ts.clone())
            .place()
    }

    /// The clicked message, for `chat.update`.
    fn card(&self) -> SentMessage {
        SentMessage {
            place: Conversation::new(self.channel.clone()).place(),
            id: self.ts.clone(),
        }
    }
}

/// The modal asking `ask`, remembering `pending`: one optional, multiline `input` block per
/// input. `None` when the metadata would pass Slack's limit.
pub(super) fn view(ask: &Ask, pending: &Pending) -> Option<SlackView> {
    let metadata = serde_json::to_string(pending).ok()?;
    if metadata.chars().count() > PRIVATE_METADATA_MAX {
        return None;
    }
    let blocks = ask
        .inputs
        .iter()
        .map(|input| {
            let placeholder = (!input.placeholder.trim().is_empty())
                .then(|| plain(&input.placeholder, input.placeholder.chars().count()));
            let element = SlackBlockPlainTextInputElement::new()
                .with_action_id(SlackActionId::new(input.id.clone()))
                .with_multiline(true)
                .with_max_length(TEXT_MAX as u64)
                .opt_placeholder(placeholder);
            SlackInputBlock::new(plain(&input.label, usize::MAX), element.into())
                .with_block_id(SlackBlockId::new(input.id.clone()))
                .with_optional(true)
                .into()
        })
        .collect();
    let modal = SlackModalView::new(plain(&format!("{} request", ask.title), TITLE_MAX), blocks)
        .with_submit(plain(&ask.title, BUTTON_MAX))
        .with_close(plain("Cancel", BUTTON_MAX))
        .with_callback_id(SlackCallbackId::new(CALLBACK_ID.to_owned()))
        .with_private_metadata(metadata);
    Some(SlackView::Modal(modal))
}

fn plain(text: &str, max: usize) -> SlackBlockPlainTextOnly {
    SlackBlockPlainText::new(clip(text, max)).into()
}

/// Opens the modal asking `ask` for `click`, with the click's `trigger_id`, before Slack is
/// answered. When Slack opens none, the clicker is told in the clicked message's conversation
/// that nothing changed; a trigger used before means a replayed click, which says nothing.
pub(super) async fn open(slack: &Arc<Slack>, trigger_id: &str, click: &ChatAction, ask: &Ask) {
    let verb = click.verb.as_str();
    let Some(view) = Pending::of(click, ask).and_then(|pending| view(ask, &pending)) else {
        tracing::warn!(
            verb,
            "the click does not fit a modal's metadata, not opened"
        );
        tell_not_opened(slack, click, ask);
        return;
    };
    let opened = tokio::time::timeout(OPEN_WITHIN, slack.web.open_view(trigger_id, view)).await;
    match opened {
        Ok(Ok(())) => tracing::info!(verb, "modal opened"),
        Ok(Err(ViewNotOpened::TriggerUsed)) => {
            tracing::info!(
                verb,
                "trigger used before (a replayed click), nothing opened"
            )
        }
        Ok(Err(ViewNotOpened::Failed(reason))) => {
            tracing::warn!(verb, %reason, "modal not opened");
            tell_not_opened(slack, click, ask);
        }
        Err(_) => {
            tracing::warn!(verb, "views.open too slow, modal not opened");
            tell_not_opened(slack, click, ask);
        }
    }
}

/// Tells the clicker, on a task of its own (Slack is waiting for its answer), that the form did
/// not open and nothing changed.
fn tell_not_opened(slack: &Arc<Slack>, click: &ChatAction, ask: &Ask) {
    let title = &ask.title;
    let notice = Message::text(format!(
        "I couldn't open the form for {title}, so nothing has changed. Please click {title} again."
    ));
    let web = Arc::clone(&slack.web);
    let place = click.place.clone();
    tokio::spawn(
        async move {
            if let Err(error) = web.send(&place, &notice).await {
                tracing::warn!(%error, "cannot say that the modal did not open");
            }
        }
        .in_current_span(),
    );
}

/// What a `view_submission` comes to.
#[derive(Debug, PartialEq)]
pub(super) enum Submission {
    /// The click the modal stands for, with what was typed.
    Action(Box<ChatAction>),
    /// Text past [`TEXT_MAX`], by block id: Slack keeps the modal open and shows these.
    TooLong(HashMap<String, String>),
    /// Another modal (not Doorman's `callback_id`).
    NotOurs,
    /// Doorman's `callback_id` with metadata that is not a [`Pending`].
    Garbled,
}

/// Reads a submission from the workspace this deployment serves (the caller checked that).
pub(super) fn read(event: &SlackInteractionViewSubmissionEvent) -> Submission {
    let SlackView::Modal(modal) = &event.view.view else {
        return Submission::NotOurs;
    };
    if modal.callback_id.as_ref().map(|id| id.0.as_str()) != Some(CALLBACK_ID) {
        return Submission::NotOurs;
    }
    let pending = modal
        .private_metadata
        .as_deref()
        .and_then(|metadata| serde_json::from_str::<Pending>(metadata).ok());
    let Some(pending) = pending else {
        return Submission::Garbled;
    };
    let values = event
        .view
        .state_params
        .state
        .as_ref()
        .map(|state| &state.values);
    let mut inputs = Map::new();
    let mut too_long = HashMap::new();
    for id in &pending.inputs {
        let typed = values
            .and_then(|values| values.get(&SlackBlockId::new(id.clone())))
            .and_then(|block| block.get(&SlackActionId::new(id.clone())))
            .and_then(|element| element.value.as_deref());
        let Some(typed) = typed else {
            continue;
        };
        if typed.chars().count() > TEXT_MAX {
            too_long.insert(
                id.clone(),
                format!("Please keep this to {TEXT_MAX} characters or fewer."),
            );
        } else if !typed.trim().is_empty() {
            inputs.insert(id.clone(), Value::String(typed.to_owned()));
        }
    }
    if !too_long.is_empty() {
        return Submission::TooLong(too_long);
    }
    let hash = &event.view.state_params.hash;
    Submission::Action(Box::new(ChatAction {
        id: format!("view:{}:{hash}", event.view.state_params.id.0),
        sender: Sender {
            user: ChatUser {
                channel: Channel::Slack,
                tenant: event.team.id.0.clone(),
                id: event.user.id.0.clone(),
            },
            // Who this is in Entra is for identity to say, from a link made at sign-in.
            entra: None,
            display_name: None,
        },
        place: pending.place(),
        verb: pending.verb,
        data: pending.data.clone(),
        inputs,
        card: Some(pending.card()),
    }))
}

#[cfg(test)]
mod tests;

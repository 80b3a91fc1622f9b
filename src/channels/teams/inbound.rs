//! What an authenticated activity means for Doorman: a message, a card click, an installation,
//! or nothing.
//!
//! Owns the interpretation (pure: no IO), mention stripping and the invoke errors. Must not:
//! read identity from anything but the authenticated envelope (`from.aadObjectId` and the
//! allowed tenant), never from text or card data, or treat a channel message that does not
//! @mention the bot as addressed to it.

use chrono::Utc;
use serde_json::Value;

use super::auth::Authenticated;
use super::cards::split_action_data;
use super::conversations::{ConversationRef, PersonalConversation};
use super::wire::{Activity, AdaptiveCardInvoke, ChannelAccount, InvokeResponse};
use crate::domain::chat::{
    Channel, ChatAction, ChatMessage, ChatUser, EntraUser, Inbound, Place, Sender, SentMessage,
    Verb,
};

/// The invoke name of an `Action.Execute` click.
const ADAPTIVE_CARD_ACTION: &str = "adaptiveCard/action";

/// Why an activity goes no further than the route.
#[derive(Debug)]
pub(super) enum Skip {
    /// Nothing to do; answered 200 with no effect.
    Ignored(&'static str),
    /// A required envelope field is missing; answered 400.
    Malformed(&'static str),
    /// An invoke Doorman does not serve; answered with this error.
    Refused(InvokeResponse),
}

/// The envelope fields every kind of activity shares.
struct Envelope<'a> {
    activity: &'a Activity,
    id: String,
    reference: ConversationRef,
    personal: bool,
    sender: Option<Sender>,
}

/// Interprets `activity` for the bot `bot_id` (`28:<appId>`).
pub(super) fn interpret(activity: &Authenticated, bot_id: &str) -> Result<Inbound, Skip> {
    let envelope = Envelope::of(activity, bot_id)?;
    match activity.activity().kind.as_str() {
        "message" => message(envelope),
        "invoke" => invoke(envelope),
        "conversationUpdate" => conversation_update(envelope),
        "installationUpdate" => installation_update(envelope),
        _ => Err(Skip::Ignored("an activity type doorman does not use")),
    }
}

/// The person's Entra object id and their 1:1 conversation, when `activity` happened in one.
pub(super) fn personal_conversation(
    activity: &Authenticated,
    bot_id: &str,
) -> Option<(String, PersonalConversation)> {
    let envelope = Envelope::of(activity, bot_id).ok()?;
    let sender = envelope.sender.filter(|_| envelope.personal)?;
    Some((
        sender.user.id,
        PersonalConversation {
            reference: envelope.reference,
            user_name: sender.display_name,
        },
    ))
}

/// The ledger key of a delivery. Teams message ids are unique within a conversation only (they
/// are timestamps), so the conversation is part of the key.
pub(super) fn delivery_key(activity: &Authenticated) -> Option<String> {
    let activity = activity.activity();
    let id = activity.id.as_deref()?;
    let conversation = activity.conversation.as_ref()?.id.as_deref()?;
    Some(format!("teams:{conversation}/{id}"))
}

/// Removes the bot's own @mentions from `text`: for each mention entity whose `mentioned.id`
/// is the bot, its exact `text` once, as the Bot Framework SDKs do. Returns the trimmed text and
/// whether the bot was mentioned.
pub(super) fn strip_bot_mentions(text: &str, entities: &[Value], bot_id: &str) -> (String, bool) {
    let mut stripped = text.to_owned();
    let mut mentioned = false;
    for entity in entities {
        let is_bot_mention = entity.get("type").and_then(Value::as_str) == Some("mention")
            && entity
                .get("mentioned")
                .and_then(|account| account.get("id"))
                .and_then(Value::as_str)
                == Some(bot_id);
        if !is_bot_mention {
            continue;
        }
        mentioned = true;
        if let Some(markup) = entity.get("text").and_then(Value::as_str) {
            if !markup.is_empty() {
                stripped = stripped.replacen(markup, "", 1);
            }
        }
    }
    (stripped.trim().to_owned(), mentioned)
}

impl<'a> Envelope<'a> {
    fn of(authenticated: &'a Authenticated, bot_id: &str) -> Result<Self, Skip> {
        let activity = authenticated.activity();
        let id = activity
            .id
            .clone()
            .ok_or(Skip::Malformed("the activity has no id"))?;
        let conversation = activity
            .conversation
            .as_ref()
            .ok_or(Skip::Malformed("the activity has no conversation"))?;
        let conversation_id = conversation
            .id
            .clone()
            .ok_or(Skip::Malformed("the conversation has no id"))?;
        let personal = match conversation.conversation_type.as_deref() {
            Some(kind) => kind == "personal",
            None => conversation.is_group != Some(true),
        };
        let bot_id = account_id(activity.recipient.as_ref()).unwrap_or(bot_id);
        let reference = ConversationRef {
            service_url: authenticated.service_url().to_owned(),
            conversation_id,
            user_id: if personal {
                account_id(activity.from.as_ref()).map(str::to_owned)
            } else {
                None
            },
            tenant_id: authenticated.tenant().to_owned(),
            bot_id: bot_id.to_owned(),
        };
        Ok(Envelope {
            activity,
            id,
            reference,
            personal,
            sender: sender(activity.from.as_ref(), authenticated.tenant()),
        })
    }

    fn place(&self) -> Place {
        self.reference.place()
    }
}

fn account_id(account: Option<&ChannelAccount>) -> Option<&str> {
    account
        .and_then(|account| account.id.as_deref())
        .filter(|id| !id.is_empty())
}

/// The sender, known only by `from.aadObjectId` of the authenticated activity.
fn sender(from: Option<&ChannelAccount>, tenant: &str) -> Option<Sender> {
    let from = from?;
    let object_id = from.aad_object_id.as_deref().filter(|id| !id.is_empty())?;
    Some(Sender {
        user: ChatUser {
            channel: Channel::Teams,
            tenant: tenant.to_owned(),
            id: object_id.to_owned(),
        },
        entra: Some(EntraUser {
            id: object_id.to_owned(),
            upn: None,
        }),
        display_name: from.name.clone(),
    })
}

fn message(envelope: Envelope<'_>) -> Result<Inbound, Skip> {
    let place = envelope.place();
    let Some(sender) = envelope.sender else {
        return Err(Skip::Ignored("the message has no aadObjectId"));
    };
    let entities = envelope.activity.entities.as_deref().unwrap_or_default();
    let text = envelope.activity.text.as_deref().unwrap_or_default();
    let (text, mentioned) = strip_bot_mentions(text, entities, &envelope.reference.bot_id);
    if !envelope.personal && !mentioned {
        return Err(Skip::Ignored(
            "a group message that does not mention the bot",
        ));
    }
    if text.is_empty() {
        // Legacy `Action.Submit` clicks arrive as messages with a value and no text; Doorman
        // renders none, so there is nothing to say.
        return Err(Skip::Ignored("a message without text"));
    }
    Ok(Inbound::Message(ChatMessage {
        id: envelope.id,
        sender,
        place,
        text,
        received_at: Utc::now(),
    }))
}

fn invoke(envelope: Envelope<'_>) -> Result<Inbound, Skip> {
    let activity = envelope.activity;
    if activity.name.as_deref() != Some(ADAPTIVE_CARD_ACTION) {
        return Err(Skip::Refused(InvokeResponse::error(
            501,
            "NotImplemented",
            "doorman answers only adaptiveCard/action invokes",
        )));
    }
    let Some(value) = activity.value.clone() else {
        return Err(Skip::Refused(bad_request("the invoke has no value")));
    };
    let Ok(invoke) = serde_json::from_value::<AdaptiveCardInvoke>(value) else {
        return Err(Skip::Refused(bad_request(
            "the invoke value has no readable action",
        )));
    };
    if invoke.action.kind != "Action.Execute" {
        return Err(Skip::Refused(not_supported(
            "only Action.Execute is supported",
        )));
    }
    let Some(verb) = invoke.action.verb.as_deref().and_then(Verb::parse) else {
        return Err(Skip::Refused(not_supported(
            "the action's verb is not one doorman knows",
        )));
    };
    let place = envelope.place();
    let Some(sender) = envelope.sender else {
        return Err(Skip::Refused(bad_request(
            "the invoke does not say who acted",
        )));
    };
    let (data, inputs) = split_action_data(invoke.action.data.unwrap_or(Value::Null));
    let card = activity
        .reply_to_id
        .clone()
        .filter(|id| !id.is_empty())
        .map(|id| SentMessage {
            place: place.clone(),
            id,
        });
    Ok(Inbound::Action(ChatAction {
        id: envelope.id,
        sender,
        place,
        verb,
        data,
        inputs,
        card,
    }))
}

fn conversation_update(envelope: Envelope<'_>) -> Result<Inbound, Skip> {
    let bot_added = envelope
        .activity
        .members_added
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|member| member.id.as_deref() == Some(envelope.reference.bot_id.as_str()));
    if !bot_added {
        return Err(Skip::Ignored(
            "a conversation update that does not add the bot",
        ));
    }
    installed(envelope)
}

fn installation_update(envelope: Envelope<'_>) -> Result<Inbound, Skip> {
    if envelope.activity.action.as_deref() != Some("add") {
        return Err(Skip::Ignored(
            "an installation update that does not add the app",
        ));
    }
    installed(envelope)
}

fn installed(envelope: Envelope<'_>) -> Result<Inbound, Skip> {
    let place = envelope.place();
    match envelope.sender {
        Some(sender) => Ok(Inbound::Installed { sender, place }),
        None => Err(Skip::Ignored("an installation without an aadObjectId")),
    }
}

fn bad_request(message: &str) -> InvokeResponse {
    InvokeResponse::error(400, "BadRequest", message)
}

fn not_supported(message: &str) -> InvokeResponse {
    InvokeResponse::error(400, "NotSupported", message)
}

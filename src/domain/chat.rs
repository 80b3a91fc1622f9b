//! The neutral chat model: what arrives from a chat service, what Doorman sends back, and the two
//! ports between the channels and the conversation.
//!
//! Channels (`channels/teams`, `channels/slack`) turn platform payloads into [`ChatMessage`] and
//! [`ChatAction`] and hand them to an [`InboundHandler`]; the conversation answers through a
//! [`ChatPort`]. Past the channels nothing branches on the platform: [`Place`] and
//! [`SentMessage`] carry a platform reference the conversation passes back untouched, and
//! [`Channel`] is only ever stored and handed back.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A boxed future, for the object-safe ports below.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which chat service. Stored (where a person last talked to Doorman) and handed back to the
/// [`ChatPort`]; only channels act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Teams,
    Slack,
}

impl Channel {
    /// The platform's name, as people call it.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Teams => "Teams",
            Channel::Slack => "Slack",
        }
    }

    /// What the platform calls the space its accounts live in.
    pub fn space(self) -> &'static str {
        match self {
            Channel::Teams => "tenant",
            Channel::Slack => "workspace",
        }
    }

    /// Whether the platform's verified envelope names the person's Entra account itself (a
    /// Teams activity's `aadObjectId`), so no link is needed; otherwise the account is tied to
    /// one of the tenant only by a sign-in Doorman keeps as a link.
    pub fn names_the_entra_account(self) -> bool {
        match self {
            Channel::Teams => true,
            Channel::Slack => false,
        }
    }
}

/// A person as a chat service knows them: a Teams user (`tenant` is the Entra tenant id, `id`
/// the Entra object id) or a Slack user (`tenant` is the workspace id, `id` the Slack user id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatUser {
    pub channel: Channel,
    pub tenant: String,
    pub id: String,
}

impl ChatUser {
    /// A stable key for stores: `slack:T0123:U0456`.
    pub fn key(&self) -> String {
        let channel = match self.channel {
            Channel::Teams => "teams",
            Channel::Slack => "slack",
        };
        format!("{channel}:{}:{}", self.tenant, self.id)
    }
}

/// A person in Entra ID: the object id, and the UPN when known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntraUser {
    pub id: String,
    pub upn: Option<String>,
}

/// A person of the tenant Doorman may have to reach in chat (an approver, an acting owner) who
/// may never have written to it: their Entra object id and their work email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colleague {
    pub entra_id: String,
    pub email: String,
}

/// Who sent a message or clicked, as the authenticated envelope says: never from message text
/// or card data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub user: ChatUser,
    /// Known at once for Teams (`aadObjectId` of a verified activity); for Slack, once the
    /// person has linked their account by signing in.
    pub entra: Option<EntraUser>,
    pub display_name: Option<String>,
}

/// Where to answer: a conversation reference only the channel that made it can read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub channel: Channel,
    pub reference: Value,
}

/// A message Doorman sent, so it can be updated later (a card after a click).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentMessage {
    pub place: Place,
    /// The platform's id of the message (Teams activity id, Slack `ts`).
    pub id: String,
}

/// A text message from a person, normalised (Teams mention markup and Slack `<@BOT>` removed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The platform's id of the delivery (Teams activity id, Slack `event_id`).
    pub id: String,
    pub sender: Sender,
    pub place: Place,
    pub text: String,
    pub received_at: DateTime<Utc>,
}

/// What a card button does (DESIGN.md section 7: the Teams `Action.Execute` verb and the Slack
/// `action_id` are these words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    Approve,
    Deny,
    ApproveAlways,
    Choose,
    Extend,
    Revoke,
    /// The chat client asks for the card's current state as it shows it (Teams `refresh`).
    Refresh,
    /// Shows another page of a list card in place of the clicked one (Next, Previous).
    Page,
}

impl Verb {
    pub const ALL: [Verb; 8] = [
        Verb::Approve,
        Verb::Deny,
        Verb::ApproveAlways,
        Verb::Choose,
        Verb::Extend,
        Verb::Revoke,
        Verb::Refresh,
        Verb::Page,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Approve => "approve",
            Verb::Deny => "deny",
            Verb::ApproveAlways => "approve_always",
            Verb::Choose => "choose",
            Verb::Extend => "extend",
            Verb::Revoke => "revoke",
            Verb::Refresh => "refresh",
            Verb::Page => "page",
        }
    }

    pub fn parse(text: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|verb| verb.as_str() == text)
    }
}

/// A click on a card button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatAction {
    /// The platform's id of the delivery, for deduplication.
    pub id: String,
    pub sender: Sender,
    pub place: Place,
    pub verb: Verb,
    /// The button's data: ids only, never identity.
    pub data: Value,
    /// Values typed into the card's inputs (a deny reason).
    pub inputs: Map<String, Value>,
    /// The message that carried the card, when the platform says which.
    pub card: Option<SentMessage>,
}

/// One verified, normalised delivery from a chat service: what a channel hands to the
/// [`InboundHandler`], and what the delivery ledger keeps until it has been handled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "item", rename_all = "snake_case")]
pub enum Inbound {
    Message(ChatMessage),
    Action(ChatAction),
    /// The bot was installed or added to a conversation.
    Installed {
        sender: Sender,
        place: Place,
    },
}

/// Something Doorman says: text, and optionally a card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub text: String,
    pub card: Option<Card>,
}

impl Message {
    pub fn text(text: impl Into<String>) -> Self {
        Message {
            text: text.into(),
            card: None,
        }
    }

    pub fn with_card(text: impl Into<String>, card: Card) -> Self {
        Message {
            text: text.into(),
            card: Some(card),
        }
    }
}

/// A card every channel can render (an Adaptive Card in Teams, Block Kit in Slack).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub title: String,
    pub sections: Vec<CardSection>,
    pub inputs: Vec<CardInput>,
    /// Buttons; a decided card has none.
    pub buttons: Vec<CardButton>,
    /// Whether the chat client should fetch the card again when it shows it.
    #[serde(default)]
    pub refresh: Option<CardRefresh>,
}

/// Asks the chat client to fetch a card's current state whenever it shows the card (Teams
/// `refresh`; Slack has no such thing and ignores it). The fetch comes back as a
/// [`Verb::Refresh`] action carrying `data`, from the person looking at the card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardRefresh {
    /// Ids only, like button data.
    pub data: Value,
    /// Whose clients refresh on their own: the people the card is live for.
    pub people: Vec<ChatUser>,
}

/// A paragraph with optional label/value facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardSection {
    pub text: String,
    pub facts: Vec<(String, String)>,
}

/// An input: free text (a deny reason), or one pick among `choices` (the grant a Remove
/// button ends) when there are any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardInput {
    pub id: String,
    pub label: String,
    pub placeholder: String,
    /// The verb of the one button this input goes with (a deny reason goes with Deny), when it
    /// means nothing to the others. A channel whose messages cannot collect text asks for it
    /// once that button is clicked (Slack, in a modal); Teams shows it in the card either way.
    /// Cards stored before this field existed read as `None`: tied to no button.
    #[serde(default)]
    pub for_verb: Option<Verb>,
    /// The most characters it takes, shown and enforced by the chat client where it can.
    #[serde(default)]
    pub max_length: Option<usize>,
    /// What can be picked: a non-empty list makes this a choice in the message itself (Teams
    /// `Input.ChoiceSet`, Slack `static_select`), never asked for in a Slack modal. Values are
    /// ids only, like button data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<CardChoice>,
}

impl CardInput {
    /// Whether this input is a pick among choices rather than typed text.
    pub fn is_choice(&self) -> bool {
        !self.choices.is_empty()
    }
}

/// One thing an input offers to pick: what the person reads, and the id the click carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardChoice {
    pub title: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CardButton {
    /// Opens a URL in the browser (sign-in).
    OpenUrl { title: String, url: String },
    /// Comes back as a [`ChatAction`] with this verb and data.
    Execute {
        title: String,
        verb: Verb,
        data: Value,
        style: ButtonStyle,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonStyle {
    #[default]
    Default,
    Positive,
    Destructive,
}

/// A person's profile as the chat service has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// Why a chat service did not take a message.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The channel is not configured in this deployment.
    #[error("the {0:?} channel is not configured")]
    NotConfigured(Channel),
    /// The person cannot be reached there (no Slack account linked, bot blocked, ...).
    #[error("cannot reach this person on {channel:?}: {reason}")]
    Unreachable { channel: Channel, reason: String },
    /// The service refused or failed after retries.
    #[error("{channel:?} refused the message: {reason}")]
    Failed { channel: Channel, reason: String },
}

/// The way out: how the conversation talks to people, whatever the platform.
pub trait ChatPort: Send + Sync {
    /// Sends `message` to a conversation; returns a handle to update it later.
    fn send<'a>(
        &'a self,
        place: &'a Place,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<SentMessage, ChatError>>;
    /// Replaces a message Doorman sent earlier.
    fn update<'a>(
        &'a self,
        sent: &'a SentMessage,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<(), ChatError>>;
    /// The 1:1 conversation with a person, opened if needed (proactively, for Teams through the
    /// configured service URL when Doorman has no conversation with them yet).
    fn open_direct<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Place, ChatError>>;
    /// What the chat service says about a person: display name and profile email (Slack's
    /// `users.info`; Teams knows no email).
    fn contact<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Contact, ChatError>>;
    /// The account on `channel` of a person of the tenant, for reaching someone who never wrote
    /// to Doorman there: Slack looks them up by work email (`users.lookupByEmail`); Teams
    /// addresses anyone of the tenant by their object id. `Ok(None)`: no such account, or a
    /// platform Doorman is not connected to.
    fn reach<'a>(
        &'a self,
        _channel: Channel,
        _person: &'a Colleague,
    ) -> BoxFuture<'a, Result<Option<ChatUser>, ChatError>> {
        Box::pin(async { Ok(None) })
    }
    /// The Entra tenant a person asks from, when the platform vouches for it (a Teams
    /// activity carries it); `None` when it does not (a Slack account is tied to the tenant only
    /// through its sign-in).
    fn home_tenant(&self, _person: &ChatUser) -> Option<String> {
        None
    }
    /// Shows that Doorman is working on an answer.
    fn typing<'a>(&'a self, place: &'a Place) -> BoxFuture<'a, Result<(), ChatError>>;
    /// Whether only the person and Doorman see this conversation (a 1:1 chat, a Slack DM), so
    /// that something meant for the person alone, a sign-in link, may be posted there. Unsure
    /// means no.
    fn is_direct(&self, _place: &Place) -> bool {
        false
    }
}

/// The way in: what the channels call with verified, deduplicated input.
pub trait InboundHandler: Send + Sync {
    fn message(&self, message: ChatMessage) -> BoxFuture<'_, ()>;
    /// Returns the card to show the clicker in place of the clicked one, when there is one.
    fn action(&self, action: ChatAction) -> BoxFuture<'_, Option<Message>>;
    /// The bot was installed or added to a conversation: greet.
    fn installed(&self, sender: Sender, place: Place) -> BoxFuture<'_, ()>;
}

#[cfg(test)]
pub mod example;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_the_contract_words() {
        let words: Vec<&str> = Verb::ALL.iter().map(|verb| verb.as_str()).collect();
        assert_eq!(
            words,
            [
                "approve",
                "deny",
                "approve_always",
                "choose",
                "extend",
                "revoke",
                "refresh",
                "page"
            ]
        );
        for verb in Verb::ALL {
            assert_eq!(Verb::parse(verb.as_str()), Some(verb));
            assert_eq!(
                serde_json::to_value(verb).ok(),
                Some(Value::String(verb.as_str().to_owned()))
            );
        }
        assert_eq!(
            Verb::parse("sign_in"),
            None,
            "sign-in is a link, not an action"
        );
    }

    #[test]
    fn an_inbound_item_survives_a_round_trip_through_json() {
        let sender = Sender {
            user: ChatUser {
                channel: Channel::Slack,
                tenant: "T1".into(),
                id: "U1".into(),
            },
            entra: None,
            display_name: Some("Ana".into()),
        };
        let place = Place {
            channel: Channel::Slack,
            reference: serde_json::json!({"channel": "D1"}),
        };
        let items = [
            Inbound::Message(ChatMessage {
                id: "Ev1".into(),
                sender: sender.clone(),
                place: place.clone(),
                text: "hello".into(),
                received_at: Utc::now(),
            }),
            Inbound::Action(ChatAction {
                id: "trigger:0".into(),
                sender: sender.clone(),
                place: place.clone(),
                verb: Verb::Approve,
                data: serde_json::json!({"request": "r1"}),
                inputs: Map::new(),
                card: Some(SentMessage {
                    place: place.clone(),
                    id: "1.2".into(),
                }),
            }),
            Inbound::Installed { sender, place },
        ];
        for item in items {
            let json = serde_json::to_string(&item).expect("serializes");
            let back: Inbound = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, item);
        }
    }

    #[test]
    fn chat_user_keys_separate_platforms_and_tenants() {
        let slack = ChatUser {
            channel: Channel::Slack,
            tenant: "T1".into(),
            id: "U1".into(),
        };
        let teams = ChatUser {
            channel: Channel::Teams,
            tenant: "T1".into(),
            id: "U1".into(),
        };
        assert_eq!(slack.key(), "slack:T1:U1");
        assert_ne!(slack.key(), teams.key());
    }
}

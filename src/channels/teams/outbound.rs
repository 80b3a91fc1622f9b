//! The [`ChatPort`] for Teams: messages, card updates, proactive 1:1 conversations, typing.
//!
//! Owns the outbound activities and the Bot Connector URLs. Must not: send to a service URL that
//! no authenticated activity or the configuration vouched for (a [`Place`] is data that came
//! back from elsewhere, so it is checked, not trusted), put text and a card in one activity
//! (Teams splits it and the id is lost), or open a conversation in a tenant that is not allowed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::Teams;
use super::cards;
use super::connector::ConnectorError;
use super::conversations::{ConversationRef, PersonalConversation};
use super::wire::ADAPTIVE_CARD;
use crate::domain::chat::{
    BoxFuture, Card, Channel, ChatError, ChatPort, ChatUser, Colleague, Contact, Message, Place,
    SentMessage,
};

/// Teams asks for typing indicators at most every three seconds per conversation.
const TYPING_INTERVAL: Duration = Duration::from_secs(3);

/// Conversation ids hold `:;@=`, so everything but the unreserved characters is encoded.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// When each conversation last got a typing indicator.
#[derive(Default)]
pub(super) struct TypingThrottle(Mutex<HashMap<String, Instant>>);

impl ChatPort for Teams {
    fn send<'a>(
        &'a self,
        place: &'a Place,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<SentMessage, ChatError>> {
        Box::pin(async move {
            let reference = self.reference_of(place)?;
            let url = activities_url(&reference, None);
            let answer = self
                .connector
                .call(Method::POST, &url, &self.message_activity(message))
                .await
                .map_err(chat_error)?;
            Ok(SentMessage {
                place: place.clone(),
                id: id_of(&answer)
                    .ok_or_else(|| failed("the connector returned no activity id"))?,
            })
        })
    }

    fn update<'a>(
        &'a self,
        sent: &'a SentMessage,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<(), ChatError>> {
        Box::pin(async move {
            let reference = self.reference_of(&sent.place)?;
            let url = activities_url(&reference, Some(&sent.id));
            let mut activity = self.message_activity(message);
            if let Some(fields) = activity.as_object_mut() {
                fields.insert("id".to_owned(), json!(sent.id));
            }
            self.connector
                .call(Method::PUT, &url, &activity)
                .await
                .map_err(chat_error)?;
            Ok(())
        })
    }

    fn open_direct<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Place, ChatError>> {
        Box::pin(async move {
            if person.channel != Channel::Teams {
                return Err(cannot_reach("not a teams user"));
            }
            if let Some(stored) = self.conversations.find(&person.id).map_err(store_failed)? {
                return Ok(stored.reference.place());
            }
            if !self.auth.allows_tenant(&person.tenant) {
                return Err(cannot_reach("the person's tenant is not allowed"));
            }
            self.create_direct(person).await
        })
    }

    fn contact<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Contact, ChatError>> {
        Box::pin(async move {
            if person.channel != Channel::Teams {
                return Err(cannot_reach("not a teams user"));
            }
            // Teams tells a bot no email; the name is the one its last activity carried.
            let stored = self.conversations.find(&person.id).map_err(store_failed)?;
            Ok(Contact {
                display_name: stored.and_then(|stored| stored.user_name),
                email: None,
            })
        })
    }

    fn typing<'a>(&'a self, place: &'a Place) -> BoxFuture<'a, Result<(), ChatError>> {
        Box::pin(async move {
            let reference = self.reference_of(place)?;
            if !self.typing.may_send(&reference.conversation_id) {
                return Ok(());
            }
            let url = activities_url(&reference, None);
            self.connector
                .call(Method::POST, &url, &json!({"type": "typing"}))
                .await
                .map_err(chat_error)?;
            Ok(())
        })
    }

    /// Anyone of the tenant is addressed by their object id: a proactive 1:1 conversation
    /// needs nothing else.
    fn reach<'a>(
        &'a self,
        channel: Channel,
        person: &'a Colleague,
    ) -> BoxFuture<'a, Result<Option<ChatUser>, ChatError>> {
        Box::pin(async move {
            Ok((channel == Channel::Teams).then(|| ChatUser {
                channel: Channel::Teams,
                tenant: self.home_tenant.clone(),
                id: person.entra_id.clone(),
            }))
        })
    }

    /// A Teams activity names the tenant it comes from, and the adapter accepted it only from
    /// an allowed one.
    fn home_tenant(&self, person: &ChatUser) -> Option<String> {
        (person.channel == Channel::Teams).then(|| person.tenant.clone())
    }

    /// A personal (1:1) conversation: its reference carries the person's `29:` id, which channel
    /// and group conversations do not.
    fn is_direct(&self, place: &Place) -> bool {
        ConversationRef::of(place).is_some_and(|reference| reference.user_id.is_some())
    }
}

impl Teams {
    /// A message as one activity: the card alone (with the text inside it), or the text alone.
    fn message_activity(&self, message: &Message) -> Value {
        match &message.card {
            Some(card) => json!({
                "type": "message",
                "attachments": [{
                    "contentType": ADAPTIVE_CARD,
                    "content": self.render(card, &message.text),
                }],
            }),
            None => json!({"type": "message", "text": message.text}),
        }
    }

    /// The Adaptive Card for `card`, its refresh addressed to the `29:` ids of its people that
    /// Doorman knows (a person whose id is not known yet is left out: a 1:1 chat refreshes
    /// for everyone in it anyway).
    pub(super) fn render(&self, card: &Card, text: &str) -> Value {
        let user_ids: Vec<String> = card
            .refresh
            .iter()
            .flat_map(|refresh| &refresh.people)
            .filter(|person| person.channel == Channel::Teams)
            .filter_map(|person| match self.conversations.find(&person.id) {
                Ok(found) => found.and_then(|found| found.reference.user_id),
                Err(error) => {
                    tracing::warn!(%error, "cannot read a person's teams conversation");
                    None
                }
            })
            .collect();
        cards::render(card, text, &user_ids)
    }

    /// The conversation behind `place`, if it is a Teams place whose service URL is vouched for.
    fn reference_of(&self, place: &Place) -> Result<ConversationRef, ChatError> {
        let reference =
            ConversationRef::of(place).ok_or_else(|| failed("not a teams conversation"))?;
        if !self.conversations.is_trusted(&reference.service_url) {
            tracing::warn!("refused to send the bot token to a service url nobody vouched for");
            return Err(failed("the conversation's service url is not trusted"));
        }
        Ok(reference)
    }

    /// Creates the 1:1 conversation with `person` through the configured service URL, stores it
    /// and returns its place.
    async fn create_direct(&self, person: &ChatUser) -> Result<Place, ChatError> {
        let service_url = self.conversations.configured_service_url().to_owned();
        let body = json!({
            "bot": {"id": self.bot_id},
            "members": [{"id": person.id, "aadObjectId": person.id}],
            "channelData": {"tenant": {"id": person.tenant}},
            "tenantId": person.tenant,
            "isGroup": false,
        });
        let url = format!("{}/v3/conversations", service_url.trim_end_matches('/'));
        let answer = self
            .connector
            .call(Method::POST, &url, &body)
            .await
            .map_err(chat_error)?;
        let conversation_id =
            id_of(&answer).ok_or_else(|| failed("the connector returned no conversation id"))?;
        let user_id = self
            .member_id(&service_url, &conversation_id, &person.id)
            .await;
        let conversation = PersonalConversation {
            reference: ConversationRef {
                service_url,
                conversation_id,
                user_id,
                tenant_id: person.tenant.clone(),
                bot_id: self.bot_id.clone(),
            },
            user_name: None,
        };
        self.conversations
            .remember(&person.id, &conversation)
            .map_err(store_failed)?;
        Ok(conversation.reference.place())
    }
}

impl Teams {
    /// The person's app-scoped `29:` id in a conversation, asked of the connector by their
    /// object id (`GET …/members/{id}`). Without it the conversation still works; only card
    /// refreshes cannot name them.
    async fn member_id(
        &self,
        service_url: &str,
        conversation_id: &str,
        object_id: &str,
    ) -> Option<String> {
        let url = format!(
            "{}/v3/conversations/{}/members/{}",
            service_url.trim_end_matches('/'),
            utf8_percent_encode(conversation_id, PATH_SEGMENT),
            utf8_percent_encode(object_id, PATH_SEGMENT)
        );
        match self.connector.call(Method::GET, &url, &Value::Null).await {
            Ok(member) => member
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| id.starts_with("29:"))
                .map(str::to_owned),
            Err(error) => {
                tracing::warn!(%error, "cannot read the member of a new conversation");
                None
            }
        }
    }
}

impl TypingThrottle {
    /// Whether a typing indicator may go to `conversation` now; if so, records that it went.
    fn may_send(&self, conversation: &str) -> bool {
        let Ok(mut sent) = self.0.lock() else {
            return true;
        };
        let now = Instant::now();
        sent.retain(|_, at| now.duration_since(*at) < TYPING_INTERVAL);
        if sent.contains_key(conversation) {
            return false;
        }
        sent.insert(conversation.to_owned(), now);
        true
    }
}

/// `{serviceUrl}v3/conversations/{conversation}/activities[/{id}]`, whether or not the service
/// URL ends in a slash.
pub(super) fn activities_url(reference: &ConversationRef, activity_id: Option<&str>) -> String {
    let mut url = format!(
        "{}/v3/conversations/{}/activities",
        reference.service_url.trim_end_matches('/'),
        utf8_percent_encode(&reference.conversation_id, PATH_SEGMENT)
    );
    if let Some(id) = activity_id {
        url.push('/');
        url.extend(utf8_percent_encode(id, PATH_SEGMENT));
    }
    url
}

fn id_of(answer: &Value) -> Option<String> {
    answer
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// A refusal (403, such as `MessageWritesBlocked`) or a missing conversation (404) means the
/// person cannot be reached there; everything else is a failure.
fn chat_error(error: ConnectorError) -> ChatError {
    match &error {
        ConnectorError::Status { status, .. }
            if *status == StatusCode::FORBIDDEN || *status == StatusCode::NOT_FOUND =>
        {
            cannot_reach(&error.to_string())
        }
        _ => failed(&error.to_string()),
    }
}

fn store_failed(error: crate::store::StoreError) -> ChatError {
    failed(&format!("cannot read or store a conversation: {error}"))
}

fn failed(reason: &str) -> ChatError {
    ChatError::Failed {
        channel: Channel::Teams,
        reason: reason.to_owned(),
    }
}

fn cannot_reach(reason: &str) -> ChatError {
    ChatError::Unreachable {
        channel: Channel::Teams,
        reason: reason.to_owned(),
    }
}

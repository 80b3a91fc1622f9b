//! The one [`ChatPort`] the conversation sees: it hands each call to the adapter of the
//! platform the place or person belongs to.
//!
//! Adapters are attached after the conversation is built, because each adapter needs the
//! conversation (to deliver what arrives) and the conversation needs this port (to answer).
//! The router holds them weakly: the served routes own the adapters, so when the server stops
//! everything is dropped and the store is released (a strong cycle would keep it open).

use std::sync::{Arc, OnceLock, Weak};

use crate::domain::chat::{
    BoxFuture, Channel, ChatError, ChatPort, ChatUser, Colleague, Contact, Message, Place,
    SentMessage,
};

#[derive(Default)]
pub struct ChatRouter {
    teams: OnceLock<Weak<dyn ChatPort>>,
    slack: OnceLock<Weak<dyn ChatPort>>,
}

impl ChatRouter {
    pub fn new() -> Arc<Self> {
        Arc::new(ChatRouter::default())
    }

    /// Attaches the adapter for `channel` (held weakly); the first one attached stays.
    pub fn attach(&self, channel: Channel, port: &Arc<dyn ChatPort>) {
        let slot = match channel {
            Channel::Teams => &self.teams,
            Channel::Slack => &self.slack,
        };
        if slot.set(Arc::downgrade(port)).is_err() {
            tracing::warn!(?channel, "an adapter was already attached for this channel");
        }
    }

    fn port(&self, channel: Channel) -> Result<Arc<dyn ChatPort>, ChatError> {
        let slot = match channel {
            Channel::Teams => &self.teams,
            Channel::Slack => &self.slack,
        };
        slot.get()
            .and_then(Weak::upgrade)
            .ok_or(ChatError::NotConfigured(channel))
    }
}

impl ChatPort for ChatRouter {
    fn send<'a>(
        &'a self,
        place: &'a Place,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<SentMessage, ChatError>> {
        Box::pin(async move { self.port(place.channel)?.send(place, message).await })
    }

    fn update<'a>(
        &'a self,
        sent: &'a SentMessage,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<(), ChatError>> {
        Box::pin(async move { self.port(sent.place.channel)?.update(sent, message).await })
    }

    fn open_direct<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Place, ChatError>> {
        Box::pin(async move { self.port(person.channel)?.open_direct(person).await })
    }

    fn contact<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Contact, ChatError>> {
        Box::pin(async move { self.port(person.channel)?.contact(person).await })
    }

    fn reach<'a>(
        &'a self,
        channel: Channel,
        person: &'a Colleague,
    ) -> BoxFuture<'a, Result<Option<ChatUser>, ChatError>> {
        Box::pin(async move {
            match self.port(channel) {
                Ok(port) => port.reach(channel, person).await,
                Err(ChatError::NotConfigured(_)) => Ok(None),
                Err(error) => Err(error),
            }
        })
    }

    fn home_tenant(&self, person: &ChatUser) -> Option<String> {
        self.port(person.channel)
            .ok()
            .and_then(|port| port.home_tenant(person))
    }

    fn typing<'a>(&'a self, place: &'a Place) -> BoxFuture<'a, Result<(), ChatError>> {
        Box::pin(async move { self.port(place.channel)?.typing(place).await })
    }

    fn is_direct(&self, place: &Place) -> bool {
        self.port(place.channel)
            .is_ok_and(|port| port.is_direct(place))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_platform_without_an_adapter_reaches_nobody_and_vouches_for_no_tenant() {
        let router = ChatRouter::new();
        let colleague = Colleague {
            entra_id: "oid-1".into(),
            email: "ana@contoso.com".into(),
        };
        for channel in [Channel::Teams, Channel::Slack] {
            assert!(matches!(router.reach(channel, &colleague).await, Ok(None)));
        }
        let person = ChatUser {
            channel: Channel::Teams,
            tenant: "tenant-1".into(),
            id: "oid-1".into(),
        };
        assert_eq!(router.home_tenant(&person), None);
        assert!(matches!(
            router.open_direct(&person).await,
            Err(ChatError::NotConfigured(Channel::Teams))
        ));
    }
}

//! Reaching the people a request needs: approvers with their cards, reminders, updates and
//! closings, and anyone Doorman must ask something of.
//!
//! A person of the tenant is reached (DESIGN.md section 7) on the platform where they last
//! talked to Doorman; otherwise on the platform the request came from; otherwise in Teams,
//! which deployments install tenant-wide. How a platform finds someone is the chat port's
//! business: nothing here knows one platform from another.

use std::sync::Arc;

use crate::catalog::CatalogService;
use crate::domain::chat::{Channel, ChatPort, ChatUser, Colleague, Message, Place, SentMessage};
use crate::domain::request::{RequestRecord, SentCard};
use crate::store::{Domain, Store, StoreError, Table};

/// Finds people in chat and delivers what approval has to say to them.
pub struct Courier {
    port: Arc<dyn ChatPort>,
    catalog: Arc<CatalogService>,
    /// Where each person (by Entra object id) last talked to Doorman.
    last_seen: Table<String, ChatUser>,
}

impl Courier {
    pub fn open(
        store: &dyn Store,
        port: Arc<dyn ChatPort>,
        catalog: Arc<CatalogService>,
    ) -> Result<Self, StoreError> {
        Ok(Courier {
            port,
            catalog,
            last_seen: Table::open(store, Domain::LastSeen)?,
        })
    }

    /// Remembers where a person talks from, so they are reached there.
    pub fn seen(&self, entra_id: &str, user: &ChatUser) {
        let known = self.last_seen.get(&entra_id.to_owned());
        if matches!(&known, Ok(Some(known)) if known == user) {
            return;
        }
        if let Err(error) = self.last_seen.insert(&entra_id.to_owned(), user) {
            tracing::warn!(%error, "cannot remember where a person talks from");
        }
    }

    /// Who a person of the tenant (by UPN or mail) is in chat, for a request that came from
    /// `origin`: the first account [`Self::accounts`] finds.
    pub async fn chat_user_of(&self, upn: &str, origin: Channel) -> Option<ChatUser> {
        self.next_account(upn, origin, &[]).await
    }

    /// A person's best chat account on a platform not `tried` yet: where they last talked to
    /// Doorman, then on the platform the request came from, then in Teams. A platform is asked
    /// to look the person up only when the ones before it have been tried (one can be down, or
    /// an account deactivated).
    async fn next_account(
        &self,
        upn: &str,
        origin: Channel,
        tried: &[Channel],
    ) -> Option<ChatUser> {
        let person = self.catalog.current().person_by_address(upn).cloned()?;
        match self.last_seen.get(&person.id) {
            Ok(Some(user)) if !tried.contains(&user.channel) => return Some(user),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot read where a person talks from"),
        }
        let colleague = Colleague {
            email: person.mail.clone().unwrap_or_else(|| person.upn.clone()),
            entra_id: person.id,
        };
        for channel in [origin, Channel::Teams] {
            if tried.contains(&channel) {
                continue;
            }
            match self.port.reach(channel, &colleague).await {
                Ok(Some(user)) => return Some(user),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, ?channel, "cannot look a person up"),
            }
        }
        None
    }

    /// A person's chat account and their 1:1 conversation with Doorman, opened if needed: the
    /// first of their accounts where one can be opened.
    pub async fn reach(&self, upn: &str, origin: Channel) -> Option<(ChatUser, Place)> {
        let mut tried = Vec::new();
        while let Some(user) = self.next_account(upn, origin, &tried).await {
            tried.push(user.channel);
            match self.port.open_direct(&user).await {
                Ok(place) => return Some((user, place)),
                Err(error) => {
                    tracing::warn!(%error, channel = ?user.channel, "cannot open a direct conversation");
                }
            }
        }
        None
    }

    /// Sends a person, in their 1:1 chat with Doorman, the message `compose` writes for the
    /// account it goes to; tries their next account when one cannot be reached. Returns the
    /// account and the message sent, or `None` when no account could be reached.
    pub async fn deliver(
        &self,
        upn: &str,
        origin: Channel,
        compose: impl Fn(&ChatUser) -> Message,
    ) -> Option<(ChatUser, SentMessage)> {
        let mut tried = Vec::new();
        while let Some(user) = self.next_account(upn, origin, &tried).await {
            tried.push(user.channel);
            let place = match self.port.open_direct(&user).await {
                Ok(place) => place,
                Err(error) => {
                    tracing::warn!(%error, channel = ?user.channel, "cannot open a direct conversation");
                    continue;
                }
            };
            match self.port.send(&place, &compose(&user)).await {
                Ok(sent) => return Some((user, sent)),
                Err(error) => {
                    tracing::warn!(%error, channel = ?user.channel, "cannot deliver a message");
                }
            }
        }
        None
    }

    /// Sends `message` to this one chat account's 1:1 conversation with Doorman, and no other
    /// (a secret goes only where the requester asked from); `None` when it cannot be reached.
    pub async fn deliver_to(&self, user: &ChatUser, message: &Message) -> Option<SentMessage> {
        let place = match self.port.open_direct(user).await {
            Ok(place) => place,
            Err(error) => {
                tracing::warn!(%error, channel = ?user.channel, "cannot open a direct conversation");
                return None;
            }
        };
        match self.port.send(&place, message).await {
            Ok(sent) => Some(sent),
            Err(error) => {
                tracing::warn!(%error, channel = ?user.channel, "cannot deliver a message");
                None
            }
        }
    }

    /// Says `message` where `place` is; a failure is logged, not returned: the request goes on.
    pub async fn say(&self, place: &Place, message: &Message) {
        if let Err(error) = self.port.send(place, message).await {
            tracing::warn!(%error, "could not deliver a message");
        }
    }

    /// Replaces a message Doorman sent earlier; a failure is logged.
    pub async fn update(&self, sent: &SentMessage, message: &Message) {
        self.try_update(sent, message).await;
    }

    /// Replaces a message Doorman sent earlier; says whether it was (a failure is logged).
    pub async fn try_update(&self, sent: &SentMessage, message: &Message) -> bool {
        match self.port.update(sent, message).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, "cannot update a message");
                false
            }
        }
    }

    /// Sends the stage's card to `approver` in their 1:1 chat, addressed to them; `None` when
    /// they cannot be reached.
    pub async fn send_card(
        &self,
        record: &RequestRecord,
        stage: usize,
        approver: &str,
    ) -> Option<SentCard> {
        let origin = record.requester.chat_user.channel;
        let card = super::card(record, stage);
        let delivered = self
            .deliver(approver, origin, |user| {
                super::addressed(card.clone(), user)
            })
            .await;
        let Some((_, sent)) = delivered else {
            tracing::warn!(request = %record.id, approver, "cannot reach an approver");
            return None;
        };
        Some(SentCard {
            approver: approver.to_owned(),
            sent,
        })
    }

    /// Every card of the stage shows where it stands for its approver: counted for those who
    /// said yes, still asking the others. `skip` is the card just answered, which its click
    /// replaces.
    pub async fn refresh_cards(
        &self,
        record: &RequestRecord,
        stage: usize,
        skip: Option<&SentMessage>,
    ) {
        let Some(stage_record) = record.stages.get(stage) else {
            return;
        };
        let live = super::card(record, stage);
        for card in &stage_record.cards {
            if skip == Some(&card.sent) {
                continue;
            }
            let shown = if stage_record.approved_by(&card.approver) {
                super::counted_card(record, stage, &card.approver)
            } else {
                match self
                    .chat_user_of(&card.approver, record.requester.chat_user.channel)
                    .await
                {
                    Some(user) => super::addressed(live.clone(), &user),
                    None => live.clone(),
                }
            };
            self.update(&card.sent, &shown).await;
        }
    }

    /// Every card of the stage shows `message` instead, but `skip` (the card just answered,
    /// which its click replaces).
    pub async fn show_on_cards(
        &self,
        record: &RequestRecord,
        stage: usize,
        message: &Message,
        skip: Option<&SentMessage>,
    ) {
        if let Some(stage_record) = record.stages.get(stage) {
            for card in &stage_record.cards {
                if skip != Some(&card.sent) {
                    self.update(&card.sent, message).await;
                }
            }
        }
    }

    /// Every card of the stage says the request is over and keeps no buttons.
    pub async fn close_cards(&self, record: &RequestRecord, stage: usize) {
        self.show_on_cards(record, stage, &super::closed_card(record), None)
            .await;
    }

    /// Reminds every approver of the stage who has not said yes, in their 1:1 chat; returns
    /// who was reminded.
    pub async fn remind(&self, record: &RequestRecord, stage: usize) -> Vec<String> {
        let Some(stage_record) = record.stages.get(stage) else {
            return Vec::new();
        };
        let origin = record.requester.chat_user.channel;
        let mut reminded = Vec::new();
        for approver in &stage_record.approvers {
            if stage_record.approved_by(approver) {
                continue;
            }
            let reminder = super::approver_reminder(record, stage);
            if self
                .deliver(approver, origin, |_| reminder.clone())
                .await
                .is_some()
            {
                reminded.push(approver.clone());
            }
        }
        reminded
    }
}

//! The dialogue: what Doorman says back to each message and click.
//!
//! It identifies the sender (a Teams sender is known from the verified activity; a Slack sender
//! once linked), keeps the message of someone who must sign in first and carries it on after
//! they have, answers greetings, help, sign-in and sign-out, and hands everything else to the
//! request dialogue ([`requests`]): understood against the catalog, restated, clarified with
//! buttons, a reason asked for when policy needs one. Nothing here knows which chat platform it
//! talks to.

mod commands;
mod deciding;
mod dialogue;
mod extend;
mod lists;
mod mentions;
mod pending;
mod rate;
mod recovering;
pub(crate) mod replies;
mod requests;
mod revoking;

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;

use crate::audit::AuditLog;
use crate::catalog::CatalogService;
use crate::domain::chat::Verb;
use crate::domain::chat::{
    BoxFuture, ChatAction, ChatMessage, ChatPort, ChatUser, Contact, EntraUser, InboundHandler,
    Message, Place, Sender,
};
use crate::identity::{Expectation, Identity, Role, SignedIn, SteppedUp, TokenError};
use crate::intake::Intake;
use crate::provision::ExchangeProvider;
use crate::requests::Requests;
use crate::store::{Store, StoreError};
use commands::Command;
use dialogue::Dialogue;
pub use mentions::name_slack_mentions;
use pending::Pending;
use rate::RequestRate;

pub struct Conversation {
    port: Arc<dyn ChatPort>,
    identity: Arc<Identity>,
    catalog: Arc<CatalogService>,
    audit: Arc<AuditLog>,
    pending: Pending,
    dialogue: Dialogue,
    /// Understands each request and decides it against the policy.
    intake: Arc<Intake>,
    /// Requests per person in the last hour, for the policy's rate limit.
    rate: RequestRate,
    /// Allowed requests, through approval to provisioning.
    requests: Arc<Requests>,
    /// Reads who holds a shared mailbox's permissions, for its owners.
    mailboxes: Arc<ExchangeProvider>,
    /// Messages that asked for nothing Doorman knows, with no suggestion made: counted, not
    /// audited.
    not_understood: Counter,
    /// When each person was last greeted on install: Teams announces one install twice
    /// (`conversationUpdate` and `installationUpdate`), and one greeting is enough.
    greeted: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

/// What a conversation is made of.
pub struct Parts {
    pub port: Arc<dyn ChatPort>,
    pub identity: Arc<Identity>,
    pub store: Arc<dyn Store>,
    pub catalog: Arc<CatalogService>,
    pub audit: Arc<AuditLog>,
    /// Understands each request and decides it against the policy.
    pub intake: Arc<Intake>,
    /// Allowed requests, through approval to provisioning.
    pub requests: Arc<Requests>,
    /// Reads who holds a shared mailbox's permissions, for its owners.
    pub mailboxes: Arc<ExchangeProvider>,
    /// Counts messages that asked for nothing Doorman knows (the metric
    /// `doorman_messages_not_understood`).
    pub not_understood: Counter,
}

/// Install events closer together than this get one greeting.
const GREET_AT_MOST_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

impl Conversation {
    pub fn new(parts: Parts) -> Result<Arc<Self>, StoreError> {
        let Parts {
            port,
            identity,
            store,
            catalog,
            audit,
            intake,
            requests,
            mailboxes,
            not_understood,
        } = parts;
        Ok(Arc::new(Conversation {
            port,
            identity,
            catalog,
            audit,
            intake,
            requests,
            mailboxes,
            not_understood,
            rate: RequestRate::open(Arc::clone(&store))?,
            dialogue: Dialogue::open(Arc::clone(&store))?,
            pending: Pending::open(store)?,
            greeted: std::sync::Mutex::new(std::collections::HashMap::new()),
        }))
    }

    /// Drops questions and reason waits nobody answered in time, and request counts older
    /// than the rate limit's hour.
    pub fn forget_stale(&self) -> Result<usize, StoreError> {
        let now = chrono::Utc::now();
        Ok(self.dialogue.forget_stale(now)? + self.rate.forget_before(now - rate::WINDOW)?)
    }

    async fn handle_message(&self, message: ChatMessage) {
        let command = Command::parse(&message.text);
        let entra = match &message.sender.entra {
            Some(entra) => Some(entra.clone()),
            None => match self.identity.entra_of(&message.sender.user) {
                Ok(entra) => entra,
                Err(error) => {
                    tracing::error!(%error, "cannot read account links");
                    self.say(&message.place, &replies::trouble()).await;
                    return;
                }
            },
        };
        // Messages kept while the person was unknown are carried on before this one, should the
        // sign-in's own hand-over have been missed (a restart at the wrong moment).
        if let (Some(entra), Command::Other | Command::Help | Command::WhoAmI) = (&entra, command) {
            match self.pending.take(&message.sender.user) {
                Ok(waiting) => {
                    for mut earlier in waiting {
                        earlier.sender.entra = Some(entra.clone());
                        Box::pin(self.handle_message(earlier)).await;
                    }
                }
                Err(error) => tracing::error!(%error, "cannot read waiting messages"),
            }
        }
        if let Some(entra) = &entra {
            self.requests.seen(&entra.id, &message.sender.user);
        }
        match (command, entra) {
            (Command::SignOut, entra) => self.sign_out(&message, entra.as_ref()).await,
            (Command::SignIn, Some(entra)) if self.identity.is_signed_in(&entra.id) => {
                let who = self.name_of(&entra).await;
                self.say(&message.place, &replies::already_signed_in(&who))
                    .await;
            }
            (Command::SignIn, entra) => {
                self.prompt_sign_in(&message.sender, &message.place, entra.as_ref(), false)
                    .await
            }
            (_, None) => {
                // Nobody acts before they are identified: keep the message, ask for a sign-in,
                // and carry it on once they have. The sign-in link's flush makes the kept
                // message durable too, before the prompt goes out.
                if let Err(error) = self.pending.keep(&message) {
                    tracing::error!(%error, "cannot keep a message for later");
                }
                self.prompt_sign_in(&message.sender, &message.place, None, true)
                    .await;
            }
            (Command::WhoAmI, Some(entra)) => {
                if let Some(message) = self.in_direct_chat(message).await {
                    self.who_am_i(&message, &entra).await
                }
            }
            (Command::Help, Some(_)) => self.say(&message.place, &replies::help()).await,
            (Command::Greeting, Some(_)) => {
                self.say(
                    &message.place,
                    &replies::greeting(message.sender.display_name.as_deref()),
                )
                .await;
            }
            (Command::Other, Some(entra)) => {
                if let Some(message) = self.in_direct_chat(message).await {
                    self.request(&message, &entra).await
                }
            }
        }
    }

    /// A request, and all that is said about it (what it grants, until when, the person's
    /// other grants, its removal), is the person's own: said where others read, it is carried
    /// on in their direct chat, and the channel is told only that. `None` when the direct chat
    /// cannot be opened (the channel is told something went wrong, and nothing more).
    async fn in_direct_chat(&self, mut message: ChatMessage) -> Option<ChatMessage> {
        if self.port.is_direct(&message.place) {
            return Some(message);
        }
        let Some(direct) = self.direct_place(&message.sender.user).await else {
            self.say(&message.place, &replies::trouble()).await;
            return None;
        };
        self.say(&message.place, &replies::answered_directly())
            .await;
        message.place = direct;
        Some(message)
    }

    /// Reads the person's profile with their own token; a dead token leads back to sign-in.
    async fn who_am_i(&self, message: &ChatMessage, entra: &EntraUser) {
        match self.identity.me(&entra.id).await {
            Ok(me) => {
                let upn = me
                    .user_principal_name
                    .clone()
                    .unwrap_or_else(|| entra.id.clone());
                let name = me.display_name.clone().unwrap_or_else(|| upn.clone());
                self.say(
                    &message.place,
                    &replies::you_are(&name, &upn, me.department.as_deref()),
                )
                .await;
            }
            Err(TokenError::NeedsSignIn(reason)) => {
                tracing::info!(%reason, "a new sign-in is needed");
                self.say(&message.place, &replies::sign_in_again()).await;
                self.prompt_sign_in(
                    &message.sender,
                    &message.place,
                    message.sender.entra.as_ref(),
                    false,
                )
                .await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot read the person's profile");
                self.say(&message.place, &replies::trouble()).await;
            }
        }
    }

    async fn sign_out(&self, message: &ChatMessage, entra: Option<&EntraUser>) {
        let reply = match self.identity.sign_out(&message.sender.user, entra).await {
            Ok(()) => replies::signed_out(),
            Err(error) => {
                tracing::error!(%error, "sign-out failed");
                replies::trouble()
            }
        };
        self.say(&message.place, &reply).await;
    }

    /// Sends `sender` a single-use sign-in link that only their own account can complete.
    async fn prompt_sign_in(
        &self,
        sender: &Sender,
        place: &Place,
        entra: Option<&EntraUser>,
        waiting: bool,
    ) {
        let (expect, hint) = match entra {
            // Teams: the account that signs in must be the verified sender's.
            Some(entra) => (
                Expectation::EntraObject {
                    id: entra.id.clone(),
                },
                self.identity.upn_of(&entra.id).await,
            ),
            // Slack: the account is linked when its mail or UPN is the Slack profile's email.
            None => {
                let contact = match self.port.contact(&sender.user).await {
                    Ok(contact) => contact,
                    Err(error) => {
                        tracing::warn!(%error, "cannot read the chat profile");
                        Contact::default()
                    }
                };
                let name = contact.display_name.or_else(|| sender.display_name.clone());
                (
                    Expectation::ChatEmail {
                        email: contact.email.clone(),
                        name,
                    },
                    contact.email,
                )
            }
        };
        match self
            .identity
            .sign_in_link(&sender.user, expect, Role::Requester, hint)
        {
            // The link is the person's alone.
            Ok(link) => {
                let prompt = replies::sign_in_prompt(&link, waiting);
                self.say_privately(
                    place,
                    &sender.user,
                    &prompt,
                    replies::sign_in_sent_directly(),
                )
                .await
            }
            Err(error) => {
                tracing::error!(%error, "cannot create a sign-in link");
                self.say(place, &replies::trouble()).await;
            }
        }
    }

    /// Carries on after a step-up sign-in: the request waiting for it is verified, or moves
    /// on to its next way of verifying.
    pub async fn stepped_up(&self, event: SteppedUp) {
        self.requests
            .stepped_up(&event.request, event.outcome)
            .await;
    }

    /// Carries on after a sign-in: confirms it, then handles what was waiting.
    pub async fn signed_in(&self, event: SignedIn) {
        let waiting = match self.pending.take(&event.chat_user) {
            Ok(waiting) => waiting,
            Err(error) => {
                tracing::error!(%error, "cannot read waiting messages");
                Vec::new()
            }
        };
        let who = self.name_of(&event.entra).await;
        // Who they are signed in as is theirs to read: said in a channel's thread only when
        // nothing else is at hand.
        let place = match waiting.first() {
            Some(first) if self.port.is_direct(&first.place) => Some(first.place.clone()),
            _ => self.direct_place(&event.chat_user).await,
        };
        if let Some(place) = &place {
            self.say(place, &replies::signed_in(&who, !waiting.is_empty()))
                .await;
        }
        for mut message in waiting {
            message.sender.entra = Some(event.entra.clone());
            self.handle_message(message).await;
        }
        self.requests.signed_in(&event.entra).await;
    }

    async fn direct_place(&self, user: &ChatUser) -> Option<Place> {
        match self.port.open_direct(user).await {
            Ok(place) => Some(place),
            Err(error) => {
                tracing::warn!(%error, "cannot open a direct conversation");
                None
            }
        }
    }

    /// The person's UPN: as the envelope or link says, else from the catalog's people, else
    /// read from the directory; the object id when none of them can tell.
    async fn name_of(&self, entra: &EntraUser) -> String {
        if let Some(upn) = &entra.upn {
            return upn.clone();
        }
        let known = self
            .catalog
            .current()
            .person_by_id(&entra.id)
            .map(|person| person.upn.clone());
        match known {
            Some(upn) => upn,
            None => self
                .identity
                .upn_of(&entra.id)
                .await
                .unwrap_or_else(|| entra.id.clone()),
        }
    }

    /// Whether the clicker has no Entra account Doorman knows (only possible on Slack before
    /// a sign-in links one). A store that cannot be read is not "unknown": the click goes on
    /// and is judged as usual.
    fn unidentified(&self, action: &ChatAction) -> bool {
        action.sender.entra.is_none()
            && matches!(self.identity.entra_of(&action.sender.user), Ok(None))
    }

    async fn say(&self, place: &Place, message: &Message) {
        if let Err(error) = self.port.send(place, message).await {
            tracing::warn!(%error, "could not deliver a reply");
        }
    }

    /// Says what is for `person` alone (a sign-in link, what they can reach, who can reach a
    /// resource): where they asked when that is their direct chat; otherwise in their direct
    /// chat, with `pointer` left where they asked so they know where to look. Nothing of it is
    /// said where others read when the direct chat cannot be opened.
    async fn say_privately(
        &self,
        place: &Place,
        person: &ChatUser,
        message: &Message,
        pointer: Message,
    ) {
        if self.port.is_direct(place) {
            return self.say(place, message).await;
        }
        match self.direct_place(person).await {
            Some(direct) => {
                self.say(&direct, message).await;
                self.say(place, &pointer).await;
            }
            None => self.say(place, &replies::trouble()).await,
        }
    }
}

impl InboundHandler for Conversation {
    fn message(&self, message: ChatMessage) -> BoxFuture<'_, ()> {
        Box::pin(self.handle_message(message))
    }

    fn action(&self, action: ChatAction) -> BoxFuture<'_, Option<Message>> {
        Box::pin(async move {
            // A click decides only as someone Doorman knows: a Slack account not linked yet
            // is asked to sign in (the link ties it to the Entra account), then to click again.
            if action.verb != Verb::Choose && self.unidentified(&action) {
                self.say(&action.place, &replies::click_after_sign_in())
                    .await;
                self.prompt_sign_in(&action.sender, &action.place, None, false)
                    .await;
                return None;
            }
            match action.verb {
                Verb::Choose => self.choose(&action).await,
                Verb::Approve => self.requests.decide(&action, true, false).await,
                Verb::ApproveAlways => self.requests.decide(&action, true, true).await,
                Verb::Deny => self.requests.decide(&action, false, false).await,
                Verb::Refresh => self.requests.view(&action).await,
                Verb::Revoke => self.revoke_clicked(&action).await,
                Verb::Page => self.page_clicked(&action).await,
                Verb::Extend => self.extend(&action).await,
            }
        })
    }

    fn installed(&self, sender: Sender, place: Place) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let first = {
                let mut greeted = self
                    .greeted
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let now = std::time::Instant::now();
                greeted.retain(|_, at| now.duration_since(*at) < GREET_AT_MOST_EVERY);
                greeted.insert(sender.user.key(), now).is_none()
            };
            if first {
                self.say(&place, &replies::greeting(sender.display_name.as_deref()))
                    .await;
            }
        })
    }
}

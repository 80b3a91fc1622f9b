//! The dialogue of a request: understand the message against the catalog (through intake),
//! take it as the reason an earlier request waits for, ask which one when several resources fit
//! (the click continues the same request), and answer what is not a request for access. Every
//! understood request is audited, without the message's text (people paste anything into
//! chat, passwords included); `deciding` takes an understood request on from there.

use chrono::Utc;
use serde_json::{Value, json};

use super::Conversation;
use super::deciding::{Asking, self_service_reply};
use super::dialogue::{AnswerRefused, Clarification};
use super::replies;
use super::revoking::quoted_revocation;
use crate::audit::{AuditKind, NewRecord};
use crate::domain::chat::{Channel, ChatAction, ChatMessage, EntraUser, Message, Place};
use crate::domain::resource::{Access, ResourceKind};
use crate::intent::{AccessRequest, Asker, Change, Intent, ResourceRef, Terms, level_meeting};

/// How long a message waits for the first catalog sync before it is answered "still loading".
pub(super) const WAIT_FOR_CATALOG: std::time::Duration = std::time::Duration::from_secs(30);

impl Conversation {
    /// Handles a message that is not one of the conversation's commands. The ways a request
    /// goes on from here (deciding, starting, recovering, revoking) are boxed: they are most of
    /// this future's size (12 of 14 KB), and most messages take none of them, yet every one
    /// would carry and copy it whole.
    pub(super) async fn request(&self, message: &ChatMessage, entra: &EntraUser) {
        let upn = self.name_of(entra).await;
        let who = message.sender.user.key();
        let now = Utc::now();
        // A message that comes in while the first catalog sync runs waits for it, for a while.
        let loaded = self.catalog.status().has_catalog()
            || tokio::time::timeout(WAIT_FOR_CATALOG, self.catalog.loaded())
                .await
                .is_ok();
        if !loaded {
            self.say(&message.place, &replies::catalog_loading()).await;
            return;
        }
        if asks_for_standing_approvals(&message.text) {
            let mine = self.requests.standing_of(&upn);
            self.say(&message.place, &replies::standing_approvals(&mine))
                .await;
            return;
        }
        if let Some(id) = quoted_revocation(&message.text) {
            Box::pin(self.revoke_by_id(&message.place, &upn, entra, &id)).await;
            return;
        }
        // Colleagues mentioned in Slack are named by address, which the parser knows them by.
        let text = match message.sender.user.channel {
            Channel::Slack => {
                let team = &message.sender.user.tenant;
                super::name_slack_mentions(&message.text, team, self.port.as_ref()).await
            }
            Channel::Teams => message.text.clone(),
        };
        let catalog = self.catalog.current();
        let intent = self
            .intake
            .understand(&text, Asker { upn: &upn, now }, &catalog);

        // A reason owed for an earlier request: this message is it, unless it asks for
        // something new itself.
        match self.dialogue.take_awaiting(&who, now) {
            Ok(Some(mut waiting)) if matches!(intent, Intent::Unknown { .. }) => {
                waiting.terms.reason = Some(message.text.trim().chars().take(500).collect());
                let asking = Asking {
                    place: &message.place,
                    upn: &upn,
                    user: &message.sender.user,
                    origin: &message.id,
                };
                Box::pin(self.proceed(&asking, Some(&entra.id), waiting)).await;
                return;
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "cannot read a request waiting for its reason"),
        }

        self.audit_understood(&upn, &intent);
        let decided = self
            .self_service_verdict(&upn, &message.sender.user, &intent, now)
            .await;
        if matches!(
            intent,
            Intent::ResetPassword { .. } | Intent::UnlockAccount { .. } | Intent::RecoverMfa { .. }
        ) {
            let (place, user) = (&message.place, &message.sender.user);
            Box::pin(self.recover_own(place, &upn, user, &intent, decided, &message.id)).await;
            return;
        }
        let verdict = decided.as_ref().map(|decided| &decided.decision);
        let own = match &intent {
            Intent::ShareCalendar {
                with: Some(with),
                access,
                terms,
            } => Some(self.own_mailbox_request(ResourceKind::Calendar, with, *access, terms)),
            Intent::ForwardMail {
                to: Some(to),
                terms,
            } => Some(self.own_mailbox_request(ResourceKind::Forwarding, to, Access::Read, terms)),
            Intent::ChangeAlias {
                address: Some(address),
            } => Some(AccessRequest {
                change: Change::Grant,
                resource: ResourceRef {
                    kind: ResourceKind::Address,
                    id: address.to_lowercase(),
                    name: address.to_lowercase(),
                },
                access: Access::Owner,
                terms: Terms::default(),
            }),
            _ => None,
        };
        if let (Some(request), Some(decided)) = (own, &decided) {
            if decided.decision.is_allow() {
                Box::pin(self.proceed_own(
                    &message.place,
                    &upn,
                    &message.sender.user,
                    request,
                    decided.clone(),
                    &message.id,
                ))
                .await;
                return;
            }
        }
        match intent {
            Intent::Access(request) => {
                let asking = Asking {
                    place: &message.place,
                    upn: &upn,
                    user: &message.sender.user,
                    origin: &message.id,
                };
                Box::pin(self.proceed(&asking, Some(&entra.id), request)).await
            }
            Intent::Clarify {
                change,
                candidates,
                terms,
            } => {
                let question = Clarification {
                    asker: who,
                    entra_id: entra.id.clone(),
                    upn,
                    change,
                    candidates,
                    terms,
                    asked_at: now,
                    chosen: None,
                };
                self.ask_which(&message.place, &question).await
            }
            Intent::Unknown { query, suggestions } => {
                let suggestions: Vec<String> = suggestions
                    .iter()
                    .map(|found| self.describe(found))
                    .collect();
                self.say(&message.place, &replies::not_found(&query, &suggestions))
                    .await;
            }
            Intent::Help => self.say(&message.place, &replies::help()).await,
            self_service @ (Intent::ResetPassword { .. }
            | Intent::UnlockAccount { .. }
            | Intent::RecoverMfa { .. }
            | Intent::ShareCalendar { .. }
            | Intent::ForwardMail { .. }
            | Intent::ChangeAlias { .. }) => {
                self.say(&message.place, &self_service_reply(&self_service, verdict))
                    .await
            }
            Intent::ListAccess => {
                let mine = self.requests.of(&upn);
                self.say(&message.place, &replies::my_access(&mine)).await
            }
            Intent::WhoHasAccess { resource } => {
                let answer = self.who_has_access(&upn, &resource).await;
                self.say(&message.place, &answer).await
            }
            Intent::Status => {
                let mine = self.requests.of(&upn);
                let to_decide = self.requests.awaiting_decision_of(&upn);
                self.say(&message.place, &replies::my_requests(&mine, &to_decide))
                    .await
            }
        }
    }

    /// A change to the requester's own mailbox as a request: the resource is the colleague or
    /// address it is for (their address is its id, their name its name).
    fn own_mailbox_request(
        &self,
        kind: ResourceKind,
        address: &str,
        access: Access,
        terms: &Terms,
    ) -> AccessRequest {
        let catalog = self.catalog.current();
        let person = catalog.person_by_address(address);
        // The same address intake checked.
        let id = catalog.delivery_address(address);
        let name = person.map_or_else(|| address.to_owned(), |person| person.display_name.clone());
        AccessRequest {
            change: Change::Grant,
            resource: ResourceRef { kind, id, name },
            access,
            terms: terms.clone(),
        }
    }

    /// Who holds a shared mailbox's permissions, for its owners only, as Exchange says now.
    async fn who_has_access(&self, upn: &str, named: &ResourceRef) -> Message {
        let catalog = self.catalog.current();
        let Some(resource) = catalog.get(named.kind, &named.id) else {
            return replies::not_found(&named.name, &[]);
        };
        let described = resource.describe();
        let owns = resource.owners.iter().any(|owner| {
            owner
                .upn
                .as_deref()
                .is_some_and(|owner| owner.eq_ignore_ascii_case(upn))
        });
        if !owns {
            return replies::only_owners_see_holders(&described);
        }
        let Some(mailbox) = resource
            .mail
            .as_deref()
            .filter(|_| resource.kind == ResourceKind::Mailbox)
        else {
            return replies::holders_not_shown(&described);
        };
        match self.mailboxes.delegates(mailbox).await {
            Ok(delegates) => replies::holders(&described, &delegates),
            Err(error) => {
                tracing::warn!(%error, "a mailbox's delegates could not be read");
                replies::holders_unreadable(&described)
            }
        }
    }

    /// Asks which of several resources the person means, with a button for each.
    async fn ask_which(&self, place: &Place, question: &Clarification) {
        let labels: Vec<(String, usize)> = question
            .candidates
            .iter()
            .enumerate()
            .map(|(choice, candidate)| (self.label(candidate), choice))
            .collect();
        match self.dialogue.ask(question) {
            Ok(id) => self.say(place, &replies::which_one(&id, &labels)).await,
            Err(error) => {
                tracing::error!(%error, "cannot keep a question");
                self.say(place, &replies::trouble()).await;
            }
        }
    }

    /// A click on a "which one do you mean?" button. Answers with the card to show instead of
    /// the question, or `None` to leave it as it is.
    pub(super) async fn choose(&self, action: &ChatAction) -> Option<Message> {
        let question = action.data.get("question").and_then(Value::as_str);
        let choice = action
            .data
            .get("choice")
            .and_then(Value::as_u64)
            .and_then(|choice| usize::try_from(choice).ok());
        let (Some(question), Some(choice)) = (question, choice) else {
            self.say(&action.place, &replies::inactive_button()).await;
            return None;
        };
        let who = action.sender.user.key();
        let answered = match self
            .dialogue
            .answer(question, &who, choice, Utc::now())
            .await
        {
            Ok(answered) => answered,
            Err(error) => {
                tracing::error!(%error, "cannot record an answer");
                self.say(&action.place, &replies::trouble()).await;
                return None;
            }
        };
        let clarification = match answered {
            Ok(clarification) => clarification,
            Err(refused) => {
                let reply = match refused {
                    AnswerRefused::NotYours => replies::not_your_question(),
                    AnswerRefused::AlreadyAnswered => replies::already_answered(),
                    AnswerRefused::Expired => replies::question_expired(),
                    AnswerRefused::Unknown | AnswerRefused::NoSuchChoice => {
                        replies::inactive_button()
                    }
                };
                self.say(&action.place, &reply).await;
                return None;
            }
        };
        let resource = clarification.candidates.get(choice).cloned()?;
        let label = self.describe(&resource);
        let access = level_meeting(resource.kind, &clarification.terms.access_words)
            .unwrap_or_else(|| resource.kind.default_access());
        let request = AccessRequest {
            change: clarification.change,
            resource,
            access,
            terms: clarification.terms,
        };
        self.audit_understood(&clarification.upn, &Intent::Access(request.clone()));
        let asking = Asking {
            place: &action.place,
            upn: &clarification.upn,
            user: &action.sender.user,
            origin: &action.id,
        };
        let person = action.sender.entra.as_ref().map(|entra| entra.id.as_str());
        self.proceed(&asking, person, request).await;
        Some(replies::chosen(&label))
    }

    /// "the Finance site (SharePoint)", from the catalog when it still holds the resource.
    pub(super) fn describe(&self, resource: &ResourceRef) -> String {
        if resource.kind.is_self_service() {
            return resource.short_name();
        }
        self.catalog
            .current()
            .get(resource.kind, &resource.id)
            .map(|entry| entry.describe())
            .unwrap_or_else(|| format!("the {} {}", resource.name, resource.kind.label()))
    }

    /// A button's label: "Marketing (team)", "Documents (library of Finance)".
    fn label(&self, resource: &ResourceRef) -> String {
        let catalog = self.catalog.current();
        let parent = catalog
            .get(resource.kind, &resource.id)
            .and_then(|entry| entry.parent.as_ref().map(|parent| parent.name.clone()));
        match (resource.kind, parent) {
            (ResourceKind::Library | ResourceKind::Channel, Some(parent)) => {
                format!("{} ({} of {parent})", resource.name, resource.kind.label())
            }
            (kind, _) => format!("{} ({})", resource.name, kind.label()),
        }
    }

    /// Audits what a message was understood as. A message that asked for nothing Doorman
    /// knows and got no suggestion back (a greeting, thanks, small talk: most of what a bot is
    /// sent) led to no decision and disclosed nothing, so it is counted rather than audited:
    /// the trail is of access, not a log of who chatted with the bot. A suggestion names
    /// resources, so a message that got one is audited.
    fn audit_understood(&self, upn: &str, intent: &Intent) {
        if matches!(intent, Intent::Unknown { suggestions, .. } if suggestions.is_empty()) {
            self.not_understood.inc();
            return;
        }
        let mut data = intent.to_json();
        // The reason is the person's own text: its presence is what the trail needs.
        if let Some(object) = data.as_object_mut() {
            if let Some(reason) = object.remove("reason") {
                object.insert("has_reason".into(), json!(reason.is_string()));
            }
            object.remove("query");
        }
        let record = NewRecord {
            request_id: None,
            kind: AuditKind::Understood,
            actor: upn.to_owned(),
            data,
        };
        // What was understood guards no side effect by itself: the request it leads to is
        // audited, durably, before anything is changed, and that flush carries this record.
        if let Err(error) = self.audit.append_soon(record) {
            tracing::error!(%error, "cannot audit an understood request");
        }
    }
}

/// "My standing approvals", "list standing approvals", "withdraw a standing approval".
fn asks_for_standing_approvals(text: &str) -> bool {
    let text = text.to_lowercase();
    text.contains("standing approval") || text.contains("approve always")
}

#[cfg(test)]
mod tests {
    use super::asks_for_standing_approvals;

    #[test]
    fn standing_approvals_are_asked_for_by_name() {
        assert!(asks_for_standing_approvals("my standing approvals"));
        assert!(asks_for_standing_approvals("Withdraw a standing approval"));
        assert!(!asks_for_standing_approvals("add me to VPN Users"));
    }
}

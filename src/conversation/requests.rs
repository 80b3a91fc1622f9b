//! The dialogue of a request: understand the message against the catalog, say back in one line
//! what was understood, ask which one when several resources fit (the click continues the same
//! request), and ask for a reason when the policy needs one.
//!
//! Every understood request is decided by the policy engine and the person is told, in a
//! sentence or two, what policy decided and why; until provisioning exists nothing is changed. Every understood request is audited, without the message's text (people
//! paste anything into chat, passwords included).

use chrono::Utc;
use serde_json::{Value, json};

use super::Conversation;
use super::dialogue::{AnswerRefused, Clarification};
use super::replies;
use crate::approval::{Clicker, StageError};
use crate::audit::{AuditKind, NewRecord};
use crate::domain::chat::{ChatAction, ChatMessage, ChatUser, EntraUser, Message, Place};
use crate::domain::request::Requester as RequestRequester;
use crate::domain::resource::ResourceKind;
use crate::intake::Decided;
use crate::intent::{AccessRequest, Asker, Change, Intent, ResourceRef, level_meeting};
use crate::policy::Decision;
use crate::provision;
use crate::requests::StartError;

/// How long a message waits for the first catalog sync before it is answered "still loading".
const WAIT_FOR_CATALOG: std::time::Duration = std::time::Duration::from_secs(30);

impl Conversation {
    /// Handles a message that is not one of the conversation's commands.
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
            self.revoke_by_id(&message.place, &upn, entra, &id).await;
            return;
        }
        let catalog = self.catalog.current();
        let intent = self
            .intake
            .understand(&message.text, Asker { upn: &upn, now }, &catalog);

        // A reason owed for an earlier request: this message is it, unless it asks for
        // something new itself.
        match self.dialogue.take_awaiting(&who, now) {
            Ok(Some(mut waiting)) if matches!(intent, Intent::Unknown { .. }) => {
                waiting.terms.reason = Some(message.text.trim().chars().take(500).collect());
                self.proceed(
                    &message.place,
                    &upn,
                    &message.sender.user,
                    waiting,
                    &message.id,
                )
                .await;
                return;
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "cannot read a request waiting for its reason"),
        }

        self.audit_understood(&upn, &intent);
        let verdict = self
            .self_service_verdict(&upn, &message.sender.user, &intent, now)
            .await;
        let verdict = verdict.as_ref();
        match intent {
            Intent::Access(request) => {
                self.proceed(
                    &message.place,
                    &upn,
                    &message.sender.user,
                    request,
                    &message.id,
                )
                .await
            }
            Intent::Clarify {
                change,
                candidates,
                terms,
            } => {
                let labels: Vec<(String, usize)> = candidates
                    .iter()
                    .enumerate()
                    .map(|(choice, candidate)| (self.label(candidate), choice))
                    .collect();
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
                match self.dialogue.ask(&question) {
                    Ok(id) => {
                        self.say(&message.place, &replies::which_one(&id, &labels))
                            .await
                    }
                    Err(error) => {
                        tracing::error!(%error, "cannot keep a question");
                        self.say(&message.place, &replies::trouble()).await;
                    }
                }
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
            Intent::ResetPassword { on_behalf_of }
            | Intent::UnlockAccount { on_behalf_of }
            | Intent::RecoverMfa { on_behalf_of }
                if on_behalf_of.is_some() =>
            {
                let other = on_behalf_of.unwrap_or_default();
                self.say(&message.place, &replies::only_for_yourself(&other))
                    .await;
            }
            Intent::ResetPassword { .. } => {
                self.say(
                    &message.place,
                    &replies::self_service("you need a password reset", verdict),
                )
                .await
            }
            Intent::UnlockAccount { .. } => {
                self.say(
                    &message.place,
                    &replies::self_service("your account is locked", verdict),
                )
                .await
            }
            Intent::RecoverMfa { .. } => {
                self.say(
                    &message.place,
                    &replies::self_service(
                        "you need to set up multi-factor sign-in again",
                        verdict,
                    ),
                )
                .await
            }
            Intent::ShareCalendar { with, access, .. } => {
                let what = match with {
                    Some(with) => format!("share your calendar ({}) with {with}", access.label()),
                    None => "share your calendar, but with whom? Name the person".to_owned(),
                };
                self.say(&message.place, &replies::self_service(&what, verdict))
                    .await
            }
            Intent::ForwardMail { to, .. } => {
                let what = match to {
                    Some(to) => format!("forward your mail to {to}"),
                    None => "forward your mail, but to whom? Name the person".to_owned(),
                };
                self.say(&message.place, &replies::self_service(&what, verdict))
                    .await
            }
            Intent::ListAccess => {
                let mine = self.requests.of(&upn);
                self.say(&message.place, &replies::my_access(&mine)).await
            }
            Intent::Status => {
                let mine = self.requests.of(&upn);
                self.say(&message.place, &replies::my_requests(&mine)).await
            }
        }
    }

    /// "Revoke R-7K3QX2": the requester or an owner ends a grant by its id.
    async fn revoke_by_id(&self, place: &Place, upn: &str, entra: &EntraUser, id: &str) {
        let by = Clicker {
            entra_id: entra.id.clone(),
            upn: upn.to_lowercase(),
        };
        if let Err(refused) = self.requests.revoke(id, &by, place).await {
            self.say(place, &Message::text(refused.sentence(id))).await;
        }
    }

    /// "Remove me from X": the grants Doorman made the person on X end now.
    async fn revoke_own(
        &self,
        place: &Place,
        upn: &str,
        user: &ChatUser,
        request: &AccessRequest,
        line: &str,
    ) {
        let entra_id = match self.identity.entra_of(user) {
            Ok(Some(entra)) => entra.id,
            Ok(None) | Err(_) => {
                self.say(place, &replies::trouble()).await;
                return;
            }
        };
        let by = Clicker {
            entra_id,
            upn: upn.to_lowercase(),
        };
        let resource = &request.resource;
        let theirs: Vec<String> = self
            .requests
            .of(upn)
            .into_iter()
            .filter(|record| crate::requests::revocable(&record.state))
            .filter(|record| {
                (record.resource.kind == resource.kind && record.resource.id == resource.id)
                    || (resource.kind == ResourceKind::Group
                        && record.group_id.as_deref() == Some(resource.id.as_str()))
            })
            .map(|record| record.id)
            .collect();
        if theirs.is_empty() {
            self.say(place, &replies::nothing_to_remove(line)).await;
            return;
        }
        for id in theirs {
            if let Err(refused) = self.requests.revoke(&id, &by, place).await {
                self.say(place, &Message::text(refused.sentence(&id))).await;
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
        self.proceed(
            &action.place,
            &clarification.upn,
            &action.sender.user,
            request,
            &action.id,
        )
        .await;
        Some(replies::chosen(&label))
    }

    /// Says back what was understood and what policy decided, or asks for what is missing.
    /// `origin` is the id of the delivery that asked (a message, or a click).
    async fn proceed(
        &self,
        place: &Place,
        upn: &str,
        user: &ChatUser,
        request: AccessRequest,
        origin: &str,
    ) {
        let who = user.key();
        let who = who.as_str();
        if let Some(other) = &request.terms.on_behalf_of {
            self.say(place, &replies::only_for_yourself(other)).await;
            return;
        }
        let now = Utc::now();
        let line = replies::restatement(&request, &self.describe(&request.resource), now);
        // The rate limit counts people, whichever platform they ask from.
        let person = upn.to_lowercase();
        let recent = match self.rate.recent(&person, now) {
            Ok(recent) => recent,
            Err(error) => {
                tracing::error!(%error, "cannot read request counts");
                self.say(place, &replies::trouble()).await;
                return;
            }
        };
        let catalog = self.catalog.current();
        let intent = Intent::Access(request.clone());
        let Decided { decision, profile } = match self
            .intake
            .decide(
                &catalog,
                upn,
                self.port.home_tenant(user).as_deref(),
                &intent,
                recent,
                now,
            )
            .await
        {
            Ok(Some(decided)) => decided,
            Ok(None) => {
                tracing::error!("policy had nothing to decide on an access request");
                self.say(place, &replies::trouble()).await;
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot read the requester to decide");
                self.say(place, &replies::policy_unavailable(&line)).await;
                return;
            }
        };
        if let Decision::Allow(grant) = &decision {
            if grant.needs_reason && request.change == Change::Grant {
                match self.dialogue.await_reason(who, &request) {
                    Ok(()) => self.say(place, &replies::reason_needed(&line)).await,
                    Err(error) => {
                        tracing::error!(%error, "cannot keep a request waiting for its reason");
                        self.say(place, &replies::trouble()).await;
                    }
                }
                return;
            }
        }
        if let Err(error) = self.rate.record(&person, now) {
            tracing::error!(%error, "cannot count a request");
        }
        let subject = json!({
            "action": request.change,
            "resource": {
                "kind": request.resource.kind,
                "id": request.resource.id,
                "name": request.resource.name,
            },
        });
        self.audit_decided(upn, subject, &decision);
        tracing::info!(
            requester = upn,
            action = ?request.change,
            kind = %request.resource.kind,
            resource = %request.resource.id,
            access = %request.access,
            allowed = decision.is_allow(),
            "request decided"
        );
        if request.change == Change::Revoke && decision.is_allow() {
            self.revoke_own(place, upn, user, &request, &line).await;
            return;
        }
        let grant = match &decision {
            Decision::Allow(grant)
                if request.change == Change::Grant
                    && grant.access.is_some_and(|access| {
                        provision::supports(request.resource.kind, access)
                    }) =>
            {
                grant
            }
            _ => {
                self.say(
                    place,
                    &replies::decided(&line, &decision, request.resource.kind, request.change),
                )
                .await;
                return;
            }
        };
        // A requester whose account name could not be read is not started: the approver checks
        // compare names as well as ids, and a name must be a name.
        if !upn.contains('@') {
            self.say(place, &replies::trouble()).await;
            return;
        }
        let entra_id = match self.identity.entra_of(user) {
            Ok(Some(entra)) => entra.id,
            Ok(None) | Err(_) => {
                self.say(place, &replies::trouble()).await;
                return;
            }
        };
        let requester = RequestRequester {
            upn: upn.to_lowercase(),
            entra_id,
            chat_user: user.clone(),
            place: place.clone(),
            display_name: profile
                .as_ref()
                .and_then(|known| known.display_name.clone()),
            department: profile
                .as_ref()
                .and_then(|known| known.requester.department.clone()),
            job_title: profile.and_then(|known| known.job_title),
        };
        let sentence = decision.sentence();
        let started = self
            .requests
            .start(
                requester,
                &request,
                grant,
                sentence.clone(),
                None,
                Some(&format!("{}|{origin}", user.key())),
            )
            .await;
        match started {
            Ok(record) => {
                self.say(place, &replies::started(&line, &sentence, &record))
                    .await;
                self.requests.advance(&record.id).await;
            }
            Err(StartError::NotProvisionable(why)) => {
                self.say(place, &replies::cannot_carry_out(&line, &sentence, &why))
                    .await;
            }
            Err(StartError::Stages(StageError::AmbiguousGroup(group))) => {
                self.say(place, &replies::ambiguous_approvers(&line, &group))
                    .await;
            }
            Err(StartError::Stages(StageError::NoApprovers(stage))) => {
                self.say(place, &replies::no_approvers(&line, &stage)).await;
            }
            Err(StartError::Stages(StageError::ShortOfQuorum {
                stage,
                quorum,
                people,
            })) => {
                self.say(
                    place,
                    &replies::short_of_quorum(&line, &stage, quorum, people),
                )
                .await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot start a request");
                self.say(place, &replies::trouble()).await;
            }
        }
    }

    /// What policy says about a self-service action, decided and audited; `None` for intents
    /// policy does not govern, or when the directory cannot be read (the reply says nothing
    /// about policy then).
    async fn self_service_verdict(
        &self,
        upn: &str,
        user: &ChatUser,
        intent: &Intent,
        now: chrono::DateTime<Utc>,
    ) -> Option<Decision> {
        let governed = match intent {
            Intent::ResetPassword { on_behalf_of }
            | Intent::UnlockAccount { on_behalf_of }
            | Intent::RecoverMfa { on_behalf_of } => on_behalf_of.is_none(),
            Intent::ShareCalendar { with, .. } => with.is_some(),
            Intent::ForwardMail { to, .. } => to.is_some(),
            _ => false,
        };
        if !governed {
            return None;
        }
        let catalog = self.catalog.current();
        let recent = self.rate.recent(&upn.to_lowercase(), now).unwrap_or(0);
        match self
            .intake
            .decide(
                &catalog,
                upn,
                self.port.home_tenant(user).as_deref(),
                intent,
                recent,
                now,
            )
            .await
        {
            Ok(Some(Decided { decision, .. })) => {
                self.audit_decided(upn, json!({ "action": intent.action() }), &decision);
                Some(decision)
            }
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "cannot read the requester to decide");
                None
            }
        }
    }

    /// Appends the decision, its trail and what it was about (`subject`) to the audit trail.
    fn audit_decided(&self, upn: &str, subject: Value, decision: &Decision) {
        let mut data = decision.to_json();
        if let (Some(object), Value::Object(subject)) = (data.as_object_mut(), subject) {
            object.extend(subject);
        }
        let record = NewRecord {
            request_id: None,
            kind: AuditKind::Decided,
            actor: upn.to_owned(),
            data,
        };
        if let Err(error) = self.audit.append(record) {
            tracing::error!(%error, "cannot audit a decision");
        }
    }

    /// "the Finance site (SharePoint)", from the catalog when it still holds the resource.
    fn describe(&self, resource: &ResourceRef) -> String {
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

    fn audit_understood(&self, upn: &str, intent: &Intent) {
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
        if let Err(error) = self.audit.append(record) {
            tracing::error!(%error, "cannot audit an understood request");
        }
    }
}

/// The request id of a message that only asks to end one ("revoke R-7K3QX2", "remove
/// R-7K3QX2", "end r-7k3qx2").
fn quoted_revocation(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    let verb = words.next()?.to_lowercase();
    let id = words.next()?.trim_end_matches(['.', '!']);
    if words.next().is_some() || !matches!(verb.as_str(), "revoke" | "remove" | "end") {
        return None;
    }
    let id = id.to_uppercase();
    let valid =
        id.len() == 8 && id.starts_with("R-") && id[2..].chars().all(|c| c.is_ascii_alphanumeric());
    valid.then_some(id)
}

/// "My standing approvals", "list standing approvals", "withdraw a standing approval".
fn asks_for_standing_approvals(text: &str) -> bool {
    let text = text.to_lowercase();
    text.contains("standing approval") || text.contains("approve always")
}

#[cfg(test)]
mod tests {
    use super::{asks_for_standing_approvals, quoted_revocation};

    #[test]
    fn standing_approvals_are_asked_for_by_name() {
        assert!(asks_for_standing_approvals("my standing approvals"));
        assert!(asks_for_standing_approvals("Withdraw a standing approval"));
        assert!(!asks_for_standing_approvals("add me to VPN Users"));
    }

    #[test]
    fn only_a_bare_verb_and_request_id_is_a_revocation_by_id() {
        assert_eq!(
            quoted_revocation("revoke R-7K3QX2"),
            Some("R-7K3QX2".into())
        );
        assert_eq!(
            quoted_revocation("  End r-7k3qx2. "),
            Some("R-7K3QX2".into())
        );
        assert_eq!(quoted_revocation("remove me from VPN Users"), None);
        assert_eq!(quoted_revocation("revoke R-7K3QX2 please"), None);
        assert_eq!(quoted_revocation("revoke R-7K3"), None);
        assert_eq!(quoted_revocation("approve R-7K3QX2"), None);
    }
}

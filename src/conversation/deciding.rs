//! From an understood request to a started one: policy decides (with the requester's facts
//! from the directory, through intake), a reason is asked for when policy needs one, the
//! decision is audited and said back in a sentence or two, and an allowed grant is started.
//! Every decision is audited, without the message's text (people paste anything into chat,
//! passwords included).

use chrono::Utc;
use serde_json::{Value, json};

use super::Conversation;
use super::replies;
use crate::approval::StageError;
use crate::audit::{AuditKind, NewRecord};
use crate::directory::Profile;
use crate::domain::chat::{ChatUser, Message, Place};
use crate::domain::request::Requester as RequestRequester;
use crate::intake::Decided;
use crate::intent::{AccessRequest, Change, Intent};
use crate::policy::{Decision, Grant};
use crate::provision;
use crate::requests::StartError;

impl Conversation {
    /// Says back what was understood and what policy decided, or asks for what is missing.
    /// `origin` is the id of the delivery that asked (a message, or a click).
    /// `requester_id` is the requester's directory object id when the chat service vouched for it
    /// (Teams' `aadObjectId`, a linked Slack account): whether they already have what they ask
    /// for is then read while the directory is read and policy decides.
    pub(super) async fn proceed(
        &self,
        asking: &Asking<'_>,
        requester_id: Option<&str>,
        request: AccessRequest,
    ) {
        let Asking {
            place,
            upn,
            user,
            origin: _,
        } = *asking;
        let who = user.key();
        let who = who.as_str();
        if let Some(other) = &request.terms.on_behalf_of {
            self.say(place, &replies::only_for_yourself(other, request.change))
                .await;
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
        if let Some(requester_id) = requester_id {
            self.requests.read_ahead(&request, requester_id);
        }
        let catalog = self.catalog.current();
        let intent = Intent::Access(request.clone());
        let Decided {
            decision, profile, ..
        } = match self
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
                self.say(place, &replies::decided(&line, &decision, request.change))
                    .await;
                return;
            }
        };
        self.start(asking, &request, grant, profile, decision.sentence(), &line)
            .await;
    }

    /// Starts a change to the requester's own mailbox that policy allowed (`decided`): a
    /// calendar share or a forwarding rule, carried out with their own token, time-bound and
    /// taken back like any grant.
    pub(super) async fn proceed_own(
        &self,
        place: &Place,
        upn: &str,
        user: &ChatUser,
        request: AccessRequest,
        decided: Decided,
        origin: &str,
    ) {
        let now = Utc::now();
        let line = replies::restatement(&request, &request.resource.name, now);
        let Decision::Allow(grant) = &decided.decision else {
            return;
        };
        if let Err(error) = self.rate.record(&upn.to_lowercase(), now) {
            tracing::error!(%error, "cannot count a request");
        }
        let asking = Asking {
            place,
            upn,
            user,
            origin,
        };
        let sentence = decided.decision.sentence();
        self.start(&asking, &request, grant, decided.profile, sentence, &line)
            .await;
    }

    /// The requester as a request keeps them: their account (verified by the chat service),
    /// where they asked, and how the directory describes them; `None` (and they are told) when
    /// their account cannot be read. A name must be a name: approver checks compare names as
    /// well as ids.
    pub(super) async fn requester_of(
        &self,
        place: &Place,
        upn: &str,
        user: &ChatUser,
        profile: Option<Profile>,
    ) -> Option<RequestRequester> {
        let entra = match self.identity.entra_of(user) {
            Ok(Some(entra)) if upn.contains('@') => entra,
            _ => {
                self.say(place, &replies::trouble()).await;
                return None;
            }
        };
        let profile = profile.unwrap_or_default();
        Some(RequestRequester {
            upn: upn.to_lowercase(),
            entra_id: entra.id,
            chat_user: user.clone(),
            place: place.clone(),
            display_name: profile.display_name,
            department: profile.requester.department,
            job_title: profile.job_title,
        })
    }

    /// Starts an allowed request: cards to its approvers, or straight to carrying it out.
    async fn start(
        &self,
        asking: &Asking<'_>,
        request: &AccessRequest,
        grant: &Grant,
        profile: Option<Profile>,
        sentence: String,
        line: &str,
    ) {
        let Asking {
            place,
            upn,
            user,
            origin,
        } = *asking;
        let Some(requester) = self.requester_of(place, upn, user, profile).await else {
            return;
        };
        let started = self
            .requests
            .start(
                requester,
                request,
                grant,
                sentence.clone(),
                None,
                Some(&format!("{}|{origin}", user.key())),
            )
            .await;
        match started {
            Ok(record) => {
                self.say(place, &replies::started(line, &sentence, &record))
                    .await;
                self.requests.advance(&record.id).await;
            }
            Err(StartError::NotProvisionable(why)) => {
                self.say(place, &replies::cannot_carry_out(line, &sentence, &why))
                    .await;
            }
            Err(StartError::Stages(StageError::AmbiguousGroup(group))) => {
                self.say(place, &replies::ambiguous_approvers(line, &group))
                    .await;
            }
            Err(StartError::Stages(StageError::NoApprovers(stage))) => {
                self.say(place, &replies::no_approvers(line, &stage)).await;
            }
            Err(StartError::Stages(StageError::ShortOfQuorum {
                stage,
                quorum,
                people,
            })) => {
                self.say(
                    place,
                    &replies::short_of_quorum(line, &stage, quorum, people),
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
    pub(super) async fn self_service_verdict(
        &self,
        upn: &str,
        user: &ChatUser,
        intent: &Intent,
        now: chrono::DateTime<Utc>,
    ) -> Option<Decided> {
        let governed = match intent {
            // Someone else's account too: policy refuses it, and the refusal is audited.
            Intent::ResetPassword { .. }
            | Intent::UnlockAccount { .. }
            | Intent::RecoverMfa { .. } => true,
            Intent::ShareCalendar { with, .. } => with.is_some(),
            Intent::ForwardMail { to, .. } => to.is_some(),
            Intent::ChangeAlias { address } => address.is_some(),
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
            Ok(Some(decided)) => {
                self.audit_decided(upn, json!({ "action": intent.action() }), &decided.decision);
                Some(decided)
            }
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "cannot read the requester to decide");
                None
            }
        }
    }

    /// Appends the decision, its trail and what it was about (`subject`) to the audit trail.
    pub(super) fn audit_decided(&self, upn: &str, subject: Value, decision: &Decision) {
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
}

/// Who asks, in which conversation, and by which delivery (a message, or a click).
#[derive(Clone, Copy)]
pub(super) struct Asking<'a> {
    pub place: &'a Place,
    pub upn: &'a str,
    pub user: &'a ChatUser,
    pub origin: &'a str,
}

/// What Doorman says to a self-service request (a password reset, an unlock, MFA recovery,
/// calendar sharing, mail forwarding), with what policy said of it when it decided.
pub(super) fn self_service_reply(intent: &Intent, verdict: Option<&Decision>) -> Message {
    match intent {
        Intent::ResetPassword { on_behalf_of }
        | Intent::UnlockAccount { on_behalf_of }
        | Intent::RecoverMfa { on_behalf_of }
            if on_behalf_of.is_some() =>
        {
            replies::only_for_yourself(on_behalf_of.as_deref().unwrap_or_default(), Change::Grant)
        }
        Intent::ResetPassword { .. } => replies::self_service("you need a password reset", verdict),
        Intent::UnlockAccount { .. } => replies::self_service("your account is locked", verdict),
        Intent::RecoverMfa { .. } => {
            replies::self_service("you need to set up multi-factor sign-in again", verdict)
        }
        Intent::ShareCalendar {
            with: Some(with),
            access,
            ..
        } => replies::self_service(
            &format!("share your calendar ({}) with {with}", access.label()),
            verdict,
        ),
        Intent::ShareCalendar { with: None, .. } => replies::name_the_person(
            "share your calendar with",
            "share my calendar with priya.nair@contoso.com, free/busy only",
        ),
        Intent::ForwardMail { to: Some(to), .. } => {
            replies::self_service(&format!("forward your mail to {to}"), verdict)
        }
        Intent::ChangeAlias {
            address: Some(address),
        } => replies::self_service(
            &format!("make {address} your primary email address, keeping the old one"),
            verdict,
        ),
        Intent::ChangeAlias { address: None } => replies::name_the_address(),
        Intent::ForwardMail { to: None, .. } => replies::name_the_person(
            "forward a copy of your mail to",
            "forward my mail to tom.becker@contoso.com for 2 weeks",
        ),
        _ => replies::help(),
    }
}

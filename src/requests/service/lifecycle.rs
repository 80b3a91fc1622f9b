//! The life of a grant after it is made: its end on the timers, and taking it away when it
//! expires, under the identity DESIGN.md section 3 names for revocation (the grant's acting
//! person while their token works, otherwise the operator; never left in place waiting for a
//! sign-in), read back gone, audited and told.
//!
//! Only what this request made is taken away: a step that found the access already there (the
//! person had it before) is left alone. Taking away is recorded (`Revoking`) before the first
//! removal, so a restart finishes it; every removal is idempotent.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::{Requests, role_of};
use crate::approval::{self, ClickRefused, Clicker};
use crate::audit::AuditKind;
use crate::domain::chat::{BoxFuture, ChatAction, Message, Place};
use crate::domain::request::{EndCause, RequestRecord, State};
use crate::domain::resource::ResourceKind;
use crate::graph::DelegatedToken;
use crate::identity::Role;
use crate::metrics::EndLabels;
use crate::requests::machine::{Effect, Event};
use crate::scheduler::{Job, JobHandler, Outcome};
use crate::store::StoreError;

/// Who revoked, when it was the identity team from the command line.
pub const ADMIN: &str = "the identity team (doorman grants revoke)";

/// When a removal that could not be made (no usable token, Graph refusing) is tried again.
const TRY_AGAIN_IN: TimeDelta = TimeDelta::minutes(1);

/// Why a grant was not taken away on someone's word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevokeRefused {
    /// No such request.
    Unknown,
    /// Only its requester and the resource's owners may end a grant early.
    NotYours,
    /// It is not an active grant (any more): its state says what it is.
    NotActive(&'static str),
}

impl RevokeRefused {
    pub fn sentence(&self, id: &str) -> String {
        match self {
            RevokeRefused::Unknown => format!("I have no request {id}."),
            RevokeRefused::NotYours => format!(
                "Only the person who asked for {id} and the owners of what it grants can end it; nothing was changed."
            ),
            RevokeRefused::NotActive(state) => {
                format!("{id} is not an active grant (it is {state}); nothing was changed.")
            }
        }
    }
}

impl Requests {
    /// Ends an active grant now, on the word of its requester or an owner of the resource (who
    /// is judged from the verified sender, never from card data). `by` is told at `told`
    /// that it is being removed before the removal starts (apart); the requester is told when
    /// it is gone.
    pub async fn revoke(
        self: &Arc<Self>,
        id: &str,
        by: &Clicker,
        told: &Place,
    ) -> Result<RequestRecord, RevokeRefused> {
        let record = match self.get(id) {
            Ok(Some(record)) => record,
            Ok(None) => return Err(RevokeRefused::Unknown),
            Err(error) => {
                tracing::error!(%error, request = id, "cannot read a request to revoke");
                return Err(RevokeRefused::Unknown);
            }
        };
        if !self.may_revoke(&record, by) {
            return Err(RevokeRefused::NotYours);
        }
        self.start_revocation(id, &by.upn, Some(told)).await
    }

    /// Ends an active grant now for the identity team (`doorman grants revoke`, through the
    /// admin listener, which only the host's operators can reach).
    pub async fn revoke_as_admin(
        self: &Arc<Self>,
        id: &str,
    ) -> Result<RequestRecord, RevokeRefused> {
        self.start_revocation(id, ADMIN, None).await
    }

    async fn start_revocation(
        self: &Arc<Self>,
        id: &str,
        by: &str,
        told: Option<&Place>,
    ) -> Result<RequestRecord, RevokeRefused> {
        let lock = self.lock_of(id);
        let _one_at_a_time = lock.lock().await;
        let cause = EndCause::Revoked { by: by.to_owned() };
        // A grant still being made (waiting for a sign-in, or between attempts: its steps
        // are not running, as this holds its lock) is taken away as it stands.
        let ending = Event::Ending {
            cause: cause.clone(),
        };
        let record = match self.apply(id, &ending) {
            Ok(Ok(record)) => record,
            Ok(Err(Some(_))) => match self.get(id) {
                Ok(Some(current)) => return Err(RevokeRefused::NotActive(current.state.label())),
                _ => return Err(RevokeRefused::Unknown),
            },
            Ok(Err(None)) => return Err(RevokeRefused::Unknown),
            Err(error) => {
                tracing::error!(%error, request = id, "cannot record a revocation");
                return Err(RevokeRefused::Unknown);
            }
        };
        let expiry = Job::Expire {
            request: id.to_owned(),
        };
        if let Err(error) = self.scheduler.cancel(&expiry.id()) {
            tracing::warn!(%error, request = id, "cannot drop the grant's end from the timers");
        }
        if let Some(place) = told {
            self.say(place, &approval::removing(&record, by)).await;
        }
        // An extension waiting for approval extends nothing any more.
        if let Some(extension) = self.extension_of(&record) {
            self.withdraw(
                &extension,
                by,
                &format!("{id}, which it would extend, was removed"),
            )
            .await;
        }
        let requests = Arc::clone(self);
        let taken = record.clone();
        let removal = async move {
            let lock = requests.lock_of(&taken.id);
            let _one_at_a_time = lock.lock().await;
            // A removal that cannot be made now is tried again by the minutely resume.
            requests.take_away(taken, cause).await;
        };
        self.run_apart(removal);
        Ok(record)
    }

    /// Ends a request still waiting for approval, because it is not wanted any more: its
    /// cards are closed and the audit says why.
    async fn withdraw(&self, id: &str, by: &str, reason: &str) {
        let withdrawn = Event::Withdrawn {
            by: by.to_owned(),
            reason: reason.to_owned(),
        };
        let transition = match self.apply_with_effects(id, &withdrawn) {
            Ok(Ok(transition)) => transition,
            Ok(Err(_)) => return,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot withdraw a request");
                return;
            }
        };
        let record = transition.record;
        self.audit(
            &record,
            AuditKind::Denied,
            by,
            json!({"withdrawn": true, "has_reason": true}),
        );
        for effect in transition.effects {
            if let Effect::CloseCards { stage } = effect {
                self.close_cards(&record, stage).await;
            }
        }
    }

    /// A click on a grant's Revoke button: the clicker (from the verified envelope) ends it,
    /// if they may; either way they are told beside the card.
    pub async fn revoke_clicked(self: &Arc<Self>, action: &ChatAction) -> Option<Message> {
        if let Some(subject) = action
            .data
            .get("standing")
            .and_then(serde_json::Value::as_str)
        {
            return self.withdraw_standing_clicked(action, subject).await;
        }
        let id = action
            .data
            .get("request")
            .and_then(serde_json::Value::as_str);
        let Some(id) = id else {
            self.say(
                &action.place,
                &Message::text(ClickRefused::Unknown.sentence()),
            )
            .await;
            return None;
        };
        let clicker = self
            .clicker(&action.sender.user, action.sender.entra.as_ref())
            .await;
        let refused = match clicker {
            None => Message::text(ClickRefused::Unidentified.sentence()),
            Some(clicker) => match self.revoke(id, &clicker, &action.place).await {
                Ok(_) => return None,
                Err(refused) => Message::text(refused.sentence(id)),
            },
        };
        self.say(&action.place, &refused).await;
        None
    }

    /// The extension of this grant still in flight, if its requester asked for one.
    pub fn extension_of(&self, record: &RequestRecord) -> Option<String> {
        self.of(&record.requester.upn)
            .into_iter()
            .find(|other| {
                other.extends.as_deref() == Some(record.id.as_str()) && !other.state.is_final()
            })
            .map(|other| other.id)
    }

    /// The requester, or an owner of the resource (or of the group that carries it).
    fn may_revoke(&self, record: &RequestRecord, by: &Clicker) -> bool {
        if by.entra_id.eq_ignore_ascii_case(&record.requester.entra_id)
            || by.upn.eq_ignore_ascii_case(&record.requester.upn)
        {
            return true;
        }
        let catalog = self.catalog.current();
        let owns = |kind: ResourceKind, id: &str| {
            catalog.get(kind, id).is_some_and(|resource| {
                resource.owners.iter().any(|owner| {
                    owner.id.eq_ignore_ascii_case(&by.entra_id)
                        || owner
                            .upn
                            .as_deref()
                            .is_some_and(|upn| upn.eq_ignore_ascii_case(&by.upn))
                })
            })
        };
        owns(record.resource.kind, &record.resource.id)
            || record
                .group_id
                .as_deref()
                .is_some_and(|group| owns(ResourceKind::Group, group))
    }

    /// Now, by the scheduler's clock.
    pub(super) fn now(&self) -> DateTime<Utc> {
        self.scheduler.now()
    }

    /// Puts the grant's end on the timers, and the reminder before it while that is still
    /// ahead (on disk before it returns).
    pub(super) fn schedule_end(&self, record: &RequestRecord) -> Result<(), StoreError> {
        let Some(end) = record.ends_at else {
            return Ok(());
        };
        self.scheduler.schedule(
            end,
            Job::Expire {
                request: record.id.clone(),
            },
        )?;
        let reminder = end - self.reminder_lead(record);
        if reminder > self.now() {
            self.scheduler.schedule(
                reminder,
                Job::RemindEnd {
                    request: record.id.clone(),
                },
            )?;
        }
        Ok(())
    }

    /// How long before its end a grant's requester is reminded: `[lifecycle] remind_before`,
    /// or half the grant when it is shorter than twice that.
    fn reminder_lead(&self, record: &RequestRecord) -> TimeDelta {
        let configured = TimeDelta::from_std(self.remind_before).unwrap_or(TimeDelta::days(1));
        let half = record
            .duration_seconds
            .and_then(|seconds| i64::try_from(seconds / 2).ok())
            .map(TimeDelta::seconds);
        match half {
            Some(half) if half < configured => half,
            _ => configured,
        }
    }

    /// The `RemindEnd` job: the requester of a grant that ends soon is told when, with an
    /// Extend button.
    async fn remind_end(&self, id: &str) -> Outcome {
        let record = match self.get(id) {
            Ok(Some(record)) => record,
            Ok(None) => return Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot read a request to remind");
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            }
        };
        let ending = record.state == State::Active
            && record.extended_by.is_none()
            && record.ends_at.is_some_and(|end| end > self.now());
        if ending {
            self.say(&record.requester.place, &approval::ending_soon(&record))
                .await;
        }
        Outcome::Done
    }

    /// An approved extension takes its grant over: the access stays as it is, the extension
    /// holds it (with what the grant made, and who made it) until its own end, and the old
    /// grant ends as "extended". Returns false when there is no active grant to take over (it
    /// ended before the extension was approved): the extension is then made as a new grant.
    ///
    /// Crash-safe by order: the old grant first names its successor (its end then removes
    /// nothing), then the extension becomes active, then the old grant ends.
    pub(super) async fn hand_over(&self, record: &RequestRecord, from: &str) -> bool {
        let lock = self.lock_of(from);
        let _one_at_a_time = lock.lock().await;
        let Ok(Some(original)) = self.get(from) else {
            return false;
        };
        let ours = original.extended_by.as_deref() == Some(record.id.as_str());
        let taken_over = matches!(
            &original.state,
            State::Ended { cause: EndCause::Extended { into }, .. } if *into == record.id
        );
        if !(original.state == State::Active || taken_over) {
            return false;
        }
        if !ours && !taken_over {
            let named = self.apply(
                from,
                &Event::ExtendedBy {
                    successor: record.id.clone(),
                },
            );
            match named {
                Ok(Ok(_)) => {}
                Ok(Err(_)) => return false,
                Err(error) => {
                    tracing::error!(%error, request = %record.id, "cannot hand a grant over");
                    return true;
                }
            }
        }
        // The extension covers every fact the grant covers before the grant lets go of any.
        let plan = self.plan_of(&original).unwrap_or_default();
        if let Err(error) = self
            .provisioner
            .hand_over(from, &record.id, &original.requester.entra_id, &plan)
            .await
        {
            tracing::error!(%error, request = %record.id, "cannot hand a grant's access over");
            return true;
        }
        if let Err(error) = self.provisioner.ledger().fix_plan(&record.id, &plan) {
            tracing::error!(%error, request = %record.id, "cannot keep an extension's plan");
            return true;
        }
        let took_over = Event::TookOver {
            made_steps: original.made_steps.clone(),
            made_by: original.made_by.clone(),
            acting: original.acting,
        };
        let active = match self.apply(&record.id, &took_over) {
            Ok(Ok(active)) => active,
            Ok(Err(_)) => return true,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot hand a grant over");
                return true;
            }
        };
        if let Err(error) = self.schedule_end(&active) {
            tracing::error!(%error, request = %record.id, "cannot schedule the extended end");
        }
        self.close_extended(&original, &record.id).await;
        self.audit(
            &active,
            AuditKind::Extended,
            "doorman",
            json!({"extends": from, "ends_at": active.ends_at, "was_until": original.ends_at}),
        );
        self.say(&active.requester.place, &approval::extended(&active, from))
            .await;
        true
    }

    /// The old grant of an extension that is active: the ledger lets go of it (the extension
    /// covers all it covered, so nothing is removed), and it ends as "extended".
    async fn close_extended(&self, original: &RequestRecord, into: &str) {
        let plan = self.plan_of(original).unwrap_or_default();
        let released = self
            .provisioner
            .release(&original.id, &original.requester.entra_id, &plan, None)
            .await;
        if !released.is_complete() {
            tracing::error!(request = %original.id, "an extended grant could not let go of its access");
            return;
        }
        let handed = Event::HandedOver {
            into: into.to_owned(),
            at: self.now(),
        };
        match self.apply(&original.id, &handed) {
            Ok(Ok(_)) => self.drop_grant_timers(&original.id),
            Ok(Err(_)) => {}
            Err(error) => {
                tracing::error!(%error, request = %original.id, "cannot end an extended grant");
            }
        }
    }

    /// Takes a grant's end and its reminder off the timers: it is over.
    pub(super) fn drop_grant_timers(&self, id: &str) {
        let request = id.to_owned();
        for job in [
            Job::Expire {
                request: request.clone(),
            },
            Job::RemindEnd { request },
        ] {
            if let Err(error) = self.scheduler.cancel(&job.id()) {
                tracing::warn!(%error, request = id, "cannot drop a grant's timers");
            }
        }
    }

    /// An active grant with an end has its timer: a request made before timers existed, or
    /// one whose timer was lost, gets one.
    pub(super) fn keep_timers(&self, record: &RequestRecord) {
        if record.ends_at.is_none() {
            return;
        }
        let job = Job::Expire {
            request: record.id.clone(),
        };
        let kept = match self.scheduler.due_at(&job.id()) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => self.schedule_end(record),
            Err(error) => Err(error),
        };
        if let Err(error) = kept {
            tracing::error!(%error, request = %record.id, "cannot keep a grant's end on the timers");
        }
    }

    /// The `Expire` job: a grant whose time is up is taken away.
    async fn expire(&self, id: &str) -> Outcome {
        let lock = self.lock_of(id);
        let _one_at_a_time = lock.lock().await;
        let record = match self.get(id) {
            Ok(Some(record)) => record,
            Ok(None) => return Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot read a request to expire");
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            }
        };
        match record.state.clone() {
            State::Active => {
                if let Some(end) = record.ends_at.filter(|end| *end > self.now()) {
                    // Its end moved.
                    return Outcome::RetryAt(end);
                }
                if let Some(successor) = &record.extended_by {
                    // An approved extension is taking it over: nothing is removed, unless
                    // that extension never got anywhere.
                    match self.get(successor) {
                        Ok(Some(next)) if next.state == State::Active => {
                            self.close_extended(&record, successor).await;
                            return Outcome::Done;
                        }
                        Ok(Some(next)) if matches!(next.state, State::Provisioning { .. }) => {
                            return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
                        }
                        _ => {}
                    }
                }
                let ending = Event::Ending {
                    cause: EndCause::Expired,
                };
                match self.apply(id, &ending) {
                    Ok(Ok(record)) => self.take_away(record, EndCause::Expired).await,
                    Ok(Err(_)) => Outcome::Done,
                    Err(error) => {
                        tracing::error!(%error, request = id, "cannot record an expiry");
                        Outcome::RetryAt(self.now() + TRY_AGAIN_IN)
                    }
                }
            }
            // Still being made: it ends as soon as it is there.
            State::Provisioning { .. } => Outcome::RetryAt(self.now() + TRY_AGAIN_IN),
            State::Revoking { cause } => self.take_away(record, cause).await,
            _ => Outcome::Done,
        }
    }

    /// Takes a grant away: the grant ledger releases it from every step of its plan, and what
    /// no other grant covers and the person did not have before is removed and read back gone.
    /// Then the grant is over and the requester is told what is left and why. Called with the
    /// request in `Revoking`; a removal that cannot be made now is tried again.
    pub(super) async fn take_away(&self, record: RequestRecord, cause: EndCause) -> Outcome {
        let plan = self.plan_of(&record).unwrap_or_default();
        let revoking = self.revoking_token(&record).await;
        let released = self
            .provisioner
            .release(
                &record.id,
                &record.requester.entra_id,
                &plan,
                revoking.as_ref().map(|(_, token)| token),
            )
            .await;
        let by = match &revoking {
            Some((who, _)) if !released.removed().is_empty() => who.clone(),
            _ => "doorman".to_owned(),
        };
        if !released.is_complete() {
            self.audit(
                &record,
                AuditKind::Failed,
                &by,
                json!({"removing": plan.describe(), "left": released.failures(), "retry": true}),
            );
            return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
        }
        let record = match self.apply(&record.id, &Event::Ended { at: self.now() }) {
            Ok(Ok(record)) => record,
            Ok(Err(_)) => return Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record a grant's end");
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            }
        };
        self.drop_grant_timers(&record.id);
        let kind = match cause {
            EndCause::Expired => AuditKind::Expired,
            EndCause::Revoked { .. } | EndCause::Vanished => AuditKind::Revoked,
            EndCause::Extended { .. } => AuditKind::Extended,
        };
        self.metrics
            .grants_ended
            .get_or_create(&EndLabels {
                cause: cause.label().to_owned(),
            })
            .inc();
        let removed = released.removed();
        let mut data = json!({
            "removed": removed, "held_before": released.held_before(),
            "kept_for": released.kept_for(), "ends_at": record.ends_at,
            "kept": removed.is_empty(),
        });
        if cause == EndCause::Vanished {
            data["drift"] = json!("removed outside Doorman");
        }
        self.audit(&record, kind, &by, data);
        let left = approval::Left {
            removed: !removed.is_empty(),
            held_before: !released.held_before().is_empty(),
            covering: self.active_among(&released.kept_for()),
        };
        self.say(
            &record.requester.place,
            &approval::ended(&record, &cause, &left),
        )
        .await;
        Outcome::Done
    }

    /// The active grants among these request ids.
    pub(super) fn active_among(&self, ids: &[String]) -> Vec<RequestRecord> {
        ids.iter()
            .filter_map(|id| match self.get(id) {
                Ok(Some(record)) if record.state == State::Active => Some(record),
                _ => None,
            })
            .collect()
    }

    /// The requester's other active grants on the same resource.
    pub(super) fn alongside(&self, record: &RequestRecord) -> Vec<RequestRecord> {
        self.of(&record.requester.upn)
            .into_iter()
            .filter(|other| {
                other.id != record.id
                    && other.state == State::Active
                    && other.resource.kind == record.resource.kind
                    && other.resource.id == record.resource.id
            })
            .collect()
    }

    /// The token a revocation is made with: the grant's acting person's while it works,
    /// otherwise the operator's. Nobody is asked to sign in first: access is never left in
    /// place waiting for a person.
    pub(super) async fn revoking_token(
        &self,
        record: &RequestRecord,
    ) -> Option<(String, DelegatedToken)> {
        if let Some(upn) = &record.made_by {
            if let Some(id) = self.entra_id_of(upn) {
                if let Ok(token) = self
                    .identity
                    .delegated_token(
                        &id,
                        role_of(record.acting, self.plan_of(record).ok().as_ref()),
                    )
                    .await
                {
                    return Some((upn.clone(), token));
                }
            }
        }
        self.operator_token().await
    }

    /// The operator's token, when they have signed in.
    pub(super) async fn operator_token(&self) -> Option<(String, DelegatedToken)> {
        let operator = self.operator.clone()?;
        let id = self.entra_id_of(&operator)?;
        match self.identity.delegated_token(&id, Role::Operator).await {
            Ok(token) => Some((operator, token)),
            Err(_) => None,
        }
    }
}

/// Whether a grant in this state can be ended on someone's word: made, or being made.
pub fn revocable(state: &State) -> bool {
    matches!(state, State::Active | State::Provisioning { .. })
}

impl JobHandler for Requests {
    fn run(&self, job: Job) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            match job {
                Job::Expire { request } => self.expire(&request).await,
                Job::RemindEnd { request } => self.remind_end(&request).await,
                Job::RemindApprovers { request, stage } => {
                    self.remind_approvers(&request, stage).await
                }
                Job::Escalate { request, stage } => self.escalate(&request, stage).await,
                Job::TimeOut { request, stage } => self.time_out(&request, stage).await,
                Job::Reconcile => self.reconcile().await,
                Job::Undo { request } => self.undo_job(&request).await,
            }
        })
    }
}

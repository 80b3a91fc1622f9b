//! The life of a grant after it is made: its end on the timers, and taking it away when it
//! expires, under the identity DESIGN.md section 3 names for revocation (the grant's acting
//! person while their token works, otherwise the operator; never left in place waiting for a
//! sign-in), read back gone, audited and told.
//!
//! Only what this request made is taken away: a step that found the access already there (the
//! person had it before) is left alone. Taking away is recorded (`Revoking`) before the first
//! removal, so a restart finishes it; every removal is idempotent.

use std::sync::Arc;

use chrono::TimeDelta;
use serde_json::json;

use super::{Requests, role_of};
use crate::approval::{self, ClickRefused, Clicker, RevokeRefused};
use crate::audit::AuditKind;
use crate::domain::chat::{BoxFuture, ChatAction, Message, Place};
use crate::domain::request::{EndCause, RequestRecord, Service, State};
use crate::domain::resource::ResourceKind;
use crate::graph::DelegatedToken;
use crate::identity::Role;
use crate::metrics::EndLabels;
use crate::provision::{Plan, Released, Signed};
use crate::requests::machine::{Effect, Event};
use crate::scheduler::{Job, JobHandler, Outcome};

/// The id of a list card's input picking a grant to remove; its value is the request id.
pub const GRANT_INPUT: &str = "grant";
/// The id of a list card's input picking a standing approval to withdraw; its value is the
/// request the approval was given on.
pub const STANDING_INPUT: &str = "standing_approval";

/// Who revoked, when it was the identity team from the command line.
pub const ADMIN: &str = "the identity team (doorman grants revoke)";

/// When a removal that could not be made (no usable token, Graph refusing) is tried again.
pub(super) const TRY_AGAIN_IN: TimeDelta = TimeDelta::minutes(1);

impl Requests {
    /// Ends an active grant now, on the word of its requester or an owner of the resource (who
    /// is judged from the verified sender, never from card data). `by` is told at `told`
    /// that it is being removed before the removal starts (apart); the requester is told when
    /// it is gone.
    pub async fn revoke(
        self: &Arc<Self>,
        id: &str,
        by: &Clicker,
        told: Option<&Place>,
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
        self.start_revocation(id, &by.upn, told).await
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
                self.courier.close_cards(&record, stage).await;
            }
        }
    }

    /// A click on a grant's Revoke button: the clicker (from the verified envelope) ends it,
    /// if they may, and the clicked card is replaced by the words saying so (no Remove button
    /// stays live on it); a refusal is told beside the card. The grant is the one the button
    /// names (`request`), or on a list card the one picked in it ([`GRANT_INPUT`]); a standing
    /// approval is named by its subject (`standing`) or picked by the request it was given on
    /// ([`STANDING_INPUT`]).
    pub async fn revoke_clicked(self: &Arc<Self>, action: &ChatAction) -> Option<Message> {
        let named = |key: &str| action.data.get(key).and_then(serde_json::Value::as_str);
        let picked = |key: &str| action.inputs.get(key).and_then(serde_json::Value::as_str);
        if let Some(subject) = named("standing") {
            return self.withdraw_standing_clicked(action, subject).await;
        }
        if let Some(given_on) = picked(STANDING_INPUT) {
            return self.withdraw_picked_clicked(action, given_on).await;
        }
        let Some(id) = named("request").or_else(|| picked(GRANT_INPUT)) else {
            let said = if action.data.get("list").is_some() {
                approval::nothing_picked()
            } else {
                Message::text(ClickRefused::Unknown.sentence())
            };
            self.say(&action.place, &said).await;
            return None;
        };
        let clicker = self
            .clicker(&action.sender.user, action.sender.entra.as_ref())
            .await;
        let refused = match clicker {
            None => Message::text(ClickRefused::Unidentified.sentence()),
            // The clicked card becomes the answer: no Remove button stays live on it.
            Some(clicker) => match self.revoke(id, &clicker, None).await {
                Ok(record) => return Some(approval::removing_card(&record, &clicker.upn)),
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
            catalog.get_recorded(kind, id).is_some_and(|resource| {
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

    /// Takes a grant away: the grant ledger releases it from every step of its plan, and what
    /// no other grant covers and the person did not have before is removed and read back gone.
    /// Then the grant is over and the requester is told what is left and why. Called with the
    /// request in `Revoking`; a removal that cannot be made now is tried again.
    pub(super) async fn take_away(&self, record: RequestRecord, cause: EndCause) -> Outcome {
        let plan = self.plan_of(&record).unwrap_or_default();
        let (released, by) = self.release_grant(&record, &plan).await;
        let by = by.unwrap_or_else(|| "doorman".to_owned());
        if !released.is_complete() {
            self.audit(
                &record,
                AuditKind::Failed,
                &by,
                json!({"removing": plan.describe(), "left": released.failures(), "retry": true}),
            );
            return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
        }
        let left = approval::Left {
            removed: !released.removed().is_empty(),
            held_before: !released.held_before().is_empty(),
            covering: self.active_among(&released.kept_for()),
        };
        // Told before the end is recorded: a crash in between leaves the grant being taken
        // away, and the next start releases it (nothing left to do) and tells again. Recorded
        // first, a crash would leave a grant ended that its requester never hears of.
        self.say(
            &record.requester.place,
            &approval::ended(&record, &cause, &left),
        )
        .await;
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

    /// Takes `record`'s grant off its plan under the identity revocation uses (see
    /// [`Self::revoking_hand`]). When the person who made it can no longer remove it (their
    /// token is refused: they are no longer an owner, say), the operator finishes what is left.
    /// Returns the outcome and who removed something, if anyone did.
    pub(super) async fn release_grant(
        &self,
        record: &RequestRecord,
        plan: &Plan,
    ) -> (Released, Option<String>) {
        let person = &record.requester.entra_id;
        let revoking = self.revoking_hand(record).await;
        let mut released = self
            .provisioner
            .release(
                &record.id,
                person,
                plan,
                revoking.as_ref().map(Hand::signed),
            )
            .await;
        let mut by = revoking
            .as_ref()
            .filter(|_| !released.removed().is_empty())
            .map(|hand| hand.who.clone());
        let maker_failed = !released.is_complete()
            && revoking
                .as_ref()
                .is_some_and(|hand| self.operator.as_deref() != Some(hand.who.as_str()));
        if maker_failed {
            if let Some(operator) = self.operator_hand(plan.operator_service()).await {
                let removed_before = released.removed().len();
                let again = self
                    .provisioner
                    .release(&record.id, person, plan, Some(operator.signed()))
                    .await;
                released = released.then(again);
                if released.removed().len() > removed_before {
                    by = Some(operator.who);
                }
            }
        }
        (released, by)
    }

    /// The identity a revocation is made with: the grant's acting person while their token
    /// works, otherwise the operator. Nobody is asked to sign in first: access is never left in
    /// place waiting for a person.
    pub(super) async fn revoking_hand(&self, record: &RequestRecord) -> Option<Hand> {
        let plan = self.plan_of(record).ok();
        let service = plan.as_ref().map_or(Service::Graph, Plan::service);
        if let Some(upn) = &record.made_by {
            if let Some(id) = self.entra_id_of(upn) {
                let role = role_of(record.acting, plan.as_ref());
                if let Ok(token) = self.identity.delegated_token_for(&id, role, service).await {
                    return Some(Hand {
                        who: upn.clone(),
                        token,
                        service,
                    });
                }
            }
        }
        let operator_service = plan.as_ref().map_or(Service::Graph, Plan::operator_service);
        self.operator_hand(operator_service).await
    }

    /// The operator, with their token for `service`, when they have signed in.
    pub(super) async fn operator_hand(&self, service: Service) -> Option<Hand> {
        let operator = self.operator.clone()?;
        let id = self.entra_id_of(&operator)?;
        match self
            .identity
            .delegated_token_for(&id, Role::Operator, service)
            .await
        {
            Ok(token) => Some(Hand {
                who: operator,
                token,
                service,
            }),
            Err(_) => None,
        }
    }
}

/// Who removes access, with their token and the service it is for.
pub(super) struct Hand {
    pub who: String,
    pub token: DelegatedToken,
    pub service: Service,
}

impl Hand {
    pub fn signed(&self) -> Signed<'_> {
        Signed {
            token: &self.token,
            service: self.service,
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
                Job::RemoveSecret { request } => self.remove_secret(&request).await,
            }
        })
    }
}

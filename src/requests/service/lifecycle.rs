//! The life of a grant after it is made: its end on the timers, and taking it away when it
//! expires, under the identity DESIGN.md section 3 names for revocation (the grant's acting
//! person while their token works, otherwise the operator; never left in place waiting for a
//! sign-in), read back gone, audited and told.
//!
//! Only what this request made is taken away: a step that found the access already there (the
//! person had it before) is left alone. Taking away is recorded (`Revoking`) before the first
//! removal, so a restart finishes it; every removal is idempotent.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::{Requests, role_of};
use crate::approval::{self, ClickRefused, Clicker};
use crate::audit::AuditKind;
use crate::domain::chat::{BoxFuture, ChatAction, Message};
use crate::domain::resource::ResourceKind;
use crate::graph::DelegatedToken;
use crate::identity::Role;
use crate::provision::{self, Plan};
use crate::requests::record::{EndCause, RequestRecord, State};
use crate::scheduler::{Job, JobHandler, Outcome};
use crate::store::StoreError;

/// How long a removal is given to show through replication lag.
const GONE_WITHIN: Duration = Duration::from_secs(60);

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
    /// is judged from the verified sender, never from card data). The removal runs apart; the
    /// requester is told when it is gone.
    pub async fn revoke(
        self: &Arc<Self>,
        id: &str,
        by: &Clicker,
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
        let lock = self.lock_of(id);
        let _one_at_a_time = lock.lock().await;
        let cause = EndCause::Revoked { by: by.upn.clone() };
        let started = self.table.update(&id.to_owned(), |current| match current {
            Some(mut current) if current.state == State::Active => {
                current.state = State::Revoking {
                    cause: cause.clone(),
                };
                (Some(current.clone()), Ok(current))
            }
            Some(current) => (None, Err(RevokeRefused::NotActive(current.state.label()))),
            None => (None, Err(RevokeRefused::Unknown)),
        });
        let record = match started {
            Ok(Ok(record)) => record,
            Ok(Err(refused)) => return Err(refused),
            Err(error) => {
                tracing::error!(%error, request = id, "cannot record a revocation");
                return Err(RevokeRefused::Unknown);
            }
        };
        if let Err(error) = self.store.flush() {
            tracing::error!(%error, request = id, "cannot record a revocation");
        }
        let expiry = Job::Expire {
            request: id.to_owned(),
        };
        if let Err(error) = self.scheduler.cancel(&expiry.id()) {
            tracing::warn!(%error, request = id, "cannot drop the grant's end from the timers");
        }
        let requests = Arc::clone(self);
        let taken = record.clone();
        tokio::spawn(async move {
            let lock = requests.lock_of(&taken.id);
            let _one_at_a_time = lock.lock().await;
            // A removal that cannot be made now is tried again by the minutely resume.
            requests.take_away(taken, cause).await;
        });
        Ok(record)
    }

    /// A click on a grant's Revoke button: the clicker (from the verified envelope) ends it,
    /// if they may; either way they are told beside the card.
    pub async fn revoke_clicked(self: &Arc<Self>, action: &ChatAction) -> Option<Message> {
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
        let said = match clicker {
            None => Message::text(ClickRefused::Unidentified.sentence()),
            Some(clicker) => match self.revoke(id, &clicker).await {
                Ok(record) => approval::removing(&record, &clicker.upn),
                Err(refused) => Message::text(refused.sentence(id)),
            },
        };
        self.say(&action.place, &said).await;
        None
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

    /// Puts the grant's end on the timers (on disk before it returns).
    pub(super) fn schedule_end(&self, record: &RequestRecord) -> Result<(), StoreError> {
        match record.ends_at {
            Some(end) => self.scheduler.schedule(
                end,
                Job::Expire {
                    request: record.id.clone(),
                },
            ),
            None => Ok(()),
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
                    // Extended meanwhile: its end moved.
                    return Outcome::RetryAt(end);
                }
                let started = self.table.update(&id.to_owned(), |current| match current {
                    Some(mut current) if current.state == State::Active => {
                        current.state = State::Revoking {
                            cause: EndCause::Expired,
                        };
                        (Some(current.clone()), Some(current))
                    }
                    _ => (None, None),
                });
                match started.and_then(|record| self.store.flush().map(|()| record)) {
                    Ok(Some(record)) => self.take_away(record, EndCause::Expired).await,
                    Ok(None) => Outcome::Done,
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

    /// Takes a grant away: the steps this request made are undone, read back gone, and then the
    /// grant is over and the requester told. Called with the request in `Revoking`.
    pub(super) async fn take_away(&self, record: RequestRecord, cause: EndCause) -> Outcome {
        let plan = made_by_this_request(&record);
        let mut by = "doorman".to_owned();
        if !plan.steps.is_empty() {
            let Some((who, token)) = self.revoking_token(&record).await else {
                let why = "no identity can remove it: neither the person who made it nor the \
                           operator has a usable sign-in";
                tracing::error!(request = %record.id, "{why}");
                self.audit(
                    &record,
                    AuditKind::Failed,
                    "doorman",
                    json!({"removing": plan.describe(), "why": why, "retry": true}),
                );
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            };
            let undone =
                provision::undo(&self.graph, &token, &plan, &record.requester.entra_id).await;
            if undone.len() < plan.steps.len() {
                self.audit(
                    &record,
                    AuditKind::Failed,
                    &who,
                    json!({"removing": plan.describe(), "removed": undone, "retry": true}),
                );
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            }
            if let Err(error) = provision::verify_gone(
                &self.graph,
                &self.app_tokens,
                &plan,
                &record.requester.entra_id,
                GONE_WITHIN,
            )
            .await
            {
                self.audit(
                    &record,
                    AuditKind::Failed,
                    &who,
                    json!({"removing": plan.describe(), "why": error.to_string(), "retry": true}),
                );
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            }
            by = who;
        }
        let at = self.now();
        let ended = self.table.update(&record.id, |current| match current {
            Some(mut current) if matches!(current.state, State::Revoking { .. }) => {
                current.state = State::Ended {
                    cause: cause.clone(),
                    at,
                };
                (Some(current.clone()), Some(current))
            }
            _ => (None, None),
        });
        let record = match ended.and_then(|record| self.store.flush().map(|()| record)) {
            Ok(Some(record)) => record,
            Ok(None) => return Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record a grant's end");
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            }
        };
        let kind = match cause {
            EndCause::Expired => AuditKind::Expired,
            EndCause::Revoked { .. } => AuditKind::Revoked,
        };
        self.audit(
            &record,
            kind,
            &by,
            json!({
                "removed": plan.describe(), "ends_at": record.ends_at,
                "kept": plan.steps.is_empty(),
            }),
        );
        self.say(&record.requester.place, &approval::ended(&record, &cause))
            .await;
        Outcome::Done
    }

    /// The token a revocation is made with: the grant's acting person's while it works,
    /// otherwise the operator's. Nobody is asked to sign in first: access is never left in
    /// place waiting for a person.
    async fn revoking_token(&self, record: &RequestRecord) -> Option<(String, DelegatedToken)> {
        if let Some(upn) = &record.made_by {
            if let Some(id) = self.entra_id_of(upn) {
                if let Ok(token) = self
                    .identity
                    .delegated_token(&id, role_of(record.acting))
                    .await
                {
                    return Some((upn.clone(), token));
                }
            }
        }
        let operator = self.operator.clone()?;
        let id = self.entra_id_of(&operator)?;
        match self.identity.delegated_token(&id, Role::Operator).await {
            Ok(token) => Some((operator, token)),
            Err(_) => None,
        }
    }
}

/// The steps of the request's plan that this request made (its journal says so).
fn made_by_this_request(record: &RequestRecord) -> Plan {
    let steps = match provision::plan(record) {
        Ok(plan) => plan.steps,
        Err(_) => Vec::new(),
    };
    Plan {
        steps: steps
            .into_iter()
            .filter(|step| record.made_steps.contains(&step.describe()))
            .collect(),
    }
}

impl JobHandler for Requests {
    fn run(&self, job: Job) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            match job {
                Job::Expire { request } => self.expire(&request).await,
            }
        })
    }
}

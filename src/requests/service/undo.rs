//! A request that could not be carried out takes back what it made, and only that: a failed
//! write, a change that cannot be read back, a grant whose time ran out before it was made, or
//! a resumed run that meets any of these. The request is `Undoing` on disk before the first
//! removal; the grant ledger says which of the plan's facts this request made (the person had
//! the others before, or another grant covers them), and those are removed and read back gone.
//! A removal that cannot be made yet (no usable token, Graph refusing, replication lag hiding
//! the fact) is logged as an error, counted in `doorman_removals_failed`, and tried again on
//! the timers until nothing the request made is left; only then is the request `Failed`.

use chrono::TimeDelta;
use serde_json::json;

use super::Requests;
use crate::approval;
use crate::audit::AuditKind;
use crate::domain::request::{RequestRecord, State};
use crate::requests::machine::Event;
use crate::scheduler::{Job, Outcome};

/// When taking back what a failed request made is tried again.
const TRY_AGAIN_IN: TimeDelta = TimeDelta::minutes(1);

impl Requests {
    /// The change could not be made: the request becomes `Undoing` (on disk), and what it made
    /// is taken back.
    pub(super) async fn give_up(&self, record: &RequestRecord, why: String) {
        let record = match self.apply(&record.id, &Event::Failed { why: why.clone() }) {
            Ok(Ok(record)) => record,
            Ok(Err(_)) => return,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record a failed request");
                return;
            }
        };
        self.audit(&record, AuditKind::Failed, "doorman", json!({"why": why}));
        let job = Job::Undo {
            request: record.id.clone(),
        };
        if let Err(error) = self.scheduler.schedule(self.now() + TRY_AGAIN_IN, job) {
            tracing::error!(%error, request = %record.id, "cannot put the undoing on the timers");
        }
        self.finish_undo(record).await;
    }

    /// The `Undo` job.
    pub(super) async fn undo_job(&self, id: &str) -> Outcome {
        let lock = self.lock_of(id);
        let _one_at_a_time = lock.lock().await;
        match self.get(id) {
            Ok(Some(record)) if matches!(record.state, State::Undoing { .. }) => {
                self.finish_undo(record).await
            }
            Ok(_) => Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot read a request to undo");
                Outcome::RetryAt(self.now() + TRY_AGAIN_IN)
            }
        }
    }

    /// Takes back what an `Undoing` request made; it is `Failed` once nothing of it is left,
    /// and the requester is told.
    pub(super) async fn finish_undo(&self, record: RequestRecord) -> Outcome {
        let State::Undoing { why, told } = record.state.clone() else {
            return Outcome::Done;
        };
        let released = match self.plan_of(&record) {
            Ok(plan) => self.release_grant(&record, &plan).await.0,
            // No plan, nothing claimed.
            Err(_) => Default::default(),
        };
        if !released.is_complete() {
            self.audit(
                &record,
                AuditKind::Failed,
                "doorman",
                json!({"undoing": true, "left": released.failures(), "retry": true}),
            );
            if !told {
                if let Ok(Ok(marked)) = self.apply(&record.id, &Event::UndoingTold) {
                    self.say(&marked.requester.place, &approval::undoing(&marked, &why))
                        .await;
                }
            }
            return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
        }
        let record = match self.apply(&record.id, &Event::Undone) {
            Ok(Ok(record)) => record,
            Ok(Err(_)) => return Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record a failed request");
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            }
        };
        self.drop_grant_timers(&record.id);
        let removed = released.removed();
        if !removed.is_empty() {
            self.audit(
                &record,
                AuditKind::RolledBack,
                "doorman",
                json!({
                    "why": why, "undone": removed, "held_before": released.held_before(),
                    "kept_for": released.kept_for(),
                }),
            );
        }
        let said = if told {
            approval::undone(&record)
        } else {
            approval::failed(&record, &why, &removed)
        };
        self.say(&record.requester.place, &said).await;
        Outcome::Done
    }
}

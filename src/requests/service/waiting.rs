//! A stage that waits: its approvers are reminded after `remind_after`, its escalation
//! approvers (`escalate_to`) are asked too after `escalate_after`, and after `expire_after`
//! the request times out, as policy's `[approval]` keys (or the rule's overrides) said when it
//! was decided. The requester is told each time.
//!
//! The timers are put on the scheduler when the stage opens, before its first card goes out;
//! each job checks that the request still waits for that stage, so a stage decided meanwhile
//! makes them no-ops.

use chrono::TimeDelta;
use serde_json::json;

use super::Requests;
use crate::approval;
use crate::audit::AuditKind;
use crate::domain::request::{RequestRecord, State, VerifyWay};
use crate::requests::machine::{Effect, Event};
use crate::scheduler::Outcome;

impl Requests {
    /// Puts the stage's reminder, escalation and time-out on the timers, then records when it
    /// opened (a crash in between schedules them again, moved, not doubled).
    pub(super) fn open_stage(&self, record: &RequestRecord, stage: usize) {
        let now = self.now();
        let jobs = approval::stages::timers(record, stage, now);
        for (at, job) in jobs {
            if let Err(error) = self.scheduler.schedule(at, job) {
                tracing::error!(%error, request = %record.id, "cannot schedule a stage's timing");
                return;
            }
        }
        let opened = self.apply(&record.id, &Event::StageOpened { stage, at: now });
        if let Err(error) = opened {
            tracing::error!(%error, request = %record.id, "cannot record when a stage opened");
        }
    }

    /// The record, if it still waits for `stage`.
    fn waiting_at(&self, id: &str, stage: usize) -> Option<RequestRecord> {
        match self.get(id) {
            Ok(Some(record)) if record.state == (State::AwaitingApproval { stage }) => Some(record),
            Ok(_) => None,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot read a waiting request");
                None
            }
        }
    }

    /// The `RemindApprovers` job: every approver of the stage who has not said yes is
    /// reminded in their 1:1 chat, and the requester hears so.
    pub(super) async fn remind_approvers(&self, id: &str, stage: usize) -> Outcome {
        let Some(record) = self.waiting_at(id, stage) else {
            return Outcome::Done;
        };
        let reminded = self.courier.remind(&record, stage).await;
        if !reminded.is_empty() {
            self.say(
                &record.requester.place,
                &approval::requester_waiting(&record, &reminded),
            )
            .await;
        }
        Outcome::Done
    }

    /// The `Escalate` job: the stage's escalation approvers (the unanswering approvers'
    /// managers, named people, members of a named group) are added to it and get its card.
    pub(super) async fn escalate(&self, id: &str, stage: usize) -> Outcome {
        let Some(record) = self.waiting_at(id, stage) else {
            return Outcome::Done;
        };
        let Some(stage_record) = record.stages.get(stage) else {
            return Outcome::Done;
        };
        let escalate_to = stage_record
            .timing
            .as_ref()
            .map(|timing| timing.escalate_to.clone())
            .unwrap_or_default();
        let extra = approval::stages::escalation(
            &escalate_to,
            &stage_record.approvers,
            &self.catalog.current(),
            &self.directory,
        )
        .await;
        // The machine keeps only people not asked yet, never the requester.
        let escalated = Event::Escalated {
            stage,
            added: extra,
        };
        let transition = match self.apply_with_effects(&record.id, &escalated) {
            Ok(Ok(transition)) => transition,
            Ok(Err(_)) => return Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot add escalation approvers");
                return Outcome::RetryAt(self.now() + TimeDelta::minutes(1));
            }
        };
        let record = transition.record;
        let Some(extra) = transition
            .effects
            .into_iter()
            .find_map(|effect| match effect {
                Effect::Escalated { added, .. } => Some(added),
                _ => None,
            })
        else {
            return Outcome::Done;
        };
        self.audit(
            &record,
            AuditKind::ApprovalRequested,
            "doorman",
            json!({"stage": stage, "escalated_to": extra}),
        );
        self.say(
            &record.requester.place,
            &approval::requester_escalated(&record, &extra),
        )
        .await;
        // The new approvers get the stage's card like the first ones did.
        let lock = self.lock_of(id);
        let _one_at_a_time = lock.lock().await;
        self.send_cards(record, stage).await;
        Outcome::Done
    }

    /// The `TimeOut` job: nobody decided the stage in time, so the request ends; every card
    /// of the stage says so, and the requester is told.
    pub(super) async fn time_out(&self, id: &str, stage: usize) -> Outcome {
        // A step-up not completed in time gives way to the next way of verifying.
        if let Some(record) = self.waiting_at(id, stage) {
            let waiting = record.stages.get(stage);
            if waiting.is_some_and(|waiting| waiting.name == VerifyWay::Mfa.stage_name()) {
                self.verification_failed(
                    id,
                    stage,
                    "the multi-factor sign-in was not completed within ten minutes".to_owned(),
                )
                .await;
                return Outcome::Done;
            }
        }
        let lock = self.lock_of(id);
        let _one_at_a_time = lock.lock().await;
        let at = self.now();
        let record = match self.apply(id, &Event::StageExpired { stage, at }) {
            Ok(Ok(record)) => record,
            Ok(Err(_)) => return Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot time a request out");
                return Outcome::RetryAt(self.now() + TimeDelta::minutes(1));
            }
        };
        let waited = record
            .stages
            .get(stage)
            .and_then(|stage| stage.opened_at)
            .map(|opened| (at - opened).num_seconds());
        self.audit(
            &record,
            AuditKind::Expired,
            "doorman",
            json!({"stage": stage, "waited_seconds": waited, "undecided": true}),
        );
        self.courier.close_cards(&record, stage).await;
        self.say(
            &record.requester.place,
            &approval::timed_out(&record, stage),
        )
        .await;
        Outcome::Done
    }
}

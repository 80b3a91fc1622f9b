//! The request state machine, pure: a kept request and something that happened give the
//! request it becomes and what is to be done about it, or why the event does not apply where
//! the request is. No I/O, no clock (an event carries its time), no store: the driver
//! (`service`) reads the record, steps it here inside one compare-and-swap, and carries out the
//! [`Effect`]s once the new record is on disk.
//!
//! ```text
//!  awaiting approval ──yes──► … ──last yes──► provisioning ──made, read back──► active
//!        │  no ─► denied              │ waiting for a sign-in            │ ending (expiry, revoke,
//!        │  nobody in time ─► timed out└ failed ─► undoing ─► failed      │ vanished) ─► revoking
//!        └ (a grant being made can also be ended: ─► revoking)          └ extended by ─► ended
//!
//!  an account recovery: verify:mfa ──stepped up──► (stages) ─► provisioning ──made──► done
//!                           └ failed, too late ─► verify:manager ─► …   (none left ─► denied)
//! ```

use chrono::{DateTime, Utc};

use crate::approval::{self, ClickRefused, Clicker};
use crate::domain::chat::SentMessage;
use crate::domain::request::{
    Acting, Approval, EndCause, RequestRecord, SentCard, State, VerifyWay,
};

/// Something that happened to a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The stage's reminder, escalation and time-out are on the timers: it waits from `at`.
    StageOpened { stage: usize, at: DateTime<Utc> },
    /// The stage's card went to one approver.
    CardSent { stage: usize, card: SentCard },
    /// An approver answered the stage (who, from the verified envelope); `always` asks for the
    /// yes to stand for later requests of the same resource and level.
    Answered {
        stage: usize,
        by: Option<Clicker>,
        approve: bool,
        always: bool,
        reason: Option<String>,
        at: DateTime<Utc>,
    },
    /// More approvers are asked for the stage (its escalation).
    Escalated { stage: usize, added: Vec<String> },
    /// Nobody decided the stage in the time policy gives.
    StageExpired { stage: usize, at: DateTime<Utc> },
    /// The acting person must sign in first; `asked_at` is when a link went out now (none: one
    /// sent earlier still works).
    AwaitingSignIn {
        who: String,
        asked_at: Option<DateTime<Utc>>,
    },
    /// Carrying out begins: whose token makes it, and the end fixed before the first write.
    CarryingOut {
        made_by: String,
        ends_at: Option<DateTime<Utc>>,
    },
    /// These steps were written (descriptions).
    Made { written: Vec<String> },
    /// The grant was read back: it is in place.
    Verified,
    /// The change could not be made.
    Failed { why: String },
    /// The requester has heard that taking back what a failed request made takes longer.
    UndoingTold,
    /// What a failed request made is all taken back.
    Undone,
    /// The grant is to end (or a grant still being made is not to be made).
    Ending { cause: EndCause },
    /// Its access is gone (read back), or nothing of it was left.
    Ended { at: DateTime<Utc> },
    /// An approved extension is taking this grant over.
    ExtendedBy { successor: String },
    /// (The extension.) The grant it extends handed its access over.
    TookOver {
        made_steps: Vec<String>,
        made_by: Option<String>,
        acting: Acting,
    },
    /// (The grant extended.) Its extension is active: it ends as extended.
    HandedOver { into: String, at: DateTime<Utc> },
    /// A request still waiting for approval is not wanted any more (the grant it would extend
    /// was removed): it ends, decided by `by`.
    Withdrawn { by: String, reason: String },
    /// (An account recovery.) The requester completed the step-up sign-in `stage` waits for,
    /// as checked by identity: they are verified.
    SteppedUp { stage: usize, at: DateTime<Utc> },
    /// (An account recovery.) The way of verifying `stage` waits for cannot be completed (the
    /// sign-in failed its checks or was not finished in time): the next alternative takes its
    /// place, or, with none left, the request is refused.
    VerificationFailed { stage: usize, why: String },
    /// (An account recovery.) The requester was sent a step-up sign-in link (once).
    StepUpAsked { at: DateTime<Utc> },
    /// (An account recovery.) The message that will carry the secret is in the requester's
    /// 1:1 chat (kept before any secret exists, so it is always removed later).
    SecretMessage { sent: SentMessage },
    /// (An account recovery.) The one-time change was made and read back; `secret_message`
    /// is the message that carried its secret, to be removed later.
    Completed {
        at: DateTime<Utc>,
        secret_message: Option<SentMessage>,
    },
}

/// Why an event does not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A click that decides nothing, and why.
    Click(ClickRefused),
    /// The request is not where the event applies; its state says where it is.
    NotNow(&'static str),
}

/// What the driver does once the new record is on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Send the stage's card to each approver who has none yet.
    SendCards { stage: usize },
    /// A yes towards a stage's quorum: counted, the other cards and the requester told.
    Counted { stage: usize, by: String },
    /// A stage decided: kept standing if asked and allowed, audited, every card updated, the
    /// requester told.
    Decided {
        stage: usize,
        approve: bool,
        by: String,
        reason: Option<String>,
        standing: bool,
    },
    /// Run the request's next step apart from the caller.
    Advance,
    /// A stage's escalation approvers: audited, the requester told, their cards sent.
    Escalated { stage: usize, added: Vec<String> },
    /// A stage nobody decided: audited, its cards closed, the requester told.
    TimedOut { stage: usize },
    /// A request withdrawn while a stage waited: that stage's cards closed.
    CloseCards { stage: usize },
    /// Ask `who` to sign in (a link went out now) and tell the requester.
    AskSignIn { who: String },
    /// The grant's end (and its reminder) on the timers.
    ScheduleEnd,
    /// The grant's end and reminder off the timers.
    DropTimers,
    /// Take the grant away (it is `Revoking`).
    TakeAway,
    /// Take back what a failed request made (it is `Undoing`), on the timers until done.
    Undo,
    /// (An account recovery.) The requester could not be verified any way policy allows:
    /// audited, they are told why.
    Unverified { why: String },
}

/// A record after an event, and what to do about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub record: RequestRecord,
    pub effects: Vec<Effect>,
}

fn to(record: RequestRecord, effects: Vec<Effect>) -> Result<Transition, Refusal> {
    Ok(Transition { record, effects })
}

fn not_now(record: &RequestRecord) -> Refusal {
    Refusal::NotNow(record.state.label())
}

/// The request `record` becomes when `event` happens, and what is to be done about it.
pub fn next(record: &RequestRecord, event: &Event) -> Result<Transition, Refusal> {
    let mut next = record.clone();
    match event {
        Event::StageOpened { stage, at } => {
            if next.current_stage().map(|(waiting, _)| waiting) != Some(*stage) {
                return Err(not_now(record));
            }
            let opened = next.stages.get_mut(*stage).ok_or_else(|| not_now(record))?;
            opened.opened_at.get_or_insert(*at);
            to(next, Vec::new())
        }
        Event::CardSent { stage, card } => {
            // Kept even when the stage was decided meanwhile: the decision updates every card.
            let sent_on = next.stages.get_mut(*stage).ok_or_else(|| not_now(record))?;
            sent_on.cards.push(card.clone());
            to(next, Vec::new())
        }
        Event::Answered {
            stage,
            by,
            approve,
            always,
            reason,
            at,
        } => answered(
            next,
            Answer {
                stage: *stage,
                by: by.as_ref(),
                approve: *approve,
                always: *always,
                reason: reason.clone(),
                at: *at,
            },
        ),
        Event::Escalated { stage, added } => {
            if next.current_stage().map(|(waiting, _)| waiting) != Some(*stage) {
                return Err(not_now(record));
            }
            let escalated = next.stages.get_mut(*stage).ok_or_else(|| not_now(record))?;
            let added: Vec<String> = added
                .iter()
                .filter(|upn| {
                    !upn.eq_ignore_ascii_case(&record.requester.upn)
                        && !escalated
                            .approvers
                            .iter()
                            .any(|approver| approver.eq_ignore_ascii_case(upn))
                })
                .cloned()
                .collect();
            if added.is_empty() {
                return Err(not_now(record));
            }
            escalated.approvers.extend(added.iter().cloned());
            to(
                next,
                vec![Effect::Escalated {
                    stage: *stage,
                    added,
                }],
            )
        }
        Event::StageExpired { stage, at } => {
            if next.current_stage().map(|(waiting, _)| waiting) != Some(*stage) {
                return Err(not_now(record));
            }
            next.state = State::TimedOut {
                stage: *stage,
                at: *at,
            };
            to(next, vec![Effect::TimedOut { stage: *stage }])
        }
        Event::AwaitingSignIn { who, asked_at } => {
            if !matches!(next.state, State::Provisioning { .. }) {
                return Err(not_now(record));
            }
            next.state = State::Provisioning {
                waiting_for: Some(who.clone()),
            };
            let mut effects = Vec::new();
            if let Some(at) = asked_at {
                next.sign_in_asked_at = Some(*at);
                effects.push(Effect::AskSignIn { who: who.clone() });
            }
            to(next, effects)
        }
        Event::CarryingOut { made_by, ends_at } => {
            if !matches!(next.state, State::Provisioning { .. }) {
                return Err(not_now(record));
            }
            // An end fixed before (a resumed request) stands.
            next.ends_at = next.ends_at.or(*ends_at);
            next.made_by = Some(made_by.clone());
            next.state = State::Provisioning { waiting_for: None };
            let effects = if next.ends_at.is_some() {
                vec![Effect::ScheduleEnd]
            } else {
                Vec::new()
            };
            to(next, effects)
        }
        Event::Made { written } => {
            if !matches!(next.state, State::Provisioning { .. }) {
                return Err(not_now(record));
            }
            next.made_steps = written.clone();
            to(next, Vec::new())
        }
        Event::Verified => {
            if !matches!(next.state, State::Provisioning { .. }) {
                return Err(not_now(record));
            }
            next.state = State::Active;
            to(next, Vec::new())
        }
        Event::Failed { why } => {
            if !matches!(next.state, State::Provisioning { .. }) {
                return Err(not_now(record));
            }
            next.state = State::Undoing {
                why: why.clone(),
                told: false,
            };
            to(next, vec![Effect::Undo])
        }
        Event::UndoingTold => match &next.state {
            State::Undoing { why, told: false } => {
                next.state = State::Undoing {
                    why: why.clone(),
                    told: true,
                };
                to(next, Vec::new())
            }
            _ => Err(not_now(record)),
        },
        Event::Undone => match &next.state {
            State::Undoing { why, .. } => {
                next.state = State::Failed { why: why.clone() };
                to(next, vec![Effect::DropTimers])
            }
            _ => Err(not_now(record)),
        },
        Event::Ending { cause } => {
            let applies = match cause {
                // Its time, or drift: only a grant that is in place (and not being taken over).
                EndCause::Expired => next.state == State::Active,
                EndCause::Vanished => next.state == State::Active && next.extended_by.is_none(),
                // Someone's word: also a grant still being made.
                EndCause::Revoked { .. } => crate::requests::revocable(&next.state),
                EndCause::Extended { .. } => false,
            };
            if !applies {
                return Err(not_now(record));
            }
            next.state = State::Revoking {
                cause: cause.clone(),
            };
            to(next, vec![Effect::TakeAway])
        }
        Event::Ended { at } => match &next.state {
            State::Revoking { cause } => {
                next.state = State::Ended {
                    cause: cause.clone(),
                    at: *at,
                };
                to(next, vec![Effect::DropTimers])
            }
            _ => Err(not_now(record)),
        },
        Event::ExtendedBy { successor } => {
            if next.state != State::Active {
                return Err(not_now(record));
            }
            match &next.extended_by {
                Some(already) if already != successor => return Err(not_now(record)),
                _ => next.extended_by = Some(successor.clone()),
            }
            to(next, Vec::new())
        }
        Event::TookOver {
            made_steps,
            made_by,
            acting,
        } => {
            if !matches!(next.state, State::Provisioning { .. }) || next.extends.is_none() {
                return Err(not_now(record));
            }
            next.made_steps = made_steps.clone();
            next.made_by = made_by.clone();
            next.acting = *acting;
            next.state = State::Active;
            to(next, vec![Effect::ScheduleEnd])
        }
        Event::Withdrawn { by, reason } => {
            let Some((stage, _)) = next.current_stage() else {
                return Err(not_now(record));
            };
            next.state = State::Denied {
                by: by.clone(),
                reason: Some(reason.clone()),
            };
            to(next, vec![Effect::CloseCards { stage }])
        }
        Event::SteppedUp { stage, at } => {
            let waiting = next
                .current_stage()
                .map(|(waiting, record)| (waiting, record.name.clone()));
            if waiting != Some((*stage, VerifyWay::Mfa.stage_name().to_owned())) {
                return Err(not_now(record));
            }
            let who = next.requester.upn.clone();
            if let Some(verified) = next.stages.get_mut(*stage) {
                verified.decided_by = Some(who);
                verified.decided_at = Some(*at);
            }
            if let Some(recovery) = next.recovery.as_mut() {
                recovery.verified_by = Some(VerifyWay::Mfa);
            }
            next.state = after_stage(&next, *stage);
            to(next, vec![Effect::Advance])
        }
        Event::VerificationFailed { stage, why } => {
            let is_verification = next.current_stage().is_some_and(|(waiting, record)| {
                waiting == *stage && record.name.starts_with("verify:")
            });
            if !is_verification {
                return Err(not_now(record));
            }
            let Some(recovery) = next.recovery.as_mut() else {
                return Err(not_now(record));
            };
            recovery.step_up_asked_at = None;
            if recovery.alternatives.is_empty() {
                next.state = State::Denied {
                    by: "doorman".to_owned(),
                    reason: Some(why.clone()),
                };
                return to(
                    next,
                    vec![
                        Effect::CloseCards { stage: *stage },
                        Effect::Unverified { why: why.clone() },
                    ],
                );
            }
            let instead = recovery.alternatives.remove(0);
            if let Some(slot) = next.stages.get_mut(*stage) {
                *slot = instead;
            }
            to(next, vec![Effect::Advance])
        }
        Event::StepUpAsked { at } => {
            let waiting_mfa = next
                .current_stage()
                .is_some_and(|(_, stage)| stage.name == VerifyWay::Mfa.stage_name());
            match next.recovery.as_mut() {
                Some(recovery) if waiting_mfa && recovery.step_up_asked_at.is_none() => {
                    recovery.step_up_asked_at = Some(*at);
                    to(next, Vec::new())
                }
                _ => Err(not_now(record)),
            }
        }
        Event::SecretMessage { sent } => {
            if !matches!(next.state, State::Provisioning { .. }) {
                return Err(not_now(record));
            }
            let Some(recovery) = next.recovery.as_mut() else {
                return Err(not_now(record));
            };
            recovery.secret_message = Some(sent.clone());
            to(next, Vec::new())
        }
        Event::Completed { at, secret_message } => {
            if !matches!(next.state, State::Provisioning { .. }) {
                return Err(not_now(record));
            }
            let Some(recovery) = next.recovery.as_mut() else {
                return Err(not_now(record));
            };
            if secret_message.is_some() {
                recovery.secret_message = secret_message.clone();
            }
            next.state = State::Done { at: *at };
            to(next, Vec::new())
        }
        Event::HandedOver { into, at } => {
            if next.state != State::Active || next.extended_by.as_deref() != Some(into.as_str()) {
                return Err(not_now(record));
            }
            next.state = State::Ended {
                cause: EndCause::Extended { into: into.clone() },
                at: *at,
            };
            to(next, vec![Effect::DropTimers])
        }
    }
}

/// One approver's answer on a stage.
struct Answer<'a> {
    stage: usize,
    by: Option<&'a Clicker>,
    approve: bool,
    always: bool,
    reason: Option<String>,
    at: DateTime<Utc>,
}

/// An approver's answer: judged against the stored stage, counted towards its quorum, and
/// (when it settles the stage) moving the request to the next undecided stage, to being
/// carried out, or to denied.
fn answered(mut record: RequestRecord, answer: Answer<'_>) -> Result<Transition, Refusal> {
    let Answer {
        stage,
        by,
        approve,
        always,
        reason,
        at,
    } = answer;
    approval::may_decide(&record, stage, by).map_err(Refusal::Click)?;
    let who = by.map(|clicker| clicker.upn.clone()).unwrap_or_default();
    let answered = record
        .stages
        .get_mut(stage)
        .ok_or(Refusal::Click(ClickRefused::Unknown))?;
    if approve {
        answered.approvals.push(Approval {
            by: who.clone(),
            at,
        });
        if answered.still_needed() > 0 {
            // A yes towards the quorum: the stage stays open for the others.
            return to(record, vec![Effect::Counted { stage, by: who }]);
        }
    }
    answered.decided_by = Some(who.clone());
    answered.decided_at = Some(at);
    let verified_by_manager = approve && answered.name == VerifyWay::Manager.stage_name();
    // "Approve always" stands only where policy allows it, and only for an owner's single yes.
    let standing = approve
        && always
        && record.allow_standing
        && answered.name == "owner"
        && answered.quorum <= 1;
    if verified_by_manager {
        if let Some(recovery) = record.recovery.as_mut() {
            recovery.verified_by = Some(VerifyWay::Manager);
        }
    }
    record.state = if approve {
        after_stage(&record, stage)
    } else {
        State::Denied {
            by: who.clone(),
            reason: reason.clone(),
        }
    };
    let mut effects = vec![Effect::Decided {
        stage,
        approve,
        by: who,
        reason,
        standing,
    }];
    if approve {
        effects.push(Effect::Advance);
    }
    to(record, effects)
}

/// Where a request goes once `stage` is settled with a yes: the next undecided stage, or being
/// carried out.
fn after_stage(record: &RequestRecord, stage: usize) -> State {
    match record
        .stages
        .iter()
        .enumerate()
        .skip(stage + 1)
        .find(|(_, later)| later.decided_by.is_none())
    {
        Some((later, _)) => State::AwaitingApproval { stage: later },
        None => State::Provisioning { waiting_for: None },
    }
}

#[cfg(test)]
mod tests;

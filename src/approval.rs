//! Approvals: the card an approver sees, who may click it, and what everyone is told after.
//!
//! A click is judged only by the verified clicker (the Teams activity's `aadObjectId`, the
//! linked account of a signed Slack payload) against the stage recorded in the store; the
//! card's data carries the request id and stage number, never an identity. The requester never
//! approves; a stage already decided, or a request no longer waiting for that stage, refuses
//! the click and changes nothing. A stage with a quorum counts one yes per approver and is
//! approved by the yes that completes it; one no denies it.
//!
//! The stages themselves are resolved to people in [`stages`]; the messages (the approval card
//! and what everyone is told) live in `cards`, `outcomes`, [`recovery`] and `refusals` (why a
//! click or a removal changed nothing).

mod cards;
mod courier;
mod outcomes;
pub mod recovery;
mod refusals;
pub mod stages;
pub mod standing;

use serde_json::Value;

pub use cards::{
    addressed, approver_reminder, card, carried_out_with_sign_in_of, closed_card, counted_card,
    decided_card, ending_soon, extended, removing, removing_card, requester_counted,
    requester_escalated, requester_update, requester_waiting, sign_in_to_act, timed_out,
};
pub use courier::Courier;
pub use outcomes::{Left, done, ended, failed, removed_again, undoing, undone};
pub use recovery::{not_verified, secret_message, verify_another_way, verify_with_sign_in};
pub use refusals::{
    ClickRefused, RevokeRefused, no_such_standing, nothing_picked, standing_withdrawn, trouble,
};
pub use stages::StageError;
pub use standing::{Standing, StandingApproval};

use crate::domain::chat::{ChatAction, Message};
use crate::domain::request::{RequestRecord, State};

/// The input a deny reason is typed into.
pub const DENY_REASON: &str = "deny_reason";
/// The most characters of a deny reason kept (the card says so, and the chat client holds
/// people to it where it can).
pub const DENY_REASON_MAX: usize = 500;

/// The request id and stage a card action names.
pub fn target_of(action: &ChatAction) -> Option<(String, usize)> {
    let id = action.data.get("request").and_then(Value::as_str)?;
    let stage = action.data.get("stage").and_then(Value::as_u64)?;
    Some((id.to_owned(), usize::try_from(stage).ok()?))
}

/// The reason typed into the card, trimmed, at most 500 characters.
pub fn deny_reason(action: &ChatAction) -> Option<String> {
    action
        .inputs
        .get(DENY_REASON)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .map(|reason| reason.chars().take(DENY_REASON_MAX).collect())
}

/// Who clicked, from the verified envelope: their Entra object id, and their UPN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clicker {
    pub entra_id: String,
    pub upn: String,
}

/// Whether `clicker` may decide `stage` of `record` now. The requester is recognised by object
/// id as well as UPN, so a name that could not be read never lets them through.
pub fn may_decide(
    record: &RequestRecord,
    stage: usize,
    clicker: Option<&Clicker>,
) -> Result<(), ClickRefused> {
    let clicker = clicker.ok_or(ClickRefused::Unidentified)?;
    if clicker
        .entra_id
        .eq_ignore_ascii_case(&record.requester.entra_id)
        || clicker.upn.eq_ignore_ascii_case(&record.requester.upn)
    {
        return Err(ClickRefused::OwnRequest);
    }
    let clicker = clicker.upn.as_str();
    let stage_record = record.stages.get(stage).ok_or(ClickRefused::Unknown)?;
    if !stage_record
        .approvers
        .iter()
        .any(|approver| approver.eq_ignore_ascii_case(clicker))
    {
        return Err(ClickRefused::NotAnApprover);
    }
    match record.state {
        State::AwaitingApproval { stage: waiting } if waiting == stage => {}
        _ => return Err(ClickRefused::AlreadyDecided),
    }
    if stage_record.approved_by(clicker) {
        return Err(ClickRefused::AlreadyApproved);
    }
    Ok(())
}

/// What the card of `stage` shows `viewer` now, when their chat client fetches it again (a
/// Teams refresh): the live card while they can still decide, their counted yes while the
/// stage waits for others, else the decision or the request's end. `None` for someone the card
/// was never meant for. Changes nothing.
pub fn view(record: &RequestRecord, stage: usize, viewer: Option<&Clicker>) -> Option<Message> {
    let stage_record = record.stages.get(stage)?;
    match may_decide(record, stage, viewer) {
        Ok(()) => Some(card(record, stage)),
        Err(ClickRefused::AlreadyApproved) => Some(counted_card(record, stage, &viewer?.upn)),
        Err(ClickRefused::AlreadyDecided) => Some(match &stage_record.decided_by {
            Some(by) => {
                let denied_here = match &record.state {
                    State::Denied { .. } => {
                        record
                            .stages
                            .iter()
                            .rposition(|stage| stage.decided_by.is_some())
                            == Some(stage)
                    }
                    _ => false,
                };
                let reason = match &record.state {
                    State::Denied { reason, .. } if denied_here => reason.as_deref(),
                    _ => None,
                };
                decided_card(record, stage, !denied_here, by, reason)
            }
            None => closed_card(record),
        }),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::StageRecord;

    /// Tom's request, waiting on one owner stage whose approvers are Nina and (wrongly) Tom.
    fn record(state: State) -> RequestRecord {
        let mut record = crate::domain::request::example::request(vec![StageRecord::new(
            "owner".into(),
            vec!["nina@contoso.com".into(), "tom@contoso.com".into()],
            1,
        )]);
        record.requester.upn = "tom@contoso.com".into();
        record.requester.entra_id = "id-tom".into();
        record.state = state;
        record
    }

    fn clicker(id: &str, upn: &str) -> Clicker {
        Clicker {
            entra_id: id.into(),
            upn: upn.into(),
        }
    }

    #[test]
    fn only_an_approver_of_the_waiting_stage_other_than_the_requester_decides() {
        let waiting = record(State::AwaitingApproval { stage: 0 });
        let nina = clicker("id-nina", "nina@contoso.com");
        assert_eq!(may_decide(&waiting, 0, Some(&nina)), Ok(()));
        assert_eq!(
            may_decide(&waiting, 0, None),
            Err(ClickRefused::Unidentified)
        );
        // The requester, by name or by object id, even when listed as an approver.
        let tom = clicker("id-tom", "tom@contoso.com");
        assert_eq!(
            may_decide(&waiting, 0, Some(&tom)),
            Err(ClickRefused::OwnRequest)
        );
        let tom_by_id = clicker("ID-TOM", "someone-else@contoso.com");
        assert_eq!(
            may_decide(&waiting, 0, Some(&tom_by_id)),
            Err(ClickRefused::OwnRequest)
        );
        let maria = clicker("id-maria", "maria@contoso.com");
        assert_eq!(
            may_decide(&waiting, 0, Some(&maria)),
            Err(ClickRefused::NotAnApprover)
        );
        assert_eq!(
            may_decide(&waiting, 1, Some(&nina)),
            Err(ClickRefused::Unknown)
        );
        // A yes towards a quorum is counted once per approver.
        let mut counting = record(State::AwaitingApproval { stage: 0 });
        counting.stages[0].quorum = 2;
        counting.stages[0]
            .approvals
            .push(crate::domain::request::Approval {
                by: "nina@contoso.com".into(),
                at: chrono::Utc::now(),
            });
        assert_eq!(
            may_decide(&counting, 0, Some(&nina)),
            Err(ClickRefused::AlreadyApproved)
        );
        let moved_on = record(State::Provisioning { waiting_for: None });
        assert_eq!(
            may_decide(&moved_on, 0, Some(&nina)),
            Err(ClickRefused::AlreadyDecided)
        );
    }
}

//! Approvers' answers: a click on Approve or Deny stepped through the state machine under
//! one compare-and-swap (so two approvers clicking at once make one decision), then its
//! effects: a yes counted towards a quorum, or the stage decided (every card updated, the
//! requester told, the next step run apart); and the card as its viewer should see it now.

use std::sync::Arc;

use serde_json::json;

use super::Requests;
use crate::approval::{self, ClickRefused};
use crate::audit::AuditKind;
use crate::domain::chat::{ChatAction, Message};
use crate::domain::request::RequestRecord;
use crate::requests::machine::{Effect, Event, Refusal};

/// A stage's decision, as the state machine settled it.
struct Decision<'a> {
    stage: usize,
    approve: bool,
    by: &'a str,
    reason: Option<&'a str>,
    standing: bool,
}

impl Requests {
    /// An Approve or Deny click. Answers with the card to show the clicker in place of the
    /// clicked one, or `None` to leave it (the clicker is told why beside it).
    /// `always` keeps the approval standing for later requests of the same resource and level,
    /// where the request's target rule allows it.
    pub async fn decide(
        self: &Arc<Self>,
        action: &ChatAction,
        approve: bool,
        always: bool,
    ) -> Option<Message> {
        let Some((id, stage)) = approval::target_of(action) else {
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
        let answered = Event::Answered {
            stage,
            by: clicker,
            approve,
            always,
            reason: approval::deny_reason(action),
            at: self.now(),
        };
        // Not on disk means not decided: nobody is told, and a retry finds the stage open.
        let transition = match self.apply_with_effects(&id, &answered) {
            Ok(Ok(transition)) => transition,
            Ok(Err(refused)) => {
                let refused = match refused {
                    Some(Refusal::Click(refused)) => refused,
                    Some(Refusal::NotNow(_)) | None => ClickRefused::Unknown,
                };
                self.say(&action.place, &Message::text(refused.sentence()))
                    .await;
                return None;
            }
            Err(error) => {
                tracing::error!(%error, request = %id, "cannot record a decision");
                self.say(&action.place, &approval::trouble()).await;
                return None;
            }
        };
        let record = transition.record;
        let mut shown = None;
        for effect in transition.effects {
            match effect {
                Effect::Counted { stage, by } => {
                    shown = Some(self.counted(action, &record, stage, &by).await);
                }
                Effect::Decided {
                    stage,
                    approve,
                    by,
                    reason,
                    standing,
                } => {
                    let decision = Decision {
                        stage,
                        approve,
                        by: &by,
                        reason: reason.as_deref(),
                        standing,
                    };
                    shown = Some(self.announce(action, &record, decision).await);
                }
                // The next step (cards, or the change itself) runs apart from the click, whose
                // answer the chat service is waiting for.
                Effect::Advance => self.advance_apart(&record.id),
                other => tracing::error!(effect = ?other, "an answer had an unexpected effect"),
            }
        }
        shown
    }

    /// A stage decided: the standing approval kept if asked, audited, every approver's card
    /// updated to show who decided, and the requester told. Answers the clicker's card.
    async fn announce(
        &self,
        action: &ChatAction,
        record: &RequestRecord,
        decision: Decision<'_>,
    ) -> Message {
        let Decision {
            stage,
            approve,
            by,
            reason,
            standing,
        } = decision;
        if standing {
            self.keep_standing(by, record);
        }
        self.audit(
            record,
            if approve { AuditKind::Approved } else { AuditKind::Denied },
            by,
            json!({"stage": record.stages.get(stage).map(|stage| stage.name.clone()), "has_reason": reason.is_some(), "standing": standing}),
        );
        let decided = approval::decided_card(record, stage, approve, by, reason);
        self.courier
            .show_on_cards(record, stage, &decided, action.card.as_ref())
            .await;
        let told = approval::requester_update(record, stage, approve, by, reason);
        self.say(&record.requester.place, &told).await;
        decided
    }

    /// The approval card as the person looking at it should see it now (a Teams refresh). Reads
    /// only: no state changes and nothing is said in chat, however stale or foreign the card.
    pub async fn view(&self, action: &ChatAction) -> Option<Message> {
        let (id, stage) = approval::target_of(action)?;
        let record = match self.get(&id) {
            Ok(record) => record?,
            Err(error) => {
                tracing::warn!(%error, request = %id, "cannot read a request to refresh its card");
                return None;
            }
        };
        let viewer = self
            .clicker(&action.sender.user, action.sender.entra.as_ref())
            .await;
        let view = approval::view(&record, stage, viewer.as_ref())?;
        Some(approval::addressed(view, &action.sender.user))
    }

    /// A yes that leaves the stage short of its quorum: the other approvers' cards show it,
    /// the requester hears it, and the clicker's card says their yes is counted.
    async fn counted(
        &self,
        action: &ChatAction,
        record: &RequestRecord,
        stage: usize,
        who: &str,
    ) -> Message {
        let Some(stage_record) = record.stages.get(stage) else {
            return Message::text(ClickRefused::Unknown.sentence());
        };
        self.audit(
            record,
            AuditKind::Approved,
            who,
            json!({
                "stage": stage_record.name, "approvals": stage_record.approvals.len(),
                "quorum": stage_record.quorum, "complete": false,
            }),
        );
        self.courier
            .refresh_cards(record, stage, action.card.as_ref())
            .await;
        self.say(
            &record.requester.place,
            &approval::requester_counted(record, stage, who),
        )
        .await;
        approval::counted_card(record, stage, who)
    }
}

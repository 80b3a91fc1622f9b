//! The messages of an approval: the card each approver gets, the card after a decision, and
//! what the requester is told at each step.
//!
//! Cards say who asks (name, role), what (and what was asked, when policy narrowed it), for how
//! long, why, and the policy line. Their buttons carry the request id and stage only.

use serde_json::json;
use url::Url;

use super::{DENY_REASON, DENY_REASON_MAX};
use crate::domain::chat::{
    ButtonStyle, Card, CardButton, CardInput, CardRefresh, CardSection, ChatUser, Message, Verb,
};
use crate::domain::duration::format_duration;
use crate::domain::request::{Approval, RequestRecord, StageRecord, State};

pub(super) fn what(record: &RequestRecord) -> String {
    let access = if record.access == record.requested_access {
        record.access.label().to_owned()
    } else {
        format!(
            "{} (asked for {})",
            record.access.label(),
            record.requested_access.label()
        )
    };
    match record.resource.kind {
        kind if kind.is_self_service() && record.access == record.requested_access => {
            record.resource.grant_phrase(record.access)
        }
        _ => format!(
            "{access} on {} ({})",
            record.resource.name,
            record.resource.kind.label()
        ),
    }
}

fn how_long(record: &RequestRecord) -> String {
    if let (Some(of), Some(end)) = (&record.extends, record.ends_at) {
        return format!(
            "until {} (extends {of} without a gap)",
            end.format("%Y-%m-%d %H:%M UTC")
        );
    }
    match record.duration_seconds {
        Some(seconds) => format_duration(std::time::Duration::from_secs(seconds)),
        None => "no end".to_owned(),
    }
}

fn facts(record: &RequestRecord) -> Vec<(String, String)> {
    let who = match &record.requester.display_name {
        Some(name) => format!("{name} ({})", record.requester.upn),
        None => record.requester.upn.clone(),
    };
    let mut facts = vec![
        ("Who".to_owned(), who),
        ("What".to_owned(), what(record)),
        ("How long".to_owned(), how_long(record)),
        (
            "Why".to_owned(),
            record
                .reason
                .clone()
                .unwrap_or_else(|| "no reason given".to_owned()),
        ),
        ("Policy".to_owned(), for_approvers(record)),
    ];
    let role = [&record.requester.job_title, &record.requester.department]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if !role.is_empty() {
        facts.insert(1, ("Role".to_owned(), role));
    }
    facts
}

/// The policy line as approvers read it: it was written for the requester ("your manager"), so
/// it says whose manager.
fn for_approvers(record: &RequestRecord) -> String {
    let whose = match &record.requester.display_name {
        Some(name) => format!("{name}'s manager ("),
        None => format!("{}'s manager (", record.requester.upn),
    };
    record.policy_line.replace("your manager (", &whose)
}

/// `message` with its card's refresh addressed to `person`: the approver whose card it is.
pub fn addressed(mut message: Message, person: &ChatUser) -> Message {
    if let Some(refresh) = message.card.as_mut().and_then(|card| card.refresh.as_mut()) {
        refresh.people = vec![person.clone()];
    }
    message
}

/// The approval card for `stage` of `record`. It asks to be refreshed, so that an approver
/// who opens it later sees where the request stands (see [`super::view`]).
pub fn card(record: &RequestRecord, stage: usize) -> Message {
    if let Some(confirm) = super::recovery::manager_card(record, stage) {
        return confirm;
    }
    let stage_name = record
        .stages
        .get(stage)
        .map(|stage| stage.name.clone())
        .unwrap_or_default();
    let data = json!({ "request": record.id, "stage": stage });
    let card = Card {
        refresh: Some(CardRefresh {
            data: data.clone(),
            people: Vec::new(),
        }),
        title: format!("Access request {}", record.id),
        sections: vec![CardSection {
            // The message's text, shown above, says who asks for what.
            text: format!(
                "You are asked as {} (step {} of {}).{}",
                stage_label(&stage_name),
                stage + 1,
                record.stages.len(),
                record
                    .stages
                    .get(stage)
                    .map(quorum_note)
                    .unwrap_or_default()
            ),
            facts: facts(record),
        }],
        inputs: vec![CardInput {
            id: DENY_REASON.to_owned(),
            label: format!("Reason if you deny (optional, up to {DENY_REASON_MAX} characters)"),
            placeholder: "Why not?".to_owned(),
            for_verb: Some(Verb::Deny),
            max_length: Some(DENY_REASON_MAX),
            choices: Vec::new(),
        }],
        buttons: vec![
            CardButton::Execute {
                title: "Approve".to_owned(),
                verb: Verb::Approve,
                data: data.clone(),
                style: ButtonStyle::Positive,
            },
            CardButton::Execute {
                title: "Deny".to_owned(),
                verb: Verb::Deny,
                data: data.clone(),
                style: ButtonStyle::Destructive,
            },
        ],
    };
    let mut card = card;
    let single = record
        .stages
        .get(stage)
        .is_none_or(|stage| stage.quorum <= 1);
    if record.allow_standing && stage_name == "owner" && single {
        card.buttons.insert(
            1,
            CardButton::Execute {
                title: "Approve always".to_owned(),
                verb: Verb::ApproveAlways,
                data,
                style: ButtonStyle::Default,
            },
        );
    }
    Message::with_card(
        format!(
            "{} asks for {}: approve or deny?",
            record.requester.upn,
            what(record)
        ),
        card,
    )
}

fn stage_label(name: &str) -> String {
    match name {
        "owner" => "an owner".to_owned(),
        "manager" => "their manager".to_owned(),
        "verify:manager" => "their manager, to confirm it is them".to_owned(),
        "verify:mfa" => "their own multi-factor sign-in".to_owned(),
        other => other.to_owned(),
    }
}

/// The card every approver of the stage sees after the decision: no live buttons.
pub fn decided_card(
    record: &RequestRecord,
    stage: usize,
    approved: bool,
    by: &str,
    reason: Option<&str>,
) -> Message {
    let verdict = if approved { "Approved" } else { "Denied" };
    let at = record
        .stages
        .get(stage)
        .and_then(|stage| stage.decided_at)
        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let deciders = match record.stages.get(stage) {
        Some(stage) if approved && stage.approvals.len() > 1 => names(&stage.approvals),
        _ => by.to_owned(),
    };
    let mut text = format!("{verdict} by {deciders} at {at}.");
    if let Some(reason) = reason {
        text.push_str(&format!(" Reason: {reason}"));
    }
    let card = Card {
        refresh: None,
        title: format!("Access request {}: {}", record.id, verdict.to_lowercase()),
        sections: vec![
            CardSection {
                text: format!("{} asked for {}.", record.requester.upn, what(record)),
                facts: facts(record),
            },
            CardSection {
                text,
                facts: Vec::new(),
            },
        ],
        inputs: Vec::new(),
        buttons: Vec::new(),
    };
    Message::with_card(format!("{}: {}", record.id, verdict.to_lowercase()), card)
}

/// The card of a stage that was never decided because the request ended first.
pub fn closed_card(record: &RequestRecord) -> Message {
    let card = Card {
        title: format!("Access request {}: {}", record.id, record.state.label()),
        sections: vec![CardSection {
            text: format!(
                "{} asked for {}. The request is no longer waiting for approval: it is {}.",
                record.requester.upn,
                what(record),
                record.state.label()
            ),
            facts: facts(record),
        }],
        inputs: Vec::new(),
        buttons: Vec::new(),
        refresh: None,
    };
    Message::with_card(format!("{}: {}", record.id, record.state.label()), card)
}

/// What the requester is told after a decision.
pub fn requester_update(
    record: &RequestRecord,
    stage: usize,
    approved: bool,
    by: &str,
    reason: Option<&str>,
) -> Message {
    let text = if !approved {
        match reason {
            Some(reason) => format!(
                "{}: {by} denied your request for {}. Their reason: {reason}",
                record.id,
                what(record)
            ),
            None => format!(
                "{}: {by} denied your request for {}.",
                record.id,
                what(record)
            ),
        }
    } else if let State::AwaitingApproval { stage: next } = record.state {
        format!(
            "{}: {by} approved step {} of {}. Now waiting for {}.",
            record.id,
            stage + 1,
            record.stages.len(),
            record
                .stages
                .get(next)
                .map(|next| next.approvers.join(" or "))
                .unwrap_or_default()
        )
    } else {
        format!("{}: {by} approved. I'm making the change now.", record.id)
    };
    Message::text(text)
}

/// " This step needs 2 approvals; 1 so far (nina@contoso.com)." for a quorum, else nothing.
fn quorum_note(stage: &StageRecord) -> String {
    if stage.quorum <= 1 {
        return String::new();
    }
    let so_far = if stage.approvals.is_empty() {
        "none yet".to_owned()
    } else {
        format!(
            "{} so far ({})",
            stage.approvals.len(),
            names(&stage.approvals)
        )
    };
    format!(" This step needs {} approvals; {so_far}.", stage.quorum)
}

fn names(approvals: &[Approval]) -> String {
    let names: Vec<&str> = approvals
        .iter()
        .map(|approval| approval.by.as_str())
        .collect();
    names.join(" and ")
}

/// What an approver who said yes sees while the stage waits for the rest of its quorum: their
/// yes is counted, and the card has no live buttons.
pub fn counted_card(record: &RequestRecord, stage: usize, approver: &str) -> Message {
    let needed = record
        .stages
        .get(stage)
        .map_or(0, StageRecord::still_needed);
    let card = Card {
        refresh: None,
        title: format!("Access request {}: your approval is counted", record.id),
        sections: vec![
            CardSection {
                text: format!("{} asks for {}.", record.requester.upn, what(record)),
                facts: facts(record),
            },
            CardSection {
                text: format!(
                    "You ({approver}) approved.{} It needs {needed} more {}.",
                    record
                        .stages
                        .get(stage)
                        .map(quorum_note)
                        .unwrap_or_default(),
                    if needed == 1 { "approval" } else { "approvals" }
                ),
                facts: Vec::new(),
            },
        ],
        inputs: Vec::new(),
        buttons: Vec::new(),
    };
    Message::with_card(format!("{}: your approval is counted", record.id), card)
}

/// What the requester is told when one approver's yes leaves the stage short of its quorum.
pub fn requester_counted(record: &RequestRecord, stage: usize, by: &str) -> Message {
    let needed = record
        .stages
        .get(stage)
        .map_or(0, StageRecord::still_needed);
    Message::text(format!(
        "{}: {by} approved step {} of {}. It needs {needed} more {} before I go on.",
        record.id,
        stage + 1,
        record.stages.len(),
        if needed == 1 { "approval" } else { "approvals" }
    ))
}

/// Reminds an approver that a request still waits for them.
pub fn approver_reminder(record: &RequestRecord, stage: usize) -> Message {
    let since = record
        .stages
        .get(stage)
        .and_then(|stage| stage.opened_at)
        .map(|at| format!(" since {}", at.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    Message::text(format!(
        "Reminder: {} has been waiting{since} for your decision on {} ({}). The card with Approve and Deny is above.",
        record.requester.upn,
        record.id,
        what(record)
    ))
}

/// The requester hears that the approvers were reminded.
pub fn requester_waiting(record: &RequestRecord, reminded: &[String]) -> Message {
    Message::text(format!(
        "{}: still waiting for {}; I've reminded them.",
        record.id,
        reminded.join(" or ")
    ))
}

/// The requester hears that more approvers were asked.
pub fn requester_escalated(record: &RequestRecord, added: &[String]) -> Message {
    Message::text(format!(
        "{}: no decision yet, so I've also asked {}.",
        record.id,
        added.join(" and ")
    ))
}

/// Nobody decided in time.
pub fn timed_out(record: &RequestRecord, stage: usize) -> Message {
    let waited_for = record
        .stages
        .get(stage)
        .map(|stage| stage.approvers.join(" or "))
        .unwrap_or_default();
    Message::text(format!(
        "{}: nobody decided in time ({waited_for} were asked), so the request has expired and nothing was changed. Ask again if you still need {}.",
        record.id,
        what(record)
    ))
}

/// The reminder before a grant's end, with an Extend button (its data names the request only).
pub fn ending_soon(record: &RequestRecord) -> Message {
    let until = record
        .ends_at
        .map(|end| end.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let text = format!(
        "{}: your {} ends at {until}. Extend it to keep it without a gap; policy and approvals apply again.",
        record.id,
        what(record)
    );
    let card = Card {
        title: format!("Your access ends at {until}"),
        sections: Vec::new(),
        inputs: Vec::new(),
        buttons: vec![CardButton::Execute {
            title: "Extend".to_owned(),
            verb: Verb::Extend,
            data: json!({ "request": record.id }),
            style: ButtonStyle::Positive,
        }],
        refresh: None,
    };
    Message::with_card(text, card)
}

/// An extension took its grant over.
pub fn extended(record: &RequestRecord, from: &str) -> Message {
    let until = record
        .ends_at
        .map(|end| format!(" until {}", end.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    Message::text(format!(
        "{}: extended. You keep {}{until} without a gap (it continues {from}).",
        record.id,
        what(record)
    ))
}

/// A grant is being taken away on `by`'s word: what they are told.
pub fn removing(record: &RequestRecord, by: &str) -> Message {
    let text = if by.eq_ignore_ascii_case(&record.requester.upn) {
        format!(
            "{}: removing your {} now; I'll tell you when it's gone.",
            record.id,
            what(record)
        )
    } else {
        format!(
            "{}: removing {} for {} now; I'll tell them when it's gone.",
            record.id,
            what(record),
            record.requester.upn
        )
    };
    Message::text(text)
}

/// [`removing`] as a card without buttons: what a clicked Remove button's card becomes (Teams
/// replaces a clicked card only with a card).
pub fn removing_card(record: &RequestRecord, by: &str) -> Message {
    let said = removing(record, by);
    // The words are the message's text, which both platforms show under the title.
    let card = Card {
        refresh: None,
        title: format!("Removing {}", record.resource.short_name()),
        sections: Vec::new(),
        inputs: Vec::new(),
        buttons: Vec::new(),
    };
    Message::with_card(said.text, card)
}

/// The requester's word that their approved request waits for `upn`'s sign-in, which
/// Doorman has asked for.
pub fn carried_out_with_sign_in_of(record: &RequestRecord, upn: &str) -> Message {
    Message::text(format!(
        "{}: approved. It will be carried out with {upn}'s sign-in, which I've asked them for.",
        record.id
    ))
}

/// Asks the acting person to sign in so their request-approved change can be made.
pub fn sign_in_to_act(record: &RequestRecord, link: &Url) -> Message {
    let card = Card {
        refresh: None,
        title: "Sign in to carry out an approved request".into(),
        sections: vec![CardSection {
            text: format!(
                "{} is approved: {} for {}. It is carried out with your own Microsoft 365 sign-in. \
                 Sign in once; this link works for 10 minutes and only for you.",
                record.id,
                what(record),
                record.requester.upn
            ),
            facts: Vec::new(),
        }],
        inputs: Vec::new(),
        buttons: vec![CardButton::OpenUrl {
            title: "Sign in".into(),
            url: link.to_string(),
        }],
    };
    Message::with_card(
        "Please sign in to Doorman to carry out an approved request.",
        card,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::example;

    #[test]
    fn the_approvers_card_says_whose_manager_the_policy_line_means() {
        let mut record = example::request(vec![StageRecord::new(
            "manager".into(),
            vec!["maria@contoso.com".into()],
            1,
        )]);
        record.policy_line =
            "Policy allows it with approval from your manager (maria@contoso.com).".into();
        record.requester.display_name = Some("Tom Becker".into());
        let shown = serde_json::to_string(&card(&record, 0)).expect("json");
        assert!(
            shown.contains("Tom Becker's manager (maria@contoso.com)"),
            "{shown}"
        );
        assert!(!shown.contains("your manager"), "{shown}");
    }

    #[test]
    fn the_deny_reason_says_and_carries_its_limit() {
        let record = example::request(vec![StageRecord::new(
            "owner".into(),
            vec!["nina@contoso.com".into()],
            1,
        )]);
        let message = card(&record, 0);
        let input = message
            .card
            .as_ref()
            .and_then(|card| card.inputs.first())
            .expect("a deny reason");
        assert_eq!(input.max_length, Some(DENY_REASON_MAX));
        assert!(input.label.contains("500 characters"), "{}", input.label);
    }
}

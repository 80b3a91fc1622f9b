//! Approvals: the card an approver sees, who may click it, and what everyone is told after.
//!
//! A click is judged only by the verified clicker (the Teams activity's `aadObjectId`, the
//! linked account of a signed Slack payload) against the stage recorded in the store; the
//! card's data carries the request id and stage number, never an identity. The requester never
//! approves; a stage already decided, or a request no longer waiting for that stage, refuses
//! the click and changes nothing.

use serde_json::{Value, json};
use url::Url;

use crate::domain::chat::{
    ButtonStyle, Card, CardButton, CardInput, CardSection, ChatAction, Message, Verb,
};
use crate::domain::duration::format_duration;
use crate::requests::record::{RequestRecord, State};

/// The input a deny reason is typed into.
pub const DENY_REASON: &str = "deny_reason";

/// Why a click changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClickRefused {
    /// No such request (or the card's data is not one of Doorman's).
    Unknown,
    /// The clicker could not be identified.
    Unidentified,
    /// The requester clicked their own request's card.
    OwnRequest,
    /// The clicker is not an approver of this stage.
    NotAnApprover,
    /// The stage was decided already, or the request moved on.
    AlreadyDecided,
}

impl ClickRefused {
    pub fn sentence(self) -> &'static str {
        match self {
            ClickRefused::Unknown => "That button isn't active any more.",
            ClickRefused::Unidentified => {
                "I couldn't tell who clicked, so nothing was changed. Please sign in to Doorman and try again."
            }
            ClickRefused::OwnRequest => {
                "You can't approve or deny your own request; nothing was changed."
            }
            ClickRefused::NotAnApprover => {
                "Only the approvers of this step can decide it; nothing was changed."
            }
            ClickRefused::AlreadyDecided => {
                "This step has already been decided; nothing was changed."
            }
        }
    }
}

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
        .map(|reason| reason.chars().take(500).collect())
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
        State::AwaitingApproval { stage: waiting } if waiting == stage => Ok(()),
        _ => Err(ClickRefused::AlreadyDecided),
    }
}

fn what(record: &RequestRecord) -> String {
    let access = if record.access == record.requested_access {
        record.access.label().to_owned()
    } else {
        format!(
            "{} (asked for {})",
            record.access.label(),
            record.requested_access.label()
        )
    };
    format!(
        "{access} on {} ({})",
        record.resource.name,
        record.resource.kind.label()
    )
}

fn how_long(record: &RequestRecord) -> String {
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
        ("Policy".to_owned(), record.policy_line.clone()),
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

/// The approval card for `stage` of `record`.
pub fn card(record: &RequestRecord, stage: usize) -> Message {
    let stage_name = record
        .stages
        .get(stage)
        .map(|stage| stage.name.clone())
        .unwrap_or_default();
    let data = json!({ "request": record.id, "stage": stage });
    let card = Card {
        title: format!("Access request {}", record.id),
        sections: vec![CardSection {
            text: format!(
                "{} asks for {}. You are asked as {} (step {} of {}).",
                record.requester.upn,
                what(record),
                stage_label(&stage_name),
                stage + 1,
                record.stages.len()
            ),
            facts: facts(record),
        }],
        inputs: vec![CardInput {
            id: DENY_REASON.to_owned(),
            label: "Reason if you deny (optional)".to_owned(),
            placeholder: "Why not?".to_owned(),
            for_verb: Some(Verb::Deny),
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
    if record.allow_standing && stage_name == "owner" {
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
    let mut text = format!("{verdict} by {by} at {at}.");
    if let Some(reason) = reason {
        text.push_str(&format!(" Reason: {reason}"));
    }
    let card = Card {
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

/// What the requester is told once the grant is made and read back.
pub fn done(record: &RequestRecord) -> Message {
    let until = match record.ends_at {
        Some(end) => format!(" until {}", end.format("%Y-%m-%d %H:%M UTC")),
        None => String::new(),
    };
    Message::text(format!(
        "{}: done. You now have {}{until}; I checked that it took effect.",
        record.id,
        what(record)
    ))
}

/// Asks the acting person to sign in so their request-approved change can be made.
pub fn sign_in_to_act(record: &RequestRecord, link: &Url) -> Message {
    let card = Card {
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
    use crate::domain::chat::{Channel, ChatUser, Place};
    use crate::domain::resource::{Access, ResourceKind};
    use crate::intent::ResourceRef;
    use crate::policy::Acting;
    use crate::requests::record::{Requester, StageRecord};

    fn record(state: State) -> RequestRecord {
        RequestRecord {
            id: "R-TEST01".into(),
            requester: Requester {
                upn: "tom@contoso.com".into(),
                entra_id: "id-tom".into(),
                chat_user: ChatUser {
                    channel: Channel::Teams,
                    tenant: "t".into(),
                    id: "id-tom".into(),
                },
                place: Place {
                    channel: Channel::Teams,
                    reference: serde_json::json!({}),
                },
                display_name: None,
                department: None,
                job_title: None,
            },
            resource: ResourceRef {
                kind: ResourceKind::Group,
                id: "g".into(),
                name: "VPN Users".into(),
            },
            group_id: Some("g".into()),
            access: Access::Member,
            requested_access: Access::Member,
            duration_seconds: None,
            reason: None,
            acting: Acting::Approver,
            stages: vec![StageRecord {
                name: "owner".into(),
                approvers: vec!["nina@contoso.com".into(), "tom@contoso.com".into()],
                cards: Vec::new(),
                decided_by: None,
                decided_at: None,
                standing: false,
            }],
            policy_line: String::new(),
            state,
            created_at: chrono::Utc::now(),
            ends_at: None,
            made_by: None,
            allow_standing: false,
            made_steps: Vec::new(),
            attempting: None,
            sign_in_asked_at: None,
        }
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
        let moved_on = record(State::Provisioning { waiting_for: None });
        assert_eq!(
            may_decide(&moved_on, 0, Some(&nina)),
            Err(ClickRefused::AlreadyDecided)
        );
    }
}

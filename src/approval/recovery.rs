//! What an account recovery says (DESIGN.md section 10): the manager's card that says plainly
//! what they confirm, the step-up link, and the message that carries a password or pass to the
//! requester's own 1:1 chat (and nowhere else).

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use url::Url;

use super::{DENY_REASON, DENY_REASON_MAX};
use crate::domain::chat::{
    ButtonStyle, Card, CardButton, CardInput, CardRefresh, CardSection, Message, Verb,
};
use crate::domain::request::{RecoveryCase, RequestRecord, VerifyWay};

/// The requester as a card names them: their name, else their account.
fn name_of(record: &RequestRecord) -> String {
    record
        .requester
        .display_name
        .clone()
        .unwrap_or_else(|| record.requester.upn.clone())
}

fn case_of(record: &RequestRecord) -> Option<RecoveryCase> {
    record.recovery.as_ref().map(|recovery| recovery.case)
}

/// What is done to their account, in their manager's words: "reset their password".
fn change_for_them(case: RecoveryCase) -> &'static str {
    match case {
        RecoveryCase::ForgotPassword | RecoveryCase::ExpiredPassword => "reset their password",
        RecoveryCase::LockedOut => "unlock their account",
        RecoveryCase::LostMfa => "replace their lost sign-in method with a temporary access pass",
    }
}

/// The same in the requester's words: "reset your password".
fn change_for_you(case: RecoveryCase) -> &'static str {
    match case {
        RecoveryCase::ForgotPassword | RecoveryCase::ExpiredPassword => "reset your password",
        RecoveryCase::LockedOut => "unlock your account",
        RecoveryCase::LostMfa => "give you a temporary access pass",
    }
}

/// The card asking the requester's manager to confirm it is really them, for a
/// `verify:manager` stage; `None` for any other stage.
pub(super) fn manager_card(record: &RequestRecord, stage: usize) -> Option<Message> {
    let waiting = record.stages.get(stage)?;
    if waiting.name != VerifyWay::Manager.stage_name() {
        return None;
    }
    let case = case_of(record)?;
    let name = name_of(record);
    let first = name.split_whitespace().next().unwrap_or(&name).to_owned();
    let question = format!(
        "Is this really {name} asking Doorman to {}?",
        change_for_them(case)
    );
    let data = json!({ "request": record.id, "stage": stage });
    let card = Card {
        refresh: Some(CardRefresh {
            data: data.clone(),
            people: Vec::new(),
        }),
        title: format!("Confirm it is {first} ({})", record.id),
        sections: vec![CardSection {
            // The question is the message's text, shown above.
            text: format!(
                "You are asked because you are their manager. Say yes only if you \
                 know it is them (you spoke to them, in person or by a call you made). Nothing \
                 changes until you answer, and the new {} goes only to their own direct chat, \
                 never to you.",
                match case {
                    RecoveryCase::LostMfa => "pass",
                    _ => "password",
                }
            ),
            facts: vec![
                (
                    "Who".to_owned(),
                    format!("{name} ({})", record.requester.upn),
                ),
                ("What".to_owned(), change_for_them(case).to_owned()),
                ("Policy".to_owned(), record.policy_line.clone()),
            ],
        }],
        inputs: vec![CardInput {
            id: DENY_REASON.to_owned(),
            label: format!("What makes you unsure (optional, up to {DENY_REASON_MAX} characters)"),
            placeholder: "Why not?".to_owned(),
            for_verb: Some(Verb::Deny),
            max_length: Some(DENY_REASON_MAX),
            choices: Vec::new(),
        }],
        buttons: vec![
            CardButton::Execute {
                title: format!("Yes, it is {first}"),
                verb: Verb::Approve,
                data: data.clone(),
                style: ButtonStyle::Positive,
            },
            CardButton::Execute {
                title: "No, or not sure".to_owned(),
                verb: Verb::Deny,
                data,
                style: ButtonStyle::Destructive,
            },
        ],
    };
    Some(Message::with_card(question, card))
}

/// The step-up sign-in link, for the requester's 1:1 chat only.
pub fn verify_with_sign_in(record: &RequestRecord, link: &Url) -> Message {
    let change = case_of(record).map_or("change your account", change_for_you);
    let card = Card {
        refresh: None,
        title: "Verify it's you".into(),
        sections: vec![CardSection {
            text: format!(
                "{}: before I {change}, sign in once more with your phone sign-in or security \
                 key (not your password). The link works for 10 minutes and only for you.",
                record.id
            ),
            facts: Vec::new(),
        }],
        inputs: Vec::new(),
        buttons: vec![CardButton::OpenUrl {
            title: "Verify with a sign-in".into(),
            url: link.to_string(),
        }],
    };
    Message::with_card("Verify it's you with a multi-factor sign-in.", card)
}

/// The requester hears that one way of verifying failed and the next is tried.
pub fn verify_another_way(record: &RequestRecord, why: &str) -> Message {
    let next = record
        .current_stage()
        .map(|(_, stage)| stage.name.as_str())
        .unwrap_or_default();
    let then = if next == VerifyWay::Manager.stage_name() {
        "I've asked your manager to confirm it's you instead."
    } else {
        "I'm trying the next way of verifying you."
    };
    Message::text(format!("{}: {why}. {then}", record.id))
}

/// The requester could not be verified any way policy allows: nothing was changed.
pub fn not_verified(record: &RequestRecord, why: &str) -> Message {
    Message::text(format!(
        "{}: I could not verify it's you ({why}), so I changed nothing. Your IT helpdesk can help in person.",
        record.id
    ))
}

/// The message that carries the new password or pass, verbatim, to the requester's 1:1 chat.
pub fn secret_message(
    record: &RequestRecord,
    kind: &str,
    secret: &SecretString,
    until: Option<DateTime<Utc>>,
    not_done: &[String],
) -> Message {
    let value = secret.expose_secret();
    let caveats = if not_done.is_empty() {
        String::new()
    } else {
        format!("\nNot everything went through: {}.", not_done.join("; "))
    };
    let text = match kind {
        "temporary_access_pass" => format!(
            "{}: here is your temporary access pass, good for one sign-in{}: {value}\n\
             Sign in with it and register your new phone or key at https://aka.ms/mysecurityinfo. \
             Your lost method was removed and its sessions signed out. This message is removed in 10 minutes.",
            record.id,
            until.map_or(String::new(), |until| format!(
                " until {}",
                until.format("%H:%M UTC")
            ))
        ),
        _ => format!(
            "{}: your new temporary password is: {value}\n\
             Type it exactly as shown (letters, digits and dashes). You'll choose your own at the \
             next sign-in, and every old session was signed out.{caveats} This message is removed in 10 minutes.",
            record.id
        ),
    };
    Message::text(text)
}

/// The message that will carry the secret, sent before any secret exists.
pub fn placeholder(record: &RequestRecord) -> Message {
    Message::text(format!(
        "{}: verified. Making the change now; what you need to sign in appears here.",
        record.id
    ))
}

/// The placeholder once the change was refused before anything changed.
pub fn placeholder_unchanged(record: &RequestRecord) -> Message {
    Message::text(format!("{}: nothing was changed.", record.id))
}

/// The placeholder once the recovery failed (the failure is said in its own message).
pub fn placeholder_not_completed(record: &RequestRecord) -> Message {
    Message::text(format!(
        "{}: not completed (see my message about it).",
        record.id
    ))
}

/// The secret's message after its ten minutes.
pub fn removed(record: &RequestRecord) -> Message {
    Message::text(format!("{}: (removed)", record.id))
}

/// The recovery failed; `why` is said in words a requester reads, with no Graph detail.
pub fn failed(record: &RequestRecord, why: &str) -> Message {
    Message::text(format!(
        "{}: I could not recover your account: {why}.",
        record.id
    ))
}

/// The change was made, but the direct chat that should carry the secret was out of reach.
pub fn undelivered(record: &RequestRecord) -> Message {
    Message::text(format!(
        "{}: the change was made, but I could not reach our direct chat to give you what you need to sign in. Open a direct chat with me and ask again.",
        record.id
    ))
}

//! What the conversation says about a recovery of the person's own account: what the
//! investigation found, why nothing changes, how they will be verified. The request's later
//! messages (the manager's card, the step-up link, the secret) are `approval::recovery`'s.

use crate::directory::Case;
use crate::domain::chat::Message;
use crate::domain::request::{RecoveryCase, RequestRecord};
use crate::policy::Decision;

/// The directory could not be read to investigate.
pub fn directory_unavailable() -> Message {
    Message::text(
        "I can't look into your account right now (the directory isn't answering). Nothing has been changed; please ask again in a few minutes.",
    )
}

/// Policy refused the change the investigation found.
pub fn refused(case: RecoveryCase, decision: &Decision) -> Message {
    Message::text(format!(
        "I looked into it: {}. {} Nothing has been changed.",
        found(case),
        decision.sentence()
    ))
}

/// The recovery is under way: what was found, what will change, under whose account, and how
/// the requester is verified first (the request's first stage).
pub fn started(record: &RequestRecord, case: RecoveryCase, privileged: bool) -> Message {
    let first = record
        .stages
        .first()
        .map(|stage| stage.name.as_str())
        .unwrap_or_default();
    let how = if first == "verify:mfa" {
        "First, verify it's you: I've sent you a sign-in link in our direct chat."
    } else {
        "First, your manager confirms it's really you: I've asked them."
    };
    let who = if privileged {
        "the privileged administrator account, once it's approved and"
    } else {
        "the helpdesk account"
    };
    Message::text(format!(
        "{}: I looked into it: {}. I'll {} with {who} once you're verified. {how} Nothing has been changed yet.",
        record.id,
        found(case),
        case.change()
    ))
}

/// One recovery per person at a time.
pub fn already_under_way(open: &str) -> Message {
    Message::text(format!(
        "Your account recovery {open} is already under way: finish it first (\"status\" shows where it stands). Nothing new was started."
    ))
}

/// No way of verifying the requester is left.
pub fn cannot_verify(case: RecoveryCase, why: &str) -> Message {
    Message::text(format!(
        "I looked into it: {}. But I can't verify it's you: {why}. Nothing has been changed; your IT helpdesk can help in person.",
        found(case)
    ))
}

/// What the investigation found, in a clause.
fn found(case: RecoveryCase) -> &'static str {
    match case {
        RecoveryCase::ForgotPassword => "you've forgotten your password",
        RecoveryCase::ExpiredPassword => "your password has expired",
        RecoveryCase::LockedOut => {
            "your account is locked after too many sign-ins with a wrong password"
        }
        RecoveryCase::LostMfa => "you've lost the phone or app you sign in with",
    }
}

/// The answer to a case that changes nothing.
pub fn explain(case: &Case) -> Message {
    let text = match case {
        Case::ConditionalAccess { policy, controls } => {
            let which = policy
                .as_deref()
                .map_or("a Conditional Access policy".to_owned(), |name| {
                    format!("the Conditional Access policy \"{name}\"")
                });
            let satisfy: Vec<&str> = controls
                .iter()
                .map(|control| match control.as_str() {
                    "compliantDevice" => "a company-managed (compliant) device",
                    "domainJoinedDevice" => "a company-joined device",
                    "mfa" => "a multi-factor sign-in",
                    "approvedApplication" | "compliantApplication" => "an approved app",
                    "passwordChange" => "changing your password",
                    _ => "what your organisation requires",
                })
                .collect();
            let how = if satisfy.is_empty() {
                "signing in from a company-managed device or the company network".to_owned()
            } else {
                satisfy.join(" or ")
            };
            format!(
                "Your password and account are fine: your last sign-in was blocked by {which}. It lets you in with {how}. Try again from there; there is nothing for me to reset, so I changed nothing."
            )
        }
        Case::WrongPassword => "Your account isn't locked and your password hasn't expired: your last sign-in failed because the password was mistyped. Check Caps Lock and your keyboard layout and try again. If you've really forgotten it, tell me \"I forgot my password\". I changed nothing.".to_owned(),
        Case::NothingWrong => "Your account isn't locked, your password hasn't expired, and your last sign-in worked. If something still fails, tell me what you see, or \"I forgot my password\". I changed nothing.".to_owned(),
        Case::OtherFailure { code, reason } => format!(
            "Your account isn't locked and your password hasn't expired, so there is nothing for me to reset. Your last sign-in failed with AADSTS{code}{}. Your IT helpdesk can look into it. I changed nothing.",
            reason.as_deref().map_or(String::new(), |reason| format!(": {reason}"))
        ),
        Case::Disabled => "Your account is disabled, which only an administrator can change: please contact your IT helpdesk. I changed nothing.".to_owned(),
        Case::Change(_) => String::new(),
    };
    Message::text(text)
}

/// Someone else's account: refused by policy's global layer, saying who can help.
pub fn someone_elses(other: &str, decision: &Decision) -> Message {
    Message::text(format!(
        "{} I can only recover your own account, and only after verifying it's you: {other} has to ask me themselves, in their own chat with me. If they can't sign in anywhere, their manager or your IT helpdesk can help them in person. Nothing has been changed.",
        decision.sentence()
    ))
}

//! "I can't log in": an account recovery of the requester's own account, decided through
//! intake (which investigated and found the case), answered at once when nothing is to change
//! (Conditional Access explained, a mistyped password, someone else's account refused), and
//! otherwise started as a request that verifies the requester before the operator acts.

use chrono::Utc;
use serde_json::json;

use super::Conversation;
use crate::directory::Case;
use crate::domain::chat::{ChatUser, Message, Place};
use crate::domain::request::RecoveryCase;
use crate::intake::Decided;
use crate::intent::Intent;
use crate::policy::Decision;
use crate::requests::{Abilities, RecoveryStart, StartError};

impl Conversation {
    /// Answers a recovery intent of `upn`'s. `decided` is intake's decision (with its
    /// investigation); `None` when the directory could not be read.
    pub(super) async fn recover_own(
        &self,
        place: &Place,
        upn: &str,
        user: &ChatUser,
        intent: &Intent,
        decided: Option<Decided>,
        origin: &str,
    ) {
        let Some(decided) = decided else {
            self.say(place, &Message::text(
                "I can't look into your account right now (the directory isn't answering). Nothing has been changed; please ask again in a few minutes.",
            ))
            .await;
            return;
        };
        let someone_else = match intent {
            Intent::ResetPassword { on_behalf_of }
            | Intent::UnlockAccount { on_behalf_of }
            | Intent::RecoverMfa { on_behalf_of } => on_behalf_of.clone(),
            _ => None,
        };
        if let Some(other) = someone_else {
            self.say(place, &someone_elses(&other, &decided.decision))
                .await;
            return;
        }
        let Some(assessment) = &decided.recovery else {
            self.say(place, &Message::text(decided.decision.sentence()))
                .await;
            return;
        };
        let case = match &assessment.case {
            Case::Change(case) => *case,
            nothing_to_change => {
                self.audit_finding(upn, nothing_to_change);
                self.say(place, &explain(nothing_to_change)).await;
                return;
            }
        };
        let grant = match &decided.decision {
            Decision::Allow(grant) => grant,
            Decision::Deny(_) => {
                self.say(
                    place,
                    &Message::text(format!(
                        "I looked into it: {}. {} Nothing has been changed.",
                        found(case),
                        decided.decision.sentence()
                    )),
                )
                .await;
                return;
            }
        };
        let profile = decided.profile.clone();
        let manager = profile
            .as_ref()
            .and_then(|known| known.requester.manager.clone());
        let Some(requester) = self.requester_of(place, upn, user, profile).await else {
            return;
        };
        let findings = &assessment.findings;
        let start = RecoveryStart {
            case,
            abilities: Abilities {
                // A lost phone takes its Authenticator with it; a locked-out account cannot
                // sign in at all.
                passwordless: findings.passwordless
                    && case != RecoveryCase::LockedOut
                    && (case != RecoveryCase::LostMfa || findings.passwordless_off_phone()),
                manager,
            },
            privileged: findings.privileged,
            lost_methods: match case {
                RecoveryCase::LostMfa => findings.phone_methods.clone(),
                _ => Vec::new(),
            },
        };
        if let Err(error) = self.rate.record(&upn.to_lowercase(), Utc::now()) {
            tracing::error!(%error, "cannot count a request");
        }
        let started = self
            .requests
            .start_recovery(
                requester,
                start,
                grant,
                decided.decision.sentence(),
                Some(&format!("{}|{origin}", user.key())),
            )
            .await;
        match started {
            Ok(record) => {
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
                let who = if findings.privileged {
                    "the privileged administrator account, once it's approved and"
                } else {
                    "the helpdesk account"
                };
                self.say(place, &Message::text(format!(
                    "{}: I looked into it: {}. I'll {} with {who} once you're verified. {how} Nothing has been changed yet.",
                    record.id,
                    found(case),
                    case.change()
                )))
                .await;
                self.requests.advance(&record.id).await;
            }
            Err(StartError::AlreadyOpen(open)) => {
                self.say(place, &Message::text(format!(
                    "Your account recovery {open} is already under way: finish it first (\"status\" shows where it stands). Nothing new was started."
                )))
                .await;
            }
            Err(StartError::CannotVerify(why)) => {
                self.say(place, &Message::text(format!(
                    "I looked into it: {}. But I can't verify it's you: {why}. Nothing has been changed; your IT helpdesk can help in person.",
                    found(case)
                )))
                .await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot start a recovery");
                self.say(place, &super::replies::trouble()).await;
            }
        }
    }

    /// A case that changes nothing, on the audit trail (no request is kept for it).
    fn audit_finding(&self, upn: &str, case: &Case) {
        let finding = match case {
            Case::ConditionalAccess { policy, controls } => {
                json!({"case": "conditional_access", "policy": policy, "controls": controls})
            }
            Case::WrongPassword => json!({"case": "wrong_password"}),
            Case::NothingWrong => json!({"case": "nothing_wrong"}),
            Case::OtherFailure { code, .. } => json!({"case": "other_failure", "error_code": code}),
            Case::Disabled => json!({"case": "disabled"}),
            Case::Change(case) => json!({"case": case.as_str()}),
        };
        let record = crate::audit::NewRecord {
            request_id: None,
            kind: crate::audit::AuditKind::Decided,
            actor: upn.to_owned(),
            data: json!({"action": "account_recovery", "finding": finding, "changed": false}),
        };
        if let Err(error) = self.audit.append(record) {
            tracing::error!(%error, "cannot audit a recovery finding");
        }
    }
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
fn explain(case: &Case) -> Message {
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
fn someone_elses(other: &str, decision: &Decision) -> Message {
    Message::text(format!(
        "{} I can only recover your own account, and only after verifying it's you: {other} has to ask me themselves, in their own chat with me. If they can't sign in anywhere, their manager or your IT helpdesk can help them in person. Nothing has been changed.",
        decision.sentence()
    ))
}

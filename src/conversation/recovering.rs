//! "I can't log in": an account recovery of the requester's own account, decided through
//! intake (which investigated and found the case), answered at once when nothing is to change
//! (Conditional Access explained, a mistyped password, someone else's account refused), and
//! otherwise started as a request that verifies the requester before the operator acts.

use chrono::Utc;
use serde_json::json;

use super::Conversation;
use super::replies::recovery;
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
            self.say(place, &recovery::directory_unavailable()).await;
            return;
        };
        let someone_else = match intent {
            Intent::ResetPassword { on_behalf_of }
            | Intent::UnlockAccount { on_behalf_of }
            | Intent::RecoverMfa { on_behalf_of } => on_behalf_of.clone(),
            _ => None,
        };
        if let Some(other) = someone_else {
            self.say(place, &recovery::someone_elses(&other, &decided.decision))
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
                self.say(place, &recovery::explain(nothing_to_change)).await;
                return;
            }
        };
        let grant = match &decided.decision {
            Decision::Allow(grant) => grant,
            Decision::Deny(_) => {
                self.say(place, &recovery::refused(case, &decided.decision))
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
                self.say(
                    place,
                    &recovery::started(&record, case, findings.privileged),
                )
                .await;
                self.requests.advance(&record.id).await;
            }
            Err(StartError::AlreadyOpen(open)) => {
                self.say(place, &recovery::already_under_way(&open)).await;
            }
            Err(StartError::CannotVerify(why)) => {
                self.say(place, &recovery::cannot_verify(case, &why)).await;
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

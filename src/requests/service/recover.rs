//! Account recovery (DESIGN.md section 10) through the same request engine as any grant:
//! kept before each side effect, verified before anything changes, carried out by the operator
//! (the privileged operator for an administrator's account), read back, and its secret
//! delivered only in the requester's own 1:1 chat, then removed from it after ten minutes.
//!
//! The verification is the request's first stage: `verify:mfa` waits for a step-up sign-in
//! through Doorman's link, `verify:manager` for the manager's click on a card that says what
//! they confirm. The alternatives policy lists are tried in order; one this requester cannot
//! complete (no passwordless method, no manager) is never offered, and one that fails gives
//! way to the next. Every write names the requester's own account: [`VerifiedSelf`] is the
//! only way to a target id, and only a verified, kept request makes one.

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use serde_json::json;

use super::{Requests, StartError, origins};
use crate::approval;
use crate::approval::recovery as recovery_messages;
use crate::audit::AuditKind;
use crate::domain::chat::SentMessage;
use crate::domain::request::{
    Acting, LostMethod, Recovery, RecoveryCase, RequestRecord, Requester, StageRecord, StageTiming,
    State, VerifyWay,
};
use crate::domain::resource::{Access, ResourceKind, ResourceRef};
use crate::graph::auth_methods::{PASSWORD_METHOD_ID, TemporaryAccessPassUse};
use crate::graph::{DelegatedToken, GraphError};
use crate::identity::{Role, StepUpOutcome, TokenError};
use crate::policy::Grant;
use crate::policy::model::Verify;
use crate::requests::machine::{Effect, Event};
use crate::scheduler::{Job, Outcome};

/// How long a step-up sign-in may take before the next way of verifying is tried.
pub const STEP_UP_WITHIN_SECONDS: u64 = 600;
/// When a manager who has not confirmed yet is reminded, and when the request gives up.
const MANAGER_REMINDED_AFTER: u64 = 3_600;
const MANAGER_ANSWERS_WITHIN: u64 = 24 * 3_600;
/// How long a password or pass stays readable in the chat.
pub const SECRET_SHOWN_FOR: TimeDelta = TimeDelta::minutes(10);
/// How long a password reset's operation is polled before it counts as not read back.
const RESET_READ_BACK_TRIES: u32 = 30;

/// What the requester can do to prove it is them, as the investigation found.
#[derive(Clone, Debug)]
pub struct Abilities {
    /// They hold a passwordless method a step-up sign-in can use now.
    pub passwordless: bool,
    /// Their manager's UPN, when they have one.
    pub manager: Option<String>,
}

/// A recovery to start: the case found and what was found about the account.
#[derive(Clone, Debug)]
pub struct RecoveryStart {
    pub case: RecoveryCase,
    pub abilities: Abilities,
    pub privileged: bool,
    pub lost_methods: Vec<LostMethod>,
}

/// The verified requester's own account: the only target a recovery writes to. Made only from
/// a kept request whose verification stage was settled (by the step-up or the manager), so no
/// text, card or id from outside can name another account.
pub struct VerifiedSelf {
    entra_id: String,
    upn: String,
    way: VerifyWay,
}

impl VerifiedSelf {
    fn of(record: &RequestRecord) -> Option<VerifiedSelf> {
        let recovery = record.recovery.as_ref()?;
        let way = recovery.verified_by?;
        let settled = record
            .stages
            .iter()
            .any(|stage| stage.name == way.stage_name() && stage.decided_by.is_some());
        // The request's resource is the requester's own account, fixed when it was kept.
        let own = record.resource.kind == ResourceKind::Account
            && record
                .resource
                .id
                .eq_ignore_ascii_case(&record.requester.entra_id);
        (settled && own).then(|| VerifiedSelf {
            entra_id: record.requester.entra_id.clone(),
            upn: record.requester.upn.clone(),
            way,
        })
    }
}

/// The first of policy's `verify` alternatives this requester can complete, as a stage, and
/// the rest after it; `Err` says why none can.
fn verification_stages(
    verify: &[Verify],
    abilities: &Abilities,
    requester: &str,
) -> Result<Vec<StageRecord>, String> {
    let mut stages = Vec::new();
    let mut why_not = Vec::new();
    for way in verify {
        match way {
            Verify::Mfa if abilities.passwordless => {
                let mut stage = StageRecord::new(VerifyWay::Mfa.stage_name().to_owned(), Vec::new(), 1);
                stage.timing = Some(StageTiming {
                    remind_after: STEP_UP_WITHIN_SECONDS,
                    escalate_after: STEP_UP_WITHIN_SECONDS,
                    escalate_to: Vec::new(),
                    expire_after: STEP_UP_WITHIN_SECONDS,
                });
                stages.push(stage);
            }
            Verify::Mfa => why_not.push(
                "a multi-factor sign-in needs a passwordless method (the Authenticator app's phone sign-in or a security key) that still works, and you have none"
                    .to_owned(),
            ),
            Verify::Manager => match &abilities.manager {
                Some(manager) if !manager.eq_ignore_ascii_case(requester) => {
                    let mut stage = StageRecord::new(
                        VerifyWay::Manager.stage_name().to_owned(),
                        vec![manager.to_lowercase()],
                        1,
                    );
                    stage.timing = Some(StageTiming {
                        remind_after: MANAGER_REMINDED_AFTER,
                        escalate_after: MANAGER_ANSWERS_WITHIN,
                        escalate_to: Vec::new(),
                        expire_after: MANAGER_ANSWERS_WITHIN,
                    });
                    stages.push(stage);
                }
                _ => why_not.push("the directory names no manager of yours to confirm it".to_owned()),
            },
        }
    }
    if stages.is_empty() {
        if verify.is_empty() {
            why_not.push("policy names no way to verify who is asking".to_owned());
        }
        return Err(why_not.join("; "));
    }
    Ok(stages)
}

/// A password Entra accepts and a person can type from a chat: four groups of letters and
/// digits joined by `-` (no look-alikes), with upper and lower case and a digit.
pub fn generate_password() -> SecretString {
    use rand::Rng;
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGITS: &[u8] = b"23456789";
    let mut random = rand::rng();
    let mut pick = |set: &[u8]| char::from(set[random.random_range(0..set.len())]);
    let groups: Vec<String> = (0..4)
        .map(|group| {
            let mut word = String::with_capacity(4);
            word.push(pick(UPPER));
            word.push(pick(LOWER));
            word.push(pick(LOWER));
            word.push(if group % 2 == 0 {
                pick(DIGITS)
            } else {
                pick(LOWER)
            });
            word
        })
        .collect();
    SecretString::from(groups.join("-"))
}

/// A secret made for the requester, and how the audit names it.
struct Secret {
    kind: &'static str,
    value: SecretString,
    /// Until when it works, when it runs out.
    until: Option<DateTime<Utc>>,
}

impl Requests {
    /// Keeps a recovery policy allowed and starts it. The stages are the verification first,
    /// then policy's (an administrator's `privileged_recovery` among them).
    pub async fn start_recovery(
        &self,
        requester: Requester,
        start: RecoveryStart,
        grant: &Grant,
        policy_line: String,
        origin: Option<&str>,
    ) -> Result<RequestRecord, StartError> {
        if start.privileged && self.privileged_operator.is_none() {
            return Err(StartError::CannotVerify(
                "your account holds an administrator role, which only a Privileged Authentication Administrator account may recover, and none is configured ([microsoft] privileged_operator)"
                    .to_owned(),
            ));
        }
        let mut stages = verification_stages(&grant.verify, &start.abilities, &requester.upn)
            .map_err(StartError::CannotVerify)?;
        let first = stages.remove(0);
        let alternatives = stages;
        let id = match self.reserve(origin)? {
            origins::Reserved::Started(record) => return Ok(*record),
            origins::Reserved::Id(id) => id,
        };
        // One recovery at a time: two messages never make two resets.
        if let Some(open) = self.open_recovery(&requester.upn) {
            return Err(StartError::AlreadyOpen(open));
        }
        let mut all = vec![first];
        all.extend(
            approval::stages::resolve(
                &grant.stages,
                &requester.upn,
                &self.catalog.current(),
                &self.directory,
            )
            .await?,
        );
        let pass_minutes = grant.duration.map(|span| {
            u32::try_from(span.as_secs() / 60)
                .unwrap_or(u32::MAX)
                .clamp(10, 43_200)
        });
        let record = RequestRecord {
            id,
            resource: ResourceRef {
                kind: ResourceKind::Account,
                id: requester.entra_id.clone(),
                name: requester.upn.clone(),
            },
            requester,
            group_id: None,
            access: Access::Owner,
            requested_access: Access::Owner,
            duration_seconds: None,
            reason: None,
            acting: Acting::Operator,
            stages: all,
            policy_line,
            state: State::AwaitingApproval { stage: 0 },
            created_at: self.now(),
            ends_at: None,
            made_by: None,
            allow_standing: false,
            made_steps: Vec::new(),
            attempting: None,
            sign_in_asked_at: None,
            extends: None,
            extended_by: None,
            recovery: Some(Recovery {
                case: start.case,
                alternatives,
                step_up_asked_at: None,
                verified_by: None,
                lost_methods: start.lost_methods,
                privileged: start.privileged,
                pass_minutes,
                secret_message: None,
            }),
        };
        let record =
            self.table
                .create(self.store.as_ref(), record, crate::domain::request::new_id)?;
        self.settle_origin(origin, &record.id)?;
        let trail: Vec<_> = grant
            .trail
            .iter()
            .map(|step| json!({"layer": step.layer.as_str(), "verdict": step.verdict.as_str(), "note": step.note}))
            .collect();
        self.audit(
            &record,
            AuditKind::Received,
            &record.requester.upn,
            json!({
                "resource": record.resource, "case": start.case.as_str(),
                "privileged": start.privileged,
                "verify": record.stages.first().map(|stage| stage.name.clone()),
                "alternatives": record.recovery.as_ref().map(|recovery| recovery.alternatives.iter().map(|stage| stage.name.clone()).collect::<Vec<_>>()),
                "stages": record.stages.iter().map(|stage| json!({"stage": stage.name, "approvers": stage.approvers})).collect::<Vec<_>>(),
                "acting": "operator", "trail": trail,
            }),
        );
        Ok(record)
    }

    /// The requester's recovery still in flight, if any: one at a time, so two messages never
    /// make two resets.
    fn open_recovery(&self, upn: &str) -> Option<String> {
        self.table
            .of(upn)
            .ok()?
            .into_iter()
            .find(|record| record.recovery.is_some() && !record.state.is_final())
            .map(|record| record.id)
    }

    /// The `verify:mfa` stage: the requester gets a step-up sign-in link in their 1:1 chat
    /// (once; a link lives ten minutes, and the stage's time-out moves on after that).
    pub(super) async fn ask_step_up(&self, record: RequestRecord, stage: usize) {
        let Some(recovery) = &record.recovery else {
            return;
        };
        if recovery.step_up_asked_at.is_some() {
            return;
        }
        if record
            .stages
            .get(stage)
            .is_some_and(|stage| stage.opened_at.is_none())
        {
            self.open_stage(&record, stage);
        }
        let asked = self.apply(&record.id, &Event::StepUpAsked { at: self.now() });
        if !matches!(asked, Ok(Ok(_))) {
            return;
        }
        let user = &record.requester.chat_user;
        let link = match self.identity.step_up_link(
            user,
            &record.requester.entra_id,
            Some(record.requester.upn.clone()),
            &record.id,
        ) {
            Ok(link) => link,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot create a step-up link");
                return;
            }
        };
        let message = approval::verify_with_sign_in(&record, &link);
        if self.courier.deliver_to(user, &message).await.is_none() {
            tracing::warn!(request = %record.id, "cannot reach the requester for a step-up");
        }
        self.audit(
            &record,
            AuditKind::ApprovalRequested,
            "doorman",
            json!({"stage": stage, "verify": "mfa", "sent_to": "requester 1:1 chat"}),
        );
    }

    /// A step-up sign-in for request `id` ended: verified, or the next way is tried.
    pub async fn stepped_up(&self, id: &str, outcome: StepUpOutcome) {
        let lock = self.lock_of(id);
        let guard = lock.lock().await;
        let Ok(Some(record)) = self.get(id) else {
            return;
        };
        let Some((stage, _)) = record
            .current_stage()
            .filter(|(_, stage)| stage.name == VerifyWay::Mfa.stage_name())
        else {
            // Not waiting for a step-up (a replayed or late link): nothing happens.
            return;
        };
        match outcome {
            StepUpOutcome::Verified => {
                let at = self.now();
                let Ok(Ok(record)) = self.apply(id, &Event::SteppedUp { stage, at }) else {
                    return;
                };
                self.audit(
                    &record,
                    AuditKind::Approved,
                    &record.requester.upn,
                    json!({"stage": stage, "verified_by": "mfa"}),
                );
                drop(guard);
                self.advance(id).await;
            }
            StepUpOutcome::Refused(why) => {
                drop(guard);
                self.verification_failed(id, stage, why).await;
            }
        }
    }

    /// The way `stage` waits for cannot verify the requester: audited, and the next
    /// alternative opens (its cards go out), or the request is refused and they are told.
    pub(super) async fn verification_failed(&self, id: &str, stage: usize, why: String) {
        let lock = self.lock_of(id);
        let guard = lock.lock().await;
        let transition = match self.apply_with_effects(
            id,
            &Event::VerificationFailed {
                stage,
                why: why.clone(),
            },
        ) {
            Ok(Ok(transition)) => transition,
            _ => return,
        };
        let record = transition.record;
        // The failed way's timers end with it; the next way's start when it opens.
        for job in [
            Job::RemindApprovers {
                request: id.to_owned(),
                stage,
            },
            Job::Escalate {
                request: id.to_owned(),
                stage,
            },
            Job::TimeOut {
                request: id.to_owned(),
                stage,
            },
        ] {
            if let Err(error) = self.scheduler.cancel(&job.id()) {
                tracing::error!(%error, request = id, "cannot take a failed verification's timers off");
            }
        }
        self.audit(
            &record,
            AuditKind::Denied,
            "doorman",
            json!({"stage": stage, "verification_failed": why,
                   "next": record.stages.get(stage).filter(|_| !transition.effects.iter().any(|effect| matches!(effect, Effect::Unverified { .. }))).map(|next| next.name.clone())}),
        );
        drop(guard);
        for effect in transition.effects {
            match effect {
                Effect::Advance => {
                    self.say(
                        &record.requester.place,
                        &approval::verify_another_way(&record, &why),
                    )
                    .await;
                    self.advance(id).await;
                }
                Effect::CloseCards { stage } => self.courier.close_cards(&record, stage).await,
                Effect::Unverified { why } => {
                    self.say(
                        &record.requester.place,
                        &approval::not_verified(&record, &why),
                    )
                    .await;
                }
                _ => {}
            }
        }
    }

    /// Carries a verified recovery out under the operator's token: the change, read back, the
    /// secret delivered in the requester's 1:1 chat and put on the timers to be removed.
    pub(super) async fn recover(&self, record: RequestRecord) {
        let Some(recovery) = record.recovery.clone() else {
            return;
        };
        let Some(target) = VerifiedSelf::of(&record) else {
            self.recovery_failed(&record, "the requester was not verified".to_owned())
                .await;
            return;
        };
        if record.made_by.is_some() {
            // A run before a restart began the change and did not record its end: it may or
            // may not have been made, and its secret is lost either way. Nothing is made twice.
            self.recovery_failed(
                &record,
                "I was interrupted while making the change, so I cannot tell whether it was made; nothing more was done. Please ask again"
                    .to_owned(),
            )
            .await;
            return;
        }
        let operator = if recovery.privileged {
            self.privileged_operator.clone()
        } else {
            self.operator.clone()
        };
        let Some(operator) = operator else {
            let why = if recovery.privileged {
                "no privileged operator account is configured ([microsoft] privileged_operator)"
            } else {
                "no operator account is configured ([microsoft] operator)"
            };
            self.recovery_failed(&record, why.to_owned()).await;
            return;
        };
        let Some(operator_id) = self.entra_id_of(&operator) else {
            self.recovery_failed(&record, format!("{operator} is not in the directory"))
                .await;
            return;
        };
        let token = match self
            .identity
            .delegated_token_for(
                &operator_id,
                Role::Operator,
                crate::domain::request::Service::Graph,
            )
            .await
        {
            Ok(token) => token,
            Err(TokenError::NeedsSignIn(_)) => {
                self.wait_for_sign_in(&record, &operator, &operator_id, Role::Operator)
                    .await;
                return;
            }
            Err(error) => {
                tracing::warn!(%error, request = %record.id, "no operator token yet");
                return;
            }
        };
        let carrying = Event::CarryingOut {
            made_by: operator.clone(),
            ends_at: None,
        };
        let Ok(Ok(record)) = self.apply(&record.id, &carrying) else {
            return;
        };
        // The message that will carry the secret goes out (and is kept, and its removal put on
        // the timers) before any secret exists: whatever happens next, it is removed.
        let Some(placeholder) = self.place_secret_message(&record).await else {
            self.recovery_failed(
                &record,
                "I could not open our direct chat, the only place I give out a password or pass; nothing was changed. Open a direct chat with me and ask again"
                    .to_owned(),
            )
            .await;
            return;
        };
        let acted = self.act(&token, &target, &recovery).await;
        let Some(secret) = acted.secret else {
            let why = acted
                .refused
                .unwrap_or_else(|| "the change could not be made".to_owned());
            self.audit(
                &record,
                AuditKind::Failed,
                &operator,
                json!({"case": recovery.case.as_str(), "error": why}),
            );
            self.courier
                .update(
                    &placeholder,
                    &recovery_messages::placeholder_unchanged(&record),
                )
                .await;
            self.recovery_failed(&record, why).await;
            return;
        };
        self.audit(
            &record,
            AuditKind::Provisioned,
            &operator,
            json!({
                "case": recovery.case.as_str(), "target": target.entra_id,
                "verified_by": target.way.as_str(), "policy": record.policy_line,
                "lost_methods_removed": recovery.lost_methods.iter().map(|method| method.label.clone()).collect::<Vec<_>>(),
                "uncertain": acted.uncertain, "not_done": acted.warnings,
            }),
        );
        let message = approval::secret_message(
            &record,
            secret.kind,
            &secret.value,
            secret.until,
            &acted.warnings,
        );
        let mut delivered = self.courier.try_update(&placeholder, &message).await;
        if !delivered {
            // The placeholder could not be replaced: a new message, kept before anything else.
            if let Some(sent) = self
                .courier
                .deliver_to(&record.requester.chat_user, &message)
                .await
            {
                let _ = self.apply(&record.id, &Event::SecretMessage { sent: sent.clone() });
                self.schedule_secret_removal(&record.id);
                delivered = true;
            }
        }
        let place = record.requester.chat_user.channel.name();
        self.audit(
            &record,
            AuditKind::Verified,
            "doorman",
            json!({
                "secret": secret.kind, "delivered": delivered,
                "delivered_to": format!("{place} 1:1 chat of {}", target.upn),
                "verified_by": target.way.as_str(), "policy": record.policy_line,
            }),
        );
        let completed = Event::Completed {
            at: self.now(),
            secret_message: None,
        };
        if !matches!(self.apply(&record.id, &completed), Ok(Ok(_))) {
            tracing::error!(request = %record.id, "cannot record a recovery as done");
        }
        if !delivered {
            self.say(
                &record.requester.place,
                &recovery_messages::undelivered(&record),
            )
            .await;
        }
    }

    /// Sends the message that will carry the secret to the requester's own 1:1 chat, keeps it
    /// on the request and puts its removal on the timers; `None` when it cannot be sent or kept.
    async fn place_secret_message(&self, record: &RequestRecord) -> Option<SentMessage> {
        let waiting = recovery_messages::placeholder(record);
        let sent = self
            .courier
            .deliver_to(&record.requester.chat_user, &waiting)
            .await?;
        match self.apply(&record.id, &Event::SecretMessage { sent: sent.clone() }) {
            Ok(Ok(_)) => {}
            _ => return None,
        }
        self.schedule_secret_removal(&record.id);
        Some(sent)
    }

    fn schedule_secret_removal(&self, id: &str) {
        let job = Job::RemoveSecret {
            request: id.to_owned(),
        };
        if let Err(error) = self.scheduler.schedule(self.now() + SECRET_SHOWN_FOR, job) {
            tracing::error!(%error, request = id, "cannot put the secret's removal on the timers");
        }
    }

    /// Makes the change for `recovery.case` on the verified requester's own account, and reads
    /// it back: a reset's operation succeeded, a pass listed, lost methods gone, sessions
    /// revoked. Once the credential may have changed its secret is kept whatever fails after
    /// (what did not happen is said beside it); a write Graph turned down first-hand is a
    /// refusal, and nothing was changed.
    async fn act(
        &self,
        token: &DelegatedToken,
        target: &VerifiedSelf,
        recovery: &Recovery,
    ) -> Acted {
        let graph = &self.graph;
        let id = target.entra_id.as_str();
        let mut acted = Acted::default();
        let secret = match recovery.case {
            RecoveryCase::ForgotPassword
            | RecoveryCase::ExpiredPassword
            | RecoveryCase::LockedOut => {
                let password = generate_password();
                match graph
                    .reset_password(token, id, PASSWORD_METHOD_ID, Some(&password))
                    .await
                {
                    Ok(reset) => {
                        if let Some(location) = reset.value.operation_location.as_deref() {
                            if let Err(why) = self.read_back_reset(token, id, location).await {
                                acted.warnings.push(why);
                            }
                        }
                    }
                    Err(error) if maybe_made(&error) => {
                        // The answer was lost: the password may be set. The requester is
                        // verified and it is theirs, so they get it, with the doubt said.
                        tracing::warn!(%error, "a password reset's answer was lost");
                        acted.uncertain = true;
                        acted.warnings.push(
                            "your password may or may not have been reset (Microsoft's answer was lost): if your old one still works, keep using it, otherwise use this one"
                                .to_owned(),
                        );
                    }
                    Err(error) => {
                        acted.refused = Some(plain("the password reset", &error));
                        return acted;
                    }
                }
                Secret {
                    kind: "password",
                    value: password,
                    until: None,
                }
            }
            RecoveryCase::LostMfa => {
                let minutes = recovery.pass_minutes.unwrap_or(60);
                let mut created = graph
                    .create_temporary_access_pass(token, id, minutes, TemporaryAccessPassUse::Once)
                    .await;
                if let Err(error) = &created {
                    if maybe_made(error) {
                        // A new pass replaces any earlier one: asking once more leaves exactly
                        // one pass, the one whose value is known.
                        tracing::warn!(%error, "a temporary access pass's answer was lost");
                        created = graph
                            .create_temporary_access_pass(
                                token,
                                id,
                                minutes,
                                TemporaryAccessPassUse::Once,
                            )
                            .await;
                    }
                }
                let pass = match created {
                    Ok(pass) => pass.value,
                    Err(error) => {
                        acted.refused = Some(plain("the temporary access pass", &error));
                        return acted;
                    }
                };
                let Some(value) = pass.temporary_access_pass else {
                    acted.refused = Some("Microsoft returned no temporary access pass".to_owned());
                    return acted;
                };
                match graph.temporary_access_passes(token, id).await {
                    Ok(listed) if listed.value.iter().any(|found| found.id == pass.id) => {}
                    Ok(_) => acted
                        .warnings
                        .push("I could not read the pass back yet".to_owned()),
                    Err(error) => acted.warnings.push(plain("reading the pass back", &error)),
                }
                for lost in &recovery.lost_methods {
                    match graph
                        .delete_authentication_method(token, id, &lost.collection, &lost.id)
                        .await
                    {
                        Ok(_) | Err(GraphError::NotFound(_)) => {}
                        Err(error) => acted
                            .warnings
                            .push(plain(&format!("removing the lost {}", lost.label), &error)),
                    }
                }
                match graph.authentication_methods(token, id).await {
                    Ok(methods) => {
                        if let Some(left) = recovery
                            .lost_methods
                            .iter()
                            .find(|lost| methods.value.iter().any(|method| method.id() == lost.id))
                        {
                            acted.warnings.push(format!("your lost {} is still registered: remove it at https://aka.ms/mysecurityinfo", left.label));
                        }
                    }
                    Err(error) => acted
                        .warnings
                        .push(plain("reading your methods back", &error)),
                }
                Secret {
                    kind: "temporary_access_pass",
                    value,
                    until: Some(self.now() + TimeDelta::minutes(i64::from(minutes))),
                }
            }
        };
        // Whoever held the old password or the lost device is signed out everywhere.
        if let Err(error) = graph.revoke_sign_in_sessions(token, id).await {
            acted
                .warnings
                .push(plain("signing out your old sessions", &error));
        }
        acted.secret = Some(secret);
        acted
    }

    /// Polls a password reset's operation until it succeeded (or failed, or too long).
    async fn read_back_reset(
        &self,
        token: &DelegatedToken,
        id: &str,
        location: &str,
    ) -> Result<(), String> {
        for _ in 0..RESET_READ_BACK_TRIES {
            match self.graph.password_reset_status(token, id, location).await {
                Ok(status) => match status.value.status.as_str() {
                    "succeeded" => return Ok(()),
                    "failed" => {
                        return Err(format!(
                            "the password reset failed ({})",
                            status.value.status_detail.unwrap_or_default()
                        ));
                    }
                    _ => {}
                },
                Err(GraphError::NotFound(_)) => {}
                Err(error) => return Err(plain("reading the reset back", &error)),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        Err("the password reset could not be read back as done".to_owned())
    }

    /// A recovery that cannot be carried out: it ends failed (nothing of it is left to take
    /// back: a reset is not undone), audited, and the requester told.
    async fn recovery_failed(&self, record: &RequestRecord, why: String) {
        let Ok(Ok(failed)) = self.apply(&record.id, &Event::Failed { why: why.clone() }) else {
            return;
        };
        let Ok(Ok(failed)) = self.apply(&failed.id, &Event::Undone) else {
            return;
        };
        self.audit(&failed, AuditKind::Failed, "doorman", json!({"why": why}));
        if let Some(placeholder) = failed
            .recovery
            .as_ref()
            .and_then(|recovery| recovery.secret_message.as_ref())
        {
            let nothing = recovery_messages::placeholder_not_completed(&failed);
            self.courier.update(placeholder, &nothing).await;
        }
        self.say(
            &failed.requester.place,
            &recovery_messages::failed(&failed, &why),
        )
        .await;
    }

    /// The `RemoveSecret` job: the message that carried a password or pass now says
    /// "(removed)", tried again every minute while the chat service refuses (for a day).
    pub(super) async fn remove_secret(&self, id: &str) -> Outcome {
        let Ok(Some(record)) = self.get(id) else {
            return Outcome::Done;
        };
        let Some(sent) = record
            .recovery
            .as_ref()
            .and_then(|recovery| recovery.secret_message.clone())
        else {
            return Outcome::Done;
        };
        let removed = recovery_messages::removed(&record);
        if self.courier.try_update(&sent, &removed).await {
            return Outcome::Done;
        }
        if self.now() - record.created_at > TimeDelta::days(1) {
            tracing::error!(
                request = id,
                "a secret's message could not be removed for a day; giving up"
            );
            return Outcome::Done;
        }
        Outcome::RetryAt(self.now() + TimeDelta::minutes(1))
    }
}

/// What carrying a recovery out came to: its secret (once the credential may have changed),
/// what did not happen beside it, or why nothing was changed.
#[derive(Debug, Default)]
struct Acted {
    secret: Option<Secret>,
    /// The change may have been made without its answer coming back.
    uncertain: bool,
    warnings: Vec<String>,
    refused: Option<String>,
}

/// Whether a failed write may still have been carried out: its answer was lost (a broken
/// connection, a timeout or a 5xx), or an earlier attempt's was.
fn maybe_made(error: &GraphError) -> bool {
    matches!(error, GraphError::Network(_) | GraphError::Transient(_)) || !error.is_first_hand()
}

/// A failure in words a requester reads: what failed and why, without Graph's URLs or ids (the
/// log has those).
fn plain(what: &str, error: &GraphError) -> String {
    tracing::warn!(%error, what, "a recovery step failed");
    let why = match error {
        GraphError::Forbidden(_) => "the helpdesk account is not allowed to do it",
        GraphError::NotFound(_) => "Microsoft does not find it",
        GraphError::BadRequest(_) => "Microsoft turned it down",
        GraphError::Throttled { .. } => "Microsoft is busy",
        GraphError::Transient(_) | GraphError::Network(_) => "Microsoft could not be reached",
        GraphError::Unauthorized(_) => "the helpdesk account's sign-in is no longer valid",
        _ => "Microsoft answered something unexpected",
    };
    format!("{what} failed: {why}")
}

/// Keeps the secret's bytes out of `Debug`.
impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Secret")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_generated_password_is_letters_digits_and_dashes_with_every_class() {
        for _ in 0..200 {
            let password = generate_password();
            let text = password.expose_secret();
            assert_eq!(text.len(), 19, "{text}");
            assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            assert!(text.chars().any(|c| c.is_ascii_uppercase()));
            assert!(text.chars().any(|c| c.is_ascii_lowercase()));
            assert!(text.chars().any(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn verification_uses_the_first_way_the_requester_can_complete() {
        let both = [Verify::Mfa, Verify::Manager];
        let can_all = Abilities {
            passwordless: true,
            manager: Some("boss@contoso.com".to_owned()),
        };
        let names = |stages: Vec<StageRecord>| {
            stages
                .into_iter()
                .map(|stage| stage.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(verification_stages(&both, &can_all, "me@contoso.com").expect("stages")),
            ["verify:mfa", "verify:manager"]
        );
        let password_only = Abilities {
            passwordless: false,
            ..can_all.clone()
        };
        assert_eq!(
            names(verification_stages(&both, &password_only, "me@contoso.com").expect("stages")),
            ["verify:manager"]
        );
        let alone = Abilities {
            passwordless: false,
            manager: None,
        };
        let refused = verification_stages(&both, &alone, "me@contoso.com").expect_err("none");
        assert!(
            refused.contains("passwordless") && refused.contains("manager"),
            "{refused}"
        );
        assert!(verification_stages(&[], &can_all, "me@contoso.com").is_err());
    }
}

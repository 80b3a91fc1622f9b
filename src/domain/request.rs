//! One access request as it is kept: who asked, what policy allowed, who must approve, where it
//! stands. Written (and flushed) before every side effect, so a restart resumes it.
//!
//! A shared value: `requests` drives it, `approval` reads and shows it; neither owns the type.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::domain::chat::{ChatUser, Place, SentMessage};
use crate::domain::resource::{Access, ResourceRef};

/// Whose delegated token carries out the grant (DESIGN.md section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acting {
    Requester,
    /// The approver of the last `owner` stage.
    Approver,
    Operator,
}

impl Acting {
    pub fn as_str(self) -> &'static str {
        match self {
            Acting::Requester => "requester",
            Acting::Approver => "approver",
            Acting::Operator => "operator",
        }
    }
}

impl std::fmt::Display for Acting {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The service that holds the access a grant gives, and whose token the acting identity
/// writes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Graph,
    Exchange,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Graph => "graph",
            Service::Exchange => "exchange",
        }
    }

    /// As a sentence names it.
    pub fn label(self) -> &'static str {
        match self {
            Service::Graph => "Microsoft Graph",
            Service::Exchange => "Exchange Online",
        }
    }
}

/// Whether `text` has the shape of a request id (`R-` and six letters or digits), so that
/// only such text is ever quoted back to a person.
pub fn is_request_id(text: &str) -> bool {
    text.len() == 8
        && text.starts_with("R-")
        && text[2..].chars().all(|c| c.is_ascii_alphanumeric())
}

/// A short id a person can quote: `R-` and six letters and digits without look-alikes.
pub fn new_id() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut random = rand::rng();
    let suffix: String = (0..6)
        .map(|_| char::from(ALPHABET[random.random_range(0..ALPHABET.len())]))
        .collect();
    format!("R-{suffix}")
}

/// The person who asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Requester {
    pub upn: String,
    pub entra_id: String,
    pub chat_user: ChatUser,
    /// Where they asked: told there at each step.
    pub place: Place,
    /// As the directory had them when the request was made, for the approval card.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
}

/// A card sent to one approver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SentCard {
    pub approver: String,
    pub sent: SentMessage,
}

/// One approval stage: who may decide it, and who did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    /// As the policy names it: `owner`, `manager`, `user:UPN`, `group:NAME`.
    pub name: String,
    /// UPNs, lower case; never the requester.
    pub approvers: Vec<String>,
    /// How many different approvers must say yes.
    #[serde(default = "one")]
    pub quorum: u32,
    /// The yeses so far, in order; the stage is approved when there are `quorum` of them.
    #[serde(default)]
    pub approvals: Vec<Approval>,
    #[serde(default)]
    pub cards: Vec<SentCard>,
    /// Who settled the stage: the approver whose yes completed the quorum, or who said no.
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
    /// When the stage's approvers are reminded, more are asked, and the request gives up, as
    /// policy said when it decided.
    #[serde(default)]
    pub timing: Option<StageTiming>,
    /// When the stage began to wait: its timing counts from here.
    #[serde(default)]
    pub opened_at: Option<DateTime<Utc>>,
    /// Decided by a standing approval the approver gave earlier, not by a click.
    #[serde(default)]
    pub standing: bool,
}

fn one() -> u32 {
    1
}

/// A stage's timing, in seconds, and whom it escalates to (`manager_of_approver`,
/// `user:UPN`, `group:NAME`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTiming {
    pub remind_after: u64,
    pub escalate_after: u64,
    pub escalate_to: Vec<String>,
    pub expire_after: u64,
}

/// One approver's yes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub by: String,
    pub at: DateTime<Utc>,
}

impl StageRecord {
    /// A stage not decided yet.
    pub fn new(name: String, approvers: Vec<String>, quorum: u32) -> Self {
        StageRecord {
            name,
            approvers,
            quorum: quorum.max(1),
            approvals: Vec::new(),
            cards: Vec::new(),
            decided_by: None,
            decided_at: None,
            timing: None,
            opened_at: None,
            standing: false,
        }
    }

    /// Whether `upn` said yes to this stage already.
    pub fn approved_by(&self, upn: &str) -> bool {
        self.approvals
            .iter()
            .any(|approval| approval.by.eq_ignore_ascii_case(upn))
    }

    /// How many more yeses the stage needs.
    pub fn still_needed(&self) -> usize {
        usize::try_from(self.quorum)
            .unwrap_or(usize::MAX)
            .saturating_sub(self.approvals.len())
    }
}

/// Where a request stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// Waiting for the approvers of `stage` (an index into `stages`).
    AwaitingApproval { stage: usize },
    /// Approved; the change is being made (or will be, once `waiting_for` has signed in).
    Provisioning {
        #[serde(default)]
        waiting_for: Option<String>,
    },
    /// Made and read back.
    Active,
    Denied {
        by: String,
        #[serde(default)]
        reason: Option<String>,
    },
    /// The change could not be made; what it had made is being taken back (kept before the
    /// first removal, so a restart finishes it). `told`: the requester has heard it failed.
    Undoing {
        why: String,
        #[serde(default)]
        told: bool,
    },
    /// The change could not be made; what had been made was undone.
    Failed { why: String },
    /// Being taken away; kept before the first removal, so a restart finishes it.
    Revoking { cause: EndCause },
    /// Taken away and read back gone (or found gone): the grant is over.
    Ended { cause: EndCause, at: DateTime<Utc> },
    /// Nobody decided `stage` in the time policy gives: the request ended, nothing was made.
    TimedOut { stage: usize, at: DateTime<Utc> },
    /// A one-time change (an account recovered) was made and read back: nothing lasts that
    /// could end.
    Done { at: DateTime<Utc> },
}

/// Why a grant ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum EndCause {
    /// Its time ran out.
    Expired,
    /// Someone took it away: the requester, or an owner of the resource.
    Revoked { by: String },
    /// An extension took it over: the access goes on under that request.
    Extended { into: String },
    /// It was removed outside Doorman (reconciliation found it gone).
    Vanished,
}

impl EndCause {
    pub fn label(&self) -> &'static str {
        match self {
            EndCause::Expired => "expired",
            EndCause::Revoked { .. } => "revoked",
            EndCause::Extended { .. } => "extended",
            EndCause::Vanished => "ended",
        }
    }
}

impl State {
    pub fn label(&self) -> &'static str {
        match self {
            State::AwaitingApproval { .. } => "awaiting approval",
            State::Provisioning { .. } => "provisioning",
            State::Active => "active",
            State::Denied { .. } => "denied",
            State::Undoing { .. } => "failed, being undone",
            State::Failed { .. } => "failed",
            State::Revoking { .. } => "being removed",
            State::Ended { cause, .. } => cause.label(),
            State::TimedOut { .. } => "timed out",
            State::Done { .. } => "done",
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(
            self,
            State::Denied { .. }
                | State::Failed { .. }
                | State::Ended { .. }
                | State::TimedOut { .. }
                | State::Done { .. }
        )
    }
}

/// An access request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub id: String,
    pub requester: Requester,
    pub resource: ResourceRef,
    /// The group whose membership or ownership carries the grant.
    #[serde(default)]
    pub group_id: Option<String>,
    /// What will be granted, and what the words asked for.
    pub access: Access,
    pub requested_access: Access,
    #[serde(default)]
    pub duration_seconds: Option<u64>,
    #[serde(default)]
    pub reason: Option<String>,
    pub acting: Acting,
    pub stages: Vec<StageRecord>,
    /// The policy's decision in one line, for the approval card.
    pub policy_line: String,
    pub state: State,
    pub created_at: DateTime<Utc>,
    /// When the grant ends; fixed when provisioning starts.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// The person whose token made the change.
    #[serde(default)]
    pub made_by: Option<String>,
    /// Whether an owner may "approve always" here (the target rule's `allow_standing`).
    #[serde(default)]
    pub allow_standing: bool,
    /// The steps this request wrote, by description (the grant ledger says whose each is).
    #[serde(default)]
    pub made_steps: Vec<String>,
    /// Kept by requests made before the grant ledger: a step tried whose outcome was not
    /// recorded (the process stopped in between). Read once, when the ledger adopts them.
    #[serde(default)]
    pub attempting: Option<String>,
    /// When the acting person was last sent a sign-in link (sent again once it has expired).
    #[serde(default)]
    pub sign_in_asked_at: Option<DateTime<Utc>>,
    /// This request extends that active grant: once approved it takes the grant over, with
    /// the end fixed when it was decided, and nothing is written.
    #[serde(default)]
    pub extends: Option<String>,
    /// An approved extension is taking this grant over: its end removes nothing.
    #[serde(default)]
    pub extended_by: Option<String>,
    /// An account recovery: what was found, how the requester proves it is them, and what
    /// was delivered.
    #[serde(default)]
    pub recovery: Option<Recovery>,
}

/// What kind of sign-in trouble the investigation found (DESIGN.md section 10), among the
/// cases that change something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryCase {
    /// The password is forgotten: a reset.
    ForgotPassword,
    /// The password has expired: a reset.
    ExpiredPassword,
    /// Smart lockout: a reset clears it.
    LockedOut,
    /// The sign-in method is lost: a temporary access pass, the lost method removed.
    LostMfa,
}

impl RecoveryCase {
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryCase::ForgotPassword => "forgot_password",
            RecoveryCase::ExpiredPassword => "expired_password",
            RecoveryCase::LockedOut => "locked_out",
            RecoveryCase::LostMfa => "lost_mfa",
        }
    }

    /// What is done, as the requester and their manager read it: "reset your password".
    pub fn change(self) -> &'static str {
        match self {
            RecoveryCase::ForgotPassword | RecoveryCase::ExpiredPassword => "reset the password",
            RecoveryCase::LockedOut => "unlock the account",
            RecoveryCase::LostMfa => "issue a temporary access pass",
        }
    }
}

/// A way the requester proves it is them (policy's `verify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyWay {
    /// A fresh step-up sign-in with multi-factor authentication, through Doorman's link.
    Mfa,
    /// Their manager confirms on a card.
    Manager,
}

impl VerifyWay {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyWay::Mfa => "mfa",
            VerifyWay::Manager => "manager",
        }
    }

    /// The stage that waits for it.
    pub fn stage_name(self) -> &'static str {
        match self {
            VerifyWay::Mfa => "verify:mfa",
            VerifyWay::Manager => "verify:manager",
        }
    }
}

/// An account recovery as it is kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    pub case: RecoveryCase,
    /// The alternatives still to try after the one waiting, in order, with the stage each
    /// would open (already resolved to people).
    #[serde(default)]
    pub alternatives: Vec<StageRecord>,
    /// A step-up sign-in link went out at this time (it is good for ten minutes).
    #[serde(default)]
    pub step_up_asked_at: Option<DateTime<Utc>>,
    /// How the requester was verified, once they were.
    #[serde(default)]
    pub verified_by: Option<VerifyWay>,
    /// The methods to remove as lost (their Graph collection and id), for a lost MFA method.
    #[serde(default)]
    pub lost_methods: Vec<LostMethod>,
    /// The account holds an administrator role: only the privileged operator may change it.
    #[serde(default)]
    pub privileged: bool,
    /// How long a temporary access pass lasts, in minutes.
    #[serde(default)]
    pub pass_minutes: Option<u32>,
    /// The message that carried the secret, to be replaced by "(removed)".
    #[serde(default)]
    pub secret_message: Option<SentMessage>,
}

/// An authentication method to remove: where Graph lists it and its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostMethod {
    /// The method's kind as Graph's collection names it: `microsoftAuthenticatorMethods`.
    pub collection: String,
    pub id: String,
    /// How a sentence names it: "Microsoft Authenticator".
    pub label: String,
}

impl RequestRecord {
    /// The stage waiting for a decision, if any.
    pub fn current_stage(&self) -> Option<(usize, &StageRecord)> {
        match self.state {
            State::AwaitingApproval { stage } => {
                self.stages.get(stage).map(|record| (stage, record))
            }
            _ => None,
        }
    }

    /// Who approved the last `owner` stage: the identity `acting = "approver"` means.
    pub fn owner_approver(&self) -> Option<&str> {
        self.stages
            .iter()
            .rev()
            .find(|stage| stage.name == "owner")
            .and_then(|stage| stage.decided_by.as_deref())
    }
}

#[cfg(test)]
pub mod example;

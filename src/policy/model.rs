//! The policy file as typed rules (DESIGN.md section 4). Everything here was checked when the file
//! was loaded ([`super::load`]): levels exist, durations parse, stages name a known approver kind,
//! department rules name targets that exist. The engine never meets a string it has to interpret.

use std::fmt;
use std::time::Duration;

use chrono::Weekday;
use chrono_tz::Tz;

use crate::catalog::Resource;
use crate::domain::resource::{Access, ResourceKind};

/// A whole policy file.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub global: Global,
    pub tenant: Tenant,
    pub approval: Timing,
    /// In file order: the first whose `match` holds governs a resource.
    pub targets: Vec<TargetRule>,
    pub departments: Vec<DepartmentRule>,
    pub actions: Vec<ActionRule>,
    pub runtime: Runtime,
}

/// `[global]`: the configurable hard limits.
#[derive(Clone, Debug, Default)]
pub struct Global {
    pub max_duration: Option<Duration>,
    pub require_reason: bool,
    /// The stages an administrator's own account recovery needs (never self-service); none
    /// means such a recovery is refused.
    pub privileged_recovery: Vec<StageRule>,
}

/// `[tenant]`.
#[derive(Clone, Debug, Default)]
pub struct Tenant {
    /// Tenants whose people may request; empty means the configured tenant only.
    pub tenant_ids: Vec<String>,
    pub default_duration: Option<Duration>,
    /// Levels that may never be granted without an end.
    pub duration_required_for: Vec<Access>,
}

/// `[approval]` and its per-rule overrides: how long a stage waits before reminding,
/// escalating and expiring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    pub remind_after: Duration,
    pub escalate_after: Duration,
    pub escalate_to: Vec<Escalation>,
    pub expire_after: Duration,
}

impl Default for Timing {
    /// A working day to remind, a day to escalate to the approver's manager, three days to give
    /// up: what an identity team would write if it wrote nothing.
    fn default() -> Self {
        Timing {
            remind_after: Duration::from_secs(4 * 3_600),
            escalate_after: Duration::from_secs(86_400),
            escalate_to: vec![Escalation::ManagerOfApprover],
            expire_after: Duration::from_secs(3 * 86_400),
        }
    }
}

/// A rule's overrides of [`Timing`]; unset keys keep the `[approval]` value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimingOverride {
    pub remind_after: Option<Duration>,
    pub escalate_after: Option<Duration>,
    pub escalate_to: Option<Vec<Escalation>>,
    pub expire_after: Option<Duration>,
}

impl TimingOverride {
    pub fn is_empty(&self) -> bool {
        *self == TimingOverride::default()
    }

    /// `base` with these overrides applied.
    pub fn over(&self, base: &Timing) -> Timing {
        Timing {
            remind_after: self.remind_after.unwrap_or(base.remind_after),
            escalate_after: self.escalate_after.unwrap_or(base.escalate_after),
            escalate_to: self
                .escalate_to
                .clone()
                .unwrap_or_else(|| base.escalate_to.clone()),
            expire_after: self.expire_after.unwrap_or(base.expire_after),
        }
    }
}

/// Who a waiting stage is escalated to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Escalation {
    /// The manager of the approver who did not answer (of the requester, when the approver
    /// would have been the requester).
    ManagerOfApprover,
    User(String),
    Group(String),
}

impl fmt::Display for Escalation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Escalation::ManagerOfApprover => formatter.write_str("manager_of_approver"),
            Escalation::User(upn) => write!(formatter, "user:{upn}"),
            Escalation::Group(name) => write!(formatter, "group:{name}"),
        }
    }
}

/// One approval stage, as the file names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The owners of the resource.
    Owner,
    /// The requester's manager.
    Manager,
    /// One named person.
    User(String),
    /// Any member of a group.
    Group(String),
}

impl fmt::Display for Stage {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Owner => formatter.write_str("owner"),
            Stage::Manager => formatter.write_str("manager"),
            Stage::User(upn) => write!(formatter, "user:{upn}"),
            Stage::Group(name) => write!(formatter, "group:{name}"),
        }
    }
}

/// One entry of an `approval` list: the stage, and how many of its approvers must say yes
/// (`quorum`, 1 unless the entry is written `{ stage = "group:NAME", quorum = 2 }`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StageRule {
    pub stage: Stage,
    pub quorum: u32,
}

impl StageRule {
    pub fn any_one(stage: Stage) -> Self {
        StageRule { stage, quorum: 1 }
    }
}

impl fmt::Display for StageRule {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quorum > 1 {
            write!(formatter, "{} ({} approvals)", self.stage, self.quorum)
        } else {
            self.stage.fmt(formatter)
        }
    }
}

pub use crate::domain::request::Acting;

/// A `*`/`?` pattern compared without regard to case, as people write group names.
#[derive(Clone, Debug)]
pub struct Glob {
    text: String,
    pattern: wildmatch::WildMatch,
}

impl Glob {
    pub fn new(text: &str) -> Self {
        Glob {
            text: text.to_owned(),
            pattern: wildmatch::WildMatch::new_case_insensitive(text),
        }
    }

    pub fn matches(&self, candidate: &str) -> bool {
        self.pattern.matches(candidate)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// `match = { ... }`: every key given must hold.
#[derive(Clone, Debug, Default)]
pub struct Match {
    pub kind: Option<ResourceKind>,
    pub id: Option<String>,
    pub name: Option<Glob>,
    pub classification: Option<String>,
    pub mail: Option<Glob>,
    pub visibility: Option<String>,
    pub tag: Option<String>,
}

impl Match {
    /// Whether `resource` fits. Cheap tests first: a policy of hundreds of rules is scanned
    /// for every decision.
    pub fn holds(&self, resource: &Resource) -> bool {
        fn same(wanted: &Option<String>, got: Option<&str>) -> bool {
            match wanted {
                None => true,
                Some(wanted) => got.is_some_and(|got| got.eq_ignore_ascii_case(wanted)),
            }
        }
        self.kind.is_none_or(|kind| kind == resource.kind)
            && self.id.as_ref().is_none_or(|id| id == &resource.id)
            && same(&self.visibility, resource.visibility.as_deref())
            && same(&self.classification, resource.classification.as_deref())
            && self.tag.as_ref().is_none_or(|tag| {
                resource
                    .tags
                    .iter()
                    .any(|have| have.eq_ignore_ascii_case(tag))
            })
            && self
                .name
                .as_ref()
                .is_none_or(|name| name.matches(&resource.name))
            && self.mail.as_ref().is_none_or(|mail| {
                resource
                    .mail
                    .as_deref()
                    .is_some_and(|have| mail.matches(have))
            })
    }
}

/// One `[[target]]`.
#[derive(Clone, Debug)]
pub struct TargetRule {
    pub name: String,
    pub matcher: Match,
    pub deny: bool,
    pub max_access: Option<Access>,
    pub approval: Vec<StageRule>,
    pub max_duration: Option<Duration>,
    pub acting: Acting,
    pub allow_standing: bool,
    pub timing: TimingOverride,
    /// The line of its `[[target]]` header, for explanations.
    pub line: usize,
}

/// Which target rules a `[[department]]` applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Targets {
    All,
    /// Indexes into [`Policy::targets`].
    Named(Vec<usize>),
}

impl Targets {
    pub fn covers(&self, target: usize) -> bool {
        match self {
            Targets::All => true,
            Targets::Named(indexes) => indexes.contains(&target),
        }
    }
}

/// One `[[department]]`: eligibility by the requester's directory attributes.
#[derive(Clone, Debug)]
pub struct DepartmentRule {
    pub targets: Targets,
    /// Only these departments are eligible (when given).
    pub allow: Option<Vec<String>>,
    pub deny: Vec<String>,
    /// Only these employee types are eligible (when given).
    pub allow_employee_types: Option<Vec<String>>,
    pub deny_employee_types: Vec<String>,
    pub line: usize,
}

/// What an intent asks to do, as `[[action]] action = "..."` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionName {
    Grant,
    Revoke,
    ResetPassword,
    UnlockAccount,
    RecoverMfa,
    ShareCalendar,
    ForwardMail,
    ChangeAlias,
}

impl ActionName {
    pub const ALL: [ActionName; 8] = [
        ActionName::Grant,
        ActionName::Revoke,
        ActionName::ResetPassword,
        ActionName::UnlockAccount,
        ActionName::RecoverMfa,
        ActionName::ShareCalendar,
        ActionName::ForwardMail,
        ActionName::ChangeAlias,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionName::Grant => "grant",
            ActionName::Revoke => "revoke",
            ActionName::ResetPassword => "reset_password",
            ActionName::UnlockAccount => "unlock_account",
            ActionName::RecoverMfa => "recover_mfa",
            ActionName::ShareCalendar => "share_calendar",
            ActionName::ForwardMail => "forward_mail",
            ActionName::ChangeAlias => "change_alias",
        }
    }

    /// The actions on the requester's own account or mailbox, which no target rule governs.
    pub fn is_self_service(self) -> bool {
        !matches!(self, ActionName::Grant | ActionName::Revoke)
    }

    /// Account recovery: the requester proves it is them before anything changes.
    pub fn is_recovery(self) -> bool {
        matches!(
            self,
            ActionName::ResetPassword | ActionName::UnlockAccount | ActionName::RecoverMfa
        )
    }

    /// How a sentence names it: "password resets".
    pub fn label(self) -> &'static str {
        match self {
            ActionName::Grant => "access requests",
            ActionName::Revoke => "removing access",
            ActionName::ResetPassword => "password resets",
            ActionName::UnlockAccount => "account unlocks",
            ActionName::RecoverMfa => "multi-factor sign-in recovery",
            ActionName::ShareCalendar => "calendar sharing",
            ActionName::ForwardMail => "mail forwarding",
            ActionName::ChangeAlias => "changing your email address",
        }
    }
}

impl fmt::Display for ActionName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One `[[action]]`: applies to every request of its action and/or access level.
#[derive(Clone, Debug)]
pub struct ActionRule {
    pub action: Option<ActionName>,
    pub access: Option<Access>,
    pub deny: bool,
    pub approval: Vec<StageRule>,
    pub max_duration: Option<Duration>,
    /// The highest calendar level a `share_calendar` rule allows.
    pub max_access: Option<Access>,
    /// How an account-recovery requester proves it is them: alternatives, in order.
    pub verify: Vec<Verify>,
    pub timing: TimingOverride,
    pub line: usize,
}

impl ActionRule {
    /// `action = "..."` or `access = "..."`, as the trail names the rule.
    pub fn label(&self) -> String {
        match (self.action, self.access) {
            (Some(action), Some(access)) => format!("action {action} at {access}"),
            (Some(action), None) => format!("action {action}"),
            (None, Some(access)) => format!("access {access}"),
            (None, None) => "action".to_owned(),
        }
    }
}

/// A way a requester proves it is them before their own account is changed (DESIGN.md
/// section 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verify {
    /// A fresh step-up sign-in with multi-factor authentication.
    Mfa,
    /// Their manager confirms on a card.
    Manager,
}

impl Verify {
    pub const ALL: [Verify; 2] = [Verify::Mfa, Verify::Manager];

    pub fn as_str(self) -> &'static str {
        match self {
            Verify::Mfa => "mfa",
            Verify::Manager => "manager",
        }
    }
}

/// `[runtime]`.
#[derive(Clone, Debug, Default)]
pub struct Runtime {
    pub max_requests_per_hour: Option<u32>,
    pub change_window: Option<ChangeWindow>,
}

/// When changes may be made without more ado.
#[derive(Clone, Debug)]
pub struct ChangeWindow {
    /// Monday first.
    pub days: [bool; 7],
    /// Minutes after midnight, `start < end` or wrapping past midnight when `start > end`.
    pub start_minute: u32,
    pub end_minute: u32,
    pub tz: Tz,
    pub outside: Outside,
    /// The file's words, for the trail: "Mon-Fri 07:00-19:00 Europe/London".
    pub text: String,
}

impl ChangeWindow {
    /// Whether the local weekday and minute fall inside the window. A window that wraps past
    /// midnight belongs to the day it starts on.
    pub fn contains(&self, weekday: Weekday, minute: u32) -> bool {
        let day = weekday.num_days_from_monday() as usize;
        if self.start_minute <= self.end_minute {
            self.days[day] && (self.start_minute..self.end_minute).contains(&minute)
        } else {
            let yesterday = (day + 6) % 7;
            (self.days[day] && minute >= self.start_minute)
                || (self.days[yesterday] && minute < self.end_minute)
        }
    }
}

/// What happens to a request outside the change window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outside {
    Deny,
    /// An owner stage is added.
    Approve,
}

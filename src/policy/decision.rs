//! What the engine decided, why, and how that is said: the JSON of `policy explain`
//! (DESIGN.md section 4) and the one or two sentences the requester reads in chat.

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

use super::model::{Acting, Stage, Timing, Verify};
use crate::domain::duration::format_duration;
use crate::domain::request::Service;
use crate::domain::resource::Access;

/// The six layers, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    Global,
    Tenant,
    Target,
    Department,
    Action,
    Runtime,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Global => "global",
            Layer::Tenant => "tenant",
            Layer::Target => "target",
            Layer::Department => "department",
            Layer::Action => "action",
            Layer::Runtime => "runtime",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What a layer did at one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Access narrowed or duration capped.
    Narrow,
    /// An approval stage added.
    Approval,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Narrow => "narrow",
            Verdict::Approval => "approval",
            Verdict::Deny => "deny",
        }
    }
}

/// One line of the trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub layer: Layer,
    pub verdict: Verdict,
    pub note: String,
}

impl Step {
    pub fn new(layer: Layer, verdict: Verdict, note: &str) -> Self {
        Step {
            layer,
            verdict,
            note: note.to_owned(),
        }
    }
}

/// Who may approve a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approvers {
    /// These people, any one of whom decides (never the requester).
    People(Vec<String>),
    /// Any member of the named group except the requester, looked up when the card is sent.
    MembersOf(String),
}

impl fmt::Display for Approvers {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Approvers::People(people) => formatter.write_str(&people.join(" or ")),
            Approvers::MembersOf(group) => write!(formatter, "a member of {group}"),
        }
    }
}

/// One approval stage still needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageNeed {
    pub stage: Stage,
    /// How many different approvers must say yes (1: any one of them).
    pub quorum: u32,
    pub approvers: Approvers,
    pub timing: Timing,
    /// The layer and rule that asked for it, for the approval card's "why".
    pub layer: Layer,
    pub rule: String,
}

/// A refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub layer: Layer,
    /// The rule that refused, when a rule of the file did (built-in invariants name none).
    pub rule: Option<String>,
    /// A sentence the requester understands.
    pub message: String,
    pub trail: Vec<Step>,
}

/// An allowed request, as it may go ahead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The level that will be granted (least privilege).
    pub access: Option<Access>,
    /// The level the words asked for.
    pub requested_access: Option<Access>,
    /// `None`: no end.
    pub duration: Option<Duration>,
    /// Empty: no approval needed.
    pub stages: Vec<StageNeed>,
    pub acting: Acting,
    /// The service the acting identity's change goes through.
    pub service: Service,
    /// How the requester proves it is them first (account recovery), alternatives in order.
    pub verify: Vec<Verify>,
    /// The target rule that governs it.
    pub target: Option<String>,
    /// Whether an owner may "approve always" here.
    pub allow_standing: bool,
    /// A reason is required and the request has none yet.
    pub needs_reason: bool,
    /// Set when the access was narrowed from what was asked.
    pub narrowed_from: Option<Access>,
    pub trail: Vec<Step>,
}

/// The engine's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Deny(Denial),
    Allow(Grant),
}

impl Decision {
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    pub fn trail(&self) -> &[Step] {
        match self {
            Decision::Deny(denial) => &denial.trail,
            Decision::Allow(grant) => &grant.trail,
        }
    }

    /// The JSON of `policy explain` (DESIGN.md section 4).
    pub fn to_json(&self) -> Value {
        let trail: Vec<Value> = self
            .trail()
            .iter()
            .map(|step| json!({"layer": step.layer.as_str(), "verdict": step.verdict.as_str(), "note": step.note}))
            .collect();
        match self {
            Decision::Deny(denial) => json!({
                "outcome": "deny",
                "layer": denial.layer.as_str(),
                "rule": denial.rule,
                "message": denial.message,
                "trail": trail,
            }),
            Decision::Allow(grant) => {
                let seconds = grant.duration.map(|span| span.as_secs());
                json!({
                    "outcome": "allow",
                    "access": grant.access,
                    "requested_access": grant.requested_access,
                    "duration_seconds": seconds,
                    "duration_days": seconds.map(days),
                    "stages": grant.stages.iter().map(|need| need.stage.to_string()).collect::<Vec<_>>(),
                    "approvers": grant.stages.iter().map(|need| need.approvers.to_string()).collect::<Vec<_>>(),
                    "quorums": grant.stages.iter().map(|need| need.quorum).collect::<Vec<_>>(),
                    "acting": grant.acting.as_str(),
                    "service": grant.service.as_str(),
                    "verify": grant.verify.iter().map(|way| way.as_str()).collect::<Vec<_>>(),
                    "target": grant.target,
                    "allow_standing": grant.allow_standing,
                    "reason_required": grant.needs_reason,
                    "trail": trail,
                })
            }
        }
    }

    /// One or two plain sentences for the requester: why not, or what happens next.
    pub fn sentence(&self) -> String {
        match self {
            Decision::Deny(denial) => format!("Policy does not allow this: {}", denial.message),
            Decision::Allow(grant) => {
                let mut parts = Vec::new();
                if let (Some(from), Some(to)) = (grant.narrowed_from, grant.access) {
                    parts.push(format!(
                        "Policy allows at most {} here, so it would be granted as {} instead of {}.",
                        to.label(),
                        to.label(),
                        from.label()
                    ));
                }
                let until = match grant.duration {
                    Some(span) => format!(" for {}", format_duration(span)),
                    None => String::new(),
                };
                if grant.stages.is_empty() {
                    parts.push(format!("Policy allows it{until} without approval."));
                } else {
                    let who: Vec<String> = grant
                        .stages
                        .iter()
                        .map(|need| {
                            let who = match &need.stage {
                                Stage::Owner => format!("the owner ({})", need.approvers),
                                Stage::Manager => format!("your manager ({})", need.approvers),
                                Stage::User(_) | Stage::Group(_) => need.approvers.to_string(),
                            };
                            if need.quorum > 1 {
                                format!("{} approvals from {who}", need.quorum)
                            } else {
                                who
                            }
                        })
                        .collect();
                    parts.push(format!(
                        "Policy allows it{until} with approval from {}.",
                        who.join(", then ")
                    ));
                }
                parts.join(" ")
            }
        }
    }
}

/// Whole days as an integer, fractions otherwise (the contract's `duration_days`).
fn days(seconds: u64) -> Value {
    if seconds % 86_400 == 0 {
        json!(seconds / 86_400)
    } else {
        json!(seconds as f64 / 86_400.0)
    }
}

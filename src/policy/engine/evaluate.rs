//! The target, department and action layers for one resource: the first matching target
//! rule, narrowed and capped by the department and action rules, with the stages each asks for.

use std::cmp::Ordering;
use std::time::Duration;

use super::*;
use crate::catalog::Resource;
use crate::domain::resource::Access;
use crate::policy::decision::{Layer, Step, Verdict};
use crate::policy::model::{Policy, TargetRule};

/// One resource's verdict through the target, department and action layers.
pub(super) struct Pass<'p> {
    pub(super) rule: &'p TargetRule,
    pub(super) access: Access,
    pub(super) caps: Vec<(Duration, String)>,
    pub(super) target_stages: Vec<Planned>,
    pub(super) action_stages: Vec<Planned>,
}

/// The target, department and action layers for one resource at `access`.
pub(super) fn evaluate<'p>(
    policy: &'p Policy,
    request: &Request<'_>,
    facts: &Facts<'_>,
    resource: &Resource,
    access: Access,
    trail: &mut Vec<Step>,
    through: Option<&Through<'_>>,
) -> Result<Pass<'p>, Refusal> {
    let say = |message: String| match through {
        Some(through) => through.prefix(&message),
        None => message,
    };
    let note = |text: String| match through {
        Some(through) => format!("via the {} group: {text}", through.group.name),
        None => text,
    };
    if resource.role_assignable {
        let message = say(format!(
            "{} can be assigned directory roles, and Doorman never grants those: ask your identity team.",
            capitalised(&resource.describe())
        ));
        return Err((Layer::Global, None, message));
    }

    // Target: the first rule whose match holds.
    let Some((rule_index, rule)) = policy
        .targets
        .iter()
        .enumerate()
        .find(|(_, rule)| rule.matcher.holds(resource))
    else {
        let message = say(format!(
            "No policy rule covers {}, so it cannot be requested through Doorman.",
            resource.describe()
        ));
        return Err((Layer::Target, None, message));
    };
    if rule.deny {
        let message = say(format!(
            "Policy does not allow requests for {} (rule {}).",
            resource.describe(),
            rule.name
        ));
        return Err((Layer::Target, Some(rule.name.clone()), message));
    }
    let mut effective = access;
    if let Some(max) = rule.max_access {
        match Access::compare_within(resource.kind, access, max) {
            Some(Ordering::Greater) => {
                effective = max;
                trail.push(Step::new(
                    Layer::Target,
                    Verdict::Narrow,
                    &note(format!(
                        "rule {} allows at most {max}, so {access} is narrowed to {max}",
                        rule.name
                    )),
                ));
            }
            Some(_) => {}
            None => {
                let message = say(format!(
                    "Policy allows at most {} on {} (rule {}), which does not include {}.",
                    max.label(),
                    resource.describe(),
                    rule.name,
                    access.label()
                ));
                return Err((Layer::Target, Some(rule.name.clone()), message));
            }
        }
    }
    let timing = rule.timing.over(&policy.approval);
    let target_stages: Vec<Planned> = rule
        .approval
        .iter()
        .map(|entry| Planned {
            stage: entry.stage.clone(),
            quorum: entry.quorum,
            layer: Layer::Target,
            rule: rule.name.clone(),
            timing: timing.clone(),
        })
        .collect();
    let mut caps = Vec::new();
    if let Some(max) = rule.max_duration {
        caps.push((max, format!("rule {}", rule.name)));
    }
    trail.push(Step::new(
        Layer::Target,
        if target_stages.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Approval
        },
        &note(format!(
            "rule {} governs {}{}",
            rule.name,
            resource.describe(),
            stage_note(&rule.approval)
        )),
    ));

    // Department.
    let requester = facts.requester;
    for department in policy
        .departments
        .iter()
        .filter(|department| department.targets.covers(rule_index))
    {
        let in_list = |list: &[String], value: Option<&str>| {
            value.is_some_and(|value| list.iter().any(|item| item.eq_ignore_ascii_case(value)))
        };
        let dept = requester.department.as_deref();
        let kind = requester.employee_type.as_deref();
        let refusal = if department
            .allow
            .as_ref()
            .is_some_and(|allow| !in_list(allow, dept))
        {
            Some(format!(
                "Only people in {} can request {}.",
                department.allow.as_deref().unwrap_or_default().join(" or "),
                resource.describe()
            ))
        } else if in_list(&department.deny, dept) {
            Some(format!(
                "People in {} cannot request {}.",
                dept.unwrap_or_default(),
                resource.describe()
            ))
        } else if department
            .allow_employee_types
            .as_ref()
            .is_some_and(|allow| !in_list(allow, kind))
        {
            Some(format!(
                "Only {} accounts can request {}.",
                department
                    .allow_employee_types
                    .as_deref()
                    .unwrap_or_default()
                    .join(" or "),
                resource.describe()
            ))
        } else if in_list(&department.deny_employee_types, kind) {
            Some(format!(
                "{} accounts cannot request {}.",
                capitalised(kind.unwrap_or_default()),
                resource.describe()
            ))
        } else {
            None
        };
        if let Some(message) = refusal {
            let message = say(message);
            return Err((
                Layer::Department,
                Some(format!("department (line {})", department.line)),
                message,
            ));
        }
        trail.push(Step::new(
            Layer::Department,
            Verdict::Pass,
            &note(format!(
                "eligible under the department rule of line {}",
                department.line
            )),
        ));
    }

    // Action: every rule for this action or the level now granted.
    let mut action_stages = Vec::new();
    for action in policy
        .actions
        .iter()
        .filter(|action| action_applies(action, request.action, Some(effective)))
    {
        if action.deny {
            let message = say(format!(
                "Policy does not allow {} requests on {}.",
                effective.label(),
                resource.describe()
            ));
            return Err((Layer::Action, Some(action.label()), message));
        }
        let timing = action.timing.over(&policy.approval);
        action_stages.extend(action.approval.iter().map(|entry| Planned {
            stage: entry.stage.clone(),
            quorum: entry.quorum,
            layer: Layer::Action,
            rule: action.label(),
            timing: timing.clone(),
        }));
        if let Some(max) = action.max_duration {
            caps.push((max, action.label()));
        }
        trail.push(Step::new(
            Layer::Action,
            if action.approval.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Approval
            },
            &note(format!(
                "{} applies{}",
                action.label(),
                stage_note(&action.approval)
            )),
        ));
    }
    Ok(Pass {
        rule,
        access: effective,
        caps,
        target_stages,
        action_stages,
    })
}

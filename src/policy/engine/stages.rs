//! Who approves each stage: owners, the manager, named people or a group, never the
//! requester (a stage only they could approve falls through to its escalation approvers).

use super::*;
use crate::catalog::Resource;
use crate::policy::decision::{Approvers, Layer, StageNeed, Step, Verdict};
use crate::policy::model::{Escalation, Stage};

/// Who approves each stage. The requester never approves their own request: a stage only they
/// could approve falls through to its escalation approvers, and is refused with none.
/// Returns the stages and whether an owner stage is approved by someone other than an owner.
pub(super) fn resolve_stages(
    planned: &[Planned],
    owners: &[crate::catalog::Principal],
    requester: &Requester,
    resource: &Resource,
    trail: &mut Vec<Step>,
) -> Result<(Vec<StageNeed>, bool), Refusal> {
    let me = requester.upn.to_lowercase();
    let not_me = |upn: &str| !upn.eq_ignore_ascii_case(&me);
    let mut stages = Vec::new();
    let mut owner_fell_through = false;
    for plan in planned {
        let (candidates, who) = match &plan.stage {
            Stage::Owner => (
                owners
                    .iter()
                    .filter_map(|owner| owner.upn.clone())
                    .collect::<Vec<_>>(),
                format!("the owners of {}", resource.describe()),
            ),
            Stage::Manager => (
                requester.manager.iter().cloned().collect(),
                "your manager".to_owned(),
            ),
            Stage::User(upn) => (vec![upn.clone()], upn.clone()),
            Stage::Group(name) => {
                stages.push(StageNeed {
                    stage: plan.stage.clone(),
                    quorum: plan.quorum,
                    approvers: Approvers::MembersOf(name.clone()),
                    timing: plan.timing.clone(),
                    layer: plan.layer,
                    rule: plan.rule.clone(),
                });
                continue;
            }
        };
        let only_me = !candidates.is_empty() && candidates.iter().all(|upn| !not_me(upn));
        let eligible: Vec<String> = candidates.into_iter().filter(|upn| not_me(upn)).collect();
        if !eligible.is_empty() {
            short_of_quorum(plan, eligible.len(), resource)?;
            stages.push(StageNeed {
                stage: plan.stage.clone(),
                quorum: plan.quorum,
                approvers: Approvers::People(eligible),
                timing: plan.timing.clone(),
                layer: plan.layer,
                rule: plan.rule.clone(),
            });
            continue;
        }
        // Fall through to the stage's escalation approvers.
        let mut fallback: Option<Approvers> = None;
        for escalation in &plan.timing.escalate_to {
            fallback = match escalation {
                Escalation::ManagerOfApprover if only_me => requester
                    .manager
                    .clone()
                    .filter(|upn| not_me(upn))
                    .map(|upn| Approvers::People(vec![upn])),
                Escalation::ManagerOfApprover => None,
                Escalation::User(upn) if not_me(upn) => Some(Approvers::People(vec![upn.clone()])),
                Escalation::User(_) => None,
                Escalation::Group(name) => Some(Approvers::MembersOf(name.clone())),
            };
            if fallback.is_some() {
                break;
            }
        }
        match fallback {
            Some(approvers) => {
                if let Approvers::People(people) = &approvers {
                    short_of_quorum(plan, people.len(), resource)?;
                }
                trail.push(Step::new(
                    plan.layer,
                    Verdict::Approval,
                    &format!(
                        "{} stage: {} cannot approve, so {} does instead",
                        plan.stage,
                        if only_me { "you" } else { &who },
                        approvers
                    ),
                ));
                if plan.stage == Stage::Owner {
                    owner_fell_through = true;
                }
                stages.push(StageNeed {
                    stage: plan.stage.clone(),
                    quorum: plan.quorum,
                    approvers,
                    timing: plan.timing.clone(),
                    layer: plan.layer,
                    rule: plan.rule.clone(),
                });
            }
            None if only_me => {
                return Err((
                    Layer::Global,
                    Some(plan.rule.clone()),
                    format!(
                        "Nobody approves their own request, and nobody else can approve the {} stage for {}.",
                        plan.stage,
                        resource.describe()
                    ),
                ));
            }
            None => {
                let missing = match plan.stage {
                    Stage::Manager => "you have no manager in the directory".to_owned(),
                    _ => format!("nobody owns {}", resource.describe()),
                };
                return Err((
                    plan.layer,
                    Some(plan.rule.clone()),
                    format!(
                        "Policy needs approval by {} here, but {missing}, so the request cannot go ahead.",
                        plan.stage
                    ),
                ));
            }
        }
    }
    Ok((stages, owner_fell_through))
}

/// Refuses a stage that needs more approvals than it has people to give them: a quorum is
/// never lowered to fit.
fn short_of_quorum(plan: &Planned, people: usize, resource: &Resource) -> Result<(), Refusal> {
    let quorum = usize::try_from(plan.quorum).unwrap_or(usize::MAX);
    if people >= quorum {
        return Ok(());
    }
    Err((
        plan.layer,
        Some(plan.rule.clone()),
        format!(
            "Policy needs {} approvals at the {} stage for {}, but only {people} {} can give one, \
             so the request cannot go ahead.",
            plan.quorum,
            plan.stage,
            resource.describe(),
            if people == 1 { "person" } else { "people" },
        ),
    ))
}

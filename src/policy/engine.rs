//! The decision: a pure function of the policy, the request and the facts about the moment.
//!
//! Layers run in DESIGN.md's order and each can only refuse, narrow, cap or add a stage. A
//! request carried out through a group (a team, a site's edit or owner, a channel's team) is
//! evaluated a second time as the equivalent group request, and both must allow ("policy follows
//! the effect"). No I/O happens here: the caller gathers the requester's directory attributes,
//! the catalog entries and the request count first, so the same inputs always give the same
//! decision and the engine can be tested and benchmarked on its own.

use std::cmp::Ordering;
use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::decision::{Approvers, Decision, Denial, Grant, Layer, StageNeed, Step, Verdict};
use super::model::{
    Acting, ActionName, ActionRule, Escalation, Outside, Policy, Stage, StageRule, TargetRule,
    Timing,
};
use crate::catalog::Resource;
use crate::domain::duration::format_duration;
use crate::domain::resource::{Access, ResourceKind};

/// The requester as the directory describes them right now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requester {
    pub upn: String,
    /// The tenant their identity belongs to.
    pub tenant_id: Option<String>,
    pub guest: bool,
    pub enabled: bool,
    pub department: Option<String>,
    pub employee_type: Option<String>,
    /// Their manager's UPN.
    pub manager: Option<String>,
}

/// What is asked, as policy sees it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub action: ActionName,
    /// The resource of a grant or revoke.
    pub resource: Option<&'a Resource>,
    pub access: Option<Access>,
    /// The span the words asked for.
    pub duration: Option<Duration>,
    pub has_reason: bool,
    /// Someone else the request is for (always refused).
    pub on_behalf_of: Option<&'a str>,
    /// For calendar sharing and forwarding: whether the other person is in the organisation.
    pub counterpart_internal: Option<bool>,
}

/// Everything else the decision depends on.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub requester: &'a Requester,
    /// The tenant Doorman serves: the only one allowed when `[tenant] tenant_ids` is empty.
    pub home_tenant: &'a str,
    /// The catalog's entry for the group that carries the grant (`Resource::group_id`), when
    /// the request is carried out through one and the catalog holds it.
    pub group: Option<&'a Resource>,
    /// Requests this person made in the last hour, not counting this one.
    pub recent_requests: u32,
    pub now: DateTime<Utc>,
}

/// The group access a grant of `access` on `resource` is carried out as, where it is one.
pub fn carried_as(resource: &Resource, access: Access) -> Option<Access> {
    match (resource.kind, access) {
        (ResourceKind::Team, Access::Member | Access::Owner) => Some(access),
        (ResourceKind::Site, Access::Edit) => Some(Access::Member),
        (ResourceKind::Site, Access::Owner) => Some(Access::Owner),
        // A shared channel admits people from outside its team: its team is not granted.
        (ResourceKind::Channel, _) if resource.is_shared_channel() => None,
        // A private channel needs its team first; channel ownership is channel-level.
        (ResourceKind::Channel, Access::Member | Access::Owner) => Some(Access::Member),
        _ => None,
    }
}

/// The level of `kind` that group `access` stands for: the inverse of [`carried_as`].
fn level_from_group(kind: ResourceKind, group_access: Access, asked: Access) -> Access {
    match (kind, group_access) {
        (ResourceKind::Site, Access::Member) => Access::Edit,
        (ResourceKind::Site, Access::Owner) => Access::Owner,
        (ResourceKind::Channel, _) => asked,
        (_, access) => access,
    }
}

/// Decides one request. `policy` is `None` when no policy file is configured: everything is
/// denied.
pub fn decide(policy: Option<&Policy>, request: &Request<'_>, facts: &Facts<'_>) -> Decision {
    let mut trail = Vec::new();
    let Some(policy) = policy else {
        return deny(
            trail,
            Layer::Global,
            None,
            "No access policy is configured, so Doorman cannot grant anything yet.".into(),
        );
    };
    match requester_checks(policy, request, facts, &mut trail) {
        Ok(()) => {}
        Err(denial) => return Decision::Deny(denial),
    }
    match request.action {
        ActionName::Grant => match request.resource {
            Some(resource) => grant(policy, request, facts, resource, trail),
            None => deny(
                trail,
                Layer::Target,
                None,
                "The request names no resource.".into(),
            ),
        },
        ActionName::Revoke => {
            trail.push(Step::new(
                Layer::Target,
                Verdict::Pass,
                "removing your own access needs no approval",
            ));
            Decision::Allow(Grant {
                access: request.access,
                requested_access: request.access,
                duration: None,
                stages: Vec::new(),
                acting: Acting::Operator,
                target: None,
                allow_standing: false,
                needs_reason: false,
                narrowed_from: None,
                trail,
            })
        }
        action => self_service(policy, request, facts, action, trail),
    }
}

fn deny(mut trail: Vec<Step>, layer: Layer, rule: Option<String>, message: String) -> Decision {
    trail.push(Step::new(layer, Verdict::Deny, &message));
    Decision::Deny(Denial {
        layer,
        rule,
        message,
        trail,
    })
}

/// The built-in invariants about the person, and the tenant layer's list.
fn requester_checks(
    policy: &Policy,
    request: &Request<'_>,
    facts: &Facts<'_>,
    trail: &mut Vec<Step>,
) -> Result<(), Denial> {
    let requester = facts.requester;
    let refuse = |trail: &mut Vec<Step>, layer: Layer, message: String| {
        trail.push(Step::new(layer, Verdict::Deny, &message));
        Err(Denial {
            layer,
            rule: None,
            message,
            trail: std::mem::take(trail),
        })
    };
    if requester.guest {
        return refuse(
            trail,
            Layer::Global,
            "Guest accounts cannot request access; ask your contact in the organisation.".into(),
        );
    }
    if !requester.enabled {
        return refuse(
            trail,
            Layer::Global,
            "This account is disabled, so it cannot request anything.".into(),
        );
    }
    if let Some(other) = request.on_behalf_of {
        let message = if request.action.is_self_service() {
            format!(
                "You can only do this for your own account, not for {other}: they can ask Doorman themselves."
            )
        } else {
            format!(
                "Requests are made only for yourself: {other} can ask Doorman themselves, so the request and its approval are theirs."
            )
        };
        return refuse(trail, Layer::Global, message);
    }
    if request.action == ActionName::ForwardMail && request.counterpart_internal == Some(false) {
        return refuse(
            trail,
            Layer::Global,
            "Mail can be forwarded only to people inside the organisation.".into(),
        );
    }
    trail.push(Step::new(
        Layer::Global,
        Verdict::Pass,
        "an enabled member account asking for itself",
    ));
    let tenant_ok = match &requester.tenant_id {
        None => true,
        Some(tenant) if policy.tenant.tenant_ids.is_empty() => {
            tenant.eq_ignore_ascii_case(facts.home_tenant)
        }
        Some(tenant) => policy
            .tenant
            .tenant_ids
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(tenant)),
    };
    if !tenant_ok {
        return refuse(
            trail,
            Layer::Tenant,
            "Your organisation is not one this Doorman serves.".into(),
        );
    }
    Ok(())
}

/// One resource's verdict through the target, department and action layers.
struct Pass<'p> {
    rule: &'p TargetRule,
    access: Access,
    caps: Vec<(Duration, String)>,
    target_stages: Vec<Planned>,
    action_stages: Vec<Planned>,
}

/// A stage before its approvers are known, with the layer and rule that asked for it.
#[derive(Clone)]
struct Planned {
    stage: Stage,
    /// How many of the stage's approvers must say yes.
    quorum: u32,
    layer: Layer,
    rule: String,
    timing: Timing,
}

/// How the second, group-level evaluation is introduced in sentences.
struct Through<'a> {
    requested: &'a Resource,
    group: &'a Resource,
}

impl Through<'_> {
    fn prefix(&self, message: &str) -> String {
        format!(
            "{} is granted through the {} group, and policy for that group says: {message}",
            capitalised(&self.requested.describe()),
            self.group.name
        )
    }
}

fn grant(
    policy: &Policy,
    request: &Request<'_>,
    facts: &Facts<'_>,
    resource: &Resource,
    mut trail: Vec<Step>,
) -> Decision {
    let asked = request
        .access
        .unwrap_or_else(|| resource.kind.default_access());
    if !resource.kind.offers(asked) {
        let levels: Vec<&str> = resource
            .kind
            .levels()
            .iter()
            .map(|level| level.as_str())
            .collect();
        return deny(
            trail,
            Layer::Target,
            None,
            format!(
                "{} has no {} access to give; its levels are {}.",
                capitalised(&resource.describe()),
                asked.label(),
                levels.join(", ")
            ),
        );
    }
    let group_for = |access: Access| {
        carried_as(resource, access).filter(|_| resource.kind != ResourceKind::Group)
    };
    // Evaluate the resource; then, where the grant is a group's membership or ownership, the
    // group too, and again until neither narrows further (levels are few: at most three rounds).
    let mut access = asked;
    let mut passes;
    let mut rounds = 0;
    loop {
        rounds += 1;
        let mut round_trail = Vec::new();
        let first = match evaluate(
            policy,
            request,
            facts,
            resource,
            access,
            &mut round_trail,
            None,
        ) {
            Ok(pass) => pass,
            Err((layer, rule, message)) => {
                trail.extend(round_trail);
                return deny(trail, layer, rule, message);
            }
        };
        access = first.access;
        passes = vec![first];
        if let Some(group_access) = group_for(access) {
            let Some(group) = facts.group else {
                trail.extend(round_trail);
                return deny(
                    trail,
                    Layer::Target,
                    None,
                    format!(
                        "{} is granted through a group the catalog does not hold, so policy cannot check it.",
                        capitalised(&resource.describe())
                    ),
                );
            };
            let through = Through {
                requested: resource,
                group,
            };
            let second = match evaluate(
                policy,
                request,
                facts,
                group,
                group_access,
                &mut round_trail,
                Some(&through),
            ) {
                Ok(pass) => pass,
                Err((layer, rule, message)) => {
                    trail.extend(round_trail);
                    return deny(trail, layer, rule, message);
                }
            };
            let back = level_from_group(resource.kind, second.access, access);
            passes.push(second);
            if back != access && rounds < 4 {
                // The group allows less: keep why, and decide again at the narrower level.
                trail.extend(
                    round_trail
                        .into_iter()
                        .filter(|step| step.verdict == Verdict::Narrow),
                );
                access = back;
                continue;
            }
        }
        trail.extend(round_trail);
        break;
    }
    let governing = &passes[0];

    // Duration: what was asked, else the tenant's default; then every cap. A level that must
    // have an end must have one whether it is asked for or carried out as a group's level.
    let must_end = std::iter::once(access)
        .chain(group_for(access))
        .find(|level| policy.tenant.duration_required_for.contains(level));
    let mut caps: Vec<(Duration, String)> = Vec::new();
    if let Some(max) = policy.global.max_duration {
        caps.push((max, "the global maximum".into()));
    }
    for pass in &passes {
        caps.extend(pass.caps.iter().cloned());
    }
    let duration = cap_duration(
        request.duration,
        policy.tenant.default_duration,
        &caps,
        &mut trail,
    );
    if let (None, Some(level)) = (duration, must_end) {
        let what = if level == access {
            format!("{} access", capitalised(access.label()))
        } else {
            format!(
                "{} access is granted as {} of its group, which",
                capitalised(access.label()),
                level.label()
            )
        };
        return deny(
            trail,
            Layer::Tenant,
            None,
            format!(
                "{what} must have an end: ask again with how long you need it, like \"for 7 days\"."
            ),
        );
    }

    // Stages: target stages, then action stages, each in order, without repeats.
    let mut planned: Vec<Planned> = Vec::new();
    for pass in &passes {
        push_unique(&mut planned, &pass.target_stages);
    }
    for pass in &passes {
        push_unique(&mut planned, &pass.action_stages);
    }

    // Runtime.
    let timing = governing.rule.timing.over(&policy.approval);
    if let Err((layer, message)) = runtime(
        policy,
        facts,
        &mut planned,
        Stage::Owner,
        timing,
        &mut trail,
    ) {
        return deny(trail, layer, None, message);
    }

    let owners = if resource.owners.is_empty() {
        facts
            .group
            .map(|group| group.owners.as_slice())
            .unwrap_or(&[])
    } else {
        resource.owners.as_slice()
    };
    let (stages, owner_fell_through) =
        match resolve_stages(&planned, owners, facts.requester, resource, &mut trail) {
            Ok(resolved) => resolved,
            Err((layer, rule, message)) => return deny(trail, layer, rule, message),
        };
    let mut acting = governing.rule.acting;
    if acting == Acting::Approver && owner_fell_through {
        acting = Acting::Operator;
        trail.push(Step::new(
            Layer::Target,
            Verdict::Pass,
            "the owner stage is approved by someone who is not an owner, so the operator carries the change out",
        ));
    }
    let needs_reason = policy.global.require_reason && !request.has_reason;
    if needs_reason {
        trail.push(Step::new(
            Layer::Global,
            Verdict::Pass,
            "a reason is required and will be asked for",
        ));
    }
    Decision::Allow(Grant {
        access: Some(access),
        requested_access: Some(asked),
        duration,
        stages,
        acting,
        target: Some(governing.rule.name.clone()),
        allow_standing: passes.iter().all(|pass| pass.rule.allow_standing),
        needs_reason,
        narrowed_from: (access != asked).then_some(asked),
        trail,
    })
}

type Refusal = (Layer, Option<String>, String);

/// The target, department and action layers for one resource at `access`.
fn evaluate<'p>(
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

fn action_applies(rule: &ActionRule, action: ActionName, access: Option<Access>) -> bool {
    rule.action.is_none_or(|wanted| wanted == action)
        && rule.access.is_none_or(|wanted| Some(wanted) == access)
}

fn stage_note(stages: &[StageRule]) -> String {
    if stages.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = stages.iter().map(StageRule::to_string).collect();
        format!(" and asks for approval by {}", names.join(", then "))
    }
}

/// Adds stages not planned yet; a stage asked for twice keeps the larger quorum.
fn push_unique(planned: &mut Vec<Planned>, more: &[Planned]) {
    for stage in more {
        match planned.iter_mut().find(|have| have.stage == stage.stage) {
            Some(have) => have.quorum = have.quorum.max(stage.quorum),
            None => planned.push(stage.clone()),
        }
    }
}

/// The effective duration: asked or default, under every cap. `None` means no end.
fn cap_duration(
    asked: Option<Duration>,
    default: Option<Duration>,
    caps: &[(Duration, String)],
    trail: &mut Vec<Step>,
) -> Option<Duration> {
    let tightest = caps.iter().min_by_key(|(max, _)| *max);
    let start = match (asked, default) {
        (Some(asked), _) => Some(asked),
        (None, Some(default)) => {
            trail.push(Step::new(
                Layer::Tenant,
                Verdict::Pass,
                &format!(
                    "no duration asked: the default of {} applies",
                    format_duration(default)
                ),
            ));
            Some(default)
        }
        (None, None) => None,
    };
    match (start, tightest) {
        (Some(span), Some((max, source))) if span > *max => {
            trail.push(Step::new(
                Layer::Target,
                Verdict::Narrow,
                &format!(
                    "{} is capped to {} by {source}",
                    format_duration(span),
                    format_duration(*max)
                ),
            ));
            Some(*max)
        }
        (None, Some((max, source))) => {
            trail.push(Step::new(
                Layer::Target,
                Verdict::Narrow,
                &format!(
                    "access cannot be open-ended: {} by {source}",
                    format_duration(*max)
                ),
            ));
            Some(*max)
        }
        (span, _) => span,
    }
}

/// The runtime layer: the rate limit and the change window. Outside a window that asks for
/// approval, `outside_stage` is added (the owner of a resource; the manager for self-service,
/// where nobody owns the requester's account) with `timing`.
fn runtime(
    policy: &Policy,
    facts: &Facts<'_>,
    planned: &mut Vec<Planned>,
    outside_stage: Stage,
    timing: Timing,
    trail: &mut Vec<Step>,
) -> Result<(), (Layer, String)> {
    if let Some(limit) = policy.runtime.max_requests_per_hour {
        if facts.recent_requests >= limit {
            return Err((
                Layer::Runtime,
                format!(
                    "You have made {} requests in the last hour, the most policy allows; try again later.",
                    facts.recent_requests
                ),
            ));
        }
        trail.push(Step::new(
            Layer::Runtime,
            Verdict::Pass,
            &format!(
                "{} of {limit} requests this hour",
                facts.recent_requests + 1
            ),
        ));
    }
    if let Some(window) = &policy.runtime.change_window {
        let local = facts.now.with_timezone(&window.tz);
        let minute = local.hour() * 60 + local.minute();
        if window.contains(local.weekday(), minute) {
            trail.push(Step::new(
                Layer::Runtime,
                Verdict::Pass,
                &format!("inside the change window ({})", window.text),
            ));
        } else {
            match window.outside {
                Outside::Deny => {
                    return Err((
                        Layer::Runtime,
                        format!(
                            "Changes are made only during the change window ({}); ask again then.",
                            window.text
                        ),
                    ));
                }
                Outside::Approve => {
                    trail.push(Step::new(
                        Layer::Runtime,
                        Verdict::Approval,
                        &format!(
                            "outside the change window ({}): {outside_stage} approval is needed",
                            window.text
                        ),
                    ));
                    push_unique(
                        planned,
                        &[Planned {
                            stage: outside_stage.clone(),
                            quorum: 1,
                            layer: Layer::Runtime,
                            rule: "change_window".into(),
                            timing,
                        }],
                    );
                }
            }
        }
    }
    Ok(())
}

/// Who approves each stage. The requester never approves their own request: a stage only they
/// could approve falls through to its escalation approvers, and is refused with none.
/// Returns the stages and whether an owner stage is approved by someone other than an owner.
fn resolve_stages(
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

/// Self-service actions: only an `[[action]]` naming them enables them.
fn self_service(
    policy: &Policy,
    request: &Request<'_>,
    facts: &Facts<'_>,
    action: ActionName,
    mut trail: Vec<Step>,
) -> Decision {
    let rules: Vec<&ActionRule> = policy
        .actions
        .iter()
        .filter(|rule| rule.action == Some(action) && action_applies(rule, action, request.access))
        .collect();
    if rules.is_empty() {
        return deny(
            trail,
            Layer::Action,
            None,
            format!("Policy does not enable {} through Doorman.", action.label()),
        );
    }
    let mut planned = Vec::new();
    let mut caps = Vec::new();
    if let Some(max) = policy.global.max_duration {
        caps.push((max, "the global maximum".to_owned()));
    }
    for rule in rules {
        if rule.deny {
            return deny(
                trail,
                Layer::Action,
                Some(rule.label()),
                format!("Policy does not allow {} through Doorman.", action.label()),
            );
        }
        let timing = rule.timing.over(&policy.approval);
        push_unique(
            &mut planned,
            &rule
                .approval
                .iter()
                .map(|entry| Planned {
                    stage: entry.stage.clone(),
                    quorum: entry.quorum,
                    layer: Layer::Action,
                    rule: rule.label(),
                    timing: timing.clone(),
                })
                .collect::<Vec<_>>(),
        );
        if let Some(max) = rule.max_duration {
            caps.push((max, rule.label()));
        }
        trail.push(Step::new(
            Layer::Action,
            Verdict::Pass,
            &format!("{} applies{}", rule.label(), stage_note(&rule.approval)),
        ));
    }
    let duration = match action {
        ActionName::ShareCalendar | ActionName::ForwardMail => cap_duration(
            request.duration,
            policy.tenant.default_duration,
            &caps,
            &mut trail,
        ),
        _ => None,
    };
    if let Err((layer, message)) = runtime(
        policy,
        facts,
        &mut planned,
        Stage::Manager,
        policy.approval.clone(),
        &mut trail,
    ) {
        return deny(trail, layer, None, message);
    }
    // Nothing owns a person's own account: an owner stage here means nobody can approve.
    let nobody = Resource::new(ResourceKind::Group, "", "your account");
    let (stages, _) = match resolve_stages(&planned, &[], facts.requester, &nobody, &mut trail) {
        Ok(resolved) => resolved,
        Err((layer, rule, message)) => return deny(trail, layer, rule, message),
    };
    let acting = match action {
        ActionName::ShareCalendar | ActionName::ForwardMail => Acting::Requester,
        _ => Acting::Operator,
    };
    Decision::Allow(Grant {
        access: request.access,
        requested_access: request.access,
        duration,
        stages,
        acting,
        target: None,
        allow_standing: false,
        needs_reason: false,
        narrowed_from: None,
        trail,
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

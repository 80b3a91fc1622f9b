//! The decision: a pure function of the policy, the request and the facts about the moment.
//!
//! Layers run in DESIGN.md's order and each can only refuse, narrow, cap or add a stage. A
//! request carried out through a group (a team, a site's edit or owner, a channel's team) is
//! evaluated a second time as the equivalent group request, and both must allow ("policy follows
//! the effect"). No I/O happens here: the caller gathers the requester's directory attributes,
//! the catalog entries and the request count first, so the same inputs always give the same
//! decision and the engine can be tested and benchmarked on its own.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::decision::{Decision, Denial, Grant, Layer, Step, Verdict};
use super::model::{Acting, ActionName, ActionRule, Policy, Stage, StageRule, Timing};
use crate::catalog::Resource;
use crate::domain::duration::format_duration;
use crate::domain::request::Service;
use crate::domain::resource::{Access, ResourceKind};

mod evaluate;
mod runtime;
mod self_service;
mod stages;

use evaluate::evaluate;
use runtime::runtime;
use self_service::self_service;
use stages::resolve_stages;

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
    /// For a new primary address: what the directory says of it.
    pub new_address: Option<NewAddress<'a>>,
    /// For an account recovery: the account holds a directory role or belongs to a
    /// role-assignable group (an administrator), as the investigation found.
    pub privileged: bool,
}

/// A primary address someone asks for, as the directory found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewAddress<'a> {
    pub address: &'a str,
    /// Its domain is one of the tenant's verified domains.
    pub domain_verified: bool,
    /// A user or group other than the requester holds it already.
    pub held_by_another: bool,
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
                service: request.resource.map_or(Service::Graph, Resource::service),
                verify: Vec::new(),
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
    if let Some(new) = request.new_address {
        if !new.domain_verified {
            let domain = new
                .address
                .rsplit_once('@')
                .map_or("", |(_, domain)| domain);
            return refuse(
                trail,
                Layer::Global,
                format!(
                    "{} is not in one of the organisation's verified domains ({domain} is not one), so no mailbox can take it.",
                    new.address
                ),
            );
        }
        if new.held_by_another {
            return refuse(
                trail,
                Layer::Global,
                format!(
                    "{} already belongs to another user or group, so it cannot be yours.",
                    new.address
                ),
            );
        }
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
        service: resource.service(),
        verify: Vec::new(),
        target: Some(governing.rule.name.clone()),
        allow_standing: passes.iter().all(|pass| pass.rule.allow_standing),
        needs_reason,
        narrowed_from: (access != asked).then_some(asked),
        trail,
    })
}

type Refusal = (Layer, Option<String>, String);

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
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

//! Self-service actions (a password reset, an unlock, MFA recovery, calendar sharing, mail
//! forwarding, a new primary address): only an `[[action]]` naming them enables them.

use super::*;
use crate::catalog::Resource;
use crate::domain::request::Service;
use crate::domain::resource::ResourceKind;
use crate::policy::decision::{Decision, Grant, Layer, Step, Verdict};
use crate::policy::model::{Acting, ActionName, ActionRule, Policy, Stage, Verify};

/// How long a temporary access pass lasts when nothing else is said.
const TEMPORARY_PASS_DEFAULT: std::time::Duration = std::time::Duration::from_secs(3_600);

/// Self-service actions: only an `[[action]]` naming them enables them.
pub(super) fn self_service(
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
    let recovery = matches!(
        action,
        ActionName::ResetPassword | ActionName::UnlockAccount | ActionName::RecoverMfa
    );
    let mut planned = Vec::new();
    if recovery && request.privileged {
        // An administrator's account is never recovered by self-service: the stages of
        // `[global] privileged_recovery` decide it, or nobody may.
        if policy.global.privileged_recovery.is_empty() {
            return deny(
                trail,
                Layer::Global,
                None,
                "Your account holds an administrator role, so Doorman never recovers it by \
                 self-service, and policy names nobody who may approve it. Ask a Privileged \
                 Authentication Administrator of your organisation."
                    .to_owned(),
            );
        }
        let stages = &policy.global.privileged_recovery;
        planned.extend(stages.iter().map(|entry| Planned {
            stage: entry.stage.clone(),
            quorum: entry.quorum,
            layer: Layer::Global,
            rule: "[global] privileged_recovery".to_owned(),
            timing: policy.approval.clone(),
        }));
        trail.push(Step::new(
            Layer::Global,
            Verdict::Pass,
            &format!(
                "an administrator's account: [global] privileged_recovery adds {}",
                stages
                    .iter()
                    .map(|entry| entry.stage.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut caps = Vec::new();
    let mut verify: Vec<Verify> = Vec::new();
    let mut access = request.access;
    let mut narrowed_from = None;
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
        for way in &rule.verify {
            if !verify.contains(way) {
                verify.push(*way);
            }
        }
        if let (Some(max), Some(asked)) = (rule.max_access, access) {
            if Access::compare_calendar(asked, max) == Some(std::cmp::Ordering::Greater) {
                trail.push(Step::new(
                    Layer::Action,
                    Verdict::Narrow,
                    &format!(
                        "{} allows at most {max}, so {asked} is narrowed to {max}",
                        rule.label()
                    ),
                ));
                narrowed_from = narrowed_from.or(Some(asked));
                access = Some(max);
            }
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
        // A temporary access pass lives an hour unless asked (and allowed) longer.
        ActionName::RecoverMfa => cap_duration(
            request.duration,
            Some(TEMPORARY_PASS_DEFAULT),
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
    // A person's own calendar and inbox rules are theirs to change; a primary address and a
    // reset are not (Exchange and Graph allow them only to admins).
    let (acting, service) = match action {
        ActionName::ShareCalendar | ActionName::ForwardMail => (Acting::Requester, Service::Graph),
        ActionName::ChangeAlias => (Acting::Operator, Service::Exchange),
        _ => (Acting::Operator, Service::Graph),
    };
    Decision::Allow(Grant {
        access,
        requested_access: request.access,
        duration,
        stages,
        acting,
        service,
        verify,
        target: None,
        allow_standing: false,
        needs_reason: false,
        narrowed_from,
        trail,
    })
}

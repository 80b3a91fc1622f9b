//! The runtime layer: the rate limit and the change window.

use chrono::{Datelike, Timelike};

use super::*;
use crate::policy::decision::{Layer, Step, Verdict};
use crate::policy::model::{Outside, Policy, Stage, Timing};

/// The runtime layer: the rate limit and the change window. Outside a window that asks for
/// approval, `outside_stage` is added (the owner of a resource; the manager for self-service,
/// where nobody owns the requester's account) with `timing`.
pub(super) fn runtime(
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

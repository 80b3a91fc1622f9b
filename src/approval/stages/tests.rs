use super::*;
use crate::catalog::Resource;
use crate::policy::{Layer, Stage, model::Timing};

fn need(stage: Stage, quorum: u32) -> StageNeed {
    StageNeed {
        stage,
        quorum,
        approvers: Approvers::People(Vec::new()),
        timing: Timing::default(),
        layer: Layer::Target,
        rule: "vpn".into(),
    }
}

fn people(upns: &[&str]) -> Vec<String> {
    upns.iter().map(|upn| (*upn).to_owned()).collect()
}

#[test]
fn a_stage_keeps_its_approvers_quorum_and_timing() {
    let stage = stage(&need(Stage::Owner, 2), people(&["a@x", "b@x", "c@x"])).expect("a stage");
    assert_eq!(stage.name, "owner");
    assert_eq!(stage.approvers, people(&["a@x", "b@x", "c@x"]));
    assert_eq!(stage.quorum, 2);
    let timing = stage.timing.expect("timing");
    assert_eq!(timing.remind_after, 4 * 3_600);
    assert_eq!(timing.expire_after, 3 * 86_400);
    assert_eq!(timing.escalate_to.len(), 1);
}

#[test]
fn a_stage_nobody_can_approve_or_short_of_its_quorum_is_refused() {
    assert!(matches!(
        stage(&need(Stage::Manager, 1), Vec::new()),
        Err(StageError::NoApprovers(stage)) if stage == "manager"
    ));
    assert!(matches!(
        stage(
            &need(Stage::Group("Support".into()), 3),
            people(&["a@x", "b@x"])
        ),
        Err(StageError::ShortOfQuorum {
            quorum: 3,
            people: 2,
            ..
        })
    ));
}

#[test]
fn an_approver_group_must_be_named_unambiguously() {
    let catalog = Catalog::build(
        vec![
            Resource::new(ResourceKind::Group, "g1", "Helpdesk"),
            Resource::new(ResourceKind::Group, "g2", "Approvers"),
            Resource::new(ResourceKind::Group, "g3", "approvers"),
            Resource::new(ResourceKind::Team, "t1", "Security"),
        ],
        Vec::new(),
    );
    assert_eq!(approver_group(&catalog, "helpdesk").ok(), Some("g1".into()));
    assert!(matches!(
        approver_group(&catalog, "Approvers"),
        Err(StageError::AmbiguousGroup(_))
    ));
    // A team is not a directory group of approvers.
    assert!(matches!(
        approver_group(&catalog, "Security"),
        Err(StageError::NoApprovers(stage)) if stage == "group:Security"
    ));
}

#[test]
fn a_stage_opened_puts_its_reminder_escalation_and_time_out_on_the_timers() {
    let mut stage = StageRecord::new("owner".into(), people(&["nina@x"]), 1);
    stage.timing = Some(StageTiming {
        remind_after: 3_600,
        escalate_after: 86_400,
        escalate_to: Vec::new(),
        expire_after: u64::MAX,
    });
    let record = crate::domain::request::example::request(vec![stage]);
    let opened = record.created_at;
    let jobs = timers(&record, 0, opened);
    assert_eq!(
        jobs,
        vec![
            (
                opened + TimeDelta::hours(1),
                Job::RemindApprovers {
                    request: record.id.clone(),
                    stage: 0
                }
            ),
            (
                opened + TimeDelta::days(1),
                Job::Escalate {
                    request: record.id.clone(),
                    stage: 0
                }
            ),
            // A time-out too far to count is never, not a panic.
            (
                DateTime::<Utc>::MAX_UTC,
                Job::TimeOut {
                    request: record.id.clone(),
                    stage: 0
                }
            ),
        ]
    );
    assert!(timers(&record, 1, opened).is_empty(), "no such stage");
}

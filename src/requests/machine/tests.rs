//! The state machine's rules, table by table, and random interleavings of events (two clicks, a
//! click and a timer, an expiry and an extension, a resume and a revoke) that never make two
//! grants, never lose a revocation, and never leave a grant without its end on the timers.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;

use super::{Effect, Event, Refusal, next};
use crate::approval::{ClickRefused, Clicker};
use crate::domain::request::{Acting, EndCause, RequestRecord, SentCard, StageRecord, State};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .unwrap_or_default()
        + TimeDelta::minutes(minute)
}

fn person(upn: &str) -> Clicker {
    Clicker {
        entra_id: format!("id-{upn}"),
        upn: upn.to_owned(),
    }
}

use crate::domain::request::example::REQUESTER;
const MANAGER: &str = "maria@contoso.com";
const OWNER: &str = "nina@contoso.com";
const OTHER_OWNER: &str = "omar@contoso.com";
const STRANGER: &str = "sam@contoso.com";

/// A request for VPN Users with a manager stage and an owner stage (quorum `owner_quorum`).
fn request(owner_quorum: u32) -> RequestRecord {
    let mut record = crate::domain::request::example::request(vec![
        StageRecord::new("manager".into(), vec![MANAGER.into()], 1),
        StageRecord::new(
            "owner".into(),
            vec![OWNER.into(), OTHER_OWNER.into()],
            owner_quorum,
        ),
    ]);
    record.allow_standing = true;
    record
}

fn answer(stage: usize, by: &str, approve: bool) -> Event {
    Event::Answered {
        stage,
        by: Some(person(by)),
        approve,
        always: false,
        reason: None,
        at: at(1),
    }
}

/// Applies events in order, each to the result of the last that applied.
fn run(record: RequestRecord, events: &[Event]) -> RequestRecord {
    events.iter().fold(record, |current, event| {
        next(&current, event).map_or(current, |transition| transition.record)
    })
}

#[test]
fn answers_move_a_request_through_its_stages() {
    // (stages answered, expected state)
    let cases: Vec<(Vec<Event>, State)> = vec![
        (vec![], State::AwaitingApproval { stage: 0 }),
        (
            vec![answer(0, MANAGER, true)],
            State::AwaitingApproval { stage: 1 },
        ),
        (
            vec![answer(0, MANAGER, true), answer(1, OWNER, true)],
            State::Provisioning { waiting_for: None },
        ),
        (
            vec![answer(0, MANAGER, false)],
            State::Denied {
                by: MANAGER.into(),
                reason: None,
            },
        ),
        (
            vec![answer(0, MANAGER, true), answer(1, OTHER_OWNER, false)],
            State::Denied {
                by: OTHER_OWNER.into(),
                reason: None,
            },
        ),
        // The owner cannot answer the manager's stage, nor a stage out of turn.
        (
            vec![answer(0, OWNER, true), answer(1, OWNER, true)],
            State::AwaitingApproval { stage: 0 },
        ),
    ];
    for (events, expected) in cases {
        assert_eq!(run(request(1), &events).state, expected, "{events:?}");
    }
}

#[test]
fn clicks_that_decide_nothing_say_why() {
    let cases: Vec<(RequestRecord, Event, ClickRefused)> = vec![
        (
            request(1),
            answer(0, REQUESTER, true),
            ClickRefused::OwnRequest,
        ),
        (
            request(1),
            answer(0, STRANGER, true),
            ClickRefused::NotAnApprover,
        ),
        (
            request(1),
            answer(1, OWNER, true),
            ClickRefused::AlreadyDecided,
        ),
        (
            run(request(1), &[answer(0, MANAGER, false)]),
            answer(0, MANAGER, true),
            ClickRefused::AlreadyDecided,
        ),
        (
            run(
                request(2),
                &[answer(0, MANAGER, true), answer(1, OWNER, true)],
            ),
            answer(1, OWNER, true),
            ClickRefused::AlreadyApproved,
        ),
        (
            request(1),
            Event::Answered {
                stage: 0,
                by: None,
                approve: true,
                always: false,
                reason: None,
                at: at(1),
            },
            ClickRefused::Unidentified,
        ),
    ];
    for (record, event, why) in cases {
        assert_eq!(next(&record, &event), Err(Refusal::Click(why)), "{event:?}");
    }
}

#[test]
fn a_quorum_counts_each_yes_once_and_one_no_denies() {
    let record = run(request(2), &[answer(0, MANAGER, true)]);
    let first = next(&record, &answer(1, OWNER, true)).expect("counted");
    assert_eq!(first.record.state, State::AwaitingApproval { stage: 1 });
    assert_eq!(
        first.effects,
        vec![Effect::Counted {
            stage: 1,
            by: OWNER.into()
        }]
    );
    let second = next(&first.record, &answer(1, OTHER_OWNER, true)).expect("decided");
    assert_eq!(
        second.record.state,
        State::Provisioning { waiting_for: None }
    );
    assert!(second.effects.contains(&Effect::Advance));
    let denied = next(&first.record, &answer(1, OTHER_OWNER, false)).expect("denied");
    assert!(matches!(denied.record.state, State::Denied { .. }));
    assert!(!denied.effects.contains(&Effect::Advance));
}

#[test]
fn approve_always_stands_only_for_a_single_owner_yes_where_policy_allows() {
    let always = |record: &RequestRecord, stage: usize, by: &str| {
        let event = Event::Answered {
            stage,
            by: Some(person(by)),
            approve: true,
            always: true,
            reason: None,
            at: at(1),
        };
        next(record, &event)
            .ok()
            .and_then(|transition| {
                transition
                    .effects
                    .into_iter()
                    .find_map(|effect| match effect {
                        Effect::Decided { standing, .. } => Some(standing),
                        _ => None,
                    })
            })
            .unwrap_or(false)
    };
    let at_owner = run(request(1), &[answer(0, MANAGER, true)]);
    assert!(always(&at_owner, 1, OWNER));
    assert!(!always(&request(1), 0, MANAGER), "a manager stage");
    let mut not_allowed = at_owner.clone();
    not_allowed.allow_standing = false;
    assert!(!always(&not_allowed, 1, OWNER), "policy does not allow it");
    let quorum = run(
        request(2),
        &[answer(0, MANAGER, true), answer(1, OWNER, true)],
    );
    assert!(!always(&quorum, 1, OTHER_OWNER), "a quorum stage");
}

#[test]
fn carrying_out_fixes_the_end_once_and_puts_it_on_the_timers() {
    let approved = run(
        request(1),
        &[answer(0, MANAGER, true), answer(1, OWNER, true)],
    );
    let carrying = next(
        &approved,
        &Event::CarryingOut {
            made_by: OWNER.into(),
            ends_at: Some(at(60)),
        },
    )
    .expect("carried out");
    assert_eq!(carrying.record.ends_at, Some(at(60)));
    assert_eq!(carrying.effects, vec![Effect::ScheduleEnd]);
    // Resumed later: the end fixed first stands.
    let resumed = next(
        &carrying.record,
        &Event::CarryingOut {
            made_by: OWNER.into(),
            ends_at: Some(at(90)),
        },
    )
    .expect("resumed");
    assert_eq!(resumed.record.ends_at, Some(at(60)));
}

#[test]
fn each_event_applies_only_where_the_request_is() {
    let waiting = request(1);
    let approved = run(
        request(1),
        &[answer(0, MANAGER, true), answer(1, OWNER, true)],
    );
    let active = run(approved.clone(), &[Event::Verified]);
    let revoking = run(
        active.clone(),
        &[Event::Ending {
            cause: EndCause::Expired,
        }],
    );
    let ended = run(revoking.clone(), &[Event::Ended { at: at(70) }]);
    let undoing = run(
        approved.clone(),
        &[Event::Failed {
            why: "refused".into(),
        }],
    );
    // (where, event, applies)
    let cases: Vec<(&RequestRecord, Event, bool)> = vec![
        (&waiting, Event::Verified, false),
        (&approved, Event::Verified, true),
        (&active, Event::Verified, false),
        (
            &waiting,
            Event::Ending {
                cause: EndCause::Expired,
            },
            false,
        ),
        (
            &approved,
            Event::Ending {
                cause: EndCause::Expired,
            },
            false,
        ),
        (
            &approved,
            Event::Ending {
                cause: EndCause::Revoked {
                    by: REQUESTER.into(),
                },
            },
            true,
        ),
        (
            &active,
            Event::Ending {
                cause: EndCause::Vanished,
            },
            true,
        ),
        (
            &revoking,
            Event::Ending {
                cause: EndCause::Expired,
            },
            false,
        ),
        (&revoking, Event::Ended { at: at(70) }, true),
        (&active, Event::Ended { at: at(70) }, false),
        (&undoing, Event::Undone, true),
        (&undoing, Event::UndoingTold, true),
        (&active, Event::Undone, false),
        (
            &ended,
            Event::Ending {
                cause: EndCause::Revoked {
                    by: REQUESTER.into(),
                },
            },
            false,
        ),
        (
            &waiting,
            Event::StageExpired {
                stage: 0,
                at: at(5),
            },
            true,
        ),
        (
            &waiting,
            Event::StageExpired {
                stage: 1,
                at: at(5),
            },
            false,
        ),
        (
            &active,
            Event::ExtendedBy {
                successor: "R-NEXT01".into(),
            },
            true,
        ),
        (
            &active,
            Event::HandedOver {
                into: "R-NEXT01".into(),
                at: at(5),
            },
            false,
        ),
        (
            &waiting,
            Event::Withdrawn {
                by: REQUESTER.into(),
                reason: "the grant it extends was removed".into(),
            },
            true,
        ),
        (
            &active,
            Event::Withdrawn {
                by: REQUESTER.into(),
                reason: "the grant it extends was removed".into(),
            },
            false,
        ),
    ];
    for (record, event, applies) in cases {
        assert_eq!(
            next(record, &event).is_ok(),
            applies,
            "{event:?} on {}",
            record.state.label()
        );
    }
}

#[test]
fn an_extension_takes_a_grant_over_and_the_grant_ends_as_extended() {
    let active = run(
        request(1),
        &[
            answer(0, MANAGER, true),
            answer(1, OWNER, true),
            Event::Verified,
        ],
    );
    let named = run(
        active,
        &[Event::ExtendedBy {
            successor: "R-NEXT01".into(),
        }],
    );
    // Its expiry now waits for the extension: drift does not end it either.
    assert!(
        next(
            &named,
            &Event::Ending {
                cause: EndCause::Vanished
            }
        )
        .is_err()
    );
    let handed = next(
        &named,
        &Event::HandedOver {
            into: "R-NEXT01".into(),
            at: at(30),
        },
    )
    .expect("handed over");
    assert!(matches!(
        handed.record.state,
        State::Ended {
            cause: EndCause::Extended { .. },
            ..
        }
    ));
    let mut extension = run(
        request(1),
        &[answer(0, MANAGER, true), answer(1, OWNER, true)],
    );
    extension.extends = Some("R-TEST01".into());
    extension.ends_at = Some(at(120));
    let took = next(
        &extension,
        &Event::TookOver {
            made_steps: vec!["member of group g-vpn".into()],
            made_by: Some(OWNER.into()),
            acting: Acting::Approver,
        },
    )
    .expect("taken over");
    assert_eq!(took.record.state, State::Active);
    assert_eq!(took.effects, vec![Effect::ScheduleEnd]);
}

#[test]
fn a_card_sent_is_kept_even_after_its_stage_was_decided() {
    let decided = run(request(1), &[answer(0, MANAGER, false)]);
    let card = SentCard {
        approver: MANAGER.into(),
        sent: crate::domain::chat::SentMessage {
            place: decided.requester.place.clone(),
            id: "m1".into(),
        },
    };
    let kept = next(&decided, &Event::CardSent { stage: 0, card }).expect("kept");
    assert_eq!(kept.record.stages[0].cards.len(), 1);
    assert_eq!(kept.record.state, decided.state);
}

// === interleavings ===

fn event() -> impl Strategy<Value = Event> {
    // Mostly the people who may answer, mostly saying yes, so that runs reach the later states.
    let who = prop_oneof![
        4 => Just(MANAGER),
        4 => Just(OWNER),
        4 => Just(OTHER_OWNER),
        1 => Just(REQUESTER),
        1 => Just(STRANGER)
    ];
    let answer = (0usize..2, who, prop::bool::weighted(0.8), any::<bool>()).prop_map(
        |(stage, by, approve, always)| Event::Answered {
            stage,
            by: Some(person(by)),
            approve,
            always,
            reason: None,
            at: at(1),
        },
    );
    prop_oneof![
        8 => answer,
        1 => (0usize..2).prop_map(|stage| Event::StageExpired { stage, at: at(2) }),
        1 => Just(Event::AwaitingSignIn {
            who: OWNER.into(),
            asked_at: Some(at(3)),
        }),
        3 => Just(Event::CarryingOut {
            made_by: OWNER.into(),
            ends_at: Some(at(60)),
        }),
        2 => Just(Event::Made {
            written: vec!["member of group g-vpn".into()],
        }),
        3 => Just(Event::Verified),
        1 => Just(Event::Failed { why: "refused".into() }),
        1 => Just(Event::UndoingTold),
        1 => Just(Event::Undone),
        2 => prop_oneof![
            Just(EndCause::Expired),
            Just(EndCause::Vanished),
            Just(EndCause::Revoked {
                by: REQUESTER.into()
            }),
        ]
        .prop_map(|cause| Event::Ending { cause }),
        2 => Just(Event::Ended { at: at(70) }),
        1 => Just(Event::ExtendedBy {
            successor: "R-NEXT01".into()
        }),
        1 => Just(Event::HandedOver {
            into: "R-NEXT01".into(),
            at: at(50),
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn no_interleaving_makes_two_grants_loses_a_revocation_or_an_end(
        quorum in 1u32..3,
        events in proptest::collection::vec(event(), 1..40),
    ) {
        let mut record = request(quorum);
        let mut grants_made = 0;
        let mut revoked = false;
        let mut end_scheduled = false;
        for event in &events {
            let Ok(transition) = next(&record, event) else {
                continue;
            };
            let before = record.state.clone();
            record = transition.record;
            if transition.effects.contains(&Effect::ScheduleEnd) {
                end_scheduled = true;
            }
            if record.state == State::Active && before != State::Active {
                grants_made += 1;
            }
            if matches!(record.state, State::Revoking { cause: EndCause::Revoked { .. } }) {
                revoked = true;
            }
            // A grant is made once.
            prop_assert!(grants_made <= 1, "{events:?}");
            // A revocation is never lost: it is taken away, then over, and stays so.
            if revoked {
                prop_assert!(
                    matches!(record.state, State::Revoking { .. } | State::Ended { .. }),
                    "{:?} after a revocation: {events:?}", record.state
                );
            }
            // A grant with an end has it on the timers.
            if record.state == State::Active && record.ends_at.is_some() {
                prop_assert!(end_scheduled, "{events:?}");
            }
            // Nobody approves their own request.
            prop_assert!(record
                .stages
                .iter()
                .all(|stage| stage.approvals.iter().all(|yes| yes.by != REQUESTER)));
            // A final state is final.
            if before.is_final() {
                prop_assert_eq!(&record.state, &before);
            }
        }
    }
}

/// An account recovery of Tom's own account: a step-up first, his manager as the alternative.
fn recovery() -> RequestRecord {
    use crate::domain::request::{Recovery, RecoveryCase, VerifyWay};
    let mut record = crate::domain::request::example::request(vec![StageRecord::new(
        VerifyWay::Mfa.stage_name().into(),
        Vec::new(),
        1,
    )]);
    record.resource.kind = crate::domain::resource::ResourceKind::Account;
    record.resource.id = record.requester.entra_id.clone();
    record.recovery = Some(Recovery {
        case: RecoveryCase::ForgotPassword,
        alternatives: vec![StageRecord::new(
            VerifyWay::Manager.stage_name().into(),
            vec![MANAGER.into()],
            1,
        )],
        step_up_asked_at: None,
        verified_by: None,
        lost_methods: Vec::new(),
        privileged: false,
        pass_minutes: None,
        secret_message: None,
    });
    record
}

#[test]
fn a_step_up_verifies_only_the_stage_waiting_for_it_and_only_once() {
    use crate::domain::request::VerifyWay;
    let asked = run(recovery(), &[Event::StepUpAsked { at: at(0) }]);
    assert!(
        next(&asked, &Event::StepUpAsked { at: at(1) }).is_err(),
        "one link"
    );
    let verified = next(
        &asked,
        &Event::SteppedUp {
            stage: 0,
            at: at(2),
        },
    )
    .expect("verified");
    assert_eq!(
        verified.record.state,
        State::Provisioning { waiting_for: None }
    );
    assert_eq!(
        verified
            .record
            .recovery
            .and_then(|recovery| recovery.verified_by),
        Some(VerifyWay::Mfa)
    );
    // A replayed step-up, or one for a manager's stage, decides nothing.
    assert!(
        next(
            &verified_state(),
            &Event::SteppedUp {
                stage: 0,
                at: at(3)
            }
        )
        .is_err()
    );
    let manager = run(
        recovery(),
        &[Event::VerificationFailed {
            stage: 0,
            why: "no".into(),
        }],
    );
    assert!(
        next(
            &manager,
            &Event::SteppedUp {
                stage: 0,
                at: at(3)
            }
        )
        .is_err()
    );
}

fn verified_state() -> RequestRecord {
    run(
        recovery(),
        &[
            Event::StepUpAsked { at: at(0) },
            Event::SteppedUp {
                stage: 0,
                at: at(1),
            },
        ],
    )
}

#[test]
fn a_failed_way_gives_way_to_the_next_and_with_none_left_the_request_is_refused() {
    use crate::domain::request::VerifyWay;
    let manager = next(
        &recovery(),
        &Event::VerificationFailed {
            stage: 0,
            why: "no passwordless sign-in".into(),
        },
    )
    .expect("the next way");
    assert_eq!(manager.effects, vec![Effect::Advance]);
    assert_eq!(
        manager.record.stages[0].name,
        VerifyWay::Manager.stage_name()
    );
    assert_eq!(manager.record.state, State::AwaitingApproval { stage: 0 });
    // The manager's yes verifies; the requester's own click never does.
    assert!(next(&manager.record, &answer(0, REQUESTER, true)).is_err());
    let yes = next(&manager.record, &answer(0, MANAGER, true)).expect("confirmed");
    assert_eq!(
        yes.record
            .recovery
            .as_ref()
            .and_then(|recovery| recovery.verified_by),
        Some(VerifyWay::Manager)
    );
    let refused = next(
        &manager.record,
        &Event::VerificationFailed {
            stage: 0,
            why: "not in time".into(),
        },
    )
    .expect("refused");
    assert!(matches!(refused.record.state, State::Denied { .. }));
    assert!(refused.effects.contains(&Effect::Unverified {
        why: "not in time".into()
    }));
}

#[test]
fn a_recovery_is_done_once_and_keeps_the_message_that_carried_its_secret() {
    let verified = verified_state();
    let done = next(
        &verified,
        &Event::Completed {
            at: at(5),
            secret_message: None,
        },
    )
    .expect("done");
    assert_eq!(done.record.state, State::Done { at: at(5) });
    assert!(done.record.state.is_final());
    assert!(
        next(
            &done.record,
            &Event::Completed {
                at: at(6),
                secret_message: None
            }
        )
        .is_err()
    );
    // Only a recovery completes: a grant is verified, never done.
    let grant = run(
        request(1),
        &[answer(0, MANAGER, true), answer(1, OWNER, true)],
    );
    assert!(
        next(
            &grant,
            &Event::Completed {
                at: at(5),
                secret_message: None
            }
        )
        .is_err()
    );
}

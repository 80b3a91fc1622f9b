//! The ledger's transitions, driven by random histories against a model tenant: whatever the
//! order of grants, overlaps, failures, ends, lost answers and restarts, what the person can
//! reach is what they had before plus what their active grants cover.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::{Before, Holding, Release};
use crate::provision::plan::Step;

const PERSON: &str = "person-1";

fn fact(index: usize) -> Step {
    Step::GroupMember {
        group_id: format!("group-{index}"),
    }
}

/// Where one grant is.
#[derive(Clone, Debug, PartialEq)]
enum Progress {
    /// Claiming and writing its plan: `next` steps are claimed, the last one's write may be
    /// pending.
    Making {
        next: usize,
        write_pending: bool,
    },
    Active,
    /// Being taken away (an end, or the undoing of a failure): `next` steps released, in
    /// reverse.
    Releasing {
        next: usize,
        failed: bool,
    },
    Over,
}

/// The tenant, the ledger and the grants, as the code would leave them.
struct World {
    tenant: BTreeSet<usize>,
    ledger: BTreeMap<usize, Holding>,
    plans: Vec<Vec<usize>>,
    progress: Vec<Progress>,
    held_at_start: BTreeSet<usize>,
}

#[derive(Clone, Debug)]
enum Event {
    /// A new grant asks for these facts (indexes, in order).
    Ask(Vec<usize>),
    /// Grant `n` (modulo the grants so far) takes its next step.
    Step(usize),
    /// Grant `n`'s write is carried out but its answer lost; it writes again and hears
    /// "already exists".
    LoseAnswer(usize),
    /// Grant `n` fails (a write refused, a read-back that never shows) and starts undoing.
    Fail(usize),
    /// Grant `n` ends: it expires, or is revoked.
    End(usize),
    /// The process restarts: every grant's last step, whose outcome it never heard, runs again.
    Restart,
}

impl World {
    fn new(held: BTreeSet<usize>) -> World {
        World {
            tenant: held.clone(),
            ledger: BTreeMap::new(),
            plans: Vec::new(),
            progress: Vec::new(),
            held_at_start: held,
        }
    }

    fn claim(&mut self, grant: usize, fact_index: usize) {
        let existing = self.ledger.get(&fact_index).cloned();
        // The provisioner reads before every claim; the ledger decides what the read means.
        let held_now = self.tenant.contains(&fact_index);
        let holding = Holding::claim(
            existing,
            PERSON,
            &fact(fact_index),
            &grant.to_string(),
            held_now,
        );
        self.ledger.insert(fact_index, holding);
    }

    fn write(&mut self, fact_index: usize) {
        self.tenant.insert(fact_index);
    }

    fn release(&mut self, grant: usize, fact_index: usize) {
        let Some(holding) = self.ledger.get_mut(&fact_index) else {
            return;
        };
        match holding.release(&grant.to_string()) {
            Release::Remove => {
                self.tenant.remove(&fact_index);
                holding.removed(chrono::Utc::now());
            }
            Release::Covered(_) | Release::HeldBefore | Release::Untouched => {}
        }
    }

    fn step(&mut self, grant: usize) {
        let plan = self.plans[grant].clone();
        match self.progress[grant].clone() {
            Progress::Making {
                next,
                write_pending: true,
            } => {
                self.write(plan[next - 1]);
                self.progress[grant] = Progress::Making {
                    next,
                    write_pending: false,
                };
            }
            Progress::Making { next, .. } if next < plan.len() => {
                self.claim(grant, plan[next]);
                self.progress[grant] = Progress::Making {
                    next: next + 1,
                    write_pending: true,
                };
            }
            Progress::Making { .. } => self.progress[grant] = Progress::Active,
            Progress::Releasing { next, failed } if next < plan.len() => {
                self.release(grant, plan[plan.len() - 1 - next]);
                self.progress[grant] = Progress::Releasing {
                    next: next + 1,
                    failed,
                };
            }
            Progress::Releasing { .. } => self.progress[grant] = Progress::Over,
            Progress::Active | Progress::Over => {}
        }
    }

    fn finish(&mut self) {
        for grant in 0..self.plans.len() {
            while !matches!(self.progress[grant], Progress::Active | Progress::Over) {
                self.step(grant);
            }
        }
    }

    /// What the person should reach: what they had, plus what active grants cover.
    fn expected(&self) -> BTreeSet<usize> {
        let mut reach = self.held_at_start.clone();
        for (grant, progress) in self.progress.iter().enumerate() {
            if *progress == Progress::Active {
                reach.extend(self.plans[grant].iter().copied());
            }
        }
        reach
    }

    fn apply(&mut self, event: Event) {
        let count = self.plans.len();
        match event {
            Event::Ask(plan) => {
                self.plans.push(plan);
                self.progress.push(Progress::Making {
                    next: 0,
                    write_pending: false,
                });
            }
            _ if count == 0 => {}
            Event::Step(n) => self.step(n % count),
            Event::LoseAnswer(n) => {
                let grant = n % count;
                if let Progress::Making {
                    next,
                    write_pending: true,
                } = self.progress[grant]
                {
                    // Carried out, answer lost; the retry finds it there: nothing changes the
                    // ledger, the claim was made before the write.
                    let plan = self.plans[grant].clone();
                    self.write(plan[next - 1]);
                    self.write(plan[next - 1]);
                    self.progress[grant] = Progress::Making {
                        next,
                        write_pending: false,
                    };
                }
            }
            Event::Fail(n) => {
                let grant = n % count;
                if matches!(self.progress[grant], Progress::Making { .. }) {
                    self.progress[grant] = Progress::Releasing {
                        next: 0,
                        failed: true,
                    };
                }
            }
            Event::End(n) => {
                let grant = n % count;
                if self.progress[grant] == Progress::Active {
                    self.progress[grant] = Progress::Releasing {
                        next: 0,
                        failed: false,
                    };
                }
            }
            Event::Restart => {
                // A resumed grant claims its current step again (the claim is idempotent) and
                // writes it again; a resumed release releases its current step again.
                for grant in 0..count {
                    let plan = self.plans[grant].clone();
                    match self.progress[grant].clone() {
                        Progress::Making { next, .. } if next > 0 => {
                            self.claim(grant, plan[next - 1]);
                            self.progress[grant] = Progress::Making {
                                next,
                                write_pending: true,
                            };
                        }
                        Progress::Releasing { next, .. } if next > 0 => {
                            self.release(grant, plan[plan.len() - next]);
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        2 => proptest::collection::btree_set(0usize..4, 1..4)
            .prop_map(|plan| Event::Ask(plan.into_iter().collect())),
        6 => (0usize..8).prop_map(Event::Step),
        1 => (0usize..8).prop_map(Event::LoseAnswer),
        1 => (0usize..8).prop_map(Event::Fail),
        2 => (0usize..8).prop_map(Event::End),
        1 => Just(Event::Restart),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn access_is_what_was_held_before_plus_what_active_grants_cover(
        held in proptest::collection::btree_set(0usize..4, 0..3),
        events in proptest::collection::vec(event(), 1..40),
    ) {
        let mut world = World::new(held);
        for event in events {
            world.apply(event);
            // Whenever nothing is half-way, the invariant holds.
            let settled = world.progress.iter().all(|p| matches!(p, Progress::Active | Progress::Over));
            if settled {
                prop_assert_eq!(&world.tenant, &world.expected());
            }
        }
        world.finish();
        prop_assert_eq!(&world.tenant, &world.expected());
        // A fact nobody covers any more is either held before or owes nothing.
        for holding in world.ledger.values() {
            if holding.grants.is_empty() {
                prop_assert!(!holding.removal_owed);
            }
        }
    }
}

#[test]
fn a_claim_on_a_covered_fact_never_reads_and_never_turns_doormans_access_into_held_before() {
    let step = fact(0);
    let first = Holding::claim(None, PERSON, &step, "R-1", false);
    assert_eq!(Holding::before_claim(Some(&first)), Before::Known);
    // Whatever a read would say now, it is not asked: the fact is Doorman's.
    let second = Holding::claim(Some(first), PERSON, &step, "R-2", true);
    assert!(!second.held_before);
    assert_eq!(second.grants.len(), 2);
}

#[test]
fn ending_one_of_two_grants_keeps_the_fact_and_ending_both_removes_it() {
    let step = fact(0);
    let mut holding = Holding::claim(None, PERSON, &step, "R-1", false);
    holding = Holding::claim(Some(holding), PERSON, &step, "R-2", false);
    assert_eq!(holding.release("R-1"), Release::Covered(vec!["R-2".into()]));
    assert_eq!(holding.release("R-2"), Release::Remove);
    assert!(holding.removal_owed);
    // Released again (a restart before the removal was confirmed): still owed.
    assert_eq!(holding.release("R-2"), Release::Remove);
    holding.removed(chrono::Utc::now());
    assert_eq!(holding.release("R-2"), Release::Untouched);
}

#[test]
fn a_fact_held_before_is_never_removed_and_is_forgotten_once_nothing_covers_it() {
    let step = fact(0);
    let mut holding = Holding::claim(None, PERSON, &step, "R-1", true);
    assert_eq!(holding.release("R-1"), Release::HeldBefore);
    assert!(holding.is_spent());
}

#[test]
fn a_removal_still_owed_is_called_off_by_a_new_grant_that_does_not_read_first() {
    let step = fact(0);
    let mut holding = Holding::claim(None, PERSON, &step, "R-1", false);
    assert_eq!(holding.release("R-1"), Release::Remove);
    // Before the removal is confirmed, a new grant claims it: Doorman's leftover must not pass
    // for access the person had.
    assert_eq!(Holding::before_claim(Some(&holding)), Before::Known);
    let again = Holding::claim(Some(holding), PERSON, &step, "R-2", true);
    assert!(!again.held_before && !again.removal_owed);
}

#[test]
fn after_a_confirmed_removal_a_new_grant_reads_again() {
    let step = fact(0);
    let mut holding = Holding::claim(None, PERSON, &step, "R-1", false);
    holding.release("R-1");
    holding.removed(chrono::Utc::now());
    assert_eq!(Holding::before_claim(Some(&holding)), Before::Read);
    let again = Holding::claim(Some(holding), PERSON, &step, "R-2", true);
    assert!(again.held_before, "what the read says is what they had");
    assert_eq!(again.removed_at, None);
}

#[test]
fn access_held_before_and_removed_outside_is_doormans_once_a_grant_writes_it_again() {
    let step = fact(0);
    // Had it before: the first grant wrote nothing.
    let holding = Holding::claim(None, PERSON, &step, "R-1", true);
    assert!(holding.held_before);
    // An owner removed it outside Doorman; a second grant finds it gone and writes it.
    let mut holding = Holding::claim(Some(holding), PERSON, &step, "R-2", false);
    assert!(!holding.held_before, "what was held before is gone");
    assert_eq!(holding.release("R-1"), Release::Covered(vec!["R-2".into()]));
    assert_eq!(
        holding.release("R-2"),
        Release::Remove,
        "Doorman's write goes with the last grant"
    );
}

//! A read made ahead of a claim, against a tenant held in memory: taken when nothing of
//! Doorman's touched the fact meanwhile, set aside when something did.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::domain::request::Service;
use crate::graph::DelegatedToken;
use crate::metrics::Metrics;
use crate::provision::ledger::Ledger;
use crate::provision::plan::{Plan, Step};
use crate::provision::provider::{
    Provider, ProviderError, Providers, Removal, Remove, Signed, Write, Written,
};
use crate::provision::provisioner::{Made, Provisioner, ProvisionerParts};
use crate::scheduler::SystemClock;
use crate::store::SledStore;

const PERSON: &str = "0b1c2d3e-aaaa-4bbb-8ccc-000000000001";

/// Group memberships, in memory, counting the reads of them.
#[derive(Default)]
struct Tenant {
    members: Mutex<BTreeSet<(String, String)>>,
    reads: AtomicUsize,
}

impl Tenant {
    fn has(&self, person: &str, step: &Step) -> bool {
        self.members
            .lock()
            .expect("tenant")
            .contains(&(person.to_lowercase(), step.key()))
    }

    fn set(&self, person: &str, step: &Step, there: bool) -> bool {
        let fact = (person.to_lowercase(), step.key());
        let mut members = self.members.lock().expect("tenant");
        if there {
            !members.insert(fact)
        } else {
            members.remove(&fact)
        }
    }
}

impl Provider for Tenant {
    fn carries(&self, _: &Step) -> bool {
        true
    }

    fn write<'a>(&'a self, write: Write<'a>) -> BoxFuture<'a, Result<Written, ProviderError>> {
        let found_there = self.set(write.person, write.step, true);
        async move {
            Ok(Written {
                request_id: None,
                handle: None,
                found_there,
            })
        }
        .boxed()
    }

    fn present<'a>(
        &'a self,
        step: &'a Step,
        person: &'a str,
    ) -> BoxFuture<'a, Result<bool, ProviderError>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let there = self.has(person, step);
        async move { Ok(there) }.boxed()
    }

    fn remove<'a>(&'a self, remove: Remove<'a>) -> BoxFuture<'a, Result<Removal, ProviderError>> {
        let removed = self.set(remove.person, remove.step, false);
        async move {
            Ok(if removed {
                Removal::Removed
            } else {
                Removal::NotThere
            })
        }
        .boxed()
    }
}

struct World {
    tenant: Arc<Tenant>,
    provisioner: Provisioner,
    plan: Plan,
    token: DelegatedToken,
    _store: tempfile::TempDir,
}

fn world() -> World {
    let store = tempfile::tempdir().expect("dir");
    let sled = SledStore::open(store.path()).expect("store");
    let tenant = Arc::new(Tenant::default());
    let provisioner = Provisioner::new(ProvisionerParts {
        providers: Providers::new(vec![Arc::clone(&tenant) as Arc<dyn Provider>]),
        ledger: Ledger::open(Arc::new(sled)).expect("ledger"),
        clock: Arc::new(SystemClock),
        metrics: Metrics::new(),
        verify_within: Duration::from_secs(1),
    });
    World {
        tenant,
        provisioner,
        plan: Plan {
            steps: vec![Step::GroupMember {
                group_id: "marketing".into(),
            }],
        },
        token: DelegatedToken::new("operator-token".into()),
        _store: store,
    }
}

impl World {
    /// Reads ahead for `plan`, and lets the spawned read finish.
    async fn read_ahead(&self, person: &str, plan: &Plan) {
        self.provisioner.read_ahead(person, plan);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// Carries `plan` out for `grant`.
    async fn make(&self, grant: &str, plan: &Plan) -> Made {
        self.provisioner
            .carry_out(grant, PERSON, plan, &self.token)
            .await
            .expect("made")
    }

    fn reads(&self) -> usize {
        self.tenant.reads.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_claim_takes_the_read_made_ahead_instead_of_reading_again() {
    let world = world();
    world.read_ahead(PERSON, &world.plan).await;
    let made = world.make("R-1", &world.plan).await;
    assert_eq!(made.written, world.plan.steps);
    assert!(made.held_before.is_empty());
    assert_eq!(world.reads(), 1, "read twice");
    assert!(world.tenant.has(PERSON, &world.plan.steps[0]));
}

#[tokio::test]
async fn a_read_made_ahead_of_a_removal_of_doormans_is_set_aside() {
    let world = world();
    let step = &world.plan.steps[0];
    world.make("R-1", &world.plan).await;
    // Read while R-1's membership is there: it is Doorman's, then R-1 ends and it goes.
    world.read_ahead(PERSON, &world.plan).await;
    let signed = Signed {
        token: &world.token,
        service: Service::Graph,
    };
    let released = world
        .provisioner
        .release("R-1", PERSON, &world.plan, Some(signed))
        .await;
    assert!(released.is_complete(), "{released:?}");
    assert!(!world.tenant.has(PERSON, step));
    // R-2 must read again: taking the old read would count the membership as the person's
    // own and never write it.
    let made = world.make("R-2", &world.plan).await;
    assert_eq!(made.written, world.plan.steps, "{made:?}");
    assert!(made.held_before.is_empty(), "{made:?}");
    assert!(world.tenant.has(PERSON, step));
}

#[tokio::test]
async fn a_read_made_ahead_is_not_taken_for_a_fact_another_grant_covers() {
    let world = world();
    world.read_ahead(PERSON, &world.plan).await;
    world.make("R-1", &world.plan).await;
    // A second read made ahead says "there", which is R-1's doing, not the person's.
    world.read_ahead(PERSON, &world.plan).await;
    let made = world.make("R-2", &world.plan).await;
    assert_eq!(made.covered, world.plan.steps, "{made:?}");
    assert!(made.held_before.is_empty(), "{made:?}");
}

#[tokio::test]
async fn one_person_has_one_read_made_ahead_at_a_time() {
    let world = world();
    let other = Plan {
        steps: vec![Step::GroupMember {
            group_id: "finance".into(),
        }],
    };
    // Asking again and again, for one thing or another, sends one read until it is taken.
    for _ in 0..10 {
        world.read_ahead(PERSON, &other).await;
        world.read_ahead(PERSON, &world.plan).await;
    }
    assert_eq!(world.reads(), 1);
    // The read waiting is for the other fact: this claim reads for itself, and leaves it.
    world.make("R-1", &world.plan).await;
    assert_eq!(world.reads(), 2);
    // R-1's claim changed a holding of another stripe than the finance fact's: had they shared
    // one, the read would rightly be set aside.
    assert_eq!(
        world.provisioner.ledger().changes(PERSON, &other.steps[0]),
        0
    );
    world.make("R-2", &other).await;
    assert_eq!(world.reads(), 2, "the read made ahead was taken");
}

#[tokio::test]
async fn a_read_made_for_the_id_spelled_otherwise_is_not_taken() {
    let world = world();
    world.read_ahead(&PERSON.to_uppercase(), &world.plan).await;
    world.make("R-1", &world.plan).await;
    assert_eq!(world.reads(), 2, "read once more");
}

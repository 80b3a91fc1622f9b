//! A provisioner on a real ledger against a tenant held in memory (group memberships, its reads
//! counted), for the provisioner's own tests.

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

pub(super) const PERSON: &str = "0b1c2d3e-aaaa-4bbb-8ccc-000000000001";

/// Group memberships, in memory, counting the reads of them.
#[derive(Default)]
pub(super) struct Tenant {
    pub members: Mutex<BTreeSet<(String, String)>>,
    pub reads: AtomicUsize,
}

impl Tenant {
    pub fn has(&self, person: &str, step: &Step) -> bool {
        self.members
            .lock()
            .expect("tenant")
            .contains(&(person.to_lowercase(), step.key()))
    }

    pub fn set(&self, person: &str, step: &Step, there: bool) -> bool {
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

pub(super) struct World {
    pub tenant: Arc<Tenant>,
    pub provisioner: Provisioner,
    /// Membership of the Marketing group.
    pub plan: Plan,
    pub token: DelegatedToken,
    _store: tempfile::TempDir,
}

pub(super) fn world() -> World {
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
    pub async fn read_ahead(&self, person: &str, plan: &Plan) {
        self.provisioner.read_ahead(person, plan);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// Takes `grant` off `plan` under the operator's token; whether all of it was settled.
    pub async fn release(&self, grant: &str, plan: &Plan) -> bool {
        let signed = Signed {
            token: &self.token,
            service: Service::Graph,
        };
        self.provisioner
            .release(grant, PERSON, plan, Some(signed))
            .await
            .is_complete()
    }

    /// Carries `plan` out for `grant`.
    pub async fn make(&self, grant: &str, plan: &Plan) -> Made {
        self.provisioner
            .carry_out(grant, PERSON, plan, &self.token)
            .await
            .expect("made")
    }

    pub fn reads(&self) -> usize {
        self.tenant.reads.load(Ordering::SeqCst)
    }
}

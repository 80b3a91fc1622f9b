//! The grant ledger: for every fact Doorman writes about a person ([`Step`]), whether they had
//! it before Doorman's first write, and which grants cover it now.
//!
//! The invariant it keeps: what a person can reach is what they had before plus what their
//! active grants cover. So "already there" is decided by a read *before* the write, never by
//! the write's answer (a write whose answer was lost, retried, answers "already exists" for a
//! change this very grant made); a fact is removed only when no grant covers it and it was not
//! held before; and a fact that another grant still covers stays when one grant ends.
//!
//! A [`Holding`] changes only under its stripe lock ([`Ledger::lock`]), and every change is on
//! disk before the Graph call it guards. The transitions themselves are pure
//! ([`Holding::claim`], [`Holding::release`]), so the property tests can drive them.

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::plan::{Plan, Step};
use crate::store::{Domain, Store, StoreError, Table};

/// How many locks the holdings are spread over. Holdings that share a stripe wait for each
/// other; one operation only ever holds one stripe, so they cannot deadlock.
const STRIPES: usize = 64;

/// What Doorman knows of one fact about one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    /// The person's Entra object id, lower case.
    pub person: String,
    pub step: Step,
    /// Whether the person had it before Doorman first wrote it: read before that write, at a
    /// time no grant of theirs covered it.
    pub held_before: bool,
    /// The grants (request ids) that cover it: being made, active, or being taken away.
    pub grants: BTreeSet<String>,
    /// No grant covers it and it was not held before, and its removal is not confirmed yet.
    #[serde(default)]
    pub removal_owed: bool,
    /// A removal of it has been sent since it was last claimed (recorded before sending): its
    /// answer may have been lost, or the run that sent it may have died, so the next attempt
    /// reads whether it is still there before removing it again.
    #[serde(default)]
    pub removal_sent: bool,
    /// Graph's id for it, where removing it needs one (a channel membership, a sharing
    /// permission), as the write answered it.
    #[serde(default)]
    pub handle: Option<String>,
    /// When Doorman last wrote it.
    #[serde(default)]
    pub written_at: Option<DateTime<Utc>>,
    /// When a read last showed it, after that write: replication lag can no longer hide it,
    /// so a removal that finds nothing found it gone.
    #[serde(default)]
    pub seen_at: Option<DateTime<Utc>>,
    /// When Doorman removed it because no grant covered it any more: drift repair watches it
    /// from then on.
    #[serde(default)]
    pub removed_at: Option<DateTime<Utc>>,
    /// The grant whose end removed it, which a later drift repair is audited under.
    #[serde(default)]
    pub last_grant: Option<String>,
}

/// What a claim needs before the write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Before {
    /// Nothing covers the fact now: read whether the person has it, and record that, before
    /// writing.
    Read,
    /// Doorman's already (another grant covers it, or its removal is still owed): no read,
    /// since what Doorman made must not pass for what the person had.
    Known,
}

/// What taking a grant off a holding leaves to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Release {
    /// Other grants still cover it: it stays.
    Covered(Vec<String>),
    /// The person had it before Doorman: it stays.
    HeldBefore,
    /// No grant covers it, and it was not held before: it is to be removed.
    Remove,
    /// The grant had no part in it, and nothing is owed.
    Untouched,
}

impl Holding {
    /// What claiming `existing` (the stored holding, if any) needs before the write.
    pub fn before_claim(existing: Option<&Holding>) -> Before {
        match existing {
            Some(holding) if !holding.grants.is_empty() || holding.removal_owed => Before::Known,
            _ => Before::Read,
        }
    }

    /// `grant` covers the fact from now on. `held_now` is what the read before the write found:
    /// when nothing covers the fact it is what the person had before; when grants do, a fact
    /// not there any more means what they had before is gone.
    pub fn claim(
        existing: Option<Holding>,
        person: &str,
        step: &Step,
        grant: &str,
        held_now: bool,
    ) -> Holding {
        let mut holding = match existing {
            // What the person had before is gone if the fact is not there now (removed outside
            // Doorman): whatever is written from here on is Doorman's.
            Some(holding) if Self::before_claim(Some(&holding)) == Before::Known => Holding {
                held_before: holding.held_before && held_now,
                ..holding
            },
            // Nothing covers it: what the person holds now is what they had before.
            Some(ended) => Holding {
                held_before: held_now,
                removed_at: None,
                handle: None,
                ..ended
            },
            None => Holding {
                person: person.to_lowercase(),
                step: step.clone(),
                held_before: held_now,
                grants: BTreeSet::new(),
                removal_owed: false,
                removal_sent: false,
                handle: None,
                written_at: None,
                seen_at: None,
                removed_at: None,
                last_grant: None,
            },
        };
        // A removal still owed is not owed any more: the fact is covered again.
        holding.removal_owed = false;
        holding.removal_sent = false;
        holding.removed_at = None;
        holding.grants.insert(grant.to_owned());
        holding
    }

    /// Takes `grant` off; says what is left to do.
    pub fn release(&mut self, grant: &str) -> Release {
        let was_covering = self.grants.remove(grant);
        if !self.grants.is_empty() {
            return Release::Covered(self.grants.iter().cloned().collect());
        }
        if self.held_before {
            return Release::HeldBefore;
        }
        if was_covering || self.removal_owed {
            self.removal_owed = true;
            if was_covering {
                self.last_grant = Some(grant.to_owned());
            }
            return Release::Remove;
        }
        Release::Untouched
    }

    /// The removal is confirmed (written and read back gone).
    pub fn removed(&mut self, at: DateTime<Utc>) {
        self.removal_owed = false;
        self.removal_sent = false;
        self.removed_at = Some(at);
        self.handle = None;
    }

    /// Whether Doorman keeps nothing worth knowing about it any more: no grant covers it, and
    /// it was held before (so nothing is to be removed or watched).
    pub fn is_spent(&self) -> bool {
        self.grants.is_empty() && self.held_before && !self.removal_owed
    }
}

/// The holdings and the plans they were claimed for, on disk, with the holdings' locks.
pub struct Ledger {
    store: Arc<dyn Store>,
    table: Table<String, Holding>,
    plans: Table<String, Plan>,
    stripes: Vec<tokio::sync::Mutex<()>>,
    /// How many times each stripe's holdings have changed since the start: a read made while
    /// it stood still is as good as one made under the lock ([`Ledger::changes`]).
    changes: Vec<AtomicU64>,
}

/// A holding's key: the person and the fact.
pub fn key(person: &str, step: &Step) -> String {
    format!("{}|{}", person.to_lowercase(), step.key())
}

/// The stripe a holding's key falls in: below STRIPES.
fn stripe(key: &str) -> usize {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    usize::try_from(hasher.finish() % STRIPES as u64).unwrap_or(0)
}

impl Ledger {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        Ok(Ledger {
            table: Table::open(store.as_ref(), Domain::Holdings)?,
            plans: Table::open(store.as_ref(), Domain::Plans)?,
            store,
            stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            changes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
        })
    }

    /// The lock of one holding: held across the reads and writes that decide and change it.
    pub async fn lock(&self, person: &str, step: &Step) -> tokio::sync::MutexGuard<'_, ()> {
        // `stripes` has STRIPES entries and `stripe` is below that.
        self.stripes[stripe(&key(person, step))].lock().await
    }

    /// A count that moves whenever a holding that shares a stripe with `person`'s `step`
    /// changes: while it stands still, Doorman has claimed, released or removed nothing there,
    /// so no write of Doorman's can have changed the fact since.
    pub fn changes(&self, person: &str, step: &Step) -> u64 {
        self.changes[stripe(&key(person, step))].load(Ordering::SeqCst)
    }

    /// Makes a change to the holding at `key`, counted before and after it: a read that
    /// overlaps it in any way is never taken for one made after it.
    fn changing<T>(&self, key: &str, change: impl FnOnce() -> T) -> T {
        let count = &self.changes[stripe(key)];
        count.fetch_add(1, Ordering::SeqCst);
        let changed = change();
        count.fetch_add(1, Ordering::SeqCst);
        changed
    }

    pub fn get(&self, person: &str, step: &Step) -> Result<Option<Holding>, StoreError> {
        self.table.get(&key(person, step))
    }

    /// Keeps `holding` (or forgets it when it is spent), on disk before it returns.
    pub fn put(&self, holding: &Holding) -> Result<(), StoreError> {
        let key = key(&holding.person, &holding.step);
        self.changing(&key, || {
            if holding.is_spent() {
                self.table.remove(&key)?;
            } else {
                self.table.insert(&key, holding)?;
            }
            self.store.flush()
        })
    }

    /// Forgets a holding altogether.
    pub fn forget(&self, holding: &Holding) -> Result<(), StoreError> {
        let key = key(&holding.person, &holding.step);
        self.changing(&key, || {
            self.table.remove(&key)?;
            self.store.flush()
        })
    }

    /// Fixes the plan of `grant` (on disk before it returns): taking the grant away later undoes
    /// these steps, whatever the catalog says by then.
    pub fn fix_plan(&self, grant: &str, plan: &Plan) -> Result<(), StoreError> {
        self.plans.insert(&grant.to_owned(), plan)?;
        self.store.flush()
    }

    /// The plan `grant` was fixed with, if any.
    pub fn plan(&self, grant: &str) -> Result<Option<Plan>, StoreError> {
        self.plans.get(&grant.to_owned())
    }

    /// Every holding.
    pub fn all(&self) -> Result<Vec<Holding>, StoreError> {
        self.table
            .iter()
            .map(|entry| entry.map(|(_, holding)| holding))
            .collect()
    }
}

#[cfg(test)]
mod tests;

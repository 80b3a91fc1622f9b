//! Reads made ahead of a claim: whether a person already has the first fact of a plan, read
//! while the directory is read and policy decides, so that an auto-approved grant does not wait
//! for that read after the decision.
//!
//! A claim takes such a read in place of its own only when it is as good as one made under the
//! fact's lock: it was made for the same fact and the same person id, spelled the same; no
//! holding of the fact's stripe changed from before the read was sent until the claim
//! ([`Ledger::changes`]); nothing covers the fact at the claim (a fact another grant covers or
//! whose removal is owed is never read as what the person had); and its answer came within
//! [`FRESH_FOR`] of sending it. Anything else, and the claim reads for itself, as it always did.
//!
//! A read is sent for every request before policy decides, so one person has at most one
//! waiting at a time: asking again and again (for things policy refuses, say) costs at most one
//! read every [`FRESH_FOR`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use crate::provision::ledger::Ledger;
use crate::provision::plan::Step;
use crate::provision::provider::Providers;

/// How long a read made ahead stands in for a claim's own. An auto-approved claim comes a
/// moment after the decision; one that waited for an approver reads again.
pub(super) const FRESH_FOR: Duration = Duration::from_secs(5);

/// At most this many people have a read waiting for its claim; past it, no more are made until
/// some are taken or grow old.
const MOST_WAITING: usize = 1_024;

/// One read made ahead.
struct Ahead {
    /// The person id the read was made for, as given.
    person: String,
    step: Step,
    sent: Instant,
    /// [`Ledger::changes`] for the fact just before the read was sent.
    changes: u64,
    /// Whether the person has the fact; `None` when the read failed.
    answer: Shared<BoxFuture<'static, Option<bool>>>,
}

/// The reads made ahead and not yet taken, by person (lower case): one each at most.
#[derive(Default)]
pub(super) struct ReadsAhead {
    waiting: Mutex<HashMap<String, Ahead>>,
}

impl ReadsAhead {
    /// Sends the read of whether `person` has `step`, unless a read for them sent less than
    /// [`FRESH_FOR`] ago still waits, or too many people have one waiting.
    pub(super) fn read(&self, providers: &Providers, ledger: &Ledger, person: &str, step: &Step) {
        let mut waiting = self.lock();
        waiting.retain(|_, ahead| ahead.sent.elapsed() < FRESH_FOR);
        let whose = person.to_lowercase();
        if waiting.contains_key(&whose) || waiting.len() >= MOST_WAITING {
            return;
        }
        // Counted before the read is sent: a change that overlaps the read moves the count.
        let changes = ledger.changes(person, step);
        let (providers, owned_step, owned_person) =
            (providers.clone(), step.clone(), person.to_owned());
        let read = tokio::spawn(async move {
            providers
                .present(&owned_step, &owned_person)
                .await
                .inspect_err(|error| tracing::debug!(%error, "a read made ahead failed"))
                .ok()
        });
        let answer = read.map(|joined| joined.ok().flatten()).boxed().shared();
        waiting.insert(
            whose,
            Ahead {
                person: person.to_owned(),
                step: step.clone(),
                sent: Instant::now(),
                changes,
                answer,
            },
        );
    }

    /// Whether `person` has `step`, as a read made ahead says, when that read stands in for
    /// the claim's own (see the module's documentation). A read for this fact is taken either
    /// way; one for another fact is left for its own claim. Called under the fact's lock, for
    /// a claim that reads: it waits for the answer no longer than the read stays fresh.
    pub(super) async fn take(&self, ledger: &Ledger, person: &str, step: &Step) -> Option<bool> {
        let ahead = {
            let mut waiting = self.lock();
            let whose = person.to_lowercase();
            if waiting.get(&whose)?.step != *step {
                return None;
            }
            waiting.remove(&whose)?
        };
        let unchanged = || ledger.changes(person, step) == ahead.changes;
        let left = FRESH_FOR.checked_sub(ahead.sent.elapsed())?;
        if ahead.person != person || !unchanged() {
            return None;
        }
        let there = tokio::time::timeout(left, ahead.answer).await.ok()??;
        unchanged().then_some(there)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Ahead>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;

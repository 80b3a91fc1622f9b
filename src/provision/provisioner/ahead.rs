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
//! A read is sent before policy decides, for every request for access to a resource of the
//! catalog by someone whose object id the chat service vouched for, so one person has at most
//! one waiting at a time: asking again and again (for things policy refuses, say) costs at most
//! one read every [`FRESH_FOR`]. It is for the level asked for: when policy grants another, it
//! is for another fact and goes unused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
// Tokio's clock, which tests can stop and move on.
use tokio::time::Instant;

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

/// What a read made ahead answered.
pub(super) struct Answered {
    /// Whether the person had the fact.
    pub there: bool,
    /// [`Ledger::changes`] for the fact just before the read was sent.
    changes: u64,
}

impl Answered {
    /// Whether the answer is as good as a read made now: no holding of the fact's stripe
    /// changed since just before the read was sent. Asked under the fact's lock, of a fact
    /// nothing covers.
    pub(super) fn stands(&self, ledger: &Ledger, person: &str, step: &Step) -> bool {
        ledger.changes(person, step) == self.changes
    }
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

    /// The answer of the read made ahead for `person`'s `step`, if one was made and answered
    /// within [`FRESH_FOR`] of sending it, waiting for it no longer than that; taken either
    /// way (one for another fact is left for its own claim). Called before the claim takes the
    /// fact's lock, so a slow read holds up nobody else: the claim then decides under the lock
    /// whether it still stands ([`Answered::stands`]).
    pub(super) async fn take(&self, person: &str, step: &Step) -> Option<Answered> {
        let ahead = {
            let mut waiting = self.lock();
            let whose = person.to_lowercase();
            let found = waiting.get(&whose)?;
            if found.step != *step || found.person != person {
                return None;
            }
            waiting.remove(&whose)?
        };
        let left = FRESH_FOR.checked_sub(ahead.sent.elapsed())?;
        let there = tokio::time::timeout(left, ahead.answer).await.ok()??;
        Some(Answered {
            there,
            changes: ahead.changes,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Ahead>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;

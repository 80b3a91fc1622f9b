//! Reads made ahead of a claim: whether a person already has the first fact of a plan, read
//! while the directory is read and policy decides, so that an auto-approved grant does not wait
//! for that read after the decision.
//!
//! A claim takes such a read in place of its own only when it is as good as one made under the
//! fact's lock: no holding of the fact's stripe changed from before the read was sent until the
//! claim ([`Ledger::changes`]), nothing covers the fact at the claim (a fact another grant
//! covers or whose removal is owed is never read as what the person had), and the read is
//! younger than [`FRESH_FOR`]. Anything else, and the claim reads for itself, as it always did.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use crate::provision::ledger::{self, Ledger};
use crate::provision::plan::Step;
use crate::provision::provider::Providers;

/// How long a read made ahead stands in for a claim's own. An auto-approved claim comes a
/// moment after the decision; one that waited for an approver reads again.
pub(super) const FRESH_FOR: Duration = Duration::from_secs(5);

/// At most this many reads wait for their claim; past it, no more are made until some are
/// taken or grow old (each request makes one, and requests are rate-limited per person).
const MOST_WAITING: usize = 1_024;

/// One read made ahead.
struct Ahead {
    sent: Instant,
    /// [`Ledger::changes`] for the fact just before the read was sent.
    changes: u64,
    /// Whether the person has the fact; `None` when the read failed.
    answer: Shared<BoxFuture<'static, Option<bool>>>,
}

/// The reads made ahead and not yet taken, by holding key.
#[derive(Default)]
pub(super) struct ReadsAhead {
    waiting: Mutex<HashMap<String, Ahead>>,
}

impl ReadsAhead {
    /// Sends the read of whether `person` has `step`, unless too many wait already.
    pub(super) fn read(&self, providers: &Providers, ledger: &Ledger, person: &str, step: &Step) {
        let mut waiting = self.lock();
        waiting.retain(|_, ahead| ahead.sent.elapsed() < FRESH_FOR);
        if waiting.len() >= MOST_WAITING {
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
            ledger::key(person, step),
            Ahead {
                sent: Instant::now(),
                changes,
                answer,
            },
        );
    }

    /// Whether `person` has `step`, as a read made ahead says, when that read stands in for
    /// the claim's own (see the module's documentation); taken either way. Called under the
    /// fact's lock, for a claim that reads.
    pub(super) async fn take(&self, ledger: &Ledger, person: &str, step: &Step) -> Option<bool> {
        let ahead = self.lock().remove(&ledger::key(person, step))?;
        let there = ahead.answer.await?;
        let stands =
            ahead.sent.elapsed() < FRESH_FOR && ledger.changes(person, step) == ahead.changes;
        stands.then_some(there)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Ahead>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;

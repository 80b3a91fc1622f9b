//! Carrying grants out and taking them away through the grant ledger.
//!
//! [`Provisioner::carry_out`] claims each step for its grant before writing it: when no grant
//! covers the fact yet, it first reads whether the person already has it, and keeps that
//! answer (on disk) as what they had before. [`Provisioner::release`] takes a grant off each
//! step in reverse and removes only what no other grant covers and the person did not have
//! before, then reads the removal back gone. Nothing here decides from a write's answer who
//! owns a fact, so a lost answer, a retry or a crash between a write and its answer cannot turn
//! Doorman's own change into someone else's access.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::ProvisionError;
use super::ledger::{Before, Holding, Ledger, Release};
use super::plan::{Plan, Step};
use super::provider::{Providers, Removal, Remove, Signed, Write};
use super::verify;
use crate::graph::DelegatedToken;
use crate::metrics::Metrics;
use crate::scheduler::Clock;
use crate::store::StoreError;
use ahead::ReadsAhead;

/// How long a removal is given to show through replication lag.
const GONE_WITHIN: Duration = Duration::from_secs(60);

/// A fact written longer ago than this is visible to every read: a read that does not show it
/// then means it is not there. Until then, a fact only a read can find (a channel membership
/// whose id the write's lost answer never gave) may just be hidden by replication lag.
const LAG_BOUND: TimeDelta = TimeDelta::minutes(15);

/// What carrying out a plan did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Made {
    /// Graph's request ids of the writes, for the audit trail.
    pub request_ids: Vec<String>,
    /// The steps written for this grant.
    pub written: Vec<Step>,
    /// The steps the person had before the grant: left as they were, never written.
    pub held_before: Vec<Step>,
    /// The steps already there under another grant of theirs (or an earlier run of this one
    /// whose answer was lost): shared, not written again.
    pub covered: Vec<Step>,
}

/// What a provisioner needs.
pub struct ProvisionerParts {
    /// The kinds of access Doorman can carry out.
    pub providers: Providers,
    pub ledger: Ledger,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
    /// `[provision] verify_within`: how long a change is read back before it counts as failed.
    pub verify_within: Duration,
}

/// Makes and takes away grants' steps through the ledger.
pub struct Provisioner {
    providers: Providers,
    ledger: Ledger,
    ahead: ReadsAhead,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    verify_within: Duration,
}

impl Provisioner {
    pub fn new(parts: ProvisionerParts) -> Self {
        Provisioner {
            providers: parts.providers,
            ledger: parts.ledger,
            ahead: ReadsAhead::default(),
            clock: parts.clock,
            metrics: parts.metrics,
            verify_within: parts.verify_within,
        }
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Makes the plan's steps true for `person` under `token`, for `grant`. Each step is
    /// claimed in the ledger before it is written; a step the person already had when nothing
    /// covered it is recorded as theirs and not written. Stops at the first failure: undoing is
    /// [`Provisioner::release`]'s, which knows from the ledger what this grant made.
    pub async fn carry_out(
        &self,
        grant: &str,
        person: &str,
        plan: &Plan,
        token: &DelegatedToken,
    ) -> Result<Made, ProvisionError> {
        let mut made = Made::default();
        // The id an earlier step's write answered, for a step that builds on it.
        let mut earlier_handle: Option<String> = None;
        for step in &plan.steps {
            let claimed = self.claim(grant, person, step).await?;
            if claimed.there {
                if claimed.held_before {
                    made.held_before.push(step.clone());
                } else {
                    made.covered.push(step.clone());
                }
                earlier_handle = claimed.handle;
                continue;
            }
            let builds_on = match step {
                Step::ChannelOwner { .. } => earlier_handle.clone().or(claimed.handle),
                _ => None,
            };
            let write = Write {
                token,
                step,
                person,
                builds_on: builds_on.as_deref(),
            };
            let written = match self.providers.of(step) {
                Ok(provider) => provider.write(write).await,
                Err(error) => Err(error),
            };
            let written = match written {
                Ok(written) => written,
                Err(source) => {
                    if source.refused {
                        // The service said no: nothing was written, so nothing can be hidden by
                        // replication lag.
                        self.keep_written_at(grant, person, step, None).await?;
                    }
                    return Err(ProvisionError::Provider {
                        step: step.describe(),
                        source,
                    });
                }
            };
            made.request_ids.extend(written.request_id.clone());
            // Only a claim this run made fresh: a run resumed after a crash may meet its own
            // earlier write (which replication lag hid from its read) as "already there".
            if written.found_there && claimed.fresh && self.found_held(grant, person, step).await? {
                made.held_before.push(step.clone());
                earlier_handle = None;
                continue;
            }
            if let Some(handle) = &written.handle {
                self.keep_handle(grant, person, step, handle).await?;
            }
            earlier_handle = written.handle;
            made.written.push(step.clone());
        }
        Ok(made)
    }

    /// Reads the plan back with the app-only token until all of it shows, for at most
    /// `[provision] verify_within`.
    pub async fn verify(&self, person: &str, plan: &Plan) -> Result<(), ProvisionError> {
        verify::settle(
            &self.providers,
            &plan.steps,
            person,
            self.verify_within,
            true,
        )
        .await?;
        let now = self.clock.now();
        for step in &plan.steps {
            let _one_at_a_time = self.ledger.lock(person, step).await;
            if let Some(mut holding) = self.ledger.get(person, step)? {
                holding.seen_at = Some(now);
                self.ledger.put(&holding)?;
            }
        }
        Ok(())
    }

    /// Whether `step` is true for `person` now, as its service's own records say.
    pub async fn present(&self, person: &str, step: &Step) -> Result<bool, ProvisionError> {
        self.providers
            .present(step, person)
            .await
            .map_err(|source| ProvisionError::Provider {
                step: step.describe(),
                source,
            })
    }

    /// Takes `grant` off every step of its plan, in reverse: what other grants cover or the
    /// person had before stays; the rest is removed under `signed` (none: no identity can
    /// remove it now, so it stays owed) and read back gone. Safe to run again: a step the grant
    /// no longer covers is removed only while its removal is still owed.
    pub async fn release(
        &self,
        grant: &str,
        person: &str,
        plan: &Plan,
        signed: Option<Signed<'_>>,
    ) -> Released {
        let mut released = Released::default();
        for step in plan.steps.iter().rev() {
            let outcome = self.release_step(grant, person, step, signed).await;
            released.steps.push((step.clone(), outcome));
        }
        let taken: Vec<Step> = released
            .steps
            .iter()
            .filter(|(_, outcome)| *outcome == StepRelease::Removed)
            .map(|(step, _)| step.clone())
            .collect();
        if !taken.is_empty() {
            let gone = verify::settle(&self.providers, &taken, person, GONE_WITHIN, false).await;
            match gone {
                Ok(()) => {
                    for step in &taken {
                        if let Err(error) = self.confirm_removed(person, step).await {
                            tracing::error!(%error, "cannot record a confirmed removal");
                        }
                    }
                }
                Err(error) => {
                    for (step, outcome) in &mut released.steps {
                        if taken.contains(step) {
                            *outcome = StepRelease::Failed(error.to_string());
                        }
                    }
                }
            }
        }
        for failure in released.failures() {
            self.metrics.removals_failed.inc();
            tracing::error!(
                grant,
                failure,
                "access no grant covers could not be removed yet; it will be tried again"
            );
        }
        released
    }

    /// `into` covers every step `from` covers (an extension taking a grant over), with nothing
    /// written and nothing read.
    pub async fn hand_over(
        &self,
        from: &str,
        into: &str,
        person: &str,
        plan: &Plan,
    ) -> Result<(), StoreError> {
        for step in &plan.steps {
            let _one_at_a_time = self.ledger.lock(person, step).await;
            if let Some(mut holding) = self.ledger.get(person, step)? {
                if holding.grants.contains(from) && holding.grants.insert(into.to_owned()) {
                    self.ledger.put(&holding)?;
                }
            }
        }
        Ok(())
    }

    /// Records what a grant made before the ledger existed: `made` steps as Doorman's, the
    /// others as held before. Steps the ledger already knows for this grant are left alone.
    pub async fn adopt(
        &self,
        grant: &str,
        person: &str,
        step: &Step,
        made: bool,
    ) -> Result<(), StoreError> {
        let _one_at_a_time = self.ledger.lock(person, step).await;
        let existing = self.ledger.get(person, step)?;
        if existing
            .as_ref()
            .is_some_and(|holding| holding.grants.contains(grant))
        {
            return Ok(());
        }
        let mut holding = Holding::claim(existing, person, step, grant, !made);
        holding.written_at = Some(self.clock.now());
        self.ledger.put(&holding)
    }

    async fn release_step(
        &self,
        grant: &str,
        person: &str,
        step: &Step,
        signed: Option<Signed<'_>>,
    ) -> StepRelease {
        let _one_at_a_time = self.ledger.lock(person, step).await;
        let mut holding = match self.ledger.get(person, step) {
            Ok(Some(holding)) => holding,
            Ok(None) => return StepRelease::Untouched,
            Err(error) => return StepRelease::Failed(error.to_string()),
        };
        let sent_before = holding.removal_sent;
        let release = holding.release(grant);
        if release == Release::Remove && signed.is_some() {
            holding.removal_sent = true;
        }
        // On disk before anything is removed: a crash from here on leaves the removal owed,
        // and known to have been sent.
        if release != Release::Untouched {
            if let Err(error) = self.ledger.put(&holding) {
                return StepRelease::Failed(error.to_string());
            }
        }
        match release {
            Release::Covered(by) => StepRelease::Covered(by),
            Release::HeldBefore => StepRelease::HeldBefore,
            Release::Untouched => StepRelease::Untouched,
            Release::Remove => {
                let Some(signed) = signed else {
                    return StepRelease::Failed(
                        "no identity can remove it: neither the person who made it nor the \
                         operator has a usable sign-in"
                            .to_owned(),
                    );
                };
                if sent_before && self.gone_already(&holding).await {
                    return StepRelease::Removed;
                }
                match self.remove_fact(&holding, signed).await {
                    Ok(Gone::Removed) => StepRelease::Removed,
                    Ok(Gone::Superseded) => match self.superseded(&mut holding) {
                        Ok(true) => StepRelease::HeldBefore,
                        Ok(false) => StepRelease::Failed(
                            "a level above it is still to be removed".to_owned(),
                        ),
                        Err(error) => StepRelease::Failed(error.to_string()),
                    },
                    Err(why) => StepRelease::Failed(why),
                }
            }
        }
    }

    /// Whether a removal sent before (by a run that died, or one whose answer was lost) already
    /// took `holding`'s fact away, decided by a read rather than by sending it again. Only for a
    /// fact whose removal is one call that one read shows whole, and only once it was written
    /// longer ago than replication lag lasts, so that no replica can still lack it and read
    /// "gone" while it is there (a read that merely showed it once proves nothing of the
    /// others). Otherwise, or when the read fails, the removal is sent again: it is harmless
    /// if it went through, finding nothing to remove.
    async fn gone_already(&self, holding: &Holding) -> bool {
        let lag_over = holding
            .written_at
            .is_none_or(|at| self.clock.now() - at > LAG_BOUND);
        holding.step.removed_in_one_call()
            && lag_over
            && matches!(
                self.present(&holding.person, &holding.step).await,
                Ok(false)
            )
    }

    /// Removes `holding`'s fact under `signed`; `Ok` when it is gone (or was not there), or
    /// stays true through more the person holds outside Doorman ([`Gone::Superseded`]).
    async fn remove_fact(&self, holding: &Holding, signed: Signed<'_>) -> Result<Gone, String> {
        let removal = Remove {
            token: signed.token,
            service: signed.service,
            step: &holding.step,
            person: &holding.person,
            handle: holding.handle.as_deref(),
            settled: self.settled(holding),
        };
        let removal = match self.providers.of(&holding.step) {
            Ok(provider) => provider.remove(removal).await,
            Err(error) => Err(error),
        };
        match removal {
            Ok(Removal::Removed | Removal::NotThere) => Ok(Gone::Removed),
            Ok(Removal::Superseded) => Ok(Gone::Superseded),
            Ok(Removal::NotYetVisible) => {
                Err("written moments ago and not visible to remove yet".to_owned())
            }
            Err(error) => Err(error.to_string()),
        }
    }

    /// Reads ahead whether `person` has the first fact of `plan`, while policy decides whether
    /// they may have it: a claim made moments later takes that read for its own when nothing
    /// of Doorman's touched the fact meanwhile ([`ahead`]). Only the first: the facts after it
    /// are claimed after a write of this very plan.
    pub fn read_ahead(&self, person: &str, plan: &Plan) {
        if let Some(first) = plan.steps.first() {
            self.ahead
                .read(&self.providers, &self.ledger, person, first);
        }
    }

    /// Claims `step` for `grant` after reading whether the person has it: when nothing covers
    /// it, that read is what they had before.
    async fn claim(
        &self,
        grant: &str,
        person: &str,
        step: &Step,
    ) -> Result<Claimed, ProvisionError> {
        // Waited for before the lock, judged under it.
        let ahead = self.ahead.take(person, step).await;
        let _one_at_a_time = self.ledger.lock(person, step).await;
        let existing = self.ledger.get(person, step)?;
        let fresh = Holding::before_claim(existing.as_ref()) == Before::Read;
        let there = match ahead {
            Some(answered) if fresh && answered.stands(&self.ledger, person, step) => {
                answered.there
            }
            _ => self.present(person, step).await?,
        };
        let mut holding = Holding::claim(existing, person, step, grant, there);
        // Kept before the write, so a removal later knows how long replication lag may hide it.
        holding.written_at = Some(self.clock.now());
        self.ledger.put(&holding)?;
        Ok(Claimed {
            there,
            fresh,
            held_before: holding.held_before,
            handle: holding.handle,
        })
    }

    async fn keep_written_at(
        &self,
        grant: &str,
        person: &str,
        step: &Step,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let _one_at_a_time = self.ledger.lock(person, step).await;
        if let Some(mut holding) = self.ledger.get(person, step)? {
            // Another grant's write may be recent: its time stands.
            let alone = holding.grants.len() == 1 && holding.grants.contains(grant);
            if alone && holding.written_at != at {
                holding.written_at = at;
                self.ledger.put(&holding)?;
            }
        }
        Ok(())
    }

    /// Graph said, first-hand, that the fact this grant alone claims was there before its
    /// write: someone outside Doorman made it after the read. It is theirs: recorded as held
    /// before. Says whether it was.
    async fn found_held(&self, grant: &str, person: &str, step: &Step) -> Result<bool, StoreError> {
        let _one_at_a_time = self.ledger.lock(person, step).await;
        let Some(mut holding) = self.ledger.get(person, step)? else {
            return Ok(false);
        };
        let alone = holding.grants.len() == 1 && holding.grants.contains(grant);
        if !alone {
            return Ok(holding.held_before);
        }
        if !holding.held_before {
            holding.held_before = true;
            self.ledger.put(&holding)?;
        }
        Ok(true)
    }

    async fn keep_handle(
        &self,
        grant: &str,
        person: &str,
        step: &Step,
        handle: &str,
    ) -> Result<(), StoreError> {
        let _one_at_a_time = self.ledger.lock(person, step).await;
        if let Some(mut holding) = self.ledger.get(person, step)? {
            if holding.grants.contains(grant) && holding.handle.as_deref() != Some(handle) {
                holding.handle = Some(handle.to_owned());
                self.ledger.put(&holding)?;
            }
        }
        Ok(())
    }

    /// The fact stays true through more than it (a level above it). When no level above is
    /// Doorman's (covered or still owed a removal), the person holds that more outside Doorman:
    /// the fact is theirs now, as if they had it before, and nothing is owed or watched; says
    /// `true`. Otherwise a level above is still to be removed, and this removal waits for it
    /// (`false`). Called under the fact's lock.
    fn superseded(&self, holding: &mut Holding) -> Result<bool, StoreError> {
        for above in holding.step.levels_above() {
            if let Some(higher) = self.ledger.get(&holding.person, &above)? {
                if !higher.grants.is_empty() || higher.removal_owed {
                    return Ok(false);
                }
            }
        }
        holding.held_before = true;
        holding.removal_owed = false;
        holding.removal_sent = false;
        self.ledger.put(holding)?;
        Ok(true)
    }

    async fn confirm_removed(&self, person: &str, step: &Step) -> Result<(), StoreError> {
        let _one_at_a_time = self.ledger.lock(person, step).await;
        if let Some(mut holding) = self.ledger.get(person, step)? {
            // A grant that claimed it meanwhile called the removal off.
            if holding.grants.is_empty() && holding.removal_owed {
                holding.removed(self.clock.now());
                self.ledger.put(&holding)?;
            }
        }
        Ok(())
    }

    /// Whether replication lag can no longer hide the fact from a read: it was written long
    /// enough ago, or a read has shown it since it was written.
    fn settled(&self, holding: &Holding) -> bool {
        holding.written_at.is_none_or(|at| {
            self.clock.now() - at > LAG_BOUND || holding.seen_at.is_some_and(|seen| seen >= at)
        })
    }
}

/// How a removal ended.
enum Gone {
    /// Removed, or found not there.
    Removed,
    /// It stays true through more the person holds outside Doorman.
    Superseded,
}

/// What a claim found.
struct Claimed {
    /// The fact is there now: it is not written (again).
    there: bool,
    /// No grant covered the fact (nor was a removal owed): what the read found is what the
    /// person had before.
    fresh: bool,
    /// The person had it before Doorman.
    held_before: bool,
    /// The id an earlier write of the fact answered.
    handle: Option<String>,
}

mod ahead;
mod drift;
#[cfg(test)]
mod memory;
mod released;

pub use drift::Repair;
pub use released::{Released, StepRelease};

#[cfg(test)]
mod tests;

//! Drift repair through the ledger: facts no grant covers, removed within the watch, that are
//! present again are removed again, decided under the fact's lock so that a grant claiming a
//! fact meanwhile is never undone; removed facts past the watch are forgotten.

use chrono::{DateTime, Utc};

use super::{GONE_WITHIN, Gone, Provisioner};
use crate::provision::ledger::Holding;
use crate::provision::provider::Signed;
use crate::provision::verify;
use crate::store::StoreError;

/// What a drift repair of a fact no grant covers came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repair {
    /// It is not there: nothing to do.
    Absent,
    /// A grant covers it again: not drift.
    Covered,
    /// It was there again and is removed (read back gone).
    Removed,
    /// It is there and could not be removed yet.
    Failed(String),
}

impl Provisioner {
    /// The facts drift repair watches: removed because no grant covers them, since `since`.
    /// (A removal still owed is in the hands of the request that owes it.)
    pub fn watched(&self, since: DateTime<Utc>) -> Result<Vec<Holding>, StoreError> {
        Ok(self
            .ledger
            .all()?
            .into_iter()
            .filter(|holding| {
                holding.grants.is_empty()
                    && !holding.held_before
                    && !holding.removal_owed
                    && holding.removed_at.is_some_and(|at| at >= since)
            })
            .collect())
    }

    /// Forgets removed facts no longer watched (removed before `before`). Each is read again
    /// and forgotten under its lock: a grant may have claimed it since the list was read, and
    /// forgetting its holding then would forget that the grant covers it.
    pub async fn forget_removed_before(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let stale = |holding: &Holding| {
            holding.grants.is_empty()
                && !holding.removal_owed
                && holding.removed_at.is_some_and(|at| at < before)
        };
        let mut forgotten = 0;
        for listed in self.ledger.all()?.into_iter().filter(stale) {
            let _one_at_a_time = self.ledger.lock(&listed.person, &listed.step).await;
            match self.ledger.get(&listed.person, &listed.step)? {
                Some(holding) if stale(&holding) => {
                    self.ledger.forget(&holding)?;
                    forgotten += 1;
                }
                _ => {}
            }
        }
        Ok(forgotten)
    }

    /// How many facts no grant covers are still owed a removal.
    pub fn owed(&self) -> Result<usize, StoreError> {
        Ok(self
            .ledger
            .all()?
            .iter()
            .filter(|holding| holding.removal_owed)
            .count())
    }

    /// Drift repair of a fact no grant covers: if it is there again, it is removed under
    /// `signed` and read back gone. Decided under the fact's lock, so a grant claiming it
    /// meanwhile is never undone.
    pub async fn repair(&self, watched: &Holding, signed: Signed<'_>) -> Repair {
        let (person, step) = (&watched.person, &watched.step);
        let lock = self.ledger.lock(person, step).await;
        let mut holding = match self.ledger.get(person, step) {
            Ok(Some(holding)) => holding,
            Ok(None) => return Repair::Absent,
            Err(error) => return Repair::Failed(error.to_string()),
        };
        // Covered again, or a removal in the hands of the request that owes it: not drift.
        if !holding.grants.is_empty() || holding.held_before || holding.removal_owed {
            return Repair::Covered;
        }
        match self.present(person, step).await {
            Ok(false) => return Repair::Absent,
            Ok(true) => {}
            Err(error) => return Repair::Failed(error.to_string()),
        }
        holding.removal_owed = true;
        holding.removal_sent = true;
        if let Err(error) = self.ledger.put(&holding) {
            return Repair::Failed(error.to_string());
        }
        let removal = self.remove_fact(&holding, signed).await;
        match removal {
            Err(why) => return Repair::Failed(why),
            Ok(Gone::Superseded) => {
                // Present again through more the person holds outside Doorman: not drift.
                return match self.superseded(&mut holding) {
                    Ok(true) => Repair::Covered,
                    Ok(false) => Repair::Failed("a level above it is still to be removed".into()),
                    Err(error) => Repair::Failed(error.to_string()),
                };
            }
            Ok(Gone::Removed) => {}
        }
        drop(lock);
        let gone = verify::settle(
            &self.providers,
            std::slice::from_ref(step),
            person,
            GONE_WITHIN,
            false,
        )
        .await;
        if let Err(error) = gone {
            return Repair::Failed(error.to_string());
        }
        match self.confirm_removed(person, step).await {
            Ok(()) => Repair::Removed,
            Err(error) => Repair::Failed(error.to_string()),
        }
    }
}

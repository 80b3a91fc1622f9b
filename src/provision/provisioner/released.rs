//! What taking a grant off its plan came to, step by step.

use crate::provision::plan::Step;

/// What taking a grant off one step came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepRelease {
    /// Other grants (these request ids) still cover it: it stays.
    Covered(Vec<String>),
    /// The person had it before Doorman: it stays.
    HeldBefore,
    /// Taken away and read back gone.
    Removed,
    /// The grant had no part in it.
    Untouched,
    /// It is to be removed but could not be yet; the removal stays owed and is tried again.
    Failed(String),
}

/// What taking a grant off its plan came to, step by step in the order undone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Released {
    pub steps: Vec<(Step, StepRelease)>,
}

impl Released {
    /// This release, with the steps it could not remove as a second try (`again`, the same
    /// plan released once more) came out.
    pub fn then(mut self, again: Released) -> Released {
        for (step, outcome) in &mut self.steps {
            if !matches!(outcome, StepRelease::Failed(_)) {
                continue;
            }
            if let Some((_, later)) = again.steps.iter().find(|(other, _)| other == step) {
                *outcome = later.clone();
            }
        }
        self
    }

    /// Whether nothing is left to remove.
    pub fn is_complete(&self) -> bool {
        !self
            .steps
            .iter()
            .any(|(_, outcome)| matches!(outcome, StepRelease::Failed(_)))
    }

    pub fn removed(&self) -> Vec<String> {
        self.described(|outcome| matches!(outcome, StepRelease::Removed))
    }

    pub fn held_before(&self) -> Vec<String> {
        self.described(|outcome| matches!(outcome, StepRelease::HeldBefore))
    }

    pub fn failures(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter_map(|(step, outcome)| match outcome {
                StepRelease::Failed(why) => Some(format!("{}: {why}", step.describe())),
                _ => None,
            })
            .collect()
    }

    /// The other grants that keep some of the access in place, without repeats.
    pub fn kept_for(&self) -> Vec<String> {
        let mut grants: Vec<String> = self
            .steps
            .iter()
            .filter_map(|(_, outcome)| match outcome {
                StepRelease::Covered(by) => Some(by.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        grants.sort();
        grants.dedup();
        grants
    }

    fn described(&self, keep: impl Fn(&StepRelease) -> bool) -> Vec<String> {
        self.steps
            .iter()
            .filter(|(_, outcome)| keep(outcome))
            .map(|(step, _)| step.describe())
            .collect()
    }
}

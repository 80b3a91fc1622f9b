//! What a write's answer says happened: done, or nothing to do.
//!
//! Exchange says "already there" and "nothing to remove" in two ways: some cmdlets fail with an
//! exception (`Add-`/`Remove-DistributionGroupMember`: `MemberAlreadyExistsException`,
//! `MemberNotFoundException`; `Remove-MailboxFolderPermission`:
//! `UserNotFoundInPermissionEntryException`), others succeed with a warning (`Remove-` and
//! `Add-RecipientPermission`, `Remove-MailboxPermission`: "the ACE isn't present" / "is already
//! present"; `Set-Mailbox`: "no settings ... have been modified"). Owns [`Outcome`], which every
//! typed write answers whichever way Exchange said it. Must not: decide from a write's answer
//! whose an entry is; per DESIGN.md a read before the write decides that.

use super::client::Exchanged;
use super::error::ExchangeError;

/// What a write did, as its answer says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The change was made (no answer said otherwise).
    Done,
    /// An add found the entry already there; nothing changed.
    AlreadyThere,
    /// A removal found no entry to remove; nothing changed.
    NotThere,
}

/// Whether a write adds or removes, which decides what a "nothing changed" warning means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::exchange) enum Change {
    Add,
    Remove,
}

/// Phrases of Exchange's warnings that say an add changed nothing because the entry is there
/// (matched case-insensitively). Warnings are text, not codes: these are the only words read.
const ALREADY_THERE_WARNINGS: [&str; 4] = [
    "already present",
    "already exists",
    "existing permission entry was found",
    "already a member",
];

/// Phrases that say a removal changed nothing because the entry is not there.
const NOT_THERE_WARNINGS: [&str; 5] = [
    "isn't present",
    "is not present",
    "doesn't exist",
    "does not exist",
    "isn't a member",
];

/// `Set-Mailbox`'s "The command completed successfully but no settings of '...' have been
/// modified": for an add, the value was already there; for a removal, it was not.
const NOTHING_MODIFIED_WARNING: &str = "no settings of";

/// The outcome the warnings of a successful write say.
pub(in crate::exchange) fn outcome_of_warnings(change: Change, warnings: &[String]) -> Outcome {
    let says = |phrases: &[&str]| {
        warnings.iter().any(|warning| {
            let warning = warning.to_lowercase();
            phrases.iter().any(|phrase| warning.contains(phrase))
        })
    };
    match change {
        Change::Add if says(&ALREADY_THERE_WARNINGS) || says(&[NOTHING_MODIFIED_WARNING]) => {
            Outcome::AlreadyThere
        }
        Change::Remove if says(&NOT_THERE_WARNINGS) || says(&[NOTHING_MODIFIED_WARNING]) => {
            Outcome::NotThere
        }
        Change::Add | Change::Remove => Outcome::Done,
    }
}

/// Turns a write's answer into its [`Outcome`]: warnings are read, and the two errors that only
/// say nothing had to change become outcomes too, keeping their ids and uncertainty flag.
pub(in crate::exchange) fn outcome_of(
    change: Change,
    answer: Result<Exchanged<()>, ExchangeError>,
) -> Result<Exchanged<Outcome>, ExchangeError> {
    let (outcome, failure) = match answer {
        Ok(done) => {
            let outcome = outcome_of_warnings(change, &done.warnings);
            return Ok(done.map(|()| outcome));
        }
        Err(ExchangeError::AlreadyThere(failure)) => (Outcome::AlreadyThere, failure),
        Err(ExchangeError::NotThere(failure)) => (Outcome::NotThere, failure),
        Err(other) => return Err(other),
    };
    let failure = *failure;
    Ok(Exchanged {
        value: outcome,
        warnings: Vec::new(),
        request_id: failure.request_id,
        client_request_id: failure.client_request_id,
        after_uncertain_attempt: failure.after_uncertain_attempt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warned(text: &str) -> Vec<String> {
        vec![text.to_owned()]
    }

    #[test]
    fn exchange_warnings_that_mean_nothing_changed_are_recognised_by_direction() {
        let cases = [
            (
                Change::Remove,
                "Can't remove the access control entry on the object \"CN=support\" for account \"tom\" because the ACE isn't present.",
                Outcome::NotThere,
            ),
            (
                Change::Add,
                "The appropriate access control entry is already present on object \"support\" for account \"tom\".",
                Outcome::AlreadyThere,
            ),
            (
                Change::Add,
                "The command completed successfully but no settings of 'contoso/support' have been modified.",
                Outcome::AlreadyThere,
            ),
            (
                Change::Remove,
                "The command completed successfully but no settings of 'contoso/support' have been modified.",
                Outcome::NotThere,
            ),
            // A phrase of the other direction is not read as nothing changed.
            (Change::Add, "The ACE isn't present.", Outcome::Done),
            (
                Change::Remove,
                "The entry is already present.",
                Outcome::Done,
            ),
            (
                Change::Add,
                "The mailbox will be migrated tonight.",
                Outcome::Done,
            ),
        ];
        for (change, warning, expected) in cases {
            assert_eq!(
                outcome_of_warnings(change, &warned(warning)),
                expected,
                "{change:?}: {warning}"
            );
        }
        assert_eq!(outcome_of_warnings(Change::Add, &[]), Outcome::Done);
    }
}

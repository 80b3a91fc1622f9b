//! The durable request state machine (DESIGN.md section 1): an allowed request waits for its
//! approval stages, is carried out under the acting identity's delegated token, read back and
//! reported, with every step on the audit chain and its state flushed before each side effect.

pub mod machine;
mod service;
mod table;

pub use crate::domain::request::{RequestRecord, State};
pub use service::{
    Abilities, Extension, GRANT_INPUT, Parts, RecoveryStart, Requests, RevokeRefused,
    STANDING_INPUT, StandingApproval, StartError, revocable,
};

/// The requests whose grant is active, oldest first: what `doorman grants list` shows.
pub fn active_grants(
    store: &dyn crate::store::Store,
) -> Result<Vec<RequestRecord>, crate::store::StoreError> {
    let mut active = table::RequestTable::open(store)?.active()?;
    active.sort_by_key(|record| record.created_at);
    Ok(active)
}

/// Marks an active grant for removal in a store no daemon holds (`doorman grants revoke` with
/// the daemon stopped): it is `Revoking` on disk, and the daemon's next start removes it, reads
/// it back gone and tells the requester.
pub fn mark_revoking(
    store: &dyn crate::store::Store,
    id: &str,
) -> Result<RequestRecord, RevokeRefused> {
    let table = table::RequestTable::open(store).map_err(|_| RevokeRefused::Unknown)?;
    let ending = machine::Event::Ending {
        cause: crate::domain::request::EndCause::Revoked {
            by: service::ADMIN.to_owned(),
        },
    };
    let marked = table.change(store, id, |current| {
        match machine::next(&current, &ending) {
            Ok(transition) => Ok((transition.record, ())),
            Err(_) => Err(RevokeRefused::NotActive(current.state.label())),
        }
    });
    let marked = match marked {
        Ok(Ok((record, ()))) => record,
        Ok(Err(Some(refused))) => return Err(refused),
        Ok(Err(None)) | Err(_) => return Err(RevokeRefused::Unknown),
    };
    Ok(marked)
}

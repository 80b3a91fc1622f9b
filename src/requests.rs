//! The durable request state machine (DESIGN.md section 1): an allowed request waits for its
//! approval stages, is carried out under the acting identity's delegated token, read back and
//! reported, with every step on the audit chain and its state flushed before each side effect.

pub mod record;
mod service;

pub use record::{RequestRecord, State};
pub use service::{Extension, Parts, Requests, RevokeRefused, StandingApproval, StartError};

/// The requests whose grant is active, oldest first: what `doorman grants list` shows.
pub fn active_grants(
    store: &dyn crate::store::Store,
) -> Result<Vec<RequestRecord>, crate::store::StoreError> {
    let table: crate::store::Table<String, RequestRecord> =
        crate::store::Table::open(store, crate::store::Domain::Requests)?;
    let mut active = Vec::new();
    for entry in table.iter() {
        let (_, record) = entry?;
        if record.state == State::Active {
            active.push(record);
        }
    }
    active.sort_by_key(|record| record.created_at);
    Ok(active)
}

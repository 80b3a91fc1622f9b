//! Carrying out an approved request and taking it away again: a plan of steps per resource kind
//! ([`plan`]), each one fact about one person that a [`Provider`] adds, reads and removes on its
//! own ([`provider`]; Graph's groups, channels and libraries in [`graph`]); the grant ledger
//! that knows, for every such fact, whether the person had it before Doorman wrote it and which
//! grants cover it ([`ledger`]); and the [`Provisioner`] that writes and removes through that
//! ledger and reads the result back ([`verify`]).
//!
//! Must not: write with anything but a person's token (the types refuse an app token), decide
//! who owns a fact from a write's answer, remove what another grant covers or what the person
//! had before, or report a grant it has not read back.

pub mod exchange;
pub mod graph;
pub mod ledger;
pub mod mail;
pub mod plan;
pub mod provider;
mod provisioner;
pub mod verify;

pub use exchange::{Delegates, ExchangeProvider};
pub use graph::GraphProvider;
pub use ledger::{Holding, Ledger};
pub use mail::MailProvider;
pub use plan::{Library, Plan, PlanError, Step, Subject, plan, supports};
pub use provider::{Provider, ProviderError, Providers, Signed};
pub use provisioner::{Made, Provisioner, ProvisionerParts, Released, Repair, StepRelease};
pub use verify::{RequesterView, confirm_as_requester};

use crate::store::StoreError;

/// Why a plan could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{step}: {source}")]
    Provider {
        step: String,
        #[source]
        source: ProviderError,
    },
    #[error("{0}")]
    NotVisible(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

//! The seam between provisioning and the services that hold access: a [`Provider`] is a kind of
//! access that can be granted, read back and removed under a person's delegated token. Graph's
//! groups, channels and libraries are one ([`super::graph::GraphProvider`]); Exchange's
//! mailbox permissions and list memberships, self-service mail and account recovery arrive as
//! more, not as branches in the engine. The ledger, the plans, the undo and the read-back work
//! the same for every provider.
//!
//! Must not: decide who owns a fact (the ledger does, from the read before the write), or write
//! with anything but the delegated token it is handed.

use std::sync::Arc;

use crate::domain::chat::BoxFuture;
use crate::domain::request::Service;
use crate::graph::DelegatedToken;

use super::plan::Step;

/// What a write left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The service's id of the call, for the audit trail.
    pub request_id: Option<String>,
    /// The id a later removal addresses (a channel membership, a sharing permission), when
    /// the answer carried one.
    pub handle: Option<String>,
    /// The service answered, first-hand, that it was there already: somebody made it between
    /// the read before the write and the write (or the read could not see it yet).
    pub found_there: bool,
}

/// How a removal went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// The service took it away now.
    Removed,
    /// It was not there (any more).
    NotThere,
    /// It can only be found by a read, and the read does not show it yet: a fact written
    /// moments ago may still be hidden by replication lag. Try again later.
    NotYetVisible,
    /// It stays true through more that the person holds outside this fact (a calendar share
    /// raised above this level by hand): nothing was removed, and nothing may be. The person
    /// holds it now as if they had it before.
    Superseded,
}

impl Removal {
    /// What a removal that finds nothing to remove means: the fact is not there when it was
    /// `settled` (written longer ago than replication lag), otherwise it may just not show yet.
    pub fn unseen(settled: bool) -> Removal {
        if settled {
            Removal::NotThere
        } else {
            Removal::NotYetVisible
        }
    }
}

/// A step to write.
#[derive(Clone, Copy, Debug)]
pub struct Write<'a> {
    /// The acting person's delegated token for the provider's service.
    pub token: &'a DelegatedToken,
    pub step: &'a Step,
    /// The person the access is for (their directory object id).
    pub person: &'a str,
    /// The id an earlier step's write answered, where this one builds on it (the channel
    /// membership an owner role is set on).
    pub builds_on: Option<&'a str>,
}

/// A person's delegated token, and the service it was issued for.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    pub token: &'a DelegatedToken,
    pub service: Service,
}

/// A step to remove.
#[derive(Clone, Copy, Debug)]
pub struct Remove<'a> {
    pub token: &'a DelegatedToken,
    /// The service `token` is for: a fact may be removed through another service than the one
    /// that wrote it (the operator removes a person's own calendar share through Exchange).
    pub service: Service,
    pub step: &'a Step,
    pub person: &'a str,
    /// The id the write answered, if it was heard.
    pub handle: Option<&'a str>,
    /// Whether a read that does not show the fact is conclusive (it was written longer ago
    /// than any replication lag).
    pub settled: bool,
}

/// Why a provider could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub message: String,
    /// The service answered no: the change was certainly not carried out.
    pub refused: bool,
    /// The service's id of the call, for the audit trail and support cases.
    pub request_id: Option<String>,
}

impl ProviderError {
    /// No provider carries this step.
    pub fn unsupported(step: &Step) -> Self {
        ProviderError {
            message: format!("nothing here can carry out: {}", step.describe()),
            refused: true,
            request_id: None,
        }
    }
}

/// A kind of access that can be granted, read back and removed under a delegated token.
pub trait Provider: Send + Sync {
    /// Whether this provider carries `step`.
    fn carries(&self, step: &Step) -> bool;

    /// Makes the step true for its person. "Already there" is success (with `found_there`
    /// when the service says so first-hand).
    fn write<'a>(&'a self, write: Write<'a>) -> BoxFuture<'a, Result<Written, ProviderError>>;

    /// Whether the step is true for `person`, as the service's own records say (read with a
    /// read-only app-only token, not the acting person's view).
    fn present<'a>(
        &'a self,
        step: &'a Step,
        person: &'a str,
    ) -> BoxFuture<'a, Result<bool, ProviderError>>;

    /// Takes the step away. "Not there" is success.
    fn remove<'a>(&'a self, remove: Remove<'a>) -> BoxFuture<'a, Result<Removal, ProviderError>>;
}

/// The providers Doorman has, each step to the one that carries it.
#[derive(Clone, Default)]
pub struct Providers {
    providers: Vec<Arc<dyn Provider>>,
}

impl Providers {
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> Self {
        Providers { providers }
    }

    /// The provider that carries `step`.
    pub fn of(&self, step: &Step) -> Result<&dyn Provider, ProviderError> {
        self.providers
            .iter()
            .find(|provider| provider.carries(step))
            .map(AsRef::as_ref)
            .ok_or_else(|| ProviderError::unsupported(step))
    }

    /// Whether `step` is true for `person`.
    pub async fn present(&self, step: &Step, person: &str) -> Result<bool, ProviderError> {
        self.of(step)?.present(step, person).await
    }
}

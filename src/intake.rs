//! Intake: from a person's words to a decision, the one path every request comes in by.
//!
//! - understand: the message read against the catalog ([`crate::intent`]), which resolves the
//!   words to a resource of the tenant or to the candidates to ask between;
//! - gather: the facts about the requester read from the [`Directory`] (a guest? enabled? in
//!   which department? whose report?), and the tenant their chat platform vouches for;
//! - decide: the pure policy engine ([`crate::policy::decide`]) run on both.
//!
//! The conversation calls it for each request and extension, and the `policy explain` and
//! `policy test` commands call the same code, so the bot and the commands never disagree. The
//! conversation keeps the dialogue around it (questions back, reasons owed) and the words said.
//!
//! Must not: do I/O anywhere but the directory read, or let message wording reach a decision
//! except through the resolved intent.

mod decide;

use std::sync::Arc;

pub use decide::{Assessment, Decided, recovery_action};

use crate::catalog::Catalog;
use crate::directory::Directory;
use crate::intent::{Asker, Intent};
use crate::policy::Policy;

/// Understands and decides requests against one policy, reading requesters from the directory.
pub struct Intake {
    /// `None` when no policy file is configured: everything is denied.
    policy: Option<Arc<Policy>>,
    directory: Arc<Directory>,
    /// `[microsoft] tenant_id`: the tenant whose people are members rather than guests.
    home_tenant: String,
}

impl Intake {
    pub fn new(policy: Option<Arc<Policy>>, directory: Arc<Directory>, home_tenant: &str) -> Self {
        Intake {
            policy,
            directory,
            home_tenant: home_tenant.to_owned(),
        }
    }

    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_deref()
    }

    /// What `text`, said by `asker` at `asker.now`, asks for, resolved against `catalog`.
    pub fn understand(&self, text: &str, asker: Asker<'_>, catalog: &Catalog) -> Intent {
        crate::intent::understand(text, asker, catalog)
    }
}

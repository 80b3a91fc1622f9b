//! The delegated permissions Doorman asks each person for, by the role they play.
//!
//! Least privilege starts at sign-in: a requester consents to reading their own profile, never to
//! changing groups; an approver (a resource owner) also consents to changing the memberships,
//! owners and sharing of what they own; the operator account also to helpdesk operations. Graph
//! still checks the person's own rights on every call: a scope never grants more than the person
//! could do.
//!
//! Owner-level grants (a group's, team's or site's owners) need `Group.ReadWrite.All`: Graph's
//! "Add owners" and "Remove owner" take no less, while member changes need only
//! `GroupMember.ReadWrite.All`. Only the people who make such grants are asked for it: an
//! approver whose approval adds or removes owners signs in as [`Role::OwnerApprover`] (an
//! approver of member grants never consents to it), and the operator, who makes whatever no
//! owner can. The README's permission table says the same, and a test holds the two together.
//!
//! Exchange is a second resource (`https://outlook.office365.com`) with scopes of its own: a
//! list's owner who changes its members consents to `Exchange.Manage` (the `InvokeCommand`
//! route), the operator to that and `Exchange.ManageV2` (the documented v2.0 endpoints). One
//! sign-in consents to both resources; each access token is then for one of them, redeemed from
//! the same refresh token.
//!
//! Self-service mail (a calendar shared, mail forwarded) is made with the requester's own
//! token: a requester consents to `Calendars.ReadWrite` and `MailboxSettings.ReadWrite` only
//! when such a request of theirs is carried out ([`Role::SelfService`]).

use serde::{Deserialize, Serialize};

/// Why a person signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Asks for access; their token reads their own profile and proves their own access.
    Requester,
    /// Owns resources and approves member grants; Doorman acts with their token on what they
    /// own.
    Approver,
    /// An approver whose grant adds or removes owners of a group, team or site.
    OwnerApprover,
    /// The helpdesk account of `[microsoft] operator`.
    Operator,
    /// An owner of a distribution list or mail-enabled security group who changes its members
    /// through Exchange.
    ListOwner,
    /// A requester who changes their own mailbox (shares their calendar, forwards their mail)
    /// with their own token.
    SelfService,
}

pub use crate::domain::request::Service;

/// The delegated scopes of Exchange's two admin routes (`[exchange] invoke_scope` and
/// `v2_scope`), as full resource URIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeScopes {
    pub invoke: String,
    pub v2: String,
}

impl Default for ExchangeScopes {
    fn default() -> Self {
        ExchangeScopes {
            invoke: "https://outlook.office365.com/Exchange.Manage".to_owned(),
            v2: "https://outlook.office365.com/Exchange.ManageV2".to_owned(),
        }
    }
}

impl ExchangeScopes {
    /// Whether `scope` is one of Exchange's (they are never Graph's).
    pub fn names(&self, scope: &str) -> bool {
        scope.eq_ignore_ascii_case(&self.invoke) || scope.eq_ignore_ascii_case(&self.v2)
    }
}

/// OpenID Connect scopes every sign-in asks for.
const SIGN_IN: &[&str] = &["openid", "profile", "email", "offline_access"];

const REQUESTER: &[&str] = &["User.Read"];

const APPROVER: &[&str] = &[
    "User.Read",
    "GroupMember.ReadWrite.All",
    "TeamMember.ReadWrite.All",
    "ChannelMember.ReadWrite.All",
    "Sites.Read.All",
    "Files.ReadWrite.All",
];

const OWNER_APPROVER: &[&str] = &[
    "User.Read",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "TeamMember.ReadWrite.All",
    "ChannelMember.ReadWrite.All",
    "Sites.Read.All",
    "Files.ReadWrite.All",
];

const OPERATOR: &[&str] = &[
    "User.Read",
    "User.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "TeamMember.ReadWrite.All",
    "ChannelMember.ReadWrite.All",
    "Sites.Read.All",
    "Files.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "User.RevokeSessions.All",
];

const LIST_OWNER: &[&str] = &["User.Read"];

const SELF_SERVICE: &[&str] = &[
    "User.Read",
    "Calendars.ReadWrite",
    "MailboxSettings.ReadWrite",
];

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Requester,
        Role::Approver,
        Role::OwnerApprover,
        Role::Operator,
        Role::ListOwner,
        Role::SelfService,
    ];

    /// The Graph permissions this role needs.
    pub fn graph_scopes(self) -> &'static [&'static str] {
        match self {
            Role::Requester => REQUESTER,
            Role::Approver => APPROVER,
            Role::OwnerApprover => OWNER_APPROVER,
            Role::Operator => OPERATOR,
            Role::ListOwner => LIST_OWNER,
            Role::SelfService => SELF_SERVICE,
        }
    }

    /// The Exchange scopes this role needs (full resource URIs).
    pub fn exchange_scopes(self, exchange: &ExchangeScopes) -> Vec<String> {
        match self {
            Role::ListOwner => vec![exchange.invoke.clone()],
            Role::Operator => vec![exchange.invoke.clone(), exchange.v2.clone()],
            Role::Requester | Role::Approver | Role::OwnerApprover | Role::SelfService => {
                Vec::new()
            }
        }
    }

    /// Everything the sign-in asks for: OpenID scopes, the role's Graph permissions and its
    /// Exchange scopes.
    pub fn requested_scopes(self, exchange: &ExchangeScopes) -> Vec<String> {
        SIGN_IN
            .iter()
            .chain(self.graph_scopes())
            .map(|scope| (*scope).to_owned())
            .chain(self.exchange_scopes(exchange))
            .collect()
    }

    /// Whether `granted` (as consented at sign-in) covers this role's permissions for
    /// `service`.
    pub fn covered_by(
        self,
        service: Service,
        granted: &[String],
        exchange: &ExchangeScopes,
    ) -> bool {
        let has = |needed: &str| granted.iter().any(|have| have.eq_ignore_ascii_case(needed));
        match service {
            Service::Graph => self.graph_scopes().iter().all(|needed| has(needed)),
            Service::Exchange => {
                let needed = self.exchange_scopes(exchange);
                !needed.is_empty() && needed.iter().all(|needed| has(needed))
            }
        }
    }
}

#[cfg(test)]
mod tests;

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

impl Role {
    /// The Graph permissions this role needs.
    pub fn graph_scopes(self) -> &'static [&'static str] {
        match self {
            Role::Requester => REQUESTER,
            Role::Approver => APPROVER,
            Role::OwnerApprover => OWNER_APPROVER,
            Role::Operator => OPERATOR,
        }
    }

    /// Everything the sign-in asks for: OpenID scopes and the role's Graph permissions.
    pub fn requested_scopes(self) -> Vec<&'static str> {
        SIGN_IN.iter().chain(self.graph_scopes()).copied().collect()
    }

    /// Whether `granted` (as the token endpoint reported them) covers this role.
    pub fn covered_by(self, granted: &[String]) -> bool {
        self.graph_scopes()
            .iter()
            .all(|needed| granted.iter().any(|have| have.eq_ignore_ascii_case(needed)))
    }
}

#[cfg(test)]
mod tests;

//! The delegated permissions Doorman asks each person for, by the role they play.
//!
//! Least privilege starts at sign-in: a requester consents to reading their own profile, never to
//! changing groups; an approver (a resource owner) also consents to changing the memberships and
//! sharing of what they own; the operator account also to helpdesk operations. Graph still checks
//! the person's own rights on every call: a scope never grants more than the person could do.

use serde::{Deserialize, Serialize};

/// Why a person signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Asks for access; their token reads their own profile and proves their own access.
    Requester,
    /// Owns resources and approves; Doorman acts with their token on what they own.
    Approver,
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

const OPERATOR: &[&str] = &[
    "User.Read",
    "User.Read.All",
    "GroupMember.ReadWrite.All",
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
mod tests {
    use super::*;

    #[test]
    fn a_requester_never_consents_to_changing_groups() {
        let requested = Role::Requester.requested_scopes();
        assert!(
            requested.iter().all(|scope| !scope.contains("ReadWrite")),
            "{requested:?}"
        );
        assert!(requested.contains(&"offline_access"));
    }

    #[test]
    fn roles_widen_in_order() {
        for (narrow, wide) in [
            (Role::Requester, Role::Approver),
            (Role::Approver, Role::Operator),
        ] {
            let granted: Vec<String> = wide
                .graph_scopes()
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            assert!(narrow.covered_by(&granted), "{wide:?} covers {narrow:?}");
            let granted: Vec<String> = narrow
                .graph_scopes()
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            assert!(
                !wide.covered_by(&granted),
                "{narrow:?} does not cover {wide:?}"
            );
        }
    }
}

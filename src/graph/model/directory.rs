//! Directory objects: users, groups, directory roles, and the polymorphic `directoryObject`.
//!
//! Owns how a member, owner, manager or `memberOf` entry is told apart by `@odata.type`. Must
//! not: guess a type from the fields present; an object whose type is missing or unmodelled
//! becomes [`DirectoryObject::Other`].

use serde::{Deserialize, Deserializer};

use super::{TypedId, object_as};

/// An Entra ID user. Graph returns only a default set of properties; `department`,
/// `accountEnabled`, `userType` and `employeeType` arrive only when selected.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub mail: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub account_enabled: Option<bool>,
    /// `Member` or `Guest`.
    pub user_type: Option<String>,
    pub employee_type: Option<String>,
}

/// An Entra ID group.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub mail: Option<String>,
    pub mail_enabled: Option<bool>,
    pub security_enabled: Option<bool>,
    /// `Unified` marks a Microsoft 365 group, `DynamicMembership` a rule-based one.
    pub group_types: Option<Vec<String>>,
    pub visibility: Option<String>,
    pub classification: Option<String>,
    pub is_assignable_to_role: Option<bool>,
    pub membership_rule: Option<String>,
    /// `["Team"]` on a Microsoft 365 group that has a team: the documented way to list teams
    /// with the groups they belong to.
    pub resource_provisioning_options: Option<Vec<String>>,
}

/// The kinds of group Graph distinguishes, which decide whether Graph may change membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// `groupTypes` contains `Unified`; membership writable through Graph.
    Microsoft365,
    /// Not mail-enabled, security-enabled; membership writable through Graph.
    Security,
    /// Mail-enabled and security-enabled without `Unified`; read-only in Graph (Exchange owns it).
    MailEnabledSecurity,
    /// Mail-enabled, not security-enabled; read-only in Graph (Exchange owns it).
    Distribution,
    /// The properties needed to tell were not selected.
    Undetermined,
}

/// A directory role that a `memberOf` listing may include.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRole {
    pub id: String,
    pub display_name: Option<String>,
    pub role_template_id: Option<String>,
}

/// A member, owner, manager or membership, by the `@odata.type` Graph puts on every one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectoryObject {
    User(User),
    Group(Group),
    DirectoryRole(DirectoryRole),
    /// Any other type (orgContact, servicePrincipal, device, administrativeUnit ...).
    Other {
        odata_type: Option<String>,
        id: String,
    },
}

impl Group {
    /// Classifies the group by `groupTypes`, `mailEnabled` and `securityEnabled`.
    pub fn kind(&self) -> GroupKind {
        let is_unified = self
            .group_types
            .as_ref()
            .map(|types| types.iter().any(|kind| kind == "Unified"));
        match (is_unified, self.mail_enabled, self.security_enabled) {
            (Some(true), _, _) => GroupKind::Microsoft365,
            (Some(false), Some(false), Some(true)) => GroupKind::Security,
            (Some(false), Some(true), Some(true)) => GroupKind::MailEnabledSecurity,
            (Some(false), Some(true), Some(false)) => GroupKind::Distribution,
            _ => GroupKind::Undetermined,
        }
    }

    /// Whether the group has a team (`resourceProvisioningOptions` contains `Team`).
    pub fn has_team(&self) -> bool {
        self.resource_provisioning_options
            .as_ref()
            .is_some_and(|options| options.iter().any(|option| option == "Team"))
    }

    /// Whether members come from a rule; Graph refuses manual member changes on such groups.
    pub fn has_dynamic_membership(&self) -> bool {
        self.group_types
            .as_ref()
            .is_some_and(|types| types.iter().any(|kind| kind == "DynamicMembership"))
    }
}

impl DirectoryObject {
    /// The object's id, whatever its type.
    pub fn id(&self) -> &str {
        match self {
            DirectoryObject::User(user) => &user.id,
            DirectoryObject::Group(group) => &group.id,
            DirectoryObject::DirectoryRole(role) => &role.id,
            DirectoryObject::Other { id, .. } => id,
        }
    }
}

impl<'de> Deserialize<'de> for DirectoryObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = serde_json::Value::deserialize(deserializer)?;
        let odata_type = object.get("@odata.type").and_then(|kind| kind.as_str());
        match odata_type {
            Some("#microsoft.graph.user") => object_as(object).map(DirectoryObject::User),
            Some("#microsoft.graph.group") => object_as(object).map(DirectoryObject::Group),
            Some("#microsoft.graph.directoryRole") => {
                object_as(object).map(DirectoryObject::DirectoryRole)
            }
            _ => object_as::<TypedId, D::Error>(object).map(|typed| DirectoryObject::Other {
                odata_type: typed.odata_type,
                id: typed.id,
            }),
        }
    }
}

/// A domain of the tenant (`GET /domains`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    /// The domain's name: `contoso.com`.
    pub id: String,
    /// Whether the tenant proved it owns the domain; only verified domains take addresses.
    #[serde(default)]
    pub is_verified: bool,
}

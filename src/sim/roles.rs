//! Entra built-in directory roles the simulator knows, with what each lets a delegated caller do.
//!
//! Template ids are Microsoft's (Microsoft Entra built-in roles reference). A tenant file names
//! roles by display name; an unknown name is refused when the tenant loads, so a typo cannot
//! silently leave someone without the rights a test expects.

/// Something a role allows beyond what owners and the user themself may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// Change members and owners of any group that is not role-assignable.
    ManageAnyGroup,
    /// Change Microsoft 365 groups only (Exchange, SharePoint, Teams administrators).
    ManageUnifiedGroups,
    /// Change security groups only (Intune Administrator).
    ManageSecurityGroups,
    /// Change role-assignable groups.
    ManageRoleAssignableGroups,
    /// Reset the passwords of users who hold no admin role (Helpdesk, Password, User and
    /// Authentication administrators).
    ResetPasswords,
    /// Create temporary access passes and remove methods of users who hold no admin role
    /// (Authentication Administrator and above only).
    ManageAuthenticationMethods,
    /// Reset passwords, methods and sessions of admins too (Privileged Authentication
    /// Administrator, Global Administrator).
    ManageAdminCredentials,
    /// Read other users' authentication methods.
    ReadAuthenticationMethods,
    /// Revoke the sign-in sessions of users who hold no admin role
    /// (`microsoft.directory/users/invalidateAllRefreshTokens`).
    RevokeSessions,
    /// Read sign-in logs through Graph with a delegated token (Global Administrator, Global
    /// Reader, Reports Reader, Security Reader and the security administrators).
    ReadSignInLogs,
    /// Manage any team's and channel's membership.
    ManageTeams,
    /// Share and manage any SharePoint content.
    ManageSites,
    /// Run Exchange's recipient cmdlets on any mailbox and list: permissions, delegates,
    /// addresses, folder permissions, inbox rules (Exchange Administrator, Exchange Recipient
    /// Administrator, Global Administrator).
    ManageRecipients,
}

/// One built-in role.
#[derive(Debug)]
pub struct RoleTemplate {
    pub display_name: &'static str,
    pub template_id: &'static str,
    pub description: &'static str,
    pub rights: &'static [Right],
}

use Right::*;

pub static ROLE_TEMPLATES: &[RoleTemplate] = &[
    RoleTemplate {
        display_name: "Global Administrator",
        template_id: "62e90394-69f5-4237-9190-012177145e10",
        description: "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.",
        rights: &[
            ManageAnyGroup,
            ManageRoleAssignableGroups,
            ResetPasswords,
            ManageAuthenticationMethods,
            ManageAdminCredentials,
            ReadAuthenticationMethods,
            RevokeSessions,
            ReadSignInLogs,
            ManageTeams,
            ManageSites,
            ManageRecipients,
        ],
    },
    RoleTemplate {
        display_name: "Privileged Role Administrator",
        template_id: "e8611ab8-c189-46e8-94e1-60213ab1f814",
        description: "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.",
        rights: &[ManageRoleAssignableGroups],
    },
    RoleTemplate {
        display_name: "Groups Administrator",
        template_id: "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        description: "Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports.",
        rights: &[ManageAnyGroup],
    },
    RoleTemplate {
        display_name: "User Administrator",
        template_id: "fe930be7-5e62-47db-91af-98c3a49a38b1",
        description: "Can manage all aspects of users and groups, including resetting passwords for limited admins.",
        rights: &[ManageAnyGroup, ResetPasswords, RevokeSessions],
    },
    RoleTemplate {
        display_name: "Directory Writers",
        template_id: "9360feb5-f418-4baa-8175-e2a00bac4301",
        description: "Can read and write basic directory information. For granting access to applications, not intended for users.",
        rights: &[ManageAnyGroup],
    },
    RoleTemplate {
        display_name: "Identity Governance Administrator",
        template_id: "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e",
        description: "Manage access using Microsoft Entra ID for identity governance scenarios.",
        rights: &[ManageAnyGroup],
    },
    RoleTemplate {
        display_name: "Authentication Administrator",
        template_id: "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        description: "Can access to view, set and reset authentication method information for any non-admin user.",
        // Entra's role holds `microsoft.directory/users/invalidateAllRefreshTokens`, for the
        // same people whose methods it may change (non-admins).
        rights: &[
            ResetPasswords,
            ManageAuthenticationMethods,
            ReadAuthenticationMethods,
            RevokeSessions,
        ],
    },
    RoleTemplate {
        display_name: "Privileged Authentication Administrator",
        template_id: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        description: "Can access to view, set and reset authentication method information for any user (admin or non-admin).",
        rights: &[
            ResetPasswords,
            ManageAuthenticationMethods,
            ManageAdminCredentials,
            ReadAuthenticationMethods,
            RevokeSessions,
        ],
    },
    RoleTemplate {
        display_name: "Helpdesk Administrator",
        template_id: "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        description: "Can reset passwords for non-administrators and Helpdesk Administrators.",
        rights: &[ResetPasswords, RevokeSessions],
    },
    RoleTemplate {
        display_name: "Password Administrator",
        template_id: "966707d0-3269-4727-9be2-8c3a10f19b9d",
        description: "Can reset passwords for non-administrators and Password Administrators.",
        rights: &[ResetPasswords],
    },
    RoleTemplate {
        display_name: "Exchange Administrator",
        template_id: "29232cdf-9323-42fd-ade2-1d097af3e4de",
        description: "Can manage all aspects of the Exchange product.",
        rights: &[ManageUnifiedGroups, ManageRecipients],
    },
    RoleTemplate {
        display_name: "Exchange Recipient Administrator",
        template_id: "31392ffb-586c-42d1-9346-e59415a2cc4e",
        description: "Can create or update Exchange Online recipients within the Exchange Online organization.",
        rights: &[ManageRecipients],
    },
    RoleTemplate {
        display_name: "SharePoint Administrator",
        template_id: "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        description: "Can manage all aspects of the SharePoint service.",
        rights: &[ManageUnifiedGroups, ManageSites],
    },
    RoleTemplate {
        display_name: "Teams Administrator",
        template_id: "69091246-20e8-4a56-aa4d-066075b2a7a8",
        description: "Can manage the Microsoft Teams service.",
        rights: &[ManageUnifiedGroups, ManageTeams],
    },
    RoleTemplate {
        display_name: "Intune Administrator",
        template_id: "3a2c62db-5318-420d-8d74-23affee5d9d5",
        description: "Can manage all aspects of the Intune product.",
        rights: &[ManageSecurityGroups],
    },
    RoleTemplate {
        display_name: "Global Reader",
        template_id: "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        description: "Can read everything that a Global Administrator can, but not update anything.",
        rights: &[ReadAuthenticationMethods, ReadSignInLogs],
    },
    RoleTemplate {
        display_name: "Security Reader",
        template_id: "5d6b6bb7-de71-4623-b4af-96380a352509",
        description: "Can read security information and reports in Microsoft Entra ID and Office 365.",
        rights: &[ReadSignInLogs],
    },
    RoleTemplate {
        display_name: "Reports Reader",
        template_id: "4a5d8f65-41da-4de4-8968-e035b65339cf",
        description: "Can read sign-in and audit reports.",
        rights: &[ReadSignInLogs],
    },
    RoleTemplate {
        display_name: "Directory Readers",
        template_id: "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        description: "Can read basic directory information. Commonly used to grant directory read access to applications and guests.",
        rights: &[],
    },
];

/// The template with this display name (case-insensitive).
pub fn template_named(name: &str) -> Option<&'static RoleTemplate> {
    ROLE_TEMPLATES
        .iter()
        .find(|template| template.display_name.eq_ignore_ascii_case(name.trim()))
}

//! The cmdlets the simulated admin API runs, with their parameters ([`CMDLETS`]), and the
//! documented v2.0 endpoints with the cmdlets and parameters each accepts ([`ENDPOINTS`]).
//! `InvokeCommand` runs any cmdlet of the table; a v2.0 endpoint only its own.

use super::bind::{Kind, Param, mandatory, optional};
use super::run::{Outcome, Run};
use super::{folders, inbox, lists, mailboxes, permissions, recipients};

pub type Handler = fn(&mut Run<'_>) -> Outcome;

/// One cmdlet: its name, its parameters, and the function that runs it.
pub struct Cmdlet {
    pub name: &'static str,
    pub params: &'static [Param],
    pub run: Handler,
}

impl Cmdlet {
    /// `Get-*` cmdlets read; every other one may change the tenant (and counts as a write for
    /// `lose_next_writes`).
    pub fn reads(&self) -> bool {
        self.name.starts_with("Get-")
    }
}

/// A documented v2.0 endpoint: the cmdlets it runs, each with the parameters it accepts.
#[derive(Debug)]
pub struct Endpoint {
    pub name: &'static str,
    pub cmdlets: &'static [(&'static str, &'static [&'static str])],
}

use Kind::{MultiValued, Size, Switch, Text, Texts};

const IDENTITY: Param = mandatory("Identity", Text);
const OPTIONAL_IDENTITY: Param = optional("Identity", Text);
const CONFIRM: Param = optional("Confirm", Switch);
const RESULT_SIZE: Param = optional("ResultSize", Size);
const ACCESS_RIGHTS: Param = mandatory("AccessRights", Texts);

pub static CMDLETS: &[Cmdlet] = &[
    Cmdlet {
        name: "Get-Mailbox",
        params: &[
            OPTIONAL_IDENTITY,
            RESULT_SIZE,
            optional("IncludeGrantSendOnBehalfToWithDisplayNames", Switch),
        ],
        run: mailboxes::get_mailbox,
    },
    Cmdlet {
        name: "Set-Mailbox",
        params: &[
            IDENTITY,
            optional("GrantSendOnBehalfTo", MultiValued),
            optional("WindowsEmailAddress", Text),
            optional("EmailAddresses", MultiValued),
            CONFIRM,
        ],
        run: mailboxes::set_mailbox,
    },
    Cmdlet {
        name: "Add-MailboxPermission",
        params: &[
            IDENTITY,
            mandatory("User", Text),
            ACCESS_RIGHTS,
            optional("InheritanceType", Text),
            optional("AutoMapping", Switch),
            CONFIRM,
        ],
        run: permissions::add_mailbox_permission,
    },
    Cmdlet {
        name: "Remove-MailboxPermission",
        params: &[
            IDENTITY,
            mandatory("User", Text),
            ACCESS_RIGHTS,
            optional("InheritanceType", Text),
            optional("BypassMasterAccountSid", Switch),
            CONFIRM,
        ],
        run: permissions::remove_mailbox_permission,
    },
    Cmdlet {
        name: "Get-MailboxPermission",
        params: &[IDENTITY, optional("User", Text), RESULT_SIZE],
        run: permissions::get_mailbox_permission,
    },
    Cmdlet {
        name: "Add-RecipientPermission",
        params: &[IDENTITY, mandatory("Trustee", Text), ACCESS_RIGHTS, CONFIRM],
        run: permissions::add_recipient_permission,
    },
    Cmdlet {
        name: "Remove-RecipientPermission",
        params: &[IDENTITY, mandatory("Trustee", Text), ACCESS_RIGHTS, CONFIRM],
        run: permissions::remove_recipient_permission,
    },
    Cmdlet {
        name: "Get-RecipientPermission",
        params: &[
            OPTIONAL_IDENTITY,
            optional("Trustee", Text),
            optional("AccessRights", Texts),
            RESULT_SIZE,
        ],
        run: permissions::get_recipient_permission,
    },
    Cmdlet {
        name: "Add-DistributionGroupMember",
        params: &[
            IDENTITY,
            mandatory("Member", Text),
            optional("BypassSecurityGroupManagerCheck", Switch),
            CONFIRM,
        ],
        run: lists::add_member,
    },
    Cmdlet {
        name: "Remove-DistributionGroupMember",
        params: &[
            IDENTITY,
            mandatory("Member", Text),
            optional("BypassSecurityGroupManagerCheck", Switch),
            CONFIRM,
        ],
        run: lists::remove_member,
    },
    Cmdlet {
        name: "Get-DistributionGroupMember",
        params: &[IDENTITY, RESULT_SIZE],
        run: lists::get_members,
    },
    Cmdlet {
        name: "Get-DistributionGroup",
        params: &[OPTIONAL_IDENTITY, RESULT_SIZE],
        run: lists::get_lists,
    },
    Cmdlet {
        name: "Get-Recipient",
        params: &[OPTIONAL_IDENTITY, RESULT_SIZE],
        run: recipients::get_recipient,
    },
    Cmdlet {
        name: "Get-InboxRule",
        params: &[
            OPTIONAL_IDENTITY,
            optional("Mailbox", Text),
            optional("IncludeHidden", Switch),
        ],
        run: inbox::get,
    },
    Cmdlet {
        name: "Remove-InboxRule",
        params: &[
            IDENTITY,
            optional("Mailbox", Text),
            optional("AlwaysDeleteOutlookRulesBlob", Switch),
            optional("Force", Switch),
            CONFIRM,
        ],
        run: inbox::remove,
    },
    Cmdlet {
        name: "Get-MailboxFolderPermission",
        params: &[IDENTITY, optional("User", Text), RESULT_SIZE],
        run: folders::get,
    },
    Cmdlet {
        name: "Add-MailboxFolderPermission",
        params: &[
            IDENTITY,
            mandatory("User", Text),
            ACCESS_RIGHTS,
            optional("SharingPermissionFlags", Text),
            optional("SendNotificationToUser", Switch),
            CONFIRM,
        ],
        run: folders::add,
    },
    Cmdlet {
        name: "Set-MailboxFolderPermission",
        params: &[
            IDENTITY,
            mandatory("User", Text),
            ACCESS_RIGHTS,
            optional("SharingPermissionFlags", Text),
            optional("SendNotificationToUser", Switch),
            CONFIRM,
        ],
        run: folders::set,
    },
    Cmdlet {
        name: "Remove-MailboxFolderPermission",
        params: &[
            IDENTITY,
            mandatory("User", Text),
            optional("SendNotificationToUser", Switch),
            optional("Force", Switch),
            CONFIRM,
        ],
        run: folders::remove,
    },
    Cmdlet {
        name: "Get-AcceptedDomain",
        params: &[OPTIONAL_IDENTITY, RESULT_SIZE],
        run: recipients::get_accepted_domain,
    },
];

const FOLDER_WRITE: &[&str] = &[
    "Identity",
    "User",
    "AccessRights",
    "SharingPermissionFlags",
    "SendNotificationToUser",
];

pub static ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "Mailbox",
        cmdlets: &[
            (
                "Get-Mailbox",
                &[
                    "Identity",
                    "ResultSize",
                    "IncludeGrantSendOnBehalfToWithDisplayNames",
                ],
            ),
            ("Set-Mailbox", &["Identity", "GrantSendOnBehalfTo"]),
        ],
    },
    Endpoint {
        name: "MailboxFolderPermission",
        cmdlets: &[
            (
                "Get-MailboxFolderPermission",
                &["Identity", "User", "ResultSize"],
            ),
            ("Add-MailboxFolderPermission", FOLDER_WRITE),
            ("Set-MailboxFolderPermission", FOLDER_WRITE),
            (
                "Remove-MailboxFolderPermission",
                &["Identity", "User", "SendNotificationToUser", "Confirm"],
            ),
        ],
    },
    Endpoint {
        name: "DistributionGroupMember",
        cmdlets: &[("Get-DistributionGroupMember", &["Identity", "ResultSize"])],
    },
    Endpoint {
        name: "AcceptedDomain",
        cmdlets: &[("Get-AcceptedDomain", &["Identity", "ResultSize"])],
    },
];

/// The cmdlet named `name` (without regard to case, as PowerShell matches names).
pub fn find(name: &str) -> Option<&'static Cmdlet> {
    CMDLETS
        .iter()
        .find(|cmdlet| cmdlet.name.eq_ignore_ascii_case(name.trim()))
}

/// The v2.0 endpoint named `name` (its case must match, as a URL path's does).
pub fn endpoint(name: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|endpoint| endpoint.name == name)
}

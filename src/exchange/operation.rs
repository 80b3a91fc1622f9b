//! The one table of what Doorman asks of Exchange: each typed operation's cmdlet and route.
//!
//! Owns [`Operation`]. The typed methods build their requests from it, so the cmdlet a method
//! runs, the route it is sent to and the scope its token needs cannot disagree. Must not: name a
//! cmdlet that no typed method runs.

use super::settings::{Endpoint, Route};

/// Every operation the client carries out, one per typed method. The token broker asks
/// [`crate::exchange::ExchangeClient::scope_for`] which scope an operation needs before fetching
/// the token for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    AddFullAccess,
    RemoveFullAccess,
    ReadFullAccess,
    AddSendAs,
    RemoveSendAs,
    ReadSendAs,
    AddSendOnBehalf,
    RemoveSendOnBehalf,
    ReadMailbox,
    SetPrimaryAddress,
    RemoveEmailAddress,
    AddListMember,
    RemoveListMember,
    ReadListMembers,
    ReadList,
    ReadRecipient,
    ReadFolderPermissions,
    RemoveFolderPermission,
    SetFolderPermission,
    ReadInboxRules,
    RemoveInboxRule,
    ReadAcceptedDomains,
}

impl Operation {
    /// Every operation, for tests and documentation.
    pub const ALL: [Operation; 22] = [
        Operation::AddFullAccess,
        Operation::RemoveFullAccess,
        Operation::ReadFullAccess,
        Operation::AddSendAs,
        Operation::RemoveSendAs,
        Operation::ReadSendAs,
        Operation::AddSendOnBehalf,
        Operation::RemoveSendOnBehalf,
        Operation::ReadMailbox,
        Operation::SetPrimaryAddress,
        Operation::RemoveEmailAddress,
        Operation::AddListMember,
        Operation::RemoveListMember,
        Operation::ReadListMembers,
        Operation::ReadList,
        Operation::ReadRecipient,
        Operation::ReadFolderPermissions,
        Operation::RemoveFolderPermission,
        Operation::SetFolderPermission,
        Operation::ReadInboxRules,
        Operation::RemoveInboxRule,
        Operation::ReadAcceptedDomains,
    ];

    /// The cmdlet the operation runs.
    pub fn cmdlet(self) -> &'static str {
        match self {
            Operation::AddFullAccess => "Add-MailboxPermission",
            Operation::RemoveFullAccess => "Remove-MailboxPermission",
            Operation::ReadFullAccess => "Get-MailboxPermission",
            Operation::AddSendAs => "Add-RecipientPermission",
            Operation::RemoveSendAs => "Remove-RecipientPermission",
            Operation::ReadSendAs => "Get-RecipientPermission",
            Operation::AddSendOnBehalf
            | Operation::RemoveSendOnBehalf
            | Operation::SetPrimaryAddress
            | Operation::RemoveEmailAddress => "Set-Mailbox",
            Operation::ReadMailbox => "Get-Mailbox",
            Operation::AddListMember => "Add-DistributionGroupMember",
            Operation::RemoveListMember => "Remove-DistributionGroupMember",
            Operation::ReadListMembers => "Get-DistributionGroupMember",
            Operation::ReadList => "Get-DistributionGroup",
            Operation::ReadRecipient => "Get-Recipient",
            Operation::ReadFolderPermissions => "Get-MailboxFolderPermission",
            Operation::RemoveFolderPermission => "Remove-MailboxFolderPermission",
            Operation::SetFolderPermission => "Set-MailboxFolderPermission",
            Operation::ReadInboxRules => "Get-InboxRule",
            Operation::RemoveInboxRule => "Remove-InboxRule",
            Operation::ReadAcceptedDomains => "Get-AcceptedDomain",
        }
    }

    /// The route the operation is sent to: the documented v2.0 endpoint where the reference says
    /// it covers the cmdlet, `InvokeCommand` otherwise. `Set-Mailbox` takes both: the v2.0
    /// `Mailbox` endpoint documents only `-GrantSendOnBehalfTo`, so a primary address change goes
    /// through `InvokeCommand`.
    pub fn route(self) -> Route {
        match self {
            Operation::AddSendOnBehalf | Operation::RemoveSendOnBehalf | Operation::ReadMailbox => {
                Route::V2(Endpoint::Mailbox)
            }
            Operation::ReadListMembers => Route::V2(Endpoint::DistributionGroupMember),
            Operation::ReadFolderPermissions
            | Operation::RemoveFolderPermission
            | Operation::SetFolderPermission => Route::V2(Endpoint::MailboxFolderPermission),
            Operation::ReadAcceptedDomains => Route::V2(Endpoint::AcceptedDomain),
            Operation::AddFullAccess
            | Operation::RemoveFullAccess
            | Operation::ReadFullAccess
            | Operation::AddSendAs
            | Operation::RemoveSendAs
            | Operation::ReadSendAs
            | Operation::SetPrimaryAddress
            | Operation::RemoveEmailAddress
            | Operation::AddListMember
            | Operation::RemoveListMember
            | Operation::ReadList
            | Operation::ReadRecipient
            | Operation::ReadInboxRules
            | Operation::RemoveInboxRule => Route::Invoke,
        }
    }

    /// Whether the operation changes something, and so takes a person's token only.
    pub fn writes(self) -> bool {
        !self.cmdlet().starts_with("Get-")
    }
}

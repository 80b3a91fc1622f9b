//! The operator's way to undo what a requester set up in their own mailbox (a calendar share, a
//! forwarding rule) when the requester's own token no longer works at the end (DESIGN.md §10).
//!
//! Owns `Get-`/`Set-`/`Remove-MailboxFolderPermission` (v2.0 `MailboxFolderPermission`) and
//! `Get-`/`Remove-InboxRule` (`InvokeCommand`). Must not: add anything (`Set-` only lowers a
//! share back to what it was); self-service changes are made through Graph with the
//! requester's own token.

use super::client::{Anchor, CmdletCall, ExchangeClient, Exchanged, folder_mailbox, required};
use super::error::ExchangeError;
use super::model::{FolderPermission, InboxRule};
use super::operation::Operation;
use super::outcome::{Change, Outcome};
use crate::graph::{Bearer, DelegatedToken};

impl ExchangeClient {
    /// The permissions on `folder` (`user@contoso.com:\Calendar`): `Get-MailboxFolderPermission`
    /// with `Identity`. Route: v2.0 `MailboxFolderPermission`, anchored on the folder's mailbox.
    pub async fn folder_permissions(
        &self,
        bearer: impl Into<Bearer<'_>>,
        folder: &str,
    ) -> Result<Exchanged<Vec<FolderPermission>>, ExchangeError> {
        let folder = required("folder", folder)?;
        let mailbox = folder_mailbox(folder)?;
        let call = CmdletCall::new(Operation::ReadFolderPermissions, Anchor::mailbox(mailbox))
            .with("Identity", folder);
        self.read_all(bearer.into(), call).await
    }

    /// `user`'s permission on `folder`, if they have one: `Get-MailboxFolderPermission` with
    /// `Identity` and `User`. Exchange answers a user without an entry with
    /// `UserNotFoundInPermissionEntryException` (or an empty list): `None` either way. Route:
    /// v2.0 `MailboxFolderPermission`, anchored on the folder's mailbox.
    pub async fn folder_permission_of(
        &self,
        bearer: impl Into<Bearer<'_>>,
        folder: &str,
        user: &str,
    ) -> Result<Option<FolderPermission>, ExchangeError> {
        let folder = required("folder", folder)?;
        let mailbox = folder_mailbox(folder)?;
        let user = required("user", user)?;
        let call = CmdletCall::new(Operation::ReadFolderPermissions, Anchor::mailbox(mailbox))
            .with("Identity", folder)
            .with("User", user);
        let read: Result<Exchanged<Vec<FolderPermission>>, ExchangeError> =
            self.read_all(bearer.into(), call).await;
        match read {
            Ok(entries) => Ok(entries.value.into_iter().next()),
            Err(ExchangeError::NotThere(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Sets `user`'s permission on `folder` to `access_rights` (one role, such as
    /// `AvailabilityOnly`): `Set-MailboxFolderPermission` with `Identity`, `User` and
    /// `AccessRights`. The operator's way to put back the level a calendar was shared at before.
    /// A user without an entry is [`Outcome::NotThere`]. Route: v2.0 `MailboxFolderPermission`,
    /// anchored on the folder's mailbox.
    pub async fn set_folder_permission(
        &self,
        token: &DelegatedToken,
        folder: &str,
        user: &str,
        access_rights: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let folder = required("folder", folder)?;
        let mailbox = folder_mailbox(folder)?;
        let user = required("user", user)?;
        let access_rights = required("access rights", access_rights)?;
        let call = CmdletCall::new(Operation::SetFolderPermission, Anchor::mailbox(mailbox))
            .with("Identity", folder)
            .with("User", user)
            .with("AccessRights", vec![access_rights]);
        self.write(token, call, Change::Remove).await
    }

    /// Removes `user`'s permission on `folder`: `Remove-MailboxFolderPermission` with
    /// `Identity`, `User` and `Confirm: false`. Exchange fails with
    /// `UserNotFoundInPermissionEntryException` when there was none: [`Outcome::NotThere`].
    /// Route: v2.0 `MailboxFolderPermission`, anchored on the folder's mailbox.
    pub async fn remove_folder_permission(
        &self,
        token: &DelegatedToken,
        folder: &str,
        user: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let folder = required("folder", folder)?;
        let mailbox = folder_mailbox(folder)?;
        let user = required("user", user)?;
        let call = CmdletCall::new(Operation::RemoveFolderPermission, Anchor::mailbox(mailbox))
            .with("Identity", folder)
            .with("User", user)
            .with("Confirm", false);
        self.write(token, call, Change::Remove).await
    }

    /// The inbox rules of `mailbox`: `Get-InboxRule` with `Mailbox`. Route: `InvokeCommand`,
    /// anchored on the mailbox.
    pub async fn inbox_rules(
        &self,
        bearer: impl Into<Bearer<'_>>,
        mailbox: &str,
    ) -> Result<Exchanged<Vec<InboxRule>>, ExchangeError> {
        let mailbox = required("mailbox", mailbox)?;
        let call = CmdletCall::new(Operation::ReadInboxRules, Anchor::mailbox(mailbox))
            .with("Mailbox", mailbox);
        self.read_all(bearer.into(), call).await
    }

    /// Removes the rule `rule` (its name, or its identity from [`ExchangeClient::inbox_rules`])
    /// from `mailbox`: `Remove-InboxRule` with `Mailbox`, `Identity` and `Confirm: false`. A rule
    /// that is not there is [`ExchangeError::NotFound`] (Exchange says so with the same exception
    /// as an unknown mailbox), so read the rules first. Route: `InvokeCommand`, anchored on the
    /// mailbox.
    pub async fn remove_inbox_rule(
        &self,
        token: &DelegatedToken,
        mailbox: &str,
        rule: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let mailbox = required("mailbox", mailbox)?;
        let rule = required("rule", rule)?;
        let call = CmdletCall::new(Operation::RemoveInboxRule, Anchor::mailbox(mailbox))
            .with("Mailbox", mailbox)
            .with("Identity", rule)
            .with("Confirm", false);
        self.write(token, call, Change::Remove).await
    }
}

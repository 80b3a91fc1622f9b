//! Shared-mailbox permissions: Full Access, Send As and Send on Behalf.
//!
//! Owns `Add-`/`Remove-`/`Get-MailboxPermission` and `-RecipientPermission` (`InvokeCommand`,
//! the only REST route to them) and `Set-Mailbox -GrantSendOnBehalfTo` (the v2.0 `Mailbox`
//! endpoint). Must not: write with anything but a person's token, or report an inherited,
//! denying or `NT AUTHORITY\SELF` entry as someone's grant.

use serde_json::json;

use super::client::{Anchor, CmdletCall, ExchangeClient, Exchanged, required};
use super::error::ExchangeError;
use super::model::{MailboxPermission, RecipientPermission, same_identity};
use super::operation::Operation;
use super::outcome::{Change, Outcome};
use crate::graph::{Bearer, DelegatedToken};

impl ExchangeClient {
    /// Gives `user` Full Access to `mailbox`: `Add-MailboxPermission` with `Identity`, `User`,
    /// `AccessRights: ["FullAccess"]`, `InheritanceType: "All"` and `AutoMapping: true` (the
    /// mailbox appears in the user's Outlook by itself). Route: `InvokeCommand`.
    pub async fn add_full_access(
        &self,
        token: &DelegatedToken,
        mailbox: &str,
        user: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let call =
            full_access_call(Operation::AddFullAccess, mailbox, user)?.with("AutoMapping", true);
        self.write(token, call, Change::Add).await
    }

    /// Takes Full Access to `mailbox` away from `user`: `Remove-MailboxPermission` with
    /// `Identity`, `User`, `AccessRights: ["FullAccess"]`, `InheritanceType: "All"` and
    /// `Confirm: false`. Exchange warns "the ACE isn't present" when there was none:
    /// [`Outcome::NotThere`]. Route: `InvokeCommand`.
    pub async fn remove_full_access(
        &self,
        token: &DelegatedToken,
        mailbox: &str,
        user: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let call =
            full_access_call(Operation::RemoveFullAccess, mailbox, user)?.with("Confirm", false);
        self.write(token, call, Change::Remove).await
    }

    /// Who holds Full Access to `mailbox`: `Get-MailboxPermission` with `Identity`, keeping the
    /// explicit allowing Full Access entries ([`MailboxPermission::grants_full_access`]), each
    /// with the user as Exchange named them. Route: `InvokeCommand`.
    pub async fn full_access_holders(
        &self,
        bearer: impl Into<Bearer<'_>>,
        mailbox: &str,
    ) -> Result<Exchanged<Vec<MailboxPermission>>, ExchangeError> {
        let mailbox = required("mailbox", mailbox)?;
        let call = CmdletCall::new(Operation::ReadFullAccess, Anchor::mailbox(mailbox))
            .with("Identity", mailbox);
        let read = self
            .read_all::<MailboxPermission>(bearer.into(), call)
            .await?;
        Ok(read.map(|entries| {
            entries
                .into_iter()
                .filter(MailboxPermission::grants_full_access)
                .collect()
        }))
    }

    /// Whether `user` holds Full Access to `mailbox`: `Get-MailboxPermission` with `Identity`
    /// and `User`, so that Exchange resolves the user whichever name it would list them by. An
    /// entry naming another address is not counted even so ([`answer_may_name`]). Route:
    /// `InvokeCommand`.
    pub async fn has_full_access(
        &self,
        bearer: impl Into<Bearer<'_>>,
        mailbox: &str,
        user: &str,
    ) -> Result<Exchanged<bool>, ExchangeError> {
        let mailbox = required("mailbox", mailbox)?;
        let user = required("user", user)?;
        let call = CmdletCall::new(Operation::ReadFullAccess, Anchor::mailbox(mailbox))
            .with("Identity", mailbox)
            .with("User", user);
        let read = self
            .read_all::<MailboxPermission>(bearer.into(), call)
            .await?;
        Ok(read.map(|entries| {
            entries
                .iter()
                .any(|entry| entry.grants_full_access() && answer_may_name(&entry.user, user))
        }))
    }

    /// Lets `trustee` send as `mailbox`: `Add-RecipientPermission` with `Identity`, `Trustee`,
    /// `AccessRights: ["SendAs"]` and `Confirm: false` (the cmdlet asks otherwise). Exchange warns
    /// "is already present" when it was: [`Outcome::AlreadyThere`]. Route: `InvokeCommand`.
    pub async fn add_send_as(
        &self,
        token: &DelegatedToken,
        mailbox: &str,
        trustee: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let call = send_as_call(Operation::AddSendAs, mailbox, trustee)?;
        self.write(token, call, Change::Add).await
    }

    /// Takes Send As on `mailbox` away from `trustee`: `Remove-RecipientPermission` with
    /// `Identity`, `Trustee`, `AccessRights: ["SendAs"]` and `Confirm: false`. Route:
    /// `InvokeCommand`.
    pub async fn remove_send_as(
        &self,
        token: &DelegatedToken,
        mailbox: &str,
        trustee: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let call = send_as_call(Operation::RemoveSendAs, mailbox, trustee)?;
        self.write(token, call, Change::Remove).await
    }

    /// Who may send as `mailbox`: `Get-RecipientPermission` with `Identity`, keeping the explicit
    /// allowing Send As entries ([`RecipientPermission::grants_send_as`]). Route: `InvokeCommand`.
    pub async fn send_as_holders(
        &self,
        bearer: impl Into<Bearer<'_>>,
        mailbox: &str,
    ) -> Result<Exchanged<Vec<RecipientPermission>>, ExchangeError> {
        let mailbox = required("mailbox", mailbox)?;
        let call = CmdletCall::new(Operation::ReadSendAs, Anchor::mailbox(mailbox))
            .with("Identity", mailbox);
        let read = self
            .read_all::<RecipientPermission>(bearer.into(), call)
            .await?;
        Ok(read.map(|entries| {
            entries
                .into_iter()
                .filter(RecipientPermission::grants_send_as)
                .collect()
        }))
    }

    /// Whether `trustee` may send as `mailbox`: `Get-RecipientPermission` with `Identity` and
    /// `Trustee`, resolved by Exchange; an entry naming another address is not counted. Route:
    /// `InvokeCommand`.
    pub async fn has_send_as(
        &self,
        bearer: impl Into<Bearer<'_>>,
        mailbox: &str,
        trustee: &str,
    ) -> Result<Exchanged<bool>, ExchangeError> {
        let mailbox = required("mailbox", mailbox)?;
        let trustee = required("trustee", trustee)?;
        let call = CmdletCall::new(Operation::ReadSendAs, Anchor::mailbox(mailbox))
            .with("Identity", mailbox)
            .with("Trustee", trustee);
        let read = self
            .read_all::<RecipientPermission>(bearer.into(), call)
            .await?;
        Ok(read.map(|entries| {
            entries
                .iter()
                .any(|entry| entry.grants_send_as() && answer_may_name(&entry.trustee, trustee))
        }))
    }

    /// Lets `user` send on behalf of `mailbox`: `Set-Mailbox` with `Identity` and
    /// `GrantSendOnBehalfTo: {"@odata.type": "#Exchange.GenericHashTable", "add": [user]}`, which
    /// adds to the delegates rather than replacing them. Exchange warns "no settings ... have
    /// been modified" when the user was one: [`Outcome::AlreadyThere`]. Read back with
    /// [`ExchangeClient::get_mailbox`] and [`super::Mailbox::grants_send_on_behalf_to`]. Route:
    /// v2.0 `Mailbox`.
    pub async fn add_send_on_behalf(
        &self,
        token: &DelegatedToken,
        mailbox: &str,
        user: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let call = send_on_behalf_call(Operation::AddSendOnBehalf, "add", mailbox, user)?;
        self.write(token, call, Change::Add).await
    }

    /// Takes Send on Behalf of `mailbox` away from `user`: `Set-Mailbox` with `Identity` and
    /// `GrantSendOnBehalfTo: {"@odata.type": "#Exchange.GenericHashTable", "remove": [user]}`.
    /// Route: v2.0 `Mailbox`.
    pub async fn remove_send_on_behalf(
        &self,
        token: &DelegatedToken,
        mailbox: &str,
        user: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let call = send_on_behalf_call(Operation::RemoveSendOnBehalf, "remove", mailbox, user)?;
        self.write(token, call, Change::Remove).await
    }
}

/// Whether an entry of an answer filtered to `asked` (by `User` or `Trustee`) may be theirs.
/// Exchange names a holder by UPN or by name, and resolved the filter itself, so a name is
/// trusted; but an entry naming another address is someone else's, whatever the filter did, and
/// must never prove a grant.
fn answer_may_name(said: &str, asked: &str) -> bool {
    !said.contains('@') || same_identity(said, asked)
}

fn full_access_call(
    operation: Operation,
    mailbox: &str,
    user: &str,
) -> Result<CmdletCall, ExchangeError> {
    let mailbox = required("mailbox", mailbox)?;
    let user = required("user", user)?;
    Ok(CmdletCall::new(operation, Anchor::mailbox(mailbox))
        .with("Identity", mailbox)
        .with("User", user)
        .with("AccessRights", json!(["FullAccess"]))
        .with("InheritanceType", "All"))
}

fn send_as_call(
    operation: Operation,
    mailbox: &str,
    trustee: &str,
) -> Result<CmdletCall, ExchangeError> {
    let mailbox = required("mailbox", mailbox)?;
    let trustee = required("trustee", trustee)?;
    Ok(CmdletCall::new(operation, Anchor::mailbox(mailbox))
        .with("Identity", mailbox)
        .with("Trustee", trustee)
        .with("AccessRights", json!(["SendAs"]))
        .with("Confirm", false))
}

fn send_on_behalf_call(
    operation: Operation,
    change: &str,
    mailbox: &str,
    user: &str,
) -> Result<CmdletCall, ExchangeError> {
    let mailbox = required("mailbox", mailbox)?;
    let user = required("user", user)?;
    Ok(CmdletCall::new(operation, Anchor::mailbox(mailbox))
        .with("Identity", mailbox)
        .with(
            "GrantSendOnBehalfTo",
            json!({"@odata.type": "#Exchange.GenericHashTable", change: [user]}),
        ))
}

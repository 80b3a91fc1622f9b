//! Mailboxes and the tenant's domains: reading a mailbox, changing a primary address, and the
//! accepted domains.
//!
//! Owns `Get-Mailbox` and `Get-AcceptedDomain` (v2.0 endpoints) and `Set-Mailbox
//! -WindowsEmailAddress` (`InvokeCommand`: the v2.0 `Mailbox` endpoint documents only
//! `-GrantSendOnBehalfTo`). Must not: check whether an address is free or its domain verified
//! (the caller does that through Graph before the change, per the reference).

use super::client::{Anchor, CmdletCall, ExchangeClient, Exchanged, required};
use super::error::ExchangeError;
use super::model::{AcceptedDomain, Mailbox};
use super::operation::Operation;
use super::outcome::{Change, Outcome};
use crate::graph::{Bearer, DelegatedToken};

impl ExchangeClient {
    /// One mailbox: `Get-Mailbox` with `Identity` (an address or id). Its `EmailAddresses`,
    /// `GrantSendOnBehalfTo`, `RecipientTypeDetails` and `ExternalDirectoryObjectId` are read.
    /// Route: v2.0 `Mailbox`.
    pub async fn get_mailbox(
        &self,
        bearer: impl Into<Bearer<'_>>,
        mailbox: &str,
    ) -> Result<Exchanged<Mailbox>, ExchangeError> {
        let mailbox = required("mailbox", mailbox)?;
        let call = CmdletCall::new(Operation::ReadMailbox, Anchor::mailbox(mailbox))
            .with("Identity", mailbox);
        self.read_one(bearer.into(), call).await
    }

    /// Makes `new_address` the primary SMTP address of `mailbox`: `Set-Mailbox` with `Identity`
    /// and `WindowsEmailAddress`; the old primary stays as a secondary `smtp:` address. Exchange
    /// warns "no settings ... have been modified" when it already was: [`Outcome::AlreadyThere`].
    /// The call is anchored on the mailbox's current address, which the caller passes. Route:
    /// `InvokeCommand`.
    pub async fn set_primary_address(
        &self,
        token: &DelegatedToken,
        mailbox: &str,
        new_address: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let mailbox = required("mailbox", mailbox)?;
        let new_address = required("new address", new_address)?;
        let call = CmdletCall::new(Operation::SetPrimaryAddress, Anchor::mailbox(mailbox))
            .with("Identity", mailbox)
            .with("WindowsEmailAddress", new_address);
        self.write(token, call, Change::Add).await
    }
    /// Takes the secondary address `address` off `mailbox`: `Set-Mailbox` with `Identity` and
    /// `EmailAddresses: {"@odata.type": "#Exchange.GenericHashTable", "remove":
    /// ["smtp:ADDRESS"]}`, which removes that one proxy address and keeps the others. Exchange
    /// refuses to remove the primary. Route: `InvokeCommand`.
    pub async fn remove_email_address(
        &self,
        token: &DelegatedToken,
        mailbox: &str,
        address: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let mailbox = required("mailbox", mailbox)?;
        let address = required("address", address)?;
        let call = CmdletCall::new(Operation::RemoveEmailAddress, Anchor::mailbox(mailbox))
            .with("Identity", mailbox)
            .with(
                "EmailAddresses",
                serde_json::json!({
                    "@odata.type": "#Exchange.GenericHashTable",
                    "remove": [format!("smtp:{address}")],
                }),
            );
        self.write(token, call, Change::Remove).await
    }

    /// The domains the tenant accepts mail for: `Get-AcceptedDomain` without parameters,
    /// anchored on the tenant. Route: v2.0 `AcceptedDomain`.
    pub async fn accepted_domains(
        &self,
        bearer: impl Into<Bearer<'_>>,
    ) -> Result<Exchanged<Vec<AcceptedDomain>>, ExchangeError> {
        let call = CmdletCall::new(Operation::ReadAcceptedDomains, Anchor::Tenant);
        self.read_all(bearer.into(), call).await
    }
}

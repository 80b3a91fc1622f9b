//! Distribution lists and mail-enabled security groups: members, owners, and who a name is.
//!
//! Owns `Add-`/`Remove-DistributionGroupMember` and `Get-DistributionGroup` and `Get-Recipient`
//! (`InvokeCommand`: Graph answers list membership writes with 400 and lists no owners for
//! groups made in Exchange), and `Get-DistributionGroupMember` (v2.0). Must not: skip the group
//! manager check unless the caller says it acts as an Exchange admin.

use super::client::{Anchor, CmdletCall, ExchangeClient, Exchanged, required};
use super::error::ExchangeError;
use super::model::{DistributionGroup, Recipient};
use super::operation::Operation;
use super::outcome::{Change, Outcome};
use crate::graph::{Bearer, DelegatedToken};

/// In whose right a list's membership is changed, which decides whether Exchange's check that
/// the caller manages the list is skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActingAs {
    /// An Exchange admin (Exchange Administrator, Exchange Recipient Administrator, Global
    /// Administrator): sends `BypassSecurityGroupManagerCheck: true`, since an admin need not be
    /// among the list's owners.
    Admin,
    /// One of the list's owners (`ManagedBy`): the check is kept, so Exchange itself refuses
    /// (`OperationRequiresGroupManagerException`) anyone who does not manage the list.
    ListOwner,
}

impl ExchangeClient {
    /// Adds `member` to `list`: `Add-DistributionGroupMember` with `Identity`, `Member`, and
    /// `BypassSecurityGroupManagerCheck: true` when `acting` is [`ActingAs::Admin`]. Exchange
    /// fails with `MemberAlreadyExistsException` when they were one: [`Outcome::AlreadyThere`].
    /// Route: `InvokeCommand`, anchored on the tenant.
    pub async fn add_list_member(
        &self,
        token: &DelegatedToken,
        list: &str,
        member: &str,
        acting: ActingAs,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let call = member_call(Operation::AddListMember, list, member, acting)?;
        self.write(token, call, Change::Add).await
    }

    /// Removes `member` from `list`: `Remove-DistributionGroupMember` with `Identity`, `Member`,
    /// `Confirm: false`, and the bypass as for [`ExchangeClient::add_list_member`]. Exchange fails
    /// with `MemberNotFoundException` when they were none: [`Outcome::NotThere`]. Route:
    /// `InvokeCommand`, anchored on the tenant.
    pub async fn remove_list_member(
        &self,
        token: &DelegatedToken,
        list: &str,
        member: &str,
        acting: ActingAs,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        let call =
            member_call(Operation::RemoveListMember, list, member, acting)?.with("Confirm", false);
        self.write(token, call, Change::Remove).await
    }

    /// The direct members of `list`, every page: `Get-DistributionGroupMember` with `Identity`.
    /// Route: v2.0 `DistributionGroupMember`, anchored on the tenant.
    pub async fn list_members(
        &self,
        bearer: impl Into<Bearer<'_>>,
        list: &str,
    ) -> Result<Exchanged<Vec<Recipient>>, ExchangeError> {
        let list = required("list", list)?;
        let call =
            CmdletCall::new(Operation::ReadListMembers, Anchor::Tenant).with("Identity", list);
        self.read_all(bearer.into(), call).await
    }

    /// One list, with its owners (`ManagedBy`, as Exchange names them): `Get-DistributionGroup`
    /// with `Identity`. Route: `InvokeCommand`, anchored on the tenant.
    pub async fn distribution_group(
        &self,
        bearer: impl Into<Bearer<'_>>,
        list: &str,
    ) -> Result<Exchanged<DistributionGroup>, ExchangeError> {
        let list = required("list", list)?;
        let call = CmdletCall::new(Operation::ReadList, Anchor::Tenant).with("Identity", list);
        self.read_one(bearer.into(), call).await
    }

    /// The owners of `list` as Exchange names them (`ManagedBy` of `Get-DistributionGroup`);
    /// resolve each to a person with [`ExchangeClient::recipient`].
    pub async fn list_owners(
        &self,
        bearer: impl Into<Bearer<'_>>,
        list: &str,
    ) -> Result<Exchanged<Vec<String>>, ExchangeError> {
        let group = self.distribution_group(bearer, list).await?;
        Ok(group.map(|group| group.managed_by))
    }

    /// Who or what `identity` (a name, address or id, such as an owner's name from `ManagedBy`)
    /// is: `Get-Recipient` with `Identity`. Route: `InvokeCommand`, anchored on the tenant.
    pub async fn recipient(
        &self,
        bearer: impl Into<Bearer<'_>>,
        identity: &str,
    ) -> Result<Exchanged<Recipient>, ExchangeError> {
        let identity = required("identity", identity)?;
        let call =
            CmdletCall::new(Operation::ReadRecipient, Anchor::Tenant).with("Identity", identity);
        self.read_one(bearer.into(), call).await
    }
}

fn member_call(
    operation: Operation,
    list: &str,
    member: &str,
    acting: ActingAs,
) -> Result<CmdletCall, ExchangeError> {
    let list = required("list", list)?;
    let member = required("member", member)?;
    let call = CmdletCall::new(operation, Anchor::Tenant)
        .with("Identity", list)
        .with("Member", member);
    Ok(match acting {
        ActingAs::Admin => call.with("BypassSecurityGroupManagerCheck", true),
        ActingAs::ListOwner => call,
    })
}

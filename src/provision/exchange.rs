//! The Exchange provider: Full Access, Send As and Send on Behalf on shared mailboxes, and the
//! membership of distribution lists and mail-enabled security groups, made true for a person,
//! read, and taken away through Exchange Online's admin API.
//!
//! Writes run under the acting person's delegated Exchange token (the client's types refuse an
//! app token); reads of what a person holds run under the app's read-only Exchange access, so
//! they show what Exchange holds, not what the acting person may see. Exchange names people by
//! UPN, so the person's UPN is read from Graph once and kept.
//!
//! A list's members are changed first in the list owner's own right; only when Exchange answers
//! that the caller does not manage the list is the change made again in an admin's right
//! (`BypassSecurityGroupManagerCheck`), which Exchange grants only to Exchange admins. An owner
//! never borrows an admin's right, and an admin who also owns the list needs no bypass.
//!
//! Must not: decide who owns a fact from a write's answer (the ledger decides, from the read
//! before the write), or write with anything but the delegated token it is handed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::chat::BoxFuture;
use crate::exchange::{ActingAs, ExchangeClient, ExchangeError, Exchanged, Outcome, Recipient};
use crate::graph::{AppToken, AppTokenSource, DelegatedToken, GraphClient};

use super::plan::Step;
use super::provider::{Provider, ProviderError, Removal, Remove, Write, Written};

/// Who holds a shared mailbox's permissions, as Exchange names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delegates {
    pub full_access: Vec<String>,
    pub send_as: Vec<String>,
    pub send_on_behalf: Vec<String>,
}

/// The exception Exchange answers when the caller may not change a list's members in their own
/// right.
const NOT_A_LIST_MANAGER: &str = "OperationRequiresGroupManagerException";

/// Mailbox permissions and list memberships, through Exchange.
pub struct ExchangeProvider {
    exchange: ExchangeClient,
    /// The app's read-only Exchange access (`https://outlook.office365.com/.default`).
    exchange_reader: Arc<AppTokenSource>,
    graph: GraphClient,
    graph_reader: Arc<AppTokenSource>,
    /// People's UPNs by object id: they change rarely, and a grant's person is asked about
    /// several times.
    upns: Mutex<HashMap<String, String>>,
}

impl ExchangeProvider {
    pub fn new(
        exchange: ExchangeClient,
        exchange_reader: Arc<AppTokenSource>,
        graph: GraphClient,
        graph_reader: Arc<AppTokenSource>,
    ) -> Self {
        ExchangeProvider {
            exchange,
            exchange_reader,
            graph,
            graph_reader,
            upns: Mutex::new(HashMap::new()),
        }
    }

    pub(super) async fn reader(&self) -> Result<AppToken, ProviderError> {
        self.exchange_reader
            .token()
            .await
            .map_err(|error| unavailable(format!("cannot get the app's Exchange access: {error}")))
    }

    /// The person's UPN, as Exchange names people.
    pub(super) async fn upn(&self, person: &str) -> Result<String, ProviderError> {
        if let Some(upn) = self.lock_upns().get(person) {
            return Ok(upn.clone());
        }
        let token = self
            .graph_reader
            .token()
            .await
            .map_err(|error| unavailable(format!("cannot get an app-only token: {error}")))?;
        let user = self
            .graph
            .user(&token, person, &["userPrincipalName"])
            .await
            .map_err(|error| ProviderError {
                message: format!("cannot read who {person} is: {error}"),
                refused: matches!(error, crate::graph::GraphError::NotFound(_)),
                request_id: error.request_id().map(str::to_owned),
            })?;
        let upn = user
            .value
            .user_principal_name
            .ok_or_else(|| unavailable(format!("{person} has no user principal name")))?;
        self.lock_upns().insert(person.to_owned(), upn.clone());
        Ok(upn)
    }

    /// Who holds `mailbox`'s permissions now, read with the app's read-only Exchange access
    /// (for its owners, who hold no Exchange role that could read it themselves).
    pub async fn delegates(&self, mailbox: &str) -> Result<Delegates, ProviderError> {
        let reader = self.reader().await?;
        let full_access = self
            .exchange
            .full_access_holders(&reader, mailbox)
            .await
            .map_err(failure)?
            .value
            .into_iter()
            .map(|entry| entry.user)
            .collect();
        let send_as = self
            .exchange
            .send_as_holders(&reader, mailbox)
            .await
            .map_err(failure)?
            .value
            .into_iter()
            .map(|entry| entry.trustee)
            .collect();
        let send_on_behalf = self
            .exchange
            .get_mailbox(&reader, mailbox)
            .await
            .map_err(failure)?
            .value
            .grant_send_on_behalf_to;
        Ok(Delegates {
            full_access,
            send_as,
            send_on_behalf,
        })
    }

    /// The person's mailbox, as Exchange holds it.
    async fn own_mailbox(&self, upn: &str) -> Result<crate::exchange::Mailbox, ExchangeError> {
        let reader = self
            .reader()
            .await
            .map_err(|error| ExchangeError::InvalidRequest {
                reason: error.message,
            })?;
        Ok(self.exchange.get_mailbox(&reader, upn).await?.value)
    }

    /// The person's primary SMTP address, as Exchange holds it.
    async fn primary_address(&self, upn: &str) -> Result<String, ExchangeError> {
        Ok(self.own_mailbox(upn).await?.primary_smtp_address)
    }

    /// Makes `address` the person's primary address. The write's handle is the address it
    /// replaces, and whether `address` was one of theirs already (a secondary they keep), so
    /// taking the change back knows what to put back and what to take off.
    async fn change_primary(
        &self,
        token: &DelegatedToken,
        upn: &str,
        address: &str,
    ) -> Result<Written, ProviderError> {
        let before = self.own_mailbox(upn).await.map_err(failure)?;
        if before.primary_smtp_address.eq_ignore_ascii_case(address) {
            return Ok(Written {
                request_id: None,
                handle: None,
                found_there: true,
            });
        }
        let answer = self
            .exchange
            .set_primary_address(token, upn, address)
            .await
            .map_err(failure)?;
        Ok(Written {
            request_id: Some(call_id(&answer)),
            handle: Some(
                PrimaryHandle {
                    before: before.primary_smtp_address.clone(),
                    kept: holds_secondary(&before, address),
                }
                .to_string(),
            ),
            found_there: false,
        })
    }

    /// Puts back the primary address a change replaced, and takes the new address off unless
    /// the person had it before (the handle says both). Without the handle (the write's answer
    /// was lost) the old address is not known for sure: nothing is guessed, and the removal
    /// stays owed for a person to finish. Safe to run again: each part is done only while a
    /// read shows it still to do.
    async fn restore_primary(
        &self,
        from: Remove<'_>,
        upn: &str,
        address: &str,
    ) -> Result<Removal, ProviderError> {
        let now = self.own_mailbox(upn).await.map_err(failure)?;
        let is_primary = now.primary_smtp_address.eq_ignore_ascii_case(address);
        let handle = from.handle.and_then(PrimaryHandle::parse);
        let Some(handle) = handle else {
            if is_primary {
                return Err(unavailable(format!(
                    "the address {address} replaced is not known, so it cannot be put back"
                )));
            }
            return Ok(Removal::unseen(from.settled));
        };
        let mut removed = false;
        if is_primary {
            self.exchange
                .set_primary_address(from.token, upn, &handle.before)
                .await
                .map_err(failure)?;
            removed = true;
        }
        // Demoted, the new address stays as a secondary: it goes too, unless it was theirs.
        if !handle.kept && (is_primary || holds_secondary(&now, address)) {
            self.exchange
                .remove_email_address(from.token, upn, address)
                .await
                .map_err(failure)?;
            removed = true;
        }
        Ok(if removed {
            Removal::Removed
        } else {
            Removal::unseen(from.settled)
        })
    }

    /// The Exchange admin client, for the providers that share this one's reads.
    pub(super) fn client(&self) -> &ExchangeClient {
        &self.exchange
    }

    fn lock_upns(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.upns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds `upn` to `list` in the caller's own right as an owner, and in an admin's right
    /// when Exchange says the caller does not manage the list.
    async fn join(
        &self,
        token: &DelegatedToken,
        list: &str,
        upn: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        match self
            .exchange
            .add_list_member(token, list, upn, ActingAs::ListOwner)
            .await
        {
            Err(error) if not_a_manager(&error) => {
                self.exchange
                    .add_list_member(token, list, upn, ActingAs::Admin)
                    .await
            }
            other => other,
        }
    }

    async fn leave(
        &self,
        token: &DelegatedToken,
        list: &str,
        upn: &str,
    ) -> Result<Exchanged<Outcome>, ExchangeError> {
        match self
            .exchange
            .remove_list_member(token, list, upn, ActingAs::ListOwner)
            .await
        {
            Err(error) if not_a_manager(&error) => {
                self.exchange
                    .remove_list_member(token, list, upn, ActingAs::Admin)
                    .await
            }
            other => other,
        }
    }

    async fn write_step(
        &self,
        token: &DelegatedToken,
        step: &Step,
        upn: &str,
    ) -> Result<Exchanged<Outcome>, ProviderError> {
        let answer = match step {
            Step::MailboxFullAccess { mailbox } => {
                self.exchange.add_full_access(token, mailbox, upn).await
            }
            Step::MailboxSendAs { mailbox } => self.exchange.add_send_as(token, mailbox, upn).await,
            Step::MailboxSendOnBehalf { mailbox } => {
                self.exchange.add_send_on_behalf(token, mailbox, upn).await
            }
            Step::ListMember { list } => self.join(token, list, upn).await,
            Step::PrimaryAddress { address } => {
                self.exchange.set_primary_address(token, upn, address).await
            }
            other => return Err(ProviderError::unsupported(other)),
        };
        answer.map_err(failure)
    }

    async fn remove_step(
        &self,
        token: &DelegatedToken,
        step: &Step,
        upn: &str,
    ) -> Result<Exchanged<Outcome>, ProviderError> {
        let answer = match step {
            Step::MailboxFullAccess { mailbox } => {
                self.exchange.remove_full_access(token, mailbox, upn).await
            }
            Step::MailboxSendAs { mailbox } => {
                self.exchange.remove_send_as(token, mailbox, upn).await
            }
            Step::MailboxSendOnBehalf { mailbox } => {
                self.exchange
                    .remove_send_on_behalf(token, mailbox, upn)
                    .await
            }
            Step::ListMember { list } => self.leave(token, list, upn).await,
            other => return Err(ProviderError::unsupported(other)),
        };
        answer.map_err(failure)
    }

    async fn read_step(&self, step: &Step, person: &str) -> Result<bool, ProviderError> {
        let reader = self.reader().await?;
        let upn = self.upn(person).await?;
        let held = match step {
            Step::MailboxFullAccess { mailbox } => self
                .exchange
                .has_full_access(&reader, mailbox, &upn)
                .await
                .map(|read| read.value),
            Step::MailboxSendAs { mailbox } => self
                .exchange
                .has_send_as(&reader, mailbox, &upn)
                .await
                .map(|read| read.value),
            Step::MailboxSendOnBehalf { mailbox } => {
                let delegate = self
                    .exchange
                    .recipient(&reader, &upn)
                    .await
                    .map_err(failure)?
                    .value;
                self.exchange
                    .get_mailbox(&reader, mailbox)
                    .await
                    .map(|read| read.value.grants_send_on_behalf_to(&delegate))
            }
            Step::ListMember { list } => self
                .exchange
                .list_members(&reader, list)
                .await
                .map(|read| read.value.iter().any(|member| is(member, person, &upn))),
            Step::PrimaryAddress { address } => self
                .primary_address(&upn)
                .await
                .map(|primary| primary.eq_ignore_ascii_case(address)),
            other => return Err(ProviderError::unsupported(other)),
        };
        held.map_err(failure)
    }
}

impl Provider for ExchangeProvider {
    fn carries(&self, step: &Step) -> bool {
        matches!(
            step,
            Step::MailboxFullAccess { .. }
                | Step::MailboxSendAs { .. }
                | Step::MailboxSendOnBehalf { .. }
                | Step::ListMember { .. }
                | Step::PrimaryAddress { .. }
        )
    }

    fn write<'a>(&'a self, to: Write<'a>) -> BoxFuture<'a, Result<Written, ProviderError>> {
        Box::pin(async move {
            let upn = self.upn(to.person).await?;
            if let Step::PrimaryAddress { address } = to.step {
                return self.change_primary(to.token, &upn, address).await;
            }
            let answer = self.write_step(to.token, to.step, &upn).await?;
            Ok(Written {
                request_id: Some(call_id(&answer)),
                handle: None,
                // First-hand only: after an attempt whose answer was lost, "already there"
                // may be that attempt's own doing.
                found_there: answer.value == Outcome::AlreadyThere
                    && !answer.after_uncertain_attempt,
            })
        })
    }

    fn present<'a>(
        &'a self,
        step: &'a Step,
        person: &'a str,
    ) -> BoxFuture<'a, Result<bool, ProviderError>> {
        Box::pin(self.read_step(step, person))
    }

    fn remove<'a>(&'a self, from: Remove<'a>) -> BoxFuture<'a, Result<Removal, ProviderError>> {
        Box::pin(async move {
            let upn = self.upn(from.person).await?;
            if let Step::PrimaryAddress { address } = from.step {
                return self.restore_primary(from, &upn, address).await;
            }
            let answer = self.remove_step(from.token, from.step, &upn).await?;
            Ok(match answer.value {
                Outcome::Done | Outcome::AlreadyThere => Removal::Removed,
                // A permission added moments ago may not have reached the server that
                // answered: only a settled fact is gone when Exchange finds none.
                Outcome::NotThere => Removal::unseen(from.settled),
            })
        })
    }
}

/// A primary address change's handle: the address it replaced, and whether the new address
/// was already one of the person's (a secondary they keep when the change is taken back).
struct PrimaryHandle {
    before: String,
    kept: bool,
}

impl PrimaryHandle {
    fn parse(handle: &str) -> Option<PrimaryHandle> {
        let (before, kept) = match handle.split_once(' ') {
            Some((before, "kept")) => (before, true),
            Some(_) => return None,
            None => (handle, false),
        };
        (!before.is_empty()).then(|| PrimaryHandle {
            before: before.to_owned(),
            kept,
        })
    }
}

impl std::fmt::Display for PrimaryHandle {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.before)?;
        if self.kept {
            formatter.write_str(" kept")?;
        }
        Ok(())
    }
}

/// Whether `mailbox` holds `address` as a secondary (`smtp:`) address.
fn holds_secondary(mailbox: &crate::exchange::Mailbox, address: &str) -> bool {
    mailbox.email_addresses.iter().any(|proxy| {
        proxy
            .split_once(':')
            .is_some_and(|(kind, held)| kind == "smtp" && held.eq_ignore_ascii_case(address))
    })
}

/// Whether `member` of a list is the person, by object id or address.
fn is(member: &Recipient, person: &str, upn: &str) -> bool {
    member
        .external_directory_object_id
        .as_deref()
        .is_some_and(|id| id.eq_ignore_ascii_case(person))
        || member
            .primary_smtp_address
            .as_deref()
            .is_some_and(|address| address.eq_ignore_ascii_case(upn))
}

fn not_a_manager(error: &ExchangeError) -> bool {
    matches!(error, ExchangeError::Forbidden(_))
        && error.exception() == Some(NOT_A_LIST_MANAGER)
        && error.is_first_hand()
}

/// The id of a call for the audit trail: Exchange's own, else the one Doorman sent.
pub(super) fn call_id<T>(answer: &Exchanged<T>) -> String {
    answer
        .request_id
        .clone()
        .unwrap_or_else(|| answer.client_request_id.clone())
}

/// An Exchange error as provisioning sees it: refused when Exchange answered no, first-hand
/// (a cmdlet it turned down with 400, such as `ProxyAddressExistsException`, was not carried
/// out); uncertain otherwise.
pub(super) fn failure(error: ExchangeError) -> ProviderError {
    let turned_down =
        matches!(&error, ExchangeError::Other(failure) if failure.status == Some(400));
    let refused = error.is_first_hand()
        && (turned_down
            || matches!(
                error,
                ExchangeError::NotFound(_)
                    | ExchangeError::Forbidden(_)
                    | ExchangeError::Unauthorized(_)
                    | ExchangeError::InvalidRequest { .. }
            ));
    ProviderError {
        request_id: error
            .request_id()
            .or_else(|| error.client_request_id())
            .map(str::to_owned),
        message: error.to_string(),
        refused,
    }
}

fn unavailable(message: String) -> ProviderError {
    ProviderError {
        message,
        refused: false,
        request_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::ExchangeFailure;

    fn answered(status: u16, after_uncertain_attempt: bool) -> ExchangeError {
        ExchangeError::Other(Box::new(ExchangeFailure {
            cmdlet: "Set-Mailbox",
            status: Some(status),
            exception: Some("ProxyAddressExistsException".to_owned()),
            after_uncertain_attempt,
            ..ExchangeFailure::default()
        }))
    }

    #[test]
    fn a_cmdlet_turned_down_first_hand_was_not_carried_out() {
        assert!(failure(answered(400, false)).refused);
        // After an attempt whose answer was lost, the first may have been carried out.
        assert!(!failure(answered(400, true)).refused);
        // A 409 or a 500 says nothing certain.
        assert!(!failure(answered(409, false)).refused);
        assert!(!failure(answered(500, false)).refused);
    }
}

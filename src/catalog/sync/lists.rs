//! The owners of distribution lists and mail-enabled security groups, as Exchange holds them.
//!
//! Graph lists no owners for a group made in Exchange; Exchange's `ManagedBy` names them, by
//! Exchange's own names, which `Get-Recipient` resolves to directory object ids. Owns those reads
//! (app-only, read-only). Must not: write, or keep an owner the directory does not list as a
//! person.

use super::{GroupRead, Reader, SyncError};
use crate::exchange::{ExchangeClient, ExchangeError};
use crate::graph::AppTokenSource;
use crate::graph::model::{DirectoryObject, GroupKind, User};

/// Reads a list's owners from Exchange.
pub struct ListOwners {
    exchange: ExchangeClient,
    tokens: AppTokenSource,
}

impl ListOwners {
    /// `tokens` is the app's Exchange access (`https://outlook.office365.com/.default`).
    pub fn new(exchange: ExchangeClient, tokens: AppTokenSource) -> Self {
        ListOwners { exchange, tokens }
    }

    /// Replaces the owners of each list among `groups` with Exchange's, as the people of
    /// `users` they are.
    pub(super) async fn read_owners(
        &self,
        reader: &Reader<'_>,
        groups: &mut [GroupRead],
        users: &[User],
    ) -> Result<(), SyncError> {
        let lists: Vec<(usize, String)> = groups
            .iter()
            .enumerate()
            .filter(|(_, read)| {
                matches!(
                    read.group.kind(),
                    GroupKind::Distribution | GroupKind::MailEnabledSecurity
                )
            })
            .filter_map(|(at, read)| read.group.mail.clone().map(|mail| (at, mail)))
            .collect();
        let owners = reader
            .each(lists, |(at, mail)| async move {
                let owners = self.owners(reader, &mail, users).await?;
                Ok((at, owners))
            })
            .await?;
        for (at, owners) in owners {
            if let Some(read) = groups.get_mut(at) {
                read.owners = owners;
            }
        }
        Ok(())
    }

    /// The people `ManagedBy` names for the list at `mail`.
    async fn owners(
        &self,
        reader: &Reader<'_>,
        mail: &str,
        users: &[User],
    ) -> Result<Vec<DirectoryObject>, SyncError> {
        let names = self
            .read(
                reader,
                || format!("reading the owners of list {mail}"),
                |token| {
                    let exchange = &self.exchange;
                    async move { exchange.list_owners(&token, mail).await }
                },
            )
            .await?;
        let mut owners = Vec::new();
        for name in names {
            let step = || format!("resolving {name}, an owner of list {mail}");
            let recipient = match self
                .read(reader, step, |token| {
                    let exchange = &self.exchange;
                    let name = name.as_str();
                    async move { exchange.recipient(&token, name).await }
                })
                .await
            {
                Ok(recipient) => recipient,
                // An owner whose account is gone is no owner.
                Err(SyncError::Exchange {
                    source: ExchangeError::NotFound(_),
                    ..
                }) => continue,
                Err(other) => return Err(other),
            };
            let person = recipient
                .external_directory_object_id
                .as_deref()
                .and_then(|id| users.iter().find(|user| user.id.eq_ignore_ascii_case(id)));
            if let Some(person) = person {
                owners.push(DirectoryObject::User(person.clone()));
            }
        }
        Ok(owners)
    }

    /// One Exchange read under the sync's permits, with the app's Exchange access.
    async fn read<T, Fut>(
        &self,
        reader: &Reader<'_>,
        step: impl FnOnce() -> String,
        call: impl FnOnce(crate::graph::AppToken) -> Fut,
    ) -> Result<T, SyncError>
    where
        Fut: std::future::Future<Output = Result<crate::exchange::Exchanged<T>, ExchangeError>>,
    {
        let _permit = reader.permits.acquire().await.ok();
        let token = self
            .tokens
            .token()
            .await
            .map_err(SyncError::ExchangeToken)?;
        call(token)
            .await
            .map(|answer| answer.value)
            .map_err(|source| SyncError::Exchange {
                step: step(),
                source,
            })
    }
}

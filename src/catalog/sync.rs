//! Reading the catalog from Graph: every group, team, private and shared channel, SharePoint
//! site, document library and shared mailbox, and every person, as one [`Snapshot`].
//!
//! Owns which Graph reads a sync makes and how their answers become catalog entries
//! ([`assemble`]). Reads are made with the app-only token (no person is behind a sync), every
//! listing is paged and `$select`ed, and no more than [`FetchSettings::concurrency`] requests are
//! in flight at once, so a large tenant is read without provoking throttling; the client retries
//! what throttling there is. Must not: write, or return part of a tenant. A 404 on a per-object
//! read means "none" (a Microsoft 365 group whose site was never provisioned, a disabled account
//! without a mailbox); any other failure fails the whole fetch, so the caller keeps the last
//! good catalog rather than serving half of one.

mod assemble;
mod lists;

use std::future::Future;

use futures::{StreamExt, TryStreamExt, stream};
use tokio::sync::Semaphore;

use super::{Person, Resource};
use crate::graph::model::{
    Channel, ChannelMembershipType, ConversationMember, DirectoryObject, Drive, Group, GroupKind,
    Site, User, UserPurpose,
};
use crate::graph::{AppToken, AppTokenError, AppTokenSource, GraphClient, GraphError, Graphed};
pub use lists::ListOwners;

/// Everything one sync read from Graph, before the catalog file is applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Sorted by kind, then name, then id, so that two syncs of the same tenant compare equal.
    pub resources: Vec<Resource>,
    /// Every user who is not a shared, room or equipment mailbox, disabled accounts included
    /// (so that a request naming one can be answered, and refused, by name). Sorted by UPN.
    pub people: Vec<Person>,
}

/// How hard a sync may press on Graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchSettings {
    /// The `$top` of the `/groups` and `/users` listings, at most Graph's 999. Smaller pages
    /// only mean more requests; tests use them to make paging happen on a small tenant.
    pub page_size: u32,
    /// How many Graph requests may be in flight at once.
    pub concurrency: usize,
}

impl Default for FetchSettings {
    /// Graph's largest pages, and eight requests at a time: enough to read a tenant of some
    /// thousand groups in a few minutes, few enough to stay clear of per-app throttling limits.
    fn default() -> Self {
        FetchSettings {
            page_size: 999,
            concurrency: 8,
        }
    }
}

/// Why a sync did not produce a snapshot. The message names the read that failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot get an app-only token for graph: {0}")]
    Token(#[source] AppTokenError),
    #[error("{step}: {source}")]
    Graph {
        /// What was being read, such as "reading the owners of group Finance (22222222-...)".
        step: String,
        #[source]
        source: GraphError,
    },
    #[error("cannot get the app's Exchange access: {0}")]
    ExchangeToken(#[source] AppTokenError),
    #[error("{step}: {source}")]
    Exchange {
        /// What was being read, such as "reading the owners of list all-sales@contoso.com".
        step: String,
        #[source]
        source: crate::exchange::ExchangeError,
    },
}

const GROUP_FIELDS: &[&str] = &[
    "displayName",
    "description",
    "mail",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
    "visibility",
    "classification",
    "isAssignableToRole",
    "resourceProvisioningOptions",
];
const USER_FIELDS: &[&str] = &["displayName", "userPrincipalName", "mail", "accountEnabled"];
const OWNER_FIELDS: &[&str] = &["userPrincipalName"];
const CHANNEL_FIELDS: &[&str] = &["displayName", "description", "membershipType", "webUrl"];
const SITE_FIELDS: &[&str] = &["displayName", "name", "description", "webUrl"];
const DRIVE_FIELDS: &[&str] = &["name", "webUrl", "driveType"];

/// Reads the whole catalog with [`FetchSettings::default`], without Exchange.
pub async fn fetch(graph: &GraphClient, tokens: &AppTokenSource) -> Result<Snapshot, SyncError> {
    fetch_with(graph, tokens, None, FetchSettings::default()).await
}

/// Reads the whole catalog: the three listings (groups, users, sites) side by side, then each
/// group's owners, site and channels, then each site's libraries and each disabled account's
/// mailbox purpose. A list's owners are Exchange's (`ManagedBy`) when `lists` reads them:
/// Graph lists none for groups made in Exchange.
#[tracing::instrument(skip_all, fields(page_size = settings.page_size))]
pub async fn fetch_with(
    graph: &GraphClient,
    tokens: &AppTokenSource,
    lists: Option<&ListOwners>,
    settings: FetchSettings,
) -> Result<Snapshot, SyncError> {
    let reader = Reader {
        graph,
        tokens,
        permits: Semaphore::new(settings.concurrency.max(1)),
        settings,
    };
    let (groups, users, searched_sites) =
        tokio::try_join!(reader.groups(), reader.users(), reader.searched_sites())?;
    let mut groups: Vec<GroupRead> = reader.each(groups, |group| reader.group(group)).await?;
    if let Some(lists) = lists {
        lists.read_owners(&reader, &mut groups, &users).await?;
    }
    let sites = assemble::sites_to_read(&groups, searched_sites);
    let disabled: Vec<User> = users
        .iter()
        .filter(|user| user.account_enabled == Some(false))
        .cloned()
        .collect();
    let (sites, purposes) = tokio::try_join!(
        reader.each(sites, |site| reader.site(site)),
        reader.each(disabled, |user| reader.purpose(user)),
    )?;
    let snapshot = assemble::snapshot(&groups, &sites, &users, &purposes);
    tracing::debug!(
        resources = snapshot.resources.len(),
        people = snapshot.people.len(),
        "read the catalog from graph"
    );
    Ok(snapshot)
}

/// Puts entries in catalog order: by kind, then name regardless of case, then id.
pub(crate) fn sort_entries(resources: &mut [Resource]) {
    resources.sort_by_cached_key(|entry| (entry.kind, entry.name.to_lowercase(), entry.id.clone()));
}

/// A group with what was read about it.
pub(super) struct GroupRead {
    pub group: Group,
    pub owners: Vec<DirectoryObject>,
    /// The team site of a Microsoft 365 group, when it has one.
    pub site: Option<Site>,
    /// The team's private and shared channels with their direct members.
    pub channels: Vec<(Channel, Vec<ConversationMember>)>,
}

/// A site to read the libraries of, with the group it belongs to, if any (an index into the
/// groups read). Reads take and give owned values: a borrowed one in a closure argument makes
/// the sync's future unprovably `Send` (rust-lang/rust#102211).
pub(super) struct SiteToRead {
    pub site: Site,
    pub group: Option<usize>,
}

/// A site with its document libraries.
pub(super) struct SiteRead {
    pub site: Site,
    pub group: Option<usize>,
    pub drives: Vec<Drive>,
}

/// What a disabled account's mailbox turned out to be, if it has one.
pub(super) struct PurposeRead {
    pub user: User,
    pub purpose: Option<UserPurpose>,
}

struct Reader<'a> {
    graph: &'a GraphClient,
    tokens: &'a AppTokenSource,
    permits: Semaphore,
    settings: FetchSettings,
}

impl<'a> Reader<'a> {
    async fn groups(&self) -> Result<Vec<Group>, SyncError> {
        let top = Some(self.settings.page_size);
        self.read(
            || "listing groups".to_owned(),
            |token| async move { self.graph.groups(&token, None, GROUP_FIELDS, top).await },
        )
        .await
    }

    async fn users(&self) -> Result<Vec<User>, SyncError> {
        let top = Some(self.settings.page_size);
        self.read(
            || "listing users".to_owned(),
            |token| async move { self.graph.users(&token, None, USER_FIELDS, top).await },
        )
        .await
    }

    /// Every site search finds; the caller keeps those no group led to.
    async fn searched_sites(&self) -> Result<Vec<Site>, SyncError> {
        self.read(
            || "searching sites".to_owned(),
            |token| async move { self.graph.search_sites(&token, "*", SITE_FIELDS).await },
        )
        .await
    }

    async fn group(&self, group: Group) -> Result<GroupRead, SyncError> {
        let named = describe_group(&group);
        let id = group.id.as_str();
        let owners = self
            .read(
                || format!("reading the owners of {named}"),
                |token| async move { self.graph.owners(&token, id, OWNER_FIELDS).await },
            )
            .await?;
        let site = if group.kind() == GroupKind::Microsoft365 {
            self.read_if_found(
                || format!("reading the site of {named}"),
                |token| async move { self.graph.group_root_site(&token, id).await },
            )
            .await?
        } else {
            None
        };
        let mut channels = Vec::new();
        if group.has_team() {
            let listed = self
                .read(
                    || format!("listing the channels of the team of {named}"),
                    |token| async move { self.graph.channels(&token, id, CHANNEL_FIELDS).await },
                )
                .await?;
            for channel in listed.into_iter().filter(has_own_members) {
                let channel_id = channel.id.as_str();
                // No `$select` here: `userId` and `email` belong to the derived
                // aadUserConversationMember, which Graph does not let a select name.
                let members = self
                    .read(
                        || format!("reading the members of channel {channel_id} of {named}"),
                        |token| async move {
                            self.graph.channel_members(&token, id, channel_id).await
                        },
                    )
                    .await?;
                channels.push((channel, members));
            }
        }
        Ok(GroupRead {
            group,
            owners,
            site,
            channels,
        })
    }

    async fn site(&self, to_read: SiteToRead) -> Result<SiteRead, SyncError> {
        let site_id = to_read.site.id.as_str();
        let drives = self
            .read(
                || format!("listing the libraries of site {site_id}"),
                |token| async move { self.graph.site_drives(&token, site_id, DRIVE_FIELDS).await },
            )
            .await?;
        Ok(SiteRead {
            site: to_read.site,
            group: to_read.group,
            drives,
        })
    }

    async fn purpose(&self, user: User) -> Result<PurposeRead, SyncError> {
        let id = user.id.as_str();
        let purpose = self
            .read_if_found(
                || format!("reading the mailbox purpose of user {id}"),
                |token| async move { self.graph.user_purpose(&token, id).await },
            )
            .await?;
        Ok(PurposeRead { user, purpose })
    }

    /// Runs `read` for each item, [`FetchSettings::concurrency`] at a time, keeping the items'
    /// order; the first failure ends them all.
    async fn each<I, T, F, Fut>(
        &self,
        items: impl IntoIterator<Item = I>,
        read: F,
    ) -> Result<Vec<T>, SyncError>
    where
        F: FnMut(I) -> Fut,
        Fut: Future<Output = Result<T, SyncError>>,
    {
        stream::iter(items.into_iter().map(read))
            .buffered(self.settings.concurrency.max(1))
            .try_collect()
            .await
    }

    /// One Graph read under a permit, with a fresh (cached) app-only token, so that a sync
    /// longer than a token's life never sends an expired one.
    async fn read<T, Fut>(
        &self,
        step: impl FnOnce() -> String,
        call: impl FnOnce(AppToken) -> Fut,
    ) -> Result<T, SyncError>
    where
        Fut: Future<Output = Result<Graphed<T>, GraphError>>,
    {
        // The semaphore is never closed, so a permit always comes.
        let _permit = self.permits.acquire().await.ok();
        let token = self.tokens.token().await.map_err(SyncError::Token)?;
        match call(token).await {
            Ok(answer) => Ok(answer.value),
            Err(source) => Err(SyncError::Graph {
                step: step(),
                source,
            }),
        }
    }

    /// Like [`Reader::read`], with a 404 meaning there is nothing to read.
    async fn read_if_found<T, Fut>(
        &self,
        step: impl FnOnce() -> String,
        call: impl FnOnce(AppToken) -> Fut,
    ) -> Result<Option<T>, SyncError>
    where
        Fut: Future<Output = Result<Graphed<T>, GraphError>>,
    {
        match self.read(step, call).await {
            Ok(value) => Ok(Some(value)),
            Err(SyncError::Graph {
                source: GraphError::NotFound(_),
                ..
            }) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

/// Only private and shared channels have members of their own; a standard channel is the team.
fn has_own_members(channel: &Channel) -> bool {
    matches!(
        channel.membership_type,
        Some(ChannelMembershipType::Private | ChannelMembershipType::Shared)
    )
}

fn describe_group(group: &Group) -> String {
    match &group.display_name {
        Some(name) => format!("group {name} ({})", group.id),
        None => format!("group {}", group.id),
    }
}

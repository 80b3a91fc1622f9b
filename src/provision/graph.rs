//! The Graph provider: group membership and ownership, channel membership and roles, and
//! library sharing, made true for a person, read, and taken away through Microsoft Graph.
//!
//! Writes run under a person's delegated token (the types refuse an app token); reads of what a
//! person holds, and lookups of what a write or removal addresses, run under the app-only
//! token. "Already there" is success for a write and "not there" is success for a removal, but
//! neither says who made the fact: the grant ledger decides that, from a read before the write.

use std::sync::Arc;

use crate::domain::chat::BoxFuture;
use crate::graph::model::Permission;
use crate::graph::{
    AppToken, AppTokenSource, Bearer, DelegatedToken, DriveRole, GraphClient, GraphError,
    GraphFailure, InviteRecipient, TeamRole,
};

use super::plan::{Library, Step};
use super::provider::{Provider, ProviderError, Removal, Remove, Write, Written};

/// Groups, channels and libraries, through Graph.
pub struct GraphProvider {
    graph: GraphClient,
    app_tokens: Arc<AppTokenSource>,
}

impl GraphProvider {
    pub fn new(graph: GraphClient, app_tokens: Arc<AppTokenSource>) -> Self {
        GraphProvider { graph, app_tokens }
    }

    async fn reader(&self) -> Result<AppToken, ProviderError> {
        self.app_tokens
            .token()
            .await
            .map_err(|error| ProviderError {
                message: format!("cannot get an app-only token to read the tenant: {error}"),
                refused: false,
                request_id: None,
            })
    }
}

impl Provider for GraphProvider {
    fn carries(&self, step: &Step) -> bool {
        matches!(
            step,
            Step::GroupMember { .. }
                | Step::GroupOwner { .. }
                | Step::ChannelMember { .. }
                | Step::ChannelOwner { .. }
                | Step::LibraryRead { .. }
                | Step::LibraryWrite { .. }
        )
    }

    fn write<'a>(&'a self, to: Write<'a>) -> BoxFuture<'a, Result<Written, ProviderError>> {
        Box::pin(async move {
            let reader = self.reader().await?;
            write(
                &self.graph,
                to.token,
                &reader,
                to.step,
                to.person,
                to.builds_on,
            )
            .await
            .map_err(failure)
        })
    }

    fn present<'a>(
        &'a self,
        step: &'a Step,
        person: &'a str,
    ) -> BoxFuture<'a, Result<bool, ProviderError>> {
        Box::pin(async move {
            let reader = self.reader().await?;
            present(&self.graph, &reader, step, person)
                .await
                .map_err(failure)
        })
    }

    fn remove<'a>(&'a self, from: Remove<'a>) -> BoxFuture<'a, Result<Removal, ProviderError>> {
        Box::pin(async move {
            let reader = self.reader().await?;
            remove(
                &self.graph,
                from.token,
                &reader,
                from.step,
                from.person,
                from.handle,
                from.settled,
            )
            .await
            .map_err(failure)
        })
    }
}

/// A Graph error as provisioning sees it: refused when Graph answered no (a retry of a write
/// that was carried out meets "already exists", never these), uncertain otherwise.
pub(super) fn failure(error: GraphError) -> ProviderError {
    let refused = matches!(
        error,
        GraphError::NotFound(_)
            | GraphError::Forbidden(_)
            | GraphError::Unauthorized(_)
            | GraphError::BadRequest(_)
            | GraphError::InvalidRequest { .. }
    );
    ProviderError {
        request_id: error.request_id().map(str::to_owned),
        message: error.to_string(),
        refused,
    }
}

/// The answer for a step Graph does not hold (the provider says it carries none of these).
fn not_graphs(step: &Step) -> GraphError {
    GraphError::BadRequest(GraphFailure {
        status: None,
        code: None,
        message: Some(format!("Graph does not hold this: {}", step.describe())),
        request_id: None,
        client_request_id: None,
        after_uncertain_attempt: false,
    })
}

/// Makes `step` true for `person` under `token`; `reader` (the app-only token) looks up what
/// the write addresses. `handle` is the id the write of an earlier step answered where this
/// one builds on it (the channel membership an owner role is set on).
async fn write(
    graph: &GraphClient,
    token: &DelegatedToken,
    reader: &AppToken,
    step: &Step,
    person: &str,
    handle: Option<&str>,
) -> Result<Written, GraphError> {
    let outcome = match step {
        Step::MailboxFullAccess { .. }
        | Step::MailboxSendAs { .. }
        | Step::MailboxSendOnBehalf { .. }
        | Step::ListMember { .. }
        | Step::CalendarShare { .. }
        | Step::MailForward { .. }
        | Step::PrimaryAddress { .. } => return Err(not_graphs(step)),
        Step::GroupMember { group_id } => graph
            .add_member(token, group_id, person)
            .await
            .map(|done| written(done.request_id, None)),
        Step::GroupOwner { group_id } => graph
            .add_owner(token, group_id, person)
            .await
            .map(|done| written(done.request_id, None)),
        Step::ChannelMember {
            team_id,
            channel_id,
        } => graph
            .add_channel_member(token, team_id, channel_id, person, TeamRole::Member)
            .await
            .map(|done| written(done.request_id, Some(done.value.id))),
        Step::ChannelOwner {
            team_id,
            channel_id,
        } => {
            let membership = match handle {
                Some(handle) => handle.to_owned(),
                None => channel_membership(graph, reader, team_id, channel_id, person)
                    .await?
                    .ok_or_else(|| GraphError::InvalidRequest {
                        reason: format!(
                            "no membership of channel {channel_id} to make an owner of yet"
                        ),
                    })?,
            };
            graph
                .update_channel_member(token, team_id, channel_id, &membership, TeamRole::Owner)
                .await
                .map(|done| written(done.request_id, Some(done.value.id)))
        }
        Step::LibraryRead { library } => {
            invite(graph, token, reader, library, DriveRole::Read, person)
                .await
                .map(|(request_id, handle)| written(request_id, handle))
        }
        Step::LibraryWrite { library } => {
            invite(graph, token, reader, library, DriveRole::Write, person)
                .await
                .map(|(request_id, handle)| written(request_id, handle))
        }
    };
    match outcome {
        // Already there counts as done. Whose it is was decided by the read before the write,
        // unless this very answer says it was there before any attempt of ours.
        Err(error @ GraphError::AlreadyExists(_)) => Ok(Written {
            found_there: error.is_first_hand(),
            request_id: error.request_id().map(str::to_owned),
            handle: None,
        }),
        other => other,
    }
}

fn written(request_id: Option<String>, handle: Option<String>) -> Written {
    Written {
        request_id,
        handle,
        found_there: false,
    }
}

/// Takes `step` away from `person` under `token`. `handle` is the id the write answered, if
/// known; without it the fact is looked up with `reader` (the app-only token), and `settled`
/// says whether a read that does not show it is conclusive (the write is older than any
/// replication lag) or not yet.
async fn remove(
    graph: &GraphClient,
    token: &DelegatedToken,
    reader: &AppToken,
    step: &Step,
    person: &str,
    handle: Option<&str>,
    settled: bool,
) -> Result<Removal, GraphError> {
    let unseen = Removal::unseen(settled);
    let outcome = match step {
        Step::MailboxFullAccess { .. }
        | Step::MailboxSendAs { .. }
        | Step::MailboxSendOnBehalf { .. }
        | Step::ListMember { .. }
        | Step::CalendarShare { .. }
        | Step::MailForward { .. }
        | Step::PrimaryAddress { .. } => return Err(not_graphs(step)),
        Step::GroupMember { group_id } => graph
            .remove_member(token, group_id, person)
            .await
            .map(|_| Removal::Removed),
        Step::GroupOwner { group_id } => graph
            .remove_owner(token, group_id, person)
            .await
            .map(|_| Removal::Removed),
        Step::ChannelMember {
            team_id,
            channel_id,
        }
        | Step::ChannelOwner {
            team_id,
            channel_id,
        } => {
            let membership = match handle {
                Some(handle) => Some(handle.to_owned()),
                None => channel_membership(graph, reader, team_id, channel_id, person).await?,
            };
            let Some(membership) = membership else {
                return Ok(unseen);
            };
            if matches!(step, Step::ChannelOwner { .. }) {
                // The owner role goes; the membership under it stays for its own step.
                graph
                    .update_channel_member(
                        token,
                        team_id,
                        channel_id,
                        &membership,
                        TeamRole::Member,
                    )
                    .await
                    .map(|_| Removal::Removed)
            } else {
                graph
                    .remove_channel_member(token, team_id, channel_id, &membership)
                    .await
                    .map(|_| Removal::Removed)
            }
        }
        Step::LibraryRead { library } | Step::LibraryWrite { library } => {
            let write = matches!(step, Step::LibraryWrite { .. });
            let (drive_id, root) = library_root(graph, reader, library).await?;
            let mut mine: Vec<String> = graph
                .item_permissions(reader, &drive_id, &root)
                .await?
                .value
                .iter()
                .filter(|permission| {
                    granted_to(permission, person)
                        && permission.inherited_from.is_none()
                        && (!write || grants_role(permission, true))
                })
                .map(|permission| permission.id.clone())
                .collect();
            if let Some(handle) = handle {
                if !mine.iter().any(|id| id == handle) {
                    mine.push(handle.to_owned());
                }
            }
            if mine.is_empty() {
                return Ok(unseen);
            }
            for permission in &mine {
                let taken = if write {
                    // Write goes back to read; read goes with its own step.
                    graph
                        .update_item_permission(
                            token,
                            &drive_id,
                            &root,
                            permission,
                            DriveRole::Read,
                        )
                        .await
                        .map(drop)
                } else {
                    graph
                        .delete_item_permission(token, &drive_id, &root, permission)
                        .await
                        .map(drop)
                };
                match taken {
                    Ok(()) | Err(GraphError::NotFound(_)) => {}
                    Err(error) => return Err(error),
                }
            }
            Ok(Removal::Removed)
        }
    };
    match outcome {
        Err(GraphError::NotFound(_)) => Ok(Removal::NotThere),
        other => other,
    }
}

/// Whether `step` is true for `person`, as `token` reads it (the app-only token: what the
/// directory holds, not what the acting person may see).
async fn present(
    graph: &GraphClient,
    token: &AppToken,
    step: &Step,
    person: &str,
) -> Result<bool, GraphError> {
    match step {
        Step::MailboxFullAccess { .. }
        | Step::MailboxSendAs { .. }
        | Step::MailboxSendOnBehalf { .. }
        | Step::ListMember { .. }
        | Step::CalendarShare { .. }
        | Step::MailForward { .. }
        | Step::PrimaryAddress { .. } => Err(not_graphs(step)),
        Step::GroupMember { group_id } => graph
            .check_member_groups(token, person, &[group_id.as_str()])
            .await
            .map(|found| {
                found
                    .value
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(group_id))
            }),
        Step::GroupOwner { group_id } => graph
            .owners(token, group_id, &["id"])
            .await
            .map(|found| found.value.iter().any(|owner| owner.id() == person)),
        Step::ChannelMember {
            team_id,
            channel_id,
        }
        | Step::ChannelOwner {
            team_id,
            channel_id,
        } => {
            let owner = matches!(step, Step::ChannelOwner { .. });
            graph
                .channel_members(token, team_id, channel_id)
                .await
                .map(|found| {
                    found.value.iter().any(|member| {
                        member.user_id.as_deref() == Some(person) && (!owner || member.is_owner())
                    })
                })
        }
        Step::LibraryRead { library } | Step::LibraryWrite { library } => {
            let write = matches!(step, Step::LibraryWrite { .. });
            let (drive_id, root) = library_root(graph, token, library).await?;
            graph
                .item_permissions(token, &drive_id, &root)
                .await
                .map(|found| {
                    found.value.iter().any(|permission| {
                        granted_to(permission, person) && grants_role(permission, write)
                    })
                })
        }
    }
}

/// The id of `person`'s membership of a channel, as `reader` reads it now.
async fn channel_membership(
    graph: &GraphClient,
    reader: &AppToken,
    team_id: &str,
    channel_id: &str,
    person: &str,
) -> Result<Option<String>, GraphError> {
    let members = graph.channel_members(reader, team_id, channel_id).await?;
    Ok(members
        .value
        .into_iter()
        .find(|member| member.user_id.as_deref() == Some(person))
        .map(|member| member.id))
}

/// Invites `person` to the library's root with `role`; answers the request id and the id of
/// the permission that now grants it.
async fn invite(
    graph: &GraphClient,
    token: &DelegatedToken,
    reader: &AppToken,
    library: &Library,
    role: DriveRole,
    person: &str,
) -> Result<(Option<String>, Option<String>), GraphError> {
    let (drive_id, root) = library_root(graph, reader, library).await?;
    let done = graph
        .invite(
            token,
            &drive_id,
            &root,
            &[InviteRecipient::ObjectId(person.to_owned())],
            role,
            None,
        )
        .await?;
    let handle = done
        .value
        .iter()
        .find(|permission| granted_to(permission, person))
        .or_else(|| done.value.first())
        .map(|permission| permission.id.clone());
    Ok((done.request_id, handle))
}

/// The drive and root item id of a library.
async fn library_root(
    graph: &GraphClient,
    bearer: impl Into<Bearer<'_>> + Copy,
    library: &Library,
) -> Result<(String, String), GraphError> {
    let drive_id = match library {
        Library::SiteDefault { site_id } => {
            graph.site_default_drive(bearer, site_id).await?.value.id
        }
        Library::Drive { drive_id } => drive_id.clone(),
    };
    let root = graph.drive_root(bearer, &drive_id).await?.value.id;
    Ok((drive_id, root))
}

fn granted_to(permission: &Permission, person: &str) -> bool {
    [&permission.granted_to_v2, &permission.granted_to]
        .into_iter()
        .flatten()
        .filter_map(|set| set.user.as_ref())
        .any(|user| user.id.as_deref() == Some(person))
}

fn grants_role(permission: &Permission, write: bool) -> bool {
    permission.roles.as_ref().is_some_and(|roles| {
        roles
            .iter()
            .any(|role| role == "write" || role == "owner" || (!write && role == "read"))
    })
}

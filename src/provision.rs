//! Carrying out an approved request: a plan of idempotent Graph steps per resource kind, run
//! under the acting identity's delegated token, undone in reverse when a later step fails, and
//! read back (with the app-only token, through replication lag) before anyone is told "done".
//!
//! Kinds carried out through a group are planned here: group and team membership or ownership,
//! and a site's `edit`/`owner` through the site's group. Must not: write with anything but a
//! person's token (the types refuse an app token), or report a grant it has not read back.

use std::time::Duration;

use crate::domain::resource::{Access, ResourceKind};
use crate::graph::model::Permission;
use crate::graph::{
    AppTokenSource, Bearer, DelegatedToken, DriveRole, GraphClient, GraphError, Graphed,
    InviteRecipient, TeamRole,
};
use crate::requests::record::RequestRecord;

/// One idempotent change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    AddMember {
        group_id: String,
    },
    AddOwner {
        group_id: String,
    },
    /// Membership of a private or shared channel (after the team's, for a private one).
    AddChannelMember {
        team_id: String,
        channel_id: String,
        owner: bool,
    },
    /// A sharing invite on the root of a document library: a site's default library for
    /// site `read`, the library itself for library access.
    Invite {
        library: Library,
        write: bool,
    },
}

/// Which document library an invite is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Library {
    SiteDefault { site_id: String },
    Drive { drive_id: String },
}

impl Step {
    pub fn describe(&self) -> String {
        match self {
            Step::AddMember { group_id } => format!("add member to group {group_id}"),
            Step::AddOwner { group_id } => format!("add owner to group {group_id}"),
            Step::AddChannelMember {
                team_id,
                channel_id,
                owner,
            } => format!(
                "add {} to channel {channel_id} of team {team_id}",
                if *owner { "owner" } else { "member" }
            ),
            Step::Invite { library, write } => format!(
                "invite to {} the root of {}",
                if *write { "write" } else { "read" },
                match library {
                    Library::SiteDefault { site_id } =>
                        format!("the default library of site {site_id}"),
                    Library::Drive { drive_id } => format!("library {drive_id}"),
                }
            ),
        }
    }
}

/// The steps of one request, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn describe(&self) -> Vec<String> {
        self.steps.iter().map(Step::describe).collect()
    }
}

/// Why a plan could not be made or carried out.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{0}")]
    Unsupported(String),
    #[error("{step}: {source}")]
    Graph {
        step: String,
        #[source]
        source: Box<GraphError>,
        /// The earlier steps that were undone.
        undone: Vec<String>,
    },
    #[error("cannot get an app-only token to read the change back: {0}")]
    Token(String),
    #[error("{0}")]
    NotVisible(String),
}

/// Whether Doorman can carry out this kind and level itself yet.
pub fn supports(kind: ResourceKind, access: Access) -> bool {
    matches!(
        (kind, access),
        (
            ResourceKind::Group | ResourceKind::Team | ResourceKind::Channel,
            Access::Member | Access::Owner
        ) | (
            ResourceKind::Site,
            Access::Read | Access::Edit | Access::Owner
        ) | (ResourceKind::Library, Access::Read | Access::Edit)
    )
}

/// The plan for a request.
pub fn plan(record: &RequestRecord) -> Result<Plan, ProvisionError> {
    let kind = record.resource.kind;
    if !supports(kind, record.access) {
        return Err(ProvisionError::Unsupported(format!(
            "{} access to a {} is not something I can carry out yet",
            record.access.label(),
            kind.label()
        )));
    }
    // Reading a site, and a library, are sharing invites rather than group memberships.
    match (kind, record.access) {
        (ResourceKind::Site, Access::Read) => {
            return Ok(Plan {
                steps: vec![Step::Invite {
                    library: Library::SiteDefault {
                        site_id: record.resource.id.clone(),
                    },
                    write: false,
                }],
            });
        }
        (ResourceKind::Library, access) => {
            return Ok(Plan {
                steps: vec![Step::Invite {
                    library: Library::Drive {
                        drive_id: record.resource.id.clone(),
                    },
                    write: access == Access::Edit,
                }],
            });
        }
        _ => {}
    }
    let group_id = match kind {
        ResourceKind::Group => record.resource.id.clone(),
        _ => record.group_id.clone().ok_or_else(|| {
            ProvisionError::Unsupported(format!(
                "the {} {} has no group to grant through",
                record.resource.name,
                kind.label()
            ))
        })?,
    };
    let owner = matches!(record.access, Access::Owner);
    // An owner of a Microsoft 365 group is made a member too, so the team and site follow;
    // a channel's members must be members of its team first.
    let mut steps = vec![Step::AddMember {
        group_id: group_id.clone(),
    }];
    if kind == ResourceKind::Channel {
        steps.push(Step::AddChannelMember {
            team_id: group_id,
            channel_id: record.resource.id.clone(),
            owner,
        });
    } else if owner {
        steps.push(Step::AddOwner { group_id });
    }
    Ok(Plan { steps })
}

/// Where a request keeps which of its steps it made, so that a run resumed after a crash can
/// tell its own earlier changes (to undo if a later step fails) from access that was there
/// before (never to be taken away).
pub trait Journal: Send {
    /// `step` is about to be tried; kept (on disk) before the Graph call.
    fn attempting(&mut self, step: &Step);
    /// The outcome of `step` is known: `made` when this request made the change.
    fn settled(&mut self, step: &Step, made: bool);
    /// Whether an earlier run made `step`, or tried it and stopped before it knew.
    fn made_before(&self, step: &Step) -> bool;
}

/// A journal that keeps nothing: every "already there" is someone else's.
pub struct NoJournal;

impl Journal for NoJournal {
    fn attempting(&mut self, _: &Step) {}
    fn settled(&mut self, _: &Step, _: bool) {}
    fn made_before(&self, _: &Step) -> bool {
        false
    }
}

/// Runs the plan for `user_id`; "already there" counts as done. A failing step undoes, in
/// reverse, the steps before it that this request made (in this run or, by the journal, an
/// earlier one). Returns Graph's request ids.
pub async fn execute(
    graph: &GraphClient,
    token: &DelegatedToken,
    plan: &Plan,
    user_id: &str,
    journal: &mut (dyn Journal + Send),
) -> Result<Vec<String>, ProvisionError> {
    let mut made: Vec<&Step> = Vec::new();
    let mut request_ids = Vec::new();
    for step in &plan.steps {
        journal.attempting(step);
        let outcome = match step {
            Step::AddMember { group_id } => graph.add_member(token, group_id, user_id).await,
            Step::AddOwner { group_id } => graph.add_owner(token, group_id, user_id).await,
            Step::AddChannelMember {
                team_id,
                channel_id,
                owner,
            } => graph
                .add_channel_member(token, team_id, channel_id, user_id, role(*owner))
                .await
                .map(|done| done.map(drop)),
            Step::Invite { library, write } => {
                match invite(graph, token, library, *write, user_id).await {
                    Ok(Some(done)) => Ok(done),
                    Ok(None) => {
                        // Already held there: ours only if an earlier run made it.
                        let ours = journal.made_before(step);
                        if ours {
                            made.push(step);
                        }
                        journal.settled(step, ours);
                        continue;
                    }
                    Err(error) => Err(error),
                }
            }
        };
        match outcome {
            Ok(done) => {
                request_ids.extend(done.request_id);
                made.push(step);
                journal.settled(step, true);
            }
            Err(GraphError::AlreadyExists(failure)) => {
                request_ids.extend(failure.request_id);
                let ours = journal.made_before(step);
                if ours {
                    made.push(step);
                }
                journal.settled(step, ours);
            }
            Err(source) => {
                journal.settled(step, false);
                let mut undone = Vec::new();
                for earlier in made.iter().rev() {
                    match undo_step(graph, token, earlier, user_id).await {
                        Ok(()) => undone.push(earlier.describe()),
                        Err(error) => {
                            tracing::error!(%error, step = %earlier.describe(), "cannot undo a step");
                        }
                    }
                }
                return Err(ProvisionError::Graph {
                    step: step.describe(),
                    source: Box::new(source),
                    undone,
                });
            }
        }
    }
    Ok(request_ids)
}

/// Undoes every step of the plan, in reverse; returns the steps undone (a step that was not
/// there counts as undone).
pub async fn undo(
    graph: &GraphClient,
    token: &DelegatedToken,
    plan: &Plan,
    user_id: &str,
) -> Vec<String> {
    let mut undone = Vec::new();
    for step in plan.steps.iter().rev() {
        match undo_step(graph, token, step, user_id).await {
            Ok(()) | Err(GraphError::NotFound(_)) => undone.push(step.describe()),
            Err(error) => tracing::error!(%error, step = %step.describe(), "cannot undo a step"),
        }
    }
    undone
}

fn role(owner: bool) -> TeamRole {
    if owner {
        TeamRole::Owner
    } else {
        TeamRole::Member
    }
}

/// Takes one step back. A channel membership is removed by its membership id, found first.
async fn undo_step(
    graph: &GraphClient,
    token: &DelegatedToken,
    step: &Step,
    user_id: &str,
) -> Result<(), GraphError> {
    match step {
        Step::AddMember { group_id } => graph
            .remove_member(token, group_id, user_id)
            .await
            .map(drop),
        Step::AddOwner { group_id } => graph.remove_owner(token, group_id, user_id).await.map(drop),
        Step::AddChannelMember {
            team_id,
            channel_id,
            ..
        } => {
            let members = graph.channel_members(token, team_id, channel_id).await?;
            let mine = members
                .value
                .iter()
                .find(|member| member.user_id.as_deref() == Some(user_id));
            match mine {
                Some(member) => graph
                    .remove_channel_member(token, team_id, channel_id, &member.id)
                    .await
                    .map(drop),
                None => Ok(()),
            }
        }
        Step::Invite { library, .. } => {
            let (drive_id, root) = library_root(graph, token, library).await?;
            let permissions = graph.item_permissions(token, &drive_id, &root).await?;
            for permission in permissions.value.iter().filter(|permission| {
                granted_to(permission, user_id) && permission.inherited_from.is_none()
            }) {
                graph
                    .delete_item_permission(token, &drive_id, &root, &permission.id)
                    .await?;
            }
            Ok(())
        }
    }
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

fn granted_to(permission: &Permission, user_id: &str) -> bool {
    [&permission.granted_to_v2, &permission.granted_to]
        .into_iter()
        .flatten()
        .filter_map(|set| set.user.as_ref())
        .any(|user| user.id.as_deref() == Some(user_id))
}

fn grants_role(permission: &Permission, write: bool) -> bool {
    permission.roles.as_ref().is_some_and(|roles| {
        roles
            .iter()
            .any(|role| role == "write" || role == "owner" || (!write && role == "read"))
    })
}

/// Invites the user to the library's root with the role; `None` when they already hold it there.
async fn invite(
    graph: &GraphClient,
    token: &DelegatedToken,
    library: &Library,
    write: bool,
    user_id: &str,
) -> Result<Option<Graphed<()>>, GraphError> {
    let (drive_id, root) = library_root(graph, token, library).await?;
    let existing = graph.item_permissions(token, &drive_id, &root).await?;
    let held = existing
        .value
        .iter()
        .any(|permission| granted_to(permission, user_id) && grants_role(permission, write));
    if held {
        return Ok(None);
    }
    let role = if write {
        DriveRole::Write
    } else {
        DriveRole::Read
    };
    graph
        .invite(
            token,
            &drive_id,
            &root,
            &[InviteRecipient::ObjectId(user_id.to_owned())],
            role,
            None,
        )
        .await
        .map(|done| Some(done.map(drop)))
}

/// Reads the plan's effect back with the app-only token until it shows, for at most `within`.
pub async fn verify(
    graph: &GraphClient,
    app_tokens: &AppTokenSource,
    plan: &Plan,
    user_id: &str,
    within: Duration,
) -> Result<(), ProvisionError> {
    settle(graph, app_tokens, plan, user_id, within, true).await
}

/// Reads back, with the app-only token, until none of the plan's effects shows any more (a
/// revocation through replication lag), for at most `within`.
pub async fn verify_gone(
    graph: &GraphClient,
    app_tokens: &AppTokenSource,
    plan: &Plan,
    user_id: &str,
    within: Duration,
) -> Result<(), ProvisionError> {
    settle(graph, app_tokens, plan, user_id, within, false).await
}

/// Whether `step`'s effect is there for `user_id`, as the app-only token reads it.
pub async fn present(
    graph: &GraphClient,
    token: &crate::graph::AppToken,
    step: &Step,
    user_id: &str,
) -> Result<bool, GraphError> {
    match step {
        Step::AddMember { group_id } => graph
            .check_member_groups(token, user_id, &[group_id.as_str()])
            .await
            .map(|found| found.value.iter().any(|id| id == group_id)),
        Step::AddOwner { group_id } => graph
            .owners(token, group_id, &["id"])
            .await
            .map(|found| found.value.iter().any(|owner| owner.id() == user_id)),
        Step::AddChannelMember {
            team_id,
            channel_id,
            owner,
        } => graph
            .channel_members(token, team_id, channel_id)
            .await
            .map(|found| {
                found.value.iter().any(|member| {
                    member.user_id.as_deref() == Some(user_id) && (!owner || member.is_owner())
                })
            }),
        Step::Invite { library, write } => {
            let (drive_id, root) = library_root(graph, token, library).await?;
            graph
                .item_permissions(token, &drive_id, &root)
                .await
                .map(|found| {
                    found.value.iter().any(|permission| {
                        granted_to(permission, user_id) && grants_role(permission, *write)
                    })
                })
        }
    }
}

/// Waits until every step's effect is there (`wanted`), or none is.
async fn settle(
    graph: &GraphClient,
    app_tokens: &AppTokenSource,
    plan: &Plan,
    user_id: &str,
    within: Duration,
    wanted: bool,
) -> Result<(), ProvisionError> {
    let started = tokio::time::Instant::now();
    let mut wait = Duration::from_millis(250);
    loop {
        let token = app_tokens
            .token()
            .await
            .map_err(|error| ProvisionError::Token(error.to_string()))?;
        let mut off = None;
        for step in &plan.steps {
            match present(graph, &token, step, user_id).await {
                Ok(there) if there == wanted => {}
                Ok(_) => {
                    off = Some(step.describe());
                    break;
                }
                Err(error) => {
                    off = Some(format!("{}: {error}", step.describe()));
                    break;
                }
            }
        }
        let Some(off) = off else {
            return Ok(());
        };
        if started.elapsed() + wait > within {
            let how = if wanted { "not visible" } else { "still there" };
            return Err(ProvisionError::NotVisible(format!(
                "{how} after {}s: {off}",
                within.as_secs()
            )));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// How the grant looks from the requester's own side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequesterView {
    /// Their own token sees every membership the plan made.
    Confirmed,
    /// Still not visible to them when the bound ran out (their view can lag the directory's).
    NotVisibleYet,
    /// Nothing in the plan can be checked from their side (owners, channels and invites have no
    /// `/me` read that needs only their sign-in scope).
    NotApplicable,
}

impl RequesterView {
    pub fn as_str(self) -> &'static str {
        match self {
            RequesterView::Confirmed => "confirmed",
            RequesterView::NotVisibleYet => "not_visible_yet",
            RequesterView::NotApplicable => "not_applicable",
        }
    }
}

/// Confirms the plan's group memberships with the requester's own delegated token
/// (`POST /me/checkMemberGroups`, `User.Read`), retrying through replication lag up to
/// `within`. A Graph error is returned as is.
pub async fn confirm_as_requester(
    graph: &GraphClient,
    token: &DelegatedToken,
    plan: &Plan,
    within: Duration,
) -> Result<RequesterView, GraphError> {
    let groups: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::AddMember { group_id } => Some(group_id.as_str()),
            _ => None,
        })
        .collect();
    if groups.is_empty() {
        return Ok(RequesterView::NotApplicable);
    }
    let started = tokio::time::Instant::now();
    let mut wait = Duration::from_millis(250);
    loop {
        let seen = graph.my_member_groups(token, &groups).await?.value;
        if groups
            .iter()
            .all(|group| seen.iter().any(|id| id.eq_ignore_ascii_case(group)))
        {
            return Ok(RequesterView::Confirmed);
        }
        if started.elapsed() + wait > within {
            return Ok(RequesterView::NotVisibleYet);
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

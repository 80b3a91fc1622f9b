//! Carrying out an approved request: a plan of idempotent Graph steps per resource kind, run
//! under the acting identity's delegated token, undone in reverse when a later step fails, and
//! read back (with the app-only token, through replication lag) before anyone is told "done".
//!
//! Kinds carried out through a group are planned here: group and team membership or ownership,
//! and a site's `edit`/`owner` through the site's group. Must not: write with anything but a
//! person's token (the types refuse an app token), or report a grant it has not read back.

use std::time::Duration;

use crate::domain::resource::{Access, ResourceKind};
use crate::graph::{AppTokenSource, DelegatedToken, GraphClient, GraphError, TeamRole};
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
}

impl Step {
    fn describe(&self) -> String {
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
        ) | (ResourceKind::Site, Access::Edit | Access::Owner)
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

/// Runs the plan for `user_id`; "already there" counts as done. A failing step undoes the
/// steps before it (in reverse) that this run made. Returns Graph's request ids.
pub async fn execute(
    graph: &GraphClient,
    token: &DelegatedToken,
    plan: &Plan,
    user_id: &str,
) -> Result<Vec<String>, ProvisionError> {
    let mut made: Vec<&Step> = Vec::new();
    let mut request_ids = Vec::new();
    for step in &plan.steps {
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
        };
        match outcome {
            Ok(done) => {
                request_ids.extend(done.request_id);
                made.push(step);
            }
            Err(GraphError::AlreadyExists(failure)) => request_ids.extend(failure.request_id),
            Err(source) => {
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
    }
}

/// Reads the plan's effect back with the app-only token until it shows, for at most `within`.
pub async fn verify(
    graph: &GraphClient,
    app_tokens: &AppTokenSource,
    plan: &Plan,
    user_id: &str,
    within: Duration,
) -> Result<(), ProvisionError> {
    let started = tokio::time::Instant::now();
    let mut wait = Duration::from_millis(250);
    loop {
        let token = app_tokens
            .token()
            .await
            .map_err(|error| ProvisionError::Token(error.to_string()))?;
        let mut missing = None;
        for step in &plan.steps {
            let present = match step {
                Step::AddMember { group_id } => graph
                    .check_member_groups(&token, user_id, &[group_id.as_str()])
                    .await
                    .map(|found| found.value.iter().any(|id| id == group_id)),
                Step::AddOwner { group_id } => graph
                    .owners(&token, group_id, &["id"])
                    .await
                    .map(|found| found.value.iter().any(|owner| owner.id() == user_id)),
                Step::AddChannelMember {
                    team_id,
                    channel_id,
                    owner,
                } => graph
                    .channel_members(&token, team_id, channel_id)
                    .await
                    .map(|found| {
                        found.value.iter().any(|member| {
                            member.user_id.as_deref() == Some(user_id)
                                && (!owner || member.is_owner())
                        })
                    }),
            };
            match present {
                Ok(true) => {}
                Ok(false) => {
                    missing = Some(step.describe());
                    break;
                }
                Err(error) => {
                    missing = Some(format!("{}: {error}", step.describe()));
                    break;
                }
            }
        }
        let Some(missing) = missing else {
            return Ok(());
        };
        if started.elapsed() + wait > within {
            return Err(ProvisionError::NotVisible(format!(
                "not visible after {}s: {missing}",
                within.as_secs()
            )));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

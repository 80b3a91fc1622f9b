//! Reading a grant back: with the app-only token until the directory shows it (or shows it
//! gone), through replication lag, for a bounded time; and from the requester's own side with
//! their token, as a second opinion.

use std::time::Duration;

use super::ProvisionError;
use super::plan::{Plan, Step};
use super::provider::Providers;
use crate::graph::{DelegatedToken, GraphClient, GraphError};

/// Reads `steps` back from their providers until every one shows (`wanted`) or none does,
/// for at most `within`.
pub async fn settle(
    providers: &Providers,
    steps: &[Step],
    person: &str,
    within: Duration,
    wanted: bool,
) -> Result<(), ProvisionError> {
    let started = tokio::time::Instant::now();
    let mut wait = Duration::from_millis(250);
    loop {
        let mut off = None;
        for step in steps {
            match providers.present(step, person).await {
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
            Step::GroupMember { group_id } => Some(group_id.as_str()),
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

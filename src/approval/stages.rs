//! The stages a request waits on, resolved to people: the approvers policy named for each
//! stage (people, or the enabled members of a directory group), never the requester, and each
//! stage's reminder, escalation and time-out as policy set them.

use chrono::{DateTime, TimeDelta, Utc};

use crate::catalog::Catalog;
use crate::directory::Directory;
use crate::domain::request::{RequestRecord, StageRecord, StageTiming};
use crate::domain::resource::ResourceKind;
use crate::policy::{Approvers, StageNeed};
use crate::scheduler::Job;

/// Why a request's stages cannot be resolved to people.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("nobody but you can approve the {0} step")]
    NoApprovers(String),
    #[error(
        "the {stage} step needs {quorum} approvals, but only {people} other people can give one"
    )]
    ShortOfQuorum {
        stage: String,
        quorum: u32,
        people: usize,
    },
    #[error("more than one group is called {0}, so policy's approver group is ambiguous")]
    AmbiguousGroup(String),
    #[error("the directory cannot be read: {0}")]
    Directory(String),
}

/// The stages `needs` asks for, with their approvers (everyone but `requester`), in order.
pub async fn resolve(
    needs: &[StageNeed],
    requester: &str,
    catalog: &Catalog,
    directory: &Directory,
) -> Result<Vec<StageRecord>, StageError> {
    let mut stages = Vec::with_capacity(needs.len());
    for need in needs {
        let approvers: Vec<String> = match &need.approvers {
            Approvers::People(people) => people.iter().map(|upn| upn.to_lowercase()).collect(),
            Approvers::MembersOf(name) => {
                let group_id = approver_group(catalog, name)?;
                directory
                    .enabled_members(&group_id)
                    .await
                    .map_err(|error| StageError::Directory(error.to_string()))?
            }
        }
        .into_iter()
        .filter(|upn| !upn.eq_ignore_ascii_case(requester))
        .collect();
        stages.push(stage(need, approvers)?);
    }
    Ok(stages)
}

/// When the stage's approvers are reminded, its escalation asked and the request timed out,
/// counted from `opened` as the stage's timing says; nothing for a stage without timing.
pub fn timers(
    record: &RequestRecord,
    stage: usize,
    opened: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, Job)> {
    let Some(timing) = record
        .stages
        .get(stage)
        .and_then(|stage| stage.timing.as_ref())
    else {
        return Vec::new();
    };
    let after = |seconds: u64| {
        i64::try_from(seconds)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .and_then(|span| opened.checked_add_signed(span))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    let request = record.id.clone();
    vec![
        (
            after(timing.remind_after),
            Job::RemindApprovers {
                request: request.clone(),
                stage,
            },
        ),
        (
            after(timing.escalate_after),
            Job::Escalate {
                request: request.clone(),
                stage,
            },
        ),
        (after(timing.expire_after), Job::TimeOut { request, stage }),
    ]
}

/// The people a stage's escalation adds (`escalate_to`: the unanswering approvers' managers,
/// `user:UPN`, `group:NAME`), sorted and without repeats. A target that cannot be read adds
/// nobody: escalation widens who may answer, and never blocks the stage.
pub async fn escalation(
    escalate_to: &[String],
    approvers: &[String],
    catalog: &Catalog,
    directory: &Directory,
) -> Vec<String> {
    let mut added = Vec::new();
    for target in escalate_to {
        let found = match target.split_once(':') {
            None if target == "manager_of_approver" => directory.managers_of(approvers).await,
            Some(("user", upn)) => Ok(vec![upn.to_lowercase()]),
            Some(("group", name)) => match approver_group(catalog, name) {
                Ok(group_id) => directory.enabled_members(&group_id).await,
                Err(_) => Ok(Vec::new()),
            },
            _ => Ok(Vec::new()),
        };
        match found {
            Ok(found) => added.extend(found),
            Err(error) => tracing::warn!(%error, target, "cannot read an escalation target"),
        }
    }
    added.sort();
    added.dedup();
    added
}

/// The id of the group the catalog names `name`: group names are not unique in Entra, so an
/// approver group must be named unambiguously.
fn approver_group(catalog: &Catalog, name: &str) -> Result<String, StageError> {
    let mut named = catalog.resources().iter().filter(|resource| {
        // A mail-enabled security group is a list to the catalog and a group to an approver.
        (resource.kind == ResourceKind::Group || resource.is_security_list())
            && resource.name.eq_ignore_ascii_case(name)
    });
    match (named.next(), named.next()) {
        (Some(group), None) => Ok(group.id.clone()),
        (Some(_), Some(_)) => Err(StageError::AmbiguousGroup(name.to_owned())),
        (None, _) => Err(StageError::NoApprovers(format!("group:{name}"))),
    }
}

/// One stage, once it is known there are enough approvers for its quorum.
fn stage(need: &StageNeed, approvers: Vec<String>) -> Result<StageRecord, StageError> {
    if approvers.is_empty() {
        return Err(StageError::NoApprovers(need.stage.to_string()));
    }
    if approvers.len() < usize::try_from(need.quorum).unwrap_or(usize::MAX) {
        return Err(StageError::ShortOfQuorum {
            stage: need.stage.to_string(),
            quorum: need.quorum,
            people: approvers.len(),
        });
    }
    let mut stage = StageRecord::new(need.stage.to_string(), approvers, need.quorum);
    stage.timing = Some(StageTiming {
        remind_after: need.timing.remind_after.as_secs(),
        escalate_after: need.timing.escalate_after.as_secs(),
        escalate_to: need
            .timing
            .escalate_to
            .iter()
            .map(ToString::to_string)
            .collect(),
        expire_after: need.timing.expire_after.as_secs(),
    });
    Ok(stage)
}

#[cfg(test)]
mod tests;

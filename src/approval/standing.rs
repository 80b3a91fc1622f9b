//! Standing approvals: an owner's "Approve always" on a card, for one resource and access
//! level, and at most the duration of the request it was given on. A later request it covers
//! has that owner stage decided already (the audit names the approval it used); the owner can
//! list and withdraw theirs. It only counts while policy still allows standing approvals for
//! the request's target (`allow_standing` on the request), so a policy change makes it inert.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::request::{Approval, RequestRecord};
use crate::domain::resource::{Access, ResourceRef};
use crate::store::{Domain, Store, StoreError, Table};

/// An owner's "approve always" for one resource and level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingApproval {
    pub by: String,
    pub at: DateTime<Utc>,
    /// The request it was given on.
    pub request: String,
    #[serde(default)]
    pub resource: Option<ResourceRef>,
    #[serde(default)]
    pub access: Option<Access>,
    /// The longest grant it covers, in seconds; `None` covers any (it was given on a request
    /// with no end).
    #[serde(default)]
    pub max_duration_seconds: Option<u64>,
}

impl StandingApproval {
    pub fn covers(&self, record: &RequestRecord) -> bool {
        match (self.max_duration_seconds, record.duration_seconds) {
            (None, _) => true,
            (Some(max), Some(asked)) => asked <= max,
            (Some(_), None) => false,
        }
    }

    /// One line for the owner's list.
    pub fn describe(&self) -> String {
        let what = match (&self.resource, self.access) {
            (Some(resource), Some(access)) => format!(
                "{} on {} ({})",
                access.label(),
                resource.name,
                resource.kind.label()
            ),
            _ => format!("as on {}", self.request),
        };
        let how_long = match self.max_duration_seconds {
            Some(seconds) => format!(
                "up to {}",
                crate::domain::duration::format_duration(std::time::Duration::from_secs(seconds))
            ),
            None => "any duration".to_owned(),
        };
        format!(
            "{what}, {how_long}, given {} on {}",
            self.at.format("%Y-%m-%d"),
            self.request
        )
    }
}

/// What follows the owner in a standing approval's key: the resource and level.
fn subject(record: &RequestRecord) -> String {
    format!(
        "{}:{}|{}",
        record.resource.kind, record.resource.id, record.access
    )
}

fn key(owner: &str, subject: &str) -> String {
    format!("{}|{subject}", owner.to_lowercase())
}

/// The standing approvals owners gave, by owner, resource and level.
pub struct Standing {
    store: Arc<dyn Store>,
    table: Table<String, StandingApproval>,
}

impl Standing {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        Ok(Standing {
            table: Table::open(store.as_ref(), Domain::StandingApprovals)?,
            store,
        })
    }

    /// Decides the owner stages a standing approval covers (single-approval ones, where the
    /// request's target still allows standing approvals), at `now`. Returns what the audit
    /// names.
    pub fn apply(&self, record: &mut RequestRecord, now: DateTime<Utc>) -> Vec<Value> {
        let mut used = Vec::new();
        if !record.allow_standing {
            return used;
        }
        let subject = subject(record);
        for index in 0..record.stages.len() {
            let stage = &record.stages[index];
            if stage.name != "owner" || stage.quorum > 1 {
                continue;
            }
            let found = stage.approvers.iter().find_map(|approver| {
                match self.table.get(&key(approver, &subject)) {
                    Ok(Some(standing)) if standing.covers(record) => {
                        Some((approver.clone(), standing))
                    }
                    _ => None,
                }
            });
            let Some((owner, standing)) = found else {
                continue;
            };
            let stage = &mut record.stages[index];
            stage.approvals.push(Approval {
                by: owner.clone(),
                at: now,
            });
            stage.decided_by = Some(owner.clone());
            stage.decided_at = Some(now);
            stage.standing = true;
            used.push(json!({
                "stage": index, "by": owner, "given_on": standing.request, "given_at": standing.at,
            }));
        }
        used
    }

    /// Keeps `owner`'s "approve always" on `record`, given at `now`.
    pub fn keep(
        &self,
        owner: &str,
        record: &RequestRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let given = StandingApproval {
            by: owner.to_owned(),
            at: now,
            request: record.id.clone(),
            resource: Some(record.resource.clone()),
            access: Some(record.access),
            max_duration_seconds: record.duration_seconds,
        };
        self.table.insert(&key(owner, &subject(record)), &given)?;
        self.store.flush()
    }

    /// `owner`'s standing approvals, with what names each for withdrawing it.
    pub fn of(&self, owner: &str) -> Result<Vec<(String, StandingApproval)>, StoreError> {
        let prefix = format!("{}|", owner.to_lowercase());
        self.table
            .scan_prefix(&prefix)
            .map(|entry| entry.map(|(key, standing)| (key[prefix.len()..].to_owned(), standing)))
            .collect()
    }

    /// Withdraws `owner`'s standing approval for `subject`; the one withdrawn, if any.
    pub fn withdraw(
        &self,
        owner: &str,
        subject: &str,
    ) -> Result<Option<StandingApproval>, StoreError> {
        let removed = self.table.remove(&key(owner, subject))?;
        self.store.flush()?;
        Ok(removed)
    }
}

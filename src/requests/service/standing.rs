//! Standing approvals: an owner's "Approve always" on a card, for one resource and access
//! level, and at most the duration of the request it was given on. A later request it covers
//! has that owner stage decided already (the audit names the approval it used); the owner can
//! list and withdraw theirs in chat. It only counts while policy still allows standing
//! approvals for the request's target, so a policy change makes it inert.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Requests;
use crate::approval::{ClickRefused, Clicker};
use crate::audit::AuditKind;
use crate::domain::chat::{ChatAction, Message};
use crate::domain::request::{Approval, RequestRecord};
use crate::domain::resource::Access;
use crate::intent::ResourceRef;

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
    fn covers(&self, record: &RequestRecord) -> bool {
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

impl Requests {
    /// Decides the owner stages a standing approval covers (single-approval ones, where the
    /// request's target still allows standing approvals). Returns what the audit names.
    pub(super) fn apply_standing(&self, record: &mut RequestRecord) -> Vec<Value> {
        let mut used = Vec::new();
        if !record.allow_standing {
            return used;
        }
        let now = self.now();
        let subject = subject(record);
        for index in 0..record.stages.len() {
            let stage = &record.stages[index];
            if stage.name != "owner" || stage.quorum > 1 {
                continue;
            }
            let found = stage.approvers.iter().find_map(|approver| {
                match self.standing.get(&key(approver, &subject)) {
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

    /// Keeps `owner`'s "approve always" on `record`.
    pub(super) fn keep_standing(&self, owner: &str, record: &RequestRecord) {
        let given = StandingApproval {
            by: owner.to_owned(),
            at: self.now(),
            request: record.id.clone(),
            resource: Some(record.resource.clone()),
            access: Some(record.access),
            max_duration_seconds: record.duration_seconds,
        };
        if let Err(error) = self
            .standing
            .insert(&key(owner, &subject(record)), &given)
            .and_then(|()| self.store.flush())
        {
            tracing::error!(%error, "cannot keep a standing approval");
        }
    }

    /// `owner`'s standing approvals, with what names each for withdrawing it.
    pub fn standing_of(&self, owner: &str) -> Vec<(String, StandingApproval)> {
        let prefix = format!("{}|", owner.to_lowercase());
        let mut found = Vec::new();
        for entry in self.standing.scan_from(&prefix) {
            match entry {
                Ok((key, standing)) if key.starts_with(&prefix) => {
                    found.push((key[prefix.len()..].to_owned(), standing));
                }
                Ok(_) => break,
                Err(error) => {
                    tracing::error!(%error, "cannot read standing approvals");
                    break;
                }
            }
        }
        found
    }

    /// A Withdraw click: the clicker's own standing approval named by the button goes. Whose
    /// it is comes from the verified clicker, never from the button.
    pub(super) async fn withdraw_standing_clicked(
        self: &Arc<Self>,
        action: &ChatAction,
        subject: &str,
    ) -> Option<Message> {
        let clicker = self
            .clicker(&action.sender.user, action.sender.entra.as_ref())
            .await;
        let said = match clicker {
            None => Message::text(ClickRefused::Unidentified.sentence()),
            Some(clicker) => self.withdraw_standing(&clicker, subject),
        };
        self.say(&action.place, &said).await;
        None
    }

    fn withdraw_standing(&self, owner: &Clicker, subject: &str) -> Message {
        let removed = self
            .standing
            .remove(&key(&owner.upn, subject))
            .and_then(|removed| self.store.flush().map(|()| removed));
        match removed {
            Ok(Some(standing)) => {
                self.audit_standing_withdrawn(owner, &standing);
                Message::text(format!(
                    "Withdrawn: your standing approval for {}. Later requests ask you again.",
                    standing.describe()
                ))
            }
            Ok(None) => {
                Message::text("You have no such standing approval (any more); nothing was changed.")
            }
            Err(error) => {
                tracing::error!(%error, "cannot withdraw a standing approval");
                Message::text(
                    "Sorry, something went wrong on my side. Please try again in a moment.",
                )
            }
        }
    }

    fn audit_standing_withdrawn(&self, owner: &Clicker, standing: &StandingApproval) {
        let record = crate::audit::NewRecord {
            request_id: Some(standing.request.clone()),
            kind: AuditKind::Revoked,
            actor: owner.upn.clone(),
            data: json!({
                "standing_approval": {"resource": standing.resource, "access": standing.access,
                "max_duration_seconds": standing.max_duration_seconds, "given_at": standing.at},
            }),
        };
        if let Err(error) = self.audit.append(record) {
            tracing::error!(%error, "cannot audit a withdrawn standing approval");
        }
    }
}

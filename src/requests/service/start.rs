//! A new request: the resource checked against the catalog, the stages resolved to people,
//! the plan fixed, standing approvals applied, and the request kept and audited, once per
//! delivery that asked.

use chrono::Utc;
use serde_json::{Value, json};

use super::{Requests, origins};
use crate::approval;
use crate::audit::AuditKind;
use crate::catalog::Resource;
use crate::domain::request::{Acting, RequestRecord, Requester, State};
use crate::domain::resource::{Access, ResourceKind};
use crate::intent::{AccessRequest, Change};
use crate::policy::Grant;
use crate::provision::{self, Subject};
use crate::store::StoreError;

/// Why an allowed request could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the resource is no longer in the catalog")]
    Gone,
    #[error(transparent)]
    Stages(#[from] approval::StageError),
    #[error("{0}")]
    NotProvisionable(String),
    /// An account recovery whose requester has no way policy allows to prove it is them.
    #[error("{0}")]
    CannotVerify(String),
    /// The requester has an account recovery in flight already (its id).
    #[error("recovery {0} is still in progress")]
    AlreadyOpen(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A request that extends an active grant: which, and the end policy allowed for the whole.
#[derive(Clone, Debug)]
pub struct Extension {
    pub of: String,
    pub ends_at: chrono::DateTime<Utc>,
}

impl Requests {
    /// Turns an allowed request into a kept one; [`Requests::advance`] then starts it. Stages
    /// naming a group are resolved to its members (never the requester) now, so the cards go
    /// to people. `origin` names the delivery that asked (the chat user's key and the
    /// delivery's id): a delivery handled again after a crash gets the request it started.
    pub async fn start(
        &self,
        requester: Requester,
        request: &AccessRequest,
        grant: &Grant,
        policy_line: String,
        extension: Option<Extension>,
        origin: Option<&str>,
    ) -> Result<RequestRecord, StartError> {
        let id = match self.reserve(origin)? {
            origins::Reserved::Started(record) => return Ok(*record),
            origins::Reserved::Id(id) => id,
        };
        let access = grant.access.unwrap_or(request.access);
        let (group_id, plan) = if request.resource.kind.is_self_service() {
            self_service_plan(request, grant, access)?
        } else {
            self.catalog_plan(request, access)?
        };
        let stages = approval::stages::resolve(
            &grant.stages,
            &requester.upn,
            &self.catalog.current(),
            &self.directory,
        )
        .await?;
        let record = RequestRecord {
            id,
            requester,
            resource: request.resource.clone(),
            group_id,
            access,
            requested_access: grant.requested_access.unwrap_or(request.access),
            duration_seconds: grant.duration.map(|span| span.as_secs()),
            reason: request.terms.reason.clone(),
            acting: grant.acting,
            stages,
            policy_line,
            state: State::AwaitingApproval { stage: 0 },
            created_at: self.now(),
            ends_at: None,
            made_by: None,
            allow_standing: grant.allow_standing,
            made_steps: Vec::new(),
            attempting: None,
            sign_in_asked_at: None,
            extends: extension.as_ref().map(|extension| extension.of.clone()),
            extended_by: None,
            recovery: None,
        };
        let mut record = record;
        if let Some(extension) = &extension {
            // An extension's end was fixed when policy decided it, from the grant's start.
            record.ends_at = Some(extension.ends_at);
        }
        let standing_used = self.apply_standing(&mut record);
        // The plan is on disk before the request that takes it.
        self.provisioner.ledger().fix_plan(&record.id, &plan)?;
        let record = self.submit(record).await?;
        self.settle_origin(origin, &record.id)?;
        self.audit_received(&record, grant, standing_used);
        Ok(record)
    }

    /// Reads ahead, while policy decides, whether `person` (their directory object id) already
    /// has what `request` asks for, so that a grant allowed without approval claims it without
    /// waiting for that read. Nothing for a removal, a change to the person's own mailbox, or
    /// a resource the catalog does not hold or cannot grant.
    pub fn read_ahead(&self, request: &AccessRequest, person: &str) {
        if request.change != Change::Grant || request.resource.kind.is_self_service() {
            return;
        }
        if let Ok((_, plan)) = self.catalog_plan(request, request.access) {
            self.provisioner.read_ahead(person, &plan);
        }
    }

    /// The plan for a resource of the catalog, fixed now from what the catalog says of it:
    /// taking the grant away later undoes exactly these steps, whatever the catalog says by
    /// then. Also the group that carries it, if one does.
    fn catalog_plan(
        &self,
        request: &AccessRequest,
        access: Access,
    ) -> Result<(Option<String>, provision::Plan), StartError> {
        let catalog = self.catalog.current();
        let resource = catalog
            .get(request.resource.kind, &request.resource.id)
            .ok_or(StartError::Gone)?;
        let group_id = match resource.kind {
            ResourceKind::Group => Some(resource.id.clone()),
            _ => resource.group_id.clone(),
        };
        assignable(resource, request.access)?;
        let plan = provision::plan(Subject {
            resource: &request.resource,
            group_id: group_id.as_deref(),
            access,
            shared_channel: resource.is_shared_channel(),
            exchange_address: resource.exchange_address(),
        })
        .map_err(|error| StartError::NotProvisionable(error.to_string()))?;
        Ok((group_id, plan))
    }

    /// The request as received, with the decision's trail, on the audit chain.
    fn audit_received(&self, record: &RequestRecord, grant: &Grant, standing_used: Vec<Value>) {
        let trail: Vec<Value> = grant
            .trail
            .iter()
            .map(|step| json!({"layer": step.layer.as_str(), "verdict": step.verdict.as_str(), "note": step.note}))
            .collect();
        self.audit(record, AuditKind::Received, &record.requester.upn, json!({
            "resource": record.resource, "access": record.access,
            "requested_access": record.requested_access,
            "duration_seconds": record.duration_seconds, "has_reason": record.reason.is_some(),
            "stages": record.stages.iter().map(|stage| json!({"stage": stage.name, "approvers": stage.approvers, "quorum": stage.quorum})).collect::<Vec<_>>(),
            "acting": record.acting.as_str(), "target": grant.target, "trail": trail,
            "extends": record.extends, "standing_used": standing_used,
        }));
    }

    /// Keeps a new, allowed request and starts it: cards to the first stage's approvers, or
    /// straight to provisioning when no approval is needed.
    async fn submit(&self, mut record: RequestRecord) -> Result<RequestRecord, StoreError> {
        // Stages a standing approval already decided are passed over.
        record.state = match record
            .stages
            .iter()
            .position(|stage| stage.decided_by.is_none())
        {
            Some(stage) => State::AwaitingApproval { stage },
            None => State::Provisioning { waiting_for: None },
        };
        self.table
            .create(self.store.as_ref(), record, crate::domain::request::new_id)
    }
}

/// The plan for a change to the requester's own mailbox. A calendar share or forwarding rule
/// is made only with the requester's own token (Graph's `/me` paths change the mailbox of
/// whoever signed in); a primary address only by the operator (people cannot change it). Any
/// other acting identity is refused here, whatever policy said.
fn self_service_plan(
    request: &AccessRequest,
    grant: &Grant,
    access: Access,
) -> Result<(Option<String>, provision::Plan), StartError> {
    let (must, how) = match request.resource.kind {
        ResourceKind::Address => (Acting::Operator, "by the operator"),
        _ => (Acting::Requester, "with your own sign-in"),
    };
    if grant.acting != must {
        return Err(StartError::NotProvisionable(format!(
            "a change to your own mailbox is made {how}, not by the {}",
            grant.acting
        )));
    }
    let plan = provision::plan(Subject {
        resource: &request.resource,
        group_id: None,
        access,
        shared_channel: false,
        exchange_address: None,
    })
    .map_err(|error| StartError::NotProvisionable(error.to_string()))?;
    Ok((None, plan))
}

/// Refuses a grant carried by a group whose members Graph does not assign (dynamic or
/// synced membership): it cannot be made here.
fn assignable(resource: &Resource, access: Access) -> Result<(), StartError> {
    // Exchange holds a mail-enabled security group's members, and changes them itself.
    if resource.exchange_address().is_some() && access == Access::Member {
        return Ok(());
    }
    let through_group = crate::policy::carried_as(resource, access).is_some()
        || resource.kind == ResourceKind::Group;
    let Some(why) = resource.membership.why_not().filter(|_| through_group) else {
        return Ok(());
    };
    let what = match resource.kind {
        ResourceKind::Group => format!("membership of {} is {why}", resource.describe()),
        _ => format!(
            "{} is granted through its group, whose membership is {why}",
            resource.describe()
        ),
    };
    Err(StartError::NotProvisionable(what))
}

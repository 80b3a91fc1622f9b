//! The request state machine: an allowed request waits for each approval stage in turn, is
//! carried out under the acting identity's delegated token, read back, and reported.
//!
//! Every change of state is written through [`Table::update`] (so two approvers clicking at
//! once make exactly one decision) and flushed to disk before the side effect it leads to: a
//! card is sent after the stage is recorded, Graph is written after "provisioning" is recorded.
//! On start, [`Requests::resume`] picks up whatever was in flight; provisioning steps are
//! idempotent ("already a member" is success), so resuming never grants twice.

mod carry;
mod decisions;
mod drift;
mod expiry;
mod handover;
mod legacy;
mod lifecycle;
mod origins;
mod recover;
mod standing;
mod start;
mod undo;
mod waiting;

pub use crate::approval::RevokeRefused;
pub use crate::approval::StandingApproval;
pub use lifecycle::{ADMIN, GRANT_INPUT, STANDING_INPUT, revocable};
pub use recover::{Abilities, RecoveryStart};
pub use start::{Extension, StartError};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::machine::{self, Event, Refusal, Transition};
use super::table;
use crate::approval::{self, Clicker};
use crate::audit::{AuditKind, AuditLog, NewRecord};
use crate::catalog::CatalogService;
use crate::directory::Directory;
use crate::domain::chat::{ChatPort, ChatUser, EntraUser, Message, Place};
use crate::domain::request::{RequestRecord, Service, State};
use crate::graph::GraphClient;
use crate::identity::{Identity, Role};
use crate::metrics::Metrics;
use crate::policy::Acting;
use crate::provision::{self, Plan, PlanError, Provisioner, Subject};
use crate::scheduler::Scheduler;
use crate::store::{Domain, Store, StoreError, Table};

/// How long a sign-in link works.
pub(super) const SIGN_IN_LINK_LIFETIME: chrono::TimeDelta =
    chrono::TimeDelta::minutes(crate::identity::SIGN_IN_LIFETIME_MINUTES);

/// How long the requester's own view of a grant is read before it is audited as lagging.
pub(super) const REQUESTER_VIEW_WITHIN: Duration = Duration::from_secs(60);

/// The sign-in role whose permissions the acting identity needs to carry out (or undo) `plan`:
/// an approver is asked for the broader owner scope only when the plan changes owners, and for
/// Exchange only when the plan is a list's membership.
fn role_of(acting: Acting, plan: Option<&Plan>) -> Role {
    let service = plan.map_or(Service::Graph, Plan::service);
    match (acting, service) {
        (Acting::Operator, _) => Role::Operator,
        (Acting::Approver, Service::Exchange) => Role::ListOwner,
        (Acting::Approver, Service::Graph) if plan.is_some_and(Plan::changes_owners) => {
            Role::OwnerApprover
        }
        (Acting::Approver, Service::Graph) => Role::Approver,
        (Acting::Requester, _) if plan.is_some_and(Plan::is_self_service) => Role::SelfService,
        (Acting::Requester, _) => Role::Requester,
    }
}

/// What the state machine needs from the rest of Doorman.
pub struct Parts {
    pub store: Arc<dyn Store>,
    pub port: Arc<dyn ChatPort>,
    pub identity: Arc<Identity>,
    pub catalog: Arc<CatalogService>,
    pub audit: Arc<AuditLog>,
    pub graph: GraphClient,
    /// Who the members of an approver group are.
    pub directory: Arc<Directory>,
    /// `[microsoft] operator`.
    pub operator: Option<String>,
    /// `[microsoft] privileged_operator`: recovers administrators' accounts.
    pub privileged_operator: Option<String>,
    /// Durable timers: a grant's end, reminders.
    pub scheduler: Arc<Scheduler>,
    /// `[lifecycle] remind_before`.
    pub remind_before: Duration,
    /// `[lifecycle] reconcile_every`.
    pub reconcile_every: Duration,
    pub metrics: Arc<Metrics>,
    /// Carries grants out and takes them away through the grant ledger.
    pub provisioner: Arc<Provisioner>,
}

pub struct Requests {
    store: Arc<dyn Store>,
    table: table::RequestTable,
    identity: Arc<Identity>,
    catalog: Arc<CatalogService>,
    audit: Arc<AuditLog>,
    graph: GraphClient,
    directory: Arc<Directory>,
    operator: Option<String>,
    privileged_operator: Option<String>,
    /// Reaches approvers and anyone asked for something, where they talk.
    courier: approval::Courier,
    /// "Approve always": by owner, resource and level.
    standing: approval::Standing,
    /// The request each recent delivery started, by delivery.
    origins: Table<String, origins::Origin>,
    /// A lock per request in flight, so its steps never run twice at once.
    steps: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    scheduler: Arc<Scheduler>,
    remind_before: Duration,
    reconcile_every: Duration,
    metrics: Arc<Metrics>,
    provisioner: Arc<Provisioner>,
    /// Work run apart from its caller, awaited (with a bound) at shutdown.
    tasks: TaskTracker,
    /// Stops that work once the bound has passed.
    stopping: CancellationToken,
}

impl Requests {
    pub fn open(parts: Parts) -> Result<Arc<Self>, StoreError> {
        Ok(Arc::new(Requests {
            table: table::RequestTable::open(parts.store.as_ref())?,
            courier: approval::Courier::open(
                parts.store.as_ref(),
                parts.port,
                Arc::clone(&parts.catalog),
            )?,
            standing: approval::Standing::open(Arc::clone(&parts.store))?,
            origins: Table::open(parts.store.as_ref(), Domain::RequestOrigins)?,
            store: parts.store,
            identity: parts.identity,
            catalog: parts.catalog,
            audit: parts.audit,
            graph: parts.graph,
            directory: parts.directory,
            operator: parts.operator.map(|upn| upn.to_lowercase()),
            privileged_operator: parts.privileged_operator.map(|upn| upn.to_lowercase()),
            steps: Mutex::new(HashMap::new()),
            scheduler: parts.scheduler,
            remind_before: parts.remind_before,
            reconcile_every: parts.reconcile_every,
            metrics: parts.metrics,
            provisioner: parts.provisioner,
            tasks: TaskTracker::new(),
            stopping: CancellationToken::new(),
        }))
    }

    /// Remembers the chat account a person just talked from: where they are reached next.
    pub fn seen(&self, entra_id: &str, user: &ChatUser) {
        self.courier.seen(entra_id, user);
    }

    /// A request by id.
    pub fn get(&self, id: &str) -> Result<Option<RequestRecord>, StoreError> {
        self.table.get(id)
    }

    /// Every request, oldest id first (a full scan).
    pub fn all(&self) -> Result<Vec<RequestRecord>, StoreError> {
        self.table.all()
    }

    /// The requests `upn` made, newest first (none when the store cannot be read).
    pub fn of(&self, upn: &str) -> Vec<RequestRecord> {
        let mut mine = match self.table.of(upn) {
            Ok(mine) => mine,
            Err(error) => {
                tracing::error!(%error, "cannot read requests");
                Vec::new()
            }
        };
        mine.sort_by_key(|record| std::cmp::Reverse(record.created_at));
        mine
    }

    /// The requests waiting for `upn`'s decision at their current stage, oldest first (none
    /// when the store cannot be read).
    pub fn awaiting_decision_of(&self, upn: &str) -> Vec<RequestRecord> {
        let upn = upn.to_lowercase();
        let in_flight = match self.table.in_flight() {
            Ok(records) => records,
            Err(error) => {
                tracing::error!(%error, "cannot read requests");
                return Vec::new();
            }
        };
        let mut waiting: Vec<RequestRecord> = in_flight
            .into_iter()
            .filter(|record| match &record.state {
                State::AwaitingApproval { stage } => {
                    record.stages.get(*stage).is_some_and(|stage| {
                        // In a quorum, an approver who already said yes waits for the others.
                        stage.approvers.contains(&upn)
                            && !stage.approvals.iter().any(|approval| approval.by == upn)
                    })
                }
                _ => false,
            })
            .collect();
        waiting.sort_by_key(|record| record.created_at);
        waiting
    }

    /// Carries on every request in flight: after a restart, or a sign-in.
    pub async fn resume(&self) {
        let records = match self.table.in_flight() {
            Ok(records) => records,
            Err(error) => {
                tracing::error!(%error, "cannot read requests to resume");
                return;
            }
        };
        for record in records
            .into_iter()
            .filter(|record| !record.state.is_final())
        {
            self.advance(&record.id).await;
        }
    }

    /// Someone signed in: requests waiting for their token go on.
    pub async fn signed_in(&self, entra: &EntraUser) {
        let upn = match &entra.upn {
            Some(upn) => Some(upn.to_lowercase()),
            None => self
                .identity
                .upn_of(&entra.id)
                .await
                .map(|upn| upn.to_lowercase()),
        };
        let Some(upn) = upn else { return };
        let waiting: Vec<String> = match self.table.in_flight() {
            Ok(records) => records
                .into_iter()
                .filter(|record| {
                    matches!(&record.state, State::Provisioning { waiting_for: Some(who) } if *who == upn)
                })
                .map(|record| record.id)
                .collect(),
            Err(error) => {
                tracing::error!(%error, "cannot read requests waiting for a sign-in");
                return;
            }
        };
        for id in waiting {
            self.advance(&id).await;
        }
    }

    /// Does what the request's state calls for next: send the waiting stage's cards, or make
    /// the change. Safe to call again: what was done is recorded and not done twice.
    pub async fn advance(&self, id: &str) {
        let lock = self.lock_of(id);
        let one_at_a_time = lock.lock().await;
        self.step(id).await;
        drop(one_at_a_time);
        let finished = matches!(
            self.get(id),
            Ok(Some(record)) if record.state.is_final() || record.state == State::Active
        );
        if finished {
            // Forgotten only while nobody else holds it (the map's clone and this one): a task
            // that took it meanwhile keeps it, so two steps of one request never run at once.
            let mut locks = self.steps.lock().unwrap_or_else(PoisonError::into_inner);
            if locks
                .get(id)
                .is_some_and(|kept| Arc::strong_count(kept) <= 2)
            {
                locks.remove(id);
            }
        }
    }

    /// Advances the request apart from the caller (a click's answer must not wait for the
    /// change), in the caller's span, tracked so that shutdown waits for it.
    pub fn advance_apart(self: &Arc<Self>, id: &str) {
        let requests = Arc::clone(self);
        let id = id.to_owned();
        self.run_apart(async move { requests.advance(&id).await });
    }

    /// Runs `work` apart from its caller, in the caller's span, tracked so that shutdown waits
    /// for it and then stops it: every step is on disk before its effect, so a step stopped
    /// midway is resumed at the next start.
    pub(super) fn run_apart(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let stopping = self.stopping.clone();
        let work = async move {
            tokio::select! {
                () = work => {}
                () = stopping.cancelled() => {}
            }
        };
        self.tasks.spawn(work.in_current_span());
    }

    /// Stops taking work apart and waits, up to `grace`, for what runs; what is still running
    /// then is stopped. Says whether it all finished.
    pub async fn wait_idle(&self, grace: Duration) -> bool {
        self.tasks.close();
        let finished = tokio::time::timeout(grace, self.tasks.wait()).await.is_ok();
        if !finished {
            self.stopping.cancel();
            self.tasks.wait().await;
        }
        finished
    }

    /// Steps request `id` through the state machine with `event`, under compare-and-swap, on
    /// disk before it returns: the transition (the record and its effects, for the caller to
    /// carry out), or why the event does not apply (`None`: no such request).
    fn apply(
        &self,
        id: &str,
        event: &Event,
    ) -> Result<Result<RequestRecord, Option<Refusal>>, StoreError> {
        self.apply_with_effects(id, event)
            .map(|applied| applied.map(|transition| transition.record))
    }

    /// Like [`Self::apply`], keeping the effects.
    fn apply_with_effects(
        &self,
        id: &str,
        event: &Event,
    ) -> Result<Result<Transition, Option<Refusal>>, StoreError> {
        let applied = self.table.change(self.store.as_ref(), id, |current| {
            machine::next(&current, event).map(|transition| (transition.record, transition.effects))
        })?;
        Ok(applied.map(|(record, effects)| Transition { record, effects }))
    }

    /// The lock of one request: its steps run one at a time, whether a resume, a sign-in, a
    /// click or a timer asks.
    fn lock_of(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.steps.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(id.to_owned()).or_default())
    }

    async fn step(&self, id: &str) {
        let record = match self.get(id) {
            Ok(Some(record)) => record,
            Ok(None) => return,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot read a request");
                return;
            }
        };
        match record.state.clone() {
            State::AwaitingApproval { stage }
                if record.stages.get(stage).is_some_and(|waiting| {
                    waiting.name == crate::domain::request::VerifyWay::Mfa.stage_name()
                }) =>
            {
                self.ask_step_up(record, stage).await;
            }
            State::AwaitingApproval { stage } => self.send_cards(record, stage).await,
            State::Provisioning { .. } if record.recovery.is_some() => self.recover(record).await,
            State::Provisioning { .. } => self.provision(record).await,
            State::Active => self.keep_timers(&record),
            State::Revoking { cause } => {
                self.take_away(record, cause).await;
            }
            State::Undoing { .. } => {
                self.finish_undo(record).await;
            }
            _ => {}
        }
    }

    /// Sends the stage's card to each of its approvers who has none yet (the first time,
    /// after putting the stage's reminder, escalation and time-out on the timers).
    async fn send_cards(&self, record: RequestRecord, stage: usize) {
        let Some(stage_record) = record.stages.get(stage) else {
            return;
        };
        if stage_record.opened_at.is_none() {
            self.open_stage(&record, stage);
        }
        for approver in &stage_record.approvers {
            if stage_record
                .cards
                .iter()
                .any(|card| &card.approver == approver)
            {
                continue;
            }
            let Some(keep) = self.courier.send_card(&record, stage, approver).await else {
                continue;
            };
            // Kept even if the stage was decided meanwhile: the decision updates every card.
            let kept = self.apply(&record.id, &Event::CardSent { stage, card: keep });
            if let Err(error) = kept {
                tracing::error!(%error, request = %record.id, "cannot record a sent card");
            }
            self.audit(
                &record,
                AuditKind::ApprovalRequested,
                "doorman",
                json!({
                    "stage": stage_record.name, "approver": approver,
                }),
            );
        }
    }

    /// The steps of a request's grant: as fixed when it started, or, for a request kept before
    /// plans were, worked out again as they were then.
    pub(crate) fn plan_of(&self, record: &RequestRecord) -> Result<Plan, PlanError> {
        match self.provisioner.ledger().plan(&record.id) {
            Ok(Some(plan)) => Ok(plan),
            Ok(None) => legacy_plan(record),
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot read a grant's plan");
                legacy_plan(record)
            }
        }
    }

    /// The UPN of the acting identity the policy named.
    fn acting_upn(&self, record: &RequestRecord) -> Option<String> {
        match record.acting {
            Acting::Operator => self.operator.clone(),
            Acting::Approver => record.owner_approver().map(str::to_owned),
            Acting::Requester => Some(record.requester.upn.clone()),
        }
    }

    fn entra_id_of(&self, upn: &str) -> Option<String> {
        self.catalog
            .current()
            .person_by_address(upn)
            .map(|person| person.id.clone())
    }

    /// Who clicked, as the verified envelope says; `None` when their account cannot be read.
    async fn clicker(&self, user: &ChatUser, entra: Option<&EntraUser>) -> Option<Clicker> {
        let entra = match entra {
            Some(entra) => entra.clone(),
            None => self.identity.entra_of(user).ok().flatten()?,
        };
        let known = self
            .catalog
            .current()
            .person_by_id(&entra.id)
            .map(|person| person.upn.clone());
        let upn = match (entra.upn, known) {
            (Some(upn), _) | (None, Some(upn)) => upn,
            (None, None) => self.identity.upn_of(&entra.id).await?,
        };
        Some(Clicker {
            entra_id: entra.id,
            upn: upn.to_lowercase(),
        })
    }

    async fn say(&self, place: &Place, message: &Message) {
        self.courier.say(place, message).await;
    }

    fn audit(&self, record: &RequestRecord, kind: AuditKind, actor: &str, data: Value) {
        let entry = NewRecord {
            request_id: Some(record.id.clone()),
            kind,
            actor: actor.to_owned(),
            data,
        };
        if let Err(error) = self.audit.append(entry) {
            tracing::error!(%error, request = %record.id, "cannot audit a request step");
        }
    }
}

/// The steps of a request's grant as they would have been worked out before plans were kept
/// (no shared channels apart): for requests kept then.
pub(crate) fn legacy_plan(record: &RequestRecord) -> Result<Plan, PlanError> {
    provision::plan(Subject {
        resource: &record.resource,
        group_id: record.group_id.as_deref(),
        access: record.access,
        shared_channel: false,
        exchange_address: None,
    })
}

//! Drift repair: every `[lifecycle] reconcile_every`, Doorman's grants are compared with the
//! tenant (app-only reads), through the grant ledger.
//!
//! - An active grant whose access is gone (the fact that gives it, its plan's last step) was
//!   removed outside Doorman: Doorman removes nothing a grant covers, so that is true when
//!   said. The grant ends (`Revoking`, then `Ended` as "vanished"): what is left of it that no
//!   other grant covers is removed, and its requester is told.
//! - A fact no grant covers any more, removed (or owed a removal) within [`WATCH_ENDED_FOR`],
//!   that is present again is removed again under the identity revocation uses, decided under
//!   the fact's lock so that a grant claiming it meanwhile is never undone. A fact an active
//!   grant covers is never drift.
//!
//! Findings go to the audit chain and the `drift_found` metric. The same pass refreshes the
//! lifecycle gauges and forgets removed facts no longer watched.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::Requests;
use crate::approval;
use crate::audit::AuditKind;
use crate::domain::request::{EndCause, RequestRecord};
use crate::metrics::AgeLabels;
use crate::provision::{Holding, Repair};
use crate::requests::machine::Event;
use crate::scheduler::{Job, Outcome};

/// How long after its end an ended grant is still checked for access that came back.
const WATCH_ENDED_FOR: TimeDelta = TimeDelta::days(90);

impl Requests {
    /// Puts the reconciliation on the timers, unless it is there already.
    pub fn start_reconciling(&self) {
        let job = Job::Reconcile;
        match self.scheduler.due_at(&job.id()) {
            Ok(Some(_)) => {}
            Ok(None) => {
                if let Err(error) = self.scheduler.schedule(self.now(), job) {
                    tracing::error!(%error, "cannot schedule reconciliation");
                }
            }
            Err(error) => tracing::error!(%error, "cannot read the timers"),
        }
    }

    /// The `Reconcile` job: one pass over Doorman's grants, then again after the interval.
    pub(super) async fn reconcile(&self) -> Outcome {
        let next = self.now()
            + TimeDelta::from_std(self.reconcile_every).unwrap_or(TimeDelta::minutes(15));
        // What is active or in flight, by the indexes: not every request ever made.
        let (active, in_flight) = match (self.table.active(), self.table.in_flight()) {
            (Ok(active), Ok(in_flight)) => (active, in_flight),
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "cannot read requests to reconcile");
                return Outcome::RetryAt(next);
            }
        };
        self.publish_gauges(&active, &in_flight);
        for record in active {
            if record.extended_by.is_none() {
                self.notice_gone(record).await;
            }
        }
        let watched_since = self.now() - WATCH_ENDED_FOR;
        match self.provisioner.watched(watched_since) {
            Ok(watched) => {
                for holding in watched {
                    self.remove_again(&holding).await;
                }
            }
            Err(error) => tracing::error!(%error, "cannot read the grant ledger"),
        }
        if let Err(error) = self.provisioner.forget_removed_before(watched_since).await {
            tracing::warn!(%error, "cannot forget removals no longer watched");
        }
        if let Err(error) = self.forget_origins_before(self.now() - TimeDelta::days(1)) {
            tracing::warn!(%error, "cannot forget old deliveries' requests");
        }
        match self.provisioner.owed() {
            Ok(owed) => {
                self.metrics.access_uncovered.set(count(owed));
            }
            Err(error) => tracing::warn!(%error, "cannot count removals still owed"),
        }
        Outcome::RetryAt(next)
    }

    /// An active grant whose access is gone was removed outside Doorman: it ends here too.
    async fn notice_gone(&self, record: RequestRecord) {
        let Ok(plan) = self.plan_of(&record) else {
            return;
        };
        let Some(defining) = plan.defining() else {
            return;
        };
        match self
            .provisioner
            .present(&record.requester.entra_id, defining)
            .await
        {
            Ok(false) => {}
            Ok(true) => return,
            Err(error) => {
                tracing::warn!(%error, request = %record.id, "cannot read a grant back");
                return;
            }
        }
        let lock = self.lock_of(&record.id);
        let _one_at_a_time = lock.lock().await;
        let ending = Event::Ending {
            cause: EndCause::Vanished,
        };
        match self.apply(&record.id, &ending) {
            Ok(Ok(record)) => {
                self.metrics.drift_found.inc();
                tracing::warn!(request = %record.id, "a grant's access was removed outside Doorman");
                // What is left of it (a team membership a channel needed) goes the usual way.
                let _ = self.take_away(record, EndCause::Vanished).await;
            }
            Ok(Err(_)) => {}
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record a vanished grant");
            }
        }
    }

    /// A fact no grant covers that is present again is removed again, and reported.
    async fn remove_again(&self, holding: &Holding) {
        if !holding.step.is_access() {
            return;
        }
        let grant = match &holding.last_grant {
            Some(id) => self.get(id).ok().flatten(),
            None => None,
        };
        let hand = match &grant {
            Some(record) => self.revoking_hand(record).await,
            None => self.operator_hand(holding.step.operator_service()).await,
        };
        let Some(hand) = hand else {
            if holding.removal_owed {
                tracing::error!(fact = %holding.step.describe(), "no identity can remove access no grant covers");
            }
            return;
        };
        let mut repaired = self.provisioner.repair(holding, hand.signed()).await;
        let mut who = hand.who;
        // Someone who can no longer remove it (no longer an owner) leaves it to the operator.
        if matches!(repaired, Repair::Failed(_)) && self.operator.as_deref() != Some(who.as_str()) {
            if let Some(operator) = self.operator_hand(holding.step.operator_service()).await {
                repaired = self.provisioner.repair(holding, operator.signed()).await;
                who = operator.who;
            }
        }
        let Some(record) = grant else {
            return;
        };
        match repaired {
            Repair::Removed => {
                self.metrics.drift_found.inc();
                tracing::warn!(request = %record.id, "access that ended was present again, and is removed");
                self.audit(
                    &record,
                    AuditKind::Revoked,
                    &who,
                    json!({"drift": "present again after it ended", "removed": [holding.step.describe()], "verified_gone": true}),
                );
                self.say(&record.requester.place, &approval::removed_again(&record))
                    .await;
            }
            Repair::Failed(why) => {
                self.metrics.removals_failed.inc();
                tracing::error!(request = %record.id, why, "access no grant covers could not be removed");
                self.audit(
                    &record,
                    AuditKind::Failed,
                    &who,
                    json!({"drift": "present again after it ended", "removing": [holding.step.describe()], "why": why, "retry": true}),
                );
            }
            Repair::Absent | Repair::Covered => {}
        }
    }

    /// Grants active and ending within a day; approvals pending by how long they waited.
    fn publish_gauges(&self, active: &[RequestRecord], in_flight: &[RequestRecord]) {
        let now = self.now();
        let soon = now + TimeDelta::days(1);
        self.metrics.grants_active.set(count(active.len()));
        self.metrics.grants_expiring_soon.set(count(
            active
                .iter()
                .filter(|record| record.ends_at.is_some_and(|end| end <= soon))
                .count(),
        ));
        let mut ages = [0_usize; 3];
        for record in in_flight {
            if let Some((_, stage)) = record.current_stage() {
                let since = stage.opened_at.unwrap_or(record.created_at);
                ages[age_bucket(now, since)] += 1;
            }
        }
        for (bucket, label) in ["under_1h", "under_1d", "1d_or_more"]
            .into_iter()
            .enumerate()
        {
            self.metrics
                .approvals_pending
                .get_or_create(&AgeLabels {
                    age: label.to_owned(),
                })
                .set(count(ages[bucket]));
        }
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn age_bucket(now: DateTime<Utc>, since: DateTime<Utc>) -> usize {
    let waited = now - since;
    if waited < TimeDelta::hours(1) {
        0
    } else if waited < TimeDelta::days(1) {
        1
    } else {
        2
    }
}

//! Drift repair: every `[lifecycle] reconcile_every`, Doorman's grants are compared with the
//! tenant (app-only reads). An ended grant whose access is present again is removed again,
//! under the identity revocation uses, and reported; an active grant whose access is gone was
//! removed outside Doorman, so it is marked ended and its requester told. Findings go to the
//! audit chain and the `drift_found` metric. The same pass refreshes the lifecycle gauges.
//! Ended grants are watched for [`WATCH_ENDED_FOR`] after their end; after that, access that
//! appears is someone else's business, not a grant coming back.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::Requests;

/// How long after its end an ended grant is still checked for access that came back.
const WATCH_ENDED_FOR: TimeDelta = TimeDelta::days(90);
use super::lifecycle::made_by_this_request;
use crate::approval;
use crate::audit::AuditKind;
use crate::graph::AppToken;
use crate::metrics::AgeLabels;
use crate::provision::{self, Plan};
use crate::requests::record::{EndCause, RequestRecord, State};
use crate::scheduler::{Job, Outcome};

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
        let records = match self.all() {
            Ok(records) => records,
            Err(error) => {
                tracing::error!(%error, "cannot read requests to reconcile");
                return Outcome::RetryAt(next);
            }
        };
        self.publish_gauges(&records);
        let token = match self.app_tokens.token().await {
            Ok(token) => token,
            Err(error) => {
                tracing::warn!(%error, "no app-only token to reconcile with");
                return Outcome::RetryAt(next);
            }
        };
        let watched_since = self.now() - WATCH_ENDED_FOR;
        for record in records {
            let plan = made_by_this_request(&record);
            if plan.steps.is_empty() {
                continue;
            }
            match &record.state {
                State::Ended {
                    cause: EndCause::Expired | EndCause::Revoked { .. } | EndCause::Vanished,
                    at,
                } if *at >= watched_since => self.remove_again(&record, &plan, &token).await,
                State::Active if record.extended_by.is_none() => {
                    self.notice_gone(&record, &plan, &token).await;
                }
                _ => {}
            }
        }
        Outcome::RetryAt(next)
    }

    /// How many of the plan's effects are there for the requester; `None` when it cannot be
    /// read (then nothing is concluded).
    async fn present_count(
        &self,
        record: &RequestRecord,
        plan: &Plan,
        token: &AppToken,
    ) -> Option<usize> {
        let mut present = 0;
        for step in &plan.steps {
            match provision::present(&self.graph, token, step, &record.requester.entra_id).await {
                Ok(true) => present += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, request = %record.id, "cannot read a grant back");
                    return None;
                }
            }
        }
        Some(present)
    }

    /// An ended grant whose access came back is removed again, and reported.
    async fn remove_again(&self, record: &RequestRecord, plan: &Plan, token: &AppToken) {
        if self.present_count(record, plan, token).await.unwrap_or(0) == 0 {
            return;
        }
        self.metrics.drift_found.inc();
        tracing::warn!(request = %record.id, "access that ended is present again");
        let lock = self.lock_of(&record.id);
        let _one_at_a_time = lock.lock().await;
        let Some((who, delegated)) = self.revoking_token(record).await else {
            self.audit(
                record,
                AuditKind::Failed,
                "doorman",
                json!({"drift": "present again after it ended", "removing": plan.describe(),
                       "why": "no identity can remove it", "retry": true}),
            );
            return;
        };
        let undone =
            provision::undo(&self.graph, &delegated, plan, &record.requester.entra_id).await;
        let gone = provision::verify_gone(
            &self.graph,
            &self.app_tokens,
            plan,
            &record.requester.entra_id,
            std::time::Duration::from_secs(60),
        )
        .await
        .is_ok();
        self.audit(
            record,
            AuditKind::Revoked,
            &who,
            json!({"drift": "present again after it ended", "removed": undone, "verified_gone": gone}),
        );
    }

    /// An active grant whose access is gone was removed outside Doorman: it ends here too.
    async fn notice_gone(&self, record: &RequestRecord, plan: &Plan, token: &AppToken) {
        if self.present_count(record, plan, token).await != Some(0) {
            return;
        }
        let lock = self.lock_of(&record.id);
        let _one_at_a_time = lock.lock().await;
        let at = self.now();
        let ended = self.transition(&record.id, |mut current| {
            (current.state == State::Active).then(|| {
                current.state = State::Ended {
                    cause: EndCause::Vanished,
                    at,
                };
                current
            })
        });
        let record = match ended {
            Ok(Some(record)) => record,
            Ok(None) => return,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record a vanished grant");
                return;
            }
        };
        self.metrics.drift_found.inc();
        for job in [
            Job::Expire {
                request: record.id.clone(),
            },
            Job::RemindEnd {
                request: record.id.clone(),
            },
        ] {
            if let Err(error) = self.scheduler.cancel(&job.id()) {
                tracing::warn!(%error, request = %record.id, "cannot drop a vanished grant's timers");
            }
        }
        self.audit(
            &record,
            AuditKind::Revoked,
            "doorman",
            json!({"drift": "removed outside Doorman", "missing": plan.describe()}),
        );
        self.say(
            &record.requester.place,
            &approval::ended(&record, &EndCause::Vanished),
        )
        .await;
    }

    /// Grants active and ending within a day; approvals pending by how long they waited.
    fn publish_gauges(&self, records: &[RequestRecord]) {
        let now = self.now();
        let soon = now + TimeDelta::days(1);
        let active: Vec<&RequestRecord> = records
            .iter()
            .filter(|record| record.state == State::Active)
            .collect();
        self.metrics.grants_active.set(count(active.len()));
        self.metrics.grants_expiring_soon.set(count(
            active
                .iter()
                .filter(|record| record.ends_at.is_some_and(|end| end <= soon))
                .count(),
        ));
        let mut ages = [0_usize; 3];
        for record in records {
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

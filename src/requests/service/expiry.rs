//! A grant's end on the timers: scheduled when it is made (with the reminder before it), kept
//! when a restart finds it missing, dropped when the grant ends otherwise; and the `Expire`
//! job, which takes the grant away when its time is up.

use chrono::{DateTime, TimeDelta, Utc};

use super::Requests;
use super::lifecycle::TRY_AGAIN_IN;
use crate::approval;
use crate::domain::request::{EndCause, RequestRecord, State};
use crate::requests::machine::Event;
use crate::scheduler::{Job, Outcome};
use crate::store::StoreError;

impl Requests {
    /// Now, by the scheduler's clock.
    pub(super) fn now(&self) -> DateTime<Utc> {
        self.scheduler.now()
    }

    /// Puts the grant's end on the timers, and the reminder before it while that is still
    /// ahead (on disk before it returns).
    pub(super) fn schedule_end(&self, record: &RequestRecord) -> Result<(), StoreError> {
        let Some(end) = record.ends_at else {
            return Ok(());
        };
        self.scheduler.schedule(
            end,
            Job::Expire {
                request: record.id.clone(),
            },
        )?;
        let reminder = end - self.reminder_lead(record);
        if reminder > self.now() {
            self.scheduler.schedule(
                reminder,
                Job::RemindEnd {
                    request: record.id.clone(),
                },
            )?;
        }
        Ok(())
    }

    /// How long before its end a grant's requester is reminded: `[lifecycle] remind_before`,
    /// or half the grant when it is shorter than twice that.
    fn reminder_lead(&self, record: &RequestRecord) -> TimeDelta {
        let configured = TimeDelta::from_std(self.remind_before).unwrap_or(TimeDelta::days(1));
        let half = record
            .duration_seconds
            .and_then(|seconds| i64::try_from(seconds / 2).ok())
            .map(TimeDelta::seconds);
        match half {
            Some(half) if half < configured => half,
            _ => configured,
        }
    }

    /// The `RemindEnd` job: the requester of a grant that ends soon is told when, with an
    /// Extend button.
    pub(super) async fn remind_end(&self, id: &str) -> Outcome {
        let record = match self.get(id) {
            Ok(Some(record)) => record,
            Ok(None) => return Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot read a request to remind");
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            }
        };
        let ending = record.state == State::Active
            && record.extended_by.is_none()
            && record.ends_at.is_some_and(|end| end > self.now());
        if ending {
            self.say(&record.requester.place, &approval::ending_soon(&record))
                .await;
        }
        Outcome::Done
    }

    /// Takes a grant's end and its reminder off the timers: it is over.
    pub(super) fn drop_grant_timers(&self, id: &str) {
        let request = id.to_owned();
        for job in [
            Job::Expire {
                request: request.clone(),
            },
            Job::RemindEnd { request },
        ] {
            if let Err(error) = self.scheduler.cancel(&job.id()) {
                tracing::warn!(%error, request = id, "cannot drop a grant's timers");
            }
        }
    }

    /// An active grant with an end has its timer: a request made before timers existed, or
    /// one whose timer was lost, gets one.
    pub(super) fn keep_timers(&self, record: &RequestRecord) {
        if record.ends_at.is_none() {
            return;
        }
        let job = Job::Expire {
            request: record.id.clone(),
        };
        let kept = match self.scheduler.due_at(&job.id()) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => self.schedule_end(record),
            Err(error) => Err(error),
        };
        if let Err(error) = kept {
            tracing::error!(%error, request = %record.id, "cannot keep a grant's end on the timers");
        }
    }

    /// The `Expire` job: a grant whose time is up is taken away.
    pub(super) async fn expire(&self, id: &str) -> Outcome {
        let lock = self.lock_of(id);
        let _one_at_a_time = lock.lock().await;
        let record = match self.get(id) {
            Ok(Some(record)) => record,
            Ok(None) => return Outcome::Done,
            Err(error) => {
                tracing::error!(%error, request = id, "cannot read a request to expire");
                return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
            }
        };
        match record.state.clone() {
            State::Active => {
                if let Some(end) = record.ends_at.filter(|end| *end > self.now()) {
                    // Its end moved.
                    return Outcome::RetryAt(end);
                }
                if let Some(successor) = &record.extended_by {
                    // An approved extension is taking it over: nothing is removed, unless
                    // that extension never got anywhere.
                    match self.get(successor) {
                        Ok(Some(next)) if next.state == State::Active => {
                            self.close_extended(&record, successor).await;
                            return Outcome::Done;
                        }
                        Ok(Some(next)) if matches!(next.state, State::Provisioning { .. }) => {
                            return Outcome::RetryAt(self.now() + TRY_AGAIN_IN);
                        }
                        _ => {}
                    }
                }
                let ending = Event::Ending {
                    cause: EndCause::Expired,
                };
                match self.apply(id, &ending) {
                    Ok(Ok(record)) => self.take_away(record, EndCause::Expired).await,
                    Ok(Err(_)) => Outcome::Done,
                    Err(error) => {
                        tracing::error!(%error, request = id, "cannot record an expiry");
                        Outcome::RetryAt(self.now() + TRY_AGAIN_IN)
                    }
                }
            }
            // Still being made: it ends as soon as it is there.
            State::Provisioning { .. } => Outcome::RetryAt(self.now() + TRY_AGAIN_IN),
            State::Revoking { cause } => self.take_away(record, cause).await,
            _ => Outcome::Done,
        }
    }
}

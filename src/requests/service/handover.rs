//! An extension taking its grant over: the new request inherits what the old one holds, in
//! the grant ledger and on the timers, and the old one ends as extended, with nothing removed.

use serde_json::json;

use super::Requests;
use crate::approval;
use crate::audit::AuditKind;
use crate::domain::request::{EndCause, RequestRecord, State};
use crate::requests::machine::Event;

impl Requests {
    /// An approved extension takes its grant over: the access stays as it is, the extension
    /// holds it (with what the grant made, and who made it) until its own end, and the old
    /// grant ends as "extended". Returns false when there is no active grant to take over (it
    /// ended before the extension was approved): the extension is then made as a new grant.
    ///
    /// Crash-safe by order: the old grant first names its successor (its end then removes
    /// nothing), then the extension becomes active, then the old grant ends.
    pub(super) async fn hand_over(&self, record: &RequestRecord, from: &str) -> bool {
        let lock = self.lock_of(from);
        let _one_at_a_time = lock.lock().await;
        let Ok(Some(original)) = self.get(from) else {
            return false;
        };
        let ours = original.extended_by.as_deref() == Some(record.id.as_str());
        let taken_over = matches!(
            &original.state,
            State::Ended { cause: EndCause::Extended { into }, .. } if *into == record.id
        );
        if !(original.state == State::Active || taken_over) {
            return false;
        }
        if !ours && !taken_over {
            let named = self.apply(
                from,
                &Event::ExtendedBy {
                    successor: record.id.clone(),
                },
            );
            match named {
                Ok(Ok(_)) => {}
                Ok(Err(_)) => return false,
                Err(error) => {
                    tracing::error!(%error, request = %record.id, "cannot hand a grant over");
                    return true;
                }
            }
        }
        // The extension covers every fact the grant covers before the grant lets go of any.
        let plan = self.plan_of(&original).unwrap_or_default();
        if let Err(error) = self
            .provisioner
            .hand_over(from, &record.id, &original.requester.entra_id, &plan)
            .await
        {
            tracing::error!(%error, request = %record.id, "cannot hand a grant's access over");
            return true;
        }
        if let Err(error) = self.provisioner.ledger().fix_plan(&record.id, &plan) {
            tracing::error!(%error, request = %record.id, "cannot keep an extension's plan");
            return true;
        }
        let took_over = Event::TookOver {
            made_steps: original.made_steps.clone(),
            made_by: original.made_by.clone(),
            acting: original.acting,
        };
        let active = match self.apply(&record.id, &took_over) {
            Ok(Ok(active)) => active,
            Ok(Err(_)) => return true,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot hand a grant over");
                return true;
            }
        };
        if let Err(error) = self.schedule_end(&active) {
            tracing::error!(%error, request = %record.id, "cannot schedule the extended end");
        }
        self.close_extended(&original, &record.id).await;
        self.audit(
            &active,
            AuditKind::Extended,
            "doorman",
            json!({"extends": from, "ends_at": active.ends_at, "was_until": original.ends_at}),
        );
        self.say(&active.requester.place, &approval::extended(&active, from))
            .await;
        true
    }

    /// The old grant of an extension that is active: the ledger lets go of it (the extension
    /// covers all it covered, so nothing is removed), and it ends as "extended".
    pub(super) async fn close_extended(&self, original: &RequestRecord, into: &str) {
        let plan = self.plan_of(original).unwrap_or_default();
        let released = self
            .provisioner
            .release(&original.id, &original.requester.entra_id, &plan, None)
            .await;
        if !released.is_complete() {
            tracing::error!(request = %original.id, "an extended grant could not let go of its access");
            return;
        }
        let handed = Event::HandedOver {
            into: into.to_owned(),
            at: self.now(),
        };
        match self.apply(&original.id, &handed) {
            Ok(Ok(_)) => self.drop_grant_timers(&original.id),
            Ok(Err(_)) => {}
            Err(error) => {
                tracing::error!(%error, request = %original.id, "cannot end an extended grant");
            }
        }
    }
}

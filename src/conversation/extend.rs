//! "Extend", from the reminder before a grant's end: its requester asks for more time.
//!
//! Policy decides the grant as a whole again, so its maximum duration counts from the grant's
//! start, not from the extension; the approvals it needs are asked for like any request's. An
//! approved extension takes the grant over without a gap (see `Requests::hand_over`). Only the
//! requester, identified from the verified envelope, may extend; the card's data names the
//! request only.

use chrono::TimeDelta;
use serde_json::Value;

use super::Conversation;
use super::replies::{self, extending};
use crate::domain::chat::{ChatAction, Message};
use crate::intake::Decided;
use crate::intent::{AccessRequest, Change, Intent, Terms};
use crate::policy::Decision;
use crate::requests::{Extension, RequestRecord, State};

impl Conversation {
    /// A click on Extend. Everything is said beside the card; the card stays as it is.
    pub(super) async fn extend(&self, action: &ChatAction) -> Option<Message> {
        let said = self.try_extend(action).await;
        self.say(&action.place, &said).await;
        None
    }

    async fn try_extend(&self, action: &ChatAction) -> Message {
        let Some(id) = action.data.get("request").and_then(Value::as_str) else {
            return replies::inactive_button();
        };
        let record = match self.requests.get(id) {
            Ok(Some(record)) => record,
            Ok(None) => return replies::inactive_button(),
            Err(error) => {
                tracing::error!(%error, request = id, "cannot read a request to extend");
                return replies::trouble();
            }
        };
        let entra = match &action.sender.entra {
            Some(entra) => Some(entra.clone()),
            None => self.identity.entra_of(&action.sender.user).ok().flatten(),
        };
        let is_requester = entra
            .as_ref()
            .is_some_and(|entra| entra.id.eq_ignore_ascii_case(&record.requester.entra_id));
        if !is_requester {
            return extending::only_the_requester(&record);
        }
        if record.state != State::Active || record.extended_by.is_some() {
            return extending::not_active(&record);
        }
        if let Some(pending) = self.requests.extension_of(&record) {
            return extending::asked_already(&record, &pending);
        }
        let (Some(end), Some(seconds)) = (record.ends_at, record.duration_seconds) else {
            return extending::no_end(&record);
        };
        let span = i64::try_from(seconds)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .unwrap_or(TimeDelta::zero());
        let start = end - span;
        // The grant as a whole: from its start to one more of its spans past its end.
        let whole = (end + span - start).num_seconds();
        self.decide_extension(
            action,
            &record,
            start,
            u64::try_from(whole).unwrap_or(seconds),
        )
        .await
    }

    async fn decide_extension(
        &self,
        action: &ChatAction,
        record: &RequestRecord,
        start: chrono::DateTime<chrono::Utc>,
        whole_seconds: u64,
    ) -> Message {
        let upn = record.requester.upn.clone();
        let request = AccessRequest {
            change: Change::Grant,
            resource: record.resource.clone(),
            access: record.access,
            terms: Terms {
                access_words: Vec::new(),
                duration_seconds: Some(whole_seconds),
                reason: record.reason.clone(),
                on_behalf_of: None,
            },
        };
        // Right after a start the catalog may not be read yet; deciding against an empty one
        // would refuse the extension of a resource Doorman knows ("no resource called ...").
        let loaded = self.catalog.status().has_catalog()
            || tokio::time::timeout(super::requests::WAIT_FOR_CATALOG, self.catalog.loaded())
                .await
                .is_ok();
        if !loaded {
            return replies::catalog_loading();
        }
        let now = chrono::Utc::now();
        let recent = self.rate.recent(&upn, now).unwrap_or(0);
        let catalog = self.catalog.current();
        let decided = self
            .intake
            .decide(
                &catalog,
                &upn,
                self.port.home_tenant(&action.sender.user).as_deref(),
                &Intent::Access(request.clone()),
                recent,
                now,
            )
            .await;
        let grant = match decided {
            Ok(Some(Decided {
                decision: Decision::Allow(grant),
                ..
            })) => grant,
            Ok(Some(Decided {
                decision: Decision::Deny(denial),
                ..
            })) => {
                return extending::refused(record, &denial.message);
            }
            Ok(None) | Err(_) => return replies::trouble(),
        };
        if grant.access.is_some_and(|access| access != record.access) {
            return extending::level_not_allowed(record);
        }
        let new_end = match grant.duration {
            Some(total) => start + TimeDelta::from_std(total).unwrap_or(TimeDelta::zero()),
            None => start + TimeDelta::seconds(i64::try_from(whole_seconds).unwrap_or(0)),
        };
        let Some(end) = record.ends_at.filter(|end| new_end > *end) else {
            return extending::no_more_time(record);
        };
        let mut requester = record.requester.clone();
        requester.place = action.place.clone();
        let sentence = Decision::Allow(grant.clone()).sentence();
        let started = self
            .requests
            .start(
                requester,
                &request,
                &grant,
                sentence,
                Some(Extension {
                    of: record.id.clone(),
                    ends_at: new_end,
                }),
                Some(&format!("{}|{}", action.sender.user.key(), action.id)),
            )
            .await;
        match started {
            Ok(extension) => {
                self.requests.advance_apart(&extension.id);
                extending::asked(&extension, record, end, new_end, grant.stages.is_empty())
            }
            Err(error) => {
                tracing::warn!(%error, request = %record.id, "cannot start an extension");
                extending::cannot_start(record, &error)
            }
        }
    }
}

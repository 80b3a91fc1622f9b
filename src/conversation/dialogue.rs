//! What the conversation remembers between two messages of one request: a question "which one
//! did you mean?" waiting for its click, and an understood request waiting for its reason. Both
//! are durable (a restart between question and answer loses nothing) and short-lived.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::intent::{AccessRequest, Change, ResourceRef, Terms};
use crate::store::{Domain, Store, StoreError, Table};

/// A question or a wait older than this is stale: the person has moved on.
pub const ANSWER_WITHIN: Duration = Duration::hours(24);

/// A question "which one did you mean?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clarification {
    /// The chat user who asked (`ChatUser::key`): only they may answer.
    pub asker: String,
    /// The asker's Entra object id and UPN when asked.
    pub entra_id: String,
    pub upn: String,
    pub change: Change,
    pub candidates: Vec<ResourceRef>,
    pub terms: Terms,
    pub asked_at: DateTime<Utc>,
    /// Set once answered: a question is answered once.
    #[serde(default)]
    pub chosen: Option<usize>,
}

/// An understood request waiting for the reason policy requires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingReason {
    pub request: AccessRequest,
    pub asked_at: DateTime<Utc>,
}

/// Why an answer to a question was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerRefused {
    Unknown,
    NotYours,
    AlreadyAnswered,
    Expired,
    NoSuchChoice,
}

#[derive(Clone)]
pub struct Dialogue {
    store: Arc<dyn Store>,
    clarifications: Table<String, Clarification>,
    reasons: Table<String, AwaitingReason>,
    /// Answers are checked and recorded under one lock, so two clicks cannot both be first.
    answering: Arc<tokio::sync::Mutex<()>>,
}

impl Dialogue {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        Ok(Dialogue {
            clarifications: Table::open(store.as_ref(), Domain::Clarifications)?,
            reasons: Table::open(store.as_ref(), Domain::AwaitingReasons)?,
            store,
            answering: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Keeps a question; returns its id, which the buttons carry.
    pub fn ask(&self, clarification: &Clarification) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        self.clarifications.insert(&id, clarification)?;
        self.store.flush()?;
        Ok(id)
    }

    /// Takes the answer `choice` to question `id` from chat user `who`, once.
    pub async fn answer(
        &self,
        id: &str,
        who: &str,
        choice: usize,
        now: DateTime<Utc>,
    ) -> Result<Result<Clarification, AnswerRefused>, StoreError> {
        let _one_at_a_time = self.answering.lock().await;
        let Some(mut clarification) = self.clarifications.get(&id.to_owned())? else {
            return Ok(Err(AnswerRefused::Unknown));
        };
        if clarification.asker != who {
            return Ok(Err(AnswerRefused::NotYours));
        }
        if clarification.chosen.is_some() {
            return Ok(Err(AnswerRefused::AlreadyAnswered));
        }
        if now - clarification.asked_at > ANSWER_WITHIN {
            return Ok(Err(AnswerRefused::Expired));
        }
        if choice >= clarification.candidates.len() {
            return Ok(Err(AnswerRefused::NoSuchChoice));
        }
        clarification.chosen = Some(choice);
        self.clarifications.insert(&id.to_owned(), &clarification)?;
        self.store.flush()?;
        Ok(Ok(clarification))
    }

    /// Remembers that `who` owes a reason for `request` (replacing an earlier wait).
    pub fn await_reason(&self, who: &str, request: &AccessRequest) -> Result<(), StoreError> {
        self.reasons.insert(
            &who.to_owned(),
            &AwaitingReason {
                request: request.clone(),
                asked_at: Utc::now(),
            },
        )?;
        self.store.flush()
    }

    /// Takes the request waiting for `who`'s reason, if a fresh one is.
    pub fn take_awaiting(
        &self,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AccessRequest>, StoreError> {
        let taken = self.reasons.remove(&who.to_owned())?;
        if taken.is_some() {
            self.store.flush()?;
        }
        Ok(taken
            .filter(|waiting| now - waiting.asked_at <= ANSWER_WITHIN)
            .map(|waiting| waiting.request))
    }

    /// Drops questions and waits older than [`ANSWER_WITHIN`]; returns how many.
    pub fn forget_stale(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let stale_questions: Vec<String> = self
            .clarifications
            .iter()
            .filter_map(Result::ok)
            .filter(|(_, question)| now - question.asked_at > ANSWER_WITHIN * 2)
            .map(|(id, _)| id)
            .collect();
        let stale_waits: Vec<String> = self
            .reasons
            .iter()
            .filter_map(Result::ok)
            .filter(|(_, waiting)| now - waiting.asked_at > ANSWER_WITHIN)
            .map(|(who, _)| who)
            .collect();
        for id in &stale_questions {
            self.clarifications.remove(id)?;
        }
        for who in &stale_waits {
            self.reasons.remove(who)?;
        }
        Ok(stale_questions.len() + stale_waits.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resource::{Access, ResourceKind};
    use crate::store::SledStore;

    fn question(asker: &str, at: DateTime<Utc>) -> Clarification {
        Clarification {
            asker: asker.into(),
            entra_id: "oid".into(),
            upn: "tom@contoso.com".into(),
            change: Change::Grant,
            candidates: vec![
                ResourceRef {
                    kind: ResourceKind::Team,
                    id: "t".into(),
                    name: "Marketing".into(),
                },
                ResourceRef {
                    kind: ResourceKind::Site,
                    id: "s".into(),
                    name: "Marketing".into(),
                },
            ],
            terms: Terms::default(),
            asked_at: at,
            chosen: None,
        }
    }

    #[tokio::test]
    async fn a_question_is_answered_once_by_its_asker_and_survives_a_restart() {
        let dir = tempfile::tempdir().expect("dir");
        let now = Utc::now();
        let id = {
            let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("store"));
            Dialogue::open(store)
                .expect("open")
                .ask(&question("slack:T1/U1", now))
                .expect("ask")
        };
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("reopen"));
        let dialogue = Dialogue::open(store).expect("open");
        let answer = |who: &'static str, choice| {
            let dialogue = dialogue.clone();
            let id = id.clone();
            async move { dialogue.answer(&id, who, choice, now).await.expect("store") }
        };
        assert_eq!(answer("slack:T1/U2", 0).await, Err(AnswerRefused::NotYours));
        assert_eq!(
            answer("slack:T1/U1", 7).await,
            Err(AnswerRefused::NoSuchChoice)
        );
        assert_eq!(
            answer("slack:T1/U1", 1)
                .await
                .map(|answered| answered.chosen),
            Ok(Some(1))
        );
        assert_eq!(
            answer("slack:T1/U1", 0).await,
            Err(AnswerRefused::AlreadyAnswered)
        );
        assert_eq!(
            dialogue
                .answer("nope", "slack:T1/U1", 0, now)
                .await
                .expect("store"),
            Err(AnswerRefused::Unknown)
        );
        let old = dialogue
            .ask(&question("slack:T1/U1", now - Duration::days(2)))
            .expect("ask");
        assert_eq!(
            dialogue
                .answer(&old, "slack:T1/U1", 0, now)
                .await
                .expect("store"),
            Err(AnswerRefused::Expired)
        );
    }

    #[test]
    fn a_reason_is_awaited_once() {
        let dir = tempfile::tempdir().expect("dir");
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("store"));
        let dialogue = Dialogue::open(store).expect("open");
        let request = AccessRequest {
            change: Change::Grant,
            resource: ResourceRef {
                kind: ResourceKind::Group,
                id: "g".into(),
                name: "VPN Users".into(),
            },
            access: Access::Member,
            terms: Terms::default(),
        };
        dialogue.await_reason("teams:oid", &request).expect("await");
        let now = Utc::now();
        assert_eq!(
            dialogue.take_awaiting("teams:oid", now).expect("take"),
            Some(request)
        );
        assert_eq!(
            dialogue.take_awaiting("teams:oid", now).expect("take"),
            None
        );
    }
}

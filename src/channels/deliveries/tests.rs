//! The ledger over a real store, reopened as a restart would: each delivery is new once, and one
//! accepted but not done is handed on exactly once after the restart.

use std::sync::{Mutex, PoisonError};

use serde_json::json;
use tokio::sync::Notify;

use super::*;
use crate::domain::chat::{
    BoxFuture, Channel, ChatAction, ChatError, ChatMessage, ChatUser, Contact, Message, Place,
    Sender, SentMessage, Verb,
};
use crate::store::SledStore;

fn sender() -> Sender {
    Sender {
        user: ChatUser {
            channel: Channel::Slack,
            tenant: "T1".into(),
            id: "U1".into(),
        },
        entra: None,
        display_name: None,
    }
}

fn place() -> Place {
    Place {
        channel: Channel::Slack,
        reference: json!({"channel": "D1"}),
    }
}

fn message(id: &str, text: &str) -> Inbound {
    Inbound::Message(ChatMessage {
        id: id.into(),
        sender: sender(),
        place: place(),
        text: text.into(),
        received_at: Utc::now(),
    })
}

fn open(dir: &std::path::Path) -> Deliveries {
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir).expect("store"));
    Deliveries::open(store, dir).expect("ledger")
}

/// Records what it is handed; answers clicks with "done".
#[derive(Default)]
struct Recorder {
    handled: Mutex<Vec<Inbound>>,
}

impl Recorder {
    fn handled(&self) -> Vec<Inbound> {
        self.handled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, item: Inbound) {
        self.handled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(item);
    }
}

impl InboundHandler for Recorder {
    fn message(&self, message: ChatMessage) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.record(Inbound::Message(message)) })
    }

    fn action(&self, action: ChatAction) -> BoxFuture<'_, Option<Message>> {
        Box::pin(async move {
            self.record(Inbound::Action(action));
            Some(Message::text("done"))
        })
    }

    fn installed(&self, sender: Sender, place: Place) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.record(Inbound::Installed { sender, place }) })
    }
}

/// A port that records the messages it is asked to update.
#[derive(Default)]
struct Updates(Mutex<Vec<(SentMessage, Message)>>);

impl ChatPort for Updates {
    fn send<'a>(
        &'a self,
        place: &'a Place,
        _message: &'a Message,
    ) -> BoxFuture<'a, Result<SentMessage, ChatError>> {
        Box::pin(async move {
            Ok(SentMessage {
                place: place.clone(),
                id: "1".into(),
            })
        })
    }

    fn update<'a>(
        &'a self,
        sent: &'a SentMessage,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<(), ChatError>> {
        Box::pin(async move {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((sent.clone(), message.clone()));
            Ok(())
        })
    }

    fn open_direct<'a>(&'a self, _person: &'a ChatUser) -> BoxFuture<'a, Result<Place, ChatError>> {
        Box::pin(async { Ok(place()) })
    }

    fn contact<'a>(&'a self, _person: &'a ChatUser) -> BoxFuture<'a, Result<Contact, ChatError>> {
        Box::pin(async { Ok(Contact::default()) })
    }

    fn typing<'a>(&'a self, _place: &'a Place) -> BoxFuture<'a, Result<(), ChatError>> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn a_delivery_is_new_once_even_after_reopening_the_store() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let deliveries = open(dir.path());
        let hello = message("Ev1", "hello");
        assert!(
            deliveries
                .accept("slack:Ev1", &hello)
                .await
                .expect("accept")
        );
        assert!(
            !deliveries
                .accept("slack:Ev1", &hello)
                .await
                .expect("accept")
        );
        assert!(
            deliveries
                .accept("teams:Ev1", &hello)
                .await
                .expect("accept"),
            "platforms do not collide"
        );
        deliveries.done("slack:Ev1").await.expect("done");
        assert!(
            !deliveries
                .accept("slack:Ev1", &hello)
                .await
                .expect("accept"),
            "a delivery done stays seen"
        );
    }
    let deliveries = open(dir.path());
    assert!(
        !deliveries
            .accept("slack:Ev1", &message("Ev1", "hello"))
            .await
            .expect("accept"),
        "a restart remembers"
    );
    let hour = Duration::from_secs(3600);
    assert_eq!(deliveries.forget_older_than(hour).await.expect("forget"), 0);
    let all = Duration::ZERO;
    assert_eq!(deliveries.forget_older_than(all).await.expect("forget"), 2);
}

#[tokio::test]
async fn a_delivery_accepted_but_not_done_before_a_restart_is_handled_once_after_it() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let deliveries = open(dir.path());
        let first = message("Ev1", "first");
        let second = message("Ev2", "second");
        for (key, item) in [("slack:Ev1", &first), ("slack:Ev2", &second)] {
            assert!(deliveries.accept(key, item).await.expect("accept"));
        }
        let handled = deliveries.spawn("slack:Ev2".into(), async {});
        handled.await.expect("handled");
        // The process stops here, before Ev1 was handled.
    }
    let recorder = Arc::new(Recorder::default());
    let port: Arc<dyn ChatPort> = Arc::new(Updates::default());
    {
        let deliveries = open(dir.path());
        let unfinished = deliveries.unfinished().await.expect("unfinished");
        assert_eq!(
            unfinished,
            vec![("slack:Ev1".to_owned(), message_like(&unfinished, "first"))]
        );
        assert!(
            !deliveries
                .accept("slack:Ev1", &message("Ev1", "first"))
                .await
                .expect("accept"),
            "a redelivery of the unfinished one is not handled besides the replay"
        );
        deliveries
            .replay(unfinished, recorder.clone(), Arc::clone(&port))
            .await;
        assert_eq!(recorder.handled().len(), 1);
        assert!(matches!(&recorder.handled()[0], Inbound::Message(m) if m.text == "first"));
        assert!(deliveries.unfinished().await.expect("read").is_empty());
    }
    let deliveries = open(dir.path());
    let unfinished = deliveries.unfinished().await.expect("unfinished");
    assert!(
        unfinished.is_empty(),
        "handled once, not again: {unfinished:?}"
    );
}

/// The item of the only unfinished entry, checked to carry `text`.
fn message_like(unfinished: &[(String, Inbound)], text: &str) -> Inbound {
    match unfinished.first() {
        Some((_, item @ Inbound::Message(message))) if message.text == text => item.clone(),
        other => panic!("expected the message {text:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_replayed_click_updates_the_clicked_card_with_the_answer() {
    let dir = tempfile::tempdir().expect("dir");
    let deliveries = open(dir.path());
    let card = SentMessage {
        place: place(),
        id: "1700000000.000100".into(),
    };
    let click = Inbound::Action(ChatAction {
        id: "trigger:0".into(),
        sender: sender(),
        place: place(),
        verb: Verb::Approve,
        data: json!({"request": "r1"}),
        inputs: serde_json::Map::new(),
        card: Some(card.clone()),
    });
    assert!(
        deliveries
            .accept("slack:trigger:0", &click)
            .await
            .expect("accept")
    );
    let unfinished = deliveries.unfinished().await.expect("unfinished");
    let updates = Arc::new(Updates::default());
    deliveries
        .replay(unfinished, Arc::new(Recorder::default()), updates.clone())
        .await;
    let updated = updates
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(updated, vec![(card, Message::text("done"))]);
}

#[tokio::test]
async fn a_delivery_that_cannot_be_written_is_not_remembered_so_its_retry_is_new() {
    let dir = tempfile::tempdir().expect("dir");
    let deliveries = open(dir.path());
    let hello = message("Ev1", "hello");
    deliveries.ledger.log.fail_writes(true);
    assert!(deliveries.accept("slack:Ev1", &hello).await.is_err());
    deliveries.ledger.log.fail_writes(false);
    assert!(
        deliveries
            .accept("slack:Ev1", &hello)
            .await
            .expect("accept"),
        "the retry is handled, not swallowed"
    );
}

#[tokio::test]
async fn a_duplicate_arriving_while_the_first_is_written_is_refused_not_acknowledged() {
    let dir = tempfile::tempdir().expect("dir");
    let deliveries = open(dir.path());
    let hello = message("Ev1", "hello");
    // The first delivery's record is on its way to disk, as `accept` leaves it until the sync
    // answers.
    {
        let mut index = deliveries.ledger.index();
        index.recording.insert("slack:Ev1".to_owned());
        index.entries.insert(
            "slack:Ev1".to_owned(),
            Entry {
                state: State::Accepted,
                item: Some(Box::new(hello.clone())),
                seen: Utc::now(),
            },
        );
    }
    let duplicate = deliveries.accept("slack:Ev1", &hello).await;
    assert!(
        matches!(duplicate, Err(LedgerError::StillRecording)),
        "the duplicate is refused, so the service delivers it again: {duplicate:?}"
    );
    // The first write failed: the key is taken back, and the next delivery is new.
    {
        let mut index = deliveries.ledger.index();
        index.recording.remove("slack:Ev1");
        index.entries.remove("slack:Ev1");
    }
    assert!(
        deliveries
            .accept("slack:Ev1", &hello)
            .await
            .expect("accept"),
        "that delivery is handled"
    );
    assert!(
        deliveries.ledger.index().recording.is_empty(),
        "a finished write is no longer being recorded"
    );
    assert!(
        !deliveries
            .accept("slack:Ev1", &hello)
            .await
            .expect("accept"),
        "and a redelivery after it is dropped"
    );
}

#[tokio::test]
async fn entries_an_older_build_kept_in_the_store_are_taken_over_once() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("store"));
        let older = crate::store::Table::<String, Entry>::open(store.as_ref(), Domain::Deliveries)
            .expect("table");
        let accepted = Entry {
            state: State::Accepted,
            item: Some(Box::new(message("Ev1", "left by the older build"))),
            seen: Utc::now(),
        };
        let done = Entry {
            state: State::Done,
            item: None,
            seen: Utc::now(),
        };
        older
            .insert(&"slack:Ev1".to_owned(), &accepted)
            .expect("insert");
        older
            .insert(&"slack:Ev2".to_owned(), &done)
            .expect("insert");
        store.flush().expect("flush");
    }
    {
        let deliveries = open(dir.path());
        let unfinished = deliveries.unfinished().await.expect("unfinished");
        assert_eq!(unfinished.len(), 1);
        assert_eq!(
            unfinished[0],
            (
                "slack:Ev1".to_owned(),
                message_like(&unfinished, "left by the older build")
            )
        );
        assert!(
            !deliveries
                .accept("slack:Ev2", &message("Ev2", "again"))
                .await
                .expect("accept"),
            "a delivery the older build handled stays seen"
        );
    }
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("store"));
    assert!(
        store.tree(Domain::Deliveries).expect("tree").is_empty(),
        "taken out of the store"
    );
    let deliveries = Deliveries::open(store, dir.path()).expect("ledger");
    assert_eq!(deliveries.unfinished().await.expect("unfinished").len(), 1);
}

#[tokio::test]
async fn shutdown_waits_for_running_handlers_but_not_forever() {
    let dir = tempfile::tempdir().expect("dir");
    let deliveries = open(dir.path());
    assert!(deliveries.wait_idle(Duration::ZERO).await, "idle at first");
    deliveries
        .accept("slack:Ev1", &message("Ev1", "slow"))
        .await
        .expect("accept");
    let release = Arc::new(Notify::new());
    let held = Arc::clone(&release);
    let handling = deliveries.spawn("slack:Ev1".into(), async move { held.notified().await });
    assert!(
        !deliveries.wait_idle(Duration::from_millis(50)).await,
        "the wait is bounded"
    );
    release.notify_one();
    assert!(deliveries.wait_idle(Duration::from_secs(5)).await);
    handling.await.expect("finished");
    assert!(deliveries.unfinished().await.expect("read").is_empty());
}

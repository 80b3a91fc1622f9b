//! The delivery ledger's own file (`deliveries.log` in the storage folder) through the doors a
//! user has: Slack events into the bot, the daemon killed outright and started again, and a
//! store an older build left. An acknowledged event is answered even when the bot is killed
//! before it could answer; a record torn by a crash does not keep the daemon from starting; a
//! redelivery after the restart is dropped; entries an older build kept in the store survive
//! the upgrade.

use std::io::Write;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::app::TestApp;

const MARIA: &str = "U03MARIA";

/// Sends `text` as Maria (a new Slack event, or Slack's retry of `event_id`); returns the event
/// id and the status the bot acknowledged it with.
async fn slack_event(app: &TestApp, text: &str, event_id: Option<&str>) -> (String, Value) {
    let mut event = json!({"user": MARIA, "text": text});
    if let Some(id) = event_id {
        event["event_id"] = json!(id);
        event["retry"] = json!(1);
    }
    let answer = app
        .sim
        .control(Method::POST, "slack/message", Some(event))
        .await;
    let id = answer.body["event_id"]
        .as_str()
        .or(event_id)
        .expect("an event id")
        .to_owned();
    (id, answer.body["status"].clone())
}

/// What Maria has been sent, after a moment for anything still on its way.
async fn maria_after_a_moment(app: &TestApp) -> Vec<Value> {
    tokio::time::sleep(Duration::from_millis(800)).await;
    app.slack_seen(MARIA).await
}

#[tokio::test]
async fn an_event_acknowledged_before_a_kill_is_answered_once_after_the_restart() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.start_process().await;
    // Slack's Web API answers nothing for a minute: the bot acknowledges the event and is
    // killed while its answer is on the way.
    app.sim.faults(json!({"chat_latency_ms": 60_000})).await;
    let (event, status) = slack_event(&app, "hello", None).await;
    assert_eq!(status, 200, "acknowledged");
    app.kill().await;
    assert!(app.slack_seen(MARIA).await.is_empty(), "not answered yet");

    app.sim.faults(json!({"chat_latency_ms": 0})).await;
    app.start_process().await;
    let seen = app.more_than(0, || app.slack_seen(MARIA)).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    let (_, status) = slack_event(&app, "hello", Some(&event)).await;
    assert_eq!(status, 200, "a redelivery is acknowledged");
    let seen = maria_after_a_moment(&app).await;
    assert_eq!(
        seen.len(),
        1,
        "and dropped: one answer for one event: {seen:?}"
    );
}

#[tokio::test]
async fn a_record_torn_by_a_kill_is_cut_and_the_daemon_starts_remembering_the_rest() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.start_process().await;
    let (event, _) = slack_event(&app, "hello", None).await;
    app.more_than(0, || app.slack_seen(MARIA)).await;
    app.kill().await;
    // A record cut short by the kill: its frame announces 64 bytes, 3 made it to the file.
    let log = app.storage_path().join("deliveries.log");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("the ledger's file");
    file.write_all(&[64, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, b'{', b'"', b'k'])
        .expect("torn tail");
    drop(file);

    app.start_process().await;
    let (_, status) = slack_event(&app, "hello", Some(&event)).await;
    assert_eq!(status, 200);
    let seen = maria_after_a_moment(&app).await;
    assert_eq!(
        seen.len(),
        1,
        "the event before the tear is remembered: {seen:?}"
    );
    slack_event(&app, "hello again", None).await;
    app.more_than(1, || app.slack_seen(MARIA)).await;
}

/// A Slack message from Maria as the ledger keeps it: the normalised delivery.
fn maria_says(app: &TestApp, id: &str, text: &str) -> doorman::domain::chat::Inbound {
    use doorman::domain::chat::{Channel, ChatMessage, ChatUser, Inbound, Place, Sender};
    let slack = &app.sim.state.slack;
    Inbound::Message(ChatMessage {
        id: id.into(),
        sender: Sender {
            user: ChatUser {
                channel: Channel::Slack,
                tenant: slack.team_id.clone(),
                id: MARIA.into(),
            },
            entra: None,
            display_name: None,
        },
        place: Place {
            channel: Channel::Slack,
            reference: json!({"channel": slack.dm_id(MARIA)}),
        },
        text: text.into(),
        received_at: chrono::Utc::now(),
    })
}

#[tokio::test]
async fn deliveries_an_older_build_recorded_in_the_store_survive_the_upgrade() {
    use doorman::store::{Domain, SledStore, Store, Table};

    let mut app = TestApp::spawn().await;
    app.stop().await;
    // What an older build left: the ledger in the store's `deliveries` tree, no ledger file;
    // one event answered (done), one acknowledged but not yet answered (accepted).
    {
        let store = SledStore::open(&app.storage_path()).expect("the store");
        let older: Table<String, Value> =
            Table::open(&store, Domain::Deliveries).expect("the deliveries tree");
        let now = chrono::Utc::now();
        let done = json!({"state": "done", "seen": now});
        let accepted = json!({
            "state": "accepted",
            "seen": now,
            "item": maria_says(&app, "Ev0OLDACCEPTED", "hello"),
        });
        older
            .insert(&"slack:Ev0OLDDONE".to_owned(), &done)
            .expect("written");
        older
            .insert(&"slack:Ev0OLDACCEPTED".to_owned(), &accepted)
            .expect("written");
        store.flush().expect("flushed");
    }
    std::fs::remove_file(app.storage_path().join("deliveries.log")).expect("no ledger file");

    app.start().await;
    let seen = app.more_than(0, || app.slack_seen(MARIA)).await;
    assert_eq!(seen.len(), 1, "the accepted one is answered: {seen:?}");
    for event in ["Ev0OLDDONE", "Ev0OLDACCEPTED"] {
        let (_, status) = slack_event(&app, "hello", Some(event)).await;
        assert_eq!(status, 200);
    }
    let seen = maria_after_a_moment(&app).await;
    assert_eq!(seen.len(), 1, "both are remembered: {seen:?}");

    // Taken over for good: after another restart they are still known.
    app.restart().await;
    for event in ["Ev0OLDDONE", "Ev0OLDACCEPTED"] {
        slack_event(&app, "hello", Some(event)).await;
    }
    let seen = maria_after_a_moment(&app).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
}

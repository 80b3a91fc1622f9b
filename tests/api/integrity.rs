//! Grant integrity through the whole daemon: what a person can reach is what they had before
//! plus what their active grants cover, through a lost answer, a removal and a new grant while
//! drift repair runs, two grants on one resource, a read-back that fails over access held
//! before, a kill between a write and its answer, a shared channel, and messages acknowledged
//! before a crash.

use std::time::Duration;

use serde_json::{Value, json};

use crate::app::{OPERATOR, TestApp, eventually, request_id, until_said};
use crate::approvals::{card_for, in_channel, sign_in_when_asked, writes};
use crate::requests::click_teams;

const JORDAN: &str = "jordan.lee@contoso.com";
const TOM: &str = "tom.becker@contoso.com";
const MARIA: &str = "maria.garcia@contoso.com";

async fn in_group(app: &TestApp, group: &str, upn: &str) -> bool {
    app.sim.members(group).await.contains(&upn.to_owned())
}

/// The active grants `doorman grants list --json` shows for `upn`.
async fn active_grants(app: &TestApp, upn: &str) -> Vec<Value> {
    let listed = app.cli(&["grants", "list", "--json"]).await;
    assert!(listed.status.success(), "{listed:?}");
    String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|grant| grant["requester"] == upn)
        .collect()
}

fn said(messages: &[Value]) -> String {
    Value::Array(messages.to_vec()).to_string()
}

/// Waits until `needle` has been said to `upn` `times` times.
async fn said_times(app: &TestApp, upn: &str, needle: &str, times: usize) -> Vec<Value> {
    let found = eventually(|| async {
        let seen = app.teams_seen(upn).await;
        (said(&seen).matches(needle).count() >= times).then_some(seen)
    })
    .await;
    match found {
        Some(seen) => seen,
        None => panic!(
            "{upn} was not told {needle:?} {times} times: {}",
            said(&app.teams_seen(upn).await)
        ),
    }
}

#[tokio::test]
async fn a_join_whose_first_answer_was_lost_is_the_grants_and_ends_with_it() {
    let app = TestApp::spawn().await;
    app.sim.faults(json!({"lose_next_writes": 1})).await;
    app.teams(JORDAN, "join the Marketing team for 30 minutes")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(JORDAN),
        "done. You now have membership on Marketing",
    )
    .await;
    let lost = app.sim.state.graph_log.entries();
    assert!(
        lost.iter()
            .any(|entry| entry.status.is_none() && entry.path.ends_with("/members/$ref")),
        "the membership's first answer was lost"
    );

    app.clock.advance(Duration::from_secs(31 * 60));
    until_said(|| app.teams_seen(JORDAN), "has ended: its time ran out at").await;
    let told = said(&app.teams_seen(JORDAN).await);
    assert!(
        told.contains("I removed it and checked that it is gone."),
        "not 'you had it before': {told}"
    );
    assert!(!in_group(&app, "Marketing", JORDAN).await);

    // And asked away in words, after another lost answer.
    app.sim.faults(json!({"lose_next_writes": 1})).await;
    app.teams(JORDAN, "join the Marketing team please").await;
    said_times(
        &app,
        JORDAN,
        "done. You now have membership on Marketing",
        2,
    )
    .await;
    app.teams(JORDAN, "remove me from the Marketing team").await;
    said_times(&app, JORDAN, "I removed it and checked that it is gone.", 2).await;
    assert!(!in_group(&app, "Marketing", JORDAN).await);
}

#[tokio::test]
async fn a_new_grant_after_a_removed_one_survives_drift_repair_and_nobody_hears_anything_false() {
    let app = TestApp::spawn_with_settings(&[("DOORMAN__LIFECYCLE__RECONCILE_EVERY", "1s")]).await;
    app.teams(JORDAN, "join the Marketing team please").await;
    sign_in_when_asked(&app, OPERATOR).await;
    said_times(&app, JORDAN, "done. You now have membership", 1).await;
    app.teams(JORDAN, "remove me from the Marketing team").await;
    said_times(&app, JORDAN, "I removed it and checked that it is gone.", 1).await;
    app.teams(JORDAN, "join the Marketing team please").await;
    said_times(&app, JORDAN, "done. You now have membership", 2).await;

    // Several reconciliation passes.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(
        in_group(&app, "Marketing", JORDAN).await,
        "drift repair of the ended grant removed the newer one"
    );
    let told = said(&app.teams_seen(JORDAN).await);
    assert!(!told.contains("removed outside Doorman"), "{told}");
    assert_eq!(active_grants(&app, JORDAN).await.len(), 1);
    let removals = writes(&app)
        .await
        .into_iter()
        .filter(|(method, _, _)| method == "DELETE")
        .count();
    assert_eq!(removals, 1, "only the removal asked for");
}

#[tokio::test]
async fn the_end_of_a_short_grant_keeps_what_a_longer_one_covers_until_that_one_ends() {
    let app = TestApp::spawn().await;
    app.teams(JORDAN, "join the Marketing team for 30 minutes")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    let first = said_times(&app, JORDAN, "done. You now have membership", 1).await;
    let short = request_id(&first);
    app.teams(JORDAN, "add me to the Marketing team for 10 days")
        .await;
    let both = said_times(&app, JORDAN, "done. You now have membership", 2).await;
    assert!(
        said(&both).contains(&format!("this one and {short}")),
        "the requester hears both grants hold it: {}",
        said(&both)
    );
    assert_eq!(active_grants(&app, JORDAN).await.len(), 2);

    app.clock.advance(Duration::from_secs(31 * 60));
    let ended = until_said(|| app.teams_seen(JORDAN), "You keep the access under").await;
    assert!(
        said(&ended).contains(&format!(
            "{short}: your membership on Marketing (team) has ended"
        )),
        "{}",
        said(&ended)
    );
    assert!(in_group(&app, "Marketing", JORDAN).await);
    let left = active_grants(&app, JORDAN).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_ne!(left[0]["request"], short);

    app.clock.advance(Duration::from_secs(10 * 24 * 3600));
    until_said(
        || app.teams_seen(JORDAN),
        "I removed it and checked that it is gone.",
    )
    .await;
    assert!(!in_group(&app, "Marketing", JORDAN).await);
    assert!(active_grants(&app, JORDAN).await.is_empty());
}

#[tokio::test]
async fn a_read_back_that_fails_keeps_the_team_held_before_and_leaves_no_channel_membership() {
    let app = TestApp::spawn_with_settings(&[("DOORMAN__PROVISION__VERIFY_WITHIN", "3s")]).await;
    assert!(in_group(&app, "Marketing", TOM).await, "Tom is in the team");
    app.teams(TOM, "add me to the Product Launch channel").await;
    let (card, approve) = card_for(&app, MARIA, "approve").await;
    // Longer than the read-back waits: the change is made but never shows in time.
    app.sim.faults(json!({"replication_lag_ms": 20000})).await;
    click_teams(&app, MARIA, &card, &approve).await;
    sign_in_when_asked(&app, MARIA).await;
    let told = until_said(|| app.teams_seen(TOM), "I could not make this change").await;
    assert!(
        said(&told).contains("could not be read back"),
        "{}",
        said(&told)
    );
    assert!(
        said(&told).contains("I took back what I had made for it"),
        "{}",
        said(&told)
    );
    assert!(
        in_group(&app, "Marketing", TOM).await,
        "the failed request took away team membership Tom had before"
    );
    assert!(
        !in_channel(&app, "Product Launch", TOM).await,
        "the channel membership Doorman added was left without a grant"
    );
    let channel_writes: Vec<(String, String, String)> = writes(&app)
        .await
        .into_iter()
        .filter(|(_, path, _)| path.contains("/channels/"))
        .collect();
    assert_eq!(
        channel_writes.len(),
        2,
        "added, then removed: {channel_writes:?}"
    );
    assert!(channel_writes.iter().all(|(_, _, user)| user == MARIA));
}

#[tokio::test]
async fn a_kill_between_a_channel_write_and_its_answer_then_remove_keeps_the_team_held_before() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.start_process().await;
    app.teams(TOM, "add me to the Product Launch channel").await;
    let (card, approve) = card_for(&app, MARIA, "approve").await;
    click_teams(&app, MARIA, &card, &approve).await;
    let asked = until_said(|| app.teams_seen(MARIA), "/auth/start").await;
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");
    app.sim.faults(json!({"latency_ms": 3000})).await;
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    // Graph has made the channel membership; its answer is on the way back.
    let carried = eventually(|| async {
        app.sim
            .state
            .graph_log
            .entries()
            .iter()
            .any(|entry| entry.method == "POST" && entry.path.contains("/channels/"))
            .then_some(())
    })
    .await;
    assert!(carried.is_some(), "the channel write reached Graph");
    app.kill().await;
    app.sim.faults(json!({"latency_ms": 0})).await;
    app.start_process().await;
    until_said(
        || app.teams_seen(TOM),
        "done. You now have membership on Product Launch",
    )
    .await;
    assert!(in_channel(&app, "Product Launch", TOM).await);

    app.teams(TOM, "remove me from the Product Launch channel")
        .await;
    let told = until_said(
        || app.teams_seen(TOM),
        "has ended: you asked me to remove it",
    )
    .await;
    assert!(
        said(&told).contains("what you had before your request I left as it was"),
        "{}",
        said(&told)
    );
    assert!(!in_channel(&app, "Product Launch", TOM).await);
    assert!(
        in_group(&app, "Marketing", TOM).await,
        "the revocation took away team membership Tom had before"
    );
}

#[tokio::test]
async fn a_shared_channel_is_joined_without_its_team() {
    let policy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fabrikam-policy.toml"
    ))
    .expect("policy")
        + "\n[[target]]\nname = \"channels\"\nmatch = { kind = \"channel\" }\n\
           max_access = \"member\"\napproval = [\"owner\"]\nacting = \"approver\"\n";
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, policy).expect("policy written");
    let app = TestApp::spawn_on(
        crate::helpers::FABRIKAM,
        &path.display().to_string(),
        "service.desk@fabrikam.net",
    )
    .await;
    let (yuki, ines) = ("yuki.tanaka@fabrikam.net", "ines.moreau@fabrikam.net");
    assert!(!in_group(&app, "Plant Floor", yuki).await);
    app.teams(yuki, "add me to the Suppliers channel").await;
    let (card, approve) = card_for(&app, ines, "approve").await;
    click_teams(&app, ines, &card, &approve).await;
    sign_in_when_asked(&app, ines).await;
    until_said(
        || app.teams_seen(yuki),
        "done. You now have membership on Suppliers",
    )
    .await;
    assert!(in_channel(&app, "Suppliers", yuki).await);
    assert!(
        !in_group(&app, "Plant Floor", yuki).await,
        "a shared channel needs no team membership"
    );
    let made = writes(&app).await;
    assert_eq!(made.len(), 1, "the channel membership only: {made:?}");
}

#[tokio::test]
async fn messages_acknowledged_before_a_crash_are_answered_after_it_as_if_just_sent() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.start_process().await;
    // Every Graph read takes two seconds: the message is acknowledged, and the bot is killed
    // while it is still working on it.
    app.sim.faults(json!({"latency_ms": 2000})).await;
    let delivered = app.teams(JORDAN, "join the Marketing team please").await;
    assert!(
        delivered["status"]
            .as_u64()
            .is_some_and(|status| status < 300),
        "{delivered}"
    );
    app.kill().await;
    // Back up while Graph is still slow: the first catalog sync takes a while.
    app.sim.faults(json!({"latency_ms": 300})).await;
    app.start_process().await;
    app.sim.faults(json!({"latency_ms": 0})).await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(JORDAN),
        "done. You now have membership on Marketing",
    )
    .await;
    let told = said(&app.teams_seen(JORDAN).await);
    assert!(!told.contains("still loading"), "{told}");
    assert!(in_group(&app, "Marketing", JORDAN).await);
}

#[tokio::test]
async fn what_a_failed_request_made_and_cannot_find_yet_is_taken_back_on_the_timers() {
    let app = TestApp::spawn_with_settings(&[("DOORMAN__PROVISION__VERIFY_WITHIN", "2s")]).await;
    app.teams(TOM, "add me to the Product Launch channel").await;
    let (card, approve) = card_for(&app, MARIA, "approve").await;
    // The channel write is made, its answer lost (so its membership id is never heard), and
    // replication lag hides it from every read for a while: the read-back fails, and the
    // membership cannot be found to be taken back yet.
    app.sim
        .faults(json!({"replication_lag_ms": 12000, "lose_next_writes": 1}))
        .await;
    click_teams(&app, MARIA, &card, &approve).await;
    sign_in_when_asked(&app, MARIA).await;
    let told = until_said(|| app.teams_seen(TOM), "is taking a little longer").await;
    assert!(said(&told).contains("I could not make this change"));
    assert!(in_channel(&app, "Product Launch", TOM).await, "still there");
    let metrics = app.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("doorman_removals_failed_total ") && !line.ends_with(" 0")),
        "{metrics}"
    );

    // Once the lag has passed, the timers try again and it goes.
    tokio::time::sleep(Duration::from_secs(12)).await;
    app.clock.advance(Duration::from_secs(2 * 60));
    until_said(
        || app.teams_seen(TOM),
        "what I had made for this request is taken back",
    )
    .await;
    assert!(!in_channel(&app, "Product Launch", TOM).await);
    assert!(
        in_group(&app, "Marketing", TOM).await,
        "the team he had stays"
    );
}

#[tokio::test]
async fn a_message_handled_again_after_a_crash_mid_grant_makes_one_request_and_one_grant() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.start_process().await;
    // The operator signs in once, for an earlier request.
    app.teams(JORDAN, "join the Marketing team please").await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(JORDAN), "done. You now have membership").await;
    let before = app.sim.state.graph_log.len();

    let alex = "alex.kim@contoso.com";
    app.sim.faults(json!({"latency_ms": 2000})).await;
    app.teams(alex, "join the Marketing team please").await;
    // Killed after Graph made the membership, before its answer came back: the message was
    // acknowledged but its handling never finished, so the next start handles it again.
    let carried = eventually(|| async {
        app.sim
            .state
            .graph_log
            .entries()
            .iter()
            .skip(before)
            .any(|entry| entry.method == "POST" && entry.path.ends_with("/members/$ref"))
            .then_some(())
    })
    .await;
    assert!(carried.is_some(), "the membership write reached Graph");
    app.kill().await;
    app.sim.faults(json!({"latency_ms": 0})).await;
    app.start_process().await;
    until_said(
        || app.teams_seen(alex),
        "done. You now have membership on Marketing",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let told = said(&app.teams_seen(alex).await);
    assert_eq!(told.matches("done. You now have").count(), 1, "{told}");
    let grants = active_grants(&app, alex).await;
    assert_eq!(grants.len(), 1, "one message, one grant: {grants:?}");
}

#[tokio::test]
async fn a_grant_removed_while_it_waits_to_be_made_is_never_made() {
    let app = TestApp::spawn().await;
    app.teams(JORDAN, "join the Marketing team please").await;
    // Waiting for the operator's sign-in.
    until_said(|| app.teams_seen(OPERATOR), "/auth/start").await;
    app.teams(JORDAN, "remove me from the Marketing team").await;
    until_said(
        || app.teams_seen(JORDAN),
        "has ended: you asked me to remove it. Nothing of it was left to remove.",
    )
    .await;
    sign_in_when_asked(&app, OPERATOR).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!in_group(&app, "Marketing", JORDAN).await);
    assert!(writes(&app).await.is_empty(), "nothing was written");
    assert!(active_grants(&app, JORDAN).await.is_empty());
}

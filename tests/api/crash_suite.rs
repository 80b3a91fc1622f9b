//! The crash suite: six people tell their stories at once (auto-approved, owner-approved, two
//! stages, a grant that expires, one that is extended, a shared mailbox through Exchange, each
//! removed again) while the bot, a `doorman serve` process, is killed with SIGKILL at seeded
//! random moments and started again each time. Afterwards nothing is lost, doubled or left
//! behind ([`crate::invariants`]).
//!
//! The seed is printed at the start and in any failure; `DOORMAN_CRASH_SEED=<seed>` replays a
//! run's choices (when to kill, when each person starts). `DOORMAN_CRASH_KILLS` sets how many
//! kills (10 by default; the README's long form runs 100).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::app::TestApp;
use crate::invariants::{assert_sound, in_motion, kept_requests, tenant};
use crate::workload::{
    Dice, Doors, Helpers, STORIES, Told, seeded_run, sign_in_first, workload_policy,
};

/// Kills the bot `kills` times at random moments, starting it again each time, while
/// `stories` run; then lets every story finish with the bot up.
async fn kill_while_telling(app: &mut TestApp, dice: &mut Dice, kills: u64) {
    for kill in 1..=kills {
        tokio::time::sleep(dice.millis(200, 2_500)).await;
        app.kill().await;
        // Sometimes the bot stays down a while, as a crash-looping pod would.
        if dice.next() % 4 == 0 {
            tokio::time::sleep(dice.millis(100, 1_500)).await;
        }
        app.start_process().await;
        if kill % 10 == 0 {
            println!("crash suite: {kill} of {kills} kills");
        }
    }
}

/// Kills and restarts the bot until no request is on its way by itself (each start resumes
/// what the last one left), then leaves it stopped.
pub(crate) async fn settle(app: &mut TestApp) {
    for _ in 0..30 {
        app.kill().await;
        if !kept_requests(app).iter().any(in_motion) {
            return;
        }
        app.start_process().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Every kept request in a few words, for a failure's message.
pub(crate) fn requests_in_words(app: &TestApp) -> String {
    kept_requests(app)
        .iter()
        .map(|record| {
            format!(
                "{} {} {} on {}: {:?}",
                record.id, record.requester.upn, record.access, record.resource.name, record.state
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn killed_at_random_the_bot_loses_no_approval_and_makes_every_grant_once() {
    let started = std::time::Instant::now();
    let (mut dice, kills, context) = seeded_run(
        "crash suite",
        "DOORMAN_CRASH_SEED",
        "DOORMAN_CRASH_KILLS",
        10,
    );

    let mut app = TestApp::spawn_with_policy(&workload_policy()).await;
    app.stop().await;
    app.start_process().await;
    let before = tenant(&app).await;
    let doors = Doors::of(&app);
    sign_in_first(&doors).await;
    let helpers = Helpers::start(&doors);

    // Each person tells their story, and again while kills remain.
    let killing = Arc::new(AtomicBool::new(true));
    let stories: Vec<_> = STORIES
        .iter()
        .map(|&(story, upn)| {
            let (doors, killing) = (doors.clone(), Arc::clone(&killing));
            let mut dice = Dice::new(dice.next());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(dice.millis(0, 3_000)).await;
                    // Nothing fails while only the bot is killed: every story ends as asked.
                    if let Err(failure) = story.tell(&doors, upn).await.and_then(|told| {
                        (told == Told::Expected)
                            .then_some(())
                            .ok_or_else(|| "the change failed".to_owned())
                    }) {
                        return vec![format!("{story:?} by {upn}: {failure}")];
                    }
                    if !killing.load(Ordering::SeqCst) {
                        return Vec::new();
                    }
                }
            })
        })
        .collect();
    kill_while_telling(&mut app, &mut dice, kills).await;
    killing.store(false, Ordering::SeqCst);
    let mut failures = Vec::new();
    for story in stories {
        failures.extend(story.await.expect("a story runs to its end"));
    }
    let clicks = helpers.accepted();
    drop(helpers);
    settle(&mut app).await;
    assert!(
        failures.is_empty(),
        "{context}: somebody was left waiting:\n- {}\nrequests kept: {}",
        failures.join("\n- "),
        requests_in_words(&app)
    );
    assert!(!clicks.is_empty(), "{context}: approvers clicked");
    assert_sound(&app, &before, &clicks, &context).await;
    println!(
        "crash suite: {kills} kills, {} approvals, sound, in {:.1} s",
        clicks.len(),
        started.elapsed().as_secs_f64()
    );
}

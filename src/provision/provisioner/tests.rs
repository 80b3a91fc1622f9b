//! What a release came to, when a second identity finishes what the first could not.

use super::*;

fn step(group: &str) -> Step {
    Step::GroupMember {
        group_id: group.into(),
    }
}

#[test]
fn a_second_try_settles_only_what_the_first_could_not() {
    let first = Released {
        steps: vec![
            (step("a"), StepRelease::Removed),
            (step("b"), StepRelease::Failed("403".into())),
            (step("c"), StepRelease::Failed("403".into())),
            (step("d"), StepRelease::HeldBefore),
        ],
    };
    // The second try no longer sees "a" as owed, removes "b", and still cannot remove "c".
    let again = Released {
        steps: vec![
            (step("a"), StepRelease::Untouched),
            (step("b"), StepRelease::Removed),
            (step("c"), StepRelease::Failed("lag".into())),
            (step("d"), StepRelease::HeldBefore),
        ],
    };
    let both = first.then(again);
    assert_eq!(
        both.removed(),
        vec![step("a").describe(), step("b").describe()]
    );
    assert_eq!(both.held_before(), vec![step("d").describe()]);
    assert!(!both.is_complete());
    assert_eq!(
        both.failures(),
        vec![format!("{}: lag", step("c").describe())]
    );
}

/// A removed fact past its watch is forgotten, unless a grant claimed it again meanwhile.
#[tokio::test]
async fn a_removed_fact_claimed_again_while_it_is_being_forgotten_stays_claimed() {
    use super::memory::{PERSON, world};

    let world = world();
    let step = &world.plan.steps[0];
    world.make("R-1", &world.plan).await;
    assert!(world.release("R-1", &world.plan).await);
    let ledger = world.provisioner.ledger();
    let removed = ledger.get(PERSON, step).expect("read").expect("watched");
    assert!(removed.grants.is_empty() && removed.removed_at.is_some());

    // The sweep lists the fact as stale, then waits for its lock, which a claim holds.
    let claim = ledger.lock(PERSON, step).await;
    let mut forgetting = std::pin::pin!(
        world
            .provisioner
            .forget_removed_before(Utc::now() + TimeDelta::hours(1))
    );
    assert!(futures::poll!(forgetting.as_mut()).is_pending());
    let mut claimed = removed.clone();
    claimed.grants.insert("R-2".into());
    claimed.removed_at = None;
    ledger.put(&claimed).expect("claimed");
    drop(claim);

    assert_eq!(forgetting.await.expect("swept"), 0);
    let kept = ledger
        .get(PERSON, step)
        .expect("read")
        .expect("still there");
    assert!(kept.grants.contains("R-2"), "{kept:?}");
}

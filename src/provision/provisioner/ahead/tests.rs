//! A read made ahead of a claim, against a tenant held in memory: taken when nothing of
//! Doorman's touched the fact meanwhile, set aside when something did.

use std::time::Duration;

use crate::provision::plan::{Plan, Step};
use crate::provision::provisioner::memory::{PERSON, world};

#[tokio::test]
async fn a_claim_takes_the_read_made_ahead_instead_of_reading_again() {
    let world = world();
    world.read_ahead(PERSON, &world.plan).await;
    let made = world.make("R-1", &world.plan).await;
    assert_eq!(made.written, world.plan.steps);
    assert!(made.held_before.is_empty());
    assert_eq!(world.reads(), 1, "read twice");
    assert!(world.tenant.has(PERSON, &world.plan.steps[0]));
}

#[tokio::test]
async fn a_read_made_ahead_of_a_removal_of_doormans_is_set_aside() {
    let world = world();
    let step = &world.plan.steps[0];
    world.make("R-1", &world.plan).await;
    // Read while R-1's membership is there: it is Doorman's, then R-1 ends and it goes.
    world.read_ahead(PERSON, &world.plan).await;
    assert!(world.release("R-1", &world.plan).await);
    assert!(!world.tenant.has(PERSON, step));
    // R-2 must read again: taking the old read would count the membership as the person's
    // own and never write it.
    let made = world.make("R-2", &world.plan).await;
    assert_eq!(made.written, world.plan.steps, "{made:?}");
    assert!(made.held_before.is_empty(), "{made:?}");
    assert!(world.tenant.has(PERSON, step));
}

#[tokio::test]
async fn a_read_made_ahead_is_not_taken_for_a_fact_another_grant_covers() {
    let world = world();
    let step = &world.plan.steps[0];
    world.make("R-1", &world.plan).await;
    // A read made ahead says "there", which is R-1's doing, not the person's; then someone
    // outside Doorman takes the membership away.
    world.read_ahead(PERSON, &world.plan).await;
    world.tenant.set(PERSON, step, false);
    let made = world.make("R-2", &world.plan).await;
    // R-2 read for itself, and wrote what the old read would have called there.
    assert_eq!(made.written, world.plan.steps, "{made:?}");
    assert_eq!(world.reads(), 3);
    assert!(world.tenant.has(PERSON, step));
}

#[tokio::test]
async fn one_person_has_one_read_made_ahead_at_a_time() {
    let world = world();
    let other = Plan {
        steps: vec![Step::GroupMember {
            group_id: "finance".into(),
        }],
    };
    // Asking again and again, for one thing or another, sends one read until it is taken.
    for _ in 0..10 {
        world.read_ahead(PERSON, &other).await;
        world.read_ahead(PERSON, &world.plan).await;
    }
    assert_eq!(world.reads(), 1);
    // The read waiting is for the other fact: this claim reads for itself, and leaves it.
    world.make("R-1", &world.plan).await;
    assert_eq!(world.reads(), 2);
    // R-1's claim changed a holding of another stripe than the finance fact's: had they shared
    // one, the read would rightly be set aside.
    assert_eq!(
        world.provisioner.ledger().changes(PERSON, &other.steps[0]),
        0
    );
    world.make("R-2", &other).await;
    assert_eq!(world.reads(), 2, "the read made ahead was taken");
}

#[tokio::test]
async fn a_read_made_for_the_id_spelled_otherwise_is_not_taken() {
    let world = world();
    world.read_ahead(&PERSON.to_uppercase(), &world.plan).await;
    world.make("R-1", &world.plan).await;
    assert_eq!(world.reads(), 2, "read once more");
}

#[tokio::test(start_paused = true)]
async fn a_read_made_ahead_stands_for_five_seconds_and_no_longer() {
    let world = world();
    world.read_ahead(PERSON, &world.plan).await;
    tokio::time::advance(Duration::from_millis(4_500)).await;
    world.make("R-1", &world.plan).await;
    assert_eq!(world.reads(), 1, "a read 4.5 s old was not taken");

    let other = Plan {
        steps: vec![Step::GroupMember {
            group_id: "finance".into(),
        }],
    };
    world.read_ahead(PERSON, &other).await;
    tokio::time::advance(Duration::from_millis(5_100)).await;
    world.make("R-2", &other).await;
    assert_eq!(world.reads(), 3, "a read 5.1 s old was taken");
}

#[tokio::test(start_paused = true)]
async fn at_most_1024_people_have_a_read_made_ahead_waiting() {
    let world = world();
    let people: Vec<String> = (0..1_025)
        .map(|n| format!("0b1c2d3e-aaaa-4bbb-8ccc-{n:012}"))
        .collect();
    for person in &people {
        world.provisioner.read_ahead(person, &world.plan);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(world.reads(), 1_024, "the 1,025th person's read was sent");

    // Once the waiting reads are past their time, there is room again.
    tokio::time::advance(Duration::from_secs(6)).await;
    world.read_ahead(&people[1_024], &world.plan).await;
    assert_eq!(world.reads(), 1_025);
}

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

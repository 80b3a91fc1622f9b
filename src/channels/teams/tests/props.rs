//! Properties of the inbound side over generated activities: whatever a genuinely signed
//! activity holds (any type, text up to 100 KB, any card data, any entities), `/api/messages`
//! answers it with 200 or 400 (501 for an invoke Doorman does not take) and never panics. No timing is asserted; the sizes keep the run
//! to seconds.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use super::{Harness, TestResult};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|number| json!(number)),
        ".{0,40}".prop_map(Value::from),
        select(&["approve", "deny", "choose", "R-1", "mention", "clientInfo"][..])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(
                select(
                    &[
                        "verb",
                        "request",
                        "data",
                        "action",
                        "type",
                        "text",
                        "id",
                        "mentioned",
                        "value"
                    ][..]
                )
                .prop_map(str::to_owned),
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// The kinds of activity Teams sends, and made-up ones.
fn kind() -> impl Strategy<Value = String> {
    prop_oneof![
        select(
            &[
                "message",
                "invoke",
                "conversationUpdate",
                "installationUpdate",
                "messageReaction",
                "event",
                "typing"
            ][..]
        )
        .prop_map(str::to_owned),
        ".{0,30}",
    ]
}

/// An activity from Ana with its kind, text, value, entities and conversation type generated.
fn activity(harness: &Harness, text_size: std::ops::Range<usize>) -> impl Strategy<Value = Value> {
    let base = harness.personal_message("generated", "");
    (
        kind(),
        proptest::collection::vec(any::<char>(), text_size).prop_map(String::from_iter),
        any_json(),
        proptest::collection::vec(any_json(), 0..4),
        select(&["personal", "channel", "groupChat", ""][..]),
        select(
            &[
                "",
                "adaptiveCard/action",
                "message/submitAction",
                "signin/verifyState",
            ][..],
        ),
        any::<u64>(),
    )
        .prop_map(
            move |(kind, text, value, entities, conversation_type, name, id)| {
                let mut activity = base.clone();
                activity["type"] = json!(kind);
                activity["id"] = json!(format!("generated-{id}"));
                activity["text"] = json!(text);
                activity["value"] = value;
                activity["entities"] = json!(entities);
                activity["conversation"]["conversationType"] = json!(conversation_type);
                if !name.is_empty() {
                    activity["name"] = json!(name);
                    activity["replyToId"] = json!("1700000000000");
                }
                activity
            },
        )
}

fn answered_without_panic(cases: u32, text_size: std::ops::Range<usize>) -> TestResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let harness = runtime.block_on(Harness::start())?;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&activity(&harness, text_size), |activity| {
            let answered = runtime.block_on(harness.deliver(&activity));
            let (status, _) = answered.map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert!([200, 400, 501].contains(&status), "{status}");
            Ok(())
        })
        .map_err(|error| error.to_string())?;
    // The daemon side is still answering.
    let greeting = harness.personal_message("after-the-properties", "hello");
    let (status, _) = runtime.block_on(harness.deliver(&greeting))?;
    assert_eq!(status, 200);
    Ok(())
}

#[test]
fn any_signed_activity_is_answered_and_nothing_panics() -> TestResult {
    answered_without_panic(64, 0..2_000)
}

#[test]
fn a_hundred_kilobytes_of_text_is_answered() -> TestResult {
    answered_without_panic(4, 100_000..100_001)
}

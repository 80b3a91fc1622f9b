//! Properties of the inbound side over generated, correctly signed requests: whatever an event
//! or an interaction holds (any event type, text up to 100 KB, any button value or modal
//! metadata, bodies that are not JSON at all), the routes answer 200 or 400 and never panic.
//! No timing is asserted; the sizes keep the run to seconds.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use super::support::*;

const EVENTS: &str = "/slack/events";
const INTERACTIONS: &str = "/slack/interactions";

fn text(size: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), size).prop_map(String::from_iter)
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            proptest::collection::btree_map(".{0,8}", inner, 0..5)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// An `event_callback` with its event generated: the kinds Slack sends and made-up ones.
fn event(text_size: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    (
        select(
            &[
                "message",
                "app_mention",
                "app_home_opened",
                "reaction_added",
                "x",
            ][..],
        ),
        select(&["im", "channel", "group", ""][..]),
        prop_oneof![
            Just(None),
            select(&["bot_message", "message_changed", "thread_broadcast"][..]).prop_map(Some)
        ],
        text(text_size),
        any_json(),
        any::<u64>(),
    )
        .prop_map(|(kind, channel_type, subtype, text, blocks, id)| {
            let mut event = json!({
                "type": kind, "channel": "D024BE91L", "channel_type": channel_type,
                "user": "U2147483697", "text": text, "ts": "1700000000.000100",
                "event_ts": "1700000000.000100", "blocks": blocks,
            });
            if let Some(subtype) = subtype {
                event["subtype"] = json!(subtype);
            }
            json!({
                "token": "t", "team_id": TEAM, "api_app_id": APP, "type": "event_callback",
                "event_id": format!("EvProp{id}"), "event_time": 1_700_000_000, "event": event,
                "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": true}],
            })
            .to_string()
        })
}

/// A `block_actions` click or a `view_submission` with its values generated.
fn interaction(text_size: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        select(&["approve", "deny", "choose", "remove", "extend", "open", "x"][..]),
        text(text_size),
        any_json(),
    )
        .prop_map(|(click, action_id, value, state)| {
            let payload = if click {
                json!({
                    "type": "block_actions", "team": {"id": TEAM}, "api_app_id": APP,
                    "user": {"id": "U2147483697", "team_id": TEAM},
                    "channel": {"id": "D024BE91L"}, "container": {"type": "message", "message_ts": "1.1"},
                    "message": {"ts": "1.1", "text": ""},
                    "actions": [{"type": "button", "action_id": action_id, "block_id": "b",
                                 "value": value, "action_ts": "1.2"}],
                    "trigger_id": "1.2.3",
                })
            } else {
                json!({
                    "type": "view_submission", "team": {"id": TEAM}, "api_app_id": APP,
                    "user": {"id": "U2147483697", "team_id": TEAM},
                    "view": {"id": "V1", "type": "modal", "callback_id": action_id,
                             "private_metadata": value, "state": {"values": state},
                             "title": {"type": "plain_text", "text": "t"}, "blocks": []},
                })
            };
            form(&payload)
        })
}

/// Bodies that are signed but are neither JSON nor a form.
fn not_json() -> impl Strategy<Value = String> {
    prop_oneof![
        text(0..500),
        (1..5_000_usize).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
        text(0..200).prop_map(|text| format!("payload={text}")),
    ]
}

fn answered_without_panic(
    path: &'static str,
    strategy: impl Strategy<Value = String>,
    cases: u32,
) -> TestResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let harness = runtime.block_on(async { Harness::quiet() })?;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |body| {
            let answered = runtime.block_on(harness.send(signed(path, &body)));
            let (status, _) = answered.map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert!([200, 400].contains(&status.as_u16()), "{status}");
            Ok(())
        })
        .map_err(|error| error.to_string())?;
    Ok(())
}

#[test]
fn any_signed_event_is_answered_and_nothing_panics() -> TestResult {
    answered_without_panic(EVENTS, event(0..2_000), 64)
}

#[test]
fn any_signed_interaction_is_answered_and_nothing_panics() -> TestResult {
    answered_without_panic(INTERACTIONS, interaction(0..2_000), 64)
}

#[test]
fn signed_bodies_that_are_not_json_are_answered() -> TestResult {
    answered_without_panic(EVENTS, not_json(), 32)?;
    answered_without_panic(INTERACTIONS, not_json(), 32)
}

#[test]
fn a_hundred_kilobytes_of_text_is_answered() -> TestResult {
    answered_without_panic(EVENTS, event(100_000..100_001), 3)?;
    answered_without_panic(INTERACTIONS, interaction(100_000..100_001), 3)
}

//! The modal's Block Kit and metadata: within Slack's limits, and read back as it was written.

use serde_json::{Value, json};

use super::*;
use crate::channels::slack::blocks::AskedInput;

fn ask() -> Ask {
    Ask {
        title: "Deny".into(),
        inputs: vec![AskedInput {
            id: "deny_reason".into(),
            label: "Reason if you deny (optional)".into(),
            placeholder: "Why not?".into(),
        }],
    }
}

fn pending(data: Value) -> Pending {
    Pending {
        verb: Verb::Deny,
        data,
        inputs: vec!["deny_reason".into()],
        channel: "D1".into(),
        ts: "1700000000.000100".into(),
        thread_ts: None,
    }
}

#[test]
fn the_modal_asks_for_each_input_in_an_optional_multiline_block_and_remembers_the_click() {
    let pending = pending(json!({"request": "R-1", "stage": 0}));
    let view = view(&ask(), &pending).map(|view| serde_json::to_value(view).unwrap_or_default());
    let Some(view) = view else {
        panic!("a modal for a small card");
    };
    assert_eq!(view["type"], "modal");
    assert_eq!(view["callback_id"], CALLBACK_ID);
    assert_eq!(
        view["title"],
        json!({"type": "plain_text", "text": "Deny request"})
    );
    assert_eq!(view["submit"]["text"], "Deny");
    assert_eq!(view["close"]["text"], "Cancel");
    assert_eq!(
        view["blocks"],
        json!([{
            "type": "input",
            "block_id": "deny_reason",
            "label": {"type": "plain_text", "text": "Reason if you deny (optional)"},
            "optional": true,
            "element": {
                "type": "plain_text_input",
                "action_id": "deny_reason",
                "placeholder": {"type": "plain_text", "text": "Why not?"},
                "multiline": true,
                "max_length": 500
            }
        }])
    );
    let metadata = view["private_metadata"].as_str().unwrap_or_default();
    assert_eq!(
        serde_json::from_str::<Pending>(metadata).ok(),
        Some(pending),
        "the metadata reads back as the click"
    );
    assert!(!metadata.contains("U0"), "no user in the metadata");
}

#[test]
fn data_that_would_pass_the_metadata_limit_opens_no_modal() {
    let big = pending(json!({"request": "R".repeat(3000)}));
    assert_eq!(view(&ask(), &big), None);
}

#[test]
fn a_long_button_title_still_fits_the_modals_title_and_submit_button() {
    let mut long = ask();
    long.title = "Deny this request and tell them".into();
    let view = view(&long, &pending(json!(null)))
        .map(|view| serde_json::to_value(view).unwrap_or_default());
    let view = view.unwrap_or_default();
    for text in [&view["title"]["text"], &view["submit"]["text"]] {
        assert!(
            text.as_str().is_some_and(|text| text.chars().count() <= 24),
            "{text}"
        );
    }
}

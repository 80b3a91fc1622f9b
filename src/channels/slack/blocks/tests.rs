//! Rendered Block Kit for a few card shapes: well-formed, verbs as action ids, button values
//! that are JSON strings and parse back to the card's data.

use serde_json::{Value, json};

use super::*;
use crate::domain::chat::example::access_list;
use crate::domain::chat::{CardInput, Verb};

fn as_json(blocks: &[SlackBlock]) -> Value {
    serde_json::to_value(blocks).unwrap_or_default()
}

fn approval() -> Card {
    Card {
        refresh: None,
        title: "Edit access to Finance".into(),
        sections: vec![CardSection {
            text: "Ana asks for *edit* access".into(),
            facts: vec![
                ("Resource".into(), "Finance <site>".into()),
                ("Duration".into(), "30 days".into()),
            ],
        }],
        inputs: vec![CardInput {
            id: "reason".into(),
            label: "Reason".into(),
            placeholder: "Why not?".into(),
            for_verb: None,
            max_length: None,
            choices: Vec::new(),
        }],
        buttons: vec![
            CardButton::Execute {
                title: "Approve".into(),
                verb: Verb::Approve,
                data: json!({"request": "R1", "stage": 2}),
                style: ButtonStyle::Positive,
            },
            CardButton::Execute {
                title: "Deny".into(),
                verb: Verb::Deny,
                data: json!({"request": "R1", "stage": 2}),
                style: ButtonStyle::Destructive,
            },
            CardButton::Execute {
                title: "Always approve".into(),
                verb: Verb::ApproveAlways,
                data: json!({"request": "R1"}),
                style: ButtonStyle::Default,
            },
        ],
    }
}

#[test]
fn an_approval_card_renders_as_header_section_and_verb_buttons() {
    let blocks = as_json(&render(&approval(), ""));
    assert_eq!(
        blocks[0],
        json!({"type": "header", "text": {"type": "plain_text", "text": "Edit access to Finance"}})
    );
    assert_eq!(
        blocks[1],
        json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Ana asks for *edit* access"},
            "fields": [
                {"type": "mrkdwn", "text": "*Resource*\nFinance &lt;site&gt;"},
                {"type": "mrkdwn", "text": "*Duration*\n30 days"}
            ]
        })
    );
    assert_eq!(blocks[2]["type"], "actions");
    let buttons = blocks[2]["elements"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids: Vec<&str> = buttons
        .iter()
        .filter_map(|b| b["action_id"].as_str())
        .collect();
    assert_eq!(ids, ["approve", "deny", "approve_always"]);
    let styles: Vec<&Value> = buttons.iter().map(|b| &b["style"]).collect();
    assert_eq!(styles, [&json!("primary"), &json!("danger"), &Value::Null]);
    assert_eq!(
        blocks.as_array().map(Vec::len),
        Some(3),
        "inputs are not rendered"
    );
}

#[test]
fn button_values_are_json_strings_that_parse_back_to_the_data() {
    let card = approval();
    let blocks = as_json(&render(&card, ""));
    for (button, original) in blocks[2]["elements"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(&card.buttons)
    {
        let CardButton::Execute { verb, data, .. } = original else {
            continue;
        };
        assert_eq!(button["type"], "button");
        assert_eq!(
            Verb::parse(button["action_id"].as_str().unwrap_or_default()),
            Some(*verb)
        );
        let value = button["value"].as_str().unwrap_or_default();
        assert_eq!(
            serde_json::from_str::<Value>(value).ok().as_ref(),
            Some(data)
        );
    }
}

#[test]
fn a_sign_in_link_is_a_url_button_with_the_sign_in_action_id() {
    let card = Card {
        title: "Sign in first".into(),
        buttons: vec![
            CardButton::OpenUrl {
                title: "Sign in".into(),
                url: "https://doorman.example.com/auth/start?s=abc&t=1".into(),
            },
            CardButton::OpenUrl {
                title: "Broken".into(),
                url: "not a url".into(),
            },
        ],
        ..Card::default()
    };
    let blocks = as_json(&render(&card, ""));
    assert_eq!(
        blocks[1]["elements"],
        json!([{
            "type": "button",
            "text": {"type": "plain_text", "text": "Sign in"},
            "url": "https://doorman.example.com/auth/start?s=abc&t=1",
            "action_id": "sign_in"
        }])
    );
    assert_eq!(Verb::parse(SIGN_IN_ACTION), None);
}

#[test]
fn buttons_with_the_same_verb_go_into_separate_actions_blocks() {
    let choose = |name: &str| CardButton::Execute {
        title: name.into(),
        verb: Verb::Choose,
        data: json!({"candidate": name}),
        style: ButtonStyle::Default,
    };
    let card = Card {
        title: "Which one?".into(),
        buttons: vec![
            choose("Finance"),
            choose("Finance EU"),
            choose("Finance US"),
        ],
        ..Card::default()
    };
    let blocks = as_json(&render(&card, ""));
    let actions: Vec<&Value> = blocks
        .as_array()
        .into_iter()
        .flatten()
        .filter(|block| block["type"] == "actions")
        .collect();
    assert_eq!(actions.len(), 3);
    for block in actions {
        assert_eq!(block["elements"][0]["action_id"], "choose");
    }
}

#[test]
fn more_than_ten_facts_continue_in_a_section_of_fields() {
    let facts = (0..12)
        .map(|n| (format!("Fact {n}"), n.to_string()))
        .collect();
    let card = Card {
        sections: vec![CardSection {
            text: String::new(),
            facts,
        }],
        ..Card::default()
    };
    let blocks = as_json(&render(&card, ""));
    assert_eq!(blocks[0]["fields"].as_array().map(Vec::len), Some(10));
    assert_eq!(blocks[0].get("text"), None);
    assert_eq!(blocks[1]["fields"].as_array().map(Vec::len), Some(2));
}

#[test]
fn every_rendered_block_is_one_slack_morphism_reads_back() {
    let blocks = render(&approval(), "");
    let text = serde_json::to_string(&blocks).unwrap_or_default();
    let read: Result<Vec<SlackBlock>, _> = serde_json::from_str(&text);
    assert_eq!(read.ok(), Some(blocks));
}

#[test]
fn a_message_without_a_card_is_plain_escaped_text() {
    let message = Message::text("Tom & Jerry <script>");
    let content = serde_json::to_value(new_message(&message)).unwrap_or_default();
    assert_eq!(content, json!({"text": "Tom &amp; Jerry &lt;script&gt;"}));
    let replacement = serde_json::to_value(replacement(&message)).unwrap_or_default();
    assert_eq!(
        replacement,
        json!({"text": "Tom &amp; Jerry &lt;script&gt;", "blocks": []}),
        "an update without a card removes the old buttons"
    );
}

#[test]
fn a_card_without_text_is_announced_by_its_title() {
    let message = Message::with_card("", approval());
    let content = serde_json::to_value(new_message(&message)).unwrap_or_default();
    assert_eq!(content["text"], "Edit access to Finance");
    assert_eq!(content["blocks"].as_array().map(Vec::len), Some(3));
}

#[test]
fn clipping_keeps_within_the_limit_and_never_cuts_an_escape() {
    assert_eq!(clip("short", 10), "short");
    assert_eq!(clip("abcdefghijkl", 5), "abcd…");
    assert_eq!(clip("abc&amp;def", 6), "abc…");
    assert_eq!(clip("ééééé", 3).chars().count(), 3);
}

/// The approval card with its reason tied to Deny, as `approval::card` makes it.
fn approval_with_deny_reason() -> Card {
    let mut card = approval();
    card.inputs = vec![CardInput {
        id: "deny_reason".into(),
        label: "Reason if you deny (optional)".into(),
        placeholder: "Why not?".into(),
        for_verb: Some(Verb::Deny),
        max_length: None,
        choices: Vec::new(),
    }];
    card
}

#[test]
fn an_input_tied_to_a_verb_is_not_in_the_message_but_in_that_buttons_value() {
    let card = approval_with_deny_reason();
    let blocks = as_json(&render(&card, ""));
    let kinds: Vec<&str> = blocks
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block["type"].as_str())
        .collect();
    assert_eq!(kinds, ["header", "section", "actions"], "no input block");
    let values: Vec<Option<ButtonValue>> = blocks[2]["elements"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|button| button["value"].as_str().and_then(read_button_value))
        .collect();
    let data = json!({"request": "R1", "stage": 2});
    let ask = Ask {
        title: "Deny".into(),
        inputs: vec![AskedInput {
            id: "deny_reason".into(),
            label: "Reason if you deny (optional)".into(),
            placeholder: "Why not?".into(),
        }],
    };
    assert_eq!(
        values,
        [
            Some(ButtonValue::Data(data.clone())),
            Some(ButtonValue::AskFirst(AskFirst { ask, data })),
            Some(ButtonValue::Data(json!({"request": "R1"}))),
        ],
        "only Deny asks first"
    );
    for value in blocks[2]["elements"].as_array().into_iter().flatten() {
        let text = value["value"].as_str().unwrap_or_default();
        assert!(text.len() < 500, "well under Slack's 2000: {text}");
    }
}

#[test]
fn a_long_label_is_clipped_in_the_value_and_plain_data_that_looks_like_an_ask_is_refused() {
    let mut card = approval_with_deny_reason();
    card.inputs[0].label = "why ".repeat(500);
    let blocks = as_json(&render(&card, ""));
    let value = blocks[2]["elements"][1]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.len() < 1000, "{}", value.len());
    assert!(matches!(
        read_button_value(value),
        Some(ButtonValue::AskFirst(_))
    ));
    assert_eq!(read_button_value(r#"{"doorman.ask": "R1"}"#), None);
    assert_eq!(read_button_value("R1"), None);
    assert_eq!(
        read_button_value("null"),
        Some(ButtonValue::Data(Value::Null))
    );
}

/// Slack's own judgement of rendered blocks, as the simulator applies its limits.
fn slack_refuses(blocks: &[SlackBlock]) -> Vec<String> {
    use crate::sim::slack::block_kit::{Surface, problems};
    problems(&as_json(blocks), Surface::Message, "/blocks")
}

#[test]
fn a_long_access_list_fits_one_slack_message_and_names_the_buttons_left_out() {
    for grants in [24, 25, 40, 120] {
        let blocks = render(&access_list(grants), "");
        assert!(
            blocks.len() <= 50,
            "{grants} grants: {} blocks",
            blocks.len()
        );
        assert_eq!(
            slack_refuses(&blocks),
            Vec::<String>::new(),
            "{grants} grants"
        );
        let json = as_json(&blocks).to_string();
        for n in 0..grants {
            assert!(
                json.contains(&format!("R-{n:05})")),
                "grant {n} of {grants} is listed"
            );
        }
        let buttons = as_json(&blocks)
            .as_array()
            .into_iter()
            .flatten()
            .filter(|block| block["type"] == "actions")
            .count();
        if buttons < grants {
            assert!(
                json.contains(&format!("Remove Group {}", grants - 1)),
                "the last button left out is named"
            );
        }
    }
    assert_eq!(
        render(&access_list(24), "").len(),
        49,
        "a list that fits is unchanged"
    );
}

#[test]
fn cards_of_any_size_render_as_blocks_slack_accepts() {
    for sections in [0, 1, 10, 49, 50, 51, 200] {
        for facts in [0, 3, 11] {
            for buttons in [0, 1, 26, 60] {
                let card = Card {
                    refresh: None,
                    title: "t".repeat(200),
                    sections: (0..sections)
                        .map(|n| CardSection {
                            text: "x".repeat(if n % 7 == 0 { 3500 } else { 40 }),
                            facts: (0..facts)
                                .map(|f| (format!("k{f}"), "v".repeat(2100)))
                                .collect(),
                        })
                        .collect(),
                    inputs: Vec::new(),
                    buttons: (0..buttons)
                        .map(|n| CardButton::Execute {
                            title: "b".repeat(80),
                            verb: if n % 2 == 0 {
                                Verb::Choose
                            } else {
                                Verb::Revoke
                            },
                            data: json!({"n": n}),
                            style: ButtonStyle::Default,
                        })
                        .collect(),
                };
                let blocks = render(&card, "");
                assert_eq!(
                    slack_refuses(&blocks),
                    Vec::<String>::new(),
                    "{sections} sections of {facts} facts, {buttons} buttons"
                );
            }
        }
    }
}

//! Rendered cards and the templates in `adaptive-cards/` against the official Adaptive Cards 1.5
//! schema (offline), plus the click-data convention.

use std::error::Error;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::super::cards::{
    CARD_TEMPLATE, DATA_KEY, INPUTS_KEY, render, split_action_data, template_parses,
};
use super::TestResult;
use crate::domain::chat::example::access_list;
use crate::domain::chat::{
    ButtonStyle, Card, CardButton, CardInput, CardRefresh, CardSection, Verb,
};

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The schema beside the worktree; missing, the test fails rather than skips.
fn validator() -> Result<jsonschema::Validator, Box<dyn Error>> {
    let path = repository_root().join("../shared/reference/schemas/adaptive-card-1.5.schema.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("the adaptive card schema {}: {error}", path.display()))?;
    let schema: Value = serde_json::from_str(&text)?;
    Ok(jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .build(&schema)?)
}

/// Checks `card` against the schema and what the schema leaves out (version and root type).
fn assert_valid(validator: &jsonschema::Validator, card: &Value, what: &str) {
    assert_eq!(card["type"], "AdaptiveCard", "{what}");
    assert_eq!(card["version"], "1.5", "{what}");
    assert_eq!(
        card["$schema"], "http://adaptivecards.io/schemas/adaptive-card.json",
        "{what}"
    );
    let errors: Vec<String> = validator
        .iter_errors(card)
        .map(|error| format!("{} at {}", describe(&error), error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not a valid card: {errors:#?}\n{card:#}"
    );
}

/// The crate reports an invalid element as one `anyOf` failure; the branch errors say why.
fn describe(error: &jsonschema::ValidationError<'_>) -> String {
    match error.kind() {
        jsonschema::error::ValidationErrorKind::AnyOf { context } => context
            .iter()
            .flatten()
            .map(|inner| format!("{inner} at {}", inner.instance_path()))
            .collect::<Vec<_>>()
            .join("; "),
        _ => error.to_string(),
    }
}

fn approval() -> Card {
    Card {
        refresh: None,
        title: "Access request: Finance (edit)".into(),
        sections: vec![
            CardSection {
                text: "Ana Lopez asks for edit access for 30 days.".into(),
                facts: vec![
                    ("Resource".into(), "Finance site".into()),
                    ("Why approval".into(), "owner stage".into()),
                ],
            },
            CardSection {
                text: String::new(),
                facts: vec![("Reason".into(), "quarter close".into())],
            },
        ],
        inputs: vec![CardInput {
            id: "reason".into(),
            label: "Reason (for a denial)".into(),
            placeholder: "Why not?".into(),
            // Tied to Deny, and shown in the card all the same: Teams collects it there.
            for_verb: Some(Verb::Deny),
            max_length: Some(500),
            choices: Vec::new(),
        }],
        buttons: vec![
            CardButton::Execute {
                title: "Approve".into(),
                verb: Verb::Approve,
                data: json!({"request": "r-1", "stage": 1}),
                style: ButtonStyle::Positive,
            },
            CardButton::Execute {
                title: "Deny".into(),
                verb: Verb::Deny,
                data: json!({"request": "r-1", "stage": 1}),
                style: ButtonStyle::Destructive,
            },
            CardButton::Execute {
                title: "Always".into(),
                verb: Verb::ApproveAlways,
                data: json!("r-1"),
                style: ButtonStyle::Default,
            },
        ],
    }
}

fn shapes() -> Vec<(&'static str, Card, &'static str)> {
    let sign_in = Card {
        title: "Sign in".into(),
        buttons: vec![CardButton::OpenUrl {
            title: "Sign in".into(),
            url: "https://doorman.example/auth/start?state=abc".into(),
        }],
        ..Card::default()
    };
    let choose = Card {
        title: "Which one?".into(),
        buttons: ["Finance site", "Finance team"]
            .iter()
            .enumerate()
            .map(|(index, name)| CardButton::Execute {
                title: (*name).into(),
                verb: Verb::Choose,
                data: json!({"choice": index}),
                style: ButtonStyle::Default,
            })
            .collect(),
        ..Card::default()
    };
    let decided = Card {
        title: "Approved by Bo".into(),
        sections: vec![CardSection {
            text: "Done.".into(),
            facts: vec![],
        }],
        ..Card::default()
    };
    let bare = Card {
        buttons: vec![CardButton::Execute {
            title: "Revoke".into(),
            verb: Verb::Revoke,
            data: Value::Null,
            style: ButtonStyle::Destructive,
        }],
        ..Card::default()
    };
    vec![
        ("approval", approval(), "Please decide."),
        ("sign-in", sign_in, "You need to sign in first."),
        ("clarification", choose, ""),
        ("decided", decided, "Approved."),
        ("untitled", bare, ""),
        ("empty", Card::default(), ""),
    ]
}

#[test]
fn every_rendered_shape_is_a_valid_adaptive_card_1_5() -> TestResult {
    let validator = validator()?;
    for (what, card, text) in shapes() {
        assert_valid(&validator, &render(&card, text, &[]), what);
    }
    Ok(())
}

#[test]
fn an_approval_card_has_title_text_facts_input_and_styled_execute_actions() {
    let card = render(&approval(), "Please decide.", &[]);
    assert_eq!(
        card["body"][0],
        json!({"type": "TextBlock", "text": "Access request: Finance (edit)", "weight": "Bolder", "size": "Medium", "wrap": true})
    );
    assert_eq!(card["body"][1]["text"], "Please decide.");
    assert_eq!(card["body"][3]["type"], "FactSet");
    assert_eq!(
        card["body"][3]["facts"][0],
        json!({"title": "Resource", "value": "Finance site"})
    );
    assert_eq!(card["body"][5]["type"], "Input.Text");
    assert_eq!(card["body"][5]["id"], "reason");
    assert_eq!(card["body"][5]["isMultiline"], true);
    assert_eq!(
        card["body"][5]["maxLength"], 500,
        "the limit the bot keeps, shown"
    );
    let approve = &card["actions"][0];
    assert_eq!(approve["type"], "Action.Execute");
    assert_eq!(approve["verb"], "approve");
    assert_eq!(approve["style"], "positive");
    assert_eq!(
        approve["data"],
        json!({"request": "r-1", "stage": 1, INPUTS_KEY: ["reason"]})
    );
    assert_eq!(card["actions"][1]["style"], "destructive");
    assert_eq!(
        card["actions"][2]["data"],
        json!({DATA_KEY: "r-1", INPUTS_KEY: ["reason"]})
    );
    assert!(approve.get("id").is_none(), "no prototype ids leak");
}

#[test]
fn a_refreshing_card_names_its_people_and_asks_with_the_refresh_verb() -> TestResult {
    let validator = validator()?;
    let mut card = approval();
    card.refresh = Some(CardRefresh {
        data: json!({"request": "r-1", "stage": 0}),
        people: Vec::new(),
    });
    let ids: Vec<String> = (0..70).map(|n| format!("29:person-{n}")).collect();
    let rendered = render(&card, "Please decide.", &ids);
    assert_valid(&validator, &rendered, "refreshing");
    let refresh = &rendered["refresh"];
    assert_eq!(
        refresh["action"],
        json!({"type": "Action.Execute", "verb": "refresh", "data": {"request": "r-1", "stage": 0}})
    );
    assert_eq!(
        refresh["userIds"].as_array().map(Vec::len),
        Some(60),
        "Teams takes at most 60"
    );
    assert_eq!(refresh["userIds"][0], "29:person-0");
    // Nobody's id known: no userIds at all (a 1:1 chat refreshes for its one person).
    let rendered = render(&card, "", &[]);
    assert_valid(&validator, &rendered, "refreshing, nobody known");
    assert!(rendered["refresh"].get("userIds").is_none());
    // A card that does not ask has no refresh.
    assert!(render(&approval(), "", &ids).get("refresh").is_none());
    Ok(())
}

#[test]
fn a_card_without_buttons_has_no_actions() {
    let card = render(&shapes()[3].1, "Approved.", &[]);
    assert!(card.get("actions").is_none());
}

#[test]
fn click_data_splits_back_into_button_data_and_typed_inputs() {
    let rendered = render(&approval(), "", &[]);
    for (index, expected) in [
        (0, json!({"request": "r-1", "stage": 1})),
        (2, json!("r-1")),
    ] {
        let mut clicked = rendered["actions"][index]["data"].clone();
        clicked["reason"] = json!("not this quarter");
        let (data, inputs) = split_action_data(clicked);
        assert_eq!(data, expected);
        assert_eq!(inputs.get("reason"), Some(&json!("not this quarter")));
    }
    let (data, inputs) = split_action_data(json!({"request": "r-9", "reason": "typed"}));
    assert_eq!(
        data,
        json!({"request": "r-9", "reason": "typed"}),
        "unmarked data is all data"
    );
    assert_eq!(inputs, Map::new());
}

/// Replaces every `${...}` placeholder with a sample value of the right kind.
fn filled(template: &Value) -> Value {
    match template {
        Value::String(text) if text.starts_with("${") => {
            let sample = match text.as_str() {
                "${button.url}" => "https://doorman.example/auth/start".to_owned(),
                "${button.verb}" => "approve".to_owned(),
                other => format!(
                    "sample {}",
                    other.trim_start_matches("${").trim_end_matches('}')
                ),
            };
            Value::String(sample)
        }
        Value::Array(items) => Value::Array(items.iter().map(filled).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), filled(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn every_template_file_is_a_valid_card_once_its_placeholders_are_filled() -> TestResult {
    let validator = validator()?;
    let folder = repository_root().join("adaptive-cards");
    let mut checked = 0;
    for entry in std::fs::read_dir(&folder)? {
        let path = entry?.path();
        if path.extension().and_then(|extension| extension.to_str()) != Some("json") {
            continue;
        }
        let template: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        assert_valid(&validator, &filled(&template), &name_of(&path));
        checked += 1;
    }
    assert!(checked >= 1, "adaptive-cards/ holds the templates");
    template_parses(CARD_TEMPLATE)?;
    Ok(())
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn a_card_too_large_for_teams_keeps_within_its_limit_and_names_what_it_left_out() -> TestResult {
    let validator = validator()?;
    let small = render(&access_list(10), "", &[]);
    assert_eq!(
        small["actions"].as_array().map(Vec::len),
        Some(10),
        "a card that fits is whole"
    );
    for grants in [150, 400] {
        let card = render(
            &access_list(grants),
            "Each Remove button ends that access now.",
            &[],
        );
        let activity = json!({"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]});
        let size = serde_json::to_vec(&activity)?.len();
        assert!(size <= 28 * 1024, "{grants} grants: {size} bytes");
        assert_valid(&validator, &card, "a trimmed card");
        let note = card["body"]
            .as_array()
            .and_then(|body| body.last())
            .and_then(|block| block["text"].as_str())
            .unwrap_or_default();
        assert!(note.contains("Not shown as buttons"), "{note}");
        assert!(
            note.contains(&format!("Remove Group {}", grants - 1)) || note.ends_with('…'),
            "{note}"
        );
    }
    Ok(())
}

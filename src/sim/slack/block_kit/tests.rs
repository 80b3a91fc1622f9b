use serde_json::{Value, json};

use super::{Surface, problems};

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

fn button(text: Value, action_id: &str) -> Value {
    json!({"type": "button", "action_id": action_id, "text": text})
}

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text})
}

/// The problems of `blocks` in a message, each checked to name `pointer`.
fn refused(blocks: Value, pointer: &str) -> Vec<String> {
    let found = problems(&blocks, Surface::Message, "/blocks");
    assert!(
        found
            .iter()
            .any(|problem| problem.ends_with(&format!("[json-pointer:{pointer}]"))),
        "expected a problem at {pointer}, got {found:?}"
    );
    found
}

#[test]
fn what_slack_accepts_passes() {
    let blocks = json!([
        {"type": "header", "text": plain("Approval needed")},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Tom* asks"}, "fields": [
            {"type": "mrkdwn", "text": "*Group*\nVPN Users"}
        ]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "R-1"}]},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": "approve", "text": plain("Approve"), "style": "primary", "value": "{}"},
            {"type": "button", "action_id": "deny", "text": plain("Deny"), "style": "danger"},
            {"type": "button", "action_id": "sign_in", "text": plain("Sign in"), "url": "https://example.com"}
        ]},
        {"type": "section", "text": plain("x"), "accessory": button(plain("Remove"), "revoke")}
    ]);
    assert_eq!(
        problems(&blocks, Surface::Message, "/blocks"),
        Vec::<String>::new()
    );
}

#[test]
fn each_documented_limit_is_refused_where_it_is_broken() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("51 blocks", Value::Array(vec![section("x"); 51]), "/blocks"),
        (
            "a 3,001-character section",
            json!([section(&"x".repeat(3001))]),
            "/blocks/0/text/text",
        ),
        (
            "an empty section text",
            json!([section("")]),
            "/blocks/0/text/text",
        ),
        (
            "an unknown block type",
            json!([{"type": "nonsense"}]),
            "/blocks/0/type",
        ),
        (
            "a 76-character button",
            json!([{"type": "actions", "elements": [button(plain(&"y".repeat(76)), "a")]}]),
            "/blocks/0/elements/0/text/text",
        ),
        (
            "a button without text",
            json!([{"type": "actions", "elements": [{"type": "button", "action_id": "a"}]}]),
            "/blocks/0/elements/0",
        ),
        (
            "two elements with one action_id",
            json!([{"type": "actions", "elements": [button(plain("A"), "a"), button(plain("B"), "a")]}]),
            "/blocks/0/elements/1/action_id",
        ),
        (
            "mrkdwn in a button",
            json!([{"type": "actions", "elements": [button(json!({"type": "mrkdwn", "text": "*A*"}), "a")]}]),
            "/blocks/0/elements/0/text/type",
        ),
        (
            "a 151-character header",
            json!([{"type": "header", "text": plain(&"h".repeat(151))}]),
            "/blocks/0/text/text",
        ),
        (
            "eleven fields",
            json!([{"type": "section", "fields": vec![plain("f"); 11]}]),
            "/blocks/0/fields",
        ),
        (
            "a section with neither text nor fields",
            json!([{"type": "section"}]),
            "/blocks/0",
        ),
        (
            "26 elements in an actions block",
            json!([{"type": "actions", "elements": (0..26).map(|n| button(plain("b"), &format!("a{n}"))).collect::<Vec<_>>()}]),
            "/blocks/0/elements",
        ),
        (
            "a button style Slack does not have",
            json!([{"type": "actions", "elements": [{"type": "button", "action_id": "a", "text": plain("A"), "style": "secondary"}]}]),
            "/blocks/0/elements/0/style",
        ),
        (
            "a text input in an actions block",
            json!([{"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "a"}]}]),
            "/blocks/0/elements/0/type",
        ),
        (
            "a repeated block_id",
            json!([{"type": "divider", "block_id": "b"}, {"type": "divider", "block_id": "b"}]),
            "/blocks/1/block_id",
        ),
        (
            "an image without alt text",
            json!([{"type": "image", "image_url": "https://example.com/a.png"}]),
            "/blocks/0",
        ),
    ];
    for (what, blocks, pointer) in cases {
        let found = refused(blocks, pointer);
        assert!(
            !found.is_empty(),
            "{what} should be refused with a problem at {pointer}"
        );
    }
}

#[test]
fn problems_read_as_slack_words_them() {
    let found = problems(
        &json!([section(&"x".repeat(3001))]),
        Surface::Message,
        "/blocks",
    );
    assert_eq!(
        found,
        vec!["must be less than 3001 characters [json-pointer:/blocks/0/text/text]".to_owned()]
    );
}

#[test]
fn modals_take_a_hundred_blocks_and_no_file_blocks() {
    let hundred = Value::Array(vec![section("x"); 100]);
    assert!(problems(&hundred, Surface::Modal, "/view/blocks").is_empty());
    assert!(!problems(&hundred, Surface::Message, "/blocks").is_empty());
    let file = json!([{"type": "file", "external_id": "x", "source": "remote"}]);
    assert!(problems(&file, Surface::Message, "/blocks").is_empty());
    assert_eq!(
        problems(&file, Surface::Modal, "/view/blocks"),
        vec!["unsupported type: file [json-pointer:/view/blocks/0/type]".to_owned()]
    );
}

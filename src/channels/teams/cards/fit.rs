//! A card within Teams' message size limit. Teams refuses a bot message over about 28 KB with
//! 413 `MessageSizeTooBig`, so a card that would be larger (a long list with a button per line)
//! sheds its last buttons, then its last blocks, until it fits with room for the activity around
//! it, and ends with a line naming what was left out: nothing is dropped silently.

use serde_json::Value;

/// What a card may weigh, as JSON: the limit less room for the activity that carries it.
pub(super) const CARD_BYTES_MAX: usize = 26 * 1024;
/// Room kept for the closing note on what was left out.
const NOTE_MAX: usize = 1000;

/// `card` as it is when it fits, else trimmed to fit; `note` makes the closing text block.
pub(super) fn within_size(mut card: Value, note: impl Fn(String) -> Value) -> Value {
    if size(&card) <= CARD_BYTES_MAX {
        return card;
    }
    let budget = CARD_BYTES_MAX - NOTE_MAX - 200;
    let mut left_out: Vec<String> = Vec::new();
    let mut cut_text = false;
    while size(&card) > budget {
        if let Some(action) = pop(&mut card, "actions") {
            if let Some(title) = action["title"].as_str() {
                left_out.insert(0, title.to_owned());
            }
        } else if card["body"].as_array().is_some_and(|body| body.len() > 1) {
            pop(&mut card, "body");
            cut_text = true;
        } else {
            break;
        }
    }
    if card["actions"].as_array().is_some_and(Vec::is_empty) {
        if let Some(fields) = card.as_object_mut() {
            // A card with no buttons has no `actions` at all (the schema wants at least one).
            fields.remove("actions");
        }
    }
    let mut said = Vec::new();
    if cut_text {
        said.push("The rest of this message is too long for one Teams message.".to_owned());
    }
    if !left_out.is_empty() {
        said.push(format!(
            "Not shown as buttons, as a Teams message holds about 28 KB: {}.",
            left_out.join(", ")
        ));
    }
    let mut text = said.join(" ");
    if text.len() > NOTE_MAX {
        let mut end = NOTE_MAX - 3;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    if let Some(body) = card["body"].as_array_mut() {
        body.push(note(text));
    }
    card
}

fn size(card: &Value) -> usize {
    serde_json::to_vec(card).map_or(usize::MAX, |bytes| bytes.len())
}

/// Takes the last item of the array `name`, if there is one.
fn pop(card: &mut Value, name: &str) -> Option<Value> {
    card.get_mut(name).and_then(Value::as_array_mut)?.pop()
}

//! Slack's documented Block Kit limits, as `chat.postMessage`, `chat.update` and `views.open`
//! apply them: at most 50 blocks in a message and 100 in a modal, only known block types, each
//! block's required fields and text lengths (a section's text at most 3,000 characters, its
//! fields at most 10 of 2,000; a header's plain text at most 150), and the elements' own limits
//! ([`elements`]: a button's text plain text of at most 75 characters, action ids unique within
//! their block).
//!
//! Each problem is reported as Slack words it, with a JSON pointer to the offending value:
//! `must be less than 3001 characters [json-pointer:/blocks/0/text/text]`. A method answers
//! with all of them at once; it never accepts part of the blocks. This module only judges: it
//! changes nothing and knows nothing of messages or views.

mod elements;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use serde_json::Value;

/// Where blocks are shown: the limits differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Message,
    Modal,
}

impl Surface {
    fn max_blocks(self) -> usize {
        match self {
            Surface::Message => 50,
            Surface::Modal => 100,
        }
    }

    /// Whether a block of this type may appear here.
    fn admits(self, block_type: &str) -> bool {
        match block_type {
            "section" | "divider" | "header" | "actions" | "context" | "image" | "input"
            | "rich_text" | "video" => true,
            // Files, markdown and tables are message-only blocks.
            "file" | "markdown" | "table" => self == Surface::Message,
            _ => false,
        }
    }
}

const BLOCK_ID_MAX: usize = 255;
const SECTION_TEXT_MAX: usize = 3000;
const SECTION_FIELDS_MAX: usize = 10;
const FIELD_TEXT_MAX: usize = 2000;
const HEADER_TEXT_MAX: usize = 150;
const CONTEXT_ELEMENTS_MAX: usize = 10;
const ACTIONS_ELEMENTS_MAX: usize = 25;
const LABEL_MAX: usize = 2000;
const IMAGE_URL_MAX: usize = 3000;
const ALT_TEXT_MAX: usize = 2000;
const MARKDOWN_TEXT_MAX: usize = 12_000;

/// Every way `blocks` breaks Slack's limits on `surface`; `at` is the JSON pointer of the
/// array (`/blocks`, or `/view/blocks`). Empty when Slack would accept them.
pub fn problems(blocks: &Value, surface: Surface, at: &str) -> Vec<String> {
    let mut check = Check::default();
    let Some(items) = blocks.as_array() else {
        check.fail(at, "must be an array");
        return check.problems;
    };
    if items.len() > surface.max_blocks() {
        check.fail(
            at,
            format!("no more than {} items allowed", surface.max_blocks()),
        );
    }
    let mut block_ids = HashSet::new();
    for (index, block) in items.iter().enumerate() {
        let pointer = format!("{at}/{index}");
        check.block(block, surface, &pointer);
        if let Some(id) = block.get("block_id").and_then(Value::as_str) {
            if !block_ids.insert(id) {
                check.fail(&format!("{pointer}/block_id"), "duplicate block_id");
            }
        }
    }
    check.problems
}

/// What a view or message failed on so far.
#[derive(Debug, Default)]
pub(super) struct Check {
    pub(super) problems: Vec<String>,
}

/// How a text object is constrained where it appears.
#[derive(Debug, Clone, Copy)]
pub(super) struct TextRule {
    pub(super) max: usize,
    /// Only `plain_text` is allowed here (headers, buttons, labels, placeholders).
    pub(super) plain_only: bool,
}

impl TextRule {
    pub(super) const fn plain(max: usize) -> Self {
        TextRule {
            max,
            plain_only: true,
        }
    }

    pub(super) const fn any(max: usize) -> Self {
        TextRule {
            max,
            plain_only: false,
        }
    }
}

impl Check {
    pub(super) fn fail(&mut self, pointer: &str, message: impl std::fmt::Display) {
        self.problems
            .push(format!("{message} [json-pointer:{pointer}]"));
    }

    fn block(&mut self, block: &Value, surface: Surface, pointer: &str) {
        let Some(fields) = block.as_object() else {
            self.fail(pointer, "must be an object");
            return;
        };
        let Some(block_type) = fields.get("type").and_then(Value::as_str) else {
            self.fail(pointer, "missing required field: type");
            return;
        };
        if !surface.admits(block_type) {
            self.fail(
                &format!("{pointer}/type"),
                format!("unsupported type: {block_type}"),
            );
            return;
        }
        self.optional_string(block, "block_id", BLOCK_ID_MAX, pointer);
        match block_type {
            "section" => self.section(block, pointer),
            "header" => {
                self.required_text(block, "text", TextRule::plain(HEADER_TEXT_MAX), pointer)
            }
            "actions" => self.actions(block, pointer),
            "context" => self.context(block, pointer),
            "image" => self.image(block, pointer),
            "input" => self.input(block, pointer),
            "markdown" => self.required_string(block, "text", MARKDOWN_TEXT_MAX, pointer),
            "rich_text" if !block.get("elements").is_some_and(Value::is_array) => {
                self.fail(pointer, "missing required field: elements");
            }
            _ => {}
        }
    }

    fn section(&mut self, block: &Value, pointer: &str) {
        let has_text = block.get("text").is_some_and(|text| !text.is_null());
        let fields = block.get("fields").filter(|fields| !fields.is_null());
        if !has_text && fields.is_none() {
            self.fail(pointer, "must provide either text or fields");
        }
        if has_text {
            self.required_text(block, "text", TextRule::any(SECTION_TEXT_MAX), pointer);
        }
        if let Some(fields) = fields {
            let pointer = format!("{pointer}/fields");
            match fields.as_array() {
                Some(items) => {
                    if items.is_empty() || items.len() > SECTION_FIELDS_MAX {
                        self.fail(
                            &pointer,
                            format!("must have between 1 and {SECTION_FIELDS_MAX} items"),
                        );
                    }
                    for (index, field) in items.iter().enumerate() {
                        self.text(
                            field,
                            TextRule::any(FIELD_TEXT_MAX),
                            &format!("{pointer}/{index}"),
                        );
                    }
                }
                None => self.fail(&pointer, "must be an array"),
            }
        }
        if let Some(accessory) = block.get("accessory").filter(|value| !value.is_null()) {
            self.element(
                accessory,
                elements::Place::Accessory,
                &format!("{pointer}/accessory"),
            );
        }
    }

    fn actions(&mut self, block: &Value, pointer: &str) {
        let pointer = format!("{pointer}/elements");
        let Some(items) = block.get("elements").and_then(Value::as_array) else {
            self.fail(&pointer, "missing required field: elements");
            return;
        };
        if items.is_empty() || items.len() > ACTIONS_ELEMENTS_MAX {
            self.fail(
                &pointer,
                format!("must have between 1 and {ACTIONS_ELEMENTS_MAX} items"),
            );
        }
        let mut action_ids = HashSet::new();
        for (index, element) in items.iter().enumerate() {
            let at = format!("{pointer}/{index}");
            self.element(element, elements::Place::Actions, &at);
            if let Some(id) = element.get("action_id").and_then(Value::as_str) {
                if !action_ids.insert(id) {
                    self.fail(
                        &format!("{at}/action_id"),
                        "action_id must be unique within its block",
                    );
                }
            }
        }
    }

    fn context(&mut self, block: &Value, pointer: &str) {
        let pointer = format!("{pointer}/elements");
        let Some(items) = block.get("elements").and_then(Value::as_array) else {
            self.fail(&pointer, "missing required field: elements");
            return;
        };
        if items.is_empty() || items.len() > CONTEXT_ELEMENTS_MAX {
            self.fail(
                &pointer,
                format!("must have between 1 and {CONTEXT_ELEMENTS_MAX} items"),
            );
        }
        for (index, element) in items.iter().enumerate() {
            let at = format!("{pointer}/{index}");
            match element.get("type").and_then(Value::as_str) {
                Some("image") => self.image(element, &at),
                Some("plain_text" | "mrkdwn") => {
                    self.text(element, TextRule::any(SECTION_TEXT_MAX), &at)
                }
                _ => self.fail(&at, "must be an image or a text object"),
            }
        }
    }

    /// An image block or image element: a URL (or a Slack file) and its alt text.
    fn image(&mut self, image: &Value, pointer: &str) {
        if image.get("slack_file").is_none() {
            self.required_string(image, "image_url", IMAGE_URL_MAX, pointer);
        }
        self.required_string(image, "alt_text", ALT_TEXT_MAX, pointer);
        if image.get("title").is_some_and(|title| !title.is_null()) {
            self.required_text(image, "title", TextRule::plain(LABEL_MAX), pointer);
        }
    }

    fn input(&mut self, block: &Value, pointer: &str) {
        self.required_text(block, "label", TextRule::plain(LABEL_MAX), pointer);
        if block.get("hint").is_some_and(|hint| !hint.is_null()) {
            self.required_text(block, "hint", TextRule::plain(LABEL_MAX), pointer);
        }
        match block.get("element") {
            Some(element) if element.is_object() => {
                self.element(
                    element,
                    elements::Place::Input,
                    &format!("{pointer}/element"),
                );
            }
            _ => self.fail(pointer, "missing required field: element"),
        }
    }

    /// The text object at `name` in `parent`, which must be there.
    pub(super) fn required_text(
        &mut self,
        parent: &Value,
        name: &str,
        rule: TextRule,
        pointer: &str,
    ) {
        match parent.get(name) {
            Some(text) if !text.is_null() => self.text(text, rule, &format!("{pointer}/{name}")),
            _ => self.fail(pointer, format!("missing required field: {name}")),
        }
    }

    /// A text object: `plain_text` or `mrkdwn` (only `plain_text` where the rule says so),
    /// with a text of 1 to `rule.max` characters.
    pub(super) fn text(&mut self, text: &Value, rule: TextRule, pointer: &str) {
        let kind = text.get("type").and_then(Value::as_str);
        match kind {
            Some("plain_text") => {}
            Some("mrkdwn") if !rule.plain_only => {}
            Some("mrkdwn") => {
                self.fail(&format!("{pointer}/type"), "must be plain_text");
            }
            Some(other) => {
                self.fail(
                    &format!("{pointer}/type"),
                    format!("unsupported type: {other}"),
                );
            }
            None => self.fail(pointer, "missing required field: type"),
        }
        self.required_string(text, "text", rule.max, pointer);
    }

    /// A string at `name` of 1 to `max` characters.
    pub(super) fn required_string(
        &mut self,
        parent: &Value,
        name: &str,
        max: usize,
        pointer: &str,
    ) {
        match parent.get(name).and_then(Value::as_str) {
            Some(value) => self.length(value, max, &format!("{pointer}/{name}")),
            None => self.fail(pointer, format!("missing required field: {name}")),
        }
    }

    /// A string at `name` of 1 to `max` characters, when present.
    pub(super) fn optional_string(
        &mut self,
        parent: &Value,
        name: &str,
        max: usize,
        pointer: &str,
    ) {
        match parent.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(value)) => self.length(value, max, &format!("{pointer}/{name}")),
            Some(_) => self.fail(&format!("{pointer}/{name}"), "must be a string"),
        }
    }

    fn length(&mut self, value: &str, max: usize, pointer: &str) {
        let count = value.chars().count();
        if count == 0 {
            self.fail(pointer, "must be more than 0 characters");
        } else if count > max {
            self.fail(pointer, format!("must be less than {} characters", max + 1));
        }
    }
}

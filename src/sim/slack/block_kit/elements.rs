//! Block elements: which may stand where (in an `actions` block, as a section's accessory, in an
//! `input` block), and each one's documented limits. A button's text is plain text of at most
//! 75 characters and required; its `value` is at most 2,000 characters and its `url` 3,000; an
//! `action_id` at most 255; a select's options at most 100, an overflow menu's 1 to 5.

use serde_json::Value;

use super::{Check, TextRule};

/// Where an element stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Actions,
    Accessory,
    Input,
}

const SELECTS: &[&str] = &[
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
];

impl Place {
    fn admits(self, element_type: &str) -> bool {
        let choice = matches!(
            element_type,
            "checkboxes" | "radio_buttons" | "datepicker" | "timepicker"
        ) || SELECTS.contains(&element_type);
        match self {
            Place::Actions => {
                choice
                    || matches!(
                        element_type,
                        "button" | "overflow" | "datetimepicker" | "workflow_button"
                    )
            }
            Place::Accessory => {
                choice
                    || matches!(
                        element_type,
                        "button" | "overflow" | "image" | "workflow_button"
                    )
            }
            Place::Input => {
                choice
                    || matches!(
                        element_type,
                        "plain_text_input"
                            | "email_text_input"
                            | "url_text_input"
                            | "number_input"
                            | "rich_text_input"
                            | "datetimepicker"
                            | "file_input"
                    )
            }
        }
    }
}

const ACTION_ID_MAX: usize = 255;
const BUTTON_TEXT_MAX: usize = 75;
const BUTTON_VALUE_MAX: usize = 2000;
const URL_MAX: usize = 3000;
const PLACEHOLDER_MAX: usize = 150;
const OPTIONS_MAX: usize = 100;
const OVERFLOW_OPTIONS_MAX: usize = 5;
const OPTION_TEXT_MAX: usize = 75;
const OPTION_VALUE_MAX: usize = 150;
const CONFIRM_TITLE_MAX: usize = 100;
const CONFIRM_TEXT_MAX: usize = 300;
const CONFIRM_BUTTON_MAX: usize = 30;

impl Check {
    pub(super) fn element(&mut self, element: &Value, place: Place, pointer: &str) {
        let Some(element_type) = element.get("type").and_then(Value::as_str) else {
            self.fail(pointer, "missing required field: type");
            return;
        };
        if !place.admits(element_type) {
            self.fail(
                &format!("{pointer}/type"),
                format!("unsupported type: {element_type}"),
            );
            return;
        }
        self.optional_string(element, "action_id", ACTION_ID_MAX, pointer);
        if element
            .get("placeholder")
            .is_some_and(|value| !value.is_null())
        {
            self.required_text(
                element,
                "placeholder",
                TextRule::plain(PLACEHOLDER_MAX),
                pointer,
            );
        }
        if let Some(confirm) = element.get("confirm").filter(|value| !value.is_null()) {
            self.confirm(confirm, &format!("{pointer}/confirm"));
        }
        match element_type {
            "button" => self.button(element, pointer),
            "overflow" => self.options(element, 1, OVERFLOW_OPTIONS_MAX, pointer),
            "checkboxes" | "radio_buttons" => self.options(element, 1, 10, pointer),
            "image" => self.image(element, pointer),
            select
                if select.ends_with("static_select") && element.get("option_groups").is_none() =>
            {
                self.options(element, 1, OPTIONS_MAX, pointer);
            }
            _ => {}
        }
    }

    fn button(&mut self, button: &Value, pointer: &str) {
        self.required_text(button, "text", TextRule::plain(BUTTON_TEXT_MAX), pointer);
        self.optional_string(button, "value", BUTTON_VALUE_MAX, pointer);
        self.optional_string(button, "url", URL_MAX, pointer);
        self.optional_string(button, "accessibility_label", BUTTON_TEXT_MAX, pointer);
        match button.get("style") {
            None | Some(Value::Null) => {}
            Some(Value::String(style)) if style == "primary" || style == "danger" => {}
            Some(_) => self.fail(
                &format!("{pointer}/style"),
                "must be one of: primary, danger",
            ),
        }
    }

    fn options(&mut self, element: &Value, min: usize, max: usize, pointer: &str) {
        let pointer = format!("{pointer}/options");
        let Some(options) = element.get("options").and_then(Value::as_array) else {
            self.fail(&pointer, "missing required field: options");
            return;
        };
        if options.len() < min || options.len() > max {
            self.fail(&pointer, format!("must have between {min} and {max} items"));
        }
        for (index, option) in options.iter().enumerate() {
            let at = format!("{pointer}/{index}");
            self.required_text(option, "text", TextRule::any(OPTION_TEXT_MAX), &at);
            self.required_string(option, "value", OPTION_VALUE_MAX, &at);
        }
    }

    fn confirm(&mut self, confirm: &Value, pointer: &str) {
        self.required_text(
            confirm,
            "title",
            TextRule::plain(CONFIRM_TITLE_MAX),
            pointer,
        );
        self.required_text(confirm, "text", TextRule::any(CONFIRM_TEXT_MAX), pointer);
        self.required_text(
            confirm,
            "confirm",
            TextRule::plain(CONFIRM_BUTTON_MAX),
            pointer,
        );
        self.required_text(
            confirm,
            "deny",
            TextRule::plain(CONFIRM_BUTTON_MAX),
            pointer,
        );
    }
}

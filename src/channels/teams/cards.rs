//! Adaptive Cards 1.5 from the neutral [`Card`], and the way back from a clicked card's data.
//!
//! Owns the rendering and the `Action.Execute` data convention. The skeleton lives in
//! `adaptive-cards/card.json`: a valid card holding one prototype of each element (found by its
//! `id`: `title`, `text`, `facts`, `input`, `choice`, `execute`, `open_url`, and the root's
//! `refresh`);
//! rendering clones prototypes
//! and fills them structurally, never by splicing strings into JSON. A card too large for one
//! Teams message is trimmed to fit, saying what it left out ([`fit`]). Must not: put identity into
//! action data, or emit anything outside Adaptive Cards 1.5 (Teams renders no newer bot cards).
//!
//! Clicks come back with `data` = the button's data merged with the typed inputs. So that the
//! two can be told apart, an action's data names the card's input ids under [`INPUTS_KEY`];
//! button data that is not an object travels under [`DATA_KEY`].

mod fit;

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::domain::chat::{ButtonStyle, Card, CardButton, CardInput, CardSection, Verb};

/// The member of an action's data that lists the ids of the card's inputs.
pub(super) const INPUTS_KEY: &str = "doorman.inputs";
/// The member of an action's data that carries button data which is not a JSON object.
pub(super) const DATA_KEY: &str = "doorman.data";

/// The skeleton, compiled in.
pub(super) const CARD_TEMPLATE: &str = include_str!("../../../adaptive-cards/card.json");

/// The Adaptive Card for `card`, with `text` (the message's text) under its title, within
/// Teams' message size limit ([`fit`]). A card that
/// asks to be refreshed gets a `refresh` whose `userIds` are `user_ids` (the `29:` ids of its
/// people, at most 60 as Teams allows); none known leaves `userIds` out, which in a 1:1 chat
/// refreshes for the one person there.
pub(super) fn render(card: &Card, text: &str, user_ids: &[String]) -> Value {
    let template = &*TEMPLATE;
    let mut body = Vec::new();
    if !card.title.is_empty() {
        body.push(with(&template.title, &[("text", json!(card.title))]));
    }
    // Said once: a text the title already says is not repeated under it.
    if !text.trim().is_empty() && text.trim() != card.title.trim() {
        body.push(with(&template.text, &[("text", json!(text))]));
    }
    for section in &card.sections {
        body.extend(render_section(template, section));
    }
    for input in &card.inputs {
        body.push(render_input(template, input));
    }
    let input_ids: Vec<&str> = card.inputs.iter().map(|input| input.id.as_str()).collect();
    let actions: Vec<Value> = card
        .buttons
        .iter()
        .map(|button| render_button(template, button, &input_ids))
        .collect();
    let mut rendered = template.root.clone();
    if let Some(root) = rendered.as_object_mut() {
        root.insert("body".to_owned(), Value::Array(body));
        // A decided card keeps no live buttons: no `actions` at all.
        if !actions.is_empty() {
            root.insert("actions".to_owned(), Value::Array(actions));
        }
        if let Some(refresh) = &card.refresh {
            root.insert(
                "refresh".to_owned(),
                render_refresh(template, &refresh.data, user_ids),
            );
        }
    }
    fit::within_size(rendered, |note| {
        with(&template.text, &[("text", json!(note))])
    })
}

/// Teams takes at most 60 people in `refresh.userIds`.
const MAX_REFRESH_USERS: usize = 60;

fn render_refresh(template: &Template, data: &Value, user_ids: &[String]) -> Value {
    let mut refresh = template.refresh.clone();
    if let Some(fields) = refresh.as_object_mut() {
        let mut action = fields.get("action").cloned().unwrap_or_else(|| json!({}));
        if let Some(action) = action.as_object_mut() {
            action.insert("verb".to_owned(), json!(Verb::Refresh.as_str()));
            match action_data(data, &[]) {
                Some(data) => action.insert("data".to_owned(), data),
                None => action.remove("data"),
            };
        }
        fields.insert("action".to_owned(), action);
        if user_ids.is_empty() {
            fields.remove("userIds");
        } else {
            let ids: Vec<&String> = user_ids.iter().take(MAX_REFRESH_USERS).collect();
            fields.insert("userIds".to_owned(), json!(ids));
        }
    }
    refresh
}

/// Splits a click's `value.action.data` into the button's data and the typed inputs, by the
/// input ids the card listed under [`INPUTS_KEY`]. Data without that list (not rendered here)
/// is all data.
pub(super) fn split_action_data(data: Value) -> (Value, Map<String, Value>) {
    let Value::Object(mut fields) = data else {
        return (data, Map::new());
    };
    let mut inputs = Map::new();
    if let Some(Value::Array(ids)) = fields.remove(INPUTS_KEY) {
        for id in ids.iter().filter_map(Value::as_str) {
            if let Some(value) = fields.remove(id) {
                inputs.insert(id.to_owned(), value);
            }
        }
    }
    let data = match fields.remove(DATA_KEY) {
        Some(data) => data,
        None => Value::Object(fields),
    };
    (data, inputs)
}

/// The prototypes of `adaptive-cards/card.json`, taken apart once.
struct Template {
    root: Value,
    refresh: Value,
    title: Value,
    text: Value,
    facts: Value,
    input: Value,
    choice: Value,
    execute: Value,
    open_url: Value,
}

static TEMPLATE: LazyLock<Template> = LazyLock::new(|| {
    // The template is compiled in and `every_template_file_is_a_valid_card` parses it and finds
    // every prototype, so a failure here is a broken build, not bad input.
    Template::parse(CARD_TEMPLATE).expect("adaptive-cards/card.json is a valid template")
});

impl Template {
    fn parse(text: &str) -> Result<Template, String> {
        let mut root: Value = serde_json::from_str(text).map_err(|error| error.to_string())?;
        let fields = root
            .as_object_mut()
            .ok_or("the template is not an object")?;
        let body = take_array(fields, "body")?;
        let actions = take_array(fields, "actions")?;
        let refresh = fields
            .remove("refresh")
            .ok_or("the template has no refresh")?;
        Ok(Template {
            refresh,
            title: prototype(&body, "title")?,
            text: prototype(&body, "text")?,
            facts: prototype(&body, "facts")?,
            input: prototype(&body, "input")?,
            choice: prototype(&body, "choice")?,
            execute: prototype(&actions, "execute")?,
            open_url: prototype(&actions, "open_url")?,
            root,
        })
    }
}

fn take_array(fields: &mut Map<String, Value>, name: &str) -> Result<Vec<Value>, String> {
    match fields.remove(name) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(format!("the template has no {name} array")),
    }
}

/// The element with `id`, without its id: prototype ids must not leak into cards, where ids
/// have to be unique.
fn prototype(elements: &[Value], id: &str) -> Result<Value, String> {
    let mut element = elements
        .iter()
        .find(|element| element.get("id").and_then(Value::as_str) == Some(id))
        .cloned()
        .ok_or_else(|| format!("the template has no element with id {id}"))?;
    if let Some(fields) = element.as_object_mut() {
        fields.remove("id");
    }
    Ok(element)
}

/// A copy of `prototype` with `fields` set.
fn with(prototype: &Value, fields: &[(&str, Value)]) -> Value {
    let mut element = prototype.clone();
    if let Some(object) = element.as_object_mut() {
        for (name, value) in fields {
            object.insert((*name).to_owned(), value.clone());
        }
    }
    element
}

fn render_section(template: &Template, section: &CardSection) -> Vec<Value> {
    let mut elements = Vec::new();
    if !section.text.is_empty() {
        elements.push(with(&template.text, &[("text", json!(section.text))]));
    }
    if !section.facts.is_empty() {
        let facts: Vec<Value> = section
            .facts
            .iter()
            .map(|(label, value)| json!({"title": label, "value": value}))
            .collect();
        elements.push(with(&template.facts, &[("facts", Value::Array(facts))]));
    }
    elements
}

fn render_input(template: &Template, input: &CardInput) -> Value {
    if input.is_choice() {
        return render_choice(template, input);
    }
    let mut rendered = with(
        &template.input,
        &[
            ("id", json!(input.id)),
            ("label", json!(input.label)),
            ("placeholder", json!(input.placeholder)),
        ],
    );
    if let (Some(max), Some(fields)) = (input.max_length, rendered.as_object_mut()) {
        fields.insert("maxLength".to_owned(), json!(max));
    }
    rendered
}

/// A pick among choices: a compact `Input.ChoiceSet` (a drop-down), with nothing picked
/// until the person picks, so no click acts on a default nobody chose.
fn render_choice(template: &Template, input: &CardInput) -> Value {
    let choices: Vec<Value> = input
        .choices
        .iter()
        .map(|choice| json!({"title": choice.title, "value": choice.value}))
        .collect();
    with(
        &template.choice,
        &[
            ("id", json!(input.id)),
            ("label", json!(input.label)),
            ("placeholder", json!(input.placeholder)),
            ("choices", Value::Array(choices)),
        ],
    )
}

fn render_button(template: &Template, button: &CardButton, input_ids: &[&str]) -> Value {
    match button {
        CardButton::OpenUrl { title, url } => with(
            &template.open_url,
            &[("title", json!(title)), ("url", json!(url))],
        ),
        CardButton::Execute {
            title,
            verb,
            data,
            style,
        } => {
            let style = match style {
                ButtonStyle::Default => "default",
                ButtonStyle::Positive => "positive",
                ButtonStyle::Destructive => "destructive",
            };
            let mut action = with(
                &template.execute,
                &[
                    ("title", json!(title)),
                    ("verb", json!(verb.as_str())),
                    ("style", json!(style)),
                ],
            );
            if let Some(object) = action.as_object_mut() {
                match action_data(data, input_ids) {
                    Some(data) => object.insert("data".to_owned(), data),
                    None => object.remove("data"),
                };
            }
            action
        }
    }
}

/// The `data` of an `Action.Execute`: the button's object with the input ids added, or `None`
/// when there is nothing to carry (the schema allows no `null`).
fn action_data(data: &Value, input_ids: &[&str]) -> Option<Value> {
    let mut fields = match data {
        Value::Object(fields) => fields.clone(),
        Value::Null => Map::new(),
        other => Map::from_iter([(DATA_KEY.to_owned(), other.clone())]),
    };
    if !input_ids.is_empty() {
        fields.insert(INPUTS_KEY.to_owned(), json!(input_ids));
    }
    if fields.is_empty() && data.is_null() {
        return None;
    }
    Some(Value::Object(fields))
}

#[cfg(test)]
pub(super) fn template_parses(text: &str) -> Result<(), String> {
    Template::parse(text).map(drop)
}

//! Block Kit rendering of the neutral [`Message`] and [`Card`]: a `header` for the title,
//! `section` blocks (mrkdwn text, facts as `fields`) and `actions` blocks of buttons.
//!
//! Owns the mapping of card buttons to Slack buttons: an `Execute` button's `action_id` is its
//! verb and its `value` the data as a JSON string; an `OpenUrl` button is a link button with
//! `action_id` `sign_in`. Must not: put identity into a button, or call Slack.
//!
//! A message holds at most 50 blocks. A card that would need more (a long list with a button
//! per line) has its sections joined line by line, each within Slack's 3,000 characters, and
//! keeps the buttons that still fit; a last section names the buttons left out, so nothing is
//! dropped silently and Slack never refuses the message (`invalid_blocks`).
//!
//! A choice input ([`CardInput::choices`]) is a `static_select` in a section of its own, above
//! the buttons; Slack sends what was picked with a button's click (`state.values`). Text inputs
//! are not rendered in messages: a message cannot collect text in Slack the way an
//! Adaptive Card does. An input tied to one button's verb ([`CardInput::for_verb`], a deny
//! reason) is asked for in a modal once that button is clicked: the button's value is then an
//! [`AskFirst`], the data with what to ask, from which the interactions endpoint opens the
//! modal (`views.open`). An input tied to no verb is left out, as it always was.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use slack_morphism::prelude::*;
use url::Url;

use crate::domain::chat::{ButtonStyle, Card, CardButton, CardInput, CardSection, Message, Verb};

/// The `action_id` of link buttons. Slack reports clicks on them too, and the interactions
/// endpoint ignores them because this is not a [`Verb`](crate::domain::chat::Verb).
pub(super) const SIGN_IN_ACTION: &str = "sign_in";

// Block Kit's limits; longer text is rejected with `invalid_blocks`, so it is clipped here.
const HEADER_TEXT_MAX: usize = 150;
const SECTION_TEXT_MAX: usize = 3000;
const FIELD_TEXT_MAX: usize = 2000;
const FIELDS_PER_SECTION: usize = 10;
const BUTTON_TEXT_MAX: usize = 75;
const BUTTON_VALUE_MAX: usize = 2000;
const ELEMENTS_PER_ACTIONS: usize = 25;
const MESSAGE_TEXT_MAX: usize = 40_000;
const MESSAGE_BLOCKS_MAX: usize = 50;
const OPTIONS_PER_SELECT: usize = 100;
const OPTION_TEXT_MAX: usize = 75;
const OPTION_VALUE_MAX: usize = 150;
const PLACEHOLDER_MAX: usize = 150;
// What a button value keeps of an input's texts: Slack's limit on a placeholder, and a label
// no card needs more of, so the value stays well under its own limit.
const ASKED_LABEL_MAX: usize = 150;
const ASKED_PLACEHOLDER_MAX: usize = 150;

/// The member that sets an [`AskFirst`] value apart from a button's plain data.
const ASK_KEY: &str = "doorman.ask";

/// The `value` of a button whose click needs inputs first: the button's data as it is, and
/// what to ask for (the card's inputs tied to the button's verb, and the button's title).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AskFirst {
    #[serde(rename = "doorman.ask")]
    pub(super) ask: Ask,
    pub(super) data: Value,
}

/// What a modal asks before a click counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Ask {
    /// The clicked button's title ("Deny"): the modal says it again on its submit button.
    pub(super) title: String,
    pub(super) inputs: Vec<AskedInput>,
}

/// One input a modal asks for: the card input's id, label and placeholder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AskedInput {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) placeholder: String,
}

/// A Slack button's value, read back.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ButtonValue {
    /// The button's data: the click counts as it comes.
    Data(Value),
    /// The data, with inputs to ask for before the click counts.
    AskFirst(AskFirst),
}

/// Reads a button's value as [`button`] wrote it; `None` when it is not JSON, or claims to ask
/// first and does not say what.
pub(super) fn read_button_value(value: &str) -> Option<ButtonValue> {
    let value: Value = serde_json::from_str(value).ok()?;
    if value.get(ASK_KEY).is_none() {
        return Some(ButtonValue::Data(value));
    }
    serde_json::from_value(value)
        .ok()
        .map(ButtonValue::AskFirst)
}

/// Escapes the three characters Slack's mrkdwn gives meaning to (`<@U1>`, `<url|label>`), so
/// that text people or the catalog wrote shows as written and cannot mention or link.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The content of a new message: the text (which is also the notification text) and the card's
/// blocks when there is a card.
pub(super) fn new_message(message: &Message) -> SlackMessageContent {
    SlackMessageContent::new()
        .with_text(message_text(message))
        .opt_blocks(
            message
                .card
                .as_ref()
                .map(|card| render(card, &message.text)),
        )
}

/// The content that replaces a message. Without a card the blocks are sent empty, because
/// `chat.update` keeps the previous blocks when none are given, and a decided card must keep
/// no live buttons.
pub(super) fn replacement(message: &Message) -> SlackMessageContent {
    SlackMessageContent::new()
        .with_text(message_text(message))
        .with_blocks(
            message
                .card
                .as_ref()
                .map(|card| render(card, &message.text))
                .unwrap_or_default(),
        )
}

/// A card as blocks: header, the message's `text`, sections, then the buttons, within Slack's
/// 50 blocks ([`fit`] when they would be more). Slack shows a message's `text` only in
/// notifications once it has blocks, so the text is also the first section, as Teams shows it
/// under the card's title: what a message says is seen on both platforms.
pub(super) fn render(card: &Card, text: &str) -> Vec<SlackBlock> {
    let rows = button_rows(&card.buttons, &card.inputs);
    let sections = led_by(text, card);
    let blocks = assemble(card, &sections, &rows);
    if blocks.len() <= MESSAGE_BLOCKS_MAX {
        return blocks;
    }
    fit::within_limit(card, &sections, &rows)
}

/// The card's sections, after one holding the message's `text` unless it is empty or the
/// card's title already says it.
fn led_by(text: &str, card: &Card) -> Vec<CardSection> {
    let shown = !text.trim().is_empty() && text.trim() != card.title.trim();
    let lead = shown.then(|| CardSection {
        text: text.to_owned(),
        facts: Vec::new(),
    });
    lead.into_iter()
        .chain(card.sections.iter().cloned())
        .collect()
}

/// The header, the blocks of `sections`, then an `actions` block per row of buttons.
fn assemble(card: &Card, sections: &[CardSection], rows: &[ButtonRow]) -> Vec<SlackBlock> {
    let mut blocks = Vec::new();
    if !card.title.trim().is_empty() {
        let title = clip(&card.title, HEADER_TEXT_MAX);
        blocks.push(SlackHeaderBlock::new(SlackBlockPlainText::new(title).into()).into());
    }
    for section in sections {
        blocks.extend(self::sections(section));
    }
    blocks.extend(card.inputs.iter().filter_map(choice_block));
    blocks.extend(rows.iter().map(actions_block));
    blocks
}

/// A choice input as a section: its label, and a `static_select` whose `action_id` is the
/// input's id (not a verb, so picking alone does nothing; the button's click carries the pick).
/// Slack takes at most 100 options of at most 150-character values: a card offers no more, and
/// an option past that is left out and logged, as a bug in the card.
fn choice_block(input: &CardInput) -> Option<SlackBlock> {
    if !input.is_choice() {
        return None;
    }
    let options: Vec<SlackBlockChoiceItem<SlackBlockPlainTextOnly>> = input
        .choices
        .iter()
        .filter(|choice| {
            let fits = choice.value.chars().count() <= OPTION_VALUE_MAX;
            if !fits {
                tracing::warn!(input = %input.id, "choice value too long for slack, left out");
            }
            fits
        })
        .take(OPTIONS_PER_SELECT)
        .map(|choice| {
            SlackBlockChoiceItem::new(
                SlackBlockPlainText::new(clip(&choice.title, OPTION_TEXT_MAX)).into(),
                choice.value.clone(),
            )
        })
        .collect();
    if options.len() < input.choices.len() {
        tracing::warn!(input = %input.id, "more choices than a slack select holds, cut");
    }
    let select = SlackBlockStaticSelectElement::new()
        .with_action_id(SlackActionId::new(input.id.clone()))
        .with_placeholder(
            SlackBlockPlainText::new(clip(&input.placeholder, PLACEHOLDER_MAX)).into(),
        )
        .with_options(options);
    let label = markdown(clip(&escape(&input.label), SECTION_TEXT_MAX));
    Some(
        SlackSectionBlock::new()
            .with_text(label)
            .with_accessory(select.into())
            .into(),
    )
}

/// The text field: the message's own text, or the card's title when the message has none, so
/// notifications and screen readers have something to say.
fn message_text(message: &Message) -> String {
    let text = match &message.card {
        Some(card) if message.text.trim().is_empty() => &card.title,
        _ => &message.text,
    };
    clip(&escape(text), MESSAGE_TEXT_MAX)
}

/// One section for the text, with up to ten facts as fields; further facts continue in
/// sections of fields alone.
fn sections(section: &CardSection) -> Vec<SlackBlock> {
    let text = (!section.text.trim().is_empty())
        .then(|| markdown(clip(&escape(&section.text), SECTION_TEXT_MAX)));
    let fields: Vec<SlackBlockText> = section
        .facts
        .iter()
        .map(|(label, value)| {
            let field = format!("*{}*\n{}", escape(label), escape(value));
            markdown(clip(&field, FIELD_TEXT_MAX))
        })
        .collect();
    let mut chunks = fields.chunks(FIELDS_PER_SECTION);
    let mut blocks: Vec<SlackBlock> = Vec::new();
    let first_fields = chunks.next().map(<[SlackBlockText]>::to_vec);
    if text.is_some() || first_fields.is_some() {
        blocks.push(
            SlackSectionBlock::new()
                .opt_text(text)
                .opt_fields(first_fields)
                .into(),
        );
    }
    for more in chunks {
        blocks.push(SlackSectionBlock::new().with_fields(more.to_vec()).into());
    }
    blocks
}

/// One `actions` block's buttons, each with its title.
type ButtonRow = Vec<(String, SlackBlockButtonElement)>;

/// The buttons, in order, in as many `actions` blocks as needed: a new block starts when one
/// is full or already holds a button with the same `action_id` (several `choose` buttons, say),
/// because Slack wants action ids unique within a block and the action id must stay the verb.
fn button_rows(buttons: &[CardButton], inputs: &[CardInput]) -> Vec<ButtonRow> {
    let mut rows: Vec<ButtonRow> = Vec::new();
    for (title, button) in buttons.iter().filter_map(|card_button| {
        button(card_button, inputs).map(|button| (title_of(card_button).to_owned(), button))
    }) {
        let fits = rows.last().is_some_and(|row| {
            row.len() < ELEMENTS_PER_ACTIONS
                && !row
                    .iter()
                    .any(|(_, element)| element.action_id == button.action_id)
        });
        match rows.last_mut() {
            Some(row) if fits => row.push((title, button)),
            _ => rows.push(vec![(title, button)]),
        }
    }
    rows
}

fn title_of(button: &CardButton) -> &str {
    match button {
        CardButton::Execute { title, .. } | CardButton::OpenUrl { title, .. } => title,
    }
}

fn actions_block(row: &ButtonRow) -> SlackBlock {
    SlackActionsBlock::new(
        row.iter()
            .map(|(_, element)| element.clone().into())
            .collect(),
    )
    .into()
}

/// One Slack button, or none when the card's button cannot be one (a value or URL past Slack's
/// limits); that is logged, because it is a bug in the card, not the person's doing. `inputs`
/// are the card's, of which the button asks first for those tied to its verb.
fn button(button: &CardButton, inputs: &[CardInput]) -> Option<SlackBlockButtonElement> {
    match button {
        CardButton::Execute {
            title,
            verb,
            data,
            style,
        } => {
            let value = button_value(title, *verb, data, inputs);
            if value.len() > BUTTON_VALUE_MAX {
                tracing::warn!(
                    verb = verb.as_str(),
                    "button data too long for slack, left out"
                );
                return None;
            }
            Some(
                SlackBlockButtonElement::new(button_text(title))
                    .with_action_id(SlackActionId::new(verb.as_str().to_owned()))
                    .with_value(value)
                    .opt_style(button_style(*style)),
            )
        }
        CardButton::OpenUrl { title, url } => match Url::parse(url) {
            Ok(url) => Some(
                SlackBlockButtonElement::new(button_text(title))
                    .with_action_id(SlackActionId::new(SIGN_IN_ACTION.to_owned()))
                    .with_url(url),
            ),
            Err(_) => {
                tracing::warn!("link button without a valid url, left out");
                None
            }
        },
    }
}

/// The button's value: its data as a JSON string (`null` stays `null`, which still parses
/// back), or an [`AskFirst`] when the card has inputs tied to the button's verb.
fn button_value(title: &str, verb: Verb, data: &Value, inputs: &[CardInput]) -> String {
    let asked: Vec<AskedInput> = inputs
        .iter()
        .filter(|input| input.for_verb == Some(verb) && !input.is_choice())
        .map(|input| AskedInput {
            id: input.id.clone(),
            label: clip(&input.label, ASKED_LABEL_MAX),
            placeholder: clip(&input.placeholder, ASKED_PLACEHOLDER_MAX),
        })
        .collect();
    if asked.is_empty() {
        return data.to_string();
    }
    let ask_first = AskFirst {
        ask: Ask {
            title: clip(title, BUTTON_TEXT_MAX),
            inputs: asked,
        },
        data: data.clone(),
    };
    // Strings and a JSON value always serialise; were it ever to fail, the plain data still
    // makes a working button, whose click counts without asking.
    serde_json::to_string(&ask_first).unwrap_or_else(|_| data.to_string())
}

fn button_text(title: &str) -> SlackBlockPlainTextOnly {
    SlackBlockPlainText::new(clip(title, BUTTON_TEXT_MAX)).into()
}

fn button_style(style: ButtonStyle) -> Option<SlackBlockButtonStyle> {
    match style {
        ButtonStyle::Default => None,
        ButtonStyle::Positive => Some(SlackBlockButtonStyle::Primary),
        ButtonStyle::Destructive => Some(SlackBlockButtonStyle::Danger),
    }
}

fn markdown(text: String) -> SlackBlockText {
    SlackBlockMarkDownText::new(text).into()
}

/// `text` cut to at most `max` characters, ending in an ellipsis when cut. Cutting happens on
/// character boundaries, and never inside an escape like `&amp;`.
pub(super) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    if let Some(ampersand) = clipped.rfind('&') {
        if !clipped[ampersand..].contains(';') {
            clipped.truncate(ampersand);
        }
    }
    clipped.push('…');
    clipped
}

mod fit;
#[cfg(test)]
mod tests;

//! A card too big for one Slack message, made to fit its 50 blocks: the sections become text
//! joined line by line (facts too), each section within 3,000 characters; the buttons that
//! still fit are kept; a last section names what was left out.

use slack_morphism::prelude::*;

use super::{
    ButtonRow, MESSAGE_BLOCKS_MAX, SECTION_TEXT_MAX, actions_block, assemble, clip, escape,
    markdown,
};
use crate::domain::chat::{Card, CardSection};

/// The blocks of `card`, shown as `sections`, whose buttons are `rows`, in at most
/// [`MESSAGE_BLOCKS_MAX`] blocks.
pub(super) fn within_limit(
    card: &Card,
    sections: &[CardSection],
    rows: &[ButtonRow],
) -> Vec<SlackBlock> {
    let sections = joined_sections(sections);
    let mut blocks = assemble(card, &sections, &[]);
    let mut notes = Vec::new();
    // One block stays free for the note on what was left out.
    if blocks.len() >= MESSAGE_BLOCKS_MAX {
        blocks.truncate(MESSAGE_BLOCKS_MAX - 1);
        notes.push("The rest of this message is too long for one Slack message.".to_owned());
    }
    let room = MESSAGE_BLOCKS_MAX.saturating_sub(blocks.len() + 1);
    let (kept, left_out) = rows.split_at(rows.len().min(room));
    blocks.extend(kept.iter().map(actions_block));
    let titles: Vec<String> = left_out
        .iter()
        .flatten()
        .map(|(title, _)| escape(title))
        .collect();
    if !titles.is_empty() {
        notes.push(format!(
            "Not shown as buttons, as a Slack message holds at most {MESSAGE_BLOCKS_MAX} blocks: {}.",
            titles.join(", ")
        ));
    }
    if !notes.is_empty() {
        let note = markdown(clip(&notes.join(" "), SECTION_TEXT_MAX));
        blocks.push(SlackSectionBlock::new().with_text(note).into());
    }
    blocks
}

/// The sections as text alone (facts become lines of it), joined line by line into as few
/// sections as Slack's 3,000 characters allow, counted as they will be sent (escaped).
fn joined_sections(sections: &[CardSection]) -> Vec<CardSection> {
    let mut joined: Vec<CardSection> = Vec::new();
    for section in sections {
        let mut lines: Vec<String> = Vec::new();
        if !section.text.trim().is_empty() {
            lines.push(section.text.clone());
        }
        lines.extend(
            section
                .facts
                .iter()
                .map(|(label, value)| format!("{label}: {value}")),
        );
        for line in lines {
            let fits = |last: &CardSection| {
                let length = escape(&last.text).chars().count() + 1 + escape(&line).chars().count();
                length <= SECTION_TEXT_MAX
            };
            match joined.last_mut() {
                Some(last) if fits(last) => {
                    last.text.push('\n');
                    last.text.push_str(&line);
                }
                _ => joined.push(CardSection {
                    text: line,
                    facts: Vec::new(),
                }),
            }
        }
    }
    joined
}

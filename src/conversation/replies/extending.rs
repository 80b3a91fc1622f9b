//! What the conversation says to a click on Extend.

use chrono::{DateTime, Utc};

use crate::domain::chat::Message;
use crate::requests::{RequestRecord, StartError};

const WHEN: &str = "%Y-%m-%d %H:%M UTC";

pub fn only_the_requester(record: &RequestRecord) -> Message {
    Message::text(format!(
        "Only {} can extend {}; nothing was changed.",
        record.requester.upn, record.id
    ))
}

pub fn not_active(record: &RequestRecord) -> Message {
    Message::text(format!(
        "{} is not active any more (it is {}); ask for the access again instead.",
        record.id,
        record.state.label()
    ))
}

pub fn asked_already(record: &RequestRecord, pending: &str) -> Message {
    Message::text(format!(
        "You have asked to extend {} already ({pending}); I'll tell you when there is an answer.",
        record.id
    ))
}

pub fn no_end(record: &RequestRecord) -> Message {
    Message::text(format!(
        "{} has no end, so there is nothing to extend.",
        record.id
    ))
}

/// Policy refused the grant as a whole with the extension; `why` is its sentence.
pub fn refused(record: &RequestRecord, why: &str) -> Message {
    Message::text(format!(
        "{}: policy does not allow extending it: {why} It ends as planned.",
        record.id
    ))
}

pub fn level_not_allowed(record: &RequestRecord) -> Message {
    Message::text(format!(
        "{}: policy no longer allows {} here, so it cannot be extended; ask for what you need anew.",
        record.id,
        record.access.label()
    ))
}

pub fn no_more_time(record: &RequestRecord) -> Message {
    Message::text(format!(
        "{}: policy allows no more time for this in all, and the grant has it already; it ends as planned.",
        record.id
    ))
}

/// The extension is a request of its own; `unapproved` when it needs no approval.
pub fn asked(
    extension: &RequestRecord,
    record: &RequestRecord,
    end: DateTime<Utc>,
    new_end: DateTime<Utc>,
    unapproved: bool,
) -> Message {
    let next = if unapproved {
        "No approval is needed; I'm extending it now."
    } else {
        "I've asked for the approvals it needs; it keeps going without a gap if they come before it ends."
    };
    Message::text(format!(
        "{}: asking to extend {} from {} to {} ({}). {next}",
        extension.id,
        record.id,
        end.format(WHEN),
        new_end.format(WHEN),
        extension.resource.name,
    ))
}

pub fn cannot_start(record: &RequestRecord, error: &StartError) -> Message {
    Message::text(format!("{}: it cannot be extended: {error}.", record.id))
}

//! What the requester is told when a grant is made, when it ends, and when a request fails:
//! said truthfully from what the grant ledger found, so nobody hears "removed" of access that
//! stays, or "removed outside Doorman" of access Doorman took away.

use super::cards::what;
use crate::domain::chat::Message;
use crate::domain::request::{EndCause, RequestRecord};

fn until(record: &RequestRecord) -> String {
    match record.ends_at {
        Some(end) => format!("until {}", end.format("%Y-%m-%d %H:%M UTC")),
        None => "with no end".to_owned(),
    }
}

/// "R-2 (until 2026-12-30 09:00 UTC)", for each grant.
fn listed(grants: &[RequestRecord]) -> String {
    grants
        .iter()
        .map(|grant| format!("{} ({})", grant.id, until(grant)))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// What the requester is told once the grant is made and read back. `alongside` are the
/// requester's other active grants on the same resource.
pub fn done(record: &RequestRecord, alongside: &[RequestRecord]) -> Message {
    let until = match record.ends_at {
        Some(end) => format!(" until {}", end.format("%Y-%m-%d %H:%M UTC")),
        None => String::new(),
    };
    let also = if alongside.is_empty() {
        String::new()
    } else {
        format!(
            " Your access now lasts as long as any of your grants on it: this one and {}.",
            listed(alongside)
        )
    };
    let made = if record.resource.kind.is_self_service() {
        format!("Your {} is in place{until}", what(record))
    } else {
        format!("You now have {}{until}", what(record))
    };
    Message::text(format!(
        "{}: done. {made}; I checked that it took effect.{also}",
        record.id,
    ))
}

/// What is left of a grant's access once it ends, as the grant ledger found it.
#[derive(Clone, Debug, Default)]
pub struct Left {
    /// Something the grant had added was removed (and read back gone).
    pub removed: bool,
    /// Some of it the person had before the grant, and keeps.
    pub held_before: bool,
    /// Other active grants of theirs that keep some or all of it.
    pub covering: Vec<RequestRecord>,
}

/// What the requester is told when a grant is over.
pub fn ended(record: &RequestRecord, cause: &EndCause, left: &Left) -> Message {
    let why = match cause {
        EndCause::Expired => match record.ends_at {
            Some(end) => format!("its time ran out at {}", end.format("%Y-%m-%d %H:%M UTC")),
            None => "its time ran out".to_owned(),
        },
        EndCause::Revoked { by } if by.eq_ignore_ascii_case(&record.requester.upn) => {
            "you asked me to remove it".to_owned()
        }
        EndCause::Revoked { by } => format!("{by} revoked it"),
        EndCause::Extended { into } => format!("{into} extended it"),
        EndCause::Vanished => "it was removed outside Doorman".to_owned(),
    };
    let covering = listed(&left.covering);
    let what_is_left = match (left.removed, left.held_before, left.covering.is_empty()) {
        (true, false, true) => "I removed it and checked that it is gone.".to_owned(),
        (true, true, true) => "I removed what it had added and checked that it is gone; what \
                               you had before your request I left as it was."
            .to_owned(),
        (true, _, false) => format!(
            "I removed what only it covered and checked that it is gone; the rest stays \
             under {covering}."
        ),
        (false, _, false) => format!("You keep the access under {covering}."),
        (false, true, true) => {
            "You had this access before your request, so I left it as it was.".to_owned()
        }
        (false, false, true) => "Nothing of it was left to remove.".to_owned(),
    };
    Message::text(format!(
        "{}: your {} has ended: {why}. {what_is_left}",
        record.id,
        what(record)
    ))
}

/// A request failed and all it had made is taken back (or nothing was made).
pub fn failed(record: &RequestRecord, why: &str, undone: &[String]) -> Message {
    let after = if undone.is_empty() {
        "Nothing was changed."
    } else {
        "I took back what I had made for it and checked that it is gone."
    };
    Message::text(format!(
        "{}: I could not make this change: {why}. {after}",
        record.id
    ))
}

/// A request failed, and taking back what it made has to wait (and is tried again).
pub fn undoing(record: &RequestRecord, why: &str) -> Message {
    Message::text(format!(
        "{}: I could not make this change: {why}. I'm taking back what I had made for it; \
         that is taking a little longer, and I'll tell you when it's done.",
        record.id
    ))
}

/// What a failed request had made is all taken back.
pub fn undone(record: &RequestRecord) -> Message {
    Message::text(format!(
        "{}: what I had made for this request is taken back, and I checked that it is gone.",
        record.id
    ))
}

/// Access a grant gave came back outside Doorman after it ended, and was removed again.
pub fn removed_again(record: &RequestRecord) -> Message {
    let ended = match &record.state {
        crate::domain::request::State::Ended { at, .. } => {
            format!(" after it ended on {}", at.format("%Y-%m-%d %H:%M UTC"))
        }
        _ => String::new(),
    };
    Message::text(format!(
        "{}: your {} came back outside Doorman{ended}, so I removed it again. If you need it, ask me for it and it goes through approval like any request.",
        record.id,
        what(record)
    ))
}

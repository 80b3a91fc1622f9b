//! Why a click or a removal changed nothing, said the same way in Teams, Slack and on the
//! command line; and the few sentences the engine says about a click that are not a request's
//! outcome (nothing picked, a standing approval withdrawn, trouble on our side).

use crate::domain::chat::Message;
use crate::domain::request::is_request_id;

/// Why a click changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClickRefused {
    /// No such request (or the card's data is not one of Doorman's).
    Unknown,
    /// The clicker could not be identified.
    Unidentified,
    /// The requester clicked their own request's card.
    OwnRequest,
    /// The clicker is not an approver of this stage.
    NotAnApprover,
    /// The stage was decided already, or the request moved on.
    AlreadyDecided,
    /// The clicker said yes to this stage already; it waits for other approvers.
    AlreadyApproved,
}

impl ClickRefused {
    pub fn sentence(self) -> &'static str {
        match self {
            ClickRefused::Unknown => "That button isn't active any more.",
            ClickRefused::Unidentified => {
                "I couldn't tell who clicked, so nothing was changed. Please sign in to Doorman and try again."
            }
            ClickRefused::OwnRequest => {
                "You can't approve or deny your own request; nothing was changed."
            }
            ClickRefused::NotAnApprover => {
                "Only the approvers of this step can decide it; nothing was changed."
            }
            ClickRefused::AlreadyDecided => {
                "This step has already been decided; nothing was changed."
            }
            ClickRefused::AlreadyApproved => {
                "You have approved this step already; it is waiting for another approver."
            }
        }
    }
}

/// Why a grant was not taken away on someone's word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevokeRefused {
    /// No such request.
    Unknown,
    /// Only its requester and the resource's owners may end a grant early.
    NotYours,
    /// It is not an active grant (any more): its state says what it is.
    NotActive(&'static str),
}

impl RevokeRefused {
    /// The refusal of a removal of `id`, as typed or picked: only an id's shape is said back,
    /// since a click's pick can hold anything.
    pub fn sentence(&self, id: &str) -> String {
        match self {
            RevokeRefused::Unknown if is_request_id(id) => format!("I have no request {id}."),
            RevokeRefused::Unknown => "I have no such request.".to_owned(),
            RevokeRefused::NotYours => format!(
                "Only the person who asked for {id} and the owners of what it grants can end it; nothing was changed."
            ),
            RevokeRefused::NotActive(state) => {
                format!("{id} is not an active grant (it is {state}); nothing was changed.")
            }
        }
    }
}

/// A list card's Remove or Withdraw pressed with nothing picked in its list.
pub fn nothing_picked() -> Message {
    Message::text("Pick one in the list first, then press the button again; nothing was changed.")
}

/// A Withdraw naming a standing approval the clicker does not have (any more).
pub fn no_such_standing() -> Message {
    Message::text("You have no such standing approval (any more); nothing was changed.")
}

/// An owner's standing approval, `described`, withdrawn on their click.
pub fn standing_withdrawn(described: &str) -> Message {
    Message::text(format!(
        "Withdrawn: your standing approval for {described}. Later requests ask you again."
    ))
}

/// Our side failed (storage, a bug): nothing was decided, and trying again is safe.
pub fn trouble() -> Message {
    Message::text("Sorry, something went wrong on my side. Please try again in a moment.")
}

#[cfg(test)]
mod tests {
    use super::RevokeRefused;

    #[test]
    fn only_what_has_a_request_ids_shape_is_said_back() {
        assert_eq!(
            RevokeRefused::Unknown.sentence("R-7K3QX2"),
            "I have no request R-7K3QX2."
        );
        let picked = format!("R-{}\n*urgent* <!channel>", "X".repeat(100_000));
        assert_eq!(
            RevokeRefused::Unknown.sentence(&picked),
            "I have no such request."
        );
    }
}

//! What Doorman says in the conversation basics. Kept together so the voice stays one voice.

use url::Url;

use crate::domain::chat::{Card, CardButton, CardSection, Message};

pub fn greeting(name: Option<&str>) -> Message {
    let hello = name.map_or_else(|| "Hi".to_owned(), |name| format!("Hi {name}"));
    Message::text(format!(
        "{hello}, I'm Doorman. I get you access to Microsoft 365 (SharePoint sites, teams and channels, \
         groups, shared mailboxes) with the right approvals, and I take it away again when it ends. \
         Say \"help\" to see how to ask."
    ))
}

pub fn help() -> Message {
    let card = Card {
        title: "What Doorman does".into(),
        sections: vec![
            CardSection {
                text: "Ask in plain words for Microsoft 365 access. I check the policy, ask the owners who must \
                       approve, carry it out with a real person's sign-in, and remove time-bound access when it ends."
                    .into(),
                facts: vec![
                    ("A site".into(), "\"I need edit access to the Finance site for the Q3 audit\"".into()),
                    ("A team or channel".into(), "\"add me to the Product Launch channel\"".into()),
                    ("A group".into(), "\"I need the VPN for 2 weeks\"".into()),
                    ("Your account".into(), "\"I forgot my password\"".into()),
                ],
            },
            CardSection {
                text: "I'm still learning to carry requests out. Today I can: sign you in (\"sign in\"), \
                       tell you who you're signed in as (\"who am I\"), sign you out and forget your tokens (\"sign out\"), and show this help."
                    .into(),
                facts: Vec::new(),
            },
        ],
        inputs: Vec::new(),
        buttons: Vec::new(),
    };
    Message::with_card("Here's what I can do.", card)
}

pub fn not_yet() -> Message {
    Message::text(
        "I can't act on requests like that yet: I'm still learning. For now I can sign you in (\"sign in\"), \
         sign you out (\"sign out\"), or show what I'll be able to do (\"help\").",
    )
}

/// The prompt that carries a single-use sign-in link.
pub fn sign_in_prompt(link: &Url, waiting: bool) -> Message {
    let follow_up = if waiting {
        " I'll answer your message as soon as you've signed in."
    } else {
        ""
    };
    let card = Card {
        title: "Sign in to Doorman".into(),
        sections: vec![CardSection {
            text: format!(
                "To act for you I need to know who you are in Microsoft 365. Sign in once with your work account; \
                 this link works for 10 minutes and only for you.{follow_up}"
            ),
            facts: Vec::new(),
        }],
        inputs: Vec::new(),
        buttons: vec![CardButton::OpenUrl {
            title: "Sign in".into(),
            url: link.to_string(),
        }],
    };
    Message::with_card("Please sign in to Doorman.", card)
}

pub fn signed_in(who: &str, carrying_on: bool) -> Message {
    let next = if carrying_on {
        " Carrying on with your message."
    } else {
        ""
    };
    Message::text(format!("Thanks, you're signed in as {who}.{next}"))
}

pub fn already_signed_in(who: &str) -> Message {
    Message::text(format!(
        "You're already signed in as {who}. Say \"sign out\" to sign out."
    ))
}

pub fn you_are(name: &str, upn: &str, department: Option<&str>) -> Message {
    let department = department.map(|d| format!(", {d}")).unwrap_or_default();
    Message::text(format!(
        "You're {name} ({upn}{department}), signed in to Doorman."
    ))
}

pub fn sign_in_again() -> Message {
    Message::text(
        "Your sign-in has expired or was revoked, so I can't act for you until you sign in again.",
    )
}

pub fn signed_out() -> Message {
    Message::text(
        "You're signed out: I've forgotten your sign-in and your tokens. Say \"sign in\" whenever you want to come back.",
    )
}

pub fn trouble() -> Message {
    Message::text("Sorry, something went wrong on my side. Please try again in a moment.")
}

pub fn inactive_button() -> Message {
    Message::text("That button isn't active any more.")
}

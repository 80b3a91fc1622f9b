//! Colleagues named by a Slack mention. Slack writes a mention as `<@U0456>` (some payloads add
//! `|name`), and the parser knows people by name and address, not by Slack id. So before a
//! Slack message is understood, each mention is replaced by the address Slack's `users.info`
//! gives for that person ("give <@U06DANIEL> edit on X" reads as "give daniel@… edit on X").
//! A mention whose person cannot be looked up stays as written: the parser then names no one
//! from it, and asks. Doorman's own mention was taken out when the message came in.

use std::collections::HashMap;
use std::time::Duration;

use futures::future::join_all;

use crate::domain::chat::{Channel, ChatPort, ChatUser};

/// At most this many different people are looked up for one message: a message that mentions
/// a crowd is not a request for each of them, and each look-up is a call to Slack.
const LOOKED_UP: usize = 5;

/// How long the look-ups of one message may take together. They run at once; a person Slack
/// is slow to say (or rate-limits, and the client would wait out its `Retry-After`) stays as
/// written, so a message full of mentions cannot hold its handler for long.
const LOOK_UP_WITHIN: Duration = Duration::from_secs(3);

/// `text` with each Slack mention of a person whose address Slack gives replaced by that
/// address. `team` is the Slack workspace the message came from.
pub async fn name_slack_mentions(text: &str, team: &str, port: &dyn ChatPort) -> String {
    let mentions = slack_mentions(text);
    if mentions.is_empty() {
        return text.to_owned();
    }
    let mut people: Vec<&str> = Vec::new();
    for mention in &mentions {
        if !people.contains(&mention.user) && people.len() < LOOKED_UP {
            people.push(mention.user);
        }
    }
    let look_ups = people.iter().map(|user| async move {
        let person = ChatUser {
            channel: Channel::Slack,
            tenant: team.to_owned(),
            id: (*user).to_owned(),
        };
        let address = match tokio::time::timeout(LOOK_UP_WITHIN, port.contact(&person)).await {
            Ok(Ok(contact)) => contact.email,
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot look up a person mentioned in a message");
                None
            }
            Err(_) => {
                tracing::warn!("looking up a person mentioned in a message took too long");
                None
            }
        };
        (*user, address)
    });
    let addresses: HashMap<&str, Option<String>> = join_all(look_ups).await.into_iter().collect();
    spliced(text, &mentions, &addresses)
}

/// `text` with each of `mentions` whose person has an address in `addresses` replaced by it.
fn spliced(
    text: &str,
    mentions: &[Mention<'_>],
    addresses: &HashMap<&str, Option<String>>,
) -> String {
    let mut named = String::with_capacity(text.len());
    let mut from = 0;
    for mention in mentions {
        named.push_str(&text[from..mention.start]);
        match addresses.get(mention.user) {
            // Spaced from what touches the mention ("<@U1><@U2>", "<@U1>.x"), so the address
            // cannot run into it; a possessive ("<@U1>'s") stays attached.
            Some(Some(address)) => {
                if named
                    .chars()
                    .next_back()
                    .is_some_and(|c| !c.is_whitespace())
                {
                    named.push(' ');
                }
                named.push_str(address);
                let next = text[mention.end..].chars().next();
                if next.is_some_and(|c| !c.is_whitespace() && c != '\'' && c != '\u{2019}') {
                    named.push(' ');
                }
            }
            _ => named.push_str(&text[mention.start..mention.end]),
        }
        from = mention.end;
    }
    named.push_str(&text[from..]);
    named
}

/// One `<@U…>` or `<@U…|label>` in a message: its byte range and the user id in it.
#[derive(Debug, PartialEq, Eq)]
struct Mention<'t> {
    start: usize,
    end: usize,
    user: &'t str,
}

/// The user mentions in `text`, in order. Slack user ids are upper-case letters and digits
/// starting with `U` or `W`; anything else between `<@` and `>` is not a mention.
fn slack_mentions(text: &str) -> Vec<Mention<'_>> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = text[at..].find("<@") {
        let start = at + offset;
        let Some(length) = text[start..].find('>') else {
            break;
        };
        let end = start + length + 1;
        let inside = &text[start + 2..end - 1];
        let user = inside.split('|').next().unwrap_or_default();
        let is_user_id = user.len() >= 2
            && (user.starts_with('U') || user.starts_with('W'))
            && user
                .bytes()
                .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
        if is_user_id {
            found.push(Mention { start, end, user });
        }
        at = if is_user_id { end } else { start + 2 };
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_with_or_without_a_label_and_nothing_else_is() {
        let text = "<@U06DANIEL> and <@W12|mei> but not <@here> or <@u1> or <@ U1>, then <@U2";
        let users: Vec<&str> = slack_mentions(text).iter().map(|m| m.user).collect();
        assert_eq!(users, ["U06DANIEL", "W12"]);
        let first = &slack_mentions(text)[0];
        assert_eq!(&text[first.start..first.end], "<@U06DANIEL>");
    }

    #[test]
    fn each_mention_becomes_its_address_spaced_from_what_touches_it() {
        let addresses = HashMap::from([
            ("U1", Some("ann@x.com".to_owned())),
            ("U2", Some("bo@x.com".to_owned())),
            ("U3", None),
        ]);
        let text = "add <@U1><@U2>. reset <@U1>'s and <@U3|cy> and <@U9> too";
        assert_eq!(
            spliced(text, &slack_mentions(text), &addresses),
            "add ann@x.com bo@x.com . reset ann@x.com's and <@U3|cy> and <@U9> too"
        );
    }

    #[test]
    fn a_message_without_mentions_has_none() {
        assert!(slack_mentions("add me to finance, email a@b.com <https://x>").is_empty());
        assert!(slack_mentions("").is_empty());
    }
}

//! Colleagues named by a Slack mention. Slack writes a mention as `<@U0456>` (some payloads add
//! `|name`), and the parser knows people by name and address, not by Slack id. So before a
//! Slack message is understood, each mention is replaced by the address Slack's `users.info`
//! gives for that person ("give <@U06DANIEL> edit on X" reads as "give daniel@… edit on X").
//! A mention whose person cannot be looked up stays as written: the parser then names no one
//! from it, and asks. Doorman's own mention was taken out when the message came in.

use std::collections::HashMap;

use crate::domain::chat::{Channel, ChatPort, ChatUser};

/// At most this many different people are looked up for one message: a message that mentions
/// a crowd is not a request for each of them, and each look-up is a call to Slack.
const LOOKED_UP: usize = 5;

/// `text` with each Slack mention of a person whose address Slack gives replaced by that
/// address. `team` is the Slack workspace the message came from.
pub async fn name_slack_mentions(text: &str, team: &str, port: &dyn ChatPort) -> String {
    let mentions = slack_mentions(text);
    if mentions.is_empty() {
        return text.to_owned();
    }
    let mut addresses: HashMap<&str, Option<String>> = HashMap::new();
    for mention in &mentions {
        if addresses.contains_key(mention.user) || addresses.len() >= LOOKED_UP {
            continue;
        }
        let person = ChatUser {
            channel: Channel::Slack,
            tenant: team.to_owned(),
            id: mention.user.to_owned(),
        };
        let address = match port.contact(&person).await {
            Ok(contact) => contact.email,
            Err(error) => {
                tracing::warn!(%error, "cannot look up a person mentioned in a message");
                None
            }
        };
        addresses.insert(mention.user, address);
    }
    let mut named = String::with_capacity(text.len());
    let mut from = 0;
    for mention in &mentions {
        named.push_str(&text[from..mention.start]);
        match addresses.get(mention.user) {
            Some(Some(address)) => named.push_str(address),
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
    fn a_message_without_mentions_has_none() {
        assert!(slack_mentions("add me to finance, email a@b.com <https://x>").is_empty());
        assert!(slack_mentions("").is_empty());
    }
}

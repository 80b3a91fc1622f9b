//! The Bot Connector refuses what the real one refuses: a message with neither text nor
//! attachments, an attachment without a `contentType` (400 `BadArgument`), and a message over
//! Teams' size limit (413 `MessageSizeTooBig`); nothing refused shows in the chat.

use reqwest::Method;
use serde_json::{Value, json};

use crate::sim_chat::fake_bot::sim_with_bot;
use crate::sim_chat::teams_connector::{connector, connector_token, encoded};

fn card(text: &str) -> Value {
    json!({
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"type": "AdaptiveCard", "version": "1.5",
                    "body": [{"type": "TextBlock", "text": text, "wrap": true}]}
    })
}

#[tokio::test]
async fn empty_untyped_and_oversized_messages_are_refused_and_a_card_within_the_limit_is_not() {
    let (sim, bot) = sim_with_bot().await;
    sim.control(
        Method::POST,
        "teams/message",
        Some(json!({"from": "tom.becker@contoso.com", "text": "help"})),
    )
    .await;
    let activity = bot.only("/api/messages").json();
    let token = connector_token(&sim).await;
    let conversation = activity["conversation"]["id"].as_str().expect("an id");
    let path = format!("v3/conversations/{}/activities", encoded(conversation));
    let refused = [
        (
            "neither text nor attachments",
            json!({"type": "message"}),
            400,
            "BadArgument",
        ),
        (
            "blank text",
            json!({"type": "message", "text": "  ", "attachments": []}),
            400,
            "BadArgument",
        ),
        (
            "an attachment without a contentType",
            json!({"type": "message", "attachments": [{"content": {"type": "AdaptiveCard"}}]}),
            400,
            "BadArgument",
        ),
        (
            "a card of 30 KB",
            json!({"type": "message", "attachments": [card(&"x".repeat(30 * 1024))]}),
            413,
            "MessageSizeTooBig",
        ),
    ];
    for (what, body, status, code) in refused {
        let answer = connector(&sim, Some(&token), Method::POST, &path, Some(body.clone())).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.text);
        assert_eq!(answer.error_code(), code, "{what}: {}", answer.text);
        let reply = format!("{path}/{}", activity["id"].as_str().expect("an id"));
        let answer = connector(&sim, Some(&token), Method::POST, &reply, Some(body)).await;
        assert_eq!(answer.status, status, "{what}, as a reply: {}", answer.text);
    }
    let seen = sim
        .control(
            Method::GET,
            "teams/conversations/tom.becker@contoso.com",
            None,
        )
        .await;
    assert_eq!(seen.body, json!([]), "nothing refused shows");
    let within = json!({"type": "message", "attachments": [card(&"x".repeat(20 * 1024))]});
    let sent = connector(&sim, Some(&token), Method::POST, &path, Some(within)).await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let id = sent.body["id"].as_str().expect("an id").to_owned();
    let too_big = json!({"type": "message", "attachments": [card(&"y".repeat(30 * 1024))]});
    let update = connector(
        &sim,
        Some(&token),
        Method::PUT,
        &format!("{path}/{id}"),
        Some(too_big),
    )
    .await;
    assert_eq!(update.status, 413, "an update is held to the limit too");
}

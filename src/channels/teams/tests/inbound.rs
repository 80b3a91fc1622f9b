//! What authenticated activities become: messages, clicks, greetings, stored conversations.

use serde_json::{Value, json};

use super::super::inbound::strip_bot_mentions;
use super::{ANA, ANA_MRI, BOT_ID, Harness, TENANT, TestResult, eventually, lock};
use crate::domain::chat::{Card, Channel, ChatUser, EntraUser, Message, Verb};
use crate::store::{Domain, StoreError, Table};

fn bot_mention(text: &str) -> Value {
    json!({"type": "mention", "text": text, "mentioned": {"id": BOT_ID, "name": "Doorman"}})
}

#[test]
fn the_bot_mention_is_stripped_by_its_entity_and_others_stay() {
    let entities = [
        bot_mention("<at>Doorman</at>"),
        json!({"type": "mention", "text": "<at>Bo</at>", "mentioned": {"id": "29:bo"}}),
    ];
    let (text, mentioned) = strip_bot_mentions(
        "<at>Doorman</at> give <at>Bo</at> access to Finance ",
        &entities,
        BOT_ID,
    );
    assert!(mentioned);
    assert_eq!(text, "give <at>Bo</at> access to Finance");

    let (text, mentioned) = strip_bot_mentions("<at>Doorman</at> hi", &entities[1..], BOT_ID);
    assert!(
        !mentioned,
        "a mention of someone else is not a mention of the bot"
    );
    assert_eq!(
        text, "<at>Doorman</at> hi",
        "text alone never counts as a mention"
    );
}

#[tokio::test]
async fn a_personal_message_is_handed_on_with_the_verified_sender_and_its_place() -> TestResult {
    let harness = Harness::start().await?;
    let (status, body) = harness
        .deliver(&harness.personal_message("msg-1", "  I need access to Finance "))
        .await?;
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(eventually(1, || harness.handler.message_count()).await, 1);
    let message = lock(&harness.handler.messages)[0].clone();
    assert_eq!(message.id, "msg-1");
    assert_eq!(message.text, "I need access to Finance");
    assert_eq!(
        message.sender.user,
        ChatUser {
            channel: Channel::Teams,
            tenant: TENANT.to_owned(),
            id: ANA.to_owned(),
        }
    );
    assert_eq!(
        message.sender.entra,
        Some(EntraUser {
            id: ANA.to_owned(),
            upn: None,
        })
    );
    assert_eq!(message.sender.display_name.as_deref(), Some("Ana Lopez"));
    assert_eq!(message.place.channel, Channel::Teams);
    assert_eq!(
        message.place.reference,
        json!({
            "service_url": harness.service_url(),
            "conversation_id": "a:1ana-personal",
            "user_id": ANA_MRI,
            "tenant_id": TENANT,
            "bot_id": BOT_ID,
        })
    );
    Ok(())
}

#[tokio::test]
async fn a_personal_conversation_is_stored_by_the_senders_object_id() -> TestResult {
    let harness = Harness::start().await?;
    harness
        .deliver(&harness.personal_message("msg-1", "hi"))
        .await?;
    let table: Table<String, Value> =
        Table::open(harness.store.as_ref(), Domain::TeamsConversations)?;
    assert_eq!(
        table.get(&ANA.to_owned())?,
        Some(json!({
            "service_url": harness.service_url(),
            "conversation_id": "a:1ana-personal",
            "user_id": ANA_MRI,
            "tenant_id": TENANT,
            "bot_id": BOT_ID,
            "user_name": "Ana Lopez",
        }))
    );
    Ok(())
}

#[tokio::test]
async fn a_personal_conversation_that_changes_is_stored_again_each_time() -> TestResult {
    let harness = Harness::start().await?;
    let table: Table<String, Value> =
        Table::open(harness.store.as_ref(), Domain::TeamsConversations)?;
    let stored_name = || -> Result<Value, StoreError> {
        Ok(table
            .get(&ANA.to_owned())?
            .map(|stored| stored["user_name"].clone())
            .unwrap_or_default())
    };
    let from = |message: &mut Value, name: &str| {
        message["from"]["name"] = json!(name);
    };
    let mut message = harness.personal_message("msg-1", "hi");
    harness.deliver(&message).await?;
    assert_eq!(stored_name()?, json!("Ana Lopez"));

    // Renamed in Teams, then back: each change reaches the store, however recently the same
    // conversation was seen.
    message["id"] = json!("msg-2");
    from(&mut message, "Ana López-Reyes");
    harness.deliver(&message).await?;
    assert_eq!(stored_name()?, json!("Ana López-Reyes"));
    message["id"] = json!("msg-3");
    from(&mut message, "Ana Lopez");
    harness.deliver(&message).await?;
    assert_eq!(stored_name()?, json!("Ana Lopez"));
    Ok(())
}

#[tokio::test]
async fn a_channel_message_counts_only_when_it_mentions_the_bot() -> TestResult {
    let harness = Harness::start().await?;
    let unaddressed = harness.channel_message("ch-1", "lunch anyone?", json!([]));
    let (status, _) = harness.deliver(&unaddressed).await?;
    assert_eq!(status, 200);
    let addressed = harness.channel_message(
        "ch-2",
        "<at>Doorman</at> I need edit access to Finance",
        json!([bot_mention("<at>Doorman</at>")]),
    );
    let (status, _) = harness.deliver(&addressed).await?;
    assert_eq!(status, 200);
    assert_eq!(eventually(1, || harness.handler.message_count()).await, 1);
    let message = lock(&harness.handler.messages)[0].clone();
    assert_eq!(message.id, "ch-2");
    assert_eq!(message.text, "I need edit access to Finance");
    assert_eq!(message.place.reference["user_id"], Value::Null);
    let table: Table<String, Value> =
        Table::open(harness.store.as_ref(), Domain::TeamsConversations)?;
    assert!(table.is_empty(), "only 1:1 conversations are stored");
    Ok(())
}

#[tokio::test]
async fn activities_without_an_entra_sender_are_ignored() -> TestResult {
    let harness = Harness::start().await?;
    let mut anonymous = harness.personal_message("msg-anon", "hi");
    anonymous["from"] = json!({"id": "29:guest", "name": "Guest"});
    let (status, _) = harness.deliver(&anonymous).await?;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(harness.handler.message_count(), 0);
    Ok(())
}

#[tokio::test]
async fn bodies_that_are_not_activities_are_400_and_other_methods_405() -> TestResult {
    let harness = Harness::start().await?;
    let header = format!("Bearer {}", harness.token());
    let client = reqwest::Client::new();
    let url = format!("{}/api/messages", harness.bot_url);
    let garbage = client
        .post(&url)
        .header("authorization", &header)
        .body("{not json")
        .send()
        .await?;
    assert_eq!(garbage.status().as_u16(), 400);
    let (status, _) = harness
        .post(&json!({"id": "x", "text": "no type"}), Some(&header))
        .await?;
    assert_eq!(status, 400);
    assert_eq!(client.get(&url).send().await?.status().as_u16(), 405);
    let mut typing = harness.personal_message("typing-1", "");
    typing["type"] = json!("typing");
    assert_eq!(
        harness.deliver(&typing).await?.0,
        200,
        "unknown types are ignored"
    );
    Ok(())
}

fn approve(data: Value) -> Value {
    json!({"type": "Action.Execute", "id": "approve", "verb": "approve", "data": data})
}

#[tokio::test]
async fn a_click_answers_with_the_handlers_card() -> TestResult {
    let harness = Harness::start().await?;
    let card = Card {
        title: "Approved by Ana".into(),
        ..Card::default()
    };
    *lock(&harness.handler.reply) = Some(Message::with_card("Done.", card));
    let click = harness.click(
        "inv-1",
        approve(json!({"request": "r-1", "reason": "quarter close", "doorman.inputs": ["reason"]})),
        "card-activity-7",
    );
    let (status, body) = harness.deliver(&click).await?;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&body)?;
    assert_eq!(answer["statusCode"], 200);
    assert_eq!(answer["type"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(answer["value"]["type"], "AdaptiveCard");
    assert_eq!(answer["value"]["body"][0]["text"], "Approved by Ana");
    assert_eq!(answer["value"]["body"][1]["text"], "Done.");

    let action = lock(&harness.handler.actions)[0].clone();
    assert_eq!(action.verb, Verb::Approve);
    assert_eq!(action.data, json!({"request": "r-1"}));
    assert_eq!(action.inputs.get("reason"), Some(&json!("quarter close")));
    assert_eq!(
        action.sender.user.id, ANA,
        "the clicker comes from the envelope"
    );
    let card = action.card.ok_or("the clicked card is named")?;
    assert_eq!(card.id, "card-activity-7");
    assert_eq!(card.place, action.place);
    Ok(())
}

#[tokio::test]
async fn a_click_answers_with_text_when_the_handler_has_no_card() -> TestResult {
    let harness = Harness::start().await?;
    *lock(&harness.handler.reply) = Some(Message::text("Already decided."));
    let click = harness.click("inv-2", approve(json!({"request": "r-1"})), "card-1");
    let (status, body) = harness.deliver(&click).await?;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&body)?;
    assert_eq!(
        answer,
        json!({
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": "Already decided.",
        })
    );
    let (status, body) = harness.deliver(&click).await?;
    assert_eq!(status, 200);
    let again: Value = serde_json::from_str(&body)?;
    assert_eq!(again["type"], "application/vnd.microsoft.activity.message");
    assert_eq!(
        lock(&harness.handler.actions).len(),
        1,
        "a repeated click is a no-op"
    );
    Ok(())
}

#[tokio::test]
async fn a_submit_or_an_unknown_verb_is_refused_as_not_supported() -> TestResult {
    let harness = Harness::start().await?;
    let submit = json!({"type": "Action.Submit", "data": {"request": "r-1"}});
    let unknown = json!({"type": "Action.Execute", "verb": "sign_in", "data": {}});
    for (id, action) in [("inv-s", submit), ("inv-u", unknown)] {
        let (status, body) = harness
            .deliver(&harness.click(id, action, "card-1"))
            .await?;
        assert_eq!(status, 400);
        let answer: Value = serde_json::from_str(&body)?;
        assert_eq!(answer["statusCode"], 400);
        assert_eq!(answer["type"], "application/vnd.microsoft.error");
        assert_eq!(answer["value"]["code"], "NotSupported");
        assert!(answer["value"]["message"].is_string());
    }
    assert!(lock(&harness.handler.actions).is_empty());
    Ok(())
}

#[tokio::test]
async fn adding_the_bot_or_installing_the_app_greets_the_person_who_did() -> TestResult {
    let harness = Harness::start().await?;
    let mut added = harness.personal_message("conv-1", "");
    added["type"] = json!("conversationUpdate");
    added["membersAdded"] = json!([{"id": BOT_ID}]);
    let mut someone_else = added.clone();
    someone_else["id"] = json!("conv-2");
    someone_else["membersAdded"] = json!([{"id": "29:bo"}]);
    let mut installed = harness.personal_message("inst-1", "");
    installed["type"] = json!("installationUpdate");
    installed["action"] = json!("add");
    let mut removed = installed.clone();
    removed["id"] = json!("inst-2");
    removed["action"] = json!("remove");
    for activity in [&added, &someone_else, &installed, &removed] {
        assert_eq!(harness.deliver(activity).await?.0, 200);
    }
    let installs = eventually(2, || lock(&harness.handler.installs).len()).await;
    assert_eq!(installs, 2);
    let (sender, place) = lock(&harness.handler.installs)[0].clone();
    assert_eq!(sender.user.id, ANA);
    assert_eq!(place.reference["conversation_id"], "a:1ana-personal");
    Ok(())
}

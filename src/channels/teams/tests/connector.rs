//! The ChatPort against a fake Bot Connector: token, paths, bodies, retries, refusals.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{ANA, APP_ID, BOT_ID, Harness, Scripted, TENANT, TestResult, eventually, lock};
use crate::domain::chat::{
    ButtonStyle, Card, CardButton, Channel, ChatError, ChatPort, ChatUser, Message, Place,
    SentMessage, Verb,
};

/// Ana writes once, so Doorman has her 1:1 place (from an authenticated activity).
async fn ana_place(harness: &Harness) -> Result<Place, Box<dyn std::error::Error>> {
    harness
        .deliver(&harness.personal_message("msg-0", "hi"))
        .await?;
    eventually(1, || harness.handler.message_count()).await;
    let place = lock(&harness.handler.messages)
        .first()
        .map(|message| message.place.clone())
        .ok_or("no message arrived")?;
    Ok(place)
}

fn ana() -> ChatUser {
    ChatUser {
        channel: Channel::Teams,
        tenant: TENANT.to_owned(),
        id: ANA.to_owned(),
    }
}

#[tokio::test]
async fn sends_go_to_the_conversation_with_one_cached_bot_token() -> TestResult {
    let harness = Harness::start().await?;
    let place = ana_place(&harness).await?;
    let first = harness.teams.send(&place, &Message::text("one")).await?;
    let second = harness.teams.send(&place, &Message::text("two")).await?;
    assert_eq!(first.id, "activity-1");
    assert_eq!(second.id, "activity-2");
    assert_eq!(first.place, place);

    let requests = harness.cloud.token_requests();
    assert_eq!(requests.len(), 1, "the token is cached");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(requests[0].as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    assert_eq!(field("grant_type").as_deref(), Some("client_credentials"));
    assert_eq!(field("client_id").as_deref(), Some(APP_ID));
    assert_eq!(
        field("scope").as_deref(),
        Some("https://api.botframework.com/.default")
    );
    assert!(field("client_secret").is_some());

    let calls = harness.cloud.calls();
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call.method, "POST");
        assert_eq!(
            call.path,
            "/amer/v3/conversations/a%3A1ana-personal/activities"
        );
        assert_eq!(call.authorization.as_deref(), Some("Bearer bot-token-1"));
    }
    assert_eq!(calls[0].body, json!({"type": "message", "text": "one"}));
    Ok(())
}

fn approval_card() -> Card {
    Card {
        title: "Access request".into(),
        buttons: vec![CardButton::Execute {
            title: "Approve".into(),
            verb: Verb::Approve,
            data: json!({"request": "r-1"}),
            style: ButtonStyle::Positive,
        }],
        ..Card::default()
    }
}

#[tokio::test]
async fn a_card_is_one_activity_with_the_text_inside_and_updates_are_puts() -> TestResult {
    let harness = Harness::start().await?;
    let place = ana_place(&harness).await?;
    let message = Message::with_card("Ana asks for Finance.", approval_card());
    let sent = harness.teams.send(&place, &message).await?;
    let decided = Message::with_card(
        "Approved.",
        Card {
            title: "Access request".into(),
            ..Card::default()
        },
    );
    harness.teams.update(&sent, &decided).await?;

    let calls = harness.cloud.calls();
    let body = &calls[0].body;
    assert!(body.get("text").is_none(), "no text beside the card");
    let attachments = body["attachments"].as_array().ok_or("attachments")?;
    assert_eq!(attachments.len(), 1);
    assert_eq!(
        attachments[0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(
        attachments[0]["content"]["body"][1]["text"],
        "Ana asks for Finance."
    );
    assert_eq!(calls[1].method, "PUT");
    assert_eq!(
        calls[1].path,
        format!(
            "/amer/v3/conversations/a%3A1ana-personal/activities/{}",
            sent.id
        )
    );
    assert_eq!(calls[1].body["id"], json!(sent.id));
    assert!(
        calls[1].body["attachments"][0]["content"]
            .get("actions")
            .is_none()
    );
    Ok(())
}

#[tokio::test]
async fn a_direct_message_to_someone_new_creates_the_conversation_first() -> TestResult {
    let harness = Harness::start().await?;
    let place = harness.teams.open_direct(&ana()).await?;
    harness
        .teams
        .send(&place, &Message::text("Please approve"))
        .await?;
    let again = harness.teams.open_direct(&ana()).await?;
    assert_eq!(again, place, "the new conversation is remembered");

    let calls = harness.cloud.calls();
    assert_eq!(calls.len(), 3, "one create, one member read, one send");
    assert_eq!(calls[0].path, "/teams/v3/conversations");
    assert_eq!(
        calls[0].body,
        json!({
            "bot": {"id": BOT_ID},
            "members": [{"id": ANA, "aadObjectId": ANA}],
            "channelData": {"tenant": {"id": TENANT}},
            "tenantId": TENANT,
            "isGroup": false,
        })
    );
    // Its 29: id is read by object id, for card refreshes; a GET carries no body.
    assert_eq!(calls[1].method, "GET");
    assert_eq!(
        calls[1].path,
        format!("/teams/v3/conversations/a%3A1created-by-doorman/members/{ANA}")
    );
    assert_eq!(calls[1].body, serde_json::Value::Null);
    assert_eq!(
        calls[2].path,
        "/teams/v3/conversations/a%3A1created-by-doorman/activities"
    );
    assert!(
        harness.teams.is_direct(&place),
        "a chat whose person is known is a 1:1"
    );
    Ok(())
}

#[tokio::test]
async fn a_person_who_wrote_before_is_reached_in_their_own_conversation() -> TestResult {
    let harness = Harness::start().await?;
    let place = ana_place(&harness).await?;
    assert_eq!(harness.teams.open_direct(&ana()).await?, place);
    let contact = harness.teams.contact(&ana()).await?;
    assert_eq!(contact.display_name.as_deref(), Some("Ana Lopez"));
    assert_eq!(contact.email, None);
    assert!(harness.cloud.calls().is_empty(), "nothing was created");
    let foreign = ChatUser {
        tenant: "0e0e0e0e-1111-4222-8333-444444444444".into(),
        id: "11111111-2222-4333-8444-555555555555".into(),
        ..ana()
    };
    let refused = harness.teams.open_direct(&foreign).await;
    assert!(matches!(refused, Err(ChatError::Unreachable { .. })));
    Ok(())
}

#[tokio::test]
async fn throttling_is_retried_after_the_retry_after_wait() -> TestResult {
    let harness = Harness::start().await?;
    let place = ana_place(&harness).await?;
    harness.cloud.script(Scripted {
        status: 429,
        headers: vec![("retry-after", "0.3")],
        body: json!({"error": {"code": "TooManyRequests"}}),
    });
    harness.cloud.script(Scripted {
        status: 502,
        headers: vec![],
        body: json!({}),
    });
    let started = Instant::now();
    let sent = harness.teams.send(&place, &Message::text("hi")).await?;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(sent.id, "activity-3");
    assert_eq!(harness.cloud.calls().len(), 3);
    Ok(())
}

#[tokio::test]
async fn a_blocked_bot_is_not_retried_and_the_person_is_unreachable() -> TestResult {
    let harness = Harness::start().await?;
    let place = ana_place(&harness).await?;
    harness.cloud.script(Scripted {
        status: 403,
        headers: vec![],
        body: json!({"error": {"code": "Forbidden", "subCode": "MessageWritesBlocked"}}),
    });
    let refused = harness.teams.send(&place, &Message::text("hi")).await;
    match refused {
        Err(ChatError::Unreachable { reason, .. }) => {
            assert!(reason.contains("MessageWritesBlocked"), "{reason}")
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
    assert_eq!(harness.cloud.calls().len(), 1);
    Ok(())
}

#[tokio::test]
async fn the_token_never_goes_to_a_service_url_nobody_vouched_for() -> TestResult {
    let harness = Harness::start().await?;
    let mut place = ana_place(&harness).await?;
    place.reference["service_url"] = json!(format!("{}/elsewhere/", harness.cloud.url));
    let refused = harness.teams.send(&place, &Message::text("hi")).await;
    assert!(matches!(refused, Err(ChatError::Failed { .. })));
    let sent = SentMessage {
        place,
        id: "1".into(),
    };
    assert!(
        harness
            .teams
            .update(&sent, &Message::text("x"))
            .await
            .is_err()
    );
    assert!(harness.cloud.calls().is_empty());
    assert!(harness.cloud.token_requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn typing_is_sent_at_most_every_three_seconds() -> TestResult {
    let harness = Harness::start().await?;
    let place = ana_place(&harness).await?;
    harness.teams.typing(&place).await?;
    harness.teams.typing(&place).await?;
    let calls = harness.cloud.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].body, json!({"type": "typing"}));
    Ok(())
}

#[test]
fn connector_urls_encode_the_conversation_and_mind_the_trailing_slash() {
    use super::super::conversations::ConversationRef;
    use super::super::outbound::activities_url;
    for service_url in ["https://smba.example/amer/", "https://smba.example/amer"] {
        let reference = ConversationRef {
            service_url: service_url.to_owned(),
            conversation_id: "19:abc@thread.skype;messageid=17".to_owned(),
            user_id: None,
            tenant_id: TENANT.to_owned(),
            bot_id: BOT_ID.to_owned(),
        };
        assert_eq!(
            activities_url(&reference, Some("1:x")),
            "https://smba.example/amer/v3/conversations/19%3Aabc%40thread.skype%3Bmessageid%3D17/activities/1%3Ax"
        );
    }
}

#[tokio::test]
async fn anyone_of_the_tenant_is_reached_by_object_id_and_a_teams_sender_vouches_for_a_tenant()
-> TestResult {
    let harness = Harness::start().await?;
    let colleague = crate::domain::chat::Colleague {
        entra_id: ANA.to_owned(),
        email: "ana@contoso.com".to_owned(),
    };
    let reached = harness.teams.reach(Channel::Teams, &colleague).await?;
    assert_eq!(reached, Some(ana()));
    // Teams cannot find anyone on another platform.
    assert_eq!(harness.teams.reach(Channel::Slack, &colleague).await?, None);
    assert_eq!(harness.teams.home_tenant(&ana()).as_deref(), Some(TENANT));
    let on_slack = ChatUser {
        channel: Channel::Slack,
        ..ana()
    };
    assert_eq!(harness.teams.home_tenant(&on_slack), None);
    Ok(())
}

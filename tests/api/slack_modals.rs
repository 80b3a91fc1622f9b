//! On Slack a deny reason is typed into a modal: the Deny button opens it, and its submission
//! decides as the click would have. Driven as a person would, through the simulated Slack:
//! click, read the opened view, submit it.

use serde_json::{Value, json};

use crate::app::{TestApp, eventually, until_said};
use crate::approvals::{open_view, slack_card, slack_click, submit_view, writes};
use crate::requests::sign_in_on_slack;

const TOM: &str = "U04TOM";
const NINA: &str = "U08NINA";
const TOM_ASKS: &str = "please add me to VPN Users";

/// Nina and Tom talk to Doorman on Slack, and Tom asks for VPN Users, which Nina owns: she gets
/// the approval card in Slack. Its message ts and its Deny button's value.
async fn nina_gets_toms_card(app: &TestApp) -> (String, String) {
    sign_in_on_slack(app, NINA).await;
    app.slack(NINA, "help").await;
    sign_in_on_slack(app, TOM).await;
    app.slack(TOM, TOM_ASKS).await;
    slack_card(app, NINA, "deny").await
}

/// Nina clicks Deny; the id of the modal that opens for her.
async fn nina_opens_the_deny_modal(app: &TestApp, ts: &str, value: &str) -> String {
    slack_click(app, NINA, ts, "deny", value).await;
    let view = open_view(app, NINA).await;
    view["id"].as_str().expect("a view id").to_owned()
}

/// How many of `user`'s Slack messages say `needle`.
async fn times_said(app: &TestApp, user: &str, needle: &str) -> usize {
    Value::Array(app.slack_seen(user).await)
        .to_string()
        .matches(needle)
        .count()
}

/// The first request id (`R-` and six uppercase letters or digits, standing alone) in some text.
fn request_id(text: &str) -> Option<String> {
    text.match_indices("R-").find_map(|(at, _)| {
        let before = text[..at].chars().next_back();
        let id: String = text[at..].chars().take(8).collect();
        let after = text[at..].chars().nth(8);
        let alone = !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric());
        let shaped = id.len() == 8
            && id[2..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        (alone && shaped).then_some(id)
    })
}

#[tokio::test]
async fn the_slack_card_has_no_input_block_and_the_reason_is_asked_in_a_modal() {
    let app = TestApp::spawn().await;
    let (ts, value) = nina_gets_toms_card(&app).await;
    let seen = app.slack_seen(NINA).await;
    let card = seen
        .iter()
        .find(|message| message["ts"] == ts.as_str())
        .expect("the card");
    let kinds: Vec<&str> = card["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block["type"].as_str())
        .collect();
    assert!(kinds.contains(&"actions"), "{kinds:?}");
    assert!(
        !kinds.contains(&"input"),
        "no input in the message: {kinds:?}"
    );
    assert!(value.len() < 2000, "within Slack's limit for a value");

    let id = nina_opens_the_deny_modal(&app, &ts, &value).await;
    let opened = open_view(&app, NINA).await;
    assert_eq!(opened["id"], id.as_str());
    let view = &opened["view"];
    assert_eq!(view["type"], "modal");
    assert_eq!(view["submit"]["text"], "Deny");
    assert_eq!(view["close"]["text"], "Cancel");
    let input = &view["blocks"][0];
    assert_eq!(
        (
            &input["type"],
            &input["block_id"],
            &input["optional"],
            &input["element"]["action_id"],
            &input["element"]["max_length"],
        ),
        (
            &json!("input"),
            &json!("deny_reason"),
            &json!(true),
            &json!("deny_reason"),
            &json!(500)
        )
    );
    let metadata = view["private_metadata"].as_str().unwrap_or_default();
    assert!(
        !metadata.contains(NINA) && !metadata.contains("nina"),
        "no identity in the metadata: {metadata}"
    );
    // Opening the modal decided nothing.
    assert_eq!(times_said(&app, TOM, "denied your request").await, 0);
}

#[tokio::test]
async fn a_deny_submitted_with_an_empty_reason_denies_without_a_reason() {
    let app = TestApp::spawn().await;
    let (ts, value) = nina_gets_toms_card(&app).await;
    let view_id = nina_opens_the_deny_modal(&app, &ts, &value).await;
    let answer = submit_view(&app, NINA, &view_id, json!({})).await;
    assert_eq!(
        answer.body,
        json!({"status": 200, "body": null}),
        "{}",
        answer.text
    );
    let seen = until_said(
        || app.slack_seen(TOM),
        "nina.patel@contoso.com denied your request for membership on VPN Users (group).",
    )
    .await;
    assert!(
        !Value::Array(seen).to_string().contains("Their reason"),
        "no reason was given"
    );
    assert!(writes(&app).await.is_empty());
}

#[tokio::test]
async fn a_modal_is_submitted_only_by_the_person_it_was_opened_for() {
    let app = TestApp::spawn().await;
    let (ts, value) = nina_gets_toms_card(&app).await;
    let view_id = nina_opens_the_deny_modal(&app, &ts, &value).await;
    let by_tom = submit_view(&app, TOM, &view_id, json!({"deny_reason": "no"})).await;
    assert_eq!(by_tom.status, 403, "{}", by_tom.text);
    assert!(by_tom.body["error"].is_string(), "{}", by_tom.text);
    // Still open for Nina, whose submission decides.
    let by_nina = submit_view(&app, NINA, &view_id, json!({"deny_reason": "not now"})).await;
    assert_eq!(by_nina.body["status"], 200, "{}", by_nina.text);
    until_said(|| app.slack_seen(TOM), "Their reason: not now").await;
}

#[tokio::test]
async fn a_replayed_submission_decides_once() {
    let app = TestApp::spawn().await;
    let (ts, value) = nina_gets_toms_card(&app).await;
    let view_id = nina_opens_the_deny_modal(&app, &ts, &value).await;
    let first = submit_view(&app, NINA, &view_id, json!({"deny_reason": "not now"})).await;
    assert_eq!(first.body["status"], 200, "{}", first.text);
    // A closed modal cannot be submitted again; the same signed request can be replayed.
    let again = submit_view(&app, NINA, &view_id, json!({"deny_reason": "really"})).await;
    assert_eq!(again.status, 409, "{}", again.text);
    let replay = json!({"user": NINA, "view_id": view_id, "redeliver": true});
    let replayed = app
        .sim
        .control(reqwest::Method::POST, "slack/view", Some(replay))
        .await;
    assert_eq!(replayed.body["status"], 200, "{}", replayed.text);
    until_said(|| app.slack_seen(TOM), "Their reason: not now").await;
    // Long enough for a second decision to have been said.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(times_said(&app, TOM, "denied your request").await, 1);
    assert_eq!(
        times_said(&app, NINA, "already been decided").await,
        0,
        "the replay is dropped before it is judged"
    );
}

#[tokio::test]
async fn a_reason_past_500_characters_keeps_the_modal_open_until_it_is_shortened() {
    let app = TestApp::spawn().await;
    let (ts, value) = nina_gets_toms_card(&app).await;
    let view_id = nina_opens_the_deny_modal(&app, &ts, &value).await;
    let long = "x".repeat(501);
    let refused = submit_view(&app, NINA, &view_id, json!({"deny_reason": long})).await;
    assert_eq!(refused.body["status"], 200, "{}", refused.text);
    assert_eq!(refused.body["body"]["response_action"], "errors");
    assert!(refused.body["body"]["errors"]["deny_reason"].is_string());
    assert_eq!(
        open_view(&app, NINA).await["id"],
        view_id.as_str(),
        "still open"
    );
    let shorter = submit_view(
        &app,
        NINA,
        &view_id,
        json!({"deny_reason": "too long, sorry"}),
    )
    .await;
    assert_eq!(shorter.body["body"], Value::Null, "{}", shorter.text);
    until_said(|| app.slack_seen(TOM), "Their reason: too long, sorry").await;
}

#[tokio::test]
async fn a_modal_opened_by_a_non_approver_changes_nothing_when_submitted_and_says_why() {
    let app = TestApp::spawn().await;
    let (ts, value) = nina_gets_toms_card(&app).await;
    // Alex asks for Project Atlas, whose first step is Priya's, not Nina's.
    let alex = "alex.kim@contoso.com";
    app.teams(alex, "add me to the Project Atlas group").await;
    let priya = "priya.nair@contoso.com";
    let atlas = eventually(|| async {
        let seen = Value::Array(app.teams_seen(priya).await).to_string();
        seen.contains("Project Atlas")
            .then(|| request_id(&seen))
            .flatten()
    })
    .await
    .expect("priya gets the Project Atlas card");
    let card = app
        .slack_seen(NINA)
        .await
        .into_iter()
        .find(|message| message["ts"] == ts.as_str())
        .expect("the card");
    let vpn = request_id(&card.to_string()).expect("the VPN Users request id");
    // Nina's Deny button, made to name Alex's request (only the sim lets a value be changed).
    let forged = value.replace(&vpn, &atlas);
    assert_ne!(forged, value);
    let view_id = nina_opens_the_deny_modal(&app, &ts, &forged).await;
    let answer = submit_view(&app, NINA, &view_id, json!({"deny_reason": "no"})).await;
    assert_eq!(answer.body["status"], 200, "{}", answer.text);
    until_said(
        || app.slack_seen(NINA),
        "Only the approvers of this step can decide it; nothing was changed.",
    )
    .await;
    let told_alex = Value::Array(app.teams_seen(alex).await).to_string();
    assert!(!told_alex.contains("denied"), "{told_alex}");
    assert_eq!(times_said(&app, TOM, "denied your request").await, 0);
    assert!(writes(&app).await.is_empty());
}

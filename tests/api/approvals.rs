//! Requests end to end through the simulator: approval cards, clicks judged by who clicked,
//! the change made with the acting identity's own token, read back, and reported.

use serde_json::Value;

use crate::app::{OPERATOR, TestApp, eventually, request_id, until_said};
use crate::helpers::is_read_only_action;
use crate::requests::{click_teams, objects, sign_in_on_slack};

/// The newest card action with `verb` in these messages, with the id of its message.
pub(crate) fn card_action(messages: &[Value], verb: &str) -> Option<(String, Value)> {
    messages.iter().rev().find_map(|message| {
        let mut found = Vec::new();
        objects(
            message,
            &|object| object["type"] == "Action.Execute" && object["verb"] == verb,
            &mut found,
        );
        let action = found.first()?;
        Some((message["id"].as_str()?.to_owned(), (*action).clone()))
    })
}

/// Waits until `upn` has a card action with `verb`.
pub(crate) async fn card_for(app: &TestApp, upn: &str, verb: &str) -> (String, Value) {
    if let Some(found) =
        eventually(|| async { card_action(&app.teams_seen(upn).await, verb) }).await
    {
        return found;
    }
    panic!(
        "{upn} got no card with {verb}: {:?}",
        app.teams_seen(upn).await
    );
}

/// Follows the newest sign-in link Doorman sent `upn`.
pub(crate) async fn sign_in_when_asked(app: &TestApp, upn: &str) {
    let asked = until_said(|| app.teams_seen(upn), "/auth/start").await;
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
}

/// The Graph log's writes Graph carried out (any method but GET, answered with success), as
/// the log has them (`method`, `path`, `user`, `request`, ...).
pub(crate) async fn writes_made(app: &TestApp) -> Vec<serde_json::Value> {
    let log = app
        .sim
        .control(reqwest::Method::GET, "graph/log", None)
        .await
        .body;
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| is_write(entry) && entry["status"].as_u64().unwrap_or(500) < 300)
        .cloned()
        .collect()
}

/// Whether a Graph log entry may have changed the tenant: not a GET, nor a POST of an action
/// that only reads (`checkMemberGroups`, as the read of whether someone has a membership is).
fn is_write(entry: &serde_json::Value) -> bool {
    entry["method"] != "GET" && !is_read_only_action(entry["path"].as_str().unwrap_or_default())
}

/// Graph writes so far, as (method, path, the UPN whose token made it).
pub(crate) async fn writes(app: &TestApp) -> Vec<(String, String, String)> {
    let log = app
        .sim
        .control(reqwest::Method::GET, "graph/log", None)
        .await
        .body;
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| is_write(entry))
        .map(|entry| {
            (
                entry["method"].as_str().unwrap_or("").to_owned(),
                entry["path"].as_str().unwrap_or("").to_owned(),
                entry["user"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_auto_approved_join_is_made_with_the_operators_token_and_verified() {
    let app = TestApp::spawn().await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team please").await;
    until_said(|| app.teams_seen(jordan), "I'm making the change now").await;
    // The operator has not signed in yet: Doorman asks them, and the request waits.
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(jordan),
        "done. You now have membership on Marketing",
    )
    .await;
    assert!(
        app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    let made = writes(&app).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].0, "POST");
    assert!(made[0].1.ends_with("/members/$ref"), "{made:?}");
    assert_eq!(made[0].2, OPERATOR, "made with the operator's own token");

    // The identity team sees the grant, beside the running bot and after it stops.
    let mut app = app;
    for _ in 0..2 {
        let output = app.cli(&["grants", "list"]).await;
        let listed = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            listed.contains("jordan.lee@contoso.com  member on Marketing (team)  until ")
                && listed.contains("made by helpdesk.ops@contoso.com"),
            "{listed}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_policy_denial_in_teams_asks_nobody_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let tom = "tom.becker@contoso.com";
    app.teams(tom, "add me to Helpdesk Admins").await;
    until_said(|| app.teams_seen(tom), "Policy does not allow this").await;
    app.teams(tom, "please add me to GRP-FINANCE-BI-READ").await;
    until_said(|| app.teams_seen(tom), "Only people in Finance can request").await;
    assert!(writes(&app).await.is_empty());
    for owner in ["grace.admin@contoso.com", "david.okafor@contoso.com"] {
        assert!(
            card_action(&app.teams_seen(owner).await, "approve").is_none(),
            "{owner} is not asked"
        );
    }
}

#[tokio::test]
async fn the_owner_approves_by_card_and_the_change_is_made_with_their_token() {
    let app = TestApp::spawn().await;
    let tom = "tom.becker@contoso.com";
    let nina = "nina.patel@contoso.com";
    app.teams(tom, "please add me to VPN Users because I work remotely")
        .await;
    until_said(|| app.teams_seen(tom), "I've sent the approval request").await;
    let (card, approve) = card_for(&app, nina, "approve").await;
    let shown = Value::Array(app.teams_seen(nina).await).to_string();
    assert!(
        shown.contains("tom.becker@contoso.com asks for membership on VPN Users"),
        "{shown}"
    );
    assert!(
        shown.contains("I work remotely"),
        "the card says why: {shown}"
    );
    assert!(
        shown.contains("Tom Becker (tom.becker@contoso.com)") && shown.contains("Marketing"),
        "the card says who, and their department: {shown}"
    );

    // The owner can ask what waits for her; someone else is told nothing waits for them.
    app.teams(nina, "anything waiting for my approval?").await;
    until_said(
        || app.teams_seen(nina),
        "Waiting for your decision (1 in all; the approval cards are in our chat):\\nR-",
    )
    .await;
    assert!(
        Value::Array(app.teams_seen(nina).await)
            .to_string()
            .contains("tom.becker@contoso.com asks for membership on VPN Users (group)"),
    );
    app.teams("maria.garcia@contoso.com", "any approvals pending for me?")
        .await;
    until_said(
        || app.teams_seen("maria.garcia@contoso.com"),
        "none is waiting for your decision",
    )
    .await;

    // The requester replaying the owner's action changes nothing.
    click_teams(&app, tom, &card, &approve).await;
    until_said(
        || app.teams_seen(tom),
        "You can't approve or deny your own request",
    )
    .await;
    // Nor does someone who is not an approver.
    click_teams(&app, "maria.garcia@contoso.com", &card, &approve).await;
    until_said(
        || app.teams_seen("maria.garcia@contoso.com"),
        "Only the approvers of this step",
    )
    .await;
    assert!(writes(&app).await.is_empty());

    let answered = click_teams(&app, nina, &card, &approve).await;
    let answered = answered.to_string();
    assert!(
        answered.contains("Approved by nina.patel@contoso.com"),
        "{answered}"
    );
    assert!(
        !answered.contains("Action.Execute"),
        "a decided card keeps no buttons: {answered}"
    );
    // The owner carries it out with her own sign-in.
    sign_in_when_asked(&app, nina).await;
    until_said(
        || app.teams_seen(tom),
        "done. You now have membership on VPN Users",
    )
    .await;
    assert!(app.sim.members("VPN Users").await.contains(&tom.to_owned()));
    let made = writes(&app).await;
    assert!(made.iter().all(|(_, _, user)| user == nina), "{made:?}");

    // The requester can ask where things stand, and what they hold.
    app.teams(tom, "what access do I have?").await;
    until_said(
        || app.teams_seen(tom),
        "membership on VPN Users (group) until",
    )
    .await;
    app.teams(tom, "status of my requests").await;
    until_said(|| app.teams_seen(tom), "Your requests:\\nR-").await;

    // A second click on the decided card changes nothing.
    click_teams(&app, nina, &card, &approve).await;
    until_said(|| app.teams_seen(nina), "already been decided").await;
    assert_eq!(writes(&app).await.len(), made.len());

    // The audit trail tells the request's whole story under its id.
    let id = approve["data"]["request"]
        .as_str()
        .expect("the card names its request")
        .to_owned();
    let mut app = app;
    app.stop().await;
    let kinds: Vec<String> = story(&app, &id)
        .iter()
        .map(|record| record["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "received",
            "approval_requested",
            "approved",
            "provisioned",
            "verified"
        ],
        "{id}"
    );
    // Tom never signed in: his side cannot be asked, and the audit says so.
    let verified = story(&app, &id).pop().expect("records");
    assert!(
        verified
            .to_string()
            .contains("\"requester_view\":\"not_signed_in\""),
        "{verified}"
    );
}

/// The audit records of one request, read from the stopped app's store.
pub(crate) fn story(app: &TestApp, request: &str) -> Vec<Value> {
    use doorman::audit::{AuditLog, ExportFilter};
    use doorman::config::SecretKey;
    use doorman::store::{SledStore, Store};
    let store: std::sync::Arc<dyn Store> =
        std::sync::Arc::new(SledStore::open(&app.storage_path()).expect("store"));
    let key = SecretKey::from_base64(&app.sim.state.doorman_audit_key).expect("key");
    let audit = AuditLog::open(store, &key).expect("audit");
    let mut lines = Vec::new();
    let filter = ExportFilter {
        since: None,
        request_id: Some(request.to_owned()),
    };
    audit.export(&filter, &mut lines).expect("export");
    String::from_utf8(lines)
        .expect("utf-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect()
}

#[tokio::test]
async fn the_owner_denies_with_a_reason_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let tom = "tom.becker@contoso.com";
    let nina = "nina.patel@contoso.com";
    app.teams(tom, "please add me to VPN Users").await;
    let (card, _) = card_for(&app, nina, "approve").await;
    let (_, deny) = card_for(&app, nina, "deny").await;
    let answer = app
        .sim
        .control(
            reqwest::Method::POST,
            "teams/invoke",
            Some(serde_json::json!({
                "from": nina, "replyToId": card, "action": deny,
                "inputs": {"deny_reason": "use the office network"},
            })),
        )
        .await;
    assert!(
        answer.text.contains("Denied by nina.patel@contoso.com"),
        "{}",
        answer.text
    );
    until_said(|| app.teams_seen(tom), "nina.patel@contoso.com denied your request for membership on VPN Users (group). Their reason: use the office network").await;
    assert!(writes(&app).await.is_empty());
}

#[tokio::test]
async fn two_stages_survive_a_restart_and_the_last_owner_makes_the_change() {
    let mut app = TestApp::spawn().await;
    let alex = "alex.kim@contoso.com";
    let (priya, nina) = ("priya.nair@contoso.com", "nina.patel@contoso.com");
    app.teams(alex, "add me to the Project Atlas group").await;
    let (card, approve) = card_for(&app, priya, "approve").await;
    app.restart().await;
    click_teams(&app, priya, &card, &approve).await;
    until_said(|| app.teams_seen(alex), "approved step 1 of 2").await;
    let (card, approve) = card_for(&app, nina, "approve").await;
    app.restart().await;
    click_teams(&app, nina, &card, &approve).await;
    sign_in_when_asked(&app, nina).await;
    until_said(
        || app.teams_seen(alex),
        "done. You now have membership on Project Atlas",
    )
    .await;
    assert!(
        app.sim
            .members("Project Atlas")
            .await
            .contains(&alex.to_owned())
    );
    let made = writes(&app).await;
    assert_eq!(made.len(), 1, "granted once: {made:?}");
    assert_eq!(made[0].2, nina);
}

#[tokio::test]
async fn throttling_and_replication_lag_still_end_verified_and_granted_once() {
    let app = TestApp::spawn().await;
    let jordan = "jordan.lee@contoso.com";
    // Sign the operator in first, so the grant runs straight through under the faults.
    app.teams(jordan, "join the Marketing team please").await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(jordan),
        "done. You now have membership on Marketing",
    )
    .await;

    app.sim
        .faults(serde_json::json!({"throttle_rate": 0.3, "replication_lag_ms": 2000}))
        .await;
    let alex = "alex.kim@contoso.com";
    app.teams(alex, "join the Marketing team please").await;
    until_said(
        || app.teams_seen(alex),
        "done. You now have membership on Marketing",
    )
    .await;
    app.sim
        .faults(serde_json::json!({"throttle_rate": 0.0, "replication_lag_ms": 0}))
        .await;
    let members = app.sim.members("Marketing").await;
    assert_eq!(
        members.iter().filter(|member| *member == alex).count(),
        1,
        "{members:?}"
    );
    let log = app
        .sim
        .control(reqwest::Method::GET, "graph/log", None)
        .await
        .body;
    let accepted: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| {
            entry["method"] == "POST"
                && entry["path"]
                    .as_str()
                    .is_some_and(|path| path.ends_with("/members/$ref"))
                && entry["status"] == 204
        })
        .collect();
    assert_eq!(
        accepted.len(),
        2,
        "one accepted write per grant: {accepted:?}"
    );
}

/// The newest Slack button with this `action_id`, with its message's ts and its value.
fn slack_button(messages: &[Value], action_id: &str) -> Option<(String, String)> {
    messages.iter().rev().find_map(|message| {
        let mut found = Vec::new();
        objects(
            message,
            &|object| object["type"] == "button" && object["action_id"] == action_id,
            &mut found,
        );
        let button = found.first()?;
        Some((
            message["ts"].as_str()?.to_owned(),
            button["value"].as_str()?.to_owned(),
        ))
    })
}

/// Waits until `user` has a Slack card with a button `action_id`; its message's ts and value.
pub(crate) async fn slack_card(app: &TestApp, user: &str, action_id: &str) -> (String, String) {
    let found = eventually(|| async { slack_button(&app.slack_seen(user).await, action_id) }).await;
    found.unwrap_or_else(|| panic!("{user} got no card with {action_id} in Slack"))
}

/// `user` clicks the button `action_id` of the message `ts` in their DM, with `value`.
pub(crate) async fn slack_click(app: &TestApp, user: &str, ts: &str, action_id: &str, value: &str) {
    let click =
        serde_json::json!({"user": user, "message_ts": ts, "action_id": action_id, "value": value});
    let answer = app
        .sim
        .control(reqwest::Method::POST, "slack/action", Some(click))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], 200, "{}", answer.text);
}

/// The newest modal the bot opened for `user` that is still open, as `GET /_sim/slack/views`
/// shows it (`{id, user, view, closed}`).
pub(crate) async fn open_view(app: &TestApp, user: &str) -> Value {
    let views = app
        .sim
        .control(reqwest::Method::GET, "slack/views", None)
        .await
        .body;
    views
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .find(|view| view["user"] == user && view["closed"] == false)
        .cloned()
        .unwrap_or_else(|| panic!("no modal open for {user}: {views}"))
}

/// `user` submits the modal `view_id` with `values` (`{action_id: text}`); the sim's answer.
pub(crate) async fn submit_view(
    app: &TestApp,
    user: &str,
    view_id: &str,
    values: Value,
) -> crate::helpers::Answer {
    let submission = serde_json::json!({"user": user, "view_id": view_id, "values": values});
    app.sim
        .control(reqwest::Method::POST, "slack/view", Some(submission))
        .await
}

#[tokio::test]
async fn on_slack_the_approver_is_reached_where_she_talks_and_decides_there() {
    let app = TestApp::spawn().await;
    let (tom, nina) = ("U04TOM", "U08NINA");
    sign_in_on_slack(&app, nina).await;
    app.slack(nina, "help").await;
    sign_in_on_slack(&app, tom).await;
    app.slack(tom, "please add me to VPN Users").await;
    until_said(|| app.slack_seen(tom), "I've sent the approval request").await;
    let found = eventually(|| async { slack_button(&app.slack_seen(nina).await, "approve") }).await;
    let (ts, value) = found.expect("nina gets the card in Slack");
    let click = |user: &'static str| {
        let value = value.clone();
        let ts = ts.clone();
        let app = &app;
        async move {
            let answer = app
                .sim
                .control(
                    reqwest::Method::POST,
                    "slack/action",
                    Some(serde_json::json!({"user": user, "message_ts": ts, "action_id": "approve", "value": value})),
                )
                .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
        }
    };
    // (Slack shows a DM's buttons to its one person only: nobody else can click them.)
    click(nina).await;
    // Her sign-in as a requester does not cover changing groups: she is asked to sign in as
    // the approver, in Slack, and the change is made with that sign-in.
    let asked = until_said(|| app.slack_seen(nina), "carry out an approved request").await;
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    until_said(
        || app.slack_seen(tom),
        "done. You now have membership on VPN Users",
    )
    .await;
    assert!(
        app.sim
            .members("VPN Users")
            .await
            .contains(&"tom.becker@contoso.com".to_owned())
    );
    let made = writes(&app).await;
    assert!(
        made.iter()
            .all(|(_, _, user)| user == "nina.patel@contoso.com"),
        "{made:?}"
    );
    let card = Value::Array(app.slack_seen(nina).await).to_string();
    assert!(
        card.contains("Approved by nina.patel@contoso.com"),
        "{card}"
    );
    // Tom signed in, so the grant is also confirmed from his side, with his own token.
    let log = app
        .sim
        .control(reqwest::Method::GET, "graph/log", None)
        .await
        .body;
    assert!(
        log.as_array().into_iter().flatten().any(|entry| {
            entry["method"] == "POST"
                && entry["path"] == "/me/checkMemberGroups"
                && entry["user"] == "tom.becker@contoso.com"
        }),
        "{log}"
    );
    let id = request_id(&app.slack_seen(tom).await);
    let mut app = app;
    app.stop().await;
    let verified = story(&app, &id)
        .into_iter()
        .find(|record| record["kind"] == "verified")
        .expect("a verified record");
    assert!(
        verified
            .to_string()
            .contains("\"requester_view\":\"confirmed\""),
        "{verified}"
    );
}

#[tokio::test]
async fn a_slack_request_reaches_an_approver_who_never_wrote_on_slack_by_email() {
    let app = TestApp::spawn().await;
    let (tom, nina) = ("U04TOM", "U08NINA");
    sign_in_on_slack(&app, tom).await;
    app.slack(tom, "please add me to VPN Users").await;
    until_said(|| app.slack_seen(tom), "I've sent the approval request").await;
    // Nina never talked to Doorman: the request came from Slack, so she is found there.
    let (ts, value) = slack_card(&app, nina, "approve").await;
    assert!(
        card_action(&app.teams_seen("nina.patel@contoso.com").await, "approve").is_none(),
        "not sent to Teams as well"
    );
    // Slack's click names a Slack account: until she links it by signing in, it decides
    // nothing, and she gets the link to do so right there.
    slack_click(&app, nina, &ts, "approve", &value).await;
    until_said(|| app.slack_seen(nina), "that click changed nothing").await;
    let offered = until_said(|| app.slack_seen(nina), "/auth/start").await;
    assert!(writes(&app).await.is_empty());
    let told = Value::Array(app.slack_seen(tom).await).to_string();
    assert!(!told.contains("approved"), "{told}");
    let link = app.sign_in_links(&offered).pop().expect("a sign-in link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    until_said(
        || app.slack_seen(nina),
        "signed in as nina.patel@contoso.com",
    )
    .await;
    slack_click(&app, nina, &ts, "approve", &value).await;
    until_said(|| app.slack_seen(tom), "nina.patel@contoso.com approved").await;
}

#[tokio::test]
async fn on_slack_an_auto_approved_join_is_made_by_the_operator_and_a_denial_writes_nothing() {
    let app = TestApp::spawn().await;
    let jordan = "U07JORDAN";
    sign_in_on_slack(&app, jordan).await;
    app.slack(jordan, "join the Marketing team please").await;
    until_said(|| app.slack_seen(jordan), "I'm making the change now").await;
    // The operator has no Slack account, so they are asked in Teams.
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.slack_seen(jordan),
        "done. You now have membership on Marketing",
    )
    .await;
    assert!(
        app.sim
            .members("Marketing")
            .await
            .contains(&"jordan.lee@contoso.com".to_owned())
    );
    let made = writes(&app).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].2, OPERATOR);

    let tom = "U04TOM";
    sign_in_on_slack(&app, tom).await;
    app.slack(tom, "add me to Helpdesk Admins").await;
    until_said(|| app.slack_seen(tom), "Policy does not allow this").await;
    assert_eq!(writes(&app).await, made, "a denial writes nothing");
}

#[tokio::test]
async fn on_slack_two_stages_go_manager_then_owner_and_the_owner_makes_the_change() {
    let app = TestApp::spawn().await;
    let (alex, priya, nina) = ("U06ALEX", "U05PRIYA", "U08NINA");
    for user in [alex, priya, nina] {
        sign_in_on_slack(&app, user).await;
    }
    app.slack(alex, "add me to the Project Atlas group").await;
    until_said(|| app.slack_seen(alex), "I've sent the approval request").await;
    let (ts, value) = slack_card(&app, priya, "approve").await;
    assert!(
        slack_button(&app.slack_seen(nina).await, "approve").is_none(),
        "the owner is asked only after the manager"
    );
    slack_click(&app, priya, &ts, "approve", &value).await;
    until_said(|| app.slack_seen(alex), "approved step 1 of 2").await;
    let (ts, value) = slack_card(&app, nina, "approve").await;
    slack_click(&app, nina, &ts, "approve", &value).await;
    let asked = until_said(|| app.slack_seen(nina), "carry out an approved request").await;
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    until_said(
        || app.slack_seen(alex),
        "done. You now have membership on Project Atlas",
    )
    .await;
    let made = writes(&app).await;
    assert!(!made.is_empty());
    assert!(
        made.iter()
            .all(|(_, _, user)| user == "nina.patel@contoso.com"),
        "{made:?}"
    );
}

#[tokio::test]
async fn a_grant_waiting_for_the_operators_sign_in_survives_a_restart_and_is_made_once() {
    let mut app = TestApp::spawn().await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team please").await;
    let asked = until_said(|| app.teams_seen(OPERATOR), "/auth/start").await;
    app.restart().await;
    // The link sent before the restart still works, and the request carries on by itself.
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    until_said(
        || app.teams_seen(jordan),
        "done. You now have membership on Marketing",
    )
    .await;
    app.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let made = writes(&app).await;
    assert_eq!(
        made.len(),
        1,
        "made once, not again after the restart: {made:?}"
    );
}

#[tokio::test]
async fn two_approvers_clicking_at_once_make_one_decision() {
    let policy = std::fs::read_to_string(crate::app::EXAMPLE_POLICY)
        .expect("example policy")
        .replace(
            "match = { kind = \"group\", name = \"VPN *\" }\nmax_access = \"member\"\napproval = [\"owner\"]\nmax_duration = \"30d\"\nacting = \"approver\"",
            "match = { kind = \"group\", name = \"VPN *\" }\nmax_access = \"member\"\napproval = [\"group:Customer Support\"]\nmax_duration = \"30d\"\nacting = \"operator\"",
        );
    assert!(policy.contains("group:Customer Support"));
    let app = TestApp::spawn_with_policy(&policy).await;
    let tom = "tom.becker@contoso.com";
    let (priya, alex) = ("priya.nair@contoso.com", "alex.kim@contoso.com");
    app.teams(tom, "please add me to VPN Users").await;
    let (priya_card, priya_approve) = card_for(&app, priya, "approve").await;
    let (alex_card, alex_approve) = card_for(&app, alex, "approve").await;
    let (first, second) = tokio::join!(
        click_teams(&app, priya, &priya_card, &priya_approve),
        click_teams(&app, alex, &alex_card, &alex_approve),
    );
    let approved = [first, second]
        .iter()
        .filter(|answer| answer.to_string().contains("Approved by"))
        .count();
    assert_eq!(approved, 1, "exactly one click decides");
    until_said(
        || app.teams_seen(tom),
        "approved. I'm making the change now",
    )
    .await;
    let told = Value::Array(app.teams_seen(tom).await).to_string();
    assert_eq!(
        told.matches("approved. I'm making the change now").count(),
        1,
        "{told}"
    );
    // Both approvers' cards end up showing the one decision.
    for who in [priya, alex] {
        until_said(|| app.teams_seen(who), "Approved by").await;
        assert!(
            card_action(&app.teams_seen(who).await, "approve").is_none(),
            "{who}'s card keeps no buttons"
        );
    }
}

/// The VPN rule of the example policy with `approval` in place of its owner stage, made by
/// the operator.
fn vpn_policy(approval: &str) -> String {
    let policy = std::fs::read_to_string(crate::app::EXAMPLE_POLICY)
        .expect("example policy")
        .replace(
            "match = { kind = \"group\", name = \"VPN *\" }\nmax_access = \"member\"\napproval = [\"owner\"]\nmax_duration = \"30d\"\nacting = \"approver\"",
            &format!("match = {{ kind = \"group\", name = \"VPN *\" }}\nmax_access = \"member\"\napproval = {approval}\nmax_duration = \"30d\"\nacting = \"operator\""),
        );
    assert!(policy.contains(approval));
    policy
}

#[tokio::test]
async fn a_quorum_stage_waits_for_enough_different_approvers() {
    let app = TestApp::spawn_with_policy(&vpn_policy(
        "[{ stage = \"group:Customer Support\", quorum = 2 }]",
    ))
    .await;
    let tom = "tom.becker@contoso.com";
    let (priya, alex) = ("priya.nair@contoso.com", "alex.kim@contoso.com");
    app.teams(tom, "please add me to VPN Users").await;
    let (priya_card, priya_approve) = card_for(&app, priya, "approve").await;
    let (alex_card, _) = card_for(&app, alex, "approve").await;
    assert!(
        priya_approve.to_string().contains("request") && !priya_approve.to_string().contains("@"),
        "card data carries ids, never identity: {priya_approve}"
    );
    let mine = click_teams(&app, priya, &priya_card, &priya_approve).await;
    assert!(
        mine.to_string().contains("your approval is counted"),
        "{mine}"
    );
    until_said(|| app.teams_seen(tom), "It needs 1 more approval").await;
    // Alex's card shows the yes so far and still asks him.
    until_said(|| app.teams_seen(alex), "1 so far (priya.nair@contoso.com)").await;
    let (card_now, alex_approve) = card_for(&app, alex, "approve").await;
    assert_eq!(card_now, alex_card, "the card is updated in place");
    assert!(writes(&app).await.is_empty(), "nothing is made on one yes");
    // Asked what waits for them, the one who said yes is told nothing does; the other is not.
    app.teams(priya, "anything waiting for my approval?").await;
    until_said(
        || app.teams_seen(priya),
        "none is waiting for your decision",
    )
    .await;
    app.teams(alex, "anything waiting for my approval?").await;
    until_said(
        || app.teams_seen(alex),
        "Waiting for your decision (1 in all",
    )
    .await;

    let decided = click_teams(&app, alex, &alex_card, &alex_approve).await;
    assert!(
        decided
            .to_string()
            .contains("Approved by priya.nair@contoso.com and alex.kim@contoso.com"),
        "{decided}"
    );
    until_said(
        || app.teams_seen(priya),
        "Approved by priya.nair@contoso.com and alex.kim",
    )
    .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(tom),
        "done. You now have membership on VPN Users",
    )
    .await;
    let made = writes(&app).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].2, OPERATOR);
}

#[tokio::test]
async fn a_quorum_larger_than_the_approvers_is_refused_before_anyone_is_asked() {
    let app = TestApp::spawn_with_policy(&vpn_policy(
        "[{ stage = \"group:Customer Support\", quorum = 3 }]",
    ))
    .await;
    let tom = "tom.becker@contoso.com";
    app.teams(tom, "please add me to VPN Users").await;
    until_said(
        || app.teams_seen(tom),
        "needs 3 approvals at the group:Customer Support step, but only 2 people other than you",
    )
    .await;
    assert!(
        card_action(&app.teams_seen("priya.nair@contoso.com").await, "approve").is_none(),
        "no card goes out"
    );
}

/// The Adaptive Card of a message the bot sent, as shown.
fn card_of(message: &Value) -> &Value {
    &message["attachments"][0]["content"]
}

/// The person looks at the card `activity` in their chat (`/_sim/teams/refresh`).
async fn look_at(app: &TestApp, upn: &str, activity: &str) -> Value {
    let answer = app
        .sim
        .control(
            reqwest::Method::POST,
            "teams/refresh",
            Some(serde_json::json!({"user": upn, "activityId": activity})),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

#[tokio::test]
async fn an_approval_card_refreshes_to_its_current_state_for_its_own_approver_only() {
    let app = TestApp::spawn_with_policy(&vpn_policy("[\"group:Customer Support\"]")).await;
    let tom = "tom.becker@contoso.com";
    let (priya, alex) = ("priya.nair@contoso.com", "alex.kim@contoso.com");
    app.teams(tom, "please add me to VPN Users").await;
    let (priya_card, priya_approve) = card_for(&app, priya, "approve").await;
    let (alex_card, _) = card_for(&app, alex, "approve").await;

    // Each card refreshes for its own approver, named by the 29: id Doorman learned when it
    // opened the chat, with the refresh verb and ids only.
    let seen = app.teams_seen(alex).await;
    let shown = seen
        .iter()
        .find(|message| message["id"] == alex_card.as_str())
        .expect("alex's card");
    let refresh = card_of(shown)["refresh"].clone();
    assert_eq!(refresh["action"]["verb"], "refresh", "{refresh}");
    let ids = refresh["userIds"].as_array().cloned().unwrap_or_default();
    assert_eq!(ids.len(), 1, "{refresh}");
    assert!(
        ids[0].as_str().is_some_and(|id| id.starts_with("29:")),
        "{refresh}"
    );
    assert!(
        !refresh.to_string().contains('@'),
        "no identity in card data: {refresh}"
    );
    let refreshed = look_at(&app, alex, &alex_card).await;
    assert_eq!(refreshed["refreshed"], true, "{refreshed}");
    assert!(card_action(&app.teams_seen(alex).await, "approve").is_some());
    // Priya's card does not name Alex: shown to Alex it would not refresh.
    let priya_seen = app.teams_seen(priya).await;
    let priya_shown = priya_seen
        .iter()
        .find(|message| message["id"] == priya_card.as_str())
        .expect("priya's card");
    assert_ne!(
        card_of(priya_shown)["refresh"]["userIds"],
        refresh["userIds"]
    );

    // The requester fetching a card's refresh gets nothing and is told nothing.
    let before = app.teams_seen(tom).await.len();
    let foreign = click_teams(&app, tom, &alex_card, &refresh["action"]).await;
    assert_eq!(
        foreign["body"]["type"], "application/vnd.microsoft.activity.message",
        "{foreign}"
    );

    click_teams(&app, priya, &priya_card, &priya_approve).await;
    until_said(
        || app.teams_seen(tom),
        "approved. I'm making the change now",
    )
    .await;
    // A card fetched again after the decision shows it, with no buttons left.
    let stale = click_teams(&app, alex, &alex_card, &refresh["action"]).await;
    let stale = stale.to_string();
    assert!(
        stale.contains("Approved by priya.nair@contoso.com"),
        "{stale}"
    );
    assert!(!stale.contains("\"verb\":\"approve\""), "{stale}");
    // Told of the decision, and nothing about the refreshes.
    let told = Value::Array(app.teams_seen(tom).await[before..].to_vec()).to_string();
    assert!(
        !told.contains("nothing was changed") && !told.contains("isn't active"),
        "{told}"
    );
    let told_alex = Value::Array(app.teams_seen(alex).await).to_string();
    assert!(!told_alex.contains("nothing was changed"), "{told_alex}");
}

/// Whether `upn` is a member of the channel, in `/_sim/state` (which shows what replication
/// lag still hides from reads).
pub(crate) async fn in_channel(app: &TestApp, channel: &str, upn: &str) -> bool {
    let state = app
        .sim
        .control(reqwest::Method::GET, "state", None)
        .await
        .body;
    state["teams"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|team| team["channels"].as_array().into_iter().flatten())
        .filter(|found| found["displayName"] == channel)
        .flat_map(|found| found["members"].as_array().into_iter().flatten())
        .any(|member| member.as_str() == Some(upn))
}

#[tokio::test]
async fn a_private_channel_is_joined_after_its_team_with_the_owners_token() {
    let app = TestApp::spawn().await;
    let sarah = "sarah.chen@contoso.com";
    let david = "david.okafor@contoso.com";
    app.teams(sarah, "add me to the Month-End Close channel")
        .await;
    until_said(|| app.teams_seen(sarah), "I've sent the approval request").await;
    // David owns the channel and the Finance team, and is Sarah's manager: one card per stage.
    let (card, approve) = card_for(&app, david, "approve").await;
    click_teams(&app, david, &card, &approve).await;
    until_said(|| app.teams_seen(sarah), "approved step 1 of 2").await;
    let second = eventually(|| async {
        card_action(&app.teams_seen(david).await, "approve").filter(|(id, _)| *id != card)
    })
    .await;
    let (card, approve) = second.expect("a card for the second stage");
    click_teams(&app, david, &card, &approve).await;
    sign_in_when_asked(&app, david).await;
    until_said(
        || app.teams_seen(sarah),
        "done. You now have membership on Month-End Close",
    )
    .await;
    assert!(app.sim.members("Finance").await.contains(&sarah.to_owned()));
    assert!(in_channel(&app, "Month-End Close", sarah).await);
    assert!(writes(&app).await.iter().all(|(_, _, user)| user == david));
}

#[tokio::test]
async fn a_failed_channel_step_rolls_the_team_membership_back() {
    // The helpdesk may change groups but not channels: the channel step is refused.
    let policy = std::fs::read_to_string(crate::app::EXAMPLE_POLICY)
        .expect("example policy")
        .replace(
            "match = { kind = \"channel\" }\nmax_access = \"member\"\napproval = [\"owner\"]\nacting = \"approver\"",
            "match = { kind = \"channel\" }\nmax_access = \"member\"\napproval = []\nacting = \"operator\"",
        );
    assert!(
        policy.contains(
            "approval = []\nacting = \"operator\"\n\n[[target]]\nname = \"other-groups\""
        )
    );
    let app = TestApp::spawn_with_policy(&policy).await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "add me to the Product Launch channel")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(jordan), "I could not make this change").await;
    let told = Value::Array(app.teams_seen(jordan).await).to_string();
    assert!(
        told.contains("I took back what I had made for it and checked that it is gone"),
        "{told}"
    );
    assert!(
        !app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    assert!(!in_channel(&app, "Product Launch", jordan).await);
    let made = writes(&app).await;
    assert!(
        made.iter()
            .any(|(method, path, _)| method == "DELETE" && path.contains("/members/")),
        "{made:?}"
    );
}

#[tokio::test]
async fn site_read_is_a_read_invite_on_its_library_made_by_the_owner() {
    let app = TestApp::spawn().await;
    let sarah = "sarah.chen@contoso.com";
    let david = "david.okafor@contoso.com";
    app.teams(
        sarah,
        "can I get read access to the finance site? need to check the Q3 numbers",
    )
    .await;
    let (card, approve) = card_for(&app, david, "approve").await;
    click_teams(&app, david, &card, &approve).await;
    sign_in_when_asked(&app, david).await;
    until_said(
        || app.teams_seen(sarah),
        "done. You now have read on Finance",
    )
    .await;
    let made = writes(&app).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].1.ends_with("/invite"), "{made:?}");
    assert_eq!(made[0].2, david);
    assert!(
        !app.sim.members("Finance").await.contains(&sarah.to_owned()),
        "read is no group membership"
    );
}

#[tokio::test]
async fn a_disabled_member_of_an_approver_group_gets_no_card() {
    let policy = std::fs::read_to_string(crate::app::EXAMPLE_POLICY)
        .expect("example policy")
        .replace(
            "match = { kind = \"group\", name = \"VPN *\" }\nmax_access = \"member\"\napproval = [\"owner\"]\nmax_duration = \"30d\"\nacting = \"approver\"",
            "match = { kind = \"group\", name = \"VPN *\" }\nmax_access = \"member\"\napproval = [\"group:Finance\"]\nmax_duration = \"30d\"\nacting = \"operator\"",
        );
    assert!(policy.contains("group:Finance"));
    let app = TestApp::spawn_with_policy(&policy).await;
    let tom = "tom.becker@contoso.com";
    app.teams(tom, "please add me to VPN Users").await;
    card_for(&app, "david.okafor@contoso.com", "approve").await;
    until_said(|| app.teams_seen(tom), "I've sent the approval request").await;
    // Only the enabled member is asked: the status names who the request waits for.
    app.teams(tom, "status of my requests").await;
    let seen = until_said(
        || app.teams_seen(tom),
        "waiting for david.okafor@contoso.com",
    )
    .await;
    assert!(
        !Value::Array(seen).to_string().contains("liam.ward"),
        "a disabled account is no approver"
    );
}

#[tokio::test]
async fn an_owner_who_approves_always_is_not_asked_again_for_the_same_access() {
    let app = TestApp::spawn().await;
    let (tom, jordan, nina) = (
        "tom.becker@contoso.com",
        "jordan.lee@contoso.com",
        "nina.patel@contoso.com",
    );
    app.teams(tom, "please add me to VPN Users").await;
    let (card, always) = card_for(&app, nina, "approve_always").await;
    click_teams(&app, nina, &card, &always).await;
    sign_in_when_asked(&app, nina).await;
    until_said(
        || app.teams_seen(tom),
        "done. You now have membership on VPN Users",
    )
    .await;
    let cards_before = Value::Array(app.teams_seen(nina).await)
        .to_string()
        .matches("Access request R-")
        .count();

    // The next request for the same group and level goes straight through, with her token.
    app.teams(jordan, "please add me to VPN Users").await;
    until_said(
        || app.teams_seen(jordan),
        "nina.patel@contoso.com approved this kind of request always",
    )
    .await;
    until_said(
        || app.teams_seen(jordan),
        "done. You now have membership on VPN Users",
    )
    .await;
    let cards_after = Value::Array(app.teams_seen(nina).await)
        .to_string()
        .matches("Access request R-")
        .count();
    assert_eq!(cards_after, cards_before, "nina was not asked again");
    let made = writes(&app).await;
    assert_eq!(made.len(), 2, "{made:?}");
    assert!(made.iter().all(|(_, _, user)| user == nina), "{made:?}");
}

#[tokio::test]
async fn on_slack_the_owner_denies_with_a_reason_typed_into_a_modal() {
    let app = TestApp::spawn().await;
    let (tom, nina) = ("U04TOM", "U08NINA");
    sign_in_on_slack(&app, nina).await;
    app.slack(nina, "help").await;
    sign_in_on_slack(&app, tom).await;
    app.slack(tom, "please add me to VPN Users").await;
    let (ts, value) = slack_card(&app, nina, "deny").await;
    slack_click(&app, nina, &ts, "deny", &value).await;
    let view = open_view(&app, nina).await;
    assert_eq!(view["view"]["title"]["text"], "Deny request");
    let view_id = view["id"].as_str().expect("a view id");
    let answer = submit_view(
        &app,
        nina,
        view_id,
        serde_json::json!({"deny_reason": "use the office network"}),
    )
    .await;
    assert_eq!(
        answer.body,
        serde_json::json!({"status": 200, "body": null}),
        "an empty 200 closes the modal"
    );
    until_said(
        || app.slack_seen(tom),
        "denied your request for membership on VPN Users (group). Their reason: use the office network",
    )
    .await;
    until_said(|| app.slack_seen(nina), "Denied by nina.patel@contoso.com").await;
    assert!(writes(&app).await.is_empty());
}

#[tokio::test]
async fn a_click_with_forged_card_data_is_answered_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let nina = "nina.patel@contoso.com";
    app.teams("tom.becker@contoso.com", "please add me to VPN Users")
        .await;
    let (card, _) = card_for(&app, nina, "approve").await;
    for data in [
        serde_json::json!({"request": "R-NOSUCH", "stage": 0}),
        serde_json::json!({"request": 7, "stage": "first"}),
    ] {
        let action = serde_json::json!({"type": "Action.Execute", "verb": "approve", "data": data});
        let answer = app
            .sim
            .control(
                reqwest::Method::POST,
                "teams/invoke",
                Some(serde_json::json!({"from": nina, "replyToId": card, "action": action})),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let seen = until_said(
        || app.teams_seen(nina),
        "That button isn't active any more.",
    )
    .await;
    assert_eq!(
        Value::Array(seen)
            .to_string()
            .matches("That button isn't active any more.")
            .count(),
        2,
        "both forged clicks are answered"
    );
    assert!(writes(&app).await.is_empty());
}

/// Signs in through `link` (which works once), and returns the permissions it asked the
/// identity platform for.
pub(crate) async fn sign_in_noting_scopes(app: &TestApp, link: &str) -> Vec<String> {
    let url = app.authorize_url(link).await;
    let scopes = url
        .query_pairs()
        .find(|(key, _)| key == "scope")
        .map(|(_, scope)| scope.split(' ').map(str::to_owned).collect())
        .unwrap_or_default();
    let (status, page) = app.follow(url.as_str()).await;
    assert_eq!(status, 200, "{page}");
    scopes
}

#[tokio::test]
async fn only_an_approver_who_makes_someone_an_owner_is_asked_to_consent_to_changing_owners() {
    let app = TestApp::spawn_with_policy(&crate::owners::owner_policy()).await;
    let (tom, nina, maria) = (
        "tom.becker@contoso.com",
        "nina.patel@contoso.com",
        "maria.garcia@contoso.com",
    );
    let broad = "Group.ReadWrite.All";

    // A member grant: the approving owner consents to changing memberships, not owners.
    app.teams(tom, "please add me to VPN Users").await;
    let (card, approve) = card_for(&app, nina, "approve").await;
    click_teams(&app, nina, &card, &approve).await;
    let asked = until_said(|| app.teams_seen(nina), "/auth/start").await;
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");
    let scopes = sign_in_noting_scopes(&app, &link).await;
    assert!(
        scopes.iter().any(|s| s == "GroupMember.ReadWrite.All")
            && !scopes.iter().any(|s| s == broad),
        "{scopes:?}"
    );
    until_said(
        || app.teams_seen(tom),
        "done. You now have membership on VPN Users",
    )
    .await;

    // An owner-level grant: her sign-in does not cover it, so she is asked again, this time for
    // the broader permission, and the owner is added with it.
    app.teams(maria, "make me an owner of VPN Users for 7 days")
        .await;
    let cards = Value::Array(app.teams_seen(nina).await).to_string();
    let before = cards.matches("/auth/start").count();
    // (A decided card keeps no buttons, so the one with buttons is Maria's.)
    let (card, approve) = card_for(&app, nina, "approve").await;
    click_teams(&app, nina, &card, &approve).await;
    let asked = eventually(|| async {
        let seen = app.teams_seen(nina).await;
        (Value::Array(seen.clone())
            .to_string()
            .matches("/auth/start")
            .count()
            > before)
            .then_some(seen)
    })
    .await
    .expect("asked to sign in again");
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");
    let scopes = sign_in_noting_scopes(&app, &link).await;
    assert!(scopes.iter().any(|s| s == broad), "{scopes:?}");
    until_said(|| app.teams_seen(maria), "done. You now have").await;
    let owners = app
        .sim
        .control(reqwest::Method::GET, "graph/log", None)
        .await
        .body;
    assert!(
        owners.to_string().contains("/owners/$ref"),
        "the owner was added: {owners}"
    );
}

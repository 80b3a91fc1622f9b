//! Owner-level grants and who can take grants away: access ends when its grant does, even when
//! the person who made it is no longer an owner, or has since signed in for less; approvers are
//! reached when the platform they last used is down.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::app::{OPERATOR, TestApp, eventually, until_said};
use crate::approvals::{card_action, card_for, sign_in_noting_scopes, sign_in_when_asked};
use crate::requests::{click_teams, sign_in_on_slack};

const TOM: &str = "tom.becker@contoso.com";
const NINA: &str = "nina.patel@contoso.com";
const MARIA: &str = "maria.garcia@contoso.com";
const JORDAN: &str = "jordan.lee@contoso.com";

/// The example policy, with owner access allowed on the VPN groups.
pub(crate) fn owner_policy() -> String {
    let policy = std::fs::read_to_string(crate::app::EXAMPLE_POLICY)
        .expect("example policy")
        .replace(
            "match = { kind = \"group\", name = \"VPN *\" }\nmax_access = \"member\"",
            "match = { kind = \"group\", name = \"VPN *\" }\nmax_access = \"owner\"",
        );
    assert!(policy.contains("max_access = \"owner\""));
    policy
}

/// Maria asks to own VPN Users for `duration`; Nina approves and signs in for owner changes.
async fn maria_owns_vpn_for(app: &TestApp, duration: &str) {
    let asked_before = Value::Array(app.teams_seen(NINA).await)
        .to_string()
        .matches("/auth/start")
        .count();
    app.teams(
        MARIA,
        &format!("make me an owner of VPN Users for {duration}"),
    )
    .await;
    let (card, approve) = card_for(app, NINA, "approve").await;
    click_teams(app, NINA, &card, &approve).await;
    let asked = eventually(|| async {
        let seen = app.teams_seen(NINA).await;
        let links = Value::Array(seen.clone())
            .to_string()
            .matches("/auth/start")
            .count();
        (links > asked_before).then_some(seen)
    })
    .await
    .expect("Nina is asked to sign in for owner changes");
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");
    let scopes = sign_in_noting_scopes(app, &link).await;
    assert!(scopes.iter().any(|scope| scope == "Group.ReadWrite.All"));
    until_said(|| app.teams_seen(MARIA), "done. You now have").await;
    assert!(
        app.sim
            .owners("VPN Users")
            .await
            .contains(&MARIA.to_owned())
    );
}

/// Lets the timers run past `span`, a minute of the test clock at a time.
async fn let_time_pass(app: &TestApp, span: Duration) {
    app.clock.advance(span);
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        app.clock.advance(Duration::from_secs(60));
    }
}

#[tokio::test]
async fn an_owner_grant_ends_even_after_its_maker_signs_in_for_less() {
    let app = TestApp::spawn_with_policy(&owner_policy()).await;
    maria_owns_vpn_for(&app, "1 day").await;
    // Nina then links her Slack account: a requester's sign-in, which asks for much less.
    sign_in_on_slack(&app, "U08NINA").await;
    let_time_pass(&app, Duration::from_secs(2 * 86_400)).await;
    let gone = eventually(|| async {
        (!app
            .sim
            .owners("VPN Users")
            .await
            .contains(&MARIA.to_owned()))
        .then_some(())
    })
    .await;
    assert!(
        gone.is_some(),
        "Maria's ownership ended with her grant, removed with Nina's owner-level sign-in"
    );
    until_said(|| app.teams_seen(MARIA), "has ended").await;
}

#[tokio::test]
async fn a_grant_whose_maker_is_no_longer_an_owner_is_removed_by_the_operator() {
    let app = TestApp::spawn_with_policy(&owner_policy()).await;
    // The operator has signed in (for another request).
    app.teams(JORDAN, "join the Marketing team").await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(JORDAN), "done. You now have").await;
    // Nina approves Tom's membership for a day and makes it.
    app.teams(TOM, "please add me to VPN Users for 1 day").await;
    let (card, approve) = card_for(&app, NINA, "approve").await;
    click_teams(&app, NINA, &card, &approve).await;
    sign_in_when_asked(&app, NINA).await;
    until_said(|| app.teams_seen(TOM), "done. You now have membership").await;
    // Maria becomes an owner, and Nina then steps down as one: Graph refuses her removals.
    maria_owns_vpn_for(&app, "7 days").await;
    let vpn = app.sim.group_id("VPN Users");
    let nina_id = app.sim.user_id(NINA);
    let nina_token = app
        .sim
        .access_token(NINA, "openid User.Read Group.ReadWrite.All")
        .await;
    let stepped_down = app
        .sim
        .graph(
            &nina_token,
            Method::DELETE,
            &format!("/groups/{vpn}/owners/{nina_id}/$ref"),
            None,
        )
        .await;
    assert_eq!(stepped_down.status, 204, "{}", stepped_down.text);

    let_time_pass(&app, Duration::from_secs(2 * 86_400)).await;
    let gone = eventually(|| async {
        (!app.sim.members("VPN Users").await.contains(&TOM.to_owned())).then_some(())
    })
    .await;
    assert!(gone.is_some(), "Tom's membership ended with his grant");
    let log = app.sim.control(Method::GET, "graph/log", None).await.body;
    let removal = log
        .as_array()
        .into_iter()
        .flatten()
        .find(|entry| {
            entry["method"] == "DELETE"
                && entry["status"] == 204
                && entry["path"]
                    .as_str()
                    .is_some_and(|path| path.contains("/members/"))
        })
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(removal["user"], OPERATOR, "{log}");
    until_said(|| app.teams_seen(TOM), "has ended").await;
}

#[tokio::test]
async fn an_approver_whose_usual_platform_is_down_is_reached_in_teams() {
    let mut app = TestApp::spawn().await;
    // Nina talks to Doorman on Slack...
    sign_in_on_slack(&app, "U08NINA").await;
    app.slack("U08NINA", "help").await;
    until_said(|| app.slack_seen("U08NINA"), "").await;
    // ...and then Slack cannot be reached.
    app.set_override("DOORMAN__SLACK__API_URL", "http://127.0.0.1:9/slack/api");
    app.restart().await;
    app.teams(TOM, "please add me to VPN Users").await;
    let card = eventually(|| async { card_action(&app.teams_seen(NINA).await, "approve") }).await;
    assert!(card.is_some(), "Nina gets the card in Teams");
}

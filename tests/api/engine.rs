//! The request engine under races: a click and the grant's expiry at the same moment, a revoke
//! while the extension is being approved, a resume racing a click, and two approvers clicking
//! at once, also with a restart between. Each ends with exactly the grants it should (the Graph
//! log says what was written), and the audit chain verifies.

use std::time::Duration;

use serde_json::Value;

use crate::app::{OPERATOR, TestApp, eventually, request_id, until_said};
use crate::approvals::{card_action, card_for, sign_in_when_asked, writes};
use crate::requests::click_teams;

const JORDAN: &str = "jordan.lee@contoso.com";
const TOM: &str = "tom.becker@contoso.com";
const NINA: &str = "nina.patel@contoso.com";

fn said(messages: &[Value]) -> String {
    Value::Array(messages.to_vec()).to_string()
}

async fn writes_of(app: &TestApp, method: &str) -> usize {
    writes(app)
        .await
        .iter()
        .filter(|(made, _, _)| made == method)
        .count()
}

async fn audit_verifies(app: &mut TestApp) {
    app.stop().await;
    let verified = app.cli(&["audit", "verify"]).await;
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

/// The VPN rule of the example policy with `approval` as its stages, carried out by the
/// operator (so a decision is made at once, with no approver's sign-in in between).
fn vpn_by_the_operator(approval: &str) -> String {
    let policy = std::fs::read_to_string(crate::app::EXAMPLE_POLICY)
        .expect("example policy")
        .replace(
            "match = { kind = \"group\", name = \"VPN *\" }\nmax_access = \"member\"\napproval = [\"owner\"]\nmax_duration = \"30d\"\nacting = \"approver\"",
            &format!("match = {{ kind = \"group\", name = \"VPN *\" }}\nmax_access = \"member\"\napproval = {approval}\nmax_duration = \"30d\"\nacting = \"operator\""),
        );
    assert!(policy.contains(approval), "the example policy's VPN rule");
    policy
}

#[tokio::test]
async fn a_remove_click_and_the_grants_expiry_at_the_same_moment_remove_it_once() {
    let mut app = TestApp::spawn().await;
    app.teams(JORDAN, "join the Marketing team for 30 minutes")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(JORDAN), "done. You now have membership").await;
    app.teams(JORDAN, "what access do I have?").await;
    let (card, remove) =
        eventually(|| async { card_action(&app.teams_seen(JORDAN).await, "revoke") })
            .await
            .expect("a Remove button");

    // The end comes and the click lands together.
    app.clock.advance(Duration::from_secs(31 * 60));
    crate::lists::click_teams_picking_first(&app, JORDAN, JORDAN, &card, &remove).await;
    until_said(|| app.teams_seen(JORDAN), "has ended").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !app.sim
            .members("Marketing")
            .await
            .contains(&JORDAN.to_owned())
    );
    assert_eq!(writes_of(&app, "DELETE").await, 1, "removed once");
    let told = said(&app.teams_seen(JORDAN).await);
    assert_eq!(told.matches("has ended").count(), 1, "{told}");
    audit_verifies(&mut app).await;
}

#[tokio::test]
async fn revoking_a_grant_withdraws_the_extension_waiting_for_its_approval() {
    let mut app = TestApp::spawn().await;
    app.teams(TOM, "please add me to VPN Users for 20 days")
        .await;
    let (card, approve) = card_for(&app, NINA, "approve").await;
    click_teams(&app, NINA, &card, &approve).await;
    sign_in_when_asked(&app, NINA).await;
    let done = until_said(|| app.teams_seen(TOM), "done. You now have membership").await;
    let grant = request_id(&done);
    app.clock
        .advance(Duration::from_secs(19 * 24 * 3600 + 3600));
    until_said(|| app.teams_seen(TOM), "Extend it to keep it without a gap").await;
    let (reminder, extend) =
        eventually(|| async { card_action(&app.teams_seen(TOM).await, "extend") })
            .await
            .expect("an Extend button");
    click_teams(&app, TOM, &reminder, &extend).await;
    until_said(|| app.teams_seen(NINA), "extends R-").await;
    let (extension_card, approve_extension) = card_for(&app, NINA, "approve").await;

    app.teams(TOM, &format!("revoke {grant}")).await;
    until_said(
        || app.teams_seen(TOM),
        "has ended: you asked me to remove it",
    )
    .await;
    // The owner's late yes extends nothing and grants nothing.
    let answered = click_teams(&app, NINA, &extension_card, &approve_extension).await;
    assert!(
        !answered.to_string().contains("Approved by"),
        "the withdrawn extension is not approved: {answered}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!app.sim.members("VPN Users").await.contains(&TOM.to_owned()));
    assert_eq!(
        writes_of(&app, "POST").await,
        1,
        "one grant made, never again"
    );
    audit_verifies(&mut app).await;
}

#[tokio::test]
async fn a_restart_racing_an_approval_makes_the_grant_once() {
    let mut app = TestApp::spawn_with_policy(&vpn_by_the_operator("[\"owner\"]")).await;
    // The operator has signed in already.
    app.teams(JORDAN, "join the Marketing team please").await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(JORDAN), "done. You now have membership").await;
    let before = writes_of(&app, "POST").await;

    app.teams(TOM, "please add me to VPN Users").await;
    let (card, approve) = card_for(&app, NINA, "approve").await;
    // The click's step runs apart; the restart resumes the same request at once.
    click_teams(&app, NINA, &card, &approve).await;
    app.restart().await;
    until_said(
        || app.teams_seen(TOM),
        "done. You now have membership on VPN Users",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        writes_of(&app, "POST").await - before,
        1,
        "one membership written"
    );
    let told = said(&app.teams_seen(TOM).await);
    assert_eq!(told.matches("done. You now have").count(), 1, "{told}");
    audit_verifies(&mut app).await;
}

#[tokio::test]
async fn two_approvers_at_once_and_with_a_restart_between_make_one_decision_and_one_grant() {
    let quorum = "[{ stage = \"group:Customer Support\", quorum = 2 }]";
    let (priya, alex) = ("priya.nair@contoso.com", "alex.kim@contoso.com");

    // At once.
    let mut app = TestApp::spawn_with_policy(&vpn_by_the_operator(quorum)).await;
    app.teams(TOM, "please add me to VPN Users").await;
    let (priya_card, priya_yes) = card_for(&app, priya, "approve").await;
    let (alex_card, alex_yes) = card_for(&app, alex, "approve").await;
    let (first, second) = tokio::join!(
        click_teams(&app, priya, &priya_card, &priya_yes),
        click_teams(&app, alex, &alex_card, &alex_yes),
    );
    let both = format!("{first}{second}");
    assert_eq!(
        both.matches("Approved by").count(),
        1,
        "one click completes the quorum, the other is counted: {both}"
    );
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(TOM),
        "done. You now have membership on VPN Users",
    )
    .await;
    assert_eq!(writes_of(&app, "POST").await, 1);
    audit_verifies(&mut app).await;

    // With a restart between the two.
    let mut app = TestApp::spawn_with_policy(&vpn_by_the_operator(quorum)).await;
    app.teams(TOM, "please add me to VPN Users").await;
    let (priya_card, priya_yes) = card_for(&app, priya, "approve").await;
    let counted = click_teams(&app, priya, &priya_card, &priya_yes).await;
    assert!(
        counted.to_string().contains("your approval is counted"),
        "{counted}"
    );
    app.restart().await;
    let (alex_card, alex_yes) = card_for(&app, alex, "approve").await;
    let decided = click_teams(&app, alex, &alex_card, &alex_yes).await;
    assert!(
        decided
            .to_string()
            .contains("Approved by priya.nair@contoso.com and alex.kim"),
        "{decided}"
    );
    // Priya's second click changes nothing.
    let again = click_teams(&app, priya, &priya_card, &priya_yes).await;
    assert!(!again.to_string().contains("Approved by"), "{again}");
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(TOM),
        "done. You now have membership on VPN Users",
    )
    .await;
    assert_eq!(writes_of(&app, "POST").await, 1);
    audit_verifies(&mut app).await;
}

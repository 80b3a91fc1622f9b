//! Grants that end: revoked when their time is up (the bot's clock moved forward), under the
//! identity that made them, read back gone, audited, and told; caught up after the bot was down
//! at the due time, once; access the person had before is left alone.

use std::time::Duration;

use serde_json::Value;

use crate::app::{OPERATOR, TestApp, request_id, until_said};
use crate::approvals::{card_action, sign_in_when_asked, story, writes};

#[tokio::test]
async fn a_thirty_minute_grant_is_removed_when_it_ends_and_read_back_gone() {
    let mut app = TestApp::spawn().await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team for 30 minutes")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    let told = until_said(
        || app.teams_seen(jordan),
        "done. You now have membership on Marketing",
    )
    .await;
    let id = request_id(&told);
    assert!(
        app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );

    // Not before its end.
    app.clock.advance(Duration::from_secs(25 * 60));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );

    app.clock.advance(Duration::from_secs(6 * 60));
    until_said(
        || app.teams_seen(jordan),
        "your membership on Marketing (team) has ended: its time ran out",
    )
    .await;
    assert!(
        !app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    let made = writes(&app).await;
    assert_eq!(made.len(), 2, "one add, one removal: {made:?}");
    assert_eq!(made[1].0, "DELETE");
    assert_eq!(made[1].2, OPERATOR, "removed by the identity that made it");

    app.stop().await;
    let kinds: Vec<String> = story(&app, &id)
        .iter()
        .map(|record| record["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("expired"),
        "{kinds:?}"
    );
    let listed = app.cli(&["grants", "list"]).await;
    assert!(
        !String::from_utf8_lossy(&listed.stdout).contains(jordan),
        "an ended grant is not active"
    );
}

#[tokio::test]
async fn a_grant_that_ends_while_the_bot_is_down_is_removed_once_after_it_is_back() {
    let mut app = TestApp::spawn().await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team for 30 minutes")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(jordan),
        "done. You now have membership on Marketing",
    )
    .await;
    app.stop().await;
    app.clock.advance(Duration::from_secs(2 * 3600));
    app.start().await;
    until_said(|| app.teams_seen(jordan), "has ended: its time ran out").await;
    assert!(
        !app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    // And not again after another restart.
    app.restart().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let removals = writes(&app)
        .await
        .into_iter()
        .filter(|(method, _, _)| method == "DELETE")
        .count();
    assert_eq!(removals, 1);
    let told = Value::Array(app.teams_seen(jordan).await).to_string();
    assert_eq!(told.matches("has ended").count(), 1, "{told}");
}

#[tokio::test]
async fn access_the_person_had_before_the_grant_is_left_when_it_ends() {
    let app = TestApp::spawn().await;
    let tom = "tom.becker@contoso.com";
    assert!(app.sim.members("Marketing").await.contains(&tom.to_owned()));
    app.teams(tom, "join the Marketing team for 30 minutes")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(tom), "done. You now have membership").await;
    app.clock.advance(Duration::from_secs(31 * 60));
    until_said(
        || app.teams_seen(tom),
        "You had this access before your request, so I left it as it was.",
    )
    .await;
    assert!(app.sim.members("Marketing").await.contains(&tom.to_owned()));
    assert!(
        writes(&app)
            .await
            .iter()
            .all(|(method, _, _)| method != "DELETE")
    );
}

#[tokio::test]
async fn a_grant_is_removed_on_request_by_words_by_button_and_by_its_owner() {
    let app = TestApp::spawn().await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team").await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(jordan), "done. You now have membership").await;

    // In words.
    app.teams(jordan, "remove me from the Marketing team").await;
    until_said(
        || app.teams_seen(jordan),
        "removing your membership on Marketing",
    )
    .await;
    until_said(
        || app.teams_seen(jordan),
        "has ended: you asked me to remove it. I removed it and checked that it is gone.",
    )
    .await;
    assert!(
        !app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    app.teams(jordan, "remove me from the Marketing team").await;
    until_said(|| app.teams_seen(jordan), "nothing for me to remove").await;

    // By the Remove button in "what access do I have?".
    app.teams(jordan, "join the Marketing team").await;
    let again = crate::app::eventually(|| async {
        let told = Value::Array(app.teams_seen(jordan).await).to_string();
        (told.matches("done. You now have membership").count() == 2).then_some(())
    })
    .await;
    assert!(again.is_some(), "the second grant is made");
    app.teams(jordan, "what access do I have?").await;
    let found =
        crate::app::eventually(|| async { card_action(&app.teams_seen(jordan).await, "revoke") })
            .await;
    let (card, remove) = found.expect("a Remove button");
    assert!(!remove.to_string().contains('@'), "ids only: {remove}");
    // Someone else's click on it is refused, and changes nothing.
    crate::lists::click_teams_picking_first(&app, "priya.nair@contoso.com", jordan, &card, &remove)
        .await;
    until_said(
        || app.teams_seen("priya.nair@contoso.com"),
        "Only the person who asked for",
    )
    .await;
    assert!(
        app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    let answered =
        crate::lists::click_teams_picking_first(&app, jordan, jordan, &card, &remove).await;
    assert!(
        answered.to_string().contains("removing your"),
        "the click is answered in words: {answered}"
    );
    until_said(
        || app.teams_seen(jordan),
        "I removed it and checked that it is gone",
    )
    .await;
    let clicked: Vec<Value> = app
        .teams_seen(jordan)
        .await
        .into_iter()
        .filter(|message| message["id"] == card.as_str())
        .collect();
    assert!(
        card_action(&clicked, "revoke").is_none(),
        "the clicked card keeps no live Remove button: {clicked:?}"
    );
    assert!(
        !app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );

    // By its id, from an owner of the resource.
    let tom = "tom.becker@contoso.com";
    let nina = "nina.patel@contoso.com";
    app.teams(tom, "please add me to VPN Users").await;
    let (card, approve) = crate::approvals::card_for(&app, nina, "approve").await;
    crate::requests::click_teams(&app, nina, &card, &approve).await;
    sign_in_when_asked(&app, nina).await;
    let told = until_said(
        || app.teams_seen(tom),
        "done. You now have membership on VPN Users",
    )
    .await;
    let id = request_id(&told);
    app.teams(jordan, &format!("revoke {id}")).await;
    until_said(|| app.teams_seen(jordan), "Only the person who asked for").await;
    app.teams(nina, &format!("revoke {id}")).await;
    until_said(
        || app.teams_seen(nina),
        "removing membership on VPN Users (group) for tom",
    )
    .await;
    until_said(
        || app.teams_seen(tom),
        "has ended: nina.patel@contoso.com revoked it",
    )
    .await;
    assert!(!app.sim.members("VPN Users").await.contains(&tom.to_owned()));
    let removals: Vec<(String, String, String)> = writes(&app)
        .await
        .into_iter()
        .filter(|(method, path, _)| method == "DELETE" && path.contains("/groups/"))
        .collect();
    assert_eq!(removals.len(), 3, "{removals:?}");
    assert_eq!(removals[2].2, nina, "removed by the identity that made it");
}

/// Waits until `upn` has been told `needle` `times` times.
async fn told_times(app: &TestApp, upn: &str, needle: &str, times: usize) {
    let reached = crate::app::eventually(|| async {
        let told = Value::Array(app.teams_seen(upn).await).to_string();
        (told.matches(needle).count() >= times).then_some(())
    })
    .await;
    assert!(
        reached.is_some(),
        "{upn} was not told {needle:?} {times} times: {:?}",
        app.teams_seen(upn).await
    );
}

#[tokio::test]
async fn a_reminder_before_the_end_extends_an_auto_approved_grant_without_a_gap() {
    let app = TestApp::spawn().await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team for 2 days")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(jordan), "done. You now have membership").await;
    // A day before the end (the default lead), the reminder comes with an Extend button.
    app.clock.advance(Duration::from_secs(25 * 3600));
    until_said(
        || app.teams_seen(jordan),
        "Extend it to keep it without a gap",
    )
    .await;
    let (card, extend) =
        crate::app::eventually(|| async { card_action(&app.teams_seen(jordan).await, "extend") })
            .await
            .expect("an Extend button");
    assert!(!extend.to_string().contains('@'), "ids only: {extend}");
    // Nobody else extends it.
    crate::requests::click_teams(&app, "maria.garcia@contoso.com", &card, &extend).await;
    until_said(
        || app.teams_seen("maria.garcia@contoso.com"),
        "Only jordan.lee@contoso.com can extend",
    )
    .await;
    crate::requests::click_teams(&app, jordan, &card, &extend).await;
    until_said(|| app.teams_seen(jordan), "No approval is needed").await;
    until_said(
        || app.teams_seen(jordan),
        "extended. You keep membership on Marketing",
    )
    .await;
    // Past the first end: still there. Past the second: gone, removed by the operator.
    app.clock.advance(Duration::from_secs(24 * 3600));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    app.clock.advance(Duration::from_secs(2 * 24 * 3600 + 60));
    until_said(|| app.teams_seen(jordan), "has ended: its time ran out").await;
    assert!(
        !app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    let made = writes(&app).await;
    assert_eq!(
        made.len(),
        2,
        "one add, one removal, nothing for the extension: {made:?}"
    );
    assert_eq!(made[1].2, OPERATOR);
}

/// Tom's VPN Users membership for 20 days, approved and made by Nina; then the reminder and
/// Tom's click on Extend. Returns Nina's new card for the extension.
async fn vpn_extension_asked(app: &TestApp) -> (String, Value, Value) {
    let tom = "tom.becker@contoso.com";
    let nina = "nina.patel@contoso.com";
    app.teams(tom, "please add me to VPN Users for 20 days")
        .await;
    let (card, approve) = crate::approvals::card_for(app, nina, "approve").await;
    crate::requests::click_teams(app, nina, &card, &approve).await;
    sign_in_when_asked(app, nina).await;
    until_said(
        || app.teams_seen(tom),
        "done. You now have membership on VPN Users",
    )
    .await;
    app.clock
        .advance(Duration::from_secs(19 * 24 * 3600 + 3600));
    until_said(|| app.teams_seen(tom), "Extend it to keep it without a gap").await;
    let (reminder, extend) =
        crate::app::eventually(|| async { card_action(&app.teams_seen(tom).await, "extend") })
            .await
            .expect("an Extend button");
    crate::requests::click_teams(app, tom, &reminder, &extend).await;
    // VPN access is at most 30 days in all: the extension is for 10 more, and the owner asked.
    until_said(
        || app.teams_seen(tom),
        "I've asked for the approvals it needs",
    )
    .await;
    until_said(|| app.teams_seen(nina), "extends R-").await;
    let (card, approve) = crate::approvals::card_for(app, nina, "approve").await;
    let deny = crate::app::eventually(|| async {
        card_action(&app.teams_seen(nina).await, "deny").map(|(_, deny)| deny)
    })
    .await
    .expect("a Deny button");
    (card, approve, deny)
}

#[tokio::test]
async fn an_extension_the_owner_approves_keeps_the_grant_and_one_she_denies_lets_it_end() {
    let tom = "tom.becker@contoso.com";
    let nina = "nina.patel@contoso.com";

    let app = TestApp::spawn().await;
    let (card, approve, _) = vpn_extension_asked(&app).await;
    crate::requests::click_teams(&app, nina, &card, &approve).await;
    until_said(
        || app.teams_seen(tom),
        "extended. You keep membership on VPN Users",
    )
    .await;
    app.clock.advance(Duration::from_secs(2 * 24 * 3600));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(app.sim.members("VPN Users").await.contains(&tom.to_owned()));
    // At 30 days in all, there is no more to give.
    app.clock.advance(Duration::from_secs(8 * 24 * 3600));
    told_times(&app, tom, "Extend it to keep it without a gap", 2).await;
    let (reminder, extend) =
        crate::app::eventually(|| async { card_action(&app.teams_seen(tom).await, "extend") })
            .await
            .expect("an Extend button");
    crate::requests::click_teams(&app, tom, &reminder, &extend).await;
    until_said(
        || app.teams_seen(tom),
        "policy allows no more time for this in all",
    )
    .await;

    let app = TestApp::spawn().await;
    let (card, _, deny) = vpn_extension_asked(&app).await;
    crate::requests::click_teams(&app, nina, &card, &deny).await;
    until_said(|| app.teams_seen(tom), "denied your request").await;
    app.clock.advance(Duration::from_secs(24 * 3600));
    until_said(|| app.teams_seen(tom), "has ended: its time ran out").await;
    assert!(!app.sim.members("VPN Users").await.contains(&tom.to_owned()));
    let removals: Vec<(String, String, String)> = writes(&app)
        .await
        .into_iter()
        .filter(|(method, _, _)| method == "DELETE")
        .collect();
    assert_eq!(removals.len(), 1);
    assert_eq!(removals[0].2, nina, "removed by the owner who made it");
}

#[tokio::test]
async fn an_unanswered_approval_is_reminded_then_escalated_then_timed_out() {
    let policy = std::fs::read_to_string(crate::app::EXAMPLE_POLICY)
        .expect("example policy")
        .replace(
            "allow_standing = true       # the owner may \"approve always\"",
            "allow_standing = true\nescalate_to = [\"user:grace.admin@contoso.com\"]",
        );
    assert!(policy.contains("escalate_to = [\"user:grace.admin"));
    let app = TestApp::spawn_with_policy(&policy).await;
    let tom = "tom.becker@contoso.com";
    let nina = "nina.patel@contoso.com";
    let grace = "grace.admin@contoso.com";
    app.teams(tom, "please add me to VPN Users").await;
    crate::approvals::card_for(&app, nina, "approve").await;

    // [approval] remind_after = "4h".
    app.clock.advance(Duration::from_secs(3 * 3600));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !Value::Array(app.teams_seen(nina).await)
            .to_string()
            .contains("Reminder:")
    );
    app.clock.advance(Duration::from_secs(3600 + 60));
    until_said(
        || app.teams_seen(nina),
        "Reminder: tom.becker@contoso.com has been waiting",
    )
    .await;
    until_said(
        || app.teams_seen(tom),
        "still waiting for nina.patel@contoso.com; I've reminded them",
    )
    .await;

    // escalate_after = "1d": Grace is asked too, with the same card.
    app.clock.advance(Duration::from_secs(20 * 3600));
    until_said(
        || app.teams_seen(tom),
        "no decision yet, so I've also asked grace.admin@contoso.com",
    )
    .await;
    let (grace_card, _) = crate::approvals::card_for(&app, grace, "approve").await;

    // expire_after = "3d": the request ends, and every card says so.
    app.clock.advance(Duration::from_secs(2 * 24 * 3600));
    until_said(|| app.teams_seen(tom), "nobody decided in time").await;
    for approver in [nina, grace] {
        until_said(
            || app.teams_seen(approver),
            "no longer waiting for approval",
        )
        .await;
    }
    let seen = app.teams_seen(grace).await;
    let card = seen
        .iter()
        .find(|message| message["id"] == grace_card.as_str())
        .expect("grace's card");
    assert!(
        card["attachments"][0]["content"].get("actions").is_none(),
        "no live buttons"
    );
    assert!(writes(&app).await.is_empty());
    app.teams(tom, "status of my requests").await;
    until_said(|| app.teams_seen(tom), "timed out: nobody decided in time").await;
}

/// How many live Approve buttons `upn` has.
async fn live_cards(app: &TestApp, upn: &str) -> usize {
    Value::Array(app.teams_seen(upn).await)
        .to_string()
        .matches("\"verb\":\"approve\"")
        .count()
}

#[tokio::test]
async fn a_standing_approval_covers_what_it_was_given_for_until_its_owner_withdraws_it() {
    let mut app = TestApp::spawn().await;
    let (tom, jordan, sarah, liam, nina) = (
        "tom.becker@contoso.com",
        "jordan.lee@contoso.com",
        "sarah.chen@contoso.com",
        "alex.kim@contoso.com",
        "nina.patel@contoso.com",
    );
    app.teams(tom, "please add me to VPN Users for 7 days")
        .await;
    let (card, always) = crate::approvals::card_for(&app, nina, "approve_always").await;
    crate::requests::click_teams(&app, nina, &card, &always).await;
    sign_in_when_asked(&app, nina).await;
    let told = until_said(|| app.teams_seen(tom), "done. You now have membership").await;
    let given_on = request_id(&told);
    assert_eq!(
        live_cards(&app, nina).await,
        0,
        "her decided card has no buttons"
    );

    // Covered: the same group and level, no longer than seven days.
    app.teams(jordan, "please add me to VPN Users for 3 days")
        .await;
    let told = until_said(
        || app.teams_seen(jordan),
        "approved this kind of request always",
    )
    .await;
    let used_by = request_id(&told);
    until_said(|| app.teams_seen(jordan), "done. You now have membership").await;
    assert_eq!(live_cards(&app, nina).await, 0, "nina was not asked");
    // Not covered: longer than what she approved.
    app.teams(sarah, "please add me to VPN Users for 20 days")
        .await;
    until_said(|| app.teams_seen(sarah), "I've sent the approval request").await;
    crate::approvals::card_for(&app, nina, "approve").await;

    // She lists hers, and withdraws it.
    app.teams(nina, "my standing approvals").await;
    until_said(
        || app.teams_seen(nina),
        "membership on VPN Users (group), up to 1w",
    )
    .await;
    let (list, withdraw) = crate::app::eventually(|| async {
        let seen = app.teams_seen(nina).await;
        seen.iter().rev().find_map(|message| {
            let actions = message["attachments"][0]["content"]["actions"].as_array()?;
            let action = actions
                .iter()
                .find(|action| action["title"] == "Withdraw")?;
            Some((message["id"].as_str()?.to_owned(), action.clone()))
        })
    })
    .await
    .expect("a Withdraw button");
    assert!(
        !withdraw.to_string().contains('@'),
        "no identity in the button: {withdraw}"
    );
    // Someone else clicking it withdraws nothing of hers.
    crate::lists::click_teams_picking_first(&app, tom, nina, &list, &withdraw).await;
    until_said(|| app.teams_seen(tom), "You have no such standing approval").await;
    crate::lists::click_teams_picking_first(&app, nina, nina, &list, &withdraw).await;
    until_said(|| app.teams_seen(nina), "Withdrawn: your standing approval").await;
    app.teams(liam, "please add me to VPN Users for 3 days")
        .await;
    until_said(|| app.teams_seen(liam), "I've sent the approval request").await;

    // The audit names the standing approval the covered request used.
    app.stop().await;
    let received = story(&app, &used_by)
        .into_iter()
        .find(|record| record["kind"] == "received")
        .expect("received");
    let used = received["data"]["standing_used"].to_string();
    assert!(used.contains(&given_on) && used.contains(nina), "{used}");
}

#[tokio::test]
async fn reconciliation_removes_access_added_back_after_it_ended_and_ends_a_grant_removed_outside()
{
    use crate::helpers::MEMBER_SCOPES;
    let app = TestApp::spawn().await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team for 30 minutes")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    let told = until_said(|| app.teams_seen(jordan), "done. You now have membership").await;
    let id = request_id(&told);
    app.clock.advance(Duration::from_secs(31 * 60));
    until_said(|| app.teams_seen(jordan), "has ended: its time ran out").await;

    // Maria, who owns Marketing, adds Jordan back behind Doorman's back.
    let maria = app
        .sim
        .access_token("maria.garcia@contoso.com", MEMBER_SCOPES)
        .await;
    let group = app.sim.group_id("Marketing");
    let reference = app.sim.reference(&app.sim.user_id(jordan));
    let added = app
        .sim
        .graph(
            &maria,
            reqwest::Method::POST,
            &format!("/groups/{group}/members/$ref"),
            Some(reference),
        )
        .await;
    assert_eq!(added.status, 204, "{}", added.text);
    assert!(
        app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    // The next reconciliation ([lifecycle] reconcile_every, 15 minutes) removes it again.
    app.clock.advance(Duration::from_secs(16 * 60));
    let gone = crate::app::eventually(|| async {
        (!app
            .sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned()))
        .then_some(())
    })
    .await;
    assert!(gone.is_some(), "removed again");
    until_said(
        || app.teams_seen(jordan),
        "came back outside Doorman after it ended on",
    )
    .await;

    // Nina removes Tom's Doorman-made VPN membership herself: the grant ends in Doorman too.
    let tom = "tom.becker@contoso.com";
    let nina = "nina.patel@contoso.com";
    app.teams(tom, "please add me to VPN Users").await;
    let (card, approve) = crate::approvals::card_for(&app, nina, "approve").await;
    crate::requests::click_teams(&app, nina, &card, &approve).await;
    sign_in_when_asked(&app, nina).await;
    until_said(
        || app.teams_seen(tom),
        "done. You now have membership on VPN Users",
    )
    .await;
    let owner = app.sim.access_token(nina, MEMBER_SCOPES).await;
    let vpn = app.sim.group_id("VPN Users");
    let tom_id = app.sim.user_id(tom);
    let removed = app
        .sim
        .graph(
            &owner,
            reqwest::Method::DELETE,
            &format!("/groups/{vpn}/members/{tom_id}/$ref"),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    app.clock.advance(Duration::from_secs(16 * 60));
    until_said(
        || app.teams_seen(tom),
        "has ended: it was removed outside Doorman",
    )
    .await;
    app.teams(tom, "what access do I have?").await;
    until_said(
        || app.teams_seen(tom),
        "You have no access granted through me right now.",
    )
    .await;

    // Both findings are counted, and the first is on the audit chain.
    let metrics = app.metrics().await;
    assert!(metrics.contains("doorman_drift_found_total 2"), "{metrics}");
    assert!(
        metrics.contains("doorman_grants_ended_total{cause=\"expired\"} 1"),
        "{metrics}"
    );
    // Ninety days after a grant ended, access that appears is not that grant coming back.
    app.clock.advance(Duration::from_secs(91 * 24 * 3600));
    let again = app
        .sim
        .graph(
            &maria,
            reqwest::Method::POST,
            &format!("/groups/{group}/members/$ref"),
            Some(app.sim.reference(&app.sim.user_id(jordan))),
        )
        .await;
    assert_eq!(again.status, 204, "{}", again.text);
    app.clock.advance(Duration::from_secs(16 * 60));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    let mut app = app;
    app.stop().await;
    let drift = story(&app, &id)
        .into_iter()
        .filter(|record| record["data"]["drift"] == "present again after it ended")
        .count();
    assert_eq!(drift, 1);
}

#[tokio::test]
async fn the_identity_team_revokes_a_grant_from_the_command_line_with_the_daemon_up_or_down() {
    let mut app = TestApp::spawn().await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team").await;
    sign_in_when_asked(&app, OPERATOR).await;
    let told = until_said(|| app.teams_seen(jordan), "done. You now have membership").await;
    let first = request_id(&told);

    let output = app.cli(&["grants", "revoke", &first]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("removing now"));
    until_said(
        || app.teams_seen(jordan),
        "the identity team (doorman grants revoke) revoked it",
    )
    .await;
    assert!(
        !app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    // Again: it is not an active grant any more.
    let again = app.cli(&["grants", "revoke", &first]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not an active grant"));

    // With the daemon stopped, it is marked, and removed when the daemon starts.
    app.teams(jordan, "join the Marketing team").await;
    let second = crate::app::eventually(|| async {
        let seen = app.teams_seen(jordan).await;
        let told = Value::Array(seen).to_string();
        (told.matches("done. You now have membership").count() == 2).then_some(())
    })
    .await;
    assert!(second.is_some());
    let listed = app.cli(&["grants", "list", "--json"]).await;
    let line = String::from_utf8_lossy(&listed.stdout).to_string();
    let grant: Value = serde_json::from_str(line.trim()).expect("one JSON line");
    let second = grant["request"].as_str().expect("an id").to_owned();
    app.stop().await;
    let output = app.cli(&["grants", "revoke", &second]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("marked for removal"));
    assert!(
        app.sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned())
    );
    app.start().await;
    let gone = crate::app::eventually(|| async {
        (!app
            .sim
            .members("Marketing")
            .await
            .contains(&jordan.to_owned()))
        .then_some(())
    })
    .await;
    assert!(gone.is_some(), "removed after the start");
}

#[tokio::test]
async fn a_standing_approval_is_inert_once_policy_no_longer_allows_them() {
    let example = std::fs::read_to_string(crate::app::EXAMPLE_POLICY).expect("example policy");
    let mut app = TestApp::spawn_with_policy(&example).await;
    let (tom, jordan, nina) = (
        "tom.becker@contoso.com",
        "jordan.lee@contoso.com",
        "nina.patel@contoso.com",
    );
    app.teams(tom, "please add me to VPN Users").await;
    let (card, always) = crate::approvals::card_for(&app, nina, "approve_always").await;
    crate::requests::click_teams(&app, nina, &card, &always).await;
    sign_in_when_asked(&app, nina).await;
    until_said(|| app.teams_seen(tom), "done. You now have membership").await;

    let stricter = example.replace(
        "allow_standing = true       # the owner may \"approve always\"",
        "allow_standing = false",
    );
    assert_ne!(stricter, example);
    std::fs::write(app.storage_path().join("policy.toml"), stricter).expect("policy written");
    app.restart().await;
    app.teams(jordan, "please add me to VPN Users").await;
    until_said(|| app.teams_seen(jordan), "I've sent the approval request").await;
    crate::approvals::card_for(&app, nina, "approve").await;
}

#[tokio::test]
async fn on_slack_a_grant_is_removed_by_its_button_and_extended_from_its_reminder() {
    use crate::approvals::{slack_card, slack_click};
    let app = TestApp::spawn().await;
    let jordan = "U07JORDAN";
    crate::requests::sign_in_on_slack(&app, jordan).await;
    app.slack(jordan, "join the Marketing team for 2 days")
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.slack_seen(jordan), "done. You now have membership").await;
    app.clock.advance(Duration::from_secs(25 * 3600));
    let (ts, value) = slack_card(&app, jordan, "extend").await;
    slack_click(&app, jordan, &ts, "extend", &value).await;
    until_said(
        || app.slack_seen(jordan),
        "extended. You keep membership on Marketing",
    )
    .await;
    app.slack(jordan, "what access do I have?").await;
    let (ts, value) = slack_card(&app, jordan, "revoke").await;
    crate::lists::slack_click_picking_first(&app, jordan, &ts, "revoke", &value).await;
    until_said(
        || app.slack_seen(jordan),
        "I removed it and checked that it is gone",
    )
    .await;
    assert!(
        !app.sim
            .members("Marketing")
            .await
            .contains(&"jordan.lee@contoso.com".to_owned())
    );
}

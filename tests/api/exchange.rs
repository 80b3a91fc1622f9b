//! Exchange grants through the doors a person uses (DESIGN.md section 10): a request in chat,
//! approval cards, the acting identity's own Exchange token, read back, removed on request,
//! with every Exchange write in the simulator's log made by the identity policy named.

use serde_json::Value;

use crate::app::{OPERATOR, TestApp, until_said};
use crate::approvals::{card_for, sign_in_when_asked};
use crate::helpers::CONTOSO;
use crate::requests::click_teams;

const WAVE_TWO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/contoso-policy-wave2.toml"
);

/// A deployment on the wave-2 policy, with a catalog file naming the shared mailboxes' owners
/// (Exchange and Graph know none), as the README documents.
async fn exchange_app(catalog: &tempfile::TempDir) -> TestApp {
    let path = catalog.path().join("catalog.toml");
    std::fs::write(
        &path,
        "[[resource]]\nmatch = { kind = \"mailbox\", name = \"Support\" }\nowners = [\"priya.nair@contoso.com\"]\n\n\
         [[resource]]\nmatch = { kind = \"mailbox\", name = \"Sales\" }\nowners = [\"maria.garcia@contoso.com\"]\n",
    )
    .expect("catalog file written");
    TestApp::spawn_configured(
        CONTOSO,
        WAVE_TWO,
        OPERATOR,
        &[("DOORMAN__CATALOG__FILE", &path.display().to_string())],
    )
    .await
}

/// Exchange's log so far: (cmdlet, the UPN whose token ran it, HTTP status).
async fn exchange_log(app: &TestApp) -> Vec<(String, String, u64)> {
    let log = app
        .sim
        .control(reqwest::Method::GET, "exchange/log", None)
        .await
        .body;
    log.as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            (
                entry["cmdlet"].as_str().unwrap_or("").to_owned(),
                entry["user"].as_str().unwrap_or("").to_owned(),
                entry["status"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// The changes Exchange made: cmdlets other than `Get-*` that it answered with success.
pub(crate) async fn exchange_writes(app: &TestApp) -> Vec<(String, String)> {
    exchange_log(app)
        .await
        .into_iter()
        .filter(|(cmdlet, _, status)| !cmdlet.starts_with("Get-") && *status < 300)
        .map(|(cmdlet, user, _)| (cmdlet, user))
        .collect()
}

async fn mailbox(app: &TestApp, name: &str) -> Value {
    let state = app
        .sim
        .control(reqwest::Method::GET, "state", None)
        .await
        .body;
    state["mailboxes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|mailbox| mailbox["displayName"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

fn holds(mailbox: &Value, level: &str, upn: &str) -> bool {
    mailbox[level]
        .as_array()
        .into_iter()
        .flatten()
        .any(|holder| {
            holder
                .as_str()
                .is_some_and(|holder| holder.eq_ignore_ascii_case(upn))
        })
}

#[tokio::test]
async fn send_as_goes_through_manager_and_owner_is_made_by_the_operator_and_removed_on_request() {
    let catalog = tempfile::tempdir().expect("dir");
    let app = exchange_app(&catalog).await;
    let tom = "tom.becker@contoso.com";
    let (maria, priya) = ("maria.garcia@contoso.com", "priya.nair@contoso.com");
    app.teams(
        tom,
        "I need Send As permission on support@contoso.com so I can reply from the queue",
    )
    .await;
    // Tom's manager, then the mailbox's owner from the catalog file.
    let (card, approve) = card_for(&app, maria, "approve").await;
    click_teams(&app, maria, &card, &approve).await;
    assert!(!holds(&mailbox(&app, "Support").await, "sendAs", tom));
    let (card, approve) = card_for(&app, priya, "approve").await;
    click_teams(&app, priya, &card, &approve).await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(tom), "You now have").await;

    let support = mailbox(&app, "Support").await;
    assert!(holds(&support, "sendAs", tom), "{support}");
    assert!(
        !holds(&support, "fullAccess", tom),
        "Send As never stands in for Full Access: {support}"
    );
    let made = exchange_writes(&app).await;
    assert_eq!(
        made,
        vec![("Add-RecipientPermission".to_owned(), OPERATOR.to_owned())],
        "made once, by the operator policy names"
    );
    assert!(
        exchange_log(&app)
            .await
            .iter()
            .any(|(cmdlet, _, _)| cmdlet == "Get-RecipientPermission"),
        "read back"
    );

    app.teams(tom, "remove me from the support@contoso.com mailbox")
        .await;
    until_said(|| app.teams_seen(tom), "removed").await;
    assert!(!holds(&mailbox(&app, "Support").await, "sendAs", tom));
    let made = exchange_writes(&app).await;
    assert_eq!(
        made.last(),
        Some(&("Remove-RecipientPermission".to_owned(), OPERATOR.to_owned()))
    );
}

#[tokio::test]
async fn a_distribution_list_is_joined_under_its_owners_token_and_left_on_request() {
    let catalog = tempfile::tempdir().expect("dir");
    let app = exchange_app(&catalog).await;
    let tom = "tom.becker@contoso.com";
    let maria = "maria.garcia@contoso.com";
    app.teams(tom, "please add me to the all-sales distribution list")
        .await;
    let (card, approve) = card_for(&app, maria, "approve").await;
    click_teams(&app, maria, &card, &approve).await;
    sign_in_when_asked(&app, maria).await;
    until_said(|| app.teams_seen(tom), "You now have").await;
    assert!(app.sim.members("all-sales").await.contains(&tom.to_owned()));
    let made = exchange_writes(&app).await;
    assert_eq!(
        made,
        vec![("Add-DistributionGroupMember".to_owned(), maria.to_owned())],
        "the list's owner changes it, through Exchange"
    );

    app.teams(tom, "what access do I have?").await;
    until_said(
        || app.teams_seen(tom),
        "membership on all-sales (distribution list)",
    )
    .await;

    app.teams(tom, "take me off the all-sales list").await;
    until_said(|| app.teams_seen(tom), "removed").await;
    assert!(!app.sim.members("all-sales").await.contains(&tom.to_owned()));
}

#[tokio::test]
async fn a_mail_enabled_security_group_is_joined_through_exchange_never_graph() {
    // Governed as a distribution list (DESIGN section 4): the wave 2 policy's list rule.
    let policy = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fabrikam-policy-wave2.toml"
    );
    let app = TestApp::spawn_on(
        crate::helpers::FABRIKAM,
        policy,
        "service.desk@fabrikam.net",
    )
    .await;
    let (kofi, ines) = ("kofi.mensah@fabrikam.net", "ines.moreau@fabrikam.net");
    app.teams(kofi, "please add me to Badge Readers").await;
    // Its owner is Exchange's ManagedBy: Graph lists none for a group Exchange holds.
    let (card, approve) = card_for(&app, ines, "approve").await;
    click_teams(&app, ines, &card, &approve).await;
    sign_in_when_asked(&app, ines).await;
    until_said(|| app.teams_seen(kofi), "You now have").await;
    assert!(
        app.sim
            .members("Badge Readers")
            .await
            .contains(&kofi.to_owned())
    );
    assert_eq!(
        exchange_writes(&app).await,
        vec![("Add-DistributionGroupMember".to_owned(), ines.to_owned())]
    );
    assert!(
        crate::approvals::writes(&app).await.is_empty(),
        "Graph refuses writes to a group Exchange holds: none is tried"
    );
}

/// A deployment whose policy grants shared mailboxes without approval, by the operator.
async fn auto_app(dir: &tempfile::TempDir) -> TestApp {
    auto_app_with(dir, &[]).await
}

/// [`auto_app`] with more `DOORMAN__...` settings.
async fn auto_app_with(dir: &tempfile::TempDir, settings: &[(&str, &str)]) -> TestApp {
    auto_app_on(CONTOSO, dir, settings).await
}

/// [`auto_app_with`] on another tenant.
async fn auto_app_on(tenant: &str, dir: &tempfile::TempDir, settings: &[(&str, &str)]) -> TestApp {
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[target]]\nname = \"shared-mailboxes\"\nmatch = { kind = \"mailbox\" }\napproval = []\nmax_duration = \"30d\"\n",
    )
    .expect("policy written");
    TestApp::spawn_configured(tenant, &policy.display().to_string(), OPERATOR, settings).await
}

/// Jordan is given Full Access to Sales, the operator signing in when asked: after this the
/// operator's sign-in is on record.
async fn first_grant(app: &TestApp) {
    let jordan = "jordan.lee@contoso.com";
    app.teams(
        jordan,
        "I need full access to the sales@contoso.com shared mailbox for 2 weeks",
    )
    .await;
    sign_in_when_asked(app, OPERATOR).await;
    until_said(|| app.teams_seen(jordan), "You now have").await;
}

/// Successful runs of `cmdlet` by the operator.
async fn accepted(app: &TestApp, cmdlet: &str) -> usize {
    exchange_log(app)
        .await
        .iter()
        .filter(|(ran, user, status)| ran == cmdlet && user == OPERATOR && *status == 200)
        .count()
}

#[tokio::test]
async fn full_access_where_policy_needs_no_approval_and_send_on_behalf_are_each_their_own_permission()
 {
    let dir = tempfile::tempdir().expect("dir");
    let app = auto_app(&dir).await;
    first_grant(&app).await;
    let jordan = "jordan.lee@contoso.com";
    let sales = mailbox(&app, "Sales").await;
    assert!(
        holds(&sales, "fullAccess", jordan),
        "{sales}\n{:?}",
        app.teams_seen(jordan).await
    );
    assert!(!holds(&sales, "sendAs", jordan) && !holds(&sales, "sendOnBehalf", jordan));

    app.teams(
        jordan,
        "can I also send on behalf of sales@contoso.com for 2 weeks",
    )
    .await;
    until_said(
        || app.teams_seen(jordan),
        "Send on behalf on the Sales shared mailbox",
    )
    .await;
    let granted = crate::app::eventually(|| async {
        let sales = mailbox(&app, "Sales").await;
        holds(&sales, "sendOnBehalf", jordan).then_some(sales)
    })
    .await
    .expect("Send on Behalf granted");
    assert!(!holds(&granted, "sendAs", jordan), "{granted}");
    let made: Vec<String> = exchange_writes(&app)
        .await
        .into_iter()
        .map(|(cmdlet, user)| {
            assert_eq!(user, OPERATOR);
            cmdlet
        })
        .collect();
    assert_eq!(made, ["Add-MailboxPermission", "Set-Mailbox"]);
}

#[tokio::test]
async fn a_rooms_delegate_gets_full_access_to_its_mailbox_and_booking_the_room_asks_for_nothing() {
    let mut tenant: Value = serde_json::from_str(CONTOSO).expect("contoso");
    tenant["mailboxes"]
        .as_array_mut()
        .expect("mailboxes")
        .push(serde_json::json!({
            "id": "33333333-0000-4000-8000-0000000000f1",
            "displayName": "Board Room",
            "mail": "boardroom@contoso.com",
            "type": "room",
            "owners": [],
            "fullAccess": [],
            "sendAs": []
        }));
    let dir = tempfile::tempdir().expect("dir");
    let app = auto_app_on(&tenant.to_string(), &dir, &[]).await;
    let jordan = "jordan.lee@contoso.com";

    app.teams(jordan, "can you book the board room for friday 2pm")
        .await;
    until_said(|| app.teams_seen(jordan), "I couldn't find").await;

    app.teams(
        jordan,
        "I need full access to the board room mailbox, I look after its bookings",
    )
    .await;
    until_said(
        || app.teams_seen(jordan),
        "Full access to the Board Room room mailbox (boardroom@contoso.com)",
    )
    .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(jordan),
        "You now have full access on Board Room (mailbox)",
    )
    .await;
    let room = mailbox(&app, "Board Room").await;
    assert!(holds(&room, "fullAccess", jordan), "{room}");
    assert_eq!(
        exchange_writes(&app).await,
        [("Add-MailboxPermission".to_owned(), OPERATOR.to_owned())]
    );
}

#[tokio::test]
async fn throttling_lag_and_a_lost_answer_still_end_verified_made_once_and_removed_whole() {
    let dir = tempfile::tempdir().expect("dir");
    let app = auto_app(&dir).await;
    first_grant(&app).await;
    let alex = "alex.kim@contoso.com";
    app.sim
        .faults(serde_json::json!({
            "throttle_rate": 0.3, "replication_lag_ms": 2000, "lose_next_writes": 1,
        }))
        .await;
    app.teams(alex, "give me send as on support@contoso.com for a week")
        .await;
    until_said(|| app.teams_seen(alex), "You now have").await;
    app.sim
        .faults(serde_json::json!({"throttle_rate": 0.0, "replication_lag_ms": 0}))
        .await;
    assert!(holds(&mailbox(&app, "Support").await, "sendAs", alex));
    // The first answer was lost after Exchange made the change; the retry met "already
    // present", which is Doorman's own doing, not access Alex had before.
    app.teams(alex, "remove me from the support@contoso.com mailbox")
        .await;
    until_said(|| app.teams_seen(alex), "removed").await;
    let support = mailbox(&app, "Support").await;
    assert!(!holds(&support, "sendAs", alex), "{support}");
    assert!(
        holds(&support, "sendAs", "priya.nair@contoso.com"),
        "what others hold stays: {support}"
    );
    assert_eq!(accepted(&app, "Remove-RecipientPermission").await, 1);
}

#[tokio::test]
async fn a_bot_killed_mid_exchange_write_makes_the_grant_once_and_the_audit_verifies() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = auto_app(&dir).await;
    app.stop().await;
    app.start_process().await;
    first_grant(&app).await;
    let alex = "alex.kim@contoso.com";
    app.sim
        .faults(serde_json::json!({"latency_ms": 4000}))
        .await;
    app.teams(alex, "I need full access to the support mailbox for 3 days")
        .await;
    // Exchange has made it and not answered yet.
    crate::app::eventually(|| async {
        exchange_log(&app)
            .await
            .iter()
            .any(|(cmdlet, user, _)| cmdlet == "Add-MailboxPermission" && user == OPERATOR)
            .then_some(())
    })
    .await
    .expect("the write reached Exchange");
    let before = accepted(&app, "Add-MailboxPermission").await;
    app.kill().await;
    app.sim.faults(serde_json::json!({"latency_ms": 0})).await;
    app.start_process().await;
    until_said(|| app.teams_seen(alex), "You now have").await;
    assert!(holds(&mailbox(&app, "Support").await, "fullAccess", alex));
    let told = Value::Array(app.teams_seen(alex).await).to_string();
    assert_eq!(told.matches("You now have").count(), 1, "{told}");
    assert!(
        accepted(&app, "Add-MailboxPermission").await <= before + 1,
        "at most one more run, which finds it there"
    );
    app.stop().await;
    let verified = app.cli(&["audit", "verify"]).await;
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

#[tokio::test]
async fn full_access_added_back_by_hand_after_it_ended_is_removed_again() {
    let dir = tempfile::tempdir().expect("dir");
    let app = auto_app(&dir).await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(
        jordan,
        "I need full access to the sales@contoso.com shared mailbox for 30 minutes",
    )
    .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(jordan), "You now have").await;
    app.clock.advance(std::time::Duration::from_secs(31 * 60));
    until_said(|| app.teams_seen(jordan), "has ended: its time ran out").await;
    assert!(!holds(&mailbox(&app, "Sales").await, "fullAccess", jordan));

    // An Exchange admin gives it back by hand.
    let admin = app
        .sim
        .access_token(
            "grace.admin@contoso.com",
            "https://outlook.office365.com/Exchange.Manage",
        )
        .await;
    let added = reqwest::Client::new()
        .post(format!(
            "{}/adminapi/beta/{}/InvokeCommand",
            app.sim.url,
            app.sim.tenant_id()
        ))
        .bearer_auth(admin)
        .header("X-AnchorMailbox", "UPN:sales@contoso.com")
        .json(&serde_json::json!({"CmdletInput": {
            "CmdletName": "Add-MailboxPermission",
            "Parameters": {"Identity": "sales@contoso.com", "User": jordan,
                           "AccessRights": ["FullAccess"], "InheritanceType": "All"},
        }}))
        .send()
        .await
        .expect("Exchange answers");
    assert_eq!(added.status(), 200);
    assert!(holds(&mailbox(&app, "Sales").await, "fullAccess", jordan));

    // The next reconciliation takes it away again, and says so.
    app.clock.advance(std::time::Duration::from_secs(16 * 60));
    let gone = crate::app::eventually(|| async {
        (!holds(&mailbox(&app, "Sales").await, "fullAccess", jordan)).then_some(())
    })
    .await;
    assert!(gone.is_some(), "removed again");
    until_said(
        || app.teams_seen(jordan),
        "came back outside Doorman after it ended on",
    )
    .await;
    assert_eq!(
        exchange_writes(&app)
            .await
            .iter()
            .filter(|(cmdlet, user)| cmdlet == "Remove-MailboxPermission" && user == OPERATOR)
            .count(),
        2,
        "once at the end, once for the drift"
    );
}

#[tokio::test]
async fn on_slack_a_list_is_joined_with_its_owners_approval_under_her_exchange_sign_in() {
    use crate::approvals::{slack_card, slack_click};
    let catalog = tempfile::tempdir().expect("dir");
    let app = exchange_app(&catalog).await;
    let (tom, maria) = ("U04TOM", "U03MARIA");
    for user in [tom, maria] {
        crate::requests::sign_in_on_slack(&app, user).await;
    }
    app.slack(tom, "can you put me on the all-sales mailing list")
        .await;
    until_said(|| app.slack_seen(tom), "I've sent the approval request").await;
    let (ts, value) = slack_card(&app, maria, "approve").await;
    slack_click(&app, maria, &ts, "approve", &value).await;
    // Her requester sign-in never consented to Exchange: she is asked for it now.
    let asked = until_said(|| app.slack_seen(maria), "carry out an approved request").await;
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");
    let scopes = crate::approvals::sign_in_noting_scopes(&app, &link).await;
    assert!(
        scopes.contains(&"https://outlook.office365.com/Exchange.Manage".to_owned())
            && !scopes
                .iter()
                .any(|scope| scope.ends_with("Exchange.ManageV2")
                    || scope == "GroupMember.ReadWrite.All"),
        "a list owner consents to Exchange's InvokeCommand and nothing broader: {scopes:?}"
    );
    until_said(|| app.slack_seen(tom), "You now have").await;
    let tom_upn = "tom.becker@contoso.com".to_owned();
    assert!(app.sim.members("all-sales").await.contains(&tom_upn));
    assert_eq!(
        exchange_writes(&app).await,
        vec![(
            "Add-DistributionGroupMember".to_owned(),
            "maria.garcia@contoso.com".to_owned()
        )]
    );
}

#[tokio::test]
async fn an_owner_of_a_team_and_a_list_signs_in_for_each_once_and_keeps_both() {
    let catalog = tempfile::tempdir().expect("dir");
    let app = exchange_app(&catalog).await;
    let (tom, jordan, maria) = (
        "tom.becker@contoso.com",
        "jordan.lee@contoso.com",
        "maria.garcia@contoso.com",
    );
    // Maria approves a private channel of her team: she signs in to change it through Graph.
    app.teams(tom, "add me to the Product Launch channel").await;
    let (first_card, approve) = card_for(&app, maria, "approve").await;
    click_teams(&app, maria, &first_card, &approve).await;
    sign_in_when_asked(&app, maria).await;
    until_said(
        || app.teams_seen(tom),
        "You now have membership on Product Launch",
    )
    .await;

    // Then her list: the sign-in for Exchange also asks again for what she granted before.
    let links_before = app.sign_in_links(&app.teams_seen(maria).await).len();
    app.teams(tom, "please add me to the all-sales distribution list")
        .await;
    let (list_card, approve) = crate::app::eventually(|| async {
        crate::approvals::card_action(&app.teams_seen(maria).await, "approve")
            .filter(|(card, _)| *card != first_card)
    })
    .await
    .expect("a card for the list");
    click_teams(&app, maria, &list_card, &approve).await;
    let asked = crate::app::eventually(|| async {
        let links = app.sign_in_links(&app.teams_seen(maria).await);
        (links.len() > links_before).then_some(links)
    })
    .await
    .expect("asked to sign in for Exchange");
    let link = asked.last().expect("a link").clone();
    let scopes = crate::approvals::sign_in_noting_scopes(&app, &link).await;
    for kept in [
        "ChannelMember.ReadWrite.All",
        "https://outlook.office365.com/Exchange.Manage",
    ] {
        assert!(scopes.contains(&kept.to_owned()), "{kept}: {scopes:?}");
    }
    until_said(
        || app.teams_seen(tom),
        "You now have membership on all-sales",
    )
    .await;

    // Both stay usable: the next channel grant needs no new sign-in.
    let links_now = app.sign_in_links(&app.teams_seen(maria).await).len();
    app.teams(jordan, "add me to the Product Launch channel")
        .await;
    let (card, approve) = crate::app::eventually(|| async {
        crate::approvals::card_action(&app.teams_seen(maria).await, "approve")
            .filter(|(card, _)| *card != first_card && *card != list_card)
    })
    .await
    .expect("a card for Jordan's request");
    click_teams(&app, maria, &card, &approve).await;
    until_said(
        || app.teams_seen(jordan),
        "You now have membership on Product Launch",
    )
    .await;
    assert_eq!(
        app.sign_in_links(&app.teams_seen(maria).await).len(),
        links_now,
        "no sign-in asked again"
    );
}

#[tokio::test]
async fn a_shared_mailboxs_owner_sees_who_holds_it_and_nobody_else_does() {
    let catalog = tempfile::tempdir().expect("dir");
    let app = exchange_app(&catalog).await;
    let (priya, tom) = ("priya.nair@contoso.com", "tom.becker@contoso.com");
    app.teams(tom, "who has access to support@contoso.com?")
        .await;
    until_said(
        || app.teams_seen(tom),
        "Only the owners of the Support shared mailbox",
    )
    .await;
    app.teams(priya, "who has access to support@contoso.com?")
        .await;
    let seen = until_said(|| app.teams_seen(priya), "as Exchange says now").await;
    let told = crate::app::words(seen.last().expect("an answer"));
    assert!(
        told.contains("Full Access: priya.nair@contoso.com")
            && told.contains("Send As: priya.nair@contoso.com")
            && told.contains("Send on Behalf: nobody"),
        "{told}"
    );
    assert!(
        exchange_writes(&app).await.is_empty(),
        "a question changes nothing"
    );
}

#[tokio::test]
async fn send_on_behalf_removed_by_hand_while_active_ends_the_grant_and_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let app = auto_app_with(&dir, &[("DOORMAN__LIFECYCLE__RECONCILE_EVERY", "1m")]).await;
    first_grant(&app).await;
    let tom = "tom.becker@contoso.com";
    app.teams(
        tom,
        "I need send on behalf of support@contoso.com for a week",
    )
    .await;
    until_said(|| app.teams_seen(tom), "You now have").await;
    // An Exchange admin takes it away by hand while the grant is active.
    let admin = app
        .sim
        .access_token(
            "grace.admin@contoso.com",
            "https://outlook.office365.com/Exchange.ManageV2",
        )
        .await;
    let removed = reqwest::Client::new()
        .post(format!(
            "{}/adminapi/v2.0/{}/Mailbox",
            app.sim.url,
            app.sim.tenant_id()
        ))
        .bearer_auth(admin)
        .header("X-AnchorMailbox", "UPN:support@contoso.com")
        .json(&serde_json::json!({"CmdletInput": {
            "CmdletName": "Set-Mailbox",
            "Parameters": {"Identity": "support@contoso.com", "GrantSendOnBehalfTo":
                {"@odata.type": "#Exchange.GenericHashTable", "remove": [tom]}},
        }}))
        .send()
        .await
        .expect("Exchange answers");
    assert_eq!(removed.status(), 200);
    // The next reconciliation, minutes after the write, finds it gone: it was read back
    // present, so no replication lag can be hiding it, and the requester hears at once.
    app.clock.advance(std::time::Duration::from_secs(2 * 60));
    until_said(
        || app.teams_seen(tom),
        "has ended: it was removed outside Doorman",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let again = exchange_writes(&app)
        .await
        .iter()
        .filter(|(cmdlet, user)| cmdlet == "Set-Mailbox" && user == OPERATOR)
        .count();
    assert!(again <= 2, "no removal retried again and again: {again}");
}

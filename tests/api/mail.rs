//! Self-service mail through the doors a person uses (DESIGN.md section 10): a calendar shared
//! and mail forwarded with the requester's own token, read back, put back as it was at the end,
//! and removed by the operator through Exchange when the requester's token no longer works.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::app::{OPERATOR, TestApp, until_said};
use crate::approvals::sign_in_when_asked;
use crate::exchange::exchange_writes;
use crate::helpers::CONTOSO;

const ALEX: &str = "alex.kim@contoso.com";

/// A deployment whose policy lets people share their calendar (up to edit) and forward their
/// mail, and grants shared mailboxes by the operator without approval.
async fn mail_app(dir: &tempfile::TempDir) -> TestApp {
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[target]]\nname = \"shared-mailboxes\"\nmatch = { kind = \"mailbox\" }\napproval = []\nmax_duration = \"30d\"\n\n\
         [[action]]\naction = \"share_calendar\"\nmax_access = \"write\"\nmax_duration = \"90d\"\n\n\
         [[action]]\naction = \"forward_mail\"\nmax_duration = \"30d\"\n\n\
         [[action]]\naction = \"change_alias\"\n",
    )
    .expect("policy written");
    TestApp::spawn_configured(CONTOSO, &policy.display().to_string(), OPERATOR, &[]).await
}

/// A user's entry in the simulator's state.
async fn user(app: &TestApp, upn: &str) -> Value {
    let state = app.sim.control(Method::GET, "state", None).await.body;
    state["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|user| user["userPrincipalName"] == upn)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The role `owner`'s calendar is shared with `with` at, if it is.
async fn shared_at(app: &TestApp, owner: &str, with: &str) -> Option<String> {
    let owner = user(app, owner).await;
    owner["calendarPermissions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|share| {
            share["emailAddress"]["address"]
                .as_str()
                .is_some_and(|address| address.eq_ignore_ascii_case(with))
        })
        .and_then(|share| share["role"].as_str().map(str::to_owned))
}

/// Waits until `owner`'s calendar is shared with `with` at `role` (`None`: not at all).
async fn until_shared_at(app: &TestApp, owner: &str, with: &str, role: Option<&str>) {
    let reached = crate::app::eventually(|| async {
        (shared_at(app, owner, with).await.as_deref() == role).then_some(())
    })
    .await;
    assert!(
        reached.is_some(),
        "{owner}'s calendar shared with {with} at {:?}, not {role:?}; {owner} was told {:?}",
        shared_at(app, owner, with).await,
        app.teams_seen(owner).await
    );
}

/// The inbox rules of `owner` that forward to `to`.
async fn forwarding_rules(app: &TestApp, owner: &str, to: &str) -> Vec<Value> {
    let owner = user(app, owner).await;
    owner["messageRules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|rule| {
            rule["actions"]["forwardTo"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|recipient| {
                    recipient["emailAddress"]["address"]
                        .as_str()
                        .is_some_and(|address| address.eq_ignore_ascii_case(to))
                })
        })
        .cloned()
        .collect()
}

/// Graph's successful writes to a mailbox's calendar shares or inbox rules: (method, path, the
/// UPN whose token made it).
async fn mailbox_writes(app: &TestApp) -> Vec<(String, String, String)> {
    crate::approvals::writes_made(app)
        .await
        .into_iter()
        .filter(|entry| {
            let path = entry["path"].as_str().unwrap_or("");
            path.contains("calendarPermissions") || path.contains("messageRules")
        })
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
async fn a_calendar_is_shared_at_each_level_with_the_requesters_token_and_taken_back_at_the_end() {
    let dir = tempfile::tempdir().expect("dir");
    let app = mail_app(&dir).await;
    let jordan = "jordan.lee@contoso.com";

    app.teams(
        ALEX,
        "share my calendar with jordan.lee@contoso.com, free/busy only, for 1 hour",
    )
    .await;
    // Made with Alex's own token: Alex is asked to sign in for it, nobody else.
    sign_in_when_asked(&app, ALEX).await;
    until_said(
        || app.teams_seen(ALEX),
        "Your calendar shared with Jordan Lee (free/busy) is in place until",
    )
    .await;
    until_shared_at(&app, ALEX, jordan, Some("freeBusyRead")).await;

    app.teams(ALEX, "let Jordan Lee read my calendar for 2 hours")
        .await;
    until_shared_at(&app, ALEX, jordan, Some("read")).await;
    app.teams(ALEX, "jordan can edit my calendar for 3 hours")
        .await;
    until_shared_at(&app, ALEX, jordan, Some("write")).await;
    let made = mailbox_writes(&app).await;
    assert!(
        made.iter().all(|(_, _, who)| who == ALEX),
        "only Alex's token changes Alex's calendar: {made:?}"
    );
    assert_eq!(
        made.iter()
            .map(|(method, _, _)| method.as_str())
            .collect::<Vec<_>>(),
        ["POST", "PATCH", "PATCH"],
        "one share, raised twice: {made:?}"
    );

    // The free/busy grant ends: the later grants still cover it, so nothing changes.
    app.clock.advance(Duration::from_secs(61 * 60));
    until_said(|| app.teams_seen(ALEX), "has ended: its time ran out").await;
    assert_eq!(
        shared_at(&app, ALEX, jordan).await.as_deref(),
        Some("write")
    );

    // The last one ends: the share goes, read back gone.
    app.clock.advance(Duration::from_secs(2 * 60 * 60 + 60));
    until_shared_at(&app, ALEX, jordan, None).await;
    let made = mailbox_writes(&app).await;
    assert!(made.iter().all(|(_, _, who)| who == ALEX), "{made:?}");
    assert!(
        made.iter().any(|(method, _, _)| method == "DELETE"),
        "{made:?}"
    );
}

#[tokio::test]
async fn a_share_someone_had_before_is_put_back_to_its_level_not_removed() {
    let dir = tempfile::tempdir().expect("dir");
    let app = mail_app(&dir).await;
    let priya = "priya.nair@contoso.com";
    // Alex shared titles and locations with Priya long ago, outside Doorman.
    let token = app.sim.access_token(ALEX, "Calendars.ReadWrite").await;
    let shared = app
        .sim
        .graph(
            &token,
            Method::POST,
            "/me/calendar/calendarPermissions",
            Some(json!({"emailAddress": {"address": priya}, "role": "limitedRead"})),
        )
        .await;
    assert_eq!(shared.status, 201, "{:?}", shared.body);

    app.teams(
        ALEX,
        "can priya see my calendar for the next hour? she's covering my meetings",
    )
    .await;
    sign_in_when_asked(&app, ALEX).await;
    until_shared_at(&app, ALEX, priya, Some("read")).await;
    app.clock.advance(Duration::from_secs(61 * 60));
    until_said(|| app.teams_seen(ALEX), "has ended: its time ran out").await;
    until_shared_at(&app, ALEX, priya, Some("limitedRead")).await;
}

#[tokio::test]
async fn mail_forwarded_inside_the_tenant_is_removed_at_the_end_by_the_operator_once_the_requester_is_signed_out()
 {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = mail_app(&dir).await;
    let maria = "maria.garcia@contoso.com";
    // The operator has signed in for an Exchange grant earlier.
    let jordan = "jordan.lee@contoso.com";
    app.teams(
        jordan,
        "I need full access to the sales@contoso.com shared mailbox for 2 weeks",
    )
    .await;
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(|| app.teams_seen(jordan), "You now have").await;

    app.teams(
        ALEX,
        "please forward my email to maria.garcia@contoso.com for 1 hour while I'm on leave",
    )
    .await;
    sign_in_when_asked(&app, ALEX).await;
    until_said(
        || app.teams_seen(ALEX),
        "Your mail forwarded to Maria Garcia is in place",
    )
    .await;
    let rules = forwarding_rules(&app, ALEX, maria).await;
    assert_eq!(rules.len(), 1, "{rules:?}");
    let made = mailbox_writes(&app).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!((made[0].0.as_str(), made[0].2.as_str()), ("POST", ALEX));

    // Alex's sessions are revoked; a restart drops the access token Doorman held.
    let token = app.sim.access_token(ALEX, "User.RevokeSessions.All").await;
    let revoked = app
        .sim
        .graph(&token, Method::POST, "/me/revokeSignInSessions", None)
        .await;
    assert_eq!(revoked.status, 200);
    app.restart().await;

    // At the end nobody waits for Alex: the operator removes the rule through Exchange.
    app.clock.advance(Duration::from_secs(61 * 60));
    let gone = crate::app::eventually(|| async {
        forwarding_rules(&app, ALEX, maria)
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    assert!(gone.is_some(), "{:?}", app.teams_seen(ALEX).await);
    let removed: Vec<(String, String)> = exchange_writes(&app)
        .await
        .into_iter()
        .filter(|(cmdlet, _)| cmdlet == "Remove-InboxRule")
        .collect();
    assert_eq!(
        removed,
        [("Remove-InboxRule".to_owned(), OPERATOR.to_owned())]
    );
    until_said(|| app.teams_seen(ALEX), "has ended: its time ran out").await;
}

#[tokio::test]
async fn forwarding_outside_the_tenant_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("dir");
    let app = mail_app(&dir).await;
    app.teams(
        ALEX,
        "set up forwarding of all my emails to alex.kim.home@gmail.com",
    )
    .await;
    let told = until_said(|| app.teams_seen(ALEX), "Nothing has been changed").await;
    let told = crate::app::words(told.last().expect("an answer"));
    assert!(told.contains("inside the organisation"), "{told}");
    // A guest of the tenant is a person of the directory, but their mail goes outside.
    let before = app.teams_seen(ALEX).await.len();
    app.teams(ALEX, "forward my email to Victor for a week please")
        .await;
    let told = app.more_than(before, || app.teams_seen(ALEX)).await;
    let told = crate::app::words(told.last().expect("an answer"));
    assert!(told.contains("inside the organisation"), "{told}");
    assert!(mailbox_writes(&app).await.is_empty());
    assert!(app.sign_in_links(&app.teams_seen(ALEX).await).is_empty());
}

/// Alex's addresses as the simulator holds them.
async fn proxy_addresses(app: &TestApp) -> Vec<String> {
    user(app, ALEX).await["proxyAddresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|address| address.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_new_primary_address_is_set_by_the_operator_and_the_old_one_is_kept() {
    let dir = tempfile::tempdir().expect("dir");
    let app = mail_app(&dir).await;
    app.teams(
        ALEX,
        "change my email to a.kim@contoso.com, keep the old one",
    )
    .await;
    // People cannot change their own primary address: the operator's Exchange sign-in does.
    sign_in_when_asked(&app, OPERATOR).await;
    until_said(
        || app.teams_seen(ALEX),
        "Your primary address a.kim@contoso.com is in place",
    )
    .await;
    let addresses = proxy_addresses(&app).await;
    assert!(
        addresses.contains(&"SMTP:a.kim@contoso.com".to_owned())
            && addresses.contains(&"smtp:alex.kim@contoso.com".to_owned()),
        "{addresses:?}"
    );
    assert_eq!(
        exchange_writes(&app).await,
        [("Set-Mailbox".to_owned(), OPERATOR.to_owned())]
    );

    // Taken back: the old address is primary again, and the new one is nobody's.
    let id = crate::app::request_id(&app.teams_seen(ALEX).await);
    app.teams(ALEX, &format!("remove {id}")).await;
    until_said(|| app.teams_seen(ALEX), "has ended").await;
    let addresses = proxy_addresses(&app).await;
    assert!(
        addresses.contains(&"SMTP:alex.kim@contoso.com".to_owned())
            && !addresses
                .iter()
                .any(|address| address.eq_ignore_ascii_case("smtp:a.kim@contoso.com")),
        "{addresses:?}"
    );
    let writes = exchange_writes(&app).await;
    assert!(
        writes.len() == 3
            && writes
                .iter()
                .all(|(cmdlet, who)| cmdlet == "Set-Mailbox" && who == OPERATOR),
        "{writes:?}"
    );
}

#[tokio::test]
async fn a_primary_address_in_an_unverified_domain_or_held_by_someone_else_is_refused_unwritten() {
    let dir = tempfile::tempdir().expect("dir");
    let app = mail_app(&dir).await;
    app.teams(ALEX, "please update my email address to alex@alexkim.me")
        .await;
    until_said(
        || app.teams_seen(ALEX),
        "is not in one of the organisation's verified domains",
    )
    .await;
    for taken in [
        "tom.becker@contoso.com",
        "all-sales@contoso.com",
        "vendor_fabrikam.com#ext#@contoso.com",
    ] {
        app.teams(ALEX, &format!("make {taken} my primary email address"))
            .await;
        until_said(
            || app.teams_seen(ALEX),
            &format!("{taken} already belongs to another user or group"),
        )
        .await;
    }
    assert!(exchange_writes(&app).await.is_empty());
    assert!(
        proxy_addresses(&app)
            .await
            .contains(&"SMTP:alex.kim@contoso.com".to_owned())
    );
    assert!(
        app.sign_in_links(&app.teams_seen(OPERATOR).await)
            .is_empty()
    );
}

#[tokio::test]
async fn on_slack_a_calendar_is_shared_once_the_requester_consents_to_calendar_access() {
    let dir = tempfile::tempdir().expect("dir");
    let app = mail_app(&dir).await;
    let (alex, jordan) = ("U06ALEX", "jordan.lee@contoso.com");
    crate::requests::sign_in_on_slack(&app, alex).await;
    let before = app.slack_seen(alex).await.len();
    app.slack(
        alex,
        "could jordan.lee@contoso.com see my calendar (read only) for the afternoon? for 4 hours",
    )
    .await;
    // Her first sign-in consented to reading her profile only: calendar access is asked now.
    let link = crate::app::eventually(|| async {
        let seen = app.slack_seen(alex).await;
        app.sign_in_links(seen.get(before..).unwrap_or_default())
            .pop()
    })
    .await
    .expect("a sign-in link for calendar access");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    until_said(|| app.slack_seen(alex), "is in place until").await;
    until_shared_at(&app, ALEX, jordan, Some("read")).await;
    let made = mailbox_writes(&app).await;
    assert!(
        !made.is_empty() && made.iter().all(|(_, _, who)| who == ALEX),
        "{made:?}"
    );
    assert_eq!(made[0].0, "POST", "one share, made once: {made:?}");
    assert!(made[1..].iter().all(|(method, _, _)| method == "PATCH"));
}

#[tokio::test]
async fn a_share_raised_by_hand_during_a_grant_keeps_what_was_raised_when_the_grant_ends() {
    let dir = tempfile::tempdir().expect("dir");
    let app = mail_app(&dir).await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(
        ALEX,
        "share my free/busy with jordan.lee@contoso.com for 1 hour",
    )
    .await;
    sign_in_when_asked(&app, ALEX).await;
    until_shared_at(&app, ALEX, jordan, Some("freeBusyRead")).await;

    // Alex lets Jordan read everything, in Outlook, while the grant runs.
    let token = app.sim.access_token(ALEX, "Calendars.ReadWrite").await;
    let shares = app
        .sim
        .graph(
            &token,
            Method::GET,
            "/me/calendar/calendarPermissions",
            None,
        )
        .await;
    let id = shares.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|share| share["emailAddress"]["address"] == jordan)
        .and_then(|share| share["id"].as_str())
        .expect("the share")
        .to_owned();
    let raised = app
        .sim
        .graph(
            &token,
            Method::PATCH,
            &format!("/me/calendar/calendarPermissions/{id}"),
            Some(json!({"role": "read"})),
        )
        .await;
    assert_eq!(raised.status, 200, "{:?}", raised.body);

    // The grant ends: what Alex gave by hand is not Doorman's to take away.
    app.clock.advance(Duration::from_secs(61 * 60));
    until_said(|| app.teams_seen(ALEX), "has ended: its time ran out").await;
    assert_eq!(shared_at(&app, ALEX, jordan).await.as_deref(), Some("read"));
    assert!(
        !mailbox_writes(&app)
            .await
            .iter()
            .any(|(method, _, _)| method == "DELETE"),
        "{:?}",
        mailbox_writes(&app).await
    );
}

#[tokio::test]
async fn a_lost_answer_to_a_share_is_settled_by_a_read_made_once_and_still_taken_back() {
    let dir = tempfile::tempdir().expect("dir");
    let app = mail_app(&dir).await;
    let jordan = "jordan.lee@contoso.com";
    app.sim
        .faults(json!({"lose_next_writes": 1, "replication_lag_ms": 1500}))
        .await;
    app.teams(
        ALEX,
        "share my calendar with jordan.lee@contoso.com, free/busy only, for 1 hour",
    )
    .await;
    sign_in_when_asked(&app, ALEX).await;
    until_said(|| app.teams_seen(ALEX), "is in place until").await;
    until_shared_at(&app, ALEX, jordan, Some("freeBusyRead")).await;
    // The create whose answer was lost is the only one sent.
    let log = app.sim.control(Method::GET, "graph/log", None).await.body;
    let posts: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| {
            entry["method"] == "POST"
                && entry["path"]
                    .as_str()
                    .is_some_and(|path| path.contains("calendarPermissions"))
        })
        .collect();
    assert_eq!(posts.len(), 1, "made once: {posts:?}");

    app.clock.advance(Duration::from_secs(61 * 60));
    until_shared_at(&app, ALEX, jordan, None).await;
}

//! Doorman's Graph client against the simulator, with faults switched on.

use std::time::{Duration, Instant};

use doorman::graph::{
    AppTokenSource, DelegatedToken, DriveRole, GraphClient, GraphError, InviteRecipient,
    RetryPolicy, TeamRole,
};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::TestSim;

/// A policy patient enough for 30% throttling (Graph's `Retry-After` is at least one second).
fn patient() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 12,
        max_elapsed: Duration::from_secs(90),
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    }
}

fn client(sim: &TestSim, policy: RetryPolicy) -> GraphClient {
    GraphClient::new(sim.graph_base(), policy).expect("client")
}

const OWNER_SCOPES: &str = "openid offline_access User.Read User.Read.All GroupMember.ReadWrite.All TeamMember.ReadWrite.All \
    Channel.ReadBasic.All ChannelMember.ReadWrite.All Sites.Read.All Files.ReadWrite.All MailboxSettings.Read";

#[tokio::test]
async fn a_tour_of_operations_completes_under_thirty_percent_throttling() {
    let sim = TestSim::start().await;
    let graph = client(&sim, patient());
    let owner = DelegatedToken::new(
        sim.access_token("maria.garcia@contoso.com", OWNER_SCOPES)
            .await,
    );
    let tom = sim.user_id("tom.becker@contoso.com");
    let marketing = sim.group_id("Marketing");
    sim.faults(json!({"throttle_rate": 0.3, "retry_after_seconds": 1}))
        .await;

    let me = graph.me(&owner).await.expect("me");
    assert_eq!(
        me.value.user_principal_name.as_deref(),
        Some("maria.garcia@contoso.com")
    );
    let tom_profile = graph
        .user(&owner, &tom, &["displayName", "department"])
        .await
        .expect("user");
    assert_eq!(tom_profile.value.department.as_deref(), Some("Marketing"));
    let manager = graph.manager(&owner, &tom).await.expect("manager").value;
    assert!(manager.is_some(), "tom has a manager");
    let no_manager = graph
        .manager(&owner, &me.value.id)
        .await
        .expect("no manager is not an error")
        .value;
    assert!(no_manager.is_none());
    let groups = graph
        .groups(&owner, None, &["displayName"], Some(2))
        .await
        .expect("all groups, page by page");
    assert_eq!(groups.value.len(), 9);
    let added = graph
        .add_team_member(
            &owner,
            &marketing,
            &sim.user_id("jordan.lee@contoso.com"),
            TeamRole::Member,
        )
        .await;
    assert!(added.is_ok(), "{added:?}");
    let members = graph
        .team_members(&owner, &marketing)
        .await
        .expect("team members");
    assert!(
        members
            .value
            .iter()
            .any(|m| m.user_id.as_deref() == Some(sim.user_id("jordan.lee@contoso.com").as_str()))
    );
    let channel = graph
        .add_channel_member(
            &owner,
            &marketing,
            "19:marketing-launch@thread.tacv2",
            &tom,
            TeamRole::Member,
        )
        .await;
    assert!(channel.is_ok(), "{channel:?}");
    let site = graph
        .site_by_path(&owner, "contoso.sharepoint.com", "/sites/Marketing")
        .await
        .expect("site by path");
    let drive = graph
        .site_default_drive(&owner, &site.value.id)
        .await
        .expect("default drive");
    let root = graph
        .drive_root(&owner, &drive.value.id)
        .await
        .expect("root");
    let invited = graph
        .invite(
            &owner,
            &drive.value.id,
            &root.value.id,
            &[InviteRecipient::Email("alex.kim@contoso.com".into())],
            DriveRole::Read,
            Some("Doorman request"),
        )
        .await
        .expect("invite");
    assert_eq!(invited.value.len(), 1);
    let permissions = graph
        .item_permissions(&owner, &drive.value.id, &root.value.id)
        .await
        .expect("permissions");
    assert!(
        permissions.value.len() >= 4,
        "inherited site groups plus the invitation"
    );
    let member_of = graph.member_of(&owner, &tom).await.expect("memberOf");
    assert!(!member_of.value.is_empty());
    // Thirty percent is a chance per call, and a tour can (rarely) meet no 429: reads go on,
    // each still answered, until one was throttled.
    for _ in 0..60 {
        if sim
            .state
            .graph_log
            .entries()
            .iter()
            .any(|entry| entry.status == Some(429))
        {
            break;
        }
        graph.me(&owner).await.expect("me, under throttling");
    }

    let log = sim.state.graph_log.entries();
    assert!(
        log.iter().any(|entry| entry.status == Some(429)),
        "the fault was really on"
    );
    assert!(
        sim.members("Marketing")
            .await
            .contains(&"jordan.lee@contoso.com".to_owned())
    );
}

#[tokio::test]
async fn the_client_gives_up_cleanly_when_every_call_fails() {
    let sim = TestSim::start().await;
    let token = DelegatedToken::new(
        sim.access_token("tom.becker@contoso.com", "User.Read")
            .await,
    );
    sim.faults(json!({"error_rate": 1.0})).await;
    let graph = client(
        &sim,
        RetryPolicy {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(5),
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    );
    let started = Instant::now();
    let outcome = graph.me(&token).await;
    assert!(
        matches!(outcome, Err(GraphError::Transient(_))),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        sim.state.graph_log.len(),
        4,
        "exactly max_attempts requests were sent"
    );
}

#[tokio::test]
async fn graph_refusals_become_typed_errors_with_request_ids() {
    let sim = TestSim::start().await;
    let graph = client(&sim, patient());
    let owner = DelegatedToken::new(
        sim.access_token("nina.patel@contoso.com", "GroupMember.ReadWrite.All")
            .await,
    );
    let vpn = sim.group_id("VPN Users");
    let nina = sim.user_id("nina.patel@contoso.com");
    let duplicate = graph.add_member(&owner, &vpn, &nina).await;
    assert!(
        matches!(duplicate, Err(GraphError::AlreadyExists(_))),
        "{duplicate:?}"
    );
    assert!(
        duplicate
            .as_ref()
            .err()
            .and_then(GraphError::request_id)
            .is_some()
    );
    let forbidden = graph
        .add_member(&owner, &sim.group_id("Finance"), &nina)
        .await;
    assert!(
        matches!(forbidden, Err(GraphError::Forbidden(_))),
        "{forbidden:?}"
    );
    let missing = graph
        .add_member(&owner, "0badc0de-0000-4000-8000-000000000000", &nina)
        .await;
    assert!(
        matches!(missing, Err(GraphError::NotFound(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn the_app_token_source_reads_with_client_credentials() {
    let sim = TestSim::start().await;
    let registration = sim.state.registration.clone();
    let source = AppTokenSource::new(
        &sim.authority(),
        &sim.tenant_id(),
        registration.client_id,
        SecretString::from(registration.client_secret),
    )
    .expect("token source");
    let token = source.token().await.expect("app token");
    let again = source.token().await.expect("cached app token");
    assert_eq!(format!("{token:?}"), format!("{again:?}"));
    let graph = client(&sim, patient());
    let groups = graph
        .groups(&token, Some("mailEnabled eq false"), &["displayName"], None)
        .await
        .expect("groups");
    assert_eq!(groups.value.len(), 3);
    let settings = graph
        .mailbox_settings(&token, "support@contoso.com")
        .await
        .expect("mailbox settings");
    assert_eq!(
        settings.value.user_purpose,
        Some(doorman::graph::model::UserPurpose::Shared)
    );
}

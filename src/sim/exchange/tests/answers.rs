//! Exchange's answers: warnings where it warns, exceptions where it fails, binding errors,
//! endpoints that run only their own cmdlets, throttling and replication lag.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use super::{operator, person};
use crate::sim::graph::FaultsUpdate;
use crate::sim::testing::TestSim;

#[tokio::test]
async fn granting_what_is_granted_and_removing_what_is_not_there_are_warnings() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    // Priya already has Full Access and Send As on Support; Tom has neither.
    let cases = [
        (
            "Add-MailboxPermission",
            json!({"Identity": "support@contoso.com", "User": "priya.nair@contoso.com", "AccessRights": ["FullAccess"], "InheritanceType": "All", "AutoMapping": true}),
            "An existing permission entry was found for user: Priya Nair.",
        ),
        (
            "Remove-MailboxPermission",
            json!({"Identity": "support@contoso.com", "User": "tom.becker@contoso.com", "AccessRights": ["FullAccess"], "InheritanceType": "All", "Confirm": false}),
            "because the ACE doesn't exist on the object",
        ),
        (
            "Add-RecipientPermission",
            json!({"Identity": "support@contoso.com", "Trustee": "priya.nair@contoso.com", "AccessRights": ["SendAs"], "Confirm": false}),
            "The appropriate access control entry is already present",
        ),
        (
            "Remove-RecipientPermission",
            json!({"Identity": "support@contoso.com", "Trustee": "tom.becker@contoso.com", "AccessRights": ["SendAs"], "Confirm": false}),
            "because the ACE doesn't exist on the object",
        ),
    ];
    for (cmdlet, params, warning) in cases {
        let answer = sim.invoke(&token, cmdlet, params).await;
        assert_eq!(answer.status, StatusCode::OK, "{cmdlet}: {}", answer.body);
        assert!(answer.value().is_empty(), "{cmdlet}: {}", answer.body);
        let warnings = answer.warnings();
        assert!(
            warnings.iter().any(|w| w.contains(warning)),
            "{cmdlet}: {warnings:?}"
        );
    }
    let granted = sim
        .invoke(
            &token,
            "Add-MailboxPermission",
            json!({"Identity": "Support", "User": "tom.becker@contoso.com", "AccessRights": ["FullAccess"]}),
        )
        .await;
    assert!(
        granted.warnings().is_empty() && granted.value().len() == 1,
        "{}",
        granted.body
    );
}

#[tokio::test]
async fn list_membership_fails_where_exchange_fails() {
    let sim = TestSim::new();
    let token = person(&sim, "maria.garcia@contoso.com").await;
    let again = sim
        .invoke(
            &token,
            "Add-DistributionGroupMember",
            json!({"Identity": "all-sales", "Member": "maria.garcia@contoso.com"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert_eq!(
        again.exception(),
        "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException"
    );
    let absent = sim
        .invoke(
            &token,
            "Remove-DistributionGroupMember",
            json!({"Identity": "all-sales", "Member": "tom.becker@contoso.com", "Confirm": false}),
        )
        .await;
    assert_eq!(absent.status, StatusCode::BAD_REQUEST, "{}", absent.body);
    assert_eq!(
        absent.exception(),
        "Microsoft.Exchange.Management.Tasks.MemberNotFoundException"
    );
    let unknown = sim
        .invoke(
            &token,
            "Get-DistributionGroupMember",
            json!({"Identity": "no-such-list@contoso.com"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    assert_eq!(
        unknown.exception(),
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    );
    // A Microsoft 365 group is not a distribution group to Exchange's list cmdlets.
    let unified = sim
        .invoke(
            &token,
            "Get-DistributionGroupMember",
            json!({"Identity": "marketing@contoso.com"}),
        )
        .await;
    assert_eq!(unified.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_cmdlets_parameters_and_values_are_refused_as_powershell_refuses_them() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    let cases = [
        ("Get-Mailboxx", json!({}), "CommandNotFoundException"),
        (
            "Get-Mailbox",
            json!({"Identiti": "support@contoso.com"}),
            "ParameterBindingException",
        ),
        (
            "Add-MailboxPermission",
            json!({"Identity": "support@contoso.com", "User": "tom.becker@contoso.com"}),
            "ParameterBindingException",
        ),
        (
            "Add-MailboxPermission",
            json!({"Identity": "support@contoso.com", "User": "tom.becker@contoso.com", "AccessRights": ["SendAs"]}),
            "ParameterBindingException",
        ),
        (
            "Remove-DistributionGroupMember",
            json!({"Identity": "all-sales", "Member": "x@contoso.com", "Confirm": "no"}),
            "ParameterBindingException",
        ),
    ];
    for (cmdlet, params, exception) in cases {
        let answer = sim.invoke(&token, cmdlet, params).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{cmdlet}: {}",
            answer.body
        );
        assert!(
            answer.exception().ends_with(exception),
            "{cmdlet}: {}",
            answer.body
        );
        let message = answer.body["error"]["details"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(
            message.split('|').count(),
            3,
            "Ex code, type and sentence: {message}"
        );
    }
}

#[tokio::test]
async fn a_v2_endpoint_runs_only_its_own_cmdlets_and_parameters() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    let foreign = sim
        .v2(&token, "Mailbox", "Add-MailboxPermission", json!({"Identity": "support@contoso.com", "User": "tom.becker@contoso.com", "AccessRights": ["FullAccess"]}))
        .await;
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST, "{}", foreign.body);
    let address = sim
        .v2(
            &token,
            "Mailbox",
            "Set-Mailbox",
            json!({"Identity": "tom.becker@contoso.com", "WindowsEmailAddress": "tom@contoso.com"}),
        )
        .await;
    assert_eq!(address.status, StatusCode::BAD_REQUEST, "{}", address.body);
    assert!(address.exception().ends_with("ParameterBindingException"));
    let read_only = sim
        .v2(
            &token,
            "DistributionGroupMember",
            "Add-DistributionGroupMember",
            json!({"Identity": "all-sales", "Member": "tom.becker@contoso.com"}),
        )
        .await;
    assert_eq!(read_only.status, StatusCode::BAD_REQUEST);
    let unknown = sim.v2(&token, "Nonsense", "Get-Mailbox", json!({})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let path = format!(
        "/adminapi/v2.0/{}/Mailbox?$select=PrimarySmtpAddress,GrantSendOnBehalfTo",
        sim.state.tenant_id
    );
    let selected = sim
        .exchange(
            &path,
            &token,
            "Get-Mailbox",
            json!({"Identity": "Support"}),
            true,
        )
        .await;
    assert_eq!(
        selected.value(),
        vec![json!({"PrimarySmtpAddress": "support@contoso.com", "GrantSendOnBehalfTo": []})]
    );
    let domains = sim
        .v2(&token, "AcceptedDomain", "Get-AcceptedDomain", json!({}))
        .await;
    assert_eq!(domains.status, StatusCode::OK, "{}", domains.body);
    assert_eq!(domains.value()[0]["DomainName"], "contoso.com");
    assert!(
        domains.body["@odata.context"]
            .as_str()
            .unwrap_or_default()
            .ends_with("$metadata#AcceptedDomain")
    );
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    sim.faults(FaultsUpdate {
        throttle_rate: Some(1.0),
        retry_after_seconds: Some(7),
        ..FaultsUpdate::default()
    });
    let answer = sim
        .invoke(
            &token,
            "Get-Mailbox",
            json!({"Identity": "support@contoso.com"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        answer
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    let log = sim.control("exchange/log").await;
    assert_eq!(log[0]["status"], 429);
}

#[tokio::test]
async fn a_grant_shows_in_reads_only_after_the_lag_and_a_removal_lingers_as_long() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    sim.faults(FaultsUpdate {
        replication_lag_ms: Some(400),
        ..FaultsUpdate::default()
    });
    let grant = json!({"Identity": "sales@contoso.com", "User": "tom.becker@contoso.com", "AccessRights": ["FullAccess"]});
    let read = json!({"Identity": "sales@contoso.com", "User": "tom.becker@contoso.com"});
    assert_eq!(
        sim.invoke(&token, "Add-MailboxPermission", grant.clone())
            .await
            .status,
        StatusCode::OK
    );
    let early = sim
        .invoke(&token, "Get-MailboxPermission", read.clone())
        .await;
    assert!(early.value().is_empty(), "{}", early.body);
    // The write itself sees the truth: granting again warns at once.
    let again = sim
        .invoke(&token, "Add-MailboxPermission", grant.clone())
        .await;
    assert_eq!(again.warnings().len(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let late = sim
        .invoke(&token, "Get-MailboxPermission", read.clone())
        .await;
    assert_eq!(late.value().len(), 1, "{}", late.body);
    let removed = sim.invoke(&token, "Remove-MailboxPermission", grant).await;
    assert!(removed.warnings().is_empty(), "{}", removed.body);
    let lingering = sim
        .invoke(&token, "Get-MailboxPermission", read.clone())
        .await;
    assert_eq!(
        lingering.value().len(),
        1,
        "a removal still shows: {}",
        lingering.body
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let gone = sim.invoke(&token, "Get-MailboxPermission", read).await;
    assert!(gone.value().is_empty(), "{}", gone.body);
}

#[tokio::test]
async fn a_new_member_reaches_exchange_and_graph_reads_after_the_lag() {
    let sim = TestSim::new();
    let token = person(&sim, "maria.garcia@contoso.com").await;
    sim.faults(FaultsUpdate {
        replication_lag_ms: Some(400),
        ..FaultsUpdate::default()
    });
    let added = sim
        .invoke(
            &token,
            "Add-DistributionGroupMember",
            json!({"Identity": "all-sales", "Member": "tom.becker@contoso.com"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK);
    let members = |answer: &crate::sim::testing::Answer| -> Vec<String> {
        answer
            .value()
            .iter()
            .filter_map(|m| m["PrimarySmtpAddress"].as_str().map(str::to_owned))
            .collect()
    };
    let early = sim
        .v2(
            &token,
            "DistributionGroupMember",
            "Get-DistributionGroupMember",
            json!({"Identity": "all-sales"}),
        )
        .await;
    assert_eq!(
        members(&early),
        vec!["maria.garcia@contoso.com"],
        "{}",
        early.body
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let late = sim
        .invoke(
            &token,
            "Get-DistributionGroupMember",
            json!({"Identity": "all-sales"}),
        )
        .await;
    assert_eq!(
        members(&late),
        vec!["maria.garcia@contoso.com", "tom.becker@contoso.com"]
    );
}

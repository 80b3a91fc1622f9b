//! Who may: tokens, permissions, the routing header, and Exchange's role rules.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{OPERATOR, listed, operator, person};
use crate::sim::testing::TestSim;

const EXCHANGE: &str = "https://outlook.office365.com";

#[tokio::test]
async fn an_operator_holding_exchange_recipient_administrator_grants_send_as() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    let answer = sim
        .invoke(
            &token,
            "Add-RecipientPermission",
            json!({"Identity": "support@contoso.com", "Trustee": "tom.becker@contoso.com", "AccessRights": ["SendAs"], "Confirm": false}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.value()[0]["Trustee"], "tom.becker@contoso.com");
    assert_eq!(answer.value()[0]["AccessRights"], json!(["SendAs"]));
    let send_as = listed(&sim, "mailboxes", "Support", "sendAs").await;
    assert!(
        send_as.contains(&"tom.becker@contoso.com".to_owned()),
        "{send_as:?}"
    );
}

#[tokio::test]
async fn a_person_without_an_exchange_role_is_refused_with_403() {
    let sim = TestSim::new();
    let token = person(&sim, "tom.becker@contoso.com").await;
    let answer = sim
        .invoke(
            &token,
            "Add-RecipientPermission",
            json!({"Identity": "support@contoso.com", "Trustee": "tom.becker@contoso.com", "AccessRights": ["SendAs"]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(
        answer.exception().ends_with("CmdletAccessDeniedException"),
        "{}",
        answer.body
    );
    assert!(
        !listed(&sim, "mailboxes", "Support", "sendAs")
            .await
            .contains(&"tom.becker@contoso.com".to_owned())
    );
    let read = sim
        .invoke(
            &token,
            "Get-MailboxPermission",
            json!({"Identity": "support@contoso.com"}),
        )
        .await;
    assert_eq!(
        read.status,
        StatusCode::FORBIDDEN,
        "reads are for admins and the mailbox's own user"
    );
}

#[tokio::test]
async fn a_lists_owner_changes_their_list_and_no_other() {
    let sim = TestSim::new();
    // Maria owns all-sales; Grace owns all-hands.
    let token = person(&sim, "maria.garcia@contoso.com").await;
    let added = sim
        .invoke(
            &token,
            "Add-DistributionGroupMember",
            json!({"Identity": "all-sales@contoso.com", "Member": "tom.becker@contoso.com"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(
        listed(&sim, "groups", "all-sales", "members")
            .await
            .contains(&"tom.becker@contoso.com".to_owned())
    );
    let other = sim
        .invoke(
            &token,
            "Add-DistributionGroupMember",
            json!({"Identity": "all-hands", "Member": "tom.becker@contoso.com"}),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.body);
    assert!(
        other
            .exception()
            .ends_with("OperationRequiresGroupManagerException")
    );
    let bypass = sim
        .invoke(
            &token,
            "Add-DistributionGroupMember",
            json!({"Identity": "all-hands", "Member": "tom.becker@contoso.com", "BypassSecurityGroupManagerCheck": true}),
        )
        .await;
    assert_eq!(
        bypass.status,
        StatusCode::FORBIDDEN,
        "only admins may bypass the manager check"
    );
    assert!(
        !listed(&sim, "groups", "all-hands", "members")
            .await
            .contains(&"tom.becker@contoso.com".to_owned())
    );
}

#[tokio::test]
async fn an_admin_changes_a_list_they_do_not_manage_only_by_bypassing_the_manager_check() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    let params = json!({"Identity": "all-hands", "Member": "tom.becker@contoso.com"});
    let plain = sim
        .invoke(&token, "Add-DistributionGroupMember", params)
        .await;
    assert_eq!(plain.status, StatusCode::FORBIDDEN);
    assert!(
        plain
            .exception()
            .ends_with("OperationRequiresGroupManagerException")
    );
    let bypassing = sim
        .invoke(
            &token,
            "Add-DistributionGroupMember",
            json!({"Identity": "all-hands", "Member": "tom.becker@contoso.com", "BypassSecurityGroupManagerCheck": true}),
        )
        .await;
    assert_eq!(bypassing.status, StatusCode::OK, "{}", bypassing.body);
}

#[tokio::test]
async fn an_app_only_token_reads_and_never_writes() {
    let sim = TestSim::new();
    let app = sim.app_token(EXCHANGE).await;
    let read = sim
        .invoke(
            &app,
            "Get-MailboxPermission",
            json!({"Identity": "support@contoso.com"}),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let write = sim
        .invoke(
            &app,
            "Add-MailboxPermission",
            json!({"Identity": "support@contoso.com", "User": "tom.becker@contoso.com", "AccessRights": ["FullAccess"]}),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "{}", write.body);
    assert!(write.exception().ends_with("CmdletAccessDeniedException"));
    let log = sim.control("exchange/log").await;
    let users: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| &entry["user"])
        .collect();
    assert_eq!(
        users,
        vec!["app", "app"],
        "the log names app-only callers as the Graph log does"
    );
}

#[tokio::test]
async fn each_route_takes_its_own_permission() {
    let sim = TestSim::new();
    let manage = sim
        .exchange_token(OPERATOR, "https://outlook.office365.com/Exchange.Manage")
        .await;
    let v2 = sim
        .exchange_token(OPERATOR, "https://outlook.office365.com/Exchange.ManageV2")
        .await;
    let params = json!({"Identity": "support@contoso.com"});
    let invoke_with_v2 = sim.invoke(&v2, "Get-Mailbox", params.clone()).await;
    assert_eq!(invoke_with_v2.status, StatusCode::FORBIDDEN);
    let v2_with_manage = sim
        .v2(&manage, "Mailbox", "Get-Mailbox", params.clone())
        .await;
    assert_eq!(v2_with_manage.status, StatusCode::FORBIDDEN);
    assert_eq!(
        sim.invoke(&manage, "Get-Mailbox", params.clone())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sim.v2(&v2, "Mailbox", "Get-Mailbox", params).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn graph_and_exchange_each_refuse_the_others_tokens_with_401() {
    let sim = TestSim::new();
    let graph = sim.graph_token(OPERATOR, "User.Read").await;
    let refused = sim
        .invoke(
            &graph,
            "Get-Mailbox",
            json!({"Identity": "support@contoso.com"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert!(refused.headers.contains_key("www-authenticate"));
    let exchange = operator(&sim).await;
    let graph_refuses = sim.graph(&exchange, Method::GET, "/me", None, &[]).await;
    assert_eq!(graph_refuses.status, StatusCode::UNAUTHORIZED);
    let none = sim.invoke("", "Get-Mailbox", json!({})).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_call_without_a_routing_header_is_refused_with_400() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    let path = format!("/adminapi/beta/{}/InvokeCommand", sim.state.tenant_id);
    let answer = sim
        .exchange(
            &path,
            &token,
            "Get-Mailbox",
            json!({"Identity": "support@contoso.com"}),
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("X-AnchorMailbox")
    );
}

#[tokio::test]
async fn people_manage_their_own_calendar_and_inbox_rules_only() {
    let sim = TestSim::new();
    let tom = person(&sim, "tom.becker@contoso.com").await;
    let own = sim
        .v2(
            &tom,
            "MailboxFolderPermission",
            "Add-MailboxFolderPermission",
            json!({"Identity": "tom.becker@contoso.com:\\Calendar", "User": "sarah.chen@contoso.com", "AccessRights": ["Reviewer"]}),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let theirs = sim
        .v2(
            &tom,
            "MailboxFolderPermission",
            "Add-MailboxFolderPermission",
            json!({"Identity": "sarah.chen@contoso.com:\\Calendar", "User": "tom.becker@contoso.com", "AccessRights": ["Editor"]}),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN, "{}", theirs.body);
    let rules = sim
        .invoke(
            &tom,
            "Get-InboxRule",
            json!({"Mailbox": "sarah.chen@contoso.com"}),
        )
        .await;
    assert_eq!(rules.status, StatusCode::FORBIDDEN);
    let mine = sim.invoke(&tom, "Get-InboxRule", json!({})).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
}

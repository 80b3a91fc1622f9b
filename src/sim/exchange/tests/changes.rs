//! What cmdlets change, and where it shows: Graph, `/_sim/state`, `/_sim/exchange/log`.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{OPERATOR, listed, operator, person};
use crate::sim::testing::TestSim;

#[tokio::test]
async fn send_on_behalf_is_added_and_removed_through_the_v2_mailbox_endpoint() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    let change = |verb: &str| json!({"Identity": "support@contoso.com", "GrantSendOnBehalfTo": {"@odata.type": "#Exchange.GenericHashTable", verb: ["tom.becker@contoso.com"]}});
    let added = sim
        .v2(&token, "Mailbox", "Set-Mailbox", change("add"))
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(
        added.warnings().is_empty() && added.value().is_empty(),
        "{}",
        added.body
    );
    assert_eq!(
        listed(&sim, "mailboxes", "Support", "sendOnBehalf").await,
        vec!["tom.becker@contoso.com"]
    );
    let read = sim
        .v2(
            &token,
            "Mailbox",
            "Get-Mailbox",
            json!({"Identity": "support@contoso.com"}),
        )
        .await;
    let mailbox = &read.value()[0];
    assert_eq!(
        mailbox["GrantSendOnBehalfTo"],
        json!(["Tom Becker"]),
        "Exchange names delegates"
    );
    assert_eq!(mailbox["RecipientTypeDetails"], "SharedMailbox");
    assert_eq!(mailbox["PrimarySmtpAddress"], "support@contoso.com");
    let again = sim
        .v2(&token, "Mailbox", "Set-Mailbox", change("add"))
        .await;
    assert!(
        again.warnings()[0].contains("no settings of 'Support' have been modified"),
        "{}",
        again.body
    );
    let removed = sim
        .v2(&token, "Mailbox", "Set-Mailbox", change("remove"))
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert!(
        listed(&sim, "mailboxes", "Support", "sendOnBehalf")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_new_primary_address_keeps_the_old_one_and_graph_follows() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    let set = sim
        .invoke(&token, "Set-Mailbox", json!({"Identity": "tom.becker@contoso.com", "WindowsEmailAddress": "t.becker@contoso.com"}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let graph = sim.graph_token(OPERATOR, "User.Read.All").await;
    let tom = sim
        .graph(
            &graph,
            Method::GET,
            "/users/tom.becker@contoso.com?$select=mail,proxyAddresses",
            None,
            &[],
        )
        .await;
    assert_eq!(tom.body["mail"], "t.becker@contoso.com");
    assert_eq!(
        tom.body["proxyAddresses"],
        json!(["SMTP:t.becker@contoso.com", "smtp:tom.becker@contoso.com"])
    );
    let state = sim.control("state").await;
    let entry = state["users"]
        .as_array()
        .and_then(|users| {
            users
                .iter()
                .find(|user| user["userPrincipalName"] == "tom.becker@contoso.com")
        })
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(entry["proxyAddresses"], tom.body["proxyAddresses"]);
    let taken = sim
        .invoke(&token, "Set-Mailbox", json!({"Identity": "sarah.chen@contoso.com", "WindowsEmailAddress": "tom.becker@contoso.com"}))
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(
        taken.exception().ends_with("ProxyAddressExistsException"),
        "{}",
        taken.body
    );
    let foreign = sim
        .invoke(&token, "Set-Mailbox", json!({"Identity": "sarah.chen@contoso.com", "WindowsEmailAddress": "sarah@fabrikam.com"}))
        .await;
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST);
    assert!(
        foreign.exception().ends_with("DataValidationException"),
        "{}",
        foreign.body
    );
}

#[tokio::test]
async fn managed_by_names_resolve_to_people_with_get_recipient() {
    let sim = TestSim::new();
    let token = operator(&sim).await;
    let list = sim
        .invoke(
            &token,
            "Get-DistributionGroup",
            json!({"Identity": "all-sales@contoso.com"}),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.value()[0]["ManagedBy"], json!(["Maria Garcia"]));
    assert_eq!(
        list.value()[0]["RecipientTypeDetails"],
        "MailUniversalDistributionGroup"
    );
    let maria = sim
        .invoke(&token, "Get-Recipient", json!({"Identity": "Maria Garcia"}))
        .await;
    let found = &maria.value()[0];
    assert_eq!(found["PrimarySmtpAddress"], "maria.garcia@contoso.com");
    assert_eq!(found["RecipientTypeDetails"], "UserMailbox");
    let id = found["ExternalDirectoryObjectId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let by_id = sim
        .invoke(&token, "Get-Recipient", json!({"Identity": id}))
        .await;
    assert_eq!(by_id.value()[0]["Name"], "Maria Garcia");
    let by_alias = sim
        .invoke(&token, "Get-Recipient", json!({"Identity": "support"}))
        .await;
    assert_eq!(by_alias.value()[0]["RecipientTypeDetails"], "SharedMailbox");
}

#[tokio::test]
async fn a_calendar_share_made_through_exchange_is_the_one_graph_serves() {
    let sim = TestSim::new();
    let tom = person(&sim, "tom.becker@contoso.com").await;
    let params = json!({"Identity": "tom.becker@contoso.com:\\Calendar", "User": "sarah.chen@contoso.com", "AccessRights": ["Reviewer"]});
    let added = sim
        .v2(
            &tom,
            "MailboxFolderPermission",
            "Add-MailboxFolderPermission",
            params.clone(),
        )
        .await;
    assert_eq!(
        added.value()[0]["AccessRights"],
        json!(["Reviewer"]),
        "{}",
        added.body
    );
    let twice = sim
        .v2(
            &tom,
            "MailboxFolderPermission",
            "Add-MailboxFolderPermission",
            params,
        )
        .await;
    assert!(
        twice
            .exception()
            .ends_with("UserAlreadyExistsInPermissionEntryException"),
        "{}",
        twice.body
    );
    let graph = sim
        .graph_token("tom.becker@contoso.com", "Calendars.Read")
        .await;
    let shares = sim
        .graph(
            &graph,
            Method::GET,
            "/me/calendar/calendarPermissions",
            None,
            &[],
        )
        .await;
    let sarah = shares.body["value"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|p| p["emailAddress"]["address"] == "sarah.chen@contoso.com")
        })
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(sarah["role"], "read", "{}", shares.body);
    let operator = operator(&sim).await;
    let listed = sim
        .v2(
            &operator,
            "MailboxFolderPermission",
            "Get-MailboxFolderPermission",
            json!({"Identity": "tom.becker@contoso.com:\\Calendar"}),
        )
        .await;
    let users: Vec<(Value, Value)> = listed
        .value()
        .iter()
        .map(|entry| (entry["User"].clone(), entry["AccessRights"][0].clone()))
        .collect();
    assert_eq!(
        users,
        vec![
            (json!("Default"), json!("AvailabilityOnly")),
            (json!("Sarah Chen"), json!("Reviewer")),
            (json!("Anonymous"), json!("None")),
        ]
    );
    let remove =
        json!({"Identity": "tom.becker@contoso.com:\\Calendar", "User": "sarah.chen@contoso.com"});
    let removed = sim
        .v2(
            &operator,
            "MailboxFolderPermission",
            "Remove-MailboxFolderPermission",
            remove.clone(),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let after = sim
        .graph(
            &graph,
            Method::GET,
            "/me/calendar/calendarPermissions",
            None,
            &[],
        )
        .await;
    assert_eq!(
        after.body["value"].as_array().map(Vec::len),
        Some(1),
        "{}",
        after.body
    );
    let again = sim
        .v2(
            &operator,
            "MailboxFolderPermission",
            "Remove-MailboxFolderPermission",
            remove,
        )
        .await;
    assert!(
        again
            .exception()
            .ends_with("UserNotFoundInPermissionEntryException"),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn an_operator_removes_a_forwarding_rule_the_user_made_through_graph() {
    let sim = TestSim::new();
    let graph = sim
        .graph_token("tom.becker@contoso.com", "MailboxSettings.ReadWrite")
        .await;
    let rule = json!({"displayName": "Doorman forward", "sequence": 1, "isEnabled": true, "actions": {"forwardTo": [{"emailAddress": {"address": "sarah.chen@contoso.com"}}]}});
    let made = sim
        .graph(
            &graph,
            Method::POST,
            "/me/mailFolders/inbox/messageRules",
            Some(rule),
            &[],
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let token = operator(&sim).await;
    let rules = sim
        .invoke(
            &token,
            "Get-InboxRule",
            json!({"Mailbox": "tom.becker@contoso.com"}),
        )
        .await;
    assert_eq!(
        rules.value()[0]["Name"],
        "Doorman forward",
        "{}",
        rules.body
    );
    assert_eq!(
        rules.value()[0]["ForwardTo"],
        json!(["\"Sarah Chen\" [SMTP:sarah.chen@contoso.com]"])
    );
    let removed = sim
        .invoke(&token, "Remove-InboxRule", json!({"Mailbox": "tom.becker@contoso.com", "Identity": "Doorman forward", "Confirm": false}))
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let left = sim
        .graph(
            &graph,
            Method::GET,
            "/me/mailFolders/inbox/messageRules",
            None,
            &[],
        )
        .await;
    assert_eq!(left.body["value"], json!([]));
    let gone = sim
        .invoke(
            &token,
            "Remove-InboxRule",
            json!({"Mailbox": "tom.becker@contoso.com", "Identity": "Doorman forward"}),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_log_records_every_call_in_order_and_the_state_shows_exchanges_lists() {
    let sim = TestSim::new();
    let token = person(&sim, "maria.garcia@contoso.com").await;
    let params = json!({"Identity": "all-sales", "Member": "tom.becker@contoso.com"});
    sim.invoke(&token, "Add-DistributionGroupMember", params.clone())
        .await;
    sim.invoke(
        &token,
        "Get-DistributionGroupMember",
        json!({"Identity": "all-sales"}),
    )
    .await;
    let log = sim.control("exchange/log").await;
    let entries = log.as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2);
    let first = entries[0].as_object().cloned().unwrap_or_default();
    for key in ["cmdlet", "parameters", "user", "status", "response"] {
        assert!(first.contains_key(key), "{key} in {first:?}");
    }
    assert_eq!(entries[0]["cmdlet"], "Add-DistributionGroupMember");
    assert_eq!(entries[0]["parameters"], params);
    assert_eq!(entries[0]["user"], "maria.garcia@contoso.com");
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[1]["cmdlet"], "Get-DistributionGroupMember");
    assert_eq!(
        entries[1]["response"]["value"][1]["PrimarySmtpAddress"],
        "tom.becker@contoso.com"
    );
    assert_eq!(
        listed(&sim, "groups", "all-sales", "members").await,
        vec!["maria.garcia@contoso.com", "tom.becker@contoso.com"]
    );
    assert_eq!(
        listed(&sim, "groups", "all-sales", "owners").await,
        vec!["maria.garcia@contoso.com"]
    );
    let support = sim.state_entry("mailboxes", "Support").await;
    for key in ["fullAccess", "sendAs", "sendOnBehalf"] {
        assert!(support[key].is_array(), "{key} in {support}");
    }
}

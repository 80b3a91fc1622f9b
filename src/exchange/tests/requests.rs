//! What goes on the wire for each operation: route, cmdlet, parameters, anchor and headers.

use std::collections::HashSet;

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

use super::support::{
    APP_TOKEN_VALUE, PERSON_TOKEN_VALUE, TENANT, TestResult, answer, any_object, app_token,
    body_json, client_for, header, invoke_path, person_token, received, v2_path,
};
use crate::exchange::{ActingAs, ExchangeClient, ExchangeError, Operation};

const SHARED: &str = "support@contoso.com";
const TOM: &str = "tom.becker@contoso.com";
const LIST: &str = "sales@contoso.com";
const CALENDAR: &str = "tom.becker@contoso.com:\\Calendar";

/// What one call must have sent.
struct Sent {
    operation: Operation,
    path: String,
    parameters: Value,
    anchor: String,
}

fn sent(operation: Operation, path: String, parameters: Value, anchor: &str) -> Sent {
    Sent {
        operation,
        path,
        parameters,
        anchor: anchor.to_owned(),
    }
}

fn system_anchor() -> String {
    format!("APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{TENANT}")
}

/// Every typed method once, in the order of [`expected`]; returns each call's client request id.
async fn call_every_method(client: &ExchangeClient) -> Result<Vec<String>, ExchangeError> {
    let person = person_token();
    let app = app_token();
    let ids = vec![
        client
            .add_full_access(&person, SHARED, TOM)
            .await?
            .client_request_id,
        client
            .remove_full_access(&person, SHARED, TOM)
            .await?
            .client_request_id,
        client
            .full_access_holders(&app, SHARED)
            .await?
            .client_request_id,
        client
            .has_full_access(&app, SHARED, TOM)
            .await?
            .client_request_id,
        client
            .add_send_as(&person, SHARED, TOM)
            .await?
            .client_request_id,
        client
            .remove_send_as(&person, SHARED, TOM)
            .await?
            .client_request_id,
        client
            .send_as_holders(&app, SHARED)
            .await?
            .client_request_id,
        client
            .has_send_as(&app, SHARED, TOM)
            .await?
            .client_request_id,
        client
            .add_send_on_behalf(&person, SHARED, TOM)
            .await?
            .client_request_id,
        client
            .remove_send_on_behalf(&person, SHARED, TOM)
            .await?
            .client_request_id,
        client.get_mailbox(&app, SHARED).await?.client_request_id,
        client
            .get_mailbox(&app, "7c6a1b2d-5e4f-4a3b-9c8d-0e1f2a3b4c5d")
            .await?
            .client_request_id,
        client
            .set_primary_address(&person, TOM, "tom@contoso.com")
            .await?
            .client_request_id,
        client
            .remove_email_address(&person, TOM, "t.becker@contoso.com")
            .await?
            .client_request_id,
        client.accepted_domains(&app).await?.client_request_id,
        client
            .add_list_member(&person, LIST, TOM, ActingAs::Admin)
            .await?
            .client_request_id,
        client
            .add_list_member(&person, LIST, TOM, ActingAs::ListOwner)
            .await?
            .client_request_id,
        client
            .remove_list_member(&person, LIST, TOM, ActingAs::Admin)
            .await?
            .client_request_id,
        client
            .remove_list_member(&person, LIST, TOM, ActingAs::ListOwner)
            .await?
            .client_request_id,
        client.list_members(&app, LIST).await?.client_request_id,
        client.list_owners(&app, LIST).await?.client_request_id,
        client
            .recipient(&app, "Tom Becker")
            .await?
            .client_request_id,
        client
            .folder_permissions(&app, CALENDAR)
            .await?
            .client_request_id,
        client
            .remove_folder_permission(&person, CALENDAR, "jo@contoso.com")
            .await?
            .client_request_id,
        client
            .set_folder_permission(&person, CALENDAR, "jo@contoso.com", "AvailabilityOnly")
            .await?
            .client_request_id,
        client.inbox_rules(&app, TOM).await?.client_request_id,
        client
            .remove_inbox_rule(&person, TOM, "Forward to Jo")
            .await?
            .client_request_id,
    ];
    Ok(ids)
}

fn expected() -> Vec<Sent> {
    let invoke = invoke_path;
    let shared = format!("UPN:{SHARED}");
    let tom = format!("UPN:{TOM}");
    let tenant = system_anchor();
    let full_access = json!({
        "Identity": SHARED, "User": TOM, "AccessRights": ["FullAccess"], "InheritanceType": "All"
    });
    let send_as = json!({
        "Identity": SHARED, "Trustee": TOM, "AccessRights": ["SendAs"], "Confirm": false
    });
    let with = |base: &Value, key: &str, value: Value| {
        let mut extended = base.clone();
        extended[key] = value;
        extended
    };
    vec![
        sent(
            Operation::AddFullAccess,
            invoke(),
            with(&full_access, "AutoMapping", json!(true)),
            &shared,
        ),
        sent(
            Operation::RemoveFullAccess,
            invoke(),
            with(&full_access, "Confirm", json!(false)),
            &shared,
        ),
        sent(
            Operation::ReadFullAccess,
            invoke(),
            json!({"Identity": SHARED}),
            &shared,
        ),
        sent(
            Operation::ReadFullAccess,
            invoke(),
            json!({"Identity": SHARED, "User": TOM}),
            &shared,
        ),
        sent(Operation::AddSendAs, invoke(), send_as.clone(), &shared),
        sent(Operation::RemoveSendAs, invoke(), send_as, &shared),
        sent(
            Operation::ReadSendAs,
            invoke(),
            json!({"Identity": SHARED}),
            &shared,
        ),
        sent(
            Operation::ReadSendAs,
            invoke(),
            json!({"Identity": SHARED, "Trustee": TOM}),
            &shared,
        ),
        sent(
            Operation::AddSendOnBehalf,
            v2_path("Mailbox"),
            json!({"Identity": SHARED, "GrantSendOnBehalfTo": {
                "@odata.type": "#Exchange.GenericHashTable", "add": [TOM]
            }}),
            &shared,
        ),
        sent(
            Operation::RemoveSendOnBehalf,
            v2_path("Mailbox"),
            json!({"Identity": SHARED, "GrantSendOnBehalfTo": {
                "@odata.type": "#Exchange.GenericHashTable", "remove": [TOM]
            }}),
            &shared,
        ),
        sent(
            Operation::ReadMailbox,
            v2_path("Mailbox"),
            json!({"Identity": SHARED}),
            &shared,
        ),
        // A mailbox named by id gives the front end no address to route by.
        sent(
            Operation::ReadMailbox,
            v2_path("Mailbox"),
            json!({"Identity": "7c6a1b2d-5e4f-4a3b-9c8d-0e1f2a3b4c5d"}),
            &tenant,
        ),
        sent(
            Operation::SetPrimaryAddress,
            invoke(),
            json!({"Identity": TOM, "WindowsEmailAddress": "tom@contoso.com"}),
            &tom,
        ),
        sent(
            Operation::RemoveEmailAddress,
            invoke(),
            json!({"Identity": TOM, "EmailAddresses": {"@odata.type": "#Exchange.GenericHashTable", "remove": ["smtp:t.becker@contoso.com"]}}),
            &tom,
        ),
        sent(
            Operation::ReadAcceptedDomains,
            v2_path("AcceptedDomain"),
            json!({}),
            &tenant,
        ),
        sent(
            Operation::AddListMember,
            invoke(),
            json!({"Identity": LIST, "Member": TOM, "BypassSecurityGroupManagerCheck": true}),
            &tenant,
        ),
        sent(
            Operation::AddListMember,
            invoke(),
            json!({"Identity": LIST, "Member": TOM}),
            &tenant,
        ),
        sent(
            Operation::RemoveListMember,
            invoke(),
            json!({"Identity": LIST, "Member": TOM, "BypassSecurityGroupManagerCheck": true,
                   "Confirm": false}),
            &tenant,
        ),
        sent(
            Operation::RemoveListMember,
            invoke(),
            json!({"Identity": LIST, "Member": TOM, "Confirm": false}),
            &tenant,
        ),
        sent(
            Operation::ReadListMembers,
            v2_path("DistributionGroupMember"),
            json!({"Identity": LIST}),
            &tenant,
        ),
        sent(
            Operation::ReadList,
            invoke(),
            json!({"Identity": LIST}),
            &tenant,
        ),
        sent(
            Operation::ReadRecipient,
            invoke(),
            json!({"Identity": "Tom Becker"}),
            &tenant,
        ),
        sent(
            Operation::ReadFolderPermissions,
            v2_path("MailboxFolderPermission"),
            json!({"Identity": CALENDAR}),
            &tom,
        ),
        sent(
            Operation::RemoveFolderPermission,
            v2_path("MailboxFolderPermission"),
            json!({"Identity": CALENDAR, "User": "jo@contoso.com", "Confirm": false}),
            &tom,
        ),
        sent(
            Operation::SetFolderPermission,
            v2_path("MailboxFolderPermission"),
            json!({"Identity": CALENDAR, "User": "jo@contoso.com", "AccessRights": ["AvailabilityOnly"]}),
            &tom,
        ),
        sent(
            Operation::ReadInboxRules,
            invoke(),
            json!({"Mailbox": TOM}),
            &tom,
        ),
        sent(
            Operation::RemoveInboxRule,
            invoke(),
            json!({"Mailbox": TOM, "Identity": "Forward to Jo", "Confirm": false}),
            &tom,
        ),
    ]
}

#[tokio::test]
async fn each_operation_sends_its_cmdlet_parameters_and_anchor_on_its_route() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer(json!([any_object()])))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    call_every_method(&client).await?;
    let requests = received(&server).await;
    let expected = expected();
    assert_eq!(requests.len(), expected.len());
    for (request, expected) in requests.iter().zip(&expected) {
        let cmdlet = expected.operation.cmdlet();
        assert_eq!(request.url.path(), expected.path, "{cmdlet}");
        assert_eq!(
            client.url(expected.operation.route())?.path(),
            expected.path,
            "{cmdlet}: the operation table names the route"
        );
        assert_eq!(
            body_json(request)?,
            json!({"CmdletInput": {"CmdletName": cmdlet, "Parameters": expected.parameters}}),
            "{cmdlet}"
        );
        assert_eq!(
            header(request, "X-AnchorMailbox"),
            Some(expected.anchor.as_str()),
            "{cmdlet}"
        );
    }
    let exercised: HashSet<Operation> = expected.iter().map(|sent| sent.operation).collect();
    for operation in Operation::ALL {
        assert!(
            exercised.contains(&operation),
            "{operation:?} is not tested"
        );
    }
    Ok(())
}

#[tokio::test]
async fn writes_carry_the_person_and_reads_the_given_token_with_json_headers() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer(json!([any_object()])))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    call_every_method(&client).await?;
    let person = format!("Bearer {PERSON_TOKEN_VALUE}");
    let app = format!("Bearer {APP_TOKEN_VALUE}");
    for (request, expected) in received(&server).await.iter().zip(expected()) {
        let bearer = if expected.operation.writes() {
            &person
        } else {
            &app
        };
        let cmdlet = expected.operation.cmdlet();
        assert_eq!(
            header(request, "authorization"),
            Some(bearer.as_str()),
            "{cmdlet}"
        );
        assert_eq!(header(request, "accept"), Some("application/json"));
        assert_eq!(header(request, "content-type"), Some("application/json"));
        let agent = header(request, "user-agent").unwrap_or_default();
        assert_eq!(agent, concat!("doorman/", env!("CARGO_PKG_VERSION")));
    }
    Ok(())
}

#[tokio::test]
async fn each_call_carries_a_fresh_client_request_id_and_returns_it() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer(json!([any_object()])))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let returned = call_every_method(&client).await?;
    let requests = received(&server).await;
    let sent: Vec<&str> = requests
        .iter()
        .filter_map(|request| header(request, "client-request-id"))
        .collect();
    assert_eq!(sent, returned);
    for id in &sent {
        uuid::Uuid::parse_str(id)?;
    }
    let distinct: HashSet<&&str> = sent.iter().collect();
    assert_eq!(
        distinct.len(),
        sent.len(),
        "ids must not repeat across calls"
    );
    Ok(())
}

#[tokio::test]
async fn arguments_that_cannot_name_anything_are_refused_before_sending() -> TestResult {
    let server = MockServer::start().await;
    let client = client_for(&server)?;
    let person = person_token();
    let outcomes = [
        client.add_full_access(&person, " ", TOM).await.map(|_| ()),
        client.remove_send_as(&person, SHARED, "").await.map(|_| ()),
        client
            .add_list_member(&person, LIST, "tom\r\nX-Injected: 1", ActingAs::Admin)
            .await
            .map(|_| ()),
        client
            .remove_folder_permission(&person, "tom.becker@contoso.com", TOM)
            .await
            .map(|_| ()),
        client
            .remove_folder_permission(&person, ":\\Calendar", TOM)
            .await
            .map(|_| ()),
    ];
    for outcome in outcomes {
        assert!(
            matches!(outcome, Err(ExchangeError::InvalidRequest { .. })),
            "{outcome:?}"
        );
    }
    assert!(received(&server).await.is_empty());
    Ok(())
}

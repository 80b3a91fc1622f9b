//! Reading answers: models, warnings, outcomes, paging, and answers that are not what they say.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{
    TestResult, answer, answer_warning, app_token, client_for, cmdlet_error, person_token,
    received, v2_path,
};
use crate::exchange::{ActingAs, ExchangeError, Outcome};

const SHARED: &str = "support@contoso.com";
const TOM: &str = "tom.becker@contoso.com";

#[tokio::test]
async fn full_access_holders_are_explicit_allowing_entries_of_others_as_exchange_named_them()
-> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer_warning(
            json!([
                {"User": "NT AUTHORITY\\SELF", "AccessRights": ["FullAccess", "ReadPermission"],
                 "IsInherited": false, "Deny": false},
                {"User": "CONTOSO\\Organization Management", "AccessRights": ["FullAccess"],
                 "IsInherited": true, "Deny": false},
                {"User": "mallory@contoso.com", "AccessRights": ["FullAccess"],
                 "IsInherited": false, "Deny": true},
                {"User": "reader@contoso.com", "AccessRights": ["ReadPermission"],
                 "IsInherited": false, "Deny": false},
                {"User": "Tom.Becker@contoso.com", "AccessRights": ["FullAccess"],
                 "IsInherited": false, "Deny": false},
                {"User": "Jo Smith", "AccessRights": "FullAccess, ReadPermission",
                 "IsInherited": "False", "Deny": "False"}
            ]),
            &["The mailbox is being moved."],
        ))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let holders = client.full_access_holders(&app_token(), SHARED).await?;
    let users: Vec<&str> = holders
        .value
        .iter()
        .map(|entry| entry.user.as_str())
        .collect();
    assert_eq!(users, ["Tom.Becker@contoso.com", "Jo Smith"]);
    assert_eq!(holders.warnings, ["The mailbox is being moved."]);
    assert!(holders.request_id.is_some());
    assert!(crate::exchange::same_identity(users[0], TOM));
    Ok(())
}

#[tokio::test]
async fn has_full_access_and_send_as_read_only_grants_that_count() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer(json!([
            {"User": TOM, "Trustee": TOM, "AccessRights": ["FullAccess", "SendAs"],
             "IsInherited": true, "Deny": false, "AccessControlType": "Allow"},
            {"User": TOM, "Trustee": TOM, "AccessRights": ["FullAccess", "SendAs"],
             "IsInherited": false, "Deny": true, "AccessControlType": "Deny"}
        ])))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(answer(json!([
            {"User": TOM, "Trustee": TOM, "AccessRights": ["FullAccess", "SendAs"],
             "AccessControlType": "Allow", "IsInherited": false, "Deny": false}
        ])))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let app = app_token();
    assert!(!client.has_full_access(&app, SHARED, TOM).await?.value);
    assert!(!client.has_send_as(&app, SHARED, TOM).await?.value);
    assert!(client.has_full_access(&app, SHARED, TOM).await?.value);
    assert!(client.has_send_as(&app, SHARED, TOM).await?.value);
    // An answer that ignored the filter proves nothing about Tom by someone else's grant; a
    // holder named by name is taken as the filtered user, as Exchange resolved the filter.
    assert!(
        !client
            .has_full_access(&app, SHARED, "jo@contoso.com")
            .await?
            .value
    );
    assert!(
        !client
            .has_send_as(&app, SHARED, "jo@contoso.com")
            .await?
            .value
    );
    Ok(())
}

#[tokio::test]
async fn a_mailbox_is_read_with_its_addresses_and_delegates() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v2_path("Mailbox")))
        .respond_with(answer(json!([{
            "Name": "support",
            "DisplayName": "Support",
            "PrimarySmtpAddress": "support@contoso.com",
            "EmailAddresses": ["SMTP:support@contoso.com", "smtp:help@contoso.com",
                               "SIP:support@contoso.com"],
            "GrantSendOnBehalfTo": ["tom.becker", "Becker, Tom"],
            "RecipientTypeDetails": "SharedMailbox",
            "ExternalDirectoryObjectId": "3d9c1a6e-2b7f-4e0a-8c5d-1f2e3a4b5c6d"
        }])))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let mailbox = client.get_mailbox(&app_token(), SHARED).await?.value;
    assert_eq!(
        mailbox.recipient_type_details.as_deref(),
        Some("SharedMailbox")
    );
    assert_eq!(
        mailbox.smtp_addresses().collect::<Vec<_>>(),
        ["support@contoso.com", "help@contoso.com"]
    );
    assert_eq!(
        mailbox.secondary_smtp_addresses().collect::<Vec<_>>(),
        ["help@contoso.com"]
    );
    assert!(mailbox.holds_address("HELP@contoso.com"));
    assert!(!mailbox.holds_address("sip@contoso.com"));
    assert_eq!(
        mailbox.grant_send_on_behalf_to,
        ["tom.becker", "Becker, Tom"]
    );
    let tom: crate::exchange::Recipient = serde_json::from_value(json!({
        "Name": "Tom.Becker", "DisplayName": "Tom Becker", "PrimarySmtpAddress": TOM,
        "ExternalDirectoryObjectId": ""
    }))?;
    assert_eq!(tom.external_directory_object_id, None);
    assert!(mailbox.grants_send_on_behalf_to(&tom));
    let namesake: crate::exchange::Recipient = serde_json::from_value(json!({
        "Name": "tom.becker2", "DisplayName": "Becker, Tom", "PrimarySmtpAddress": "tb2@contoso.com"
    }))?;
    assert!(
        !mailbox.grants_send_on_behalf_to(&namesake),
        "a shared display name is not the same person"
    );
    Ok(())
}

#[tokio::test]
async fn list_owners_recipients_rules_and_domains_are_read() -> TestResult {
    let server = MockServer::start().await;
    let answers = [
        json!([{"Name": "Sales", "PrimarySmtpAddress": "sales@contoso.com",
                "ManagedBy": ["Tom.Becker", "Jo Smith"]}]),
        json!([{"Name": "Tom.Becker", "DisplayName": "Tom Becker", "PrimarySmtpAddress": TOM,
                "ExternalDirectoryObjectId": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
                "RecipientTypeDetails": "UserMailbox"}]),
        json!([{"Name": "Forward to Jo", "Identity": "tom.becker\\1736287429765169153",
                "RuleIdentity": 1_736_287_429_765_169_153_u64, "Enabled": true,
                "ForwardTo": ["\"Jo Smith\" [SMTP:jo@contoso.com]"]}]),
        json!([{"DomainName": "contoso.com", "DomainType": "Authoritative", "Default": true},
               {"DomainName": "contoso.onmicrosoft.com", "DomainType": "Authoritative",
                "Default": false}]),
    ];
    for (priority, body) in answers.into_iter().enumerate() {
        Mock::given(method("POST"))
            .respond_with(answer(body))
            .up_to_n_times(1)
            .with_priority(u8::try_from(priority + 1)?)
            .mount(&server)
            .await;
    }
    let client = client_for(&server)?;
    let app = app_token();
    assert_eq!(
        client.list_owners(&app, "sales@contoso.com").await?.value,
        ["Tom.Becker", "Jo Smith"]
    );
    let tom = client.recipient(&app, "Tom.Becker").await?.value;
    assert_eq!(
        tom.external_directory_object_id.as_deref(),
        Some("87d349ed-44d7-43e1-9a83-5f2406dee5bd")
    );
    assert!(tom.is_named("tom.becker") && tom.is_named(TOM));
    let rules = client.inbox_rules(&app, TOM).await?.value;
    assert_eq!(
        rules[0].rule_identity.as_deref(),
        Some("1736287429765169153")
    );
    assert_eq!(rules[0].enabled, Some(true));
    let domains = client.accepted_domains(&app).await?.value;
    assert_eq!(domains.len(), 2);
    assert!(domains[0].default && !domains[1].default);
    Ok(())
}

#[tokio::test]
async fn already_there_and_not_there_are_outcomes_whether_warned_or_raised() -> TestResult {
    let server = MockServer::start().await;
    let answers = [
        answer_warning(
            json!([]),
            &[
                "Can't remove the access control entry on the object \"CN=support\" for account \"tom\" because the ACE isn't present.",
            ],
        ),
        answer_warning(
            json!([]),
            &[
                "The appropriate access control entry is already present on object \"support\" for account \"tom\".",
            ],
        ),
        answer_warning(
            json!([]),
            &[
                "The command completed successfully but no settings of 'support' have been modified.",
            ],
        ),
        cmdlet_error(
            400,
            "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
            "The recipient \"tom\" is already a member of the group \"Sales\".",
        ),
        cmdlet_error(
            400,
            "Microsoft.Exchange.Management.Tasks.MemberNotFoundException",
            "Couldn't find object \"tom\". Please make sure that it was spelled correctly or specify a different object.",
        ),
        cmdlet_error(
            400,
            "Microsoft.Exchange.Management.StoreTasks.UserNotFoundInPermissionEntryException",
            "There is no existing permission entry found for user: Jo Smith.",
        ),
        ResponseTemplate::new(204),
        answer(json!([{"Identity": "support", "User": TOM, "AccessRights": ["FullAccess"]}])),
    ];
    for (priority, template) in answers.into_iter().enumerate() {
        Mock::given(method("POST"))
            .respond_with(template)
            .up_to_n_times(1)
            .with_priority(u8::try_from(priority + 1)?)
            .mount(&server)
            .await;
    }
    let client = client_for(&server)?;
    let person = person_token();
    let removed = client.remove_full_access(&person, SHARED, TOM).await?;
    assert_eq!(removed.value, Outcome::NotThere);
    assert_eq!(
        removed.warnings.len(),
        1,
        "the warning stays with the outcome"
    );
    let outcomes = [
        client.add_send_as(&person, SHARED, TOM).await?,
        client.add_send_on_behalf(&person, SHARED, TOM).await?,
        client
            .add_list_member(&person, "sales@contoso.com", TOM, ActingAs::ListOwner)
            .await?,
        client
            .remove_list_member(&person, "sales@contoso.com", TOM, ActingAs::Admin)
            .await?,
        client
            .remove_folder_permission(
                &person,
                "tom.becker@contoso.com:\\Calendar",
                "jo@contoso.com",
            )
            .await?,
        client
            .remove_inbox_rule(&person, TOM, "Forward to Jo")
            .await?,
        client.add_full_access(&person, SHARED, TOM).await?,
    ];
    let values: Vec<Outcome> = outcomes.iter().map(|done| done.value).collect();
    assert_eq!(
        values,
        [
            Outcome::AlreadyThere,
            Outcome::AlreadyThere,
            Outcome::AlreadyThere,
            Outcome::NotThere,
            Outcome::NotThere,
            Outcome::Done,
            Outcome::Done,
        ]
    );
    let sent = received(&server).await;
    for (done, request) in outcomes.iter().zip(&sent[1..]) {
        let header = request
            .headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok());
        assert_eq!(
            Some(done.client_request_id.as_str()),
            header,
            "ids survive the fold"
        );
        assert!(!done.after_uncertain_attempt);
    }
    assert_eq!(
        outcomes[2].request_id.as_deref(),
        Some("9d3c0b7e-failed-request")
    );
    Ok(())
}

#[tokio::test]
async fn list_members_follow_next_links_on_the_same_origin_with_the_same_body() -> TestResult {
    let server = MockServer::start().await;
    let next = format!(
        "{}{}?$skiptoken=2",
        server.uri(),
        v2_path("DistributionGroupMember")
    );
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"Name": "Tom.Becker", "PrimarySmtpAddress": TOM}],
            "@adminapi.warnings": ["first page"],
            "@odata.nextLink": next
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(answer_warning(
            json!([{"Name": "Jo.Smith", "PrimarySmtpAddress": "jo@contoso.com"}]),
            &["second page"],
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let members = client
        .list_members(&app_token(), "sales@contoso.com")
        .await?;
    let names: Vec<&str> = members
        .value
        .iter()
        .map(|member| member.name.as_str())
        .collect();
    assert_eq!(names, ["Tom.Becker", "Jo.Smith"]);
    assert_eq!(members.warnings, ["first page", "second page"]);
    let sent = received(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].url.query(), Some("$skiptoken=2"));
    assert_eq!(sent[0].body, sent[1].body);
    assert_eq!(
        sent[0].headers.get("client-request-id"),
        sent[1].headers.get("client-request-id"),
        "one call, one id"
    );
    Ok(())
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_not_followed() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [],
            "@odata.nextLink": "https://attacker.example/adminapi/v2.0/next"
        })))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let outcome = client.list_members(&app_token(), "sales@contoso.com").await;
    assert!(
        matches!(&outcome, Err(ExchangeError::ForeignNextLink { origin }) if origin == "https://attacker.example"),
        "{outcome:?}"
    );
    assert_eq!(received(&server).await.len(), 1);
    Ok(())
}

#[tokio::test]
async fn answers_that_are_not_the_json_they_claim_are_decode_errors_not_panics() -> TestResult {
    let server = MockServer::start().await;
    let broken = [
        ResponseTemplate::new(200)
            .set_body_string("<html>sign in to continue secret-page-marker</html>"),
        ResponseTemplate::new(200).set_body_json(json!({"@odata.context": "x"})),
        ResponseTemplate::new(200)
            .set_body_json(json!({"value": [{"DisplayName": "secret-value-marker"}]})),
        ResponseTemplate::new(200).set_body_json(json!({"value": []})),
        ResponseTemplate::new(200).set_body_string("{\"value\": [{\"Name\": \"trunc"),
    ];
    for (priority, template) in broken.into_iter().enumerate() {
        Mock::given(method("POST"))
            .respond_with(template)
            .up_to_n_times(1)
            .with_priority(u8::try_from(priority + 1)?)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
        .with_priority(10)
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let app = app_token();
    let outcomes = [
        client
            .list_members(&app, "sales@contoso.com")
            .await
            .map(|_| ()),
        client
            .list_members(&app, "sales@contoso.com")
            .await
            .map(|_| ()),
        client.recipient(&app, "Tom").await.map(|_| ()),
        client.recipient(&app, "Tom").await.map(|_| ()),
        client.get_mailbox(&app, SHARED).await.map(|_| ()),
        client
            .add_full_access(&person_token(), SHARED, TOM)
            .await
            .map(|_| ()),
    ];
    for outcome in outcomes {
        match outcome {
            Err(error @ ExchangeError::Decode(_)) => {
                let shown = format!("{error} {error:?}");
                assert!(!shown.contains("marker"), "answer content leaked: {shown}");
                assert!(error.client_request_id().is_some());
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }
    Ok(())
}

//! What goes on the wire: headers, correlation ids, encoded paths and documented bodies.

use std::collections::HashSet;

use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::support::{
    APP_TOKEN_VALUE, PERSON_TOKEN_VALUE, TestResult, app_token, client_for, fast_policy,
    graph_error, json_answer, person_token, user_body,
};
use crate::graph::{DriveRole, InviteRecipient, TeamRole, TemporaryAccessPassUse};

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
}

fn body_json(request: &Request) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_slice(&request.body)
}

#[tokio::test]
async fn every_request_carries_the_token_correlation_and_accept_headers() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_answer(user_body("u1")))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let person = person_token();
    let app = app_token();
    let answer = client.user(&app, "u1", &["department"]).await?;
    assert_eq!(
        answer.request_id.as_deref(),
        Some("11111111-aaaa-bbbb-cccc-000000000001")
    );
    client.me(&person).await?;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 2);
    let app_bearer = format!("Bearer {APP_TOKEN_VALUE}");
    let person_bearer = format!("Bearer {PERSON_TOKEN_VALUE}");
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(app_bearer.as_str())
    );
    assert_eq!(
        header(&requests[1], "authorization"),
        Some(person_bearer.as_str())
    );
    assert_eq!(requests[0].url.query(), Some("$select=id,department"));
    for request in &requests {
        assert_eq!(header(request, "accept"), Some("application/json"));
        assert_eq!(header(request, "ConsistencyLevel"), None);
        let agent = header(request, "user-agent").unwrap_or_default();
        assert_eq!(agent, concat!("doorman/", env!("CARGO_PKG_VERSION")));
    }
    Ok(())
}

#[tokio::test]
async fn client_request_id_is_a_fresh_uuid_per_attempt_and_call() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(graph_error(503, "serviceNotAvailable", "busy", "b"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json_answer(user_body("u1")))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    client.me(&person_token()).await?;
    client.me(&person_token()).await?;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 4);
    let mut seen = HashSet::new();
    for request in &requests {
        let id = header(request, "client-request-id").unwrap_or_default();
        let parsed = uuid::Uuid::parse_str(id)?;
        assert_eq!(parsed.get_version_num(), 4);
        assert!(
            seen.insert(id.to_owned()),
            "client-request-id {id} was reused"
        );
    }
    Ok(())
}

#[tokio::test]
async fn channel_ids_and_guest_upns_are_percent_encoded_in_paths() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_answer(json!({ "id": "x", "value": [] })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let token = person_token();
    client.channel(&token, "t1", "19:abc@thread.tacv2").await?;
    client
        .user(
            &token,
            "adele_contoso.com#EXT#@fabrikam.onmicrosoft.com",
            &[],
        )
        .await?;
    client
        .site_by_path(&token, "contoso.sharepoint.com", "/sites/Finance Team")
        .await?;
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|request| request.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        vec![
            "/v1.0/teams/t1/channels/19%3Aabc%40thread.tacv2",
            "/v1.0/users/adele_contoso.com%23EXT%23%40fabrikam.onmicrosoft.com",
            "/v1.0/sites/contoso.sharepoint.com:/sites/Finance%20Team",
        ]
    );
    Ok(())
}

#[tokio::test]
async fn group_membership_changes_use_documented_ref_requests() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/groups/g1/members/$ref"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1.0/groups/g1/members/u1/$ref"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let token = person_token();
    client.add_member(&token, "g1", "u1").await?;
    client.remove_member(&token, "g1", "u1").await?;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        body_json(&requests[0])?,
        json!({ "@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/u1" })
    );
    assert_eq!(
        header(&requests[0], "content-type"),
        Some("application/json")
    );
    assert!(requests[1].body.is_empty());
    Ok(())
}

#[tokio::test]
async fn team_member_add_sends_an_aad_user_conversation_member() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "id": "bWVtYmVyc2hpcA==", "roles": ["owner"], "userId": "u1"
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let member = client
        .add_team_member(&person_token(), "t1", "u1", TeamRole::Owner)
        .await?;
    assert!(member.value.is_owner());
    client
        .add_channel_member(
            &person_token(),
            "t1",
            "19:c@thread.tacv2",
            "o'neil@contoso.com",
            TeamRole::Member,
        )
        .await?;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        body_json(&requests[0])?,
        json!({
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "roles": ["owner"],
            "user@odata.bind": "https://graph.microsoft.com/v1.0/users('u1')"
        })
    );
    assert_eq!(
        body_json(&requests[1])?["user@odata.bind"],
        json!("https://graph.microsoft.com/v1.0/users('o''neil@contoso.com')")
    );
    assert_eq!(body_json(&requests[1])?["roles"], json!([]));
    Ok(())
}

#[tokio::test]
async fn sharing_invite_requires_sign_in_and_sends_no_mail() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/drives/d1/items/i1/invite"))
        .respond_with(json_answer(
            json!({ "value": [{ "id": "p1", "roles": ["write"] }] }),
        ))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let recipients = [InviteRecipient::Email("sam@contoso.com".to_owned())];
    let permissions = client
        .invite(
            &person_token(),
            "d1",
            "i1",
            &recipients,
            DriveRole::Write,
            Some("R-1042"),
        )
        .await?;
    assert_eq!(permissions.value.len(), 1);
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        body_json(&requests[0])?,
        json!({
            "recipients": [{ "email": "sam@contoso.com" }],
            "roles": ["write"],
            "requireSignIn": true,
            "sendInvitation": false,
            "message": "R-1042"
        })
    );
    Ok(())
}

#[tokio::test]
async fn password_reset_returns_the_operation_location_and_a_secret_password() -> TestResult {
    let server = MockServer::start().await;
    let location = "https://graph.microsoft.com/v1.0/users/u1/authentication/operations/op1";
    Mock::given(method("POST"))
        .and(path(
            "/v1.0/users/u1/authentication/methods/28c10230-6103-485e-b985-444c60001490/resetPassword",
        ))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Location", location)
                .insert_header("request-id", "reset-id")
                .set_body_json(json!({ "newPassword": "Cuyo5459" })),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let reset = client
        .reset_password(
            &person_token(),
            "u1",
            crate::graph::auth_methods::PASSWORD_METHOD_ID,
            None,
        )
        .await?;
    assert_eq!(reset.value.operation_location.as_deref(), Some(location));
    assert_eq!(
        reset
            .value
            .new_password
            .as_ref()
            .map(|secret| secret.expose_secret()),
        Some("Cuyo5459")
    );
    assert!(!format!("{reset:?}").contains("Cuyo5459"));
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(body_json(&requests[0])?, json!({}));
    Ok(())
}

#[tokio::test]
async fn temporary_access_pass_is_validated_and_kept_secret() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            "id": "6f1967b7-15e8-4935-ac26-d50770ed07a7",
            "temporaryAccessPass": "+drkzqAD",
            "lifetimeInMinutes": 60,
            "isUsableOnce": true
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let token = person_token();
    let too_short = client
        .create_temporary_access_pass(&token, "u1", 5, TemporaryAccessPassUse::Once)
        .await;
    assert!(too_short.is_err());
    let pass = client
        .create_temporary_access_pass(&token, "u1", 60, TemporaryAccessPassUse::Once)
        .await?;
    assert!(!format!("{pass:?}").contains("+drkzqAD"));
    let revealed = pass
        .value
        .temporary_access_pass
        .as_ref()
        .map(|secret| secret.expose_secret());
    assert_eq!(revealed, Some("+drkzqAD"));
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        requests.len(),
        1,
        "an invalid lifetime must not reach graph"
    );
    assert_eq!(
        body_json(&requests[0])?,
        json!({ "lifetimeInMinutes": 60, "isUsableOnce": true })
    );
    Ok(())
}

#[tokio::test]
async fn session_revocation_accepts_any_success_answer() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u1/revokeSignInSessions"))
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u1/revokeSignInSessions"))
        .respond_with(json_answer(json!({ "value": true })))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    client
        .revoke_sign_in_sessions(&person_token(), "u1")
        .await?;
    client
        .revoke_sign_in_sessions(&person_token(), "u1")
        .await?;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(header(&requests[0], "content-length"), Some("0"));
    Ok(())
}

#[tokio::test]
async fn group_search_sends_eventual_consistency_and_a_quoted_term() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_answer(json!({ "value": [] })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    client.search_groups(&app_token(), "fin\" OR \"x").await?;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(header(&requests[0], "ConsistencyLevel"), Some("eventual"));
    assert_eq!(
        requests[0].url.query(),
        Some("$search=%22displayName:fin%20OR%20x%22")
    );
    Ok(())
}

#[tokio::test]
async fn user_listing_filters_and_selects_and_user_purpose_reads_the_bare_value() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(json_answer(json!({
            "value": [{"id": "m1", "displayName": "Support", "accountEnabled": false}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/m1/mailboxSettings/userPurpose"))
        .respond_with(json_answer(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('m1')/mailboxSettings/userPurpose",
            "value": "shared"
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let app = app_token();
    let disabled = client
        .users(
            &app,
            Some("accountEnabled eq false"),
            &["displayName", "accountEnabled"],
            Some(5000),
        )
        .await?;
    assert_eq!(disabled.value.len(), 1);
    assert_eq!(disabled.value[0].account_enabled, Some(false));
    let purpose = client.user_purpose(&app, "m1").await?;
    assert_eq!(purpose.value, crate::graph::model::UserPurpose::Shared);
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        requests[0].url.query(),
        Some("$filter=accountEnabled%20eq%20false&$select=id,displayName,accountEnabled&$top=999"),
        "the page size is capped at Graph's largest"
    );
    Ok(())
}

#[tokio::test]
async fn invalid_ids_are_refused_before_anything_is_sent() -> TestResult {
    let server = MockServer::start().await;
    let client = client_for(&server, fast_policy())?;
    let token = person_token();
    assert!(client.remove_member(&token, "g1", "..").await.is_err());
    assert!(client.remove_member(&token, "g1", "").await.is_err());
    assert!(
        client
            .invite(&token, "d1", "i1", &[], DriveRole::Read, None)
            .await
            .is_err()
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    Ok(())
}

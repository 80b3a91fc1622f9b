//! Error mapping: statuses and codes, the duplicate-add case, request ids, and secrecy.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{
    PERSON_TOKEN_VALUE, TestResult, client_for, fast_policy, graph_error, person_token,
};
use crate::graph::{GraphError, Graphed};

async fn request_count(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map_or(0, |requests| requests.len())
}

#[tokio::test]
async fn not_found_is_not_retried_and_maps_to_not_found() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(graph_error(
            404,
            "Request_ResourceNotFound",
            "Resource 'g1' does not exist or one of its queried reference-property objects are not present.",
            "nf-id",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let outcome = client.group(&person_token(), "g1").await;
    match outcome {
        Err(GraphError::NotFound(failure)) => {
            assert_eq!(failure.status, Some(404));
            assert_eq!(failure.code.as_deref(), Some("Request_ResourceNotFound"));
            assert_eq!(failure.request_id.as_deref(), Some("nf-id"));
            assert!(failure.client_request_id.is_some());
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(request_count(&server).await, 1);
    Ok(())
}

#[tokio::test]
async fn forbidden_is_not_retried_and_maps_to_forbidden() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(graph_error(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            "denied-id",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let outcome = client.add_member(&person_token(), "g1", "u1").await;
    assert!(
        matches!(&outcome, Err(GraphError::Forbidden(_))),
        "{outcome:?}"
    );
    if let Err(error) = outcome {
        assert_eq!(error.code(), Some("Authorization_RequestDenied"));
        assert_eq!(error.request_id(), Some("denied-id"));
        assert!(!error.is_transient());
    }
    assert_eq!(request_count(&server).await, 1);
    Ok(())
}

#[tokio::test]
async fn duplicate_member_add_maps_to_already_exists() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/groups/g1/members/$ref"))
        .respond_with(graph_error(
            400,
            "Request_BadRequest",
            "One or more added object references already exist for the following modified properties: 'members'.",
            "dup-id",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let outcome = client.add_member(&person_token(), "g1", "u1").await;
    assert!(
        matches!(outcome, Err(GraphError::AlreadyExists(_))),
        "{outcome:?}"
    );
    Ok(())
}

#[tokio::test]
async fn other_bad_requests_and_conflicts_map_by_status() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/groups/g1/members/$ref"))
        .respond_with(graph_error(
            400,
            "Request_BadRequest",
            "Invalid object identifier 'u1'.",
            "bad-id",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/teams/t1/members"))
        .respond_with(graph_error(
            409,
            "Conflict",
            "already a member",
            "conflict-id",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(graph_error(
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
            "expired-id",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let token = person_token();
    let bad = client.add_member(&token, "g1", "u1").await;
    assert!(matches!(bad, Err(GraphError::BadRequest(_))), "{bad:?}");
    let conflict = client
        .add_team_member(&token, "t1", "u1", crate::graph::TeamRole::Member)
        .await;
    assert!(
        matches!(conflict, Err(GraphError::AlreadyExists(_))),
        "{conflict:?}"
    );
    let expired = client.me(&token).await;
    assert!(
        matches!(expired, Err(GraphError::Unauthorized(_))),
        "{expired:?}"
    );
    Ok(())
}

#[tokio::test]
async fn missing_manager_is_none_with_its_request_id() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1/manager"))
        .respond_with(graph_error(
            404,
            "Request_ResourceNotFound",
            "Resource 'manager' does not exist or one of its queried reference-property objects are not present.",
            "no-manager-id",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let manager = client.manager(&person_token(), "u1").await?;
    assert_eq!(
        manager,
        Graphed {
            value: None,
            request_id: Some("no-manager-id".to_owned())
        }
    );
    Ok(())
}

#[tokio::test]
async fn request_id_comes_from_the_error_body_when_the_header_is_missing() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "error": {
                "code": "itemNotFound",
                "message": "The resource could not be found.",
                "innererror": { "request-id": "body-request-id" }
            }
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let outcome = client.drive_root(&person_token(), "d1").await;
    match outcome {
        Err(error) => assert_eq!(error.request_id(), Some("body-request-id")),
        Ok(answer) => panic!("expected an error, got {answer:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn error_without_graph_body_still_maps_by_status() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(418).set_body_string("<html>teapot</html>"))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let outcome = client.me(&person_token()).await;
    match outcome {
        Err(GraphError::Other { status, failure }) => {
            assert_eq!(status, 418);
            assert_eq!(failure.code, None);
        }
        other => panic!("expected Other, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn errors_never_show_the_token() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(graph_error(
            401,
            "InvalidAuthenticationToken",
            "Access token validation failure.",
            "auth-id",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let token = person_token();
    let unauthorized = client.me(&token).await;
    let unreachable = crate::graph::GraphClient::new(
        url::Url::parse("http://127.0.0.1:9/v1.0")?,
        crate::graph::RetryPolicy {
            max_attempts: 1,
            ..fast_policy()
        },
    )?
    .me(&token)
    .await;
    for outcome in [unauthorized, unreachable] {
        let error = match outcome {
            Err(error) => error,
            Ok(answer) => panic!("expected an error, got {answer:?}"),
        };
        assert!(!format!("{error:?}").contains(PERSON_TOKEN_VALUE));
        assert!(!format!("{error}").contains(PERSON_TOKEN_VALUE));
        let message = error.to_string();
        assert_eq!(message, message.trim_end_matches('.'));
    }
    Ok(())
}

#[test]
fn tokens_debug_as_placeholders() {
    let person = person_token();
    let app = super::support::app_token();
    assert_eq!(format!("{person:?}"), "DelegatedToken(..)");
    assert_eq!(format!("{app:?}"), "AppToken(..)");
    let bearer = crate::graph::Bearer::from(&app);
    assert!(!format!("{bearer:?}").contains(super::support::APP_TOKEN_VALUE));
    assert_eq!(bearer.kind_name(), "app");
}

//! A person's latest sign-ins: one page, filtered by object id, newest first; a refusal stays a
//! typed 403 the caller can read as "no sign-in logs".

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use super::support::{TestResult, app_token, client_for, fast_policy, graph_error, json_answer};
use crate::graph::GraphError;
use crate::graph::sign_ins::CODE_NON_PREMIUM_TENANT;

const USER: &str = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0";

#[tokio::test]
async fn sign_ins_asks_for_one_users_latest_page_and_does_not_follow_next_links() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/auditLogs/signIns"))
        .respond_with(json_answer(json!({
            "@odata.nextLink": format!("{}/v1.0/auditLogs/signIns?$skiptoken=abc", server.uri()),
            "value": [
                {"id": "s2", "createdDateTime": "2026-01-13T09:02:41Z",
                 "status": {"errorCode": 50053, "failureReason": "Account is locked"},
                 "conditionalAccessStatus": "notApplied", "appliedConditionalAccessPolicies": []},
                {"id": "s1", "createdDateTime": "2026-01-12T08:58:04Z", "status": {"errorCode": 0}}
            ]
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let answer = client.sign_ins(&app_token(), USER, 5_000).await?;
    let codes: Vec<i64> = answer
        .value
        .iter()
        .map(|sign_in| sign_in.status.error_code)
        .collect();
    assert_eq!(codes, vec![50053, 0]);
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "one page only");
    let pairs: Vec<(String, String)> = requests[0]
        .url
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let expected = [
        ("$filter", format!("userId eq '{USER}'")),
        ("$top", "1000".to_owned()),
        ("$orderby", "createdDateTime desc".to_owned()),
    ]
    .map(|(name, value)| (name.to_owned(), value));
    assert_eq!(pairs, expected);
    Ok(())
}

#[tokio::test]
async fn a_tenant_without_sign_in_logs_is_a_typed_refusal() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(graph_error(
            403,
            CODE_NON_PREMIUM_TENANT,
            "Neither tenant is B2C or tenant doesn't have premium license",
            "r403",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    match client.sign_ins(&app_token(), USER, 10).await {
        Err(error @ GraphError::Forbidden(_)) => {
            assert_eq!(error.code(), Some(CODE_NON_PREMIUM_TENANT));
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn an_id_that_is_not_a_guid_is_refused_before_anything_is_sent() -> TestResult {
    let server = MockServer::start().await;
    let client = client_for(&server, fast_policy())?;
    for id in ["jordan.lee@contoso.com", "x' or userId ne '"] {
        let refused = client.sign_ins(&app_token(), id, 10).await;
        assert!(
            matches!(refused, Err(GraphError::InvalidRequest { .. })),
            "{refused:?}"
        );
    }
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    Ok(())
}

//! Paging: following `@odata.nextLink` verbatim, refusing other origins, the page limit.

use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer};

use super::support::{TestResult, client_for, fast_policy, json_answer, person_token};
use crate::graph::GraphError;

fn member(id: &str) -> serde_json::Value {
    json!({ "@odata.type": "#microsoft.graph.user", "id": id, "displayName": id })
}

#[tokio::test]
async fn paging_follows_next_links_until_absent() -> TestResult {
    let server = MockServer::start().await;
    let members_url = format!("{}/v1.0/groups/g1/members", server.uri());
    Mock::given(method("GET"))
        .and(path("/v1.0/groups/g1/members"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(json_answer(json!({
            "value": [member("u1"), member("u2")],
            "@odata.nextLink": format!("{members_url}?$skiptoken=RFNwdAIAAQAAAA")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/groups/g1/members"))
        .and(query_param("$skiptoken", "RFNwdAIAAQAAAA"))
        .respond_with(json_answer(json!({
            "value": [member("u3")],
            "@odata.nextLink": format!("{members_url}?$skiptoken=second")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/groups/g1/members"))
        .and(query_param("$skiptoken", "second"))
        .respond_with(json_answer(json!({ "value": [member("u4")] })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let members = client.members(&person_token(), "g1").await?;
    let ids: Vec<&str> = members.value.iter().map(|object| object.id()).collect();
    assert_eq!(ids, vec!["u1", "u2", "u3", "u4"]);
    assert_eq!(
        members.request_id.as_deref(),
        Some("11111111-aaaa-bbbb-cccc-000000000001")
    );
    Ok(())
}

#[tokio::test]
async fn paging_keeps_eventual_consistency_on_every_page() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/groups"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(json_answer(json!({
            "value": [{ "id": "g1" }],
            "@odata.nextLink": format!("{}/v1.0/groups?$search=%22displayName:fin%22&$skiptoken=x", server.uri())
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/groups"))
        .and(query_param("$skiptoken", "x"))
        .respond_with(json_answer(json!({ "value": [{ "id": "g2" }] })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let groups = client.search_groups(&person_token(), "fin").await?;
    assert_eq!(groups.value.len(), 2);
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 2);
    for request in requests {
        let consistency = request
            .headers
            .get("ConsistencyLevel")
            .and_then(|value| value.to_str().ok());
        assert_eq!(consistency, Some("eventual"));
    }
    Ok(())
}

#[tokio::test]
async fn paging_refuses_a_next_link_to_another_host() -> TestResult {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_answer(json!({
            "value": [member("u1")],
            "@odata.nextLink": format!("{}/v1.0/groups/g1/members?$skiptoken=steal", elsewhere.uri())
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let outcome = client.members(&person_token(), "g1").await;
    assert!(
        matches!(outcome, Err(GraphError::ForeignNextLink { .. })),
        "{outcome:?}"
    );
    let stolen = elsewhere.received_requests().await.unwrap_or_default();
    assert!(
        stolen.is_empty(),
        "the token must never reach another origin"
    );
    Ok(())
}

#[tokio::test]
async fn paging_refuses_a_next_link_that_changes_scheme() -> TestResult {
    let server = MockServer::start().await;
    let https_link = server.uri().replacen("http://", "https://", 1);
    Mock::given(method("GET"))
        .respond_with(json_answer(json!({
            "value": [],
            "@odata.nextLink": format!("{https_link}/v1.0/groups?$skiptoken=x")
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let outcome = client.groups(&person_token(), None, &[], None).await;
    assert!(matches!(outcome, Err(GraphError::ForeignNextLink { .. })));
    Ok(())
}

#[tokio::test]
async fn paging_stops_at_the_page_limit() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_answer(json!({
            "value": [member("u1")],
            "@odata.nextLink": format!("{}/v1.0/groups/g1/members?$skiptoken=loop", server.uri())
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?.with_page_limit(5);
    let outcome = client.members(&person_token(), "g1").await;
    assert!(
        matches!(outcome, Err(GraphError::TooManyPages { pages: 5 })),
        "{outcome:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        5
    );
    Ok(())
}

//! Retries: throttling, 5xx, timeouts and the time budget.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::support::{
    TestResult, client_for, fast_policy, graph_error, json_answer, person_token, user_body,
};
use crate::graph::{GraphClient, GraphError, RetryPolicy};

/// Answers 429 to about 30% of requests (seeded, so every run throttles the same requests).
struct ThrottlesThirtyPercent {
    random: Mutex<StdRng>,
    throttled: AtomicUsize,
}

impl Respond for ThrottlesThirtyPercent {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let throttle = match self.random.lock() {
            Ok(mut random) => random.random_bool(0.3),
            Err(_) => false,
        };
        if throttle {
            self.throttled.fetch_add(1, Ordering::SeqCst);
            return graph_error(429, "TooManyRequests", "Too many requests", "throttle-id")
                .insert_header("Retry-After", "0");
        }
        json_answer(user_body("87d349ed-44d7-43e1-9a83-5f2406dee5bd"))
    }
}

async fn request_count(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map_or(0, |requests| requests.len())
}

#[tokio::test]
async fn throttled_call_waits_for_retry_after_then_succeeds() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me"))
        .respond_with(
            graph_error(429, "TooManyRequests", "Too many requests", "throttled-1")
                .insert_header("Retry-After", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me"))
        .respond_with(json_answer(user_body("u1")))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let started = Instant::now();
    let me = client.me(&person_token()).await?;
    assert_eq!(me.value.id, "u1");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 must be waited out, waited {:?}",
        started.elapsed()
    );
    assert_eq!(request_count(&server).await, 2);
    Ok(())
}

#[tokio::test]
async fn service_unavailable_and_gateway_timeout_are_retried() -> TestResult {
    let server = MockServer::start().await;
    for (priority, status) in [(1_u8, 503_u16), (2, 504)] {
        Mock::given(method("GET"))
            .respond_with(graph_error(
                status,
                "serviceNotAvailable",
                "try later",
                "busy",
            ))
            .up_to_n_times(1)
            .with_priority(priority)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .respond_with(json_answer(user_body("u1")))
        .with_priority(3)
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let user = client.user(&person_token(), "u1", &[]).await?;
    assert_eq!(user.value.id, "u1");
    assert_eq!(request_count(&server).await, 3);
    Ok(())
}

#[tokio::test]
async fn calls_complete_when_a_third_of_requests_are_throttled() -> TestResult {
    let server = MockServer::start().await;
    let responder = ThrottlesThirtyPercent {
        random: Mutex::new(StdRng::seed_from_u64(20_260_820)),
        throttled: AtomicUsize::new(0),
    };
    Mock::given(method("GET"))
        .respond_with(responder)
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let token = person_token();
    for _ in 0..40 {
        client
            .user(&token, "87d349ed-44d7-43e1-9a83-5f2406dee5bd", &[])
            .await?;
    }
    let requests = request_count(&server).await;
    assert!(
        requests > 40,
        "some calls must have been throttled and retried"
    );
    Ok(())
}

#[tokio::test]
async fn always_unavailable_service_gives_up_within_budget_as_transient() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(graph_error(503, "serviceNotAvailable", "down", "down-id"))
        .mount(&server)
        .await;
    let policy = RetryPolicy {
        max_attempts: 1_000,
        max_elapsed: Duration::from_millis(300),
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
    };
    let client = client_for(&server, policy)?;
    let started = Instant::now();
    let outcome = client.user(&person_token(), "u1", &[]).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(&outcome, Err(GraphError::Transient(_))),
        "{outcome:?}"
    );
    assert!(
        elapsed < Duration::from_millis(600),
        "gave up after {elapsed:?}"
    );
    assert!(request_count(&server).await > 1);
    if let Err(error) = outcome {
        assert!(error.is_transient());
        assert_eq!(error.request_id(), Some("down-id"));
    }
    Ok(())
}

#[tokio::test]
async fn retry_after_beyond_the_budget_gives_up_at_once_as_throttled() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            graph_error(429, "TooManyRequests", "slow down", "slow-id")
                .insert_header("Retry-After", "120"),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let started = Instant::now();
    let outcome = client.me(&person_token()).await;
    assert!(started.elapsed() < Duration::from_secs(1));
    match outcome {
        Err(GraphError::Throttled {
            retry_after,
            failure,
        }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
            assert_eq!(failure.request_id.as_deref(), Some("slow-id"));
        }
        other => panic!("expected Throttled, got {other:?}"),
    }
    assert_eq!(request_count(&server).await, 1);
    Ok(())
}

#[tokio::test]
async fn attempts_run_out_before_the_time_budget() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(graph_error(504, "gatewayTimeout", "timeout", "gw"))
        .mount(&server)
        .await;
    let policy = RetryPolicy {
        max_attempts: 3,
        ..fast_policy()
    };
    let client = client_for(&server, policy)?;
    let outcome = client.me(&person_token()).await;
    assert!(matches!(outcome, Err(GraphError::Transient(_))));
    assert_eq!(request_count(&server).await, 3);
    Ok(())
}

#[tokio::test]
async fn timed_out_read_is_retried() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_answer(user_body("slow")).set_delay(Duration::from_millis(800)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json_answer(user_body("fast")))
        .with_priority(2)
        .mount(&server)
        .await;
    let client =
        client_for(&server, fast_policy())?.with_request_timeout(Duration::from_millis(150));
    let user = client.user(&person_token(), "u1", &[]).await?;
    assert_eq!(user.value.id, "fast");
    assert_eq!(request_count(&server).await, 2);
    Ok(())
}

#[tokio::test]
async fn timed_out_create_is_not_replayed() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    let client =
        client_for(&server, fast_policy())?.with_request_timeout(Duration::from_millis(150));
    let outcome = client
        .create_forward_rule(&person_token(), "Forward to Jo", "jo@contoso.com")
        .await;
    assert!(
        matches!(outcome, Err(GraphError::Transient(_))),
        "{outcome:?}"
    );
    assert_eq!(
        request_count(&server).await,
        1,
        "a second inbox rule could be created"
    );
    Ok(())
}

#[tokio::test]
async fn throttled_create_is_retried_because_graph_did_not_carry_it_out() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            graph_error(429, "TooManyRequests", "slow down", "t").insert_header("Retry-After", "0"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "id": "AQAAAJ5dZqA=", "displayName": "Forward to Jo", "sequence": 1
        })))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let rule = client
        .create_forward_rule(&person_token(), "Forward to Jo", "jo@contoso.com")
        .await?;
    assert_eq!(rule.value.id, "AQAAAJ5dZqA=");
    assert_eq!(request_count(&server).await, 2);
    Ok(())
}

#[tokio::test]
async fn unreachable_graph_gives_up_within_budget_as_network_error() -> TestResult {
    // Bind and drop a listener so the port is known to be closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    drop(listener);
    let policy = RetryPolicy {
        max_elapsed: Duration::from_millis(500),
        ..fast_policy()
    };
    let client = GraphClient::new(
        url::Url::parse(&format!("http://127.0.0.1:{port}/v1.0"))?,
        policy,
    )?;
    let started = Instant::now();
    let outcome = client.me(&person_token()).await;
    assert!(
        matches!(outcome, Err(GraphError::Network(_))),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    Ok(())
}

/// The duplicate-member answer Graph gives a `$ref` add.
fn already_a_member() -> ResponseTemplate {
    graph_error(
        400,
        "Request_BadRequest",
        "One or more added object references already exist for the following modified properties: 'members'.",
        "dup-id",
    )
}

#[tokio::test]
async fn already_exists_on_the_first_attempt_is_first_hand() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(already_a_member())
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let outcome = client.add_member(&person_token(), "g1", "u1").await;
    match outcome {
        Err(error @ GraphError::AlreadyExists(_)) => {
            assert!(error.is_first_hand(), "nothing of ours could have made it");
        }
        other => panic!("expected already exists: {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn already_exists_after_an_attempt_that_may_have_been_carried_out_is_not_first_hand()
-> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(graph_error(504, "gatewayTimeout", "no answer in time", "t"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(already_a_member())
        .with_priority(2)
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let outcome = client.add_member(&person_token(), "g1", "u1").await;
    match outcome {
        Err(error @ GraphError::AlreadyExists(_)) => {
            assert!(!error.is_first_hand(), "the 504'd attempt may have made it");
        }
        other => panic!("expected already exists: {other:?}"),
    }
    assert_eq!(request_count(&server).await, 2);
    Ok(())
}

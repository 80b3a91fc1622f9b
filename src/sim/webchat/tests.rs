use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::DaemonView;
use crate::sim::testing::TestSim;

/// Status, content type and body text of `GET path`.
async fn get(sim: &TestSim, path: &str) -> (StatusCode, String, String) {
    let router = crate::sim::router(Arc::clone(&sim.state));
    let request = Request::get(path).body(Body::empty()).expect("request");
    let response = router.oneshot(request).await.expect("the router answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .expect("a body");
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// The values of every `name="..."` attribute in `html`.
fn attributes<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let marker = format!("{name}=\"");
    html.match_indices(&marker)
        .filter_map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[tokio::test]
async fn the_root_serves_the_chat_page_with_the_handles_tests_drive() {
    let sim = TestSim::new();
    let (status, content_type, page) = get(&sim, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    for handle in [
        r#"<select id="person">"#,
        r#"<select id="platform">"#,
        r#"<option value="teams">"#,
        r#"<option value="slack">"#,
        r#"id="message""#,
        r#"<button id="send""#,
    ] {
        assert!(page.contains(handle), "the page lacks {handle}");
    }
}

#[tokio::test]
async fn the_people_to_pick_are_the_tenants_by_upn_with_their_slack_ids() {
    let sim = TestSim::new();
    let (_, _, page) = get(&sim, "/").await;
    let values = attributes(&page, "value");
    assert!(values.contains(&"tom.becker@contoso.com"), "{values:?}");
    assert!(values.contains(&"nina.patel@contoso.com"), "{values:?}");
    assert!(page.contains(r#"<option value="tom.becker@contoso.com" data-slack="U04TOM">"#));
    // The operator has no Slack account; shared mailboxes are not people.
    assert!(page.contains(r#"<option value="helpdesk.ops@contoso.com">"#));
    let mailboxes = sim.control("state").await["mailboxes"].clone();
    for mailbox in mailboxes.as_array().expect("mailboxes") {
        let mail = mailbox["mail"].as_str().unwrap_or_default();
        assert!(!values.contains(&mail), "{mail} offered as a person");
    }
}

#[tokio::test]
async fn every_script_and_style_the_page_names_is_served_by_the_simulator() {
    let sim = TestSim::new();
    let (_, _, page) = get(&sim, "/").await;
    let assets: Vec<&str> = attributes(&page, "src")
        .into_iter()
        .chain(attributes(&page, "href"))
        .collect();
    assert!(assets.contains(&"/_sim/webchat/adaptivecards.min.js"));
    for asset in assets {
        assert!(asset.starts_with('/'), "{asset} is not served from here");
        let (status, content_type, body) = get(&sim, asset).await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        assert!(!body.is_empty(), "{asset} is empty");
        let expected = match asset.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            _ => "text/plain",
        };
        assert!(
            content_type.starts_with(expected),
            "{asset}: {content_type}"
        );
    }
    let (_, _, renderer) = get(&sim, "/_sim/webchat/adaptivecards.min.js").await;
    assert!(
        renderer.contains("AdaptiveCards"),
        "not the adaptivecards build"
    );
}

#[tokio::test]
async fn without_a_daemon_its_grants_and_audit_are_not_found() {
    let sim = TestSim::new();
    for path in ["/_sim/demo/grants", "/_sim/demo/audit"] {
        let (status, _, body) = get(&sim, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("no daemon"), "{body}");
    }
}

/// A daemon with one grant and one audit record, or one that cannot be read.
struct Daemon {
    readable: bool,
}

impl DaemonView for Daemon {
    fn grants(&self) -> BoxFuture<'_, Result<Value, String>> {
        let answer = match self.readable {
            true => Ok(json!([{"id": "R-ABC123", "state": "active"}])),
            false => Err("the daemon's admin listener does not answer".to_owned()),
        };
        Box::pin(async move { answer })
    }

    fn audit(&self) -> BoxFuture<'_, Result<Value, String>> {
        Box::pin(async { Ok(json!([{"seq": 1, "kind": "request_created"}])) })
    }
}

#[tokio::test]
async fn an_attached_daemon_shows_its_grants_and_audit_trail() {
    let sim = TestSim::new();
    sim.state
        .webchat
        .attach(Arc::new(Daemon { readable: true }));
    let (status, _, grants) = get(&sim, "/_sim/demo/grants").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&grants).expect("json"),
        json!([{"id": "R-ABC123", "state": "active"}])
    );
    let (status, _, audit) = get(&sim, "/_sim/demo/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(audit.contains("request_created"));
}

#[tokio::test]
async fn a_daemon_that_cannot_be_read_is_a_bad_gateway_saying_why() {
    let sim = TestSim::new();
    sim.state
        .webchat
        .attach(Arc::new(Daemon { readable: false }));
    let (status, _, body) = get(&sim, "/_sim/demo/grants").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body.contains("does not answer"), "{body}");
}

#[tokio::test]
async fn the_page_waits_for_the_daemon_the_demo_is_starting() {
    let sim = TestSim::new();
    sim.state.webchat.await_daemon();
    let (status, _, page) = get(&sim, "/").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("starting"), "{page}");
    sim.state
        .webchat
        .attach(Arc::new(Daemon { readable: true }));
    let (status, _, page) = get(&sim, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"<select id="person">"#));
}

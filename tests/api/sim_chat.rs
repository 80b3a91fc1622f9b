//! The simulator's chat side, checked from where a real bot stands: a fake bot on a free port
//! receives what the simulated Teams and Slack deliver and verifies it as a bot must, then talks
//! back through the Bot Connector and the Slack Web API and reads the result through the
//! control API.

pub mod fake_bot;
mod slack;
pub mod slack_api;
mod teams;
pub mod teams_connector;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{CONTOSO, TestSim};

#[tokio::test]
async fn a_bot_that_cannot_be_reached_gets_a_502_not_a_panic() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        listener.local_addr().expect("address").port()
    };
    let bot = url::Url::parse(&format!("http://127.0.0.1:{closed}")).expect("url");
    let sim = TestSim::start_for_bot(CONTOSO, bot).await;
    for (path, body) in [
        (
            "teams/message",
            json!({"from": "tom.becker@contoso.com", "text": "hi"}),
        ),
        ("slack/message", json!({"user": "U04TOM", "text": "hi"})),
    ] {
        let answer = sim.control(Method::POST, path, Some(body)).await;
        assert_eq!(answer.status, 502, "{path}: {}", answer.text);
        assert!(
            answer.body["error"]
                .as_str()
                .is_some_and(|e| e.contains("cannot reach the bot"))
        );
    }
}

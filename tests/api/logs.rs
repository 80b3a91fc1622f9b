//! No token, code, secret or signing secret ever reaches a log line: the real binaries run a
//! whole sign-in and conversation at debug level, and their logs are searched for every secret
//! that passed through.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::app::free_port;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn a_whole_sign_in_and_conversation_leaves_no_secret_in_the_logs() {
    let dir = tempfile::tempdir().expect("dir");
    let (sim_port, bot_port) = (free_port(), free_port());
    let sim_url = format!("http://127.0.0.1:{sim_port}");
    let bot_url = format!("http://127.0.0.1:{bot_port}");
    let sim_log = dir.path().join("sim.log");
    let bot_log = dir.path().join("bot.log");
    let _sim = Running(
        Command::new(env!("CARGO_BIN_EXE_doorman"))
            .args([
                "sim",
                "--listen",
                &format!("127.0.0.1:{sim_port}"),
                "--bot",
                &bot_url,
                "--tenant",
                concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/contoso.json"),
            ])
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&sim_log).expect("sim log"))
            .spawn()
            .expect("sim starts"),
    );
    wait_for_port(sim_port);
    let http = reqwest::Client::new();
    let config_text = http
        .get(format!("{sim_url}/_sim/doorman.toml"))
        .send()
        .await
        .expect("config")
        .text()
        .await
        .expect("text");
    let config_path = dir.path().join("doorman.toml");
    std::fs::write(&config_path, &config_text).expect("write config");
    let _bot = Running(
        Command::new(env!("CARGO_BIN_EXE_doorman"))
            .args(["serve", "--config", config_path.to_str().expect("utf-8")])
            .env("RUST_LOG", "debug")
            .env("DOORMAN__STORAGE__PATH", dir.path().join("data"))
            .env(
                "DOORMAN__ADMIN__LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&bot_log).expect("bot log"))
            .spawn()
            .expect("serve starts"),
    );
    wait_for_port(bot_port);

    // Slack: a message, the sign-in prompt, the sign-in (each hop seen, to learn the code).
    http.post(format!("{sim_url}/_sim/slack/message"))
        .json(&json!({"user": "U04TOM", "text": "who am I"}))
        .send()
        .await
        .expect("slack");
    let link = poll(|| async {
        let seen: Value = http
            .get(format!("{sim_url}/_sim/slack/messages?user=U04TOM"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let text = seen.to_string();
        let at = text.find(&format!("{bot_url}/auth/start"))?;
        Some(
            text[at..]
                .split(['"', '|', '>'])
                .next()?
                .replace("&amp;", "&"),
        )
    })
    .await;
    let hop = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let authorize = hop.get(&link).send().await.expect("start").headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let callback = hop
        .get(&authorize)
        .send()
        .await
        .expect("authorize")
        .headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let code = url::Url::parse(&callback)
        .expect("callback URL")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let page = hop.get(&callback).send().await.expect("callback");
    assert_eq!(page.status(), 200);
    poll(|| async {
        let seen: Value = http
            .get(format!("{sim_url}/_sim/slack/messages?user=U04TOM"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        seen.to_string().contains("You're Tom Becker").then_some(())
    })
    .await;
    // Teams: a message through the Bot Connector, answered with the bot's connector token.
    http.post(format!("{sim_url}/_sim/teams/message"))
        .json(&json!({"from": "maria.garcia@contoso.com", "text": "help"}))
        .send()
        .await
        .expect("teams");
    poll(|| async {
        let seen: Value = http
            .get(format!(
                "{sim_url}/_sim/teams/conversations/maria.garcia@contoso.com"
            ))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (!seen.as_array()?.is_empty()).then_some(())
    })
    .await;

    let config: toml::Table = config_text.parse().expect("config TOML");
    let secret =
        |section: &str, key: &str| config[section][key].as_str().expect("a secret").to_owned();
    let secrets = [
        secret("microsoft", "client_secret"),
        secret("teams", "app_password"),
        secret("slack", "signing_secret"),
        secret("slack", "bot_token"),
        secret("security", "token_key"),
        secret("security", "audit_key"),
        code,
    ];
    let logged = std::fs::read_to_string(&bot_log).expect("bot log");
    assert!(logged.lines().count() > 5, "debug logging was on: {logged}");
    for secret in &secrets {
        assert!(
            !logged.contains(secret.as_str()),
            "a secret reached Doorman's log"
        );
    }
    // Every token Doorman handles is a JWT (access, ID, connector tokens): none may be logged.
    assert!(!logged.contains("eyJ"), "a JWT reached Doorman's log");
}

async fn poll<T, F, Fut>(probe: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a forged log line would start with, were a field written into the log unescaped.
const FORGED_START: &str = "1999-01-01T00:00:00.000000Z";

/// A value that, written raw into a text log, would end the line and forge the next one.
fn forging(prefix: &str) -> String {
    format!("{prefix}\n{FORGED_START}  INFO doorman: grant verified request=R-FAKE01")
}

/// Anyone can send a body to the public routes: nothing of it reaches the log before the
/// sender is authenticated, and what is logged after is escaped and cut short, so no line can
/// be forged and no megabyte value written out.
#[tokio::test]
async fn untrusted_input_neither_forges_log_lines_nor_floods_the_log() {
    use crate::forged::{activity, connector_claims, hmac_sign};
    let mut app = crate::app::TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("bot.log");
    app.stop().await;
    app.start_process_logging(&log, "debug").await;
    let client = reqwest::Client::new();
    let huge = "A".repeat(1_900_000);
    let messages = format!("{}/api/messages", app.bot_url);
    let unsigned_header = |header: serde_json::Value| {
        use base64::Engine;
        let encode = |value: String| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.as_bytes())
        };
        format!(
            "{}.{}.c2ln",
            encode(header.to_string()),
            encode("{}".into())
        )
    };
    let tom = activity(&app, "tom.becker@contoso.com", "4004", "hello");
    let mut forged_type = tom.clone();
    forged_type["type"] = json!(forging("message"));
    let mut huge_type = tom.clone();
    huge_type["type"] = json!(huge);
    let tokens = [
        None,
        Some("not-a-jwt".to_owned()),
        Some(unsigned_header(
            json!({"alg": "RS256", "kid": forging("key")}),
        )),
        Some(unsigned_header(json!({"alg": forging("RS256")}))),
        Some(unsigned_header(
            json!({"alg": "RS256", "kid": "A".repeat(20_000)}),
        )),
    ];
    for body in [&forged_type, &huge_type] {
        for token in &tokens {
            let mut request = client.post(&messages).json(body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let status = request.send().await.expect("answers").status();
            assert!([401, 413].contains(&status.as_u16()), "refused: {status}");
        }
    }
    // Not JSON at all, quoting the forged line.
    let status = client
        .post(&messages)
        .body(format!("{{\"type\": {}", forging("x")))
        .send()
        .await
        .expect("answers")
        .status();
    assert_eq!(status, 400);
    // A genuine token does not vouch for every field of the body.
    let genuine = app.sim.state.teams.key.sign(&connector_claims(&app));
    let status = client
        .post(&messages)
        .bearer_auth(&genuine)
        .json(&forged_type)
        .send()
        .await
        .expect("answers")
        .status();
    assert_eq!(
        status, 200,
        "an activity type Doorman does not know is ignored"
    );
    // Slack: unsigned, and signed (Slack vouches for the body, which still holds what people
    // and other apps chose).
    let slack = &app.sim.state.slack;
    let event = json!({
        "type": forging("event_callback"), "team_id": forging("T1"), "api_app_id": huge,
        "event_id": forging("Ev1"), "event": {"type": "message"},
    })
    .to_string();
    let now = chrono::Utc::now().timestamp().to_string();
    for (path, body, content_type) in [
        ("/slack/events", event.clone(), "application/json"),
        (
            "/slack/interactions",
            format!(
                "payload={}",
                url::form_urlencoded::byte_serialize(
                    json!({"type": forging("block_actions")})
                        .to_string()
                        .as_bytes()
                )
                .collect::<String>()
            ),
            "application/x-www-form-urlencoded",
        ),
    ] {
        for signature in [
            format!("v0={}", "0".repeat(64)),
            hmac_sign::sign(&slack.signing_secret, &now, body.as_bytes()),
        ] {
            client
                .post(format!("{}{path}", app.bot_url))
                .header("content-type", content_type)
                .header("x-slack-request-timestamp", &now)
                .header("x-slack-signature", signature)
                .body(body.clone())
                .send()
                .await
                .expect("answers");
        }
    }
    // A sign-in callback naming an error, with no sign-in behind it.
    client
        .get(format!("{}/auth/callback", app.bot_url))
        .query(&[("state", forging("s").as_str()), ("error", &forging("e"))])
        .send()
        .await
        .expect("answers");
    assert_eq!(
        client
            .get(format!("{}/healthz", app.bot_url))
            .send()
            .await
            .expect("still up")
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let logged = std::fs::read_to_string(&log).expect("bot log");
    assert!(logged.lines().count() > 5, "debug logging was on: {logged}");
    let forged: Vec<&str> = logged
        .lines()
        .filter(|line| line.starts_with(FORGED_START))
        .collect();
    assert!(forged.is_empty(), "forged log lines: {forged:?}");
    assert!(
        !logged.contains(&"A".repeat(1_000)),
        "a huge value reached the log ({} bytes)",
        logged.len()
    );
    let longest = logged.lines().map(str::len).max().unwrap_or_default();
    assert!(longest < 4_000, "a log line of {longest} bytes");
}

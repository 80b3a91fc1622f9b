//! No token, code, secret or signing secret ever reaches a log line: the real binaries run a
//! whole sign-in and conversation at debug level, and their logs are searched for every secret
//! that passed through.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

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

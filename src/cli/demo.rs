//! `doorman demo`: the simulated Microsoft cloud (on the contoso tenant) and `serve` wired to
//! it, in one process, with a fresh temporary store; a web chat at the simulator's root to talk
//! to it as anyone of the tenant (its address is printed first), and copy-paste lines for scripts.

mod daemon;

use std::net::SocketAddr;
use std::sync::Arc;

use url::Url;

use super::Outcome;
use crate::app::App;
use crate::config::{Config, LogFormat};

/// The demo tenant and its policy, compiled in so the demo runs from any directory.
const CONTOSO: &str = include_str!("../../tests/fixtures/contoso.json");
const POLICY: &str = include_str!("../../deploy/policy.example.toml");

pub async fn run(
    sim_port: u16,
    bot_port: u16,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let storage = match tempfile::Builder::new().prefix("doorman-demo-").tempdir() {
        Ok(dir) => dir,
        Err(error) => return fail(&format!("cannot create a temporary store: {error}")),
    };
    // The simulator must know the bot's address before the bot listens: a port of 0 is turned
    // into a free one here rather than left for the listener to pick.
    let bot_port = match bot_port {
        0 => match free_port() {
            Ok(port) => port,
            Err(error) => return fail(&format!("no free port for Doorman: {error}")),
        },
        port => port,
    };
    let bot_address = SocketAddr::from(([127, 0, 0, 1], bot_port));
    let Ok(bot_url) = Url::parse(&format!("http://{bot_address}")) else {
        return fail("invalid bot address");
    };
    let (listener, sim) = match crate::sim::bind(
        SocketAddr::from(([127, 0, 0, 1], sim_port)),
        CONTOSO,
        bot_url.clone(),
        crate::sim::Scheme::Http,
    )
    .await
    {
        Ok(bound) => bound,
        Err(error) => {
            return fail(&format!(
                "the simulator cannot start: {error} (try --sim-port 0)"
            ));
        }
    };
    let policy = storage.path().join("policy.toml");
    if let Err(error) = std::fs::write(&policy, POLICY) {
        return fail(&format!("cannot write the demo policy: {error}"));
    }
    let admin = match free_port() {
        Ok(port) => SocketAddr::from(([127, 0, 0, 1], port)),
        Err(error) => return fail(&format!("no free port for the admin listener: {error}")),
    };
    let overrides = vec![
        (
            "DOORMAN__STORAGE__PATH".to_owned(),
            storage.path().display().to_string(),
        ),
        ("DOORMAN__ADMIN__LISTEN".to_owned(), admin.to_string()),
        (
            "DOORMAN__POLICY__FILE".to_owned(),
            policy.display().to_string(),
        ),
        (
            "DOORMAN__MICROSOFT__OPERATOR".to_owned(),
            "helpdesk.ops@contoso.com".to_owned(),
        ),
    ];
    let config = match Config::from_toml(&crate::sim::control::doorman_config(&sim), overrides) {
        Ok(config) => config,
        Err(error) => return fail(&error.to_string()),
    };
    let sim_url = sim.base_url.clone();
    let sim_state = Arc::clone(&sim);
    sim_state.webchat.await_daemon();
    let (stop_sim, sim_stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(crate::sim::serve(listener, sim, async {
        let _ = sim_stopped.await;
    }));
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(error) => return fail(&format!("Doorman cannot start: {error} (try --bot-port 0)")),
    };
    // Read the catalog once before saying how to talk to the bot, so the first request pasted
    // is understood rather than answered "still loading".
    if let Err(error) = app.catalog().refresh().await {
        return fail(&format!(
            "the catalog cannot be read from the simulator: {error}"
        ));
    }
    // The web chat opens once the bot listens and knows the catalog.
    sim_state.webchat.attach(Arc::new(daemon::AdminView {
        storage: storage.path().to_path_buf(),
        audit: app.audit(),
    }));
    eprintln!(
        "{}",
        instructions(
            &sim_url,
            &format!("http://{}", app.address()),
            &format!("http://{}", app.admin_address())
        )
    );
    let outcome = match app.run_until(shutdown).await {
        Ok(()) => Outcome::Success,
        Err(error) => fail(&error.to_string()),
    };
    let _ = stop_sim.send(());
    let _ = serving.await;
    outcome
}

/// A loopback port nobody listens on right now.
fn free_port() -> std::io::Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
}

fn fail(message: &str) -> Outcome {
    eprintln!("doorman demo: {message}");
    Outcome::Unavailable
}

fn instructions(sim: &str, bot: &str, admin: &str) -> String {
    format!(
        r#"
Open {sim}/ in a browser: the web chat, as anyone of the contoso tenant, in Teams or Slack.

Doorman demo is running (Ctrl-C to stop; the store is temporary).
  web chat                                  {sim}/
  simulated Microsoft 365, Teams and Slack  {sim}
  Doorman                                   {bot}

Or talk to it from scripts, as people of the contoso tenant (tests/fixtures/contoso.json):

  # Teams: Maria Garcia says "help", then reads what Doorman answered
  curl -s -X POST {sim}/_sim/teams/message -H 'content-type: application/json' -d '{{"from": "maria.garcia@contoso.com", "text": "help"}}'
  curl -s {sim}/_sim/teams/conversations/maria.garcia@contoso.com

  # Teams: Sarah Chen asks for access in plain words; Doorman says back what it understood
  # and what the policy (deploy/policy.example.toml) decided
  curl -s -X POST {sim}/_sim/teams/message -H 'content-type: application/json' -d '{{"from": "sarah.chen@contoso.com", "text": "can I get read access to the finance site? need to check the Q3 numbers"}}'
  curl -s {sim}/_sim/teams/conversations/sarah.chen@contoso.com

  # Teams: a contractor asks to edit the Atlas site; policy follows the effect (the site's
  # group) and refuses, saying why
  curl -s -X POST {sim}/_sim/teams/message -H 'content-type: application/json' -d '{{"from": "jordan.lee@contoso.com", "text": "I need edit access to the Atlas site"}}'
  curl -s {sim}/_sim/teams/conversations/jordan.lee@contoso.com

  # Teams: "marketing" is a team and a site, so Doorman asks which; click a choice (an
  # Action.Execute from that card, and the id of the message that carries it)
  curl -s -X POST {sim}/_sim/teams/message -H 'content-type: application/json' -d '{{"from": "tom.becker@contoso.com", "text": "I need access to marketing for 3 days"}}'
  curl -s {sim}/_sim/teams/conversations/tom.becker@contoso.com
  curl -s -X POST {sim}/_sim/teams/invoke -H 'content-type: application/json' -d '{{"from": "tom.becker@contoso.com", "replyToId": "<message id>", "action": <the action object>}}'

  # Slack: Tom Becker asks who he is; Doorman first sends a sign-in link
  curl -s -X POST {sim}/_sim/slack/message -H 'content-type: application/json' -d '{{"user": "U04TOM", "text": "who am I"}}'
  curl -s '{sim}/_sim/slack/messages?user=U04TOM'
  # open the /auth/start link from that answer in a browser (or curl -L it): Doorman then answers by itself

  # Behind the scenes
  curl -s {sim}/_sim/graph/log        # every Graph call, with its caller and bodies
  curl -s {admin}/metrics             # Doorman's metrics (on its admin listener)
"#
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_web_chat_address_is_what_the_demo_says_first() {
        let said = super::instructions(
            "http://127.0.0.1:8990",
            "http://127.0.0.1:3978",
            "http://127.0.0.1:3979",
        );
        let first = said
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or_default();
        assert!(
            first.starts_with("Open http://127.0.0.1:8990/ in a browser"),
            "{first}"
        );
    }
}

//! The simulator's control API under `/_sim/` (DESIGN.md sections 8 and 10): read the tenant,
//! the Graph log and the Exchange log, switch faults, choose how step-up sign-ins are answered,
//! fetch a `doorman.toml` that wires `serve` to this simulator
//! (login, Graph, Teams and Slack), and, under `--tls`, the certificate to trust
//! (`/_sim/ca.pem`). The chat services' own control routes live beside them
//! (`teams/control.rs`, `slack/control.rs`) and share [`problem`].

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::SimState;
use super::graph::FaultsUpdate;
use super::login::StepUpMode;

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/_sim/state", get(state))
        .route("/_sim/graph/log", get(graph_log))
        .route("/_sim/exchange/log", get(exchange_log))
        .route("/_sim/faults", get(faults).post(set_faults))
        .route("/_sim/login/step_up", get(step_up).post(set_step_up))
        .route("/_sim/doorman.toml", get(doorman_toml))
        .route("/_sim/ca.pem", get(ca_pem))
}

/// The certificate authority of `--tls`, to trust; 404 when the simulator serves plain HTTP.
async fn ca_pem(State(sim): State<Arc<SimState>>) -> Response {
    match &sim.tls {
        Some(https) => (
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            https.keys.ca_pem.clone(),
        )
            .into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            "the simulator serves plain http: start it with --tls for a certificate",
        ),
    }
}

async fn state(State(sim): State<Arc<SimState>>) -> Response {
    Json(sim.directory().state()).into_response()
}

async fn graph_log(State(sim): State<Arc<SimState>>) -> Response {
    Json(sim.graph_log.entries()).into_response()
}

async fn exchange_log(State(sim): State<Arc<SimState>>) -> Response {
    Json(sim.exchange_log.entries()).into_response()
}

async fn faults(State(sim): State<Arc<SimState>>) -> Response {
    Json(sim.faults()).into_response()
}

async fn set_faults(State(sim): State<Arc<SimState>>, body: axum::body::Bytes) -> Response {
    let update: FaultsUpdate = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(error) => return problem(StatusCode::BAD_REQUEST, &format!("invalid faults: {error}")),
    };
    match sim.update_faults(update) {
        Ok(faults) => Json(faults).into_response(),
        Err(message) => problem(StatusCode::BAD_REQUEST, &message),
    }
}

/// How step-up sign-ins are answered now: `{"mode": ...}`.
async fn step_up(State(sim): State<Arc<SimState>>) -> Response {
    let mode = sim.login_state().step_up;
    Json(json!({ "mode": mode })).into_response()
}

/// `POST /_sim/login/step_up` with `{"mode": "normal" | "omit_acrs" | "stale"}`: how the next
/// step-up sign-ins are answered. `normal` is Entra's (`acrs` with the contexts asked for,
/// `auth_time` now); `omit_acrs` leaves `acrs` out of the ID token; `stale` dates `auth_time`
/// eleven minutes back. Lets tests check that the bot verifies a step-up's token.
async fn set_step_up(State(sim): State<Arc<SimState>>, body: axum::body::Bytes) -> Response {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Update {
        mode: StepUpMode,
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(error) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("invalid step-up mode (normal, omit_acrs or stale): {error}"),
            );
        }
    };
    sim.login_state().step_up = update.mode;
    Json(json!({ "mode": update.mode })).into_response()
}

/// The control API's error body: `{"error": message}`.
pub(crate) fn problem(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

/// A configuration for `doorman serve` against this simulator (login, Graph, Exchange Online,
/// Teams and Slack). Storage and the admin listener
/// are left to the caller's environment (`DOORMAN__STORAGE__PATH`, `DOORMAN__ADMIN__LISTEN`).
/// Under `--tls` it names the file holding the simulator's certificate authority
/// (`[security] ca_file`), which Doorman then trusts.
pub fn doorman_config(sim: &SimState) -> String {
    let ca_file = match &sim.tls {
        Some(https) => format!(
            "# The simulator's own certificate authority (it serves HTTPS), kept while it runs.\nca_file = {}\n",
            toml_string(&https.ca_file.display().to_string())
        ),
        None => String::new(),
    };
    let bot = sim.bot_url.as_str().trim_end_matches('/');
    let listen = match (sim.bot_url.host_str(), sim.bot_url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        _ => "127.0.0.1:3978".to_owned(),
    };
    let registration = &sim.registration;
    format!(
        r#"# Doorman configuration wired to the simulator at {sim_url}.
# Secrets here are fresh for this simulator run and worthless elsewhere.

[server]
listen = "{listen}"
public_url = "{bot}"

[storage]
path = "doorman-data"

[microsoft]
tenant_id = "{tenant}"
client_id = "{client_id}"
client_secret = "{client_secret}"
authority = "{sim_url}"
graph_url = "{sim_url}/v1.0"

# Exchange Online's admin API (InvokeCommand and the v2.0 endpoints) is served here too.
[exchange]
url = "{sim_url}"

# The Azure Bot is the same app registration; its connector token comes from the same
# token endpoint with the Bot Framework scope.
[teams]
app_id = "{client_id}"
app_password = "{client_secret}"
openid_metadata_url = "{sim_url}/botframework/v1/.well-known/openidconfiguration"
token_url = "{sim_url}/{tenant}/oauth2/v2.0/token"
service_url = "{sim_url}/teams/"
allowed_tenants = ["{tenant}"]

[slack]
signing_secret = "{signing_secret}"
bot_token = "{bot_token}"
api_url = "{sim_url}/slack/api"
team_id = "{team_id}"
app_id = "{slack_app_id}"

[security]
token_key = "{token_key}"
audit_key = "{audit_key}"
{ca_file}"#,
        sim_url = sim.base_url,
        tenant = sim.tenant_id,
        client_id = registration.client_id,
        client_secret = registration.client_secret,
        token_key = sim.doorman_token_key,
        audit_key = sim.doorman_audit_key,
        signing_secret = sim.slack.signing_secret,
        bot_token = sim.slack.bot_token,
        team_id = sim.slack.team_id,
        slack_app_id = super::slack::APP_ID,
    )
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

async fn doorman_toml(State(sim): State<Arc<SimState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
        doorman_config(&sim),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use crate::sim::testing::TestSim;

    #[tokio::test]
    async fn the_handed_out_config_points_exchange_at_the_simulator() {
        let sim = TestSim::new();
        let config: toml::Value =
            toml::from_str(&super::doorman_config(&sim.state)).expect("the config is TOML");
        assert_eq!(
            config["exchange"]["url"].as_str(),
            Some(sim.state.base_url.as_str())
        );
        assert_eq!(
            config["microsoft"]["graph_url"].as_str(),
            Some(format!("{}/v1.0", sim.state.base_url).as_str())
        );
    }
}

//! The Bot Framework's OpenID metadata and signing keys, as
//! `https://login.botframework.com/v1/.well-known/...` serves them: the key carries the
//! non-standard `endorsements` array naming the channels it may sign for.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::{BOT_FRAMEWORK_ISSUER, CHANNEL_ID};
use crate::sim::SimState;

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route(
            "/botframework/v1/.well-known/openidconfiguration",
            get(openid_configuration),
        )
        .route("/botframework/v1/.well-known/keys", get(keys))
}

async fn openid_configuration(State(sim): State<Arc<SimState>>) -> Response {
    Json(json!({
        "issuer": BOT_FRAMEWORK_ISSUER,
        "authorization_endpoint": "https://invalid.botframework.com",
        "jwks_uri": format!("{}/botframework/v1/.well-known/keys", sim.base_url),
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    }))
    .into_response()
}

async fn keys(State(sim): State<Arc<SimState>>) -> Response {
    let jwk = sim.teams.key.jwk(&[("endorsements", json!([CHANNEL_ID]))]);
    Json(json!({"keys": [jwk]})).into_response()
}

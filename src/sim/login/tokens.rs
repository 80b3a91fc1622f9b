//! The tokens the simulator issues, and the metadata that lets relying parties check them.
//!
//! Access tokens are v1.0-format JWTs, like Entra's (`iss` `https://sts.windows.net/{tid}/`), for
//! one resource each (`aud` Graph or Exchange Online): delegated ones carry `oid`, `tid`, `upn`,
//! `scp` (that resource's permissions) and `wids`; app-only ones carry `roles`. ID tokens are v2.0 (`iss` `{authority}/{tid}/v2.0`, `aud` the
//! client) with `nonce`, `email` and `preferred_username`, and after a step-up (an authorize
//! request whose `claims` ask for an authentication context) `acrs` and `auth_time`; `auth_time`
//! also after `prompt=login` (it is an optional claim the app registration enables). Like
//! Entra's v2.0 ID tokens they carry no `amr`. Bot Connector tokens are app-only
//! tokens for the Bot Framework's audience: the bot's key to the simulated Teams connector.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Authentication;
use super::scopes::{APP_READ_ROLES, EXCHANGE_APP_ROLES, Resource};
use crate::sim::SimState;
use crate::sim::directory::{Directory, User, stable_id};

/// Access and ID tokens live an hour, like Entra's defaults.
pub const TOKEN_LIFETIME_SECONDS: i64 = 3_600;

/// The audiences Graph accepts: its URL and its application id.
pub const GRAPH_AUDIENCES: [&str; 2] = [
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
];

/// The audience of the tokens the Bot Connector accepts (scope `{this}/.default`).
pub const BOT_CONNECTOR_AUDIENCE: &str = "https://api.botframework.com";

/// The claims Graph reads from an access token.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessClaims {
    pub oid: String,
    pub tid: String,
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default)]
    pub scp: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub idtyp: Option<String>,
    #[serde(default)]
    pub appid: Option<String>,
    pub iat: i64,
}

fn times() -> (i64, i64) {
    let now = Utc::now().timestamp();
    (now, now + TOKEN_LIFETIME_SECONDS)
}

pub(crate) fn graph_issuer(tenant_id: &str) -> String {
    format!("https://sts.windows.net/{tenant_id}/")
}

fn v2_issuer(state: &SimState, tenant_id: &str) -> String {
    format!("{}/{tenant_id}/v2.0", state.base_url)
}

/// A delegated access token for `resource` carrying `scopes` (short names).
pub(super) fn delegated_token(
    state: &SimState,
    directory: &Directory,
    user: &User,
    resource: Resource,
    scopes: &[String],
) -> String {
    let (now, exp) = times();
    let tenant_id = &directory.tenant.id;
    let wids: Vec<&str> = directory
        .roles_of(&user.id)
        .map(|role| role.template.template_id)
        .collect();
    let name = user
        .props
        .get("displayName")
        .cloned()
        .unwrap_or(Value::Null);
    state.keys.sign(&json!({
        "aud": resource.uri(),
        "iss": graph_issuer(tenant_id),
        "iat": now,
        "nbf": now,
        "exp": exp,
        "app_displayname": "Doorman",
        "appid": state.registration.client_id,
        "idtyp": "user",
        "name": name,
        "oid": user.id,
        "scp": scopes.join(" "),
        "sub": stable_id("sub", &user.id),
        "tid": tenant_id,
        "unique_name": user.upn,
        "upn": user.upn,
        "uti": uuid::Uuid::new_v4().simple().to_string(),
        "ver": "1.0",
        "wids": wids,
    }))
}

/// An app-only access token for `resource`, with the application permissions granted on it.
pub(super) fn app_token(state: &SimState, resource: Resource) -> String {
    let (now, exp) = times();
    let tenant_id = &state.tenant_id;
    let service_principal = &state.registration.service_principal_id;
    let roles = match resource {
        Resource::Graph => APP_READ_ROLES,
        Resource::Exchange => EXCHANGE_APP_ROLES,
    };
    state.keys.sign(&json!({
        "aud": resource.uri(),
        "iss": graph_issuer(tenant_id),
        "iat": now,
        "nbf": now,
        "exp": exp,
        "app_displayname": "Doorman",
        "appid": state.registration.client_id,
        "idtyp": "app",
        "oid": service_principal,
        "roles": roles,
        "sub": service_principal,
        "tid": tenant_id,
        "uti": uuid::Uuid::new_v4().simple().to_string(),
        "ver": "1.0",
    }))
}

/// A token for the Bot Connector, as Entra issues one to a single-tenant Azure Bot: v1.0, the
/// bot's app id in both `appid` and `azp`, no roles (the connector needs none).
pub(super) fn connector_token(state: &SimState) -> String {
    let (now, exp) = times();
    let tenant_id = &state.tenant_id;
    let service_principal = &state.registration.service_principal_id;
    state.keys.sign(&json!({
        "aud": BOT_CONNECTOR_AUDIENCE,
        "iss": graph_issuer(tenant_id),
        "iat": now,
        "nbf": now,
        "exp": exp,
        "appid": state.registration.client_id,
        "appidacr": "1",
        "azp": state.registration.client_id,
        "idtyp": "app",
        "oid": service_principal,
        "sub": service_principal,
        "tid": tenant_id,
        "uti": uuid::Uuid::new_v4().simple().to_string(),
        "ver": "1.0",
    }))
}

pub(super) fn id_token(
    state: &SimState,
    directory: &Directory,
    user: &User,
    authentication: &Authentication,
) -> String {
    let (now, exp) = times();
    let tenant_id = &directory.tenant.id;
    let mail = user.props.get("mail").cloned().unwrap_or(Value::Null);
    let mut claims = json!({
        "aud": state.registration.client_id,
        "iss": v2_issuer(state, tenant_id),
        "iat": now,
        "nbf": now,
        "exp": exp,
        "email": mail,
        "name": user.props.get("displayName").cloned().unwrap_or(Value::Null),
        "oid": user.id,
        "preferred_username": user.upn,
        "sub": stable_id("pairwise-sub", &format!("{}{}", user.id, state.registration.client_id)),
        "tid": tenant_id,
        "ver": "2.0",
    });
    if let Some(nonce) = &authentication.nonce {
        claims["nonce"] = json!(nonce);
    }
    if !authentication.acrs.is_empty() {
        claims["acrs"] = json!(authentication.acrs);
    }
    if let Some(auth_time) = authentication.auth_time {
        claims["auth_time"] = json!(auth_time.timestamp());
    }
    state.keys.sign(&claims)
}

pub(super) async fn openid_configuration(
    State(state): State<Arc<SimState>>,
    Path(tenant): Path<String>,
) -> Response {
    if !super::names_tenant(&state, &tenant) {
        return super::token::oauth_error(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    let tenant_id = &state.tenant_id;
    let base = format!("{}/{tenant_id}", state.base_url);
    Json(json!({
        "issuer": v2_issuer(&state, tenant_id),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "nonce", "oid", "tid", "preferred_username", "email", "ver", "acrs", "auth_time"],
        "tenant_region_scope": "EU",
    }))
    .into_response()
}

pub(super) async fn jwks(State(state): State<Arc<SimState>>) -> Response {
    let issuer = v2_issuer(&state, &state.tenant_id);
    Json(json!({"keys": [state.keys.jwk(&[("issuer", json!(issuer))])]})).into_response()
}

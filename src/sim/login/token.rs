//! `POST /{tenant}/oauth2/v2.0/token`: authorization code (with PKCE), refresh token (single-use
//! here, on purpose), and client credentials (app-only: read-only roles for Graph,
//! `Exchange.ManageAsApp` for Exchange Online, or a Bot Connector token for the Bot Framework
//! scope).
//!
//! A delegated request gets an access token for one resource: the one its `scope` names (two
//! resources in one request are refused with AADSTS28000, as Entra refuses them), or, when it
//! names none, the first resource consented. What it may name is what was consented at
//! `/authorize`, whatever earlier token requests asked: the refresh token handed back is bound to
//! the whole consent.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::scopes::{EXCHANGE_RESOURCE, RequestedScopes, Resource};
use super::tokens::{
    BOT_CONNECTOR_AUDIENCE, TOKEN_LIFETIME_SECONDS, app_token, connector_token, delegated_token,
    id_token,
};
use super::{Authentication, RefreshGrant, names_tenant, random_token};
use crate::sim::SimState;

/// `BASE64URL(SHA256(verifier))`, the S256 PKCE transform.
pub(super) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub(super) async fn token(
    State(state): State<Arc<SimState>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !names_tenant(&state, &tenant) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    if let Some(refusal) = refuse_client(&state, &headers, &form) {
        return refusal;
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    match field("grant_type") {
        "authorization_code" => redeem_code(&state, &form),
        "refresh_token" => redeem_refresh_token(&state, &form),
        "client_credentials" => client_credentials(&state, field("scope")),
        "" => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        ),
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

/// Confidential clients authenticate with their secret, in the form or as HTTP Basic; the
/// answer for a client that did not.
fn refuse_client(
    state: &SimState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<Response> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(id, secret)| (id.to_owned(), secret.to_owned()))
        });
    let (client_id, secret) = match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            form.get("client_id").cloned(),
            form.get("client_secret").cloned(),
        ),
    };
    let registration = &state.registration;
    if client_id.as_deref() != Some(registration.client_id.as_str()) {
        return Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory.",
                client_id.unwrap_or_default()
            ),
        ));
    }
    match secret {
        None => Some(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )),
        Some(secret)
            if !constant_time_eq(secret.as_bytes(), registration.client_secret.as_bytes()) =>
        {
            Some(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
            ))
        }
        Some(_) => None,
    }
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(left, right).is_ok()
}

fn redeem_code(state: &SimState, form: &HashMap<String, String>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let code_text = field("code");
    let grant = {
        let mut login = state.login_state();
        if login.redeemed_codes.contains(code_text) {
            return invalid_grant(
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            );
        }
        let Some(code) = login.codes.remove(code_text) else {
            return invalid_grant(
                9002313,
                "Invalid request. Request is malformed or invalid: the code is unknown.",
            );
        };
        login.redeemed_codes.insert(code_text.to_owned());
        code
    };
    if grant.expires < Utc::now() {
        return invalid_grant(
            70008,
            "The provided authorization code or refresh token has expired due to inactivity.",
        );
    }
    if grant.redirect_uri != field("redirect_uri") {
        return invalid_grant(
            500112,
            "The reply address does not match the reply address provided when requesting the authorization code.",
        );
    }
    let verifier = field("code_verifier");
    if verifier.is_empty() {
        return invalid_grant(
            50148,
            "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
        );
    }
    if !constant_time_eq(s256(verifier).as_bytes(), grant.code_challenge.as_bytes()) {
        return invalid_grant(
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        );
    }
    let consent = Consent {
        user_id: &grant.user_id,
        client_id: &grant.client_id,
        scopes: &grant.scopes,
    };
    issue_user_tokens(state, consent, form.get("scope"), &grant.authentication)
}

fn redeem_refresh_token(state: &SimState, form: &HashMap<String, String>) -> Response {
    let presented = form
        .get("refresh_token")
        .map(String::as_str)
        .unwrap_or_default();
    let grant = {
        let mut login = state.login_state();
        let Some(grant) = login.refresh_tokens.get_mut(presented) else {
            return invalid_grant(
                9002313,
                "Invalid request. Request is malformed or invalid: the refresh token is unknown.",
            );
        };
        if grant.used {
            return invalid_grant(
                70000,
                "The provided grant has already been redeemed. Refresh tokens are single-use in this simulator: store the new one from every response.",
            );
        }
        grant.used = true;
        grant.clone()
    };
    {
        let directory = state.directory();
        let Some(user) = directory.user(&grant.user_id) else {
            return invalid_grant(50034, "The user account does not exist in the directory.");
        };
        if user.props.get("accountEnabled").and_then(Value::as_bool) == Some(false) {
            return invalid_grant(50057, "The user account is disabled.");
        }
        if grant.issued < user.sessions_valid_from {
            return invalid_grant(
                50173,
                "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
            );
        }
    }
    let consent = Consent {
        user_id: &grant.user_id,
        client_id: &grant.client_id,
        scopes: &grant.scopes,
    };
    issue_user_tokens(
        state,
        consent,
        form.get("scope"),
        &Authentication::default(),
    )
}

/// What a user consented to, for whom: the grant behind a code or a refresh token.
#[derive(Clone, Copy)]
struct Consent<'g> {
    user_id: &'g str,
    client_id: &'g str,
    scopes: &'g RequestedScopes,
}

/// Issues an access token for the resource `asked` names (or the first consented), an ID token
/// when OpenID is asked, and a refresh token bound to the whole consent when it holds
/// `offline_access`. A request may ask for fewer scopes than were consented, never for new ones.
fn issue_user_tokens(
    state: &SimState,
    consent: Consent<'_>,
    asked: Option<&String>,
    authentication: &Authentication,
) -> Response {
    let asked = match asked.map(|scope| RequestedScopes::parse(scope)) {
        None => None,
        Some(Ok(asked)) => Some(asked),
        Some(Err(description)) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                70011,
                description.trim_start_matches("AADSTS70011: "),
            );
        }
    };
    let named = match asked.as_ref().map(RequestedScopes::resource).transpose() {
        Ok(named) => named.flatten(),
        Err(description) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                28000,
                description.trim_start_matches("AADSTS28000: "),
            );
        }
    };
    if let Some(new) = asked
        .as_ref()
        .and_then(|asked| asked.first_not_in(consent.scopes))
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            65001,
            &format!(
                "The user or administrator has not consented to use the application with scope '{new}'."
            ),
        );
    }
    let (resource, resource_scopes) = match (named, &asked) {
        (Some(resource), Some(asked)) => (resource, asked.of(resource).to_vec()),
        _ => {
            let resource = consent.scopes.first.unwrap_or(Resource::Graph);
            (resource, consent.scopes.of(resource).to_vec())
        }
    };
    let oidc = asked.as_ref().unwrap_or(consent.scopes);
    let Some((access_token, id_token)) = ({
        let directory = state.directory();
        directory.user(consent.user_id).map(|user| {
            let access = delegated_token(state, &directory, user, resource, &resource_scopes);
            let id = oidc
                .wants("openid")
                .then(|| id_token(state, &directory, user, authentication));
            (access, id)
        })
    }) else {
        return invalid_grant(50034, "The user account does not exist in the directory.");
    };
    // The answer's `scope` names the access token's permissions as Entra does: Graph's by their
    // short names, other resources' in full; then the OpenID scopes.
    let granted: Vec<String> = resource_scopes
        .iter()
        .map(|scope| match resource {
            Resource::Graph => scope.clone(),
            Resource::Exchange => format!("{EXCHANGE_RESOURCE}/{scope}"),
        })
        .chain(oidc.oidc.iter().cloned())
        .collect();
    let mut body = json!({
        "token_type": "Bearer",
        "scope": granted.join(" "),
        "expires_in": TOKEN_LIFETIME_SECONDS,
        "ext_expires_in": TOKEN_LIFETIME_SECONDS,
        "access_token": access_token,
    });
    if consent.scopes.wants("offline_access") {
        let refresh_token = random_token(64);
        state.login_state().refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                user_id: consent.user_id.to_owned(),
                client_id: consent.client_id.to_owned(),
                scopes: consent.scopes.clone(),
                issued: Utc::now(),
                used: false,
            },
        );
        body["refresh_token"] = json!(refresh_token);
    }
    if let Some(id_token) = id_token {
        body["id_token"] = json!(id_token);
    }
    no_store(Json(body).into_response())
}

fn client_credentials(state: &SimState, scope: &str) -> Response {
    // The registration is also the Azure Bot's, so the same secret buys a connector token; any
    // other resource is refused as Entra refuses a scope without `/.default`.
    let scope = scope.trim();
    let token = if scope == "https://graph.microsoft.com/.default" {
        app_token(state, Resource::Graph)
    } else if scope.strip_suffix("/.default") == Some(EXCHANGE_RESOURCE) {
        app_token(state, Resource::Exchange)
    } else if scope.strip_suffix("/.default") == Some(BOT_CONNECTOR_AUDIENCE) {
        connector_token(state)
    } else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
        );
    };
    no_store(
        Json(json!({
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "ext_expires_in": TOKEN_LIFETIME_SECONDS,
            "access_token": token,
        }))
        .into_response(),
    )
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store, no-cache"),
    );
    response
}

fn invalid_grant(code: u32, message: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", code, message)
}

/// The identity platform's error body.
pub(crate) fn oauth_error(status: StatusCode, error: &str, code: u32, message: &str) -> Response {
    let trace = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {message} Trace ID: {trace} Timestamp: {}", Utc::now().format("%Y-%m-%d %H:%M:%SZ")),
        "error_codes": [code],
        "timestamp": Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
        "trace_id": trace,
        "correlation_id": uuid::Uuid::new_v4().to_string(),
    });
    no_store((status, Json(body)).into_response())
}

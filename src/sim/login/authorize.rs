//! `GET /{tenant}/oauth2/v2.0/authorize`: checks the client and redirect URI against the
//! registration, signs in the user named by `login_hint` without asking anything, and redirects
//! back with a code. A request whose `claims` ask for an authentication context is a step-up
//! ([`super::step_up`]).
//!
//! As with Entra, problems that make the redirect URI untrustworthy (unknown tenant, client or
//! redirect URI) and problems with the account itself (unknown, disabled, locked out) are shown
//! as an error page; the rest go back to the client as `error=` redirects.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use url::Url;

use super::scopes::RequestedScopes;
use super::step_up::{has_passwordless_method, requested_contexts, step_up_claims};
use super::{Authentication, AuthorizationCode, names_tenant, random_token};
use crate::sim::SimState;

/// How long an authorization code lives, as on Microsoft's endpoint.
const CODE_LIFETIME_MINUTES: i64 = 10;

pub(super) async fn authorize(
    State(state): State<Arc<SimState>>,
    Path(tenant): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    if !names_tenant(&state, &tenant) {
        return error_page("AADSTS90002", &format!("Tenant '{tenant}' not found."));
    }
    if param("client_id") != state.registration.client_id {
        return error_page(
            "AADSTS700016",
            &format!(
                "Application with identifier '{}' was not found in the directory.",
                param("client_id")
            ),
        );
    }
    if param("redirect_uri") != state.registration.redirect_uri {
        return error_page(
            "AADSTS50011",
            &format!(
                "The redirect URI '{}' specified in the request does not match the redirect URIs configured for the application.",
                param("redirect_uri")
            ),
        );
    }
    let Ok(redirect) = Url::parse(&state.registration.redirect_uri) else {
        return error_page(
            "AADSTS50011",
            "The registered redirect URI is not a valid URL.",
        );
    };
    let client_state = params.get("state").cloned();
    let back = |error: &str, description: &str| {
        error_redirect(&redirect, error, description, client_state.as_deref())
    };
    if param("response_type") != "code" {
        return back(
            "unsupported_response_type",
            "AADSTS700054: response_type 'code' is the only one this client may use.",
        );
    }
    let requested = match RequestedScopes::parse(param("scope")) {
        Ok(requested) => requested,
        Err(description) => return back("invalid_scope", &description),
    };
    // Entra lets confidential clients skip PKCE; the simulator does not, because Doorman
    // always uses it and a bot that forgot would otherwise pass every test.
    let Some(challenge) = params
        .get("code_challenge")
        .filter(|c| !c.is_empty())
        .cloned()
    else {
        return back(
            "invalid_request",
            "AADSTS9002325: Proof Key for Code Exchange is required: send code_challenge (S256).",
        );
    };
    // Without a method, RFC 7636 (and Entra) take the challenge as plain.
    let plain = match param("code_challenge_method") {
        "S256" => false,
        "plain" | "" => true,
        _ => {
            return back(
                "invalid_request",
                "AADSTS501491: Invalid code_challenge_method.",
            );
        }
    };
    if let Some(response_mode) = params.get("response_mode") {
        if response_mode != "query" {
            return back(
                "invalid_request",
                "AADSTS900144: this client only receives codes by query.",
            );
        }
    }
    let contexts = match params.get("claims") {
        None => Vec::new(),
        Some(claims) => match requested_contexts(claims) {
            Ok(contexts) => contexts,
            Err(description) => return back("invalid_request", &description),
        },
    };
    let hint = param("login_hint");
    if hint.is_empty() {
        return error_page(
            "AADSTS50058",
            "The simulator signs in the user named by login_hint, and this request has none.",
        );
    }
    let user_id = {
        let directory = state.directory();
        let Some(user) = directory.user_by_address(hint) else {
            return error_page(
                "AADSTS50034",
                &format!(
                    "The user account {hint} does not exist in the {} directory.",
                    directory.tenant.domain
                ),
            );
        };
        if user
            .props
            .get("accountEnabled")
            .and_then(serde_json::Value::as_bool)
            == Some(false)
        {
            return error_page("AADSTS50057", "The user account is disabled.");
        }
        if user.locked_out {
            return error_page(
                "AADSTS50053",
                "Your account is locked because you've tried to sign in too many times with an incorrect user ID or password.",
            );
        }
        if !contexts.is_empty() && !has_passwordless_method(user) {
            // The context's policy asks for MFA, and without a passwordless method this person
            // cannot complete it.
            return back(
                "interaction_required",
                &format!(
                    "AADSTS50079: Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '{}'.",
                    state.registration.client_id
                ),
            );
        }
        user.id.clone()
    };
    let now = Utc::now();
    let authentication = if contexts.is_empty() {
        Authentication {
            nonce: params.get("nonce").cloned(),
            acrs: Vec::new(),
            auth_time: (param("prompt") == "login").then_some(now),
        }
    } else {
        let (acrs, auth_time) = step_up_claims(state.login_state().step_up, contexts, now);
        Authentication {
            nonce: params.get("nonce").cloned(),
            acrs,
            auth_time: Some(auth_time),
        }
    };
    // Codes keep the S256 form of the challenge, so the token endpoint has one comparison.
    let challenge = if plain {
        super::token::s256(&challenge)
    } else {
        challenge
    };
    let code = random_token(48);
    state.login_state().codes.insert(
        code.clone(),
        AuthorizationCode {
            user_id,
            client_id: state.registration.client_id.clone(),
            redirect_uri: state.registration.redirect_uri.clone(),
            scopes: requested,
            code_challenge: challenge,
            authentication,
            expires: now + chrono::Duration::minutes(CODE_LIFETIME_MINUTES),
        },
    );
    let mut location = redirect.clone();
    {
        let mut query = location.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(client_state) = &client_state {
            query.append_pair("state", client_state);
        }
        query.append_pair("session_state", &uuid::Uuid::new_v4().to_string());
    }
    found(&location)
}

fn found(location: &Url) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.as_str().to_owned())],
    )
        .into_response()
}

fn error_redirect(redirect: &Url, error: &str, description: &str, state: Option<&str>) -> Response {
    let mut location = redirect.clone();
    {
        let mut query = location.query_pairs_mut();
        query.append_pair("error", error);
        query.append_pair("error_description", description);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    found(&location)
}

fn error_page(code: &str, message: &str) -> Response {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body = format!(
        "<!doctype html><title>Sign in</title><h1>Sorry, but we're having trouble signing you in.</h1><p>{}: {}</p>",
        escape(code),
        escape(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

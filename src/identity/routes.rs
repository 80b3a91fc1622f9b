//! The browser side of sign-in: `GET /auth/start`, `GET /auth/callback`, `POST /auth/confirm`.
//!
//! Every page is plain HTML with every interpolated value escaped, served with a policy that
//! forbids framing and any script or style. A page never shows or logs a code, a token or a
//! secret; a refusal says what happened and that nothing was linked.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};

#[cfg(test)]
mod tests;

use super::oauth::OAuthError;
use super::signin::{Expectation, PendingConfirmation, SIGN_IN_LIFETIME_MINUTES, Start};
use super::step_up::StepUpOutcome;
use super::vault::Binding;
use super::{Identity, Obtained};
use crate::domain::chat::{Channel, ChatUser, EntraUser};

/// What every sign-in page may do: nothing but render its own markup (no scripts, styles,
/// images or frames; the pages use none), post its form back here, and never be framed, so a
/// confirmation button cannot be clickjacked from another site.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

pub(super) fn router(identity: Arc<Identity>) -> Router {
    Router::new()
        .route("/auth/start", get(start))
        .route("/auth/callback", get(callback))
        .route("/auth/confirm", post(confirm))
        .with_state(identity)
        .layer(middleware::map_response(page_policy))
}

/// Adds the framing and content policy to every `/auth/*` answer, refusals and redirects
/// included. `no-referrer`, because a callback URL carries the authorization code.
async fn page_policy(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn start(
    State(identity): State<Arc<Identity>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(state) = params.get("state") else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in link incomplete",
            "This link is missing its sign-in code. Ask Doorman for a new link.",
        );
    };
    let pending = match identity.signins.peek(state) {
        Ok(Some(pending)) => pending,
        Ok(None) => return expired(),
        Err(error) => return unavailable(&error.to_string()),
    };
    // A step-up proves who is there and links nothing: it asks only to sign in, again, with
    // the authentication context.
    let (scopes, step_up) = match &pending.step_up {
        Some(asked) => (
            vec!["openid".to_owned(), "profile".to_owned()],
            Some(super::step_up::claims_parameter(&asked.context)),
        ),
        None => (identity.scopes_for(&pending), None),
    };
    let (url, verifier) = identity.oauth.authorize_url(
        state,
        &pending.nonce,
        pending.login_hint.as_deref(),
        &scopes,
        step_up.as_deref(),
    );
    match identity.signins.set_verifier(state, &verifier) {
        Ok(Start::Begun) => {}
        Ok(Start::AlreadyOpened) => return already_opened(),
        Ok(Start::Expired) => return expired(),
        Err(error) => return unavailable(&error.to_string()),
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, url.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

async fn callback(
    State(identity): State<Arc<Identity>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(state) = params.get("state") else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The identity platform's answer has no state. Nothing was linked.",
        );
    };
    // Taken out at once: a state is good for one callback, whatever happens next.
    let pending = match identity.signins.take(state) {
        Ok(Some(pending)) => pending,
        Ok(None) => return expired(),
        Err(error) => return unavailable(&error.to_string()),
    };
    if let Some(asked) = pending.step_up.clone() {
        return step_up_callback(&identity, &pending, &asked, &params).await;
    }
    if let Some(error) = params.get("error") {
        tracing::info!(error = %crate::telemetry::untrusted(error), "sign-in refused by the identity platform");
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in did not complete",
            &format!(
                "The identity platform answered: {error}. Nothing was linked. Ask Doorman for a new link to try again."
            ),
        );
    }
    let (Some(code), Some(verifier)) = (params.get("code"), pending.verifier.as_deref()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "This sign-in did not start from Doorman's link. Nothing was linked.",
        );
    };
    let mut tokens = match identity.oauth.exchange(code, verifier).await {
        Ok(tokens) => tokens,
        Err(OAuthError::InvalidGrant(reason)) => {
            tracing::warn!(%reason, "sign-in code refused");
            return page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "The sign-in could not be completed. Nothing was linked. Ask Doorman for a new link.",
            );
        }
        Err(error) => return unavailable(&error.to_string()),
    };
    // The answer lists the scopes of the one resource its access token is for (Graph); the
    // consent also covers the Exchange scopes the role asked for, redeemed later from the same
    // refresh token (and refused then, were they not consented).
    for scope in pending.role.exchange_scopes(&identity.exchange) {
        if !tokens
            .scopes
            .iter()
            .any(|have| have.eq_ignore_ascii_case(&scope))
        {
            tokens.scopes.push(scope);
        }
    }
    let Some(id_token) = tokens.id_token.as_deref() else {
        return unavailable("the identity platform returned no ID token");
    };
    let claims = match identity.verifier.verify(id_token, &pending.nonce).await {
        Ok(claims) => claims,
        Err(error) => {
            tracing::warn!(%error, "ID token refused");
            return page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "Doorman could not verify who signed in. Nothing was linked.",
            );
        }
    };
    let signed_in_as = claims
        .preferred_username
        .clone()
        .or_else(|| claims.email.clone())
        .unwrap_or_else(|| claims.oid.clone());
    let entra = EntraUser {
        id: claims.oid.clone(),
        upn: claims.preferred_username.clone(),
    };
    match &pending.expect {
        Expectation::EntraObject { id } if !id.eq_ignore_ascii_case(&claims.oid) => {
            tracing::warn!(chat_user = %pending.chat_user.key(), "sign-in as a different Entra user than the link was sent to");
            page(
                StatusCode::FORBIDDEN,
                "Wrong account",
                &format!(
                    "You signed in as {signed_in_as}, but this link was sent to someone else in {}. Nothing was linked. Ask Doorman for a link in your own chat.",
                    pending.chat_user.channel.name()
                ),
            )
        }
        Expectation::ChatEmail { email, name }
            if !matches_email(email.as_deref(), &claims.email, &claims.preferred_username) =>
        {
            let Some(refresh_token) = tokens.refresh_token.as_ref() else {
                return unavailable("the identity platform returned no refresh token");
            };
            let expires = Utc::now() + Duration::minutes(SIGN_IN_LIFETIME_MINUTES);
            let binding = confirmation_binding(&pending.chat_user, &entra, &tokens.scopes, expires);
            let confirmation = match identity.vault.seal(&binding, refresh_token) {
                Ok(sealed) => PendingConfirmation {
                    chat_user: pending.chat_user.clone(),
                    entra,
                    chat_email: email.clone(),
                    chat_name: name.clone(),
                    scopes: tokens.scopes.clone(),
                    refresh_token: sealed,
                    expires,
                },
                Err(error) => return unavailable(&error.to_string()),
            };
            let page = ConfirmationPage {
                signed_in_as: signed_in_as.clone(),
                entra_id: confirmation.entra.id.clone(),
                chat_user: confirmation.chat_user.clone(),
                chat_name: confirmation.chat_name.clone(),
                chat_email: confirmation.chat_email.clone(),
            };
            match identity.signins.park(confirmation) {
                Ok(id) => page.render(&id),
                Err(error) => unavailable(&error.to_string()),
            }
        }
        _ => match identity
            .complete(&pending.chat_user, &entra, Obtained::Fresh(tokens))
            .await
        {
            Ok(()) => signed_in_page(&signed_in_as, pending.chat_user.channel),
            Err(error) => unavailable(&error.to_string()),
        },
    }
}

/// The end of a step-up sign-in: its ID token checked against the requester it was sent to
/// and the authentication context, and the request waiting for it told either way. Answers
/// the browser with a page that says what happens next (a failed step-up is not a broken
/// page: Doorman moves on to the next way of verifying).
async fn step_up_callback(
    identity: &Identity,
    pending: &super::signin::PendingSignIn,
    asked: &super::signin::StepUpAsked,
    params: &HashMap<String, String>,
) -> Response {
    let Expectation::EntraObject { id: expected } = &pending.expect else {
        return unavailable("a step-up sign-in must name the account it verifies");
    };
    let outcome = match step_up_result(identity, pending, asked, expected, params).await {
        Ok(()) => StepUpOutcome::Verified,
        Err(why) => StepUpOutcome::Refused(why),
    };
    identity.stepped_up(&asked.request, outcome.clone());
    let channel = pending.chat_user.channel.name();
    match outcome {
        StepUpOutcome::Verified => page(
            StatusCode::OK,
            "Verified",
            &format!(
                "Thank you: that was you. You can close this window and go back to {channel}: Doorman carries on with your request."
            ),
        ),
        StepUpOutcome::Refused(why) => page(
            StatusCode::OK,
            "Not verified",
            &format!(
                "This sign-in could not verify you: {why}. Nothing was changed. Go back to {channel}: Doorman tells you what happens next."
            ),
        ),
    }
}

/// Whether the step-up's answer proves the requester `expected` completed the context now.
async fn step_up_result(
    identity: &Identity,
    pending: &super::signin::PendingSignIn,
    asked: &super::signin::StepUpAsked,
    expected: &str,
    params: &HashMap<String, String>,
) -> Result<(), String> {
    if let Some(error) = params.get("error") {
        tracing::info!(error = %crate::telemetry::untrusted(error), "step-up sign-in refused by the identity platform");
        return Err(if error == "interaction_required" {
            "you could not complete a multi-factor sign-in without your password".to_owned()
        } else {
            format!("the identity platform answered {error}")
        });
    }
    let (Some(code), Some(verifier)) = (params.get("code"), pending.verifier.as_deref()) else {
        return Err("the sign-in did not start from Doorman's link".to_owned());
    };
    let tokens = identity
        .oauth
        .exchange(code, verifier)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "step-up code refused");
            "the sign-in could not be completed".to_owned()
        })?;
    let id_token = tokens
        .id_token
        .as_deref()
        .ok_or_else(|| "the identity platform returned no ID token".to_owned())?;
    let claims = identity
        .verifier
        .verify(id_token, &pending.nonce)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "step-up ID token refused");
            "Doorman could not verify who signed in".to_owned()
        })?;
    super::step_up::check(&claims, expected, &asked.context, Utc::now())
}

async fn confirm(
    State(identity): State<Arc<Identity>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(id) = form.get("confirmation") else {
        return page(
            StatusCode::BAD_REQUEST,
            "Nothing to confirm",
            "This confirmation is incomplete. Nothing was linked.",
        );
    };
    let confirmation = match identity.signins.take_confirmation(id) {
        Ok(Some(confirmation)) => confirmation,
        Ok(None) => return expired(),
        Err(error) => return unavailable(&error.to_string()),
    };
    let binding = confirmation_binding(
        &confirmation.chat_user,
        &confirmation.entra,
        &confirmation.scopes,
        confirmation.expires,
    );
    let refresh_token = match identity.vault.unseal(&binding, &confirmation.refresh_token) {
        Ok(token) => token,
        Err(error) => return unavailable(&error.to_string()),
    };
    let signed_in_as = confirmation
        .entra
        .upn
        .clone()
        .unwrap_or_else(|| confirmation.entra.id.clone());
    let obtained = Obtained::Confirmed {
        refresh_token,
        scopes: confirmation.scopes.clone(),
    };
    match identity
        .complete(&confirmation.chat_user, &confirmation.entra, obtained)
        .await
    {
        Ok(()) => signed_in_page(&signed_in_as, confirmation.chat_user.channel),
        Err(error) => unavailable(&error.to_string()),
    }
}

/// What the refresh token of a parked confirmation is sealed to: the chat user and Entra user
/// being linked, the scopes granted and the confirmation's expiry, so that none of them can be
/// changed in the store without the token becoming unreadable.
fn confirmation_binding(
    chat_user: &ChatUser,
    entra: &EntraUser,
    scopes: &[String],
    expires: DateTime<Utc>,
) -> Binding {
    let owner = format!("confirm|{}|{}", chat_user.key(), entra.id);
    Binding::new(&owner, scopes, entra.upn.as_deref(), expires)
}

/// Whether the signed-in account's mail or UPN is the chat profile's email.
fn matches_email(chat_email: Option<&str>, email: &Option<String>, upn: &Option<String>) -> bool {
    let Some(chat_email) = chat_email else {
        return false;
    };
    [email, upn]
        .into_iter()
        .flatten()
        .any(|address| address.trim().eq_ignore_ascii_case(chat_email.trim()))
}

fn signed_in_page(who: &str, channel: Channel) -> Response {
    page(
        StatusCode::OK,
        "You're signed in",
        &format!(
            "Signed in as {who}. You can close this window and go back to {}: Doorman carries on with your request.",
            channel.name()
        ),
    )
}

/// The page asking a person to confirm a link between two accounts whose emails differ. It
/// names both accounts concretely (a vague "your Slack account" would let a forwarded link be
/// confirmed by someone who never looked at whose account it is).
struct ConfirmationPage {
    /// The Entra account that signed in: its UPN (or mail, or object id).
    signed_in_as: String,
    entra_id: String,
    /// The chat account the sign-in link was sent to.
    chat_user: ChatUser,
    chat_name: Option<String>,
    chat_email: Option<String>,
}

impl ConfirmationPage {
    fn render(&self, confirmation_id: &str) -> Response {
        let channel = self.chat_user.channel.name();
        let who = self.chat_name.as_deref().unwrap_or(&self.chat_user.id);
        let place = self.chat_user.channel.space();
        let email = match &self.chat_email {
            Some(email) => format!("whose profile email is <strong>{}</strong>", escape(email)),
            None => "whose profile shows no email".to_owned(),
        };
        let body = format!(
            "<p>You signed in to Microsoft as <strong>{entra}</strong> (Entra object id {entra_id}).</p>\
             <p>The sign-in link was sent to the {channel} account <strong>{who}</strong> \
             (user {user} in {place} {tenant}), {email}.</p>\
             <p>Link these two accounts? Only confirm if both are yours: Doorman will act as \
             <strong>{entra}</strong> for requests made by {channel} user {user}.</p>\
             <form method=\"post\" action=\"/auth/confirm\"><input type=\"hidden\" name=\"confirmation\" value=\"{id}\">\
             <button type=\"submit\">Yes, link them</button></form><p>If not, close this window: nothing is linked.</p>",
            entra = escape(&self.signed_in_as),
            entra_id = escape(&self.entra_id),
            who = escape(who),
            user = escape(&self.chat_user.id),
            tenant = escape(&self.chat_user.tenant),
            id = escape(confirmation_id),
        );
        html(StatusCode::OK, "Confirm the link", &body)
    }
}

fn expired() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Link expired",
        "This sign-in link has expired or was already used. Nothing was linked. Ask Doorman for a new one.",
    )
}

fn already_opened() -> Response {
    page(
        StatusCode::CONFLICT,
        "Link already opened",
        "This sign-in link was already opened. Nothing was linked. Ask Doorman for a new one.",
    )
}

fn unavailable(reason: &str) -> Response {
    tracing::error!(reason, "sign-in could not be completed");
    page(
        StatusCode::BAD_GATEWAY,
        "Sign-in unavailable",
        "Doorman could not complete the sign-in right now. Nothing was linked. Try again in a moment.",
    )
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    html(status, title, &format!("<p>{}</p>", escape(message)))
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let document = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Doorman: {}</title></head><body><h1>{}</h1>{body}</body></html>",
        escape(title),
        escape(title)
    );
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(document),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

//! `POST /api/messages`: the Bot Connector's door into Doorman.
//!
//! Owns the HTTP answers: 400 for a body that is not an activity, 401 for any failed check
//! (with nothing recorded and no handler called), 500 when the delivery cannot be recorded (the
//! connector delivers it again), 200 at once for messages and installs (recorded as accepted in
//! the ledger first, then handled on a tracked task, since the connector wants an answer within
//! 15 seconds), and the invoke response, which is the handler's answer to a click (recorded,
//! then handled within the invoke's own exchange). Must not: log a token or message text, or
//! call the handler for a delivery the ledger has seen.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tracing::Instrument;

use super::Teams;
use super::auth::Authenticated;
use super::inbound::{self, Skip};
use super::wire::{Activity, InvokeResponse};
use crate::channels::deliveries::hand_on;
use crate::domain::chat::{Inbound, Message};
use crate::telemetry::untrusted;

/// The Teams route, `POST /api/messages`, with its state applied.
pub fn routes(teams: Arc<Teams>) -> Router {
    Router::new()
        .route("/api/messages", post(receive))
        .with_state(teams)
}

async fn receive(State(teams): State<Arc<Teams>>, headers: HeaderMap, body: Bytes) -> Response {
    let activity: Activity = match serde_json::from_slice(&body) {
        Ok(activity) => activity,
        Err(error) => {
            // Where, not what: serde's message can quote the body, which anyone can send.
            tracing::debug!(
                line = error.line(),
                column = error.column(),
                "refused a body that is not an activity"
            );
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let authenticated = match teams
        .auth
        .verify(headers.get(header::AUTHORIZATION), activity)
        .await
    {
        Ok(authenticated) => authenticated,
        Err(reason) => {
            // Nothing of the body is logged: anyone can send one.
            tracing::warn!(reason = %reason.for_log(), "refused a teams activity");
            return StatusCode::UNAUTHORIZED.into_response();
        }
    };
    let activity = authenticated.activity();
    // The token vouches for the sender, not for each field of the body: still escaped.
    let span = tracing::info_span!(
        "teams_activity",
        channel = "teams",
        tenant = %untrusted(authenticated.tenant()),
        activity_type = %untrusted(&activity.kind),
        activity_id = %untrusted(activity.id.as_deref().unwrap_or_default()),
    );
    teams.handle(authenticated).instrument(span).await
}

impl Teams {
    async fn handle(self: &Arc<Self>, authenticated: Authenticated) -> Response {
        self.conversations.trust(authenticated.service_url());
        let is_invoke = authenticated.activity().kind == "invoke";
        let inbound = match inbound::interpret(&authenticated, &self.bot_id) {
            Ok(inbound) => inbound,
            Err(Skip::Ignored(reason)) => {
                tracing::debug!(reason, "ignored");
                return StatusCode::OK.into_response();
            }
            Err(Skip::Malformed(reason)) => {
                tracing::debug!(reason, "refused a malformed activity");
                return StatusCode::BAD_REQUEST.into_response();
            }
            Err(Skip::Refused(answer)) => return invoke_answer(&answer),
        };
        let Some(key) = inbound::delivery_key(&authenticated) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        match self.deliveries.accept(&key, &inbound).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("a delivery seen before");
                return if is_invoke {
                    invoke_answer(&InvokeResponse::message("This was already handled."))
                } else {
                    StatusCode::OK.into_response()
                };
            }
            Err(error) => {
                // Unrecorded, the delivery may be retried by the connector: better than
                // handling it without a record.
                tracing::error!(%error, "cannot record a teams delivery");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
        tracing::debug!("accepted");
        self.remember_conversation(&authenticated);
        self.dispatch(key, inbound).await
    }

    /// Stores the sender's 1:1 conversation, so Doorman can write to them later.
    fn remember_conversation(&self, authenticated: &Authenticated) {
        let Some((person, conversation)) =
            inbound::personal_conversation(authenticated, &self.bot_id)
        else {
            return;
        };
        if let Err(error) = self.conversations.remember(&person, &conversation) {
            tracing::error!(%error, "cannot store a teams conversation reference");
        }
    }

    /// Hands an accepted delivery on, on a task the ledger tracks and marks done.
    async fn dispatch(self: &Arc<Self>, key: String, inbound: Inbound) -> Response {
        let handler = Arc::clone(&self.handler);
        match inbound {
            Inbound::Action(action) => {
                // The handler runs on its own task, so a slow one finishes its work (and the
                // delivery is marked done) even after the invoke has been answered.
                let work = self.deliveries.spawn(
                    key,
                    async move { handler.action(action).await }.in_current_span(),
                );
                let answer = match tokio::time::timeout(self.invoke_budget, work).await {
                    Ok(Ok(Some(message))) => self.answer_with(&message),
                    Ok(Ok(None)) => InvokeResponse::message(""),
                    Ok(Err(error)) => {
                        tracing::error!(%error, "the card action handler failed");
                        InvokeResponse::error(500, "InternalError", "doorman could not do that")
                    }
                    Err(_) => {
                        tracing::warn!("a card action outlasted the invoke budget");
                        InvokeResponse::message("Doorman is still working on it.")
                    }
                };
                invoke_answer(&answer)
            }
            other => {
                let port = Arc::clone(self);
                self.deliveries.spawn(
                    key,
                    async move { hand_on(other, handler.as_ref(), port.as_ref()).await }
                        .in_current_span(),
                );
                StatusCode::OK.into_response()
            }
        }
    }
}

impl Teams {
    /// The invoke answer for the handler's message: its card, or its text.
    fn answer_with(&self, message: &Message) -> InvokeResponse {
        match &message.card {
            Some(card) => InvokeResponse::card(self.render(card, &message.text)),
            None => InvokeResponse::message(message.text.clone()),
        }
    }
}

fn invoke_answer(answer: &InvokeResponse) -> Response {
    let status = StatusCode::from_u16(answer.status_code).unwrap_or(StatusCode::OK);
    (status, axum::Json(answer)).into_response()
}

//! `POST /_sim/slack/view {user, view_id, values, redeliver?}`: a person submits a modal the
//! bot opened for them, and Slack delivers the `view_submission` to the bot.
//!
//! `values` is `{action_id: text}` for the view's `input` blocks (an input left out is sent
//! with `value: null`, as when nothing was typed). Slack's client checks an element's
//! `max_length` before it sends; the simulator does not, so a test can show what the bot does
//! with text a client let through. The answer is `{status, body}`: the bot's HTTP status and its
//! JSON body (null when empty). An empty 200 (or `response_action: clear`) closes the view; any
//! other answer, `response_action: errors` among them, leaves it open.
//!
//! With `redeliver: true` the view's last submission is delivered again byte for byte (signed
//! anew), as a replayed request would arrive, whether or not the view has closed since.

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ControlError, deliver, parse, sender};
use crate::sim::SimState;
use crate::sim::slack::payloads::{self, Submission};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewRequest {
    user: String,
    view_id: String,
    /// What was typed, as `{action_id: text}`.
    #[serde(default)]
    values: Map<String, Value>,
    #[serde(default)]
    redeliver: bool,
}

/// The `payload` form Slack posts, for a new submission or the last one again.
fn submission_body(sim: &SimState, request: &ViewRequest) -> Result<Vec<u8>, ControlError> {
    let user = sender(sim, &request.user)?;
    let mut records = sim.slack.records();
    let opened = records
        .view(&request.view_id)
        .ok_or_else(|| ControlError::UnknownView(request.view_id.clone()))?;
    if opened.user != user.id {
        return Err(ControlError::NotTheirView(request.view_id.clone()));
    }
    if request.redeliver {
        return opened
            .submission
            .ok_or_else(|| ControlError::NeverSubmitted(request.view_id.clone()));
    }
    if opened.closed {
        return Err(ControlError::ViewClosed(request.view_id.clone()));
    }
    let state = payloads::view_state(&opened.view["blocks"], &request.values)
        .map_err(|missing| ControlError::UnknownAction(missing.0))?;
    let trigger_id = records.issue_trigger(&user.id);
    let payload = payloads::view_submission(
        &sim.slack,
        Submission {
            user: &user,
            view: &opened.view,
            state,
            trigger_id: &trigger_id,
        },
    );
    Ok(url::form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish()
        .into_bytes())
}

pub(super) async fn submit(sim: &SimState, body: &Bytes) -> Result<Value, ControlError> {
    let request: ViewRequest = parse(body)?;
    let form = submission_body(sim, &request)?;
    let answer = deliver(
        sim,
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        form.clone(),
        Vec::new(),
    )
    .await?;
    let closes = answer.status == StatusCode::OK.as_u16()
        && (answer.body.is_null() || answer.body["response_action"] == "clear");
    sim.slack
        .records()
        .submitted(&request.view_id, form, closes);
    Ok(json!({"status": answer.status, "body": answer.body}))
}

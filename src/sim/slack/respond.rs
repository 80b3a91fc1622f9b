//! The `response_url` of an interaction: `POST {sim}/slack/respond/{token}` with a JSON
//! message replaces the clicked message (`replace_original`), deletes it
//! (`delete_original`), or adds a new one to the DM, as Slack's does. Each URL works five
//! times within thirty minutes; it needs no token, since the URL itself is the secret. Blocks
//! that break Slack's Block Kit limits are refused with 400 `invalid_blocks`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::block_kit::{self, Surface};
use super::methods::named;
use super::records::Message;
use crate::sim::SimState;

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new().route("/slack/respond/{token}", post(respond))
}

fn refuse(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({"ok": false, "error": error}))).into_response()
}

async fn respond(
    State(sim): State<Arc<SimState>>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(Value::Object(reply)) = serde_json::from_slice::<Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    let flag = |name: &str| reply.get(name).and_then(Value::as_bool) == Some(true);
    let text = reply.get("text").and_then(Value::as_str).map(str::to_owned);
    let blocks = match reply.get("blocks") {
        None | Some(Value::Null) => None,
        Some(Value::Array(blocks)) => Some(Value::Array(blocks.clone())),
        Some(_) => return refuse(StatusCode::BAD_REQUEST, "invalid_blocks"),
    };
    if let Some(blocks) = &blocks {
        if !block_kit::problems(blocks, Surface::Message, "/blocks").is_empty() {
            return refuse(StatusCode::BAD_REQUEST, "invalid_blocks");
        }
    }
    let blocks = blocks.map(named);
    let mut records = sim.slack.records();
    let Some((channel, message_ts)) = records.use_response_url(&token) else {
        return refuse(StatusCode::NOT_FOUND, "expired_url");
    };
    if flag("delete_original") {
        records.delete(&channel, &message_ts);
    } else if flag("replace_original") {
        // A replacement is a whole new message: what it leaves out is gone.
        let text = Some(text.unwrap_or_default());
        let blocks = Some(blocks.unwrap_or_else(|| json!([])));
        if records
            .update(&channel, &message_ts, text, blocks)
            .is_none()
        {
            return refuse(StatusCode::NOT_FOUND, "message_not_found");
        }
    } else if text.is_some() || blocks.is_some() {
        let message = Message {
            ts: records.next_ts(),
            text: text.unwrap_or_default(),
            blocks: blocks.unwrap_or_else(|| json!([])),
        };
        records.post(&channel, message);
    } else {
        return refuse(StatusCode::BAD_REQUEST, "no_text");
    }
    Json(json!({"ok": true})).into_response()
}

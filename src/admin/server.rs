//! The daemon's side: a router on the admin listener, behind the bearer token.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::audit::{AuditLog, ExportFilter};
use crate::requests::{Requests, RevokeRefused};
use crate::store::Store;

#[derive(Clone)]
struct AdminState {
    audit: Arc<AuditLog>,
    store: Arc<dyn Store>,
    requests: Arc<Requests>,
    token: Arc<str>,
}

/// The admin routes, answering only requests that carry `token`.
pub fn router(
    audit: Arc<AuditLog>,
    store: Arc<dyn Store>,
    requests: Arc<Requests>,
    token: &str,
) -> Router {
    let state = AdminState {
        audit,
        store,
        requests,
        token: Arc::from(token),
    };
    Router::new()
        .route("/admin/audit/chain", get(chain))
        .route("/admin/audit/export", get(export))
        .route("/admin/grants", get(grants))
        .route("/admin/grants/{id}/revoke", post(revoke))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        // Its own fallback, so that the routes merged beside these (the operator's probes and
        // metrics, which need no token) leave unknown paths behind the token too.
        .fallback(unknown)
        .with_state(state)
}

async fn require_token(State(state): State<AdminState>, request: Request, next: Next) -> Response {
    if !presents_token(request.headers(), &state.token) {
        return token_required();
    }
    next.run(request).await
}

/// A path nothing serves: 401 without the token, as for every admin route, so that a caller
/// without it learns nothing of which paths exist; 404 with it.
async fn unknown(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    if !presents_token(&headers, &state.token) {
        return token_required();
    }
    StatusCode::NOT_FOUND.into_response()
}

fn presents_token(headers: &HeaderMap, token: &str) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    aws_lc_rs::constant_time::verify_slices_are_equal(presented.as_bytes(), token.as_bytes())
        .is_ok()
}

fn token_required() -> Response {
    (StatusCode::UNAUTHORIZED, "admin token required").into_response()
}

/// The raw chain as JSON lines (`{"tree", "key", "value"}`, key hex, value base64): the signed
/// heads first, then the records, exactly as stored.
async fn chain(State(state): State<AdminState>) -> Response {
    let audit = Arc::clone(&state.audit);
    let lines =
        tokio::task::spawn_blocking(move || -> Result<Vec<u8>, crate::store::StoreError> {
            let mut lines = Vec::new();
            for (tree, entries) in [
                ("heads", audit.raw_heads().collect::<Vec<_>>()),
                ("records", audit.raw_records().collect()),
            ] {
                for entry in entries {
                    let (key, value) = entry?;
                    let line = super::ChainLine {
                        tree: tree.to_owned(),
                        key: hex::encode(key),
                        value: STANDARD.encode(value),
                    };
                    lines.extend(serde_json::to_vec(&line).unwrap_or_default());
                    lines.push(b'\n');
                }
            }
            Ok(lines)
        })
        .await;
    match lines {
        Ok(Ok(lines)) => ([(header::CONTENT_TYPE, "application/x-ndjson")], lines).into_response(),
        Ok(Err(error)) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn export(
    State(state): State<AdminState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let filter = match super::client::export_filter(
        params.get("since").map(String::as_str),
        params.get("request").cloned(),
    ) {
        Ok(filter) => filter,
        Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    let audit = Arc::clone(&state.audit);
    let exported = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        audit.export(&filter, &mut lines).map(|_| lines)
    })
    .await;
    match exported {
        Ok(Ok(lines)) => ([(header::CONTENT_TYPE, "application/x-ndjson")], lines).into_response(),
        Ok(Err(error)) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// Ends an active grant now (`doorman grants revoke`): 202 with the request, whose removal
/// runs on; 404 for an unknown id, 409 for one that is not an active grant.
async fn revoke(State(state): State<AdminState>, Path(id): Path<String>) -> Response {
    match state.requests.revoke_as_admin(&id).await {
        Ok(record) => (StatusCode::ACCEPTED, axum::Json(record)).into_response(),
        Err(refused) => {
            let status = match refused {
                RevokeRefused::Unknown => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            (status, refused.sentence(&id)).into_response()
        }
    }
}

/// The kept requests that are active grants, as a JSON array.
async fn grants(State(state): State<AdminState>) -> Response {
    let store = Arc::clone(&state.store);
    let found =
        tokio::task::spawn_blocking(move || crate::requests::active_grants(store.as_ref())).await;
    match found {
        Ok(Ok(grants)) => axum::Json(grants).into_response(),
        Ok(Err(error)) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

impl ExportFilter {
    /// The query string the client sends for this filter.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(since) = self.since {
            query.push(("since", since.to_rfc3339()));
        }
        if let Some(request) = &self.request_id {
            query.push(("request", request.clone()));
        }
        query
    }
}

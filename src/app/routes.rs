//! The daemon's public routes: health, readiness and metrics, with a request span and metrics
//! for every request; the channel and sign-in routes join them.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tracing::Instrument;

use super::Readiness;
use crate::metrics::Metrics;

/// The probes and metrics, plus `chat` (the channel and sign-in routes), all observed.
pub fn router(metrics: Arc<Metrics>, readiness: Arc<Readiness>, chat: Router) -> Router {
    let probes = Router::new().route("/healthz", get(healthz)).merge(
        Router::new()
            .route("/readyz", get(readyz))
            .with_state(readiness),
    );
    let exposition = Router::new()
        .route("/metrics", get(metrics_text))
        .with_state(Arc::clone(&metrics));
    probes
        .merge(exposition)
        .merge(chat)
        .layer(middleware::from_fn_with_state(metrics, observe))
}

async fn healthz() -> Response {
    Json(json!({"status": "up"})).into_response()
}

async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    // One look at the checks, so the status and the details always agree.
    let checks = readiness.checks();
    let ready = checks.iter().all(|check| check.ok);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "checks": checks,
    });
    (status, Json(body)).into_response()
}

async fn metrics_text(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.encode(),
    )
        .into_response()
}

/// A span per request (id, method, matched route: never the raw URI, whose query may hold a
/// sign-in code) and the request metrics.
async fn observe(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().to_string();
    let request_id = uuid::Uuid::new_v4();
    let span = tracing::info_span!("request", %request_id, %method, %route);
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    metrics.observe_http(&route, &method, status, started.elapsed());
    span.in_scope(|| {
        tracing::debug!(
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "answered"
        )
    });
    response
}

//! The daemon's own routes. On the public listener: health and readiness (which says only ready
//! or not), the metrics when `[server] public_metrics` asks for them, and the channel and
//! sign-in routes, with a request span and metrics for every request. On the admin listener,
//! without its token since probes and scrapers cannot hold one: readiness with every check's
//! detail (paths on this machine, which the public side must not name) and the metrics.

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
use crate::metrics::{Metrics, method_label};

/// The route label of requests no route matched: one bucket, whatever their path.
const UNMATCHED: &str = "unmatched";

/// Whether the public listener serves `/metrics` too (`[server] public_metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicMetrics {
    Served,
    Hidden,
}

/// The public routes: the probes, the metrics if `public_metrics` says so, and `chat` (the
/// channel and sign-in routes), all observed.
pub fn public(
    metrics: Arc<Metrics>,
    readiness: Arc<Readiness>,
    public_metrics: PublicMetrics,
    chat: Router,
) -> Router {
    let mut routes = Router::new().route("/healthz", get(healthz)).merge(
        Router::new()
            .route("/readyz", get(readyz))
            .with_state(readiness),
    );
    if public_metrics == PublicMetrics::Served {
        routes = routes.merge(exposition(Arc::clone(&metrics)));
    }
    routes
        .merge(chat)
        .layer(middleware::from_fn_with_state(metrics, observe))
}

/// The operator's routes on the admin listener: readiness in detail, and the metrics.
pub fn operations(metrics: Arc<Metrics>, readiness: Arc<Readiness>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(
            Router::new()
                .route("/readyz", get(readyz_in_detail))
                .with_state(readiness),
        )
        .merge(exposition(metrics))
}

fn exposition(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .with_state(metrics)
}

async fn healthz() -> Response {
    Json(json!({"status": "up"})).into_response()
}

/// Ready or not, and nothing more: which check failed, and the paths and counts the checks
/// name, are for the admin listener.
async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    let ready = readiness.is_ready();
    (
        readiness_status(ready),
        Json(json!({"status": status_word(ready)})),
    )
        .into_response()
}

async fn readyz_in_detail(State(readiness): State<Arc<Readiness>>) -> Response {
    // One look at the checks, so the status and the details always agree.
    let checks = readiness.checks();
    let ready = checks.iter().all(|check| check.ok);
    let body = json!({
        "status": status_word(ready),
        "checks": checks,
    });
    (readiness_status(ready), Json(body)).into_response()
}

fn readiness_status(ready: bool) -> StatusCode {
    if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

fn status_word(ready: bool) -> &'static str {
    if ready { "ready" } else { "not ready" }
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
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = request.method().clone();
    let request_id = uuid::Uuid::new_v4();
    // The label, not the raw method: a client may send any token as a method.
    let span = tracing::info_span!("request", %request_id, method = method_label(&method), %route);
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

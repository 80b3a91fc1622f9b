//! The fake Bot Framework: OpenID metadata (`/openid`), keys (`/keys`), the token endpoint
//! (`/token`), and a Bot Connector on every other path that records calls and answers with
//! scripted replies or ids.

use std::collections::VecDeque;
use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::lock;

/// One request the fake connector received.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: String,
    /// The raw path, percent-encoding included.
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

/// An answer the fake connector gives instead of its default, in order.
pub(crate) struct Scripted {
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: Value,
}

#[derive(Default)]
struct CloudState {
    base: Mutex<String>,
    jwks: Mutex<Vec<Value>>,
    metadata_fetches: AtomicUsize,
    token_requests: Mutex<Vec<String>>,
    calls: Mutex<Vec<Call>>,
    scripted: Mutex<VecDeque<Scripted>>,
}

/// The fake Bot Framework: `/openid`, `/keys`, `/token`, and a connector on every other path.
pub(crate) struct FakeCloud {
    pub url: String,
    state: Arc<CloudState>,
}

impl FakeCloud {
    pub async fn start() -> Result<FakeCloud, Box<dyn Error>> {
        let state = Arc::new(CloudState::default());
        let router = Router::new()
            .route("/openid", get(metadata))
            .route("/keys", get(keys))
            .route("/token", post(token))
            .fallback(connector)
            .with_state(Arc::clone(&state));
        let url = serve(router).await?;
        *lock(&state.base) = url.clone();
        Ok(FakeCloud { url, state })
    }

    pub fn publish(&self, jwk: Value) {
        lock(&self.state.jwks).push(jwk);
    }

    pub fn metadata_fetches(&self) -> usize {
        self.state.metadata_fetches.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> Vec<String> {
        lock(&self.state.token_requests).clone()
    }

    pub fn calls(&self) -> Vec<Call> {
        lock(&self.state.calls).clone()
    }

    pub fn script(&self, answer: Scripted) {
        lock(&self.state.scripted).push_back(answer);
    }
}

async fn metadata(State(state): State<Arc<CloudState>>) -> Response {
    state.metadata_fetches.fetch_add(1, Ordering::SeqCst);
    let base = lock(&state.base).clone();
    axum::Json(
        json!({"issuer": "https://api.botframework.com", "jwks_uri": format!("{base}/keys")}),
    )
    .into_response()
}

async fn keys(State(state): State<Arc<CloudState>>) -> Response {
    let keys = lock(&state.jwks).clone();
    axum::Json(json!({"keys": keys})).into_response()
}

async fn token(State(state): State<Arc<CloudState>>, body: String) -> Response {
    let count = {
        let mut requests = lock(&state.token_requests);
        requests.push(body);
        requests.len()
    };
    axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": 3600,
        "access_token": format!("bot-token-{count}"),
    }))
    .into_response()
}

async fn connector(State(state): State<Arc<CloudState>>, request: Request) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let count = {
        let mut calls = lock(&state.calls);
        calls.push(Call {
            method: method.clone(),
            path: path.clone(),
            authorization,
            body,
        });
        calls.len()
    };
    if let Some(answer) = lock(&state.scripted).pop_front() {
        let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::IM_A_TEAPOT);
        let mut response = (status, axum::Json(answer.body)).into_response();
        for (name, value) in answer.headers {
            if let Ok(value) = value.parse() {
                response.headers_mut().insert(name, value);
            }
        }
        return response;
    }
    if method == "POST" && path.ends_with("/v3/conversations") {
        return axum::Json(json!({"id": "a:1created-by-doorman"})).into_response();
    }
    if method == "GET" && path.contains("/members/") {
        return axum::Json(json!({"id": "29:1ana", "aadObjectId": path.rsplit('/').next()}))
            .into_response();
    }
    axum::Json(json!({"id": format!("activity-{count}")})).into_response()
}

/// Serves `router` on a free loopback port and returns its base URL.
pub(super) async fn serve(router: Router) -> Result<String, Box<dyn Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{address}"))
}

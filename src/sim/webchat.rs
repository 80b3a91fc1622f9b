//! The demo's web chat (DESIGN.md section 11): one page at the simulator's root that lets a
//! person play anyone of the tenant in Teams or Slack, and shows the tenant changing beside it.
//!
//! Everything the page needs is compiled in and served from here, so it works with no network:
//! the page, its script and style, and Microsoft's Adaptive Cards renderer (`vendor/`, the
//! `adaptivecards` npm package's browser build, with its licence). The page talks only to the
//! control API (`/_sim/teams/...`, `/_sim/slack/...`, `/_sim/state`, `/_sim/graph/log`), as a
//! test would, so what it shows is what the simulated services hold.
//!
//! The daemon's side of the tenant (its active grants and audit trail) lives behind the
//! daemon's admin listener, which the simulator does not know. `doorman demo` attaches a
//! [`DaemonView`] that reads them; `/_sim/demo/grants` and `/_sim/demo/audit` serve what it
//! says, read-only, and answer 404 when nothing is attached (a plain `doorman sim`). Until the
//! daemon it waits for is attached, the root answers 503 with a page that looks again shortly,
//! so whoever opens the address early lands in a chat whose bot is listening.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::future::BoxFuture;
use serde_json::Value;

use super::SimState;
use super::control::problem;

const PAGE: &str = include_str!("webchat/index.html");
const SCRIPT: &str = include_str!("webchat/app.js");
const BLOCK_KIT: &str = include_str!("webchat/blockkit.js");
const STYLE: &str = include_str!("webchat/style.css");
const ADAPTIVE_CARDS: &str = include_str!("webchat/vendor/adaptivecards.min.js");
const ADAPTIVE_CARDS_LICENSE: &str = include_str!("webchat/vendor/LICENSE");

const STARTING: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"refresh\" content=\"1\"><title>Doorman demo: starting</title></head>\
<body><p>Doorman is starting; this page opens the chat in a moment.</p></body></html>";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// What a running daemon shows the page: JSON it reads through its own doors, read-only.
pub trait DaemonView: Send + Sync {
    /// The active grants, as `doorman grants list --json` has them.
    fn grants(&self) -> BoxFuture<'_, Result<Value, String>>;
    /// The audit trail, oldest first, as `doorman audit export` has it.
    fn audit(&self) -> BoxFuture<'_, Result<Value, String>>;
}

/// The web chat's part of the simulator's state: the daemon attached to it, if any.
#[derive(Default)]
pub struct Webchat {
    daemon: OnceLock<Arc<dyn DaemonView>>,
    /// A daemon is starting and will be attached: the chat is not offered before it is.
    awaiting: AtomicBool,
}

impl Webchat {
    /// Holds the page back (503, "starting") until [`Webchat::attach`]: the simulator serves
    /// before the daemon that talks to it is listening.
    pub fn await_daemon(&self) {
        self.awaiting.store(true, Ordering::Release);
    }

    fn starting(&self) -> bool {
        self.awaiting.load(Ordering::Acquire) && self.daemon.get().is_none()
    }

    /// Shows `daemon`'s grants and audit trail beside the chat. Only the first one attached is
    /// kept: a simulator serves one demo.
    pub fn attach(&self, daemon: Arc<dyn DaemonView>) {
        let _ = self.daemon.set(daemon);
    }

    fn daemon(&self) -> Option<&Arc<dyn DaemonView>> {
        self.daemon.get()
    }
}

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/", get(page))
        .route("/_sim/webchat/app.js", get(|| asset(JAVASCRIPT, SCRIPT)))
        .route(
            "/_sim/webchat/blockkit.js",
            get(|| asset(JAVASCRIPT, BLOCK_KIT)),
        )
        .route(
            "/_sim/webchat/style.css",
            get(|| asset("text/css; charset=utf-8", STYLE)),
        )
        .route(
            "/_sim/webchat/adaptivecards.min.js",
            get(|| asset(JAVASCRIPT, ADAPTIVE_CARDS)),
        )
        .route(
            "/_sim/webchat/adaptivecards.LICENSE",
            get(|| asset("text/plain; charset=utf-8", ADAPTIVE_CARDS_LICENSE)),
        )
        .route("/_sim/demo/grants", get(grants))
        .route("/_sim/demo/audit", get(audit))
}

/// The page, with the tenant's people already in `select#person`, so a person can be picked
/// the moment the page has loaded.
async fn page(State(sim): State<Arc<SimState>>) -> Response {
    if sim.webchat.starting() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
                (header::RETRY_AFTER, "1"),
            ],
            STARTING,
        )
            .into_response();
    }
    let people = people_options(&sim);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE.replace("{{people}}", &people),
    )
        .into_response()
}

/// One `<option>` per person of the tenant (shared mailboxes are not people): the UPN as its
/// value, the display name as its label, and the Slack id, when they have one, for the page.
fn people_options(sim: &SimState) -> String {
    let directory = sim.directory();
    directory
        .users
        .iter()
        .filter(|user| user.mailbox.is_none())
        .map(|user| {
            let name = user
                .props
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or(&user.upn);
            let slack = user
                .slack_user_id
                .as_deref()
                .map(|id| format!(r#" data-slack="{}""#, escape_html(id)))
                .unwrap_or_default();
            format!(
                r#"      <option value="{upn}"{slack}>{name} ({upn})</option>"#,
                upn = escape_html(&user.upn),
                name = escape_html(name),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` safe inside HTML text and double-quoted attributes.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn grants(State(sim): State<Arc<SimState>>) -> Response {
    match sim.webchat.daemon() {
        Some(daemon) => answer(daemon.grants().await),
        None => no_daemon(),
    }
}

async fn audit(State(sim): State<Arc<SimState>>) -> Response {
    match sim.webchat.daemon() {
        Some(daemon) => answer(daemon.audit().await),
        None => no_daemon(),
    }
}

fn answer(read: Result<Value, String>) -> Response {
    match read {
        Ok(value) => Json(value).into_response(),
        Err(message) => problem(StatusCode::BAD_GATEWAY, &message),
    }
}

fn no_daemon() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "no daemon is attached to this simulator: `doorman demo` attaches its own",
    )
}

#[cfg(test)]
mod tests;

//! `doorman sim`: a simulated Microsoft cloud and the two chat services on loopback, for tests
//! and the demo (DESIGN.md section 8).
//!
//! It serves the identity platform's login endpoints ([`login`]), a subset of Graph v1.0 with
//! Graph's paths, bodies, status codes, error shapes and authorization rules ([`graph`]), the
//! Exchange Online admin API with Exchange's cmdlets, answers and role rules ([`exchange`]), Teams
//! as the Bot Framework shows it to a bot ([`teams`]), Slack's Events API and Web API
//! ([`slack`]), and a control API under `/_sim/` ([`control`], plus the chat services' own parts)
//! that tests use to inspect and steer it, with the demo's web chat built on it ([`webchat`]). It
//! must refuse what the real services refuse: passing against it should mean something. Chat
//! traffic never enters the Graph log, and Exchange's calls have a log of their own.
//!
//! The simulator is seeded from a tenant file in Graph's JSON shape ([`directory`]). All state is
//! in memory; a restart starts from the file again.
//!
//! It serves plain HTTP, or HTTPS with a certificate authority of its own ([`tls`], `doorman
//! sim --tls`); every URL it hands out then starts with `https://`, its certificate is served at
//! `/_sim/ca.pem` and written to a file named in the `doorman.toml` it hands out
//! (`[security] ca_file`), so Doorman trusts it too.

pub mod bot;
pub mod control;
pub mod directory;
pub mod exchange;
pub mod graph;
pub mod keys;
pub mod login;
pub mod odata;
pub mod roles;
pub mod severable;
pub mod slack;
pub mod teams;
#[cfg(test)]
pub(crate) mod testing;
pub mod tls;
pub mod webchat;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use tokio::net::TcpListener;
use url::Url;

use crate::config::SecretKey;
use bot::BotClient;
use directory::{Directory, TenantError};
use exchange::ExchangeLog;
use graph::{Faults, GraphLog};
use keys::SigningKey;
use login::{LoginState, Registration};
use slack::SlackState;
use teams::TeamsState;

/// Everything the simulator knows, shared by its handlers.
pub struct SimState {
    /// `http://127.0.0.1:PORT`, the simulator's own base URL.
    pub base_url: String,
    /// The tenant's id (it never changes, so it is kept outside the directory's lock).
    pub tenant_id: String,
    /// Where the bot listens; its redirect URI is `{bot_url}/auth/callback`.
    pub bot_url: Url,
    pub registration: Registration,
    pub keys: SigningKey,
    /// Keys handed to the bot in `/_sim/doorman.toml`, fresh for every simulator run.
    pub doorman_token_key: String,
    pub doorman_audit_key: String,
    directory: Mutex<Directory>,
    login: Mutex<LoginState>,
    pub graph_log: GraphLog,
    /// Every Exchange admin API call, in order.
    pub exchange_log: ExchangeLog,
    faults: Mutex<Faults>,
    /// Teams: the Bot Framework's key, conversations and deliveries.
    pub teams: TeamsState,
    /// Slack: the app's secrets, the workspace, DMs and deliveries.
    pub slack: SlackState,
    /// How activities, events and interactions reach the bot.
    pub bot: BotClient,
    /// The HTTPS of `--tls`, and the file its authority's certificate was written to.
    pub tls: Option<Https>,
    /// The demo's web chat: the daemon whose grants and audit trail it shows.
    pub webchat: webchat::Webchat,
}

/// How the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    #[default]
    Http,
    /// HTTPS with a certificate authority generated for this run.
    Https,
}

/// The simulator's HTTPS: its keys and certificates, and the authority's certificate written
/// to a file of its own for as long as the simulator runs.
#[derive(Debug)]
pub struct Https {
    pub keys: tls::SimTls,
    /// `ca.pem` in [`Https::folder`].
    pub ca_file: std::path::PathBuf,
    /// Deleted, with the file, when the simulator ends.
    _folder: tempfile::TempDir,
}

impl Https {
    fn generate(address: SocketAddr) -> Result<Https, SimError> {
        let keys = tls::SimTls::generate(address)?;
        let folder = tempfile::Builder::new()
            .prefix("doorman-sim-")
            .tempdir()
            .map_err(SimError::CaFile)?;
        let ca_file = folder.path().join("ca.pem");
        std::fs::write(&ca_file, &keys.ca_pem).map_err(SimError::CaFile)?;
        Ok(Https {
            keys,
            ca_file,
            _folder: folder,
        })
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Tenant(#[from] TenantError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error(transparent)]
    Bot(#[from] bot::ClientError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot write the simulator's certificate: {0}")]
    CaFile(#[source] std::io::Error),
    #[error("the simulator listens on loopback only, not {0}: its control API hands out secrets")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the simulator stopped: {0}")]
    Serve(#[source] std::io::Error),
}

impl SimState {
    /// A simulator for the tenant in `tenant_json`, answering at `base_url`.
    pub fn new(tenant_json: &str, base_url: String, bot_url: Url) -> Result<Self, SimError> {
        let directory = Directory::load(tenant_json)?;
        let registration = Registration::new(&bot_url);
        let bot = BotClient::new(&bot_url)?;
        let slack = SlackState::new(&directory);
        Ok(SimState {
            base_url,
            tenant_id: directory.tenant.id.clone(),
            bot_url,
            registration,
            keys: SigningKey::generate()?,
            doorman_token_key: SecretKey::generate_base64(),
            doorman_audit_key: SecretKey::generate_base64(),
            directory: Mutex::new(directory),
            login: Mutex::new(LoginState::default()),
            graph_log: GraphLog::default(),
            exchange_log: ExchangeLog::default(),
            faults: Mutex::new(Faults::default()),
            teams: TeamsState::new()?,
            slack,
            bot,
            tls: None,
            webchat: webchat::Webchat::default(),
        })
    }

    /// The tenant. Handlers hold this lock only for synchronous work, never across an await.
    pub fn directory(&self) -> MutexGuard<'_, Directory> {
        // Handlers mutate the directory in single steps; a panic mid-handler leaves it usable.
        self.directory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Codes and refresh tokens in flight.
    pub fn login_state(&self) -> MutexGuard<'_, LoginState> {
        self.login
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn faults(&self) -> Faults {
        self.faults_lock().clone()
    }

    /// Applies a partial update to the faults in force, in one step.
    pub(crate) fn update_faults(&self, update: graph::FaultsUpdate) -> Result<Faults, String> {
        let mut faults = self.faults_lock();
        let updated = faults.updated(update)?;
        *faults = updated.clone();
        Ok(updated)
    }

    /// Whether the answer to the write being carried out now is to be lost (`lose_next_writes`),
    /// counting it off when it is.
    pub(crate) fn take_lost_write(&self) -> bool {
        let mut faults = self.faults_lock();
        if faults.lose_next_writes == 0 {
            return false;
        }
        faults.lose_next_writes -= 1;
        true
    }

    fn faults_lock(&self) -> MutexGuard<'_, Faults> {
        self.faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Every route the simulator serves.
pub fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .merge(login::routes())
        .merge(graph::routes())
        .merge(exchange::routes())
        .merge(control::routes())
        .merge(teams::routes())
        .merge(slack::routes())
        .merge(webchat::routes())
        .with_state(state)
}

/// A running simulator.
pub struct RunningSim {
    pub address: SocketAddr,
    pub state: Arc<SimState>,
}

/// Binds `address` (port 0 picks a free one) and builds the simulator's state for it, served
/// over `scheme`.
pub async fn bind(
    address: SocketAddr,
    tenant_json: &str,
    bot_url: Url,
    scheme: Scheme,
) -> Result<(TcpListener, Arc<SimState>), SimError> {
    if !address.ip().is_loopback() {
        return Err(SimError::NotLoopback(address));
    }
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| SimError::Listen { address, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| SimError::Listen { address, source })?;
    let state = match scheme {
        Scheme::Http => SimState::new(tenant_json, format!("http://{bound}"), bot_url)?,
        Scheme::Https => {
            let mut state = SimState::new(tenant_json, format!("https://{bound}"), bot_url)?;
            state.tls = Some(Https::generate(bound)?);
            state
        }
    };
    Ok((listener, Arc::new(state)))
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<SimState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), SimError> {
    let acceptor = state.tls.as_ref().map(|https| https.keys.acceptor.clone());
    let service = router(state).into_make_service_with_connect_info::<severable::Severance>();
    axum::serve(severable::SimListener::new(listener, acceptor), service)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(SimError::Serve)
}

/// Starts a simulator on a free loopback port in the background, for tests.
pub async fn start(tenant_json: &str, bot_url: Url) -> Result<RunningSim, SimError> {
    start_over(tenant_json, bot_url, Scheme::Http).await
}

/// Like [`start`], served over `scheme`.
pub async fn start_over(
    tenant_json: &str,
    bot_url: Url,
    scheme: Scheme,
) -> Result<RunningSim, SimError> {
    let (listener, state) = bind(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        tenant_json,
        bot_url,
        scheme,
    )
    .await?;
    let address = listener.local_addr().map_err(SimError::Serve)?;
    let serving = Arc::clone(&state);
    tokio::spawn(async move {
        if let Err(error) = serve(listener, serving, std::future::pending()).await {
            tracing::error!(%error, "simulator stopped");
        }
    });
    Ok(RunningSim { address, state })
}

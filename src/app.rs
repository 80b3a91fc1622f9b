//! Wiring for `doorman serve`: opens the store and the audit chain, loads the catalog file, binds
//! the public and admin listeners, runs the background tasks (catalog sync among them), and shuts
//! everything down in order.
//!
//! [`App::build`] binds (port 0 in tests) and reports the real addresses; [`App::run_until`]
//! serves until the shutdown future resolves, then drains requests, signs the audit chain's
//! head, flushes the store and removes the admin token file. The library never reads signals:
//! `main` passes them in, tests pass their own future.

mod chat;
mod readiness;
mod routes;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admin;
use crate::audit::{AuditError, AuditLog};
use crate::catalog::CatalogService;
use crate::catalog::file::{CatalogFile, CatalogFileError};
use crate::catalog::service::GraphSource;
use crate::catalog::sync::{FetchSettings, ListOwners};
use crate::config::Config;
use crate::directory::Directory;
use crate::exchange::ExchangeClient;
use crate::graph::{AppTokenError, AppTokenSource, GraphClient, GraphError, RetryPolicy};
use crate::metrics::Metrics;
use crate::scheduler::{Clock, Scheduler, SystemClock};
use crate::store::{SledStore, Store, StoreError};
pub use readiness::{Check, Readiness};

/// How often the audit chain's head is signed while records keep coming.
const SIGN_HEAD_EVERY: Duration = Duration::from_secs(60);
/// How long shutdown waits for chat handlers still running; a delivery whose handler did not
/// finish by then is handed on again at the next start.
const HANDLERS_GRACE: Duration = Duration::from_secs(5);

/// A daemon, bound and ready to run.
pub struct App {
    listener: TcpListener,
    admin_listener: TcpListener,
    admin_token: String,
    storage: PathBuf,
    store: Arc<dyn Store>,
    audit: Arc<AuditLog>,
    metrics: Arc<Metrics>,
    readiness: Arc<Readiness>,
    public_metrics: routes::PublicMetrics,
    catalog: Arc<CatalogService>,
    chat: chat::ChatSide,
    scheduler: Arc<Scheduler>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("cannot create the storage folder {path}: {source}")]
    Storage {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the admin token file: {0}")]
    TokenFile(#[source] std::io::Error),
    #[error("the server stopped: {0}")]
    Serve(#[source] std::io::Error),
    #[error("the chat side cannot start: {0}")]
    Chat(String),
    /// The catalog file is invalid: a configuration error, like one in the config file.
    #[error(transparent)]
    CatalogFile(#[from] CatalogFileError),
    #[error("the app-only token source for directory reads cannot be set up: {0}")]
    CatalogTokens(#[source] AppTokenError),
    #[error("the graph client for directory reads cannot be set up: {0}")]
    CatalogGraph(#[source] GraphError),
    #[error("the Exchange client cannot be set up: {0}")]
    Exchange(#[source] crate::exchange::ExchangeError),
}

impl App {
    pub async fn build(config: Config) -> Result<Self, AppError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`App::build`], with the clock the timers go by (tests move it forward).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<Self, AppError> {
        let storage = config.storage.path.clone();
        create_private_dir(&storage).map_err(|source| AppError::Storage {
            path: storage.clone(),
            source,
        })?;
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&storage)?);
        let audit = Arc::new(AuditLog::open(
            Arc::clone(&store),
            &config.security.audit_key,
        )?);
        let metrics = Metrics::new();
        let catalog = catalog_service(&config, Arc::clone(&metrics))?;
        let (policy, policy_check) = readiness::load_policy(&config);
        let readiness = Arc::new(Readiness::evaluate(
            &config,
            policy_check,
            Arc::clone(&catalog),
        ));
        metrics.ready.set(i64::from(readiness.is_ready()));
        let scheduler = Scheduler::open(Arc::clone(&store), clock)?;
        let chat = chat::build(
            &config,
            Arc::clone(&store),
            Arc::clone(&audit),
            Arc::clone(&catalog),
            policy,
            Arc::clone(&scheduler),
            Arc::clone(&metrics),
        )?;
        let listener = bind(config.server.listen).await?;
        let admin_listener = bind(config.admin.listen).await?;
        Ok(App {
            listener,
            admin_listener,
            admin_token: admin::new_token(),
            storage,
            store,
            audit,
            metrics,
            readiness,
            public_metrics: if config.server.public_metrics {
                routes::PublicMetrics::Served
            } else {
                routes::PublicMetrics::Hidden
            },
            catalog,
            chat,
            scheduler,
        })
    }

    /// Where the public listener is bound (the real port when the config said 0).
    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn admin_address(&self) -> SocketAddr {
        self.admin_listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn audit(&self) -> Arc<AuditLog> {
        Arc::clone(&self.audit)
    }

    /// The catalog: `current()` for what can be requested now, `refresh()` to sync at once.
    pub fn catalog(&self) -> Arc<CatalogService> {
        Arc::clone(&self.catalog)
    }

    /// Serves until `shutdown` resolves, then stops in order.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), AppError> {
        let token_path =
            admin::write_token_file(&self.storage, self.admin_address(), &self.admin_token)
                .map_err(AppError::TokenFile)?;
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let signer = tokio::spawn(sign_head_periodically(
            Arc::clone(&self.audit),
            Arc::clone(&self.metrics),
            stopped.clone(),
        ));
        let (address, admin_address) = (self.address(), self.admin_address());
        let chat::ChatSide {
            routes: chat_routes,
            conversation,
            identity,
            deliveries,
            signed_in,
            port,
            requests,
            adapters,
        } = self.chat;
        // Read before serving, so that only what an earlier run left unfinished is replayed.
        let unfinished = deliveries.unfinished().await.unwrap_or_else(|error| {
            tracing::error!(%error, "cannot read unfinished deliveries");
            Vec::new()
        });
        let replaying = tokio::spawn(chat::replay_unfinished(
            deliveries.clone(),
            unfinished,
            Arc::clone(&conversation),
            port,
            Arc::clone(&self.catalog),
        ));
        let carrying_on = tokio::spawn(chat::carry_on_after_sign_ins(
            Arc::clone(&conversation),
            signed_in,
            stopped.clone(),
        ));
        let housekeeping = tokio::spawn(chat::housekeeping(
            identity,
            conversation,
            deliveries.clone(),
            stopped.clone(),
        ));
        // Requests in flight carry on once the catalog (who is who) has been read.
        let resuming = tokio::spawn(chat::resume_requests(
            Arc::clone(&requests),
            Arc::clone(&self.scheduler),
            Arc::clone(&self.catalog),
            stopped.clone(),
        ));
        // The first sync starts now, in the background: `/readyz` answers 503 until it succeeds.
        let syncing = tokio::spawn(Arc::clone(&self.catalog).run(stopped.clone()));
        let publishing = tokio::spawn(readiness::publish(
            Arc::clone(&self.readiness),
            Arc::clone(&self.metrics),
            stopped.clone(),
        ));
        let public = routes::public(
            Arc::clone(&self.metrics),
            Arc::clone(&self.readiness),
            self.public_metrics,
            chat_routes,
        );
        let admin_routes = admin::router(
            Arc::clone(&self.audit),
            Arc::clone(&self.store),
            Arc::clone(&requests),
            &self.admin_token,
        )
        .merge(routes::operations(
            Arc::clone(&self.metrics),
            Arc::clone(&self.readiness),
        ));
        tracing::info!(%address, admin = %admin_address, "doorman serving");
        let served = tokio::try_join!(
            axum::serve(self.listener, public).with_graceful_shutdown(wait_for(stopped.clone())),
            axum::serve(self.admin_listener, admin_routes)
                .with_graceful_shutdown(wait_for(stopped.clone())),
        );
        // No new delivery is replayed from here on; the handlers already running get a bounded
        // time to finish, and what they leave unfinished stays accepted for the next start.
        replaying.abort();
        let _ = replaying.await;
        if !deliveries.wait_idle(HANDLERS_GRACE).await {
            tracing::warn!(
                "chat handlers still running at shutdown; their deliveries are handled again at the next start"
            );
        }
        drop(deliveries);
        if !requests.wait_idle(HANDLERS_GRACE).await {
            tracing::warn!(
                "request steps still running at shutdown; they are resumed at the next start"
            );
        }
        drop(requests);
        drop(adapters);
        // Background work holds parts of the store: wait until it is really gone, so the store
        // is closed when this returns.
        for task in [
            signer,
            carrying_on,
            housekeeping,
            syncing,
            publishing,
            resuming,
        ] {
            task.abort();
            let _ = task.await;
        }
        if let Err(error) = self.audit.sign_head() {
            tracing::error!(%error, "could not sign the audit chain's head on shutdown");
        }
        if let Err(error) = self.store.flush() {
            tracing::error!(%error, "could not flush the store on shutdown");
        }
        if let Err(error) = std::fs::remove_file(&token_path) {
            tracing::warn!(%error, "could not remove the admin token file");
        }
        tracing::info!("doorman stopped");
        served.map(drop).map_err(AppError::Serve)
    }
}

/// The catalog service, reading Graph with the app-only token of the app registration and
/// applying the catalog file, which is loaded here so that a bad one stops the start.
fn catalog_service(
    config: &Config,
    metrics: Arc<Metrics>,
) -> Result<Arc<CatalogService>, AppError> {
    let (source, file) = catalog_source(config)?;
    Ok(CatalogService::new(
        Arc::new(source),
        file,
        config.catalog.refresh,
        metrics,
    ))
}

/// Where the catalog comes from: Graph read with the registration's app-only token, and the
/// catalog file. Shared by the daemon and the commands that resolve without it (`intent`).
pub fn catalog_source(config: &Config) -> Result<(GraphSource, CatalogFile), AppError> {
    let file = match &config.catalog.file {
        Some(path) => catalog_file(path)?,
        None => CatalogFile::default(),
    };
    let (graph, tokens) = app_reader(config)?;
    let (exchange, exchange_tokens) = exchange_reader(config)?;
    Ok((
        GraphSource::new(graph, tokens, FetchSettings::default())
            .with_lists(ListOwners::new(exchange, exchange_tokens)),
        file,
    ))
}

/// The configured catalog file. A file that does not exist is a warning, not a stop: the
/// catalog is then what Graph lists, with no aliases, tags or declared resources.
fn catalog_file(path: &Path) -> Result<CatalogFile, CatalogFileError> {
    let file = CatalogFile::load_if_present(path)?;
    if file.is_none() {
        tracing::warn!(
            path = %path.display(),
            "the catalog file does not exist; serving what Graph lists, with no aliases, tags or declared resources"
        );
    }
    Ok(file.unwrap_or_default())
}

/// Where intake reads requesters from: the directory, with the registration's app-only token.
pub fn directory(config: &Config) -> Result<Directory, AppError> {
    let (graph, tokens) = app_reader(config)?;
    Ok(Directory::new(graph, Arc::new(tokens)))
}

/// A Graph client and the app-only token source for reads no person is behind.
pub(crate) fn app_reader(config: &Config) -> Result<(GraphClient, AppTokenSource), AppError> {
    let microsoft = &config.microsoft;
    let roots = &config.security.ca_file;
    let tokens = AppTokenSource::new_trusting(
        &microsoft.authority,
        &microsoft.tenant_id,
        microsoft.client_id.clone(),
        microsoft.client_secret.clone(),
        roots,
    )
    .map_err(AppError::CatalogTokens)?;
    let graph =
        GraphClient::new_trusting(microsoft.graph_url.clone(), RetryPolicy::default(), roots)
            .map_err(AppError::CatalogGraph)?;
    Ok((graph, tokens))
}

/// The Exchange client, and the app's read-only Exchange access (`Exchange.ManageAsApp`, with
/// the service principal holding a view-only Exchange role) for reads no person is behind.
/// Writes always take a person's token.
pub(crate) fn exchange_reader(
    config: &Config,
) -> Result<(ExchangeClient, AppTokenSource), AppError> {
    let microsoft = &config.microsoft;
    let roots = &config.security.ca_file;
    let http = ExchangeClient::http_client(roots).map_err(AppError::Exchange)?;
    let client = ExchangeClient::new(http, config.exchange.clone(), &microsoft.tenant_id)
        .map_err(AppError::Exchange)?;
    // The resource is the one the delegated scopes name (`https://outlook.office365.com`),
    // wherever the service itself is reached.
    let resource = config
        .exchange
        .invoke_scope
        .rsplit_once('/')
        .map_or(config.exchange.invoke_scope.as_str(), |(resource, _)| {
            resource
        });
    let tokens = AppTokenSource::new_trusting(
        &microsoft.authority,
        &microsoft.tenant_id,
        microsoft.client_id.clone(),
        microsoft.client_secret.clone(),
        roots,
    )
    .map_err(AppError::CatalogTokens)?
    .for_scope(&format!("{resource}/.default"));
    Ok((client, tokens))
}

/// Creates the storage folder readable by its owner only (the store holds encrypted tokens and
/// the audit trail); an existing folder is left as its owner set it.
fn create_private_dir(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

async fn bind(address: SocketAddr) -> Result<TcpListener, AppError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| AppError::Listen { address, source })
}

async fn wait_for(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens after it sent `true`.
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Signs the chain's head every [`SIGN_HEAD_EVERY`] while records arrive, and publishes the
/// signed position, so monitoring notices if it ever goes backwards (a cut-off tail).
async fn sign_head_periodically(
    audit: Arc<AuditLog>,
    metrics: Arc<Metrics>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(SIGN_HEAD_EVERY);
    loop {
        metrics
            .audit_signed_seq
            .set(i64::try_from(audit.last_signed_seq()).unwrap_or(i64::MAX));
        tokio::select! {
            _ = ticks.tick() => {
                let audit = Arc::clone(&audit);
                match tokio::task::spawn_blocking(move || audit.sign_head()).await {
                    Ok(Err(error)) => tracing::error!(%error, "could not sign the audit chain's head"),
                    Err(error) => tracing::error!(%error, "the audit signing task failed"),
                    Ok(Ok(_)) => {}
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

//! Wiring of the chat side: identity, the conversation, the channel adapters configured, their
//! routes, and the background work they need (handing on deliveries an earlier run accepted but
//! did not finish, carrying on after sign-ins, housekeeping).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::{mpsc, watch};

use super::AppError;
use crate::audit::AuditLog;
use crate::catalog::CatalogService;
use crate::channels::{ChatRouter, Deliveries, slack, teams};
use crate::config::Config;
use crate::conversation::{self, Conversation};
use crate::directory::Directory;
use crate::domain::chat::{Channel, ChatPort, Inbound, InboundHandler};
use crate::identity::{self, Identity, Signal};
use crate::intake::Intake;
use crate::metrics::Metrics;
use crate::policy::Policy;
use crate::provision::{
    ExchangeProvider, GraphProvider, Ledger, MailProvider, Providers, Provisioner, ProvisionerParts,
};
use crate::requests::{self, Requests};
use crate::scheduler::{JobHandler, Scheduler};
use crate::store::Store;

/// Deliveries are remembered this long: chat services stop retrying within minutes.
const REMEMBER_DELIVERIES: Duration = Duration::from_secs(24 * 3600);
/// How often requests still in flight are tried again.
const RETRY_REQUESTS_EVERY: Duration = Duration::from_secs(60);
/// How often expired sign-ins and old deliveries are dropped.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);

pub(super) struct ChatSide {
    pub routes: Router,
    pub conversation: Arc<Conversation>,
    pub identity: Arc<Identity>,
    pub deliveries: Deliveries,
    pub signed_in: mpsc::UnboundedReceiver<Signal>,
    /// The way out through whichever adapter a place belongs to, for replayed deliveries.
    pub port: Arc<dyn ChatPort>,
    /// The request state machine, resumed at start.
    pub requests: Arc<Requests>,
    /// The channel adapters, held until shutdown is done: the router only holds them weakly,
    /// and work finishing during shutdown still has something to say.
    pub adapters: Vec<Arc<dyn ChatPort>>,
}

pub(super) fn build(
    config: &Config,
    store: Arc<dyn Store>,
    audit: Arc<AuditLog>,
    catalog: Arc<CatalogService>,
    policy: Option<Arc<Policy>>,
    scheduler: Arc<Scheduler>,
    metrics: Arc<Metrics>,
) -> Result<ChatSide, AppError> {
    let deliveries = Deliveries::open(Arc::clone(&store), &config.storage.path)?
        .counting_redeliveries(metrics.deliveries_redelivered.clone());
    let (identity, signed_in) = Identity::new(config, Arc::clone(&store), Arc::clone(&audit))
        .map_err(|error| AppError::Chat(error.to_string()))?;
    let chat = ChatRouter::new();
    let port: Arc<dyn ChatPort> = Arc::clone(&chat) as Arc<dyn ChatPort>;
    let (graph, app_tokens) = super::app_reader(config)?;
    let app_tokens = Arc::new(app_tokens);
    let directory = Arc::new(Directory::new(graph.clone(), Arc::clone(&app_tokens)));
    let intake = Arc::new(Intake::new(
        policy,
        Arc::clone(&directory),
        &config.microsoft.tenant_id,
    ));
    let (exchange, exchange_reader) = super::exchange_reader(config)?;
    let mailboxes = Arc::new(ExchangeProvider::new(
        exchange,
        Arc::new(exchange_reader),
        graph.clone(),
        Arc::clone(&app_tokens),
    ));
    let provisioner = Arc::new(Provisioner::new(ProvisionerParts {
        providers: Providers::new(vec![
            Arc::new(GraphProvider::new(graph.clone(), Arc::clone(&app_tokens))),
            Arc::clone(&mailboxes) as Arc<dyn crate::provision::Provider>,
            Arc::new(MailProvider::new(graph.clone(), Arc::clone(&mailboxes))),
        ]),
        ledger: Ledger::open(Arc::clone(&store))?,
        clock: scheduler.clock(),
        metrics: Arc::clone(&metrics),
        verify_within: config.provision.verify_within,
    }));
    let requests = Requests::open(requests::Parts {
        store: Arc::clone(&store),
        port: Arc::clone(&port),
        identity: Arc::clone(&identity),
        catalog: Arc::clone(&catalog),
        audit: Arc::clone(&audit),
        graph,
        directory,
        operator: config.microsoft.operator.clone(),
        privileged_operator: config.microsoft.privileged_operator.clone(),
        scheduler,
        remind_before: config.lifecycle.remind_before,
        reconcile_every: config.lifecycle.reconcile_every,
        metrics: Arc::clone(&metrics),
        provisioner,
    })?;
    let conversation = Conversation::new(conversation::Parts {
        port: Arc::clone(&port),
        identity: Arc::clone(&identity),
        store: Arc::clone(&store),
        catalog,
        audit,
        intake,
        requests: Arc::clone(&requests),
        mailboxes,
        not_understood: metrics.messages_not_understood.clone(),
    })?;
    let handler: Arc<dyn InboundHandler> = Arc::clone(&conversation) as Arc<dyn InboundHandler>;
    let mut routes = identity::router(Arc::clone(&identity));
    let mut adapters = Vec::new();
    if config.teams.is_some() {
        let adapter = teams::Teams::new(
            config,
            Arc::clone(&store),
            deliveries.clone(),
            Arc::clone(&handler),
        )
        .map_err(|error| AppError::Chat(format!("teams: {error}")))?;
        let port = Arc::clone(&adapter) as Arc<dyn ChatPort>;
        chat.attach(Channel::Teams, &port);
        adapters.push(port);
        routes = routes.merge(teams::routes(adapter));
    }
    if let Some(slack_config) = &config.slack {
        let adapter = slack::Slack::new(
            slack_config,
            &config.security.ca_file,
            deliveries.clone(),
            Arc::clone(&handler),
        )
        .map_err(|error| AppError::Chat(format!("slack: {error}")))?;
        let port = Arc::clone(&adapter) as Arc<dyn ChatPort>;
        chat.attach(Channel::Slack, &port);
        adapters.push(port);
        routes = routes.merge(slack::routes(adapter));
    }
    Ok(ChatSide {
        routes,
        conversation,
        identity,
        deliveries,
        signed_in,
        port,
        requests,
        adapters,
    })
}

/// Hands on, once, the deliveries an earlier run acknowledged but did not finish (`unfinished`,
/// read before this run accepted anything), through the same handler as new ones, once the
/// daemon is ready to answer them as if they had just arrived (its first catalog is read).
pub(super) async fn replay_unfinished(
    deliveries: Deliveries,
    unfinished: Vec<(String, Inbound)>,
    conversation: Arc<Conversation>,
    port: Arc<dyn ChatPort>,
    catalog: Arc<CatalogService>,
) {
    if unfinished.is_empty() {
        return;
    }
    catalog.loaded().await;
    let handler: Arc<dyn InboundHandler> = conversation;
    deliveries.replay(unfinished, handler, port).await;
}

/// Carries on each person's waiting messages once they have signed in.
pub(super) async fn carry_on_after_sign_ins(
    conversation: Arc<Conversation>,
    mut signed_in: mpsc::UnboundedReceiver<Signal>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            event = signed_in.recv() => match event {
                Some(Signal::SignedIn(event)) => {
                    let conversation = Arc::clone(&conversation);
                    tokio::spawn(async move { conversation.signed_in(event).await });
                }
                Some(Signal::SteppedUp(event)) => {
                    let conversation = Arc::clone(&conversation);
                    tokio::spawn(async move { conversation.stepped_up(event).await });
                }
                None => return,
            },
            _ = stopped.changed() => return,
        }
    }
}

/// Drops expired sign-in links and deliveries too old to be retried.
pub(super) async fn housekeeping(
    identity: Arc<Identity>,
    conversation: Arc<Conversation>,
    deliveries: Deliveries,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if let Err(error) = identity.sweep() {
                    tracing::warn!(%error, "could not drop expired sign-ins");
                }
                if let Err(error) = conversation.forget_stale() {
                    tracing::warn!(%error, "could not drop stale questions");
                }
                if let Err(error) = deliveries.forget_older_than(REMEMBER_DELIVERIES).await {
                    tracing::warn!(%error, "could not drop old deliveries");
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

/// Carries on the requests an earlier run left in flight, once the catalog has been read (the
/// approvers and acting people are found in it), and then every minute whatever is still in
/// flight: a card that could not be delivered, a change that met a passing failure.
/// Once the catalog (who is who) has been read: requests in flight carry on, every minute
/// again, and the timers run.
pub(super) async fn resume_requests(
    requests: Arc<Requests>,
    scheduler: Arc<Scheduler>,
    catalog: Arc<CatalogService>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = every.tick() => {
                if catalog.status().has_catalog() {
                    break;
                }
            }
            _ = stopped.changed() => return,
        }
    }
    requests.adopt_legacy_grants().await;
    requests.start_reconciling();
    let handler: Arc<dyn JobHandler> = Arc::clone(&requests) as Arc<dyn JobHandler>;
    let resuming = async {
        let mut every = tokio::time::interval(RETRY_REQUESTS_EVERY);
        loop {
            every.tick().await;
            requests.resume().await;
        }
    };
    tokio::select! {
        () = resuming => {}
        () = scheduler.run(handler) => {}
        _ = stopped.changed() => {}
    }
}

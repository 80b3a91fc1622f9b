//! Prometheus metrics, served as text at `GET /metrics`.
//!
//! One [`Metrics`] per daemon holds the registry and the families the daemon updates. Labels are
//! low-cardinality by construction: routes are matched patterns, never raw paths, and methods
//! are the standard ones, every other method counted as `other` (a label per made-up method
//! would let anyone grow the registry, and the daemon's memory, without end).

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

/// The label for `method`: its name when it is one of the methods HTTP defines, `other` for
/// anything else, whatever a client made up.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// How long approvals have been waiting: `under_1h`, `under_1d`, `1d_or_more`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AgeLabels {
    pub age: String,
}

/// Why grants ended: `expired`, `revoked`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndLabels {
    pub cause: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: String,
}

/// The daemon's metrics.
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    pub audit_signed_seq: Gauge,
    pub ready: Gauge,
    /// Entries in the catalog being served.
    pub catalog_resources: Gauge,
    /// Time each catalog sync took, failed ones included.
    pub catalog_sync_duration: Histogram,
    pub catalog_sync_failures: Counter,
    /// When the catalog being served was read, in seconds since the Unix epoch (0: never), so
    /// that monitoring can alert on a catalog that has stopped being refreshed.
    pub catalog_last_success: Gauge,
    /// Grants Doorman made that are active now.
    pub grants_active: Gauge,
    /// Active grants that end within a day.
    pub grants_expiring_soon: Gauge,
    /// Grants taken away, by why.
    pub grants_ended: Family<EndLabels, Counter>,
    /// Reconciliation findings: ended grants present again, active grants gone.
    pub drift_found: Counter,
    /// Requests waiting for approval, by how long they have waited.
    pub approvals_pending: Family<AgeLabels, Gauge>,
    /// Removals of access no grant covers that failed (each is tried again).
    pub removals_failed: Counter,
    /// Chat deliveries dropped because they were seen before (retries, redeliveries).
    pub deliveries_redelivered: Counter,
    /// Chat messages that asked for nothing Doorman knows and were answered without a
    /// suggestion: counted here rather than audited, since nothing was decided or disclosed.
    pub messages_not_understood: Counter,
    /// Facts Doorman made that no grant covers and whose removal is still owed.
    pub access_uncovered: Gauge,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("doorman");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            http_requests.clone(),
        );
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0])
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            http_duration.clone(),
        );
        let audit_signed_seq = Gauge::default();
        registry.register(
            "audit_signed_seq",
            "Sequence number of the audit chain's last signed head; it never goes down",
            audit_signed_seq.clone(),
        );
        let ready = Gauge::default();
        registry.register(
            "ready",
            "1 when the daemon is ready to serve",
            ready.clone(),
        );
        let catalog_resources = Gauge::default();
        registry.register(
            "catalog_resources",
            "Entries in the catalog being served",
            catalog_resources.clone(),
        );
        let catalog_sync_duration =
            Histogram::new([0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0]);
        registry.register(
            "catalog_sync_duration_seconds",
            "Time to read the catalog from Graph, failed syncs included",
            catalog_sync_duration.clone(),
        );
        let catalog_sync_failures = Counter::default();
        registry.register(
            "catalog_sync_failures",
            "Catalog syncs that failed, leaving the last good catalog in use",
            catalog_sync_failures.clone(),
        );
        let catalog_last_success = Gauge::default();
        registry.register(
            "catalog_last_success_timestamp_seconds",
            "When the catalog being served was read from Graph (Unix time; 0 before the first sync)",
            catalog_last_success.clone(),
        );
        let grants_active = Gauge::default();
        registry.register(
            "grants_active",
            "Grants Doorman made that are active now",
            grants_active.clone(),
        );
        let grants_expiring_soon = Gauge::default();
        registry.register(
            "grants_expiring_soon",
            "Active grants that end within a day",
            grants_expiring_soon.clone(),
        );
        let grants_ended = Family::<EndLabels, Counter>::default();
        registry.register(
            "grants_ended",
            "Grants taken away, by cause (expired, revoked)",
            grants_ended.clone(),
        );
        let drift_found = Counter::default();
        registry.register(
            "drift_found",
            "Reconciliation findings: an ended grant present again, or an active grant gone",
            drift_found.clone(),
        );
        let approvals_pending = Family::<AgeLabels, Gauge>::default();
        registry.register(
            "approvals_pending",
            "Requests waiting for approval, by how long they have waited",
            approvals_pending.clone(),
        );
        let removals_failed = Counter::default();
        registry.register(
            "removals_failed",
            "Removals of access no grant covers that failed; each is tried again",
            removals_failed.clone(),
        );
        let deliveries_redelivered = Counter::default();
        registry.register(
            "deliveries_redelivered",
            "Chat deliveries (Slack events and clicks, Teams activities) dropped as seen before",
            deliveries_redelivered.clone(),
        );
        let messages_not_understood = Counter::default();
        registry.register(
            "messages_not_understood",
            "Chat messages that asked for nothing Doorman knows and got no suggestion",
            messages_not_understood.clone(),
        );
        let access_uncovered = Gauge::default();
        registry.register(
            "access_uncovered",
            "Access Doorman made that no grant covers and whose removal is still owed",
            access_uncovered.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
            })
            .set(1);
        registry.register("build_info", "The running build", build);
        Arc::new(Metrics {
            registry,
            http_requests,
            http_duration,
            audit_signed_seq,
            ready,
            catalog_resources,
            catalog_sync_duration,
            catalog_sync_failures,
            catalog_last_success,
            grants_active,
            grants_expiring_soon,
            grants_ended,
            drift_found,
            approvals_pending,
            removals_failed,
            deliveries_redelivered,
            messages_not_understood,
            access_uncovered,
        })
    }

    /// Counts one answered request. `route` must be a matched route pattern or one fixed
    /// bucket for requests no route matched, never a raw path.
    pub fn observe_http(&self, route: &str, method: &Method, status: u16, elapsed: Duration) {
        self.http_requests
            .get_or_create(&HttpLabels {
                route: route.to_owned(),
                method: method_label(method).to_owned(),
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Encoding into a String cannot fail: fmt::Write for String never errors.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

//! Faults the control API switches on: latency, throttling, transient errors, replication lag,
//! and lost answers for Graph and Exchange; latency and failures for the chat services' APIs
//! the bot calls (the Bot Connector and Slack's Web API).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Bounds that keep every fault meaningful (and `Instant` arithmetic safe): ten minutes of
/// latency, an hour of replication lag, an hour of `Retry-After`.
const MAX_LATENCY_MS: u64 = 600_000;
const MAX_LAG_MS: u64 = 3_600_000;
const MAX_RETRY_AFTER_SECONDS: u64 = 3_600;
const MAX_LOST_WRITES: u64 = 1_000;

/// The faults in force. Rates are probabilities per Graph call, from 0 to 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// Added to every Graph call: half before it is carried out, half before it is answered.
    pub latency_ms: u64,
    /// Share of calls answered 429 with `Retry-After`.
    pub throttle_rate: f64,
    /// Share of calls answered 503 or 504.
    pub error_rate: f64,
    /// How long a new membership or grant stays invisible to reads.
    pub replication_lag_ms: u64,
    /// The `Retry-After` a throttled call carries, in seconds.
    pub retry_after_seconds: u64,
    /// How many of the next writes are carried out and then go unanswered: the connection
    /// closes without a response, as when a network drops it. Counts down as they happen.
    pub lose_next_writes: u64,
    /// Added to every Bot Connector and Slack Web API call the bot makes, before it is carried
    /// out.
    #[serde(default)]
    pub chat_latency_ms: u64,
    /// Share of Bot Connector and Slack Web API calls that fail before anything is done: half
    /// throttled (429 with `Retry-After`), half an outage (the connector's 503, Slack's
    /// `service_unavailable`).
    #[serde(default)]
    pub chat_error_rate: f64,
}

/// A partial update from `POST /_sim/faults`: keys left out keep their value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsUpdate {
    pub latency_ms: Option<u64>,
    pub throttle_rate: Option<f64>,
    pub error_rate: Option<f64>,
    pub replication_lag_ms: Option<u64>,
    pub retry_after_seconds: Option<u64>,
    pub lose_next_writes: Option<u64>,
    pub chat_latency_ms: Option<u64>,
    pub chat_error_rate: Option<f64>,
}

impl Faults {
    /// Applies `update`, refusing rates outside 0..=1.
    pub fn updated(&self, update: FaultsUpdate) -> Result<Faults, String> {
        let rate = |name: &str, value: Option<f64>, current: f64| match value {
            Some(rate) if !(0.0..=1.0).contains(&rate) => {
                Err(format!("{name} must be between 0 and 1"))
            }
            Some(rate) => Ok(rate),
            None => Ok(current),
        };
        let at_most = |name: &str, value: Option<u64>, current: u64, limit: u64| match value {
            Some(value) if value > limit => Err(format!("{name} must be at most {limit}")),
            Some(value) => Ok(value),
            None => Ok(current),
        };
        Ok(Faults {
            latency_ms: at_most(
                "latency_ms",
                update.latency_ms,
                self.latency_ms,
                MAX_LATENCY_MS,
            )?,
            throttle_rate: rate("throttle_rate", update.throttle_rate, self.throttle_rate)?,
            error_rate: rate("error_rate", update.error_rate, self.error_rate)?,
            replication_lag_ms: at_most(
                "replication_lag_ms",
                update.replication_lag_ms,
                self.replication_lag_ms,
                MAX_LAG_MS,
            )?,
            retry_after_seconds: at_most(
                "retry_after_seconds",
                update.retry_after_seconds,
                self.retry_after_seconds,
                MAX_RETRY_AFTER_SECONDS,
            )?,
            lose_next_writes: at_most(
                "lose_next_writes",
                update.lose_next_writes,
                self.lose_next_writes,
                MAX_LOST_WRITES,
            )?,
            chat_latency_ms: at_most(
                "chat_latency_ms",
                update.chat_latency_ms,
                self.chat_latency_ms,
                MAX_LATENCY_MS,
            )?,
            chat_error_rate: rate(
                "chat_error_rate",
                update.chat_error_rate,
                self.chat_error_rate,
            )?,
        })
    }

    /// The latency before a call is carried out, and after.
    pub fn latency_halves(&self) -> (Duration, Duration) {
        let way_in = self.latency_ms / 2;
        (
            Duration::from_millis(way_in),
            Duration::from_millis(self.latency_ms - way_in),
        )
    }

    pub fn replication_lag(&self) -> Duration {
        Duration::from_millis(self.replication_lag_ms)
    }

    /// Throttling answers with at least one second, as Graph's `Retry-After` is whole seconds.
    pub fn retry_after(&self) -> u64 {
        self.retry_after_seconds.max(1)
    }

    pub fn throttles_now(&self) -> bool {
        self.throttle_rate > 0.0 && rand::random::<f64>() < self.throttle_rate
    }

    pub fn fails_now(&self) -> bool {
        self.error_rate > 0.0 && rand::random::<f64>() < self.error_rate
    }

    /// Waits out the chat latency, then says how this chat API call fails, if it does.
    pub async fn chat_failure(&self) -> Option<ChatFailure> {
        if self.chat_latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.chat_latency_ms)).await;
        }
        let fails = self.chat_error_rate > 0.0 && rand::random::<f64>() < self.chat_error_rate;
        match (fails, rand::random::<bool>()) {
            (false, _) => None,
            (true, true) => Some(ChatFailure::Throttled),
            (true, false) => Some(ChatFailure::Unavailable),
        }
    }
}

/// How a chat API call fails under `chat_error_rate`, before anything is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatFailure {
    /// 429 with `Retry-After: 1`.
    Throttled,
    /// The service is down for a moment.
    Unavailable,
}

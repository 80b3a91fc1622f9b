//! Faults the control API switches on: latency, throttling, transient errors, replication lag.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The faults in force. Rates are probabilities per Graph call, from 0 to 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// Added to every Graph call before it is answered.
    pub latency_ms: u64,
    /// Share of calls answered 429 with `Retry-After`.
    pub throttle_rate: f64,
    /// Share of calls answered 503 or 504.
    pub error_rate: f64,
    /// How long a new membership or grant stays invisible to reads.
    pub replication_lag_ms: u64,
    /// The `Retry-After` a throttled call carries, in seconds.
    pub retry_after_seconds: u64,
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
        Ok(Faults {
            latency_ms: update.latency_ms.unwrap_or(self.latency_ms),
            throttle_rate: rate("throttle_rate", update.throttle_rate, self.throttle_rate)?,
            error_rate: rate("error_rate", update.error_rate, self.error_rate)?,
            replication_lag_ms: update.replication_lag_ms.unwrap_or(self.replication_lag_ms),
            retry_after_seconds: update
                .retry_after_seconds
                .unwrap_or(self.retry_after_seconds),
        })
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms)
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
}

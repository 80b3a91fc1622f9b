//! The admin API driven in-process with real tokens from the simulated login: who may run what,
//! Exchange's answers, warnings and errors, replication lag and throttling, and what the state
//! and the log show afterwards.

mod answers;
mod changes;
mod roles;

use serde_json::Value;

use crate::sim::testing::{EXCHANGE_SCOPES, TestSim};

pub const OPERATOR: &str = "helpdesk.ops@contoso.com";

/// The operator's delegated Exchange token (Exchange Recipient Administrator).
pub async fn operator(sim: &TestSim) -> String {
    sim.exchange_token(OPERATOR, EXCHANGE_SCOPES).await
}

/// `person`'s delegated Exchange token; they hold no admin role.
pub async fn person(sim: &TestSim, upn: &str) -> String {
    sim.exchange_token(upn, EXCHANGE_SCOPES).await
}

/// The UPNs `/_sim/state` lists under `key` for the entry of `list` named `name`.
pub async fn listed(sim: &TestSim, list: &str, name: &str, key: &str) -> Vec<String> {
    let entry = sim.state_entry(list, name).await;
    entry[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

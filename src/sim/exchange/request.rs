//! Reading a request: the `CmdletInput` body, the tenant a path names, and `$select` applied to
//! what a cmdlet returned.

use axum::body::Bytes;
use serde_json::{Map, Value};

use crate::sim::SimState;

/// What the body asks: `CmdletInput.CmdletName` and `CmdletInput.Parameters`.
pub struct Command {
    pub name: String,
    pub parameters: Map<String, Value>,
}

pub fn command(body: &Bytes) -> Option<Command> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let input = value.get("CmdletInput")?;
    let name = input.get("CmdletName")?.as_str()?.to_owned();
    let parameters = match input.get("Parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(parameters)) => parameters.clone(),
        Some(_) => return None,
    };
    Some(Command { name, parameters })
}

/// Whether the `{tenant}` of a path names this tenant: its id or one of its domains.
pub fn names_tenant(state: &SimState, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&state.tenant_id)
        || state
            .directory()
            .domains()
            .iter()
            .any(|domain| domain.name.eq_ignore_ascii_case(tenant))
}

/// `$select=A,B` keeps only those properties of each object, as the admin API does.
pub fn select(query: Option<&str>, value: Vec<Value>) -> Vec<Value> {
    let selected: Option<Vec<String>> = query.and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name.eq_ignore_ascii_case("$select"))
            .map(|(_, list)| list.split(',').map(|name| name.trim().to_owned()).collect())
    });
    let Some(selected) = selected else {
        return value;
    };
    value
        .into_iter()
        .map(|item| match item {
            Value::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .filter(|(name, _)| {
                        selected
                            .iter()
                            .any(|wanted| wanted.eq_ignore_ascii_case(name))
                    })
                    .collect(),
            ),
            other => other,
        })
        .collect()
}

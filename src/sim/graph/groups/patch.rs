//! `PATCH /groups/{id}`: members and owners bound by `@odata.bind` and the few descriptive
//! properties a group's owner may change, all checked before anything is applied.

use serde_json::{Map, Value};

use super::super::call::{Call, GraphErr, Outcome, Reply, Service};
use super::{
    MAX_BINDS, Relation, WRITE_GROUP, apply_references, authorize_write, group, new_references,
    referenced_id,
};

/// `PATCH /groups/{id}`: `members@odata.bind` / `owners@odata.bind` (up to 20 each) and the few
/// descriptive properties a group owner may change. Everything is checked before anything is
/// applied: a PATCH succeeds or changes nothing.
pub fn patch(call: &mut Call<'_>) -> Outcome {
    let body: Map<String, Value> = call.body_object()?.clone();
    let group = group(call)?;
    let updating_properties = body.keys().any(|key| !key.ends_with("@odata.bind"));
    if updating_properties {
        call.require_delegated_write(Service::Directory, WRITE_GROUP)?;
    }
    let relations: Vec<Relation> = [
        ("members@odata.bind", Relation::Members),
        ("owners@odata.bind", Relation::Owners),
    ]
    .into_iter()
    .filter(|(key, _)| body.contains_key(*key))
    .map(|(_, relation)| relation)
    .collect();
    authorize_write(call, group, &relations)?;
    let mut properties = Map::new();
    let mut additions = Vec::new();
    for (key, value) in &body {
        match key.as_str() {
            "members@odata.bind" | "owners@odata.bind" => {
                let relation = if key.starts_with("members") {
                    Relation::Members
                } else {
                    Relation::Owners
                };
                let ids = bound_ids(key, value)?;
                additions.push((relation, new_references(call, group, relation, &ids)?));
            }
            "displayName" | "description" | "visibility" | "classification" => {
                properties.insert(key.clone(), value.clone());
            }
            "isAssignableToRole" | "groupTypes" | "mailEnabled" | "securityEnabled" | "id" => {
                return Err(GraphErr::bad_request(
                    "Request_BadRequest",
                    format!("Property '{key}' is read-only and cannot be set."),
                ));
            }
            other => {
                return Err(GraphErr::bad_request(
                    "Request_BadRequest",
                    format!(
                        "Invalid property '{other}' for an update of a group in this simulator."
                    ),
                ));
            }
        }
    }
    for (relation, user_ids) in &additions {
        apply_references(call, *relation, user_ids);
    }
    let group_id = call.param("group").to_owned();
    if let Some(group) = call.dir.group_mut(&group_id) {
        group.props.extend(properties);
    }
    Ok(Reply::no_content())
}

/// The object ids of an `@odata.bind` array.
fn bound_ids(key: &str, value: &Value) -> Result<Vec<String>, GraphErr> {
    let urls = value.as_array().ok_or_else(|| {
        GraphErr::bad_request(
            "Request_BadRequest",
            format!("'{key}' must be an array of URLs."),
        )
    })?;
    if urls.len() > MAX_BINDS {
        return Err(GraphErr::bad_request(
            "Request_BadRequest",
            format!("A maximum of {MAX_BINDS} references may be added in one request."),
        ));
    }
    urls.iter()
        .map(|url| {
            url.as_str()
                .ok_or_else(|| GraphErr::bad_request("Request_BadRequest", "Invalid URL."))
                .and_then(referenced_id)
        })
        .collect()
}

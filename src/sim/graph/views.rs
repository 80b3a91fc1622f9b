//! Directory objects as Graph serves them: which properties come by default, which only when
//! selected, `@odata.type` in polymorphic collections, and the 400 Graph gives for a `$select`
//! of a property the type does not have.

use serde_json::{Map, Value, json};

use super::call::GraphErr;
use super::schema::{
    GROUP_PROPERTIES, GROUP_SELECT_ONLY, USER_DEFAULT_PROPERTIES, USER_PROPERTIES,
};
use crate::sim::directory::{DirectoryRole, Group, User};
use crate::sim::odata::Query;

/// How a served object is projected by `$select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Any object: `$select` keeps what it names.
    Plain,
    /// `microsoft.graph.user`: a default set without `$select`; names checked.
    User,
    /// `microsoft.graph.group`: some properties only when selected; names checked.
    Group,
    /// A mix of directory objects, each projected by its `@odata.type`.
    DirectoryObject,
}

impl Shape {
    /// Graph refuses a `$select` of a property the type does not have.
    pub fn check_select(self, query: &Query) -> Result<(), GraphErr> {
        let (known, type_name) = match self {
            Shape::User => (USER_PROPERTIES, "microsoft.graph.user"),
            Shape::Group => (GROUP_PROPERTIES, "microsoft.graph.group"),
            Shape::Plain | Shape::DirectoryObject => return Ok(()),
        };
        for name in query.selected_properties().unwrap_or_default() {
            if name != "*"
                && !known
                    .iter()
                    .any(|property| property.eq_ignore_ascii_case(name))
            {
                return Err(GraphErr::bad_request(
                    "Request_BadRequest",
                    format!("Could not find a property named '{name}' on type '{type_name}'."),
                ));
            }
        }
        Ok(())
    }

    pub fn project(self, item: &Value, query: &Query) -> Value {
        let shape = match self {
            Shape::DirectoryObject => match item.get("@odata.type").and_then(Value::as_str) {
                Some("#microsoft.graph.user") => Shape::User,
                Some("#microsoft.graph.group") => Shape::Group,
                _ => Shape::Plain,
            },
            other => other,
        };
        match (shape, query.selected_properties()) {
            (Shape::User, None) => keep(item, USER_DEFAULT_PROPERTIES),
            (Shape::Group, None) => drop(item, GROUP_SELECT_ONLY),
            (_, Some(names)) if names.iter().any(|name| name == "*") => item.clone(),
            _ => query.select(item),
        }
    }
}

/// `item` with only `names` (null where absent) and its `@odata.type`.
fn keep(item: &Value, names: &[&str]) -> Value {
    let mut kept = Map::new();
    if let Some(odata_type) = item.get("@odata.type") {
        kept.insert("@odata.type".into(), odata_type.clone());
    }
    for name in names {
        kept.insert(
            (*name).to_owned(),
            item.get(*name).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(kept)
}

fn drop(item: &Value, names: &[&str]) -> Value {
    let mut kept = item.clone();
    if let Some(fields) = kept.as_object_mut() {
        for name in names {
            fields.remove(*name);
        }
    }
    kept
}

/// Collection-valued user properties: Graph serves `[]` for an empty one, never `null`.
const USER_COLLECTIONS: &[&str] = &[
    "businessPhones",
    "imAddresses",
    "otherMails",
    "proxyAddresses",
];

/// Collection-valued group properties, likewise.
const GROUP_COLLECTIONS: &[&str] = &["groupTypes", "proxyAddresses"];

/// `object` with an empty array for each of `names` that is absent or null.
fn with_empty_collections(mut object: Map<String, Value>, names: &[&str]) -> Map<String, Value> {
    for name in names {
        let value = object.entry((*name).to_owned()).or_insert(Value::Null);
        if value.is_null() {
            *value = json!([]);
        }
    }
    object
}

/// A user with every property the simulator knows, including computed ones.
pub fn user_object(user: &User) -> Value {
    let mut object = with_empty_collections(user.props.clone(), USER_COLLECTIONS);
    object.insert(
        "signInSessionsValidFromDateTime".into(),
        json!(
            user.sessions_valid_from
                .max(chrono::DateTime::UNIX_EPOCH)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    );
    Value::Object(object)
}

/// The same, marked with its type for polymorphic collections.
pub fn typed_user(user: &User) -> Value {
    with_type(user_object(user), "#microsoft.graph.user")
}

pub fn group_object(group: &Group) -> Value {
    Value::Object(with_empty_collections(
        group.props.clone(),
        GROUP_COLLECTIONS,
    ))
}

pub fn typed_group(group: &Group) -> Value {
    with_type(group_object(group), "#microsoft.graph.group")
}

pub fn typed_role(role: &DirectoryRole) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": role.id,
        "deletedDateTime": null,
        "description": role.template.description,
        "displayName": role.template.display_name,
        "roleTemplateId": role.template.template_id,
    })
}

fn with_type(mut object: Value, odata_type: &str) -> Value {
    if let Some(fields) = object.as_object_mut() {
        fields.insert("@odata.type".into(), json!(odata_type));
    }
    object
}

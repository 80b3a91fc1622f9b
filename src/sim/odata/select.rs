//! `$select` parsing and projection, shared by the top level and by `$expand`.
//!
//! Projection keeps Graph's `@odata.*` annotations (the `@odata.type` of a directory object in
//! particular) because Graph returns them whatever was selected, and gives `null` for a selected
//! property the object lacks, because Graph's response always carries every selected property.

use serde_json::{Map, Value};

use super::QueryError;
use super::property::is_property_name;

/// The `$select` entry that asks for every property.
const WILDCARD: &str = "*";

/// Parses the comma-separated property names of a `$select` option.
pub(super) fn parse_property_list(value: &str) -> Result<Vec<String>, QueryError> {
    let invalid = |reason: String| QueryError::InvalidOptionValue {
        option: "$select".to_owned(),
        value: value.to_owned(),
        reason,
    };
    let mut properties = Vec::new();
    for name in value.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(invalid("property names must not be empty".to_owned()));
        }
        if name != WILDCARD && !is_property_name(name) {
            return Err(invalid(format!("'{name}' is not a property name")));
        }
        properties.push(name.to_owned());
    }
    Ok(properties)
}

/// Projects `item` onto `properties`; anything but an object is returned unchanged.
pub(super) fn select_properties(item: &Value, properties: &[String]) -> Value {
    let Some(object) = item.as_object() else {
        return item.clone();
    };
    if properties.iter().any(|name| name == WILDCARD) {
        return item.clone();
    }
    let mut projected: Map<String, Value> = object
        .iter()
        .filter(|(key, _)| key.starts_with("@odata."))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    for name in properties {
        // Keep the spelling of the data, not of the request, as Graph does.
        let found = object.get_key_value(name.as_str()).or_else(|| {
            object
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
        });
        match found {
            Some((key, value)) => projected.insert(key.clone(), value.clone()),
            None => projected.insert(name.clone(), Value::Null),
        };
    }
    Value::Object(projected)
}

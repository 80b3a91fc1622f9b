//! Property lookup on JSON objects, shared by filtering, searching, selecting and sorting.
//!
//! Graph resolves property names case-insensitively (`$filter=DisplayName eq 'x'` works), so an
//! exact match is tried first and a case-insensitive one second.

use std::cmp::Ordering;

use serde_json::Value;

/// The value of property `name` when `value` is an object that has it.
pub(super) fn property_value<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, found)| found)
    })
}

/// True when `value` is an object whose `@odata.type` names `type_name`.
///
/// Graph writes the annotation with a leading `#` and the filter without one; either spelling is
/// accepted on both sides.
pub(super) fn has_odata_type(value: &Value, type_name: &str) -> bool {
    let wanted = type_name.trim_start_matches('#');
    property_value(value, "@odata.type")
        .and_then(Value::as_str)
        .is_some_and(|actual| actual.trim_start_matches('#').eq_ignore_ascii_case(wanted))
}

/// Orders two strings as Entra ID does for directory data, ignoring case.
pub(super) fn compare_case_insensitive(left: &str, right: &str) -> Ordering {
    left.chars()
        .flat_map(char::to_lowercase)
        .cmp(right.chars().flat_map(char::to_lowercase))
}

/// True for a plain or namespaced property name such as `displayName` or `extension_ab12_tier`.
pub(super) fn is_property_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| {
            character.is_ascii_alphanumeric() || character == '_' || character == '.'
        })
}

//! Lenient readers for the shapes Exchange serializes a cmdlet's output in.
//!
//! PowerShell objects reach JSON in more than one shape: a multi-valued property may come as a
//! list or as one string, a flags enum as one comma-separated string, a flag as `true` or
//! `"True"`, an identity as a string or an object with a name, an id as a number or a string, and
//! an unset value as `null` or `""`.
//! Owns the `deserialize_with` functions the models use. Must not: fail on a shape another
//! function here accepts, or invent a value that was not in the answer.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A list of strings from a list, one string (one item), or `null`. Names are not split on
/// commas: a display name may hold one ("Becker, Tom").
pub(in crate::exchange) fn list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => items.iter().filter_map(text_of).collect(),
        other => text_of(&other).into_iter().collect(),
    })
}

/// The values of a flags enum such as `AccessRights`, from a list or from the one string .NET
/// writes them as (`"FullAccess, ReadPermission"`).
pub(in crate::exchange) fn flags<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    let items = match Value::deserialize(deserializer)? {
        Value::Array(items) => items,
        other => vec![other],
    };
    Ok(items
        .iter()
        .filter_map(text_of)
        .flat_map(|joined| {
            joined
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect())
}

/// A flag from a boolean or the strings `"True"` and `"False"`; anything else is `false`.
pub(in crate::exchange) fn flag<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(flag) => flag,
        Value::String(text) => text.trim().eq_ignore_ascii_case("true"),
        _ => false,
    })
}

/// An optional flag, where `null` or an unreadable value is "not said".
pub(in crate::exchange) fn optional_flag<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(flag) => Some(flag),
        Value::String(text) if text.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(text) if text.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

/// Optional text from a string, a number, or an object's name; `null` and `""` are `None`.
pub(in crate::exchange) fn optional_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(text_of(&Value::deserialize(deserializer)?))
}

/// Required text, in the shapes [`optional_text`] accepts.
pub(in crate::exchange) fn text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    text_of(&Value::deserialize(deserializer)?)
        .ok_or_else(|| serde::de::Error::custom("expected a non-empty name or value"))
}

/// A value as text: strings as they are, numbers written out, and an object (an identity
/// Exchange serialized whole) by the first of its name properties present.
fn text_of(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(text) => text.trim().to_owned(),
        Value::Number(number) => number.to_string(),
        Value::Object(fields) => {
            return ["DisplayName", "Name", "Identity", "PrimarySmtpAddress"]
                .iter()
                .find_map(|key| fields.get(*key).and_then(text_of));
        }
        Value::Null | Value::Bool(_) | Value::Array(_) => return None,
    };
    (!text.is_empty()).then_some(text)
}

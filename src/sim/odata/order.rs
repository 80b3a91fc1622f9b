//! `$orderby` parsing and sorting.
//!
//! Sorting is stable so items that tie on every key keep the simulator's storage order, which
//! keeps paging with `$skiptoken` deterministic.

use std::cmp::Ordering;

use serde_json::Value;

use super::QueryError;
use super::property::{compare_case_insensitive, is_property_name, property_value};

/// One `$orderby` key: a `/`-separated property path and a direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderByItem {
    property_path: Vec<String>,
    direction: SortDirection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Ascending,
    Descending,
}

impl OrderByItem {
    /// The path segments, such as `["manager", "displayName"]` for `manager/displayName`.
    pub fn property_path(&self) -> &[String] {
        &self.property_path
    }

    pub fn direction(&self) -> SortDirection {
        self.direction
    }
}

/// Parses `displayName desc,mail` into its keys.
pub(super) fn parse_order_by(value: &str) -> Result<Vec<OrderByItem>, QueryError> {
    let invalid = |reason: String| QueryError::InvalidOptionValue {
        option: "$orderby".to_owned(),
        value: value.to_owned(),
        reason,
    };
    let mut items = Vec::new();
    for key in value.split(',') {
        let words: Vec<&str> = key.split_whitespace().collect();
        let (path, direction) = match words.as_slice() {
            [path] => (*path, SortDirection::Ascending),
            [path, direction] if direction.eq_ignore_ascii_case("asc") => {
                (*path, SortDirection::Ascending)
            }
            [path, direction] if direction.eq_ignore_ascii_case("desc") => {
                (*path, SortDirection::Descending)
            }
            [] => return Err(invalid("sort keys must not be empty".to_owned())),
            _ => {
                let key = key.trim();
                return Err(invalid(format!(
                    "'{key}' must be a property optionally followed by asc or desc"
                )));
            }
        };
        let property_path: Vec<String> = path.split('/').map(str::to_owned).collect();
        if let Some(bad) = property_path
            .iter()
            .find(|segment| !is_property_name(segment))
        {
            return Err(invalid(format!("'{bad}' is not a property name")));
        }
        items.push(OrderByItem {
            property_path,
            direction,
        });
    }
    Ok(items)
}

/// Sorts `items` by `order`: strings ignore case, and `null` or missing values come first when
/// ascending and last when descending.
pub(super) fn sort_items(items: &mut [Value], order: &[OrderByItem]) {
    if order.is_empty() {
        return;
    }
    items.sort_by(|left, right| {
        order
            .iter()
            .map(|key| {
                let ordering = compare_values(key_value(left, key), key_value(right, key));
                match key.direction {
                    SortDirection::Ascending => ordering,
                    SortDirection::Descending => ordering.reverse(),
                }
            })
            .find(|ordering| *ordering != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}

fn key_value<'a>(item: &'a Value, key: &OrderByItem) -> &'a Value {
    key.property_path
        .iter()
        .try_fold(item, |current, segment| property_value(current, segment))
        .unwrap_or(&Value::Null)
}

/// A total order over JSON values: by kind first, then within the kind.
fn compare_values(left: &Value, right: &Value) -> Ordering {
    match (left, right) {
        (Value::Bool(left), Value::Bool(right)) => left.cmp(right),
        (Value::Number(left), Value::Number(right)) => match (left.as_i64(), right.as_i64()) {
            (Some(left), Some(right)) => left.cmp(&right),
            _ => {
                let left = left.as_f64().unwrap_or(f64::NAN);
                let right = right.as_f64().unwrap_or(f64::NAN);
                left.total_cmp(&right)
            }
        },
        (Value::String(left), Value::String(right)) => compare_case_insensitive(left, right),
        _ => kind_rank(left).cmp(&kind_rank(right)),
    }
}

fn kind_rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

//! The typed form of a Graph request's query string and the operations the simulator applies.
//!
//! Parsing validates everything once at the edge, so a [`Query`] that exists is well formed and
//! its accessors need no error handling. Paging (`$top`, `$skiptoken`) and `$expand` are only
//! carried, because they depend on the resource the simulator is serving.

#[cfg(test)]
mod tests;

use serde_json::Value;

use super::QueryError;
use super::encoding::decode_query_pairs;
use super::expand::{ExpandItem, parse_expand};
use super::filter::Filter;
use super::order::{OrderByItem, parse_order_by, sort_items};
use super::search::Search;
use super::select::{parse_property_list, select_properties};

/// A parsed query string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    select: Option<Vec<String>>,
    filter: Option<Filter>,
    search: Option<Search>,
    order_by: Vec<OrderByItem>,
    top: Option<u32>,
    skip_token: Option<String>,
    count: Option<bool>,
    expand: Vec<ExpandItem>,
    other_parameters: Vec<(String, String)>,
}

/// The largest `$top` Graph accepts on directory collections.
const MAXIMUM_TOP: u32 = 999;

impl Query {
    /// Parses the raw query string: the part after `?`, still percent-encoded, `+` meaning space.
    pub fn parse(raw_query: &str) -> Result<Query, QueryError> {
        let mut query = Query::default();
        let mut seen_options: Vec<String> = Vec::new();
        for (name, value) in decode_query_pairs(raw_query) {
            if !name.starts_with('$') {
                // Plain parameters such as `search=` on /sites belong to the resource, not OData.
                query.other_parameters.push((name, value));
                continue;
            }
            let option = name.to_ascii_lowercase();
            if seen_options.contains(&option) {
                return Err(QueryError::RepeatedQueryOption { option: name });
            }
            match option.as_str() {
                "$select" => query.select = Some(parse_property_list(&value)?),
                "$filter" => query.filter = Some(Filter::parse(&value)?),
                "$search" => query.search = Some(Search::parse(&value)?),
                "$orderby" => query.order_by = parse_order_by(&value)?,
                "$top" => query.top = Some(parse_top(&value)?),
                "$skiptoken" => query.skip_token = Some(value),
                "$count" => query.count = Some(parse_count(&value)?),
                "$expand" => query.expand = parse_expand(&value)?,
                _ => return Err(QueryError::UnsupportedQueryOption { option: name }),
            }
            seen_options.push(option);
        }
        Ok(query)
    }

    /// The `$select` list, if one was given; `*` stands for every property.
    pub fn selected_properties(&self) -> Option<&[String]> {
        self.select.as_deref()
    }

    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    pub fn search(&self) -> Option<&Search> {
        self.search.as_ref()
    }

    pub fn order_by(&self) -> &[OrderByItem] {
        &self.order_by
    }

    pub fn top(&self) -> Option<u32> {
        self.top
    }

    /// The opaque `$skiptoken`, which the simulator minted in an earlier `@odata.nextLink`.
    pub fn skip_token(&self) -> Option<&str> {
        self.skip_token.as_deref()
    }

    /// True for `$count=true`, asking for `@odata.count` in the response.
    pub fn count_requested(&self) -> bool {
        self.count == Some(true)
    }

    pub fn expand(&self) -> &[ExpandItem] {
        &self.expand
    }

    /// Parameters without a `$`, decoded, in the order given.
    pub fn other_parameters(&self) -> &[(String, String)] {
        &self.other_parameters
    }

    /// True when Graph would answer this query only with `ConsistencyLevel: eventual`, because it
    /// uses an advanced query feature: `$search`, `$count=true`, a filter with `ne`, `not`,
    /// `endswith` or `$count`, or `$orderby` together with `$filter`.
    pub fn needs_eventual_consistency(&self) -> bool {
        self.search.is_some()
            || self.count_requested()
            || self
                .filter
                .as_ref()
                .is_some_and(Filter::needs_eventual_consistency)
            || (self.filter.is_some() && !self.order_by.is_empty())
    }

    /// True when `item` passes both `$filter` and `$search`, or when neither was given.
    pub fn matches(&self, item: &Value) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|filter| filter.matches(item))
            && self
                .search
                .as_ref()
                .is_none_or(|search| search.matches(item))
    }

    /// Projects `item` onto `$select`, returning it unchanged when there is none.
    pub fn select(&self, item: &Value) -> Value {
        match &self.select {
            Some(properties) => select_properties(item, properties),
            None => item.clone(),
        }
    }

    /// Sorts `items` in place by `$orderby`; without it the order is left alone.
    pub fn sort(&self, items: &mut [Value]) {
        sort_items(items, &self.order_by);
    }
}

/// Parses a `$top` value, shared with `$expand`'s nested `$top`.
pub(super) fn parse_top(value: &str) -> Result<u32, QueryError> {
    match value.parse::<u32>() {
        Ok(top) if (1..=MAXIMUM_TOP).contains(&top) => Ok(top),
        _ => Err(QueryError::InvalidOptionValue {
            option: "$top".to_owned(),
            value: value.to_owned(),
            reason: format!("must be an integer between 1 and {MAXIMUM_TOP}"),
        }),
    }
}

fn parse_count(value: &str) -> Result<bool, QueryError> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(QueryError::InvalidOptionValue {
            option: "$count".to_owned(),
            value: value.to_owned(),
            reason: "must be true or false".to_owned(),
        })
    }
}

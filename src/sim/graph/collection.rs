//! Serving collections and single entities the way Graph does: `$filter`, `$search`,
//! `$orderby`, `$count`, paging with `$top` and `@odata.nextLink`, and `$select`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::call::{Call, GraphErr, Outcome, Reply};
use super::views::Shape;

/// How a collection behaves.
#[derive(Debug, Clone, Copy)]
pub struct Listing {
    /// Directory collections (users, groups, members, memberOf) need `ConsistencyLevel:
    /// eventual` for advanced queries, and support `$search`.
    pub directory: bool,
    /// Items per page when `$top` is absent.
    pub page_size: usize,
}

impl Listing {
    pub const DIRECTORY: Listing = Listing {
        directory: true,
        page_size: 100,
    };
    pub const SERVICE: Listing = Listing {
        directory: false,
        page_size: 100,
    };
}

impl Call<'_> {
    /// Answers a collection request over `items`, full Graph objects that `shape` projects
    /// after filtering (so `$filter` sees properties that `$select` leaves out).
    pub fn list(&self, mut items: Vec<Value>, listing: Listing, shape: Shape) -> Outcome {
        self.check_advanced_query(listing)?;
        shape.check_select(&self.query)?;
        items.retain(|item| self.query.matches(item));
        self.query.sort(&mut items);
        let total = items.len();
        let offset = match self.query.skip_token() {
            None => 0,
            Some(token) => decode_skip_token(token)
                .filter(|offset| *offset <= total)
                .ok_or_else(|| {
                    GraphErr::bad_request(
                        "Request_UnsupportedQuery",
                        "The specified page token value has expired or is invalid.",
                    )
                })?,
        };
        let page_size = self
            .query
            .top()
            .map_or(listing.page_size, |top| top as usize);
        let page: Vec<Value> = items
            .iter()
            .skip(offset)
            .take(page_size)
            .map(|item| self.project(item, shape))
            .collect();
        let mut body = Map::new();
        body.insert("@odata.context".into(), json!(self.context(false)));
        if self.query.count_requested() {
            body.insert("@odata.count".into(), json!(total));
        }
        body.insert("value".into(), Value::Array(page));
        let next = offset.saturating_add(page_size);
        if next < total {
            body.insert("@odata.nextLink".into(), json!(self.next_link(next)));
        }
        Ok(Reply::ok(Value::Object(body)))
    }

    /// Answers `$count` on a collection: a bare number, after `$filter` and `$search`.
    pub fn count_of(&self, items: Vec<Value>) -> Outcome {
        if !self.eventual {
            return Err(GraphErr::bad_request(
                "Request_BadRequest",
                "Count is not currently supported without the request header 'ConsistencyLevel: eventual'.",
            ));
        }
        Ok(Reply::count(
            items.iter().filter(|item| self.query.matches(item)).count(),
        ))
    }

    /// Answers a single entity, projected by `$select`.
    pub fn entity(&self, item: Value, shape: Shape) -> Outcome {
        shape.check_select(&self.query)?;
        let mut projected = self.project(&item, shape);
        if let Some(fields) = projected.as_object_mut() {
            fields.insert("@odata.context".into(), json!(self.context(true)));
        }
        Ok(Reply::ok(projected))
    }

    /// The `@odata.context` of an answer: the metadata document's URL and the path answered,
    /// with keys in OData's `name('key')` form, the `$select`ed properties in parentheses, and
    /// `/$entity` for a single entity. (Graph sometimes names the entity set instead, such as
    /// `directoryObjects` for a group's members; clients read the annotation, not its path.)
    fn context(&self, entity: bool) -> String {
        let mut context = String::new();
        for raw in self.path.trim_start_matches('/').split('/') {
            let segment = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
            let is_key = !context.is_empty()
                && self
                    .params
                    .iter()
                    .any(|(_, value)| value.as_str() == segment);
            if is_key {
                context.push_str(&format!("('{}')", segment.replace('\'', "''")));
            } else {
                if !context.is_empty() {
                    context.push('/');
                }
                context.push_str(&segment);
            }
        }
        if let Some(names) = self.query.selected_properties() {
            context.push_str(&format!("({})", names.join(",")));
        }
        if entity {
            context.push_str("/$entity");
        }
        format!("{}/$metadata#{context}", self.graph_base)
    }

    /// Applies `$select` the way Graph does for `shape`, keeping `@odata.type` and anything
    /// `$expand` added.
    pub fn project(&self, item: &Value, shape: Shape) -> Value {
        let mut projected = shape.project(item, &self.query);
        if let (Some(target), Some(source)) = (projected.as_object_mut(), item.as_object()) {
            for expanded in self.query.expand() {
                let name = expanded.navigation_property();
                if let Some(value) = source.get(name) {
                    target.insert(name.to_owned(), value.clone());
                }
            }
        }
        projected
    }

    fn check_advanced_query(&self, listing: Listing) -> Result<(), GraphErr> {
        if !listing.directory && self.query.search().is_some() {
            return Err(GraphErr::bad_request(
                "BadRequest",
                "Query option '$search' is not allowed on this resource.",
            ));
        }
        if listing.directory && self.query.needs_eventual_consistency() && !self.eventual {
            let message = if self.query.search().is_some() {
                "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"
            } else {
                "Unsupported query: this query needs advanced query capabilities (the 'ConsistencyLevel: eventual' header and $count=true)."
            };
            return Err(GraphErr::bad_request("Request_UnsupportedQuery", message));
        }
        let by_address = self
            .query
            .filter()
            .is_some_and(|filter| filter.has_lambda_over("proxyAddresses"));
        if listing.directory && by_address && !(self.eventual && self.query.count_requested()) {
            return Err(GraphErr::bad_request(
                "Request_UnsupportedQuery",
                "Unsupported query: a filter on proxyAddresses needs advanced query capabilities (the 'ConsistencyLevel: eventual' header and $count=true).",
            ));
        }
        Ok(())
    }

    /// The current URL with `$skiptoken` pointing at `offset`.
    fn next_link(&self, offset: usize) -> String {
        let mut url = match url::Url::parse(&format!("{}{}", self.graph_base, self.path)) {
            Ok(url) => url,
            Err(_) => return String::new(),
        };
        let kept: Vec<(String, String)> = self
            .raw_pairs()
            .into_iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("$skiptoken"))
            .collect();
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &kept {
                pairs.append_pair(name, value);
            }
            pairs.append_pair("$skiptoken", &encode_skip_token(offset));
        }
        url.to_string()
    }

    fn raw_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.raw_query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

/// Skip tokens are opaque to clients; here they carry the offset of the next page.
fn encode_skip_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("doorman-sim-page:{offset}"))
}

fn decode_skip_token(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("doorman-sim-page:")?
        .parse()
        .ok()
}

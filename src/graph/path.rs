//! Relative Graph paths: percent-encoding of keys and query values.
//!
//! Owns how an id, UPN, channel id or site path becomes part of a request path. Must not: build
//! absolute URLs (the client joins paths to its base URL), or let a key change the shape of a
//! path: `/`, `:`, `#`, `?` and dot-segments inside a key are encoded or refused, so an id can
//! never turn `.../members/{id}/$ref` into a different resource.

use super::error::GraphError;

/// Encodes one key for use as a single path segment. Only RFC 3986 unreserved characters and
/// `,` stay as they are (SharePoint site ids are `host,guid,guid` and Graph documents them
/// unencoded); everything else is percent-encoded from its UTF-8 bytes. So a Teams channel id
/// `19:abc@thread.tacv2` becomes `19%3Aabc%40thread.tacv2` and a guest UPN's `#EXT#` becomes
/// `%23EXT%23`, as Graph's documentation shows.
pub fn encode_key(key: &str) -> Result<String, GraphError> {
    if key.is_empty() || key == "." || key == ".." {
        return Err(GraphError::InvalidRequest {
            reason: format!("{key:?} cannot be used as an id"),
        });
    }
    Ok(percent_encode(key, ","))
}

/// Encodes a query-option value. Besides unreserved characters, OData punctuation that Graph
/// reads literally (`$ ' ( ) , : / @`) is kept readable; spaces, quotes, `&`, `=`, `+`, `#` and
/// non-ASCII are encoded, so a value can never add or end a query option.
pub fn encode_query_value(value: &str) -> String {
    percent_encode(value, "$'(),:/@")
}

/// The path of a user: `/users/{key}`. A UPN that starts with `$` must be addressed as
/// `/users('$...')`, because Graph would otherwise read the segment as a system segment such
/// as `$ref` or `$count`; single quotes inside are doubled, as OData string literals require.
pub fn user_path(id_or_upn: &str) -> Result<String, GraphError> {
    if id_or_upn.starts_with('$') {
        return Ok(format!("/users({})", quoted_key(id_or_upn)?));
    }
    Ok(format!("/users/{}", encode_key(id_or_upn)?))
}

/// An OData key in parentheses form, `'{key}'`: single quotes doubled, `$` and `@` kept (Graph
/// documents `users('$x@y.com')` and `users('john.doe@contoso.com')`), everything else that is
/// not unreserved percent-encoded, so a guest UPN's `#` cannot start a fragment.
pub fn quoted_key(key: &str) -> Result<String, GraphError> {
    if key.is_empty() {
        return Err(GraphError::InvalidRequest {
            reason: "an empty string cannot be used as an id".to_owned(),
        });
    }
    let doubled = key.replace('\'', "''");
    Ok(format!("'{}'", percent_encode(&doubled, ",'$@")))
}

/// Encodes a SharePoint server-relative path (`/sites/Finance Team`) segment by segment, for
/// Graph's colon addressing `/sites/{hostname}:/{path}`. A `:` inside a segment is encoded,
/// because a literal one would end the addressed path early.
pub fn encode_server_relative_path(path: &str) -> Result<String, GraphError> {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    if segments.is_empty() {
        return Err(GraphError::InvalidRequest {
            reason: "a server-relative site path needs at least one segment".to_owned(),
        });
    }
    let encoded: Result<Vec<String>, GraphError> =
        segments.iter().map(|segment| encode_key(segment)).collect();
    Ok(encoded?.join("/"))
}

/// Query options in the order they are added, each value encoded with
/// [`encode_query_value`]. Option names such as `$filter` are written as given.
#[derive(Clone, Debug, Default)]
pub struct QueryOptions {
    pairs: Vec<String>,
}

impl QueryOptions {
    /// An empty set of options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `name=value`.
    pub fn push(&mut self, name: &str, value: &str) -> &mut Self {
        self.pairs
            .push(format!("{name}={}", encode_query_value(value)));
        self
    }

    /// Adds `$select=a,b,c` with `id` added when missing: Doorman acts on objects by id, and
    /// Graph leaves `id` out of a `$select` that does not name it.
    pub fn push_select_with_id(&mut self, select: &[&str]) -> &mut Self {
        if select.is_empty() {
            return self;
        }
        let mut fields: Vec<&str> = select.to_vec();
        if !fields.contains(&"id") {
            fields.insert(0, "id");
        }
        self.push("$select", &fields.join(","))
    }

    /// Appends the options to `path` (with `?` only when there are any).
    pub fn apply_to(&self, path: &str) -> String {
        if self.pairs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", self.pairs.join("&"))
        }
    }
}

fn percent_encode(text: &str, also_keep: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        let character = char::from(byte);
        let unreserved = byte.is_ascii_alphanumeric() || "-._~".contains(character);
        if unreserved || (byte.is_ascii() && also_keep.contains(character)) {
            encoded.push(character);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_and_guest_upns_are_percent_encoded() {
        assert_eq!(
            encode_key("19:abc@thread.tacv2").ok().as_deref(),
            Some("19%3Aabc%40thread.tacv2")
        );
        assert_eq!(
            encode_key("adele_contoso.com#EXT#@fabrikam.onmicrosoft.com")
                .ok()
                .as_deref(),
            Some("adele_contoso.com%23EXT%23%40fabrikam.onmicrosoft.com")
        );
        assert_eq!(encode_key("a/b?c").ok().as_deref(), Some("a%2Fb%3Fc"));
        assert_eq!(encode_key("Zoë").ok().as_deref(), Some("Zo%C3%AB"));
    }

    #[test]
    fn site_ids_keep_their_commas() {
        let site = "contoso.sharepoint.com,2C712604-1370-44E7-A1F5-426573FDA80A,2D2244C3";
        assert_eq!(encode_key(site).ok().as_deref(), Some(site));
    }

    #[test]
    fn empty_and_dot_keys_are_refused_so_they_cannot_shorten_a_path() {
        for key in ["", ".", ".."] {
            assert!(matches!(
                encode_key(key),
                Err(GraphError::InvalidRequest { .. })
            ));
        }
    }

    #[test]
    fn upns_starting_with_a_dollar_use_the_quoted_key_form() {
        assert_eq!(
            user_path("$admin@contoso.com").ok().as_deref(),
            Some("/users('$admin@contoso.com')")
        );
        assert_eq!(
            user_path("o'brien@contoso.com").ok().as_deref(),
            Some("/users/o%27brien%40contoso.com")
        );
    }

    #[test]
    fn quoted_keys_double_quotes_and_encode_fragments() {
        assert_eq!(
            quoted_key("o'brien_x.com#EXT#@contoso.com").ok().as_deref(),
            Some("'o''brien_x.com%23EXT%23@contoso.com'")
        );
        assert!(quoted_key("").is_err());
    }

    #[test]
    fn server_relative_paths_are_encoded_per_segment() {
        assert_eq!(
            encode_server_relative_path("/sites/Finance Team/")
                .ok()
                .as_deref(),
            Some("sites/Finance%20Team")
        );
        assert!(encode_server_relative_path("/").is_err());
    }

    #[test]
    fn query_values_cannot_add_options() {
        let mut query = QueryOptions::new();
        query.push("$filter", "displayName eq 'a&b=c'");
        assert_eq!(
            query.apply_to("/groups"),
            "/groups?$filter=displayName%20eq%20'a%26b%3Dc'"
        );
    }

    #[test]
    fn select_always_includes_id() {
        let mut query = QueryOptions::new();
        query.push_select_with_id(&["displayName", "mail"]);
        assert_eq!(query.apply_to("/me"), "/me?$select=id,displayName,mail");
    }
}

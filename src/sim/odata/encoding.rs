//! Splitting a raw URL query string into decoded name and value pairs.
//!
//! Decoding follows `application/x-www-form-urlencoded`, as Graph's front door does: `+` is a
//! space and `%XX` is a byte. Like the common form decoders it is lenient, keeping a `%` that is
//! not followed by two hex digits and replacing invalid UTF-8, because a query string that decodes
//! oddly should fail later with a message about the option, not here with a vaguer one.

/// Splits `raw_query` on `&`, then each pair on its first `=`, and decodes both halves.
///
/// Empty pairs (from `&&` or a trailing `&`) are skipped; a pair without `=` has an empty value.
/// A leading `?` is tolerated so callers may pass either the query or the `?query` suffix.
pub(super) fn decode_query_pairs(raw_query: &str) -> Vec<(String, String)> {
    let raw_query = raw_query.strip_prefix('?').unwrap_or(raw_query);
    raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (decode_component(name), decode_component(value)),
            None => (decode_component(pair), String::new()),
        })
        .collect()
}

/// Decodes one form-encoded component.
pub(super) fn decode_component(component: &str) -> String {
    let bytes = component.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'+' => decoded.push(b' '),
            b'%' => {
                let high = bytes.get(index + 1).and_then(|digit| hex_value(*digit));
                let low = bytes.get(index + 2).and_then(|digit| hex_value(*digit));
                if let (Some(high), Some(low)) = (high, low) {
                    decoded.push(high * 16 + low);
                    index += 3;
                    continue;
                }
                decoded.push(b'%');
            }
            other => decoded.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_split_and_decoded_like_a_form() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("", &[]),
            ("?$top=5", &[("$top", "5")]),
            ("%24filter=a+eq+%27b%27", &[("$filter", "a eq 'b'")]),
            ("$count&&x=1&", &[("$count", ""), ("x", "1")]),
            ("a=1=2", &[("a", "1=2")]),
            ("q=100%25+sure%2B", &[("q", "100% sure+")]),
            ("q=%zz%4", &[("q", "%zz%4")]),
            ("q=%C3%A9%FF", &[("q", "é\u{fffd}")]),
        ];
        for (raw_query, expected) in cases {
            let expected: Vec<(String, String)> = expected
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect();
            assert_eq!(decode_query_pairs(raw_query), expected, "{raw_query}");
        }
    }
}

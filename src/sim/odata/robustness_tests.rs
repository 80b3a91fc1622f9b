//! Robustness: mangled input must give `Ok` or `Err`, never a panic or a stack overflow.
//!
//! The inputs are every truncation of the valid examples, random edits of them, random bytes from
//! a fixed seed, and hand-written unbalanced or deeply nested text. Whatever parses is also
//! evaluated, projected and sorted, so the evaluator sees odd trees too.

use serde_json::{Value, json};

use super::{Filter, Query, Search};

const VALID_FILTERS: &[&str] = &[
    "startswith(displayName, 'a')",
    "mailEnabled eq false and securityEnabled eq true and NOT(groupTypes/any(s:s eq 'Unified')) and membershipRuleProcessingState eq 'On'",
    "hasMembersWithLicenseErrors eq true",
    "assignedLicenses/any()",
    "appRoleAssignments/$count gt 0",
    "(microsoft.graph.aadUserConversationMember/userId eq '73761f06-2ac9-469c-9f10-279a8cc267f9')",
    "(microsoft.graph.aadUserConversationMember/displayName eq 'Harry Johnson' or microsoft.graph.aadUserConversationMember/email eq 'admin@M365x987948.OnMicrosoft.com')",
    "startsWith(appDisplayName,'Graph')",
    "userPrincipalName eq 'o''brien@contoso.com'",
    "createdDateTime ge 2024-01-01T00:00:00Z",
    "id in ('a','b')",
    "mail eq null",
    "assignedLicenses/any(x:x/skuId eq 73761f06-2ac9-469c-9f10-279a8cc267f9) and size le -2.5e3",
    "memberOf/all(g: g/owners/any(o: not endswith(o/mail, 'x')))",
];

const VALID_SEARCHES: &[&str] = &[
    "\"displayName:Video\" OR \"description:prod\"",
    "\"displayName:Contoso Video\" AND \"mail:a\\\"b\" \"sales\"",
];

const VALID_QUERIES: &[&str] = &[
    "$select=id,displayName&$filter=startswith(displayName,%27a%27)&$top=5&$count=true",
    "$search=%22displayName:Video%22+OR+%22description:prod%22&$orderby=displayName+desc,mail",
    "$expand=members($select=id,displayName),manager($levels=max;$select=id,displayName)",
    "$expand=owners($filter=startswith(displayName,'a;b');$top=2)&$skiptoken=X%3D&search=site",
    "$filter=groupTypes/any(c:c+eq+'Unified')&$orderby=createdDateTime",
];

/// Characters that exercise the grammars' edges more often than uniform random bytes would.
const SYNTAX_ALPHABET: &[u8] = b"()'\",:;/$=&%+ -._*@#\\aenqtodlrsxAOR0129Z";

/// A xorshift64* generator, so the test is reproducible without an extra crate.
struct Xorshift(u64);

impl Xorshift {
    fn next_value(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next_value() % bound.max(1) as u64).unwrap_or(0)
    }

    fn syntax_byte(&mut self) -> u8 {
        SYNTAX_ALPHABET[self.below(SYNTAX_ALPHABET.len())]
    }
}

fn sample_items() -> Vec<Value> {
    vec![
        json!({}),
        json!(null),
        json!(["not", "an", "object"]),
        json!({
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "id": "a", "displayName": "Harry Johnson", "mail": null, "size": 3,
            "groupTypes": ["Unified"], "assignedLicenses": [{"skuId": "x"}, 5, null],
            "memberOf": [{"owners": [{"mail": "o@x"}]}, {"owners": "oops"}],
            "createdDateTime": "2024-02-02T00:00:00Z"
        }),
    ]
}

fn exercise_filter(text: &str) {
    if let Ok(filter) = Filter::parse(text) {
        for item in sample_items() {
            filter.matches(&item);
        }
        filter.needs_eventual_consistency();
    }
}

fn exercise_search(text: &str) {
    if let Ok(search) = Search::parse(text) {
        for item in sample_items() {
            search.matches(&item);
        }
    }
}

fn exercise_query(raw_query: &str) {
    let Ok(query) = Query::parse(raw_query) else {
        return;
    };
    let mut items = sample_items();
    for item in &items {
        query.matches(item);
        query.select(item);
        for expand in query.expand() {
            expand.options().matches(item);
            expand.options().select(item);
        }
    }
    query.sort(&mut items);
    query.needs_eventual_consistency();
}

fn exercise_everywhere(text: &str) {
    exercise_filter(text);
    exercise_search(text);
    exercise_query(text);
    for option in [
        "$filter", "$search", "$expand", "$select", "$orderby", "$top",
    ] {
        exercise_query(&format!("{option}={text}"));
    }
}

fn prefixes(text: &str) -> impl Iterator<Item = &str> {
    text.char_indices()
        .map(|(index, _)| &text[..index])
        .chain(std::iter::once(text))
}

#[test]
fn every_truncation_of_a_valid_example_is_handled() {
    for filter in VALID_FILTERS {
        assert!(Filter::parse(filter).is_ok(), "{filter}");
        prefixes(filter).for_each(exercise_filter);
    }
    for search in VALID_SEARCHES {
        assert!(Search::parse(search).is_ok(), "{search}");
        prefixes(search).for_each(exercise_search);
    }
    for raw_query in VALID_QUERIES {
        assert!(Query::parse(raw_query).is_ok(), "{raw_query}");
        prefixes(raw_query).for_each(exercise_query);
    }
}

#[test]
fn random_edits_of_valid_examples_are_handled() {
    let mut random = Xorshift(0x5eed_0dd5_a11c_e5ed);
    let examples: Vec<&str> = VALID_FILTERS
        .iter()
        .chain(VALID_SEARCHES)
        .chain(VALID_QUERIES)
        .copied()
        .collect();
    for _ in 0..3_000 {
        let mut bytes = examples[random.below(examples.len())].as_bytes().to_vec();
        for _ in 0..=random.below(4) {
            let at = random.below(bytes.len() + 1);
            match random.below(3) {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 if at < bytes.len() => bytes[at] = random.syntax_byte(),
                _ => bytes.insert(at, random.syntax_byte()),
            }
        }
        exercise_everywhere(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_bytes_from_a_fixed_seed_are_handled() {
    let mut random = Xorshift(0x0dd0_0dd0_cafe_f00d);
    for round in 0..3_000 {
        let length = random.below(60);
        let bytes: Vec<u8> = (0..length)
            .map(|_| {
                if round % 2 == 0 {
                    random.syntax_byte()
                } else {
                    random.next_value().to_le_bytes()[0]
                }
            })
            .collect();
        exercise_everywhere(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn unbalanced_unterminated_and_deeply_nested_input_is_rejected() {
    let deep_parentheses = format!("{}a eq 1{}", "(".repeat(5_000), ")".repeat(5_000));
    let deep_negation = format!("{}a", "not(".repeat(5_000));
    let deep_lambdas = format!("{}x eq 1{}", "a/any(x:x/".repeat(100), ")".repeat(100));
    let deep_functions = format!("{}'a'{}", "startswith(".repeat(100), ",'b')".repeat(100));
    let rejected_filters = [
        "(((a eq 1",
        "a eq 1))",
        "a eq 'unterminated",
        "a eq 'doubled''",
        "startswith(a,'b'",
        "a/any(x:x eq 1",
        "a/any(x",
        "id in ('a','b'",
        "id in 'a'",
        "a eq 1 and",
        "or a eq 1",
        "a eq eq 1",
        "microsoft..graph/a eq 1",
        deep_parentheses.as_str(),
        deep_negation.as_str(),
        deep_lambdas.as_str(),
        deep_functions.as_str(),
    ];
    for filter in rejected_filters {
        assert!(Filter::parse(filter).is_err(), "{filter}");
        exercise_everywhere(filter);
    }
    let deep_expand = format!("$expand=a{}", "(".repeat(10_000));
    let rejected_queries = [
        "$search=%22unterminated",
        "$search=%22a%22+AND",
        "$expand=members($select=id",
        "$expand=members($filter=a+eq+'x)",
        "$expand=members))",
        deep_expand.as_str(),
    ];
    for raw_query in rejected_queries {
        assert!(Query::parse(raw_query).is_err(), "{raw_query}");
    }
}

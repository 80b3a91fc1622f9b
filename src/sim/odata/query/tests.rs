//! Table-driven tests of query string parsing, projection, sorting and the consistency rule.

use serde_json::{Value, json};

use super::super::{ExpandLevels, QueryError, SortDirection};
use super::Query;

fn parse(raw_query: &str) -> Query {
    match Query::parse(raw_query) {
        Ok(query) => query,
        Err(error) => panic!("{raw_query} did not parse: {error}"),
    }
}

fn error_message(raw_query: &str) -> String {
    match Query::parse(raw_query) {
        Err(error) => error.to_string(),
        Ok(query) => panic!("{raw_query} parsed as {query:?}"),
    }
}

#[test]
fn every_option_parses_into_its_typed_field() {
    let query = parse(concat!(
        "$select=id,displayName&$filter=startswith(displayName,%27a%27)",
        "&$search=%22displayName:Video%22&$orderby=displayName+desc,mail",
        "&$top=5&$skiptoken=abc%3D%3D&$count=true&$expand=members($select=id)&search=site+name"
    ));
    let order: Vec<(Vec<String>, SortDirection)> = query
        .order_by()
        .iter()
        .map(|item| (item.property_path().to_vec(), item.direction()))
        .collect();
    assert_eq!(
        query.selected_properties(),
        Some(&["id".to_owned(), "displayName".to_owned()][..])
    );
    assert!(
        query
            .filter()
            .is_some_and(|filter| filter.matches(&json!({"displayName": "Adele"})))
    );
    assert!(
        query
            .search()
            .is_some_and(|search| search.matches(&json!({"displayName": "Video"})))
    );
    assert_eq!(
        order,
        vec![
            (vec!["displayName".to_owned()], SortDirection::Descending),
            (vec!["mail".to_owned()], SortDirection::Ascending),
        ]
    );
    assert_eq!(query.top(), Some(5));
    assert_eq!(query.skip_token(), Some("abc=="));
    assert!(query.count_requested());
    assert_eq!(query.expand().len(), 1);
    assert_eq!(
        query.other_parameters(),
        &[("search".to_owned(), "site name".to_owned())]
    );
    assert_eq!(Query::parse(""), Ok(Query::default()));
}

#[test]
fn option_errors_read_like_graph_messages() {
    let cases = [
        ("$foo=1", "Unsupported query option '$foo'"),
        ("$skip=10", "Unsupported query option '$skip'"),
        (
            "$top=1&$TOP=2",
            "Query option '$TOP' was specified more than once, but it must be specified at most once",
        ),
        (
            "$top=x",
            "Invalid $top value 'x': must be an integer between 1 and 999",
        ),
        (
            "$top=0",
            "Invalid $top value '0': must be an integer between 1 and 999",
        ),
        (
            "$top=1000",
            "Invalid $top value '1000': must be an integer between 1 and 999",
        ),
        (
            "$top=-1",
            "Invalid $top value '-1': must be an integer between 1 and 999",
        ),
        (
            "$count=yes",
            "Invalid $count value 'yes': must be true or false",
        ),
        (
            "$select=id,,mail",
            "Invalid $select value 'id,,mail': property names must not be empty",
        ),
        (
            "$select=id,a-b",
            "Invalid $select value 'id,a-b': 'a-b' is not a property name",
        ),
        (
            "$orderby=name+sideways",
            "Invalid $orderby value 'name sideways': 'name sideways' must be a property optionally followed by asc or desc",
        ),
        (
            "$orderby=name,",
            "Invalid $orderby value 'name,': sort keys must not be empty",
        ),
        (
            "$filter=displayName+eq",
            "Invalid filter clause: syntax error at position 14 in 'displayName eq': expected a value or condition, found the end of the filter",
        ),
        (
            "$search=video",
            "Invalid $search clause: syntax error at position 0 in 'video': search terms must be enclosed in double quotes",
        ),
        (
            "$expand=members(",
            "Invalid $expand value 'members(': parentheses or quotes are unbalanced",
        ),
        (
            "$expand=members($select=id)x",
            "Invalid $expand value 'members($select=id)x': nothing may follow the closing parenthesis",
        ),
        (
            "$expand=members($orderby=id)",
            "Unsupported query option '$orderby'",
        ),
        (
            "$expand=manager($levels=0)",
            "Invalid $levels value '0': must be a positive integer or max",
        ),
        (
            "$expand=members($top=1;$top=2)",
            "Query option '$top' was specified more than once, but it must be specified at most once",
        ),
        (
            "$expand=,members",
            "Invalid $expand value ',members': expanded properties must not be empty",
        ),
        (
            "$expand=mem+bers",
            "Invalid $expand value 'mem bers': expected a navigation property name",
        ),
    ];
    for (raw_query, message) in cases {
        assert_eq!(error_message(raw_query), message, "{raw_query}");
    }
}

#[test]
fn option_names_ignore_case_and_may_be_percent_encoded() {
    let query = parse("%24TOP=3&$Count=TRUE&$SELECT=id");
    assert_eq!(query.top(), Some(3));
    assert!(query.count_requested());
    assert!(!parse("$count=false").count_requested());
    assert_eq!(query.selected_properties(), Some(&["id".to_owned()][..]));
}

#[test]
fn expand_items_carry_their_nested_options() {
    let query = parse(concat!(
        "$expand=members($select=id,displayName),",
        "manager($levels=max;$select=id,displayName),",
        "owners($filter=startswith(displayName,'a;b');$top=2),",
        "transitiveMemberOf($levels=3),memberOf"
    ));
    let names: Vec<&str> = query
        .expand()
        .iter()
        .map(|item| item.navigation_property())
        .collect();
    assert_eq!(
        names,
        [
            "members",
            "manager",
            "owners",
            "transitiveMemberOf",
            "memberOf"
        ]
    );
    let options: Vec<_> = query.expand().iter().map(|item| item.options()).collect();
    let id_and_name = ["id".to_owned(), "displayName".to_owned()];
    assert_eq!(options[0].selected_properties(), Some(&id_and_name[..]));
    assert_eq!(options[1].levels(), Some(ExpandLevels::Max));
    assert_eq!(options[1].selected_properties(), Some(&id_and_name[..]));
    assert_eq!(options[2].top(), Some(2));
    assert!(options[2].matches(&json!({"displayName": "A;B team"})));
    assert!(!options[2].matches(&json!({"displayName": "b"})));
    assert_eq!(options[3].levels(), Some(ExpandLevels::Depth(3)));
    assert!(options[4].filter().is_none() && options[4].matches(&json!({})));
    assert_eq!(
        options[0].select(&json!({"id": "1", "displayName": "x", "mail": "m"})),
        json!({"id": "1", "displayName": "x"})
    );
}

#[test]
fn select_keeps_selected_properties_annotations_and_nulls_for_absent_ones() {
    let user = json!({
        "@odata.type": "#microsoft.graph.user", "id": "1",
        "displayName": "Adele", "mail": "adele@contoso.com", "jobTitle": "Engineer"
    });
    let rows = [
        (
            "$select=id,displayName",
            json!({"@odata.type": "#microsoft.graph.user", "id": "1", "displayName": "Adele"}),
        ),
        (
            "$select=DISPLAYNAME,officeLocation",
            json!({"@odata.type": "#microsoft.graph.user", "displayName": "Adele", "officeLocation": null}),
        ),
        ("$select=*", user.clone()),
        ("$top=1", user.clone()),
    ];
    for (raw_query, expected) in rows {
        assert_eq!(parse(raw_query).select(&user), expected, "{raw_query}");
    }
    assert_eq!(
        parse("$select=id").select(&json!("scalar")),
        json!("scalar")
    );
}

#[test]
fn sort_orders_strings_ignoring_case_with_nulls_first_when_ascending() {
    let items = || {
        vec![
            json!({"id": 1, "displayName": "bravo", "rank": 2}),
            json!({"id": 2, "displayName": null, "rank": 1}),
            json!({"id": 3, "displayName": "Alpha", "rank": 2}),
            json!({"id": 4, "rank": 3}),
            json!({"id": 5, "displayName": "alpha", "rank": 1}),
            json!({"id": 6, "displayName": "Charlie", "manager": {"displayName": "Zed"}}),
        ]
    };
    let rows: [(&str, [i64; 6]); 5] = [
        ("$orderby=displayName", [2, 4, 3, 5, 1, 6]),
        ("$orderby=displayName+desc", [6, 1, 3, 5, 2, 4]),
        ("$orderby=rank+desc,displayName", [4, 3, 1, 2, 5, 6]),
        ("$orderby=manager/displayName+DESC", [6, 1, 2, 3, 4, 5]),
        ("$top=3", [1, 2, 3, 4, 5, 6]),
    ];
    for (raw_query, expected) in rows {
        let mut sorted = items();
        parse(raw_query).sort(&mut sorted);
        let ids: Vec<i64> = sorted
            .iter()
            .filter_map(|item| item["id"].as_i64())
            .collect();
        assert_eq!(ids, expected, "{raw_query}");
    }
}

#[test]
fn advanced_queries_need_eventual_consistency() {
    let rows = [
        ("", false),
        ("$filter=displayName+eq+'a'&$top=5&$select=id", false),
        ("$count=false", false),
        ("$orderby=displayName", false),
        ("$expand=members($filter=mail+ne+null)", false),
        ("$search=%22displayName:a%22", true),
        ("$count=true", true),
        ("$filter=mail+ne+null", true),
        ("$filter=not(startswith(mail,'a'))", true),
        ("$filter=endswith(mail,'@contoso.com')", true),
        ("$filter=members/$count+gt+1", true),
        ("$filter=displayName+eq+'a'&$orderby=displayName", true),
    ];
    for (raw_query, expected) in rows {
        assert_eq!(
            parse(raw_query).needs_eventual_consistency(),
            expected,
            "{raw_query}"
        );
    }
}

#[test]
fn matches_requires_both_filter_and_search() {
    let items = [
        json!({"displayName": "Video Team", "mailEnabled": true}),
        json!({"displayName": "Video Team", "mailEnabled": false}),
        json!({"displayName": "Audio Team", "mailEnabled": true}),
    ];
    let rows: [(&str, [bool; 3]); 3] = [
        (
            "$filter=mailEnabled+eq+true&$search=%22displayName:video%22",
            [true, false, false],
        ),
        ("$filter=mailEnabled+eq+true", [true, false, true]),
        ("", [true, true, true]),
    ];
    for (raw_query, expected) in rows {
        let query = parse(raw_query);
        let matched: Vec<bool> = items
            .iter()
            .map(|item: &Value| query.matches(item))
            .collect();
        assert_eq!(matched, expected, "{raw_query}");
    }
    assert!(matches!(
        Query::parse("$filter="),
        Err(QueryError::InvalidFilter { .. })
    ));
}

//! Table-driven tests of `$search` parsing, tokenizing and matching.

use serde_json::json;

use super::{Search, search_tokens};

#[test]
fn tokens_split_on_whitespace_punctuation_and_camel_case() {
    let cases: &[(&str, &[&str])] = &[
        ("Contoso Video Team", &["contoso", "video", "team"]),
        ("ContosoVideoTeam", &["contoso", "video", "team"]),
        ("HTMLParser v2", &["html", "parser", "v2"]),
        (
            "adele.vance@contoso.com",
            &["adele", "vance", "contoso", "com"],
        ),
        (
            "sales-eu_north,q1:q2;x/y",
            &["sales", "eu", "north", "q1", "q2", "x", "y"],
        ),
        ("Team2024Plan", &["team2024", "plan"]),
        ("Équipe Été", &["équipe", "été"]),
        ("  --  ", &[]),
    ];
    for (text, expected) in cases {
        assert_eq!(search_tokens(text), *expected, "{text}");
    }
}

#[test]
fn clauses_match_when_every_token_prefixes_a_property_token() {
    let video_team = json!({"displayName": "Contoso Video Team", "description": "Production site"});
    let camel_team = json!({"displayName": "ContosoVideoTeam"});
    let adele = json!({
        "displayName": "Adele Vance", "mail": "adele.vance@contoso.com",
        "proxyAddresses": ["SMTP:adele@contoso.com", "smtp:av@fabrikam.com"]
    });
    let rows = [
        ("\"displayName:Video\"", &video_team, true),
        ("\"displayName:video\"", &camel_team, true),
        ("\"displayName:vid tea\"", &video_team, true),
        ("\"displayName:vid xyz\"", &video_team, false),
        ("\"displayName:ideo\"", &video_team, false),
        ("\"displayName:ContosoVid\"", &camel_team, true),
        ("\"DISPLAYNAME:contoso\"", &video_team, true),
        ("\"description:prod\"", &video_team, true),
        ("\"mail:adele.vance@contoso\"", &adele, true),
        ("\"mail:vance.adele\"", &adele, true),
        ("\"mail:adele.vanc@fabrikam\"", &adele, false),
        ("\"proxyAddresses:fabrikam\"", &adele, true),
        ("\"production\"", &video_team, true),
        ("\"adele\"", &adele, true),
        (
            "\"vance\"",
            &json!({"description": "Vance Refrigeration"}),
            true,
        ),
        ("\"mail:contoso\"", &video_team, false),
    ];
    for (search, item, expected) in rows {
        let parsed = Search::parse(search);
        assert_eq!(
            parsed.map(|search| search.matches(item)),
            Ok(expected),
            "{search} on {item}"
        );
    }
}

#[test]
fn and_binds_tighter_than_or_and_a_space_means_and() {
    let item = json!({"displayName": "Video", "description": "prod"});
    let rows = [
        ("\"displayName:Video\" OR \"description:test\"", true),
        ("\"displayName:Audio\" OR \"description:prod\"", true),
        ("\"displayName:Video\" AND \"description:test\"", false),
        ("\"displayName:Video\" \"description:prod\"", true),
        ("\"displayName:Video\" \"description:test\"", false),
        (
            "\"displayName:Audio\" OR \"displayName:Video\" AND \"description:prod\"",
            true,
        ),
        (
            "\"displayName:Video\" and \"description:prod\" or \"x:y\"",
            true,
        ),
        (
            "\"displayName:Audio\" OR \"description:prod\" AND \"description:test\"",
            false,
        ),
        ("\"displayName:Video\"AND\"description:prod\"", true),
    ];
    for (search, expected) in rows {
        let parsed = Search::parse(search);
        assert_eq!(
            parsed.map(|search| search.matches(&item)),
            Ok(expected),
            "{search}"
        );
    }
}

#[test]
fn clause_parts_are_exposed_for_the_simulator() {
    let parsed = Search::parse("\"displayName:Video Team\" OR \"sales\"");
    let shape = parsed.map(|search| {
        search
            .alternatives()
            .iter()
            .map(|clauses| {
                clauses
                    .iter()
                    .map(|clause| {
                        (
                            clause.property().map(str::to_owned),
                            clause.value().to_owned(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    });
    let expected = vec![
        vec![(Some("displayName".to_owned()), "Video Team".to_owned())],
        vec![(None, "sales".to_owned())],
    ];
    assert_eq!(shape, Ok(expected));
}

#[test]
fn malformed_searches_are_rejected_with_a_position() {
    let cases = [
        (
            "displayName:Video",
            "Invalid $search clause: syntax error at position 0 in 'displayName:Video': search terms must be enclosed in double quotes",
        ),
        (
            "\"displayName:Video",
            "Invalid $search clause: syntax error at position 0 in '\"displayName:Video': unterminated quoted clause",
        ),
        (
            "",
            "Invalid $search clause: syntax error at position 0 in '': the search is empty",
        ),
        (
            "   ",
            "Invalid $search clause: syntax error at position 0 in '   ': the search is empty",
        ),
        (
            "OR \"a\"",
            "Invalid $search clause: syntax error at position 0 in 'OR \"a\"': 'OR' must follow a quoted clause",
        ),
        (
            "\"a\" AND",
            "Invalid $search clause: syntax error at position 4 in '\"a\" AND': an operator must be followed by a quoted clause",
        ),
        (
            "\"a\" OR",
            "Invalid $search clause: syntax error at position 4 in '\"a\" OR': an operator must be followed by a quoted clause",
        ),
        (
            "\"a\" AND OR \"b\"",
            "Invalid $search clause: syntax error at position 8 in '\"a\" AND OR \"b\"': 'OR' must follow a quoted clause",
        ),
        (
            "\"displayName:\"",
            "Invalid $search clause: syntax error at position 0 in '\"displayName:\"': the quoted clause has no text to search for",
        ),
        (
            "\"a\" video",
            "Invalid $search clause: syntax error at position 4 in '\"a\" video': search terms must be enclosed in double quotes",
        ),
    ];
    for (search, message) in cases {
        match Search::parse(search) {
            Err(error) => assert_eq!(error.to_string(), message, "{search}"),
            Ok(parsed) => panic!("{search} parsed as {parsed:?}"),
        }
    }
}

//! Microsoft's documented request/response examples, deserialized with Doorman's models.
//!
//! Every example without a `doc_error` mark must be classified by [`EXAMPLE_TABLE`]: decoded by
//! a model, or listed as deliberately not modelled with the reason. An example that matches no
//! row fails the test, so a new example cannot be skipped silently.

use serde::de::DeserializeOwned;

use super::support::TestResult;
use crate::graph::auth_methods::PasswordResetResponse;
use crate::graph::model::{
    AuthenticationMethod, AutomaticRepliesSetting, CalendarPermission, Collection,
    ConversationMember, DirectoryObject, Drive, Group, MailboxSettings, MessageRule, ODataValue,
    Permission, SignIn, Site, TemporaryAccessPass, User, UserPurpose, WorkingHours,
};

/// The examples file, relative to the crate's manifest (the project keeps `shared/` beside it).
const EXAMPLES_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/reference/graph-examples/examples.jsonl"
);

/// The model an example's response body is decoded with.
#[derive(Clone, Copy, Debug)]
enum Model {
    User,
    Users,
    Group,
    Groups,
    DirectoryObject,
    DirectoryObjects,
    StringCollection,
    ConversationMember,
    ConversationMembers,
    Site,
    Drives,
    Permissions,
    CalendarPermission,
    CalendarPermissions,
    MessageRule,
    PasswordReset,
    TemporaryAccessPass,
    AuthenticationMethods,
    BooleanValue,
    MailboxSettings,
    AutomaticRepliesSetting,
    WorkingHours,
    UserPurposeValue,
    SignIns,
    /// A 204: the example must have no body.
    NoBody,
}

#[derive(Clone, Copy, Debug)]
enum Disposition {
    Decode(Model),
    NotModelled(&'static str),
}

const COUNT_ONLY: &str = "`$count` answers a bare text/plain number; Doorman never counts";
const BULK_BIND: &str = "bulk `members@odata.bind` PATCH; Doorman adds one member per call so \
                         each change is audited and retried on its own";

/// `(method, path pattern, disposition)`, first match wins. In patterns `*` stands for one
/// path segment (or part of one) and `**` for anything; the query string is ignored.
const EXAMPLE_TABLE: &[(&str, &str, Disposition)] = {
    use Disposition::{Decode, NotModelled};
    &[
        ("GET", "/me", Decode(Model::User)),
        ("GET", "/users/*/memberOf/$count", NotModelled(COUNT_ONLY)),
        (
            "GET",
            "/users/*/memberOf/microsoft.graph.group/$count",
            NotModelled(COUNT_ONLY),
        ),
        (
            "GET",
            "/users/*/memberOf/microsoft.graph.group",
            Decode(Model::Groups),
        ),
        ("GET", "/users/*/memberOf", Decode(Model::DirectoryObjects)),
        ("GET", "/users/*/manager", Decode(Model::DirectoryObject)),
        (
            "GET",
            "/users/*/calendar/calendarPermissions",
            Decode(Model::CalendarPermissions),
        ),
        (
            "POST",
            "/users/*/authentication/methods/*/resetPassword",
            Decode(Model::PasswordReset),
        ),
        (
            "POST",
            "/users/*/authentication/temporaryAccessPassMethods",
            Decode(Model::TemporaryAccessPass),
        ),
        ("GET", "/users/*", Decode(Model::User)),
        (
            "POST",
            "/directoryObjects/*/checkMemberGroups",
            Decode(Model::StringCollection),
        ),
        (
            "POST",
            "/me/checkMemberGroups",
            Decode(Model::StringCollection),
        ),
        ("GET", "/groups/$count", NotModelled(COUNT_ONLY)),
        ("GET", "/groups", Decode(Model::Groups)),
        ("GET", "/groups/*/owners", Decode(Model::DirectoryObjects)),
        ("GET", "/groups/*/members/$count", NotModelled(COUNT_ONLY)),
        (
            "GET",
            "/groups/*/members/microsoft.graph.user/$count",
            NotModelled(COUNT_ONLY),
        ),
        (
            "GET",
            "/groups/*/members/microsoft.graph.user",
            Decode(Model::Users),
        ),
        ("GET", "/groups/*/members", Decode(Model::DirectoryObjects)),
        ("POST", "/groups/*/members/$ref", Decode(Model::NoBody)),
        ("DELETE", "/groups/*/members/*/$ref", Decode(Model::NoBody)),
        ("PATCH", "/groups/*", NotModelled(BULK_BIND)),
        ("GET", "/groups/*", Decode(Model::Group)),
        (
            "POST",
            "/teams/*/members",
            Decode(Model::ConversationMember),
        ),
        (
            "GET",
            "/teams/*/members",
            Decode(Model::ConversationMembers),
        ),
        (
            "POST",
            "/teams/*/channels/*/members",
            Decode(Model::ConversationMember),
        ),
        (
            "GET",
            "/teams/*/channels/*/members",
            Decode(Model::ConversationMembers),
        ),
        ("GET", "/sites/*:/**", Decode(Model::Site)),
        ("GET", "/sites/*", Decode(Model::Site)),
        ("GET", "/me/drives", Decode(Model::Drives)),
        (
            "POST",
            "/me/drive/items/*/invite",
            Decode(Model::Permissions),
        ),
        (
            "POST",
            "/me/calendar/calendarPermissions",
            Decode(Model::CalendarPermission),
        ),
        (
            "POST",
            "/me/mailFolders/inbox/messageRules",
            Decode(Model::MessageRule),
        ),
        (
            "GET",
            "/me/authentication/methods",
            Decode(Model::AuthenticationMethods),
        ),
        (
            "POST",
            "/me/revokeSignInSessions",
            Decode(Model::BooleanValue),
        ),
        ("GET", "/me/mailboxSettings", Decode(Model::MailboxSettings)),
        (
            "GET",
            "/me/mailboxSettings/automaticRepliesSetting",
            Decode(Model::AutomaticRepliesSetting),
        ),
        (
            "GET",
            "/me/mailboxSettings/workingHours",
            Decode(Model::WorkingHours),
        ),
        (
            "GET",
            "/me/mailboxSettings/userPurpose",
            Decode(Model::UserPurposeValue),
        ),
        ("GET", "/auditLogs/signIns", Decode(Model::SignIns)),
    ]
};

/// Examples (by `name`) whose objects leave out `id`, because of a `$select` without it or an
/// abbreviated sample. Doorman's models require `id` (it acts on objects by id and always
/// selects it), so decoding these must fail on exactly that.
const EXAMPLES_WITHOUT_ID: &[&str] = &[
    "get_user_select_e3",
    "get_schemaextension_selectCourse",
    "get_user_customsecurityattributes",
    "user_get_memberof",
    "list_users_memberof_startswith",
    "get_groups_startswith",
    "get_video_count_search_notin_ADB2C",
];

#[test]
fn documented_examples_decode_with_doorman_models() -> TestResult {
    let text = std::fs::read_to_string(EXAMPLES_FILE)
        .map_err(|error| format!("examples missing at {EXAMPLES_FILE}: {error}"))?;
    let mut problems = Vec::new();
    let mut decoded = 0;
    let mut not_modelled = Vec::new();
    let mut seen_without_id = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let example: serde_json::Value = serde_json::from_str(line)?;
        if example.get("doc_error").is_some() {
            continue;
        }
        let text_field = |key: &str| {
            example
                .get(key)
                .and_then(|value| value.as_str())
                .unwrap_or_default()
        };
        let (method, name) = (text_field("method"), text_field("name"));
        let path = normalised_path(text_field("path"));
        let status = example
            .get("status")
            .and_then(|value| value.as_u64())
            .unwrap_or(0);
        let response = example.get("response").cloned().unwrap_or_default();
        let Some(disposition) = classify(method, &path) else {
            problems.push(format!(
                "line {number}: {method} {path} is in no row of EXAMPLE_TABLE"
            ));
            continue;
        };
        if status >= 400 {
            problems.push(format!(
                "line {number}: error examples are not expected here"
            ));
            continue;
        }
        let model = match disposition {
            Disposition::NotModelled(reason) => {
                not_modelled.push(format!("{name}: {reason}"));
                continue;
            }
            Disposition::Decode(model) => model,
        };
        let outcome = decode(model, response);
        if EXAMPLES_WITHOUT_ID.contains(&name) {
            seen_without_id.push(name.to_owned());
            match outcome {
                Err(message) if message.contains("missing field `id`") => decoded += 1,
                other => problems.push(format!(
                    "line {number} ({name}): expected a missing `id`, got {other:?}"
                )),
            }
            continue;
        }
        match outcome {
            Ok(()) => decoded += 1,
            Err(message) => problems.push(format!(
                "line {number} ({name}) {method} {path} as {model:?}: {message}"
            )),
        }
    }
    for name in EXAMPLES_WITHOUT_ID {
        if !seen_without_id.iter().any(|seen| seen == name) {
            problems.push(format!(
                "{name} is listed as lacking `id` but no such example exists"
            ));
        }
    }
    eprintln!(
        "documented examples: {decoded} decoded; not modelled:\n  {}",
        not_modelled.join("\n  ")
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(decoded >= 40, "only {decoded} examples decoded");
    Ok(())
}

fn normalised_path(raw: &str) -> String {
    let without_host = raw
        .strip_prefix("https://graph.microsoft.com")
        .unwrap_or(raw);
    let without_version = without_host.strip_prefix("/v1.0").unwrap_or(without_host);
    without_version
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn classify(method: &str, path: &str) -> Option<Disposition> {
    EXAMPLE_TABLE
        .iter()
        .find(|(row_method, pattern, _)| *row_method == method && glob_matches(pattern, path))
        .map(|(_, _, disposition)| *disposition)
}

/// `*` matches any run of characters without `/`, `**` any run at all.
fn glob_matches(pattern: &str, text: &str) -> bool {
    if let Some(rest) = pattern.strip_prefix("**") {
        return (0..=text.len())
            .any(|split| text.is_char_boundary(split) && glob_matches(rest, &text[split..]));
    }
    if let Some(rest) = pattern.strip_prefix('*') {
        let segment_end = text.find('/').unwrap_or(text.len());
        return (0..=segment_end)
            .any(|split| text.is_char_boundary(split) && glob_matches(rest, &text[split..]));
    }
    match (pattern.chars().next(), text.chars().next()) {
        (None, None) => true,
        (Some(expected), Some(actual)) if expected == actual => {
            glob_matches(&pattern[expected.len_utf8()..], &text[actual.len_utf8()..])
        }
        _ => false,
    }
}

fn decode(model: Model, response: serde_json::Value) -> Result<(), String> {
    match model {
        Model::User => decodes::<User>(response),
        Model::Users => decodes::<Collection<User>>(response),
        Model::Group => decodes::<Group>(response),
        Model::Groups => decodes::<Collection<Group>>(response),
        Model::DirectoryObject => decodes::<DirectoryObject>(response),
        Model::DirectoryObjects => decodes::<Collection<DirectoryObject>>(response),
        Model::StringCollection => decodes::<Collection<String>>(response),
        Model::ConversationMember => decodes::<ConversationMember>(response),
        Model::ConversationMembers => decodes::<Collection<ConversationMember>>(response),
        Model::Site => decodes::<Site>(response),
        Model::Drives => decodes::<Collection<Drive>>(response),
        Model::Permissions => decodes::<Collection<Permission>>(response),
        Model::CalendarPermission => decodes::<CalendarPermission>(response),
        Model::CalendarPermissions => decodes::<Collection<CalendarPermission>>(response),
        Model::MessageRule => decodes::<MessageRule>(response),
        Model::PasswordReset => decodes::<PasswordResetResponse>(response),
        Model::TemporaryAccessPass => {
            decodes::<AuthenticationMethod>(response.clone())?;
            decodes::<TemporaryAccessPass>(response)
        }
        Model::AuthenticationMethods => decodes::<Collection<AuthenticationMethod>>(response),
        Model::BooleanValue => decodes::<ODataValue<bool>>(response),
        Model::MailboxSettings => decodes::<MailboxSettings>(response),
        Model::AutomaticRepliesSetting => decodes::<AutomaticRepliesSetting>(response),
        Model::WorkingHours => decodes::<WorkingHours>(response),
        Model::UserPurposeValue => decodes::<ODataValue<UserPurpose>>(response),
        Model::SignIns => decodes::<Collection<SignIn>>(response),
        Model::NoBody if response.is_null() => Ok(()),
        Model::NoBody => Err(format!("a 204 example carries a body: {response}")),
    }
}

fn decodes<T: DeserializeOwned>(response: serde_json::Value) -> Result<(), String> {
    serde_json::from_value::<T>(response)
        .map(|_| ())
        .map_err(|error| error.to_string())
}

#[test]
fn path_patterns_match_one_segment_per_star() {
    assert!(glob_matches("/users/*", "/users/87d349ed"));
    assert!(!glob_matches("/users/*", "/users/87d349ed/manager"));
    assert!(glob_matches(
        "/sites/*:/**",
        "/sites/contoso.sharepoint.com:/sites/Finance"
    ));
    assert!(glob_matches(
        "/teams/*/channels/*/members",
        "/teams/t/channels/19%3Aa%40thread.skype/members"
    ));
}

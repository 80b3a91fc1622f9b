//! The simulator's Graph routes: one table, so that every route can be listed and checked
//! against Microsoft's v1.0 metadata (a test feeds [`ROUTES`] to `graph-path-check`).
//!
//! Patterns use `{name}` for a path parameter and `{name}:` for a segment that ends in a colon
//! (SharePoint's `/sites/{hostname}:/sites/{name}` addressing). Literal segments match without
//! regard to case, as Graph's do. When several routes match, the one with more literal segments
//! wins, so `/groups/$count` beats `/groups/{group}`.

use axum::http::Method;

use super::call::{Call, Outcome};
use super::{audit, domains, groups, mail, methods, sites, teams, users};

pub type Handler = fn(&mut Call<'_>) -> Outcome;

/// Path parameters captured by a route, by name.
pub type Params = Vec<(&'static str, String)>;

/// One route of the simulated Graph.
pub struct Route {
    pub method: Method,
    pub pattern: &'static str,
    pub handler: Handler,
}

const fn route(method: Method, pattern: &'static str, handler: Handler) -> Route {
    Route {
        method,
        pattern,
        handler,
    }
}

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;

pub static ROUTES: &[Route] = &[
    // Users.
    route(GET, "/me", users::get),
    route(GET, "/users", users::list),
    route(GET, "/users/$count", users::count),
    route(GET, "/users/{user}", users::get),
    route(GET, "/me/manager", users::manager),
    route(GET, "/users/{user}/manager", users::manager),
    route(GET, "/me/memberOf", users::member_of),
    route(GET, "/users/{user}/memberOf", users::member_of),
    route(GET, "/me/memberOf/$count", users::member_of_count),
    route(GET, "/users/{user}/memberOf/$count", users::member_of_count),
    route(
        GET,
        "/me/memberOf/microsoft.graph.group",
        users::member_of_groups,
    ),
    route(
        GET,
        "/users/{user}/memberOf/microsoft.graph.group",
        users::member_of_groups,
    ),
    route(
        GET,
        "/me/memberOf/microsoft.graph.group/$count",
        users::member_of_groups_count,
    ),
    route(
        GET,
        "/users/{user}/memberOf/microsoft.graph.group/$count",
        users::member_of_groups_count,
    ),
    route(GET, "/me/transitiveMemberOf", users::member_of),
    route(GET, "/users/{user}/transitiveMemberOf", users::member_of),
    route(POST, "/me/checkMemberGroups", users::check_member_groups),
    route(
        POST,
        "/users/{user}/checkMemberGroups",
        users::check_member_groups,
    ),
    route(
        POST,
        "/directoryObjects/{user}/checkMemberGroups",
        users::check_member_groups,
    ),
    route(
        POST,
        "/me/revokeSignInSessions",
        users::revoke_sign_in_sessions,
    ),
    route(
        POST,
        "/users/{user}/revokeSignInSessions",
        users::revoke_sign_in_sessions,
    ),
    route(GET, "/me/joinedTeams", teams::joined_teams),
    route(GET, "/users/{user}/joinedTeams", teams::joined_teams),
    // Audit logs.
    route(GET, "/auditLogs/signIns", audit::sign_ins),
    // Domains.
    route(GET, "/domains", domains::list),
    route(GET, "/domains/{domain}", domains::get),
    // Groups.
    route(GET, "/groups", groups::list),
    route(GET, "/groups/$count", groups::count),
    route(GET, "/groups/{group}", groups::get),
    route(PATCH, "/groups/{group}", groups::patch),
    route(GET, "/groups/{group}/owners", groups::owners),
    route(GET, "/groups/{group}/members", groups::members),
    route(GET, "/groups/{group}/members/$count", groups::members_count),
    route(
        GET,
        "/groups/{group}/members/microsoft.graph.user",
        groups::user_members,
    ),
    route(
        GET,
        "/groups/{group}/members/microsoft.graph.user/$count",
        groups::user_members_count,
    ),
    route(POST, "/groups/{group}/members/$ref", groups::add_member),
    route(
        DELETE,
        "/groups/{group}/members/{member}/$ref",
        groups::remove_member,
    ),
    route(POST, "/groups/{group}/owners/$ref", groups::add_owner),
    route(
        DELETE,
        "/groups/{group}/owners/{member}/$ref",
        groups::remove_owner,
    ),
    route(GET, "/groups/{group}/team", teams::get),
    route(GET, "/groups/{group}/sites/root", sites::group_root_site),
    route(GET, "/groups/{group}/drive", sites::group_drive),
    // Teams and channels.
    route(GET, "/teams/{group}", teams::get),
    route(GET, "/teams/{group}/members", teams::members),
    route(POST, "/teams/{group}/members", teams::add_member),
    route(GET, "/teams/{group}/members/{membership}", teams::member),
    route(
        DELETE,
        "/teams/{group}/members/{membership}",
        teams::remove_member,
    ),
    route(GET, "/teams/{group}/channels", teams::channels),
    route(GET, "/teams/{group}/channels/{channel}", teams::channel),
    route(
        GET,
        "/teams/{group}/channels/{channel}/members",
        teams::channel_members,
    ),
    route(
        POST,
        "/teams/{group}/channels/{channel}/members",
        teams::add_channel_member,
    ),
    route(
        GET,
        "/teams/{group}/channels/{channel}/members/{membership}",
        teams::channel_member,
    ),
    route(
        PATCH,
        "/teams/{group}/channels/{channel}/members/{membership}",
        teams::update_channel_member,
    ),
    route(
        DELETE,
        "/teams/{group}/channels/{channel}/members/{membership}",
        teams::remove_channel_member,
    ),
    // SharePoint and OneDrive.
    route(GET, "/sites", sites::search),
    route(GET, "/sites/{site}", sites::get),
    route(GET, "/sites/{hostname}:/sites/{name}", sites::by_path),
    route(GET, "/sites/{hostname}:/teams/{name}", sites::by_path),
    route(GET, "/sites/{site}/drives", sites::drives),
    route(GET, "/sites/{site}/drive", sites::default_drive),
    route(GET, "/me/drive", sites::my_drive),
    route(GET, "/me/drives", sites::my_drives),
    route(GET, "/drives/{drive}", sites::drive),
    route(GET, "/drives/{drive}/root", sites::root),
    route(GET, "/drives/{drive}/items/{item}", sites::item),
    route(POST, "/drives/{drive}/root/invite", sites::invite),
    route(POST, "/drives/{drive}/items/{item}/invite", sites::invite),
    route(POST, "/me/drive/items/{item}/invite", sites::invite),
    route(GET, "/drives/{drive}/root/permissions", sites::permissions),
    route(
        GET,
        "/drives/{drive}/items/{item}/permissions",
        sites::permissions,
    ),
    route(
        DELETE,
        "/drives/{drive}/root/permissions/{permission}",
        sites::delete_permission,
    ),
    route(
        PATCH,
        "/drives/{drive}/root/permissions/{permission}",
        sites::update_permission,
    ),
    route(
        PATCH,
        "/drives/{drive}/items/{item}/permissions/{permission}",
        sites::update_permission,
    ),
    route(
        DELETE,
        "/drives/{drive}/items/{item}/permissions/{permission}",
        sites::delete_permission,
    ),
    // Exchange: the caller's own calendar, inbox rules and mailbox settings.
    route(
        GET,
        "/me/calendar/calendarPermissions",
        mail::calendar_permissions,
    ),
    route(
        GET,
        "/users/{user}/calendar/calendarPermissions",
        mail::calendar_permissions,
    ),
    route(
        POST,
        "/me/calendar/calendarPermissions",
        mail::add_calendar_permission,
    ),
    route(
        POST,
        "/users/{user}/calendar/calendarPermissions",
        mail::add_calendar_permission,
    ),
    route(
        PATCH,
        "/me/calendar/calendarPermissions/{permission}",
        mail::update_calendar_permission,
    ),
    route(
        DELETE,
        "/me/calendar/calendarPermissions/{permission}",
        mail::delete_calendar_permission,
    ),
    route(
        GET,
        "/me/mailFolders/inbox/messageRules",
        mail::message_rules,
    ),
    route(
        POST,
        "/me/mailFolders/inbox/messageRules",
        mail::add_message_rule,
    ),
    route(
        GET,
        "/me/mailFolders/inbox/messageRules/{rule}",
        mail::message_rule,
    ),
    route(
        DELETE,
        "/me/mailFolders/inbox/messageRules/{rule}",
        mail::delete_message_rule,
    ),
    route(GET, "/me/mailboxSettings", mail::mailbox_settings),
    route(GET, "/users/{user}/mailboxSettings", mail::mailbox_settings),
    route(
        GET,
        "/me/mailboxSettings/automaticRepliesSetting",
        mail::mailbox_setting,
    ),
    route(
        GET,
        "/users/{user}/mailboxSettings/automaticRepliesSetting",
        mail::mailbox_setting,
    ),
    route(
        GET,
        "/me/mailboxSettings/workingHours",
        mail::mailbox_setting,
    ),
    route(
        GET,
        "/users/{user}/mailboxSettings/workingHours",
        mail::mailbox_setting,
    ),
    route(
        GET,
        "/me/mailboxSettings/userPurpose",
        mail::mailbox_setting,
    ),
    route(
        GET,
        "/users/{user}/mailboxSettings/userPurpose",
        mail::mailbox_setting,
    ),
    route(GET, "/me/mailboxSettings/timeZone", mail::mailbox_setting),
    route(
        GET,
        "/users/{user}/mailboxSettings/timeZone",
        mail::mailbox_setting,
    ),
    route(GET, "/me/mailboxSettings/language", mail::mailbox_setting),
    route(
        GET,
        "/users/{user}/mailboxSettings/language",
        mail::mailbox_setting,
    ),
    route(GET, "/me/mailboxSettings/dateFormat", mail::mailbox_setting),
    route(
        GET,
        "/users/{user}/mailboxSettings/dateFormat",
        mail::mailbox_setting,
    ),
    route(GET, "/me/mailboxSettings/timeFormat", mail::mailbox_setting),
    route(
        GET,
        "/users/{user}/mailboxSettings/timeFormat",
        mail::mailbox_setting,
    ),
    // Authentication methods.
    route(GET, "/me/authentication/methods", methods::list),
    route(GET, "/users/{user}/authentication/methods", methods::list),
    route(
        GET,
        "/users/{user}/authentication/methods/{method}",
        methods::get,
    ),
    route(
        POST,
        "/users/{user}/authentication/methods/{method}/resetPassword",
        methods::reset_password,
    ),
    route(
        GET,
        "/users/{user}/authentication/operations/{operation}",
        methods::operation,
    ),
    route(
        GET,
        "/users/{user}/authentication/temporaryAccessPassMethods",
        methods::list_temporary_access_passes,
    ),
    route(
        POST,
        "/users/{user}/authentication/temporaryAccessPassMethods",
        methods::create_temporary_access_pass,
    ),
    route(
        DELETE,
        "/users/{user}/authentication/temporaryAccessPassMethods/{method}",
        methods::delete_method,
    ),
    route(
        DELETE,
        "/users/{user}/authentication/microsoftAuthenticatorMethods/{method}",
        methods::delete_method,
    ),
    route(
        DELETE,
        "/users/{user}/authentication/phoneMethods/{method}",
        methods::delete_method,
    ),
    route(
        DELETE,
        "/users/{user}/authentication/fido2Methods/{method}",
        methods::delete_method,
    ),
    route(
        DELETE,
        "/users/{user}/authentication/emailMethods/{method}",
        methods::delete_method,
    ),
    route(
        DELETE,
        "/users/{user}/authentication/softwareOathMethods/{method}",
        methods::delete_method,
    ),
    route(
        DELETE,
        "/users/{user}/authentication/windowsHelloForBusinessMethods/{method}",
        methods::delete_method,
    ),
];

/// Why no route answered.
#[derive(Debug, PartialEq, Eq)]
pub enum NoRoute {
    /// No pattern fits the path; Graph names the first segment it could not resolve.
    UnknownSegment(String),
    /// The path exists, but not for this method.
    MethodNotAllowed,
}

/// The best route for `method` and the decoded path `segments`, with its captured parameters.
pub fn find(method: &Method, segments: &[String]) -> Result<(&'static Route, Params), NoRoute> {
    let mut best: Option<(&'static Route, Params, usize)> = None;
    let mut path_exists = false;
    let mut deepest_match = 0;
    for candidate in ROUTES {
        let (matched, literals, depth) = match_pattern(candidate.pattern, segments);
        deepest_match = deepest_match.max(depth);
        let Some(params) = matched else { continue };
        path_exists = true;
        if candidate.method != *method {
            continue;
        }
        if best
            .as_ref()
            .is_none_or(|(_, _, best_literals)| literals > *best_literals)
        {
            best = Some((candidate, params, literals));
        }
    }
    match best {
        Some((found, params, _)) => Ok((found, params)),
        None if path_exists => Err(NoRoute::MethodNotAllowed),
        None => Err(NoRoute::UnknownSegment(
            segments.get(deepest_match).cloned().unwrap_or_default(),
        )),
    }
}

/// Matches one pattern: the captured parameters (or none), how many literal segments matched,
/// and how many leading segments matched at all (for the error message).
fn match_pattern(pattern: &'static str, segments: &[String]) -> (Option<Params>, usize, usize) {
    let parts: Vec<&'static str> = pattern.trim_start_matches('/').split('/').collect();
    let mut params = Vec::new();
    let mut literals = 0;
    for (depth, part) in parts.iter().enumerate() {
        let Some(segment) = segments.get(depth) else {
            return (None, literals, depth);
        };
        if let Some(name) = part
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix("}:"))
        {
            match segment.strip_suffix(':') {
                Some(value) if !value.is_empty() => params.push((name, value.to_owned())),
                _ => return (None, literals, depth),
            }
        } else if let Some(name) = part
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        {
            if segment.is_empty() {
                return (None, literals, depth);
            }
            params.push((name, segment.clone()));
        } else if part.eq_ignore_ascii_case(segment) {
            literals += 1;
        } else {
            return (None, literals, depth);
        }
    }
    if segments.len() != parts.len() {
        return (None, literals, parts.len());
    }
    (Some(params), literals, parts.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> Vec<String> {
        path.trim_start_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn literal_routes_win_over_parameters() {
        let (found, params) = find(&Method::GET, &segments("/groups/$count")).expect("route");
        assert_eq!(found.pattern, "/groups/$count");
        assert!(params.is_empty());
        let (found, params) = find(&Method::GET, &segments("/groups/abc")).expect("route");
        assert_eq!(found.pattern, "/groups/{group}");
        assert_eq!(params, vec![("group", "abc".to_owned())]);
    }

    #[test]
    fn colon_addressing_captures_the_hostname() {
        let (found, params) = find(
            &Method::GET,
            &segments("/sites/contoso.sharepoint.com:/sites/Finance"),
        )
        .expect("route");
        assert_eq!(found.pattern, "/sites/{hostname}:/sites/{name}");
        assert_eq!(
            params,
            vec![
                ("hostname", "contoso.sharepoint.com".to_owned()),
                ("name", "Finance".to_owned())
            ]
        );
    }

    #[test]
    fn wrong_methods_and_unknown_segments_are_told_apart() {
        assert_eq!(
            find(&Method::PUT, &segments("/groups/abc")).err(),
            Some(NoRoute::MethodNotAllowed)
        );
        assert_eq!(
            find(&Method::GET, &segments("/groups/abc/memberz")).err(),
            Some(NoRoute::UnknownSegment("memberz".to_owned()))
        );
    }

    #[test]
    fn literal_segments_ignore_case_like_graph() {
        let (found, _) = find(&Method::GET, &segments("/Users/x/MemberOf")).expect("route");
        assert_eq!(found.pattern, "/users/{user}/memberOf");
    }
}

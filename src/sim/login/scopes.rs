//! The permissions the simulated app registration may request.

/// Microsoft Graph delegated permissions the simulator recognises. A scope outside this list is
/// refused with `invalid_scope`, as Entra refuses a permission it does not know, so a typo in
/// Doorman's scope lists fails a test instead of failing in production.
pub const DELEGATED_SCOPES: &[&str] = &[
    "User.Read",
    "User.ReadWrite",
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "User.RevokeSessions.All",
    "User-PasswordProfile.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
    "Team.ReadBasic.All",
    "TeamMember.Read.All",
    "TeamMember.ReadWrite.All",
    "TeamMember.ReadWriteNonOwnerRole.All",
    "Channel.ReadBasic.All",
    "ChannelMember.Read.All",
    "ChannelMember.ReadWrite.All",
    "Sites.Read.All",
    "Sites.ReadWrite.All",
    "Sites.Manage.All",
    "Sites.FullControl.All",
    "Files.Read",
    "Files.Read.All",
    "Files.ReadWrite",
    "Files.ReadWrite.All",
    "Calendars.Read",
    "Calendars.ReadWrite",
    "MailboxSettings.Read",
    "MailboxSettings.ReadWrite",
    "Mail.Read",
    "UserAuthenticationMethod.Read",
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite",
    "UserAuthenticationMethod.ReadWrite.All",
    "UserAuthMethod-TAP.ReadWrite.All",
];

/// OpenID Connect scopes: they shape the token response, not Graph access.
pub const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// The application permissions granted to the app's service principal: read-only, so no
/// app-only token can ever write.
pub const APP_READ_ROLES: &[&str] = &[
    "User.Read.All",
    "Group.Read.All",
    "GroupMember.Read.All",
    "Directory.Read.All",
    "Team.ReadBasic.All",
    "TeamMember.Read.All",
    "Channel.ReadBasic.All",
    "ChannelMember.Read.All",
    "Sites.Read.All",
    "Files.Read.All",
    "MailboxSettings.Read",
    "UserAuthenticationMethod.Read.All",
];

const GRAPH_RESOURCE: &str = "https://graph.microsoft.com/";

/// A requested scope string split into Graph permissions and OIDC scopes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RequestedScopes {
    pub graph: Vec<String>,
    pub oidc: Vec<String>,
}

impl RequestedScopes {
    /// Parses a space-separated `scope` parameter. `.default` stands for every delegated
    /// permission of the registration; `https://graph.microsoft.com/X` is the same as `X`.
    pub fn parse(scope: &str) -> Result<Self, String> {
        let mut requested = RequestedScopes::default();
        for item in scope.split_whitespace() {
            if let Some(oidc) = OIDC_SCOPES
                .iter()
                .find(|known| known.eq_ignore_ascii_case(item))
            {
                push_unique(&mut requested.oidc, oidc);
                continue;
            }
            let name = item.strip_prefix(GRAPH_RESOURCE).unwrap_or(item);
            if name == ".default" {
                for known in DELEGATED_SCOPES {
                    push_unique(&mut requested.graph, known);
                }
                continue;
            }
            match DELEGATED_SCOPES
                .iter()
                .find(|known| known.eq_ignore_ascii_case(name))
            {
                Some(known) => push_unique(&mut requested.graph, known),
                None => {
                    return Err(format!(
                        "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope '{item}' does not exist."
                    ));
                }
            }
        }
        Ok(requested)
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|present| present == item) {
        list.push(item.to_owned());
    }
}

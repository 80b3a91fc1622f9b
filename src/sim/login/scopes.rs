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
    "AuditLog.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
    "Domain.Read.All",
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
    "AuditLog.Read.All",
];

/// The resources the app may ask tokens for, each with its application ID URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Graph,
    /// Exchange Online (`Office 365 Exchange Online`), whose admin API the simulator serves.
    Exchange,
}

impl Resource {
    /// The application ID URI: a token's `aud`, and the prefix of its scopes' full names.
    pub fn uri(self) -> &'static str {
        match self {
            Resource::Graph => "https://graph.microsoft.com",
            Resource::Exchange => EXCHANGE_RESOURCE,
        }
    }
}

/// Exchange Online's application ID URI.
pub const EXCHANGE_RESOURCE: &str = "https://outlook.office365.com";

/// Exchange Online's delegated permissions: `Exchange.Manage` for the `InvokeCommand` route,
/// `Exchange.ManageV2` for the documented v2.0 endpoints. Only their full names
/// (`https://outlook.office365.com/Exchange.Manage`) ask for them: bare, they would be Graph
/// permissions, which do not exist.
pub const EXCHANGE_DELEGATED_SCOPES: &[&str] = &["Exchange.Manage", "Exchange.ManageV2"];

/// The application permission granted to the app's service principal on Exchange Online. The
/// admin API lets it read and never write (DESIGN.md section 10).
pub const EXCHANGE_APP_ROLES: &[&str] = &["Exchange.ManageAsApp"];

/// A requested (or consented) scope string, split by resource: Graph permissions by their
/// short names, Exchange permissions by their short names, OIDC scopes apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestedScopes {
    pub graph: Vec<String>,
    pub exchange: Vec<String>,
    pub oidc: Vec<String>,
    /// The resource the request named first: a token request that names none is for it.
    pub first: Option<Resource>,
}

impl RequestedScopes {
    /// Parses a space-separated `scope` parameter. `.default` stands for every delegated
    /// permission of the registration on its resource; `https://graph.microsoft.com/X` is the
    /// same as `X`.
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
            let (resource, name) = match strip_resource(item, Resource::Exchange) {
                Some(name) => (Resource::Exchange, name),
                None => (
                    Resource::Graph,
                    strip_resource(item, Resource::Graph).unwrap_or(item),
                ),
            };
            let (known, list) = match resource {
                Resource::Graph => (DELEGATED_SCOPES, &mut requested.graph),
                Resource::Exchange => (EXCHANGE_DELEGATED_SCOPES, &mut requested.exchange),
            };
            if name == ".default" {
                for scope in known {
                    push_unique(list, scope);
                }
            } else {
                match known.iter().find(|known| known.eq_ignore_ascii_case(name)) {
                    Some(scope) => push_unique(list, scope),
                    None => {
                        return Err(format!(
                            "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope '{item}' does not exist."
                        ));
                    }
                }
            }
            requested.first.get_or_insert(resource);
        }
        Ok(requested)
    }

    /// The permissions asked of `resource`, by their short names.
    pub fn of(&self, resource: Resource) -> &[String] {
        match resource {
            Resource::Graph => &self.graph,
            Resource::Exchange => &self.exchange,
        }
    }

    /// The resource a token request is for: the one it names, `None` when it names none, or an
    /// error when it names two (Entra issues an access token for one resource at a time).
    pub fn resource(&self) -> Result<Option<Resource>, String> {
        match (self.graph.is_empty(), self.exchange.is_empty()) {
            (false, false) => Err(
                "AADSTS28000: Provided value for the input parameter scope is not valid because it contains more than one resource. Scope is not valid."
                    .to_owned(),
            ),
            (false, true) => Ok(Some(Resource::Graph)),
            (true, false) => Ok(Some(Resource::Exchange)),
            (true, true) => Ok(None),
        }
    }

    /// The first scope of `self` that `consented` does not hold, in its full form.
    pub fn first_not_in(&self, consented: &RequestedScopes) -> Option<String> {
        let graph = self
            .graph
            .iter()
            .find(|scope| !consented.graph.contains(scope))
            .cloned();
        let exchange = self
            .exchange
            .iter()
            .find(|scope| !consented.exchange.contains(scope))
            .map(|scope| format!("{EXCHANGE_RESOURCE}/{scope}"));
        let oidc = self
            .oidc
            .iter()
            .find(|scope| !consented.oidc.contains(scope))
            .cloned();
        graph.or(exchange).or(oidc)
    }

    pub fn wants(&self, oidc_scope: &str) -> bool {
        self.oidc.iter().any(|scope| scope == oidc_scope)
    }
}

/// `item` without `resource`'s URI and the slash after it, when it starts with them.
fn strip_resource(item: &str, resource: Resource) -> Option<&str> {
    let prefix = resource.uri();
    let head = item.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    item[prefix.len()..].strip_prefix('/')
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|present| present == item) {
        list.push(item.to_owned());
    }
}

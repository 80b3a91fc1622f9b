//! Where Exchange's two routes are and which delegated scope each one needs (`[exchange]`).
//!
//! Owns [`ExchangeSettings`], [`Route`] and [`Endpoint`]. Must not: read the environment or a
//! file (`config` does), or decide which operation takes which route ([`super::Operation`] does).

use serde::Deserialize;
use url::Url;

/// Exchange Online's origin in the global cloud.
pub const DEFAULT_URL: &str = "https://outlook.office365.com";

/// The path of `InvokeCommand`, the route Microsoft's ExchangeOnlineManagement module calls. It is
/// not documented as a public API, so it is configurable; `{tenant}` is replaced by the tenant id.
pub const DEFAULT_INVOKE_PATH: &str = "/adminapi/beta/{tenant}/InvokeCommand";

/// The path of the documented Admin API's endpoints; `{tenant}` and `{endpoint}` are replaced.
pub const V2_PATH: &str = "/adminapi/v2.0/{tenant}/{endpoint}";

/// The delegated scope `InvokeCommand` requires.
pub const DEFAULT_INVOKE_SCOPE: &str = "https://outlook.office365.com/Exchange.Manage";

/// The delegated scope the documented v2.0 endpoints require.
pub const DEFAULT_V2_SCOPE: &str = "https://outlook.office365.com/Exchange.ManageV2";

/// `[exchange]`: Exchange's origin, the `InvokeCommand` path, and each route's scope. Every key
/// has the real-world default, so the section may be left out.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSettings {
    /// Exchange's origin; both routes' paths are joined to it.
    #[serde(default = "default_url")]
    pub url: Url,
    /// The path of `InvokeCommand`, with `{tenant}` where the tenant id goes.
    #[serde(default = "default_invoke_path")]
    pub invoke_path: String,
    /// The scope of a token for `InvokeCommand`.
    #[serde(default = "default_invoke_scope")]
    pub invoke_scope: String,
    /// The scope of a token for the v2.0 endpoints.
    #[serde(default = "default_v2_scope")]
    pub v2_scope: String,
}

/// Which of Exchange's two routes a cmdlet is sent to. Each route has its own scope, so the token
/// broker asks [`ExchangeSettings::scope`] for the route of the operation it fetches a token for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// `InvokeCommand`: any cmdlet the caller's Exchange role allows.
    Invoke,
    /// One of the documented Admin API's endpoints.
    V2(Endpoint),
}

/// The documented v2.0 endpoints Doorman uses, each serving a few cmdlets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `Get-Mailbox`, and `Set-Mailbox -GrantSendOnBehalfTo`.
    Mailbox,
    /// `Get-`, `Add-`, `Set-` and `Remove-MailboxFolderPermission`.
    MailboxFolderPermission,
    /// `Get-DistributionGroupMember` (read only).
    DistributionGroupMember,
    /// `Get-AcceptedDomain`.
    AcceptedDomain,
}

impl Default for ExchangeSettings {
    fn default() -> Self {
        Self {
            url: default_url(),
            invoke_path: default_invoke_path(),
            invoke_scope: default_invoke_scope(),
            v2_scope: default_v2_scope(),
        }
    }
}

impl ExchangeSettings {
    /// The scope a token must carry for `route`.
    pub fn scope(&self, route: Route) -> &str {
        match route {
            Route::Invoke => &self.invoke_scope,
            Route::V2(_) => &self.v2_scope,
        }
    }

    /// Why these settings cannot form requests, if they cannot: the origin must be an http(s)
    /// URL with a host and nothing after it, the path must start with `/` and carry no query,
    /// and the scopes must not be empty.
    pub fn check(&self) -> Result<(), String> {
        let url = &self.url;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(format!(
                "exchange url {url} is not an http(s) url with a host"
            ));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "exchange url {url} must be an origin only; the paths come from the routes"
            ));
        }
        if !self.invoke_path.starts_with('/') || self.invoke_path.contains(['?', '#']) {
            return Err(format!(
                "exchange invoke_path {:?} must start with '/' and carry no query",
                self.invoke_path
            ));
        }
        if !self.invoke_path.contains("{tenant}") {
            return Err(format!(
                "exchange invoke_path {:?} must name {{tenant}}, where the tenant id goes",
                self.invoke_path
            ));
        }
        for (key, scope) in [
            ("invoke_scope", &self.invoke_scope),
            ("v2_scope", &self.v2_scope),
        ] {
            // A delegated scope of a resource other than Graph is named with its resource.
            // (`https://outlook.office365.com/Exchange.Manage`, or an App ID URI such as
            // `api://...`): a resource with a host, then the permission's name.
            let with_resource = Url::parse(scope).is_ok_and(|url| {
                url.host_str().is_some() && url.path().len() > 1 && !url.path().ends_with('/')
            });
            if !with_resource {
                return Err(format!(
                    "exchange {key} {scope:?} must be a scope with its resource, like {DEFAULT_INVOKE_SCOPE}"
                ));
            }
        }
        Ok(())
    }

    /// The path `route` is sent to for `tenant_id`.
    pub fn path(&self, route: Route, tenant_id: &str) -> String {
        match route {
            Route::Invoke => self.invoke_path.replace("{tenant}", tenant_id),
            Route::V2(endpoint) => V2_PATH
                .replace("{tenant}", tenant_id)
                .replace("{endpoint}", endpoint.name()),
        }
    }
}

impl Endpoint {
    /// The endpoint's name, as it goes in the path.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Mailbox => "Mailbox",
            Endpoint::MailboxFolderPermission => "MailboxFolderPermission",
            Endpoint::DistributionGroupMember => "DistributionGroupMember",
            Endpoint::AcceptedDomain => "AcceptedDomain",
        }
    }
}

impl Route {
    /// `invoke` or `v2`, for logs.
    pub fn kind_name(self) -> &'static str {
        match self {
            Route::Invoke => "invoke",
            Route::V2(_) => "v2",
        }
    }
}

fn default_url() -> Url {
    Url::parse(DEFAULT_URL).expect("a constant URL parses")
}

fn default_invoke_path() -> String {
    DEFAULT_INVOKE_PATH.to_owned()
}

fn default_invoke_scope() -> String {
    DEFAULT_INVOKE_SCOPE.to_owned()
}

fn default_v2_scope() -> String {
    DEFAULT_V2_SCOPE.to_owned()
}

//! Serde models of the Graph resources Doorman reads.
//!
//! Owns the shapes of answers: camelCase names as Graph's metadata spells them, unknown fields
//! ignored (Graph adds properties without notice), every property that `$select` or a tenant can
//! leave out as an `Option`. `id` is required: Doorman acts on objects by id and always selects
//! it. Must not: model request bodies (each operation builds its own), or derive `Serialize` on
//! anything that holds a secret.

use serde::Deserialize;

mod audit;
mod auth_methods;
mod collaboration;
mod directory;
mod files;
mod mail;

pub use self::audit::{AppliedConditionalAccessPolicy, SignIn, SignInStatus};
pub use self::auth_methods::{
    AuthenticationMethod, EmailMethod, Fido2Method, MicrosoftAuthenticatorMethod, PasswordMethod,
    PhoneMethod, SoftwareOathMethod, TemporaryAccessPass, WindowsHelloForBusinessMethod,
};
pub use self::collaboration::{Channel, ChannelMembershipType, ConversationMember, Team};
pub use self::directory::{DirectoryObject, DirectoryRole, Domain, Group, GroupKind, User};
pub use self::files::{
    Drive, DriveItem, Identity, IdentitySet, ItemReference, Permission, SharingInvitation,
    SharingLink, Site,
};
pub use self::mail::{
    AutomaticRepliesSetting, CalendarPermission, CalendarRole, EmailAddress, LocaleInfo,
    MailboxSettings, MessageRule, MessageRuleActions, MessageRulePredicates, Recipient,
    TimeZoneBase, UserPurpose, WorkingHours,
};

/// One page of a collection: `{"value": [...], "@odata.nextLink": ..., "@odata.count": ...}`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Collection<T> {
    pub value: Vec<T>,
    /// The next page's absolute URL, to be followed verbatim.
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    /// The total, present only when `$count=true` was asked for.
    #[serde(rename = "@odata.count")]
    pub count: Option<u64>,
}

/// A single primitive wrapped the OData way: `{"value": true}` (action results, property reads).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ODataValue<T> {
    pub value: T,
}

/// Deserializes a JSON object into the model its `@odata.type` names; shared by the polymorphic
/// enums in the submodules.
pub(in crate::graph) fn object_as<T, E>(object: serde_json::Value) -> Result<T, E>
where
    T: serde::de::DeserializeOwned,
    E: serde::de::Error,
{
    serde_json::from_value(object).map_err(E::custom)
}

/// The `@odata.type` and `id` of an object whose type Doorman does not model.
#[derive(Deserialize)]
pub(in crate::graph) struct TypedId {
    #[serde(rename = "@odata.type")]
    pub(in crate::graph) odata_type: Option<String>,
    pub(in crate::graph) id: String,
}

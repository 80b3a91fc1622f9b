//! SharePoint sites, drives, drive items and their sharing permissions.
//!
//! Owns the identity sets that say who a permission is granted to. Must not: treat an empty
//! `roles` as "no access": Graph shows empty roles to callers who cannot see them.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// A SharePoint site. Its id has the form `hostname,siteCollectionId,webId`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    pub id: String,
    pub display_name: Option<String>,
    /// The last segment of the site's URL (`Atlas` for `.../sites/Atlas`), which people also
    /// use to name it.
    pub name: Option<String>,
    pub description: Option<String>,
    pub web_url: Option<String>,
}

/// A document library or OneDrive.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Drive {
    pub id: String,
    pub name: Option<String>,
    /// `personal`, `business` or `documentLibrary`.
    pub drive_type: Option<String>,
    pub web_url: Option<String>,
}

/// A file or folder.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DriveItem {
    pub id: String,
    pub name: Option<String>,
    pub web_url: Option<String>,
}

/// A sharing permission on a drive item.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    pub id: String,
    /// `read`, `write`, `owner` ...; may be empty for callers who may not see them.
    pub roles: Option<Vec<String>>,
    /// Who the permission is granted to; prefer this over the deprecated `grantedTo`.
    pub granted_to_v2: Option<IdentitySet>,
    pub granted_to: Option<IdentitySet>,
    pub link: Option<SharingLink>,
    /// Set when the permission comes from a parent folder or library.
    pub inherited_from: Option<ItemReference>,
    pub invitation: Option<SharingInvitation>,
    pub expiration_date_time: Option<DateTime<Utc>>,
}

/// Who something is granted to or done by: a user, group, application, device or SharePoint
/// principal. `identitySet` and `sharePointIdentitySet` share this model.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySet {
    pub user: Option<Identity>,
    pub group: Option<Identity>,
    pub application: Option<Identity>,
    pub device: Option<Identity>,
    pub site_user: Option<Identity>,
    pub site_group: Option<Identity>,
}

/// One identity. OneDrive also sends `email`, which the metadata does not declare.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub id: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub login_name: Option<String>,
}

/// A sharing link behind a permission.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SharingLink {
    #[serde(rename = "type")]
    pub link_type: Option<String>,
    pub scope: Option<String>,
    pub web_url: Option<String>,
    pub prevents_download: Option<bool>,
}

/// Where an inherited permission comes from.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ItemReference {
    pub id: Option<String>,
    pub drive_id: Option<String>,
    pub site_id: Option<String>,
    pub path: Option<String>,
}

/// The invitation behind a permission granted to someone by address.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SharingInvitation {
    pub email: Option<String>,
    pub sign_in_required: Option<bool>,
}

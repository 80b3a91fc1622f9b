//! SharePoint and OneDrive operations: finding sites and drives, and sharing drive items.
//!
//! Owns the `/sites` and `/drives` paths and the sharing invite. Must not: use
//! `/sites/{id}/permissions` to grant people access (it grants applications only; people get
//! site access through the site's Microsoft 365 group or a sharing invite), send an invitation
//! e-mail, or write with anything but a person's token.

use serde::Serialize;
use serde_json::json;

use super::client::{Access, GraphClient, GraphRequest, Graphed};
use super::error::GraphError;
use super::model::{Collection, Drive, DriveItem, Permission, Site};
use super::path::{QueryOptions, encode_key, encode_server_relative_path};
use super::token::{Bearer, DelegatedToken};

/// The access a sharing invite grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DriveRole {
    Read,
    Write,
}

/// Who a sharing invite is for: Graph's `driveRecipient`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum InviteRecipient {
    /// `{"email": "..."}`.
    #[serde(rename = "email")]
    Email(String),
    /// `{"objectId": "..."}`, an Entra ID user or group id.
    #[serde(rename = "objectId")]
    ObjectId(String),
}

impl GraphClient {
    /// A site by id (`hostname,siteCollectionId,webId`): `GET /sites/{id}`. Graph page: "Get a
    /// site resource" (site-get). Least delegated scope: `Sites.Read.All`.
    pub async fn site(
        &self,
        bearer: impl Into<Bearer<'_>>,
        site_id: &str,
    ) -> Result<Graphed<Site>, GraphError> {
        let request = GraphRequest::get(format!("/sites/{}", encode_key(site_id)?));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// A site by host and server-relative path (`contoso.sharepoint.com`, `/sites/Finance`):
    /// `GET /sites/{hostname}:/{path}`. Graph page: "Get site by path" (site-getbypath). Least
    /// delegated scope: `Sites.Read.All`.
    pub async fn site_by_path(
        &self,
        bearer: impl Into<Bearer<'_>>,
        hostname: &str,
        server_relative_path: &str,
    ) -> Result<Graphed<Site>, GraphError> {
        let request = GraphRequest::get(format!(
            "/sites/{}:/{}",
            encode_key(hostname)?,
            encode_server_relative_path(server_relative_path)?
        ));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// Sites matching a keyword, every page: `GET /sites?search={query}&$select=`; `*` lists
    /// every site the caller may see. An empty `select` returns Graph's default set; `id` is
    /// always added. Graph page: "Search for sites" (site-search). Least delegated scope:
    /// `Sites.Read.All`.
    pub async fn search_sites(
        &self,
        bearer: impl Into<Bearer<'_>>,
        query: &str,
        select: &[&str],
    ) -> Result<Graphed<Vec<Site>>, GraphError> {
        let mut options = QueryOptions::new();
        options.push("search", query);
        options.push_select_with_id(select);
        let request = GraphRequest::get(options.apply_to("/sites"));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// A Microsoft 365 group's team site: `GET /groups/{id}/sites/root`. Graph page: "Get a
    /// site resource" (site-get, group form). Least delegated scope: `Sites.Read.All`.
    pub async fn group_root_site(
        &self,
        bearer: impl Into<Bearer<'_>>,
        group_id: &str,
    ) -> Result<Graphed<Site>, GraphError> {
        let request = GraphRequest::get(format!("/groups/{}/sites/root", encode_key(group_id)?));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// The site's document libraries, every page: `GET /sites/{id}/drives?$select=`. An empty
    /// `select` returns Graph's default set; `id` is always added. Graph page: "List available
    /// drives" (drive-list). Least delegated scope: `Files.Read.All`.
    pub async fn site_drives(
        &self,
        bearer: impl Into<Bearer<'_>>,
        site_id: &str,
        select: &[&str],
    ) -> Result<Graphed<Vec<Drive>>, GraphError> {
        let mut query = QueryOptions::new();
        query.push_select_with_id(select);
        let request =
            GraphRequest::get(query.apply_to(&format!("/sites/{}/drives", encode_key(site_id)?)));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// The site's default document library: `GET /sites/{id}/drive`. Graph page: "Get drive"
    /// (drive-get). Least delegated scope: `Files.Read.All`.
    pub async fn site_default_drive(
        &self,
        bearer: impl Into<Bearer<'_>>,
        site_id: &str,
    ) -> Result<Graphed<Drive>, GraphError> {
        let request = GraphRequest::get(format!("/sites/{}/drive", encode_key(site_id)?));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// The drive's root folder: `GET /drives/{id}/root`. Graph page: "Get a DriveItem resource"
    /// (driveitem-get). Least delegated scope: `Files.Read.All`.
    pub async fn drive_root(
        &self,
        bearer: impl Into<Bearer<'_>>,
        drive_id: &str,
    ) -> Result<Graphed<DriveItem>, GraphError> {
        let request = GraphRequest::get(format!("/drives/{}/root", encode_key(drive_id)?));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// Grants `role` on a file or folder: `POST /drives/{d}/items/{i}/invite` with
    /// `requireSignIn: true` and `sendInvitation: false` (the access is granted silently; Doorman
    /// tells the person itself). Answers the permissions created. Graph page: "Send a sharing
    /// invitation" (driveitem-invite). Least delegated scope: `Files.ReadWrite.All` (SharePoint
    /// libraries; `Files.ReadWrite` covers only the person's own OneDrive), and the person must
    /// be allowed to share the item.
    pub async fn invite(
        &self,
        token: &DelegatedToken,
        drive_id: &str,
        item_id: &str,
        recipients: &[InviteRecipient],
        role: DriveRole,
        message: Option<&str>,
    ) -> Result<Graphed<Vec<Permission>>, GraphError> {
        if recipients.is_empty() {
            return Err(GraphError::InvalidRequest {
                reason: "a sharing invite needs at least one recipient".to_owned(),
            });
        }
        let mut body = json!({
            "recipients": recipients,
            "roles": [role],
            "requireSignIn": true,
            "sendInvitation": false,
        });
        if let (Some(message), Some(object)) = (message, body.as_object_mut()) {
            object.insert("message".to_owned(), json!(message));
        }
        let request = GraphRequest::post(
            format!(
                "/drives/{}/items/{}/invite",
                encode_key(drive_id)?,
                encode_key(item_id)?
            ),
            Some(body),
        );
        let answer: Graphed<Collection<Permission>> =
            self.call_json(Access::Write(token), request).await?;
        Ok(answer.map(|collection| collection.value))
    }

    /// The sharing permissions on a file or folder, every page:
    /// `GET /drives/{d}/items/{i}/permissions`. People who may not manage sharing may see empty
    /// roles. Graph page: "List sharing permissions on a driveItem"
    /// (driveitem-list-permissions). Least delegated scope: `Files.Read.All`.
    pub async fn item_permissions(
        &self,
        bearer: impl Into<Bearer<'_>>,
        drive_id: &str,
        item_id: &str,
    ) -> Result<Graphed<Vec<Permission>>, GraphError> {
        let request = GraphRequest::get(format!(
            "/drives/{}/items/{}/permissions",
            encode_key(drive_id)?,
            encode_key(item_id)?
        ));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// Changes the role a sharing permission grants:
    /// `PATCH /drives/{d}/items/{i}/permissions/{perm-id}` with `{"roles": [role]}`. Answers
    /// `200` with the permission. Graph page: "Update sharing permission" (permission-update).
    /// Least delegated scope: `Files.ReadWrite.All`.
    pub async fn update_item_permission(
        &self,
        token: &DelegatedToken,
        drive_id: &str,
        item_id: &str,
        permission_id: &str,
        role: DriveRole,
    ) -> Result<Graphed<Permission>, GraphError> {
        let request = GraphRequest::patch(
            format!(
                "/drives/{}/items/{}/permissions/{}",
                encode_key(drive_id)?,
                encode_key(item_id)?,
                encode_key(permission_id)?
            ),
            json!({ "roles": [role] }),
        );
        self.call_json(Access::Write(token), request).await
    }

    /// Revokes a sharing permission: `DELETE /drives/{d}/items/{i}/permissions/{perm-id}`.
    /// Inherited permissions cannot be removed here. Graph page: "Delete a sharing permission"
    /// (permission-delete). Least delegated scope: `Files.ReadWrite.All`.
    pub async fn delete_item_permission(
        &self,
        token: &DelegatedToken,
        drive_id: &str,
        item_id: &str,
        permission_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        let request = GraphRequest::delete(format!(
            "/drives/{}/items/{}/permissions/{}",
            encode_key(drive_id)?,
            encode_key(item_id)?,
            encode_key(permission_id)?
        ));
        self.call_without_answer(Access::Write(token), request)
            .await
    }
}

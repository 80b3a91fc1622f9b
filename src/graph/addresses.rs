//! Mail addresses of the tenant: its domains, and who holds an address already.
//!
//! Owns `/domains` and the `proxyAddresses` queries on `/users` and `/groups`. A new primary
//! address is checked here before Exchange is asked to set it (DESIGN.md section 10). Must not:
//! send an address into a filter without doubling its quotes.

use super::client::{Access, GraphClient, GraphRequest, Graphed};
use super::error::GraphError;
use super::model::{DirectoryObject, Domain};
use super::path::QueryOptions;
use super::token::Bearer;

impl GraphClient {
    /// The tenant's domains, every page: `GET /domains`. Graph page: "List domains"
    /// (domain-list). Least application permission: `Domain.Read.All`.
    pub async fn domains(
        &self,
        bearer: impl Into<Bearer<'_>>,
    ) -> Result<Graphed<Vec<Domain>>, GraphError> {
        let request = GraphRequest::get("/domains".to_owned());
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// The users that hold `address` as one of their addresses (primary or secondary):
    /// `GET /users?$filter=proxyAddresses/any(x:x eq 'smtp:{address}')&$count=true` with
    /// `ConsistencyLevel: eventual`, which a lambda over `proxyAddresses` needs. The match is
    /// case-insensitive, so `smtp:` finds the primary `SMTP:` too. Graph page: "List users"
    /// (user-list), advanced queries. Least application permission: `User.Read.All`.
    pub async fn users_holding_address(
        &self,
        bearer: impl Into<Bearer<'_>>,
        address: &str,
    ) -> Result<Graphed<Vec<DirectoryObject>>, GraphError> {
        let request = holding("/users", address)?;
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// The groups (Microsoft 365 groups, lists, mail-enabled security groups) that hold
    /// `address`: as [`GraphClient::users_holding_address`], on `/groups`. Graph page: "List
    /// groups" (group-list). Least application permission: `GroupMember.Read.All`.
    pub async fn groups_holding_address(
        &self,
        bearer: impl Into<Bearer<'_>>,
        address: &str,
    ) -> Result<Graphed<Vec<DirectoryObject>>, GraphError> {
        let request = holding("/groups", address)?;
        self.list_all(Access::Read(bearer.into()), request).await
    }
}

/// The advanced query for the objects of `collection` holding `address`.
fn holding(collection: &str, address: &str) -> Result<GraphRequest, GraphError> {
    let address = address.trim();
    if address.is_empty() || !address.contains('@') || address.chars().any(char::is_whitespace) {
        return Err(GraphError::InvalidRequest {
            reason: "an address to look for needs a local part and a domain".to_owned(),
        });
    }
    let literal = format!("smtp:{address}").replace('\'', "''");
    let mut query = QueryOptions::new();
    query.push(
        "$filter",
        &format!("proxyAddresses/any(x:x eq '{literal}')"),
    );
    query.push("$count", "true");
    query.push("$select", "id");
    Ok(GraphRequest::get(query.apply_to(collection)).with_eventual_consistency())
}

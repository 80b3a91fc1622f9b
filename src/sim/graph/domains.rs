//! The tenant's domains (`GET /domains`, `GET /domains/{id}`): the tenant block's `domain` and
//! any its `domains` list names, every one verified. Clients check a new address's domain here.

use serde_json::{Value, json};

use super::call::{Call, GraphErr, Outcome, Service};
use super::collection::Listing;
use super::views::Shape;
use crate::sim::directory::Domain;

const READ: &[&str] = &[
    "Domain.Read.All",
    "Domain.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];

fn domain_object(domain: &Domain) -> Value {
    json!({
        "id": domain.name,
        "authenticationType": "Managed",
        "availabilityStatus": null,
        "isAdminManaged": true,
        "isDefault": domain.is_default,
        "isInitial": false,
        "isRoot": true,
        "isVerified": true,
        "passwordNotificationWindowInDays": 14,
        "passwordValidityPeriodInDays": 2_147_483_647,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"],
        "state": null,
    })
}

pub fn list(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Directory, READ)?;
    let domains = call.dir.domains().iter().map(domain_object).collect();
    call.list(domains, Listing::SERVICE, Shape::Plain)
}

pub fn get(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Directory, READ)?;
    let id = call.param("domain");
    let found = call
        .dir
        .domains()
        .into_iter()
        .find(|domain| domain.name.eq_ignore_ascii_case(id))
        .ok_or_else(|| GraphErr::not_found(Service::Directory, id))?;
    call.entity(domain_object(&found), Shape::Plain)
}

//! An immutable catalog snapshot and its search index.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::resource::Resource;

/// A person of the tenant, so that text naming someone ("share my calendar with Tom Becker",
/// "for alex.kim@...") can be resolved to a UPN. People are never requestable resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
}

/// Every requestable resource and every person, indexed for resolution.
#[derive(Debug)]
pub struct Catalog {
    resources: Vec<Resource>,
    people: Vec<Person>,
}

impl Catalog {
    /// Builds the snapshot and its index.
    pub fn build(resources: Vec<Resource>, people: Vec<Person>) -> Self {
        Catalog { resources, people }
    }

    /// An empty catalog: nothing resolves.
    pub fn empty() -> Arc<Self> {
        Arc::new(Catalog::build(Vec::new(), Vec::new()))
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn people(&self) -> &[Person] {
        &self.people
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

//! What the directory says about people, read from Graph with the app-only token (read-only):
//! the facts policy decides on (whether an account is a guest or disabled, its department and
//! employee type, its manager), and who the enabled members of a group are (the approvers of a
//! `group:` stage). A person's facts are used again for [`PROFILE_FRESH_FOR`] after they are
//! read, so a burst of messages from one person costs one read, and a disabled account or a
//! changed department counts within that time; group members are read fresh each time.

mod recovery;

pub use recovery::{Case, Complaint, Findings, SignInLog};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::graph::error::CODE_RESOURCE_NOT_FOUND;
use crate::graph::model::DirectoryObject;
use crate::graph::{AppTokenError, AppTokenSource, GraphClient, GraphError};
use crate::policy::Requester;

const FIELDS: &[&str] = &[
    "userPrincipalName",
    "accountEnabled",
    "userType",
    "department",
    "employeeType",
    "displayName",
    "jobTitle",
];

/// How long the facts read about a person are used again before they are read anew.
pub const PROFILE_FRESH_FOR: Duration = Duration::from_secs(30);

/// How many people's facts are kept at most: past it, those no longer fresh are dropped, and if
/// all are fresh, all are (a burst from that many people is rare, and a read is cheap).
const PROFILES_KEPT: usize = 10_000;

/// A person as the directory describes them: the facts policy decides on, and how an approval
/// card names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub requester: Requester,
    pub display_name: Option<String>,
    pub job_title: Option<String>,
}

/// A new primary address, as the directory found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressFacts {
    pub domain_verified: bool,
    pub held_by_another: bool,
}

/// Why the facts about a person could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot get an app-only token for graph: {0}")]
    Token(#[from] AppTokenError),
    #[error("reading {who} from the directory: {source}")]
    Graph {
        who: String,
        #[source]
        source: GraphError,
    },
}

/// Reads people from the directory.
pub struct Directory {
    graph: GraphClient,
    tokens: Arc<AppTokenSource>,
    /// People's facts by the id or UPN they were asked for (lower case), with when they were
    /// read.
    profiles: Mutex<HashMap<String, (Instant, Profile)>>,
}

impl Directory {
    pub fn new(graph: GraphClient, tokens: Arc<AppTokenSource>) -> Self {
        Directory {
            graph,
            tokens,
            profiles: Mutex::new(HashMap::new()),
        }
    }

    /// The person by object id or UPN, or `None` when the directory has no such user. Facts
    /// read less than [`PROFILE_FRESH_FOR`] ago are used again; someone not found is looked for
    /// again each time (they may have just been created).
    pub async fn profile(&self, id_or_upn: &str) -> Result<Option<Profile>, DirectoryError> {
        let key = id_or_upn.to_lowercase();
        if let Some(kept) = self.kept_profile(&key) {
            return Ok(Some(kept));
        }
        let read = self.read_profile(id_or_upn).await?;
        if let Some(profile) = &read {
            self.keep_profile(key, profile.clone());
        }
        Ok(read)
    }

    fn kept_profile(&self, key: &str) -> Option<Profile> {
        let profiles = self.profiles.lock().unwrap_or_else(PoisonError::into_inner);
        profiles
            .get(key)
            .filter(|(read_at, _)| read_at.elapsed() < PROFILE_FRESH_FOR)
            .map(|(_, profile)| profile.clone())
    }

    fn keep_profile(&self, key: String, profile: Profile) {
        let mut profiles = self.profiles.lock().unwrap_or_else(PoisonError::into_inner);
        if profiles.len() >= PROFILES_KEPT {
            profiles.retain(|_, (read_at, _)| read_at.elapsed() < PROFILE_FRESH_FOR);
            if profiles.len() >= PROFILES_KEPT {
                profiles.clear();
            }
        }
        profiles.insert(key, (Instant::now(), profile));
    }

    async fn read_profile(&self, id_or_upn: &str) -> Result<Option<Profile>, DirectoryError> {
        let token = self.tokens.token().await?;
        let failed = |source| DirectoryError::Graph {
            who: id_or_upn.to_owned(),
            source,
        };
        // Both read at once, by the name asked for: one round trip rather than two.
        let (user, manager) = tokio::join!(
            self.graph.user(&token, id_or_upn, FIELDS),
            self.graph.manager(&token, id_or_upn)
        );
        let user = match user {
            Ok(found) => found.value,
            Err(GraphError::NotFound(failure))
                if failure.code.as_deref() == Some(CODE_RESOURCE_NOT_FOUND) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(failed(error)),
        };
        let manager = manager.map_err(failed)?.value;
        let requester = Requester {
            upn: user
                .user_principal_name
                .unwrap_or_else(|| id_or_upn.to_owned()),
            tenant_id: None,
            guest: user
                .user_type
                .is_some_and(|kind| kind.eq_ignore_ascii_case("guest")),
            // Graph leaves accountEnabled out only when it was not selected; absent means
            // unknown, and unknown is not enabled.
            enabled: user.account_enabled == Some(true),
            department: user.department,
            employee_type: user.employee_type,
            manager: match manager {
                Some(DirectoryObject::User(manager)) => manager.user_principal_name,
                _ => None,
            },
        };
        Ok(Some(Profile {
            requester,
            display_name: user.display_name,
            job_title: user.job_title,
        }))
    }

    /// Whether `address` is in one of the tenant's verified domains.
    pub async fn in_verified_domain(&self, address: &str) -> Result<bool, DirectoryError> {
        let token = self.tokens.token().await?;
        let domain = address.rsplit_once('@').map_or("", |(_, domain)| domain);
        let domains = self
            .graph
            .domains(&token)
            .await
            .map_err(|source| DirectoryError::Graph {
                who: "the tenant's domains".to_owned(),
                source,
            })?;
        Ok(domains
            .value
            .iter()
            .any(|known| known.is_verified && known.id.eq_ignore_ascii_case(domain)))
    }

    /// What the directory says of `address` as `upn`'s new primary address: whether its domain
    /// is one of the tenant's verified domains, and whether a user or group other than them
    /// holds it already (as a primary or secondary address).
    pub async fn address_facts(
        &self,
        address: &str,
        upn: &str,
    ) -> Result<AddressFacts, DirectoryError> {
        let domain_verified = self.in_verified_domain(address).await?;
        if !domain_verified {
            return Ok(AddressFacts {
                domain_verified,
                held_by_another: false,
            });
        }
        let token = self.tokens.token().await?;
        let failed = |source| DirectoryError::Graph {
            who: format!("who holds {address}"),
            source,
        };
        let me = self
            .graph
            .user(&token, upn, &["id"])
            .await
            .map_err(failed)?
            .value
            .id;
        let users = self
            .graph
            .users_holding_address(&token, address)
            .await
            .map_err(failed)?
            .value;
        let groups = self
            .graph
            .groups_holding_address(&token, address)
            .await
            .map_err(failed)?
            .value;
        // A sign-in name is nobody's mail address, yet Exchange will not give it to another.
        let filter = format!(
            "userPrincipalName eq '{}'",
            address.trim().replace('\'', "''")
        );
        let signing_in = self
            .graph
            .users(&token, Some(&filter), &["id"], None)
            .await
            .map_err(failed)?
            .value;
        let held_by_another = users
            .iter()
            .chain(&groups)
            .map(DirectoryObject::id)
            .chain(signing_in.iter().map(|user| user.id.as_str()))
            .any(|holder| !holder.eq_ignore_ascii_case(&me));
        Ok(AddressFacts {
            domain_verified,
            held_by_another,
        })
    }

    /// The UPNs (lowercase) of the enabled user accounts among a group's members: a disabled
    /// account can approve nothing.
    pub async fn enabled_members(&self, group_id: &str) -> Result<Vec<String>, DirectoryError> {
        let token = self.tokens.token().await?;
        let failed = |source| DirectoryError::Graph {
            who: format!("the members of group {group_id}"),
            source,
        };
        let members = self
            .graph
            .members(&token, group_id)
            .await
            .map_err(failed)?
            .value;
        let disabled: HashSet<String> = self
            .graph
            .users(
                &token,
                Some("accountEnabled eq false"),
                &["userPrincipalName"],
                None,
            )
            .await
            .map_err(failed)?
            .value
            .into_iter()
            .filter_map(|user| user.user_principal_name.map(|upn| upn.to_lowercase()))
            .collect();
        Ok(members
            .into_iter()
            .filter_map(|member| match member {
                DirectoryObject::User(user) => {
                    user.user_principal_name.map(|upn| upn.to_lowercase())
                }
                _ => None,
            })
            .filter(|upn| !disabled.contains(upn))
            .collect())
    }

    /// The UPNs (lowercase) of these people's managers, where the directory names one; a
    /// person it cannot read is passed over.
    pub async fn managers_of(&self, people: &[String]) -> Result<Vec<String>, DirectoryError> {
        let token = self.tokens.token().await?;
        let mut managers = Vec::new();
        for person in people {
            match self.graph.manager(&token, person).await {
                Ok(found) => {
                    if let Some(DirectoryObject::User(manager)) = found.value {
                        managers.extend(manager.user_principal_name.map(|upn| upn.to_lowercase()));
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot read a manager from the directory"),
            }
        }
        Ok(managers)
    }
}

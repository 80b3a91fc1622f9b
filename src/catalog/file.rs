//! The catalog file (`[catalog] file`): what an operator adds to the catalog Graph lists.
//!
//! Owns the file's format, its checks, and how it is applied on top of each Graph snapshot. It is
//! TOML, one `[[resource]]` table per entry, each either annotating what Graph lists (`match`)
//! or declaring what Graph cannot list (`declare`):
//!
//! ```toml
//! # Other names and labels for something Graph lists, found by id, or by name (with kind and
//! # parent to narrow it down).
//! [[resource]]
//! match = { kind = "group", name = "GRP-FINANCE-BI-READ" }
//! aliases = ["Finance BI", "BI dashboards"]
//! tags = ["finance"]
//!
//! # Owners and a classification Graph does not know (shared mailboxes have no owners in Graph).
//! [[resource]]
//! match = { kind = "mailbox", name = "Support" }
//! owners = ["priya.nair@contoso.com"]
//! classification = "General"
//!
//! [[resource]]
//! match = { kind = "library", name = "Documents", parent = "Finance" }
//! aliases = ["finance documents"]
//!
//! # Something Graph cannot list, described in full.
//! [[resource]]
//! declare = { kind = "mailbox", id = "a0c1...", name = "Payroll", mail = "payroll@contoso.com", owners = ["david.okafor@contoso.com"], classification = "Confidential" }
//! aliases = ["payroll inbox"]
//! ```
//!
//! - `match` takes `id`, `kind`, `name` (compared without regard to case) and `parent` (the name
//!   or id of a channel's team or a library's site); it needs `id` or `name`, and every key given
//!   must fit. It may apply to several entries (`{ name = "Finance" }` is the group, the team
//!   and the site). Beside it: `aliases` and `tags` (added), `owners` (UPNs, added) and
//!   `classification` (replaces Graph's).
//! - `declare` takes `kind`, `id`, `name` (required), `mail`, `description`, `visibility`,
//!   `classification`, `owners` (UPNs), `group_id`, `web_url`, and `parent = { kind, id, name }`
//!   for a channel (its team) or a library (its site). Beside it: `aliases` and `tags`. When
//!   Graph lists the same kind and id, the two merge: what Graph says stands, the declaration
//!   fills what Graph left out, a different declared name becomes an alias, and owners, aliases
//!   and tags are added together.
//!
//! Errors in the file (unknown keys, missing or conflicting keys) name the line and the entry and
//! are refused when the file is loaded. What can only be judged against a snapshot is a
//! [`FileWarning`], never an error: a `match` that matches nothing, an owner who is not a person
//! of the tenant. Must not: read Graph, or change an entry the file does not select.

mod apply;
mod parse;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::catalog::Resource;
use crate::catalog::sync::Snapshot;
use crate::domain::resource::ResourceKind;

/// A loaded catalog file, checked and ready to apply to any snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogFile {
    entries: Vec<Entry>,
}

/// Why a catalog file was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogFileError {
    #[error("cannot read catalog file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("catalog file {path}: line {line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Something in the file that did not fit the snapshot it was applied to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileWarning {
    /// The line of the `[[resource]]` entry.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for FileWarning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "line {}: {}", self.line, self.message)
    }
}

/// One `[[resource]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    /// Where the entry starts, for warnings.
    line: usize,
    rule: Rule,
    aliases: Vec<String>,
    tags: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Rule {
    /// Annotates every listed entry the selector fits.
    Annotate {
        selector: Selector,
        owners: Vec<String>,
        classification: Option<String>,
    },
    /// Adds an entry, or fills in the listed one of the same kind and id.
    Declare {
        /// Without owners: they are UPNs, resolved against each snapshot's people.
        resource: Box<Resource>,
        owners: Vec<String>,
    },
}

/// Which listed entries a `match` selects.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Selector {
    id: Option<String>,
    kind: Option<ResourceKind>,
    name: Option<String>,
    parent: Option<String>,
}

impl CatalogFile {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Self, CatalogFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Reads and checks the file at `path` when it exists. The file is optional: `None` means
    /// there is none to apply (the caller says so in a warning), while a file that exists and
    /// cannot be read or is invalid is still an error.
    pub fn load_if_present(path: &Path) -> Result<Option<Self>, CatalogFileError> {
        match Self::load(path) {
            Ok(file) => Ok(Some(file)),
            Err(CatalogFileError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Checks catalog file text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, CatalogFileError> {
        parse::entries(text)
            .map(|entries| CatalogFile { entries })
            .map_err(|invalid| CatalogFileError::Invalid {
                path: path.to_owned(),
                line: invalid.line,
                message: invalid.message,
            })
    }

    /// The snapshot with the file applied, and what in the file did not fit it. Entries stay
    /// in catalog order.
    pub fn apply(&self, snapshot: Snapshot) -> (Snapshot, Vec<FileWarning>) {
        apply::apply(&self.entries, snapshot)
    }

    /// How many `[[resource]]` entries the file has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Selector {
    fn fits(&self, entry: &Resource) -> bool {
        let same = |wanted: &Option<String>, actual: &str| {
            wanted
                .as_deref()
                .is_none_or(|wanted| wanted.trim().eq_ignore_ascii_case(actual.trim()))
        };
        self.kind.is_none_or(|kind| kind == entry.kind)
            && same(&self.id, &entry.id)
            && same(&self.name, &entry.name)
            && self.parent.as_deref().is_none_or(|wanted| {
                entry.parent.as_ref().is_some_and(|parent| {
                    parent.name.trim().eq_ignore_ascii_case(wanted.trim())
                        || parent.id.eq_ignore_ascii_case(wanted.trim())
                })
            })
    }
}

impl fmt::Display for Selector {
    /// `group "GRP-FINANCE-BI-READ"`, `library "Documents" of "Finance"`, `anything with id
    /// 2222...`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, &self.name, &self.id) {
            (Some(kind), Some(name), _) => write!(formatter, "{kind} {name:?}")?,
            (None, Some(name), _) => write!(formatter, "anything named {name:?}")?,
            (Some(kind), None, Some(id)) => write!(formatter, "{kind} with id {id}")?,
            (None, None, Some(id)) => write!(formatter, "anything with id {id}")?,
            (Some(kind), None, None) => write!(formatter, "{kind}")?,
            (None, None, None) => write!(formatter, "anything")?,
        }
        match &self.parent {
            Some(parent) => write!(formatter, " of {parent:?}"),
            None => Ok(()),
        }
    }
}

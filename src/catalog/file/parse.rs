//! From the file's text to checked entries. serde checks the shape (an unknown key is refused
//! with its line and entry); the rest is checked here, each refusal naming the entry's line.

use serde::Deserialize;
use toml::Spanned;

use super::{Entry, Rule, Selector};
use crate::catalog::{Origin, ParentRef, Resource};
use crate::domain::resource::ResourceKind;

/// Why the text was refused, and where.
#[derive(Debug)]
pub(super) struct Invalid {
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    #[serde(default)]
    resource: Vec<Spanned<EntryText>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryText {
    #[serde(rename = "match")]
    selector: Option<MatchText>,
    declare: Option<DeclareText>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    owners: Option<Vec<String>>,
    classification: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchText {
    id: Option<String>,
    kind: Option<ResourceKind>,
    name: Option<String>,
    parent: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclareText {
    kind: ResourceKind,
    id: String,
    name: String,
    mail: Option<String>,
    description: Option<String>,
    visibility: Option<String>,
    classification: Option<String>,
    #[serde(default)]
    owners: Vec<String>,
    group_id: Option<String>,
    web_url: Option<String>,
    parent: Option<ParentText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParentText {
    kind: ResourceKind,
    id: String,
    name: String,
}

pub(super) fn entries(text: &str) -> Result<Vec<Entry>, Invalid> {
    let file: FileText =
        serde_path_to_error::deserialize(toml::Deserializer::new(text)).map_err(|error| {
            let inner_message = one_line(error.inner().message());
            let path = describe_path(&error.path().to_string(), &inner_message);
            let inner = error.into_inner();
            Invalid {
                line: inner.span().map_or(1, |span| line_of(text, span.start)),
                message: match path {
                    Some(path) => format!("{path}: {inner_message}"),
                    None => inner_message,
                },
            }
        })?;
    let mut entries: Vec<Entry> = Vec::with_capacity(file.resource.len());
    for (index, spanned) in file.resource.into_iter().enumerate() {
        let line = line_of(text, spanned.span().start);
        let refuse = |message: String| Invalid {
            line,
            message: format!("resource #{}: {message}", index + 1),
        };
        let entry = entry(spanned.into_inner(), line).map_err(refuse)?;
        if let Rule::Declare { resource, .. } = &entry.rule {
            let earlier = entries.iter().find(|earlier| match &earlier.rule {
                Rule::Declare {
                    resource: other, ..
                } => other.kind == resource.kind && other.id.eq_ignore_ascii_case(&resource.id),
                Rule::Annotate { .. } => false,
            });
            if let Some(earlier) = earlier {
                return Err(refuse(format!(
                    "declares the {} {} that line {} already declares",
                    resource.kind, resource.id, earlier.line
                )));
            }
        }
        entries.push(entry);
    }
    Ok(entries)
}

fn entry(text: EntryText, line: usize) -> Result<Entry, String> {
    let aliases = words("aliases", text.aliases)?;
    let tags = words("tags", text.tags)?;
    let rule = match (text.selector, text.declare) {
        (Some(_), Some(_)) => {
            return Err(
                "give either match (to annotate what Graph lists) or declare (to add \
                 what it cannot), not both"
                    .to_owned(),
            );
        }
        (None, None) => {
            return Err(
                "needs match (to annotate what Graph lists) or declare (to add what \
                 it cannot)"
                    .to_owned(),
            );
        }
        (Some(selector), None) => {
            let selector = selector_of(selector)?;
            let owners = upns(text.owners.unwrap_or_default())?;
            let classification = optional_word("classification", text.classification)?;
            if aliases.is_empty()
                && tags.is_empty()
                && owners.is_empty()
                && classification.is_none()
            {
                return Err(format!(
                    "the match on {selector} changes nothing: give aliases, tags, owners or \
                     a classification"
                ));
            }
            Rule::Annotate {
                selector,
                owners,
                classification,
            }
        }
        (None, Some(declared)) => {
            if text.owners.is_some() || text.classification.is_some() {
                return Err(
                    "owners and classification of a declared resource go inside \
                     declare = { ... }"
                        .to_owned(),
                );
            }
            declared_of(declared)?
        }
    };
    Ok(Entry {
        line,
        rule,
        aliases,
        tags,
    })
}

fn selector_of(text: MatchText) -> Result<Selector, String> {
    let id = optional_word("match.id", text.id)?;
    let name = optional_word("match.name", text.name)?;
    let parent = optional_word("match.parent", text.parent)?;
    if id.is_none() && name.is_none() {
        return Err("match needs an id or a name".to_owned());
    }
    if let (Some(kind), Some(_)) = (text.kind, &parent) {
        if !matches!(kind, ResourceKind::Channel | ResourceKind::Library) {
            return Err(format!(
                "match.parent: a {kind} has no parent; only channels (their team) and \
                 libraries (their site) do"
            ));
        }
    }
    Ok(Selector {
        id,
        kind: text.kind,
        name,
        parent,
    })
}

fn declared_of(text: DeclareText) -> Result<Rule, String> {
    let id = required_word("declare.id", text.id)?;
    let name = required_word("declare.name", text.name)?;
    let parent = match (text.kind, text.parent) {
        (ResourceKind::Channel, Some(parent)) if parent.kind == ResourceKind::Team => Some(parent),
        (ResourceKind::Library, Some(parent)) if parent.kind == ResourceKind::Site => Some(parent),
        (ResourceKind::Channel, Some(_)) => {
            return Err("declare.parent: a channel's parent is its team (kind = \"team\")".into());
        }
        (ResourceKind::Library, Some(_)) => {
            return Err("declare.parent: a library's parent is its site (kind = \"site\")".into());
        }
        (kind, Some(_)) => {
            return Err(format!(
                "declare.parent: a {kind} has no parent; only channels and libraries do"
            ));
        }
        (_, None) => None,
    };
    let mut resource = Resource::new(text.kind, id, name);
    resource.mail = optional_word("declare.mail", text.mail)?;
    resource.description = optional_word("declare.description", text.description)?;
    resource.visibility = optional_word("declare.visibility", text.visibility)?;
    resource.classification = optional_word("declare.classification", text.classification)?;
    resource.group_id = optional_word("declare.group_id", text.group_id)?;
    resource.web_url = optional_word("declare.web_url", text.web_url)?;
    resource.origin = Origin::File;
    if let Some(parent) = parent {
        resource.parent = Some(ParentRef {
            kind: parent.kind,
            id: required_word("declare.parent.id", parent.id)?,
            name: required_word("declare.parent.name", parent.name)?,
        });
    }
    Ok(Rule::Declare {
        resource: Box::new(resource),
        owners: upns(text.owners)?,
    })
}

/// Names and labels: each trimmed, none empty.
fn words(key: &str, values: Vec<String>) -> Result<Vec<String>, String> {
    values
        .into_iter()
        .map(|value| required_word(key, value))
        .collect()
}

fn upns(values: Vec<String>) -> Result<Vec<String>, String> {
    values
        .into_iter()
        .map(|value| {
            let upn = required_word("owners", value)?;
            let (user, domain) = upn.split_once('@').unwrap_or_default();
            if user.is_empty() || domain.is_empty() || upn.contains(char::is_whitespace) {
                return Err(format!(
                    "owners: {upn:?} is not a user principal name (name@domain)"
                ));
            }
            Ok(upn)
        })
        .collect()
}

fn required_word(key: &str, value: String) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(format!("{key} must not be empty"));
    }
    Ok(trimmed.to_owned())
}

fn optional_word(key: &str, value: Option<String>) -> Result<Option<String>, String> {
    value.map(|value| required_word(key, value)).transpose()
}

/// `resource[1].match` becomes `resource #2: match`; the top level becomes nothing. Segments
/// the toml crate adds for its spans are dropped, and so is a last segment that the message
/// names already (`unknown field `nmae``).
fn describe_path(path: &str, message: &str) -> Option<String> {
    let mut parts = Vec::new();
    for segment in path.split('.') {
        if segment.is_empty() || segment.starts_with("$__") {
            continue;
        }
        match segment
            .split_once('[')
            .and_then(|(name, rest)| Some((name, rest.strip_suffix(']')?.parse::<usize>().ok()?)))
        {
            Some((name, index)) => parts.push(format!("{name} #{}", index + 1)),
            None => parts.push(segment.to_owned()),
        }
    }
    if parts
        .last()
        .is_some_and(|last| message.contains(&format!("`{last}`")))
    {
        parts.pop();
    }
    (!parts.is_empty()).then(|| parts.join(": "))
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

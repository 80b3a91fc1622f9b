//! Binding a request's `Parameters` to a cmdlet's, as PowerShell does: names match without
//! regard to case, an unknown name or a missing mandatory one is a `ParameterBindingException`,
//! and each value must have its parameter's type. Handlers then read typed values from
//! [`Bound`] and never see JSON they did not ask for.

use serde_json::{Map, Value};

use super::answer::ExoError;

/// A parameter's type, as the JSON of a `CmdletInput` carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string: an identity, an address, a rule name.
    Text,
    /// A string or a list of strings (`AccessRights`).
    Texts,
    /// `true` or `false` (`Confirm`, `AutoMapping`, `BypassSecurityGroupManagerCheck`).
    Switch,
    /// A list of strings, or an `Exchange.GenericHashTable` with `add` and `remove` lists
    /// (`GrantSendOnBehalfTo`); the cmdlet reads its shape.
    MultiValued,
    /// A positive number or `"Unlimited"` (`ResultSize`).
    Size,
}

/// One parameter of a cmdlet.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub mandatory: bool,
}

pub const fn optional(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        kind,
        mandatory: false,
    }
}

pub const fn mandatory(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        kind,
        mandatory: true,
    }
}

/// The parameters a call bound, under their canonical names.
#[derive(Debug, Clone, Default)]
pub struct Bound {
    values: Vec<(&'static str, Value)>,
}

impl Bound {
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(bound, _)| bound.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// A `Text` parameter (a mandatory one is always there after binding).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.value(name).and_then(Value::as_str)
    }

    /// A `Texts` parameter as a list.
    pub fn texts(&self, name: &str) -> Vec<String> {
        match self.value(name) {
            Some(Value::String(text)) => vec![text.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A `Switch` parameter: false when absent.
    pub fn switch(&self, name: &str) -> bool {
        self.value(name).and_then(Value::as_bool).unwrap_or(false)
    }

    /// `ResultSize`: how many objects to answer at most (`None`: all).
    pub fn result_size(&self) -> Option<usize> {
        self.value("ResultSize")
            .and_then(Value::as_u64)
            .and_then(|size| usize::try_from(size).ok())
    }
}

/// Binds `given` to `params`; `allowed`, when given, narrows the names accepted further (a v2.0
/// endpoint accepts only some of a cmdlet's parameters).
pub fn bind(
    params: &[Param],
    allowed: Option<&[&str]>,
    given: &Map<String, Value>,
) -> Result<Bound, ExoError> {
    let mut bound = Bound::default();
    for (name, value) in given {
        let param = params
            .iter()
            .find(|param| param.name.eq_ignore_ascii_case(name))
            .filter(|param| {
                allowed.is_none_or(|allowed| {
                    allowed
                        .iter()
                        .any(|accepted| accepted.eq_ignore_ascii_case(param.name))
                })
            })
            .ok_or_else(|| {
                ExoError::binding(
                    name,
                    format!("A parameter cannot be found that matches parameter name '{name}'."),
                )
            })?;
        check_kind(param, value)?;
        bound.values.push((param.name, value.clone()));
    }
    let missing: Vec<&str> = params
        .iter()
        .filter(|param| param.mandatory && bound.value(param.name).is_none())
        .map(|param| param.name)
        .collect();
    if let Some(first) = missing.first() {
        return Err(ExoError::binding(
            first,
            format!(
                "Cannot process command because of one or more missing mandatory parameters: {}.",
                missing.join(" ")
            ),
        ));
    }
    Ok(bound)
}

fn check_kind(param: &Param, value: &Value) -> Result<(), ExoError> {
    let strings = |items: &Vec<Value>| items.iter().all(Value::is_string);
    let fits = match param.kind {
        Kind::Text => value.as_str().is_some_and(|text| !text.trim().is_empty()),
        Kind::Texts => match value {
            Value::String(_) => true,
            Value::Array(items) => !items.is_empty() && strings(items),
            _ => false,
        },
        Kind::Switch => value.is_boolean(),
        Kind::MultiValued => match value {
            Value::String(_) => true,
            Value::Array(items) => strings(items),
            Value::Object(_) => true,
            _ => false,
        },
        Kind::Size => {
            value.as_u64().is_some_and(|size| size > 0)
                || value
                    .as_str()
                    .is_some_and(|text| text.eq_ignore_ascii_case("Unlimited"))
        }
    };
    if fits {
        return Ok(());
    }
    let expected = match param.kind {
        Kind::Text => "System.String",
        Kind::Texts => "System.String[]",
        Kind::Switch => "System.Management.Automation.SwitchParameter",
        Kind::MultiValued => "Microsoft.Exchange.Data.MultiValuedProperty",
        Kind::Size => "Microsoft.Exchange.Data.Unlimited",
    };
    Err(ExoError::binding(
        param.name,
        format!(
            "Cannot bind parameter '{}'. Cannot convert the \"{}\" value to type \"{expected}\".",
            param.name,
            value.to_string().replace('|', "/")
        ),
    ))
}

//! Exchange's answers: `{"@odata.context", "value": [...]}` with `@adminapi.warnings` where a
//! cmdlet warns instead of failing, and the error body every failure carries.
//!
//! A cmdlet's failure names the .NET exception Exchange threw inside `error.details[].message`,
//! as `Ex…|Full.Type.NameException|sentence` (three parts split by `|`, the form Microsoft's
//! own module and other clients parse): the type name is the stable part to match on. Failures
//! before a cmdlet runs (token, scope, routing header, throttling, a body that is not a
//! command) carry a plain sentence there instead.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A .NET exception an Exchange cmdlet throws, with the HTTP status the admin API answers it
/// with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    /// An identity that names nothing the cmdlet can act on: 404.
    ManagementObjectNotFound,
    /// An identity that names more than one recipient.
    ManagementObjectAmbiguous,
    /// `Add-DistributionGroupMember` of someone already a member.
    MemberAlreadyExists,
    /// `Remove-DistributionGroupMember` of someone who is not a member.
    MemberNotFound,
    /// The caller may not change this list's membership (not one of its `ManagedBy`): 403.
    OperationRequiresGroupManager,
    /// The caller's role does not allow the cmdlet (or the parameter) on this object: 403.
    CmdletAccessDenied,
    /// An unknown or missing parameter, or a value of the wrong type.
    ParameterBinding,
    /// A cmdlet that does not exist (or that this endpoint does not run).
    CommandNotFound,
    /// `Add-MailboxFolderPermission` for a user who already has an entry.
    UserAlreadyExistsInPermissionEntry,
    /// `Set-`/`Remove-MailboxFolderPermission` for a user without an entry.
    UserNotFoundInPermissionEntry,
    /// A new address another recipient already holds.
    ProxyAddressExists,
    /// A value Exchange refuses: a malformed address, a domain that is not accepted.
    DataValidation,
    /// An operation on something that cannot take it (the Default folder entry).
    InvalidOperation,
    /// Something real Exchange does that the simulator does not hold; the sentence says what.
    NotSupported,
}

impl Exception {
    pub fn type_name(self) -> &'static str {
        match self {
            Exception::ManagementObjectNotFound => {
                "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
            }
            Exception::ManagementObjectAmbiguous => {
                "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException"
            }
            Exception::MemberAlreadyExists => {
                "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException"
            }
            Exception::MemberNotFound => {
                "Microsoft.Exchange.Management.Tasks.MemberNotFoundException"
            }
            Exception::OperationRequiresGroupManager => {
                "Microsoft.Exchange.Configuration.Tasks.OperationRequiresGroupManagerException"
            }
            Exception::CmdletAccessDenied => {
                "Microsoft.Exchange.Configuration.Tasks.CmdletAccessDeniedException"
            }
            Exception::ParameterBinding => "System.Management.Automation.ParameterBindingException",
            Exception::CommandNotFound => "System.Management.Automation.CommandNotFoundException",
            Exception::UserAlreadyExistsInPermissionEntry => {
                "Microsoft.Exchange.Management.StoreTasks.UserAlreadyExistsInPermissionEntryException"
            }
            Exception::UserNotFoundInPermissionEntry => {
                "Microsoft.Exchange.Management.StoreTasks.UserNotFoundInPermissionEntryException"
            }
            Exception::ProxyAddressExists => {
                "Microsoft.Exchange.Data.Directory.ProxyAddressExistsException"
            }
            Exception::DataValidation => "Microsoft.Exchange.Data.DataValidationException",
            Exception::InvalidOperation => "System.InvalidOperationException",
            Exception::NotSupported => "System.NotSupportedException",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Exception::ManagementObjectNotFound => StatusCode::NOT_FOUND,
            Exception::OperationRequiresGroupManager | Exception::CmdletAccessDenied => {
                StatusCode::FORBIDDEN
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The opaque `Ex…` code before the type name: stable per exception, derived here from its
    /// name (clients match the type name, never this).
    fn code(self) -> String {
        let digest = Sha256::digest(self.type_name().as_bytes());
        format!("Ex{:02X}{:02X}{:02X}", digest[0], digest[1], digest[2])
    }
}

/// A failed call: its status and Exchange's error body.
#[derive(Debug, Clone)]
pub struct ExoError {
    pub status: StatusCode,
    code: &'static str,
    message: String,
    /// The exception a cmdlet threw; `None` for failures before any cmdlet ran.
    pub exception: Option<Exception>,
    /// The parameter the failure is about, for binding errors.
    target: String,
}

impl ExoError {
    /// A failure of the request itself, before any cmdlet ran.
    pub fn request(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ExoError {
            status,
            code,
            message: message.into(),
            exception: None,
            target: String::new(),
        }
    }

    /// A cmdlet threw `exception`. Sentences must not hold `|`, which separates the parts.
    pub fn cmdlet(exception: Exception, message: impl Into<String>) -> Self {
        let status = exception.status();
        let code = match status {
            StatusCode::NOT_FOUND => "NotFound",
            StatusCode::FORBIDDEN => "Forbidden",
            _ => "BadRequest",
        };
        ExoError {
            status,
            code,
            message: message.into().replace('|', "/"),
            exception: Some(exception),
            target: String::new(),
        }
    }

    /// The same, about parameter `target`.
    pub fn about(mut self, target: &str) -> Self {
        self.target = target.to_owned();
        self
    }

    /// An identity that names nothing the cmdlet can act on.
    pub fn not_found(identity: &str) -> Self {
        Self::cmdlet(
            Exception::ManagementObjectNotFound,
            format!(
                "The operation couldn't be performed because object '{identity}' couldn't be found on '{DOMAIN_CONTROLLER}'."
            ),
        )
    }

    pub fn binding(parameter: &str, message: impl Into<String>) -> Self {
        Self::cmdlet(Exception::ParameterBinding, message).about(parameter)
    }

    /// The body Exchange sends.
    pub fn body(&self) -> Value {
        let detail = match self.exception {
            Some(exception) => format!(
                "{}|{}|{}",
                exception.code(),
                exception.type_name(),
                self.message
            ),
            None => self.message.clone(),
        };
        json!({"error": {
            "code": self.code,
            "message": detail,
            "details": [{"code": self.code, "target": self.target, "message": detail}],
            "innererror": {
                "message": self.message,
                "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            },
        }})
    }
}

/// The domain controller Exchange names in "couldn't be found on" sentences.
const DOMAIN_CONTROLLER: &str = "SIM01A001DC01.SIMPRD01.PROD.OUTLOOK.COM";

/// A successful answer's body: the objects the cmdlet returned, and its warnings if any.
pub fn success(context: &str, value: Vec<Value>, warnings: &[String]) -> Value {
    let mut body = json!({"@odata.context": context, "value": value});
    if !warnings.is_empty() {
        body["adminapi.warnings@odata.type"] = json!("#Collection(String)");
        body["@adminapi.warnings"] = json!(warnings);
    }
    body
}

//! What the directory says about a person's sign-in trouble (DESIGN.md section 10), read with
//! the app-only token: whether the account is enabled, the methods it can sign in with,
//! whether it is an administrator's, and its latest sign-ins (Graph has no lockout property:
//! a lockout shows only as a 50053 sign-in). From that and the person's words,
//! [`Findings::case`] says which of the seven cases it is.

use crate::domain::request::{LostMethod, RecoveryCase};
use crate::graph::GraphError;
use crate::graph::model::{AuthenticationMethod, DirectoryObject, SignIn};

use super::{Directory, DirectoryError};

/// Sign-in error codes (Entra's AADSTS numbers) the cases are told apart by.
pub const LOCKED_OUT: i64 = 50053;
pub const WRONG_PASSWORD: i64 = 50126;
pub const PASSWORD_EXPIRED: i64 = 50055;
pub const BLOCKED_BY_CONDITIONAL_ACCESS: i64 = 53003;

/// How many of the latest sign-ins are read.
const SIGN_INS_READ: u32 = 10;

/// What the person said is wrong, as the words put it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Complaint {
    /// "I forgot my password", "reset my password".
    Password,
    /// "I'm locked out", "I can't sign in".
    CannotSignIn,
    /// "I lost my phone", "my authenticator is gone".
    LostMethod,
}

/// The sign-in log, when the tenant has one to read.
#[derive(Clone, Debug)]
pub enum SignInLog {
    /// The latest sign-ins, newest first.
    Read(Vec<SignIn>),
    /// Graph refused (no premium licence, or no permission): the words decide.
    Unavailable,
}

/// What the investigation found.
#[derive(Clone, Debug)]
pub struct Findings {
    pub enabled: bool,
    /// Graph's names of the registered methods (`password`, `microsoftAuthenticator`, ...).
    pub methods: Vec<String>,
    /// A method that signs in without the password (Authenticator phone sign-in, FIDO2,
    /// Windows Hello).
    pub passwordless: bool,
    /// The methods on a phone, which a lost phone takes with it.
    pub phone_methods: Vec<LostMethod>,
    /// A directory role, or membership of a role-assignable group.
    pub privileged: bool,
    pub sign_ins: SignInLog,
}

/// Which of the seven cases a request is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Case {
    /// A change, once the requester is verified.
    Change(RecoveryCase),
    /// Blocked by Conditional Access: nothing to change; `policy` names what applied and
    /// `controls` what would satisfy it.
    ConditionalAccess {
        policy: Option<String>,
        controls: Vec<String>,
    },
    /// Not locked, not expired: the last sign-in failed on a mistyped password.
    WrongPassword,
    /// Not locked, not expired, and the last sign-in worked.
    NothingWrong,
    /// Not locked, not expired: the last sign-in failed for another reason (its code and
    /// Entra's words).
    OtherFailure { code: i64, reason: Option<String> },
    /// The account is disabled: only an administrator can enable it.
    Disabled,
}

impl Findings {
    /// The latest failed sign-in's error code, if the log was read and the latest sign-in
    /// failed.
    fn latest_failure(&self) -> Option<&SignIn> {
        match &self.sign_ins {
            SignInLog::Read(entries) => entries
                .iter()
                .max_by_key(|entry| entry.created_date_time)
                .filter(|latest| latest.status.error_code != 0),
            SignInLog::Unavailable => None,
        }
    }

    /// A passwordless method that is not on a phone (a security key, Windows Hello): what a
    /// person who lost their phone can still sign in with.
    pub fn passwordless_off_phone(&self) -> bool {
        self.methods
            .iter()
            .any(|method| method == "fido2" || method == "windowsHelloForBusiness")
    }

    fn log_read(&self) -> bool {
        matches!(self.sign_ins, SignInLog::Read(_))
    }

    /// The case: what the investigation found decides, the words only where it found nothing
    /// (a lockout or an expiry shows only in the sign-ins; without them the words stand).
    pub fn case(&self, complaint: Complaint) -> Case {
        if !self.enabled {
            return Case::Disabled;
        }
        let latest = self.latest_failure();
        let code = latest.map(|entry| entry.status.error_code);
        match (complaint, code) {
            (Complaint::LostMethod, _) => Case::Change(RecoveryCase::LostMfa),
            (_, Some(LOCKED_OUT)) => Case::Change(RecoveryCase::LockedOut),
            (_, Some(PASSWORD_EXPIRED)) => Case::Change(RecoveryCase::ExpiredPassword),
            (Complaint::Password, _) => Case::Change(RecoveryCase::ForgotPassword),
            (Complaint::CannotSignIn, Some(BLOCKED_BY_CONDITIONAL_ACCESS)) => {
                let applied = latest
                    .map(|entry| {
                        entry
                            .applied_conditional_access_policies
                            .iter()
                            .filter(|policy| policy.result.as_deref() == Some("failure"))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                Case::ConditionalAccess {
                    policy: applied
                        .first()
                        .and_then(|policy| policy.display_name.clone()),
                    controls: applied
                        .iter()
                        .flat_map(|policy| policy.enforced_grant_controls.iter().cloned())
                        .collect(),
                }
            }
            (Complaint::CannotSignIn, Some(WRONG_PASSWORD)) => Case::WrongPassword,
            (Complaint::CannotSignIn, Some(code)) => Case::OtherFailure {
                code,
                reason: latest.and_then(|entry| entry.status.failure_reason.clone()),
            },
            (Complaint::CannotSignIn, None) if self.log_read() => Case::NothingWrong,
            // No log to read: a person who says they are locked out is taken at their word
            // (verification still comes first).
            (Complaint::CannotSignIn, None) => Case::Change(RecoveryCase::LockedOut),
        }
    }
}

impl Directory {
    /// Reads what the recovery of `user_id`'s sign-in depends on. Sign-in logs Graph refuses
    /// (403: no premium licence) are [`SignInLog::Unavailable`], not an error.
    pub async fn investigate(&self, user_id: &str) -> Result<Findings, DirectoryError> {
        let token = self.tokens.token().await?;
        let failed = |source| DirectoryError::Graph {
            who: user_id.to_owned(),
            source,
        };
        let user = self
            .graph
            .user(&token, user_id, &["id", "accountEnabled"])
            .await
            .map_err(failed)?
            .value;
        let methods = self
            .graph
            .authentication_methods(&token, user_id)
            .await
            .map_err(failed)?
            .value;
        let memberships = self
            .graph
            .member_of(&token, user_id)
            .await
            .map_err(failed)?
            .value;
        let sign_ins = match self.graph.sign_ins(&token, &user.id, SIGN_INS_READ).await {
            Ok(found) => SignInLog::Read(found.value),
            Err(GraphError::Forbidden(_)) => SignInLog::Unavailable,
            Err(error) => return Err(failed(error)),
        };
        let privileged = memberships.iter().any(|object| match object {
            DirectoryObject::DirectoryRole(_) => true,
            DirectoryObject::Group(group) => group.is_assignable_to_role == Some(true),
            _ => false,
        });
        Ok(Findings {
            enabled: user.account_enabled == Some(true),
            methods: methods
                .iter()
                .map(|method| method_name(method).to_owned())
                .collect(),
            passwordless: methods.iter().any(|method| {
                matches!(
                    method,
                    AuthenticationMethod::MicrosoftAuthenticator(_)
                        | AuthenticationMethod::Fido2(_)
                        | AuthenticationMethod::WindowsHelloForBusiness(_)
                )
            }),
            phone_methods: methods.iter().filter_map(on_a_phone).collect(),
            privileged,
            sign_ins,
        })
    }
}

/// Graph's name for a method's kind.
fn method_name(method: &AuthenticationMethod) -> &'static str {
    match method {
        AuthenticationMethod::Password(_) => "password",
        AuthenticationMethod::MicrosoftAuthenticator(_) => "microsoftAuthenticator",
        AuthenticationMethod::Phone(_) => "phone",
        AuthenticationMethod::Fido2(_) => "fido2",
        AuthenticationMethod::Email(_) => "email",
        AuthenticationMethod::SoftwareOath(_) => "softwareOath",
        AuthenticationMethod::TemporaryAccessPass(_) => "temporaryAccessPass",
        AuthenticationMethod::WindowsHelloForBusiness(_) => "windowsHelloForBusiness",
        AuthenticationMethod::Other { .. } => "other",
    }
}

/// A method a lost phone takes with it: the Authenticator app, a phone number, an
/// authenticator app's codes.
fn on_a_phone(method: &AuthenticationMethod) -> Option<LostMethod> {
    let (collection, label) = match method {
        AuthenticationMethod::MicrosoftAuthenticator(_) => {
            ("microsoftAuthenticatorMethods", "Microsoft Authenticator")
        }
        AuthenticationMethod::Phone(_) => ("phoneMethods", "phone number"),
        AuthenticationMethod::SoftwareOath(_) => ("softwareOathMethods", "authenticator app codes"),
        _ => return None,
    };
    Some(LostMethod {
        collection: collection.to_owned(),
        id: method.id().to_owned(),
        label: label.to_owned(),
    })
}

#[cfg(test)]
mod tests;

//! Authentication methods registered for a user, and the Temporary Access Pass.
//!
//! Owns the `@odata.type` dispatch of `authenticationMethod`. Must not: hold a pass or password
//! in anything but a `SecretString`, or derive `Serialize`/`PartialEq` on a type that does.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

use super::{TypedId, object_as};

/// A registered authentication method, by its `@odata.type`.
#[derive(Clone, Debug)]
pub enum AuthenticationMethod {
    Password(PasswordMethod),
    MicrosoftAuthenticator(MicrosoftAuthenticatorMethod),
    Phone(PhoneMethod),
    Fido2(Fido2Method),
    Email(EmailMethod),
    SoftwareOath(SoftwareOathMethod),
    TemporaryAccessPass(TemporaryAccessPass),
    WindowsHelloForBusiness(WindowsHelloForBusinessMethod),
    /// Any other kind (platform credential, QR code, external ...).
    Other {
        odata_type: Option<String>,
        id: String,
    },
}

/// The password "method"; its id is normally `28c10230-6103-485e-b985-444c60001490`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PasswordMethod {
    pub id: String,
    pub created_date_time: Option<DateTime<Utc>>,
}

/// The Microsoft Authenticator app on a device.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MicrosoftAuthenticatorMethod {
    pub id: String,
    pub display_name: Option<String>,
    pub device_tag: Option<String>,
    pub phone_app_version: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
}

/// A phone number for SMS or voice.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PhoneMethod {
    pub id: String,
    pub phone_number: Option<String>,
    /// `mobile`, `alternateMobile` or `office`.
    pub phone_type: Option<String>,
    pub sms_sign_in_state: Option<String>,
}

/// A FIDO2 security key.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Fido2Method {
    pub id: String,
    pub display_name: Option<String>,
    pub model: Option<String>,
    pub aa_guid: Option<String>,
    pub attestation_level: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
}

/// An email address used for self-service password reset.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EmailMethod {
    pub id: String,
    pub email_address: Option<String>,
}

/// A software OATH token.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SoftwareOathMethod {
    pub id: String,
}

/// Windows Hello for Business on a device.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WindowsHelloForBusinessMethod {
    pub id: String,
    pub display_name: Option<String>,
    pub key_strength: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
}

/// A Temporary Access Pass. The pass itself is present only in the answer to its creation.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryAccessPass {
    pub id: String,
    pub temporary_access_pass: Option<SecretString>,
    pub created_date_time: Option<DateTime<Utc>>,
    pub start_date_time: Option<DateTime<Utc>>,
    pub lifetime_in_minutes: Option<i32>,
    pub is_usable_once: Option<bool>,
    pub is_usable: Option<bool>,
    /// Why the pass can or cannot be used now (`NotYetValid`, `Expired` ...).
    pub method_usability_reason: Option<String>,
}

impl AuthenticationMethod {
    /// The method's id, whatever its kind.
    pub fn id(&self) -> &str {
        match self {
            AuthenticationMethod::Password(method) => &method.id,
            AuthenticationMethod::MicrosoftAuthenticator(method) => &method.id,
            AuthenticationMethod::Phone(method) => &method.id,
            AuthenticationMethod::Fido2(method) => &method.id,
            AuthenticationMethod::Email(method) => &method.id,
            AuthenticationMethod::SoftwareOath(method) => &method.id,
            AuthenticationMethod::TemporaryAccessPass(method) => &method.id,
            AuthenticationMethod::WindowsHelloForBusiness(method) => &method.id,
            AuthenticationMethod::Other { id, .. } => id,
        }
    }
}

impl<'de> Deserialize<'de> for AuthenticationMethod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use AuthenticationMethod as Method;
        let object = serde_json::Value::deserialize(deserializer)?;
        let odata_type = object.get("@odata.type").and_then(|kind| kind.as_str());
        match odata_type {
            Some("#microsoft.graph.passwordAuthenticationMethod") => {
                object_as(object).map(Method::Password)
            }
            Some("#microsoft.graph.microsoftAuthenticatorAuthenticationMethod") => {
                object_as(object).map(Method::MicrosoftAuthenticator)
            }
            Some("#microsoft.graph.phoneAuthenticationMethod") => {
                object_as(object).map(Method::Phone)
            }
            Some("#microsoft.graph.fido2AuthenticationMethod") => {
                object_as(object).map(Method::Fido2)
            }
            Some("#microsoft.graph.emailAuthenticationMethod") => {
                object_as(object).map(Method::Email)
            }
            Some("#microsoft.graph.softwareOathAuthenticationMethod") => {
                object_as(object).map(Method::SoftwareOath)
            }
            Some("#microsoft.graph.temporaryAccessPassAuthenticationMethod") => {
                object_as(object).map(Method::TemporaryAccessPass)
            }
            Some("#microsoft.graph.windowsHelloForBusinessAuthenticationMethod") => {
                object_as(object).map(Method::WindowsHelloForBusiness)
            }
            _ => object_as::<TypedId, D::Error>(object).map(|typed| Method::Other {
                odata_type: typed.odata_type,
                id: typed.id,
            }),
        }
    }
}

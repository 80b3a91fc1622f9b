//! Authentication method objects, built from the method names a tenant file lists.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The id Graph gives every user's password method.
pub const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

/// The method names a tenant file may list, as Graph's navigation properties spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    Password,
    MicrosoftAuthenticator,
    Phone,
    Fido2,
    Email,
    SoftwareOath,
    WindowsHelloForBusiness,
    TemporaryAccessPass,
}

impl MethodKind {
    pub const ALL: [MethodKind; 8] = [
        MethodKind::Password,
        MethodKind::MicrosoftAuthenticator,
        MethodKind::Phone,
        MethodKind::Fido2,
        MethodKind::Email,
        MethodKind::SoftwareOath,
        MethodKind::WindowsHelloForBusiness,
        MethodKind::TemporaryAccessPass,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MethodKind::Password => "password",
            MethodKind::MicrosoftAuthenticator => "microsoftAuthenticator",
            MethodKind::Phone => "phone",
            MethodKind::Fido2 => "fido2",
            MethodKind::Email => "email",
            MethodKind::SoftwareOath => "softwareOath",
            MethodKind::WindowsHelloForBusiness => "windowsHelloForBusiness",
            MethodKind::TemporaryAccessPass => "temporaryAccessPass",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name.trim()))
    }

    pub fn odata_type(self) -> String {
        format!("#microsoft.graph.{}AuthenticationMethod", self.name())
    }

    /// The per-type collection under `/authentication` (`phoneMethods`, `fido2Methods`, ...).
    pub fn collection(self) -> String {
        format!("{}Methods", self.name())
    }
}

/// One registered authentication method of a user.
#[derive(Debug, Clone)]
pub struct AuthMethod {
    pub kind: MethodKind,
    pub id: String,
    /// The Graph object, `@odata.type` included.
    pub object: Value,
}

impl AuthMethod {
    /// A plausible method of `kind` for the user, with an id stable across simulator runs.
    pub fn registered(
        kind: MethodKind,
        user_id: &str,
        user_display_name: &str,
        created: DateTime<Utc>,
    ) -> Self {
        let id = match kind {
            MethodKind::Password => PASSWORD_METHOD_ID.to_owned(),
            // Graph's fixed id for the mobile phone method.
            MethodKind::Phone => "3179e48a-750b-4051-897c-87b9720928f7".to_owned(),
            _ => stable_id(kind.name(), user_id),
        };
        let created_text = created.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut object = match kind {
            MethodKind::Password => json!({"password": null}),
            MethodKind::MicrosoftAuthenticator => json!({
                "displayName": format!("{user_display_name}'s phone"),
                "deviceTag": "SoftwareTokenActivated",
                "phoneAppVersion": "6.2401.0119",
            }),
            MethodKind::Phone => json!({
                "phoneNumber": "+1 5555550100",
                "phoneType": "mobile",
                "smsSignInState": "notAllowedByPolicy",
            }),
            MethodKind::Fido2 => json!({
                "displayName": "Security key",
                "aaGuid": "cb69481e-8ff7-4039-93ec-0a2729a154a8",
                "model": "YubiKey 5 NFC",
                "attestationLevel": "attested",
            }),
            MethodKind::Email => {
                json!({"emailAddress": format!("{}@personal.example", user_id.get(..8).unwrap_or(user_id))})
            }
            MethodKind::SoftwareOath => json!({"secretKey": null}),
            MethodKind::WindowsHelloForBusiness => json!({
                "displayName": "Work laptop",
                "keyStrength": "normal",
            }),
            MethodKind::TemporaryAccessPass => json!({
                "isUsable": false,
                "isUsableOnce": true,
                "lifetimeInMinutes": 60,
                "methodUsabilityReason": "Expired",
                "startDateTime": created_text,
            }),
        };
        if let Some(fields) = object.as_object_mut() {
            fields.insert("@odata.type".into(), json!(kind.odata_type()));
            fields.insert("id".into(), json!(id));
            fields.insert("createdDateTime".into(), json!(created_text));
        }
        AuthMethod { kind, id, object }
    }
}

/// A GUID derived from `kind` and `seed`, so simulated ids are the same on every run.
pub fn stable_id(kind: &str, seed: &str) -> String {
    let digest = Sha256::digest(format!("{kind}\u{0}{seed}").as_bytes());
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

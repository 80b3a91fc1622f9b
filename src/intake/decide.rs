//! From an understood intent to a decision: the intent's resource looked up in the catalog,
//! the requester's facts read from the directory, and the pure engine run on both. Shared by
//! the daemon's conversation and the `policy explain` and `policy test` commands, so the bot and
//! the commands can never disagree about a request.

use chrono::{DateTime, Utc};

use super::Intake;
use crate::catalog::Catalog;
use crate::directory::{Case, Complaint, DirectoryError, Findings, Profile};
use crate::domain::request::RecoveryCase;
use crate::domain::resource::ResourceKind;
use crate::intent::{Change, Intent};
use crate::policy::{
    ActionName, Decision, Denial, Facts, Layer, NewAddress, Request, Step, Verdict, decide,
};

/// A decision, with the requester as the directory described them for it (`None` when the
/// directory does not know them).
#[derive(Clone, Debug)]
pub struct Decided {
    pub decision: Decision,
    pub profile: Option<Profile>,
    /// For an account recovery of the requester's own: what the investigation found and the
    /// case it makes (which decided the action policy judged).
    pub recovery: Option<Assessment>,
}

/// An account recovery's investigation and the case it found.
#[derive(Clone, Debug)]
pub struct Assessment {
    pub findings: Findings,
    pub case: Case,
}

impl Assessment {
    /// What `policy explain` shows of it: the case, and what it was found from.
    pub fn to_json(&self) -> serde_json::Value {
        let case = match &self.case {
            Case::Change(case) => case.as_str().to_owned(),
            Case::ConditionalAccess { .. } => "conditional_access".to_owned(),
            Case::WrongPassword => "wrong_password".to_owned(),
            Case::NothingWrong => "nothing_wrong".to_owned(),
            Case::OtherFailure { .. } => "other_failure".to_owned(),
            Case::Disabled => "disabled".to_owned(),
        };
        let findings = &self.findings;
        serde_json::json!({
            "case": case,
            "changes": matches!(self.case, Case::Change(_)),
            "privileged": findings.privileged,
            "passwordless": findings.passwordless,
            "methods": findings.methods,
            "sign_in_logs": match findings.sign_ins {
                crate::directory::SignInLog::Read(_) => "read",
                crate::directory::SignInLog::Unavailable => "unavailable",
            },
        })
    }
}

impl From<Decision> for Decided {
    fn from(decision: Decision) -> Self {
        Decided {
            decision,
            profile: None,
            recovery: None,
        }
    }
}

impl Intake {
    /// The decision on `intent` asked by `upn`, or `None` when the intent is nothing policy
    /// governs (help, status, a question back). `tenant` is the Entra tenant the person asks
    /// from when the channel says (a Teams activity); `recent_requests` is how many requests
    /// the person made in the last hour before this one.
    pub async fn decide(
        &self,
        catalog: &Catalog,
        upn: &str,
        tenant: Option<&str>,
        intent: &Intent,
        recent_requests: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<Decided>, DirectoryError> {
        let mut request = Request {
            action: ActionName::Grant,
            resource: None,
            access: None,
            duration: None,
            has_reason: false,
            on_behalf_of: None,
            counterpart_internal: None,
            new_address: None,
            privileged: false,
        };
        let internal = |address: &Option<String>| {
            address
                .as_deref()
                .map(|address| catalog.holds_address(address))
        };
        let terms = match intent {
            Intent::Access(access) => {
                let Some(resource) =
                    catalog.get_recorded(access.resource.kind, &access.resource.id)
                else {
                    return Ok(Some(unknown_resource(&access.resource.name).into()));
                };
                request.action = match access.change {
                    Change::Grant => ActionName::Grant,
                    Change::Revoke => ActionName::Revoke,
                };
                request.resource = Some(resource);
                request.access = Some(access.access);
                &access.terms
            }
            Intent::ResetPassword { on_behalf_of }
            | Intent::UnlockAccount { on_behalf_of }
            | Intent::RecoverMfa { on_behalf_of } => {
                request.action = match intent {
                    Intent::ResetPassword { .. } => ActionName::ResetPassword,
                    Intent::UnlockAccount { .. } => ActionName::UnlockAccount,
                    _ => ActionName::RecoverMfa,
                };
                request.on_behalf_of = on_behalf_of.as_deref();
                // Someone else's account is refused before anything of it is read.
                let assessment = match on_behalf_of {
                    Some(_) => None,
                    None => Some(self.assess(upn, intent).await?),
                };
                if let Some(Assessment {
                    case: Case::Change(case),
                    findings,
                }) = &assessment
                {
                    request.action = recovery_action(*case);
                    request.privileged = findings.privileged;
                }
                let decided = self
                    .run(&request, upn, tenant, None, recent_requests, now)
                    .await?;
                return Ok(decided.map(|decided| Decided {
                    recovery: assessment,
                    ..decided
                }));
            }
            Intent::ShareCalendar {
                with,
                access,
                terms,
            } => {
                request.action = ActionName::ShareCalendar;
                request.access = Some(*access);
                request.counterpart_internal = internal(with);
                terms
            }
            Intent::ForwardMail { to, terms } => {
                request.action = ActionName::ForwardMail;
                // Mail goes where the address delivers (a guest's UPN delivers outside): that
                // address must be the organisation's, in a verified domain.
                if let Some(to) = to {
                    let target = catalog.delivery_address(to);
                    let verified = self.directory.in_verified_domain(&target).await?;
                    request.counterpart_internal = Some(verified && catalog.holds_address(&target));
                }
                terms
            }
            Intent::ChangeAlias { address } => {
                request.action = ActionName::ChangeAlias;
                let Some(address) = address else {
                    return Ok(None);
                };
                let facts = self.directory.address_facts(address, upn).await?;
                request.new_address = Some(NewAddress {
                    address,
                    domain_verified: facts.domain_verified,
                    held_by_another: facts.held_by_another,
                });
                return self
                    .run(&request, upn, tenant, None, recent_requests, now)
                    .await;
            }
            Intent::Unknown { query, .. } => return Ok(Some(unknown_resource(query).into())),
            Intent::Clarify { .. }
            | Intent::ListAccess
            | Intent::WhoHasAccess { .. }
            | Intent::Status
            | Intent::Help => {
                return Ok(None);
            }
        };
        request.duration = terms.duration_seconds.map(std::time::Duration::from_secs);
        request.has_reason = terms.reason.is_some();
        request.on_behalf_of = terms.on_behalf_of.as_deref();
        let group = request
            .resource
            .filter(|resource| resource.kind != ResourceKind::Group)
            .and_then(|resource| resource.group_id.as_deref())
            .and_then(|id| catalog.get(ResourceKind::Group, id));
        self.run(&request, upn, tenant, group, recent_requests, now)
            .await
    }

    /// Investigates `upn`'s sign-in trouble and finds the case it is.
    pub async fn assess(&self, upn: &str, intent: &Intent) -> Result<Assessment, DirectoryError> {
        let complaint = match intent {
            Intent::RecoverMfa { .. } => Complaint::LostMethod,
            Intent::UnlockAccount { .. } => Complaint::CannotSignIn,
            _ => Complaint::Password,
        };
        let findings = self.directory.investigate(upn).await?;
        let case = findings.case(complaint);
        Ok(Assessment { findings, case })
    }

    async fn run(
        &self,
        request: &Request<'_>,
        upn: &str,
        tenant: Option<&str>,
        group: Option<&crate::catalog::Resource>,
        recent_requests: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<Decided>, DirectoryError> {
        let Some(mut profile) = self.directory.profile(upn).await? else {
            let message = format!("{upn} is not an account in this organisation's directory.");
            return Ok(Some(Decided {
                decision: Decision::Deny(Denial {
                    layer: Layer::Global,
                    rule: None,
                    trail: vec![Step::new(Layer::Global, Verdict::Deny, &message)],
                    message,
                }),
                profile: None,
                recovery: None,
            }));
        };
        profile.requester.tenant_id = tenant.map(str::to_owned);
        let facts = Facts {
            requester: &profile.requester,
            home_tenant: &self.home_tenant,
            group,
            recent_requests,
            now,
        };
        let decision = decide(self.policy.as_deref(), request, &facts);
        Ok(Some(Decided {
            decision,
            profile: Some(profile),
            recovery: None,
        }))
    }
}

/// The action whose `[[action]]` rule governs a case (DESIGN.md section 10): a forgotten or
/// expired password is a reset, a lockout an unlock, a lost method MFA recovery.
pub fn recovery_action(case: RecoveryCase) -> ActionName {
    match case {
        RecoveryCase::ForgotPassword | RecoveryCase::ExpiredPassword => ActionName::ResetPassword,
        RecoveryCase::LockedOut => ActionName::UnlockAccount,
        RecoveryCase::LostMfa => ActionName::RecoverMfa,
    }
}

/// Nothing the catalog holds: nothing a rule can allow.
fn unknown_resource(query: &str) -> Decision {
    let message = if query.trim().is_empty() {
        "The request names nothing Doorman can grant.".to_owned()
    } else {
        format!("Doorman knows no resource called \"{query}\", so nothing can be granted.")
    };
    Decision::Deny(Denial {
        layer: Layer::Target,
        rule: None,
        trail: vec![Step::new(Layer::Target, Verdict::Deny, &message)],
        message,
    })
}

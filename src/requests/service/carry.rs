//! Carrying an approved request out, through the state machine: under the acting identity's
//! own token (or waiting for that person's sign-in, never another identity), with the grant's
//! end on the timers before the first write, each step claimed in the grant ledger and written,
//! then read back before anyone is told "done". A failure at any point hands the request to
//! `undo`, which takes back exactly what it made.

use serde_json::json;

use super::{REQUESTER_VIEW_WITHIN, Requests, SIGN_IN_LINK_LIFETIME, role_of};
use crate::approval;
use crate::audit::AuditKind;
use crate::domain::chat::{ChatUser, Place};
use crate::domain::request::{Acting, RequestRecord, State};
use crate::graph::DelegatedToken;
use crate::identity::{Expectation, Role, TokenError};
use crate::provision::{self, ProvisionError};
use crate::requests::machine::{Effect, Event};

/// The person a request is carried out by, the plan, and their token.
struct Carrier {
    upn: String,
    plan: provision::Plan,
    token: DelegatedToken,
}

impl Requests {
    /// Makes the change under the acting identity's token, reads it back, and reports.
    pub(super) async fn provision(&self, record: RequestRecord) {
        if let Some(from) = record.extends.clone() {
            if self.hand_over(&record, &from).await {
                return;
            }
        }
        let Some(carrier) = self.carrier(&record).await else {
            return;
        };
        let Some(record) = self.begin_carrying(&record, &carrier).await else {
            return;
        };
        let Some(record) = self.make(&record, &carrier).await else {
            return;
        };
        self.prove(&record, &carrier).await;
    }

    /// Who carries the request out, with what plan and token: `None` when it waits for their
    /// sign-in (they have been asked) or cannot be carried out (it is given up).
    async fn carrier(&self, record: &RequestRecord) -> Option<Carrier> {
        let Some(upn) = self.acting_upn(record) else {
            let why = match record.acting {
                Acting::Operator => "no operator account is configured ([microsoft] operator)",
                _ => "no owner approved it, and only an approving owner may make this change",
            };
            self.give_up(record, why.to_owned()).await;
            return None;
        };
        // Who is who comes from the catalog: right after a start (a click can arrive before
        // the first sync is done) nobody is in it yet, which is not "not in the directory".
        self.catalog.loaded().await;
        let Some(entra_id) = self.entra_id_of(&upn) else {
            self.give_up(record, format!("{upn} is not in the directory"))
                .await;
            return None;
        };
        let plan = match self.plan_of(record) {
            Ok(plan) => plan,
            Err(error) => {
                self.give_up(record, error.to_string()).await;
                return None;
            }
        };
        let role = role_of(record.acting, Some(&plan));
        match self
            .identity
            .delegated_token_for(&entra_id, role, plan.service())
            .await
        {
            Ok(token) => Some(Carrier { upn, plan, token }),
            Err(TokenError::NeedsSignIn(_)) => {
                self.wait_for_sign_in(record, &upn, &entra_id, role).await;
                None
            }
            Err(error) => {
                tracing::warn!(%error, request = %record.id, "no token to provision with yet");
                None
            }
        }
    }

    /// Records that the request is being carried out, with its end fixed and on the timers
    /// before the first write (a resumed request keeps the end it had).
    async fn begin_carrying(
        &self,
        record: &RequestRecord,
        carrier: &Carrier,
    ) -> Option<RequestRecord> {
        let ends_at = match record.duration_seconds {
            None => None,
            Some(seconds) => {
                let end = i64::try_from(seconds)
                    .ok()
                    .and_then(chrono::TimeDelta::try_seconds)
                    .and_then(|span| self.now().checked_add_signed(span));
                if end.is_none() && record.ends_at.is_none() {
                    self.give_up(record, "the duration asked for is too long".to_owned())
                        .await;
                    return None;
                }
                end
            }
        };
        let carrying = Event::CarryingOut {
            made_by: carrier.upn.clone(),
            ends_at,
        };
        let transition = match self.apply_with_effects(&record.id, &carrying) {
            Ok(Ok(transition)) => transition,
            Ok(Err(_)) => return None,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record provisioning");
                return None;
            }
        };
        let record = transition.record;
        if transition.effects.contains(&Effect::ScheduleEnd) {
            if let Err(error) = self.schedule_end(&record) {
                tracing::error!(%error, request = %record.id, "cannot schedule the grant's end");
                return None;
            }
        }
        if record.ends_at.is_some_and(|end| end <= self.now()) {
            // A grant whose time ran out before it could be made is not made at all (what a
            // run before a crash may have made of it is taken back).
            self.give_up(
                &record,
                "its time ran out before it could be made".to_owned(),
            )
            .await;
            return None;
        }
        Some(record)
    }

    /// Claims and writes each step of the plan, and records and audits what was written.
    async fn make(&self, record: &RequestRecord, carrier: &Carrier) -> Option<RequestRecord> {
        let person = &record.requester.entra_id;
        let made =
            match self
                .provisioner
                .carry_out(&record.id, person, &carrier.plan, &carrier.token)
                .await
            {
                Ok(made) => made,
                Err(error) => {
                    if let ProvisionError::Provider { step, source } = &error {
                        self.audit(record, AuditKind::Failed, &carrier.upn, json!({
                        "step": step, "error": source.message, "request_id": source.request_id,
                    }));
                    }
                    self.give_up(record, error.to_string()).await;
                    return None;
                }
            };
        let written: Vec<String> = made.written.iter().map(provision::Step::describe).collect();
        let made_event = Event::Made {
            written: written.clone(),
        };
        let record = match self.apply(&record.id, &made_event) {
            Ok(Ok(record)) => record,
            Ok(Err(_)) => return None,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record what was made");
                return None;
            }
        };
        self.audit(
            &record,
            AuditKind::Provisioned,
            &carrier.upn,
            json!({
                "steps": carrier.plan.describe(), "written": written,
                "held_before": made.held_before.iter().map(provision::Step::describe).collect::<Vec<_>>(),
                "graph_request_ids": made.request_ids, "ends_at": record.ends_at,
            }),
        );
        Some(record)
    }

    /// Reads the grant back before anyone is told "done"; access that cannot be read back is
    /// not left in place: what this request made is taken back, and only that.
    async fn prove(&self, record: &RequestRecord, carrier: &Carrier) {
        let person = &record.requester.entra_id;
        if let Err(error) = self.provisioner.verify(person, &carrier.plan).await {
            self.give_up(
                record,
                format!("the change could not be read back ({error})"),
            )
            .await;
            return;
        }
        let requester_view = if carrier.upn.eq_ignore_ascii_case(&record.requester.upn) {
            "acting".to_owned()
        } else {
            self.requester_view(record, &carrier.plan).await
        };
        // Told before the grant is recorded active: a crash in between leaves it provisioning,
        // and the next start proves and tells again. Recorded first, a crash would leave an
        // active grant its requester never hears of.
        let alongside = self.alongside(record);
        self.say(&record.requester.place, &approval::done(record, &alongside))
            .await;
        let record = match self.apply(&record.id, &Event::Verified) {
            Ok(Ok(record)) => record,
            Ok(Err(_)) => return,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record an active grant");
                return;
            }
        };
        self.audit(
            &record,
            AuditKind::Verified,
            "doorman",
            json!({"ends_at": record.ends_at, "requester_view": requester_view}),
        );
    }

    /// The grant as the requester sees it with their own token, when someone else made it and
    /// the requester has signed in (their view is a second opinion: the app-only read-back
    /// already proved the directory holds it, so a lagging or failing view is audited, not
    /// fatal).
    async fn requester_view(&self, record: &RequestRecord, plan: &provision::Plan) -> String {
        let token = match self
            .identity
            .delegated_token(&record.requester.entra_id, Role::Requester)
            .await
        {
            Ok(token) => token,
            Err(_) => return "not_signed_in".to_owned(),
        };
        match provision::confirm_as_requester(&self.graph, &token, plan, REQUESTER_VIEW_WITHIN)
            .await
        {
            Ok(view) => view.as_str().to_owned(),
            Err(error) => {
                tracing::warn!(%error, request = %record.id, "the requester's view could not be read");
                "unreadable".to_owned()
            }
        }
    }

    /// The acting person has no usable sign-in: the request waits for them, and they are sent
    /// a link (again once the last one has expired), and the requester is told.
    pub(super) async fn wait_for_sign_in(
        &self,
        record: &RequestRecord,
        upn: &str,
        entra_id: &str,
        role: Role,
    ) {
        // A link lives ten minutes: one still alive is not sent again, an expired one is.
        let now = self.now();
        let asked_lately = record
            .sign_in_asked_at
            .is_some_and(|asked| now - asked < SIGN_IN_LINK_LIFETIME);
        let already = asked_lately
            && matches!(&record.state, State::Provisioning { waiting_for: Some(who) } if who == upn);
        let waiting = Event::AwaitingSignIn {
            who: upn.to_owned(),
            asked_at: (!already).then_some(now),
        };
        let transition = match self.apply_with_effects(&record.id, &waiting) {
            Ok(Ok(transition)) => transition,
            Ok(Err(_)) => return,
            Err(error) => {
                tracing::error!(%error, request = %record.id, "cannot record a wait for a sign-in");
                return;
            }
        };
        if !transition
            .effects
            .iter()
            .any(|effect| matches!(effect, Effect::AskSignIn { .. }))
        {
            return;
        }
        let origin = record.requester.chat_user.channel;
        if let Some((user, place)) = self.courier.reach(upn, origin).await {
            self.send_sign_in_link(record, upn, entra_id, role, &user, &place)
                .await;
        } else {
            tracing::warn!(request = %record.id, upn, "cannot reach the person to sign in");
        }
        self.say(
            &record.requester.place,
            &approval::carried_out_with_sign_in_of(record, upn),
        )
        .await;
    }

    /// Sends `upn` a sign-in link, bound to their chat account `user`, in their 1:1 `place`.
    async fn send_sign_in_link(
        &self,
        record: &RequestRecord,
        upn: &str,
        entra_id: &str,
        role: Role,
        user: &ChatUser,
        place: &Place,
    ) {
        let link = match self.identity.sign_in_link(
            user,
            Expectation::EntraObject {
                id: entra_id.to_owned(),
            },
            role,
            Some(upn.to_owned()),
        ) {
            Ok(link) => link,
            Err(error) => {
                tracing::error!(%error, "cannot create a sign-in link");
                return;
            }
        };
        self.say(place, &approval::sign_in_to_act(record, &link))
            .await;
    }
}

//! Requests kept before the grant ledger existed: at start, each one still in flight gives the
//! ledger what its journal knew (the steps it made are Doorman's, an active grant's other
//! steps the person had before), and then keeps its plan like any request.

use super::Requests;
use crate::domain::request::{RequestRecord, State};
use crate::provision::{Library, Step};

impl Requests {
    /// Hands the grant ledger what requests kept before it knew. Runs once per such request:
    /// afterwards it has its plan. Also puts every active grant's end on the timers, should a
    /// timer have been lost.
    pub async fn adopt_legacy_grants(&self) {
        let records = match (self.table.in_flight(), self.table.active()) {
            (Ok(mut in_flight), Ok(active)) => {
                in_flight.extend(active);
                in_flight
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "cannot read requests to adopt into the grant ledger");
                return;
            }
        };
        for record in records {
            if record.state == State::Active {
                self.keep_timers(&record);
            }
            let in_flight = matches!(
                record.state,
                State::Provisioning { .. }
                    | State::Active
                    | State::Revoking { .. }
                    | State::Undoing { .. }
            );
            let kept = self.provisioner.ledger().plan(&record.id);
            if !in_flight || matches!(kept, Ok(Some(_))) {
                continue;
            }
            if let Err(error) = self.adopt(&record).await {
                tracing::error!(%error, request = %record.id, "cannot adopt a grant into the ledger");
            }
        }
    }

    async fn adopt(&self, record: &RequestRecord) -> Result<(), crate::store::StoreError> {
        let Ok(plan) = super::legacy_plan(record) else {
            return Ok(());
        };
        let settled = !matches!(record.state, State::Provisioning { .. });
        for step in &plan.steps {
            let made = legacy_descriptions(step).iter().any(|described| {
                record.made_steps.contains(described)
                    || record.attempting.as_ref() == Some(described)
            });
            // A step an unfinished run never got to is claimed when the run goes on.
            if made || settled {
                self.provisioner
                    .adopt(&record.id, &record.requester.entra_id, step, made)
                    .await?;
            }
        }
        self.provisioner.ledger().fix_plan(&record.id, &plan)
    }
}

/// How the journal of a request kept before the ledger described the step(s) that made `step`.
fn legacy_descriptions(step: &Step) -> Vec<String> {
    let library = |library: &Library| match library {
        Library::SiteDefault { site_id } => format!("the default library of site {site_id}"),
        Library::Drive { drive_id } => format!("library {drive_id}"),
    };
    match step {
        Step::GroupMember { group_id } => vec![format!("add member to group {group_id}")],
        Step::GroupOwner { group_id } => vec![format!("add owner to group {group_id}")],
        Step::ChannelMember {
            team_id,
            channel_id,
        } => vec![
            format!("add member to channel {channel_id} of team {team_id}"),
            format!("add owner to channel {channel_id} of team {team_id}"),
        ],
        Step::ChannelOwner {
            team_id,
            channel_id,
        } => vec![format!(
            "add owner to channel {channel_id} of team {team_id}"
        )],
        Step::LibraryRead { library: which } => vec![
            format!("invite to read the root of {}", library(which)),
            format!("invite to write the root of {}", library(which)),
        ],
        Step::LibraryWrite { library: which } => {
            vec![format!("invite to write the root of {}", library(which))]
        }
        // Exchange and self-service grants came after the journal gave way to the ledger.
        Step::MailboxFullAccess { .. }
        | Step::MailboxSendAs { .. }
        | Step::MailboxSendOnBehalf { .. }
        | Step::ListMember { .. }
        | Step::CalendarShare { .. }
        | Step::MailForward { .. }
        | Step::PrimaryAddress { .. } => Vec::new(),
    }
}

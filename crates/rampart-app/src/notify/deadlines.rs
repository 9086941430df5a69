//! Response actions' deadlines: a day before an action is due, and when it
//! is due, its owner is told, unless the action is done or cancelled by
//! then. The two `action_due` jobs are queued with the entry that sets the
//! due time; a job whose action has since changed its due time, or ended,
//! tells nobody (the new due time has jobs of its own).

use rampart_domain::{
    ActionStatus, IncidentNumber, IncidentStatus, JournalAction, Notice, NoticeKind,
    ResponseAction, Timestamp, parse_user_name,
};
use rampart_store::{Entity, EntityRef, JobDraft, Write};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::NoticeJob;
use crate::App;

/// Tells an action's owner that it is due soon, or overdue.
pub const ACTION_DUE: &str = "action_due";
/// How long before its due time an action is "due soon".
pub const DUE_SOON: time::Duration = time::Duration::hours(24);

/// The payload of an `action_due` job.
#[derive(Debug, Serialize, Deserialize)]
struct DueJob {
    incident: IncidentNumber,
    action: u32,
    /// The due time the job was queued for.
    due: Timestamp,
    overdue: bool,
}

/// The `action_due` jobs an entry calls for: for each action it plans or
/// changes (one, or those a playbook or a confirmation planned), one at the
/// start of the last day (or now, when less is left), one at the due time.
pub(super) fn schedule(action: &JournalAction, entity: &str, now: Timestamp) -> Vec<Write> {
    let Ok(incident) = entity.parse::<IncidentNumber>() else {
        return vec![];
    };
    let actions: &[ResponseAction] = match action {
        JournalAction::IncidentActionAdded(a) | JournalAction::IncidentActionUpdated(a) => {
            std::slice::from_ref(a)
        }
        JournalAction::IncidentPlaybookApplied(applied) => &applied.actions,
        JournalAction::IncidentConfirmed(confirmed) => &confirmed.actions,
        _ => return vec![],
    };
    actions
        .iter()
        .flat_map(|a| schedule_one(a, incident, now))
        .collect()
}

/// The `action_due` jobs of one action.
fn schedule_one(a: &ResponseAction, incident: IncidentNumber, now: Timestamp) -> Vec<Write> {
    let Some(due) = a.due else {
        return vec![];
    };
    let open = matches!(a.status, ActionStatus::Planned | ActionStatus::InProgress);
    if !open || parse_user_name(a.owner.as_str().trim()).is_err() {
        return vec![];
    }
    super::reminder_stages(due, DUE_SOON, now)
        .into_iter()
        .map(|(overdue, run_after)| {
            let job = DueJob {
                incident,
                action: a.id,
                due,
                overdue,
            };
            let stage = if overdue { "overdue" } else { "soon" };
            Write::Enqueue(JobDraft {
                kind: ACTION_DUE.into(),
                key: format!(
                    "action_due:{incident}:{}:{}:{stage}",
                    a.id,
                    due.to_rfc3339()
                ),
                payload: serde_json::to_string(&job).unwrap_or_default(),
                run_after,
            })
        })
        .collect()
}

impl App {
    /// Runs an `action_due` job: tells the owner, if the action is still
    /// open and still due then.
    pub(crate) async fn run_action_due(&self, key: &str, payload: &str) -> Result<(), String> {
        let job: DueJob = serde_json::from_str(payload)
            .map_err(|e| format!("an action_due job's payload: {e}"))?;
        let incident = match self.store.get(&EntityRef::Incident(job.incident)).await {
            Ok(Some(Entity::Incident(incident))) => *incident,
            Ok(_) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        if matches!(
            incident.status,
            IncidentStatus::Closed | IncidentStatus::Reviewed
        ) {
            return Ok(());
        }
        let Some(action) = incident.actions.iter().find(|a| a.id == job.action) else {
            return Ok(());
        };
        let open = matches!(
            action.status,
            ActionStatus::Planned | ActionStatus::InProgress
        );
        if !open || action.due != Some(job.due) {
            return Ok(());
        }
        let kind = if job.overdue {
            NoticeKind::ActionOverdue
        } else {
            NoticeKind::ActionDueSoon
        };
        let notice = Notice::about_action(kind, incident.number, action, self.clock.now());
        // The same job run again is the same notice, told once.
        let id = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
        self.tell(NoticeJob { id, notice }).await
    }
}

//! Escalation ladders: as an incident's running response-time target or
//! notification clock uses up its time, the rungs of the ladder (in the
//! targets table) tell more people: by default the coordinator at 75 %, the
//! ISIRT manager at 100 %, crisis and senior management at 100 % when the
//! incident is class IV or in crisis handling.
//!
//! Every change to an incident queues an `escalation_plan` job with it; the
//! job works out the incident's running deadlines and queues one `escalate`
//! job per rung at the moment it is reached. An `escalate` job records the
//! rung on the incident (`incident.escalated`, once per rung and deadline),
//! whose notice tells the people it names. A job whose deadline has moved
//! plans again; one whose deadline is done tells nobody.

use rampart_domain::regulatory::{ClockState, RegulatoryRules};
use rampart_domain::{
    Escalation, EscalationStep, Incident, IncidentNumber, IncidentStatus, JournalAction, Measure,
    Recipient, ResponseTargets, Timestamp, journal::ActionKind,
};
use rampart_store::{Decision, Entity, EntityRef, JobDraft, JournalDraft, UnitOfWork, Write};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::unit::{Decided, Unit};

/// Works out an incident's running deadlines and queues their rungs.
pub const ESCALATION_PLAN: &str = "escalation_plan";
/// Tells the people of one rung of one deadline.
pub const ESCALATE: &str = "escalate";

/// The payload of an `escalation_plan` job.
#[derive(Debug, Serialize, Deserialize)]
struct PlanJob {
    incident: IncidentNumber,
}

/// The payload of an `escalate` job.
#[derive(Debug, Serialize, Deserialize)]
struct RungJob {
    incident: IncidentNumber,
    deadline: String,
    due: Timestamp,
    step: EscalationStep,
}

/// One deadline of an incident that is still running.
#[derive(Debug, Clone)]
pub(crate) struct RunningDeadline {
    /// `target:contain`, `clock:dora/initial_notification`.
    pub what: String,
    pub label: String,
    pub started: Timestamp,
    pub due: Timestamp,
}

/// Whether entries of this kind may move an incident's deadlines.
fn moves_deadlines(kind: ActionKind) -> bool {
    use ActionKind::*;
    matches!(
        kind,
        IncidentConfirmed
            | IncidentUpdated
            | IncidentTransition
            | IncidentRegimeApplied
            | IncidentRegimeWithdrawn
            | IncidentAnchorRecorded
            | IncidentSubmissionRecorded
            | IncidentMergedFrom
    )
}

/// The `escalation_plan` job an entry calls for, if it may move deadlines.
pub(super) fn plan_after(action: &str, entity: &str, now: Timestamp) -> Option<Write> {
    if !ActionKind::from_name(action).is_some_and(moves_deadlines) {
        return None;
    }
    let incident: IncidentNumber = entity.parse().ok()?;
    plan_job(incident, now)
}

fn plan_job(incident: IncidentNumber, now: Timestamp) -> Option<Write> {
    Some(Write::Enqueue(JobDraft {
        kind: ESCALATION_PLAN.into(),
        key: format!(
            "{ESCALATION_PLAN}:{incident}:{}:{:08x}",
            now.to_rfc3339(),
            rand::random::<u32>()
        ),
        payload: serde_json::to_string(&PlanJob { incident }).ok()?,
        run_after: now,
    }))
}

/// The incident's running deadlines: its running target (containment or
/// closure) and every notification clock with a deadline not yet met.
pub(crate) fn running_deadlines(
    incident: &Incident,
    targets: &ResponseTargets,
    rules: &RegulatoryRules,
    now: Timestamp,
) -> Vec<RunningDeadline> {
    let mut out: Vec<RunningDeadline> = targets
        .incident(incident, now)
        .into_iter()
        .filter(Measure::is_running)
        .map(|m| RunningDeadline {
            what: format!("target:{}", m.stage),
            label: m.stage.title().to_owned(),
            started: m.started_at,
            due: m.due_at,
        })
        .collect();
    for c in incident.clocks(rules, now) {
        let running = matches!(
            c.state,
            ClockState::Running | ClockState::DueSoon | ClockState::Overdue
        );
        let (Some(started), Some(due)) = (c.started_at, c.due_at) else {
            continue;
        };
        if running {
            let regime = rules
                .regime(&c.regime)
                .map_or_else(|| c.regime.clone(), |r| r.name.clone());
            out.push(RunningDeadline {
                what: format!("clock:{}/{}", c.regime, c.report),
                label: format!("{regime}: {}", c.name),
                started,
                due,
            });
        }
    }
    out
}

/// When `percent` of the time from `started` to `due` is used.
fn moment(started: Timestamp, due: Timestamp, percent: u32) -> Timestamp {
    let span = (due.as_offset() - started.as_offset()).whole_seconds();
    let at = started.as_offset() + time::Duration::seconds(span * i64::from(percent) / 100);
    Timestamp::from_offset(at)
}

impl App {
    /// Runs an `escalation_plan` job: queues a job for every rung of every
    /// running deadline of the incident, at the moment it is reached.
    pub(crate) async fn run_escalation_plan(&self, payload: &str) -> Result<(), String> {
        let job: PlanJob = serde_json::from_str(payload)
            .map_err(|e| format!("an escalation_plan job's payload: {e}"))?;
        let Some(incident) = self.stored(job.incident).await? else {
            return Ok(());
        };
        let targets = self.targets().await.map_err(|e| e.to_string())?;
        let rules = self.regulatory_rules().await.map_err(|e| e.to_string())?;
        let now = self.clock.now();
        let in_crisis = incident.status == IncidentStatus::Crisis;
        let mut writes = vec![];
        for deadline in running_deadlines(&incident, &targets, &rules, now) {
            for step in &targets.escalation {
                if !step.applies(incident.severity.class, in_crisis) {
                    continue;
                }
                let at = moment(deadline.started, deadline.due, step.at_percent);
                let rung = RungJob {
                    incident: incident.number,
                    deadline: deadline.what.clone(),
                    due: deadline.due,
                    step: step.clone(),
                };
                writes.push(Write::Enqueue(JobDraft {
                    kind: ESCALATE.into(),
                    key: format!(
                        "{ESCALATE}:{}:{}:{}:{}:{}",
                        incident.number,
                        deadline.what,
                        deadline.due.to_rfc3339(),
                        step.at_percent,
                        step.class_at_least.map_or("any", |c| c.as_str())
                    ),
                    payload: serde_json::to_string(&rung).map_err(|e| e.to_string())?,
                    run_after: at.max(now),
                }));
            }
        }
        if writes.is_empty() {
            return Ok(());
        }
        self.enqueue_all(writes).await
    }

    /// Runs an `escalate` job: records the rung on the incident, whose
    /// notice tells the people it names; nothing when the deadline is done,
    /// a new plan when it moved.
    pub(crate) async fn run_escalate(&self, payload: &str) -> Result<(), String> {
        let job: RungJob =
            serde_json::from_str(payload).map_err(|e| format!("an escalate job's payload: {e}"))?;
        let Some(incident) = self.stored(job.incident).await? else {
            return Ok(());
        };
        let targets = self.targets().await.map_err(|e| e.to_string())?;
        let rules = self.regulatory_rules().await.map_err(|e| e.to_string())?;
        let now = self.clock.now();
        let running = running_deadlines(&incident, &targets, &rules, now);
        let Some(deadline) = running.into_iter().find(|d| d.what == job.deadline) else {
            return Ok(());
        };
        if deadline.due != job.due {
            return match plan_job(incident.number, now) {
                Some(write) => self.enqueue_all(vec![write]).await,
                None => Ok(()),
            };
        }
        let in_crisis = incident.status == IncidentStatus::Crisis;
        if !job.step.applies(incident.severity.class, in_crisis) {
            return Ok(());
        }
        let told = self.told_by(&job.step.notify, &incident).await?;
        let reached = Escalation {
            deadline: deadline.what,
            label: deadline.label,
            due_at: deadline.due,
            at_percent: job.step.at_percent,
            class_at_least: job.step.class_at_least,
            told,
            at: now,
        };
        let mut unit = Unit::new("system");
        let loaded = unit.load::<Incident>(EntityRef::Incident(incident.number));
        let number = incident.number;
        let unit = unit.decide(move |ctx| {
            let mut incident = ctx.take(&loaded, || format!("incident {number}"))?;
            incident.record_escalation(reached.clone(), ctx.now())?;
            Ok(Decided::new(())
                .update(Entity::Incident(Box::new(incident)))
                .journal(JournalDraft::new(
                    number,
                    JournalAction::IncidentEscalated(Box::new(reached)),
                )))
        });
        match self.run(unit).await {
            Ok(()) => Ok(()),
            // Recorded before (the job ran again): the people were told then.
            Err(e) if e.kind() == crate::ErrorKind::Conflict => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Plans the escalations of many incidents again (after the targets or
    /// the notification rules changed): the incidents with a running target
    /// due soonest and the latest with a regime that applies, at most
    /// [`crate::targets::BOARD_LIMIT`] of each. Their old rung jobs find
    /// their deadline moved and tell nobody.
    pub(crate) async fn replan_escalations(&self, with_regimes: bool) {
        use rampart_domain::Measured;
        use rampart_store::{IncidentQuery, IncidentSort};
        let now = self.clock.now();
        let query = if with_regimes {
            IncidentQuery {
                with_regimes: true,
                sort: IncidentSort::Newest,
                limit: crate::targets::BOARD_LIMIT,
                exercise: rampart_store::ExerciseScope::All,
                ..IncidentQuery::default()
            }
        } else {
            let Ok(lanes) = self.target_lanes(Measured::Incident, None).await else {
                return;
            };
            IncidentQuery {
                lanes: Some(lanes),
                sort: IncidentSort::Due,
                limit: crate::targets::BOARD_LIMIT,
                // Exercises are timed against the same targets.
                exercise: rampart_store::ExerciseScope::All,
                ..IncidentQuery::default()
            }
        };
        let incidents = match self.store.list_incidents(&query).await {
            Ok(page) => page.items,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list incidents to plan their escalations");
                return;
            }
        };
        let writes: Vec<Write> = incidents
            .iter()
            .filter_map(|i| plan_job(i.number, now))
            .collect();
        if writes.is_empty() {
            return;
        }
        if let Err(e) = self.enqueue_all(writes).await {
            tracing::warn!(error = %e, "cannot queue the escalation plans");
        }
    }

    /// The people a rung names: the coordinator, the holders of its roles.
    async fn told_by(
        &self,
        notify: &[Recipient],
        incident: &Incident,
    ) -> Result<Vec<String>, String> {
        let mut told = std::collections::BTreeSet::new();
        if notify.contains(&Recipient::Coordinator) {
            told.insert(incident.coordinator.clone());
        }
        if notify.contains(&Recipient::OnDuty) {
            let on_duty = self
                .on_duty(rampart_domain::Duty::Isirt, self.clock.now())
                .await
                .map_err(|e| e.to_string())?;
            told.extend(on_duty.unwrap_or_default());
        }
        let roles: Vec<_> = notify.iter().filter_map(|r| r.role()).collect();
        if !roles.is_empty() {
            let users = self.store.list_users().await.map_err(|e| e.to_string())?;
            for user in users.into_iter().filter(|u| !u.disabled) {
                if user.roles.iter().any(|r| roles.contains(r)) {
                    told.insert(user.name);
                }
            }
        }
        Ok(told.into_iter().collect())
    }

    async fn stored(&self, number: IncidentNumber) -> Result<Option<Incident>, String> {
        match self.store.get(&EntityRef::Incident(number)).await {
            Ok(Some(Entity::Incident(incident))) if incident.merged_into.is_none() => {
                Ok(Some(*incident))
            }
            Ok(_) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Queues jobs in a unit of their own (nothing journaled: a plan changes no record).
    async fn enqueue_all(&self, writes: Vec<Write>) -> Result<(), String> {
        let unit = UnitOfWork::new("system", vec![], vec![], move |_| {
            Ok(Decision {
                writes: writes.clone(),
                ..Default::default()
            })
        });
        self.store
            .execute(unit)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

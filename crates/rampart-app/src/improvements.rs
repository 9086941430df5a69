//! Improvement actions in the application layer: made tracked records by
//! the lessons-learned review that decides them, kept on a register of
//! their own, reminded to their owners a day before and when they fall
//! due, and closed with what was done.

use rampart_domain::{
    Action, Actor, ChangeKind, DomainError, ImprovementAction, ImprovementStatus,
    ImprovementUpdate, Incident, IncidentNumber, JournalAction, Notice, NoticeKind, Review,
    ReviewInput, Subject, Timestamp, parse_user_name,
};
use rampart_store::{Entity, EntityRef, ImprovementQuery, JobDraft, JournalDraft, Write};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::notify::NoticeJob;
use crate::unit::{Decided, Loaded, Unit};
use crate::{App, AppError, not_found};

/// Tells an improvement action's owner it is due soon, or overdue.
pub const IMPROVEMENT_DUE: &str = "improvement_due";

/// How long before its due date an improvement action is "due soon".
const DUE_SOON: time::Duration = time::Duration::hours(24);

/// The payload of an `improvement_due` job.
#[derive(Debug, Serialize, Deserialize)]
struct DueJob {
    id: String,
    /// The due date the job was queued for.
    due: Timestamp,
    overdue: bool,
}

/// The `improvement_due` jobs an entry calls for: for an open improvement
/// action with a due date and an owner who is a user, one a day before
/// (or now, when less is left) and one at the due date.
pub(crate) fn schedule(action: &JournalAction, now: Timestamp) -> Vec<Write> {
    let item = match action {
        JournalAction::ImprovementCreated(i) | JournalAction::ImprovementUpdated(i) => i,
        _ => return vec![],
    };
    let Some(due) = item.due else {
        return vec![];
    };
    if !item.status.is_open() || parse_user_name(item.owner.as_str()).is_err() {
        return vec![];
    }
    crate::notify::reminder_stages(due, DUE_SOON, now)
        .into_iter()
        .map(|(overdue, run_after)| {
            let stage = if overdue { "overdue" } else { "soon" };
            Write::Enqueue(JobDraft {
                kind: IMPROVEMENT_DUE.into(),
                key: format!("{IMPROVEMENT_DUE}:{}:{}:{stage}", item.id, due.to_rfc3339()),
                payload: serde_json::to_string(&DueJob {
                    id: item.id.clone(),
                    due,
                    overdue,
                })
                .unwrap_or_default(),
                run_after,
            })
        })
        .collect()
}

/// One reviewed incident in the lessons register.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lesson {
    pub incident: IncidentNumber,
    pub title: String,
    pub category: rampart_domain::Category,
    /// The category's name in the scale the incident was classified under.
    pub category_name: String,
    pub class: rampart_domain::SeverityClass,
    /// The exercise it was part of, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exercise: Option<rampart_domain::ExerciseId>,
    pub held_at: Option<Timestamp>,
    pub recorded_at: Timestamp,
    pub lessons: Vec<rampart_domain::Text>,
    pub detection: Option<rampart_domain::Text>,
    pub response: Option<rampart_domain::Text>,
    pub recovery: Option<rampart_domain::Text>,
    /// How many improvement actions the review decided.
    pub improvements: usize,
    /// Earlier incidents with the same root cause.
    pub same_root_cause_as: Vec<IncidentNumber>,
}

impl App {
    /// Records (or supersedes) an incident's lessons-learned review; each
    /// improvement action it lists that the incident does not track yet
    /// (by its words) becomes a tracked record (`improvement.created`).
    pub async fn record_review(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: ReviewInput,
    ) -> Result<Review, AppError> {
        actor.require(Action::RecordReview)?;
        for (i, item) in input.improvements.iter().enumerate() {
            if let Some(link) = &item.changes {
                self.check_link(link)
                    .await
                    .map_err(|m| DomainError::field(format!("improvements[{i}].changes"), m))?;
            }
        }
        let tracked = self
            .store
            .list_improvements(&ImprovementQuery {
                incident: Some(number),
                limit: rampart_store::MAX_PAGE,
                ..ImprovementQuery::default()
            })
            .await?;
        let fresh: Vec<_> = input
            .improvements
            .iter()
            .filter(|m| !tracked.iter().any(|t| t.what == m.what))
            .cloned()
            .collect();
        let ids: Vec<String> = (0..fresh.len())
            .map(|k| ImprovementAction::id_of(number, tracked.len() + k + 1))
            .collect();
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Incident>(EntityRef::Incident(number));
        let taken: Vec<Loaded<ImprovementAction>> = ids
            .iter()
            .map(|id| unit.load(EntityRef::Improvement(id.clone())))
            .collect();
        let earlier: Vec<(IncidentNumber, Loaded<Incident>)> = input
            .same_root_cause_as
            .iter()
            .filter(|n| **n != number)
            .map(|n| (*n, unit.load(EntityRef::Incident(*n))))
            .collect();
        let who = actor.clone();
        let unit = unit.decide(move |ctx| {
            let mut incident = ctx.take(&loaded, || format!("incident {number}"))?;
            if !incident.readable_by(&who) {
                return Err(DomainError::NotFound(format!("incident {number}")));
            }
            incident.ensure_not_merged()?;
            if taken.iter().any(|h| ctx.maybe(h).is_some()) {
                return Err(DomainError::Conflict(
                    "another review of this incident was recorded meanwhile; send it again".into(),
                ));
            }
            for (i, (n, handle)) in earlier.iter().enumerate() {
                if !ctx.maybe(handle).is_some_and(|e| e.readable_by(&who)) {
                    return Err(DomainError::field(
                        format!("same_root_cause_as[{i}]"),
                        format!("no incident {n}"),
                    ));
                }
            }
            let now = ctx.now();
            let review = incident.record_review(input, &who, now)?.clone();
            let mut decided = Decided::new(review.clone())
                .journal(JournalDraft::new(
                    number,
                    JournalAction::IncidentReview(review),
                ))
                .update(Entity::Incident(Box::new(incident)));
            for (m, id) in fresh.into_iter().zip(ids) {
                let item = ImprovementAction {
                    id: id.clone(),
                    incident: number,
                    what: m.what,
                    owner: m.owner,
                    due: m.due,
                    changes: m.changes,
                    status: ImprovementStatus::Open,
                    outcome: None,
                    created_by: who.name.clone(),
                    created_at: now,
                    updated_at: now,
                    closed_by: None,
                    closed_at: None,
                };
                decided = decided
                    .journal(JournalDraft::new(
                        format!("improvement:{id}"),
                        JournalAction::ImprovementCreated(Box::new(item.clone())),
                    ))
                    .insert(Entity::Improvement(Box::new(item)));
            }
            Ok(decided)
        });
        self.run(unit).await
    }

    /// Whether what a link names exists: a section of a document in force,
    /// or a playbook.
    async fn check_link(&self, link: &rampart_domain::ChangeLink) -> Result<(), String> {
        link.check()?;
        match link.kind {
            ChangeKind::Section => {
                let cite = rampart_domain::SectionRef::parse(link.target.as_str())?;
                self.check_citation(&cite).await
            }
            ChangeKind::Playbook => {
                let id = rampart_domain::PlaybookId::new(link.target.as_str())?;
                match self.store.get(&EntityRef::Playbook(id.clone())).await {
                    Ok(Some(_)) => Ok(()),
                    Ok(None) => Err(format!("there is no playbook {id}")),
                    Err(e) => Err(e.to_string()),
                }
            }
            ChangeKind::Control | ChangeKind::Risk => Ok(()),
        }
    }

    /// The lessons register: the reviewed incidents the actor may read, the
    /// latest review first, at most `limit`.
    pub async fn lessons(&self, actor: &Actor, limit: u32) -> Result<Vec<Lesson>, AppError> {
        actor.require(Action::ViewIncidents)?;
        let scale = self.scale().await?;
        Ok(self
            .store
            .list_reviewed(&actor.name, limit)
            .await?
            .into_iter()
            .filter_map(|i| {
                let review = i.review?;
                Some(Lesson {
                    category_name: scale.category_name(&i.scale, i.category),
                    incident: i.number,
                    title: i.title.to_string(),
                    category: i.category,
                    class: i.severity.class,
                    exercise: i.exercise,
                    held_at: review.held_at,
                    recorded_at: review.recorded_at,
                    lessons: review.lessons,
                    detection: review.detection,
                    response: review.response,
                    recovery: review.recovery,
                    improvements: review.improvements.len(),
                    same_root_cause_as: review.same_root_cause_as,
                })
            })
            .collect())
    }

    /// The improvement actions' register: those of the incidents the actor
    /// may read, the soonest due first.
    pub async fn improvements(
        &self,
        actor: &Actor,
        query: ImprovementQuery,
    ) -> Result<Vec<ImprovementAction>, AppError> {
        actor.require(Action::ViewIncidents)?;
        let items = self.store.list_improvements(&query).await?;
        let mut readable = std::collections::HashMap::new();
        let mut shown = Vec::with_capacity(items.len());
        for item in items {
            let ok = match readable.get(&item.incident) {
                Some(ok) => *ok,
                None => {
                    let ok = self
                        .store
                        .get(&EntityRef::Incident(item.incident))
                        .await?
                        .and_then(Entity::into_incident)
                        .is_some_and(|i| i.readable_by(actor));
                    readable.insert(item.incident, ok);
                    ok
                }
            };
            if ok {
                shown.push(item);
            }
        }
        Ok(shown)
    }

    /// One improvement action, if the actor may read its incident.
    pub async fn improvement(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<ImprovementAction, AppError> {
        actor.require(Action::ViewIncidents)?;
        let item = match self
            .store
            .get(&EntityRef::Improvement(id.to_owned()))
            .await?
        {
            Some(Entity::Improvement(i)) => *i,
            _ => return Err(not_found(format!("improvement action {id}"))),
        };
        let incident = self.get_incident(actor, item.incident).await;
        if incident.is_err() {
            return Err(not_found(format!("improvement action {id}")));
        }
        Ok(item)
    }

    /// Moves an improvement action on, gives it a new owner or due date, or
    /// closes it with its outcome (`improvement.updated`): those who record
    /// reviews, or its owner.
    pub async fn update_improvement(
        &self,
        actor: &Actor,
        id: &str,
        update: ImprovementUpdate,
    ) -> Result<ImprovementAction, AppError> {
        let current = self.improvement(actor, id).await?;
        if current.owner.as_str() != actor.name {
            actor.require(Action::RecordReview)?;
        }
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<ImprovementAction>(EntityRef::Improvement(current.id.clone()));
        let what = format!("improvement action {}", current.id);
        let by = actor.name.clone();
        let unit = unit.decide(move |ctx| {
            let mut item = ctx.take(&loaded, || what)?;
            item.update(update, &by, ctx.now())?;
            Ok(Decided::new(item.clone())
                .journal(JournalDraft::new(
                    format!("improvement:{}", item.id),
                    JournalAction::ImprovementUpdated(Box::new(item.clone())),
                ))
                .update(Entity::Improvement(Box::new(item))))
        });
        self.run(unit).await
    }

    /// Runs an `improvement_due` job: tells the owner, if the action is
    /// still open and still due then.
    pub(crate) async fn run_improvement_due(&self, key: &str, payload: &str) -> Result<(), String> {
        let job: DueJob = serde_json::from_str(payload)
            .map_err(|e| format!("an improvement_due job's payload: {e}"))?;
        let item = match self
            .store
            .get(&EntityRef::Improvement(job.id.clone()))
            .await
        {
            Ok(Some(Entity::Improvement(i))) => *i,
            Ok(_) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        if !item.status.is_open() || item.due != Some(job.due) {
            return Ok(());
        }
        let notice = Notice {
            kind: if job.overdue {
                NoticeKind::ImprovementOverdue
            } else {
                NoticeKind::ImprovementDueSoon
            },
            subject: Subject::Incident(item.incident),
            actor: crate::notify::SYSTEM.to_owned(),
            at: self.clock.now(),
            significant: false,
            action: None,
            person: Some(item.owner.to_string()),
            told: vec![],
            about: Some(item.id.clone()),
            communication: None,
        };
        // The same job run again is the same notice, told once.
        let id = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
        self.tell(NoticeJob { id, notice }).await
    }
}

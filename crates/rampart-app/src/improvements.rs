//! Improvement actions in the application layer: made tracked records by
//! the lessons-learned review that decides them, kept on a register of
//! their own, reminded to their owners a day before and when they fall
//! due, and closed with what was done.

use rampart_domain::{
    Action, Actor, ChangeKind, DomainError, Improvement, ImprovementAction, ImprovementStatus,
    ImprovementUpdate, Incident, IncidentNumber, JournalAction, Notice, NoticeKind, Review,
    ReviewInput, ReviewOf, Subject, Timestamp, Vulnerability, VulnerabilityNumber, parse_user_name,
};
use rampart_store::{Entity, EntityRef, ImprovementQuery, JobDraft, JournalDraft, Write};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::notify::NoticeJob;
use crate::unit::{Ctx, Decided, Loaded, Unit};
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

/// One reviewed incident or vulnerability in the lessons register.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lesson {
    /// The reviewed record: the field `incident` or `vulnerability`.
    #[serde(flatten)]
    pub source: ReviewOf,
    pub title: String,
    /// An incident's category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<rampart_domain::Category>,
    /// The category's name in the scale the incident was classified under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_name: Option<String>,
    /// An incident's severity class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<rampart_domain::SeverityClass>,
    /// A vulnerability's external identifier, e.g. a CVE number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<rampart_domain::Text>,
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
    /// Incidents with the same root cause (for a vulnerability: those it
    /// lay behind).
    pub same_root_cause_as: Vec<IncidentNumber>,
}

impl Lesson {
    fn of(source: ReviewOf, title: String, review: Review) -> Self {
        Self {
            source,
            title,
            category: None,
            category_name: None,
            class: None,
            reference: None,
            exercise: None,
            held_at: review.held_at,
            recorded_at: review.recorded_at,
            lessons: review.lessons,
            detection: review.detection,
            response: review.response,
            recovery: review.recovery,
            improvements: review.improvements.len(),
            same_root_cause_as: review.same_root_cause_as,
        }
    }
}

/// What a review's unit loads beside the reviewed record: the improvement
/// actions it lists that the record does not track yet (by their words),
/// with the ids they take (loaded, to catch a review recorded meanwhile),
/// and the incidents it names as having the same root cause.
struct ReviewLoads {
    fresh: Vec<(String, Improvement)>,
    taken: Vec<Loaded<ImprovementAction>>,
    earlier: Vec<(IncidentNumber, Loaded<Incident>)>,
}

impl ReviewLoads {
    /// Inside the unit: no other review took the new ids meanwhile, and
    /// each incident named is one `who` may read.
    fn check(&self, ctx: &mut Ctx, who: &Actor) -> Result<(), DomainError> {
        if self.taken.iter().any(|h| ctx.maybe(h).is_some()) {
            return Err(DomainError::Conflict(
                "another review of this record was recorded meanwhile; send it again".into(),
            ));
        }
        for (i, (n, handle)) in self.earlier.iter().enumerate() {
            if !ctx.maybe(handle).is_some_and(|e| e.readable_by(who)) {
                return Err(DomainError::field(
                    format!("same_root_cause_as[{i}]"),
                    format!("no incident {n}"),
                ));
            }
        }
        Ok(())
    }

    /// The new improvement actions as tracked records, each journaled as
    /// `improvement.created`.
    fn add<T>(
        self,
        mut decided: Decided<T>,
        source: ReviewOf,
        who: &str,
        now: Timestamp,
    ) -> Decided<T> {
        for (id, m) in self.fresh {
            let item = ImprovementAction {
                id: id.clone(),
                source,
                what: m.what,
                owner: m.owner,
                due: m.due,
                changes: m.changes,
                status: ImprovementStatus::Open,
                outcome: None,
                created_by: who.to_owned(),
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
        decided
    }
}

impl App {
    /// Checks a review's links and loads what its unit needs besides the
    /// reviewed record.
    async fn review_loads(
        &self,
        unit: &mut Unit,
        source: ReviewOf,
        input: &ReviewInput,
    ) -> Result<ReviewLoads, AppError> {
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
                source: Some(source),
                limit: rampart_store::MAX_PAGE,
                ..ImprovementQuery::default()
            })
            .await?;
        let fresh: Vec<(String, Improvement)> = input
            .improvements
            .iter()
            .filter(|m| !tracked.iter().any(|t| t.what == m.what))
            .enumerate()
            .map(|(k, m)| {
                (
                    ImprovementAction::id_of(source, tracked.len() + k + 1),
                    m.clone(),
                )
            })
            .collect();
        let taken = fresh
            .iter()
            .map(|(id, _)| unit.load(EntityRef::Improvement(id.clone())))
            .collect();
        let earlier = input
            .same_root_cause_as
            .iter()
            .filter(|n| source != ReviewOf::Incident(**n))
            .map(|n| (*n, unit.load(EntityRef::Incident(*n))))
            .collect();
        Ok(ReviewLoads {
            fresh,
            taken,
            earlier,
        })
    }

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
        let source = ReviewOf::Incident(number);
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Incident>(EntityRef::Incident(number));
        let loads = self.review_loads(&mut unit, source, &input).await?;
        let who = actor.clone();
        let unit = unit.decide(move |ctx| {
            let mut incident = ctx.take(&loaded, || format!("incident {number}"))?;
            if !incident.readable_by(&who) {
                return Err(DomainError::NotFound(format!("incident {number}")));
            }
            incident.ensure_not_merged()?;
            loads.check(ctx, &who)?;
            let now = ctx.now();
            let review = incident.record_review(input, &who, now)?.clone();
            let decided = Decided::new(review.clone())
                .journal(JournalDraft::new(
                    number,
                    JournalAction::IncidentReview(review),
                ))
                .update(Entity::Incident(Box::new(incident)));
            Ok(loads.add(decided, source, &who.name, now))
        });
        self.run(unit).await
    }

    /// Records (or supersedes) the lessons-learned review of a confirmed
    /// vulnerability (`vulnerability.review`); its improvement actions are
    /// tracked as an incident's are, with ids such as `VUL-2026-0003.1`.
    pub async fn record_vulnerability_review(
        &self,
        actor: &Actor,
        number: VulnerabilityNumber,
        input: ReviewInput,
    ) -> Result<Review, AppError> {
        actor.require(Action::RecordReview)?;
        actor.require(Action::ViewVulnerabilities)?;
        let source = ReviewOf::Vulnerability(number);
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Vulnerability>(EntityRef::Vulnerability(number));
        let loads = self.review_loads(&mut unit, source, &input).await?;
        let who = actor.clone();
        let unit = unit.decide(move |ctx| {
            let mut v = ctx.take(&loaded, || format!("vulnerability {number}"))?;
            loads.check(ctx, &who)?;
            let now = ctx.now();
            let review = v.record_review(input, &who, now)?.clone();
            let decided = Decided::new(review.clone())
                .journal(JournalDraft::new(
                    number,
                    JournalAction::VulnerabilityReview(review),
                ))
                .update(Entity::Vulnerability(Box::new(v)));
            Ok(loads.add(decided, source, &who.name, now))
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

    /// The lessons register: the reviewed incidents the actor may read and,
    /// for those who may read the vulnerability register, the reviewed
    /// vulnerabilities; the latest review first, at most `limit`.
    pub async fn lessons(&self, actor: &Actor, limit: u32) -> Result<Vec<Lesson>, AppError> {
        actor.require(Action::ViewIncidents)?;
        let scale = self.scale().await?;
        let mut lessons: Vec<Lesson> = self
            .store
            .list_reviewed(&actor.name, limit)
            .await?
            .into_iter()
            .filter_map(|i| {
                let review = i.review?;
                Some(Lesson {
                    category: Some(i.category),
                    category_name: Some(scale.category_name(&i.scale, i.category)),
                    class: Some(i.severity.class),
                    exercise: i.exercise,
                    ..Lesson::of(ReviewOf::Incident(i.number), i.title.to_string(), review)
                })
            })
            .collect();
        if actor.may(Action::ViewVulnerabilities) {
            let reviewed = self.store.list_reviewed_vulnerabilities(limit).await?;
            lessons.extend(reviewed.into_iter().filter_map(|v| {
                let review = v.review?;
                Some(Lesson {
                    reference: v.reference,
                    ..Lesson::of(
                        ReviewOf::Vulnerability(v.number),
                        v.title.to_string(),
                        review,
                    )
                })
            }));
            lessons.sort_by_key(|l| std::cmp::Reverse((l.recorded_at, l.source)));
            lessons.truncate(limit.clamp(1, rampart_store::MAX_PAGE) as usize);
        }
        Ok(lessons)
    }

    /// Whether the actor may read the record an improvement action is of.
    async fn may_read(&self, actor: &Actor, source: ReviewOf) -> Result<bool, AppError> {
        Ok(match source {
            ReviewOf::Incident(n) => self
                .store
                .get(&EntityRef::Incident(n))
                .await?
                .and_then(Entity::into_incident)
                .is_some_and(|i| i.readable_by(actor)),
            ReviewOf::Vulnerability(_) => actor.may(Action::ViewVulnerabilities),
        })
    }

    /// The improvement actions' register: those of the incidents (and
    /// vulnerabilities) the actor may read, the soonest due first.
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
            let ok = match readable.get(&item.source) {
                Some(ok) => *ok,
                None => {
                    let ok = self.may_read(actor, item.source).await?;
                    readable.insert(item.source, ok);
                    ok
                }
            };
            if ok {
                shown.push(item);
            }
        }
        Ok(shown)
    }

    /// One improvement action, if the actor may read the record it is of.
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
        if !self.may_read(actor, item.source).await? {
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
            subject: match item.source {
                ReviewOf::Incident(n) => Subject::Incident(n),
                ReviewOf::Vulnerability(n) => Subject::Vulnerability(n),
            },
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

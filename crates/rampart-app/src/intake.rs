//! Machine intake in the application layer: every report, from a person or a
//! sensor, goes through [`App::ingest`], which folds a repeated alert into
//! its first event, relates the new event to open work sharing its
//! observables or assets, and asks the categorization rules for a proposal.
//! The batch endpoint and the syslog receiver hand many reports at once to
//! [`App::ingest_many`], whose units share commits in the store's writer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rampart_domain::{
    Action, Actor, AssessmentDecision, AssessmentInput, DomainError, Event, EventNumber,
    EventReport, FieldError, Incident, IncidentNumber, JournalAction, RuleSet, SourceKind, Text,
    Timestamp,
    journal::{
        EventAssessed, EventRepeated, EventReported, IncidentEventLinked, IntakeRulesChanged,
    },
};
use rampart_store::{
    CorrelationQuery, DeadLetter, Entity, EntityRef, JournalDraft, Page, StoreError, Write,
};

use crate::cache::Versioned;
use crate::unit::{Decided, Typed, Unit};
use crate::{ANONYMOUS, App, AppError};
pub use rampart_intake::shapes;

/// How machine intake behaves.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    /// How far back a new event looks for open work sharing its observables.
    pub correlation_window: Duration,
    /// Attach a new event straight to the open incident it correlates with.
    pub attach_to_open_incident: bool,
    /// Most events in one batch request.
    pub max_batch: usize,
    /// Largest batch request body, in bytes.
    pub max_batch_bytes: usize,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self {
            correlation_window: Duration::from_secs(24 * 3600),
            attach_to_open_incident: false,
            max_batch: 10_000,
            max_batch_bytes: 64 * 1024 * 1024,
        }
    }
}

/// How long this node trusts its copy of the categorization rules before
/// reading them again (another node may have changed them).
const RULES_TTL: Duration = Duration::from_secs(5);

impl Versioned for RuleSet {
    const WHAT: &'static str = "the rules";
    const ENTITY: &'static str = "intake:rules";

    fn key() -> EntityRef {
        EntityRef::Rules
    }

    fn shipped() -> Self {
        RuleSet::default()
    }

    fn version(&self) -> u32 {
        self.version
    }

    fn set_version(&mut self, version: u32) {
        self.version = version;
    }

    fn into_entity(self) -> Entity {
        Entity::Rules(self)
    }

    fn changed(before: Self, after: Self) -> JournalAction {
        JournalAction::IntakeRulesChanged(IntakeRulesChanged { before, after })
    }
}

/// What became of one report.
#[derive(Debug, Clone)]
pub enum Intake {
    /// A new event.
    Created(Event),
    /// A repeat of an alert already stored: its occurrence count went up.
    Duplicate(Event),
}

impl Intake {
    pub fn event(&self) -> &Event {
        match self {
            Self::Created(e) | Self::Duplicate(e) => e,
        }
    }

    pub fn into_event(self) -> Event {
        match self {
            Self::Created(e) | Self::Duplicate(e) => e,
        }
    }
}

impl App {
    pub fn intake_settings(&self) -> &IntakeSettings {
        &self.intake
    }

    /// What this node's syslog receiver has done since start.
    pub fn syslog_counters(&self) -> &Arc<crate::intake::SyslogCounters> {
        &self.syslog_counters
    }

    /// The categorization rules in force.
    pub async fn rules(&self) -> Result<Arc<RuleSet>, AppError> {
        self.versioned(&self.rules, RULES_TTL).await
    }

    /// The categorization rules, for those who triage and those who administer.
    pub async fn get_rules(&self, actor: &Actor) -> Result<RuleSet, AppError> {
        if !actor.may(Action::ManageIntake) {
            actor.require(Action::ViewEvents)?;
        }
        Ok((*self.rules().await?).clone())
    }

    /// Replaces the categorization rules (admins). `version` must be the one
    /// the admin edited, so two admins do not overwrite each other unseen.
    pub async fn replace_rules(&self, actor: &Actor, new: RuleSet) -> Result<RuleSet, AppError> {
        actor.require(Action::ManageIntake)?;
        new.validate()?;
        let scale = self.current_scale().await?;
        for (i, rule) in new.rules.iter().enumerate() {
            if let Some(c) = rule.category {
                scale.require_active(c, &format!("rules[{i}].category"))?;
            }
        }
        self.replace_versioned(actor, &self.rules, new).await
    }

    /// Takes in one report: a new event, or a repeat of an alert already stored.
    pub async fn ingest(&self, actor: &Actor, report: EventReport) -> Result<Intake, AppError> {
        let rules = self.rules().await?;
        let unit = self.intake_unit(actor, report, rules)?;
        self.intake_done(actor, self.run(unit).await?).await
    }

    /// Takes in many reports at once; their units share commits and reach
    /// the store in the order given, so a repeat within one batch is the
    /// later item. One result per report, in order.
    pub async fn ingest_many(
        &self,
        actor: &Actor,
        reports: Vec<Result<EventReport, Vec<FieldError>>>,
    ) -> Vec<Result<Intake, AppError>> {
        let rules = match self.rules().await {
            Ok(r) => r,
            Err(e) => {
                let message = e.to_string();
                return reports
                    .iter()
                    .map(|_| Err(AppError::Store(StoreError::Database(message.clone()))))
                    .collect();
            }
        };
        let units: Vec<_> = reports
            .into_iter()
            .map(|r| match r {
                Ok(report) => self.intake_unit(actor, report, rules.clone()),
                Err(errors) => Err(AppError::Domain(DomainError::Invalid(errors))),
            })
            .collect();
        // Every unit is handed to the store's writer on the first poll, in order.
        let work = units.into_iter().map(|unit| async move {
            match unit {
                Ok(unit) => self.intake_done(actor, self.run(unit).await?).await,
                Err(e) => Err(e),
            }
        });
        futures_util::future::join_all(work).await
    }

    /// The unit that stores a report as a new event or counts it as a repeat.
    fn intake_unit(
        &self,
        actor: &Actor,
        report: EventReport,
        rules: Arc<RuleSet>,
    ) -> Result<Typed<Intake>, AppError> {
        actor.require(Action::ReportEvent)?;
        let now = self.clock.now();
        report.validate(now)?;
        let reporter = actor.clone();
        let journal_actor = if report.anonymous {
            ANONYMOUS.to_owned()
        } else {
            actor.name.clone()
        };
        let mut unit = Unit::new(journal_actor);
        let mut first = None;
        if let Some(source) = &report.source
            && source.kind == SourceKind::Sensor
            && let (Some(name), Some(reference)) = (&source.name, &source.reference)
        {
            first = Some(unit.load::<Event>(EntityRef::EventBySource {
                name: name.to_string(),
                reference: reference.to_string(),
            }));
        }
        let allocated = unit.allocate::<EventNumber>();
        let keys = rampart_domain::report_correlation_keys(&report);
        let window =
            time::Duration::try_from(self.intake.correlation_window).unwrap_or(time::Duration::DAY);
        let since = Timestamp::from_offset(now.as_offset() - window);
        unit.correlating(CorrelationQuery { keys, since });
        // The record and the rules' proposal are made here, on the request's
        // own task; the writer only numbers and times it and relates it to
        // what it finds stored (the number is a placeholder until then).
        let placeholder = EventNumber::new(now.year().try_into().unwrap_or(u16::MAX), 1)
            .map_err(|m| DomainError::field("number", m))?;
        let mut event = Event::report(placeholder, report, &reporter, now);
        event.proposal = rules.propose(&event);
        Ok(unit.decide(move |ctx| {
            if let Some(mut first) = first.as_ref().and_then(|h| ctx.maybe(h)) {
                first.repeated(ctx.now());
                let payload = JournalAction::EventRepeated(EventRepeated {
                    occurrences: first.occurrences,
                    last_seen: first.last_seen,
                });
                return Ok(Decided::new(Intake::Duplicate(first.clone()))
                    .journal(JournalDraft::new(first.number, payload))
                    .update(Entity::Event(Box::new(first)))
                    .numbers_unused());
            }
            event.number = ctx.number(&allocated)?;
            event.reported_at = ctx.now();
            event.related = rampart_domain::correlate(ctx.correlated());
            let number = event.number;
            // The journal of an anonymous report holds no identity; the record keeps it for those allowed to see it.
            let payload = JournalAction::EventReported(EventReported(Box::new(event.clone())));
            Ok(Decided::new(Intake::Created(event.clone()))
                .journal(JournalDraft::new(number, payload))
                .insert(Entity::Event(Box::new(event))))
        }))
    }

    /// What an intake unit did, as the reporter may see it; attaches a new
    /// event to an open incident when that rule is on.
    async fn intake_done(&self, actor: &Actor, intake: Intake) -> Result<Intake, AppError> {
        let outcome = match intake {
            Intake::Created(_) => "accepted",
            Intake::Duplicate(_) => "repeat",
        };
        count_intake(actor, outcome);
        let (event, intake): (Event, fn(Event) -> Intake) = match intake {
            Intake::Created(event) => match self.attach_target(&event) {
                Some(incident) => (self.attach(event, incident).await?, Intake::Created),
                None => (event, Intake::Created),
            },
            Intake::Duplicate(event) => (event, Intake::Duplicate),
        };
        let mut shown = [event.visible_to(actor)];
        self.hide_restricted_links(actor, &mut shown).await?;
        let [event] = shown;
        Ok(intake(event))
    }

    /// The open incident a new event goes to directly, when that rule is on.
    fn attach_target(&self, event: &Event) -> Option<IncidentNumber> {
        if !self.intake.attach_to_open_incident {
            return None;
        }
        event
            .related
            .iter()
            .find_map(|c| c.number.parse::<IncidentNumber>().ok())
    }

    /// Escalates a new event and links it to an incident it correlates with,
    /// as Rampart itself; when the incident is no longer open the event stays
    /// as it was, still showing the relation.
    async fn attach(&self, event: Event, incident: IncidentNumber) -> Result<Event, AppError> {
        let system = Actor::system();
        let number = event.number;
        let mut unit = Unit::new(&system.name);
        let loaded_incident = unit.load::<Incident>(EntityRef::Incident(incident));
        let loaded_event = unit.load::<Event>(EntityRef::Event(number));
        let unit = unit.decide(move |ctx| {
            let mut inc = ctx.take(&loaded_incident, || incident.to_string())?;
            let mut e = ctx.take(&loaded_event, || number.to_string())?;
            let notes = Text::new(format!(
                "attached to {incident}, which shares its observables (correlation rule)"
            ))
            .ok();
            e.assess(
                AssessmentInput {
                    decision: AssessmentDecision::PossibleIncident,
                    notes,
                    escalate: false,
                    category: None,
                    rsit: None,
                },
                &system,
                ctx.now(),
            )?;
            inc.link_event(&mut e, &system, ctx.now())?;
            Ok(Decided::new(e.clone())
                .journal(JournalDraft::new(
                    number,
                    JournalAction::EventAssessed(EventAssessed::ByRule(e.assessment.clone())),
                ))
                .journal(JournalDraft::new(
                    incident,
                    JournalAction::IncidentEventLinked(IncidentEventLinked {
                        event: number,
                        rule: Some("correlation".into()),
                    }),
                ))
                .update(Entity::Event(Box::new(e)))
                .update(Entity::Incident(Box::new(inc))))
        });
        match self.run(unit).await {
            Ok(attached) => Ok(attached),
            // Closed or restricted meanwhile: the event stays in the queue.
            Err(AppError::Domain(DomainError::Conflict(_) | DomainError::Invalid(_))) => Ok(event),
            Err(e) => Err(e),
        }
    }

    /// Keeps a machine message that could not be taken in.
    pub async fn dead_letter(
        &self,
        transport: &str,
        peer: &str,
        reason: &str,
        raw: &[u8],
    ) -> Result<(), AppError> {
        metrics::counter!(INTAKE_EVENTS, "source" => "syslog", "outcome" => "dead_letter")
            .increment(1);
        let letter = DeadLetter {
            id: None,
            received_at: self.clock.now(),
            transport: transport.to_owned(),
            peer: peer.to_owned(),
            reason: reason.to_owned(),
            raw: String::from_utf8_lossy(raw).into_owned(),
        };
        let (unit, _) = Unit::new("system")
            .decide(move |_| Ok(Decided::new(()).write(Write::DeadLetter(letter))))
            .into_parts();
        self.store.execute(unit).await?;
        Ok(())
    }

    /// Dead letters, newest first (admins).
    pub async fn dead_letters(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Page<DeadLetter>, u64), AppError> {
        actor.require(Action::ManageIntake)?;
        let page = self.store.dead_letters(cursor, limit).await?;
        Ok((page, self.store.dead_letter_count().await?))
    }

    /// This node's syslog counters and the number of dead letters (admins).
    pub async fn intake_status(
        &self,
        actor: &Actor,
    ) -> Result<(crate::intake::SyslogStats, u64), AppError> {
        actor.require(Action::ManageIntake)?;
        Ok((
            self.syslog_counters.snapshot(),
            self.store.dead_letter_count().await?,
        ))
    }
}

/// The metric of reports taken in, by `source` (`api`, `syslog`) and
/// `outcome` (`accepted`, `repeat`, `dead_letter`).
pub const INTAKE_EVENTS: &str = "rampart_intake_events_total";

/// Counts a report taken in: from the syslog receiver or over the API.
fn count_intake(actor: &Actor, outcome: &'static str) {
    let source = if actor.name == SYSLOG_ACTOR {
        "syslog"
    } else {
        "api"
    };
    metrics::counter!(INTAKE_EVENTS, "source" => source, "outcome" => outcome).increment(1);
}

// ----- the syslog receiver's counters ------------------------------------

/// The journal's actor for events taken in over syslog.
pub const SYSLOG_ACTOR: &str = "syslog";

/// What the receiver has done since start.
#[derive(Debug, Default)]
pub struct SyslogCounters {
    pub received: AtomicU64,
    pub created: AtomicU64,
    pub duplicates: AtomicU64,
    pub dead_letters: AtomicU64,
    /// UDP messages dropped because their source sent too fast or the queue was full.
    pub dropped: AtomicU64,
    /// Messages not stored because storage failed (TCP connections are closed then).
    pub failed: AtomicU64,
}

/// A snapshot of [`SyslogCounters`].
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyslogStats {
    pub received: u64,
    pub created: u64,
    pub duplicates: u64,
    pub dead_letters: u64,
    pub dropped: u64,
    pub failed: u64,
}

impl SyslogCounters {
    pub fn snapshot(&self) -> SyslogStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SyslogStats {
            received: get(&self.received),
            created: get(&self.created),
            duplicates: get(&self.duplicates),
            dead_letters: get(&self.dead_letters),
            dropped: get(&self.dropped),
            failed: get(&self.failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::{Actor, Role, RuleSet};
    use serde_json::json;

    use super::Intake;
    use crate::ErrorKind;
    use crate::testing::{TestApp, from_json};

    /// Takes in a sensor's alert `reference` naming the address `ip`.
    async fn alert(t: &TestApp, poc: &Actor, reference: &str, ip: &str) -> Intake {
        let report = from_json(json!({
            "title": "SSH brute force", "description": "many failed logins",
            "source": {"kind": "sensor", "name": "suricata", "ref": reference},
            "observables": [{"type": "ip", "value": ip}],
        }));
        t.app.ingest(poc, report).await.unwrap()
    }

    #[tokio::test]
    async fn a_repeated_alert_folds_into_its_first_event_and_numbers_stay_gap_free() {
        let t = TestApp::new().await;
        let poc = t.user("pat", &[Role::Poc]).await;
        let Intake::Created(first) = alert(&t, &poc, "a-1", "203.0.113.9").await else {
            panic!("the first alert is a new event")
        };
        t.clock.advance(time::Duration::minutes(5));
        let Intake::Duplicate(again) = alert(&t, &poc, "a-1", "203.0.113.9").await else {
            panic!("the same alert again is a repeat")
        };
        assert_eq!((again.number, again.occurrences), (first.number, 2));
        let journal = ["event.reported", "event.repeated"];
        assert_eq!(t.actions(first.number).await, journal);
        let next = alert(&t, &poc, "a-2", "198.51.100.7").await;
        assert_eq!(next.event().number.seq(), first.number.seq() + 1);
    }

    #[tokio::test]
    async fn a_new_event_is_related_to_open_events_sharing_an_observable() {
        let t = TestApp::new().await;
        let poc = t.user("pat", &[Role::Poc]).await;
        let first = alert(&t, &poc, "a-1", "203.0.113.9").await.into_event();
        let second = alert(&t, &poc, "a-2", "203.0.113.9").await.into_event();
        assert_eq!(second.related.len(), 1, "{:?}", second.related);
        assert_eq!(second.related[0].number, first.number.to_string());
        assert_eq!(second.related[0].shared, ["ip:203.0.113.9"]);
        let other = alert(&t, &poc, "a-3", "198.51.100.7").await;
        assert!(other.event().related.is_empty());
    }

    #[tokio::test]
    async fn rules_propose_a_category_and_are_replaced_only_against_the_version_read() {
        let t = TestApp::new().await;
        let admin = t.user("ada", &[Role::Admin]).await;
        let poc = t.user("pat", &[Role::Poc]).await;
        let rules: RuleSet = from_json(json!({"version": 0, "rules": [
            {"name": "ssh brute force", "source": "suricata", "text": "ssh",
             "rsit": {"class": "intrusion-attempts", "type": "brute-force"}}]}));
        let refused = t.app.replace_rules(&poc, rules.clone()).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
        let saved = t.app.replace_rules(&admin, rules.clone()).await.unwrap();
        assert_eq!(saved.version, 1);
        let stale = t.app.replace_rules(&admin, rules).await.unwrap_err();
        assert_eq!(stale.kind(), ErrorKind::Invalid);
        assert_eq!(t.actions("intake:rules").await, ["intake.rules_changed"]);

        let event = alert(&t, &poc, "a-1", "203.0.113.9").await.into_event();
        assert_eq!(event.proposal.expect("a proposal").rule, "ssh brute force");
    }
}

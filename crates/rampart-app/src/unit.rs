//! Typed units of work. A command names the records it needs and the
//! numbers it wants, getting a typed handle for each; its decision takes
//! them back by handle (never by position), and returns the command's own
//! result beside the writes and journal entries. [`App::run`] hands the unit
//! to the store's unchanged `Store::execute` and gives the result back.
//!
//! ```ignore
//! let mut unit = Unit::new(&actor.name);
//! let incident = unit.load(EntityRef::Incident(number));
//! let run = unit.decide(move |ctx| {
//!     let mut incident: Incident = ctx.take(&incident, || format!("incident {number}"))?;
//!     incident.title = title;
//!     Ok(Decided::new(incident.clone()).update(Entity::Incident(Box::new(incident))))
//! });
//! let incident = app.run(run).await?;
//! ```

use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use rampart_domain::{
    CorrelationHit, DomainError, Event, EventNumber, EvidenceItem, EvidenceNumber, InboxItem,
    Incident, IncidentNumber, NoticePreferences, NumberKind, ResponseTargets, RuleSet, Timestamp,
    Vulnerability, VulnerabilityNumber, Webhook,
};
use rampart_store::{
    ApiToken, Checkpoint, CorrelationQuery, Credentials, Decision, Entity, EntityRef, JournalDraft,
    Session, Throttle, UnitOfWork, User, Write,
};

/// A kind of stored record a unit can load.
pub(crate) trait Record: Sized {
    fn from_entity(entity: Entity) -> Option<Self>;
}

macro_rules! records {
    ($($variant:ident => $ty:ty),* $(,)?) => {$(
        impl Record for $ty {
            fn from_entity(entity: Entity) -> Option<Self> {
                match entity {
                    Entity::$variant(r) => Some(r),
                    _ => None,
                }
            }
        }
    )*};
}

impl Record for Event {
    fn from_entity(entity: Entity) -> Option<Self> {
        entity.into_event()
    }
}

impl Record for Incident {
    fn from_entity(entity: Entity) -> Option<Self> {
        entity.into_incident()
    }
}

impl Record for Vulnerability {
    fn from_entity(entity: Entity) -> Option<Self> {
        entity.into_vulnerability()
    }
}

impl Record for EvidenceItem {
    fn from_entity(entity: Entity) -> Option<Self> {
        entity.into_evidence()
    }
}

impl Record for Webhook {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Webhook(hook) => Some(*hook),
            _ => None,
        }
    }
}

impl Record for rampart_domain::regulatory::RegulatoryRules {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Regulatory(rules) => Some(*rules),
            _ => None,
        }
    }
}

impl Record for rampart_domain::Document {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Document(doc) => Some(*doc),
            _ => None,
        }
    }
}

impl Record for rampart_domain::Team {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Team(team) => Some(*team),
            _ => None,
        }
    }
}

impl Record for rampart_domain::Contact {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Contact(contact) => Some(*contact),
            _ => None,
        }
    }
}

impl Record for rampart_domain::Playbook {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Playbook(playbook) => Some(*playbook),
            _ => None,
        }
    }
}

impl Record for rampart_domain::ClassificationScale {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Scale(scale) => Some(*scale),
            _ => None,
        }
    }
}

impl Record for rampart_domain::Exercise {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Exercise(x) => Some(*x),
            _ => None,
        }
    }
}

impl Record for rampart_domain::ImprovementAction {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Improvement(i) => Some(*i),
            _ => None,
        }
    }
}

impl Record for InboxItem {
    fn from_entity(entity: Entity) -> Option<Self> {
        match entity {
            Entity::Inbox(item) => Some(*item),
            _ => None,
        }
    }
}

records!(
    User => User,
    ApiToken => ApiToken,
    Credentials => Credentials,
    Session => Session,
    Throttle => Throttle,
    Checkpoint => Checkpoint,
    Rules => RuleSet,
    Preferences => NoticePreferences,
    Targets => ResponseTargets,
);

/// A kind of record number a unit can allocate.
pub(crate) trait Number: Sized {
    const KIND: NumberKind;
    fn make(year: u16, seq: u32) -> Result<Self, String>;
}

macro_rules! numbers {
    ($($ty:ty => $kind:ident),* $(,)?) => {$(
        impl Number for $ty {
            const KIND: NumberKind = NumberKind::$kind;
            fn make(year: u16, seq: u32) -> Result<Self, String> {
                <$ty>::new(year, seq)
            }
        }
    )*};
}

numbers!(
    EventNumber => Event,
    IncidentNumber => Incident,
    VulnerabilityNumber => Vulnerability,
    EvidenceNumber => Evidence,
);

/// The place of a record in a unit's loads, typed by what it is.
pub(crate) struct Loaded<R> {
    index: usize,
    record: PhantomData<fn() -> R>,
}

/// The place of a number in a unit's allocations, typed by its kind.
pub(crate) struct Allocated<N> {
    index: usize,
    number: PhantomData<fn() -> N>,
}

/// A unit being put together: what to load, what to allocate.
pub(crate) struct Unit {
    actor: String,
    load: Vec<EntityRef>,
    allocate: Vec<NumberKind>,
    correlate: Option<CorrelationQuery>,
}

impl Unit {
    pub(crate) fn new(actor: impl Into<String>) -> Self {
        Self {
            actor: actor.into(),
            load: vec![],
            allocate: vec![],
            correlate: None,
        }
    }

    /// Loads a record inside the transaction; absent if it does not exist.
    pub(crate) fn load<R: Record>(&mut self, key: EntityRef) -> Loaded<R> {
        self.load.push(key);
        Loaded {
            index: self.load.len() - 1,
            record: PhantomData,
        }
    }

    /// Allocates the next number of a kind inside the transaction.
    pub(crate) fn allocate<N: Number>(&mut self) -> Allocated<N> {
        self.allocate.push(N::KIND);
        Allocated {
            index: self.allocate.len() - 1,
            number: PhantomData,
        }
    }

    /// Also looks up stored events sharing these keys ([`Ctx::correlated`]).
    pub(crate) fn correlating(&mut self, query: CorrelationQuery) {
        self.correlate = Some(query);
    }

    /// The unit with its decision: a pure function of what was loaded and
    /// allocated, run inside the transaction.
    pub(crate) fn decide<T: Send + 'static>(
        self,
        decide: impl FnOnce(&mut Ctx) -> Result<Decided<T>, DomainError> + Send + 'static,
    ) -> Typed<T> {
        let output = Arc::new(Mutex::new(None));
        let slot = output.clone();
        let notices = Arc::new(Mutex::new(Vec::new()));
        let queued = notices.clone();
        let actor = self.actor.clone();
        let mut unit = UnitOfWork::new(self.actor, self.load, self.allocate, move |context| {
            let now = context.now;
            let mut ctx = Ctx { inner: context };
            let decided = decide(&mut ctx)?;
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(decided.output);
            let mut decision = decided.decision;
            // The notices the change calls for go out with it (the outbox).
            *queued.lock().unwrap_or_else(PoisonError::into_inner) =
                crate::notify::outbox(&mut decision, &actor, now);
            Ok(decision)
        });
        if let Some(query) = self.correlate {
            unit = unit.correlating(query);
        }
        Typed {
            unit,
            output,
            notices,
        }
    }
}

/// A unit ready to run, and where its decision leaves the command's result.
pub(crate) struct Typed<T> {
    unit: UnitOfWork,
    output: Arc<Mutex<Option<T>>>,
    notices: Arc<Mutex<Vec<String>>>,
}

impl<T> Typed<T> {
    /// The store's unit, and a way to collect the result once it committed.
    pub(crate) fn into_parts(self) -> (UnitOfWork, Output<T>) {
        (
            self.unit,
            Output {
                result: self.output,
                notices: self.notices,
            },
        )
    }
}

/// Where a decision leaves the command's result.
pub(crate) struct Output<T> {
    result: Arc<Mutex<Option<T>>>,
    notices: Arc<Mutex<Vec<String>>>,
}

impl<T> Output<T> {
    /// The result of the last run of the decision (the store may run it
    /// again after a conflict; the last run is the one that committed).
    pub(crate) fn take(&self) -> Option<T> {
        self.result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The keys of the notice jobs the decision queued, to run once it committed.
    pub(crate) fn notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What a decision sees: the loaded records and allocated numbers (by
/// handle), the transaction's time and the correlated events.
pub(crate) struct Ctx {
    inner: rampart_store::Context,
}

impl Ctx {
    /// Takes a loaded record, or refuses with `what` not found.
    pub(crate) fn take<R: Record>(
        &mut self,
        handle: &Loaded<R>,
        what: impl FnOnce() -> String,
    ) -> Result<R, DomainError> {
        self.maybe(handle)
            .ok_or_else(|| DomainError::NotFound(what()))
    }

    /// Takes a loaded record if it exists.
    pub(crate) fn maybe<R: Record>(&mut self, handle: &Loaded<R>) -> Option<R> {
        self.inner
            .loaded
            .get_mut(handle.index)
            .and_then(Option::take)
            .and_then(R::from_entity)
    }

    /// An allocated number.
    pub(crate) fn number<N: Number>(&self, handle: &Allocated<N>) -> Result<N, DomainError> {
        let (year, seq) = self
            .inner
            .numbers
            .get(handle.index)
            .copied()
            .ok_or_else(|| DomainError::NotFound("allocated number".into()))?;
        N::make(year, seq).map_err(|m| DomainError::field("number", m))
    }

    /// The transaction's time.
    pub(crate) fn now(&self) -> Timestamp {
        self.inner.now
    }

    /// Stored events sharing a key of the unit's correlation query.
    pub(crate) fn correlated(&self) -> &[CorrelationHit] {
        &self.inner.correlated
    }
}

/// A decision: the command's result, the writes and the journal entries.
pub(crate) struct Decided<T> {
    output: T,
    decision: Decision,
}

impl<T> Decided<T> {
    /// A decision whose result is `output`, writing nothing yet.
    pub(crate) fn new(output: T) -> Self {
        Self {
            output,
            decision: Decision::default(),
        }
    }

    pub(crate) fn insert(mut self, entity: Entity) -> Self {
        self.decision.writes.push(Write::Insert(entity));
        self
    }

    pub(crate) fn update(mut self, entity: Entity) -> Self {
        self.decision.writes.push(Write::Update(entity));
        self
    }

    pub(crate) fn write(mut self, write: Write) -> Self {
        self.decision.writes.push(write);
        self
    }

    pub(crate) fn journal(mut self, entry: JournalDraft) -> Self {
        self.decision.journal.push(entry);
        self
    }

    /// The numbers the unit allocated go back unused (a repeated alert), so
    /// numbers stay gap-free.
    pub(crate) fn numbers_unused(mut self) -> Self {
        self.decision.release_numbers = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::Role;

    use super::*;

    fn user(name: &str) -> User {
        User {
            name: name.into(),
            roles: vec![Role::Reporter],
            created_at: Timestamp::from_unix(0).unwrap(),
            created_by: "system".into(),
            disabled: false,
        }
    }

    /// Runs a unit's decision on what the store would have loaded and
    /// allocated, as the store does inside its transaction.
    fn decide<T>(
        unit: Typed<T>,
        loaded: Vec<Option<Entity>>,
        numbers: Vec<(u16, u32)>,
    ) -> (Result<Decision, DomainError>, Option<T>) {
        let (unit, output) = unit.into_parts();
        assert_eq!(unit.load.len(), loaded.len());
        assert_eq!(unit.allocate.len(), numbers.len());
        let decided = (unit.decide)(rampart_store::Context {
            loaded,
            numbers,
            now: Timestamp::from_unix(1_800_000_000).unwrap(),
            correlated: vec![],
        });
        (decided, output.take())
    }

    #[test]
    fn records_and_numbers_come_back_by_handle_and_type() {
        let mut unit = Unit::new("alice");
        let ann = unit.load::<User>(EntityRef::User("ann".into()));
        let bob = unit.load::<User>(EntityRef::User("bob".into()));
        let number = unit.allocate::<EventNumber>();
        let typed = unit.decide(move |ctx| {
            // Taken in another order than loaded.
            let bob = ctx.take(&bob, || "user bob".into())?;
            let ann = ctx.take(&ann, || "user ann".into())?;
            let number = ctx.number(&number)?;
            Ok(Decided::new((ann.name, bob.name, number.to_string()))
                .update(Entity::User(user("ann"))))
        });
        let (decision, output) = decide(
            typed,
            vec![
                Some(Entity::User(user("ann"))),
                Some(Entity::User(user("bob"))),
            ],
            vec![(2026, 7)],
        );
        assert_eq!(decision.unwrap().writes.len(), 1);
        let (ann, bob, number) = output.unwrap();
        assert_eq!((ann.as_str(), bob.as_str()), ("ann", "bob"));
        assert_eq!(number, EventNumber::new(2026, 7).unwrap().to_string());
    }

    #[test]
    fn unused_numbers_are_marked_on_the_decision_not_written() {
        let mut unit = Unit::new("alice");
        let number = unit.allocate::<EventNumber>();
        let typed = unit.decide(move |ctx| {
            ctx.number(&number)?;
            Ok(Decided::new(()).numbers_unused())
        });
        let (decision, output) = decide(typed, vec![], vec![(2026, 7)]);
        let decision = decision.unwrap();
        assert!(decision.release_numbers);
        assert!(decision.writes.is_empty());
        assert_eq!(output, Some(()));
    }

    #[test]
    fn a_missing_or_other_record_is_not_found_and_leaves_no_result() {
        let mut unit = Unit::new("alice");
        let gone = unit.load::<User>(EntityRef::User("gone".into()));
        let typed = unit.decide(move |ctx| {
            let user = ctx.take(&gone, || "user gone".into())?;
            Ok(Decided::new(user.name))
        });
        let (decision, output) = decide(typed, vec![None], vec![]);
        assert_eq!(
            decision.unwrap_err(),
            DomainError::NotFound("user gone".into())
        );
        assert!(output.is_none());

        let mut unit = Unit::new("alice");
        let event = unit.load::<Event>(EntityRef::User("ann".into()));
        let typed = unit.decide(move |ctx| Ok(Decided::new(ctx.maybe(&event).is_some())));
        let (_, output) = decide(typed, vec![Some(Entity::User(user("ann")))], vec![]);
        assert_eq!(output, Some(false), "a user is not an event");
    }
}

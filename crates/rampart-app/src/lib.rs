//! Rampart's application layer: every command and query, whatever the
//! interface (the API, the web UI, the syslog receiver, the command line).
//! Each method checks the role table, then runs one unit of work that commits
//! the state change and its journal entry together, or changes nothing.
//!
//! [`App`] is split by capability, one module each: records (events and
//! incidents here, [`vulnerabilities`]), [`people`] (users, tokens, sign-in,
//! sessions), [`evidence`] (vault, custody, integrity, retention, bundles,
//! checkpoints), [`intake`], [`jobs`], [`visibility`] (need-to-know) and
//! [`readiness`]. Nothing here knows HTTP.

pub mod auth;
mod error;
pub mod evidence;
pub mod intake;
pub mod jobs;
pub mod limits;
pub mod people;
pub mod readiness;
pub mod visibility;
pub mod vulnerabilities;

pub use error::{AppError, ErrorKind};
/// The read models and queries the application answers with, as the store
/// defines them; the interfaces need no store of their own.
pub use rampart_store::{
    ApiToken, Credentials, DeadLetter, EventQuery, IncidentQuery, IncidentSort, Job, JobState,
    JournalEntry, JournalQuery, MAX_PAGE, Page, Session, SessionStage, User, VulnerabilityQuery,
};

use std::sync::Arc;

use rampart_domain::{
    Action, ActionUpdate, Actor, AssessmentInput, Clock, DomainError, Event, EventNumber,
    EventReport, Incident, IncidentConfirmation, IncidentNumber, IncidentPatch, LogEntry,
    NewAction, NewLogEntry, NumberKind, ResponseAction, Review, ReviewInput, Role, Text,
    TransitionRequest,
};
use rampart_store::{
    Committed, Context, Counts, Decision, Entity, EntityRef, JournalDraft, Store, UnitOfWork, Write,
};
use serde::Serialize;

use serde_json::{Value, json};

/// The journal's actor for an anonymous report.
pub const ANONYMOUS: &str = "anonymous";

/// Names Rampart itself acts under; no user may take them.
pub const RESERVED_NAMES: [&str; 4] = [ANONYMOUS, "public", "system", crate::intake::SYSLOG_ACTOR];

/// A committed change, announced to live pages (the record and what happened to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub entity: String,
    pub action: String,
}

/// Every command and query of Rampart.
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: crate::people::AuthSettings,
    changes: tokio::sync::broadcast::Sender<Change>,
    /// Journal sequence numbers already announced on this node.
    announced: Arc<Announced>,
    pub(crate) vault: Option<Arc<crate::evidence::Vault>>,
    pub(crate) intake: crate::intake::IntakeSettings,
    pub(crate) rules: Arc<crate::intake::RulesCache>,
    pub(crate) syslog_counters: Arc<crate::intake::SyslogCounters>,
    tokens: Arc<TokenCache>,
    /// This process among the nodes, as it claims background jobs.
    pub(crate) node: Arc<str>,
    /// One job runner at a time on this node.
    pub(crate) job_runner: Arc<tokio::sync::Mutex<()>>,
    /// Set when the server stops: live streams end, so a graceful shutdown
    /// does not wait for pages that would stay connected for ever.
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Where readiness looks for room, and commits refused for lack of it.
    pub(crate) readiness: Arc<crate::readiness::Readiness>,
}

/// How long a verified API token is trusted without asking the store again.
/// A change of users or tokens on this node empties the cache at once; on
/// other nodes it takes effect within this time.
const TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(2);
/// Most tokens remembered; past that the cache starts afresh.
const TOKEN_CACHE: usize = 10_000;

/// A name for this process among the nodes: host, process and start time.
fn node_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".to_owned());
    let started = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{host}:{}:{:x}",
        std::process::id(),
        started % 0x1_0000_0000
    )
}

/// Journal entries this node has announced to its live pages: its own, as
/// they commit, and other nodes' as the database reports them (which may
/// report this node's own too, before or after). Each is announced once.
#[derive(Debug, Default)]
struct Announced(std::sync::Mutex<std::collections::BTreeSet<u64>>);

/// Sequence numbers remembered; older ones are forgotten first.
const ANNOUNCED_KEPT: usize = 65_536;

impl Announced {
    /// Whether `seq` is new here (and is now remembered).
    fn first_time(&self, seq: u64) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return true;
        };
        if seen.first().is_some_and(|oldest| seq < *oldest) && seen.len() >= ANNOUNCED_KEPT {
            // Older than anything remembered: announced long ago.
            return false;
        }
        let new = seen.insert(seq);
        if seen.len() > ANNOUNCED_KEPT {
            seen.pop_first();
        }
        new
    }
}

/// Recently verified API tokens: SHA-256 of the token → the actor, and when.
#[derive(Debug, Default)]
struct TokenCache(std::sync::Mutex<std::collections::HashMap<String, (Actor, std::time::Instant)>>);

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Actor> {
        let cache = self.0.lock().ok()?;
        cache
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_TTL)
            .map(|(actor, _)| actor.clone())
    }

    fn put(&self, hash: String, actor: Actor) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() >= TOKEN_CACHE {
                cache.clear();
            }
            cache.insert(hash, (actor, std::time::Instant::now()));
        }
    }

    fn clear(&self) {
        if let Ok(mut cache) = self.0.lock() {
            cache.clear();
        }
    }
}

pub(crate) fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub(crate) fn draft(action: &str, entity: impl ToString, payload: Value) -> JournalDraft {
    JournalDraft {
        action: action.to_owned(),
        entity: entity.to_string(),
        payload,
    }
}

pub(crate) fn not_found(what: impl std::fmt::Display) -> AppError {
    DomainError::NotFound(what.to_string()).into()
}

pub(crate) fn first(committed: Committed) -> Result<Entity, AppError> {
    committed
        .entities
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal("the command wrote nothing".into()))
}

fn take_incident(
    ctx: &mut Context,
    i: usize,
    number: IncidentNumber,
) -> Result<Incident, DomainError> {
    ctx.take(i, || format!("incident {number}"))?
        .into_incident()
        .ok_or_else(|| DomainError::NotFound(number.to_string()))
}

fn take_event(ctx: &mut Context, i: usize, number: EventNumber) -> Result<Event, DomainError> {
    ctx.take(i, || format!("event {number}"))?
        .into_event()
        .ok_or_else(|| DomainError::NotFound(number.to_string()))
}

/// The coordinator must be a user who can handle incidents.
fn check_coordinator(ctx: &mut Context, i: usize, name: &str) -> Result<(), DomainError> {
    let user = ctx.take(i, String::new).ok().and_then(Entity::into_user);
    match user {
        Some(u)
            if !u.disabled
                && (u.roles.contains(&Role::IsirtMember)
                    || u.roles.contains(&Role::IsirtManager)) =>
        {
            Ok(())
        }
        Some(_) => Err(DomainError::field(
            "coordinator",
            format!("user `{name}` is not an active ISIRT member or manager"),
        )),
        None => Err(DomainError::field(
            "coordinator",
            format!("no user named `{name}`"),
        )),
    }
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self::with_settings(store, clock, crate::people::AuthSettings::default())
    }

    pub fn with_settings(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: crate::people::AuthSettings,
    ) -> Self {
        let (changes, _) = tokio::sync::broadcast::channel(1024);
        Self {
            store,
            clock,
            settings,
            changes,
            announced: Arc::default(),
            vault: None,
            intake: crate::intake::IntakeSettings::default(),
            rules: Arc::default(),
            syslog_counters: Arc::default(),
            tokens: Arc::default(),
            node: node_name().into(),
            job_runner: Arc::default(),
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
            readiness: Arc::default(),
        }
    }

    /// The same service with these intake settings.
    pub fn with_intake(mut self, intake: crate::intake::IntakeSettings) -> Self {
        self.intake = intake;
        self
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Live changes of this node, for server-sent events.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Runs a unit of work and announces what it changed.
    pub(crate) async fn run(&self, unit: UnitOfWork) -> Result<Committed, AppError> {
        let committed = self.store.execute(unit).await;
        self.readiness.note(&committed);
        let committed = committed?;
        if let Some(last) = committed.journal.last() {
            self.checkpoint_when_due(last.seq);
        }
        if committed
            .journal
            .iter()
            .any(|e| e.action.starts_with("user.") || e.action.starts_with("token."))
        {
            self.tokens.clear();
        }
        for entry in &committed.journal {
            self.announce(entry.seq, &entry.entity, &entry.action);
        }
        Ok(committed)
    }

    /// Ends every live stream, now and from now on (the server is stopping).
    pub fn stop_live_updates(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves when the server is stopping.
    pub fn live_stopped(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut stopping = self.stopping.subscribe();
        async move {
            let _ = stopping.wait_for(|s| *s).await;
        }
    }

    /// Tells this node's live pages of a committed journal entry, unless they
    /// heard of it already (a change committed through another node arrives
    /// here through the database).
    pub fn announce(&self, seq: u64, entity: &str, action: &str) {
        if self.announced.first_time(seq) {
            // Nobody listening is fine.
            let _ = self.changes.send(Change {
                entity: entity.to_owned(),
                action: action.to_owned(),
            });
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    // ----- users and tokens -------------------------------------------------

    /// The actor behind an API token, if the token is valid and its user active.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Actor>, AppError> {
        if !auth::looks_like_token(token) {
            return Ok(None);
        }
        let hash = auth::hash_token(token);
        if let Some(actor) = self.tokens.get(&hash) {
            return Ok(Some(actor));
        }
        let actor = self
            .store
            .token_user(&hash)
            .await?
            .filter(|u| !u.disabled)
            .map(|u| Actor::new(u.name, u.roles));
        if let Some(actor) = &actor {
            self.tokens.put(hash, actor.clone());
        }
        Ok(actor)
    }

    /// Creates a user.
    pub async fn add_user(
        &self,
        actor: &Actor,
        name: &str,
        roles: Vec<Role>,
    ) -> Result<User, AppError> {
        actor.require(Action::ManageUsers)?;
        let name =
            rampart_domain::parse_user_name(name).map_err(|m| DomainError::field("name", m))?;
        if RESERVED_NAMES.contains(&name.as_str()) {
            return Err(DomainError::field(
                "name",
                format!("`{name}` is reserved for Rampart's own journal entries"),
            )
            .into());
        }
        if roles.is_empty() {
            return Err(DomainError::field("roles", "give at least one role").into());
        }
        let by = actor.name.clone();
        let unit = UnitOfWork::new(
            by.clone(),
            vec![EntityRef::User(name.clone())],
            vec![],
            move |ctx| {
                if ctx.loaded.first().is_some_and(Option::is_some) {
                    return Err(DomainError::Conflict(format!(
                        "a user named `{name}` exists already"
                    )));
                }
                let mut roles = roles;
                roles.sort();
                roles.dedup();
                let user = User {
                    name: name.clone(),
                    roles,
                    created_at: ctx.now,
                    created_by: by,
                    disabled: false,
                };
                let payload = json!({"name": user.name, "roles": user.roles});
                Ok(Decision {
                    writes: vec![Write::Insert(Entity::User(user))],
                    journal: vec![draft("user.created", format!("user:{name}"), payload)],
                })
            },
        );
        first(self.run(unit).await?)?
            .into_user()
            .ok_or_else(|| not_found("user"))
    }

    /// Creates an API token for a user; returns the token record and the secret, shown once.
    pub async fn create_token(
        &self,
        actor: &Actor,
        user: &str,
    ) -> Result<(ApiToken, String), AppError> {
        actor.require(Action::ManageUsers)?;
        let secret = auth::new_token();
        let id = auth::token_id(&secret);
        let hash = auth::hash_token(&secret);
        let (by, user) = (actor.name.clone(), user.to_owned());
        let unit = UnitOfWork::new(
            by.clone(),
            vec![EntityRef::User(user.clone())],
            vec![],
            move |mut ctx| {
                ctx.take(0, || format!("user `{user}`"))?;
                // A digest of the stored hash: the records check can tell the token was not swapped.
                let digest = rampart_store::records::secret_digest(&hash);
                let token = ApiToken {
                    id: id.clone(),
                    user: user.clone(),
                    hash,
                    created_at: ctx.now,
                    created_by: by,
                };
                let payload = json!({"user": user, "token_id": id, "token_hash_sha256": digest});
                Ok(Decision {
                    writes: vec![Write::Insert(Entity::ApiToken(token))],
                    journal: vec![draft("token.created", format!("user:{user}"), payload)],
                })
            },
        );
        match first(self.run(unit).await?)? {
            Entity::ApiToken(t) => Ok((t, secret)),
            _ => Err(not_found("token")),
        }
    }

    /// On an empty installation, creates the `admin` user and returns its first token.
    pub async fn bootstrap_admin(&self) -> Result<Option<String>, AppError> {
        if self.store.user_count().await? > 0 {
            return Ok(None);
        }
        let system = Actor::system();
        match self.add_user(&system, "admin", vec![Role::Admin]).await {
            Ok(_) => {}
            // Another node created it first.
            Err(AppError::Domain(DomainError::Conflict(_))) => return Ok(None),
            Err(e) => return Err(e),
        }
        Ok(Some(self.create_token(&system, "admin").await?.1))
    }

    // ----- events -------------------------------------------------------------

    /// Reports an event; a repeated sensor alert is folded into its first event.
    pub async fn report_event(
        &self,
        actor: &Actor,
        report: EventReport,
    ) -> Result<Event, AppError> {
        Ok(self.ingest(actor, report).await?.into_event())
    }

    pub async fn get_event(&self, actor: &Actor, number: EventNumber) -> Result<Event, AppError> {
        if !actor.may(Action::ViewEvents) {
            actor.require(Action::ViewOwnEvents)?;
        }
        let event = self
            .store
            .get(&EntityRef::Event(number))
            .await?
            .and_then(Entity::into_event);
        // A reporter asking for someone else's event learns nothing, not even that it exists.
        match event {
            Some(e) if e.readable_by(actor) => {
                let mut events = vec![e.visible_to(actor)];
                self.hide_restricted_links(actor, &mut events).await?;
                events
                    .pop()
                    .ok_or_else(|| not_found(format!("event {number}")))
            }
            _ => Err(not_found(format!("event {number}"))),
        }
    }

    pub async fn list_events(
        &self,
        actor: &Actor,
        mut query: EventQuery,
    ) -> Result<Page<Event>, AppError> {
        if !actor.may(Action::ViewEvents) {
            actor.require(Action::ViewOwnEvents)?;
            query.submitted_by = Some(actor.name.clone());
        }
        let page = self.store.list_events(&query).await?;
        let mut items: Vec<Event> = page
            .items
            .into_iter()
            .map(|e| e.visible_to(actor))
            .collect();
        self.hide_restricted_links(actor, &mut items).await?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// Runs a change on one event and journals it.
    async fn change_event(
        &self,
        actor: &Actor,
        action: Action,
        number: EventNumber,
        journal_action: &'static str,
        change: impl FnOnce(&mut Event, &Actor, rampart_domain::Timestamp) -> Result<Value, DomainError>
        + Send
        + 'static,
    ) -> Result<Event, AppError> {
        actor.require(action)?;
        let who = actor.clone();
        let unit = UnitOfWork::new(
            actor.name.clone(),
            vec![EntityRef::Event(number)],
            vec![],
            move |mut ctx| {
                let mut event = take_event(&mut ctx, 0, number)?;
                let payload = change(&mut event, &who, ctx.now)?;
                Ok(Decision {
                    journal: vec![draft(journal_action, number, payload)],
                    writes: vec![Write::Update(Entity::Event(Box::new(event)))],
                })
            },
        );
        let event = first(self.run(unit).await?)?
            .into_event()
            .ok_or_else(|| not_found("event"))?;
        Ok(event.visible_to(actor))
    }

    pub async fn triage_event(
        &self,
        actor: &Actor,
        number: EventNumber,
    ) -> Result<Event, AppError> {
        self.change_event(
            actor,
            Action::TriageEvent,
            number,
            "event.triage",
            |e, who, now| {
                e.begin_triage(who, now)?;
                Ok(json!({"status": e.status}))
            },
        )
        .await
    }

    pub async fn assess_event(
        &self,
        actor: &Actor,
        number: EventNumber,
        input: AssessmentInput,
    ) -> Result<Event, AppError> {
        self.change_event(
            actor,
            Action::AssessEvent,
            number,
            "event.assessed",
            |e, who, now| {
                e.assess(input, who, now)?;
                Ok(json!({"status": e.status, "assessment": e.assessment}))
            },
        )
        .await
    }

    pub async fn reject_event(
        &self,
        actor: &Actor,
        number: EventNumber,
        reason: Text,
    ) -> Result<Event, AppError> {
        self.change_event(
            actor,
            Action::RejectEvent,
            number,
            "event.rejected",
            |e, who, now| {
                e.reject(reason, who, now)?;
                Ok(json!({"status": e.status, "rejection": e.rejection}))
            },
        )
        .await
    }

    // ----- incidents ------------------------------------------------------------

    pub async fn confirm_incident(
        &self,
        actor: &Actor,
        input: IncidentConfirmation,
    ) -> Result<Incident, AppError> {
        actor.require(Action::ConfirmIncident)?;
        if input.severity_override.is_some() {
            actor.require(Action::OverrideSeverity)?;
        }
        input.validate()?;
        let mut load: Vec<EntityRef> = input.events.iter().map(|n| EntityRef::Event(*n)).collect();
        load.push(EntityRef::User(input.coordinator.clone()));
        let who = actor.clone();
        let unit = UnitOfWork::new(
            actor.name.clone(),
            load,
            vec![NumberKind::Incident],
            move |mut ctx| {
                let number = ctx.incident_number(0)?;
                let count = input.events.len();
                check_coordinator(&mut ctx, count, &input.coordinator)?;
                let mut events = Vec::with_capacity(count);
                for (i, n) in input.events.iter().enumerate() {
                    events.push(take_event(&mut ctx, i, *n).map_err(|_| {
                        DomainError::field(format!("events[{i}]"), format!("no event {n}"))
                    })?);
                }
                let incident = Incident::confirm(number, input, &mut events, &who, ctx.now)?;
                let mut journal = vec![draft("incident.confirmed", number, to_value(&incident))];
                let mut writes = vec![Write::Insert(Entity::Incident(Box::new(incident)))];
                for e in events {
                    journal.push(draft(
                        "event.linked",
                        e.number,
                        json!({"status": e.status, "incident": number}),
                    ));
                    writes.push(Write::Update(Entity::Event(Box::new(e))));
                }
                Ok(Decision { writes, journal })
            },
        );
        first(self.run(unit).await?)?
            .into_incident()
            .ok_or_else(|| not_found("incident"))
    }

    /// One incident (with its log, actions and review).
    pub async fn get_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
    ) -> Result<Incident, AppError> {
        actor.require(Action::ViewIncidents)?;
        // Need-to-know: a restricted incident does not exist for anyone not named.
        self.store
            .get(&EntityRef::Incident(number))
            .await?
            .and_then(Entity::into_incident)
            .filter(|i| i.readable_by(actor))
            .ok_or_else(|| not_found(format!("incident {number}")))
    }

    /// One incident and the linked events the actor may read.
    pub async fn incident_with_events(
        &self,
        actor: &Actor,
        number: IncidentNumber,
    ) -> Result<(Incident, Vec<Event>), AppError> {
        let incident = self.get_incident(actor, number).await?;
        let mut events = Vec::with_capacity(incident.events.len());
        if actor.may(Action::ViewEvents) {
            for n in &incident.events {
                if let Some(e) = self
                    .store
                    .get(&EntityRef::Event(*n))
                    .await?
                    .and_then(Entity::into_event)
                {
                    events.push(e.visible_to(actor));
                }
            }
        }
        Ok((incident, events))
    }

    pub async fn list_incidents(
        &self,
        actor: &Actor,
        mut query: IncidentQuery,
    ) -> Result<Page<Incident>, AppError> {
        actor.require(Action::ViewIncidents)?;
        query.viewer = Some(actor.name.clone());
        Ok(self.store.list_incidents(&query).await?)
    }

    /// Counts for the dashboard: incidents the actor may see, and events when they may see events.
    pub async fn counts(&self, actor: &Actor) -> Result<Counts, AppError> {
        let mut counts = self.store.counts(&actor.name).await?;
        if !actor.may(Action::ViewIncidents) {
            counts.incidents.clear();
        }
        if !actor.may(Action::ViewEvents) {
            counts.events.clear();
        }
        Ok(counts)
    }

    /// Restricts an incident to named users (need-to-know), or lifts the
    /// restriction with an empty list.
    pub async fn restrict_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        users: Vec<String>,
    ) -> Result<Incident, AppError> {
        actor.require(Action::RestrictIncident)?;
        let names: Vec<String> = users.iter().map(|u| u.trim().to_owned()).collect();
        let load: Vec<EntityRef> = names.iter().cloned().map(EntityRef::User).collect();
        self.change_incident(actor, number, load, move |ctx, incident, who| {
            for (i, name) in names.iter().enumerate() {
                let user = ctx.loaded.get_mut(i + 1).and_then(Option::take);
                if !matches!(user, Some(Entity::User(ref u)) if !u.disabled) {
                    return Err(DomainError::field(
                        format!("users[{i}]"),
                        format!("no active user named `{name}`"),
                    ));
                }
            }
            incident.restrict(names, who, ctx.now)?;
            let payload = json!({"restricted_to": incident.restricted_to});
            Ok((draft("incident.restricted", number, payload), vec![]))
        })
        .await
    }

    /// Runs a change on one incident (optionally checking a coordinator user) and journals it.
    async fn change_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        extra: Vec<EntityRef>,
        change: impl FnOnce(
            &mut Context,
            &mut Incident,
            &Actor,
        ) -> Result<(JournalDraft, Vec<Write>), DomainError>
        + Send
        + 'static,
    ) -> Result<Incident, AppError> {
        let who = actor.clone();
        let mut load = vec![EntityRef::Incident(number)];
        load.extend(extra);
        let unit = UnitOfWork::new(actor.name.clone(), load, vec![], move |mut ctx| {
            let mut incident = take_incident(&mut ctx, 0, number)?;
            if !incident.readable_by(&who) {
                return Err(DomainError::NotFound(format!("incident {number}")));
            }
            let (journal, mut writes) = change(&mut ctx, &mut incident, &who)?;
            writes.insert(0, Write::Update(Entity::Incident(Box::new(incident))));
            Ok(Decision {
                writes,
                journal: vec![journal],
            })
        });
        first(self.run(unit).await?)?
            .into_incident()
            .ok_or_else(|| not_found("incident"))
    }

    pub async fn patch_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        patch: IncidentPatch,
    ) -> Result<Incident, AppError> {
        for action in patch.required_actions() {
            actor.require(action)?;
        }
        let coordinator = patch.coordinator.clone();
        let extra = coordinator
            .clone()
            .map(EntityRef::User)
            .into_iter()
            .collect();
        self.change_incident(actor, number, extra, move |ctx, incident, who| {
            if let Some(name) = &coordinator {
                check_coordinator(ctx, 1, name)?;
            }
            let before = to_value(incident);
            let changed = incident.apply_patch(patch, who, ctx.now)?;
            let after = to_value(incident);
            let diff: serde_json::Map<String, Value> = changed
                .iter()
                .map(|f| {
                    (
                        (*f).to_owned(),
                        json!({"before": before.get(*f), "after": after.get(*f)}),
                    )
                })
                .collect();
            Ok((
                draft("incident.updated", number, json!({"changed": diff})),
                vec![],
            ))
        })
        .await
    }

    pub async fn link_event(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        event: EventNumber,
    ) -> Result<Incident, AppError> {
        actor.require(Action::LinkEvent)?;
        self.change_incident(
            actor,
            number,
            vec![EntityRef::Event(event)],
            move |ctx, incident, who| {
                let mut e = take_event(ctx, 1, event)
                    .map_err(|_| DomainError::field("event", format!("no event {event}")))?;
                incident.link_event(&mut e, who, ctx.now)?;
                let payload = json!({"event": event});
                Ok((
                    draft("incident.event_linked", number, payload),
                    vec![Write::Update(Entity::Event(Box::new(e)))],
                ))
            },
        )
        .await
    }

    pub async fn transition(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        request: TransitionRequest,
    ) -> Result<Incident, AppError> {
        actor.require(Action::TransitionIncident)?;
        self.change_incident(actor, number, vec![], move |ctx, incident, who| {
            who.require(request.required_action(incident.status))?;
            let payload = json!({"to": request.to, "reason": request.reason, "resolution": request.resolution});
            let from = incident.transition(request, who, ctx.now)?;
            let mut payload = payload;
            if let Some(map) = payload.as_object_mut() {
                map.insert("from".into(), json!(from));
                // The times as the move left them, so the journal alone gives the record.
                map.insert("contained_at".into(), json!(incident.contained_at));
                map.insert("ended_at".into(), json!(incident.ended_at));
                map.insert("impact_ended_at".into(), json!(incident.impact_ended_at));
            }
            Ok((draft("incident.transition", number, payload), vec![]))
        })
        .await
    }

    pub async fn add_log(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        entry: NewLogEntry,
    ) -> Result<LogEntry, AppError> {
        actor.require(Action::WriteLog)?;
        let incident = self
            .change_incident(actor, number, vec![], move |ctx, incident, who| {
                let added = incident.add_log(entry, who, ctx.now)?;
                Ok((draft("incident.log", number, to_value(added)), vec![]))
            })
            .await?;
        incident
            .log
            .last()
            .cloned()
            .ok_or_else(|| not_found("log entry"))
    }

    pub async fn add_action(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: NewAction,
    ) -> Result<ResponseAction, AppError> {
        actor.require(Action::ManageActions)?;
        let incident = self
            .change_incident(actor, number, vec![], move |ctx, incident, who| {
                let added = incident.add_action(input, who, ctx.now)?;
                Ok((
                    draft("incident.action_added", number, to_value(added)),
                    vec![],
                ))
            })
            .await?;
        incident
            .actions
            .last()
            .cloned()
            .ok_or_else(|| not_found("action"))
    }

    pub async fn update_action(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        id: u32,
        update: ActionUpdate,
    ) -> Result<ResponseAction, AppError> {
        actor.require(Action::ManageActions)?;
        let incident = self
            .change_incident(actor, number, vec![], move |ctx, incident, who| {
                let updated = incident.update_action(id, update, who, ctx.now)?;
                Ok((
                    draft("incident.action_updated", number, to_value(updated)),
                    vec![],
                ))
            })
            .await?;
        incident
            .actions
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| not_found(format!("action {id}")))
    }

    pub async fn record_review(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: ReviewInput,
    ) -> Result<Review, AppError> {
        actor.require(Action::RecordReview)?;
        let incident = self
            .change_incident(actor, number, vec![], move |ctx, incident, who| {
                let review = incident.record_review(input, who, ctx.now)?;
                Ok((draft("incident.review", number, to_value(review)), vec![]))
            })
            .await?;
        incident.review.ok_or_else(|| not_found("review"))
    }
}

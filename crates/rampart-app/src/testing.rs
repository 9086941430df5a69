//! Shared set-up for the capability modules' tests: the application over a
//! fresh embedded SQLite store in a temporary folder, on a clock that moves
//! only when a test moves it, and the few records most tests start from.

use std::sync::Arc;

use rampart_domain::{
    Actor, Clock, EventNumber, EventReport, IncidentNumber, ManualClock, Role, Timestamp,
};
use rampart_evidence::BlobStore;
use rampart_store::JournalQuery;
use rampart_store::checkpoint::InstallationKey;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::App;
use crate::evidence::Vault;

/// The password of every account made by [`TestApp::account`].
pub(crate) const PASSWORD: &str = "correct horse battery";

/// The application under test, its clock and its data folder.
pub(crate) struct TestApp {
    pub app: App,
    pub clock: Arc<ManualClock>,
    /// Holds the database (and the evidence store); removed when dropped.
    pub dir: tempfile::TempDir,
}

/// A request body as the interfaces would deserialize it.
pub(crate) fn from_json<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a well-formed test request")
}

/// A person's event report with only the required fields.
pub(crate) fn report(title: &str) -> EventReport {
    from_json(json!({"title": title, "description": "seen on the wire"}))
}

impl TestApp {
    /// The application without an evidence vault.
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let start = Timestamp::parse("2026-11-22T09:30:00Z").expect("a valid time");
        let clock = Arc::new(ManualClock::new(start));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let store = rampart_store_sqlite::open(&dir.path().join("db"), dyn_clock.clone())
            .await
            .expect("a fresh database");
        let app = App::new(Arc::new(store), dyn_clock);
        Self { app, clock, dir }
    }

    /// The application with an evidence vault in the data folder.
    pub(crate) async fn with_vault() -> Self {
        let mut test = Self::new().await;
        let blobs = BlobStore::open(test.dir.path().join("evidence")).expect("an evidence store");
        test.app = test
            .app
            .with_vault(Vault::new(blobs, InstallationKey::generate()));
        test
    }

    /// Adds a user (as the installation itself) and returns them as an actor.
    pub(crate) async fn user(&self, name: &str, roles: &[Role]) -> Actor {
        let (system, roles) = (Actor::system(), roles.to_vec());
        let added = self.app.add_user(&system, name, roles.clone()).await;
        added.expect("a new user");
        Actor::new(name, roles)
    }

    /// A user who can also sign in with [`PASSWORD`].
    pub(crate) async fn account(&self, name: &str, roles: &[Role]) -> Actor {
        let actor = self.user(name, roles).await;
        let set = self
            .app
            .set_password(&Actor::system(), name, PASSWORD)
            .await;
        set.expect("a password set");
        actor
    }

    /// The journal's actions about one record, oldest first.
    pub(crate) async fn actions(&self, entity: impl ToString) -> Vec<String> {
        let query = JournalQuery {
            after: 0,
            limit: 1000,
            entity: Some(entity.to_string()),
        };
        let entries = self.app.store().journal(&query).await.expect("the journal");
        entries.into_iter().map(|e| e.action).collect()
    }

    /// An event reported and escalated by a point of contact.
    pub(crate) async fn escalated_event(&self, poc: &Actor, title: &str) -> EventNumber {
        let n = self
            .app
            .report_event(poc, report(title))
            .await
            .unwrap()
            .number;
        let escalate = from_json(json!({"decision": "possible_incident", "escalate": true}));
        self.app.assess_event(poc, n, escalate).await.unwrap();
        n
    }

    /// Confirms an incident (malware, class II) from an escalated event;
    /// `member` confirms it and coordinates it.
    pub(crate) async fn confirm(&self, member: &Actor, event: EventNumber) -> IncidentNumber {
        let confirmation = from_json(json!({
            "events": [event], "title": "An incident", "category": "malware", "effort": "low",
            "severity": {"system_importance": "important", "business_loss": "serious",
                         "social_impact": "minor"},
            "coordinator": member.name,
        }));
        let incident = self.app.confirm_incident(member, confirmation).await;
        incident.unwrap().number
    }

    /// An incident from a new escalated event.
    pub(crate) async fn incident(&self, poc: &Actor, member: &Actor) -> IncidentNumber {
        let event = self.escalated_event(poc, "Odd logins").await;
        self.confirm(member, event).await
    }
}

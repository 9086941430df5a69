//! A setting read from the store and trusted for a while: another node may
//! change it, so a copy older than its time to live is read again.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// The value as last read, and when.
#[derive(Debug)]
pub(crate) struct Cached<T>(tokio::sync::RwLock<Option<(Instant, Arc<T>)>>);

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Self(tokio::sync::RwLock::new(None))
    }
}

impl<T> Cached<T> {
    /// The copy, when it is younger than `ttl`.
    pub(crate) async fn fresh(&self, ttl: Duration) -> Option<Arc<T>> {
        match self.0.read().await.as_ref() {
            Some((at, value)) if at.elapsed() < ttl => Some(value.clone()),
            _ => None,
        }
    }

    /// Forgets the copy: the next read goes to the store.
    pub(crate) async fn clear(&self) {
        *self.0.write().await = None;
    }

    /// Keeps `value` as the copy read now.
    pub(crate) async fn put(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        *self.0.write().await = Some((Instant::now(), value.clone()));
        value
    }
}

/// A settings document admins replace as a whole, with a version that
/// rises by one each time: the categorization rules, the response-time
/// targets, the notification rules.
pub(crate) trait Versioned:
    crate::unit::Record + Clone + Send + Sync + Sized + 'static
{
    /// What the refusal of a stale version calls it: `the rules`.
    const WHAT: &'static str;
    /// The journal entity of its changes.
    const ENTITY: &'static str;
    /// Where it is stored.
    fn key() -> rampart_store::EntityRef;
    /// What is in force before anyone changes it.
    fn shipped() -> Self;
    fn version(&self) -> u32;
    fn set_version(&mut self, version: u32);
    fn into_entity(self) -> rampart_store::Entity;
    /// The journal action of a change.
    fn changed(before: Self, after: Self) -> rampart_domain::JournalAction;
}

impl crate::App {
    /// The document in force, read again once the copy is older than `ttl`.
    pub(crate) async fn versioned<T: Versioned>(
        &self,
        cache: &Cached<T>,
        ttl: Duration,
    ) -> Result<Arc<T>, crate::AppError> {
        if let Some(value) = cache.fresh(ttl).await {
            return Ok(value);
        }
        let value = self
            .store
            .get(&T::key())
            .await?
            .and_then(<T as crate::unit::Record>::from_entity)
            .unwrap_or_else(T::shipped);
        Ok(cache.put(value).await)
    }

    /// Replaces the document. `new`'s version must be the one the admin
    /// edited, so two admins do not overwrite each other unseen; the saved
    /// document has the next version and one journal entry with both.
    pub(crate) async fn replace_versioned<T: Versioned>(
        &self,
        actor: &rampart_domain::Actor,
        cache: &Cached<T>,
        mut new: T,
    ) -> Result<T, crate::AppError> {
        let mut unit = crate::unit::Unit::new(&actor.name);
        let loaded = unit.load::<T>(T::key());
        let unit = unit.decide(move |ctx| {
            let old = ctx.maybe(&loaded);
            let stored = old.is_some();
            let current = old.unwrap_or_else(T::shipped);
            if new.version() != current.version() {
                return Err(rampart_domain::DomainError::field(
                    "version",
                    format!(
                        "{} changed since version {} was read; the current version is {}",
                        T::WHAT,
                        new.version(),
                        current.version()
                    ),
                ));
            }
            new.set_version(current.version() + 1);
            let payload = T::changed(current, new.clone());
            let decided = crate::unit::Decided::new(new.clone());
            let entity = new.into_entity();
            let decided = if stored {
                decided.update(entity)
            } else {
                decided.insert(entity)
            };
            Ok(decided.journal(rampart_store::JournalDraft::new(T::ENTITY, payload)))
        });
        let saved = self.run(unit).await?;
        cache.put(saved.clone()).await;
        Ok(saved)
    }
}

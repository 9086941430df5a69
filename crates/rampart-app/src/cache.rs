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

    /// Keeps `value` as the copy read now.
    pub(crate) async fn put(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        *self.0.write().await = Some((Instant::now(), value.clone()));
        value
    }
}

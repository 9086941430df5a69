//! Rate limits: the one place where Rampart decides whether a sender (an
//! address, a token, a user) may go on now or must wait.
//!
//! [`KeyedLimit`] is a keyed GCRA limiter from the `governor` crate with the
//! housekeeping a server needs: keys that a hostile sender can invent
//! (addresses, names) must not grow memory without bound, so the limiter
//! forgets keys that have been quiet long enough to be back at a full burst,
//! and, should even the recent keys pass the bound, starts afresh rather
//! than keep growing.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

/// Keys remembered, at most, unless [`KeyedLimit::with_max_keys`] says otherwise.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// Checks between two housekeeping passes: so many new keys at most can be
/// remembered beyond the bound, and a pass over all keys costs each check
/// only a small share.
const HOUSEKEEPING_EVERY: u64 = 4_096;

type Limiter<K, C> = RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// A rate per key: each key may take `rate` cells a second, with bursts of up
/// to `burst` cells, independently of every other key.
///
/// `check` answers at once; it never sleeps. A caller that wants
/// backpressure sleeps for the duration it is given and asks again.
pub struct KeyedLimit<K: Hash + Eq + Clone, C: Clock + Clone = DefaultClock> {
    quota: Quota,
    clock: C,
    limiter: RwLock<Limiter<K, C>>,
    max_keys: usize,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> std::fmt::Debug for KeyedLimit<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimit")
            .field("quota", &self.quota)
            .field("keys", &self.len())
            .field("max_keys", &self.max_keys)
            .finish()
    }
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// `rate` cells a second per key, with bursts of up to `burst`.
    pub fn per_second(rate: NonZeroU32, burst: NonZeroU32) -> Self {
        Self::with_clock(rate, burst, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> KeyedLimit<K, C> {
    /// As [`KeyedLimit::per_second`], on the given clock (tests pass
    /// `governor::clock::FakeRelativeClock` to move time by hand).
    pub fn with_clock(rate: NonZeroU32, burst: NonZeroU32, clock: C) -> Self {
        let quota = Quota::per_second(rate).allow_burst(burst);
        Self {
            limiter: RwLock::new(Limiter::dashmap_with_clock(quota, clock.clone())),
            quota,
            clock,
            max_keys: DEFAULT_MAX_KEYS,
            checks: AtomicU64::new(0),
        }
    }

    /// Remembers at most about `max_keys` keys (see [`KeyedLimit::housekeeping`]).
    pub fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys.max(1);
        self
    }

    /// The most cells one key may take at once.
    pub fn burst(&self) -> NonZeroU32 {
        self.quota.burst_size()
    }

    /// Takes one cell for `key`. `Err` says how long until the key may go on;
    /// nothing is taken then.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.check_n(key, 1)
    }

    /// Takes `n` cells for `key`, all or none. `Err` says how long until all
    /// `n` may go; nothing is taken then. More cells than
    /// [`burst`](KeyedLimit::burst) can never go at once: that is refused
    /// with `Duration::MAX`, and the caller takes them in pieces instead.
    /// Zero cells always go.
    pub fn check_n(&self, key: &K, n: u32) -> Result<(), Duration> {
        let Some(n) = NonZeroU32::new(n) else {
            return Ok(());
        };
        let outcome = {
            let limiter = self.limiter.read().unwrap_or_else(|e| e.into_inner());
            match limiter.check_key_n(key, n) {
                Ok(Ok(())) => Ok(()),
                Ok(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
                Err(_insufficient) => Err(Duration::MAX),
            }
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % HOUSEKEEPING_EVERY
            == HOUSEKEEPING_EVERY - 1
        {
            self.housekeeping();
        }
        outcome
    }

    /// Keys remembered now (an estimate while others check).
    pub fn len(&self) -> usize {
        self.limiter.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// No key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets the keys that are back at a full burst (forgetting them
    /// changes no answer). When more than the bound are still remembered
    /// after that, every key is forgotten: each starts again with a full
    /// burst, which a sender with that many addresses could have had anyway.
    /// Runs by itself every few thousand checks.
    pub fn housekeeping(&self) {
        let mut limiter = self.limiter.write().unwrap_or_else(|e| e.into_inner());
        let before = limiter.len();
        limiter.retain_recent();
        let after = limiter.len();
        if after > self.max_keys {
            tracing::warn!(
                keys = after,
                max_keys = self.max_keys,
                "rate limit: too many senders at once; every sender starts afresh"
            );
            *limiter = Limiter::dashmap_with_clock(self.quota, self.clock.clone());
        } else if after < before / 2 {
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use governor::clock::FakeRelativeClock;

    use super::*;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    fn limit(rate: u32, burst: u32) -> (KeyedLimit<IpAddr, FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            KeyedLimit::with_clock(nz(rate), nz(burst), clock.clone()),
            clock,
        )
    }

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(n))
    }

    #[test]
    fn a_key_may_take_its_burst_then_waits_for_the_rate() {
        let (limit, clock) = limit(10, 5);
        for _ in 0..5 {
            assert_eq!(limit.check(&ip(1)), Ok(()));
        }
        let wait = limit.check(&ip(1)).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        clock.advance(wait);
        assert_eq!(limit.check(&ip(1)), Ok(()));
        assert!(limit.check(&ip(1)).is_err());
    }

    #[test]
    fn keys_are_limited_independently() {
        let (limit, _clock) = limit(1, 1);
        assert_eq!(limit.check(&ip(1)), Ok(()));
        assert!(limit.check(&ip(1)).is_err());
        assert_eq!(limit.check(&ip(2)), Ok(()));
        assert_eq!(limit.len(), 2);
    }

    #[test]
    fn several_cells_go_all_or_none() {
        let (limit, clock) = limit(10, 10);
        assert_eq!(limit.check_n(&ip(1), 8), Ok(()));
        let wait = limit.check_n(&ip(1), 5).unwrap_err();
        // Nothing was taken by the refusal: two cells are still there.
        assert_eq!(limit.check_n(&ip(1), 2), Ok(()));
        clock.advance(wait + Duration::from_millis(200));
        assert_eq!(limit.check_n(&ip(1), 5), Ok(()));
    }

    #[test]
    fn the_wait_is_how_long_until_the_cells_are_there() {
        let (limit, clock) = limit(10, 10);
        assert_eq!(limit.check_n(&ip(1), 10), Ok(()));
        let wait = limit.check_n(&ip(1), 3).unwrap_err();
        assert_eq!(wait, Duration::from_millis(300));
        clock.advance(Duration::from_millis(299));
        assert!(limit.check_n(&ip(1), 3).is_err());
        clock.advance(Duration::from_millis(1));
        assert_eq!(limit.check_n(&ip(1), 3), Ok(()));
    }

    #[test]
    fn more_than_a_burst_never_goes_at_once_and_zero_always_goes() {
        let (limit, _clock) = limit(10, 4);
        assert_eq!(limit.burst(), nz(4));
        assert_eq!(limit.check_n(&ip(1), 5), Err(Duration::MAX));
        assert_eq!(limit.check_n(&ip(1), 0), Ok(()));
        assert_eq!(limit.check_n(&ip(1), 4), Ok(()));
    }

    #[test]
    fn quiet_keys_are_forgotten() {
        let (limit, clock) = limit(10, 10);
        for n in 0..100 {
            limit.check(&ip(n)).unwrap();
        }
        limit.check_n(&ip(1_000), 10).unwrap();
        assert_eq!(limit.len(), 101);
        clock.advance(Duration::from_millis(500));
        limit.housekeeping();
        // Only the key that took a whole burst is not yet back at a full one.
        assert_eq!(limit.len(), 1);
        clock.advance(Duration::from_secs(1));
        limit.housekeeping();
        assert!(limit.is_empty());
    }

    #[test]
    fn the_number_of_keys_stays_bounded_under_a_flood_of_new_keys() {
        let (limit, _clock) = limit(1, 1);
        let limit = limit.with_max_keys(1_000);
        // Time stands still: every key is recent, none can be forgotten by age.
        for n in 0..50_000 {
            limit.check(&ip(n)).unwrap();
            assert!(limit.len() <= 1_000 + HOUSEKEEPING_EVERY as usize);
        }
    }

    #[test]
    fn housekeeping_runs_by_itself() {
        let (limit, clock) = limit(1_000, 1);
        for n in 0..HOUSEKEEPING_EVERY as u32 - 1 {
            limit.check(&ip(n)).unwrap();
        }
        assert_eq!(limit.len(), HOUSEKEEPING_EVERY as usize - 1);
        clock.advance(Duration::from_secs(1));
        limit.check(&ip(u32::MAX)).unwrap();
        // The pass after that check forgot every quiet key.
        assert_eq!(limit.len(), 1);
    }

    #[test]
    fn works_for_any_hashable_key() {
        let limit: KeyedLimit<String> = KeyedLimit::per_second(nz(1), nz(1));
        assert_eq!(limit.check(&"token-a".to_owned()), Ok(()));
        assert!(limit.check(&"token-a".to_owned()).is_err());
        assert_eq!(limit.check(&"token-b".to_owned()), Ok(()));
    }
}
